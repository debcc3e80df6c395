#!/usr/bin/env bats
# vimg convert -l and vimg snapshot: internal snapshots, checked against qemu-img.

load ../helpers
load ../snapshot-helpers
load ../image-helpers

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

# ---------------------------------------------------------- vimg snapshot

# qemu_clean FILE: qemu-img check finds nothing at all.
qemu_clean() {
  run qemu-img check "$1"
  [ "$status" -eq 0 ] || fail "qemu-img check $1: status $status: $output"
  assert_line "No errors were found on the image."
}

# pattern FILE CMD...: qemu-io read checks on FILE (qcow2) all pass.
pattern() {
  local f=$1
  shift
  run qemu-io -f qcow2 -r "$@" "$f"
  assert_success
  refute_output --partial "Pattern verification failed"
}

@test "snapshot -l: the table of qemu-img snapshot -l" {
  run vimg snapshot -l "$TMP/img.qcow2"
  assert_success
  expected=$(qemu-img snapshot -l "$TMP/img.qcow2")
  assert_output "$expected"
  # no option lists too
  run vimg snapshot "$TMP/img.qcow2"
  assert_output "$expected"
}

@test "snapshot -l --json: snake_case keys, sizes in bytes" {
  run vimg snapshot -l --json "$TMP/img.qcow2"
  assert_success
  assert_equal "$(echo "$output" | json_get 'len(j)')" 2
  assert_equal "$(echo "$output" | json_get 'j[1]["name"]')" s2
  assert_equal "$(echo "$output" | json_get 'j[1]["id"]')" 2
  assert_equal "$(echo "$output" | json_get 'j[0]["disk_size"]')" 4194304
  assert_equal "$(echo "$output" | json_get 'sorted(j[0].keys())')" \
    '["date_nsec", "date_sec", "disk_size", "icount", "id", "name", "vm_clock_nsec", "vm_state_size"]'
}

@test "snapshot -l of an image without snapshots prints nothing" {
  qemu-img create -q -f qcow2 "$TMP/empty.qcow2" 1M
  run vimg snapshot -l "$TMP/empty.qcow2"
  assert_success
  assert_output ""
  run vimg snapshot -l --json "$TMP/empty.qcow2"
  assert_output "[]"
}

@test "snapshot -c: qemu-img lists it, checks clean, and sees the copy-on-write" {
  qemu-img convert -O raw "$TMP/img.qcow2" "$TMP/before.raw"
  run vimg snapshot -c mine "$TMP/img.qcow2"
  assert_success
  assert_output ""
  run qemu-img snapshot -l "$TMP/img.qcow2"
  assert_line --regexp '^3 +mine +0 B '
  qemu_clean "$TMP/img.qcow2"
  # Writes after the snapshot (the engine's and QEMU's) leave it intact.
  run vio -f qcow2 "$TMP/img.qcow2" write 0 100k 0x11 zero 1M 64k discard 2M 512k write 3M 1M 0x12
  assert_success
  qemu-io -c 'write -P 0x13 700k 8k' "$TMP/img.qcow2" >/dev/null
  qemu_clean "$TMP/img.qcow2"
  qemu-img convert -O raw -l mine "$TMP/img.qcow2" "$TMP/mine.raw"
  cmp "$TMP/mine.raw" "$TMP/before.raw"
  pattern "$TMP/img.qcow2" -c 'read -P 0x11 0 100k' -c 'read -P 0xaa 100k 412k' \
    -c 'read -P 0x13 700k 8k' -c 'read -P 0 1M 64k' -c 'read -P 0xbb 1088k 448k' \
    -c 'read -P 0 2M 512k' -c 'read -P 0xcc 2560k 512k' -c 'read -P 0x12 3M 1M'
  # and so do the older snapshots
  run qemu-img compare -q -F raw "$TMP/img.qcow2" "$TMP/before.raw"
  assert_failure 1
  qemu-img convert -O raw -l s1 "$TMP/img.qcow2" "$TMP/s1.raw"
  run qemu-io -f raw -r -c 'read -P 0xaa 0 1M' -c 'read -P 0 1M 3M' "$TMP/s1.raw"
  refute_output --partial "Pattern verification failed"
}

@test "snapshot -a: back to a qemu-made snapshot, as qemu-img reads it" {
  qemu-img convert -O raw -l s1 "$TMP/img.qcow2" "$TMP/s1.raw"
  run vimg snapshot -a s1 "$TMP/img.qcow2"
  assert_success
  assert_output ""
  qemu_clean "$TMP/img.qcow2"
  run qemu-img compare -f qcow2 -F raw "$TMP/img.qcow2" "$TMP/s1.raw"
  assert_success
  # the snapshots stay; writing again copies on write
  run qemu-img snapshot -l "$TMP/img.qcow2"
  assert_line --regexp '^1 +s1 '
  assert_line --regexp '^2 +s2 '
  vio -f qcow2 "$TMP/img.qcow2" write 0 64k 0x21
  qemu_clean "$TMP/img.qcow2"
  qemu-img convert -O raw -l s1 "$TMP/img.qcow2" "$TMP/s1-again.raw"
  cmp "$TMP/s1.raw" "$TMP/s1-again.raw"
}

@test "snapshot -a by ID, then qemu-img applies what vimg made" {
  vimg snapshot -c top "$TMP/img.qcow2"
  qemu-img convert -O raw "$TMP/img.qcow2" "$TMP/top.raw"
  run vimg snapshot -a 2 "$TMP/img.qcow2"
  assert_success
  pattern "$TMP/img.qcow2" -c 'read -P 0 2M 1M'
  qemu-img snapshot -a top "$TMP/img.qcow2"
  qemu_clean "$TMP/img.qcow2"
  run qemu-img compare -f qcow2 -F raw "$TMP/img.qcow2" "$TMP/top.raw"
  assert_success
}

@test "snapshot -d: qemu-img agrees, data intact, and the freed clusters are used again" {
  qemu-img convert -O raw "$TMP/img.qcow2" "$TMP/active.raw"
  qemu-img convert -O raw -l s2 "$TMP/img.qcow2" "$TMP/s2.raw"
  run vimg snapshot -d s1 "$TMP/img.qcow2"
  assert_success
  assert_output ""
  run qemu-img snapshot -l "$TMP/img.qcow2"
  refute_line --regexp '^1 +s1 '
  assert_line --regexp '^2 +s2 '
  qemu_clean "$TMP/img.qcow2"
  run qemu-img compare -f qcow2 -F raw "$TMP/img.qcow2" "$TMP/active.raw"
  assert_success
  qemu-img convert -O raw -l s2 "$TMP/img.qcow2" "$TMP/s2-again.raw"
  cmp "$TMP/s2.raw" "$TMP/s2-again.raw"
  # s1 alone held 0xaa over [512K, 1M): 512 KiB come free, and a new
  # 512 KiB write fits in them without growing the file.
  len=$(stat -c %s "$TMP/img.qcow2")
  vio -f qcow2 "$TMP/img.qcow2" write 3M 512k 0x31
  assert_equal "$(stat -c %s "$TMP/img.qcow2")" "$len"
  qemu_clean "$TMP/img.qcow2"
  # qemu-img deletes what vimg made, vimg deletes what qemu-img made
  vimg snapshot -c v "$TMP/img.qcow2"
  qemu-img snapshot -d v "$TMP/img.qcow2"
  vimg snapshot -d snapshot.name=s2 "$TMP/img.qcow2"
  run vimg snapshot -l "$TMP/img.qcow2"
  assert_output ""
  qemu_clean "$TMP/img.qcow2"
  pattern "$TMP/img.qcow2" -c 'read -P 0xaa 0 512k' -c 'read -P 0xbb 512k 1M' -c 'read -P 0x31 3M 512k'
}

@test "snapshot with an unknown name: exit 3, image untouched" {
  cp "$TMP/img.qcow2" "$TMP/orig.qcow2"
  for op in -a -d; do
    run vimg snapshot "$op" nope "$TMP/img.qcow2"
    assert_failure 3
    assert_output "vimg: $TMP/img.qcow2: no snapshot 'nope'"
  done
  run --separate-stderr vimg snapshot -d snapshot.id=9 "$TMP/img.qcow2"
  assert_failure 3
  assert_output ""
  cmp "$TMP/img.qcow2" "$TMP/orig.qcow2"
}

@test "snapshot -c with a name or ID that exists: exit 1, image untouched" {
  cp "$TMP/img.qcow2" "$TMP/orig.qcow2"
  run vimg snapshot -c s1 "$TMP/img.qcow2"
  assert_failure 1
  assert_output "vimg: $TMP/img.qcow2: snapshot 's1' already exists"
  run vimg snapshot -c 2 "$TMP/img.qcow2"
  assert_failure 1
  cmp "$TMP/img.qcow2" "$TMP/orig.qcow2"
}

@test "snapshot of a raw image, and bad option mixes" {
  truncate -s 1M "$TMP/r.raw"
  for op in -l "-c x" "-d x"; do
    # shellcheck disable=SC2086
    run vimg snapshot $op "$TMP/r.raw"
    assert_failure 1
    assert_output "vimg: $TMP/r.raw: raw images have no internal snapshots (only qcow2 has them)"
  done
  run vimg snapshot -f raw -c x "$TMP/img.qcow2"
  assert_failure 1
  run vimg snapshot -c x -d s1 "$TMP/img.qcow2"
  assert_failure 2
  run vimg snapshot -U -c x "$TMP/img.qcow2"
  assert_failure 2
  run vimg snapshot -l "$TMP/missing.qcow2"
  assert_failure
  assert_equal "${#lines[@]}" 1
}

@test "snapshot of an image in use: exit 5; -l works with -U" {
  vio -f qcow2 "$TMP/img.qcow2" hold 30 >"$TMP/held" &
  pid=$!
  for _ in $(seq 100); do grep -q holding "$TMP/held" && break; sleep 0.1; done
  cp "$TMP/img.qcow2" "$TMP/orig.qcow2"
  run vimg snapshot -c x "$TMP/img.qcow2"
  assert_failure 5
  run vimg snapshot -l "$TMP/img.qcow2"
  assert_failure 5
  run vimg snapshot -l -U "$TMP/img.qcow2"
  assert_success
  assert_line --regexp '^2 +s2 '
  kill "$pid"
  wait "$pid" || true
  cmp "$TMP/img.qcow2" "$TMP/orig.qcow2"
}

@test "snapshots on compat=0.10, 512-byte clusters, extended L2, compressed clusters" {
  for o in compat=0.10 cluster_size=512 extended_l2=on,cluster_size=64k; do
    rm -f "$TMP/o.qcow2"
    qemu-img create -q -f qcow2 -o "$o" "$TMP/o.qcow2" 4M
    qemu-io -c 'write -P 0x41 0 1M' -c 'write -c -P 0x42 2M 64k' "$TMP/o.qcow2" >/dev/null
    vimg snapshot -c a "$TMP/o.qcow2"
    vio -f qcow2 "$TMP/o.qcow2" write 4k 8k 0x43 write 2M 4k 0x44 discard 512k 512k
    qemu_clean "$TMP/o.qcow2"
    qemu-img convert -O raw -l a "$TMP/o.qcow2" "$TMP/a.raw"
    run qemu-io -f raw -r -c 'read -P 0x41 0 1M' -c 'read -P 0x42 2M 64k' "$TMP/a.raw"
    refute_output --partial "Pattern verification failed"
    vimg snapshot -a a "$TMP/o.qcow2"
    qemu_clean "$TMP/o.qcow2"
    run qemu-img compare -f qcow2 -F raw "$TMP/o.qcow2" "$TMP/a.raw"
    assert_success
    vimg snapshot -d a "$TMP/o.qcow2"
    qemu_clean "$TMP/o.qcow2"
  done
}

@test "snapshot -c with refcount_bits=1: exit 1, nothing changed" {
  qemu-img create -q -f qcow2 -o refcount_bits=1 "$TMP/b1.qcow2" 4M
  qemu-io -c 'write -P 0x51 0 1M' "$TMP/b1.qcow2" >/dev/null
  run vimg snapshot -c a "$TMP/b1.qcow2"
  assert_failure 1
  assert_output --partial "would overflow"
  run vimg snapshot -l "$TMP/b1.qcow2"
  assert_output ""
  qemu_clean "$TMP/b1.qcow2"
  run qemu-img check "$TMP/b1.qcow2"
  refute_output --partial "Leaked"
}

@test "resize with snapshots: grow yes, shrink no; apply restores the snapshot's size" {
  run vimg resize -f qcow2 "$TMP/img.qcow2" 1G
  assert_success
  vio -f qcow2 "$TMP/img.qcow2" write 900M 64k 0x61
  run vimg resize -f qcow2 --shrink "$TMP/img.qcow2" 2M
  assert_failure 1
  assert_output --partial "cannot be shrunk"
  qemu_clean "$TMP/img.qcow2"
  run vimg snapshot -a s2 "$TMP/img.qcow2"
  assert_success
  run qemu-img info "$TMP/img.qcow2"
  assert_line "virtual size: 4 MiB (4194304 bytes)"
  qemu_clean "$TMP/img.qcow2"
  qemu-img create -q -f qcow2 -o compat=0.10 "$TMP/v2.qcow2" 1M
  vimg snapshot -c a "$TMP/v2.qcow2"
  run vimg resize -f qcow2 "$TMP/v2.qcow2" 2M
  assert_failure 1
}

@test "kill -9 during snapshot create, apply and delete: at worst leaks" {
  qemu-img create -q -f qcow2 -o cluster_size=512 "$TMP/k.qcow2" 64M
  qemu-io -c 'write -P 0x71 0 24M' "$TMP/k.qcow2" >/dev/null
  vimg snapshot -c base "$TMP/k.qcow2"
  qemu-img convert -O raw -l base "$TMP/k.qcow2" "$TMP/base.raw"
  leaky=0
  for i in $(seq 8); do
    # its own process group, so that one kill reaches the vimg running
    setsid bash -c 'n=0; while :; do n=$((n + 1))
        "$1" snapshot -c "r$3t$n" "$2" || exit
        "$1" snapshot -a base "$2" || exit
        "$1" snapshot -d "r$3t$n" "$2" || exit
      done' loop "$VK_BUILDDIR/vimg" "$TMP/k.qcow2" "$i" &
    pid=$!
    sleep "0.$((RANDOM % 50 + 5))"
    kill -9 -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    while kill -0 -- "-$pid" 2>/dev/null; do sleep 0.05; done
    run qemu-img check "$TMP/k.qcow2"
    [ "$status" -eq 0 ] || [ "$status" -eq 3 ] || fail "run $i: qemu-img check status $status: $output"
    [ "$status" -eq 0 ] || leaky=$((leaky + 1))
    qemu-img convert -O raw -l base "$TMP/k.qcow2" "$TMP/b.raw"
    cmp "$TMP/b.raw" "$TMP/base.raw" || fail "run $i: snapshot base changed"
  done
  echo "# 8 kill -9 runs during snapshot operations, $leaky left leaks" >&3
}
