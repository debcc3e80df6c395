#!/usr/bin/env bats
# vimg map, compare and measure: the answers qemu-img gives.

load ../helpers
load ../convert-helpers

bats_require_minimum_version 1.5.0

setup() {
  requires qemu-img qemu-io python3
  TMP=$(mktemp -d)
  cd "$TMP"
  mkimage src.raw 8
  qemu-img convert -O qcow2 src.raw plain.qcow2
  qemu-img convert -c -O qcow2 src.raw z.qcow2
  qemu-img convert -O qcow2 -o cluster_size=4k,refcount_bits=1 src.raw small.qcow2
  qemu-img create -q -f qcow2 -b plain.qcow2 -F qcow2 top.qcow2
  qemu-io -c 'write -P 9 1M 128k' -c 'write -z 3M 64k' -c 'discard 5M 64k' top.qcow2 >/dev/null
  qemu-img create -q -f qcow2 -b src.raw -F raw over-raw.qcow2 12M
  qemu-io -c 'write -P 4 9M 64k' over-raw.qcow2 >/dev/null
  qemu-img create -q -f qcow2 -o preallocation=metadata pre.qcow2 4M
}

teardown() {
  cd /
  rm -rf "$TMP"
}

images="src.raw plain.qcow2 z.qcow2 small.qcow2 top.qcow2 over-raw.qcow2 pre.qcow2"

@test "map --json equals qemu-img map --output=json" {
  local f
  for f in $images; do
    vimg map --json "$f" >v.json
    qemu-img map --output=json "$f" >q.json
    python3 -c 'import json, sys; sys.exit(json.load(open("v.json")) != json.load(open("q.json")))' ||
      fail "$f: $(diff <(python3 -m json.tool v.json) <(python3 -m json.tool q.json) | head -20)"
  done
}

@test "map prints qemu-img's listing" {
  local f
  for f in src.raw plain.qcow2 small.qcow2 top.qcow2 over-raw.qcow2 pre.qcow2; do
    run vimg map "$f"
    assert_success
    assert_equal "$output" "$(qemu-img map "$f")"
  done
}

@test "map of a compressed image needs --json" {
  run --separate-stderr vimg map z.qcow2
  assert_failure 1
  assert_output ""
  [[ "$stderr" == *compressed* ]]
}

@test "compare: identical images of different formats" {
  run vimg compare src.raw plain.qcow2
  assert_success
  assert_output "Images are identical."
  run vimg compare -f raw -F qcow2 src.raw z.qcow2
  assert_success
}

@test "compare: the first difference at qemu-img's offset, exit 1" {
  local pair
  for pair in "plain.qcow2 top.qcow2" "src.raw over-raw.qcow2" "z.qcow2 top.qcow2"; do
    # shellcheck disable=SC2086
    run vimg compare $pair
    assert_failure 1
    # shellcheck disable=SC2086
    assert_equal "$output" "$(qemu-img compare $pair)"
  done
  run vimg compare -q plain.qcow2 top.qcow2
  assert_failure 1
  assert_output ""
}

@test "compare: size mismatch is a warning, or a difference with -s" {
  cp src.raw longer.raw
  truncate -s 12M longer.raw
  run vimg compare src.raw longer.raw
  assert_success
  assert_equal "$output" "$(qemu-img compare src.raw longer.raw)"
  run vimg compare -s src.raw longer.raw
  assert_failure 1
  assert_output "Strict mode: Image size mismatch!"
  printf x >>longer.raw
  run vimg compare src.raw longer.raw
  assert_failure 1
}

@test "compare of a missing image: exit 3, nothing on stdout" {
  run --separate-stderr vimg compare src.raw nope.qcow2
  assert_failure 3
  assert_output ""
}

@test "measure equals qemu-img measure" {
  local f o
  for o in "" "-o cluster_size=4k,refcount_bits=1" "-o cluster_size=2M" "-o preallocation=full"; do
    for f in $images; do
      # shellcheck disable=SC2086
      run vimg measure --json -O qcow2 $o "$f"
      assert_success
      local v=$output
      # shellcheck disable=SC2086
      local q
      q=$(qemu-img measure --output=json -O qcow2 $o "$f")
      [ "$(json_get 'j["required"]' <<<"$v")" = "$(json_get 'j["required"]' <<<"$q")" ] ||
        fail "$f $o: required $(json_get 'j["required"]' <<<"$v") vs $(json_get 'j["required"]' <<<"$q")"
      [ "$(json_get 'j["fully_allocated"]' <<<"$v")" = "$(json_get 'j["fully-allocated"]' <<<"$q")" ] ||
        fail "$f $o: fully-allocated differs"
    done
  done
}

@test "measure --size and raw targets, text as qemu-img prints it" {
  run vimg measure --size 1G -O qcow2
  assert_success
  assert_equal "$output" "$(qemu-img measure --size 1G -O qcow2)"
  run vimg measure -O raw plain.qcow2
  assert_success
  assert_equal "$output" "$(qemu-img measure -O raw plain.qcow2)"
  run vimg measure -O qcow2 plain.qcow2
  assert_equal "$output" "$(qemu-img measure -O qcow2 plain.qcow2)"
}

@test "measure -l: an internal snapshot measured as qemu-img measures it" {
  cp plain.qcow2 snap.qcow2
  qemu-img snapshot -c before snap.qcow2
  qemu-io -c "write -P 5 0 6M" snap.qcow2 >/dev/null
  local l
  for l in before snapshot.name=before 1 snapshot.id=1; do
    run vimg measure -O qcow2 -l "$l" snap.qcow2
    assert_success
    assert_equal "$output" "$(qemu-img measure -O qcow2 -l "$l" snap.qcow2)"
  done
  # and not the current state, which is larger
  [ "$(vimg measure -O qcow2 -l before snap.qcow2)" != "$(vimg measure -O qcow2 snap.qcow2)" ]
  run vimg measure -O qcow2 -l nosuch snap.qcow2
  assert_failure 3
  run vimg measure --size 1G -l before
  assert_failure 2
}

@test "measure usage errors" {
  run --separate-stderr vimg measure -O qcow2
  assert_failure 2
  run --separate-stderr vimg measure --size 1G -O qcow2 src.raw
  assert_failure 2
  run --separate-stderr vimg measure --size -1 -O qcow2
  assert_failure 2
}

@test "--output=json is --json for info, check, map and measure; --output=human the default; anything else exit 2" {
  local c
  for c in "info --backing-chain top.qcow2" "check plain.qcow2" "map top.qcow2" \
    "measure -O qcow2 plain.qcow2"; do
    # shellcheck disable=SC2086
    a=$(vimg $c --json)
    # shellcheck disable=SC2086
    b=$(vimg $c --output=json)
    assert_equal "$b" "$a"
    python3 -c 'import json, sys; json.loads(sys.argv[1])' "$b"
    # shellcheck disable=SC2086
    assert_equal "$(vimg $c --output=human)" "$(vimg $c)"
    # shellcheck disable=SC2086
    run --separate-stderr vimg $c --output=xml
    assert_failure 2
    assert_equal "${#stderr_lines[@]}" 1
    [[ "$stderr" == *"--output takes 'human' or 'json', not 'xml'"* ]]
  done
}

@test "map --start-offset and --max-length: the part of the map qemu-img gives" {
  local r
  for r in "--start-offset=1M" "--start-offset=1M --max-length=2M" "--max-length=100000" \
    "--start-offset=3100000 --max-length=1" "--start-offset=7M --max-length=10M"; do
    # shellcheck disable=SC2086
    ours=$(vimg map --json $r top.qcow2 | python3 -c 'import json, sys
print([(e["start"], e["length"], e["depth"], e["zero"], e["data"]) for e in json.load(sys.stdin)])')
    # shellcheck disable=SC2086
    theirs=$(qemu-img map --output=json $r top.qcow2 | python3 -c 'import json, sys
print([(e["start"], e["length"], e["depth"], e["zero"], e["data"]) for e in json.load(sys.stdin)])')
    assert_equal "$ours" "$theirs"
  done
  # at or past the end: nothing (qemu-img 7.2 prints one extent of length 0)
  run vimg map --json --start-offset=64M top.qcow2
  assert_success
  assert_output "[]"
  run vimg map --start-offset=lots top.qcow2
  assert_failure 2
}

@test "compare -p draws progress on a terminal only; the verdict is the same" {
  run --separate-stderr vimg compare -p src.raw plain.qcow2
  assert_success
  assert_output "Images are identical."
  assert_equal "$stderr" ""
  # on a terminal (script(1) gives it one): the bar ends at 100%
  run script -qec "$VK_BUILDDIR/vimg compare -p src.raw plain.qcow2" /dev/null
  assert_success
  assert_output --partial "compare ["
  assert_output --partial "100.0%"
  assert_output --partial "Images are identical."
}
