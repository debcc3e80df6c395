#!/usr/bin/env python3
"""Structure-aware mutation run of vimg against qemu-img (stdlib only).

usage: mutate.py --build DIR [--seconds S] [--seed N] [--work DIR] [--regress DIR]
       mutate.py --build DIR --replay IMAGE...

Base images are made by qemu-img and qemu-io (tests/fuzz/make-corpus.sh,
plus 64 KiB clusters, a raw <- qcow2 <- qcow2 backing chain with relative
names, internal snapshots and a persistent bitmap).  Each one is parsed
(header, extensions, L1/L2 tables, refcount table and blocks, snapshot
table and snapshot L1 tables, bitmap directory and tables) and ONE
structure is mutated per input: a header field, a table entry (zeroed,
pointed at another metadata structure, past the end of the file,
unaligned, reserved bits, flags flipped), a refcount, a snapshot entry,
an extension, the backing file name.

Every mutant is run through the tools of the build tree DIR under
`timeout 20`: vimg info, info --backing-chain, check, check -r all, map,
convert -O raw, convert -O qcow2, convert -n of a raw file into it,
resize +1M, rebase -b "" and rebase -u, snapshot -l/-c/-a/-d, bitmap
--add, --merge --clear --disable and --remove, convert --bitmaps, and
test-image-io readall and write.
Each command works on a copy of the mutant in a directory that also holds
base.raw, mid.qcow2 (qcow2 over base.raw), a FIFO named `fifo` and a
directory named `dir`, so that backing names can point at them.

Oracles, each a failure with the mutant kept under WORK/failures:
 1. a crash, a sanitizer report, or an exit status outside the table;
 2. a timeout (hang);
 3. a failing command that prints more than one line on stderr, or
    anything on stdout;
 4. a silent exit 0 on damage: a write command that succeeds must not
    add corruptions (qemu-img check), must leave an image qemu-img opens,
    and must leave an image qemu-img called clean clean; vimg check must
    exit 7 when qemu-img check finds corruptions; check -r all exiting 0
    must leave an image qemu-img calls clean; an image qemu-img calls
    clean must convert to raw exactly as qemu-img converts it.
The same --seed gives the same mutants.  --replay runs the commands and
oracles on the given images as they are, --regress on those of a
directory (tests/fuzz/regress/) before the mutants.  The last
line is the summary:
  mutate: N inputs, M commands, F failures in S s
and the exit status is 1 when F > 0.
"""
import argparse
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 20
EXIT_OK = {0, 1, 2, 3, 5, 7, 8}
SANITIZER = re.compile(r"runtime error:|AddressSanitizer|LeakSanitizer|"
                       r"UndefinedBehaviorSanitizer")

# Differences that are deliberate vkit choices, not bugs.  Each entry:
# (command name, oracle, regexp on the failure text, why).
ALLOW = [
    ("convert -O raw", "damage", r"exits 7: .*corrupt qcow2 header: empty backing file name",
     "a backing_file_offset with backing_file_size 0: qemu-img reads no backing "
     "file, vkit calls the header corrupt on purpose (no writer makes one)"),
    ("convert -O raw", "damage",
     r"exits 7: .*corrupt qcow2 header: backing file name offset outside the header cluster",
     "a backing_file_offset at or past the cluster size: qemu-img reads the name from "
     "there (or, with size 0, no name); vkit wants it in cluster 0 "
     "(shared/QCOW2.md 1.1: must be < cs)"),
    ("convert -O raw", "damage", r"exits 7: .*zero flag set in an extended L2 entry",
     "bit 0 of an extended L2 entry is reserved (shared/QCOW2.md 2); vkit calls it "
     "corrupt, qemu-img 7.2 ignores it"),
    ("convert -O raw", "damage", r"exits 7: .*corrupt qcow2 header: invalid header length",
     "a v3 header_length that is not a multiple of 8: qemu-img 7.2 does not check it, "
     "vkit follows the specification (shared/QCOW2.md 1.1)"),
    ("convert -O raw", "damage",
     r"exits 7: .*cannot open backing file: .* is not a regular file or block device",
     "a backing file that is a character device (/dev/zero), a FIFO or a directory: "
     "qemu-img opens it, vkit opens only regular files and block devices (QCOW2.md 11)"),
    ("convert -O raw", "damage", r"exits 7: .*COPIED flag set on an L1 entry without an L2 table",
     "an L1 entry of COPIED and offset 0: qemu-img reads no table, vkit calls the "
     "entry corrupt (no writer makes one; qemu-img check treats the header as its table)"),
]
HANG, HANG_KILLED = 1000, 1001   # what run() returns for a command still running
HANGS_PER_INPUT = 2   # after this many hangs, the rest of an input is skipped


class SkipInput(Exception):
    pass


def be(fmt, data, off):
    return struct.unpack_from(">" + fmt, data, off)[0]


# ---------------------------------------------------------------- parsing

class Image:
    """The structures of one qcow2 file, with their file offsets."""

    def __init__(self, data):
        self.data = data
        d = data
        self.flen = len(d)
        self.version = be("I", d, 4)
        self.backing_off = be("Q", d, 8)
        self.backing_len = be("I", d, 16)
        self.cluster_bits = be("I", d, 20)
        self.cs = 1 << self.cluster_bits
        self.size = be("Q", d, 24)
        self.l1_size = be("I", d, 36)
        self.l1_off = be("Q", d, 40)
        self.rt_off = be("Q", d, 48)
        self.rt_clusters = be("I", d, 56)
        self.nb_snap = be("I", d, 60)
        self.snap_off = be("Q", d, 64)
        if self.version >= 3:
            self.incompat = be("Q", d, 72)
            self.refcount_order = be("I", d, 96)
            self.header_length = be("I", d, 100)
        else:
            self.incompat = 0
            self.refcount_order = 4
            self.header_length = 72
        self.extl2 = bool(self.incompat & 16)
        self.l2_esize = 16 if self.extl2 else 8
        self.l2_entries = self.cs // self.l2_esize
        self.rb_bits = 1 << self.refcount_order
        self.rb_entries = self.cs * 8 // self.rb_bits

        # Header extensions: (type, offset of the type field, length).
        self.exts = []
        self.end_marker = None
        off = self.header_length
        while off + 8 <= self.cs and off + 8 <= self.flen:
            t, n = be("I", d, off), be("I", d, off + 4)
            if t == 0:
                self.end_marker = off
                break
            self.exts.append((t, off, n))
            off += 8 + ((n + 7) & ~7)
        self.bitmap_ext = next((e for e in self.exts if e[0] == 0x23852875), None)

        self.l1 = self.table(self.l1_off, self.l1_size, 8)
        self.l2_tables = {}         # offset -> list of entry file offsets
        self.add_l2s(self.l1)
        self.rt = self.table(self.rt_off, self.rt_clusters * self.cs // 8, 8)
        self.rblocks = sorted({self.get(o) & ~0x1ff for o in self.rt
                               if self.get(o) & ~0x1ff})
        self.snaps = self.parse_snapshots()
        self.bitmaps = self.parse_bitmaps()

    def get(self, off, fmt="Q"):
        return be(fmt, self.data, off)

    def table(self, off, n, esize):
        """File offsets of the entries of a table that is in the file."""
        if off == 0 or off % 8 or off >= self.flen:
            return []
        n = min(n, (self.flen - off) // esize, 1 << 20)
        return [off + i * esize for i in range(n)]

    def add_l2s(self, l1):
        for o in l1:
            t = self.get(o) & 0x00fffffffffffe00
            if t and t not in self.l2_tables and t % self.cs == 0:
                self.l2_tables[t] = self.table(t, self.l2_entries, self.l2_esize)

    def parse_snapshots(self):
        out = []
        off = self.snap_off
        for _ in range(min(self.nb_snap, 64)):
            if off == 0 or off + 40 > self.flen:
                break
            e = {"off": off, "l1_off": self.get(off), "l1_size": self.get(off + 8, "I"),
                 "id_len": self.get(off + 12, "H"), "name_len": self.get(off + 14, "H"),
                 "extra": self.get(off + 36, "I")}
            idp = off + 40 + e["extra"]
            e["id"] = self.data[idp:idp + e["id_len"]].decode("ascii", "replace")
            out.append(e)
            l1 = self.table(e["l1_off"], e["l1_size"], 8)
            e["l1"] = l1
            self.add_l2s(l1)
            off += (40 + e["extra"] + e["id_len"] + e["name_len"] + 7) & ~7
        return out

    def parse_bitmaps(self):
        out = []
        if not self.bitmap_ext:
            return out
        p = self.bitmap_ext[1] + 8
        nb, dsize, doff = self.get(p, "I"), self.get(p + 8), self.get(p + 16)
        self.bitmap_dir = (doff, dsize)
        off = doff
        for _ in range(min(nb, 64)):
            if off == 0 or off + 24 > self.flen:
                break
            b = {"off": off, "table": self.get(off), "table_size": self.get(off + 8, "I"),
                 "name_size": self.get(off + 18, "H"), "extra": self.get(off + 20, "I")}
            b["entries"] = self.table(b["table"], b["table_size"], 8)
            out.append(b)
            off += (24 + b["extra"] + b["name_size"] + 7) & ~7
        return out

    def structures(self):
        """Metadata structures, as (name, host offset), to point at."""
        s = [("the header", 0), ("the L1 table", self.l1_off),
             ("the refcount table", self.rt_off)]
        s += [("an L2 table", t) for t in sorted(self.l2_tables)]
        s += [("a refcount block", b) for b in self.rblocks]
        if self.snap_off:
            s.append(("the snapshot table", self.snap_off))
        s += [("a snapshot's L1 table", e["l1_off"]) for e in self.snaps if e["l1_off"]]
        if self.bitmaps:
            s.append(("the bitmap directory", self.bitmap_dir[0] & ~(self.cs - 1)))
        return [(n, o) for n, o in s if o < self.flen]

    def data_l2_entries(self):
        """File offsets of L2 entries that map a host cluster."""
        out = []
        for entries in self.l2_tables.values():
            for o in entries:
                v = self.get(o)
                if v & 0x00fffffffffffe00 or v & (1 << 62):
                    out.append(o)
        return out


# ---------------------------------------------------------------- mutations

class Mutant:
    def __init__(self, desc):
        self.desc = desc
        self.patches = []      # (offset, bytes)

    def put(self, off, fmt, val):
        self.patches.append((off, struct.pack(">" + fmt, val)))
        return self

    def apply(self, data):
        b = bytearray(data)
        for off, p in self.patches:
            if off + len(p) > len(b):
                b.extend(b"\0" * (off + len(p) - len(b)))
            b[off:off + len(p)] = p
        return bytes(b)


def past_eof(img, r):
    end = (img.flen + img.cs - 1) // img.cs * img.cs
    return r.choice([end, end + img.cs * r.randrange(1, 64), 1 << 50, (1 << 56) - img.cs])


def new_offset(img, r, what, cur, flags):
    """Choose a new host offset for a table entry; (text, value)."""
    kind = r.choice(["zero", "meta", "meta", "meta", "eof", "unaligned", "reserved"])
    if kind == "zero":
        return "set to 0", 0
    if kind == "meta":
        choices = [(n, o) for n, o in img.structures() if o != cur]
        if choices:
            name, o = r.choice(choices)
            return "pointed at %s (%#x)" % (name, o), o | flags
        kind = "eof"
    if kind == "eof":
        o = past_eof(img, r)
        return "pointed past the end of the file (%#x)" % o, o | flags
    if kind == "unaligned":
        step = 512 if img.cs > 512 else 8
        return "unaligned (%#x + %d)" % (cur, step), (cur + step) | flags
    bit = r.choice([1, 2, 0x100, 1 << 56, 1 << 61]) if what != "rt" else r.choice([1, 0x100])
    return "with reserved bit %#x" % bit, (cur | flags) | bit


def m_header(img, r):
    cs, size = img.cs, img.size
    fields = [
        ("size", 24, "Q", [0, 1, 511, size + cs, size * 2 + 512, 1 << 62, (1 << 63) - 512,
                           (1 << 64) - 512]),
        ("cluster_bits", 20, "I", [0, 8, 22, 31, img.cluster_bits - 1, img.cluster_bits + 1]),
        ("l1_size", 36, "I", [0, 1, max(img.l1_size - 1, 0), img.l1_size + 1, 0x7fffffff,
                              0xffffffff]),
        ("l1_table_offset", 40, "Q", None),
        ("refcount_table_offset", 48, "Q", None),
        ("refcount_table_clusters", 56, "I", [0, img.rt_clusters + 1, 1 << 20, 0xffffffff]),
        ("nb_snapshots", 60, "I", [0, img.nb_snap + 1, 65537, 0xffffffff]),
        ("snapshots_offset", 64, "Q", None),
        ("backing_file_offset", 8, "Q", [0, 8, cs - 4, cs, 1 << 40]),
        ("backing_file_size", 16, "I", [0, 1, 1023, 1024, 0xffffffff]),
        ("crypt_method", 32, "I", [1, 2, 3]),
        ("version", 4, "I", [1, 2, 3, 4]),
    ]
    if img.version >= 3:
        fields += [
            ("incompatible_features", 72, "Q", [img.incompat ^ b for b in
                                                (1, 2, 4, 8, 16, 32, 1 << 63)]),
            ("compatible_features", 80, "Q", [1, 2, 1 << 63, 0]),
            ("autoclear_features", 88, "Q", [0, 1, 2, 3, 1 << 63]),
            ("refcount_order", 96, "I", [0, 3, 6, 7, 0xffffffff]),
            ("header_length", 100, "I", [0, 72, 100, 104, 105, 120, cs, cs + 8, 0xfffffff8]),
            ("compression_type", 104, "B", [0, 1, 2, 255]),
        ]
    name, off, fmt, vals = r.choice(fields)
    cur = img.get(off, fmt)
    if vals is None:
        text, v = new_offset(img, r, name, cur, 0)
        return Mutant("header %s %s" % (name, text)).put(off, fmt, v)
    v = r.choice([x for x in vals if x != cur] or vals)
    v &= (1 << (8 * struct.calcsize(fmt))) - 1
    return Mutant("header %s %#x -> %#x" % (name, cur, v)).put(off, fmt, v)


def m_l1(img, r):
    l1 = [o for o in img.l1 if img.get(o)] or img.l1
    if not l1:
        return None
    o = r.choice(l1)
    cur = img.get(o)
    kind = r.random()
    if kind < 0.2:
        return Mutant("L1[%d] COPIED flag flipped" % ((o - img.l1_off) // 8)).put(
            o, "Q", cur ^ (1 << 63))
    text, v = new_offset(img, r, "l1", cur & 0x00fffffffffffe00, cur & (1 << 63))
    return Mutant("L1[%d] %s" % ((o - img.l1_off) // 8, text)).put(o, "Q", v)


def m_l2(img, r):
    entries = img.data_l2_entries()
    if not entries:
        entries = [o for t in img.l2_tables.values() for o in t]
    if not entries:
        return None
    o = r.choice(entries)
    cur = img.get(o)
    where = "L2 entry at %#x" % o
    kind = r.random()
    if kind < 0.12:
        return Mutant(where + " COPIED flipped").put(o, "Q", cur ^ (1 << 63))
    if kind < 0.24:
        return Mutant(where + " COMPRESSED flipped").put(o, "Q", cur ^ (1 << 62))
    if kind < 0.36:
        return Mutant(where + " ZERO flag flipped").put(o, "Q", cur ^ 1)
    if kind < 0.48 and img.extl2:
        bm = img.get(o + 8)
        v = r.choice([bm | (bm << 32), 0xffffffffffffffff, 0xffffffff, 1 << 32, 0])
        return Mutant(where + " subcluster bitmap %#x -> %#x" % (bm, v)).put(o + 8, "Q", v)
    if cur & (1 << 62):
        text, v = new_offset(img, r, "l2", cur & ((1 << 62) - 1) & ~0x1ff, cur & (3 << 62))
        return Mutant(where + " (compressed) " + text).put(o, "Q", v)
    text, v = new_offset(img, r, "l2", cur & 0x00fffffffffffe00, cur & ((1 << 63) | 1))
    return Mutant(where + " " + text).put(o, "Q", v)


def m_rt(img, r):
    if not img.rt:
        return None
    used = [o for o in img.rt if img.get(o)]
    o = img.rt[0] if r.random() < 0.3 or not used else r.choice(used)
    cur = img.get(o)
    text, v = new_offset(img, r, "rt", cur & ~0x1ff, 0)
    return Mutant("refcount table[%d] %s" % ((o - img.rt_off) // 8, text)).put(o, "Q", v)


def refcount_slot(img, cluster):
    """(file offset, struct format or bit shift, width) of a cluster's refcount."""
    ri, bi = divmod(cluster, img.rb_entries)
    if ri >= len(img.rt):
        return None
    blk = img.get(img.rt[ri]) & ~0x1ff
    if not blk or blk >= img.flen:
        return None
    w = img.rb_bits
    if w >= 8:
        return blk + bi * w // 8, w
    return blk + bi * w // 8, w


def m_refcount(img, r):
    targets = [0, img.l1_off // img.cs, img.rt_off // img.cs]
    targets += [t // img.cs for t in img.l2_tables] + [b // img.cs for b in img.rblocks]
    targets += [(img.get(o) & 0x00fffffffffffe00) // img.cs for o in img.data_l2_entries()
                if not img.get(o) & (1 << 62)]
    if img.snap_off:
        targets.append(img.snap_off // img.cs)
    c = r.choice(targets)
    slot = refcount_slot(img, c)
    if not slot:
        return None
    off, w = slot
    maxv = (1 << w) - 1
    v = r.choice([0, 2, maxv])
    m = Mutant("refcount of cluster %d set to %d" % (c, v))
    if w >= 8:
        return m.put(off, {8: "B", 16: "H", 32: "I", 64: "Q"}[w], v)
    bi = c % img.rb_entries
    shift = (bi * w) % 8
    byte = img.data[off]
    byte = (byte & ~(maxv << shift)) | ((v & maxv) << shift)
    return m.put(off, "B", byte & 0xff)


def m_snapshot(img, r):
    if not img.snaps:
        return None
    e = r.choice(img.snaps)
    o = e["off"]
    kind = r.choice(["l1_size0", "l1_small", "disk_huge", "extra", "idlen", "namelen",
                     "l1_off", "l1_entry"])
    if kind == "l1_size0":
        return Mutant("snapshot %s l1_size -> 0" % e["id"]).put(o + 8, "I", 0)
    if kind == "l1_small":
        # disk_size needs more L1 entries than the table has.
        m = Mutant("snapshot %s disk_size grown past its l1_size" % e["id"])
        if e["extra"] >= 16:
            span = img.cs * img.l2_entries
            return m.put(o + 48, "Q", (e["l1_size"] + 4) * span)
        return m.put(o + 8, "I", 0)
    if kind == "disk_huge" and e["extra"] >= 16:
        return Mutant("snapshot %s disk_size -> 2^62" % e["id"]).put(o + 48, "Q", 1 << 62)
    if kind == "extra" or kind == "disk_huge":
        v = r.choice([0, 8, 1025, 0xffffffff])
        return Mutant("snapshot %s extra_data_size %d -> %d" % (e["id"], e["extra"], v)).put(
            o + 36, "I", v)
    if kind == "idlen":
        return Mutant("snapshot %s id length -> 0xffff" % e["id"]).put(o + 12, "H", 0xffff)
    if kind == "namelen":
        return Mutant("snapshot %s name length -> 0xffff" % e["id"]).put(o + 14, "H", 0xffff)
    if kind == "l1_entry" and e["l1"]:
        p = r.choice(e["l1"])
        cur = img.get(p)
        text, v = new_offset(img, r, "l1", cur & 0x00fffffffffffe00, cur & (1 << 63))
        return Mutant("snapshot %s L1[%d] %s" % (e["id"], (p - e["l1_off"]) // 8, text)).put(
            p, "Q", v)
    text, v = new_offset(img, r, "snap_l1", e["l1_off"], 0)
    return Mutant("snapshot %s L1 table offset %s" % (e["id"], text)).put(o, "Q", v)


def m_extension(img, r):
    kinds = ["crypto", "end_len", "unknown"]
    if img.exts:
        kinds += ["len", "len", "type0"]
    if img.bitmap_ext:
        kinds += ["bitmaps", "bitmaps", "bitmap_entry"]
    kind = r.choice(kinds)
    if kind in ("crypto", "unknown"):
        # Put a new extension where the end marker is, and a new end marker after it.
        at = img.end_marker
        if at is None or at + 32 > img.cs or (img.backing_off and at + 32 > img.backing_off):
            return None
        t = 0x0537BE77 if kind == "crypto" else 0x12345678
        m = Mutant("%s extension added" % ("an encryption (0x0537BE77)" if kind == "crypto"
                                           else "an unknown (0x12345678)"))
        m.put(at, "I", t).put(at + 4, "I", 16)
        m.put(at + 8, "Q", img.cs).put(at + 16, "Q", img.cs)
        return m.put(at + 24, "Q", 0)
    if kind == "end_len":
        if img.end_marker is None:
            return None
        v = r.choice([8, 16, 0xffffffff])
        return Mutant("end-of-extensions marker with length %d" % v).put(
            img.end_marker + 4, "I", v)
    if kind in ("len", "type0"):
        t, off, n = r.choice(img.exts)
        if kind == "type0":
            return Mutant("extension %#x at %#x -> end marker with length %d" % (t, off, n)).put(
                off, "I", 0)
        v = r.choice([0, 1, n + 1, n + 8, img.cs, 0xffffffff])
        return Mutant("extension %#x length %d -> %d" % (t, n, v)).put(off + 4, "I", v)
    if kind == "bitmaps":
        p = img.bitmap_ext[1] + 8
        field = r.choice([("nb_bitmaps", 0, "I", [0, 2, 65536, 0xffffffff]),
                          ("directory_size", 8, "Q", [0, 8, 1 << 40]),
                          ("directory_offset", 16, "Q", None)])
        name, fo, fmt, vals = field
        cur = img.get(p + fo, fmt)
        if vals is None:
            text, v = new_offset(img, r, "bmdir", cur, 0)
            return Mutant("bitmaps extension %s %s" % (name, text)).put(p + fo, fmt, v)
        v = r.choice([x for x in vals if x != cur] or vals)
        return Mutant("bitmaps extension %s %d -> %d" % (name, cur, v)).put(p + fo, fmt, v)
    if not img.bitmaps:
        return None
    b = r.choice(img.bitmaps)
    sub = r.choice(["table", "table_size", "flags", "granularity", "name_size", "extra",
                    "entry"])
    o = b["off"]
    if sub == "table":
        text, v = new_offset(img, r, "bmtable", b["table"], 0)
        return Mutant("bitmap table offset " + text).put(o, "Q", v)
    if sub == "table_size":
        return Mutant("bitmap table size -> 0xffffffff").put(o + 8, "I", 0xffffffff)
    if sub == "flags":
        v = r.choice([1, 4, 0x80000000])
        return Mutant("bitmap flags -> %#x" % v).put(o + 12, "I", v)
    if sub == "granularity":
        v = r.choice([0, 8, 32, 63, 255])
        return Mutant("bitmap granularity bits -> %d" % v).put(o + 17, "B", v)
    if sub == "name_size":
        return Mutant("bitmap name size -> 0xffff").put(o + 18, "H", 0xffff)
    if sub == "extra":
        return Mutant("bitmap extra data size -> 8").put(o + 20, "I", 8)
    used = [e for e in b["entries"] if img.get(e)] or b["entries"]
    if not used:
        return None
    e = r.choice(used)
    text, v = new_offset(img, r, "bmentry", img.get(e) & ~0x1ff, 0)
    return Mutant("bitmap table entry " + text).put(e, "Q", v)


BACKING_NAMES = ["fifo", "dir", "/dev/zero", "m.qcow2", "missing", "mid.qcow2", "base.raw",
                 "x" * 1023]


def m_backing(img, r):
    name = r.choice(BACKING_NAMES).encode()
    if img.backing_off:
        at = img.backing_off
    else:
        # A new name at the end of cluster 0, after the extensions.
        at = (img.cs - len(name)) & ~7
        if at < (img.end_marker or img.header_length) + 8:
            return None
    if at + len(name) > img.cs:
        return None
    m = Mutant("backing file name -> %r" % name.decode()[:40])
    m.put(8, "Q", at).put(16, "I", len(name))
    m.patches.append((at, name))
    fmt_ext = next((e for e in img.exts if e[0] == 0xE2792ACA), None)
    if fmt_ext and r.random() < 0.5:
        f = r.choice([b"raw", b"qcow2", b"vmdk"])
        m.desc += ", backing format %s" % f.decode()
        m.put(fmt_ext[1] + 4, "I", len(f))
        m.patches.append((fmt_ext[1] + 8, f.ljust((fmt_ext[2] + 7) & ~7, b"\0")))
    return m


MUTATORS = [(m_header, 4), (m_l1, 2), (m_l2, 4), (m_rt, 2), (m_refcount, 3),
            (m_snapshot, 3), (m_extension, 3), (m_backing, 1)]


def mutate(parsed, r):
    """One mutant: a kind of mutation by weight, then a base image it
    applies to (snapshot and bitmap mutations need images that have
    them).  Returns (base path, base bytes, Mutant) or None."""
    fn = r.choices([f for f, _ in MUTATORS], [w for _, w in MUTATORS])[0]
    for _ in range(20):
        p, data, img = r.choice(parsed)
        try:
            m = fn(img, r)
        except (struct.error, IndexError, ValueError):
            m = None
        if m:
            return p, data, m
    return None


# ---------------------------------------------------------------- base images

def sh(*args, **kw):
    return subprocess.run(list(args), check=True, stdout=subprocess.DEVNULL, **kw)


def make_bases(work):
    """The corpus images and the larger ones (make-corpus.sh --large)."""
    base = os.path.join(work, "base")
    os.makedirs(base)
    subprocess.run([os.path.join(HERE, "make-corpus.sh"), "--large", base], check=True,
                   stdout=subprocess.DEVNULL)
    # Images with an external data file are left out: a run has no data
    # file beside them (both tools would only fail to open it).
    return sorted(os.path.join(base, f) for f in os.listdir(base)
                  if f.endswith(".qcow2") and not f.startswith("datafile"))


def make_neighbours(work):
    """base.raw and mid.qcow2 (a qcow2 over base.raw, what chain-top.qcow2
    names as its backing file)."""
    n = os.path.join(work, "neighbours")
    os.makedirs(n, exist_ok=True)
    with open(os.path.join(n, "base.raw"), "wb") as f:
        f.write(bytes((i * 7 + 3) & 0xff for i in range(4096)) * 256)
    sh("qemu-img", "create", "-f", "qcow2", "-b", "base.raw", "-F", "raw", "-o",
       "cluster_size=4k", "mid.qcow2", cwd=n)
    sh("qemu-io", "-f", "qcow2", "-c", "write -P 0xe1 8k 8k", "mid.qcow2", cwd=n)
    return n


# ---------------------------------------------------------------- running

class Runner:
    def __init__(self, build, work, neighbours, seed):
        self.vimg = os.path.join(build, "vimg")
        self.vio = os.path.join(build, "tests", "unit", "test-image-io")
        for p in (self.vimg, self.vio):
            if not os.access(p, os.X_OK):
                sys.exit("mutate.py: %s is missing (make, and make check or "
                         "make tests/unit/test-image-io, in the build tree)" % p)
        self.work = work
        self.neighbours = neighbours
        self.seed = seed
        self.inputs = self.commands = self.failures = 0
        self.signatures = {}
        self.faildir = os.path.join(work, "failures")
        os.makedirs(self.faildir, exist_ok=True)
        self.hangs = 0
        self.base, self.recording, self.pending = None, False, []
        self.base_sigs = {}     # base image -> signatures of its own failures
        self.inherited = 0

    def scratch(self, data):
        """A fresh directory with the mutant as m.qcow2 and its neighbours."""
        d = os.path.join(self.work, "run")
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
        for f in ("base.raw", "mid.qcow2"):
            shutil.copy(os.path.join(self.neighbours, f), d)
        os.mkfifo(os.path.join(d, "fifo"))
        os.mkdir(os.path.join(d, "dir"))
        with open(os.path.join(d, "m.qcow2"), "wb") as f:
            f.write(data)
        return d

    def copy(self, d, name):
        shutil.copy(os.path.join(d, "m.qcow2"), os.path.join(d, name))
        return name

    def run(self, d, args):
        if self.hangs >= HANGS_PER_INPUT:
            raise SkipInput()
        self.commands += 1
        t = time.time()
        try:
            p = subprocess.run(["timeout", "-k", "5", str(TIMEOUT)] + args, cwd=d,
                               stdin=subprocess.DEVNULL, capture_output=True)
        except OSError as e:
            return 126, "", str(e)
        rc = p.returncode
        if time.time() - t >= TIMEOUT:
            # timeout says 124, or dies of SIGKILL when TERM was not enough.
            rc = HANG if rc == 124 else HANG_KILLED
        return rc, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")

    def qcheck(self, d, f):
        """qemu-img check --output=json of the image's own metadata (its backing
        file is not opened): (rc, corruptions, leaks), or None on a hang."""
        spec = "json:" + json.dumps({"driver": "qcow2", "backing": None,
                                     "file": {"driver": "file",
                                              "filename": os.path.join(d, f)}})
        t = time.time()
        try:
            p = subprocess.run(["timeout", "-k", "5", str(TIMEOUT), "qemu-img", "check",
                                "--output=json", spec], cwd=d, stdin=subprocess.DEVNULL,
                               capture_output=True)
        except OSError:
            return None
        if time.time() - t >= TIMEOUT:
            self.hangs += 1
            return None
        try:
            j = json.loads(p.stdout)
        except ValueError:
            return (p.returncode, None, None)
        return (p.returncode, j.get("corruptions", 0), j.get("leaks", 0))

    def allowed(self, cmd, oracle, text):
        return any(c == cmd and o == oracle and re.search(rx, text) for c, o, rx, _ in ALLOW)

    def fail(self, data, desc, cmd, oracle, text, argv):
        if self.allowed(cmd, oracle, text):
            return
        sig = "%s / %s / %s" % (cmd, oracle, re.sub(r"[0-9]+", "N", text.split("\n")[0])[:120])
        if self.recording:
            self.base_sigs[self.base].add(sig)
        elif self.base:
            # Decided when the input is done, once the base has been run.
            self.pending.append((sig, data, desc, cmd, oracle, text, argv))
            return
        self.commit(sig, data, desc, cmd, oracle, text, argv)

    def commit(self, sig, data, desc, cmd, oracle, text, argv):
        self.failures += 1
        k = self.signatures.setdefault(sig, [0, None])
        k[0] += 1
        base = os.path.join(self.faildir, "%04d-%s" % (self.failures, cmd.replace(" ", "_")))
        with open(base + ".qcow2", "wb") as f:
            f.write(data)
        with open(base + ".txt", "w") as f:
            f.write("seed %d input %d\nmutation: %s\ncommand: %s\noracle: %s\n%s\n" %
                    (self.seed, self.inputs, desc, " ".join(argv), oracle, text))
        if k[1] is None:
            k[1] = base + ".qcow2"
            print("mutate: FAIL %s: %s [%s] (%s)\n    %s" %
                  (cmd, oracle, desc, base + ".qcow2", text.split("\n")[0][:300]),
                  file=sys.stderr)

    # One command: oracles 1-3; returns (rc, stdout, stderr).
    def cmd(self, ctx, name, args, report_ok=()):
        d, data, desc = ctx
        rc, out, err = self.run(d, args)
        if rc in (HANG, HANG_KILLED):
            self.hangs += 1
            self.fail(data, desc, name, "hang", "no exit after %d s%s" % (
                TIMEOUT, ", and SIGTERM did not stop it" if rc == HANG_KILLED else ""), args)
        elif rc < 0 or rc not in EXIT_OK:
            self.fail(data, desc, name, "status", "exit status %d: %s" %
                      (rc, err.strip()[-300:]), args)
        if SANITIZER.search(err):
            line = next(l for l in err.split("\n") if SANITIZER.search(l))
            self.fail(data, desc, name, "sanitizer", line.strip(), args)
        if rc not in (0, HANG, HANG_KILLED) and rc not in report_ok:
            lines = [l for l in err.split("\n") if l]
            if len(lines) > 1:
                self.fail(data, desc, name, "report", "exit %d with %d lines on stderr: %s"
                          % (rc, len(lines), " | ".join(lines[:3])[:300]), args)
            elif not lines:
                self.fail(data, desc, name, "report", "exit %d with nothing on stderr" % rc,
                          args)
            if out:
                self.fail(data, desc, name, "report", "exit %d with output on stdout: %s" %
                          (rc, out[:200]), args)
        return rc, out, err

    # A write command on file f: oracle 4.
    def wcmd(self, ctx, name, args, f, before):
        rc, _, _ = self.cmd(ctx, name, args)
        after = None
        if rc == 0:
            after = self.qcheck(ctx[0], f)
            if before and after:
                self.damage(ctx, name, args, before, after)
        return rc, after

    def damage(self, ctx, name, args, before, after):
        _, data, desc = ctx
        brc, bc, _ = before
        arc, ac, al = after
        if brc != 1 and arc == 1:
            self.fail(data, desc, name, "damage",
                      "exit 0, and qemu-img can no longer open the image", args)
        elif bc is not None and ac is not None and ac > bc:
            self.fail(data, desc, name, "damage", "exit 0, and qemu-img check finds %d "
                      "corruptions (%d before)" % (ac, bc), args)
        elif brc == 0 and arc == 3:
            self.fail(data, desc, name, "damage", "exit 0 on an image qemu-img called clean, "
                      "which now has leaks (%s leaked clusters)" % al, args)
        elif brc == 0 and arc != 0:
            self.fail(data, desc, name, "damage", "exit 0 on an image qemu-img called clean, "
                      "and qemu-img check now says status %d" % arc, args)

    def one(self, data, desc, base=None, base_data=None):
        """Run every command on one image, a mutant of the image `base_data`
        named `base` if given.  The failures of a mutant that its base also
        has are not counted again: the first time a mutant of a base fails,
        the base itself is run (and its own failures counted)."""
        self.base, self.recording, self.pending = base, False, []
        self.run_input(data, desc)
        pending = self.pending
        if pending and base not in self.base_sigs:
            self.base, self.recording = base, True
            self.base_sigs[base] = set()
            self.run_input(base_data, "%s, unmutated" % base)
        for p in pending:
            if p[0] in self.base_sigs[base]:
                self.inherited += 1
            else:
                self.commit(*p)
        self.base, self.recording, self.pending = None, False, []

    def run_input(self, data, desc):
        self.inputs += 1
        self.hangs = 0
        try:
            img = Image(data)
            # IDs that can be passed as an argument (hostile ones may not).
            snap_ids = [e["id"] for e in img.snaps if e["id"] and e["id"].isprintable()]
            vsize, cs = img.size, img.cs
        except (struct.error, IndexError, ValueError, OverflowError):
            vsize, cs, snap_ids = 0, 65536, []
        try:
            self.commands_on(self.scratch(data), data, desc, vsize, cs, snap_ids)
        except SkipInput:
            print("mutate: %d hangs on [%s]: its other commands skipped" % (self.hangs, desc),
                  file=sys.stderr)

    def commands_on(self, d, data, desc, vsize, cs, snap_ids):
        ctx = (d, data, desc)
        v = self.vimg
        before = self.qcheck(d, "m.qcow2")

        self.cmd(ctx, "info", [v, "info", "m.qcow2"])
        self.cmd(ctx, "info --backing-chain", [v, "info", "--backing-chain", "m.qcow2"])
        rc, _, _ = self.cmd(ctx, "check", [v, "check", "m.qcow2"], report_ok=(7, 8))
        if before and before[0] == 2 and rc != 7 and rc not in (HANG, HANG_KILLED):
            self.fail(data, desc, "check", "damage", "qemu-img check finds %s corruptions, "
                      "vimg check exits %d" % (before[1], rc), [v, "check", "m.qcow2"])
        f = self.copy(d, "r.qcow2")
        rc, _, _ = self.cmd(ctx, "check -r all", [v, "check", "-r", "all", f], report_ok=(7, 8))
        if rc == 0:
            after = self.qcheck(d, f)
            if after and after[0] != 0:
                self.fail(data, desc, "check -r all", "damage", "exit 0, and qemu-img check "
                          "then says status %d (%s corruptions, %s leaks)" % after,
                          [v, "check", "-r", "all", f])
        self.cmd(ctx, "map", [v, "map", "m.qcow2"])
        rc, _, err = self.cmd(ctx, "convert -O raw", [v, "convert", "-O", "raw", "m.qcow2",
                                                      "out.raw"])
        if before and before[0] == 0 and vsize <= 1 << 30:
            self.same_as_qemu(ctx, rc, err)
        self.cmd(ctx, "convert -O qcow2", [v, "convert", "-O", "qcow2", "m.qcow2", "out.qcow2"])
        self.into(ctx, vsize, before)
        f = self.copy(d, "z.qcow2")
        self.wcmd(ctx, "resize +1M", [v, "resize", "-f", "qcow2", f, "+1M"], f, before)
        f = self.copy(d, "rb.qcow2")
        self.wcmd(ctx, "rebase -b ''", [v, "rebase", "-f", "qcow2", "-b", "", f], f, before)
        f = self.copy(d, "ru.qcow2")
        self.wcmd(ctx, "rebase -u", [v, "rebase", "-u", "-f", "qcow2", "-b", "base.raw", "-F", "raw",
                                     f], f, before)
        self.cmd(ctx, "snapshot -l", [v, "snapshot", "-l", "m.qcow2"])
        self.snapshots(ctx, snap_ids, before)
        self.bitmaps(ctx, before)
        self.cmd(ctx, "readall", [self.vio, "-r", "-f", "qcow2", "m.qcow2", "readall"])
        f = self.copy(d, "w.qcow2")
        args = [self.vio, "-f", "qcow2", f]
        for off, n in ((0, 512), (cs - 100, 300), (cs * (cs // 8) - 512, 1024),
                       (vsize // 2, cs + 1), (max(vsize - 700, 0), 700)):
            if vsize and off + n <= vsize and 0 <= off:
                args += ["write", str(off), str(n), "0x%x" % ((off // 512) % 250 + 1)]
        if len(args) > 4:
            self.wcmd(ctx, "write", args, f, before)

    def same_as_qemu(self, ctx, rc, err):
        """The image is clean to qemu-img: if qemu-img converts it (its backing
        chain included), vimg must too, to the same bytes."""
        d, data, desc = ctx
        p = subprocess.run(["timeout", "-k", "5", str(TIMEOUT), "qemu-img", "convert", "-O",
                            "raw", "m.qcow2", "qemu.raw"], cwd=d, stdin=subprocess.DEVNULL,
                           capture_output=True)
        if p.returncode != 0:
            return
        # A file named as its own backing file (opened as another format,
        # qemu-img reads it) is a loop to vimg on purpose: vimg(1), BACKING
        # CHAINS.
        if rc == 7 and "backing chain loop" in err and "comes back as the backing file of" in err:
            return
        if rc != 0:
            self.fail(data, desc, "convert -O raw", "damage", "qemu-img calls the image "
                      "clean and converts it, vimg convert -O raw exits %d: %s" %
                      (rc, err.strip()[:200]), ["convert"])
            return
        if not files_equal(os.path.join(d, "out.raw"), os.path.join(d, "qemu.raw")):
            self.fail(data, desc, "convert -O raw", "damage", "qemu-img calls the image "
                      "clean, vimg convert -O raw reads it differently from qemu-img",
                      ["convert"])

    def into(self, ctx, vsize, before):
        """convert -n of a raw file into (a copy of) the mutant."""
        d = ctx[0]
        n = min(vsize, 1 << 20) // 512 * 512 or 512
        with open(os.path.join(d, "src.raw"), "wb") as f:
            f.write(bytes(((i // 512) * 13 + 1) & 0xff for i in range(n)))
        f = self.copy(d, "n.qcow2")
        self.wcmd(ctx, "convert -n", [self.vimg, "convert", "-n", "-f", "raw", "-O", "qcow2",
                                      "src.raw", f], f, before)

    def bitmaps(self, ctx, before):
        d = ctx[0]
        v = self.vimg
        f = self.copy(d, "b.qcow2")
        rc, state = self.wcmd(ctx, "bitmap --add", [v, "bitmap", "--add", f, "fuzz"], f, before)
        if rc == 0:
            rc, state = self.wcmd(ctx, "bitmap --merge --clear --disable",
                                  [v, "bitmap", "--merge", "fuzz", "--clear", "--disable", f, "fuzz"],
                                  f, state)
            if rc == 0:
                self.wcmd(ctx, "bitmap --remove", [v, "bitmap", "--remove", f, "fuzz"], f, state)
        self.cmd(ctx, "convert --bitmaps", [v, "convert", "--bitmaps", "--skip-broken-bitmaps",
                                            "-O", "qcow2", "m.qcow2", "outb.qcow2"])

    def snapshots(self, ctx, ids, before):
        d = ctx[0]
        v = self.vimg
        f = self.copy(d, "s.qcow2")
        rc, state = self.wcmd(ctx, "snapshot -c", [v, "snapshot", "-c", "fuzz", f], f, before)
        if ids:
            for op in ("-a", "-d"):
                g = self.copy(d, "s%s.qcow2" % op)
                self.wcmd(ctx, "snapshot " + op, [v, "snapshot", op, ids[0], g], g, before)
        elif rc == 0:
            rc, state = self.wcmd(ctx, "snapshot -a", [v, "snapshot", "-a", "fuzz", f], f, state)
            if rc == 0:
                self.wcmd(ctx, "snapshot -d", [v, "snapshot", "-d", "fuzz", f], f, state)


def files_equal(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        if os.fstat(fa.fileno()).st_size != os.fstat(fb.fileno()).st_size:
            return False
        while True:
            x, y = fa.read(1 << 20), fb.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="build tree with vimg and test-image-io")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--work", help="directory for the run (default: a new one in /tmp); "
                    "failures are kept in WORK/failures")
    ap.add_argument("--replay", nargs="+", metavar="IMAGE", help="run the oracles on "
                    "these images as they are, and nothing else")
    ap.add_argument("--regress", metavar="DIR", help="first run the oracles on the *.qcow2 "
                    "images of DIR as they are (tests/fuzz/regress), then mutate")
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else int.from_bytes(os.urandom(4), "big")
    work = a.work or tempfile.mkdtemp(prefix="vkit-mutate.")
    os.makedirs(work, exist_ok=True)
    for sub in ("base", "neighbours", "run"):
        shutil.rmtree(os.path.join(work, sub), ignore_errors=True)
    start = time.time()
    runner = Runner(os.path.abspath(a.build), work, make_neighbours(work), seed)
    replay = a.replay or []
    if a.regress:
        replay += sorted(os.path.join(a.regress, f) for f in os.listdir(a.regress)
                         if f.endswith(".qcow2"))
    for path in replay:
        with open(path, "rb") as f:
            runner.one(f.read(), "replay of " + os.path.basename(path))
    if not a.replay:
        print("mutate: seed %d, work in %s" % (seed, work), file=sys.stderr)
        r = random.Random(seed)
        bases = [(p, open(p, "rb").read()) for p in make_bases(work)]
        parsed = [(p, data, Image(data)) for p, data in bases]
        while time.time() - start < a.seconds:
            got = mutate(parsed, r)
            if not got:
                continue
            p, data, m = got
            name = os.path.basename(p)
            runner.one(m.apply(data), "%s: %s" % (name, m.desc), name, data)
    elapsed = time.time() - start
    if runner.inherited:
        print("mutate: %d failures of mutants that their unmutated base image has too "
              "(not counted again)" % runner.inherited, file=sys.stderr)
    if runner.signatures:
        print("mutate: %d distinct failures:" % len(runner.signatures), file=sys.stderr)
        for sig, (n, ex) in sorted(runner.signatures.items()):
            print("  %dx %s (e.g. %s)" % (n, sig, ex), file=sys.stderr)
    print("mutate: %d inputs, %d commands, %d failures in %d s" %
          (runner.inputs, runner.commands, runner.failures, elapsed))
    shutil.rmtree(os.path.join(work, "run"), ignore_errors=True)
    if not a.work and not runner.failures:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if runner.failures else 0


if __name__ == "__main__":
    sys.exit(main())
