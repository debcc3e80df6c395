#!/usr/bin/env bats
# vinstall: options, the domain XML (--print-xml, checked against libvirt's
# schema) and bad input, on libvirt's test driver.

load ../helpers
load ../install-helpers

bats_require_minimum_version 1.5.0

setup() {
  requires virt-xml-validate xmllint
  IMG=$BATS_TEST_TMPDIR/disk.img
  truncate -s 1M "$IMG"
}

@test "vinstall --version" {
  run vinstall --version
  assert_success
  assert_output --regexp '^vinstall \(vkit\) [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "vinstall --help lists every option" {
  run vinstall --help
  assert_success
  assert_line --partial "Usage: vinstall"
  for o in name memory vcpus cpu machine arch virt-type cdrom import pxe boot disk network \
           graphics console serial os-type os-variant print-xml dry-run noautoconsole wait \
           autostart transient noreboot json progress connect cloud-init ssh-key hostname location \
           extra-args initrd-inject channel rng video controller tpm sound input watchdog memballoon \
           hostdev filesystem events metadata autoconsole destroy-on-exit check osinfo; do
    assert_output --partial -- "--$o"
  done
}

@test "import of an existing raw disk: the minimal XML" {
  print_xml --name vkit-t6-min --import --disk "$IMG" --network none
  assert_xq /domain/@type qemu
  assert_xq /domain/name vkit-t6-min
  assert_xq /domain/memory 1048576
  assert_xq /domain/vcpu 1
  assert_xq '/domain/os/boot/@dev' hd
  assert_xq '/domain/devices/disk/source/@file' "$IMG"
  assert_xq '/domain/devices/disk/driver/@type' raw
  assert_xq '/domain/devices/disk/target/@dev' vda
  assert_xq '/domain/devices/disk/target/@bus' virtio
  [ "$(xcount /domain/devices/interface)" = 0 ]
  [ "$(xcount /domain/features/acpi)" = 1 ]
  assert_xq '/domain/devices/console/target/@type' serial
}

@test "memory, vcpus with topology, cpu with a disabled feature, machine, arch" {
  print_xml --name vkit-t6-cpu --import --disk "$IMG" --memory 2G \
    --vcpus 2,maxvcpus=4,sockets=1,cores=2,threads=2 \
    --cpu host-passthrough,-arch-capabilities --machine q35 --arch x86_64
  assert_xq /domain/memory 2097152
  assert_xq /domain/vcpu 4
  assert_xq /domain/vcpu/@current 2
  assert_xq /domain/cpu/@mode host-passthrough
  assert_xq /domain/cpu/topology/@threads 2
  assert_xq "/domain/cpu/feature[@policy='disable']/@name" arch-capabilities
  assert_xq /domain/os/type/@machine q35
  assert_xq /domain/os/type/@arch x86_64
  # the test driver has an active network named default
  assert_xq /domain/devices/interface/source/@network default
  assert_xq /domain/devices/interface/model/@type virtio
}

@test "memory in MiB by default, with units otherwise" {
  print_xml --name vkit-t6-m --import --disk "$IMG" --memory 512
  assert_xq /domain/memory 524288
  print_xml --name vkit-t6-m --import --disk "$IMG" --memory 1536MiB
  assert_xq /domain/memory 1572864
}

@test "cdrom install: boots the ISO first, stops at reboot; new disk in the default directory" {
  iso=$BATS_TEST_TMPDIR/inst.iso
  truncate -s 1M "$iso"
  print_xml --name vkit-t6-cd --cdrom "$iso" --disk size=20,format=qcow2 --os-variant generic
  assert_xq "/domain/devices/disk[@device='cdrom']/source/@file" "$iso"
  assert_xq "/domain/devices/disk[@device='cdrom']/target/@bus" ide
  assert_xq "/domain/devices/disk[@device='disk']/source/@file" /var/lib/libvirt/images/vkit-t6-cd.qcow2
  assert_xq "/domain/devices/disk[@device='disk']/driver/@type" qcow2
  assert_xq "/domain/os/boot[1]/@dev" cdrom
  assert_xq "/domain/os/boot[2]/@dev" hd
  assert_xq /domain/on_reboot destroy
  [ ! -e /var/lib/libvirt/images/vkit-t6-cd.qcow2 ]
}

@test "several disks: buses, targets, cache, readonly, NAME-N paths" {
  print_xml --name vkit-t6-multi --import --disk "$IMG",cache=none \
    --disk size=1 --disk size=2,bus=sata --disk size=1G,bus=scsi,readonly
  assert_xq "/domain/devices/disk[1]/driver/@cache" none
  assert_xq "/domain/devices/disk[2]/source/@file" /var/lib/libvirt/images/vkit-t6-multi.qcow2
  assert_xq "/domain/devices/disk[2]/target/@dev" vdb
  assert_xq "/domain/devices/disk[3]/source/@file" /var/lib/libvirt/images/vkit-t6-multi-1.qcow2
  assert_xq "/domain/devices/disk[3]/target/@dev" sda
  assert_xq "/domain/devices/disk[4]/target/@dev" sdb
  [ "$(xcount '/domain/devices/disk[4]/readonly')" = 1 ]
  assert_xq "/domain/devices/controller[@type='scsi']/@model" virtio-scsi
}

@test "networks: bridge, user, MAC and model; none" {
  print_xml --name vkit-t6-net --import --disk "$IMG" \
    --network bridge=br0,model=e1000,mac=52:54:00:01:02:03 --network user
  assert_xq "/domain/devices/interface[1]/@type" bridge
  assert_xq "/domain/devices/interface[1]/source/@bridge" br0
  assert_xq "/domain/devices/interface[1]/mac/@address" 52:54:00:01:02:03
  assert_xq "/domain/devices/interface[1]/model/@type" e1000
  assert_xq "/domain/devices/interface[2]/@type" user
  print_xml --name vkit-t6-net --import --disk "$IMG" --network none
  [ "$(xcount /domain/devices/interface)" = 0 ]
}

@test "direct kernel boot with initrd and command line" {
  k=$BATS_TEST_TMPDIR/vmlinuz
  touch "$k" "$k.initrd"
  print_xml --name vkit-t6-k --boot "kernel=$k,initrd=$k.initrd,cmdline=console=ttyS0 quiet" --disk none
  assert_xq /domain/os/kernel "$k"
  assert_xq /domain/os/initrd "$k.initrd"
  assert_xq /domain/os/cmdline "console=ttyS0 quiet"
  [ "$(xcount /domain/os/boot)" = 0 ]
  [ "$(xcount /domain/devices/disk)" = 0 ]
}

@test "PXE install boots the network first" {
  print_xml --name vkit-t6-pxe --pxe --disk size=1
  assert_xq "/domain/os/boot[1]/@dev" network
  assert_xq "/domain/os/boot[2]/@dev" hd
}

@test "graphics vnc with listen and port; spice; console to a file; extra serial ports" {
  print_xml --name vkit-t6-g --import --disk "$IMG" --graphics vnc,listen=127.0.0.1,port=5910 \
    --console file=/tmp/x.log --serial --serial file=/tmp/y.log
  assert_xq /domain/devices/graphics/@type vnc
  assert_xq /domain/devices/graphics/@port 5910
  assert_xq /domain/devices/graphics/listen/@address 127.0.0.1
  assert_xq "/domain/devices/serial[1]/@type" file
  assert_xq "/domain/devices/serial[1]/source/@path" /tmp/x.log
  assert_xq "/domain/devices/serial[2]/@type" pty
  assert_xq "/domain/devices/serial[2]/target/@port" 1
  assert_xq "/domain/devices/serial[3]/source/@path" /tmp/y.log
  print_xml --name vkit-t6-g --import --disk "$IMG" --graphics spice
  assert_xq /domain/devices/graphics/@type spice
  assert_xq /domain/devices/video/model/@type qxl
  print_xml --name vkit-t6-g --import --disk "$IMG" --graphics none
  [ "$(xcount /domain/devices/graphics)" = 0 ]
}

@test "names and paths with quotes, &, < and spaces are escaped" {
  dir="$BATS_TEST_TMPDIR/a dir & \"q\" 'x' <y>"
  mkdir -p "$dir"
  truncate -s 1M "$dir/d 1.img"
  name="vkit-t6-we\"ird 'n' & <x> y"
  print_xml --name "$name" --import --disk "path=$dir/d 1.img" --console "file=$dir/con.log"
  assert_xq /domain/name "$name"
  assert_xq /domain/devices/disk/source/@file "$dir/d 1.img"
  assert_xq "/domain/devices/serial/source/@path" "$dir/con.log"
  [ "$(grep -c '&lt;' "$BATS_TEST_TMPDIR/dom.xml")" -ge 3 ]
  run grep -e '<x>' -e '<y>' -e '& ' "$BATS_TEST_TMPDIR/dom.xml"
  assert_failure
}

@test "a comma in a path is written as two commas" {
  truncate -s 1M "$BATS_TEST_TMPDIR/a,b.img"
  print_xml --name vkit-t6-comma --import --disk "path=$BATS_TEST_TMPDIR/a,,b.img"
  assert_xq /domain/devices/disk/source/@file "$BATS_TEST_TMPDIR/a,b.img"
}

@test "UEFI: firmware files from the descriptors appear in the XML" {
  [ -d /usr/share/qemu/firmware ] || cannot "needs ovmf"
  print_xml --name vkit-t6-efi --import --disk "$IMG" --boot uefi,secure-boot=off
  code=$(xq /domain/os/loader)
  [ -r "$code" ]
  assert_xq /domain/os/loader/@secure no
  assert_xq /domain/os/loader/@type pflash
  # the chosen file is the one a descriptor without secure boot names
  python3 -c '
import glob, json, sys
code = sys.argv[1]
descs = [json.load(open(f)) for f in glob.glob("/usr/share/qemu/firmware/*.json")]
fit = [d for d in descs if d["mapping"].get("executable", {}).get("filename") == code]
assert fit and all("secure-boot" not in d["features"] for d in fit), fit
' "$code"
  print_xml --name vkit-t6-efi --import --disk "$IMG" --boot uefi,secure-boot=on
  assert_xq /domain/os/loader/@secure yes
  assert_xq /domain/os/type/@machine q35
  assert_xq /domain/features/smm/@state on
  [ -r "$(xq /domain/os/nvram/@template)" ]
}

@test "--os-variant from osinfo-db: id in metadata, recommended memory, bus" {
  print_xml --name vkit-t6-os --import --disk "$IMG" --os-variant debian11
  assert_xq "/domain/metadata/*[local-name()='libosinfo']/*[local-name()='os']/@id" http://debian.org/debian/11
  assert_xq /domain/devices/disk/target/@bus virtio
  print_xml --name vkit-t6-os --import --disk "$IMG" --os-variant win2k
  assert_xq /domain/devices/disk/target/@bus ide
  assert_xq /domain/devices/interface/model/@type e1000
}

@test "--os-variant unknown: a warning and generic settings" {
  run vinstall -c test:///default --virt-type qemu --print-xml --name vkit-t6-os --import \
    --disk "$IMG" --os-variant no-such-os-42
  assert_success
  assert_output --partial "no-such-os-42"
  assert_output --partial "generic settings"
}

@test "without --virt-type: kvm when /dev/kvm opens, else qemu with a warning" {
  run vinstall -c test:///default --print-xml --name vkit-t6-tcg --import --disk "$IMG"
  assert_success
  # the same check vinstall makes: is /dev/kvm a device that opens for
  # writing?  (-c first: a bare >> would make a plain file of that name)
  if [ -c /dev/kvm ] && { : >>/dev/kvm; } 2>/dev/null; then
    refute_output --partial '/dev/kvm is not usable'
    assert_output --partial '<domain type="kvm">'
  else
    assert_output --partial '/dev/kvm is not usable'
    assert_output --partial '<domain type="qemu">'
  fi
}

@test "--virt-type kvm is written as asked" {
  print_xml --name vkit-t6-kvm --import --disk "$IMG" --virt-type kvm
  assert_xq /domain/@type kvm
}

@test "--dry-run checks and prints, creates nothing" {
  run vinstall -c test:///default --virt-type qemu --dry-run --name vkit-t6-dry \
    --import --disk "$IMG" --disk "path=$BATS_TEST_TMPDIR/new.qcow2,size=1"
  assert_success
  assert_output --partial "<name>vkit-t6-dry</name>"
  [ ! -e "$BATS_TEST_TMPDIR/new.qcow2" ]
}

@test "--dry-run: a name that exists is refused (exit 5)" {
  run vinstall -c test:///default --virt-type qemu --dry-run --name test --import --disk "$IMG"
  assert_failure 5
  assert_output --partial "already exists"
}

@test "bad input: usage errors exit 2 and print nothing on stdout" {
  for args in "--import --disk $IMG" \
              "--name x" \
              "--name x --import" \
              "--name x --import --disk $IMG --memory 0" \
              "--name x --import --disk $IMG --memory lots" \
              "--name x --import --disk size=0" \
              "--name x --import --disk size=garbage" \
              "--name x --import --disk $IMG --vcpus 0" \
              "--name x --import --disk $IMG --network wifi=x" \
              "--name x --import --disk $IMG --graphics sdl" \
              "--name x --import --disk $IMG --virt-type xen" \
              "--name x --import --cdrom /x.iso --disk $IMG" \
              "--name x --import --disk $IMG --autostart --transient" \
              "--name x --import --disk $IMG --wait=soon" \
              "--name x --import --disk $IMG --no-such-option"; do
    # shellcheck disable=SC2086
    run --separate-stderr vinstall -c test:///default --print-xml $args
    [ "$status" -eq 2 ] || { echo "args: $args -> $status: $stderr" >&2; return 1; }
    [ -z "$output" ] || { echo "args: $args printed: $output" >&2; return 1; }
    [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] || { echo "args: $args: $stderr" >&2; return 1; }
  done
}

@test "an image without format= gets the format it has; a vmdk is refused with its name" {
  qemu-img create -q -f qcow2 "$BATS_TEST_TMPDIR/q.qcow2" 1M
  print_xml --name x --import --disk "$BATS_TEST_TMPDIR/q.qcow2"
  assert_xq /domain/devices/disk/driver/@type qcow2
  print_xml --name x --import --disk "$IMG"
  assert_xq /domain/devices/disk/driver/@type raw
  qemu-img create -q -f vmdk "$BATS_TEST_TMPDIR/v.vmdk" 1M
  run --separate-stderr vinstall -c test:///default --print-xml --name x --import --disk "$BATS_TEST_TMPDIR/v.vmdk"
  assert_failure 2
  assert_output ""
  [[ "$stderr" == *"v.vmdk is a vmdk image"* ]]
  # said explicitly, the bytes are attached as they are
  print_xml --name x --import --disk "$BATS_TEST_TMPDIR/v.vmdk,format=raw"
  assert_xq /domain/devices/disk/driver/@type raw
}

@test "relative paths of disks, kernel and console files are made absolute" {
  cd "$BATS_TEST_TMPDIR"
  touch k i
  print_xml --name x --boot kernel=k,initrd=i --disk disk.img --console file=c.log
  assert_xq /domain/devices/disk/source/@file "$BATS_TEST_TMPDIR/disk.img"
  assert_xq /domain/os/kernel "$BATS_TEST_TMPDIR/k"
  assert_xq /domain/os/initrd "$BATS_TEST_TMPDIR/i"
  assert_xq /domain/devices/serial/source/@path "$BATS_TEST_TMPDIR/c.log"
}

@test "-c with an ISO gets a hint: it is --connect here, --cdrom there" {
  truncate -s 1M "$BATS_TEST_TMPDIR/x.iso"
  run --separate-stderr vinstall -c "$BATS_TEST_TMPDIR/x.iso" --name x --import --disk "$IMG"
  assert_failure 2
  assert_equal "$stderr" "vinstall: -c is --connect (a hypervisor URI); for an install ISO say --cdrom $BATS_TEST_TMPDIR/x.iso (try 'vinstall --help')"
}

@test "--wait takes a unit; garbage is a usage error" {
  for w in 90 1.5 90s 10m 1h 500ms; do
    print_xml --name x --import --disk "$IMG" "--wait=$w"
  done
  for w in soon 10x -5 1e; do
    run --separate-stderr vinstall -c test:///default --print-xml --name x --import --disk "$IMG" "--wait=$w"
    assert_failure 2
    [[ "$stderr" == *"--wait: '$w' is not a duration"* ]]
  done
}

@test "bad input: a missing disk image exits 3" {
  run vinstall -c test:///default --print-xml --name x --import --disk /nonexistent/d.img
  assert_failure 3
  assert_output --partial "does not exist"
}

@test "bad input: a missing ISO exits 3 (dry run)" {
  run vinstall -c test:///default --dry-run --name vkit-t6-iso --cdrom /nonexistent/inst.iso --disk none
  assert_failure 3
  assert_output --partial "/nonexistent/inst.iso"
}

@test "bad input: a directory given as ISO or disk exits 2 (dry run)" {
  run vinstall -c test:///default --virt-type qemu --dry-run --name vkit-t6-dir --cdrom "$BATS_TEST_TMPDIR" --disk none
  assert_failure 2
  assert_output --partial "is a directory"
  run vinstall -c test:///default --virt-type qemu --dry-run --name vkit-t6-dir --import --disk "$BATS_TEST_TMPDIR"
  assert_failure 2
  assert_output --partial "is not a regular file or block device"
}

@test "bad input: an unknown network exits 3 (dry run)" {
  run vinstall -c test:///default --dry-run --name vkit-t6-net --import --disk "$IMG" \
    --network network=vkit-t6-nosuchnet
  assert_failure 3
  assert_output --partial "vkit-t6-nosuchnet"
}

@test "bad input: an image directory that does not exist exits 3 (dry run)" {
  run vinstall -c test:///default --dry-run --name vkit-t6-dir --import --disk "$IMG" \
    --disk path=/nonexistent/dir/x.qcow2,size=1
  assert_failure 3
  assert_output --partial "/nonexistent/dir"
}

@test "bad input: more memory or vCPUs than the host has (dry run)" {
  run vinstall -c test:///default --dry-run --name vkit-t6-big --import --disk "$IMG" --memory 64T
  assert_failure 2
  assert_output --partial "more than the host"
  run vinstall -c test:///default --dry-run --name vkit-t6-big --import --disk "$IMG" --vcpus 4000
  assert_failure 2
  assert_output --partial "more than the host"
}

@test "pre-flight: an image another process writes (QEMU locks) exits 5" {
  requires qemu-io
  mkfifo "$BATS_TEST_TMPDIR/hold"
  # qemu-io keeps the image open, with QEMU's write locks, until its input ends
  qemu-io -f raw "$IMG" <"$BATS_TEST_TMPDIR/hold" >/dev/null 2>&1 &
  local qpid=$!
  exec 5>"$BATS_TEST_TMPDIR/hold"
  for _ in $(seq 50); do
    run qemu-img info "$IMG"
    [ "$status" -ne 0 ] && break
    sleep 0.1
  done
  run vinstall -c test:///default --virt-type qemu --dry-run --name vkit-t6-lock --import --disk "$IMG"
  # --check path_in_use=off: the user knows (a shared disk, say)
  run2=$(vinstall -c test:///default --virt-type qemu --dry-run --name vkit-t6-lock --import --disk "$IMG" \
    --check path_in_use=off >/dev/null 2>&1; echo $?)
  exec 5>&-
  # only qemu-io: bats' per-test timer is a background job too
  wait "$qpid"
  assert_failure 5
  assert_output --partial "in use"
  assert_equal "$run2" 0
  run vinstall -c test:///default --virt-type qemu --dry-run --name vkit-t6-lock --import --disk "$IMG"
  assert_success
}

@test "pre-flight: a bridge that does not exist exits 3" {
  run vinstall -c test:///default --virt-type qemu --dry-run --name vkit-t6-br --import --disk "$IMG" \
    --network bridge=vkit-t6-nobr
  assert_failure 3
  assert_output --partial "vkit-t6-nobr"
}

@test "--json: one object with the domain, its disks and its console" {
  run --separate-stderr vinstall -c test:///default --virt-type qemu --name vkit-t9-json --import \
    --disk "$IMG" --disk "path=$BATS_TEST_TMPDIR/new.qcow2,size=2M,format=qcow2" --network none --json
  assert_success
  assert_equal "$(json_get 'sorted(j)' <<<"$output")" \
    '["autostart", "cloud_init", "console", "disks", "name", "state", "transient", "uuid", "virt_type"]'
  assert_equal "$(json_get '[j["name"], j["state"], j["virt_type"], j["autostart"], j["transient"]]' <<<"$output")" \
    '["vkit-t9-json", "running", "qemu", false, false]'
  [[ "$(json_get 'j["uuid"]' <<<"$output")" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]
  assert_equal "$(json_get '[(d["target"], d["device"], d["path"], d["format"], d["created"], d["size"]) for d in j["disks"]]' <<<"$output")" \
    "[[\"vda\", \"disk\", \"$IMG\", \"raw\", false, null], [\"vdb\", \"disk\", \"$BATS_TEST_TMPDIR/new.qcow2\", \"qcow2\", true, 2097152]]"
  assert_equal "$(json_get '[j["console"]["type"], j["console"]["attach"] == ["vctl", "-c", "test:///default", "console", j["uuid"]]]' <<<"$output")" '["pty", true]'
  # what --json reports goes to stdout only
  [[ "$stderr" != *created* && "$stderr" != *"its console"* ]]
  [ -f "$BATS_TEST_TMPDIR/new.qcow2" ]
}

@test "--json: transient and autostart as asked; with --print-xml or --dry-run a usage error" {
  run vinstall -c test:///default --virt-type qemu --name vkit-t9-json --import --disk "$IMG" --network none --transient --json
  assert_success
  assert_equal "$(json_get '[j["transient"], j["autostart"], j["disks"][0]["created"]]' <<<"$output")" '[true, false, false]'
  for o in --print-xml --dry-run; do
    run --separate-stderr vinstall -c test:///default --name vkit-t9-json --import --disk "$IMG" --json $o
    assert_failure 2
    assert_output ""
    [[ "$stderr" == *"$o cannot be used with --json"* ]]
  done
  # a failed install prints nothing on stdout
  run --separate-stderr vinstall -c test:///default --virt-type qemu --name test --import --disk "$IMG" --json
  assert_failure 5
  assert_output ""
}

@test "kernel fixture: stale apt lists are refreshed once (as root), then the download is retried" {
  requires dpkg-deb cpio busybox
  [ "$(id -u)" -eq 0 ] || cannot "refreshing apt lists needs root"
  mk=$VK_SRCDIR/tests/fixtures/initramfs/make-initramfs.sh
  f=$BATS_TEST_TMPDIR/apt
  fake_apt "$f"
  # lists so old that the metapackage resolves to nothing
  PATH=$f/bin:$PATH run --separate-stderr "$mk" "$BATS_TEST_TMPDIR/k1"
  assert_success
  assert_equal "$(cat "$f/updates")" update
  assert_equal "$(cat "$BATS_TEST_TMPDIR/k1/vmlinuz")" VKIT-FAKE-KERNEL
  [ -s "$BATS_TEST_TMPDIR/k1/initramfs.gz" ]
  # lists that name a kernel the mirror no longer has (404)
  rm -f "$f/updated" "$f/updates"
  touch "$f/lists-ok"
  PATH=$f/bin:$PATH run --separate-stderr "$mk" "$BATS_TEST_TMPDIR/k2"
  assert_success
  assert_equal "$(cat "$f/updates")" update
  [ -s "$BATS_TEST_TMPDIR/k2/vmlinuz" ]
  # a download that fails even after the refresh: one refresh, one line
  rm -f "$f/updated" "$f/updates"
  touch "$f/never"
  PATH=$f/bin:$PATH run --separate-stderr "$mk" "$BATS_TEST_TMPDIR/k3"
  assert_failure 1
  assert_equal "$(cat "$f/updates")" update
  assert_equal "$stderr" "make-initramfs: apt-get download linux-image-6.1.0-99-amd64 failed"
  [ ! -e "$BATS_TEST_TMPDIR/k3/vmlinuz" ]
}

@test "bad input: an unreachable hypervisor exits 6" {
  run vinstall -c 'qemu+unix:///system?socket=/nonexistent/sock' --print-xml --name x --import --disk "$IMG"
  assert_failure 6
}

# make_media DIR: an install tree in DIR with a kernel and an initrd at
# Debian's paths (install.amd/), and DIR.iso made of it by xorriso.
make_media() {
  mkdir -p "$1/install.amd"
  echo kernel >"$1/install.amd/vmlinuz"
  echo initrd >"$1/install.amd/initrd.gz"
  xorriso -as mkisofs -quiet -R -J -V "Debian 12 amd64 1" -o "$1.iso" "$1" 2>/dev/null
}

@test "--location ISO: kernel and initrd from Debian's paths, booted once; the ISO is a CD-ROM" {
  requires xorriso
  make_media "$BATS_TEST_TMPDIR/m"
  print_xml --name loc1 --location "$BATS_TEST_TMPDIR/m.iso" --disk "$IMG" -x "console=ttyS0 priority=low"
  assert_xq /domain/os/kernel /var/lib/libvirt/boot/vinstall-loc1/vmlinuz
  assert_xq /domain/os/initrd /var/lib/libvirt/boot/vinstall-loc1/initrd
  assert_xq /domain/os/cmdline "console=ttyS0 priority=low"
  assert_xq /domain/on_reboot destroy
  assert_xq "/domain/devices/disk[@device='cdrom']/source/@file" "$BATS_TEST_TMPDIR/m.iso"
  # --print-xml extracts nothing
  [ ! -e /var/lib/libvirt/boot/vinstall-loc1 ]
}

@test "--location DIR: .treeinfo names the kernel; kernel=,initrd= name it explicitly" {
  mkdir -p "$BATS_TEST_TMPDIR/t/images/pxeboot" "$BATS_TEST_TMPDIR/t/alt"
  echo k >"$BATS_TEST_TMPDIR/t/images/pxeboot/vmlinuz"
  echo i >"$BATS_TEST_TMPDIR/t/images/pxeboot/initrd.img"
  echo k >"$BATS_TEST_TMPDIR/t/alt/k"
  echo i >"$BATS_TEST_TMPDIR/t/alt/i"
  printf '[general]\narch = x86_64\n[images-x86_64]\nkernel = alt/k\ninitrd = alt/i\n' >"$BATS_TEST_TMPDIR/t/.treeinfo"
  print_xml --name loc2 --location "$BATS_TEST_TMPDIR/t" --disk "$IMG"
  assert_xq /domain/os/kernel "$BATS_TEST_TMPDIR/t/alt/k"
  assert_xq /domain/os/initrd "$BATS_TEST_TMPDIR/t/alt/i"
  # a tree is not a CD-ROM
  [ "$(xcount "/domain/devices/disk[@device='cdrom']")" = 0 ]
  rm "$BATS_TEST_TMPDIR/t/.treeinfo"
  print_xml --name loc2 --location "$BATS_TEST_TMPDIR/t" --disk "$IMG"
  assert_xq /domain/os/kernel "$BATS_TEST_TMPDIR/t/images/pxeboot/vmlinuz"
  print_xml --name loc2 --location "$BATS_TEST_TMPDIR/t,kernel=alt/k,initrd=alt/i" --disk "$IMG"
  assert_xq /domain/os/initrd "$BATS_TEST_TMPDIR/t/alt/i"
}

@test "--location bad input: no kernel exits 3; not media, half a pair, stray options exit 2" {
  requires xorriso
  make_media "$BATS_TEST_TMPDIR/m"
  mkdir "$BATS_TEST_TMPDIR/empty"
  run --separate-stderr vinstall -c test:///default --print-xml --name x --location "$BATS_TEST_TMPDIR/empty" --disk "$IMG"
  assert_failure 3
  [[ "$stderr" == *"no installer kernel found"* ]]
  run --separate-stderr vinstall -c test:///default --print-xml --name x --location "$BATS_TEST_TMPDIR/m.iso,kernel=nope,initrd=nope2" --disk "$IMG"
  assert_failure 3
  [[ "$stderr" == *"has no nope"* ]]
  run --separate-stderr vinstall -c test:///default --print-xml --name x --location "$BATS_TEST_TMPDIR/m.iso" \
    --initrd-inject "$BATS_TEST_TMPDIR/nope" --disk "$IMG"
  assert_failure 3
  for args in "--location $IMG" \
              "--location $BATS_TEST_TMPDIR/m.iso,kernel=install.amd/vmlinuz" \
              "--location $BATS_TEST_TMPDIR/m.iso,kernel=../etc/passwd,initrd=x" \
              "--import -x quiet" \
              "--import --initrd-inject $IMG" \
              "--location $BATS_TEST_TMPDIR/m.iso --import"; do
    # shellcheck disable=SC2086
    run --separate-stderr vinstall -c test:///default --print-xml --name x --disk "$IMG" $args
    [ "$status" -eq 2 ] || { echo "args: $args -> $status: $stderr" >&2; return 1; }
    [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] || { echo "args: $args: $stderr" >&2; return 1; }
  done
}

@test "--os-variant detect: the OS of a Debian ISO (volume id) and of a Fedora tree (.treeinfo), by libosinfo" {
  requires xorriso
  mkdir -p "$BATS_TEST_TMPDIR/deb/install.amd"
  echo k >"$BATS_TEST_TMPDIR/deb/install.amd/vmlinuz"
  echo i >"$BATS_TEST_TMPDIR/deb/install.amd/initrd.gz"
  xorriso -as mkisofs -quiet -R -J -V "Debian 11.6.0 amd64 n" -o "$BATS_TEST_TMPDIR/deb.iso" "$BATS_TEST_TMPDIR/deb" 2>/dev/null
  run --separate-stderr vinstall -c test:///default --virt-type qemu --print-xml --name d1 \
    --cdrom "$BATS_TEST_TMPDIR/deb.iso" --disk size=1 --os-variant detect
  assert_success
  assert_equal "$stderr" "vinstall: --os-variant detect: $BATS_TEST_TMPDIR/deb.iso holds debian11"
  [[ "$output" == *'<libosinfo:os id="http://debian.org/debian/11"/>'* ]]
  # the modern spelling, with --location
  print_xml --name d1 --location "$BATS_TEST_TMPDIR/deb.iso" --disk size=1 --osinfo detect=on,require=on
  assert_xq "//*[local-name()='os'][@id]/@id" http://debian.org/debian/11
  mkdir -p "$BATS_TEST_TMPDIR/fed/images/pxeboot"
  touch "$BATS_TEST_TMPDIR/fed/images/pxeboot/vmlinuz" "$BATS_TEST_TMPDIR/fed/images/pxeboot/initrd.img"
  printf '[general]\nfamily = Fedora\nversion = 36\narch = x86_64\nvariant = Server\n' >"$BATS_TEST_TMPDIR/fed/.treeinfo"
  print_xml --name f1 --location "$BATS_TEST_TMPDIR/fed" --disk size=1 --os-variant detect
  assert_xq "//*[local-name()='os'][@id]/@id" http://fedoraproject.org/fedora/36
}

@test "--os-variant detect on unknown media: generic (or the name= fallback); require=on fails with 3" {
  requires xorriso
  mkdir -p "$BATS_TEST_TMPDIR/x"
  echo hi >"$BATS_TEST_TMPDIR/x/readme"
  xorriso -as mkisofs -quiet -R -V "SOMETHING ELSE" -o "$BATS_TEST_TMPDIR/x.iso" "$BATS_TEST_TMPDIR/x" 2>/dev/null
  run --separate-stderr vinstall -c test:///default --virt-type qemu --print-xml --name u1 \
    --cdrom "$BATS_TEST_TMPDIR/x.iso" --disk size=1 --os-variant detect
  assert_success
  [[ "$stderr" == *"knows no OS with the media"*"using generic settings" ]]
  [[ "$output" != *libosinfo* ]]
  run --separate-stderr vinstall -c test:///default --virt-type qemu --print-xml --name u1 \
    --cdrom "$BATS_TEST_TMPDIR/x.iso" --disk size=1 --os-variant detect=on,name=debian10
  assert_success
  [[ "$output" == *'id="http://debian.org/debian/10"'* ]]
  run --separate-stderr vinstall -c test:///default --virt-type qemu --print-xml --name u1 \
    --cdrom "$BATS_TEST_TMPDIR/x.iso" --disk size=1 --os-variant detect=on,require=on
  assert_failure 3
  assert_output ""
  [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
  # nothing to look at
  run --separate-stderr vinstall -c test:///default --print-xml --name u1 --import --disk "$IMG" \
    --os-variant detect=on,require=on
  assert_failure 2
  run --separate-stderr vinstall -c test:///default --print-xml --name u1 --import --disk "$IMG" \
    --os-variant require=on
  assert_failure 2
}

@test "--os-variant list: every short id of the database, sorted; nothing else needed" {
  run --separate-stderr vinstall --os-variant list
  assert_success
  assert_line debian11
  assert_line fedora36
  assert_line win10
  [ "$(printf '%s\n' "$output" | LC_ALL=C sort -c 2>&1)" = "" ]
  [ "$(printf '%s\n' "$output" | wc -l)" -gt 100 ]
}

@test "device options: channel, rng, video, controller, tpm, sound, input, watchdog, memballoon, hostdev, filesystem" {
  print_xml --name dev1 --import --disk "$IMG" --network none --graphics vnc \
    --channel unix,target.type=virtio,name=org.example.0,source.path=/run/x.sock --channel spicevmc \
    --rng builtin --video virtio,heads=2,vram=16384 --controller usb3 --controller scsi \
    --tpm emulator --sound --input keyboard,bus=virtio --watchdog ib700,action=poweroff \
    --memballoon none --hostdev 01:00.0 --hostdev pci_0000_02_03_1 --hostdev 0x1234:0x5678 --hostdev 001.003 \
    --filesystem /srv/share,share0 --filesystem source=/srv/ro,target=ro,driver.type=path,readonly=on
  assert_xq "/domain/devices/channel[1]/@type" unix
  assert_xq "/domain/devices/channel[1]/source/@path" /run/x.sock
  assert_xq "/domain/devices/channel[1]/target/@name" org.example.0
  assert_xq "/domain/devices/channel[2]/target/@name" com.redhat.spice.0
  assert_xq "/domain/devices/rng/backend/@model" builtin
  assert_xq "/domain/devices/video/model/@type" virtio
  assert_xq "/domain/devices/video/model/@heads" 2
  [ "$(xcount /domain/devices/video)" = 1 ]
  assert_xq "/domain/devices/controller[@type='usb']/@model" qemu-xhci
  assert_xq "/domain/devices/controller[@type='scsi']/@model" virtio-scsi
  assert_xq "/domain/devices/tpm/@model" tpm-crb
  assert_xq "/domain/devices/tpm/backend/@version" 2.0
  assert_xq "/domain/devices/sound/@model" ich6
  # an --input replaces the default tablet
  assert_xq "/domain/devices/input/@type" keyboard
  [ "$(xcount /domain/devices/input)" = 1 ]
  assert_xq "/domain/devices/watchdog/@action" poweroff
  assert_xq "/domain/devices/memballoon/@model" none
  assert_xq "/domain/devices/hostdev[1]/source/address/@bus" 0x01
  assert_xq "/domain/devices/hostdev[2]/source/address/@slot" 0x03
  assert_xq "/domain/devices/hostdev[2]/source/address/@function" 0x1
  assert_xq "/domain/devices/hostdev[3]/source/vendor/@id" 0x1234
  assert_xq "/domain/devices/hostdev[4]/source/address/@device" 3
  assert_xq "/domain/devices/filesystem[1]/driver/@type" virtiofs
  assert_xq "/domain/devices/filesystem[1]/target/@dir" share0
  # virtiofs needs shared memory
  assert_xq /domain/memoryBacking/access/@mode shared
  assert_xq "/domain/devices/filesystem[2]/@accessmode" mapped
  [ "$(xcount "/domain/devices/filesystem[2]/readonly")" = 1 ]
  # q35: the default sound card is ich9
  print_xml --name dev2 --import --disk "$IMG" --machine q35 --sound default
  assert_xq "/domain/devices/sound/@model" ich9
}

@test "--network type=direct (macvtap), --events, --metadata with hostile text" {
  print_xml --name n1 --import --disk "$IMG" --network type=direct,source=eth0,source.mode=vepa \
    --events on_poweroff=preserve,on_reboot=destroy,on_crash=coredump-restart \
    --metadata 'title=a "b" <c> & d,description=x'"'"'y'
  assert_xq "/domain/devices/interface/@type" direct
  assert_xq "/domain/devices/interface/source/@dev" eth0
  assert_xq "/domain/devices/interface/source/@mode" vepa
  assert_xq /domain/on_poweroff preserve
  assert_xq /domain/on_reboot destroy
  assert_xq /domain/on_crash coredump-restart
  assert_xq /domain/title 'a "b" <c> & d'
  assert_xq /domain/description "x'y"
  print_xml --name n1 --import --disk "$IMG" --network type=direct,source=eth0
  assert_xq "/domain/devices/interface/source/@mode" bridge
}

@test "per-OS defaults: an OS with virtio drivers gets virtio-rng, the guest agent channel, virtio graphics" {
  print_xml --name os1 --import --disk "$IMG" --network none --graphics vnc --os-variant fedora36
  assert_xq "/domain/devices/rng/backend" /dev/urandom
  assert_xq "/domain/devices/channel/target/@name" org.qemu.guest_agent.0
  assert_xq "/domain/devices/video/model/@type" virtio
  assert_xq "/domain/devices/input/@type" tablet
  # said otherwise, the user wins
  print_xml --name os1 --import --disk "$IMG" --network none --graphics vnc --os-variant fedora36 \
    --rng none --video vga --channel unix,name=org.qemu.guest_agent.0
  [ "$(xcount /domain/devices/rng)" = 0 ]
  assert_xq "/domain/devices/video/model/@type" vga
  [ "$(xcount /domain/devices/channel)" = 1 ]
  # generic: none of them
  print_xml --name os2 --import --disk "$IMG" --network none
  [ "$(xcount /domain/devices/rng)" = 0 ]
  [ "$(xcount /domain/devices/channel)" = 0 ]
}

@test "device options: bad values exit 2 with one line" {
  for args in "--channel tcp" "--channel unix" "--channel unix,colour=red" "--rng /tmp/x" "--rng /dev/urandom,rate.bytes=lots" \
              "--video hologram" "--video vga,heads=two" "--controller floppy" "--controller usb,index=x" \
              "--tpm quantum" "--tpm emulator,model=tpm-x" "--tpm emulator,version=3" "--sound beeper" \
              "--input joystick" "--input tablet,bus=ps2" "--watchdog acme" "--watchdog i6300esb,action=explode" \
              "--memballoon balloon" "--memballoon virtio --memballoon none" "--hostdev nope" "--hostdev 01:40.0" \
              "--filesystem /srv" "--filesystem /srv,t,driver.type=nfs" "--filesystem /srv,t,accessmode=mapped" \
              "--events on_reboot=coredump-destroy" "--events on_idle=destroy" "--metadata colour=red" \
              "--network type=direct" "--network type=direct,source=eth0,source.mode=loud"; do
    # shellcheck disable=SC2086
    run --separate-stderr vinstall -c test:///default --print-xml --name x --import --disk "$IMG" $args
    [ "$status" -eq 2 ] || { echo "args: $args -> $status: $stderr" >&2; return 1; }
    [ -z "$output" ] || { echo "args: $args printed: $output" >&2; return 1; }
    [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] || { echo "args: $args: $stderr" >&2; return 1; }
  done
}

@test "pre-flight: a missing macvtap parent exits 3" {
  run --separate-stderr vinstall -c test:///default --dry-run --name x --import --disk "$IMG" \
    --network type=direct,source=vkit-nonic0
  assert_failure 3
  [[ "$stderr" == *"vkit-nonic0"* ]]
}

@test "--disk sub-options: serial, target, boot.order, discard, detect_zeroes, io, shareable, type=block, floppy, lun, usb" {
  truncate -s 1M "$BATS_TEST_TMPDIR/f.img"
  print_xml --name d1 --import --network none \
    --disk "$IMG,serial=SN-1,target=vdc,boot.order=2,discard=unmap,detect_zeroes=unmap,io=threads,shareable=on" \
    --disk "path=$BATS_TEST_TMPDIR/new.qcow2,size=1,boot.order=1" \
    --disk "$BATS_TEST_TMPDIR/f.img,device=floppy,format=raw" \
    --disk "$BATS_TEST_TMPDIR/f.img,device=lun,format=raw" \
    --disk "path=$BATS_TEST_TMPDIR/u.qcow2,size=1,bus=usb"
  assert_xq "/domain/devices/disk[1]/target/@dev" vdc
  assert_xq "/domain/devices/disk[1]/serial" SN-1
  assert_xq "/domain/devices/disk[1]/boot/@order" 2
  assert_xq "/domain/devices/disk[1]/driver/@discard" unmap
  assert_xq "/domain/devices/disk[1]/driver/@detect_zeroes" unmap
  assert_xq "/domain/devices/disk[1]/driver/@io" threads
  [ "$(xcount "/domain/devices/disk[1]/shareable")" = 1 ]
  # the next virtio disk is named around the one said
  assert_xq "/domain/devices/disk[2]/target/@dev" vda
  assert_xq "/domain/devices/disk[2]/boot/@order" 1
  # per-device boot orders replace <os><boot>
  [ "$(xcount /domain/os/boot)" = 0 ]
  assert_xq "/domain/devices/disk[3]/target/@dev" fda
  assert_xq "/domain/devices/disk[3]/target/@bus" fdc
  assert_xq "/domain/devices/disk[4]/@type" block
  assert_xq "/domain/devices/disk[4]/@device" lun
  assert_xq "/domain/devices/disk[4]/target/@bus" scsi
  assert_xq "/domain/devices/disk[5]/target/@bus" usb
  # a lun brings its virtio-scsi controller
  assert_xq "/domain/devices/controller[@type='scsi']/@model" virtio-scsi
}

@test "--disk sparse=off: the created image's space is allocated" {
  run vinstall -c test:///default --virt-type qemu --name sp1 --import --network none \
    --disk "path=$BATS_TEST_TMPDIR/full.qcow2,size=64M,sparse=off"
  assert_success
  [ "$(( $(stat -c %b "$BATS_TEST_TMPDIR/full.qcow2") * 512 ))" -ge $((64 * 1024 * 1024)) ]
  run qemu-img check "$BATS_TEST_TMPDIR/full.qcow2"
  assert_success
}

@test "--memory sub-options, --vcpus cpuset, --cpu +feature, --boot firmware/loader/menu/useserial" {
  print_xml --name m1 --import --disk "$IMG" --network none \
    --memory memory=1024,currentMemory=512,maxMemory=4096,maxMemory.slots=4 \
    --vcpus 2,cpuset=0-1,,^3 --cpu Skylake-Client,+vmx,-hle --boot hd,menu=on,useserial=on
  assert_xq /domain/memory 1048576
  assert_xq /domain/currentMemory 524288
  assert_xq /domain/maxMemory 4194304
  assert_xq /domain/maxMemory/@slots 4
  assert_xq /domain/cpu/numa/cell/@cpus 0-1
  assert_xq /domain/vcpu/@cpuset "0-1,^3"
  assert_xq "/domain/cpu/feature[@name='vmx']/@policy" require
  assert_xq "/domain/cpu/feature[@name='hle']/@policy" disable
  assert_xq /domain/os/bootmenu/@enable yes
  assert_xq /domain/os/bios/@useserial yes
  touch "$BATS_TEST_TMPDIR/code.fd" "$BATS_TEST_TMPDIR/vars.fd"
  print_xml --name m2 --import --disk "$IMG" --network none \
    --boot "loader=$BATS_TEST_TMPDIR/code.fd,nvram.template=$BATS_TEST_TMPDIR/vars.fd"
  assert_xq /domain/os/loader "$BATS_TEST_TMPDIR/code.fd"
  assert_xq /domain/os/nvram/@template "$BATS_TEST_TMPDIR/vars.fd"
  print_xml --name m3 --import --disk "$IMG" --network none --boot firmware=bios
  [ "$(xcount /domain/os/loader)" = 0 ]
}

@test "--destroy-on-exit, --autoconsole, --check: as asked; bad values exit 2" {
  run --separate-stderr vinstall -c test:///default --virt-type qemu --name de1 --import --disk "$IMG" \
    --network none --destroy-on-exit --json
  assert_success
  assert_equal "$(json_get 'j["state"]' <<<"$output")" shutoff
  run --separate-stderr vinstall -c test:///default --virt-type qemu --name de2 --import --disk "$IMG" \
    --network none --graphics vnc --autoconsole graphical
  assert_success
  assert_equal "$stderr" "vinstall: domain de2 is running; its display: vctl vncdisplay de2"
  for args in "--autoconsole web" "--check colour=off" "--check path_in_use=maybe" \
              "--memory memory=1G,currentMemory=2G" "--memory memory=1G,maxMemory=4G" "--memory maxMemory.slots=2" \
              "--memory lots=1" "--vcpus 2,cpuset=all" "--cpu host-model,~vmx" "--boot firmware=coreboot" \
              "--boot nvram.template=/x" "--disk $IMG,target=xyz1" "--disk $IMG,target=vdb --disk $IMG,target=vdb" \
              "--disk $IMG,target=sda" "--disk $IMG,discard=always" "--disk $IMG,io=aio" "--disk $IMG,detect_zeroes=yes" \
              "--disk $IMG,sparse=off" "--disk $IMG,device=lun,bus=virtio" "--disk $IMG,bus=fdc" \
              "--disk $IMG,serial=0123456789012345678901" "--disk $IMG,boot.order=0" "--disk $IMG,type=net" \
              "--disk pool=default-pool,path=/x,size=1" "--disk vol=nopool" "--disk pool=default-pool" \
              "--disk vol=default-pool/x,size=1" "--disk pool=default-pool,vol=default-pool/x,size=1"; do
    # shellcheck disable=SC2086
    run --separate-stderr vinstall -c test:///default --print-xml --name x --import --disk "$IMG" $args
    [ "$status" -eq 2 ] || { echo "args: $args -> $status: $stderr" >&2; return 1; }
    [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] || { echo "args: $args: $stderr" >&2; return 1; }
  done
}

@test "hostile text in the new options is escaped: quotes, <, & and spaces stay values" {
  h='a "b" <c> & d'\''e'
  mkdir -p "$BATS_TEST_TMPDIR/$h"
  print_xml --name x --import --disk "$IMG" --network none \
    --channel "unix,name=org.$h,source.path=$BATS_TEST_TMPDIR/$h/s" \
    --filesystem "$BATS_TEST_TMPDIR/$h,tag $h" --rng "/dev/$h" \
    --disk "$IMG,serial=S-1.2_+x y,target=vdq" --metadata "title=$h,description=$h" \
    --boot "loader=$BATS_TEST_TMPDIR/$h/code.fd"
  assert_xq "/domain/devices/channel/target/@name" "org.$h"
  assert_xq "/domain/devices/channel/source/@path" "$BATS_TEST_TMPDIR/$h/s"
  assert_xq "/domain/devices/filesystem/target/@dir" "tag $h"
  assert_xq "/domain/devices/rng/backend" "/dev/$h"
  assert_xq "/domain/devices/disk[2]/serial" "S-1.2_+x y"
  # a serial libvirt would refuse is refused here
  run vinstall -c test:///default --print-xml --name x --import --disk "$IMG,serial=$h"
  assert_failure 2
  assert_xq /domain/title "$h"
  assert_xq /domain/os/loader "$BATS_TEST_TMPDIR/$h/code.fd"
}

@test "an OS variant's recommended disk size makes a disk given by path alone" {
  run --separate-stderr vinstall -c test:///default --virt-type qemu --name rs1 --import --network none \
    --disk "$BATS_TEST_TMPDIR/rs1.qcow2" --os-variant fedora36
  assert_success
  [[ "$stderr" == *"created with the OS variant's recommended 20 GiB"* ]]
  run qemu-img info --output=json "$BATS_TEST_TMPDIR/rs1.qcow2"
  assert_output --partial '"virtual-size": 21474836480'
  # without an OS variant it is still a missing image
  run vinstall -c test:///default --virt-type qemu --print-xml --name rs2 --import --network none \
    --disk "$BATS_TEST_TMPDIR/rs2.qcow2"
  assert_failure 3
}

@test "--disk pool= in the test driver's directory pool: the path in its target" {
  print_xml --name pl1 --import --disk pool=default-pool,size=1 --network none
  assert_xq "/domain/devices/disk/source/@file" /default-pool/pl1.qcow2
}
