#!/usr/bin/env bats
# Hand-corrupted qcow2 images: each must give exit 7 and a one-line
# message, never a crash, a hang or a huge allocation.

load ../image-helpers

setup() {
  image_setup
  # Base layout (64k clusters): header 0, refcount table 64k, refcount
  # block 128k, L1 192k, L2 256k, data 320k and 384k.
  vimg create -f qcow2 base.qcow2 64M
  vio -f qcow2 base.qcow2 write 0 70000 0x41
}

teardown() {
  image_teardown
}

# put FILE OFFSET FORMAT VALUE: write a big-endian integer (struct format).
put() {
  python3 - "$@" <<'PY'
import struct, sys
f, off, fmt, val = sys.argv[1], int(sys.argv[2], 0), sys.argv[3], int(sys.argv[4], 0)
with open(f, "r+b") as fh:
    fh.seek(off)
    fh.write(struct.pack(">" + fmt, val))
PY
}

# hostile NAME: copy the base to NAME.qcow2 (the test then patches it).
hostile() {
  cp base.qcow2 "$1.qcow2"
}

# The image must be refused with exit 7 and one line on stderr, by the
# command given (vimg info, or reading everything through the engine).
assert_corrupt() {
  run --separate-stderr "$@"
  [ "$status" -eq 7 ] || fail "$*: status $status, expected 7 (stderr: $stderr)"
  assert_output ""
  [ -n "$stderr" ] || fail "$*: no message"
  [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] || fail "$*: message is not one line: $stderr"
}

read_all() { vio -r "$1" readall; }

@test "hostile: the untouched base image reads fine" {
  run vio -r base.qcow2 readall
  assert_success
  run vimg info base.qcow2
  assert_success
}

@test "hostile: huge l1_size" {
  hostile h; put h.qcow2 36 I 0x7fffffff
  assert_corrupt vimg info h.qcow2
  assert_corrupt read_all h.qcow2
}

@test "hostile: L1 table past the end of the file" {
  hostile h; put h.qcow2 40 Q 0x10000000000
  assert_corrupt vimg info h.qcow2
}

@test "hostile: L2 table past the end of the file" {
  hostile h; put h.qcow2 196608 Q 0x8000010000000000
  assert_corrupt read_all h.qcow2
}

@test "hostile: data cluster past the end of the file" {
  hostile h; put h.qcow2 262144 Q 0x8000010000000000
  assert_corrupt read_all h.qcow2
}

@test "hostile: overlapping tables" {
  hostile h; put h.qcow2 40 Q 65536
  assert_corrupt vimg info h.qcow2
  hostile l2; put l2.qcow2 196608 Q 0x8000000000010000
  assert_corrupt read_all l2.qcow2
  hostile rb; put rb.qcow2 65536 Q 0x30000
  assert_corrupt read_all rb.qcow2
}

@test "hostile: reserved bits in L1, L2 and refcount table entries" {
  hostile l1; put l1.qcow2 196608 Q 0x8000000000040002
  assert_corrupt read_all l1.qcow2
  hostile l2; put l2.qcow2 262144 Q 0x8000000000050002
  assert_corrupt read_all l2.qcow2
  hostile rt; put rt.qcow2 65536 Q 0x20001
  assert_corrupt read_all rt.qcow2
}

@test "hostile: refcount loops (a refcount block that is the refcount table or the header)" {
  hostile self; put self.qcow2 65536 Q 0x10000
  assert_corrupt read_all self.qcow2
  hostile hdr; put hdr.qcow2 65536 Q 0x200
  assert_corrupt read_all hdr.qcow2
}

@test "hostile: truncated files" {
  hostile t1; truncate -s 50 t1.qcow2
  assert_corrupt vimg info t1.qcow2
  hostile t2; truncate -s 200000 t2.qcow2
  assert_corrupt read_all t2.qcow2
  hostile t3; truncate -s 100000 t3.qcow2
  assert_corrupt vimg info t3.qcow2
}

@test "hostile: compressed cluster descriptors past the end of the file, or garbage" {
  hostile c1; put c1.qcow2 262144 Q 0x4000010000000000
  assert_corrupt read_all c1.qcow2
  # A compressed entry pointing at data that is not a deflate stream.
  head -c 65536 /dev/urandom | dd of=c1.qcow2 bs=1 seek=327680 conv=notrunc status=none
  hostile c2; head -c 65536 /dev/urandom | dd of=c2.qcow2 bs=1 seek=327680 conv=notrunc status=none
  put c2.qcow2 262144 Q $((0x4000000000000000 | (3 << 54) | 327680))
  assert_corrupt read_all c2.qcow2
  # with the COPIED flag
  hostile c3; put c3.qcow2 262144 Q 0xC000000000050000
  assert_corrupt read_all c3.qcow2
}

@test "hostile: bad header fields" {
  hostile cb; put cb.qcow2 20 I 31
  assert_corrupt vimg info cb.qcow2
  hostile ro; put ro.qcow2 96 I 7
  assert_corrupt vimg info ro.qcow2
  hostile hl; put hl.qcow2 100 I 3
  assert_corrupt vimg info hl.qcow2
  hostile bf; put bf.qcow2 8 Q 0x20000; put bf.qcow2 16 I 10
  assert_corrupt vimg info bf.qcow2
  hostile ns; put ns.qcow2 60 I 0x7fffffff
  assert_corrupt vimg info ns.qcow2
  hostile rt; put rt.qcow2 56 I 0x7fffffff
  assert_corrupt vimg info rt.qcow2
  hostile ct; put ct.qcow2 104 B 1
  assert_corrupt vimg info ct.qcow2
}

@test "hostile: unknown incompatible feature is refused by name" {
  hostile f; put f.qcow2 72 Q 0x20
  run --separate-stderr vimg info f.qcow2
  assert_failure 1
  [[ $stderr == *"incompatible bit 5"* ]] || fail "unexpected: $stderr"
  # with a name in the feature table (entry 0 renamed to bit 5)
  put f.qcow2 $((0x79)) B 5
  run --separate-stderr vimg info f.qcow2
  assert_failure 1
  [[ $stderr == *"dirty bit (incompatible bit 5)"* ]] || fail "unexpected: $stderr"
}

@test "hostile: an image that is its own backing file" {
  vimg create -f qcow2 -b base.qcow2 -F qcow2 loop.qcow2
  # rename the backing file to the image itself (same length: 10 chars)
  python3 - <<'PY'
d = open("loop.qcow2", "rb").read()
i = d.index(b"base.qcow2")
open("loop.qcow2", "r+b").write(d[:i] + b"loop.qcow2" + d[i + 10:])
PY
  assert_corrupt vimg info --backing-chain loop.qcow2
  assert_corrupt read_all loop.qcow2
}

@test "hostile: a corrupt image is never opened for writing" {
  hostile c; put c.qcow2 72 Q 2
  run vimg info --json c.qcow2
  assert_success
  assert_equal "$(echo "$output" | json_get 'j["corrupt"]')" true
  run --separate-stderr vimg resize -f qcow2 c.qcow2 +1M
  assert_failure 7
  run vio -r c.qcow2 read 0 100 0x41
  assert_success
}

@test "hostile: an inconsistency found while writing marks the image corrupt" {
  hostile w; put w.qcow2 262144 Q 0x0000000000050000
  run --separate-stderr vio -f qcow2 w.qcow2 write 0 10 0x42
  assert_failure 7
  run vimg info --json w.qcow2
  assert_equal "$(echo "$output" | json_get 'j["corrupt"]')" true
  run qemu-img info --output=json w.qcow2
  assert_equal "$(echo "$output" | json_get 'j["format-specific"]["data"]["corrupt"]')" true
}

@test "hostile: a compressed entry that points at an L2 table: writing over it is refused, the table keeps its refcount" {
  # (found by tests/fuzz/run-mutate.sh: the old data's clusters were freed,
  # and the L2 table's refcount went to 0 while it was still in use)
  hostile cl2
  put cl2.qcow2 262144 Q $((0x4000000000000000 | 262144))
  before=$(qemu-img check cl2.qcow2 2>&1 | grep -c '^ERROR' || true)
  [ "$before" -ge 1 ] || fail "the edit did not make the image inconsistent"
  assert_corrupt vio -f qcow2 cl2.qcow2 write 0 65536 0x42
  [[ $stderr == *"is also the active L2 table"* ]] || fail "message: $stderr"
  after=$(qemu-img check cl2.qcow2 2>&1 | grep -c '^ERROR' || true)
  [ "$after" -eq "$before" ] || fail "qemu-img check: $before errors before, $after after"
  run qemu-img check cl2.qcow2
  refute_output --partial "refcount=0"
}
