# Helpers for tests/vimg/vimg-snapshot.bats: a qcow2 image with internal
# snapshots, and byte patches of its snapshot table.

# mksnapimage FILE: 4 MiB qcow2; s1 holds 1 MiB of 0xaa, s2 has 0xbb over
# [512K, 1.5M), and the active layer has 0xcc over [2M, 3M).
mksnapimage() {
  qemu-img create -q -f qcow2 "$1" 4M
  qemu-io -c 'write -P 0xaa 0 1M' "$1" >/dev/null
  qemu-img snapshot -c s1 "$1"
  qemu-io -c 'write -P 0xbb 512k 1M' "$1" >/dev/null
  qemu-img snapshot -c s2 "$1"
  qemu-io -c 'write -P 0xcc 2M 1M' "$1" >/dev/null
}

# patch_be FILE OFFSET WIDTH VALUE: write VALUE big-endian (WIDTH bytes) at
# OFFSET; OFFSET may be "sn+N" for byte N of the first snapshot entry.
patch_be() {
  python3 - "$@" <<'PY'
import struct, sys
path, off, width, val = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4], 0)
with open(path, 'r+b') as f:
    if off.startswith('sn+'):
        f.seek(64)
        off = struct.unpack('>Q', f.read(8))[0] + int(off[3:])
    else:
        off = int(off, 0)
    f.seek(off)
    f.write(val.to_bytes(width, 'big'))
PY
}
