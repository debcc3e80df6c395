#!/usr/bin/env bats
# The formats vkit reads besides raw and qcow2, against qemu-img: VMDK (every
# subformat qemu-img makes), VHDX (fixed, dynamic), VHD (vpc: fixed,
# dynamic, with each creator's idea of the disk size), VDI (dynamic,
# static) and QED, made by qemu-img and written by qemu-io, read
# byte-identical to `qemu-img convert -O raw`, mapped as `qemu-img map`
# maps them, converted to qcow2 that `qemu-img check` finds clean; and
# the same images damaged or of kinds vkit does not read, refused in one
# line with the status vimg(1) gives, leaving no target.  What vimg
# writes in these formats: vimg-write-formats.bats.

load ../image-helpers

setup() {
  requires qemu-img qemu-io python3
  image_setup
}

teardown() {
  image_teardown
}

# fill FMT IMG: data in a few places, zeros written over part of it, a
# write across a block boundary (VHD blocks are 2 MiB, VDI blocks 1 MiB).
fill() {
  qemu-io -f "$1" -c "write -P 0x11 0 64k" -c "write -P 0x22 1536k 1M" \
    -c "write -P 0x33 5M 3M" -c "write -z 6M 512k" -c "write -P 0x44 31M 1M" "$2" >/dev/null
}

# same_as_qemu FMT IMG [nomap]: convert, map, compare and info agree with
# qemu-img.  With nomap the maps are not compared: of a fixed VHD or a
# static VDI qemu-img calls every byte data (holes too, flagged zero),
# vimg the holes zeros.
same_as_qemu() {
  local fmt=$1 img=$2 nomap=${3:-}
  qemu-img convert -f "$fmt" -O raw "$img" q.raw
  run vimg convert -O raw "$img" v.raw
  assert_success
  cmp q.raw v.raw || fail "vimg reads $img differently from qemu-img"
  run vimg map --json "$img"
  assert_success
  local vmap qmap
  vmap=$(json_get '[[e["start"], e["length"], e["data"]] for e in j if e["data"]]' <<<"$output")
  qmap=$(qemu-img map -f "$fmt" --output=json "$img" |
    json_get '[[e["start"], e["length"], e["data"]] for e in j if e["data"]]')
  [ -n "$nomap" ] || assert_equal "$vmap" "$qmap"
  run vimg info --json "$img"
  assert_equal "$(json_get 'j["virtual_size"]' <<<"$output")" \
    "$(qemu-img info -f "$fmt" --output=json "$img" | json_get 'j["virtual-size"]')"
  run vimg compare "$img" q.raw
  assert_success
  run vimg convert -O qcow2 "$img" out.qcow2
  assert_success
  assert_qemu_clean out.qcow2
  assert_qemu_same -f "$fmt" -F qcow2 "$img" out.qcow2
  rm -f q.raw v.raw out.qcow2
}

@test "vpc dynamic: read as qemu-img reads it, mapped as it maps it, converted to qcow2" {
  qemu-img create -q -f vpc d.vhd 40M
  fill vpc d.vhd
  same_as_qemu vpc d.vhd
  run vimg info d.vhd
  assert_line "file format: vpc"
  assert_line "cluster_size: 2097152"
}

@test "vpc fixed: the data before the footer; holes stay holes in the copy" {
  qemu-img create -q -f vpc -o subformat=fixed f.vhd 40M
  fill vpc f.vhd
  same_as_qemu vpc f.vhd nomap
  run vimg convert -O raw f.vhd v.raw
  [ "$(du -k v.raw | cut -f1)" -lt 8192 ]
}

@test "vpc: the size is the footer's with force_size (creator qem2), the geometry's otherwise, as qemu-img" {
  qemu-img create -q -f vpc -o force_size=on s.vhd 40M
  qemu-img create -q -f vpc g.vhd 40M
  [ "$(qemu-img info --output=json s.vhd | json_get 'j["virtual-size"]')" -eq $((40 << 20)) ]
  [ "$(qemu-img info --output=json g.vhd | json_get 'j["virtual-size"]')" -ne $((40 << 20)) ]
  fill vpc s.vhd
  same_as_qemu vpc s.vhd
  same_as_qemu vpc g.vhd
}

@test "vdi dynamic and static: read as qemu-img reads them, converted to qcow2" {
  qemu-img create -q -f vdi d.vdi 40M
  fill vdi d.vdi
  same_as_qemu vdi d.vdi
  qemu-img create -q -f vdi -o static=on s.vdi 40M
  fill vdi s.vdi
  same_as_qemu vdi s.vdi nomap
  run vimg info d.vdi
  assert_line "file format: vdi"
  assert_line "cluster_size: 1048576"
}

# random_writes FMT IMG SEED: 200 writes by qemu-io into the 64 MiB IMG,
# of 512 B to 150 KiB at sector offsets, from a seeded generator.
random_writes() {
  local cmds args
  cmds=$(python3 - "$3" <<'PY'
import random, sys
r = random.Random(int(sys.argv[1]))
for i in range(200):
    off = r.randrange(0, (64 << 20) // 512 - 256) * 512
    n = r.choice([512, 4096, 65536, 300 * 512])
    print("-c\nwrite -P %d %d %d" % (r.randrange(1, 256), off, n))
PY
)
  mapfile -t args <<<"$cmds"
  qemu-io -f "$1" "${args[@]}" "$2" >/dev/null
}

@test "random writes: 200 of them into a vpc and a vdi image read as qemu-img reads them" {
  local fmt
  for fmt in vpc vdi; do
    qemu-img create -q -f "$fmt" "r.$fmt" 64M
    random_writes "$fmt" "r.$fmt" 7
    same_as_qemu "$fmt" "r.$fmt"
  done
}

@test "vpc and vdi are written, not resized: resize and rebase refuse, nothing changes; as a backing file a vpc image is read" {
  qemu-img create -q -f vpc d.vhd 8M
  qemu-img create -q -f vdi d.vdi 8M
  sha256sum d.vhd d.vdi >sums
  for img in d.vhd d.vdi; do
    fmt=${img#d.}; fmt=${fmt/vhd/vpc}
    run --separate-stderr vimg resize "$img" +1M
    assert_failure 2
    [[ "$stderr" == *"vkit does not resize $fmt images (convert it to qcow2 or raw)"* ]]
    run --separate-stderr vimg rebase -u -b "" "$img"
    assert_failure 2
  done
  sha256sum -c --quiet sums
  # as a backing file a vpc image is read
  qemu-io -f vpc -c "write -P 0x5a 1M 1M" d.vhd >/dev/null
  vimg create -f qcow2 -b d.vhd -F vpc top.qcow2
  qemu-img convert -O raw top.qcow2 q.raw
  run vimg convert -O raw top.qcow2 v.raw
  assert_success
  cmp q.raw v.raw
}

# patch FILE OFFSET HEX: overwrite bytes.
patch() {
  printf '%s' "$3" | xxd -r -p | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# vhd_sum FILE AT LEN: rewrite the VHD checksum of the LEN-byte structure
# at AT (the footer at 0 or the dynamic header at 512).
vhd_sum() {
  python3 - "$@" <<'PY'
import struct, sys
path, at, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
f = open(path, "r+b"); f.seek(at); b = bytearray(f.read(n))
c = 64 if n == 512 else 36
b[c:c + 4] = b"\0\0\0\0"
b[c:c + 4] = struct.pack(">I", ~sum(b) & 0xffffffff)
f.seek(at); f.write(b)
if n == 512 and at == 0:   # the copy at the end as well
    f.seek(0, 2); end = f.tell(); f.seek(end - 512); f.write(b)
PY
}

# damaged WANT-STATUS WANT-TEXT IMG: refused by info and convert, one
# line, no target left.
damaged() {
  run --separate-stderr vimg info "$3"
  assert_failure "$1"
  [[ "$stderr" == *"$2"* ]] || fail "info: $stderr"
  [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
  run --separate-stderr vimg convert -O qcow2 "$3" out.qcow2
  assert_failure "$1"
  [ ! -e out.qcow2 ]
}

# damaged_data WANT-STATUS WANT-TEXT IMG: what is damaged is met reading
# the data: convert fails (no target left), and so does compare.
damaged_data() {
  run --separate-stderr vimg convert -O qcow2 "$3" out.qcow2
  assert_failure "$1"
  [[ "$stderr" == *"$2" ]] || fail "convert: $stderr"
  [ ! -e out.qcow2 ]
  qemu-img create -q -f raw zero.raw "$(vimg info --json "$3" | json_get 'j["virtual_size"]')"
  run --separate-stderr vimg compare "$3" zero.raw
  assert_failure "$1"
}

@test "damaged VHDs: checksums, a block or the table outside the file, a truncated fixed disk, a differencing disk" {
  requires xxd
  qemu-img create -q -f vpc d.vhd 8M
  qemu-io -f vpc -c "write -P 0x11 0 3M" d.vhd >/dev/null
  cp d.vhd a.vhd; patch a.vhd 100 ff
  damaged 7 "a.vhd: corrupt vpc image: the footer's checksum is wrong" a.vhd
  cp d.vhd b.vhd; patch b.vhd $((512 + 200)) ff
  damaged 7 "corrupt vpc image: the dynamic header's checksum is wrong" b.vhd
  # the first table entry (the table follows the dynamic header at 1536)
  cp d.vhd c.vhd; patch c.vhd 1536 00ffff00
  damaged 7 "corrupt vpc image: a block lies outside the file" c.vhd
  # the table's offset past the end
  cp d.vhd e.vhd; patch e.vhd $((512 + 16)) 00000000ffff0000; vhd_sum e.vhd 512 1024
  damaged 7 "corrupt vpc image: the block table lies outside the file" e.vhd
  # a block size that is no power of two
  cp d.vhd g.vhd; patch g.vhd $((512 + 32)) 00300000; vhd_sum g.vhd 512 1024
  damaged 7 "the block size is not a power of two" g.vhd
  # a differencing disk (type 4)
  cp d.vhd h.vhd; patch h.vhd 60 00000004; vhd_sum h.vhd 0 512
  damaged 2 "h.vhd is a differencing VHD, which vkit does not read" h.vhd
  # a fixed disk cut short
  qemu-img create -q -f vpc -o subformat=fixed f.vhd 8M
  { head -c 4M f.vhd; tail -c 512 f.vhd; } >t.vhd
  damaged 7 "t.vhd: corrupt vpc image: the file is shorter than the disk" t.vhd
}

@test "damaged and unsupported VDIs: a block outside the file, a map past its end, a parent, a version, sectors" {
  requires xxd
  qemu-img create -q -f vdi d.vdi 8M
  qemu-io -f vdi -c "write -P 0x11 0 2M" d.vdi >/dev/null
  map=$(python3 -c 'import struct; print(struct.unpack("<I", open("d.vdi","rb").read()[340:344])[0])')
  cp d.vdi a.vdi; patch a.vdi "$map" 07000000
  damaged 7 "a.vdi: corrupt vdi image: a block lies outside the file" a.vdi
  cp d.vdi b.vdi; patch b.vdi 340 00feff7f
  damaged 7 "corrupt vdi image: the block map lies outside the file" b.vdi
  cp d.vdi c.vdi; patch c.vdi 440 01
  damaged 2 "c.vdi: vkit does not read this vdi image: a linked image, or one with a parent" c.vdi
  cp d.vdi e.vdi; patch e.vdi 68 00000200
  damaged 2 "vkit does not read this vdi image: not version 1.1" e.vdi
  cp d.vdi g.vdi; patch g.vdi 360 00100000
  damaged 2 "its sectors are not 512 bytes" g.vdi
  cp d.vdi h.vdi; patch h.vdi 376 00001000; patch h.vdi 384 01000000
  damaged 7 "the blocks do not cover the disk size" h.vdi
  # a discarded block reads as zeros, as in qemu-img
  cp d.vdi z.vdi; patch z.vdi "$map" feffffff
  same_as_qemu vdi z.vdi
}

@test "vmdk: monolithicSparse, monolithicFlat, twoGbMaxExtentSparse, twoGbMaxExtentFlat, streamOptimized read as qemu-img reads them" {
  local sf
  for sf in monolithicSparse twoGbMaxExtentSparse monolithicFlat twoGbMaxExtentFlat; do
    qemu-img create -q -f vmdk -o subformat=$sf $sf.vmdk 40M
    fill vmdk $sf.vmdk
    case $sf in
    *Flat) same_as_qemu vmdk $sf.vmdk nomap ;;
    *) same_as_qemu vmdk $sf.vmdk ;;
    esac
  done
  # a stream (what OVA files hold) is written once, by convert
  qemu-img create -q -f raw src.raw 40M
  fill raw src.raw
  qemu-img convert -f raw -O vmdk -o subformat=streamOptimized src.raw s.vmdk
  same_as_qemu vmdk s.vmdk
  run vimg info s.vmdk
  assert_line "file format: vmdk"
  assert_line "cluster_size: 65536"
  # zeroed grains (a zero write with the zeroed-grain flag on) and
  # compressed ones of a sparse file
  qemu-img create -q -f vmdk -o zeroed_grain=on z.vmdk 8M
  qemu-io -f vmdk -c "write -P 0x55 0 1M" -c "write -z 256k 256k" z.vmdk >/dev/null
  same_as_qemu vmdk z.vmdk
}

@test "vmdk: 200 random writes into a monolithicSparse image read as qemu-img reads them" {
  qemu-img create -q -f vmdk r.vmdk 64M
  random_writes vmdk r.vmdk 11
  same_as_qemu vmdk r.vmdk
}

# vmdk_field FILE NAME: a field of the sparse header at the start of FILE
# (gd, rgd, grain, desc), or of the footer of a stream with "footer-"
# (the sector before the end-of-stream marker).
vmdk_field() {
  python3 - "$@" <<'PY'
import struct, sys
path, name = sys.argv[1], sys.argv[2]
b = open(path, "rb").read()
h = b[-1024:-512] if name.startswith("footer-") else b[:512]
name = name.replace("footer-", "")
fields = {"grain": 20, "desc": 28, "rgd": 48, "gd": 56}
print(struct.unpack("<Q", h[fields[name]:fields[name] + 8])[0])
PY
}

@test "damaged and unsupported VMDKs: the directory, a table, a grain, a compressed grain, a parent, extents" {
  requires xxd
  qemu-img create -q -f vmdk d.vmdk 8M
  qemu-io -f vmdk -c "write -P 0x11 0 1M" d.vmdk >/dev/null
  gd=$(vmdk_field d.vmdk gd)
  # the grain directory's offset past the end
  cp d.vmdk a.vmdk; patch a.vmdk 56 ffffff0000000000
  damaged 7 "a.vmdk: corrupt vmdk image: the grain directory lies outside the file" a.vmdk
  # its first table past the end
  cp d.vmdk b.vmdk; patch b.vmdk $((gd * 512)) ffffff00
  damaged 7 "corrupt vmdk image: a grain table lies outside the file" b.vmdk
  # a grain of the first table past the end
  gt=$(python3 -c "import struct; print(struct.unpack('<I', open('d.vmdk','rb').read()[$gd*512:$gd*512+4])[0])")
  cp d.vmdk c.vmdk; patch c.vmdk $((gt * 512)) ffffff00
  # (a table is checked when it is first read: info reads none)
  damaged_data 7 "c.vmdk: corrupt vmdk image: a grain lies outside the file" c.vmdk
  # a grain size that is no power of two
  cp d.vmdk e.vmdk; patch e.vmdk 20 0300000000000000
  damaged 7 "the grain size is not a power of two" e.vmdk
  # a parent in the embedded descriptor
  cp d.vmdk f.vmdk
  desc=$(vmdk_field d.vmdk desc)
  python3 - f.vmdk "$desc" <<'PY'
import sys
path, desc = sys.argv[1], int(sys.argv[2])
b = bytearray(open(path, "rb").read())
at = b.index(b"parentCID=ffffffff", desc * 512)
b[at:at + 18] = b"parentCID=12345678"
open(path, "wb").write(b)
PY
  damaged 7 "f.vmdk: corrupt vmdk image: it has a parentCID but no parentFileNameHint" f.vmdk
  # a stream whose first compressed grain is cut or garbled
  qemu-img create -q -f raw src.raw 4M
  qemu-io -f raw -c "write -P 0x22 0 1M" src.raw >/dev/null
  qemu-img convert -f raw -O vmdk -o subformat=streamOptimized src.raw s.vmdk
  # (qemu-img puts the directory's offset in the header; VMware leaves
  # it "at the end" there, and writes the header again as a footer: so
  # does this copy, read as qemu-img reads it)
  python3 - s.vmdk fs.vmdk <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
head = bytearray(b[:512])
b[56:64] = struct.pack("<Q", 0xffffffffffffffff)
marker = struct.pack("<QII", 1, 0, 3).ljust(512, b"\0")   # footer marker
open(sys.argv[2], "wb").write(bytes(b) + marker + bytes(head) + bytes(512))
PY
  [ "$(vmdk_field fs.vmdk gd)" = 18446744073709551615 ]
  same_as_qemu vmdk fs.vmdk
  gd=$(vmdk_field s.vmdk gd)
  gt=$(python3 -c "import struct; print(struct.unpack('<I', open('s.vmdk','rb').read()[$gd*512:$gd*512+4])[0])")
  g0=$(python3 -c "import struct; print(struct.unpack('<I', open('s.vmdk','rb').read()[$gt*512:$gt*512+4])[0])")
  cp s.vmdk g.vmdk; patch g.vmdk $((g0 * 512 + 8)) ffffff7f
  damaged_data 7 "g.vmdk: corrupt vmdk image: a compressed grain's length is wrong" g.vmdk
  cp s.vmdk h.vmdk; patch h.vmdk $((g0 * 512 + 12)) 0000000000000000
  damaged_data 7 "h.vmdk: corrupt vmdk image: a compressed grain does not inflate to a whole grain" h.vmdk
  # descriptors: a missing extent file, an unknown extent type, a short flat file
  qemu-img create -q -f vmdk -o subformat=monolithicFlat fl.vmdk 4M
  cp fl.vmdk m.vmdk; sed -i 's/fl-flat.vmdk/nosuch-flat.vmdk/' m.vmdk
  damaged 3 "m.vmdk: extent" m.vmdk
  cp fl.vmdk t.vmdk; sed -i 's/ FLAT / VMFSSPARSE /' t.vmdk
  damaged 2 "vkit does not read this vmdk image: an extent of type VMFSSPARSE" t.vmdk
  cp fl-flat.vmdk short-flat.vmdk; truncate -s 1M short-flat.vmdk
  cp fl.vmdk u.vmdk; sed -i 's/fl-flat.vmdk/short-flat.vmdk/' u.vmdk
  damaged 7 "short-flat.vmdk: corrupt vmdk image: a flat extent's file is shorter than the extent" u.vmdk
  cp fl.vmdk w.vmdk; sed -i 's/^RW .*/RW many FLAT "fl-flat.vmdk" 0/' w.vmdk
  damaged 7 "an extent line of the descriptor is not understood" w.vmdk
}

@test "vmdk deltas: a delta qemu-img made over a parent reads through it; a parent changed since (its CID) is refused; deltas are not written" {
  qemu-img create -q -f vmdk base.vmdk 8M
  qemu-io -f vmdk -c "write -P 0x11 0 8M" base.vmdk >/dev/null
  qemu-img create -q -f vmdk -b base.vmdk -F vmdk top.vmdk
  qemu-io -f vmdk -c "write -P 0x22 1M 100k" -c "write -P 0x33 7M 4k" top.vmdk >/dev/null
  run vimg info top.vmdk
  assert_success
  assert_line "backing file: base.vmdk"
  assert_line "backing file format: vmdk"
  same_as_qemu vmdk top.vmdk
  assert_equal "$(vimg map --json top.vmdk | json_get '[(e["start"], e["depth"]) for e in j]')" \
    "$(qemu-img map --output=json top.vmdk | json_get '[(e["start"], e["depth"]) for e in j]')"
  fails_one_line 2 vimg resize top.vmdk 16M
  [[ $stderr == *"does not write vmdk deltas"* ]] || fail "$stderr"
  # the parent written after the delta was made: both tools refuse to read it
  qemu-io -f vmdk -c "write -P 0x44 0 4k" base.vmdk >/dev/null
  run qemu-img convert -O raw top.vmdk q.raw
  assert_failure
  fails_one_line 7 vimg convert -O raw top.vmdk v.raw
  [[ $stderr == *"its parent has changed since it was made"* ]] || fail "$stderr"
  [ ! -e v.raw ] || fail "a target was left"
}

@test "vmdk seSparse deltas (ESXi snapshots): read as qemu-img reads them, through the parent; a dirty journal, a bad entry, a bad directory refused" {
  qemu-img create -q -f vmdk base.vmdk 32M
  qemu-io -f vmdk -c "write -P 0x55 0 32M" base.vmdk >/dev/null
  local cid
  cid=$(grep -a '^CID=' base.vmdk | cut -d= -f2)
  python3 "$BATS_TEST_DIRNAME/../vmdk-sesparse.py" . "$cid"
  run vimg info top.vmdk
  assert_success
  assert_line "cluster_size: 4096"
  assert_line "backing file: base.vmdk"
  same_as_qemu vmdk top.vmdk
  assert_equal "$(vimg map --json top.vmdk | json_get '[(e["start"], e["length"], e["depth"], e["zero"], e.get("offset")) for e in j]')" \
    "$(qemu-img map --output=json top.vmdk | json_get '[(e["start"], e["length"], e["depth"], e["zero"], e.get("offset")) for e in j]')"
  python3 "$BATS_TEST_DIRNAME/../vmdk-sesparse.py" . "$cid" --dirty
  damaged 2 "top-sesparse.vmdk: vkit does not read this vmdk image: a seSparse extent whose journal needs replaying" top.vmdk
  python3 "$BATS_TEST_DIRNAME/../vmdk-sesparse.py" . "$cid" --bad-entry
  damaged_data 7 "top-sesparse.vmdk: corrupt vmdk image: a grain table entry of an unknown type" top.vmdk
  python3 "$BATS_TEST_DIRNAME/../vmdk-sesparse.py" . "$cid" --bad-directory
  damaged 7 "top-sesparse.vmdk: corrupt vmdk image: a grain table lies outside the file" top.vmdk
}

@test "vhdx: dynamic (qemu-img's 8 MiB blocks, and 1 MiB ones) and fixed read as qemu-img reads them" {
  # (qemu-img map does not map vhdx images: the maps are not compared)
  qemu-img create -q -f vhdx d.vhdx 40M
  qemu-img create -q -f vhdx -o block_size=1M d1.vhdx 40M
  qemu-img create -q -f vhdx -o subformat=fixed f.vhdx 40M
  for img in d.vhdx d1.vhdx f.vhdx; do
    fill vhdx "$img"
    same_as_qemu vhdx "$img" nomap
  done
  run vimg info d1.vhdx
  assert_line "file format: vhdx"
  assert_line "cluster_size: 1048576"
  run vimg map --json d1.vhdx
  [ "$(json_get '[[e["start"], e["length"]] for e in j if e["data"]]' <<<"$output")" = \
    "[[0, 3145728], [5242880, 3145728], [32505856, 1048576]]" ]
  qemu-img create -q -f vhdx -o block_size=1M r.vhdx 64M
  random_writes vhdx r.vhdx 13
  same_as_qemu vhdx r.vhdx nomap
}

# vhdx_fix FILE AT LEN CRC-AT: recompute the CRC-32C of the LEN-byte
# structure at AT whose checksum is at CRC-AT within it.
vhdx_fix() {
  python3 - "$@" <<'PY'
import struct, sys
path, at, n, c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
t = []
for i in range(256):
    v = i
    for k in range(8):
        v = (v >> 1) ^ (0x82f63b78 if v & 1 else 0)
    t.append(v)
f = open(path, "r+b"); f.seek(at); b = bytearray(f.read(n))
b[c:c + 4] = b"\0\0\0\0"
crc = 0xffffffff
for x in b:
    crc = t[(crc ^ x) & 0xff] ^ (crc >> 8)
b[c:c + 4] = struct.pack("<I", crc ^ 0xffffffff)
f.seek(at); f.write(b)
PY
}

@test "damaged and unsupported VHDXs: headers, an empty log, region tables, BAT entries, a parent" {
  requires xxd
  qemu-img create -q -f vhdx -o block_size=1M d.vhdx 8M
  qemu-io -f vhdx -c "write -P 0x11 0 2M" d.vhdx >/dev/null
  # both headers garbled
  cp d.vhdx a.vhdx; patch a.vhdx $((64 * 1024 + 100)) ff; patch a.vhdx $((128 * 1024 + 100)) ff
  damaged 7 "a.vhdx: corrupt vhdx image: neither header is valid" a.vhdx
  # one header garbled: the other is used
  cp d.vhdx b.vhdx; patch b.vhdx $((64 * 1024 + 100)) ff; patch b.vhdx $((128 * 1024 + 100)) ff
  vhdx_fix b.vhdx $((128 * 1024)) 4096 4
  same_as_qemu vhdx b.vhdx nomap
  # a log GUID in both headers (valid checksums) but no log entry with it:
  # the log is empty, nothing to replay, read as qemu-img reads it
  cp d.vhdx c.vhdx
  for h in 64 128; do patch c.vhdx $((h * 1024 + 48)) 0102030405060708090a0b0c0d0e0f10; vhdx_fix c.vhdx $((h * 1024)) 4096 4; done
  same_as_qemu vhdx c.vhdx nomap
  # the first region table garbled: the second copy is read (qemu-img
  # refuses the image)
  cp d.vhdx e.vhdx; patch e.vhdx $((192 * 1024 + 20)) ff
  qemu-img convert -f vhdx -O raw d.vhdx q.raw
  run vimg convert -O raw e.vhdx v.raw
  assert_success
  cmp q.raw v.raw
  cp e.vhdx g.vhdx; patch g.vhdx $((256 * 1024 + 20)) ff
  damaged 7 "g.vhdx: corrupt vhdx image: neither region table is valid" g.vhdx
  # BAT entries (the BAT region's offset from the region table)
  bat=$(python3 -c "import struct; b=open('d.vhdx','rb').read(); print(struct.unpack('<Q', b[192*1024+32:192*1024+40])[0])")
  cp d.vhdx i.vhdx; patch i.vhdx "$bat" 07
  damaged 7 "i.vhdx: corrupt vhdx image: a block's state is not one of a disk without a parent" i.vhdx
  cp d.vhdx j.vhdx; patch j.vhdx "$bat" 060000f0ff
  damaged 7 "j.vhdx: corrupt vhdx image: a block lies outside the file" j.vhdx
  # a parent (the file parameters' HasParent flag)
  meta=$(python3 -c "import struct; b=open('d.vhdx','rb').read(); print(struct.unpack('<Q', b[192*1024+64:192*1024+72])[0])")
  fp=$(python3 - "$meta" <<'PY'
import struct, sys
b = open("d.vhdx", "rb").read(); m = int(sys.argv[1])
n = struct.unpack("<H", b[m + 10:m + 12])[0]
for i in range(n):
    e = b[m + 32 + 32 * i:m + 64 + 32 * i]
    if e[:16] == bytes.fromhex("3767a1ca36fa434db3b633f0aa44e76b"):
        print(m + struct.unpack("<I", e[16:20])[0])
PY
)
  cp d.vhdx k.vhdx; patch k.vhdx $((fp + 4)) 02
  damaged 2 "k.vhdx is a differencing VHDX (it has a parent), which vkit does not read" k.vhdx
}

@test "qed: read as qemu-img reads it, mapped as it maps it; zeroed clusters; damage and a backing file refused" {
  requires xxd
  qemu-img create -q -f qed d.qed 40M
  fill qed d.qed
  same_as_qemu qed d.qed
  qemu-img create -q -f qed -o cluster_size=4k s.qed 64M
  random_writes qed s.qed 17
  same_as_qemu qed s.qed
  run vimg info s.qed
  assert_line "file format: qed"
  assert_line "cluster_size: 4096"
  # the L1 table's offset (header field at 40) past the end
  cp d.qed a.qed; patch a.qed 40 000000ffff000000
  damaged 7 "a.qed: corrupt qed image: the L1 table lies outside the file" a.qed
  # its first entry: an L2 table past the end
  l1=$(python3 -c "import struct; print(struct.unpack('<Q', open('d.qed','rb').read()[40:48])[0])")
  cp d.qed b.qed; patch b.qed "$l1" 0000ffffff000000
  damaged 7 "b.qed: corrupt qed image: an L2 table lies outside the file or is not aligned" b.qed
  # a data cluster not aligned (found when its table is read)
  l2=$(python3 -c "import struct; print(struct.unpack('<Q', open('d.qed','rb').read()[$l1:$l1+8])[0])")
  cp d.qed c.qed; patch c.qed "$l2" 0102000000000000
  damaged_data 7 "c.qed: corrupt qed image: a data cluster lies outside the file or is not aligned" c.qed
  # a cluster size that is no power of two; an unknown feature
  cp d.qed e.qed; patch e.qed 4 00300100
  damaged 7 "the cluster size is not a power of two" e.qed
  cp d.qed g.qed; patch g.qed 16 0001000000000000
  damaged 2 "g.qed: vkit does not read this qed image: features vkit does not know" g.qed
  qemu-img create -q -f qed -b d.qed -F qed o.qed
  damaged 2 "o.qed is a qed image with a backing file, which vkit does not read" o.qed
}

@test "check of the formats vimg reads: clean where qemu-img check is, 7 for a shared block or a damaged table, -r refused" {
  requires xxd
  qemu-img create -q -f vdi d.vdi 8M
  qemu-io -f vdi -c "write -P 0x11 0 3M" d.vdi >/dev/null
  qemu-img create -q -f vmdk d.vmdk 8M
  qemu-io -f vmdk -c "write -P 0x11 0 1M" d.vmdk >/dev/null
  qemu-img create -q -f vhdx -o block_size=1M d.vhdx 8M
  qemu-io -f vhdx -c "write -P 0x11 0 2M" d.vhdx >/dev/null
  qemu-img create -q -f qed d.qed 8M
  qemu-io -f qed -c "write -P 0x11 0 1M" d.qed >/dev/null
  qemu-img create -q -f vpc d.vhd 8M
  for img in d.vdi d.vmdk d.vhdx d.qed d.vhd; do
    run --separate-stderr vimg check "$img"
    assert_success
    assert_line "No errors were found on the image."
    run vimg check --json "$img"
    assert_equal "$(json_get 'j["corruptions"]' <<<"$output")" 0
  done
  assert_equal "$(vimg check --json d.vdi | json_get 'j["allocated_clusters"]')" 3
  run --separate-stderr vimg check -r all d.vdi
  assert_failure 2
  [[ "$stderr" == *"d.vdi: vkit does not repair vdi images (-r)"* ]]
  # two guest blocks on one host block: qemu-img check calls it corrupt too
  map=$(python3 -c 'import struct; print(struct.unpack("<I", open("d.vdi","rb").read()[340:344])[0])')
  cp d.vdi two.vdi; patch two.vdi $((map + 4)) 00000000
  run qemu-img check two.vdi
  assert_failure
  run --separate-stderr vimg check two.vdi
  assert_failure 7
  [[ "$stderr" == *"share host offset"* ]]
  # a grain table damaged: found by the walk (info alone does not read it)
  gd=$(vmdk_field d.vmdk gd)
  gt=$(python3 -c "import struct; print(struct.unpack('<I', open('d.vmdk','rb').read()[$gd*512:$gd*512+4])[0])")
  cp d.vmdk c.vmdk; patch c.vmdk $((gt * 512)) ffffff00
  run vimg info c.vmdk
  assert_success
  run --separate-stderr vimg check c.vmdk
  assert_failure 7
  [[ "$stderr" == *"c.vmdk: corrupt vmdk image: a grain lies outside the file"* ]]
}

@test "hostile sizes and names: a 16 EiB VHD, a 4 EiB qed of 16 MiB, vmdk extents outside the descriptor's directory, a grain at sector 1" {
  requires xxd
  # a dynamic VHD from Hyper-V ("win ": the footer's size counts) of 16 EiB
  qemu-img create -q -f vpc d.vhd 8M
  python3 - d.vhd <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
for at in (0, len(b) - 512):
    f = b[at:at + 512]
    f[28:32] = b"win "
    f[48:56] = struct.pack(">Q", 0xfffffffffffffe00)
    f[64:68] = b"\0\0\0\0"
    f[64:68] = struct.pack(">I", ~sum(f) & 0xffffffff)
    b[at:at + 512] = f
open(sys.argv[1], "wb").write(b)
PY
  damaged 7 "d.vhd: corrupt vpc image: the disk size is larger than 4 EiB" d.vhd
  # a qed whose tables can map 2^63 bytes, claiming 4 EiB with no table
  # present: mapping it must skip the absent tables, not walk 2^39 clusters
  python3 - <<'PY'
import struct
c = 8 << 20
h = bytearray(512)
struct.pack_into("<IIIIQQQQQII", h, 0, 0x00444551, c, 1, 1, 0, 0, 0, c, 1 << 62, 0, 0)
with open("big.qed", "wb") as f:
    f.write(h)
    f.truncate(2 * c)
PY
  run timeout 20 "$VK_BUILDDIR/vimg" map --json big.qed
  assert_success
  [ "$(json_get '[e["data"] for e in j]' <<<"$output")" = "[false]" ]
  # vmdk extents: an absolute name, "..", are refused
  qemu-img create -q -f vmdk -o subformat=monolithicFlat fl.vmdk 1M
  mkdir sub
  sed "s|\"fl-flat.vmdk\"|\"$PWD/fl-flat.vmdk\"|" fl.vmdk >abs.vmdk
  damaged 2 "abs.vmdk: vkit does not read this vmdk image: extent \"$PWD/fl-flat.vmdk\" is not a file beside the descriptor" abs.vmdk
  sed 's|"fl-flat.vmdk"|"../fl-flat.vmdk"|' fl.vmdk >sub/up.vmdk
  damaged 2 "is not a file beside the descriptor" sub/up.vmdk
  # a grain table entry of 1 without the zeroed-grain flag (sector 1: the descriptor)
  qemu-img create -q -f vmdk s.vmdk 4M
  qemu-io -f vmdk -c "write -P 0x11 0 64k" s.vmdk >/dev/null
  gd=$(vmdk_field s.vmdk gd)
  gt=$(python3 -c "import struct; print(struct.unpack('<I', open('s.vmdk','rb').read()[$gd*512:$gd*512+4])[0])")
  cp s.vmdk one.vmdk; patch one.vmdk $((gt * 512)) 01000000
  damaged_data 7 "one.vmdk: corrupt vmdk image: a grain lies outside the file" one.vmdk
}

@test "a vhdx whose log holds changes: refused read-only as qemu-img refuses it; check -r all replays it as qemu-img check -r all does" {
  local at
  qemu-img create -q -f vhdx v0.vhdx 64M
  qemu-io -f vhdx -c "write -P 0x33 0 64k" -c "write -P 0x44 20M 1M" v0.vhdx >/dev/null
  cp v0.vhdx good.vhdx
  at=$(python3 "$VK_SRCDIR/tests/vhdx-dirty.py" v0.vhdx)
  [ "$at" -ge $((1 << 20)) ]
  damaged 7 "v0.vhdx: the vhdx image has a log to replay (it was not closed cleanly); it is replayed when the image is opened for writing (vimg check -r all)" v0.vhdx
  run qemu-img info v0.vhdx
  assert_failure
  cp v0.vhdx q.vhdx
  cp v0.vhdx v.vhdx
  qemu-img check -q -r all q.vhdx
  run --separate-stderr vimg check -r all v.vhdx
  assert_success
  assert_equal "$stderr" "vimg: v.vhdx: the log of the vhdx image was replayed (1 entry)"
  # what both replays give: the same data, the written blocks back
  assert_qemu_same q.vhdx v.vhdx
  assert_qemu_same good.vhdx v.vhdx
  assert_qemu_clean v.vhdx
  run vimg info v.vhdx
  assert_success
  # replayed once: the next open has nothing to do
  run --separate-stderr vimg check -r all v.vhdx
  assert_success
  assert_equal "$stderr" ""
  # a write into a dirty image replays it first, as any open for writing
  cp v0.vhdx w.vhdx
  qemu-img convert -O raw good.vhdx want.raw
  run --separate-stderr vimg convert -n -O vhdx want.raw w.vhdx
  assert_success
  [[ $stderr == *"replayed (1 entry)"* ]] || fail "$stderr"
  assert_qemu_same want.raw w.vhdx
  # an entry that would write into the headers: refused, nothing written
  cp good.vhdx h.vhdx
  python3 "$VK_SRCDIR/tests/vhdx-dirty.py" h.vhdx --retarget 0x10000 >/dev/null
  cp h.vhdx h0.vhdx
  run --separate-stderr vimg check -r all h.vhdx
  assert_failure 7
  [[ $stderr == *"the log writes outside the file's data"* ]] || fail "$stderr"
  cmp h.vhdx h0.vhdx
  # a log of entries that each claim the whole log and fail their
  # checksums: the search gives up (7) instead of reading it over and over
  cp good.vhdx o.vhdx
  python3 - o.vhdx <<'PY'
import struct, sys
f = open(sys.argv[1], "r+b")
d = f.read()
guid = bytes(range(1, 17))
for pos in range(1 << 20, 2 << 20, 4096):
    f.seek(pos)
    f.write(b"loge" + struct.pack("<IIIQII", 0, 1 << 20, 0, 1, 0, 0) + guid)
for h in (0x10000, 0x20000):
    b = bytearray(d[h:h + 4096])
    b[48:64] = guid
    f.seek(h)
    f.write(b)
PY
  for h in $((64 * 1024)) $((128 * 1024)); do vhdx_fix o.vhdx "$h" 4096 4; done
  cp o.vhdx o0.vhdx
  run --separate-stderr timeout 60 "$VK_BUILDDIR/vimg" check -r all o.vhdx
  assert_failure 7
  [[ $stderr == *"the log is too damaged to replay"* ]] || fail "$stderr"
  cmp o.vhdx o0.vhdx
  # a damaged entry (its checksum fails): the log holds nothing valid to
  # replay; read as qemu-img reads it
  cp v0.vhdx e.vhdx
  python3 - e.vhdx <<'PY'
import struct, sys
f = open(sys.argv[1], "r+b")
d = f.read()
p = max((struct.unpack("<Q", d[q + 16:q + 24])[0], q) for q in range(1 << 20, 2 << 20, 4096)
        if d[q:q + 4] == b"loge")[1]
f.seek(p + 200)
f.write(b"\xee")
PY
  same_as_qemu vhdx e.vhdx nomap
}
