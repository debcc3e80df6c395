#!/usr/bin/env bats
# vimg amend against qemu-img amend: compat and lazy_refcounts changed in
# place, the content unchanged, qemu-img check clean; what cannot be
# changed is refused with the reason and leaves the image as it was.

load ../helpers

bats_require_minimum_version 1.5.0

setup() {
  requires qemu-img qemu-io
  enter_tmpdir
}

teardown() {
  leave_tmpdir
}

# info_line FILE KEY: the "KEY: value" line of qemu-img info.
info_line() {
  qemu-img info "$1" | grep -E "^ +$2:"
}

# same_as_qemu OPTS FILE: vimg amend -o OPTS on FILE and qemu-img amend on a
# copy give the same compat and lazy refcounts, the same content, clean.
same_as_qemu() {
  cp "$2" theirs.qcow2
  qemu-img convert -O raw "$2" before.raw
  run vimg amend -o "$1" "$2"
  assert_success
  assert_output ""
  qemu-img amend -o "$1" theirs.qcow2
  assert_equal "$(info_line "$2" compat)" "$(info_line theirs.qcow2 compat)"
  assert_equal "$(info_line "$2" 'lazy refcounts')" "$(info_line theirs.qcow2 'lazy refcounts')"
  assert_equal "$(qemu-img info "$2" | grep 'backing file')" \
    "$(qemu-img info theirs.qcow2 | grep 'backing file')"
  run qemu-img check -q "$2"
  assert_success
  run qemu-img compare -q before.raw "$2"
  assert_success
}

@test "amend compat=1.1 and back to 0.10, lazy_refcounts on and off; 512 B and 2 MiB clusters, a backing file" {
  local cs
  for cs in 512 65536 2097152; do
    rm -f ./*.qcow2
    qemu-img create -q -f qcow2 -o compat=0.10,cluster_size=$cs base.qcow2 8M
    qemu-io -c "write -P 1 0 3M" base.qcow2 >/dev/null
    qemu-img create -q -f qcow2 -o compat=0.10,cluster_size=$cs -b base.qcow2 -F qcow2 img.qcow2
    qemu-io -c "write -P 2 1M 1M" img.qcow2 >/dev/null
    same_as_qemu compat=1.1 img.qcow2
    same_as_qemu lazy_refcounts=on img.qcow2
    # a write with lazy refcounts on: the image is still clean when closed
    qemu-io -c "write -P 4 5M 64k" img.qcow2 >/dev/null
    same_as_qemu lazy_refcounts=off img.qcow2
    same_as_qemu compat=0.10 img.qcow2
    same_as_qemu compat=v3,lazy_refcounts=on img.qcow2
  done
}

@test "amend to compat=0.10 refuses what only 1.1 stores, with the reason; the image is unchanged" {
  local o
  for o in extended_l2=on compression_type=zstd refcount_bits=1; do
    qemu-img create -q -f qcow2 -o "$o" v3.qcow2 8M
    cp v3.qcow2 orig.qcow2
    run --separate-stderr vimg amend -o compat=0.10 v3.qcow2
    assert_failure 2
    [[ "$stderr" == *"cannot amend to compat=0.10: it"* ]] || fail "$o: $stderr"
    cmp v3.qcow2 orig.qcow2
  done
  qemu-img create -q -f qcow2 z.qcow2 8M
  qemu-io -c "write -z 0 64k" z.qcow2 >/dev/null
  run --separate-stderr vimg amend -o compat=0.10 z.qcow2
  assert_failure 2
  [[ "$stderr" == *"zero clusters"* ]]
  qemu-img create -q -f qcow2 s.qcow2 8M
  qemu-img snapshot -c one s.qcow2
  run --separate-stderr vimg amend -o compat=0.10 s.qcow2
  assert_failure 2
  [[ "$stderr" == *"internal snapshots"* ]]
  run --separate-stderr vimg amend -o compat=0.10,lazy_refcounts=on s.qcow2
  assert_failure 2
  [[ "$stderr" == *"lazy_refcounts=on needs compat=1.1"* ]]
}

@test "amend: options it cannot change, bad input, an image in use" {
  qemu-img create -q -f qcow2 img.qcow2 8M
  cp img.qcow2 orig.qcow2
  local o
  for o in cluster_size=4k extended_l2=on compression_type=zstd refcount_bits=8 \
    preallocation=full backing_file=x.qcow2 size=1G compat=2 lazy_refcounts=maybe bogus=1; do
    run --separate-stderr vimg amend -o "$o" img.qcow2
    [ "$status" -eq 2 ] || fail "$o: status $status"
    assert_equal "${#stderr_lines[@]}" 1
  done
  run --separate-stderr vimg amend -o cluster_size=4k img.qcow2
  [[ "$stderr" == *"vimg convert"* ]]
  run vimg amend img.qcow2
  assert_failure 2
  run vimg amend -o compat=1.1 nosuch.qcow2
  assert_failure 3
  truncate -s 1M raw.img
  run vimg amend -o compat=1.1 raw.img
  assert_failure 2
  assert_output --partial "raw images have no options to amend"
  cmp img.qcow2 orig.qcow2
  qemu-io -c "sleep 3000" img.qcow2 &
  pid=$!
  sleep 1
  run vimg amend -o lazy_refcounts=on img.qcow2
  kill "$pid"
  wait "$pid" || true
  assert_failure 5
  cmp img.qcow2 orig.qcow2
}
