# vkit — helpers for the convert, check and map/compare/measure suites.

# mkimage FILE MIB [SEED]: a raw image of random data, compressible text,
# explicit zero blocks and holes (the benchmark's generator, small).
mkimage() {
  python3 "$VK_SRCDIR/bench/mkimage.py" "$1" "$2" "${3:-1}"
}

# allocated_kib FILE: disk space the file takes, in KiB.
allocated_kib() {
  du -k "$1" | cut -f1
}

# qcow2_set_refcount FILE CLUSTER VALUE: patch the on-disk refcount of
# host cluster CLUSTER (the refcount block covering it must exist).
qcow2_set_refcount() {
  python3 - "$@" <<'PY'
import struct, sys
path, cluster, value = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "r+b") as f:
    h = f.read(104)
    version = struct.unpack(">I", h[4:8])[0]
    cs = 1 << struct.unpack(">I", h[20:24])[0]
    rt = struct.unpack(">Q", h[48:56])[0]
    order = struct.unpack(">I", h[96:100])[0] if version >= 3 else 4
    bits = 1 << order
    per = cs * 8 // bits
    f.seek(rt + 8 * (cluster // per))
    rb = struct.unpack(">Q", f.read(8))[0] & ~0x1ff
    assert rb, "no refcount block for that cluster"
    i = cluster % per
    if bits >= 8:
        f.seek(rb + i * bits // 8)
        f.write(value.to_bytes(bits // 8, "big"))
    else:
        f.seek(rb + i * bits // 8)
        b = f.read(1)[0]
        shift = (i * bits) % 8
        mask = ((1 << bits) - 1) << shift
        b = (b & ~mask) | ((value << shift) & mask)
        f.seek(rb + i * bits // 8)
        f.write(bytes([b]))
PY
}

# qcow2_l2_entry_set FILE GUEST_OFFSET VALUE: overwrite the L2 entry that
# maps GUEST_OFFSET (standard L2 entries; the L2 table must exist).
# VALUE "|X" sets the bits of X in the entry instead.
qcow2_l2_entry_set() {
  python3 - "$@" <<'PY'
import struct, sys
path, goff, value = sys.argv[1], int(sys.argv[2], 0), sys.argv[3]
with open(path, "r+b") as f:
    h = f.read(104)
    bits = struct.unpack(">I", h[20:24])[0]
    cs = 1 << bits
    l1 = struct.unpack(">Q", h[40:48])[0]
    per = cs // 8
    f.seek(l1 + 8 * (goff // (cs * per)))
    l2 = struct.unpack(">Q", f.read(8))[0] & 0x00fffffffffffe00
    assert l2, "no L2 table"
    f.seek(l2 + 8 * ((goff // cs) % per))
    old = struct.unpack(">Q", f.read(8))[0]
    new = old | int(value[1:], 0) if value.startswith("|") else int(value, 0)
    f.seek(l2 + 8 * ((goff // cs) % per))
    f.write(struct.pack(">Q", new))
PY
}

# file_clusters FILE [CLUSTER_SIZE]: number of host clusters in FILE.
file_clusters() {
  local cs=${2:-65536} n
  n=$(stat -c %s "$1")
  echo $(( (n + cs - 1) / cs ))
}
