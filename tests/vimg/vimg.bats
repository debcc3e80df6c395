#!/usr/bin/env bats
# vimg: command-line behaviour, create and info, checked against qemu-img.

load ../image-helpers

setup() {
  image_setup
}

teardown() {
  image_teardown
}

@test "vimg --version" {
  run vimg --version
  assert_success
  assert_output --regexp '^vimg \(vkit\) [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "vimg --help lists the commands" {
  run vimg --help
  assert_success
  assert_line --partial "Usage: vimg"
  assert_line "Commands:"
}

@test "vimg without a command exits 2" {
  run --separate-stderr vimg
  assert_failure 2
  assert_output ""
  assert_equal "$stderr" "vimg: missing command (try 'vimg --help')"
}

@test "vimg with an unknown command exits 2 with one line" {
  run --separate-stderr vimg frobnicate
  assert_failure 2
  assert_output ""
  assert_equal "$stderr" "vimg: unknown command 'frobnicate' (try 'vimg --help')"
}

# ---------------------------------------------------------------- create, info

create_options=(
  ""
  "cluster_size=512"
  "cluster_size=4k"
  "cluster_size=2M"
  "compat=0.10"
  "compat=v2"
  "compat=v3"
  "lazy_refcounts=on"
  "refcount_bits=1"
  "refcount_bits=2"
  "refcount_bits=8"
  "refcount_bits=64"
  "compression_type=zstd"
  "extended_l2=on"
  "preallocation=metadata"
  "preallocation=falloc"
  "preallocation=full"
  "cluster_size=512,refcount_bits=64"
  "cluster_size=2M,extended_l2=on,compression_type=zstd,lazy_refcounts=on"
)

@test "vimg create: every qcow2 option gives an image qemu-img checks clean and describes like vimg info" {
  requires qemu-img
  local o
  for o in "${create_options[@]}"; do
    rm -f v.qcow2
    run vimg create -f qcow2 ${o:+-o "$o"} v.qcow2 64M
    assert_success
    assert_output ""
    assert_qemu_clean v.qcow2
    assert_info_agrees v.qcow2
  done
}

@test "vimg create: without preallocation the file is byte-identical to qemu-img create" {
  requires qemu-img
  local o
  for o in "" cluster_size=4k cluster_size=2M compat=0.10 lazy_refcounts=on refcount_bits=1 \
           refcount_bits=64 compression_type=zstd extended_l2=on preallocation=metadata; do
    rm -f v.qcow2 q.qcow2
    vimg create -f qcow2 ${o:+-o "$o"} v.qcow2 1G
    qemu-img create -q -f qcow2 ${o:+-o "$o"} q.qcow2 1G
    cmp v.qcow2 q.qcow2 || fail "option '$o': differs from qemu-img create"
  done
}

@test "vimg info: images made by qemu-img create are reported as qemu-img reports them" {
  requires qemu-img
  local o
  for o in "${create_options[@]}"; do
    rm -f q.qcow2
    qemu-img create -q -f qcow2 ${o:+-o "$o"} q.qcow2 64M
    assert_info_agrees q.qcow2
  done
  qemu-img create -q -f raw r.raw 10M
  assert_info_agrees r.raw
}

@test "vimg create: raw images, with preallocation" {
  requires qemu-img
  local p
  for p in off falloc full; do
    rm -f r.raw
    run vimg create -f raw -o preallocation=$p r.raw 3M
    assert_success
    assert_equal "$(stat -c %s r.raw)" 3145728
    assert_info_agrees r.raw
  done
  [ "$(stat -c %b r.raw)" -ge 6144 ] || fail "full preallocation did not allocate"
  run vimg create r2.raw 1M
  assert_success
  assert_equal "$(vimg_info r2.raw 'j["format"]')" raw
}

@test "vimg create -b: backing file with relative name, format detected and recorded" {
  requires qemu-img
  mkdir sub
  vimg create -f qcow2 sub/base.qcow2 100M
  run vimg create -f qcow2 -b base.qcow2 sub/top.qcow2
  assert_success
  assert_qemu_clean sub/top.qcow2
  assert_info_agrees sub/top.qcow2
  assert_equal "$(vimg_info sub/top.qcow2 'j["backing_format"]')" qcow2
  assert_equal "$(vimg_info sub/top.qcow2 'j["virtual_size"]')" 104857600
  assert_equal "$(vimg_info sub/top.qcow2 'j["full_backing_file"]')" sub/base.qcow2
  run vimg create -f qcow2 -b base.qcow2 -F raw sub/top2.qcow2 1G
  assert_success
  assert_equal "$(vimg_info sub/top2.qcow2 'j["backing_format"]')" raw
  assert_equal "$(vimg_info sub/top2.qcow2 'j["virtual_size"]')" 1073741824
}

@test "vimg create -b: a missing backing file is an error and leaves nothing" {
  run --separate-stderr vimg create -f qcow2 -b nosuch.qcow2 top.qcow2 1G
  assert_failure 3
  assert_output ""
  [[ $stderr == *nosuch.qcow2* ]] || fail "message does not name the file: $stderr"
  assert_not_exist top.qcow2
}

@test "vimg info --backing-chain: text and JSON list each layer" {
  requires qemu-img
  qemu-img create -q -f raw base.raw 10M
  qemu-img create -q -f qcow2 -b base.raw -F raw mid.qcow2 20M
  qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2
  run vimg info --backing-chain --json top.qcow2
  assert_success
  assert_equal "$(echo "$output" | json_get '[x["filename"] for x in j]')" '["top.qcow2", "mid.qcow2", "base.raw"]'
  assert_equal "$(echo "$output" | json_get '[x["format"] for x in j]')" '["qcow2", "qcow2", "raw"]'
  run vimg info --backing-chain top.qcow2
  assert_success
  assert_line "image: base.raw"
  assert_line "backing file: mid.qcow2"
  assert_line "backing file format: raw"
}

@test "vimg info: text output in the layout of qemu-img info" {
  vimg create -f qcow2 -o compression_type=zstd a.qcow2 1G
  run vimg info a.qcow2
  assert_success
  assert_line --index 0 "image: a.qcow2"
  assert_line --index 1 "file format: qcow2"
  assert_line --index 2 "virtual size: 1 GiB (1073741824 bytes)"
  assert_line "cluster_size: 65536"
  assert_line "    compression type: zstd"
  assert_line "    refcount bits: 16"
}

@test "vimg create: bad sizes, cluster sizes and option values exit 2 and create nothing" {
  local args
  while IFS= read -r args; do
    run --separate-stderr eval "vimg create $args bad.img"
    [ "$status" -eq 2 ] || fail "'$args': status $status, expected 2"
    assert_output ""
    [ -n "$stderr" ] || fail "'$args': no message"
    [ ! -e bad.img ] || fail "'$args': bad.img was created"
  done <<'EOF_ARGS'
-f qcow2 -o cluster_size=1000 1G
-f qcow2 -o cluster_size=256 1G
-f qcow2 -o cluster_size=4M 1G
-f qcow2 -o compat=0.9 1G
-f qcow2 -o lazy_refcounts=maybe 1G
-f qcow2 -o refcount_bits=3 1G
-f qcow2 -o refcount_bits=128 1G
-f qcow2 -o compression_type=lzo 1G
-f qcow2 -o preallocation=some 1G
-f qcow2 -o extended_l2=on,cluster_size=4k 1G
-f qcow2 -o compat=0.10,compression_type=zstd 1G
-f qcow2 -o compat=0.10,lazy_refcounts=on 1G
-f qcow2 -o nosuchoption=1 1G
-f qcow2 -o cluster_size 1G
-f qcow2 1Q
-f qcow2 -- -1G
-f qcow2 1000
-f qcow2 10EiB
-f vmdk 1G
-f raw -o cluster_size=64k 1G
-f qcow2 -o cluster_size=512 4T
-f qcow2
EOF_ARGS
}

@test "vimg create: an existing file is refused, --force replaces it" {
  echo precious > keep.img
  run --separate-stderr vimg create -f qcow2 keep.img 1G
  assert_failure 1
  [[ $stderr == *"file exists"* ]] || fail "unexpected message: $stderr"
  assert_equal "$(cat keep.img)" precious
  run vimg create -f qcow2 --force keep.img 1G
  assert_success
  assert_equal "$(vimg_info keep.img 'j["format"]')" qcow2
}

@test "vimg create: a read-only directory fails with a message and leaves nothing" {
  [ "$(id -u)" -ne 0 ] || skip_root=1
  mkdir ro
  chmod 555 ro
  if [ -n "${skip_root:-}" ]; then
    # root ignores directory permissions: use a path under a file instead
    run --separate-stderr vimg create -f qcow2 keep/x.qcow2 1G
  else
    run --separate-stderr vimg create -f qcow2 ro/x.qcow2 1G
  fi
  [ "$status" -ne 0 ] || fail "succeeded"
  [ -n "$stderr" ] || fail "no message"
  assert_not_exist ro/x.qcow2
}

@test "vimg info: missing file exits 3, garbage header exits 7" {
  run --separate-stderr vimg info nosuch.img
  assert_failure 3
  printf 'QFI\373\0\0\0\3' > short.qcow2
  run --separate-stderr vimg info short.qcow2
  assert_failure 7
  [[ $stderr == *corrupt* ]] || fail "unexpected message: $stderr"
}
