#!/usr/bin/env bats
# Image locks against a real QEMU (qemu-storage-daemon) and qemu-img.

load ../image-helpers

setup() {
  requires qemu-img qemu-storage-daemon
  image_setup
  QSD_PID=
}

teardown() {
  [ -z "$QSD_PID" ] || { kill "$QSD_PID" 2>/dev/null; wait "$QSD_PID" 2>/dev/null; }
  [ -z "${HOLD_PID:-}" ] || { kill "$HOLD_PID" 2>/dev/null; wait "$HOLD_PID" 2>/dev/null; }
  image_teardown
}

# Serve IMG read-write over NBD, as a VM would hold it.
start_qsd() {
  qemu-storage-daemon \
    --blockdev driver=file,filename="$1",node-name=file0 \
    --blockdev driver=qcow2,file=file0,node-name=fmt0 \
    --nbd-server addr.type=unix,addr.path="$TMP/nbd.sock" \
    --export type=nbd,id=exp0,node-name=fmt0,writable=on &
  QSD_PID=$!
  local i
  for i in $(seq 100); do
    grep -q OFDLCK /proc/locks && [ -S "$TMP/nbd.sock" ] && return 0
    sleep 0.1
  done
  fail "qemu-storage-daemon did not start"
}

@test "an image QEMU holds read-write: vimg refuses writes (exit 5), reads only with -U" {
  vimg create -f qcow2 disk.qcow2 64M
  start_qsd disk.qcow2
  run --separate-stderr vimg resize -f qcow2 disk.qcow2 +1M
  assert_failure 5
  [[ $stderr == *"in use"* ]] || fail "unexpected message: $stderr"
  run --separate-stderr vio -f qcow2 disk.qcow2 write 0 512 1
  assert_failure 5
  run --separate-stderr vimg info disk.qcow2
  assert_failure 5
  run vimg info -U --json disk.qcow2
  assert_success
  assert_equal "$(echo "$output" | json_get 'j["virtual_size"]')" 67108864
  run vio -U disk.qcow2 readall
  assert_success
  run --separate-stderr vimg create -f qcow2 --force disk.qcow2 1G
  assert_failure 5
  # still the same image
  assert_equal "$(qemu_info disk.qcow2 'j["virtual-size"]')" 67108864
}

@test "while vimg writes an image, qemu-img info without -U fails" {
  vimg create -f qcow2 disk.qcow2 64M
  coproc HOLD { exec "$VK_BUILDDIR/tests/unit/test-image-io" -f qcow2 disk.qcow2 hold 30; }
  HOLD_PID=$HOLD_PID
  read -r -t 10 line <&"${HOLD[0]}" || fail "holder did not start"
  assert_equal "$line" holding
  run qemu-img info disk.qcow2
  assert_failure
  [[ $output == *"lock"* ]] || fail "unexpected: $output"
  run qemu-img info -U disk.qcow2
  assert_success
  run --separate-stderr vio -f qcow2 disk.qcow2 write 0 1 1
  assert_failure 5
  kill "$HOLD_PID"
  wait "$HOLD_PID" 2>/dev/null || true
  HOLD_PID=
  run qemu-img info disk.qcow2
  assert_success
}

@test "two readers share an image; a writer excludes readers" {
  vimg create -f qcow2 disk.qcow2 64M
  coproc HOLD { exec "$VK_BUILDDIR/tests/unit/test-image-io" -r disk.qcow2 hold 30; }
  HOLD_PID=$HOLD_PID
  read -r -t 10 line <&"${HOLD[0]}" || fail "holder did not start"
  run vimg info disk.qcow2
  assert_success
  run qemu-img info disk.qcow2
  assert_success
  run --separate-stderr vimg resize -f qcow2 disk.qcow2 +1M
  assert_failure 5
}
