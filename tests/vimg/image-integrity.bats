#!/usr/bin/env bats
# A damaged or hostile qcow2 image is refused before anything is written:
# images made by qemu-img, damaged with tests/qcow2-edit.py, then given to
# vimg.  Each refusal is the documented exit status with one line on
# stderr, within seconds, with the image's metadata untouched and
# `qemu-img check` finding no damage it did not find before.

load ../image-helpers

setup() {
  image_setup
  qemu-img create -q -f qcow2 base.qcow2 64M
  qemu-io -c 'write -P 0x41 0 200k' base.qcow2 >/dev/null
  head -c 1M /dev/urandom >src.raw
}

teardown() {
  image_teardown
}

qe() { python3 "$VK_SRCDIR/tests/qcow2-edit.py" "$@"; }

# refused STATUS TOOL ARGS...: the command (vimg or vio) exits STATUS
# within 30 s, prints nothing on stdout and one line on stderr.
refused() {
  local want=$1 tool=$VK_BUILDDIR/$2
  [ "$2" != vio ] || tool=$VK_BUILDDIR/tests/unit/test-image-io
  shift 2
  run --separate-stderr timeout 30 "$tool" "$@"
  [ "$status" -ne 124 ] || fail "$*: still running after 30 s"
  [ "$status" -eq "$want" ] || fail "$*: status $status, expected $want (stderr: $stderr)"
  assert_output ""
  [ -n "$stderr" ] || fail "$*: no message"
  [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] || fail "$*: more than one line: $stderr"
}

# qemu_counts IMG: "corruptions leaks" as qemu-img check counts them.
qemu_counts() {
  qemu-img check --output=json "$1" 2>/dev/null |
    json_get '"%d %d" % (j.get("corruptions", 0), j.get("leaks", 0))'
}

# same_metadata A B: the header (but the incompatible-features field, where
# the corrupt bit goes), the refcount table and blocks, the L1 and L2
# tables of B are those of A.
same_metadata() {
  python3 - "$1" "$2" <<'PY' || fail "the metadata of $2 is not that of $1"
import struct, sys
a, b = (bytearray(open(p, "rb").read()) for p in sys.argv[1:3])
def be(d, o, n): return int.from_bytes(d[o:o + n], "big")
cs = 1 << be(a, 20, 4)
def clusters(d):
    rt, rtc, l1, l1n = be(d, 48, 8), be(d, 56, 4), be(d, 40, 8), be(d, 36, 4)
    out = {0, *range(rt // cs, rt // cs + rtc), *range(l1 // cs, (l1 + 8 * l1n - 1) // cs + 1)}
    out |= {be(d, rt + 8 * i, 8) // cs for i in range(rtc * cs // 8) if be(d, rt + 8 * i, 8)}
    out |= {(be(d, l1 + 8 * i, 8) & 0x00fffffffffffe00) // cs for i in range(l1n)
            if be(d, l1 + 8 * i, 8) & 0x00fffffffffffe00}
    return out
a[72:80] = b[72:80] = bytes(8)
bad = [c for c in sorted(clusters(a)) if a[c * cs:(c + 1) * cs] != b[c * cs:(c + 1) * cs]]
sys.exit("metadata clusters changed: %s" % bad if bad else 0)
PY
}

# same_but_corrupt_bit A B: the files are equal byte for byte, except the
# incompatible-features field of the header (where the corrupt bit goes).
same_but_corrupt_bit() {
  python3 - "$1" "$2" <<'PY' || fail "$1 and $2 differ beyond the corrupt bit"
import sys
a, b = (bytearray(open(p, "rb").read()) for p in sys.argv[1:3])
a[72:80] = b[72:80] = bytes(8)
sys.exit(0 if a == b else 1)
PY
}

@test "integrity: a data cluster entry pointing at a refcount block, the L1 table or an L2 table: convert -n refuses, nothing written over metadata" {
  local target
  for target in rb.0 l1 l2.0; do
    cp base.qcow2 d.qcow2
    qe d.qcow2 l2.65536 "0x8000000000000000|$(qe d.qcow2 addr.$target)"
    cp d.qcow2 before.qcow2
    before=$(qemu_counts d.qcow2)
    refused 7 vimg convert -n -f raw -O qcow2 src.raw d.qcow2
    [[ $stderr == *"preventing a write of guest data"* ]] || fail "$target: $stderr"
    # Guest cluster 0 may have been written in place (it is the guest's).
    same_metadata before.qcow2 d.qcow2
    assert_equal "$(qemu_counts d.qcow2)" "$before"
    run qemu-img info --output=json d.qcow2
    assert_success
    [ "$(json_get 'j["format-specific"]["data"]["corrupt"]' <<<"$output")" = true ]
  done
}

@test "integrity: an L1 entry pointing at a refcount block: the write is refused, the block untouched" {
  qe base.qcow2 l1.0 "0x8000000000000000|$(qe base.qcow2 addr.rb.0)"
  cp base.qcow2 before.qcow2
  # Entry 100 of that "L2 table" is a zero refcount: it reads as
  # unallocated, so a write there would store an L2 entry in the block.
  # The overlap is found when the image is opened for writing.
  refused 7 vio -f qcow2 base.qcow2 write $((100 * 65536)) 4k 0x55
  [[ $stderr == *"L2 table at 0x20000 overlaps the refcount block"* ]] || fail "$stderr"
  same_but_corrupt_bit before.qcow2 base.qcow2
}

@test "integrity: a refcount saying 0 for the L1 table: the allocation over it is refused" {
  qe base.qcow2 refcount.$(( $(qe base.qcow2 addr.l1) / 65536 )) 0
  cp base.qcow2 before.qcow2
  refused 7 vio -f qcow2 base.qcow2 write 32M 64k 0x55
  [[ $stderr == *"active L1 table"* ]] || fail "$stderr"
  same_but_corrupt_bit before.qcow2 base.qcow2
}

@test "integrity: refcount table entry 0 empty: resize, snapshot -c and writes end at once with 7; check -r all repairs it" {
  qe base.qcow2 rt.0 0
  cp base.qcow2 before.qcow2
  refused 7 vimg resize -f qcow2 base.qcow2 +1G
  refused 7 vimg snapshot -c s1 base.qcow2
  refused 7 vio -f qcow2 base.qcow2 write 32M 64k 0x55
  cmp before.qcow2 base.qcow2
  run vimg check base.qcow2
  assert_failure 7
  run vimg check -r all base.qcow2
  assert_success
  assert_qemu_clean base.qcow2
  run vio -r base.qcow2 read 0 200k 0x41
  assert_success
}

@test "integrity: reserved bits in a refcount table entry: check reports it (7), check -r all repairs it" {
  qe base.qcow2 rt.0 '|1'
  run --separate-stderr vimg check base.qcow2
  assert_failure 7
  [[ $stderr == *"reserved bits"* ]] || fail "$stderr"
  run vimg check -r all base.qcow2
  assert_success
  assert_qemu_clean base.qcow2
  run vio -r base.qcow2 read 0 200k 0x41
  assert_success
}

@test "integrity: a refcount block used again as guest data: check says ERROR like qemu-img, -r all moves the block" {
  qe base.qcow2 l2.65536 "0x8000000000000000|$(qe base.qcow2 addr.rb.0)"
  qe base.qcow2 refcount.$(( $(qe base.qcow2 addr.rb.0) / 65536 )) 2
  run qemu-img check base.qcow2
  assert_failure 2
  run --separate-stderr vimg check base.qcow2
  assert_failure 7
  [[ $stderr == *"refcount block at 0x20000 is also used as guest data"* ]] || fail "$stderr"
  run vimg check -r all base.qcow2
  assert_success
  assert_qemu_clean base.qcow2
  run vio -r base.qcow2 read 0 64k 0x41
  assert_success
}

@test "integrity: a snapshot whose L1 table does not cover its disk size (or is empty): apply and -l refused, the image still opens, delete works" {
  qemu-img snapshot -c snap1 base.qcow2
  local bad
  for bad in l1_size=0 disk_size=2147483648 disk_size=4611686018427387904; do
    cp base.qcow2 s.qcow2
    qe s.qcow2 "snap.0.${bad%%=*}" "${bad#*=}"
    cp s.qcow2 before.qcow2
    refused 7 vimg snapshot -a snap1 s.qcow2
    [[ $stderr == *"cannot be applied"* ]] || fail "$bad: $stderr"
    cmp before.qcow2 s.qcow2
    run qemu-img info s.qcow2
    assert_success
    run vimg info s.qcow2
    assert_success
    refused 7 vimg convert -l snap1 -O raw s.qcow2 out.raw
    assert_file_not_exists out.raw
    run vimg check s.qcow2
    assert_failure 7
    # Deleting it is safe: an entry that forgot its L1 table leaves leaks
    # (and COPIED flags that follow once they are repaired), nothing worse.
    run vimg snapshot -d snap1 s.qcow2
    assert_success
    run qemu-img check s.qcow2
    [ "$status" -eq 0 ] || [ "$status" -eq 3 ] || fail "after delete: $output"
    run vimg check -r all s.qcow2
    assert_success
    assert_qemu_clean s.qcow2
  done
}

@test "integrity: a version 3 snapshot entry with less than 16 bytes of extra data: check reports it, apply refused" {
  qemu-img snapshot -c snap1 base.qcow2
  # 8 bytes of extra data: the ID and name move up, the entry stays valid
  python3 - base.qcow2 <<'PY'
import struct, sys
f = open(sys.argv[1], "r+b")
f.seek(64); so = struct.unpack(">Q", f.read(8))[0]
f.seek(so); e = bytearray(f.read(40 + 24 + 16))
idl, nl = struct.unpack(">HH", e[12:16])
e[36:40] = struct.pack(">I", 8)
e = e[:48] + e[64:64 + idl + nl]
e += bytes(-len(e) % 8)
f.seek(so); f.write(e)
PY
  run qemu-img check base.qcow2
  assert_failure
  run --separate-stderr vimg check base.qcow2
  assert_failure 7
  [[ $stderr == *"too little extra data"* ]] || fail "$stderr"
  refused 7 vimg snapshot -a snap1 base.qcow2
}

@test "integrity: many snapshots sharing one L1 table: check reads it once and ends in seconds" {
  qemu-img create -q -f qcow2 big.qcow2 512G
  local i
  for i in $(seq 0 63); do
    echo "write -P $((i + 1)) $((i * 1024))M 64k"
  done | qemu-io big.qcow2 >/dev/null
  qemu-img snapshot -c snap1 big.qcow2
  # 60000 entries that all use the first snapshot's L1 table and its 64
  # L2 tables: read once each, not 60000 times (4 MiB of tables a
  # snapshot, 240 GiB in all).
  python3 - big.qcow2 <<'PY'
import os, struct, sys
f = open(sys.argv[1], "r+b")
f.seek(60); n, so = struct.unpack(">IQ", f.read(12))
f.seek(so); e = bytearray(f.read(40 + 24 + 8))
idl, nl = struct.unpack(">HH", e[12:16])
entry = e[:40 + 24 + idl + nl]
entry += bytes(-len(entry) % 8)
end = os.fstat(f.fileno()).st_size
end = (end + 65535) // 65536 * 65536
f.seek(end); f.write(bytes(entry) * 60000)
f.seek(60); f.write(struct.pack(">IQ", 60000, end))
PY
  run --separate-stderr timeout 30 "$VK_BUILDDIR/vimg" check big.qcow2
  [ "$status" -ne 124 ] || fail "check still running after 30 s"
  assert_failure 7
  # the L1 table: one reference on disk, 60000 in the snapshot table
  [[ $stderr == *"refcount=1 reference=60000"* ]] || fail "$stderr"
}

@test "integrity: a backing loop and a chain over the limit are a corrupt chain (7) for every command" {
  qemu-img create -q -f qcow2 a.qcow2 64M
  qemu-img create -q -f qcow2 -u -b a.qcow2 -F qcow2 b.qcow2 64M
  qemu-img rebase -u -b b.qcow2 -F qcow2 a.qcow2
  refused 7 vimg map a.qcow2
  [[ $stderr == *"backing chain loop"* ]] || fail "$stderr"
  refused 7 vimg info --backing-chain a.qcow2
  refused 7 vimg convert -O raw a.qcow2 out.raw
  refused 7 vimg compare a.qcow2 b.qcow2
  assert_file_not_exists out.raw
  # 66 images: 65 backing files below the top, one more than allowed
  qemu-img create -q -f qcow2 d0.qcow2 1M
  local i
  for i in $(seq 1 65); do
    qemu-img create -q -f qcow2 -u -b "d$((i - 1)).qcow2" -F qcow2 "d$i.qcow2" 1M
  done
  refused 7 vimg info --backing-chain d65.qcow2
  refused 7 vimg convert -O raw d65.qcow2 out.raw
  # one limit: what convert opens, info --backing-chain shows
  run vimg convert -O raw d64.qcow2 out.raw
  assert_success
  run vimg info --backing-chain --json d64.qcow2
  assert_success
  [ "$(json_get 'len(j)' <<<"$output")" = 65 ]
}

@test "integrity: a backing file that is a FIFO, a directory or /dev/zero: refused at once, nothing opened" {
  mkfifo fifo
  mkdir dir
  local b
  for b in fifo dir /dev/zero; do
    qemu-img create -q -f qcow2 -u -b "$b" -F raw o.qcow2 64M
    refused 7 vimg map o.qcow2
    refused 7 vimg convert -O raw o.qcow2 out.raw
    refused 7 vimg compare o.qcow2 o.qcow2
    refused 7 vimg info --backing-chain o.qcow2
    [[ $stderr == *"not a regular file or block device"* ]] || fail "$b: $stderr"
    assert_file_not_exists out.raw
  done
}

@test "integrity: persistent bitmaps: resize refused, snapshot -c keeps them, a data write marks them in use, check reads and keeps them" {
  qemu-img bitmap --add base.qcow2 bm0
  cp base.qcow2 r.qcow2
  refused 1 vimg resize -f qcow2 r.qcow2 +64M
  [[ $stderr == *"persistent bitmaps"* ]] || fail "$stderr"
  cmp base.qcow2 r.qcow2
  # snapshot -c: no data changes, the bitmap stays consistent and in use by nobody
  run vimg snapshot -c s1 base.qcow2
  assert_success
  assert_qemu_clean base.qcow2
  [ "$(qe base.qcow2 header.autoclear_features)" = 1 ]
  [ "$(qe base.qcow2 bitmap.0.flags)" = 2 ]
  # a write changes the guest's data: the bitmap is marked in use
  run --separate-stderr vimg convert -n -f raw -O qcow2 src.raw base.qcow2
  assert_success
  [[ $stderr == *"marked in use"* ]] || fail "$stderr"
  [ "$(qe base.qcow2 bitmap.0.flags)" = 3 ]
  [ "$(qe base.qcow2 header.autoclear_features)" = 1 ]
  assert_qemu_clean base.qcow2
  run qemu-img info base.qcow2
  assert_output --partial "in-use"
  # check counts the bitmap clusters: no leaks; -r all keeps them
  run vimg check base.qcow2
  assert_success
  run vimg check -r all base.qcow2
  assert_success
  assert_qemu_clean base.qcow2
  run qemu-img bitmap --remove base.qcow2 bm0
  assert_success
  assert_qemu_clean base.qcow2
}

@test "integrity: header extensions: an end marker running past the header, an encryption extension on an unencrypted image" {
  # the end marker follows the extensions qemu-img wrote (feature table)
  local end
  end=$(python3 - base.qcow2 <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read(65536)
off = struct.unpack(">I", d[100:104])[0]
while struct.unpack(">I", d[off:off + 4])[0]:
    off += 8 + ((struct.unpack(">I", d[off + 4:off + 8])[0] + 7) & ~7)
print(off)
PY
)
  cp base.qcow2 e.qcow2
  printf '\0\0\0\0\0\1\0\0' | dd of=e.qcow2 bs=1 seek="$end" conv=notrunc status=none
  run qemu-img info e.qcow2
  assert_failure
  refused 7 vimg info e.qcow2
  refused 7 vimg check e.qcow2
  cp base.qcow2 c.qcow2
  printf '\x05\x37\xbe\x77\0\0\0\x10\0\0\0\0\0\1\0\0\0\0\0\0\0\1\0\0' |
    dd of=c.qcow2 bs=1 seek="$end" conv=notrunc status=none
  run qemu-img info c.qcow2
  assert_failure
  refused 7 vimg info c.qcow2
  refused 7 vio -f qcow2 c.qcow2 write 0 4k 0x55
}
