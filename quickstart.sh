#!/usr/bin/env bash
# vkit quickstart, for a fresh Debian 12 machine, as root.
#
#   ./quickstart.sh        install packages, build, run the demo
#   ./quickstart.sh test   install packages, build, run every test
#                          (`make distcheck` with the fast suites, then the
#                          whole suite under ASan/UBSan, then two minutes
#                          each of fuzzing and mutations: tests/fuzz/, then
#                          the Debian package: tests/package.sh)
set -euo pipefail
cd "$(dirname "$0")"
mode=${1:-demo}
case "$mode" in demo|test) ;; *) echo "usage: $0 [test]" >&2; exit 2 ;; esac

build_pkgs="build-essential autoconf automake libtool pkg-config
  libvirt-dev libxml2-dev zlib1g-dev libzstd-dev libpopt-dev libarchive-dev libosinfo-1.0-dev bash-completion"
run_pkgs="qemu-utils qemu-system-x86 libvirt-daemon libvirt-daemon-driver-qemu
  libvirt-clients dnsmasq-base iptables binutils osinfo-db ovmf"
test_pkgs="bats bats-assert bats-support bats-file shellcheck mandoc groff-base
  python3 xz-utils libxml2-utils busybox-static cpio time bsdutils strace
  iproute2 procps xxd xorriso swtpm swtpm-tools qemu-guest-agent openssh-server openssh-client debhelper lintian dpkg-dev fakeroot clang libclang-rt-14-dev
  clang-format git"

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

# Builds happen out of the source tree: _build (normal), _build-san (ASan).
build() {
  [ -x configure ] || ./autogen.sh >/dev/null
  mkdir -p _build
  [ -f _build/Makefile ] || (cd _build && ../configure -q --enable-werror)
  make -C _build -j"$(nproc)" >/dev/null
}

# The main job: an image made by vimg, a VM installed from it with vinstall,
# booted under QEMU (TCG), listed with vctl, then removed again.
demo() {
  local name=vkit-demo
  demo_dir=$(mktemp -d /var/tmp/vkit-demo.XXXXXX)
  trap 'rm -rf "$demo_dir"' EXIT
  tests/libvirtd-start.sh
  _build/vctl -c qemu:///system undefine --remove-all-storage --idempotent "$name" >/dev/null 2>&1 || true

  echo "== a tiny guest: a boot sector that prints a line on its serial port and powers off"
  tests/fixtures/make-bootsector.sh "$demo_dir/boot.raw"
  truncate -s 1M "$demo_dir/boot.raw"
  echo "== vimg convert -O qcow2 boot.raw disk.qcow2 && vimg resize disk.qcow2 1G"
  _build/vimg convert -f raw -O qcow2 "$demo_dir/boot.raw" "$demo_dir/disk.qcow2"
  _build/vimg resize -f qcow2 "$demo_dir/disk.qcow2" 1G
  echo "== vimg info disk.qcow2"
  _build/vimg info "$demo_dir/disk.qcow2"
  echo "== qemu-img check disk.qcow2"
  qemu-img check "$demo_dir/disk.qcow2"
  echo "== vinstall --name $name --import --virt-type qemu --cloud-init --wait 60"
  _build/vinstall -c qemu:///system --name "$name" --memory 64 --import \
    --disk "$demo_dir/disk.qcow2" --virt-type qemu \
    --network none --graphics none --console "file=$demo_dir/serial.log" \
    --cloud-init "root-password-generate=on" --hostname "$name" --noautoconsole --wait 60
  echo "== the guest's serial console said:"
  cat "$demo_dir/serial.log"
  echo "== the cloud-init seed vinstall made (a cloud image reads it at its first boot):"
  blkid "$demo_dir/$name-cidata.iso"
  echo "== vctl list --all"
  _build/vctl -c qemu:///system list --all
  echo "== vctl dominfo $name"
  _build/vctl -c qemu:///system dominfo "$name"
  echo "== vctl undefine --remove-all-storage $name"
  _build/vctl -c qemu:///system undefine --remove-all-storage "$name"
}

# Count the results of one kind (PASS, FAIL, ...) in the .trs files the
# TAP driver wrote under DIR, including those of suites cut short.
count() {
  find "$1" -name '*.trs' -exec cat {} + 2>/dev/null | grep -c "^:test-result: $2" || true
}

# Name the suites that never finished (no .trs written), with their last lines.
unfinished() {
  local f
  for f in $(cd "$1" && make -s print-tests); do
    [ -f "$1/${f%.*}.trs" ] && continue
    echo "quickstart: $f did not finish; its last lines:"
    tail -n 15 "$1/${f%.*}.log" 2>/dev/null | sed 's/^/  /'
    fail=$((fail + 1))
  done
}

# The Debian package (tests/package.sh: build from the tracked files,
# lintian, the tools run from the .deb), counted as one test in run_tests'
# pass and fail; it takes well under a minute, hence its own time limit.
package_test() {
  echo "quickstart: Debian package (dpkg-buildpackage, lintian, tools from the .deb)"
  if timeout -k 30 "${VKIT_PACKAGE_TIMEOUT:-900}" tests/package.sh >package.out 2>&1; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
  fi
  tail -n 40 package.out
}

# Bounded fuzzing, after the suites: libFuzzer on the qcow2 engine
# (tests/fuzz/run-fuzz.sh, its own clang tree _build-fuzz), then the
# structure-aware mutation run of the ASan tools against qemu-img
# (tests/fuzz/run-mutate.sh).  Each is one test in the final count; its
# summary line is printed, and its last lines when it fails.
fuzz_tests() {
  local t out
  for t in run-fuzz.sh run-mutate.sh; do
    out=${t%.sh}.out
    echo "quickstart: tests/fuzz/$t ${VKIT_FUZZ_SECONDS:-120}"
    if timeout -k 30 900 "tests/fuzz/$t" "${VKIT_FUZZ_SECONDS:-120}" >"$out" 2>&1; then
      pass=$((pass + 1))
      tail -n 1 "$out"
    else
      rc=1
      fail=$((fail + 1))
      tail -n 25 "$out"
    fi
  done
}

# Tests the user's way: `make distcheck` proves the tarball builds, installs
# and passes the fast suites (unit tests, man pages, project checks); then
# the whole suite, real guests included, runs once in an ASan/UBSan build.
run_tests() {
  local pass=0 fail=0 rc=0 quick log
  # Every package the tests need was installed above: a missing one is a
  # failure here, never a skip.
  export CI=true

  quick="$(cd _build && make -s print-unit-tests) tests/man.bats tests/project.bats tests/vimg/image-memory.bats"
  echo "quickstart: make distcheck (tarball, install, fast suites)"
  if ! timeout -k 30 "${VKIT_CHECK_TIMEOUT:-3000}" make -C _build -j"$(nproc)" distcheck TESTS="$quick" >distcheck.out 2>&1; then
    rc=1
    fail=$((fail + 1))
    grep -E '^(FAIL|ERROR|XPASS)' distcheck.out || tail -n 60 distcheck.out
  fi
  # distcheck removes its tree on success; take the counts from its output
  pass=$((pass + $(grep -E '^# PASS:' distcheck.out | awk '{s+=$NF} END {print s+0}')))
  fail=$((fail + $(grep -E '^# (FAIL|ERROR|XPASS):' distcheck.out | awk '{s+=$NF} END {print s+0}')))

  echo "quickstart: ASan/UBSan build, whole suite (real guests included)"
  rm -rf _build-san && mkdir _build-san
  (cd _build-san && ../configure -q --enable-sanitizers --enable-werror >/dev/null &&
     make -j"$(nproc)" >/dev/null) || { echo "quickstart: sanitizer build failed" >&2; rc=1; fail=$((fail + 1)); }
  if [ -f _build-san/vimg ]; then
    # Failures are shown as they happen; the whole run has a time limit so
    # that a hang ends as a failure naming the suite, never as a stuck job.
    { timeout -k 30 "${VKIT_CHECK_TIMEOUT:-3000}" make -C _build-san -j"$(nproc)" check 2>&1
      echo $? >san.rc; } | tee san.out | grep --line-buffered -E '^(FAIL|ERROR|XPASS|SKIP)' || true
    [ "$(cat san.rc)" -eq 0 ] || rc=1
    unfinished _build-san
    log=_build-san
    pass=$((pass + $(count "$log" PASS)))
    fail=$((fail + $(count "$log" FAIL) + $(count "$log" ERROR) + $(count "$log" XPASS)))
    [ "$(count "$log" SKIP)" -eq 0 ] || echo "quickstart: some tests skipped (see _build-san/test-suite.log)"
  fi
  fuzz_tests
  package_test
  [ "$fail" -eq 0 ] || rc=1
  echo "$pass passed, $fail failed"
  return $rc
}

install_packages
build
if [ "$mode" = demo ]; then demo; else run_tests; fi
