#!/usr/bin/env bash
# Make the fuzz seed corpus: small qcow2 images written by qemu-img and
# qemu-io, one per case of shared/QCOW2.md §10 that fits in a few KiB,
# and small vpc and vdi images written by hand (13.).
#
#   tests/fuzz/make-corpus.sh [--large] [OUTDIR]   (default: tests/fuzz/corpus)
#
# --large adds images too big for the committed corpus: 64 KiB clusters,
# a raw <- qcow2 <- qcow2 chain (only the top, whose backing file is named
# mid.qcow2), internal snapshots and a bitmap with 64 KiB clusters;
# tests/fuzz/mutate.py uses them all as its base images.
#
# The content is deterministic: data comes from fixed patterns and from a
# seeded generator, and the dates qemu-img stamps on internal snapshots
# are overwritten with fixed values, so the same qemu-img makes the same
# bytes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
large=
if [ "${1:-}" = --large ]; then
  large=1
  shift
fi
out=${1:-$here/corpus}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

q() { qemu-img "$@" >/dev/null; }
# io IMAGE CMD...: each CMD is one qemu-io command.
io() {
  local img=$1 a=()
  shift
  for c in "$@"; do a+=(-c "$c"); done
  qemu-io -f qcow2 "${a[@]}" "$img" >/dev/null
}

# Deterministic incompressible bytes (SIZE SEED).
rand_file() {
  python3 -c '
import random, sys
r = random.Random(int(sys.argv[2]))
sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(int(sys.argv[1]))))
' "$1" "$2"
}

# Text-like, compressible bytes (SIZE).
text_file() {
  python3 -c '
import sys
line = b"vkit fuzz corpus: a line of text that compresses, mostly. 0123456789\n"
n = int(sys.argv[1])
sys.stdout.buffer.write((line * (n // len(line) + 1))[:n])
' "$1"
}

# Fixed dates on every internal snapshot (qemu-img stamps the clock).
fix_dates() {
  python3 - "$1" <<'PY'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    hdr = f.read(72)
    version = struct.unpack(">I", hdr[4:8])[0]
    nb, off = struct.unpack(">IQ", hdr[60:72])
    for i in range(nb):
        f.seek(off)
        e = f.read(40)
        id_len, name_len = struct.unpack(">HH", e[12:16])
        extra = struct.unpack(">I", e[36:40])[0]
        f.seek(off + 16)
        f.write(struct.pack(">IIQ", 1700000000 + i, 0, 0))
        n = 40 + extra + id_len + name_len
        off += (n + 7) & ~7
PY
}

rand_file 4096 1 >rand4k
rand_file 16384 2 >rand16k
text_file 16384 >text16k

# 1. v3, 4 KiB clusters: data across an L2 boundary (one L2 maps 2 MiB).
q create -f qcow2 -o cluster_size=4k v3-4k.qcow2 4M
io v3-4k.qcow2 'write -P 0x11 0 5k' 'write -P 0x22 2042k 12k' 'write -P 0x33 4092k 4k'

# 2. compat=0.10 (version 2, 72-byte header), 1 KiB clusters, with a discard.
q create -f qcow2 -o compat=0.10,cluster_size=1k v2-1k.qcow2 1M
io v2-1k.qcow2 'write -P 0x44 0 8k' 'write -P 0x45 255k 3k' 'discard 2k 2k'

# 3. 512-byte clusters: one L2 maps 32 KiB, one refcount block 128 KiB.
q create -f qcow2 -o cluster_size=512 c512.qcow2 256k
io c512.qcow2 'write -P 0x55 0 1k' 'write -P 0x56 31k 3k' 'write -P 0x57 200k 9k'

# 4. zlib: incompressible, compressible and zero clusters, packed unaligned.
cat rand4k text16k rand4k >mixed.raw
truncate -s 64k mixed.raw
q convert -c -f raw -O qcow2 -o cluster_size=4k mixed.raw zlib-4k.qcow2
q create -f qcow2 -o cluster_size=1k zlib-1k.qcow2 64k
io zlib-1k.qcow2 'write -c -P 0x61 0 1k' 'write -c -s text16k 1k 1k' \
  'write -c -P 0x62 2k 1k' 'write -P 0x63 3k 1k'

# 5. zstd: incompatible bit 3, compression type byte 1.
q convert -c -f raw -O qcow2 -o cluster_size=4k,compression_type=zstd mixed.raw zstd-4k.qcow2

# 6. refcount widths 1 and 64.
q create -f qcow2 -o cluster_size=1k,refcount_bits=1 rc1.qcow2 256k
io rc1.qcow2 'write -P 0x66 0 3k' 'write -P 0x67 100k 1k'
q create -f qcow2 -o cluster_size=1k,refcount_bits=64 rc64.qcow2 256k
io rc64.qcow2 'write -P 0x68 0 3k' 'write -P 0x69 100k 1k'

# 7. extended L2 (16 KiB clusters, 512-byte subclusters): writes and
#    zero writes inside a cluster; then an overlay of a raw backing file
#    (the fuzzer opens no backing file; the name is there to be parsed).
q create -f qcow2 -o cluster_size=16k,extended_l2=on extl2.qcow2 256k
io extl2.qcow2 'write -P 0x71 0 4k' 'write -z 8k 4k' 'write -P 0x72 20k 1k' \
  'write -z 16k 512'
truncate -s 256k base.raw
q create -f qcow2 -b base.raw -F raw -o cluster_size=16k,extended_l2=on extl2-overlay.qcow2
io extl2-overlay.qcow2 'write -P 0x74 4k 4k' 'write -z 20k 2k'

# 8. lazy refcounts, killed before a clean close: dirty bit set.
q create -f qcow2 -o cluster_size=1k,lazy_refcounts=on lazy-dirty.qcow2 256k
io lazy-dirty.qcow2 'write -P 0x81 0 4k' 'write -P 0x82 129k 2k' abort 2>/dev/null || true

# 9. preallocation=metadata: every cluster mapped, zero-allocated.
q create -f qcow2 -o cluster_size=512,preallocation=metadata prealloc.qcow2 32k
io prealloc.qcow2 'write -P 0x91 1k 1k'

# 10. internal snapshots, with writes after each one (copy on write).
q create -f qcow2 -o cluster_size=1k snap.qcow2 128k
io snap.qcow2 'write -P 0xa1 0 4k'
q snapshot -c one snap.qcow2
io snap.qcow2 'write -P 0xa2 1k 2k' 'write -P 0xa3 64k 1k'
q snapshot -c two snap.qcow2
io snap.qcow2 'write -P 0xa4 0 1k' 'discard 64k 1k'
fix_dates snap.qcow2
# version 2 with a snapshot
q create -f qcow2 -o compat=0.10,cluster_size=1k snap-v2.qcow2 64k
io snap-v2.qcow2 'write -P 0xa5 0 2k'
q snapshot -c one snap-v2.qcow2
io snap-v2.qcow2 'write -P 0xa6 1k 1k'
fix_dates snap-v2.qcow2

# 11. zero clusters (plain and allocated) and discarded ones.
q create -f qcow2 -o cluster_size=1k zero.qcow2 128k
io zero.qcow2 'write -P 0xb1 0 8k' 'write -z 1k 1k' 'write -z -u 3k 1k' \
  'discard 5k 1k' 'write -z 32k 4k' 'write -P 0xb2 7k 512'

# 12. a persistent dirty bitmap, with bits set by writes after it.
q create -f qcow2 -o cluster_size=1k bitmap.qcow2 256k
q bitmap --add --granularity 1k bitmap.qcow2 b1
io bitmap.qcow2 'write -P 0xc1 0 3k' 'write -P 0xc2 130k 1k'
q bitmap --add --granularity 64k bitmap.qcow2 b2

# 14. external data files, plain and raw (the fuzzer opens no data file:
#     the tables are what it reads; mutate.py leaves these out).
q create -f qcow2 -o cluster_size=1k,data_file=datafile.data datafile.qcow2 64k
io datafile.qcow2 'write -P 0xe1 0 3k' 'write -z 8k 2k' 'write -P 0xe2 40k 1k' 'discard 1k 1k'
q create -f qcow2 -o cluster_size=4k,data_file=datafile-raw.data,data_file_raw=on \
  datafile-raw.qcow2 64k
io datafile-raw.qcow2 'write -P 0xe3 0 5k' 'write -z 12k 4k'

# 13. the read-only formats, written here (qemu-img's have 1-2 MiB
# blocks, and stamp times and UUIDs): a dynamic VHD with 4 KiB blocks
# (creator qem2: the footer's size counts), a fixed VHD sized by its
# geometry, a dynamic VDI with 4 KiB blocks, one of them discarded, two
# tiny vmdk images and a small qed.
python3 - <<'PY'
import struct

def vhd_sum(b, at):
    b[at:at + 4] = b"\0\0\0\0"
    b[at:at + 4] = struct.pack(">I", ~sum(b) & 0xffffffff)

def footer(size, dtype, data_offset, creator, chs):
    f = bytearray(512)
    f[0:8] = b"conectix"
    struct.pack_into(">IIQI", f, 8, 2, 0x00010000, data_offset, 0)
    f[28:32] = creator
    struct.pack_into(">QQHBBI", f, 40, size, size, chs[0], chs[1], chs[2], dtype)
    f[68:84] = bytes(range(16))
    vhd_sum(f, 64)
    return f

bs, nblk = 4096, 8
bat = [4, 0xffffffff, 13, 0xffffffff, 22, 0xffffffff, 0xffffffff, 0xffffffff]
foot = footer(bs * nblk, 3, 512, b"qem2", (1, 1, 64))
dyn = bytearray(1024)
dyn[0:8] = b"cxsparse"
struct.pack_into(">QQIII", dyn, 8, 0xffffffffffffffff, 1536, 0x00010000, nblk, bs)
vhd_sum(dyn, 36)
img = bytearray(foot + dyn + struct.pack(">8I", *bat).ljust(512, b"\0"))
for i, e in enumerate(bat):
    if e != 0xffffffff:
        img += b"\xff" * 512 + bytes([0x40 + i]) * bs
img += foot
open("dyn4k.vhd", "wb").write(img)

data = bytes((i * 7) & 0xff for i in range(8192))
open("fixed.vhd", "wb").write(data + footer(8192, 2, 0xffffffffffffffff, b"vpc ", (1, 1, 16)))

vmap = [0, 0xffffffff, 1, 0xfffffffe, 2, 0xffffffff, 0xffffffff, 0xffffffff]
h = bytearray(512)
h[0:40] = b"<<< Oracle VM VirtualBox Disk Image >>>\n"
struct.pack_into("<IIIII", h, 64, 0xbeda107f, 0x00010001, 0x190, 1, 0)
struct.pack_into("<IIIIIII", h, 340, 512, 1024, 0, 0, 0, 512, 0)
struct.pack_into("<QIIII", h, 368, bs * nblk, bs, 0, nblk, 3)
h[392:408] = bytes(range(1, 17))
img = bytearray(h + struct.pack("<8I", *vmap).ljust(512, b"\0"))
for i in range(3):
    img += bytes([0x60 + i]) * bs
open("dyn4k.vdi", "wb").write(img)

# vmdk: a monolithicSparse file with 512-byte grains, 4 entries a grain
# table, an embedded descriptor, a zeroed grain; and the same data as a
# stream (deflated grains behind markers, the header again as a footer).
import zlib

def kdmv(flags, capacity, grain, desc_off, desc_size, gtes, gd_off, over):
    h = bytearray(512)
    h[0:4] = b"KDMV"
    struct.pack_into("<IIQQQQIQQQ", h, 4, 1, flags, capacity, grain, desc_off, desc_size,
                     gtes, 0, gd_off, over)
    h[73:77] = b"\n \r\n"
    if flags & (1 << 16):
        struct.pack_into("<H", h, 77, 1)
    return h

cap, gtes = 16, 4                      # 16 sectors: 4 tables of 4 grains
desc = (b'# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\n'
        b'createType="monolithicSparse"\nRW 16 SPARSE "s.vmdk"\n').ljust(512, b"\0")
gd_off, gt_off, data_off = 2, 3, 5
gd = struct.pack("<4I", gt_off, 0, gt_off + 1, 0).ljust(512, b"\0")
gts = (struct.pack("<4I", data_off, 0, 1, data_off + 1).ljust(512, b"\0") +   # grains 0-3
       struct.pack("<4I", data_off + 2, 0, 0, 0).ljust(512, b"\0"))           # grains 8-11
img = (kdmv(1 | (1 << 2), cap, 1, 1, 1, gtes, gd_off, data_off) + desc + gd + gts +
       bytes([0x70]) * 512 + bytes([0x71]) * 512 + bytes([0x72]) * 512)
open("sparse.vmdk", "wb").write(img)

grains = {0: 0x70, 3: 0x71, 8: 0x72}
body, table = bytearray(), {}
at = 2                                 # header, descriptor
for g, v in sorted(grains.items()):
    z = zlib.compress(bytes([v]) * 512)
    rec = (struct.pack("<QI", g, len(z)) + z)
    rec += bytes(-len(rec) % 512)
    table[g] = at
    body += rec
    at += len(rec) // 512
gt_at, gd_at = at, at + 2
tables = [struct.pack("<4I", *[table.get(t * 4 + i, 0) for i in range(4)]) for t in range(4)]
gtab = tables[0].ljust(512, b"\0") + tables[2].ljust(512, b"\0")    # tables 1, 3: none
sd = desc.rstrip(b"\0").replace(b"monolithicSparse", b"streamOptimized").ljust(512, b"\0")
gdir = struct.pack("<4I", gt_at, 0, gt_at + 1, 0).ljust(512, b"\0")
flags = 1 | (1 << 16) | (1 << 17)
head = kdmv(flags, cap, 1, 1, 1, gtes, 0xffffffffffffffff, 2)
foot = kdmv(flags, cap, 1, 1, 1, gtes, gd_at, 2)
marker = struct.pack("<QII", 1, 0, 3).ljust(512, b"\0")
open("stream.vmdk", "wb").write(head + sd + body + gtab + gdir + marker + foot + bytes(512))

# qed: 4 KiB clusters, one-cluster tables (512 entries: 2 MiB an L2
# table), a 4 MiB disk: the L1 table, one L2 table, a zeroed cluster and
# two data clusters.
c = 4096
h = bytearray(c)
struct.pack_into("<IIIIQQQQQII", h, 0, 0x00444551, c, 1, 1, 0, 0, 0, c, 4 << 20, 0, 0)
l1 = struct.pack("<2Q", 2 * c, 0).ljust(c, b"\0")
l2 = struct.pack("<4Q", 3 * c, 1, 0, 4 * c).ljust(c, b"\0")
open("small.qed", "wb").write(bytes(h) + l1 + l2 + bytes([0x80]) * c + bytes([0x81]) * c)
PY

if [ -n "$large" ]; then
  # 64 KiB clusters, data across the first L2 boundary (512 MiB).
  q create -f qcow2 c64k.qcow2 600M
  io c64k.qcow2 'write -P 0xd1 0 100k' 'write -P 0xd2 536800k 128k'
  # raw <- qcow2 <- qcow2 with relative names; only the top is kept.
  truncate -s 1M chain-base.raw
  q create -f qcow2 -b chain-base.raw -F raw -o cluster_size=4k mid.qcow2
  io mid.qcow2 'write -P 0xd3 8k 8k'
  q create -f qcow2 -b mid.qcow2 -F qcow2 -o cluster_size=4k chain-top.qcow2
  io chain-top.qcow2 'write -P 0xd4 4k 8k' 'write -z 64k 4k'
  rm mid.qcow2
  # 64 KiB clusters with internal snapshots and a bitmap.
  q create -f qcow2 snap64k.qcow2 8M
  io snap64k.qcow2 'write -P 0xd5 0 192k'
  q snapshot -c one snap64k.qcow2
  io snap64k.qcow2 'write -P 0xd6 64k 64k'
  q snapshot -c two snap64k.qcow2
  q bitmap --add snap64k.qcow2 b0
  io snap64k.qcow2 'write -P 0xd7 1M 64k'
  fix_dates snap64k.qcow2
fi

cp ./*.qcow2 ./*.vhd ./*.vdi ./*.vmdk ./*.qed "$out/"
ls "$out"
