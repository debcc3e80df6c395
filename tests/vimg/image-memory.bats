#!/usr/bin/env bats
# Memory bounded by the work, not by the chain: measured against qemu-img
# in the same run.  Registered in the plain build only (a sanitizer's
# shadow memory and quarantine are not vkit's); quickstart's distcheck
# runs it, so CI does.

load ../image-helpers

setup() {
  image_setup
}

teardown() {
  image_teardown
}

@test "memory: a 64-image chain converts in at most twice qemu-img's peak memory, and maps in a 2 GB address space" {
  requires /usr/bin/time
  qemu-img create -q -f qcow2 c0.qcow2 1G
  qemu-io -c 'write -P 1 0 4M' c0.qcow2 >/dev/null
  local i
  for i in $(seq 1 63); do
    qemu-img create -q -f qcow2 -b "c$((i - 1)).qcow2" -F qcow2 "c$i.qcow2"
    qemu-io -c "write -P $i $((i * 1024 * 1024)) 64k" "c$i.qcow2" >/dev/null
  done
  /usr/bin/time -f %M -o q.rss qemu-img convert -O raw c63.qcow2 q.raw
  /usr/bin/time -f %M -o v.rss "$VK_BUILDDIR/vimg" convert -O raw c63.qcow2 v.raw
  cmp q.raw v.raw
  [ "$(cat v.rss)" -le $((2 * $(cat q.rss))) ] ||
    fail "vimg peak RSS $(cat v.rss) KiB, qemu-img $(cat q.rss) KiB"
  run bash -c 'ulimit -v 2000000 && "$VK_BUILDDIR/vimg" map c63.qcow2 >/dev/null'
  assert_success
  run vimg info --backing-chain --json c63.qcow2
  assert_success
  [ "$(json_get 'len(j)' <<<"$output")" = 64 ]
}
