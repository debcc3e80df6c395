#!/usr/bin/env bats
# vimg convert -l: reading internal snapshots, checked against qemu-img.

load helpers
load snapshot-helpers

bats_require_minimum_version 1.5.0

setup() {
  requires qemu-img qemu-io python3
  TMP=$(mktemp -d)
  mksnapimage "$TMP/img.qcow2"
}

teardown() {
  rm -rf "$TMP"
}

# same_as_qemu SNAPSHOT FMT: vimg's and qemu-img's copies of SNAPSHOT agree.
same_as_qemu() {
  run vimg convert -O "$2" -l "$1" "$TMP/img.qcow2" "$TMP/v.$2"
  assert_success
  assert_output ""
  qemu-img convert -O raw -l "$1" "$TMP/img.qcow2" "$TMP/q.raw"
  run qemu-img compare -f "$2" -F raw "$TMP/v.$2" "$TMP/q.raw"
  assert_success
  assert_output "Images are identical."
}

@test "convert -l NAME: the snapshot, as qemu-img reads it" {
  same_as_qemu s1 raw
  # s1 is not the active layer: pattern A only.
  run qemu-io -f raw -c 'read -P 0xaa 0 1M' -c 'read -P 0 1M 3M' "$TMP/v.raw"
  assert_success
  refute_output --partial "Pattern verification failed"
}

@test "convert -l snapshot.name=NAME to qcow2: identical and clean" {
  same_as_qemu snapshot.name=s2 qcow2
  run qemu-img check "$TMP/v.qcow2"
  assert_success
  assert_line "No errors were found on the image."
  run qemu-io -f qcow2 -c 'read -P 0xbb 512k 1M' -c 'read -P 0 2M 2M' "$TMP/v.qcow2"
  refute_output --partial "Pattern verification failed"
}

@test "convert -l snapshot.id=ID and a plain ID" {
  same_as_qemu snapshot.id=1 raw
  cp "$TMP/v.raw" "$TMP/by-id.raw"
  same_as_qemu 2 raw
  # The two snapshots differ where pattern B was written.
  run cmp "$TMP/by-id.raw" "$TMP/v.raw"
  assert_failure
  assert_output --partial "byte 524289"
}

@test "convert -l: the snapshot's disk size, not the grown image's" {
  qemu-img resize -q "$TMP/img.qcow2" 8M
  run vimg convert -O raw -l s1 "$TMP/img.qcow2" "$TMP/v.raw"
  assert_success
  [ "$(stat -c %s "$TMP/v.raw")" -eq $((4 << 20)) ]
  # qemu-img keeps the current size (8M); the first 4M are the same.
  qemu-img convert -O raw -l s1 "$TMP/img.qcow2" "$TMP/q.raw"
  [ "$(stat -c %s "$TMP/q.raw")" -eq $((8 << 20)) ]
  cmp -n $((4 << 20)) "$TMP/v.raw" "$TMP/q.raw"
  # The active layer has the new size.
  run vimg convert -O raw "$TMP/img.qcow2" "$TMP/a.raw"
  assert_success
  [ "$(stat -c %s "$TMP/a.raw")" -eq $((8 << 20)) ]
}

@test "convert -l: the image's tools still read it (check counts snapshot trees)" {
  run vimg check "$TMP/img.qcow2"
  assert_success
  run qemu-img check "$TMP/img.qcow2"
  assert_success
}

@test "convert -l with an unknown snapshot: exit 3, no target" {
  run vimg convert -O qcow2 -l nosuch "$TMP/img.qcow2" "$TMP/out.qcow2"
  assert_failure 3
  assert_output "vimg: $TMP/img.qcow2: no snapshot 'nosuch'"
  [ ! -e "$TMP/out.qcow2" ]
  # A name is not an ID.
  run vimg convert -l snapshot.id=s1 "$TMP/img.qcow2" "$TMP/out.raw"
  assert_failure 3
  [ ! -e "$TMP/out.raw" ]
}

@test "convert -l on a raw source or with several sources: refused" {
  qemu-img create -q -f raw "$TMP/r.raw" 1M
  run vimg convert -f raw -l s1 "$TMP/r.raw" "$TMP/out.raw"
  assert_failure 1
  assert_output --partial "no internal snapshots"
  [ ! -e "$TMP/out.raw" ]
  run vimg convert -l s1 "$TMP/img.qcow2" "$TMP/img.qcow2" "$TMP/out.raw"
  assert_failure 2
  [ ! -e "$TMP/out.raw" ]
}

# hostile PATCH...: each patch_be argument list separated by ';' is
# applied to a fresh copy; convert -l s1 must exit 7 and leave nothing.
hostile() {
  cp "$TMP/img.qcow2" "$TMP/bad.qcow2"
  patch_be "$TMP/bad.qcow2" "$@"
  run vimg convert -l s1 "$TMP/bad.qcow2" "$TMP/out.raw"
  assert_failure 7
  assert_output --regexp '^vimg: .*(snapshot|corrupt)'
  [ "${#lines[@]}" -eq 1 ]
  [ ! -e "$TMP/out.raw" ]
}

@test "hostile snapshot tables: exit 7, no target" {
  hostile 60 4 0xffffffff          # nb_snapshots far beyond the limit
  hostile 60 4 65536               # allowed count, table past EOF
  hostile 64 8 0x7fffffff0000      # table offset past EOF
  hostile sn+36 4 0xffff           # extra data larger than 1024 bytes
  hostile sn+0 8 0x7fffffff0000    # snapshot L1 table past EOF
  hostile sn+0 8 0x10200           # snapshot L1 table not aligned
  hostile sn+8 4 0x40000000        # snapshot L1 table far too large
}

@test "a hostile snapshot table does not crash check either" {
  cp "$TMP/img.qcow2" "$TMP/bad.qcow2"
  patch_be "$TMP/bad.qcow2" sn+36 4 0xffff
  run vimg check "$TMP/bad.qcow2"
  assert_failure 7
}

@test "info lists snapshots like qemu-img; --json has snapshot_list" {
  run env TZ=UTC "$VK_BUILDDIR/vimg" info "$TMP/img.qcow2"
  assert_success
  vimg_list=$(printf '%s\n' "$output" | sed -n '/^Snapshot list:/,/^Format/p')
  qemu_list=$(TZ=UTC qemu-img info "$TMP/img.qcow2" | sed -n '/^Snapshot list:/,/^Format/p')
  [ -n "$qemu_list" ]
  [ "$vimg_list" = "$qemu_list" ]
  run vimg info --json "$TMP/img.qcow2"
  assert_success
  [ "$(json_get 'len(j["snapshot_list"])' <<<"$output")" = 2 ]
  [ "$(json_get 'j["snapshot_list"][1]["name"]' <<<"$output")" = s2 ]
  [ "$(json_get 'j["snapshot_list"][0]["id"]' <<<"$output")" = 1 ]
  qsec=$(qemu-img info --output=json "$TMP/img.qcow2" | json_get 'j["snapshots"][0]["date-sec"]')
  [ "$(json_get 'j["snapshot_list"][0]["date_sec"]' <<<"$output")" = "$qsec" ]
  # An image without snapshots has an empty list and no table.
  qemu-img create -q -f qcow2 "$TMP/plain.qcow2" 1M
  run vimg info --json "$TMP/plain.qcow2"
  [ "$(json_get 'j["snapshot_list"]' <<<"$output")" = "[]" ]
  run vimg info "$TMP/plain.qcow2"
  refute_output --partial "Snapshot list:"
}

@test "info of a hostile snapshot table: exit 7" {
  cp "$TMP/img.qcow2" "$TMP/bad.qcow2"
  patch_be "$TMP/bad.qcow2" 60 4 65536
  run vimg info "$TMP/bad.qcow2"
  assert_failure 7
}
