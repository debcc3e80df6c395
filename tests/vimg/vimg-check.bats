#!/usr/bin/env bats
# vimg check: clean images, injected leaks and corruptions, repair,
# counted as qemu-img check counts them.

load ../helpers
load ../convert-helpers

bats_require_minimum_version 1.5.0

setup() {
  requires qemu-img qemu-io python3
  TMP=$(mktemp -d)
}

teardown() {
  if [ -n "${HOLDER:-}" ]; then
    kill "$HOLDER" 2>/dev/null || true
    wait "$HOLDER" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}

# An image with data in two L2 ranges, two leaked clusters at the end of
# the file and (with "corrupt") a data cluster whose refcount is 0.
make_damaged() {
  local img=$1
  qemu-img create -q -f qcow2 "$img" 64M
  qemu-io -c 'write -P 0xaa 0 1M' -c 'write -P 0xbb 32M 256k' "$img" >/dev/null
  truncate -s $(( $(stat -c %s "$img") + 2 * 65536 )) "$img"
  local n
  n=$(file_clusters "$img")
  qcow2_set_refcount "$img" $((n - 1)) 1
  qcow2_set_refcount "$img" $((n - 2)) 2
  if [ "${2:-}" = corrupt ]; then
    qcow2_set_refcount "$img" 5 0
  fi
}

# same_counts IMG: vimg's and qemu-img's JSON agree on every count
# (vimg's keys are qemu-img's with "_" for "-").
same_counts() {
  local v q k u
  v=$(vimg check --json "$1" 2>/dev/null) || true
  q=$(qemu-img check --output=json "$1" 2>/dev/null) || true
  for k in corruptions leaks check-errors image-end-offset total-clusters \
           allocated-clusters fragmented-clusters compressed-clusters; do
    u=${k//-/_}
    [ "$(json_get "j.get('$u', 0)" <<<"$v")" = "$(json_get "j.get('$k', 0)" <<<"$q")" ] ||
      fail "$1: $k: vimg $(json_get "j.get('$u', 0)" <<<"$v"), qemu-img $(json_get "j.get('$k', 0)" <<<"$q")"
  done
}

@test "check of a clean image: exit 0, qemu-img's summary" {
  qemu-img create -q -f qcow2 "$TMP/a.qcow2" 64M
  qemu-io -c 'write -P 1 0 3M' -c 'write -P 2 40M 64k' "$TMP/a.qcow2" >/dev/null
  run --separate-stderr vimg check "$TMP/a.qcow2"
  assert_success
  assert_equal "$stderr" ""
  qemu-img check "$TMP/a.qcow2" >"$TMP/q.txt"
  assert_equal "$output" "$(cat "$TMP/q.txt")"
}

@test "check --json has every key and qemu-img's numbers" {
  qemu-img create -q -f qcow2 "$TMP/a.qcow2" 64M
  qemu-io -c 'write -P 1 0 3M' "$TMP/a.qcow2" >/dev/null
  run vimg check --json "$TMP/a.qcow2"
  assert_success
  local k
  for k in filename format check_errors corruptions leaks corruptions_fixed leaks_fixed \
           image_end_offset total_clusters allocated_clusters fragmented_clusters compressed_clusters; do
    json_get "j['$k']" <<<"$output" >/dev/null || fail "missing key $k"
  done
  same_counts "$TMP/a.qcow2"
}

@test "check of images with snapshots, compression, 4k and 512-byte clusters, refcount widths 1 and 64" {
  mkimage "$TMP/src.raw" 4
  qemu-img convert -O qcow2 "$TMP/src.raw" "$TMP/snap.qcow2"
  qemu-img snapshot -c one "$TMP/snap.qcow2"
  qemu-io -c 'write -P 7 0 512k' "$TMP/snap.qcow2" >/dev/null
  qemu-img snapshot -c two "$TMP/snap.qcow2"
  qemu-img convert -c -O qcow2 "$TMP/src.raw" "$TMP/z.qcow2"
  qemu-img convert -c -O qcow2 -o compression_type=zstd,cluster_size=4k "$TMP/src.raw" "$TMP/s.qcow2"
  qemu-img convert -O qcow2 -o cluster_size=512 "$TMP/src.raw" "$TMP/c512.qcow2"
  qemu-img convert -O qcow2 -o refcount_bits=1 "$TMP/src.raw" "$TMP/r1.qcow2"
  qemu-img convert -O qcow2 -o refcount_bits=64,compat=1.1 "$TMP/src.raw" "$TMP/r64.qcow2"
  qemu-img convert -O qcow2 -o compat=0.10 "$TMP/src.raw" "$TMP/v2.qcow2"
  local f
  for f in snap z s c512 r1 r64 v2; do
    run vimg check "$TMP/$f.qcow2"
    assert_success
    same_counts "$TMP/$f.qcow2"
  done
}

@test "check finds leaks: exit 8, the counts qemu-img finds" {
  make_damaged "$TMP/l.qcow2"
  run --separate-stderr vimg check "$TMP/l.qcow2"
  assert_failure 8
  assert_line "2 leaked clusters were found on the image."
  [[ "$stderr" == *"Leaked cluster"* ]]
  run qemu-img check "$TMP/l.qcow2"
  assert_failure 3
  same_counts "$TMP/l.qcow2"
}

@test "check finds corruptions: exit 7, the counts and messages qemu-img gives" {
  make_damaged "$TMP/c.qcow2" corrupt
  run --separate-stderr vimg check "$TMP/c.qcow2"
  assert_failure 7
  local mine=$stderr
  run --separate-stderr qemu-img check "$TMP/c.qcow2"
  assert_failure 2
  assert_equal "$mine" "$stderr"
  same_counts "$TMP/c.qcow2"
}

@test "check finds a misaligned data cluster and a compressed cluster with COPIED" {
  qemu-img create -q -f qcow2 "$TMP/m.qcow2" 16M
  qemu-io -c 'write -P 3 0 256k' "$TMP/m.qcow2" >/dev/null
  # Point guest cluster 1 at an unaligned host offset, keep COPIED.
  qcow2_l2_entry_set "$TMP/m.qcow2" 0x10000 0x8000000000050200
  run vimg check "$TMP/m.qcow2"
  assert_failure 7
  same_counts "$TMP/m.qcow2"
  # COPIED on a compressed cluster
  head -c 1M /dev/urandom >"$TMP/r.raw"
  yes vkit | head -c 1M >>"$TMP/r.raw"
  qemu-img convert -c -O qcow2 "$TMP/r.raw" "$TMP/z.qcow2"
  qcow2_l2_entry_set "$TMP/z.qcow2" 0x100000 '|0x8000000000000000'
  run vimg check "$TMP/z.qcow2"
  assert_failure 7
  same_counts "$TMP/z.qcow2"
}

@test "check -r leaks: leaks repaired, qemu-img then finds the image clean, data intact" {
  make_damaged "$TMP/l.qcow2"
  run --separate-stderr vimg check -r leaks --json "$TMP/l.qcow2"
  assert_success
  [ "$(json_get 'j["leaks_fixed"]' <<<"$output")" = 2 ]
  [ "$(json_get 'j["leaks"]' <<<"$output")" = 0 ]
  run qemu-img check "$TMP/l.qcow2"
  assert_success
  run qemu-io -c 'read -P 0xaa 0 1M' -c 'read -P 0xbb 32M 256k' "$TMP/l.qcow2"
  assert_success
  refute_output --partial "Pattern verification failed"
}

@test "check -r leaks leaves corruptions (exit 7); -r all repairs them" {
  make_damaged "$TMP/c.qcow2" corrupt
  cp "$TMP/c.qcow2" "$TMP/c2.qcow2"
  run vimg check -r leaks "$TMP/c.qcow2"
  assert_failure 7
  run qemu-img check "$TMP/c.qcow2"
  assert_failure 2
  run vimg check -r all "$TMP/c2.qcow2"
  assert_success
  assert_line --partial "1 corruptions"
  run qemu-img check "$TMP/c2.qcow2"
  assert_success
  run qemu-io -c 'read -P 0xaa 0 1M' -c 'read -P 0xbb 32M 256k' "$TMP/c2.qcow2"
  refute_output --partial "Pattern verification failed"
}

@test "check -r refuses an image another process has open for writing (exit 5)" {
  make_damaged "$TMP/busy.qcow2"
  mkfifo "$TMP/fifo"
  # qemu-io holds the image read-write until its input closes.
  qemu-io "$TMP/busy.qcow2" <"$TMP/fifo" >/dev/null 2>&1 &
  HOLDER=$!
  exec 9>"$TMP/fifo"
  local i
  for i in $(seq 100); do
    grep -q OFDLCK /proc/locks && break
    sleep 0.05
  done
  cp "$TMP/busy.qcow2" "$TMP/before.qcow2"
  run --separate-stderr vimg check -r leaks "$TMP/busy.qcow2"
  exec 9>&-
  assert_failure 5
  cmp "$TMP/before.qcow2" "$TMP/busy.qcow2"
}

@test "check of a raw image, a missing file, a bad -r" {
  truncate -s 1M "$TMP/r.raw"
  run --separate-stderr vimg check "$TMP/r.raw"
  assert_failure 1
  [[ "$stderr" == *"no metadata to check"* ]]
  run --separate-stderr vimg check "$TMP/none.qcow2"
  assert_failure 3
  assert_output ""
  qemu-img create -q -f qcow2 "$TMP/a.qcow2" 1M
  run --separate-stderr vimg check -r some "$TMP/a.qcow2"
  assert_failure 2
}

@test "check of a truncated or garbled header exits 7 without crashing" {
  qemu-img create -q -f qcow2 "$TMP/h.qcow2" 1G
  cp "$TMP/h.qcow2" "$TMP/h2.qcow2"
  # l1_size far beyond the limit
  printf '\x7f\xff\xff\xff' | dd of="$TMP/h.qcow2" bs=1 seek=36 conv=notrunc status=none
  run vimg check "$TMP/h.qcow2"
  assert_failure 7
  # refcount table pointing past the end of the file
  printf '\x00\x00\x00\x10\x00\x00\x00\x00' | dd of="$TMP/h2.qcow2" bs=1 seek=48 conv=notrunc status=none
  run vimg check "$TMP/h2.qcow2"
  assert_failure 7
}
