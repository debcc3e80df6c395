#!/usr/bin/env bats
# vimg commit against qemu-img commit on copies of the same chains: the
# base gets the same content, the image reads as before (and as the base
# after it is emptied), qemu-img check stays clean.

load ../helpers

bats_require_minimum_version 1.5.0

setup() {
  requires qemu-img qemu-io
  enter_tmpdir
}

teardown() {
  leave_tmpdir
}

# chain OPTS [TOP_SIZE]: base (8M) <- mid <- top (TOP_SIZE, default 8M) in
# ours/ and theirs/, qcow2 with OPTS, with data, zero clusters over data
# and holes at every level; before.raw is what top reads.
chain() {
  local size=${2:-8M}
  mkdir -p ours theirs
  (
    cd ours || exit 1
    qemu-img create -q -f qcow2 -o "$1" base.qcow2 8M
    qemu-io -c "write -P 1 0 3M" -c "write -P 2 5M 1M" -c "write -P 7 7M 1M" base.qcow2 >/dev/null
    qemu-img create -q -f qcow2 -o "$1" -b base.qcow2 -F qcow2 mid.qcow2 8M
    qemu-io -c "write -P 3 1M 1M" -c "write -z 2M 512k" -c "write -P 4 6M 64k" mid.qcow2 >/dev/null
    qemu-img create -q -f qcow2 -o "$1" -b mid.qcow2 -F qcow2 top.qcow2 "$size"
    qemu-io -c "write -P 5 100k 4k" -c "write -z 5M 64k" -c "write -z -u 5632k 128k" \
      -c "write -P 6 3000k 1500k" top.qcow2 >/dev/null
    qemu-img convert -O raw top.qcow2 ../before.raw
  )
  cp ours/*.qcow2 theirs/
}

# commit_while_open FILE: `run vimg commit ours/top.qcow2` while qemu-io
# holds FILE open for writing.
commit_while_open() {
  qemu-io -c "sleep 3000" "$1" &
  local pid=$!
  sleep 1
  run vimg commit ours/top.qcow2
  kill "$pid"
  wait "$pid" || true
}

# same_base FILE: ours/FILE and theirs/FILE read the same and check clean.
same_base() {
  run qemu-img compare -q "theirs/$1" "ours/$1"
  assert_success
  run qemu-img check -q "ours/$1"
  assert_success
}

@test "commit into the backing file, with 512 B, 64 KiB and 2 MiB clusters, extended L2 and compat=0.10" {
  local o
  for o in cluster_size=512 cluster_size=65536 cluster_size=2097152 \
    cluster_size=65536,extended_l2=on compat=0.10; do
    rm -rf ours theirs before.raw
    chain "$o"
    run vimg commit ours/top.qcow2
    assert_success
    assert_output "Image committed."
    qemu-img commit -q theirs/top.qcow2
    same_base mid.qcow2
    # the top was emptied: it reads the committed middle, as before
    run qemu-img compare -q before.raw ours/top.qcow2
    assert_success
    run qemu-img check -q ours/top.qcow2
    assert_success
    run qemu-img map --output=json ours/top.qcow2
    refute_output --partial '"depth": 0'
    # the base below is untouched
    cmp ours/base.qcow2 theirs/base.qcow2
  done
}

@test "commit -b BASE: every layer above it goes into the bottom; the image keeps its data (-d implied)" {
  chain cluster_size=65536
  cp ours/top.qcow2 top.orig
  run vimg commit -q -b ours/base.qcow2 ours/top.qcow2
  assert_success
  assert_output ""
  (cd theirs && qemu-img commit -q -b base.qcow2 top.qcow2)
  same_base base.qcow2
  run qemu-img compare -q -f raw before.raw ours/base.qcow2
  assert_success
  cmp ours/top.qcow2 top.orig
  # the base named as the chain names it (relative to the image) works too
  rm -rf ours theirs
  chain cluster_size=4096
  run vimg commit -b base.qcow2 ours/top.qcow2
  assert_success
  run qemu-img compare -q -f raw before.raw ours/base.qcow2
  assert_success
}

@test "commit -d leaves the image as it was" {
  chain cluster_size=65536
  cp ours/top.qcow2 top.orig
  run vimg commit -d ours/top.qcow2
  assert_success
  qemu-img commit -q -d theirs/top.qcow2
  same_base mid.qcow2
  cmp ours/top.qcow2 top.orig
}

@test "commit of an image larger than its backing file grows it; a smaller one leaves the tail alone" {
  chain cluster_size=65536 12M
  qemu-io -c "write -P 9 10M 1M" ours/top.qcow2 >/dev/null
  qemu-io -c "write -P 9 10M 1M" theirs/top.qcow2 >/dev/null
  qemu-img convert -O raw ours/top.qcow2 before.raw
  run vimg commit ours/top.qcow2
  assert_success
  qemu-img commit -q theirs/top.qcow2
  assert_equal "$(qemu-img info --output=json ours/mid.qcow2 | grep '"virtual-size"')" \
    "$(qemu-img info --output=json theirs/mid.qcow2 | grep '"virtual-size"')"
  same_base mid.qcow2
  run qemu-img compare -q before.raw ours/top.qcow2
  assert_success
  rm -rf ours theirs
  chain cluster_size=65536 6M
  run vimg commit ours/top.qcow2
  assert_success
  qemu-img commit -q theirs/top.qcow2
  same_base mid.qcow2
  run qemu-img info ours/mid.qcow2
  assert_output --partial "virtual size: 8 MiB"
}

@test "commit: bad input is refused and changes nothing" {
  chain cluster_size=65536
  cp ours/top.qcow2 top.orig
  cp ours/mid.qcow2 mid.orig
  run --separate-stderr vimg commit ours/base.qcow2
  assert_failure 2
  assert_equal "${#stderr_lines[@]}" 1
  [[ "$stderr" == *"has no backing file"* ]]
  run vimg commit before.raw
  assert_failure 2
  assert_output --partial "raw images have no backing file"
  run vimg commit nosuch.qcow2
  assert_failure 3
  run vimg commit -b nosuch.qcow2 ours/top.qcow2
  assert_failure 3
  run vimg commit -b before.raw ours/top.qcow2
  assert_failure 2
  assert_output --partial "is not in the backing chain"
  run vimg commit -b ours/top.qcow2 ours/top.qcow2
  assert_failure 2
  run vimg commit -r 0 ours/top.qcow2
  assert_failure 2
  run vimg commit -r lots ours/top.qcow2
  assert_failure 2
  run vimg commit -f vmdk ours/top.qcow2
  assert_failure 2
  cmp ours/top.qcow2 top.orig
  cmp ours/mid.qcow2 mid.orig
}

@test "commit refuses a chain in use: the image written by another process, or the base used through another overlay" {
  chain cluster_size=65536
  cp ours/top.qcow2 top.orig
  cp ours/mid.qcow2 mid.orig
  # a writer of the image (as a running guest's QEMU is)
  commit_while_open ours/top.qcow2
  assert_failure 5
  # a writer of the image alone, without its backing chain: the image's
  # own lock refuses it before anything is opened for writing
  commit_while_open 'json:{"driver":"qcow2","file":{"driver":"file","filename":"ours/top.qcow2"},"backing":null}'
  assert_failure 5
  assert_output --partial "top.qcow2: image is in use"
  # a second overlay on the same middle, open for writing: the middle is
  # its backing file, which QEMU does not let anyone change
  qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 ours/other.qcow2
  commit_while_open ours/other.qcow2
  assert_failure 5
  assert_output --partial "mid.qcow2"
  cmp ours/top.qcow2 top.orig
  cmp ours/mid.qcow2 mid.orig
}

@test "commit -r holds the rate, -p draws nothing in a pipe" {
  qemu-img create -q -f qcow2 base.qcow2 8M
  qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2
  qemu-io -c "write -P 3 0 4M" top.qcow2 >/dev/null
  start=$(date +%s%N)
  run vimg commit -p -r 2M top.qcow2
  end=$(date +%s%N)
  assert_success
  assert_output "Image committed."
  # 4 MiB at 2 MiB/s: at least about 1.5 s (a lower bound, not a timing)
  [ $(((end - start) / 1000000)) -ge 1500 ] || fail "took $(((end - start) / 1000000)) ms"
  run qemu-io -c "read -P 3 0 4M" base.qcow2
  assert_success
  # ranges the image does not have are not copied and do not count
  qemu-img create -q -f qcow2 big.qcow2 1G
  qemu-img create -q -f qcow2 -b big.qcow2 -F qcow2 bigtop.qcow2
  qemu-io -c "write -P 5 512M 1M" bigtop.qcow2 >/dev/null
  run timeout 20 "$VK_BUILDDIR/vimg" commit -r 1M bigtop.qcow2
  assert_success
  run qemu-io -c "read -P 5 512M 1M" big.qcow2
  assert_success
}

@test "commit interrupted by SIGINT, or killed: the chain reads as before and checks clean but for leaks" {
  head -c 128M /dev/urandom > big.raw
  qemu-img create -q -f qcow2 base.qcow2 128M
  qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2
  qemu-img convert -n -O qcow2 big.raw top.qcow2
  for sig in INT KILL; do
    env --default-signal=INT "$VK_BUILDDIR/vimg" commit -r 32M top.qcow2 2> err &
    pid=$!
    for _ in $(seq 100); do
      [ "$(stat -c %s base.qcow2)" -gt 4194304 ] && break
      sleep 0.02
    done
    kill -"$sig" "$pid"
    rc=0
    wait "$pid" || rc=$?
    if [ "$sig" = INT ]; then
      [ "$rc" -eq 130 ] || fail "vimg ended with $rc (want 130, SIGINT): $(cat err)"
      grep -q "still reads as before" err
    else
      [ "$rc" -eq 137 ] || fail "vimg ended with $rc (want 137, SIGKILL)"
    fi
    run qemu-img compare -q big.raw top.qcow2
    assert_success
    run qemu-img check top.qcow2
    assert_success
    run qemu-img check base.qcow2
    [ "$status" -eq 0 ] || [ "$status" -eq 3 ] || fail "base: qemu-img check status $status: $output"
  done
  # and a commit to the end still gives the right base
  run vimg commit top.qcow2
  assert_success
  run qemu-img compare -q big.raw base.qcow2
  assert_success
}
