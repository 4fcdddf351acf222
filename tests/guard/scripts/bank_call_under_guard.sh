#!/bin/bash
# End to end with real programs, in a private network namespace (run as: unshare -n -- bash THIS ...).
# With the guard on, an unknown program tries to point "Bank" at 987-65-43 and fails; then baresip
# dials "Bank" by name: sipp on :5070 (the bank) must get INVITE sip:1234567@127.0.0.1:5070 and sipp
# on :5071 (the attacker) nothing. Prints RESULT lines for the test to check.
# usage: bank_call_under_guard.sh VOXGUARD_BINARY VOIP_E2E_DIR WORKDIR
set -u
VG=$1; E2E=$2; W=$3
ip link set lo up
export HOME=$W/home; CFG=$HOME/.baresip; mkdir -p "$CFG"
python3 - "$W/voice.wav" <<'PY'
import sys, wave, struct, math
w = wave.open(sys.argv[1], "wb"); w.setnchannels(1); w.setsampwidth(2); w.setframerate(48000)
w.writeframes(b"".join(struct.pack("<h", int(3000 * math.sin(2 * math.pi * 440 * i / 48000))) for i in range(48000 * 4)))
PY
sed -e "s#@WAV@#$W/voice.wav#" -e 's#@CODECMODS@#module\t\t\tg711.so#' -e 's#@OPUSBR@#28000#' \
    "$E2E/config.template" > "$CFG/config"
sed -e 's#@ACCPARAMS@##' "$E2E/accounts.template" > "$CFG/accounts"
cp "$E2E/contacts.orig" "$CFG/contacts"
BARESIP=$(readlink -f /usr/bin/baresip)
cat > "$W/policy.toml" <<POL
[guard]
journal = "$W/journal"
pid_file = "$W/guard.pid"
syslog = false
action = "deny+kill"
[[asset]]
path = "$CFG/contacts"
format = "baresip-contacts"
owner = "baresip"
protect_directory = true
[[trusted]]
path = "$BARESIP"
sha256 = "$(sha256sum "$BARESIP" | cut -d' ' -f1)"
app = "baresip"
POL
"$VG" guard start --policy "$W/policy.toml" > "$W/guard.out" 2> "$W/guard.err" &
GUARD=$!
trap 'kill $GUARD $BS $S70 $S71 2>/dev/null' EXIT
for i in $(seq 100); do grep -q enforcing "$W/guard.out" 2>/dev/null && break; sleep 0.1; done
grep -q enforcing "$W/guard.out" || { echo "RESULT guard-not-started $(cat "$W/guard.err")"; exit 1; }
echo "RESULT guard-started"

# The unknown program: a copy of python nobody listed, trying three ways.
cp "$(readlink -f /usr/bin/python3)" "$W/unknown-program"
UNK=$W/unknown-program
timeout 5 "$UNK" -c "open('$CFG/contacts','w').write(open('$E2E/contacts.tampered').read())" 2>/dev/null
echo "RESULT attack-write status=$?"
timeout 5 "$UNK" -c "import shutil,os; shutil.copy('$E2E/contacts.tampered','$W/c.new'); os.rename('$W/c.new','$CFG/contacts')" 2>/dev/null
echo "RESULT attack-rename status=$?"
timeout 5 "$UNK" -c "import subprocess; subprocess.run(['sed','-i','s/1234567@127.0.0.1:5070/9876543@127.0.0.1:5071/','$CFG/contacts'])" 2>/dev/null
echo "RESULT attack-sed status=$?"
for i in $(seq 50); do cmp -s "$CFG/contacts" "$E2E/contacts.orig" && break; sleep 0.02; done
cmp -s "$CFG/contacts" "$E2E/contacts.orig" && echo "RESULT contacts-intact" || echo "RESULT contacts-CHANGED"

# The call.
for P in 5070 5071; do
  sipp -sn uas -i 127.0.0.1 -p $P -m 1 -timeout 20s -nostdin -mi 127.0.0.1 -mp $((20000 + (P - 5070) * 10)) \
       -rtp_echo -trace_msg -message_file "$W/sipp_$P.msg" > "$W/sipp_$P.screen" 2>&1 &
  eval S${P#50}=$!
done
sleep 0.5
baresip -f "$CFG" -t 30 > "$W/baresip.log" 2>&1 & BS=$!
timeout 40 python3 "$E2E/dial_by_name.py" Bank 2 > "$W/driver.log" 2>&1
echo "RESULT dial status=$?"
wait $BS 2>/dev/null
sleep 0.5
for P in 5070 5071; do
  echo "RESULT uas$P $(grep -m1 '^INVITE ' "$W/sipp_$P.msg" 2>/dev/null || echo none)"
done
kill $S70 $S71 2>/dev/null
kill $GUARD; wait $GUARD 2>/dev/null
python3 - "$W/guard.out" "$UNK" <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()[1:] if l.startswith("{")]
named = [e for e in events if e.get("exe") == sys.argv[2] and e.get("exe_sha256")]
print("RESULT events-naming-attacker %d" % len(named))
print("RESULT events-denying-baresip %d" % len([e for e in events if "baresip" in e.get("exe", "") and e.get("decision") in ("deny", "restore")]))
PY
