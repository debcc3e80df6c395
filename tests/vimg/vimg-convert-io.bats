#!/usr/bin/env bats
# vimg convert's source-side options: -C (copy offloading with
# copy_file_range), --salvage (unreadable sectors written as zeros, as
# qemu-img convert --salvage does) and -T (the sources' page cache).

load ../helpers
load ../convert-helpers

bats_require_minimum_version 1.5.0

setup() {
  requires qemu-img qemu-io python3
  TMP=$(mktemp -d)
  cd "$TMP"
  mkimage src.raw 8
}

teardown() {
  cd /
  if [ -n "${MNT:-}" ]; then
    umount "$MNT" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}

@test "convert -C: raw to raw by copy_file_range, the same bytes, holes kept, nothing read by vimg" {
  requires strace
  run vimg convert -C -f raw -O raw src.raw out.raw
  assert_success
  assert_output ""
  cmp src.raw out.raw
  [ "$(allocated_kib out.raw)" -le "$(allocated_kib src.raw)" ]
  # the data goes through the kernel: copy_file_range calls, no pread of data
  rm out.raw
  ASAN_OPTIONS=detect_leaks=0 strace -f -qq -c -o counts -e trace=copy_file_range,pread64,pwrite64 \
    "$VK_BUILDDIR/vimg" convert -C -f raw -O raw src.raw out.raw
  cmp src.raw out.raw
  [ "$(awk '$NF == "copy_file_range" {print $4}' counts)" -gt 0 ] || fail "$(cat counts)"
  refute grep -q pwrite64 counts
  # several sources, concatenated; into an existing target (-n)
  truncate -s 3M tail.raw
  printf 'end' | dd of=tail.raw bs=1 seek=2M conv=notrunc status=none
  run vimg convert -C -f raw -O raw src.raw tail.raw cat.raw
  assert_success
  cat src.raw tail.raw | cmp - cat.raw
  cp cat.raw into.raw
  run vimg convert -C -n -f raw -O raw src.raw into.raw
  assert_success
  cmp src.raw <(head -c "$(stat -c %s src.raw)" into.raw)
}

@test "convert -C onto another filesystem: copy_file_range falls back to read and write, the same bytes" {
  MNT=$TMP/mnt
  mkdir "$MNT"
  mount -t tmpfs -o size=64M tmpfs "$MNT" || cannot "cannot mount a tmpfs here"
  run vimg convert -C -f raw -O raw src.raw "$MNT/out.raw"
  assert_success
  cmp src.raw "$MNT/out.raw"
}

@test "convert -C refuses what it cannot copy, before making a target" {
  qemu-img convert -f raw -O qcow2 src.raw src.qcow2
  fails_one_line 2 vimg convert -C -f raw -O qcow2 src.raw out.qcow2
  fails_one_line 2 vimg convert -C -c -f raw -O raw src.raw out.raw
  fails_one_line 2 vimg convert -C -O raw src.qcow2 out.raw
  fails_one_line 2 vimg convert -C --salvage -f raw -O raw src.raw out.raw
  fails_one_line 2 vimg convert -C -B src.raw -F raw -O raw src.raw out.raw
  [ ! -e out.raw ] && [ ! -e out.qcow2 ]
}

# damaged_compressed FILE: a 4 MiB qcow2 whose compressed cluster at 1 MiB
# no longer inflates (the rest reads fine).
damaged_compressed() {
  qemu-img create -q -f qcow2 "$1" 4M
  qemu-io -c 'write -c -P 9 1M 64k' "$1" >/dev/null
  qemu-io -c 'write -P 7 0 1M' -c 'write -P 7 2M 2M' "$1" >/dev/null
  local e
  e=$(python3 "$VK_SRCDIR/tests/qcow2-edit.py" "$1" l2.0x100000)
  python3 - "$1" "$e" <<'PY'
import sys
path, e = sys.argv[1], int(sys.argv[2])
assert e & (1 << 62), "not a compressed cluster"
with open(path, "r+b") as f:
    f.seek(e & ((1 << 54) - 1))   # 64 KiB clusters: offset in bits 0-53
    f.write(b"\xff" * 40)
PY
}

@test "convert --salvage: what cannot be read becomes zeros, as qemu-img convert --salvage writes; without it, exit 7 and no target" {
  damaged_compressed bad.qcow2
  fails_one_line 7 vimg convert -O raw bad.qcow2 out.raw
  [[ $stderr == *"invalid zlib data"* ]] || fail "$stderr"
  [ ! -e out.raw ]
  run --separate-stderr vimg convert --salvage -O raw bad.qcow2 out.raw
  assert_success
  assert_equal "${#stderr_lines[@]}" 2
  assert_equal "${stderr_lines[0]}" "vimg: bad.qcow2: cannot read 65536 bytes at offset 1048576: written as zeros (--salvage)"
  assert_equal "${stderr_lines[1]}" "vimg: 65536 bytes of the sources could not be read and were written as zeros (--salvage)"
  qemu-img convert --salvage -O raw bad.qcow2 theirs.raw 2>/dev/null
  cmp out.raw theirs.raw
  # to qcow2 and compressed too, with several workers
  run vimg convert --salvage -c -m 2 -O qcow2 bad.qcow2 out.qcow2
  assert_success
  run qemu-img compare -q theirs.raw out.qcow2
  assert_success
  # an image that reads fine: --salvage changes nothing and says nothing
  run --separate-stderr vimg convert --salvage -f raw -O raw src.raw good.raw
  assert_success
  assert_equal "$stderr" ""
  cmp src.raw good.raw
}

@test "convert -T none leaves none of the source in the page cache; bad modes are refused" {
  requires fincore
  local m
  cat src.raw >/dev/null
  run vimg convert -T none -f raw -O qcow2 src.raw out.qcow2
  assert_success
  assert_equal "$(fincore -n -o PAGES src.raw | tr -d ' ')" 0
  run qemu-img compare -q src.raw out.qcow2
  assert_success
  for m in writeback writethrough unsafe directsync; do
    rm -f out.raw
    run vimg convert -T "$m" -f raw -O raw src.raw out.raw
    assert_success
    cmp src.raw out.raw
  done
  fails_one_line 2 vimg convert -T bogus -f raw -O raw src.raw x.raw
  [ ! -e x.raw ]
}
