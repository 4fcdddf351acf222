#!/usr/bin/env bash
# scan_vs_clamscan.sh — voxguard's scanner core against clamscan 1.4.6, measured in one run.
#
# Same databases (official-talos-subset main.hdb, daily.hsb, daily.hdb, daily.ndb, rfxn.hdb, rfxn.ndb,
# main.fp, daily.fp) and the same files (default /usr/lib/x86_64-linux-gnu). Both single-threaded
# first (clamscan is single-threaded; voxguard -j 1), then voxguard -j 2. Prints the file count and
# bytes, wall time, throughput, peak RSS (GNU time's maximum resident set size of the scanner
# process), the ratios against clamscan, and the database load time (a scan of one empty file).
# The page cache is warmed first so every scanner reads from memory. Not a test; not run in CI.
#
# DBSET=full (issue 3) uses the whole official subset instead (main.ldb, main.hdb, main.fp, daily.*),
# plus rfxn and the ditekshen .ldb files: the database load then includes compiling 160k logical
# subsignatures.
#
# voxguard's load is measured twice, with a cache directory of its own under the bench's temporary
# directory (never the user's): cold (the cache emptied before each run, so the Vectorscan
# databases are compiled and written) and warm (read back from the cache). The scans then run with
# the warm cache. The warm load against clamscan's load is the issue's start-up target (<= 0.25).
#
# usage: bench/scan_vs_clamscan.sh [TREE]
# env:   VOXGUARD=path/to/voxguard (default build/voxguard beside this checkout, then PATH)
#        CLAMSCAN=clamscan  VOXGUARD_SHARED_DATA=../shared/data  REPEAT=1 (best of N runs)
#        DBSET=core|full (default core)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
tree=${1:-/usr/lib/x86_64-linux-gnu}
data=${VOXGUARD_SHARED_DATA:-$here/../shared/data}
bench_name=scan_vs_clamscan
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"
bench_find_scanners
[[ -d $tree ]] || die "no such directory: $tree"

c=$data/clamav
case ${DBSET:-core} in
  core)
    dbs=("$c/official-talos-subset/main.hdb" "$c/official-talos-subset/daily.hsb"
         "$c/official-talos-subset/daily.hdb" "$c/official-talos-subset/daily.ndb"
         "$c/rfxn-lmd/rfxn.hdb" "$c/rfxn-lmd/rfxn.ndb"
         "$c/official-talos-subset/main.fp" "$c/official-talos-subset/daily.fp") ;;
  full)
    dbs=("$c/official-talos-subset"/main.* "$c/official-talos-subset"/daily.*
         "$c/rfxn-lmd/rfxn.hdb" "$c/rfxn-lmd/rfxn.ndb" "$c/ditekshen"/*.ldb) ;;
  *) die "DBSET must be core or full" ;;
esac
bench_db_args "${dbs[@]}"
bench_make_work

files=$(find "$tree" -type f | wc -l)
bytes=$(find "$tree" -type f -printf '%s\n' | awk '{s += $1} END {printf "%d", s}')
echo "tree: $tree — $files regular files, $bytes bytes ($(awk -v b="$bytes" 'BEGIN {printf "%.1f MiB", b / 1048576}'))"
bench_machine_lines
echo "warming the page cache ..."
find "$tree" -type f -print0 | xargs -0 cat >/dev/null 2>&1 || true

common=(--no-summary --infected)
cache=(--cache-dir "$work/cache")
run clam_load "$clamscan" "${common[@]}" "${dbargs[@]}" "$work/empty"
before='rm -rf "$work/cache"'
run vox_load_cold "$voxguard" scan "${common[@]}" "${cache[@]}" -j 1 "${dbargs[@]}" "$work/empty"
before=""
run vox_load "$voxguard" scan "${common[@]}" "${cache[@]}" -j 1 "${dbargs[@]}" "$work/empty"
cache_bytes=$(du -sb "$work/cache" | cut -f1)
run clamscan "$clamscan" -r "${common[@]}" "${dbargs[@]}" "$tree"
run vox_j1 "$voxguard" scan "${common[@]}" "${cache[@]}" -j 1 "${dbargs[@]}" "$tree"
run vox_j2 "$voxguard" scan "${common[@]}" "${cache[@]}" -j 2 "${dbargs[@]}" "$tree"

mbps() { awk -v b="$bytes" -v t="$1" 'BEGIN {if (t > 0) printf "%.0f", b / 1048576 / t; else printf "-"}'; }
# throughput without the database load: bytes / (wall - load wall)
scan_mbps() { awk -v b="$bytes" -v t="$1" -v l="$2" 'BEGIN {if (t - l > 0) printf "%.0f", b / 1048576 / (t - l); else printf "-"}'; }

echo
printf '%-22s %9s %9s %11s %10s %13s %10s %11s\n' scanner "wall s" "MiB/s" "scan MiB/s" "peak MiB" "speed vs clam" "RSS/clam" detections
for name in clamscan vox_j1 vox_j2; do
  label=$name
  [[ $name == vox_j1 ]] && label="voxguard -j 1"
  [[ $name == vox_j2 ]] && label="voxguard -j 2"
  [[ $name == clamscan ]] && label="clamscan (1 thread)"
  load=${wall[vox_load]}
  [[ $name == clamscan ]] && load=${wall[clam_load]}
  printf '%-22s %9s %9s %11s %10s %13s %10s %11s\n' "$label" "${wall[$name]}" "$(mbps "${wall[$name]}")" \
    "$(scan_mbps "${wall[$name]}" "$load")" \
    "$(mib "${rss[$name]}")" "$(ratio "${wall[clamscan]}" "${wall[$name]}")x" \
    "$(ratio "${rss[$name]}" "${rss[clamscan]}")" "${found[$name]}"
done
echo
printf '%-28s %9s %10s %12s\n' "database load" "wall s" "peak MiB" "load/clam"
printf '%-28s %9s %10s %12s\n' "clamscan" "${wall[clam_load]}" "$(mib "${rss[clam_load]}")" "1.00"
printf '%-28s %9s %10s %12s\n' "voxguard cold (empty cache)" "${wall[vox_load_cold]}" \
  "$(mib "${rss[vox_load_cold]}")" "$(ratio "${wall[vox_load_cold]}" "${wall[clam_load]}")"
printf '%-28s %9s %10s %12s\n' "voxguard warm cache" "${wall[vox_load]}" \
  "$(mib "${rss[vox_load]}")" "$(ratio "${wall[vox_load]}" "${wall[clam_load]}")"
echo "compiled cache: $(awk -v b="$cache_bytes" 'BEGIN {printf "%.1f MiB", b / 1048576}') on disk;" \
  "warm start target: load/clam <= 0.25 (issue 3)"
echo
echo "speed vs clam = clamscan wall time / this wall time (both include loading the databases);"
echo "scan MiB/s leaves the database load time out. RSS/clam = this peak RSS / clamscan's."
echo "both scanners run with their defaults (both open the archives and other containers they find);"
echo "databases: ${DBSET:-core} set; best of $repeat run(s) each."
