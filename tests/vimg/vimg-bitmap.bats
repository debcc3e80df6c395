#!/usr/bin/env bats
# Persistent bitmaps: vimg bitmap against qemu-img bitmap (the same
# operations give the same bitmaps, bit for bit), what QEMU records in a
# bitmap vimg made, info/measure/check/convert --bitmaps against qemu-img,
# bad input refused in one line with the image unchanged, and a crash at
# each write of an edit leaving the old bitmaps or the new ones.

load ../image-helpers

bats_require_minimum_version 1.5.0

setup() {
  requires qemu-img qemu-io python3
  image_setup
  # 100 MiB, three bitmaps QEMU filled: b1 (64K) disabled after the first
  # writes, b3 (4K) and b4 (1M) enabled throughout.
  qemu-img create -q -f qcow2 base.qcow2 100M
  qemu-img bitmap --add base.qcow2 b1
  qemu-img bitmap --add -g 4k base.qcow2 b3
  qemu-img bitmap --add -g 1M base.qcow2 b4
  qemu-io -c 'write 0 1M' -c 'write 50M 64k' -c 'write 99M 3k' base.qcow2 >/dev/null
  qemu-img bitmap --disable base.qcow2 b1
  qemu-io -c 'write 10M 5k' -c 'write 77M 1M' base.qcow2 >/dev/null
}

teardown() {
  image_teardown
}

qe() { python3 "$VK_SRCDIR/tests/qcow2-edit.py" "$@"; }

# Operations as "OPTIONS... BITMAP", applied in turn.
OPS=(
  "--add -g 512k --disable b2"
  "--merge b3 b2"
  "--merge b1 b4"
  "--clear b3"
  "--merge b4 b3"
  "--remove b1"
  "--add b1"
  "--enable b2"
  "--add --merge b4 --disable b5"
)

@test "bitmap: each operation, in order, gives the bitmaps qemu-img bitmap gives, bit for bit" {
  local op words
  cp base.qcow2 q.qcow2
  cp base.qcow2 v.qcow2
  qemu-img convert -O raw base.qcow2 before.raw
  for op in "${OPS[@]}"; do
    read -ra words <<<"$op"
    qemu-img bitmap "${words[@]:0:${#words[@]}-1}" q.qcow2 "${words[-1]}"
    run --separate-stderr vimg bitmap "${words[@]:0:${#words[@]}-1}" v.qcow2 "${words[-1]}"
    [ "$status" -eq 0 ] || fail "$op: status $status: $stderr"
    assert_output ""
    assert_equal "$(qe v.qcow2 bitmaps)" "$(qe q.qcow2 bitmaps)"
    assert_qemu_clean v.qcow2
    run vimg check v.qcow2
    assert_success
  done
  # the last state, as qemu-img made it: five bitmaps, granularities mixed
  run qe v.qcow2 bitmaps
  assert_line "b4 flags=2 granularity=1048576 set=0,10,50,77,99"
  assert_line "b5 flags=0 granularity=65536 set=0-15,160-175,800-815,1232-1247,1584-1599"
  assert_line "b1 flags=2 granularity=65536 set="
  # the guest's data never changed
  assert_qemu_same before.raw v.qcow2
  # removing every bitmap takes the extension and its clusters away
  for b in b3 b4 b2 b1 b5; do
    vimg bitmap --remove v.qcow2 "$b"
  done
  assert_equal "$(qe v.qcow2 header.autoclear_features)" 0
  run qemu-img info v.qcow2
  refute_output --partial "bitmaps:"
  run qemu-img check v.qcow2
  assert_success
  refute_output --partial "leaked"
}

@test "bitmap: QEMU records writes in a bitmap vimg added, and merges from it" {
  qemu-img create -q -f qcow2 -o cluster_size=512 n.qcow2 10M
  run vimg bitmap --add n.qcow2 mine
  assert_success
  vimg bitmap --add -g 8k --disable n.qcow2 frozen
  qemu-io -c 'write 0 4k' -c 'write 1M 8k' -c 'write 10236k 4k' n.qcow2 >/dev/null
  # 512-byte clusters: QEMU's default granularity of 4 KiB
  run qe n.qcow2 bitmaps
  assert_line "mine flags=2 granularity=4096 set=0,256-257,2559"
  assert_line "frozen flags=0 granularity=8192 set="
  qemu-img bitmap --merge mine n.qcow2 frozen
  run qe n.qcow2 bitmaps
  assert_line "frozen flags=0 granularity=8192 set=0,128,1279"
  assert_qemu_clean n.qcow2
  # -b naming FILE itself reads FILE's own bitmaps (not a second open)
  vimg bitmap --add -g 512 n.qcow2 fine
  run vimg bitmap --merge frozen -b ./n.qcow2 n.qcow2 fine
  assert_success
  run qe n.qcow2 bitmaps
  assert_line "fine flags=2 granularity=512 set=0-15,2048-2063,20464-20479"
  # a merge from another image (-b), of the same size
  qemu-img create -q -f qcow2 o.qcow2 10M
  vimg bitmap --add o.qcow2 x
  run vimg bitmap --merge frozen -b n.qcow2 -F qcow2 o.qcow2 x
  assert_success
  run qe o.qcow2 bitmaps
  assert_line "x flags=2 granularity=65536 set=0,16,159"
  fails_one_line 1 vimg bitmap --merge b3 -b base.qcow2 o.qcow2 x
}

@test "bitmap: info lists bitmaps as qemu-img info does; --json gives name, granularity, enabled, in_use" {
  vimg bitmap --add -g 512k --disable base.qcow2 b2
  qe base.qcow2 bitmap.1.flags '|1'
  diff <(qemu-img info base.qcow2 | grep -v '^disk size') <(vimg info base.qcow2 | grep -v '^disk size')
  run vimg info --json base.qcow2
  assert_success
  assert_equal "$(echo "$output" | json_get '[[b["name"], b["granularity"], b["enabled"], b["in_use"]] for b in j["bitmaps"]]')" \
    '[["b1", 65536, false, false], ["b3", 4096, true, true], ["b4", 1048576, true, false], ["b2", 524288, false, false]]'
  qemu-img create -q -f qcow2 plain.qcow2 1M
  run vimg info --json plain.qcow2
  assert_equal "$(echo "$output" | json_get 'j["bitmaps"]')" "[]"
}

@test "bitmap: measure counts the bitmaps as qemu-img measure does" {
  local f o
  qemu-img create -q -f qcow2 -o cluster_size=512 small.qcow2 300M
  vimg bitmap --add -g 512 small.qcow2 fine
  vimg bitmap --add small.qcow2 "$(printf 'n%.0s' {1..300})"
  for f in base.qcow2 small.qcow2; do
    for o in cluster_size=512 cluster_size=64k cluster_size=2M; do
      assert_equal "$(vimg measure -O qcow2 -o "$o" "$f")" "$(qemu-img measure -O qcow2 -o "$o" "$f")"
    done
  done
  run vimg measure -O qcow2 base.qcow2
  assert_line "bitmaps size: 458752"
  run vimg measure --json -O qcow2 base.qcow2
  assert_equal "$(echo "$output" | json_get 'j["bitmaps"]')" 458752
}

@test "bitmap: convert --bitmaps copies them as qemu-img convert --bitmaps does; in-use ones refused or skipped" {
  qemu-img convert --bitmaps -O qcow2 base.qcow2 theirs.qcow2
  run vimg convert --bitmaps -O qcow2 base.qcow2 ours.qcow2
  assert_success
  assert_equal "$(qe ours.qcow2 bitmaps)" "$(qe theirs.qcow2 bitmaps)"
  assert_qemu_same theirs.qcow2 ours.qcow2
  assert_qemu_clean ours.qcow2
  # -c and another cluster size: the same bitmaps
  run vimg convert -c --bitmaps -O qcow2 -o cluster_size=4k base.qcow2 small.qcow2
  assert_success
  assert_equal "$(qe small.qcow2 bitmaps)" "$(qe theirs.qcow2 bitmaps)"
  assert_qemu_clean small.qcow2
  # without --bitmaps none are copied
  vimg convert -O qcow2 base.qcow2 none.qcow2
  assert_equal "$(qe none.qcow2 bitmaps)" ""
  # an in-use bitmap: refused before anything is written ...
  qe base.qcow2 bitmap.1.flags '|1'
  fails_one_line 1 vimg convert --bitmaps -O qcow2 base.qcow2 out.qcow2
  [[ $stderr == *"'b3' is in use"* ]] || fail "$stderr"
  assert_file_not_exists out.qcow2
  # ... or left out
  run --separate-stderr vimg convert --bitmaps --skip-broken-bitmaps -O qcow2 base.qcow2 out.qcow2
  assert_success
  [[ $stderr == *"'b3' is in use (inconsistent): not copied"* ]] || fail "$stderr"
  run qe out.qcow2 bitmaps
  refute_output --partial "b3 "
  assert_line --partial "b4 flags=2"
  # into an existing target (-n) that has a bitmap of the same name
  qemu-img create -q -f qcow2 t.qcow2 100M
  qemu-img bitmap --add t.qcow2 b4
  fails_one_line 1 vimg convert -n --bitmaps --skip-broken-bitmaps -O qcow2 base.qcow2 t.qcow2
  [[ $stderr == *"'b4' exists already"* ]] || fail "$stderr"
  # combinations that cannot work, refused before anything is made
  qemu-img convert -O raw base.qcow2 base.raw
  fails_one_line 2 vimg convert --bitmaps -O raw base.qcow2 x.raw
  fails_one_line 2 vimg convert --bitmaps -O qcow2 base.raw x.qcow2
  fails_one_line 2 vimg convert --bitmaps -O qcow2 base.qcow2 base.qcow2 x.qcow2
  fails_one_line 2 vimg convert --skip-broken-bitmaps -O qcow2 base.qcow2 x.qcow2
  assert_file_not_exists x.raw
  assert_file_not_exists x.qcow2
}

@test "bitmap: check names in-use bitmaps and finds broken directory entries" {
  qe base.qcow2 bitmap.0.flags '|1'
  run --separate-stderr vimg check base.qcow2
  assert_success
  [[ $stderr == *"Bitmap 'b1' is in use (inconsistent)"* ]] || fail "$stderr"
  # a table too short for the virtual size (qemu-img refuses such an image)
  qe base.qcow2 bitmap.2.table_size 0
  run --separate-stderr vimg check base.qcow2
  assert_failure 7
  [[ $stderr == *"bitmap 'b4': its table is empty"* ]] || fail "$stderr"
  run qemu-img check base.qcow2
  assert_failure
  # the flag the format calls "extra data compatible", which QEMU refuses
  cp base.qcow2 x.qcow2
  qe x.qcow2 bitmap.1.flags '|4'
  run --separate-stderr vimg check x.qcow2
  assert_failure 7
  [[ $stderr == *"bitmap 'b3': its flag 'extra data compatible' is set, which QEMU refuses"* ]] || fail "$stderr"
  # a table entry with a reserved bit: removing that bitmap is refused
  # before anything changes (its clusters could not be freed)
  cp base.qcow2 r.qcow2
  qe r.qcow2 bitmap.1.entry0 '|2'
  cp r.qcow2 r0.qcow2
  fails_one_line 7 vimg bitmap --remove r.qcow2 b3
  [[ $stderr == *"bitmap 'b3': reserved bits set in a table entry"* ]] || fail "$stderr"
  cmp r.qcow2 r0.qcow2
  # vimg bitmap refuses to use it, and removes it
  fails_one_line 7 vimg bitmap --clear base.qcow2 b4
  run vimg bitmap --remove base.qcow2 b1
  assert_success
}

@test "bitmap: bad input is one line with its status, and the image is left as it was" {
  local c
  cp base.qcow2 keep.qcow2
  qemu-img create -q -f qcow2 -o compat=0.10 v2.qcow2 1M
  qemu-img create -q -f qcow2 zero.qcow2 0
  truncate -s 1M disk.raw
  # 300G at 512 bytes a bit: 75 MiB of bitmap, more than the 64 MiB allowed
  qemu-img create -q -f qcow2 huge.qcow2 300G
  while IFS='|' read -r want args; do
    read -ra c <<<"$args"
    fails_one_line "$want" vimg bitmap "${c[@]}"
    cmp base.qcow2 keep.qcow2 || fail "$args: the image changed"
  done <<'EOF'
1|--add base.qcow2 b1
3|--remove base.qcow2 nosuch
3|--merge nosuch base.qcow2 b1
2|base.qcow2 b1
2|--add base.qcow2
2|--add -g 3000 base.qcow2 x
2|--add -g 256 base.qcow2 x
2|--add -g 4G base.qcow2 x
2|--add -g junk base.qcow2 x
2|--clear -g 4k base.qcow2 b1
2|--enable -b base.qcow2 base.qcow2 b1
2|--merge b3 -F qcow2 base.qcow2 b1
3|--merge b3 -b nofile base.qcow2 b1
2|--add -g 512 huge.qcow2 x
3|--add nofile b
1|--add disk.raw b
1|--add v2.qcow2 b
1|--add zero.qcow2 b
EOF
  fails_one_line 2 vimg bitmap --add base.qcow2 "$(printf 'a%.0s' {1..1024})"
  fails_one_line 2 vimg bitmap --add base.qcow2 ""
  cmp base.qcow2 keep.qcow2
  # in use: only --remove works on it
  qe base.qcow2 bitmap.0.flags '|1'
  cp base.qcow2 keep.qcow2
  for c in --clear --enable --disable "--merge b3"; do
    fails_one_line 1 vimg bitmap $c base.qcow2 b1
    [[ $stderr == *"in use (inconsistent)"* ]] || fail "$c: $stderr"
  done
  fails_one_line 1 vimg bitmap --merge b1 base.qcow2 b3
  cmp base.qcow2 keep.qcow2
  # a name with quotes and <, 1023 bytes long
  run vimg bitmap --add base.qcow2 "<q\"'x"
  assert_success
  run vimg bitmap --add base.qcow2 "$(printf 'a%.0s' {1..1023})"
  assert_success
  run qemu-img info --output=json base.qcow2
  [[ $output == *"<q\\\"'x"* ]] || fail "$output"
  assert_qemu_clean base.qcow2
}

@test "bitmap: an image a writer holds is busy (5)" {
  coproc HOLD { exec "$VK_BUILDDIR/tests/unit/test-image-io" -f qcow2 base.qcow2 hold 30; }
  HOLD_PID=$HOLD_PID
  read -r -t 10 line <&"${HOLD[0]}" || fail "holder did not start"
  fails_one_line 5 vimg bitmap --add base.qcow2 new
  kill "$HOLD_PID"
  wait "$HOLD_PID" 2>/dev/null || true
  run vimg bitmap --add base.qcow2 new
  assert_success
}

# old_or_new N: the bitmaps are the old ones or the new ones, the data
# as it was.
old_or_new() {
  local got
  got=$(qe c.qcow2 bitmaps)
  [ "$got" = "$BEFORE" ] || [ "$got" = "$AFTER" ] || fail "write $1: bitmaps neither old nor new: $got"
  assert_qemu_same base.qcow2 c.qcow2
}

# crash_each_write: vimg bitmap --clear --merge b3 --disable on base.qcow2,
# killed at its first write, then at its second, ... its last.
crash_each_write() {
  vimg bitmap --add -g 512k base.qcow2 b2
  BEFORE=$(qe base.qcow2 bitmaps)
  cp base.qcow2 done.qcow2
  vimg bitmap --clear --merge b3 --disable done.qcow2 b2
  AFTER=$(qe done.qcow2 bitmaps)
  [ "$AFTER" != "$BEFORE" ] || fail "the edit changes nothing"
  kill_at_each_write 4 base.qcow2 old_or_new bitmap --clear --merge b3 --disable c.qcow2 b2
}

@test "bitmap: killed at each write of an edit, the image has the old bitmaps or the new ones, at worst leaks" {
  requires strace
  crash_each_write
}

@test "bitmap: the same with lazy refcounts" {
  requires strace
  qemu-img amend -o lazy_refcounts=on base.qcow2
  crash_each_write
}
