#!/usr/bin/env bats
# Format detection: every container qemu-img knows is recognised by its
# magic, and read when vkit reads its format (vmdk, vhdx, vdi, vpc, qed:
# read only) or
# refused by name (exit 2, one line, nothing written), never read as raw;
# -f raw still reads such a file as raw; what is not a regular file or
# block device is refused without blocking.

load ../image-helpers
load ../install-helpers

# The containers, made once for the whole file (never written by a test):
# "FILE FORMAT" lines in $FIX/list.
setup_file() {
  FIX=$BATS_FILE_TMPDIR/fix
  export FIX
  mkdir -p "$FIX"
  cd "$FIX" || return 1
  local q="qemu-img create -q"
  $q -f vmdk -o subformat=monolithicSparse sparse.vmdk 1M
  $q -f vmdk -o subformat=monolithicFlat flat.vmdk 1M           # + flat-flat.vmdk
  $q -f vmdk -o subformat=streamOptimized stream.vmdk 1M
  $q -f vdi x.vdi 1M
  $q -f vhdx x.vhdx 1M
  $q -f vpc -o subformat=dynamic dynamic.vpc 1M
  $q -f vpc -o subformat=fixed fixed.vpc 1M
  $q -f qed x.qed 1M
  $q -f qcow x.qcow 1M
  $q -f parallels x.parallels 1M
  # (qemu-img times its key derivation: on a busy machine a 10 ms run can
  # measure no CPU time at all, "Unable to get accurate CPU usage"; longer
  # runs then)
  local it
  for it in 10 100 1000; do
    $q -f luks --object secret,id=sec0,data=x -o key-secret=sec0,iter-time=$it x.luks 1M 2>/dev/null && break
  done
  [ -s x.luks ]
  # A descriptor without the "# Disk DescriptorFile" line, as QEMU also
  # accepts it: other comments and a blank line before version=, CRLF.
  { printf '# written by hand\r\n   \r\n'; sed 1d flat.vmdk | sed 's/$/\r/'; } >hand.vmdk
  # Hand-made headers of the formats qemu-img cannot create.
  python3 - <<'PY'
import struct
def image(name, head=b"", tail=b"", size=1 << 20):
    data = bytearray(size)
    data[:len(head)] = head
    if tail:
        data[size - 512:size - 512 + len(tail)] = tail
    open(name, "wb").write(bytes(data))
# dmg: the UDIF trailer "koly" (version 4, header size 512) in the last 512 bytes
image("x.dmg", tail=b"koly" + struct.pack(">II", 4, 512))
# bochs: magic, type and subtype strings, version 2.0 (little-endian)
image("x.bochs", b"Bochs Virtual HD Image".ljust(32, b"\0") + b"Redolog".ljust(16, b"\0")
      + b"Growing".ljust(16, b"\0") + struct.pack("<II", 0x00020000, 512))
# cloop 2.0: the shell header that mounts it
image("x.cloop", b"#!/bin/sh\n#V2.0 Format\nmodprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n")
# parallels, the older magic (qemu-img writes the newer "WithouFreSpacExt")
image("old.parallels", b"WithoutFreeSpace" + struct.pack("<IIII", 2, 16, 32, 2048))
# vmdk 3 (ESX "COWD" sparse header)
image("cowd.vmdk", b"COWD" + struct.pack("<II", 1, 3))
# vdi with only the text of its header (the signature at 64 wiped)
image("text.vdi", b"<<< Oracle VM VirtualBox Disk Image >>>\n")
PY
  cat >list <<'EOF'
sparse.vmdk vmdk
flat.vmdk vmdk
stream.vmdk vmdk
hand.vmdk vmdk
cowd.vmdk vmdk
x.vdi vdi
text.vdi vdi
x.vhdx vhdx
dynamic.vpc vpc
fixed.vpc vpc
x.qed qed
x.qcow qcow
x.luks luks
x.parallels parallels
old.parallels parallels
x.dmg dmg
x.cloop cloop
x.bochs bochs
EOF
  truncate -s 1M zero.raw
  head -c 1M /dev/urandom >random.raw
}

setup() {
  image_setup
}

teardown() {
  image_teardown
}

# refused WANT CMD...: exit 2 (or $REFUSED_STATUS), nothing on stdout,
# one line on stderr that contains WANT, within 10 seconds (nothing may
# wait on a FIFO).
refused() {
  local want=$1 cmd=$2 code=${REFUSED_STATUS:-2}
  shift 2
  case $cmd in vimg | vinstall) cmd=$VK_BUILDDIR/$cmd ;; esac
  local what="${cmd##*/} $*"
  run --separate-stderr timeout 10 "$cmd" "$@"
  [ "$status" -eq "$code" ] || fail "$what: status $status, expected $code (stderr: $stderr)"
  [ -z "$output" ] || fail "$what: printed on stdout: $output"
  [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] || fail "$what: not one line: $stderr"
  [[ $stderr == *"$want"* ]] || fail "$what: message does not say '$want': $stderr"
}

# refused_everywhere FILE FORMAT: every vimg command that reads an image
# refuses FILE, naming FORMAT, and convert leaves no target.
refused_everywhere() {
  local f=$FIX/$1 want="$FIX/$1 is a $2 image"
  refused "$want" vimg info "$f"
  refused "$want" vimg info --json "$f"
  refused "$want" vimg convert -O raw "$f" out.raw
  assert_file_not_exists out.raw
  refused "$want" vimg convert -O qcow2 "$f" out.qcow2
  assert_file_not_exists out.qcow2
  refused "$want" vimg check "$f"
  refused "$want" vimg map "$f"
  refused "$want" vimg compare "$f" "$FIX/zero.raw"
  refused "$want" vimg compare "$FIX/zero.raw" "$f"
  refused "$want" vimg measure -O qcow2 "$f"
  refused "$want" vimg snapshot -l "$f"
  refused "$want" vimg resize "$f" 2M
}

# The fixtures are what they claim: qemu-img's own probe agrees (except on
# the fixed VHD, which it reads as raw and vkit recognises on purpose).
@test "probe: qemu-img agrees on what the fixtures made with it are" {
  local f fmt
  for f in sparse.vmdk flat.vmdk stream.vmdk hand.vmdk x.vdi x.vhdx dynamic.vpc x.qed \
           x.qcow x.luks x.parallels; do
    fmt=$(awk -v f="$f" '$1 == f {print $2}' "$FIX/list")
    assert_equal "$(qemu_info "$FIX/$f" 'j["format"]')" "$fmt"
  done
  assert_equal "$(qemu_info "$FIX/fixed.vpc" 'j["format"]')" raw
}

@test "probe: vmdk, monolithicSparse" { read_everywhere sparse.vmdk vmdk; }
@test "probe: vmdk, monolithicFlat descriptor" { read_everywhere flat.vmdk vmdk; }
@test "probe: vmdk, streamOptimized" { read_everywhere stream.vmdk vmdk; }
@test "probe: vmdk, descriptor without its first line" { read_everywhere hand.vmdk vmdk; }
@test "probe: vmdk 3 (COWD): recognised, and refused by name" {
  refused "$FIX/cowd.vmdk: vkit does not read this vmdk image: an ESX sparse (COWD) extent" vimg info "$FIX/cowd.vmdk"
  refused "an ESX sparse (COWD) extent" vimg convert -O raw "$FIX/cowd.vmdk" out.raw
  assert_file_not_exists out.raw
}
# read_everywhere FILE FORMAT: a format vkit reads: info names it, convert,
# map and compare read what qemu-img reads; a resize is refused, naming
# the format.
read_everywhere() {
  local f=$FIX/$1
  run vimg info --json "$f"
  assert_success
  assert_equal "$(json_get 'j["format"]' <<<"$output")" "$2"
  qemu-img convert -f "$2" -O raw "$f" q.raw
  run vimg convert -O raw "$f" out.raw
  assert_success
  cmp q.raw out.raw
  run vimg compare "$f" q.raw
  assert_success
  run vimg map "$f"
  assert_success
  # vmdk, vpc, vdi and vhdx are written but not resized; a vmdk vkit does not
  # write (a descriptor, a stream with data) says which ones it writes,
  # an empty stream that it is not resized
  case $1 in
  sparse.vmdk | *.vpc | *.vdi | *.vhdx) refused "vkit does not resize $2 images" vimg resize "$f" 2M ;;
  *.vmdk) refused "vmdk images" vimg resize "$f" 2M ;;
  *) refused "vkit reads $2 images but does not write them" vimg resize "$f" 2M ;;
  esac
  refused "$2 images have no options to amend" vimg amend -o lazy_refcounts=on "$f"
  rm -f q.raw out.raw
}

@test "probe: vdi" { read_everywhere x.vdi vdi; }
@test "probe: vdi known by its header text alone: read as vdi, its signature missing is corruption" {
  REFUSED_STATUS=7 refused "$FIX/text.vdi: corrupt vdi image: no signature" vimg info "$FIX/text.vdi"
  REFUSED_STATUS=7 refused "corrupt vdi image: no signature" vimg convert -O raw "$FIX/text.vdi" out.raw
  assert_file_not_exists out.raw
}
@test "probe: vhdx" { read_everywhere x.vhdx vhdx; }
@test "probe: vpc, dynamic" { read_everywhere dynamic.vpc vpc; }
@test "probe: vpc, fixed (footer only)" { read_everywhere fixed.vpc vpc; }
@test "probe: qed" { read_everywhere x.qed qed; }
@test "probe: qcow version 1" { refused_everywhere x.qcow qcow; }
@test "probe: luks" { refused_everywhere x.luks luks; }
@test "probe: parallels" { refused_everywhere x.parallels parallels; }
@test "probe: parallels, older magic" { refused_everywhere old.parallels parallels; }
@test "probe: dmg (koly trailer)" { refused_everywhere x.dmg dmg; }
@test "probe: cloop" { refused_everywhere x.cloop cloop; }
@test "probe: bochs" { refused_everywhere x.bochs bochs; }

@test "probe: -f raw reads a container as the raw bytes it is" {
  local f fmt
  while read -r f fmt; do
    case $f in
    *.vdi | *.vpc | *.vhdx | *.qed | sparse.vmdk | flat.vmdk | stream.vmdk | hand.vmdk) ;;   # read as what they are
    cowd.vmdk) refused "an ESX sparse (COWD) extent" vimg info "$FIX/$f" ;;
    *) refused "is a $fmt image" vimg info "$FIX/$f" ;;
    esac
    run vimg info --json -f raw "$FIX/$f"
    assert_success
    assert_equal "$(json_get 'j["format"]' <<<"$output")" raw
    assert_equal "$(json_get 'j["virtual_size"]' <<<"$output")" "$(stat -c %s "$FIX/$f")"
    run vimg convert -f raw -O raw "$FIX/$f" out.raw
    assert_success
    cmp "$FIX/$f" out.raw || fail "$f: -f raw did not copy its bytes"
    rm -f out.raw
  done <"$FIX/list"
}

@test "probe: the names of the other formats are understood after -f, and refused" {
  local fmt
  for fmt in vmdk vhdx vdi vpc qed; do
    REFUSED_STATUS=7 refused "corrupt $fmt image" vimg info -f "$fmt" "$FIX/zero.raw"
  done
  # vmdk, vdi, vpc and vhdx are created too (vimg-write-formats.bats)
  for fmt in qed; do
    refused "cannot create $fmt images" vimg create -f "$fmt" new.img 1M
    refused "cannot create $fmt images" vimg convert -O "$fmt" "$FIX/zero.raw" out.img
    assert_file_not_exists out.img
  done
  for fmt in qcow luks dmg parallels cloop bochs; do
    refused "$fmt images are not supported" vimg info -f "$fmt" "$FIX/zero.raw"
    refused "$fmt images are not supported" vimg convert -f "$fmt" -O raw "$FIX/zero.raw" out.raw
    assert_file_not_exists out.raw
    refused "$fmt images are not supported" vimg check -f "$fmt" "$FIX/zero.raw"
    refused "$fmt images are not supported" vimg map -f "$fmt" "$FIX/zero.raw"
    refused "$fmt images are not supported" vimg resize -f "$fmt" "$FIX/zero.raw" 2M
    refused "cannot create $fmt images" vimg create -f "$fmt" new.img 1M
    assert_file_not_exists new.img
    refused "cannot create $fmt images" vimg convert -O "$fmt" "$FIX/zero.raw" out.img
    assert_file_not_exists out.img
  done
  [ "$(stat -c %s "$FIX/zero.raw")" -eq 1048576 ]
  refused "unknown image format 'nosuch'" vimg info -f nosuch "$FIX/zero.raw"
}

@test "probe: a container as a backing file is refused, recorded or detected" {
  qemu-img create -q -f qcow2 -b "$FIX/x.qcow" -F qcow -u rec.qcow2 1M
  # An overlay that records no backing format (qemu-img no longer makes
  # one): its backing-format header extension turned into an unknown one.
  qemu-img create -q -f qcow2 -b "$FIX/x.parallels" -F parallels -u det.qcow2 1M
  python3 - det.qcow2 <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
at = data.index(bytes.fromhex("e2792aca"))
data[at:at + 4] = bytes.fromhex("00007777")
open(sys.argv[1], "wb").write(bytes(data))
PY
  assert_equal "$(qemu_info det.qcow2 'j.get("backing-filename-format")')" null
  refused "qcow images are not supported" vimg info --backing-chain rec.qcow2
  refused "qcow images are not supported" vimg convert -O raw rec.qcow2 out.raw
  assert_file_not_exists out.raw
  refused "$FIX/x.parallels is a parallels image" vimg convert -O raw det.qcow2 out.raw
  assert_file_not_exists out.raw
  refused "$FIX/x.parallels is a parallels image" vimg map det.qcow2
  refused "$FIX/x.parallels is a parallels image" vimg create -f qcow2 -b "$FIX/x.parallels" ov.qcow2
  assert_file_not_exists ov.qcow2
  refused "qcow images are not supported" vimg create -f qcow2 -b "$FIX/zero.raw" -F qcow ov.qcow2
  assert_file_not_exists ov.qcow2
}

@test "probe: vinstall --import refuses a container given without format=" {
  local f fmt
  while read -r f fmt; do
    refused "$FIX/$f is a $fmt image" \
      vinstall -c test:///default --print-xml --name x --import --disk "path=$FIX/$f" --network none
  done <"$FIX/list"
}

@test "probe: vinstall format=raw attaches a container as raw" {
  requires virt-xml-validate xmllint
  refused "is a vmdk image" \
    vinstall -c test:///default --print-xml --name x --import --disk "path=$FIX/sparse.vmdk" --network none
  print_xml --name x --import --disk "path=$FIX/sparse.vmdk,format=raw" --network none
  assert_xq '/domain/devices/disk/driver/@type' raw
  assert_xq '/domain/devices/disk/source/@file' "$FIX/sparse.vmdk"
}

@test "probe: a FIFO is refused at once, as an image and as a backing file" {
  local want="is not a regular file or block device"
  mkfifo fifo
  refused "fifo $want" vimg info fifo
  refused "fifo $want" vimg info -f raw fifo
  refused "fifo $want" vimg convert -O raw fifo out.raw
  assert_file_not_exists out.raw
  refused "fifo $want" vimg check fifo
  refused "fifo $want" vimg check -f qcow2 fifo
  refused "fifo $want" vimg map -f raw fifo
  refused "fifo $want" vimg compare -f raw -F raw fifo "$FIX/zero.raw"
  # As the backing file of an image, it breaks the chain: corrupt (7).
  qemu-img create -q -f qcow2 -b fifo -F raw -u over.qcow2 1M
  REFUSED_STATUS=7 refused "fifo $want" vimg info --backing-chain over.qcow2
  REFUSED_STATUS=7 refused "fifo $want" vimg convert -O raw over.qcow2 out.raw
  assert_file_not_exists out.raw
  REFUSED_STATUS=7 refused "fifo $want" vimg map over.qcow2
  refused "fifo $want" vimg create -f qcow2 -b fifo -F raw ov2.qcow2
  assert_file_not_exists ov2.qcow2
  refused "fifo $want" \
    vinstall -c test:///default --print-xml --name x --import --disk "path=$PWD/fifo" --network none
}

@test "probe: a directory and a character device are not images" {
  mkdir d
  refused "d is not a regular file or block device" vimg info d
  refused "d is not a regular file or block device" vimg info -f raw d
  refused "/dev/null is not a regular file or block device" vimg info /dev/null
  refused "/dev/null is not a regular file or block device" vimg convert -f raw -O raw /dev/null out.raw
  assert_file_not_exists out.raw
}

@test "probe: zeros, random bytes and an empty file are raw; a VHD footer makes zeros vpc" {
  : >empty.raw
  local f
  for f in "$FIX/zero.raw" "$FIX/random.raw" empty.raw; do
    assert_equal "$(vimg_info "$f" 'j["format"]')" raw
    assert_equal "$(qemu_info "$f" 'j["format"]')" raw
    run vimg convert -O raw "$f" out.raw
    assert_success
    cmp "$f" out.raw
    rm -f out.raw
  done
  requires virt-xml-validate xmllint
  print_xml --name x --import --disk "path=$FIX/random.raw" --network none
  assert_xq '/domain/devices/disk/driver/@type' raw
  # The same zeros with the footer of a fixed VHD at the end.
  cp "$FIX/zero.raw" footed.raw
  tail -c 512 "$FIX/fixed.vpc" | dd of=footed.raw bs=512 seek=2047 conv=notrunc status=none
  # (read as a fixed VHD, whose footer claims more data than is there)
  REFUSED_STATUS=7 refused "footed.raw: corrupt vpc image: the file is shorter than the disk" vimg info footed.raw
}
