#!/usr/bin/env bash
# vkit quickstart, for a fresh Debian 12 machine, as root.
#
#   ./quickstart.sh        install packages, build, run the demo
#   ./quickstart.sh test   install packages, build, run every test
#                          (normal build under `make distcheck`, then the
#                          whole suite again under ASan/UBSan)
set -euo pipefail
cd "$(dirname "$0")"
mode=${1:-demo}
case "$mode" in demo|test) ;; *) echo "usage: $0 [test]" >&2; exit 2 ;; esac

build_pkgs="build-essential autoconf automake libtool pkg-config
  libvirt-dev libxml2-dev zlib1g-dev libzstd-dev libpopt-dev"
run_pkgs="qemu-utils qemu-system-x86 libvirt-daemon libvirt-daemon-driver-qemu
  libvirt-clients dnsmasq-base iptables binutils osinfo-db ovmf"
test_pkgs="bats bats-assert bats-support bats-file shellcheck mandoc groff-base
  python3 xz-utils libxml2-utils busybox-static cpio ovmf"

install_packages() {
  local want missing=() p
  want="$build_pkgs $run_pkgs"
  [ "$mode" = test ] && want="$want $test_pkgs"
  for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "quickstart: missing packages (run as root to install): ${missing[*]}" >&2
    exit 1
  fi
  echo "quickstart: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {
  [ -x configure ] || ./autogen.sh
  [ -f Makefile ] || ./configure --enable-werror -q
  make -j"$(nproc)" >/dev/null
}

demo() {
  local dir
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
  echo "== vimg create -f qcow2 disk.qcow2 20G"
  ./vimg create -f qcow2 "$dir/disk.qcow2" 20G
  echo "== vimg info disk.qcow2"
  ./vimg info "$dir/disk.qcow2"
  echo "== qemu-img check disk.qcow2"
  qemu-img check "$dir/disk.qcow2"
}

# Sum the per-test counts automake's TAP driver wrote into test-suite.log.
count() {
  local log=$1 key=$2
  awk -v k="# $key:" '$0 ~ "^"k {s += $NF} END {print s + 0}' "$log"
}

run_tests() {
  local pass=0 fail=0 rc=0 log

  echo "quickstart: make distcheck (normal build, whole suite)"
  if ! make -j"$(nproc)" distcheck >distcheck.out 2>&1; then
    rc=1
    tail -n 60 distcheck.out
  fi
  log=$(find . -path './vkit-*/_build/sub/test-suite.log' 2>/dev/null | head -n 1)
  # distcheck removes its tree on success; keep counts from its output
  pass=$((pass + $(grep -E '^# PASS:' distcheck.out | awk '{s+=$NF} END {print s+0}')))
  fail=$((fail + $(grep -E '^# (FAIL|ERROR|XPASS):' distcheck.out | awk '{s+=$NF} END {print s+0}')))
  [ -n "$log" ] && grep -E '^(FAIL|ERROR)' "$log" || true

  echo "quickstart: ASan/UBSan build, whole suite"
  rm -rf _build-san && mkdir _build-san
  (cd _build-san && ../configure -q --enable-sanitizers --enable-werror >/dev/null &&
     make -j"$(nproc)" >/dev/null) || { echo "quickstart: sanitizer build failed" >&2; rc=1; }
  if [ -f _build-san/Makefile ]; then
    make -C _build-san -j"$(nproc)" check >san.out 2>&1 || rc=1
    grep -E '^(FAIL|ERROR|XPASS)' san.out || true
    if [ -f _build-san/test-suite.log ]; then
      pass=$((pass + $(count _build-san/test-suite.log PASS)))
      fail=$((fail + $(count _build-san/test-suite.log FAIL) + $(count _build-san/test-suite.log ERROR) + $(count _build-san/test-suite.log XPASS)))
      [ "$(count _build-san/test-suite.log SKIP)" -eq 0 ] || echo "quickstart: some tests skipped (see _build-san/test-suite.log)"
    else
      fail=$((fail + 1))
    fi
  fi
  [ "$fail" -eq 0 ] || rc=1
  echo "$pass passed, $fail failed"
  return $rc
}

install_packages
build
if [ "$mode" = demo ]; then demo; else run_tests; fi
