#!/usr/bin/env bash
# One command for a fresh Debian 12 machine, as root: installs the dependencies, builds voxguard, and
# runs the main job — a scan with the bundled default database (EICAR and the ClamAV test file) of
# ClamAV's own test files and a freshly written EICAR file.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
demo=$(mktemp -d)
trap 'rm -rf "$demo"' EXIT
printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' > "$demo/eicar.com"
echo "voxguard is built: build/voxguard. Scanning with the bundled default database:"
status=0
./build/voxguard scan --database db "$demo" /usr/share/clamav-testfiles || status=$?
# 1 means "found", which is the expected outcome here.
[ "$status" -le 1 ]
