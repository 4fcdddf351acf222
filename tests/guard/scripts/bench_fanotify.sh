#!/bin/bash
# Measures what the fanotify guard costs, in one run: N open/close of an unrelated file and of a
# protected file (a reader), without and with `voxguard guard start`, plus a build-like workload
# (many small files created, written, read, deleted). Prints ratios. usage: bench_fanotify.sh VOXGUARD [N]
set -u
VG=$1; N=${2:-1000000}
W=$(mktemp -d /tmp/vg-bench-XXXXXX); trap 'kill $G 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
mkdir -p "$W/home/.baresip" "$W/build"
printf '"Bank" <sip:1234567@127.0.0.1:5070>\n' > "$W/home/.baresip/contacts"
echo unrelated > "$W/unrelated"
cat > "$W/oc.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
int main(int c, char **v) {
  long n = atol(v[2]); struct timespec a, b; clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) { int fd = open(v[1], O_RDONLY); if (fd < 0) { perror("open"); return 1; } close(fd); }
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.3f\n", (b.tv_sec - a.tv_sec) * 1e9 / n + (b.tv_nsec - a.tv_nsec) / (double)n);
}
C
cc -O2 -o "$W/oc" "$W/oc.c"
build() { local t0=$(date +%s%N); for d in $(seq 20); do mkdir -p "$W/build/$d"; for f in $(seq 100); do
  echo "int f$f(){return $f;}" > "$W/build/$d/$f.c"; cat "$W/build/$d/$f.c" > /dev/null; done; done
  rm -rf "$W/build"/*; echo $(( ($(date +%s%N) - t0) / 1000000 )); }
measure() {
  echo "$1 unrelated_open_close_ns=$("$W/oc" "$W/unrelated" "$N") protected_open_close_ns=$("$W/oc" "$W/home/.baresip/contacts" 20000 2>&1) build_ms=$(build)"
}
measure without
cat > "$W/policy.toml" <<POL
[guard]
journal = "$W/journal"
pid_file = "$W/guard.pid"
syslog = false
[[asset]]
path = "$W/home/.baresip/contacts"
format = "baresip-contacts"
protect_directory = true
POL
"$VG" guard start --policy "$W/policy.toml" > "$W/guard.out" 2>&1 & G=$!
for i in $(seq 100); do grep -q enforcing "$W/guard.out" && break; sleep 0.1; done
measure with
