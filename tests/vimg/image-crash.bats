#!/usr/bin/env bats
# kill -9 a writer at random moments: the image shows at worst leaks, and
# everything flushed before the kill reads back.

load ../image-helpers

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
    if [[ $opts == *lazy_refcounts=on* ]]; then
      # A dirty image opened for writing gets its refcounts rebuilt.  (The
      # last 512 bytes are past the crash loop's slots.)
      run vio -f qcow2 c.qcow2 write 67108352 512 7
      [ "$status" -eq 0 ] || fail "run $i ($opts): the dirty image is not writable: $output"
      run qemu-img check c.qcow2
      [ "$status" -eq 0 ] || fail "run $i ($opts): after the repair, qemu-img check status $status: $output"
      run vio -f qcow2 -r c.qcow2 crashcheck journal
      [ "$status" -eq 0 ] || fail "run $i ($opts): flushed data lost in the repair: $output"
    fi
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

# qemu-io killed with lazy refcounts: the image is dirty and its refcounts
# are stale.
mkdirty() {
  qemu-img create -q -f qcow2 -o lazy_refcounts=on "$1" 64M
  qemu-io -c 'write -P 0x11 0 64k' -c 'write -P 0x22 1M 192k' -c 'sigraise 9' "$1" >/dev/null 2>&1 || true
  run qemu-img info "$1"
  assert_line --partial "cleanly shut down: no"
}

@test "a dirty image made by qemu-io: read-only opens leave it alone" {
  mkdirty d.qcow2
  cp d.qcow2 before.qcow2
  run vimg convert -O raw d.qcow2 d.raw
  assert_success
  run vio -f qcow2 -r d.qcow2 read 0 64k 0x11 read 1M 192k 0x22
  assert_success
  cmp d.qcow2 before.qcow2
}

@test "a dirty image made by qemu-io is repaired when opened for writing" {
  mkdirty d.qcow2
  run vimg resize -f qcow2 d.qcow2 +1M
  assert_success
  assert_output "vimg: d.qcow2: the image was not closed cleanly (lazy refcounts): its refcounts were rebuilt (4 fixed)"
  assert_qemu_clean d.qcow2
  run qemu-img info d.qcow2
  refute_line --partial "cleanly shut down: no"
  run vio -f qcow2 d.qcow2 read 0 64k 0x11 read 1M 192k 0x22 write 2M 64k 0x33
  assert_success
  assert_qemu_clean d.qcow2
  run qemu-io -r -c 'read -P 0x22 1M 192k' -c 'read -P 0x33 2M 64k' d.qcow2
  refute_output --partial "verification failed"
}

@test "a dirty image in use by another writer is refused, not repaired" {
  mkdirty d.qcow2
  cp d.qcow2 before.qcow2
  vio -f qcow2 -r d.qcow2 hold 30 >held &
  pid=$!
  for _ in $(seq 100); do grep -q holding held && break; sleep 0.1; done
  # hold takes a read lock: a writer must wait (exit 5)
  run -5 vio -f qcow2 d.qcow2 write 0 512 1
  kill "$pid"; wait "$pid" || true
  cmp d.qcow2 before.qcow2
}

@test "a dirty qemu-io image whose refcount table grew (512-byte clusters) is repaired too" {
  qemu-img create -q -f qcow2 -o lazy_refcounts=on,cluster_size=512 d.qcow2 64M
  qemu-io -c 'write -P 0x55 0 12M' -c 'sigraise 9' d.qcow2 >/dev/null 2>&1 || true
  run qemu-img check d.qcow2
  assert_failure
  run vio -f qcow2 d.qcow2 write 20M 64k 0x56
  assert_success
  assert_qemu_clean d.qcow2
  run qemu-io -r -c 'read -P 0x55 0 12M' -c 'read -P 0x56 20M 64k' d.qcow2
  refute_output --partial "verification failed"
}

# drop_refblock FILE INDEX: zero refcount table entry INDEX and set the
# dirty bit (what a crash with lazy refcounts may leave).
drop_refblock() {
  python3 - "$1" "$2" <<'PY'
import struct, sys
path, idx = sys.argv[1], int(sys.argv[2])
with open(path, 'r+b') as f:
    f.seek(48); rto = struct.unpack('>Q', f.read(8))[0]
    f.seek(rto + 8 * idx); f.write(bytes(8))
    f.seek(72); v = struct.unpack('>Q', f.read(8))[0]
    f.seek(72); f.write(struct.pack('>Q', v | 1))
PY
}

@test "a dirty image missing refcount blocks, or with too short a refcount table, is rebuilt" {
  qemu-img create -q -f qcow2 -o lazy_refcounts=on,cluster_size=512 d.qcow2 64M
  qemu-io -c 'write -P 0x57 0 12M' d.qcow2 >/dev/null
  cp d.qcow2 e.qcow2
  drop_refblock d.qcow2 3
  drop_refblock d.qcow2 90
  run vio -f qcow2 d.qcow2 write 13M 64k 0x58
  assert_success
  assert_qemu_clean d.qcow2
  run qemu-io -r -c 'read -P 0x57 0 12M' -c 'read -P 0x58 13M 64k' d.qcow2
  refute_output --partial "verification failed"
  # the table shrunk to one cluster: the rest of the blocks are lost
  python3 -c '
import struct, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(56); f.write(struct.pack(">I", 1))
    f.seek(72); v = struct.unpack(">Q", f.read(8))[0]; f.seek(72); f.write(struct.pack(">Q", v | 1))
' e.qcow2
  run vio -f qcow2 e.qcow2 write 13M 64k 0x58
  assert_success
  assert_qemu_clean e.qcow2
  run qemu-io -r -c 'read -P 0x57 0 12M' -c 'read -P 0x58 13M 64k' e.qcow2
  refute_output --partial "verification failed"
}
