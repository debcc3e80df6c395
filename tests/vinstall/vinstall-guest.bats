#!/usr/bin/env bats
# vinstall with real guests on the real daemon (qemu:///system, TCG):
# the boot-sector guest imported from a qcow2 disk made by vimg, a direct kernel boot
# with a busybox initramfs and a created second disk, --wait, rollback.

load ../helpers
load ../install-helpers

bats_require_minimum_version 1.5.0

URI=qemu:///system

setup_file() {
  "$VK_SRCDIR/tests/libvirtd-start.sh" >&2
  # Names unique to this run, so that two runs of the suite never meet.
  export P="vkit-t6-$$-"
  export T6_DIR="$BATS_FILE_TMPDIR"
  # The boot-sector guest on a qcow2 disk made by vimg and written by the
  # image engine; qemu-img checks it.
  "$VK_SRCDIR/tests/fixtures/make-bootsector.sh" "$T6_DIR/bs.raw"
  truncate -s 1M "$T6_DIR/bs.raw"
  "$VK_BUILDDIR/vimg" create -f qcow2 "$T6_DIR/bs.qcow2" 1M
  "$VK_BUILDDIR/tests/unit/test-install-put" "$T6_DIR/bs.qcow2" qcow2 "$T6_DIR/bs.raw"
  qemu-img check -q "$T6_DIR/bs.qcow2"
  qemu-img compare -q -f raw -F qcow2 "$T6_DIR/bs.raw" "$T6_DIR/bs.qcow2"
  # Kernel and initramfs, cached between runs.
  export T6_KDIR=${VK_TEST_CACHE:-/var/cache/vkit-tests}/kernel
  "$VK_SRCDIR/tests/fixtures/initramfs/make-initramfs.sh" "$T6_KDIR" >&2
}

setup() {
  requires virsh qemu-img qemu-system-x86_64
  T6_PREFIX=$P
  cleanup_t6_domains
}

teardown() {
  cleanup_t6_domains
  virsh -c "$URI" destroy "vkit-t9-$$-json" >/dev/null 2>&1 || true
  virsh -c "$URI" undefine "vkit-t9-$$-json" >/dev/null 2>&1 || true
  rm -f /var/log/libvirt/qemu/"$P"*.log
  virsh -c "$URI" net-undefine ${P}off >/dev/null 2>&1 || true
  virsh -c "$URI" pool-destroy ${P}pool >/dev/null 2>&1 || true
}

state() {
  virsh -c "$URI" domstate "$1" 2>/dev/null | head -n 1
}

# serial_lines LOG: the guest's VKIT- lines, without the serial line's CRs.
serial_lines() {
  tr -d '\r' <"$1" | grep VKIT-
}

@test "import the boot-sector guest; marker on the serial log; --wait returns at power-off" {
  cp "$T6_DIR/bs.qcow2" "$BATS_TEST_TMPDIR/d.qcow2"
  log=$BATS_TEST_TMPDIR/serial.log
  run --separate-stderr vinstall -c "$URI" --name ${P}bs --virt-type qemu --memory 64 \
    --import --disk "$BATS_TEST_TMPDIR/d.qcow2,format=qcow2" --network none \
    --console "file=$log" --wait=120
  assert_success
  [[ "$stderr" == *"vctl console ${P}bs"* ]]
  run grep -c VKIT-GUEST-BOOTED "$log"
  assert_output 1
  [ "$(state ${P}bs)" = "shut off" ]
  # defined persistently, with the XML vinstall made
  run virsh -c "$URI" dumpxml ${P}bs
  assert_output --partial "$BATS_TEST_TMPDIR/d.qcow2"
  assert_output --partial "<acpi/>"
}

@test "--transient: the guest is gone after it powers off" {
  cp "$T6_DIR/bs.qcow2" "$BATS_TEST_TMPDIR/d.qcow2"
  run vinstall -c "$URI" --name ${P}tr --virt-type qemu --memory 64 --transient \
    --import --disk "$BATS_TEST_TMPDIR/d.qcow2,format=qcow2" --network none \
    --console "file=$BATS_TEST_TMPDIR/s.log" --wait=120
  assert_success
  grep -q VKIT-GUEST-BOOTED "$BATS_TEST_TMPDIR/s.log"
  run virsh -c "$URI" domstate ${P}tr
  assert_failure
}

@test "--wait expiring exits 4 and leaves the guest running" {
  # a blank disk: the BIOS finds nothing to boot and waits forever
  truncate -s 1M "$BATS_TEST_TMPDIR/blank.img"
  run vinstall -c "$URI" --name ${P}wait --virt-type qemu --memory 64 --import \
    --disk "$BATS_TEST_TMPDIR/blank.img" --network none --wait=2
  assert_failure 4
  assert_output --partial "still running"
  [ "$(state ${P}wait)" = running ]
}

@test "--cdrom: first boot from the CD (falls through to the disk here), then the final definition boots the disk" {
  cp "$T6_DIR/bs.qcow2" "$BATS_TEST_TMPDIR/d.qcow2"
  truncate -s 1M "$BATS_TEST_TMPDIR/blank.iso"
  log=$BATS_TEST_TMPDIR/cd.log
  run vinstall -c "$URI" --name ${P}cd --virt-type qemu --memory 64 \
    --cdrom "$BATS_TEST_TMPDIR/blank.iso" --disk "$BATS_TEST_TMPDIR/d.qcow2,format=qcow2" \
    --network none --console "file=$log" --wait=120 --noreboot
  assert_success
  grep -q VKIT-GUEST-BOOTED "$log"
  # --noreboot: still off after the install, started once
  [ "$(state ${P}cd)" = "shut off" ]
  run grep -c "starting up" "/var/log/libvirt/qemu/${P}cd.log"
  assert_output 1
  run virsh -c "$URI" dumpxml --inactive ${P}cd
  assert_output --partial "<on_reboot>restart</on_reboot>"
  refute_output --partial "<boot dev='cdrom'/>"
  assert_output --partial "<boot dev='hd'/>"
  assert_output --partial "$BATS_TEST_TMPDIR/blank.iso"
}

@test "--cdrom with --wait and no --noreboot starts the installed system again" {
  cp "$T6_DIR/bs.qcow2" "$BATS_TEST_TMPDIR/d.qcow2"
  truncate -s 1M "$BATS_TEST_TMPDIR/blank.iso"
  run vinstall -c "$URI" --name ${P}cd2 --virt-type qemu --memory 64 \
    --cdrom "$BATS_TEST_TMPDIR/blank.iso" --disk "$BATS_TEST_TMPDIR/d.qcow2,format=qcow2" \
    --network none --console "file=$BATS_TEST_TMPDIR/cd2.log" --wait=120
  assert_success
  # libvirt's log of the domain records each start: the installer, then
  # the installed system
  run grep -c "starting up" "/var/log/libvirt/qemu/${P}cd2.log"
  assert_output 2
  run virsh -c "$URI" dumpxml --inactive ${P}cd2
  refute_output --partial "<boot dev='cdrom'/>"
  # the installed system's CD-ROM drive is empty: the ISO can go
  refute_output --partial "blank.iso"
  assert_output --partial "device='cdrom'"
  # the installed system powers itself off after it booted: it may be off
  # already
  virsh -c "$URI" destroy ${P}cd2 >/dev/null 2>&1 || true
  [ "$(state ${P}cd2)" = "shut off" ]
  rm "$BATS_TEST_TMPDIR/blank.iso"
  run virsh -c "$URI" start ${P}cd2
  assert_success
}

@test "--cloud-init: the guest finds the seed labelled cidata, again at the next start; undefine removes it" {
  printf '#cloud-config\n# VKIT-USERDATA-marker7\n' >"$BATS_TEST_TMPDIR/user-data"
  printf 'instance-id: iid-vkit-guest-1\nlocal-hostname: g1\n' >"$BATS_TEST_TMPDIR/meta-data"
  cp "$T6_DIR/bs.qcow2" "$BATS_TEST_TMPDIR/root.qcow2"
  log=$BATS_TEST_TMPDIR/ci.log
  run --separate-stderr vinstall -c "$URI" --name ${P}ci --virt-type qemu --memory 256 \
    --boot "kernel=$T6_KDIR/vmlinuz,initrd=$T6_KDIR/initramfs.gz,cmdline=console=ttyS0 quiet vkit.cidata" \
    --disk "$BATS_TEST_TMPDIR/root.qcow2" --network none --console "file=$log" \
    --cloud-init "user-data=$BATS_TEST_TMPDIR/user-data,meta-data=$BATS_TEST_TMPDIR/meta-data" --wait=3m
  assert_success
  seed=$BATS_TEST_TMPDIR/${P}ci-cidata.iso
  [[ "$stderr" == *"created the cloud-init seed $seed"* ]]
  run serial_lines "$log"
  assert_line "VKIT-CIDATA: meta-data user-data"
  assert_line "VKIT-INSTANCE-ID: iid-vkit-guest-1"
  assert_line "VKIT-USERDATA: VKIT-USERDATA-marker7"
  # the seed stays in the definition: a second start finds it again
  run virsh -c "$URI" dumpxml --inactive ${P}ci
  assert_output --partial "$seed"
  : >"$log"
  vctl -c "$URI" start ${P}ci
  for _ in $(seq 180); do
    [ "$(state ${P}ci)" = "shut off" ] && break
    sleep 1
  done
  run serial_lines "$log"
  assert_line "VKIT-INSTANCE-ID: iid-vkit-guest-1"
  [ "$(state ${P}ci)" = "shut off" ]
  # undefine --remove-all-storage removes the seed with the disk
  run vctl -c "$URI" undefine --remove-all-storage ${P}ci
  assert_success
  [ ! -e "$seed" ]
  [ ! -e "$BATS_TEST_TMPDIR/root.qcow2" ]
}

@test "--location ISO: the installer kernel boots once with --extra-args and injected files; then the disk" {
  requires xorriso
  mkdir -p "$BATS_TEST_TMPDIR/media/install.amd"
  cp "$T6_KDIR/vmlinuz" "$BATS_TEST_TMPDIR/media/install.amd/vmlinuz"
  cp "$T6_KDIR/initramfs.gz" "$BATS_TEST_TMPDIR/media/install.amd/initrd.gz"
  xorriso -as mkisofs -quiet -R -J -V "Debian 12 amd64 n" -o "$BATS_TEST_TMPDIR/inst.iso" "$BATS_TEST_TMPDIR/media" 2>/dev/null
  echo "preseed-marker" >"$BATS_TEST_TMPDIR/vkit-inject-preseed.cfg"
  cp "$T6_DIR/bs.qcow2" "$BATS_TEST_TMPDIR/root.qcow2"
  log=$BATS_TEST_TMPDIR/loc.log
  run --separate-stderr vinstall -c "$URI" --name ${P}loc --virt-type qemu --memory 256 \
    --location "$BATS_TEST_TMPDIR/inst.iso" --extra-args "console=ttyS0 quiet vkit.cidata vkit.x=1" \
    --initrd-inject "$BATS_TEST_TMPDIR/vkit-inject-preseed.cfg" --cloud-init --hostname loc \
    --disk "$BATS_TEST_TMPDIR/root.qcow2" --network none --console "file=$log" --wait=3m --noreboot
  assert_success
  run serial_lines "$log"
  assert_line "VKIT-CMDLINE: console=ttyS0 quiet vkit.cidata vkit.x=1"
  assert_line "VKIT-INJECTED: vkit-inject-preseed.cfg: preseed-marker"
  # --cloud-init works with --location
  assert_line --partial "VKIT-INSTANCE-ID: iid-loc-"
  # the extracted kernel and initrd are gone, the installed system boots its disk
  [ ! -e "/var/lib/libvirt/boot/vinstall-${P}loc" ]
  run virsh -c "$URI" dumpxml --inactive ${P}loc
  refute_output --partial "<kernel>"
  refute_output --partial "<cmdline>"
  assert_output --partial "<boot dev='hd'/>"
  assert_output --partial "<on_reboot>restart</on_reboot>"
  # --noreboot: the ISO stays in the drive; without it, it would be emptied
  assert_output --partial "inst.iso"
}

@test "device options on the real daemon: the guest sees the rng, watchdog, sound, balloon, USB 3 and serial controllers; a TPM by swtpm" {
  requires swtpm
  cp "$T6_DIR/bs.qcow2" "$BATS_TEST_TMPDIR/root.qcow2"
  log=$BATS_TEST_TMPDIR/dev.log
  run --separate-stderr vinstall -c "$URI" --name ${P}dev --virt-type qemu --memory 256 \
    --boot "kernel=$T6_KDIR/vmlinuz,initrd=$T6_KDIR/initramfs.gz,cmdline=console=ttyS0 quiet" \
    --disk "$BATS_TEST_TMPDIR/root.qcow2" --network none --console "file=$log" \
    --rng /dev/urandom --watchdog i6300esb,action=poweroff --sound ich6 --memballoon virtio \
    --controller usb3 --channel unix,target.type=virtio,name=org.qemu.guest_agent.0 --tpm emulator \
    --metadata "title=devices <test>" --wait=3m
  assert_success
  run serial_lines "$log"
  assert_line --partial "VKIT-PCI:"
  pci=$(serial_lines "$log" | grep VKIT-PCI:)
  for id in 0x1af4:0x1005 0x8086:0x25ab 0x8086:0x2668 0x1af4:0x1002 0x1b36:0x000d 0x1af4:0x1003; do
    [[ "$pci" == *"$id"* ]] || { echo "the guest has no PCI device $id: $pci" >&2; return 1; }
  done
  run virsh -c "$URI" dumpxml --inactive ${P}dev
  assert_output --partial "<backend type='emulator' version='2.0'/>"
  assert_output --partial "<title>devices &lt;test&gt;</title>"
  virsh -c "$URI" undefine --tpm ${P}dev >/dev/null
}

@test "--disk pool=: a new volume of a directory pool; vol=: an existing one; a failed start leaves no volume" {
  mkdir "$BATS_TEST_TMPDIR/pool"
  virsh -c "$URI" pool-create-as ${P}pool dir --target "$BATS_TEST_TMPDIR/pool" >/dev/null
  run --separate-stderr vinstall -c "$URI" --name ${P}pd --virt-type qemu --memory 64 --import \
    --disk "$T6_DIR/bs.qcow2,format=qcow2,readonly" --disk pool=${P}pool,size=16M --network none \
    --console "file=$BATS_TEST_TMPDIR/pd.log" --wait=2m
  assert_success
  # the pool knows the volume at once (refreshed), a qcow2 made by the engine
  run virsh -c "$URI" vol-list ${P}pool
  assert_output --partial "${P}pd.qcow2"
  run qemu-img check "$BATS_TEST_TMPDIR/pool/${P}pd.qcow2"
  assert_success
  # vol=: the same volume for another guest, its format from libvirt
  print_xml_uri() { vinstall -c "$URI" --print-xml "$@"; }
  run print_xml_uri --name ${P}pv --import --disk vol=${P}pool/${P}pd.qcow2 --network none
  assert_success
  assert_output --partial "<source file=\"$BATS_TEST_TMPDIR/pool/${P}pd.qcow2\"/>"
  assert_output --partial '<driver name="qemu" type="qcow2"/>'
  # a start that fails: the volume goes, and the pool forgets it
  run vinstall -c "$URI" --name ${P}pf --virt-type qemu --memory 64 --import \
    --disk "$T6_DIR/bs.qcow2,format=qcow2,readonly" --disk pool=${P}pool,size=16M --network none \
    --cpu no-such-cpu-model
  assert_failure
  run virsh -c "$URI" vol-list ${P}pool
  refute_output --partial "${P}pf"
  [ ! -e "$BATS_TEST_TMPDIR/pool/${P}pf.qcow2" ]
  # a pool that is not active, a volume that is not there
  run vinstall -c "$URI" --print-xml --name ${P}px --import --disk vol=${P}pool/nope
  assert_failure 3
  vctl -c "$URI" undefine --remove-all-storage ${P}pd >/dev/null
  virsh -c "$URI" pool-destroy ${P}pool >/dev/null
  run vinstall -c "$URI" --print-xml --name ${P}px --import --disk pool=${P}pool,size=1
  assert_failure 3
}

@test "--cloud-init disable=on: the seed serves the first boot, then leaves the definition and the disk" {
  cp "$T6_DIR/bs.qcow2" "$BATS_TEST_TMPDIR/root.qcow2"
  log=$BATS_TEST_TMPDIR/ci2.log
  run --separate-stderr vinstall -c "$URI" --name ${P}ci2 --virt-type qemu --memory 256 \
    --boot "kernel=$T6_KDIR/vmlinuz,initrd=$T6_KDIR/initramfs.gz,cmdline=console=ttyS0 quiet vkit.cidata" \
    --disk "$BATS_TEST_TMPDIR/root.qcow2" --network none --console "file=$log" \
    --cloud-init disable=on --hostname guest-two --wait=180
  assert_success
  run grep VKIT-INSTANCE-ID "$log"
  assert_output --partial "VKIT-INSTANCE-ID: iid-guest-two-"
  run virsh -c "$URI" dumpxml --inactive ${P}ci2
  refute_output --partial "cidata.iso"
  [ ! -e "$BATS_TEST_TMPDIR/${P}ci2-cidata.iso" ]
}

@test "--graphics vnc on the real daemon: a VNC display on 127.0.0.1" {
  truncate -s 1M "$BATS_TEST_TMPDIR/blank.img"
  run vinstall -c "$URI" --name ${P}vnc --virt-type qemu --memory 64 --import \
    --disk "$BATS_TEST_TMPDIR/blank.img" --network none --graphics vnc,listen=127.0.0.1
  assert_success
  run virsh -c "$URI" vncdisplay ${P}vnc
  assert_success
  assert_output --regexp '^127\.0\.0\.1:[0-9]+'
}

@test "--autostart sets autostart" {
  truncate -s 1M "$BATS_TEST_TMPDIR/blank.img"
  run vinstall -c "$URI" --name ${P}auto --virt-type qemu --memory 64 --import \
    --disk "$BATS_TEST_TMPDIR/blank.img" --network none --autostart --noautoconsole
  assert_success
  run virsh -c "$URI" dominfo ${P}auto
  assert_output --regexp 'Autostart: +enable'
}

@test "at a terminal vinstall attaches to the console until the guest stops" {
  requires script
  run script -qec "$VK_BUILDDIR/vinstall -c $URI --name ${P}con --virt-type qemu --memory 256 --transient --boot kernel=$T6_KDIR/vmlinuz,initrd=$T6_KDIR/initramfs.gz,cmdline=console=ttyS0 --disk none --network none" /dev/null </dev/null
  assert_success
  assert_output --partial "Connected to domain '${P}con'"
  assert_output --partial "VKIT-INITRAMFS-BOOTED"
  assert_output --partial "VKIT-DONE"
  run virsh -c "$URI" domstate ${P}con
  assert_failure
}

@test "direct kernel boot; a created second disk is seen by the guest" {
  log=$BATS_TEST_TMPDIR/k.log
  run --separate-stderr vinstall -c "$URI" --name ${P}kern --virt-type qemu --memory 256 \
    --boot "kernel=$T6_KDIR/vmlinuz,initrd=$T6_KDIR/initramfs.gz,cmdline=console=ttyS0 quiet" \
    --disk "$T6_DIR/bs.qcow2,format=qcow2,readonly" \
    --disk "path=$BATS_TEST_TMPDIR/second.qcow2,size=64M" \
    --network none --console "file=$log" --wait=180 -p
  assert_success
  [[ "$stderr" == *"created $BATS_TEST_TMPDIR/second.qcow2"* ]]
  # -p draws nothing when stderr is not a terminal
  [[ "$stderr" != *$'\r'* ]]
  grep -q VKIT-INITRAMFS-BOOTED "$log"
  run grep 'VKIT-DISKS:' "$log"
  assert_output --partial "vda vdb"
  # 64 MiB = 131072 sectors of 512 bytes
  run grep 'VKIT-DISK vdb' "$log"
  assert_output --partial "131072 sectors"
  run qemu-img check "$BATS_TEST_TMPDIR/second.qcow2"
  assert_success
  [ "$(state ${P}kern)" = "shut off" ]
}

@test "--json: the running guest, its created disk and pty console; after --wait, shut off" {
  n=vkit-t9-$$-json
  # no /init to run: the kernel stops at a panic and the guest stays up
  # (its pty with it) until it is destroyed
  run --separate-stderr vinstall -c "$URI" --name "$n" --virt-type qemu --memory 256 \
    --boot "kernel=$T6_KDIR/vmlinuz,initrd=$T6_KDIR/initramfs.gz,cmdline=console=ttyS0 quiet rdinit=/vkit-none panic=0" \
    --disk "path=$BATS_TEST_TMPDIR/j.qcow2,size=1M,format=qcow2" --network none --autostart --json
  assert_success
  [[ "$stderr" != *created* ]]
  uuid=$(virsh -c "$URI" domuuid "$n" | sed '/^$/d')
  assert_equal "$(json_get '[j["name"], j["uuid"], j["state"], j["virt_type"], j["autostart"], j["transient"]]' <<<"$output")" \
    "[\"$n\", \"$uuid\", \"running\", \"qemu\", true, false]"
  assert_equal "$(json_get '[(d["target"], d["path"], d["format"], d["created"], d["size"]) for d in j["disks"]]' <<<"$output")" \
    "[[\"vda\", \"$BATS_TEST_TMPDIR/j.qcow2\", \"qcow2\", true, 1048576]]"
  assert_equal "$(json_get 'j["console"]["type"]' <<<"$output")" pty
  assert_equal "$(json_get 'j["console"]["attach"]' <<<"$output")" "[\"vctl\", \"-c\", \"$URI\", \"console\", \"$uuid\"]"
  pty=$(json_get 'j["console"]["path"]' <<<"$output")
  mapfile -t cmd < <(json_get '"\n".join(j["console"]["attach"])' <<<"$output")
  [[ "$pty" == /dev/pts/* ]]
  run virsh -c "$URI" dumpxml "$n"
  assert_output --partial "<source path='$pty'/>"
  # the attach command runs as it is (the build's vctl for "vctl")
  run "$VK_BUILDDIR/${cmd[0]}" "${cmd[@]:1}" --timeout=1
  assert_success
  virsh -c "$URI" destroy "$n"
  virsh -c "$URI" undefine "$n"

  # the boot-sector guest, waited for: shut off, its file console, nothing created
  cp "$T6_DIR/bs.qcow2" "$BATS_TEST_TMPDIR/d.qcow2"
  run --separate-stderr vinstall -c "$URI" --name "$n" --virt-type qemu --memory 64 --import \
    --disk "$BATS_TEST_TMPDIR/d.qcow2,format=qcow2" --network none \
    --console "file=$BATS_TEST_TMPDIR/s.log" --wait=120 --json
  assert_success
  assert_equal "$(json_get '[j["state"], j["console"], [(d["created"], d["size"]) for d in j["disks"]]]' <<<"$output")" \
    "[\"shutoff\", {\"type\": \"file\", \"path\": \"$BATS_TEST_TMPDIR/s.log\", \"attach\": null}, [[false, null]]]"
  grep -q VKIT-GUEST-BOOTED "$BATS_TEST_TMPDIR/s.log"
}

# A name taken between the pre-flight checks and the define, and a signal
# during the install, are tested on libvirt's test driver by
# tests/unit/test-install-run.c (the seam is a callback of the library,
# not a hook in the shipped vinstall).

@test "rollback: a start failure removes the definition and the created image" {
  run vinstall -c "$URI" --name ${P}nostart --virt-type qemu --memory 64 --import \
    --disk "$T6_DIR/bs.qcow2,format=qcow2,readonly" --disk "path=$BATS_TEST_TMPDIR/n.qcow2,size=16M" \
    --network none --cpu no-such-cpu-model
  assert_failure
  assert_output --partial "starting domain ${P}nostart"
  [ ! -e "$BATS_TEST_TMPDIR/n.qcow2" ]
  run virsh -c "$URI" domstate ${P}nostart
  assert_failure
}

@test "--boot uefi on the real daemon: firmware from the descriptors, NVRAM made from the template" {
  [ -d /usr/share/qemu/firmware ] || cannot "needs ovmf"
  truncate -s 1M "$BATS_TEST_TMPDIR/blank.img"
  run vinstall -c "$URI" --name ${P}efi --virt-type qemu --memory 128 --import \
    --disk "$BATS_TEST_TMPDIR/blank.img" --network none --boot uefi,secure-boot=on
  assert_success
  [ "$(state ${P}efi)" = running ]
  run virsh -c "$URI" dumpxml ${P}efi
  assert_output --regexp "<loader readonly='yes' secure='yes' type='pflash'>/[^<]+</loader>"
  [ -e "/var/lib/libvirt/qemu/nvram/${P}efi_VARS.fd" ]
}

@test "rollback of a UEFI install removes its NVRAM file too" {
  [ -d /usr/share/qemu/firmware ] || cannot "needs ovmf"
  truncate -s 1M "$BATS_TEST_TMPDIR/blank.img"
  run vinstall -c "$URI" --name ${P}efibad --virt-type qemu --memory 128 --import \
    --disk "$BATS_TEST_TMPDIR/blank.img" --network none --boot uefi --cpu no-such-cpu-model
  assert_failure
  run virsh -c "$URI" domstate ${P}efibad
  assert_failure
  [ ! -e "/var/lib/libvirt/qemu/nvram/${P}efibad_VARS.fd" ]
}

@test "pre-flight: a disk used by another domain exits 5, nothing created" {
  cp "$T6_DIR/bs.qcow2" "$BATS_TEST_TMPDIR/shared.qcow2"
  cat >"$BATS_TEST_TMPDIR/owner.xml" <<XML
<domain type='qemu'><name>${P}owner</name><memory unit='MiB'>64</memory>
<os><type>hvm</type></os><devices><disk type='file' device='disk'>
<driver name='qemu' type='qcow2'/><source file='$BATS_TEST_TMPDIR/shared.qcow2'/>
<target dev='vda' bus='virtio'/></disk></devices></domain>
XML
  virsh -c "$URI" define "$BATS_TEST_TMPDIR/owner.xml" >/dev/null
  run vinstall -c "$URI" --name ${P}user --virt-type qemu --import \
    --disk "$BATS_TEST_TMPDIR/shared.qcow2,format=qcow2" --disk size=1 --network none
  assert_failure 5
  assert_output --partial "in use by domain ${P}owner"
  run virsh -c "$URI" domstate ${P}user
  assert_failure
  run ls /var/lib/libvirt/images/
  refute_output --partial "${P}user"
}

@test "pre-flight: an inactive network exits 5" {
  cat >"$BATS_TEST_TMPDIR/net.xml" <<XML
<network><name>${P}off</name><ip address='192.168.235.1' netmask='255.255.255.0'/></network>
XML
  virsh -c "$URI" net-define "$BATS_TEST_TMPDIR/net.xml" >/dev/null
  run vinstall -c "$URI" --name ${P}net --virt-type qemu --import \
    --disk "$T6_DIR/bs.qcow2,format=qcow2,readonly" --network network=${P}off
  assert_failure 5
  assert_output --partial "not active"
  run virsh -c "$URI" domstate ${P}net
  assert_failure
}

@test "bad input on the real daemon: unknown network, missing ISO, bad sizes leave nothing" {
  run vinstall -c "$URI" --name ${P}bad --virt-type qemu --cdrom /nonexistent.iso --disk size=1
  assert_failure 3
  run vinstall -c "$URI" --name ${P}bad --virt-type qemu --import \
    --disk "$T6_DIR/bs.qcow2,format=qcow2,readonly" --disk size=1 --network network=${P}nonet
  assert_failure 3
  run vinstall -c "$URI" --name ${P}bad --virt-type qemu --import --disk size=0
  assert_failure 2
  run vinstall -c "$URI" --name ${P}bad --virt-type qemu --import --disk size=1Q
  assert_failure 2
  run virsh -c "$URI" domstate ${P}bad
  assert_failure
  run ls /var/lib/libvirt/images/
  refute_output --partial "${P}bad"
}

@test "an image directory that cannot be written exits 2, nothing left" {
  # /proc/sys is read-only even for root
  run vinstall -c "$URI" --name ${P}ro --virt-type qemu --import \
    --disk "$T6_DIR/bs.qcow2,format=qcow2,readonly" --disk path=/proc/sys/vkit-t6.qcow2,size=1 --network none
  assert_failure 2
  assert_output --partial "not writable"
  run virsh -c "$URI" domstate ${P}ro
  assert_failure
}
