#!/usr/bin/env bats
# vimg rebase against qemu-img rebase on the same chains: what the image
# reads never changes (safe mode), the header is what qemu-img writes,
# qemu-img check stays clean.

load ../helpers

bats_require_minimum_version 1.5.0

setup() {
  requires qemu-img qemu-io
  enter_tmpdir
}

teardown() {
  leave_tmpdir
}

# chain OPTS: base <- mid <- top in the working directory, qcow2 with
# OPTS, with data, zero clusters over data and holes at every level;
# top is smaller than base (a backing file larger than its overlay).
chain() {
  qemu-img create -q -f qcow2 -o "$1" base.qcow2 8M
  qemu-io -c "write -P 1 0 3M" -c "write -P 2 5M 1M" -c "write -P 7 7M 1M" base.qcow2 >/dev/null
  qemu-img create -q -f qcow2 -o "$1" -b base.qcow2 -F qcow2 mid.qcow2 8M
  qemu-io -c "write -P 3 1M 1M" -c "write -z 2M 512k" -c "write -P 4 6M 64k" mid.qcow2 >/dev/null
  qemu-img create -q -f qcow2 -o "$1" -b mid.qcow2 -F qcow2 top.qcow2 7M
  qemu-io -c "write -P 5 100k 4k" -c "write -z 5M 64k" top.qcow2 >/dev/null
  qemu-img convert -O raw top.qcow2 before.raw
  cp top.qcow2 theirs.qcow2
}

# same_as_qemu FILE: reads as before, as qemu-img's rebase of the same
# image, passes qemu-img check, and records the same backing file.
same_as_qemu() {
  run qemu-img compare -q before.raw "$1"
  assert_success
  run qemu-img compare -q theirs.qcow2 "$1"
  assert_success
  run qemu-img check -q "$1"
  assert_success
  assert_equal "$(qemu-img info "$1" | grep backing)" "$(qemu-img info theirs.qcow2 | grep backing)"
}

@test "rebase onto the bottom of the chain, with 512 B, 64 KiB and 2 MiB clusters and extended L2" {
  local o
  for o in cluster_size=512 cluster_size=65536 cluster_size=2097152 \
    cluster_size=65536,extended_l2=on; do
    rm -f ./*.qcow2 before.raw
    chain "$o"
    run vimg rebase -b base.qcow2 -F qcow2 top.qcow2
    assert_success
    assert_output ""
    qemu-img rebase -q -b base.qcow2 -F qcow2 theirs.qcow2
    same_as_qemu top.qcow2
  done
}

@test "rebase -b '' flattens: the image stands alone and reads as before" {
  chain cluster_size=65536
  run vimg rebase -b "" top.qcow2
  assert_success
  qemu-img rebase -q -b "" theirs.qcow2
  same_as_qemu top.qcow2
  run qemu-img info top.qcow2
  refute_output --partial "backing file"
}

@test "rebase onto another file: a raw copy of the middle, the format detected; names relative to the image" {
  chain cluster_size=65536
  mkdir sub
  qemu-img convert -O raw mid.qcow2 sub/mid.raw
  # the name is resolved against the image's directory, not the caller's
  cd sub
  run vimg rebase -b mid.raw ../top.qcow2
  assert_failure 3
  cd ..
  run vimg rebase -b sub/mid.raw top.qcow2
  assert_success
  qemu-img rebase -q -b sub/mid.raw -F raw theirs.qcow2
  same_as_qemu top.qcow2
  run qemu-img info --output=json top.qcow2
  assert_output --partial '"backing-filename": "sub/mid.raw"'
  assert_output --partial '"backing-filename-format": "raw"'
}

@test "rebase -u rewrites the header only" {
  chain cluster_size=65536
  qemu-img convert -O qcow2 mid.qcow2 mid-flat.qcow2
  run vimg rebase -u -b mid-flat.qcow2 top.qcow2
  assert_success
  qemu-img rebase -q -u -b mid-flat.qcow2 -F qcow2 theirs.qcow2
  same_as_qemu top.qcow2
  # the data was not touched: top still holds only its own clusters
  assert_equal "$(qemu-img map --output=json top.qcow2 | grep -c '"depth": 0, .*"data": true')" \
    "$(qemu-img map --output=json theirs.qcow2 | grep -c '"depth": 0, .*"data": true')"
  # a backing file that does not exist (yet) needs -F
  run vimg rebase -u -b later.qcow2 top.qcow2
  assert_failure 2
  assert_output --partial "give its format with -F"
  run vimg rebase -u -b later.qcow2 -F qcow2 top.qcow2
  assert_success
  run qemu-img info -U top.qcow2
  assert_output --partial "backing file: later.qcow2"
}

@test "rebase: bad input is refused and changes nothing" {
  chain cluster_size=65536
  cp top.qcow2 orig.qcow2
  run vimg rebase top.qcow2
  assert_failure 2
  assert_output --partial "-b"
  run vimg rebase -b nosuch.qcow2 top.qcow2
  assert_failure 3
  run vimg rebase -b base.qcow2 -F dmg top.qcow2
  assert_failure 2
  # a format vimg reads, that the file is not: corrupt as that format
  run vimg rebase -b base.qcow2 -F vmdk top.qcow2
  assert_failure 7
  assert_output --partial "corrupt vmdk image"
  run vimg rebase -b base.qcow2 before.raw
  assert_failure 2
  assert_output --partial "raw images have no backing file"
  run vimg rebase -b base.qcow2 nosuch.qcow2
  assert_failure 3
  cmp top.qcow2 orig.qcow2
  # an image in use for writing is not touched (exit 5)
  qemu-io -c "sleep 3000" top.qcow2 &
  pid=$!
  sleep 1
  run vimg rebase -b base.qcow2 top.qcow2
  kill "$pid"
  wait "$pid" || true
  assert_failure 5
  cmp top.qcow2 orig.qcow2
}

@test "rebase interrupted by SIGINT: the image stays on its old backing file and reads as before" {
  head -c 256M /dev/urandom > big.raw
  qemu-img convert -O qcow2 big.raw base.qcow2
  qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2
  # (a shell starts background jobs with SIGINT ignored: restore it)
  env --default-signal=INT "$VK_BUILDDIR/vimg" rebase -b "" top.qcow2 2> err &
  pid=$!
  for _ in $(seq 50); do
    [ "$(stat -c %s top.qcow2)" -gt 1048576 ] && break
    sleep 0.02
  done
  kill -INT "$pid"
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 130 ] || fail "vimg ended with $rc (want 130, SIGINT): $(cat err)"
  grep -q "still on its old backing file" err
  run qemu-img info top.qcow2
  assert_output --partial "backing file: base.qcow2"
  run qemu-img compare -q big.raw top.qcow2
  assert_success
  run qemu-img check -q top.qcow2
  assert_success
}
