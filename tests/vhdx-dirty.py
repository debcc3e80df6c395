#!/usr/bin/env python3
"""vhdx-dirty.py IMAGE [--retarget OFFSET] -- make the vhdx IMAGE, whose
log qemu wrote (qemu-io writes that allocate blocks leave their entries
in the log), need a replay, as a host that stopped between the log and
the BAT would leave it: the current header gets the log GUID of the last
entry, and the 4 KiB that entry rewrites is zeroed.  With --retarget the
entry's first descriptor is pointed at OFFSET instead (its checksum made
right again), for the tests of hostile logs.  Prints the offset the entry
writes."""
import struct
import sys

CRC = []
for i in range(256):
    v = i
    for _ in range(8):
        v = (v >> 1) ^ (0x82F63B78 if v & 1 else 0)
    CRC.append(v)


def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = CRC[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def with_checksum(b, at):
    b = bytearray(b)
    b[at:at + 4] = b"\0\0\0\0"
    b[at:at + 4] = struct.pack("<I", crc32c(bytes(b)))
    return bytes(b)


def main():
    path = sys.argv[1]
    retarget = int(sys.argv[3], 0) if len(sys.argv) == 4 and sys.argv[2] == "--retarget" else None
    with open(path, "r+b") as f:
        d = f.read()
        heads = [0x10000, 0x20000]
        seqs = [struct.unpack("<Q", d[h + 8:h + 16])[0] for h in heads]
        cur = heads[seqs.index(max(seqs))]
        log_len, log_off = struct.unpack("<IQ", d[cur + 68:cur + 80])
        last = None
        for pos in range(0, log_len, 4096):
            p = log_off + pos
            if d[p:p + 4] == b"loge":
                seq = struct.unpack("<Q", d[p + 16:p + 24])[0]
                if last is None or seq > last[0]:
                    last = (seq, p)
        if last is None:
            sys.exit("vhdx-dirty: no log entry in %s" % path)
        p = last[1]
        elen = struct.unpack("<I", d[p + 8:p + 12])[0]
        target = struct.unpack("<Q", d[p + 80:p + 88])[0]
        if retarget is not None:
            e = bytearray(d[p:p + elen])
            e[80:88] = struct.pack("<Q", retarget)
            f.seek(p)
            f.write(with_checksum(e, 4))
        h = bytearray(d[cur:cur + 4096])
        h[48:64] = d[p + 32:p + 48]
        f.seek(cur)
        f.write(with_checksum(h, 4))
        f.seek(target)
        f.write(b"\0" * 4096)
        print(target)


main()
