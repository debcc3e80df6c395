# vkit — helpers for the vctl suites: a test-driver node with known
# domains, and a real boot-sector guest on qemu:///system.

source "$(dirname "${BASH_SOURCE[0]}")/helpers.bash"

# test_node DIR: write DIR/node.xml for libvirt's test driver (fresh state
# on every connection) and print its URI.  Domains: vkit-t5-run (running,
# disks, interface, VNC), vkit-t5-off (shut off), and a paused one whose
# name holds spaces, quotes and '<'.
test_node() {
  local dir=$1
  cat > "$dir/node.xml" <<'XML'
<node>
  <domain type='test'>
    <name>vkit-t5-run</name>
    <uuid>11111111-2222-3333-4444-555555555501</uuid>
    <memory unit='MiB'>256</memory>
    <currentMemory unit='MiB'>192</currentMemory>
    <vcpu current='1'>2</vcpu>
    <os><type>hvm</type></os>
    <devices>
      <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/vkit-t5/a.qcow2'/><target dev='vda' bus='virtio'/></disk>
      <disk type='file' device='cdrom'><source file='/var/lib/vkit-t5/install.iso'/><target dev='sda' bus='sata'/><readonly/></disk>
      <interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/><model type='virtio'/></interface>
      <graphics type='vnc' port='5901' listen='127.0.0.1'/>
    </devices>
  </domain>
  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>vkit-t5-off</name>
    <uuid>11111111-2222-3333-4444-555555555502</uuid>
    <memory unit='MiB'>128</memory>
    <os><type>hvm</type></os>
    <test:runstate>5</test:runstate>
  </domain>
  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>vkit-t5 odd "name" &lt;x&gt;</name>
    <uuid>11111111-2222-3333-4444-555555555503</uuid>
    <memory unit='MiB'>128</memory>
    <os><type>hvm</type></os>
    <test:runstate>3</test:runstate>
  </domain>
</node>
XML
  echo "test://$dir/node.xml"
}

# guest_xml NAME DISK SERIAL [UUID]: a TCG domain booting the boot-sector disk,
# serial console to a file, ACPI on (the guest powers itself off).
guest_xml() {
  cat <<XML
<domain type='qemu'>
  <name>$1</name>
  <uuid>${4:-7f6b5e1a-0c2d-4e3f-9a8b-7c6d5e4f3a21}</uuid>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$2'/>
      <target dev='hda' bus='ide'/>
    </disk>
    <serial type='file'><source path='$3'/><target port='0'/></serial>
    <graphics type='vnc' port='-1' listen='127.0.0.1'/>
  </devices>
</domain>
XML
}

# console_xml NAME DISK UUID: the same guest with its serial port on a
# pty, so that `vctl console` can attach to it.
console_xml() {
  guest_xml "$1" "$2" /dev/null "$3" |
    sed "s|<serial type='file'><source path='/dev/null'/><target port='0'/></serial>|<serial type='pty'><target port='0'/></serial><console type='pty'><target type='serial' port='0'/></console>|"
}

# make_guest_disk OUT: the boot sector, padded to 1 MiB, as qcow2.
make_guest_disk() {
  local raw=$1.raw
  "$VK_SRCDIR/tests/fixtures/make-bootsector.sh" "$raw"
  truncate -s 1M "$raw"
  qemu-img convert -q -f raw -O qcow2 "$raw" "$1"
  rm -f "$raw"
}

# make_counter_disk OUT [SIZE [QCOW2-OPTIONS [FILL_MIB]]]: the counter
# fixture (tests/fixtures/counter.S: counts once a second on the serial
# line and writes the count at offset 1 MiB; with FILL_MIB it first fills
# that much memory) as a qcow2 of SIZE (default 4M).
make_counter_disk() {
  local raw=$1.raw
  "$VK_SRCDIR/tests/fixtures/make-bootsector.sh" "$raw" counter ${4:+"$4"}
  truncate -s "${2:-4M}" "$raw"
  qemu-img convert -q -f raw -O qcow2 ${3:+-o "$3"} "$raw" "$1"
  rm -f "$raw"
}

# last_count FILE: the last count the counter guest printed in FILE (its
# serial log), as a number; empty when there is none yet.
last_count() {
  tr -d '\r' < "$1" 2>/dev/null | sed -n 's/^VKIT-COUNT 0*\([0-9][0-9]*\)$/\1/p' | tail -n 1
}

# wait_for_count FILE N SECS: until the counter in FILE reaches N.
wait_for_count() {
  local i c
  for ((i = 0; i < $3 * 10; i++)); do
    c=$(last_count "$1")
    [ -n "$c" ] && [ "$c" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}

# disk_count IMAGE: the count the guest last wrote to its disk (16 bytes
# at 1 MiB), read with qemu-img from an image in use (-U).
disk_count() {
  local raw
  raw=$(mktemp)
  qemu-img convert -U -O raw "$1" "$raw" &&
    dd if="$raw" bs=512 skip=2048 count=1 status=none | head -c 16 | sed -n 's/^VKIT-COUNT 0*\([0-9][0-9]*\)$/\1/p'
  rm -f "$raw"
}

# wait_for_file FILE TEXT SECS: until FILE contains TEXT (status 1 after SECS).
wait_for_text() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# remove_guest NAME: destroy and undefine a test domain, if it exists
remove_guest() {
  virsh -q -c qemu:///system destroy "$1" >/dev/null 2>&1
  virsh -q -c qemu:///system undefine --nvram "$1" >/dev/null 2>&1
  return 0
}

# test_net_node DIR: write DIR/net-node.xml for libvirt's test driver with
# two active persistent networks, vkit-t9-a (NAT, DHCP) and vkit-t9-b
# (an isolated bridge), and print its URI.
test_net_node() {
  cat > "$1/net-node.xml" <<'XML'
<node>
  <network>
    <name>vkit-t9-a</name>
    <uuid>22222222-3333-4444-5555-666666666601</uuid>
    <forward mode='nat'/>
    <bridge name='vkt9a'/>
    <ip address='192.168.239.1' netmask='255.255.255.0'><dhcp><range start='192.168.239.2' end='192.168.239.254'/></dhcp></ip>
  </network>
  <network>
    <name>vkit-t9-b</name>
    <uuid>22222222-3333-4444-5555-666666666602</uuid>
    <bridge name='vkt9b'/>
  </network>
</node>
XML
  echo "test://$1/net-node.xml"
}
