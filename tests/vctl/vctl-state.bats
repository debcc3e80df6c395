#!/usr/bin/env bats
# vctl snapshots, saved state and live block jobs on a real guest
# (qemu:///system, TCG): the counter fixture counts once a second on its
# serial file and writes the count into its disk, so each test can tell
# from the guest itself whether its memory came back from a snapshot, a
# saved state or a managed save, and where its writes landed.  The tests
# run in order and share one domain, named per run.

bats_require_minimum_version 1.5.0
load ../virt-helpers

setup_file() {
  requires virsh qemu-img qemu-system-x86_64 as ld
  "$VK_SRCDIR/tests/libvirtd-start.sh"
  export LIBVIRT_DEFAULT_URI=qemu:///system
  export NAME=vkit-t11-$$-$RANDOM
  export D=$BATS_FILE_TMPDIR
  export DISK=$D/disk.qcow2 SERIAL=$D/serial.log
  # a base with a non-default cluster size: overlays must keep it
  make_counter_disk "$DISK" 4M cluster_size=32768
  guest_xml "$NAME" "$DISK" "$SERIAL" "$(cat /proc/sys/kernel/random/uuid)" > "$D/guest.xml"
  # the same guest on a raw disk, never started
  export RAWNAME=$NAME-raw
  "$VK_SRCDIR/tests/fixtures/make-bootsector.sh" "$D/raw.img" counter
  truncate -s 4M "$D/raw.img"
  guest_xml "$RAWNAME" "$D/raw.img" /dev/null "$(cat /proc/sys/kernel/random/uuid)" |
    sed "s|type='qcow2'|type='raw'|" > "$D/raw.xml"
  vctl define "$D/guest.xml" >/dev/null
  vctl define "$D/raw.xml" >/dev/null
}

teardown_file() {
  remove_guest "$RAWNAME"
  virsh -q destroy "$NAME" >/dev/null 2>&1
  virsh -q undefine --snapshots-metadata --managed-save "$NAME" >/dev/null 2>&1
  if mountpoint -q "$D/small" 2>/dev/null; then umount "$D/small"; fi
  return 0
}

setup() {
  requires virsh qemu-img qemu-system-x86_64
}

vstate() { virsh -q domstate "$NAME" | sed '/^$/d'; }

@test "start: the counter guest counts on its serial line" {
  : > "$SERIAL"
  run vctl start "$NAME"
  assert_success
  wait_for_count "$SERIAL" 2 60 || fail "no count: $(cat "$SERIAL")"
}

@test "snapshot-create-as of a raw disk is refused before libvirt is asked; nothing is left" {
  run -1 vctl snapshot-create-as "$RAWNAME" s1
  assert_output --partial "disk hda is raw: an internal snapshot needs qcow2"
  [ "${#lines[@]}" -eq 1 ]
  run vctl snapshot-list "$RAWNAME" --name
  assert_success
  assert_output ""
}

@test "internal snapshot of the running guest, revert: the count resumes from the snapshot's" {
  run vctl snapshot-create-as "$NAME" before --description 'before the <upgrade> "x"'
  assert_success
  assert_output "Domain snapshot before created"
  at=$(last_count "$SERIAL")
  wait_for_count "$SERIAL" $((at + 4)) 60 || fail "the guest stopped counting"
  run vctl snapshot-revert "$NAME" before
  assert_success
  assert_output "Domain '$NAME' reverted to snapshot before"
  # (the guest runs while the revert loads: only lines printed after it
  # returned count) the count starts again near the snapshot's
  seen=$(wc -l < "$SERIAL")
  for _ in $(seq 100); do
    first=$(tail -n +$((seen + 1)) "$SERIAL" | tr -d '\r' | sed -n 's/^VKIT-COUNT 0*\([0-9][0-9]*\)$/\1/p' | head -n 1)
    [ -n "$first" ] && break
    sleep 0.1
  done
  [ -n "$first" ] || fail "no count after the revert"
  [ "$first" -le $((at + 2)) ] || fail "count $first after the revert, snapshot taken at $at"
  [ "$(vstate)" = running ]
}

@test "snapshot-list, -info, -current, -parent agree with virsh; --json has every key" {
  run vctl snapshot-list "$NAME" --name
  assert_output "before"
  assert_equal "$(virsh -q snapshot-list "$NAME" --name | sed '/^$/d')" "before"
  run vctl snapshot-list "$NAME" --json
  assert_success
  python3 - "$output" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
assert len(s) == 1, s
e = s[0]
for k in ("name", "parent", "creation_time", "state", "description", "kind", "current",
          "memory", "disks", "children", "descendants", "metadata"):
    assert k in e, k
assert e["name"] == "before" and e["parent"] is None and e["state"] == "running"
assert e["kind"] == "internal" and e["current"] is True and e["memory"] == "internal"
assert e["description"] == 'before the <upgrade> "x"'
assert isinstance(e["creation_time"], int) and e["creation_time"] > 1700000000
assert e["disks"] == [{"target": "hda", "kind": "internal", "file": None}], e["disks"]
PY
  run vctl snapshot-current "$NAME" --name
  assert_output "before"
  run vctl snapshot-info "$NAME"
  assert_line --regexp '^Name: +before$'
  assert_line --regexp '^Current: +yes$'
  assert_line --regexp '^Location: +internal$'
  run -3 vctl snapshot-parent "$NAME" before
  assert_output --partial "has no parent"
  run vctl snapshot-dumpxml "$NAME" before
  assert_success
  assert_output --partial "<name>before</name>"
  run vctl list --all --with-snapshot --name
  assert_line "$NAME"
  refute_line "$RAWNAME"
  run vctl list --all --without-snapshot --name
  assert_line "$RAWNAME"
  refute_line "$NAME"
}

@test "snapshot-edit: the description changed by \$EDITOR, the snapshot still current; a rename is refused" {
  ed=$BATS_TEST_TMPDIR/ed.sh
  printf '#!/bin/sh\nsed -i "s|<description>.*</description>|<description>edited \&lt;by\&gt; vctl</description>|" "$1"\n' >"$ed"
  chmod +x "$ed"
  EDITOR="$ed" run vctl snapshot-edit "$NAME" before
  assert_success
  assert_output "Snapshot before XML configuration edited."
  run virsh -q snapshot-dumpxml "$NAME" before
  assert_output --partial "<description>edited &lt;by&gt; vctl</description>"
  assert_equal "$(virsh -q snapshot-current "$NAME" --name)" before
  # the current one by default; unchanged
  VISUAL= EDITOR=true run vctl snapshot-edit "$NAME"
  assert_output "Snapshot before XML configuration not changed."
  printf '#!/bin/sh\nsed -i "s|<name>before</name>|<name>after</name>|" "$1"\n' >"$ed"
  EDITOR="$ed" run --separate-stderr vctl snapshot-edit "$NAME" before </dev/null
  assert_failure 2
  [[ "$stderr" == *"renames the snapshot"* ]]
  assert_equal "$(virsh -q snapshot-list "$NAME" --name | sed '/^$/d')" before
  # back as it was, for the tests that follow
  printf '#!/bin/sh\nsed -i "s|<description>.*</description>|<description>before the \&lt;upgrade\&gt; \"x\"</description>|" "$1"\n' >"$ed"
  EDITOR="$ed" run vctl snapshot-edit "$NAME" before
  assert_success
  run -3 vctl snapshot-edit "$NAME" no-such-snap
}

@test "revert to, or info of, a snapshot that does not exist: exit 3" {
  run -3 vctl snapshot-revert "$NAME" no-such-snap
  assert_output --partial "has no snapshot 'no-such-snap'"
  run -3 vctl snapshot-info "$NAME" no-such-snap
  run -3 vctl snapshot-current "$RAWNAME"
  assert_output --partial "has no current snapshot"
}

@test "save: the domain stops; restore: the count goes on from where it was" {
  run vctl save "$NAME" "$D/state.save"
  assert_success
  assert_output "Domain '$NAME' saved to $D/state.save"
  [ "$(vstate)" = "shut off" ]
  run vctl list --name
  refute_output --partial "$NAME"
  at=$(last_count "$SERIAL")
  run vctl save-image-dumpxml "$D/state.save"
  assert_output --partial "<name>$NAME</name>"
  run -5 vctl save "$NAME" "$D/other.save"
  assert_output --partial "is not running"
  run vctl restore "$D/state.save"
  assert_success
  assert_output "Domain '$NAME' restored from $D/state.save"
  wait_for_count "$SERIAL" $((at + 2)) 60 || fail "no count after restore: $(cat "$SERIAL")"
  # the guest did not boot again
  run ! grep -q VKIT-COUNTER-BOOTED "$SERIAL"
  first=$(tr -d '\r' < "$SERIAL" | sed -n 's/^VKIT-COUNT 0*\([0-9][0-9]*\)$/\1/p' | head -n 1)
  [ "$first" -ge "$at" ] || fail "first count after restore $first, saved at $at"
}

@test "save to an existing file is refused (exit 5); to a full disk: exit 1, no file, the guest runs on" {
  run -5 vctl save "$NAME" "$D/state.save"
  assert_output --partial "exists already"
  [ "$(vstate)" = running ]
  mkdir -p "$D/small"
  mount -t tmpfs -o size=256k tmpfs "$D/small" || cannot "mount a tmpfs"
  run -1 vctl save "$NAME" "$D/small/state.save"
  assert_output --partial "No space left on device"
  [ "${#lines[@]}" -eq 1 ]
  [ -z "$(ls -A "$D/small")" ] || fail "left behind: $(ls -A "$D/small")"
  umount "$D/small"
  [ "$(vstate)" = running ]
  at=$(last_count "$SERIAL")
  wait_for_count "$SERIAL" $((at + 2)) 60 || fail "the guest stopped counting"
}

@test "managedsave: the next start resumes; managedsave-remove of nothing is exit 3" {
  run vctl managedsave "$NAME"
  assert_success
  assert_output "Domain '$NAME' state saved by libvirt"
  [ "$(vstate)" = "shut off" ]
  run vctl dominfo "$NAME" --json
  assert_output --partial '"managed_save": true'
  run vctl managedsave-dumpxml "$NAME"
  assert_output --partial "<name>$NAME</name>"
  run vctl list --all --with-managed-save --name
  assert_line "$NAME"
  refute_line "$RAWNAME"
  run vctl list --all --managed-save
  assert_line --regexp "^ - +$NAME +saved$"
  run vctl list --all --json
  python3 -c 'import json,sys; d={e["name"]: e for e in json.load(sys.stdin)}; assert d[sys.argv[1]]["managed_save"] is True' "$NAME" <<< "$output"
  at=$(last_count "$SERIAL")
  run vctl start "$NAME"
  assert_success
  wait_for_count "$SERIAL" $((at + 2)) 60 || fail "no count after start"
  run ! grep -q VKIT-COUNTER-BOOTED "$SERIAL"
  run -3 vctl managedsave-remove "$NAME"
  assert_output --partial "has no managed save image"
  run vctl managedsave-remove "$NAME" --idempotent
  assert_success
  assert_output ""
}

@test "external snapshot that libvirt refuses (the name is taken): the overlay made for it is removed" {
  run -5 vctl snapshot-create-as "$NAME" before --disk-only
  assert_output --partial "already exists"
  [ ! -e "$D/disk.before" ] || fail "overlay left behind"
  run vctl domblklist "$NAME"
  assert_line --regexp "^ hda +$DISK$"
}

@test "external disk-only snapshot: a vkit overlay with the base's options; writes land in it" {
  run vctl snapshot-create-as "$NAME" ext1 --disk-only
  assert_success
  assert_output "Domain snapshot ext1 created"
  run vctl domblklist "$NAME"
  assert_line --regexp "^ hda +$D/disk.ext1$"
  run qemu-img info -U --output=json "$D/disk.ext1"
  assert_output --partial '"cluster-size": 32768'
  assert_output --partial "\"backing-filename\": \"$DISK\""
  # the base stops changing; the guest's count now goes to the overlay
  at=$(last_count "$SERIAL")
  wait_for_count "$SERIAL" $((at + 3)) 60 || fail "the guest stopped counting"
  run vimg map -U --output=json "$D/disk.ext1"
  assert_success
  python3 - "$output" <<'PY'
import json, sys
m = json.loads(sys.argv[1])
hit = [e for e in m if e["start"] <= 1048576 < e["start"] + e["length"]]
assert hit and hit[0]["depth"] == 0 and hit[0]["data"], hit
PY
  base=$(disk_count "$DISK")
  top=$(disk_count "$D/disk.ext1")
  [ -n "$base" ] && [ "$top" -gt "$base" ] || fail "base $base, overlay $top"
  run vctl snapshot-list "$NAME" --external --name
  assert_output "ext1"
}

@test "blockcommit --active --pivot --wait --delete: the base holds the writes, the chain is one image again" {
  run vctl blockcommit "$NAME" hda --active --pivot --wait=120 --delete
  assert_success
  assert_output "Successfully pivoted"
  run vctl domblklist "$NAME"
  assert_line --regexp "^ hda +$DISK$"
  [ ! -e "$D/disk.ext1" ] || fail "--delete left the overlay"
  run qemu-img check -U "$DISK"
  assert_success
  run qemu-img info -U --backing-chain --output=json "$DISK"
  [ "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <<< "$output")" = 1 ]
  at=$(last_count "$SERIAL")
  wait_for_count "$SERIAL" $((at + 2)) 60 || fail "the guest stopped counting"
  [ "$(disk_count "$DISK")" -ge "$at" ] || fail "the base does not have the guest's writes"
  run -1 vctl blockcommit "$NAME" hda --active --pivot --wait=10
  assert_output --partial "no backing file"
}

@test "snapshot-delete: the snapshot goes, virsh agrees" {
  run vctl snapshot-delete "$NAME" before
  assert_success
  assert_output "Domain snapshot before deleted"
  run vctl snapshot-list "$NAME" --internal --name
  assert_output ""
  assert_equal "$(virsh -q snapshot-list "$NAME" --internal --name | sed '/^$/d')" ""
  run -3 vctl snapshot-delete "$NAME" before
  run vctl snapshot-delete "$NAME" before --idempotent
  assert_success
  assert_output ""
  # the external one's overlay was merged and removed: only its record goes
  run vctl snapshot-delete "$NAME" ext1 --metadata
  assert_success
  run vctl snapshot-list "$NAME" --name
  assert_output ""
}

@test "blockcopy --wait --pivot to a new qcow2: the original can go, the guest writes to the copy" {
  run vctl blockcopy "$NAME" hda "$D/copy.qcow2" --wait=120 --pivot
  assert_success
  assert_output "Successfully pivoted"
  run vctl domblklist "$NAME"
  assert_line --regexp "^ hda +$D/copy.qcow2$"
  rm -f "$DISK"
  at=$(last_count "$SERIAL")
  wait_for_count "$SERIAL" $((at + 3)) 60 || fail "the guest stopped counting"
  [ "$(disk_count "$D/copy.qcow2")" -gt "$at" ] || fail "writes do not reach the copy"
  run -5 vctl blockcopy "$NAME" hda "$D/copy.qcow2" --wait=10 --pivot
  assert_output --partial "exists already"
}

@test "blockresize of the running guest's disk: vimg info sees the new size" {
  run vctl blockresize "$NAME" hda 8M
  assert_success
  run vimg info -U --json "$D/copy.qcow2"
  assert_output --partial '"virtual_size": 8388608'
  run -3 vctl blockresize "$NAME" vdz 8M
  # a bad size is a usage error even before the daemon is asked
  run -2 vctl -c qemu+unix:///system?socket=/nonexistent blockresize "$NAME" hda 8Q
}

@test "SIGINT during blockcopy --wait: the job is aborted, the copy removed, the disk stays" {
  # 24 MiB of data at 2 MiB/s: about 12 s of copying
  vctl destroy "$NAME" >/dev/null
  qemu-img resize -q "$D/copy.qcow2" 64M
  qemu-io -f qcow2 -c "write -P 0x5a 8M 24M" "$D/copy.qcow2" >/dev/null
  vctl start "$NAME" >/dev/null
  env --default-signal=INT "$VK_BUILDDIR/vctl" blockcopy "$NAME" hda "$D/slow.qcow2" \
    --wait --pivot --bandwidth 2 2> "$D/err" &
  pid=$!
  for _ in $(seq 100); do
    vctl blockjob "$NAME" hda | grep -q "Block Copy" && break
    sleep 0.1
  done
  run vctl blockjob "$NAME" hda --json
  assert_output --partial '"active": true'
  kill -INT "$pid"
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 130 ] || fail "vctl ended with $rc: $(cat "$D/err")"
  grep -q "interrupted, job aborted" "$D/err"
  [ ! -e "$D/slow.qcow2" ] || fail "the copy was left behind"
  run vctl domblklist "$NAME"
  assert_line --regexp "^ hda +$D/copy.qcow2$"
  run vctl blockjob "$NAME" hda
  assert_output "No current block job for hda"
  run qemu-img check -U "$D/copy.qcow2"
  assert_success
}

@test "blockpull --wait that times out: exit 4, the job aborted, the chain as it was" {
  run vctl snapshot-create-as "$NAME" ext2 --disk-only
  assert_success
  # 24 MiB to pull at 1 MiB/s cannot end within a second
  run -4 vctl blockpull "$NAME" hda --wait=1 --bandwidth 1
  assert_output --partial "job aborted"
  run vctl blockjob "$NAME" hda
  assert_output "No current block job for hda"
  run vctl domblklist "$NAME"
  assert_line --regexp "^ hda +$D/copy.ext2$"
  run qemu-img info -U --backing-chain --output=json "$D/copy.ext2"
  [ "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <<< "$output")" = 2 ]
  run qemu-img check -U "$D/copy.ext2"
  assert_success
  # and the overlay merges back
  run vctl blockcommit "$NAME" hda --pivot --delete
  assert_success
  assert_output "Successfully pivoted"
  [ ! -e "$D/copy.ext2" ]
  run vctl snapshot-delete "$NAME" ext2 --metadata
  assert_success
}

@test "dump --memory-only writes an ELF core; domjobinfo --json when idle" {
  run vctl dump "$NAME" "$D/core" --memory-only
  assert_success
  [ "$(head -c 4 "$D/core" | od -An -c | tr -d ' ')" = '177ELF' ]
  [ "$(vstate)" = running ]
  run vctl domjobinfo "$NAME" --json
  assert_success
  python3 - "$output" <<'PY'
import json, sys
j = json.loads(sys.argv[1])
assert j["type"] == "none", j
for k in ("operation", "time_elapsed_ms", "data_total", "memory_total", "disk_total"):
    assert k in j, k
PY
  run -5 vctl domjobabort "$NAME"
}

@test "undefine --remove-all-storage takes the external snapshots' images, never a shared template" {
  local x=$NAME-lc
  make_counter_disk "$D/template.qcow2"
  qemu-img create -q -f qcow2 -b "$D/template.qcow2" -F qcow2 "$D/lc.qcow2"
  guest_xml "$x" "$D/lc.qcow2" /dev/null "$(cat /proc/sys/kernel/random/uuid)" > "$D/lc.xml"
  vctl define "$D/lc.xml" >/dev/null
  run vctl snapshot-create-as "$x" s1 --disk-only
  assert_success
  run vctl snapshot-create-as "$x" s2 --disk-only
  assert_success
  [ -f "$D/lc.s1" ] && [ -f "$D/lc.s2" ] || fail "overlays: $(ls "$D")"
  run vctl snapshot-list "$x" --tree
  assert_line "s1"
  assert_line "  +- s2"
  run vctl undefine "$x" --remove-all-storage --snapshots-metadata
  assert_success
  assert_line "Volume '$D/lc.s2' removed"
  assert_line "Volume '$D/lc.s1' removed"
  assert_line "Volume '$D/lc.qcow2' removed"
  [ ! -e "$D/lc.s2" ] && [ ! -e "$D/lc.s1" ] && [ ! -e "$D/lc.qcow2" ]
  [ -f "$D/template.qcow2" ] || fail "the shared template was removed"
  run -3 vctl dominfo "$x"
}
