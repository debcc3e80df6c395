# vkit — helpers for the image suites (vimg.bats, image-*.bats).

source "$(dirname "${BASH_SOURCE[0]}")/helpers.bash"
bats_require_minimum_version 1.5.0

# The engine driver for tests: a tiny qemu-io built beside the unit tests.
vio() { "$VK_BUILDDIR/tests/unit/test-image-io" "$@"; }

image_setup() {
  TMP=$(mktemp -d)
  cd "$TMP" || return 1
}

image_teardown() {
  cd / && rm -rf "$TMP"
}

# qemu-img check must find no corruption and no leaks.
assert_qemu_clean() {
  run qemu-img check "$@"
  [ "$status" -eq 0 ] || fail "qemu-img check $*: status $status: $output"
}

# qemu-img compare must say identical.
assert_qemu_same() {
  run qemu-img compare "$@"
  [ "$status" -eq 0 ] || fail "qemu-img compare $*: status $status: $output"
}

# vimg's engine must read IMG byte-identical to qemu-img convert -O raw.
assert_reads_like_qemu() {
  local img=$1
  rm -f "$img.vk.raw" "$img.qemu.raw"
  run qemu-img convert -O raw "$img" "$img.qemu.raw"
  assert_success
  run vio -r "$img" dump "$img.vk.raw"
  assert_success
  cmp "$img.vk.raw" "$img.qemu.raw" || fail "vimg reads $img differently from qemu-img"
  rm -f "$img.vk.raw" "$img.qemu.raw"
}

# The value of one key of `qemu-img info --output=json`.
qemu_info() {
  qemu-img info -U --output=json "$1" | json_get "$2"
}

# The value of one key of `vimg info --json`.
vimg_info() {
  vimg info --json "$1" | json_get "$2"
}

# Every field qemu-img and vimg both report must agree.
assert_info_agrees() {
  local f=$1 q v
  q=$(qemu-img info -U --output=json "$f") || fail "qemu-img info $f failed"
  v=$(vimg info --json "$f") || fail "vimg info $f failed"
  python3 - "$q" "$v" <<'PY' || fail "vimg info and qemu-img info disagree on $f"
import json, sys
q = json.loads(sys.argv[1]); v = json.loads(sys.argv[2])
spec = q.get("format-specific", {}).get("data", {})
pairs = [("format", q["format"], v["format"]),
         ("virtual_size", q["virtual-size"], v["virtual_size"]),
         ("disk_size", q["actual-size"], v["disk_size"])]
if q["format"] == "qcow2":
    pairs += [("cluster_size", q["cluster-size"], v["cluster_size"]),
              ("dirty", q.get("dirty-flag", False), v["dirty"])]
    for qk, vk in (("compat", "compat"), ("refcount-bits", "refcount_bits"),
                   ("corrupt", "corrupt"), ("extended-l2", "extended_l2"),
                   ("compression-type", "compression_type"),
                   ("lazy-refcounts", "lazy_refcounts")):
        if qk in spec:
            pairs.append((vk, spec[qk], v[vk]))
pairs += [("backing_file", q.get("backing-filename"), v.get("backing_file")),
          ("full_backing_file", q.get("full-backing-filename"), v.get("full_backing_file")),
          ("backing_format", q.get("backing-filename-format"), v.get("backing_format"))]
bad = [f"{k}: qemu-img {a!r} vimg {b!r}" for k, a, b in pairs if a != b]
for b in bad:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}
