# vkit — shell functions shared by the vclone suites.
# shellcheck shell=bash disable=SC2154  # $output is set by bats' run

# make_node DIR: a libvirt test-driver configuration in DIR/node.xml (use
# it as test://DIR/node.xml) with these domains:
#   orig     shut off; vda raw (DIR/orig.img, 4 MiB, 1 MiB of data at 1 MiB),
#            vdb qcow2 (DIR/data.qcow2, cluster 4k, zstd, 1 MiB of data),
#            a CD-ROM, a read-only disk, two interfaces, VNC on port 5901,
#            a title
#   orig-clone  shut off, no disks (auto-clone must skip its name)
#   busy     running, MAC 52:54:00:00:00:01, disk DIR/busy.img
make_node() {
  local dir=$1
  truncate -s 4M "$dir/orig.img"
  head -c 1M /dev/urandom | dd of="$dir/orig.img" bs=1M seek=1 conv=notrunc status=none
  vimg create -f qcow2 -o cluster_size=4k,compression_type=zstd "$dir/data.qcow2" 8M
  qemu-io -f qcow2 -c "write -P 0x5a 2M 1M" "$dir/data.qcow2" >/dev/null
  truncate -s 1M "$dir/cd.iso" "$dir/ro.img" "$dir/busy.img"
  cat >"$dir/node.xml" <<XML
<node>
<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
  <name>orig</name>
  <title>the original</title>
  <memory unit='KiB'>65536</memory>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$dir/orig.img'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='$dir/data.qcow2'/><target dev='vdb' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='$dir/cd.iso'/><target dev='sda' bus='sata'/><readonly/></disk>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$dir/ro.img'/><target dev='vdc' bus='virtio'/><readonly/></disk>
    <interface type='network'><mac address='52:54:00:aa:00:01'/><source network='default'/><target dev='vnet7'/></interface>
    <interface type='network'><mac address='52:54:00:aa:00:02'/><source network='default'/></interface>
    <graphics type='vnc' port='5901' autoport='no'/>
  </devices>
  <test:runstate>5</test:runstate>
</domain>
<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
  <name>orig-clone</name>
  <memory unit='KiB'>65536</memory>
  <os><type arch='x86_64'>hvm</type></os>
  <test:runstate>5</test:runstate>
</domain>
<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
  <name>busy</name>
  <memory unit='KiB'>65536</memory>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$dir/busy.img'/><target dev='vda' bus='virtio'/></disk>
    <interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/></interface>
  </devices>
</domain>
</node>
XML
}

# clone_xml ARGS...: vclone --print-xml on the test node; the XML is kept
# in $BATS_TEST_TMPDIR/dom.xml and validated against libvirt's schema.
clone_xml() {
  run vclone -c "$NODE" --print-xml "$@"
  assert_success
  printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/dom.xml"
  run virt-xml-validate "$BATS_TEST_TMPDIR/dom.xml" domain
  assert_success
}

# xq XPATH: the string value of XPATH in the last XML printed.
xq() {
  xmllint --xpath "string($1)" "$BATS_TEST_TMPDIR/dom.xml"
}

# leftovers DIR: files vclone may have left in DIR (temporaries, clones).
leftovers() {
  find "$1" -maxdepth 1 \( -name '.*.vclone-*' -o -name '*clone*' \) -print
}

# interrupt_copy PID DIR: send SIGINT to PID as soon as a temporary copy
# shows up in DIR.
interrupt_copy() {
  local pid=$1 dir=$2 i
  for ((i = 0; i < 200000; i++)); do
    if compgen -G "$dir/.*.vclone-*" >/dev/null; then
      kill -INT "$pid"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || return 1
  done
  return 1
}
