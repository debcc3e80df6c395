#!/usr/bin/env bats
# vctl event against the real daemon: the counter guest started, paused,
# resumed and destroyed while a watcher prints what libvirt reports.

bats_require_minimum_version 1.5.0
load ../virt-helpers

setup_file() {
  requires virsh qemu-img qemu-system-x86_64 as ld python3
  "$VK_SRCDIR/tests/libvirtd-start.sh"
  export LIBVIRT_DEFAULT_URI=qemu:///system
  export NAME=vkit-t13-ev-$$-$RANDOM
  export DISK=$BATS_FILE_TMPDIR/$NAME.qcow2 SERIAL=$BATS_FILE_TMPDIR/serial.log
  make_counter_disk "$DISK"
  guest_xml "$NAME" "$DISK" "$SERIAL" "$(cat /proc/sys/kernel/random/uuid)" > "$BATS_FILE_TMPDIR/g.xml"
  virsh -q define "$BATS_FILE_TMPDIR/g.xml" >/dev/null
}

teardown_file() {
  remove_guest "$NAME"
}

# watch OUT ARGS...: a watcher in the background, its pid in $WATCHER;
# returns once it has registered (its connection is open).
watch() {
  local out=$1
  shift
  env --default-signal=INT "$VK_BUILDDIR/vctl" event "$@" > "$out" 2> "$out.err" &
  WATCHER=$!
  # the watcher is ready when libvirt has its callbacks: give it a moment
  sleep 1
}

@test "event --loop --json: each lifecycle change of the guest, in order, one object a line" {
  vctl destroy --idempotent "$NAME" >/dev/null
  watch "$BATS_TEST_TMPDIR/ev" --loop --json --domain "$NAME"
  vctl start "$NAME" >/dev/null
  wait_for_count "$SERIAL" 1 60
  vctl suspend "$NAME" >/dev/null
  vctl resume "$NAME" >/dev/null
  vctl destroy "$NAME" >/dev/null
  for _ in $(seq 1 100); do
    grep -q "Stopped Destroyed" "$BATS_TEST_TMPDIR/ev" && break
    sleep 0.1
  done
  kill -INT "$WATCHER"
  local rc=0
  wait "$WATCHER" || rc=$?
  assert_equal "$rc" 130
  grep -q "events received" "$BATS_TEST_TMPDIR/ev.err"
  python3 - "$BATS_TEST_TMPDIR/ev" "$NAME" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert all(e["domain"] == sys.argv[2] and e["event"] == "lifecycle" for e in lines), lines
details = [e["detail"] for e in lines]
# in this order, with what else libvirt reports between them (QEMU starts
# paused and is resumed; a destroy is also reported as a shutdown)
want = ["Started Booted", "Suspended Paused", "Resumed Unpaused", "Stopped Destroyed"]
it = iter(details)
assert all(w in it for w in want), details
assert all(set(e) == {"time", "domain", "uuid", "event", "detail"} for e in lines)
assert all(e["time"].endswith("Z") and "T" in e["time"] for e in lines)
PY
}

@test "event without --loop: the first event ends it (exit 0); --timestamp; virsh's wording" {
  vctl destroy --idempotent "$NAME" >/dev/null
  watch "$BATS_TEST_TMPDIR/one" --timestamp --domain "$NAME" --timeout 60
  vctl start "$NAME" >/dev/null
  local rc=0
  wait "$WATCHER" || rc=$?
  assert_equal "$rc" 0
  run cat "$BATS_TEST_TMPDIR/one"
  assert_output --regexp "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}\.[0-9]{3}[+-][0-9]{4}: event 'lifecycle' for domain '$NAME': (Started Booted|Resumed Unpaused)$"
  assert_equal "${#lines[@]}" 1
  vctl destroy "$NAME" >/dev/null
}

@test "event --timeout with nothing happening: exit 4; bad names exit 2, an unknown domain 3" {
  run --separate-stderr vctl event --domain "$NAME" --timeout 1
  assert_failure 4
  assert_equal "$stderr" "vctl: no event within 1 s"
  run vctl event --event bogus --timeout 1
  assert_failure 2
  run vctl event --all --event reboot
  assert_failure 2
  run vctl event --domain "nosuch-$NAME" --timeout 1
  assert_failure 3
  run vctl event --list
  assert_success
  assert_line lifecycle
  assert_line device-removed
  assert_line block-job
  run vctl event --timeout soon
  assert_failure 2
}

@test "event --all sees more than lifecycle: a reboot of the guest" {
  vctl destroy --idempotent "$NAME" >/dev/null
  watch "$BATS_TEST_TMPDIR/all" --all --loop --json --domain "$NAME" --timeout 60
  vctl start "$NAME" >/dev/null
  wait_for_count "$SERIAL" 1 60
  virsh -q reset "$NAME" >/dev/null
  for _ in $(seq 1 50); do
    grep -q '"event":"reboot"' "$BATS_TEST_TMPDIR/all" && break
    sleep 0.1
  done
  vctl destroy "$NAME" >/dev/null
  kill -INT "$WATCHER"
  wait "$WATCHER" || true
  grep -q '"event":"reboot"' "$BATS_TEST_TMPDIR/all"
  grep -q '"detail":"Started Booted"' "$BATS_TEST_TMPDIR/all"
}
