#!/usr/bin/env bats
# qcow2 images with an external data file (data_file, data_file_raw): read
# as qemu-img reads them, written so that qemu-img reads and checks them,
# the raw kind kept a raw image of the disk, amend re-pointing the data
# file, and what cannot go with a data file refused with the reason.

load ../image-helpers

bats_require_minimum_version 1.5.0

setup() {
  requires qemu-img qemu-io python3
  image_setup
}

teardown() {
  image_teardown
}

# The "data file" lines of qemu-img info and of vimg info.
data_lines() {
  "$@" | grep -E '^ +data file'
}

# map_agrees IMG: vimg map --output=json says what qemu-img map says.
map_agrees() {
  python3 - "$(qemu-img map --output=json "$1")" "$(vimg map --output=json "$1")" <<'PY' ||
import json, sys
q, v = json.loads(sys.argv[1]), json.loads(sys.argv[2])
keys = ("start", "length", "depth", "present", "zero", "data", "offset")
norm = lambda l: [tuple(e.get(k) for k in keys) for e in l]
sys.exit(norm(q) != norm(v))
PY
    fail "vimg map and qemu-img map disagree on $1"
}

# l2_entry IMG N [VALUE]: entry N of the first L2 table (printed, or set).
l2_entry() {
  python3 - "$@" <<'PY'
import struct, sys
path, n = sys.argv[1], int(sys.argv[2])
f = open(path, "r+b")
f.seek(40); l1 = struct.unpack(">Q", f.read(8))[0]
f.seek(l1); l2 = struct.unpack(">Q", f.read(8))[0] & 0x00fffffffffffe00
f.seek(l2 + 8 * n)
if len(sys.argv) > 3:
    f.write(struct.pack(">Q", int(sys.argv[3], 0)))
else:
    print(hex(struct.unpack(">Q", f.read(8))[0]))
PY
}

@test "images qemu-img made with an external data file read as qemu-img reads them; info, map and check agree" {
  local o
  qemu-img create -q -f raw base.raw 4M
  qemu-io -f raw -c "write -P 0x11 0 4M" base.raw >/dev/null
  for o in "" ",data_file_raw=on" ",extended_l2=on" ",cluster_size=512" "@base"; do
    rm -f img.qcow2 d.raw
    if [ "$o" = @base ]; then
      qemu-img create -q -f qcow2 -o data_file=d.raw -b base.raw -F raw img.qcow2 4M
    else
      qemu-img create -q -f qcow2 -o "data_file=d.raw$o" img.qcow2 4M
    fi
    qemu-io -c "write -P 0xaa 0 100k" -c "write -P 0xbb 1M 4k" -c "write -z 2M 64k" \
      -c "write -P 0xcc 3M 512k" -c "discard 3M 64k" img.qcow2 >/dev/null
    assert_reads_like_qemu img.qcow2
    assert_equal "$(data_lines vimg info img.qcow2)" "$(data_lines qemu-img info img.qcow2)"
    assert_equal "$(vimg_info img.qcow2 'j["data_file"]')" d.raw
    map_agrees img.qcow2
    run vimg check img.qcow2
    assert_success
    assert_line "No errors were found on the image."
    [ "$o" = @base ] || [ "$(vimg map img.qcow2 | awk 'NR > 1 {print $4}' | sort -u)" = d.raw ] ||
      fail "map names another file than the data file ($o)"
  done
}

@test "vimg create and convert make images with a data file that qemu-img checks and reads; a raw one is the disk itself" {
  head -c 3M /dev/urandom >src.raw
  dd if=/dev/zero of=src.raw bs=64k seek=10 count=3 conv=notrunc status=none
  run vimg create -f qcow2 -o data_file=new.raw new.qcow2 8M
  assert_success
  assert_qemu_clean new.qcow2
  [ "$(stat -c %s new.raw)" -eq 8388608 ] || fail "the data file is not the disk's size"
  assert_equal "$(data_lines qemu-img info new.qcow2)" "$(printf '    data file: new.raw\n    data file raw: false')"

  run vimg convert -O qcow2 -o data_file=d.raw src.raw a.qcow2
  assert_success
  assert_qemu_clean a.qcow2
  assert_qemu_same src.raw a.qcow2
  run vimg convert -O qcow2 -o data_file=r.raw,data_file_raw=on,cluster_size=2M src.raw b.qcow2
  assert_success
  assert_qemu_clean b.qcow2
  assert_qemu_same src.raw b.qcow2
  cmp src.raw r.raw || fail "the raw data file is not the disk"
  # the same metadata as qemu-img's, but for the name
  qemu-img create -q -f qcow2 -o data_file=q.raw,data_file_raw=on,cluster_size=2M q.qcow2 3M
  qemu-img convert -n -O qcow2 src.raw q.qcow2
  [ "$(stat -c %s q.qcow2)" -eq "$(stat -c %s b.qcow2)" ] || fail "not the size of qemu-img's"
  assert_equal "$(qemu-img map --output=json b.qcow2)" "$(qemu-img map --output=json q.qcow2 | sed 's/q.raw/r.raw/')"

  # qemu-io writes into what vimg made, vimg reads it back
  qemu-io -c "write -P 0x5a 1M 70k" -c "write -z 0 4k" a.qcow2 >/dev/null
  assert_reads_like_qemu a.qcow2
}

@test "a raw data file stays the disk through vimg's writes, zero writes and discards, and resizes with it" {
  run vimg create -f qcow2 -o data_file=r.raw,data_file_raw=on,preallocation=falloc img.qcow2 4M
  assert_success
  run vio -f qcow2 img.qcow2 wrand 0 4M 7 zero 64k 64k zunmap 200k 300k discard 1M 1M write 3M 1000 0x41 \
    zero 3M 513
  assert_success
  assert_qemu_clean img.qcow2
  qemu-img convert -O raw img.qcow2 view.raw
  cmp view.raw r.raw || fail "the raw data file is not what the image reads"
  run vimg resize img.qcow2 +1M
  assert_success
  [ "$(stat -c %s r.raw)" -eq 5242880 ] || fail "the data file did not grow with the disk"
  run vimg resize --shrink img.qcow2 2M
  assert_success
  [ "$(stat -c %s r.raw)" -eq 2097152 ] || fail "the data file did not shrink with the disk"
  assert_qemu_clean img.qcow2
  head -c 2M view.raw >two.raw
  assert_qemu_same two.raw img.qcow2
  cmp two.raw r.raw || fail "the raw data file is not the disk after the resizes"
}

@test "commit, rebase and dd work through images with an external data file" {
  qemu-img create -q -f qcow2 -o data_file=base.data base.qcow2 4M
  qemu-io -c "write -P 0x11 0 4M" base.qcow2 >/dev/null
  qemu-img create -q -f qcow2 -o data_file=top.data -b base.qcow2 -F qcow2 top.qcow2
  qemu-io -c "write -P 0x22 1M 1M" -c "write -z 3M 64k" top.qcow2 >/dev/null
  qemu-img convert -O raw top.qcow2 want.raw
  run vimg commit top.qcow2
  assert_success
  assert_qemu_clean base.qcow2
  assert_qemu_same want.raw base.qcow2
  qemu-img create -q -f qcow2 -o data_file=other.data other.qcow2 4M
  run vimg rebase -b other.qcow2 -F qcow2 top.qcow2
  assert_success
  assert_qemu_clean top.qcow2
  assert_qemu_same want.raw top.qcow2
  run vimg dd -O raw bs=64k count=20 if=top.qcow2 of=dd.raw
  assert_success
  head -c 1310720 want.raw >part.raw
  cmp part.raw dd.raw || fail "dd read the chain differently"
}

@test "amend -o data_file= records a data file that moved; data_file_raw=off clears the raw bit; what qemu-img refuses is refused" {
  qemu-img create -q -f qcow2 -o data_file=d.raw img.qcow2 1M
  qemu-io -c "write -P 0x33 0 64k" img.qcow2 >/dev/null
  mv d.raw moved.raw
  fails_one_line 3 vimg info img.qcow2
  [[ $stderr == *"cannot open its data file: d.raw"* ]] || fail "$stderr"
  cp img.qcow2 before.qcow2
  fails_one_line 3 vimg amend -o data_file=nothere.raw img.qcow2
  cmp img.qcow2 before.qcow2 || fail "a refused amend changed the image"
  run vimg amend -o data_file=moved.raw img.qcow2
  assert_success
  assert_equal "$(data_lines qemu-img info img.qcow2)" "$(printf '    data file: moved.raw\n    data file raw: false')"
  run qemu-io -c "read -P 0x33 0 64k" img.qcow2
  assert_success
  assert_qemu_clean img.qcow2
  fails_one_line 2 vimg amend -o data_file_raw=on img.qcow2
  [[ $stderr == *"cannot be set on an existing image"* ]] || fail "$stderr"
  fails_one_line 2 vimg amend -o data_file=img.qcow2 img.qcow2
  qemu-img create -q -f qcow2 -o data_file=r.raw,data_file_raw=on raw.qcow2 1M
  run vimg amend -o data_file_raw=off raw.qcow2
  assert_success
  assert_equal "$(data_lines qemu-img info raw.qcow2)" "$(printf '    data file: r.raw\n    data file raw: false')"
  qemu-img create -q -f qcow2 plain.qcow2 1M
  fails_one_line 2 vimg amend -o data_file=r.raw plain.qcow2
  fails_one_line 2 vimg amend -o compat=0.10 img.qcow2
  [[ $stderr == *"external data file"* ]] || fail "$stderr"
  # the other options of an image with a data file still change
  run vimg amend -o refcount_bits=4,lazy_refcounts=on img.qcow2
  assert_success
  assert_qemu_clean img.qcow2
  assert_equal "$(qemu_info img.qcow2 'j["format-specific"]["data"]["refcount-bits"]')" 4
}

@test "what cannot go with a data file is refused with the reason, and nothing is left behind" {
  qemu-img create -q -f raw b.raw 1M
  fails_one_line 2 vimg create -f qcow2 -o data_file=d.raw,compat=0.10 x.qcow2 1M
  fails_one_line 2 vimg create -f qcow2 -o data_file_raw=on x.qcow2 1M
  fails_one_line 2 vimg create -f qcow2 -o data_file=d.raw,data_file_raw=on -b b.raw -F raw x.qcow2
  fails_one_line 2 vimg create -f raw -o data_file=d.raw x.raw 1M
  fails_one_line 2 vimg convert -c -O qcow2 -o data_file=d.raw b.raw x.qcow2
  echo keep >d.raw
  fails_one_line 1 vimg create -f qcow2 -o data_file=d.raw x.qcow2 1M
  [[ $stderr == *"data file exists (use --force"* ]] || fail "$stderr"
  [ "$(cat d.raw)" = keep ] || fail "an existing data file was changed"
  assert_equal "$(ls | sort | tr '\n' ' ')" "b.raw d.raw "
  run vimg create -f qcow2 --force -o data_file=d.raw x.qcow2 1M
  assert_success
  fails_one_line 1 vimg snapshot -c s1 x.qcow2
  # a name the header does not hold, the image as its own data file
  cp x.qcow2 noname.qcow2
  # the data file name extension becomes one of an unknown type
  python3 - noname.qcow2 <<'PY'
import sys
f = open(sys.argv[1], "r+b"); h = f.read(4096); at = h.index(b"DATA", 104)
f.seek(at); f.write(b"XXXX")
PY
  fails_one_line 1 vimg info noname.qcow2
  [[ $stderr == *"does not record its name"* ]] || fail "$stderr"
  run vimg amend -o data_file=d.raw noname.qcow2
  assert_success
  run vimg check noname.qcow2
  assert_success
}

@test "hostile: a data file cluster away from its guest offset, a compressed one, are corruption; a writer holds the data file's lock" {
  qemu-img create -q -f qcow2 -o data_file=d.raw img.qcow2 1M
  qemu-io -c "write -P 0x44 0 128k" img.qcow2 >/dev/null
  cp img.qcow2 moved.qcow2
  l2_entry moved.qcow2 1 0x8000000000000000
  fails_one_line 7 vimg convert -O raw moved.qcow2 out.raw
  [[ $stderr == *"not at its guest offset"* ]] || fail "$stderr"
  [ ! -e out.raw ] || fail "a target was left behind"
  run vimg check moved.qcow2
  [ "$status" -eq 7 ] || fail "check status $status: $output"
  assert_output --partial "is not at its guest offset"
  cp img.qcow2 comp.qcow2
  l2_entry comp.qcow2 0 0x4000000000030000
  fails_one_line 7 vimg convert -O raw comp.qcow2 out.raw
  [[ $stderr == *"compressed cluster in an image with an external data file"* ]] || fail "$stderr"

  # another image naming the same data file cannot write it while qemu-io does
  qemu-img create -q -f qcow2 -o data_file=d2.raw other.qcow2 1M
  vimg amend -o data_file=d.raw other.qcow2
  qemu-io -c "sleep 3000" img.qcow2 &
  local pid=$!
  sleep 1
  fails_one_line 5 vimg resize other.qcow2 2M
  wait "$pid"
  [ "$(stat -c %s d.raw)" -eq 1048576 ] || fail "the data file was resized under a writer"
}
