# lib.sh — what the scanner benchmarks share: finding the binaries, the best-of-N timed run with
# GNU time (wall seconds, peak RSS, detections), and the ratio/unit helpers. Sourced, not run.
# The sourcing script sets bench_name and here (checkout root) first; bench_make_work makes $work.

die() { echo "$bench_name: $*" >&2; exit 2; }

# Sets voxguard, clamscan and repeat from the environment (VOXGUARD, CLAMSCAN, REPEAT) and checks
# that both scanners and GNU time are there.
bench_find_scanners() {
  if [[ -z ${VOXGUARD:-} ]]; then
    local candidate
    for candidate in "$here/build/voxguard" "$here/../build/voxguard" "$(command -v voxguard || true)"; do
      if [[ -n $candidate && -x $candidate ]]; then VOXGUARD=$candidate; break; fi
    done
  fi
  voxguard=${VOXGUARD:-}
  clamscan=${CLAMSCAN:-clamscan}
  repeat=${REPEAT:-1}
  [[ -x $voxguard ]] || die "voxguard binary not found (set VOXGUARD=path, build with: ninja -C build voxguard)"
  command -v "$clamscan" >/dev/null || die "clamscan not found (apt-get install clamav)"
  [[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install time)"
}

# run NAME CMD... : the best wall time of $repeat runs into wall[NAME], its peak RSS KiB into
# rss[NAME], the number of FOUND lines into found[NAME] and the found file names (sorted) into
# $work/found.NAME. $before, if set, is evaluated (untimed) before each run. An exit status above 1
# (an error, for both scanners) stops the benchmark with the scanner's stderr.
declare -A wall rss found
before=""
run() {
  local name=$1
  shift
  local best="" best_rss="" r w m
  for ((r = 0; r < repeat; r++)); do
    [[ -n $before ]] && eval "$before"
    local rc=0
    /usr/bin/time -f '%e %M' -o "$work/time" "$@" >"$work/out" 2>"$work/err" || rc=$?
    if ((rc > 1)); then
      echo "$name exited $rc:" >&2
      head -20 "$work/err" >&2
      die "$name failed"
    fi
    read -r w m < <(tail -1 "$work/time") # after GNU time's "Command exited with ..." line
    if [[ -z $best ]] || awk -v a="$w" -v b="$best" 'BEGIN {exit !(a < b)}'; then
      best=$w
      best_rss=$m
    fi
  done
  wall[$name]=$best
  rss[$name]=$best_rss
  found[$name]=$(grep -c ' FOUND$' "$work/out" || true)
  grep ' FOUND$' "$work/out" | sed 's|: .*||; s|.*/||' | LC_ALL=C sort >"$work/found.$name" || true
}

# Sets dbargs to `-d DB` for each database given, refusing a missing one.
bench_db_args() {
  dbargs=()
  local db
  for db; do
    [[ -f $db ]] || die "database missing: $db"
    dbargs+=(-d "$db")
  done
}

# Makes the scratch directory $work (removed on exit) holding an empty file, $work/empty, whose
# scan measures a scanner's database load.
bench_make_work() {
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  : >"$work/empty"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else printf "-"}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.0f", k / 1024}'; }
bench_machine_lines() {
  echo "clamscan: $("$clamscan" --version)   voxguard: $("$voxguard" --version 2>/dev/null | head -1 || echo "$voxguard")"
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
}
