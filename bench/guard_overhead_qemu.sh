#!/bin/bash
# bench/guard_overhead_qemu.sh — what the BPF LSM guard costs, in one run, inside a stock Debian 12
# kernel booted under QEMU (the host kernel refuses BPF LSM programs, see
# /work/shared/docs/kernel/README.md; tests/guard/scripts/qemu_vm.sh boots the guest). QEMU runs
# with TCG here (no KVM): every absolute time below is that of an emulated CPU and means nothing;
# the ratios "guard on / guard off", measured in the same guest in alternating rounds, are what
# count (of the medians, and of the minima: the least disturbed by other load on the host).
# Measured, guard off vs on (mode bpf-lsm, one protected contacts file in a protected folder):
#   1. N x open+close (read-only) of an unrelated file (the file_open hook's map lookup);
#   2. N x one-byte pwrite to an unrelated file (the file_permission hook on every write);
#   (each in BURSTS bursts of N/BURSTS per round, default 20: TCG on a loaded host varies 3x
#   between bursts; the minimum is the least disturbed);
#   3. event latency with the guard on: an untrusted process opens the protected file for append:
#      p50/p99 of "attempt -> EPERM returned" and "attempt -> event line read from the guard".
# usage: sudo bench/guard_overhead_qemu.sh VOXGUARD [KERNEL_VERSION] [N] [ROUNDS] [N_EVENTS]
#        (default 6.12.100+deb12-amd64, N 200000, 3 rounds, 200 events)
set -u
VG=$(readlink -f "${1:?usage: guard_overhead_qemu.sh VOXGUARD [KERNEL_VERSION] [N] [ROUNDS] [N_EVENTS]}")
KV=${2:-6.12.100+deb12-amd64}; N=${3:-200000}; R=${4:-3}; NE=${5:-200}; B=${BURSTS:-20}
[ "$(id -u)" = 0 ] || { echo "needs root (QEMU with 9p, apt-get download of the kernel)"; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d /var/tmp/vg-guard-qbench-XXXXXX)
trap 'rm -rf "$W"' EXIT
chmod 755 "$W"
cc -O2 -o "$W/oc" "$HERE/guard_overhead_open_close.c" || exit 2
{
  echo "VG=$VG; OC=$W/oc; N=$N; R=$R; NE=$NE; B=$B"
  cat <<'GUEST'
H=/tmp/h; C=$H/.baresip/contacts; mkdir -p $H/.baresip
printf '"Bank" <sip:1234567@127.0.0.1:5070>\n' > $C
echo unrelated > /tmp/unrelated
# The policy `guard discover` writes for this home (the contacts file, its folder protected).
$VG guard discover --home $H --journal /tmp/journal --action deny --output /tmp/policy.toml 2>/dev/null
start_guard() {
  $VG guard start --policy /tmp/policy.toml --mode bpf-lsm > /tmp/guard.out 2>&1 & GP=$!
  for i in $(seq 600); do grep -q enforcing /tmp/guard.out && return 0; kill -0 $GP 2>/dev/null || break; sleep 0.1; done
  echo "RESULT error guard did not start: $(tr '\n' ' ' < /tmp/guard.out | cut -c1-600)"; exit 1
}
# `guard stop` unpins; the links are released asynchronously: wait until the file is writable.
stop_guard() {
  $VG guard stop --policy /tmp/policy.toml > /dev/null 2>&1; wait $GP 2>/dev/null
  for i in $(seq 100); do python3 -c "import os; os.close(os.open('$C', os.O_WRONLY|os.O_APPEND))" 2>/dev/null && return 0; sleep 0.1; done
  echo "RESULT error enforcement still on after guard stop"; exit 1
}
# B bursts of N/B iterations each, open and pwrite interleaved: a burst that another load on the
# host disturbed shows as an outlier, the minimum is the undisturbed cost.
measure() { for b in $(seq $B); do
  echo "RESULT $1-open $($OC /tmp/unrelated $((N / B)))"; echo "RESULT $1-pwrite $($OC /tmp/unrelated $((N / B)) pwrite)"; done; }
echo "RESULT machine $(nproc) vCPUs, kernel $(uname -r), lsm=$(cat /sys/kernel/security/lsm)"
for r in $(seq $R); do
  measure off
  start_guard
  [ $r = 1 ] && echo "RESULT banner $(head -1 /tmp/guard.out | cut -c1-300)"
  measure on
  [ $r = $R ] || stop_guard
done
# Event latency (guard still on): an untrusted helper opens the protected file for append.
python3 - $C $NE /tmp/guard.out <<'PY'
import json, os, sys, time
c, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
log = open(out, "rb"); log.seek(0, 2)
def next_denial(deadline):
    buf = b""
    while time.monotonic_ns() < deadline:
        line = log.readline()
        if not line:
            time.sleep(0.0002); continue
        buf += line
        if not buf.endswith(b"\n"):
            continue
        t = time.monotonic_ns()
        try:
            e = json.loads(buf)
        except ValueError:
            e = {}
        buf = b""
        if e.get("event") == "denied":
            return t
    return None
eperm, report, allowed = [], [], 0
for _ in range(n):
    t0 = time.monotonic_ns()
    try:
        os.close(os.open(c, os.O_WRONLY | os.O_APPEND)); allowed += 1
    except PermissionError:
        pass
    t1 = time.monotonic_ns()
    eperm.append(t1 - t0)
    t2 = next_denial(t1 + 5_000_000_000)
    if t2: report.append(t2 - t0)
def pct(v, p):
    v = sorted(v); return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] / 1e6 if v else float("nan")
print(f"RESULT latency-eperm p50 {pct(eperm, 50):.3f} ms p99 {pct(eperm, 99):.3f} ms (n={n}, denied {n - allowed})")
print(f"RESULT latency-event p50 {pct(report, 50):.3f} ms p99 {pct(report, 99):.3f} ms ({len(report)} of {n} reported)")
PY
stop_guard
GUEST
} > "$W/guest.sh"
echo "host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); guest kernel $KV under QEMU TCG (emulated CPU: absolute times are meaningless, compare the ratios)"
OUT=$(VMTIMEOUT=${VMTIMEOUT:-1500} bash "$HERE/../tests/guard/scripts/qemu_vm.sh" "$KV" "$W/guest.sh"); rc=$?
[ $rc = 77 ] && { echo "$OUT"; exit 77; }
echo "$OUT" | grep -E "^RESULT (machine|banner|error)" | sed 's/^RESULT //'
vals() { echo "$OUT" | sed -n "s/^RESULT $1 //p" | tr '\n' ' '; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a > 0) printf "%.3f", b / a; else print "n/a"}'; }
for what in open pwrite; do
  off=$(vals off-$what); on=$(vals on-$what)
  mo=$(echo "$off" | median); mn=$(echo "$on" | median)
  lo=$(echo "$off" | tr ' ' '\n' | grep . | sort -n | head -1); ln=$(echo "$on" | tr ' ' '\n' | grep . | sort -n | head -1)
  label=$([ $what = open ] && echo "open+close of an unrelated file" || echo "1-byte pwrite to an unrelated file")
  echo "$label x$N per round in $B bursts, $R rounds: off median $mo ns, min $lo ns; on median $mn ns, min $ln ns (TCG); ratio of medians $(ratio "$mo" "$mn"), of minima $(ratio "$lo" "$ln")"
done
echo "$OUT" | sed -n 's/^RESULT latency-eperm /event latency (TCG), untrusted open for append -> EPERM returned: /p'
echo "$OUT" | sed -n 's/^RESULT latency-event /event latency (TCG), untrusted open for append -> event read from the guard: /p'
[ -n "$(vals on-open)" ] || { echo "no measurement came back from the guest:"; echo "$OUT" | tail -20; exit 1; }
