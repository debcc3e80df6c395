#!/usr/bin/env bats
# vimg dd against qemu-img dd on the same input: the same bytes, the size
# qemu-img gives, a sparse output, and bad operands refused.

load ../helpers
load ../convert-helpers

bats_require_minimum_version 1.5.0

setup() {
  requires qemu-img python3
  TMP=$(mktemp -d)
  cd "$TMP" || return 1
  mkimage src.raw 8
  qemu-img convert -O qcow2 src.raw src.qcow2
}

teardown() {
  cd /
  rm -rf "$TMP"
}

# same_as_qemu FMT OPERAND...: vimg dd and qemu-img dd with the operands
# (of= added) give outputs of the same size and bytes.
same_as_qemu() {
  local fmt=$1
  shift
  run vimg dd -O "$fmt" "$@" of=ours
  assert_success
  assert_output ""
  qemu-img dd -O "$fmt" "$@" of=theirs
  assert_equal "$(qemu-img info --output=json ours | grep '"virtual-size"')" \
    "$(qemu-img info --output=json theirs | grep '"virtual-size"')"
  run qemu-img compare -q -F "$fmt" ours theirs
  assert_success
  if [ "$fmt" = qcow2 ]; then
    run qemu-img check -q ours
    assert_success
  fi
  rm -f ours theirs
}

@test "dd: whole images, parts with skip= and count=, bs= with a suffix, raw and qcow2 both ways" {
  same_as_qemu raw if=src.raw
  same_as_qemu raw if=src.qcow2
  same_as_qemu qcow2 if=src.raw
  same_as_qemu qcow2 if=src.raw bs=4096 skip=100
  same_as_qemu raw if=src.raw count=1000
  same_as_qemu raw if=src.qcow2 bs=1M count=3k
}

@test "dd: count= blocks after the skipped ones, as dd(1) copies them (qemu-img copies count minus skip)" {
  local ops
  for ops in "bs=64k skip=3 count=17" "bs=1000 skip=7 count=5000" "bs=1M skip=6 count=5"; do
    # shellcheck disable=SC2086
    run vimg dd -O qcow2 if=src.qcow2 $ops of=ours.qcow2
    assert_success
    # shellcheck disable=SC2086
    dd if=src.raw $ops of=want.raw status=none
    run qemu-img compare -q -f raw -F qcow2 want.raw ours.qcow2
    assert_success
    run qemu-img check -q ours.qcow2
    assert_success
    # shellcheck disable=SC2086
    run vimg dd if=src.raw $ops of=ours.raw
    assert_success
    cmp want.raw ours.raw
    rm -f ours.qcow2 ours.raw want.raw
  done
}

@test "dd: a skip past the end gives an empty output; count=0 too" {
  same_as_qemu raw if=src.raw bs=1M skip=9
  same_as_qemu raw if=src.raw count=0
}

@test "dd: the output stays sparse where the input has holes and zeros" {
  run vimg dd if=src.qcow2 of=out.raw bs=1M
  assert_success
  cmp src.raw out.raw
  [ "$(allocated_kib out.raw)" -le "$(allocated_kib src.raw)" ]
}

@test "dd: bad operands are usage errors, a missing input exit 3, nothing left behind" {
  local bad
  for bad in "if=src.raw" "of=out" "if=src.raw of=out bs=0" "if=src.raw of=out bs=lots" \
    "if=src.raw of=out count=-1" "if=src.raw of=out conv=notrunc" "if=src.raw of=out junk" \
    "if=src.raw if=src.raw of=out" "if=src.raw of=out bs=1 bs=2" "if= of=out"; do
    # shellcheck disable=SC2086
    run --separate-stderr vimg dd $bad
    [ "$status" -eq 2 ] || fail "'$bad': status $status: $stderr"
    assert_equal "${#stderr_lines[@]}" 1
    [ ! -e out ] || fail "'$bad' left out behind"
  done
  run vimg dd if=nosuch.raw of=out
  assert_failure 3
  [ ! -e out ]
  run vimg dd -O qed if=src.raw of=out
  assert_failure 2
  [ ! -e out ]
}
