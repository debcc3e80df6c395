#!/usr/bin/env bats
# vimg amend against qemu-img amend: compat, lazy_refcounts and
# refcount_bits changed in
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
  assert_equal "$(info_line "$2" 'refcount bits')" "$(info_line theirs.qcow2 'refcount bits')"
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
  for o in cluster_size=4k extended_l2=on compression_type=zstd refcount_bits=3 \
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

# amend_alone OPTS FILE BITS: vimg amend -o OPTS gives refcounts of BITS
# bits, the same content, qemu-img check clean (for what qemu-img amend
# cannot do: it does not finish a refcount_bits change with 2 MiB
# clusters, QEMU 7.2).
amend_alone() {
  qemu-img convert -O raw "$2" before.raw
  run vimg amend -o "$1" "$2"
  assert_success
  assert_equal "$(info_line "$2" 'refcount bits')" "    refcount bits: $3"
  run qemu-img check -q "$2"
  assert_success
  run qemu-img compare -q before.raw "$2"
  assert_success
}

@test "amend refcount_bits 16 -> 1 -> 64 -> 2 -> 8 -> 32 -> 4 -> 16 as qemu-img amend; 512 B, 64 KiB and 2 MiB clusters, snapshots, bitmaps, compressed and zero clusters" {
  local cs b
  for cs in 512 65536 2097152; do
    rm -f ./*.qcow2
    qemu-img create -q -f qcow2 -o cluster_size=$cs img.qcow2 64M
    qemu-io -c "write -P 1 0 3M" -c "write -z 8M 1M" -c "write -P 2 40M 2M" img.qcow2 >/dev/null
    qemu-io -c "write -c -P 3 20M $cs" img.qcow2 >/dev/null
    qemu-img bitmap --add img.qcow2 bm
    qemu-io -c "write -P 5 1M 64k" img.qcow2 >/dev/null
    for b in 1 64 2 8 32 4 16; do
      if [ "$cs" = 2097152 ]; then
        amend_alone refcount_bits=$b img.qcow2 $b
      else
        same_as_qemu refcount_bits=$b img.qcow2
      fi
    done
    # the bitmap kept its bits
    run python3 "$VK_SRCDIR/tests/qcow2-edit.py" img.qcow2 bitmaps
    assert_output --regexp "^bm flags=2 granularity=[0-9]+ set=[0-9]"
    # shared clusters: 1 bit cannot hold a refcount of 2; 2 bits can
    qemu-img snapshot -c one img.qcow2
    cp img.qcow2 orig.qcow2
    run --separate-stderr vimg amend -o refcount_bits=1 img.qcow2
    assert_failure 1
    [[ $stderr == *"has a refcount of 2"* ]] || fail "$stderr"
    cmp img.qcow2 orig.qcow2
    amend_alone refcount_bits=2 img.qcow2 2
    amend_alone refcount_bits=64 img.qcow2 64
  done
}

@test "amend: refcount_bits with compat, both ways; what cannot be is refused" {
  qemu-img create -q -f qcow2 -o compat=0.10 v2.qcow2 8M
  qemu-io -c "write -P 1 0 1M" v2.qcow2 >/dev/null
  cp v2.qcow2 orig.qcow2
  run --separate-stderr vimg amend -o refcount_bits=1 v2.qcow2
  assert_failure 2
  [[ $stderr == *"refcount_bits=1 needs compat=1.1"* ]] || fail "$stderr"
  cmp v2.qcow2 orig.qcow2
  same_as_qemu compat=1.1,refcount_bits=1 v2.qcow2
  run --separate-stderr vimg amend -o compat=0.10 v2.qcow2
  assert_failure 2
  [[ $stderr == *"cannot amend to compat=0.10: its refcounts are 1 bits wide"* ]] || fail "$stderr"
  same_as_qemu compat=0.10,refcount_bits=16 v2.qcow2
}

# after_width_kill N: the old width or the new, the data intact.
after_width_kill() {
  local got
  got=$(info_line c.qcow2 'refcount bits')
  [[ $got == *": 16" || $got == *": 2" ]] || fail "write $1: $got"
  run qemu-img compare -q data.raw c.qcow2
  assert_success
}

@test "amend refcount_bits killed at each write: the old width or the new, at worst leaks, the data intact" {
  requires strace
  qemu-img create -q -f qcow2 img.qcow2 64M
  qemu-io -c "write -P 1 0 3M" -c "write -P 2 40M 2M" img.qcow2 >/dev/null
  qemu-img convert -O raw img.qcow2 data.raw
  kill_at_each_write 3 img.qcow2 after_width_kill amend -o refcount_bits=2 c.qcow2
}

@test "amend compat=0.10 writes zero clusters out as qemu-img amend does: plain and preallocated ones, with and without a backing file" {
  local bk
  for bk in none qcow2; do
    rm -f ./*.qcow2
    if [ "$bk" = none ]; then
      qemu-img create -q -f qcow2 z.qcow2 16M
    else
      qemu-img create -q -f qcow2 b.qcow2 16M
      qemu-io -c "write -P 9 0 16M" b.qcow2 >/dev/null
      qemu-img create -q -f qcow2 -b b.qcow2 -F qcow2 z.qcow2
    fi
    # preallocated zeros (1M..2M over data), plain zeros (8M..10M, and
    # 2M..2.5M unmapped)
    qemu-io -c "write -P 1 0 4M" -c "write -z 1M 1M" -c "write -z 8M 2M" -c "write -z -u 2M 512k" \
      z.qcow2 >/dev/null
    same_as_qemu compat=0.10 z.qcow2
    [ "$(stat -c %s z.qcow2)" -eq "$(stat -c %s theirs.qcow2)" ] || fail "$bk: sizes differ"
  done
}

# same_data N: the data as it was.
same_data() {
  run qemu-img compare -q data.raw c.qcow2
  assert_success
}

@test "amend compat=0.10 with zero clusters killed at each write: still compat=1.1 or 0.10, at worst leaks, the data intact" {
  requires strace
  qemu-img create -q -f qcow2 b.qcow2 16M
  qemu-io -c "write -P 9 0 16M" b.qcow2 >/dev/null
  qemu-img create -q -f qcow2 -b b.qcow2 -F qcow2 img.qcow2
  qemu-io -c "write -P 1 0 4M" -c "write -z 1M 1M" -c "write -z 8M 2M" img.qcow2 >/dev/null
  qemu-img convert -O raw img.qcow2 data.raw
  kill_at_each_write 3 img.qcow2 same_data amend -o compat=0.10 c.qcow2
}
