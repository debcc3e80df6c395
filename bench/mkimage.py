#!/usr/bin/env python3
"""Write the benchmark's raw disk image, the same bytes for the same seed.

usage: mkimage.py OUT [SIZE_MIB] [SEED]

The image is cut into 256 KiB chunks; each chunk is, by a seeded draw:
  30% a hole (never written: the file stays sparse there),
  10% explicit zeros (written, so they take disk blocks),
  30% random bytes (incompressible),
  30% text (compressible about 3:1, like logs or source code).
About 70% of the file is therefore allocated.  Inside data chunks a few
4 KiB blocks are zeroed, as file systems leave them.
"""
import os
import random
import sys

CHUNK = 256 * 1024


def text_pool(rng, size):
    words = [
        "kernel", "qemu", "block", "cluster", "refcount", "virtio", "disk",
        "image", "snapshot", "backing", "network", "bridge", "libvirt",
        "domain", "memory", "vcpu", "migration", "storage", "pool", "volume",
        "error:", "warning:", "info:", "debug:", "0x7f3a", "2026-11-22",
        "systemd[1]:", "Started", "Stopped", "session", "user", "root",
        "\n", "\n", "\n", "=", "{", "}", ";", "(", ")", "/var/log", "/etc",
    ]
    out = []
    n = 0
    while n < size:
        w = rng.choice(words)
        if rng.random() < 0.15:
            w += str(rng.randrange(100000))
        out.append(w)
        n += len(w) + 1
    return (" ".join(out)).encode()[:size]


def main():
    out = sys.argv[1]
    size_mib = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20261122
    rng = random.Random(seed)
    pool = text_pool(rng, 4 * 1024 * 1024)
    nchunks = size_mib * 1024 * 1024 // CHUNK
    zero = bytes(CHUNK)
    with open(out, "wb") as f:
        f.truncate(nchunks * CHUNK)
        for i in range(nchunks):
            r = rng.random()
            if r < 0.30:
                continue
            f.seek(i * CHUNK)
            if r < 0.40:
                f.write(zero)
                continue
            if r < 0.70:
                data = bytearray(rng.randbytes(CHUNK))
            else:
                start = rng.randrange(len(pool) - CHUNK)
                data = bytearray(pool[start:start + CHUNK])
            for _ in range(rng.randrange(3)):
                b = rng.randrange(CHUNK // 4096) * 4096
                data[b:b + 4096] = bytes(4096)
            f.write(data)
        f.flush()
        os.fsync(f.fileno())


if __name__ == "__main__":
    main()
