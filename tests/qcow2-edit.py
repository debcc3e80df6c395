#!/usr/bin/env python3
"""qcow2-edit.py IMAGE WHAT [VALUE] -- read or change one field of a qcow2
image, for the tests that damage images on purpose.

WHAT names a field:
  header.FIELD           a fixed header field (size, l1_size, l1_table_offset,
                         refcount_table_offset, nb_snapshots, ...)
  l1.N                   active L1 entry N
  l2.GOFF                the active L2 entry mapping guest offset GOFF
  rt.N                   refcount table entry N
  refcount.CLUSTER       the refcount of host cluster CLUSTER
  snap.N.FIELD           snapshot N's l1_offset, l1_size, extra_size,
                         disk_size (needs 16 bytes of extra data)
  bitmap.N.flags         bitmap N's flags in the bitmap directory
  bitmap.N.table_size    bitmap N's table size (entries)
  bitmap.N.table_offset  where bitmap N's table is
  bitmap.N.entry0        the first entry of bitmap N's table
or, read-only, `bitmaps`: one line per persistent bitmap, "NAME flags=F
granularity=G set=RANGES" (the granules whose bit is set), or,
read-only, where a structure is (a byte offset):
  addr.l1  addr.rt  addr.rb.N  addr.l2.GOFF  addr.snaptable  addr.snap.N.l1
  addr.bitmapdir  addr.cluster_size
VALUE is a number (0x.. allowed), numbers joined by | (A|B), or |N to
set bits in the current value.  Without VALUE the current value is
printed in decimal.
"""
import struct
import sys

HEADER = [  # (name, offset, struct format)
    ("magic", 0, "I"), ("version", 4, "I"), ("backing_file_offset", 8, "Q"),
    ("backing_file_size", 16, "I"), ("cluster_bits", 20, "I"), ("size", 24, "Q"),
    ("crypt_method", 32, "I"), ("l1_size", 36, "I"), ("l1_table_offset", 40, "Q"),
    ("refcount_table_offset", 48, "Q"), ("refcount_table_clusters", 56, "I"),
    ("nb_snapshots", 60, "I"), ("snapshots_offset", 64, "Q"),
    ("incompatible_features", 72, "Q"), ("compatible_features", 80, "Q"),
    ("autoclear_features", 88, "Q"), ("refcount_order", 96, "I"),
    ("header_length", 100, "I"),
]


def die(msg):
    sys.stderr.write("qcow2-edit: %s\n" % msg)
    sys.exit(2)


class Image:
    def __init__(self, path):
        self.f = open(path, "r+b")
        self.h = {}
        for name, off, fmt in HEADER:
            self.h[name] = self.get(off, fmt)
        self.cs = 1 << self.h["cluster_bits"]
        if self.h["version"] < 3:
            self.h["refcount_order"] = 4
            self.h["header_length"] = 72
        self.rbits = 1 << self.h["refcount_order"]
        self.extl2 = self.h["version"] >= 3 and self.h["incompatible_features"] & 16
        self.l2_esize = 16 if self.extl2 else 8

    def get(self, off, fmt):
        self.f.seek(off)
        return struct.unpack(">" + fmt, self.f.read(struct.calcsize(fmt)))[0]

    def put(self, off, fmt, val):
        self.f.seek(off)
        self.f.write(struct.pack(">" + fmt, val))

    def l2_entry_addr(self, goff):
        per = self.cs // self.l2_esize
        l1e = self.get(self.h["l1_table_offset"] + 8 * (goff // (self.cs * per)), "Q")
        l2 = l1e & 0x00FFFFFFFFFFFE00
        if not l2:
            die("no L2 table for guest offset %#x" % goff)
        return l2 + self.l2_esize * ((goff // self.cs) % per)

    def rb_addr(self, n):
        rb = self.get(self.h["refcount_table_offset"] + 8 * n, "Q") & ~0x1FF
        if not rb:
            die("no refcount block %d" % n)
        return rb

    def snap_addr(self, n):
        pos = self.h["snapshots_offset"]
        for i in range(self.h["nb_snapshots"]):
            if i == n:
                return pos
            idl, nl = self.get(pos + 12, "H"), self.get(pos + 14, "H")
            extra = self.get(pos + 36, "I")
            pos = (pos + 40 + extra + idl + nl + 7) & ~7
        die("no snapshot %d" % n)

    def bitmap_dir(self):
        off = self.h["header_length"]
        while off + 8 <= self.cs:
            t, ln = self.get(off, "I"), self.get(off + 4, "I")
            if t == 0:
                break
            if t == 0x23852875:
                return self.get(off + 24, "Q"), self.get(off + 8, "I")
            off += 8 + ((ln + 7) & ~7)
        die("no bitmaps extension")

    def bitmap_addr(self, n):
        pos, nb = self.bitmap_dir()
        for i in range(nb):
            if i == n:
                return pos
            nl, extra = self.get(pos + 18, "H"), self.get(pos + 20, "I")
            pos += (24 + extra + nl + 7) & ~7
        die("no bitmap %d" % n)

    def field(self, what):
        """(offset, format) of a writable field, or a computed value."""
        p = what.split(".")
        if p[0] == "header":
            for name, off, fmt in HEADER:
                if name == p[1]:
                    return off, fmt
            die("no header field %s" % p[1])
        if p[0] == "l1":
            return self.h["l1_table_offset"] + 8 * int(p[1], 0), "Q"
        if p[0] == "l2":
            return self.l2_entry_addr(int(p[1], 0)), "Q"
        if p[0] == "rt":
            return self.h["refcount_table_offset"] + 8 * int(p[1], 0), "Q"
        if p[0] == "snap":
            base = self.snap_addr(int(p[1]))
            return {"l1_offset": (base, "Q"), "l1_size": (base + 8, "I"),
                    "extra_size": (base + 36, "I"),
                    "disk_size": (base + 48, "Q")}[p[2]]
        if p[0] == "bitmap" and p[2] == "flags":
            return self.bitmap_addr(int(p[1])) + 12, "I"
        if p[0] == "bitmap" and p[2] == "table_size":
            return self.bitmap_addr(int(p[1])) + 8, "I"
        if p[0] == "bitmap" and p[2] == "table_offset":
            return self.bitmap_addr(int(p[1])), "Q"
        if p[0] == "bitmap" and p[2] == "entry0":
            return self.get(self.bitmap_addr(int(p[1])), "Q"), "Q"
        if p[0] == "refcount":
            return ("refcount", int(p[1], 0))
        if p[0] == "addr":
            return ("value", self.addr(p[1:]))
        die("unknown field %s" % what)

    def addr(self, p):
        if p[0] == "l1":
            return self.h["l1_table_offset"]
        if p[0] == "rt":
            return self.h["refcount_table_offset"]
        if p[0] == "rb":
            return self.rb_addr(int(p[1]))
        if p[0] == "l2":
            return self.l2_entry_addr(int(p[1], 0)) & ~(self.cs - 1)
        if p[0] == "snaptable":
            return self.h["snapshots_offset"]
        if p[0] == "snap" and p[2] == "l1":
            return self.get(self.snap_addr(int(p[1])), "Q")
        if p[0] == "bitmapdir":
            return self.bitmap_dir()[0]
        if p[0] == "cluster_size":
            return self.cs
        die("unknown address %s" % ".".join(p))

    def bitmaps(self):
        """Lines describing every bitmap and the granules it has set."""
        if not self.h["autoclear_features"] & 1:
            return []
        pos, nb = self.bitmap_dir()
        out = []
        for _ in range(nb):
            table, tsize, flags = self.get(pos, "Q"), self.get(pos + 8, "I"), self.get(pos + 12, "I")
            gbits, nl, extra = self.get(pos + 17, "B"), self.get(pos + 18, "H"), self.get(pos + 20, "I")
            self.f.seek(pos + 24 + extra)
            name = self.f.read(nl).decode()
            data = b""
            for i in range(tsize):
                e = self.get(table + 8 * i, "Q")
                off = e & 0x00fffffffffffe00
                if off:
                    self.f.seek(off)
                    data += self.f.read(self.cs).ljust(self.cs, b"\0")
                else:
                    data += (b"\xff" if e & 1 else b"\0") * self.cs
            granules = (self.h["size"] + (1 << gbits) - 1) >> gbits
            ranges, start = [], None
            for k in range(granules + 1):
                bit = k < granules and data[k // 8] >> (k % 8) & 1
                if bit and start is None:
                    start = k
                elif not bit and start is not None:
                    ranges.append("%d" % start if k - 1 == start else "%d-%d" % (start, k - 1))
                    start = None
            out.append("%s flags=%d granularity=%d set=%s" % (name, flags, 1 << gbits, ",".join(ranges)))
            pos += (24 + extra + nl + 7) & ~7
        return out

    def refcount(self, cluster, value=None):
        per = self.cs * 8 // self.rbits
        rb = self.rb_addr(cluster // per)
        i = cluster % per
        if self.rbits >= 8:
            fmt = {8: "B", 16: "H", 32: "I", 64: "Q"}[self.rbits]
            if value is None:
                return self.get(rb + i * self.rbits // 8, fmt)
            self.put(rb + i * self.rbits // 8, fmt, value)
            return None
        byte = self.get(rb + i * self.rbits // 8, "B")
        shift, mask = (i * self.rbits) % 8, (1 << self.rbits) - 1
        if value is None:
            return (byte >> shift) & mask
        byte = (byte & ~(mask << shift)) | ((value & mask) << shift)
        self.put(rb + i * self.rbits // 8, "B", byte)
        return None


def main():
    if len(sys.argv) not in (3, 4):
        die("usage: qcow2-edit.py IMAGE WHAT [VALUE]")
    img = Image(sys.argv[1])
    if sys.argv[2] == "bitmaps" and len(sys.argv) == 3:
        for line in img.bitmaps():
            print(line)
        return
    f = img.field(sys.argv[2])
    value = sys.argv[3] if len(sys.argv) == 4 else None
    if f[0] == "value":
        if value is not None:
            die("%s cannot be set" % sys.argv[2])
        print(f[1])
        return
    if f[0] == "refcount":
        old = img.refcount(f[1])
    else:
        old = img.get(*f)
    if value is None:
        print(old)
        return
    new = old if value.startswith("|") else 0
    for part in value.split("|"):
        if part:
            new |= int(part, 0)
    if f[0] == "refcount":
        img.refcount(f[1], new)
    else:
        img.put(f[0], f[1], new)


main()
