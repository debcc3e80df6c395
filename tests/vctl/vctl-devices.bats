#!/usr/bin/env bats
# vctl attach-*, detach-*, update-device, change-media on a real guest (the
# counter fixture under TCG, on qemu:///system), with virsh as the oracle.
# The guest has no operating system, so it never answers an ACPI unplug
# request: a virtio (PCI) disk or an e1000 NIC attached live stays until
# the guest would let it go, which is what --wait's timeout (exit 4) is
# for; SCSI and USB disks leave at once.

bats_require_minimum_version 1.5.0
load ../virt-helpers

setup_file() {
  requires virsh qemu-img qemu-system-x86_64 as ld
  "$VK_SRCDIR/tests/libvirtd-start.sh"
  export LIBVIRT_DEFAULT_URI=qemu:///system
  export NAME=vkit-t13-dev-$$-$RANDOM D=$BATS_FILE_TMPDIR
  make_counter_disk "$D/os.qcow2"
  guest_xml "$NAME" "$D/os.qcow2" "$D/serial.log" "$(cat /proc/sys/kernel/random/uuid)" > "$D/g.xml"
  virsh -q define "$D/g.xml" >/dev/null
  for i in 1 2 3 4 5; do qemu-img create -q -f qcow2 "$D/x$i.qcow2" 64M; done
  head -c 1M /dev/zero > "$D/a.iso"
  head -c 2M /dev/zero > "$D/b.iso"
}

teardown_file() {
  remove_guest "$NAME"
}

live_targets() { virsh -q domblklist "$NAME" | awk '{print $1}' | tr '\n' ' '; }
config_targets() { virsh -q domblklist --inactive "$NAME" | awk '{print $1}' | tr '\n' ' '; }

@test "attach-disk --print-xml: the disk element, names escaped" {
  run vctl attach-disk "$NAME" "$D/odd 'name' <&>.qcow2" vdz --subdriver qcow2 --targetbus virtio \
    --cache none --mode shareable --print-xml
  assert_success
  xmllint --noout - <<<"$output"
  assert_output --partial "file=\"$D/odd 'name' &lt;&amp;&gt;.qcow2\""
  assert_output --partial '<driver name="qemu" type="qcow2" cache="none"/>'
  assert_output --partial '<target dev="vdz" bus="virtio"/>'
  assert_output --partial '<shareable/>'
  run vctl attach-disk "$NAME" "$D/x1.qcow2" vdz --type tape --print-xml
  assert_failure 2
}

@test "attach-disk --config on the shut-off guest, then detach-disk: the definition changes" {
  run vctl attach-disk "$NAME" "$D/x1.qcow2" vdb --subdriver qcow2
  assert_success
  assert_output "Disk vdb attached to domain '$NAME'"
  assert_equal "$(config_targets)" "hda vdb "
  run vctl detach-disk "$NAME" vdb
  assert_output "Disk vdb detached from domain '$NAME'"
  assert_equal "$(config_targets)" "hda "
  run vctl detach-disk "$NAME" vdb
  assert_failure 3
  assert_output "vctl: domain '$NAME' has no disk 'vdb' in its definition"
}

@test "live: a SCSI and a USB disk come and go at once (--wait returns when they are gone)" {
  vctl start "$NAME" >/dev/null
  wait_for_count "$D/serial.log" 1 60
  run vctl attach-disk "$NAME" "$D/x2.qcow2" sdb --targetbus scsi --subdriver qcow2 --live
  assert_success
  assert_equal "$(live_targets)" "hda sdb "
  assert_equal "$(config_targets)" "hda "
  run vctl detach-disk "$NAME" sdb --live --wait=30
  assert_success
  assert_equal "$(live_targets)" "hda "
  run vctl attach-disk "$NAME" "$D/x3.qcow2" sdc --targetbus usb --subdriver qcow2 --persistent
  assert_success
  assert_equal "$(live_targets)" "hda sdc "
  assert_equal "$(config_targets)" "hda sdc "
  # by its file, as virsh allows
  run vctl detach-disk "$NAME" "$D/x3.qcow2" --persistent --wait=30
  assert_success
  assert_equal "$(live_targets)" "hda "
  assert_equal "$(config_targets)" "hda "
}

@test "live: a virtio disk the guest never releases: detach-disk --wait=1 exits 4, the disk stays" {
  run vctl attach-disk "$NAME" "$D/x4.qcow2" vdc --subdriver qcow2 --live
  assert_success
  run vctl detach-disk "$NAME" vdc --live --wait=1
  assert_failure 4
  assert_output --regexp "did not release device 'virtio-disk[0-9]+' within 1 s"
  assert_equal "$(live_targets)" "hda vdc "
  # the guest still counts
  wait_for_count "$D/serial.log" "$(( $(last_count "$D/serial.log") + 1 ))" 30
}

@test "attach-interface / detach-interface; several of a type need --mac" {
  run vctl attach-interface "$NAME" user --model e1000 --mac 52:54:00:aa:00:01 --live
  assert_success
  run virsh -q domiflist "$NAME"
  assert_output --partial "52:54:00:aa:00:01"
  run vctl attach-interface "$NAME" user --model e1000 --mac 52:54:00:aa:00:02 --config
  assert_success
  run vctl attach-interface "$NAME" user --model e1000 --mac 52:54:00:aa:00:03 --config
  assert_success
  run vctl detach-interface "$NAME" user --config
  assert_failure 2
  assert_output --partial "say which with --mac"
  run vctl detach-interface "$NAME" user --config --mac 52:54:00:AA:00:02
  assert_success
  run virsh -q domiflist --inactive "$NAME"
  refute_output --partial "52:54:00:aa:00:02"
  assert_output --partial "52:54:00:aa:00:03"
  run vctl detach-interface "$NAME" network --config
  assert_failure 3
  run vctl attach-interface "$NAME" network
  assert_failure 2
  run vctl attach-interface "$NAME" bridge br0 --mac 52:54:00:aa:00:09 --print-xml
  assert_output --partial '<source bridge="br0"/>'
  vctl detach-interface "$NAME" user --config --mac 52:54:00:aa:00:03 >/dev/null
}

@test "attach-device / update-device / detach-device / detach-device-alias from XML" {
  cat > "$D/disk.xml" <<XML
<disk type='file' device='disk'>
  <driver name='qemu' type='qcow2'/>
  <source file='$D/x5.qcow2'/>
  <target dev='sdd' bus='usb'/>
  <alias name='ua-extra'/>
</disk>
XML
  run vctl attach-device "$NAME" "$D/disk.xml" --live
  assert_success
  assert_equal "$(live_targets)" "hda vdc sdd "
  run vctl detach-device-alias "$NAME" ua-extra --live --wait=30
  assert_success
  assert_output "Device ua-extra detached from domain '$NAME'"
  assert_equal "$(live_targets)" "hda vdc "
  run vctl attach-device "$NAME" "$D/disk.xml" --config
  assert_success
  run vctl detach-device "$NAME" "$D/disk.xml" --config
  assert_success
  assert_equal "$(config_targets)" "hda "
  run vctl attach-device "$NAME" "$D/none.xml"
  assert_failure 3
  run vctl attach-device "$NAME" "$D/disk.xml" --live --current
  assert_failure 2
}

@test "change-media: eject, insert and update a CD-ROM, live and in the definition" {
  vctl destroy "$NAME" >/dev/null
  run vctl attach-disk "$NAME" "$D/a.iso" hdc --type cdrom --targetbus ide --config
  assert_success
  vctl start "$NAME" >/dev/null
  # past the firmware, which probes the CD-ROM while it boots (an eject
  # then may find the tray closed again: QEMU's "Tray ... is not open")
  wait_for_count "$D/serial.log" 1 60
  run vctl change-media "$NAME" hdc --eject
  assert_success
  assert_output "Successfully ejected media."
  run virsh -q domblklist "$NAME"
  assert_line --regexp "^ *hdc +-$"
  run vctl change-media "$NAME" hdc "$D/b.iso" --insert
  assert_output "Successfully inserted media."
  run virsh -q domblklist "$NAME"
  assert_line --regexp "^ *hdc +$D/b.iso$"
  run vctl change-media "$NAME" "$D/b.iso" "$D/a.iso"
  assert_success
  run virsh -q domblklist "$NAME"
  assert_line --regexp "^ *hdc +$D/a.iso$"
  run vctl change-media "$NAME" hdc "$D/b.iso" --config
  assert_success
  run virsh -q domblklist --inactive "$NAME"
  assert_line --regexp "^ *hdc +$D/b.iso$"
  run vctl change-media "$NAME" hda "$D/b.iso"
  assert_failure 2
  assert_output --partial "is a disk, not a CD-ROM or floppy"
  run vctl change-media "$NAME" hdc
  assert_failure 2
  run vctl change-media "$NAME" hdc "$D/a.iso" --eject
  assert_failure 2
  vctl destroy "$NAME" >/dev/null
}
