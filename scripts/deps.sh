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
  clamav clamav-testfiles yara python3 time
)
if ! dpkg -s "${packages[@]}" >/dev/null 2>&1; then
  apt-get update
  apt-get install -y --no-install-recommends "${packages[@]}"
fi
