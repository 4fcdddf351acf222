#!/usr/bin/env bash
# Installs every Debian 12 package voxguard needs to build, test and benchmark. Idempotent. Run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  # build
  cmake ninja-build g++ clang clang-format pkg-config libclang-rt-14-dev llvm
  libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev libcli11-dev
  # scan engine
  libvectorscan-dev libpcre2-dev libssl-dev libarchive-dev libgmime-3.0-dev libgsf-1-dev
  libmspack-dev zlib1g-dev libyara-dev libtlsh-dev
  libsodium-dev libsqlite3-dev
  # guard
  libbpf-dev bpftool qemu-system-x86 busybox-static baresip sip-tester
  sqlite3 # Linphone friends.db attack matrix (host and QEMU guest)
  # voice
  libpcap-dev libopus-dev libfftw3-dev libnetfilter-queue-dev
  baresip sip-tester tshark sox espeak-ng minimodem lmms-common nftables
  iptables # voice guard in line via xt_NFQUEUE (kernels without the nft queue expression)
  # real peers the tests and benchmarks compare against
  clamav clamav-daemon clamav-testfiles yara python3 time # clamav-daemon: clamonacc, the guard bench anchor
  p7zip-full zip unzip # 7-Zip Deflate64 zips, unzip cross-check, container bench
)
if ! dpkg -s "${packages[@]}" >/dev/null 2>&1; then
  apt-get update
  apt-get install -y --no-install-recommends "${packages[@]}"
fi
# ggwave's own encoder (the author's C++ library compiled to WebAssembly, published on npm only) is the
# real peer of the ggwave detector test. The machine's Node.js and npm install it; without them, or
# without the registry, the test says SKIPPED and why.
if command -v npm >/dev/null 2>&1; then
  if ! NODE_PATH="$(npm root -g)" node -e "require('ggwave')" >/dev/null 2>&1; then
    timeout 300 npm install -g --no-fund --no-audit ggwave@0.4.0 ||
      echo "deps.sh: npm install ggwave@0.4.0 failed; the ggwave real-peer test will be skipped" >&2
  fi
else
  echo "deps.sh: npm not found; the ggwave real-peer test will be skipped" >&2
fi
