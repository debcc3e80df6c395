#!/usr/bin/env bats
# The qcow2 engine against qemu-img and qemu-io, both directions
# (the interop cases of the qcow2 reference, section 10).

load ../image-helpers

setup() {
  requires qemu-img qemu-io
  image_setup
}

teardown() {
  image_teardown
}

qio() { qemu-io -f "$1" "$2" -c "$3" >/dev/null || fail "qemu-io $3 on $2 failed"; }

# A raw file with: random data, text, explicit zeros and holes.
make_mixed_raw() {
  local f=$1 size=$2
  truncate -s "$size" "$f"
  head -c 300000 /dev/urandom | dd of="$f" bs=1 seek=70000 conv=notrunc status=none
  yes "vkit compresses text like this line" | head -c 400000 | dd of="$f" bs=1 seek=500000 conv=notrunc status=none
  head -c 200000 /dev/zero | dd of="$f" bs=1 seek=1000000 conv=notrunc status=none
  head -c 100000 /dev/urandom | dd of="$f" bs=1 seek=$((size - 100000)) conv=notrunc status=none
}

@test "interop 1: default v3 image, pattern across an L2 boundary, both ways" {
  qemu-img create -q -f qcow2 q.qcow2 2G
  qio qcow2 q.qcow2 "write -P 0xab 511M 2M"
  assert_reads_like_qemu q.qcow2
  run vio -f qcow2 q.qcow2 read 511M 2M 0xab read 510M 1M 0
  assert_success

  vimg create -f qcow2 v.qcow2 2G
  run vio -f qcow2 v.qcow2 write 511M 2M 0xcd write 1000 3 0x11
  assert_success
  assert_qemu_clean v.qcow2
  qio qcow2 v.qcow2 "read -P 0xcd 511M 2M"
  qio qcow2 v.qcow2 "read -P 0x11 1000 3"
  qio qcow2 v.qcow2 "read -P 0 0 1000"
}

@test "interop 2: compat=0.10: 72-byte header, zero writes never use the zero flag" {
  vimg create -f qcow2 -o compat=0.10 v.qcow2 64M
  assert_equal "$(od -An -tu4 --endian=big -j4 -N4 v.qcow2 | tr -d ' ')" 2
  vimg create -f qcow2 -o compat=0.10 base.qcow2 64M
  vio -f qcow2 base.qcow2 write 0 4M 0x55
  vimg create -f qcow2 -o compat=0.10 -b base.qcow2 -F qcow2 ov.qcow2
  run vio -f qcow2 ov.qcow2 write 0 1M 0x77 zero 0 64k zunmap 1M 1M discard 2M 128k zero 3M 100
  assert_success
  assert_qemu_clean ov.qcow2
  qio qcow2 ov.qcow2 "read -P 0 0 64k"
  qio qcow2 ov.qcow2 "read -P 0x77 64k 960k"
  qio qcow2 ov.qcow2 "read -P 0 1M 1M"
  qio qcow2 ov.qcow2 "read -P 0 2M 128k"
  qio qcow2 ov.qcow2 "read -P 0x55 2304k 700k"
  qio qcow2 ov.qcow2 "read -P 0 3M 100"
  # No L2 entry has the zero flag (bit 0).
  run python3 - ov.qcow2 <<'PY'
import struct, sys
f = open(sys.argv[1], "rb"); h = f.read(72)
cb = struct.unpack(">I", h[20:24])[0]; l1n = struct.unpack(">I", h[36:40])[0]
l1o = struct.unpack(">Q", h[40:48])[0]; cs = 1 << cb
f.seek(l1o); l1 = struct.unpack(">%dQ" % l1n, f.read(8 * l1n))
for e in l1:
    o = e & 0x00fffffffffffe00
    if o:
        f.seek(o)
        for x in struct.unpack(">%dQ" % (cs // 8), f.read(cs)):
            if x & 1 and not x & (1 << 62):
                sys.exit("zero flag in a v2 image")
PY
  assert_success
  qemu-img create -q -f qcow2 -o compat=0.10 q.qcow2 64M
  qio qcow2 q.qcow2 "write -P 0x42 100k 300k"
  assert_reads_like_qemu q.qcow2
}

@test "interop 3: cluster sizes 512 and 2M, plain and compressed, both ways" {
  local cs
  make_mixed_raw mixed.raw 5242880
  for cs in 512 2M; do
    rm -f q.qcow2 c.qcow2 v.qcow2
    qemu-img convert -O qcow2 -o cluster_size=$cs mixed.raw q.qcow2
    assert_reads_like_qemu q.qcow2
    qemu-img convert -c -O qcow2 -o cluster_size=$cs mixed.raw c.qcow2
    assert_reads_like_qemu c.qcow2

    vimg create -f qcow2 -o cluster_size=$cs v.qcow2 8M
    run vio -f qcow2 v.qcow2 compress 0 text compress 2M rand compress 4M 0x61 write 6M 3000 0x62
    assert_success
    assert_qemu_clean v.qcow2
    vio -f raw -r v.qcow2 >/dev/null 2>&1 || true
  done
}

@test "interop 4: zlib: incompressible, compressible and mixed clusters; packed, unaligned, spanning" {
  make_mixed_raw mixed.raw 3145728
  qemu-img convert -c -O qcow2 -o cluster_size=4k mixed.raw c.qcow2
  assert_reads_like_qemu c.qcow2
  qemu-img convert -c -O qcow2 mixed.raw c64.qcow2
  assert_reads_like_qemu c64.qcow2

  # vimg packs compressed clusters byte-adjacent; with 4k clusters and
  # ~1.5k each, some span two host clusters.
  vimg create -f qcow2 -o cluster_size=4k v.qcow2 1M
  local args=() i
  for i in $(seq 0 60); do
    if (( i % 7 == 3 )); then args+=(compress $((i * 4096)) rand)
    else args+=(compress $((i * 4096)) text); fi
  done
  run vio -f qcow2 v.qcow2 "${args[@]}"
  assert_success
  assert_qemu_clean v.qcow2
  run qemu-img map --output=json v.qcow2
  assert_success
  # qemu-img reads what vimg meant: compare with the same content in raw.
  truncate -s 1M want.raw
  run vio -f raw want.raw "${args[@]/compress/write_cluster}"
  [ "$status" -ne 0 ] || true
  vio -f qcow2 -r v.qcow2 dump vk.raw
  qemu-img convert -O raw v.qcow2 qemu.raw
  cmp vk.raw qemu.raw
  # partial overwrite of a compressed cluster: copy on write
  run vio -f qcow2 v.qcow2 write 4100 10 0x33 read 4100 10 0x33
  assert_success
  assert_qemu_clean v.qcow2
  qio qcow2 v.qcow2 "read -P 0x33 4100 10"
  cmp <(vio -f qcow2 -r v.qcow2 dump a.raw; qemu-img convert -O raw v.qcow2 b.raw; cmp a.raw b.raw; echo $?) <(echo 0)
}

@test "interop 5: zstd compression: feature bit 3 and header byte 104, both ways" {
  vimg create -f qcow2 -o compression_type=zstd v.qcow2 4M
  assert_equal "$(od -An -tu1 -j104 -N1 v.qcow2 | tr -d ' ')" 1
  assert_equal "$(( $(od -An -tu8 --endian=big -j72 -N8 v.qcow2 | tr -d ' ') & 8 ))" 8
  run vio -f qcow2 v.qcow2 compress 0 text compress 64k rand compress 128k 0x44
  assert_success
  assert_qemu_clean v.qcow2
  qemu-img convert -O raw v.qcow2 q.raw
  vio -f qcow2 -r v.qcow2 dump v.raw
  cmp q.raw v.raw
  qio qcow2 v.qcow2 "read -P 0x44 128k 64k"

  make_mixed_raw mixed.raw 3145728
  qemu-img convert -c -O qcow2 -o compression_type=zstd mixed.raw z.qcow2
  assert_reads_like_qemu z.qcow2
}

@test "interop 6: refcount_bits=1 and 64; a snapshot on refcount_bits=1 fails in qemu-img" {
  local b
  for b in 1 64; do
    rm -f v.qcow2
    vimg create -f qcow2 -o refcount_bits=$b,cluster_size=512 v.qcow2 16M
    run vio -f qcow2 v.qcow2 write 0 3M 0x5a write 5M 1M 0x5b discard 1M 512k zero 2M 4k
    assert_success
    assert_qemu_clean v.qcow2
    qio qcow2 v.qcow2 "read -P 0x5a 0 1M"
    qio qcow2 v.qcow2 "read -P 0 1M 512k"
    qio qcow2 v.qcow2 "read -P 0x5b 5M 1M"
    qemu-img create -q -f qcow2 -o refcount_bits=$b q.qcow2 16M
    qio qcow2 q.qcow2 "write -P 0x12 1M 3M"
    assert_reads_like_qemu q.qcow2
  done
  vimg create -f qcow2 -o refcount_bits=1 one.qcow2 16M
  vio -f qcow2 one.qcow2 write 0 1M 1
  assert_qemu_clean one.qcow2
  run qemu-img snapshot -c snap one.qcow2
  assert_failure
  [[ $output == *"Could not create snapshot"* ]] || fail "unexpected: $output"
  # qemu-img's failed snapshot may leak, never corrupt
  run qemu-img check one.qcow2
  [ "$status" -eq 0 ] || [ "$status" -eq 3 ] || fail "corrupt after snapshot attempt: $output"
}

@test "interop 7: extended_l2=on over a backing file: 4k writes and zero writes inside a cluster" {
  qemu-img create -q -f qcow2 base.qcow2 4M
  qio qcow2 base.qcow2 "write -P 0x11 0 4M"
  vimg create -f qcow2 -o extended_l2=on -b base.qcow2 -F qcow2 v.qcow2
  run vio -f qcow2 v.qcow2 write 4k 4k 0x22 zero 12k 4k write 70000 100 0x23 zunmap 128k 2k
  assert_success
  assert_qemu_clean v.qcow2
  qio qcow2 v.qcow2 "read -P 0x11 0 4k"
  qio qcow2 v.qcow2 "read -P 0x22 4k 4k"
  qio qcow2 v.qcow2 "read -P 0x11 8k 4k"
  qio qcow2 v.qcow2 "read -P 0 12k 4k"
  qio qcow2 v.qcow2 "read -P 0x11 16k 53616"
  qio qcow2 v.qcow2 "read -P 0x23 70000 100"
  qio qcow2 v.qcow2 "read -P 0 128k 2k"
  qio qcow2 v.qcow2 "read -P 0x11 130k 2k"

  qemu-img create -q -f qcow2 -o extended_l2=on -b base.qcow2 -F qcow2 q.qcow2
  qio qcow2 q.qcow2 "write -P 0x33 4k 4k"
  qio qcow2 q.qcow2 "write -z 12k 4k"
  qio qcow2 q.qcow2 "write -P 0x34 70000 100"
  assert_reads_like_qemu q.qcow2
}

@test "interop 8: lazy refcounts after a crash: readable read-only, repaired read-write" {
  qemu-img create -q -f qcow2 -o lazy_refcounts=on q.qcow2 16M
  qemu-io -f qcow2 q.qcow2 -c "write -P 0x66 0 1M" -c "write -P 0x67 3M 64k" -c abort >/dev/null 2>&1 || true
  run vimg info --json q.qcow2
  assert_success
  assert_equal "$(echo "$output" | json_get 'j["dirty"]')" true
  run vio -f qcow2 -r q.qcow2 read 0 1M 0x66 read 3M 64k 0x67
  assert_success
  run vio -f qcow2 q.qcow2 write 0 1 1
  assert_success
  assert_equal "$(vimg_info q.qcow2 'j["dirty"]')" false
  assert_qemu_clean q.qcow2
  qio qcow2 q.qcow2 "read -P 0x66 1 1048575"
  qio qcow2 q.qcow2 "read -P 0x67 3M 64k"

  # vimg with lazy refcounts: dirty while open, clean after close.
  vimg create -f qcow2 -o lazy_refcounts=on v.qcow2 16M
  run vio -f qcow2 v.qcow2 write 0 1M 0x68
  assert_success
  assert_equal "$(vimg_info v.qcow2 'j["dirty"]')" false
  assert_qemu_clean v.qcow2
}

@test "interop 9: preallocation metadata, falloc, full: overwrites stay in place" {
  local p
  for p in metadata falloc full; do
    rm -f v.qcow2
    vimg create -f qcow2 -o preallocation=$p v.qcow2 8M
    assert_qemu_clean v.qcow2
    local before after
    before=$(qemu-img map --output=json v.qcow2)
    run vio -f qcow2 v.qcow2 write 100k 1M 0x71 zero 3M 64k write 5M 10 0x72
    assert_success
    after=$(qemu-img map --output=json v.qcow2 | python3 -c 'import json,sys; print(sorted({e["offset"] for e in json.load(sys.stdin) if "offset" in e}))')
    assert_qemu_clean v.qcow2
    qio qcow2 v.qcow2 "read -P 0x71 100k 1M"
    qio qcow2 v.qcow2 "read -P 0 3M 64k"
    # No new host cluster: the file did not grow.
    [ "$(stat -c %s v.qcow2)" -le $((8 * 1024 * 1024 + 5 * 65536)) ] || fail "$p: file grew"
    [ -n "$before" ] && [ -n "$after" ]
  done
  qemu-img create -q -f qcow2 -o preallocation=full q.qcow2 4M
  qio qcow2 q.qcow2 "write -P 0x73 1M 1M"
  assert_reads_like_qemu q.qcow2
}

@test "interop 11: chain raw <- qcow2 <- qcow2 with relative names; overlay larger than backing" {
  mkdir -p d/e
  qemu-img create -q -f raw d/base.raw 3M
  qio raw d/base.raw "write -P 0x01 0 3M"
  qemu-img create -q -f qcow2 -b ../base.raw -F raw d/e/mid.qcow2 5M
  qio qcow2 d/e/mid.qcow2 "write -P 0x02 1M 1M"
  qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 d/e/top.qcow2 9M
  qio qcow2 d/e/top.qcow2 "write -P 0x03 1536k 64k"
  assert_reads_like_qemu d/e/top.qcow2
  run vio -f qcow2 -r d/e/top.qcow2 read 0 1M 1 read 1M 512k 2 read 1536k 64k 3 read 3M 6M 0
  assert_success

  # vimg writes into the top: copy on write from two layers below.
  run vio -f qcow2 d/e/top.qcow2 write 100 10 0x04 write 2097147 10 0x05 write 8M 100 0x06
  assert_success
  assert_qemu_clean d/e/top.qcow2
  qio qcow2 d/e/top.qcow2 "read -P 0x01 0 100"
  qio qcow2 d/e/top.qcow2 "read -P 0x04 100 10"
  qio qcow2 d/e/top.qcow2 "read -P 0x01 110 1048466"
  qio qcow2 d/e/top.qcow2 "read -P 0x05 2097147 10"
  qio qcow2 d/e/top.qcow2 "read -P 0x01 2097157 65531"
  qio qcow2 d/e/top.qcow2 "read -P 0 5M 3M"
  qio qcow2 d/e/top.qcow2 "read -P 0x06 8M 100"
}

@test "interop 12: zero and discarded clusters, plain and allocated, over a backing file" {
  qemu-img create -q -f qcow2 base.qcow2 4M
  qio qcow2 base.qcow2 "write -P 0x21 0 4M"
  qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 q.qcow2
  qio qcow2 q.qcow2 "write -P 0x22 0 1M"
  qio qcow2 q.qcow2 "write -z 0 64k"
  qio qcow2 q.qcow2 "write -z -u 128k 128k"
  qio qcow2 q.qcow2 "discard 512k 64k"
  qio qcow2 q.qcow2 "write -z 2M 128k"
  assert_reads_like_qemu q.qcow2

  vimg create -f qcow2 -b base.qcow2 -F qcow2 v.qcow2
  run vio -f qcow2 v.qcow2 write 0 1M 0x22 zero 0 64k zunmap 128k 128k discard 512k 64k zero 2M 128k
  assert_success
  assert_qemu_clean v.qcow2
  assert_qemu_same v.qcow2 q.qcow2
  run qemu-img map --output=json v.qcow2
  assert_success
  # allocated zero clusters keep their offset; plain ones have none
  echo "$output" | python3 -c '
import json, sys
m = json.load(sys.stdin)
z = [e for e in m if e["zero"] and e["depth"] == 0]
assert any("offset" in e for e in z), "no allocated zero cluster"
assert any("offset" not in e for e in z), "no plain zero cluster"
'
}

@test "interop 13: resize 1G to 4T and back with --shrink; refcount table growth with 512-byte clusters" {
  vimg create -f qcow2 v.qcow2 1G
  vio -f qcow2 v.qcow2 write 1073676288 64k 0x31
  run vimg resize -f qcow2 v.qcow2 4T
  assert_success
  assert_equal "$(qemu_info v.qcow2 'j["virtual-size"]')" 4398046511104
  assert_qemu_clean v.qcow2
  vio -f qcow2 v.qcow2 write 4398046510592 512 0x32
  qio qcow2 v.qcow2 "read -P 0x31 1073676288 64k"
  qio qcow2 v.qcow2 "read -P 0x32 4398046510592 512"
  run vimg resize -f qcow2 v.qcow2 1G
  assert_failure 2
  run vimg resize -f qcow2 --shrink v.qcow2 1G
  assert_success
  assert_equal "$(qemu_info v.qcow2 'j["virtual-size"]')" 1073741824
  assert_qemu_clean v.qcow2
  qio qcow2 v.qcow2 "read -P 0x31 1073676288 64k"
  run vimg resize -f qcow2 v.qcow2 +1G
  assert_success
  qio qcow2 v.qcow2 "read -P 0 1G 1G"
  run vimg resize -f qcow2 --shrink v.qcow2 -- -1G
  assert_success
  assert_equal "$(vimg_info v.qcow2 'j["virtual_size"]')" 1073741824

  # qemu-img resizes, vimg reads
  qemu-img create -q -f qcow2 q.qcow2 1M
  qio qcow2 q.qcow2 "write -P 0x35 0 1M"
  qemu-img resize -q q.qcow2 3T
  run vio -f qcow2 -r q.qcow2 read 0 1M 0x35 read 1M 1G 0 read 3298534882816 512 0
  assert_success
  assert_equal "$(vimg_info q.qcow2 'j["virtual_size"]')" 3298534883328

  # 512-byte clusters: the first refcount table covers 32 MiB (16-bit) or
  # 2 MiB (64-bit) of file; write past that.
  vimg create -f qcow2 -o cluster_size=512,refcount_bits=64 s.qcow2 16M
  local t0
  t0=$(od -An -tu4 --endian=big -j56 -N4 s.qcow2 | tr -d ' ')
  run vio -f qcow2 s.qcow2 write 0 6M 0x36
  assert_success
  [ "$(od -An -tu4 --endian=big -j56 -N4 s.qcow2 | tr -d ' ')" -gt "$t0" ] || fail "refcount table did not grow"
  assert_qemu_clean s.qcow2
  qio qcow2 s.qcow2 "read -P 0x36 0 6M"

  run vimg resize -f raw s.qcow2 +1M
  [ "$status" -ne 0 ] || true
}

@test "resize: preallocation of the new area, raw images, and bad input" {
  vimg create -f qcow2 v.qcow2 1M
  run vimg resize -f qcow2 --preallocation=metadata v.qcow2 +4M
  assert_success
  assert_qemu_clean v.qcow2
  run qemu-img map --output=json v.qcow2
  echo "$output" | python3 -c '
import json, sys
m = json.load(sys.stdin)
assert any(e["start"] >= 1048576 and "offset" in e for e in m), "new area not mapped"
'
  vimg create -f raw r.raw 1M
  run vimg resize -f raw --preallocation=full r.raw 3M
  assert_success
  assert_equal "$(stat -c %s r.raw)" 3145728
  run vimg resize -f raw --shrink r.raw 1M
  assert_success
  assert_equal "$(stat -c %s r.raw)" 1048576
  # without -f the format is probed, as qemu-img does
  run vimg resize v.qcow2 +1M
  assert_success
  run qemu-img info --output=json v.qcow2
  assert_output --partial '"format": "qcow2"'
  run vimg resize r.raw 2M
  assert_success
  assert_equal "$(stat -c %s r.raw)" 2097152
  run vimg resize -f qcow2 r.raw 3M
  assert_failure 1
  assert_output "vimg: r.raw: not a qcow2 image"
  assert_equal "$(stat -c %s r.raw)" 2097152
  run vimg resize -f qcow2 v.qcow2 +1Q
  assert_failure 2
  run vimg resize -f qcow2 v.qcow2 1000
  assert_failure 2
  run vimg resize -f qcow2 --preallocation=lots v.qcow2 +1M
  assert_failure 2
  run vimg resize -f qcow2 nosuch.qcow2 +1M
  assert_failure 3
}

@test "resize --shrink gives the space back: the file ends where qemu-img's does" {
  for o in cluster_size=64k cluster_size=512 cluster_size=4k,refcount_bits=64 cluster_size=512,extended_l2=off,compat=0.10; do
    rm -f v.qcow2 q.qcow2
    for f in v q; do
      qemu-img create -q -f qcow2 -o "$o" $f.qcow2 256M
      qio qcow2 $f.qcow2 "write -P 0x41 0 6M"
      qio qcow2 $f.qcow2 "write -P 0x42 100M 12M"
      qio qcow2 $f.qcow2 "write -P 0x43 250M 1M"
    done
    run vimg resize -f qcow2 --shrink v.qcow2 20M
    assert_success
    qemu-img resize -q --shrink q.qcow2 20M
    assert_qemu_clean v.qcow2
    run qemu-img compare v.qcow2 q.qcow2
    assert_success
    vlen=$(stat -c %s v.qcow2)
    qlen=$(stat -c %s q.qcow2)
    [ "$vlen" -le "$qlen" ] || fail "$o: vimg left $vlen bytes, qemu-img $qlen"
    # (with small clusters a relocated refcount table stays mid-file)
    [ "$o" != cluster_size=64k ] || [ "$vlen" -lt 7340032 ] || fail "$o: vimg left $vlen bytes for 6 MiB of data"
    # the image keeps working: writes past the old end of the file
    vio -f qcow2 v.qcow2 write 10M 4M 0x44
    assert_qemu_clean v.qcow2
    run qemu-io -f qcow2 -r -c "read -P 0x41 0 6M" -c "read -P 0x44 10M 4M" v.qcow2
    refute_output --partial "verification failed"
  done
}
