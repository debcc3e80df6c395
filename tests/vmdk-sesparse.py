#!/usr/bin/env python3
"""vmdk-sesparse.py DIR PARENT_CID [--dirty|--bad-entry|--bad-directory]

Writes DIR/top.vmdk, a descriptor of a seSparse delta (createType
"seSparse") over DIR/base.vmdk (its parentCID given in hex), and its
extent DIR/top-sesparse.vmdk: 32 MiB in 4 KiB grains, two grain tables
listed in the directory in reverse order, grains stored out of order
(some with indexes of 4096 and more, whose low 12 bits go to bits 48-59
of the entry), grains unmapped and zeroed (zeros), grains not stored
(the parent's).  The data of grain g is the byte (g * 7 + 1) & 0xff.
qemu-img has no writer for seSparse: the tests compare what vimg and
qemu-img read of this.  --dirty marks the journal for replay,
--bad-entry stores a grain table entry of type 4, --bad-directory a
directory entry without its 0x10000000 tag.
"""
import os
import struct
import sys

S = 512
CAP = 32 << 20 >> 9          # sectors
GRAIN = 8                    # sectors
GTE = 4096                   # entries per grain table
GD_AT, GT_AT = 8, 16         # sectors
GRAINS_AT = GT_AT + 2 * 64

d, parent_cid = sys.argv[1], sys.argv[2]
flag = sys.argv[3] if len(sys.argv) > 3 else ""

# guest grain -> ("data", index) | ("unmapped",) | ("zero",); absent: parent's
grains = {}
for g in range(0, 40):
    grains[g] = ("data", 4100 + (g * 37) % 40)
for g in range(100, 110):
    grains[g] = ("data", g - 100)
grains[120] = ("unmapped",)
grains[121] = ("zero",)
for g in range(4090, 4102):          # across the two grain tables
    grains[g] = ("data", 200 + g - 4090)
grains[8000] = ("zero",)

def entry(k):
    if k[0] == "unmapped":
        return 0x1 << 60
    if k[0] == "zero":
        return 0x2 << 60
    i = k[1]
    return (0x3 << 60) | ((i & 0xfff) << 48) | (i >> 12)

const = struct.pack("<QQQQQQQQQQ", 0xcafebabe, 0x200000001, CAP, GRAIN, 64, 0, 0, 0, 0, 0)
extents = [(1, 1), (2, 1), (3, 1), (GD_AT, 1), (GT_AT, 128), (4, 1), (5, 1),
           (GRAINS_AT, 8 * 5000)]
for off, size in extents:
    const += struct.pack("<QQ", off, size)
const = const.ljust(S, b"\0")
vol = struct.pack("<QQQQ", 0xcafecafe, 2, 1, 1 if flag == "--dirty" else 0).ljust(S, b"\0")

path = os.path.join(d, "top-sesparse.vmdk")
with open(path, "wb") as f:
    f.truncate((GRAINS_AT + 8 * 5000) * S)
    f.write(const)
    f.seek(S)
    f.write(vol)
    # directory: guest table 0 is stored second, table 1 first
    gd = [0x1000000000000001, 0x1000000000000000]
    if flag == "--bad-directory":
        gd[1] = 0x2000000000000000
    f.seek(GD_AT * S)
    f.write(struct.pack("<2Q", *gd))
    tables = [[0] * GTE, [0] * GTE]
    for g, k in grains.items():
        tables[g // GTE][g % GTE] = entry(k)
    if flag == "--bad-entry":
        tables[0][50] = 0x4 << 60
    for t, slot in ((0, 1), (1, 0)):
        f.seek((GT_AT + slot * 64) * S)
        f.write(struct.pack("<%dQ" % GTE, *tables[t]))
    for g, k in grains.items():
        if k[0] == "data":
            f.seek((GRAINS_AT + k[1] * GRAIN) * S)
            f.write(bytes([(g * 7 + 1) & 0xff]) * (GRAIN * S))

with open(os.path.join(d, "top.vmdk"), "w") as f:
    f.write('# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=%s\n'
            'createType="seSparse"\nparentFileNameHint="base.vmdk"\n\n'
            '# Extent description\nRW %d SESPARSE "top-sesparse.vmdk"\n\n'
            'ddb.virtualHWVersion = "14"\n' % (parent_cid, CAP))
