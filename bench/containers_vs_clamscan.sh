#!/usr/bin/env bash
# containers_vs_clamscan.sh — voxguard's container scanning against clamscan 1.4.6, in one run.
#
# Builds a deterministic tree of mixed containers in a temporary directory from files of
# /usr/share/doc and /usr/lib/x86_64-linux-gnu (sorted lists, files under 1 MiB, a byte budget for
# each source): groups of G files, each group packed as one of zip (Info-ZIP, deflate), zip with
# Deflate64 entries (7-Zip), tar.gz (GNU tar, fixed owner and mtime, gzip -n), 7z (7-Zip, LZMA2)
# and mail (.eml, multipart/mixed, every file a base64 attachment), in turn. Then scans the tree
# with clamscan and voxguard -j 1 (both single-threaded, both with their default limits) and the
# same databases (rfxn-lmd/rfxn.hdb, rfxn.ndb, official-talos-subset/daily.ndb), and prints the
# container count and bytes (on disk and inside), wall time, throughput over the bytes inside,
# peak RSS (GNU time's maximum resident set size), the ratios against clamscan, and each
# scanner's database load (a scan of one empty file; voxguard's compiled-database cache is warm).
# Page cache warmed first. Then a coverage run, not timed: a canary .hdb with the MD5 of one file
# inside each container, which both scanners must report for every container. Not a test; not
# run in CI.
#
# usage: bench/containers_vs_clamscan.sh
# env:   VOXGUARD=path/to/voxguard (default build/voxguard beside this checkout, then PATH)
#        CLAMSCAN=clamscan  VOXGUARD_SHARED_DATA=../shared/data  REPEAT=1 (best of N runs)
#        DOC_MB=40 LIB_MB=120 (budget of bytes taken from each source)  G=40 (files per container)
#        KEEP=dir (build the tree in dir and keep it)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
data=${VOXGUARD_SHARED_DATA:-$here/../shared/data}
doc_mb=${DOC_MB:-40}
lib_mb=${LIB_MB:-120}
group=${G:-40}
bench_name=containers_vs_clamscan
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"
bench_find_scanners
for tool in zip 7z tar gzip base64; do
  command -v $tool >/dev/null || die "$tool not found (apt-get install zip p7zip-full tar gzip coreutils)"
done

c=$data/clamav
dbs=("$c/rfxn-lmd/rfxn.hdb" "$c/rfxn-lmd/rfxn.ndb" "$c/official-talos-subset/daily.ndb")
bench_db_args "${dbs[@]}"
bench_make_work
tree=${KEEP:-$work/tree}
rm -rf "$tree"
mkdir -p "$tree"

# pick DIR MB: regular files under 1 MiB, in byte order of their paths, until MB are taken
# (paths relative to /, one a line; names with newlines or backslashes are left out).
pick() {
  find "$1" -type f -size -1024k -printf '%s %P\n' 2>/dev/null | LC_ALL=C sort -k2 |
    awk -v budget=$(($2 * 1048576)) -v root="${1#/}" '
      $0 ~ /\\/ {next}
      full {next}
      {size = $1; sub(/^[0-9]+ /, ""); if (total + size > budget) {full = 1; next}
       total += size; print root "/" $0}'
}
{ pick /usr/share/doc "$doc_mb"; pick /usr/lib/x86_64-linux-gnu "$lib_mb"; } >"$work/files"
# Interleave the two sources so every kind of container holds some of each.
LC_ALL=C sort -t/ -k4 "$work/files" >"$work/sorted"
split -l "$group" -d -a 4 "$work/sorted" "$work/group."

mail() { # mail LIST OUT
  local n=0
  {
    printf 'From: bench@voxguard.invalid\r\nTo: user@voxguard.invalid\r\n'
    printf 'Subject: %s\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\n' "$(basename "$2")"
    printf 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="vg-bench-part"\r\n\r\n'
    printf -- '--vg-bench-part\r\nContent-Type: text/plain\r\n\r\nfiles attached\r\n'
    while IFS= read -r f; do
      n=$((n + 1))
      printf -- '--vg-bench-part\r\nContent-Type: application/octet-stream; name="%d-%s"\r\n' "$n" "${f##*/}"
      printf 'Content-Disposition: attachment; filename="%d-%s"\r\n' "$n" "${f##*/}"
      printf 'Content-Transfer-Encoding: base64\r\n\r\n'
      base64 "/$f" | sed 's/$/\r/'
    done <"$1"
    printf -- '--vg-bench-part--\r\n'
  } >"$2"
}

echo "building the container tree in $tree ..."
kinds=(zip d64.zip tar.gz 7z eml)
declare -A made
i=0
for list in "$work"/group.*; do
  kind=${kinds[$((i % ${#kinds[@]}))]}
  out=$tree/$(printf 'c%04d' "$i").$kind
  case $kind in
    zip) (cd / && zip -q -X -9 "$out" -@ <"$list") ;;
    d64.zip) (cd / && 7z a -bd -bso0 -tzip -mm=Deflate64 -mx=9 "$out" @"$list" >/dev/null) ;;
    tar.gz) tar -C / --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - -T "$list" |
      gzip -n -6 >"$out" ;;
    7z) (cd / && 7z a -bd -bso0 -t7z -mx=5 -mmt=1 "$out" @"$list" >/dev/null) ;;
    eml) mail "$list" "$out" ;;
  esac
  made[$kind]=$((${made[$kind]:-0} + 1))
  # Canary: the MD5 of the group's first file of 1 KiB or more, HTML excepted (neither scanner
  # matches a whole-file hash of an HTML file): each container must give one detection.
  first=$(while IFS= read -r f; do
    if [[ ! $f =~ \.x?html?$ ]] && (($(stat -c %s "/$f") >= 1024)); then echo "$f"; break; fi
  done <"$list")
  [[ -n $first ]] || first=$(head -1 "$list")
  printf '%s:%s:Bench.Canary.%s\n' "$(md5sum <"/$first" | cut -d' ' -f1)" "$(stat -c %s "/$first")" \
    "$(basename "$out")" >>"$work/canary.hdb"
  i=$((i + 1))
done

containers=$(find "$tree" -type f | wc -l)
disk_bytes=$(find "$tree" -type f -printf '%s\n' | awk '{s += $1} END {printf "%d", s}')
inner_files=$(wc -l <"$work/sorted")
bytes=$(sed 's|^|/|' "$work/sorted" | tr '\n' '\0' | xargs -0 stat -c %s | awk '{s += $1} END {printf "%d", s}')
mibs() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
echo "tree: $containers containers ($(for k in "${kinds[@]}"; do printf '%s %s, ' "${made[$k]:-0}" "$k"; done | sed 's/, $//'))"
echo "      $(mibs "$disk_bytes") on disk; $inner_files files, $(mibs "$bytes") inside"
bench_machine_lines
echo "warming the page cache ..."
find "$tree" -type f -print0 | xargs -0 cat >/dev/null

common=(--no-summary --infected)
run clam_load "$clamscan" "${common[@]}" "${dbargs[@]}" "$work/empty"
cache=(--cache-dir "$work/cache") # voxguard's compiled databases, warmed by the load run
run vox_load "$voxguard" scan "${common[@]}" "${cache[@]}" -j 1 "${dbargs[@]}" "$work/empty"
run clamscan "$clamscan" -r "${common[@]}" "${dbargs[@]}" "$tree"
run vox_j1 "$voxguard" scan "${common[@]}" "${cache[@]}" -j 1 "${dbargs[@]}" "$tree"

mbps() { awk -v b="$bytes" -v t="$1" 'BEGIN {if (t > 0) printf "%.1f", b / 1048576 / t; else printf "-"}'; }
scan_mbps() { awk -v b="$bytes" -v t="$1" -v l="$2" 'BEGIN {if (t - l > 0) printf "%.1f", b / 1048576 / (t - l); else printf "-"}'; }

echo
printf '%-22s %8s %9s %11s %9s %10s %13s %9s %11s\n' scanner "wall s" "load s" "MiB/s in" \
  "scan MiB/s" "peak MiB" "speed vs clam" "RSS/clam" detections
for name in clamscan vox_j1; do
  label="clamscan (1 thread)"
  load=${wall[clam_load]}
  if [[ $name == vox_j1 ]]; then label="voxguard -j 1"; load=${wall[vox_load]}; fi
  printf '%-22s %8s %9s %11s %9s %10s %13s %9s %11s\n' "$label" "${wall[$name]}" "$load" \
    "$(mbps "${wall[$name]}")" "$(scan_mbps "${wall[$name]}" "$load")" "$(mib "${rss[$name]}")" \
    "$(ratio "${wall[clamscan]}" "${wall[$name]}")x" "$(ratio "${rss[$name]}" "${rss[clamscan]}")" \
    "${found[$name]}"
done
# Coverage: the canary database alone (a hash match stops the scan of a container early, so this
# is not timed): every container must be reported by both.
run clam_canary "$clamscan" -r "${common[@]}" -d "$work/canary.hdb" "$tree"
run vox_canary "$voxguard" scan "${common[@]}" "${cache[@]}" -j 1 -d "$work/canary.hdb" "$tree"
echo "coverage (canary.hdb: the MD5 of one file inside each container): clamscan ${found[clam_canary]}," \
  "voxguard ${found[vox_canary]} of $containers containers"
(cd "$tree" && ls) | LC_ALL=C sort >"$work/all"
for name in clam_canary vox_canary; do
  missed=$(LC_ALL=C comm -23 "$work/all" "$work/found.$name" | tr '\n' ' ')
  [[ -n $missed ]] && echo "not detected by $name: $missed"
done
echo
echo "MiB/s in = bytes inside the containers / wall time (database load included); scan MiB/s leaves"
echo "the load (a scan of one empty file) out. speed vs clam = clamscan wall / this wall; RSS/clam ="
echo "this peak RSS / clamscan's. Both scanners open every container with their default limits."
echo "databases: rfxn.hdb, rfxn.ndb, daily.ndb (timed); best of $repeat run(s) each."
