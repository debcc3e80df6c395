#!/usr/bin/env bats
# kill -9 a writer at random moments: the image shows at worst leaks, and
# everything flushed before the kill reads back.

load image-helpers

setup() {
  requires qemu-img
  image_setup
}

teardown() {
  image_teardown
}

crash_runs() {
  local opts=$1 runs=$2 i pid status flushed total=0
  for i in $(seq "$runs"); do
    rm -f c.qcow2 journal
    vimg create -f qcow2 -o "$opts" c.qcow2 64M
    "$VK_BUILDDIR/tests/unit/test-image-io" -f qcow2 c.qcow2 crashloop journal &
    pid=$!
    sleep "0.$((RANDOM % 40 + 2))"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    run qemu-img check c.qcow2
    [ "$status" -eq 0 ] || [ "$status" -eq 3 ] || fail "run $i ($opts): qemu-img check status $status: $output"
    run vio -f qcow2 -r c.qcow2 crashcheck journal
    [ "$status" -eq 0 ] || fail "run $i ($opts): flushed data lost: $output"
    flushed=$output
    total=$((total + 1))
  done
  echo "# $total kill -9 runs with $opts (last run: $flushed slots flushed)" >&3
}

@test "kill -9 during writes: 4k clusters, refcount_bits=16" {
  crash_runs cluster_size=4k 15
}

@test "kill -9 during writes: 512-byte clusters, refcount_bits=64 (refcount table growth)" {
  crash_runs cluster_size=512,refcount_bits=64 15
}

@test "kill -9 during writes: lazy refcounts, extended L2" {
  crash_runs lazy_refcounts=on,extended_l2=on 10
}
