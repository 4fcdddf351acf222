#!/bin/bash
# bench/guard_overhead.sh — what the guard costs, in one run, on this machine (fanotify mode: the
# mode this kernel allows; BPF LSM mode only runs under QEMU here: bench/guard_overhead_qemu.sh),
# next to the anchor ClamAV clamonacc (clamd's fanotify on-access scanner, prevention mode) on the
# same files in the same run:
#   1. N open/close of a neighbour file in the protected directory (a directory both guards watch
#      with FAN_OPEN_PERM on its children; voxguard judges the neighbour's first open and then
#      exempts the unchanged file with an ignore mark, so its later opens stay in the kernel) and
#      of an unrelated file outside it: baseline (no guard),
#      clamonacc, voxguard; ratios to the baseline and voxguard / clamonacc;
#   2. realistic file work: extract a tar of headers (~1,200 small files) and compile 50
#      small C files, guard off vs on, alternating rounds, ratio on/off of the medians and of the
#      minima (the minimum is the least disturbed by other load on a shared machine); ROUNDS=0 skips it;
#   3. event latency: an untrusted process opens the protected contacts file for writing (denied)
#      or renames a file over it (restored); p50/p99 of "attempt -> EPERM returned", "attempt ->
#      event line read from the guard's stdout" and, for rename, "rename -> bytes back"; for the
#      anchor, "open -> EPERM returned" of a file in the watched directory matching a random 32-byte
#      body signature written into a temporary .ndb (clamonacc denies opens of infected files).
# clamd runs with a private config, socket and database (rfxn.hdb + rfxn.ndb from the shared data,
# copied into the temp dir at run time, plus the bench signature) as user clamav; clamd and clamonacc
# are stopped on exit. fapolicyd (deny-by-default on whole mounts) is not run on a shared machine.
# ANCHOR_CLAMONACC=0 skips the anchor; VOXGUARD_SHARED_DATA overrides /work/shared/data.
# usage: sudo bench/guard_overhead.sh VOXGUARD [N_OPEN] [ROUNDS] [N_EVENTS]
set -u
VG=$(readlink -f "${1:?usage: guard_overhead.sh VOXGUARD [N_OPEN] [ROUNDS] [N_EVENTS]}")
N=${2:-1000000}; R=${3:-3}; NE=${4:-300}
[ "$(id -u)" = 0 ] || { echo "needs root (fanotify permission events)"; exit 2; }
W=$(mktemp -d /var/tmp/vg-guard-bench-XXXXXX)
G=; CLD=; CLO=
cleanup() {
  for p in $CLO $CLD $G; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$W/home/.baresip" "$W/src"
printf '"Alice" <sip:2223344@127.0.0.1:5072>\n"Bank" <sip:1234567@127.0.0.1:5070>\n' > "$W/home/.baresip/contacts"
echo unrelated > "$W/unrelated"
# The loop file inside the watched directory (exists before the guard starts: not a planted name).
echo neighbour > "$W/home/.baresip/neighbour"
cc -O2 -o "$W/oc" "$(dirname "$0")/guard_overhead_open_close.c" || exit 2
# Kernel and libc headers: ~1,200 small files, 10 MB (small enough that dirty-page writeback of one
# round does not throttle the next one on a shared disk).
tar -C /usr -cf "$W/include.tar" include/linux include/x86_64-linux-gnu include/asm-generic 2>/dev/null
FILES=$(tar -tf "$W/include.tar" | grep -vc '/$')
for i in $(seq 50); do printf 'static int v%d[64];\nint f%d(int x){for(int i=0;i<64;i++)v%d[i]=x*i;return v%d[x&63];}\n' $i $i $i $i > "$W/src/f$i.c"; done
# Offenders are scanned with the source tree's bundled database.
DB=$(cd "$(dirname "$0")/.." && pwd)/db
cat > "$W/policy.toml" <<POL
[guard]
mode = "fanotify"
action = "deny"
exempt_neighbours = true
journal = "$W/journal"
pid_file = "$W/guard.pid"
syslog = false
signatures = ["$DB"]
[[asset]]
path = "$W/home/.baresip/contacts"
format = "baresip-contacts"
owner = "baresip"
protect_directory = true
POL
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
# (page cache only, no sync: the disk of a shared machine would drown the guard's cost)
tar_round() { local t0; rm -rf "$W/x"; mkdir "$W/x"; t0=$(date +%s%N); tar -C "$W/x" -xf "$W/include.tar"; ms $t0; }
cc_round() { local t0; t0=$(date +%s%N); for f in "$W"/src/*.c; do cc -O1 -c "$f" -o "${f%.c}.o"; done; ms $t0; }
start_guard() {
  "$VG" guard start --policy "$W/policy.toml" > "$W/guard.out" 2> "$W/guard.err" & G=$!
  for i in $(seq 200); do grep -q enforcing "$W/guard.out" && return 0; kill -0 $G 2>/dev/null || break; sleep 0.05; done
  echo "guard did not start: $(cat "$W/guard.out" "$W/guard.err")"; exit 2
}
stop_guard() { kill "$G"; wait "$G" 2>/dev/null; G=; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
minimum() { tr ' ' '\n' | grep . | sort -n | head -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", b / a}'; }

# Event latency (run below for the anchor, then for voxguard): the guard's stdout is read here; an
# untrusted helper process makes the attempts.
cat > "$W/latency.py" <<'PY'
import json, os, subprocess, sys, threading, time
mode, vg, w, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def pct(v, p):
    v = sorted(v); return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]
def show(name, v):
    v = [x / 1e6 for x in v]
    print(f"  {name}: p50 {pct(v, 50):.2f} ms, p99 {pct(v, 99):.2f} ms, max {max(v):.2f} ms (n={len(v)})")
if mode == "clamonacc":
    # the anchor: open (read-only) of a file clamd's database detects -> EPERM from clamonacc
    den, bad = [], 0
    for _ in range(n):
        t0 = time.monotonic_ns()
        try: os.close(os.open(w + "/home/.baresip/canary", os.O_RDONLY)); bad += 1
        except PermissionError: pass
        den.append(time.monotonic_ns() - t0)
        time.sleep(0.002)
    print(f"anchor event latency, open of a file matching a signature in the watched directory (denied {n - bad}/{n}):")
    show("open -> EPERM returned (clamonacc)", den)
    open(w + "/anchor.lat", "w").write(f"{pct(den, 50)} {pct(den, 99)}")
    sys.exit(0)
c = w + "/home/.baresip/contacts"
good = open(c, "rb").read()
g = subprocess.Popen([vg, "guard", "start", "--policy", w + "/policy.toml"], stdout=subprocess.PIPE)
banner = g.stdout.readline()
lines, cv = [], threading.Condition()
def reader():
    for line in g.stdout:
        t = time.monotonic_ns()
        with cv:
            lines.append((t, json.loads(line)))
            cv.notify_all()
threading.Thread(target=reader, daemon=True).start()
helper = subprocess.Popen([sys.executable, "-c", r'''
import os, sys, time
c, w = sys.argv[1], sys.argv[2]
for cmd in sys.stdin:
    cmd = cmd.strip()
    if cmd == "w":
        t0 = time.monotonic_ns()
        try: os.close(os.open(c, os.O_WRONLY | os.O_APPEND)); ok = 1
        except PermissionError: ok = 0
    else:
        open(w + "/evil", "w").write('"Bank" <sip:9876543@127.0.0.1:5071>\n')
        t0 = time.monotonic_ns(); os.rename(w + "/evil", c); ok = 1
    print(t0, time.monotonic_ns(), ok, flush=True)
''', c, w], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
def attempt(cmd, kind):
    with cv:
        start = len(lines)
    helper.stdin.write(cmd + "\n"); helper.stdin.flush()
    t0, t1, ok = map(int, helper.stdout.readline().split())
    with cv:
        cv.wait_for(lambda: any(e.get("event") == kind for _, e in lines[start:]), timeout=5)
        ev = next((t for t, e in lines[start:] if e.get("event") == kind), None)
    back = None
    if cmd == "r":
        while open(c, "rb").read() != good:
            time.sleep(0.0002)
        back = time.monotonic_ns()
    time.sleep(0.002)
    return t0, t1, ok, ev, back
den, rep, bad = [], [], 0
for _ in range(n):
    t0, t1, ok, ev, _ = attempt("w", "denied")
    bad += ok
    den.append(t1 - t0)
    if ev: rep.append(ev - t0)
print(f"event latency, untrusted open for append of the protected file (denied {n - bad}/{n}):")
show("attempt -> EPERM returned", den); show("attempt -> event read from the guard", rep)
if os.path.exists(w + "/anchor.lat"):
    a50, a99 = map(int, open(w + "/anchor.lat").read().split())
    print(f"  denial latency voxguard / clamonacc: p50 {pct(den, 50) / a50:.3f}, p99 {pct(den, 99) / a99:.3f}")
m = max(50, n // 6)
rr, rb = [], []
for _ in range(m):
    t0, t1, ok, ev, back = attempt("r", "restored")
    if ev: rr.append(ev - t0)
    rb.append(back - t0)
print(f"event latency, rename over the protected file (restored, {len(rr)}/{m} reported):")
show("rename -> bytes back", rb); show("rename -> event read from the guard", rr)
helper.stdin.close(); helper.wait()
g.terminate(); g.wait()
PY

# The anchor: clamd + clamonacc with a private config watching the same protected directory.
DATA=${VOXGUARD_SHARED_DATA:-/work/shared/data}
C=$W/clamd
CANARY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
printf 'voxguard guard bench canary follows: ' > "$W/home/.baresip/canary"
echo "$CANARY" | xxd -r -p >> "$W/home/.baresip/canary"
anchor_missing() {
  [ "${ANCHOR_CLAMONACC:-1}" = 0 ] && { echo "ANCHOR_CLAMONACC=0"; return 0; }
  command -v clamd >/dev/null && command -v clamonacc >/dev/null || { echo "clamd/clamonacc not installed (package clamav-daemon)"; return 0; }
  id clamav >/dev/null 2>&1 || { echo "no user clamav (package clamav-daemon)"; return 0; }
  [ -r "$DATA/clamav/rfxn-lmd/rfxn.ndb" ] || { echo "$DATA/clamav/rfxn-lmd missing"; return 0; }
  return 1
}
start_anchor() {
  mkdir -p "$C/db"
  cp "$DATA/clamav/rfxn-lmd/rfxn.hdb" "$DATA/clamav/rfxn-lmd/rfxn.ndb" "$C/db/"
  echo "VoxguardBench.Canary:0:*:$CANARY" > "$C/db/bench.ndb"
  cat > "$C/clamd.conf" <<CONF
LocalSocket $C/clamd.sock
DatabaseDirectory $C/db
LogFile $C/clamd.log
LogVerbose yes
PidFile $C/clamd.pid
Foreground yes
User clamav
OnAccessIncludePath $W/home/.baresip
OnAccessPrevention yes
OnAccessExtraScanning no
OnAccessExcludeUname clamav
CONF
  chmod 755 "$W"; chown -R clamav: "$C"
  clamd --config-file="$C/clamd.conf" > "$C/clamd.out" 2>&1 & CLD=$!
  for i in $(seq 600); do [ -S "$C/clamd.sock" ] && break; kill -0 $CLD 2>/dev/null || break; sleep 0.05; done
  [ -S "$C/clamd.sock" ] || { echo "clamd did not start:"; cat "$C/clamd.out" "$C/clamd.log"; exit 2; }
  clamonacc --fdpass --foreground --verbose --config-file="$C/clamd.conf" --log="$C/clamonacc.log" > "$C/clamonacc.out" 2>&1 & CLO=$!
  for i in $(seq 600); do
    # watching once the canary's open is denied (its log also names the watched path)
    if ! head -c1 "$W/home/.baresip/canary" >/dev/null 2>&1; then return 0; fi
    kill -0 $CLO 2>/dev/null || break; sleep 0.05
  done
  echo "clamonacc did not start denying:"; cat "$C/clamonacc.out" "$C/clamonacc.log"; exit 2
}
stop_anchor() { kill "$CLO"; wait "$CLO" 2>/dev/null; CLO=; kill "$CLD"; wait "$CLD" 2>/dev/null; CLD=; }

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r), $W on $(stat -f -c %T "$W")"
NB=$W/home/.baresip/neighbour
B_NB=$("$W/oc" "$NB" "$N"); B_UN=$("$W/oc" "$W/unrelated" "$N")
A_NB=-; A_UN=-
if WHY=$(anchor_missing); then
  echo "anchor: not run: $WHY"
else
  start_anchor
  echo "anchor: $(clamd --version | cut -d/ -f1) clamd + clamonacc (--fdpass, OnAccessPrevention yes), watching $W/home/.baresip: $(grep -h -m1 -i watching "$C/clamonacc.log")"
  A_NB=$("$W/oc" "$NB" "$N"); A_UN=$("$W/oc" "$W/unrelated" "$N")
  python3 "$W/latency.py" clamonacc "$VG" "$W" "$NE"
  stop_anchor
fi
# voxguard exempts only neighbours unchanged for 2 s (docs/guard.md): make sure this one is.
AGE=$(( $(date +%s) - $(stat -c %Z "$NB") )); [ "$AGE" -ge 3 ] || sleep $(( 3 - AGE ))
start_guard; V_NB=$("$W/oc" "$NB" "$N"); V_UN=$("$W/oc" "$W/unrelated" "$N"); stop_guard
r3() { [ "$1" = - ] || [ "$2" = - ] && echo - || ratio "$1" "$2"; }
echo "open+close x$N, ns per iteration (same loop, bench/guard_overhead_open_close.c):"
printf '  %-38s %10s %10s %10s %9s %9s %9s\n' file baseline clamonacc voxguard clam/base vg/base vg/clam
printf '  %-38s %10s %10s %10s %9s %9s %9s\n' "neighbour in the protected dir" "$B_NB" "$A_NB" "$V_NB" "$(r3 "$B_NB" "$A_NB")" "$(r3 "$B_NB" "$V_NB")" "$(r3 "$A_NB" "$V_NB")"
printf '  %-38s %10s %10s %10s %9s %9s %9s\n' "unrelated file outside it" "$B_UN" "$A_UN" "$V_UN" "$(r3 "$B_UN" "$A_UN")" "$(r3 "$B_UN" "$V_UN")" "$(r3 "$A_UN" "$V_UN")"
T_OFF=; T_ON=; C_OFF=; C_ON=
if [ "$R" -gt 0 ]; then
for r in $(seq "$R"); do
  T_OFF+=" $(tar_round)"; C_OFF+=" $(cc_round)"
  start_guard; T_ON+=" $(tar_round)"; C_ON+=" $(cc_round)"; stop_guard
done
TO=$(echo "$T_OFF" | median); TN=$(echo "$T_ON" | median); CO=$(echo "$C_OFF" | median); CN=$(echo "$C_ON" | median)
TOm=$(echo "$T_OFF" | minimum); TNm=$(echo "$T_ON" | minimum); COm=$(echo "$C_OFF" | minimum); CNm=$(echo "$C_ON" | minimum)
echo "tar -x of kernel+libc headers ($FILES files), $R rounds: off [${T_OFF# }] ms, on [${T_ON# }] ms; ratio of medians $(ratio "$TO" "$TN"), of minima $(ratio "$TOm" "$TNm")"
echo "cc -c of 50 small files, $R rounds: off [${C_OFF# }] ms, on [${C_ON# }] ms; ratio of medians $(ratio "$CO" "$CN"), of minima $(ratio "$COm" "$CNm")"
echo "tar + cc together: ratio of medians $(ratio "$((TO + CO))" "$((TN + CN))"), of minima $(ratio "$((TOm + COm))" "$((TNm + CNm))") (target <= 1.05)"
fi

python3 "$W/latency.py" voxguard "$VG" "$W" "$NE"
