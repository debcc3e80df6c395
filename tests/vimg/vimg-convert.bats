#!/usr/bin/env bats
# vimg convert: every direction and option, checked with qemu-img.

load ../helpers
load ../convert-helpers

bats_require_minimum_version 1.5.0

setup() {
  requires qemu-img qemu-io python3
  TMP=$(mktemp -d)
  mkimage "$TMP/src.raw" 8
}

teardown() {
  if [ -n "${MNT:-}" ]; then
    umount "$MNT" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}

@test "convert raw to raw: same bytes, holes and zero blocks stay sparse" {
  run vimg convert -f raw -O raw "$TMP/src.raw" "$TMP/out.raw"
  assert_success
  assert_output ""
  cmp "$TMP/src.raw" "$TMP/out.raw"
  # Zero blocks written in the source become holes in the copy.
  [ "$(allocated_kib "$TMP/out.raw")" -lt "$(allocated_kib "$TMP/src.raw")" ]
  [ "$(stat -c %s "$TMP/out.raw")" -eq "$(stat -c %s "$TMP/src.raw")" ]
}

@test "convert raw to qcow2: qemu-img compares equal and checks clean" {
  run vimg convert -f raw -O qcow2 "$TMP/src.raw" "$TMP/out.qcow2"
  assert_success
  run qemu-img compare -f raw -F qcow2 "$TMP/src.raw" "$TMP/out.qcow2"
  assert_success
  run qemu-img check "$TMP/out.qcow2"
  assert_success
  assert_line "No errors were found on the image."
  # Zero and hole ranges were not allocated: smaller than qemu-img's own.
  qemu-img convert -f raw -O qcow2 "$TMP/src.raw" "$TMP/q.qcow2"
  [ "$(stat -c %s "$TMP/out.qcow2")" -le "$(stat -c %s "$TMP/q.qcow2")" ]
}

@test "convert qcow2 made by qemu-img to raw" {
  qemu-img convert -f raw -O qcow2 "$TMP/src.raw" "$TMP/in.qcow2"
  run vimg convert -f qcow2 -O raw "$TMP/in.qcow2" "$TMP/out.raw"
  assert_success
  cmp "$TMP/src.raw" "$TMP/out.raw"
}

@test "convert probes a qcow2 source when -f is not given" {
  qemu-img convert -f raw -O qcow2 "$TMP/src.raw" "$TMP/in.qcow2"
  run vimg convert "$TMP/in.qcow2" "$TMP/out.raw"
  assert_success
  cmp "$TMP/src.raw" "$TMP/out.raw"
}

@test "convert qcow2 to qcow2 with cluster_size=4k and compat=0.10" {
  qemu-img convert -f raw -O qcow2 "$TMP/src.raw" "$TMP/in.qcow2"
  run vimg convert -f qcow2 -O qcow2 -o cluster_size=4k,compat=0.10 "$TMP/in.qcow2" "$TMP/out.qcow2"
  assert_success
  run qemu-img info --output=json "$TMP/out.qcow2"
  [ "$(json_get 'j["cluster-size"]' <<<"$output")" = 4096 ]
  [ "$(json_get 'j["format-specific"]["data"]["compat"]' <<<"$output")" = 0.10 ]
  qemu-img compare "$TMP/src.raw" "$TMP/out.qcow2"
  qemu-img check -q "$TMP/out.qcow2"
}

@test "convert flattens a backing chain" {
  qemu-img convert -f raw -O qcow2 "$TMP/src.raw" "$TMP/base.qcow2"
  qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 "$TMP/top.qcow2"
  qemu-io -c 'write -P 0x5a 1M 192k' -c 'write -z 3M 64k' "$TMP/top.qcow2" >/dev/null
  run vimg convert -O qcow2 "$TMP/top.qcow2" "$TMP/flat.qcow2"
  assert_success
  qemu-img compare "$TMP/top.qcow2" "$TMP/flat.qcow2"
  run qemu-img info --output=json "$TMP/flat.qcow2"
  [ "$(json_get 'j.get("backing-filename", "none")' <<<"$output")" = none ]
}

@test "convert -B keeps a backing file and copies only what the top layer has" {
  qemu-img convert -f raw -O qcow2 "$TMP/src.raw" "$TMP/base.qcow2"
  qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 "$TMP/top.qcow2"
  qemu-io -c 'write -P 0x5a 1M 128k' -c 'write -z 0 64k' "$TMP/top.qcow2" >/dev/null
  run vimg convert -O qcow2 -B base.qcow2 -F qcow2 "$TMP/top.qcow2" "$TMP/new.qcow2"
  assert_success
  qemu-img compare "$TMP/top.qcow2" "$TMP/new.qcow2"
  qemu-img check -q "$TMP/new.qcow2"
  run qemu-img info --output=json "$TMP/new.qcow2"
  [ "$(json_get 'j["backing-filename"]' <<<"$output")" = base.qcow2 ]
  # Only the top layer's data (128k) and the zero cluster are in the new image.
  run qemu-img map --output=json "$TMP/new.qcow2"
  local own
  own=$(json_get 'sum(e["length"] for e in j if e["depth"] == 0 and e["data"])' <<<"$output")
  [ "$own" -eq 131072 ]
}

@test "convert -c (zlib): qemu-img reads it, clusters are compressed, size close to qemu-img's" {
  run vimg convert -c -O qcow2 "$TMP/src.raw" "$TMP/z.qcow2"
  assert_success
  qemu-img compare "$TMP/src.raw" "$TMP/z.qcow2"
  run qemu-img check --output=json "$TMP/z.qcow2"
  assert_success
  [ "$(json_get 'j["compressed-clusters"]' <<<"$output")" -gt 0 ]
  qemu-img convert -c -O qcow2 "$TMP/src.raw" "$TMP/q.qcow2"
  local v q
  v=$(stat -c %s "$TMP/z.qcow2"); q=$(stat -c %s "$TMP/q.qcow2")
  [ "$v" -le $((q + q / 20)) ]
}

@test "convert -c -o compression_type=zstd: zstd header, qemu-img reads it" {
  run vimg convert -c -O qcow2 -o compression_type=zstd "$TMP/src.raw" "$TMP/z.qcow2"
  assert_success
  run qemu-img info --output=json "$TMP/z.qcow2"
  [ "$(json_get 'j["format-specific"]["data"]["compression-type"]' <<<"$output")" = zstd ]
  qemu-img compare "$TMP/src.raw" "$TMP/z.qcow2"
  qemu-img check -q "$TMP/z.qcow2"
}

@test "compressed images made by qemu-img (zlib and zstd) convert back exactly" {
  qemu-img convert -c -O qcow2 "$TMP/src.raw" "$TMP/z.qcow2"
  qemu-img convert -c -O qcow2 -o compression_type=zstd "$TMP/src.raw" "$TMP/s.qcow2"
  vimg convert -O raw "$TMP/z.qcow2" "$TMP/z.raw"
  vimg convert -O raw "$TMP/s.qcow2" "$TMP/s.raw"
  cmp "$TMP/src.raw" "$TMP/z.raw"
  cmp "$TMP/src.raw" "$TMP/s.raw"
}

@test "convert concatenates several sources" {
  mkimage "$TMP/b.raw" 3 7
  run vimg convert -O qcow2 "$TMP/src.raw" "$TMP/b.raw" "$TMP/cat.qcow2"
  assert_success
  cat "$TMP/src.raw" "$TMP/b.raw" >"$TMP/cat.raw"
  qemu-img compare -f raw -F qcow2 "$TMP/cat.raw" "$TMP/cat.qcow2"
}

@test "convert -n overwrites an existing target, zeros included" {
  head -c 8M /dev/urandom >"$TMP/old.raw"
  run vimg convert -n -O raw "$TMP/src.raw" "$TMP/old.raw"
  assert_success
  cmp "$TMP/src.raw" "$TMP/old.raw"
}

@test "convert -n --target-is-zero into a fresh qcow2" {
  qemu-img create -q -f qcow2 "$TMP/t.qcow2" 8M
  run vimg convert -n --target-is-zero -O qcow2 "$TMP/src.raw" "$TMP/t.qcow2"
  assert_success
  qemu-img compare "$TMP/src.raw" "$TMP/t.qcow2"
  qemu-img check -q "$TMP/t.qcow2"
}

@test "convert -S 0 allocates everything" {
  run vimg convert -S 0 -O raw "$TMP/src.raw" "$TMP/full.raw"
  assert_success
  cmp "$TMP/src.raw" "$TMP/full.raw"
  [ "$(allocated_kib "$TMP/full.raw")" -ge 8192 ]
}

@test "convert gives the same image with 1 and 3 threads" {
  vimg convert -m 1 -c -O qcow2 "$TMP/src.raw" "$TMP/m1.qcow2"
  vimg convert -m 3 -c -O qcow2 "$TMP/src.raw" "$TMP/m3.qcow2"
  cmp "$TMP/m1.qcow2" "$TMP/m3.qcow2"
}

@test "convert to qcow2: the workers' parallel writes lay the image out as one writer does" {
  # -t writeback keeps the single writer in guest order: the parallel
  # writers (the default) must give the same bytes, for every geometry.
  for o in cluster_size=512 cluster_size=4k cluster_size=64k cluster_size=2M \
    extended_l2=on,cluster_size=128k refcount_bits=1,cluster_size=4k; do
    vimg convert -m 3 -O qcow2 -o "$o" "$TMP/src.raw" "$TMP/par.qcow2"
    vimg convert -m 1 -O qcow2 -o "$o" "$TMP/src.raw" "$TMP/one.qcow2"
    vimg convert -t writeback -O qcow2 -o "$o" "$TMP/src.raw" "$TMP/ref.qcow2"
    cmp "$TMP/par.qcow2" "$TMP/ref.qcow2" || fail "$o: parallel writes differ from one writer"
    cmp "$TMP/one.qcow2" "$TMP/ref.qcow2" || fail "$o: one thread differs from one writer"
    qemu-img check -q "$TMP/par.qcow2" || fail "$o: qemu-img check"
    qemu-img compare -q -f raw "$TMP/src.raw" "$TMP/par.qcow2" || fail "$o: contents"
  done
}

@test "convert to qcow2: a size that ends inside a cluster, over a reused target and a backing file" {
  # The last cluster is only partly inside the image: its tail reads zeros.
  python3 - "$TMP/odd.raw" <<'PY'
import os, sys
with open(sys.argv[1], "wb") as f:
    f.write(os.urandom(3 * 65536 + 1536))
PY
  vimg convert -O qcow2 "$TMP/odd.raw" "$TMP/odd.qcow2"
  qemu-img check -q "$TMP/odd.qcow2"
  qemu-img compare -q -f raw "$TMP/odd.raw" "$TMP/odd.qcow2"
  # -n into a qcow2 whose clusters hold other data: rewritten in place.
  qemu-img create -q -f qcow2 "$TMP/old.qcow2" 8M
  qemu-io -f qcow2 -c "write -P 0x5a 0 8M" "$TMP/old.qcow2" >/dev/null
  qemu-io -f qcow2 -c "discard 1M 2M" "$TMP/old.qcow2" >/dev/null
  run vimg convert -n -O qcow2 "$TMP/src.raw" "$TMP/old.qcow2"
  assert_success
  qemu-img check -q "$TMP/old.qcow2"
  qemu-img compare -q -f raw "$TMP/src.raw" "$TMP/old.qcow2"
  # -B: only what differs from the backing file is written.
  qemu-img convert -O qcow2 "$TMP/odd.raw" "$TMP/base.qcow2"
  python3 - "$TMP/odd.raw" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(65536)
    f.write(b"\x77" * 70000)
PY
  vimg convert -O qcow2 -B "$TMP/base.qcow2" -F qcow2 "$TMP/odd.raw" "$TMP/top.qcow2"
  qemu-img check -q "$TMP/top.qcow2"
  qemu-img compare -q -f raw "$TMP/odd.raw" "$TMP/top.qcow2"
}

@test "convert -W: clusters as they are ready, the same contents, a clean image" {
  for c in "" -c; do
    run vimg convert -W $c -m 3 -O qcow2 -o cluster_size=4k "$TMP/src.raw" "$TMP/w.qcow2"
    assert_success
    qemu-img check -q "$TMP/w.qcow2"
    qemu-img compare -q -f raw "$TMP/src.raw" "$TMP/w.qcow2"
  done
  # Nothing to reorder on a raw target.
  vimg convert -W -O raw "$TMP/src.raw" "$TMP/w.raw"
  cmp "$TMP/src.raw" "$TMP/w.raw"
  vimg convert --help | grep -q -- "-W, --out-of-order"
}

@test "convert -t writeback and the default -t unsafe give the same clean image" {
  vimg convert -O qcow2 "$TMP/src.raw" "$TMP/u.qcow2"
  vimg convert -t unsafe -O qcow2 "$TMP/src.raw" "$TMP/u2.qcow2"
  vimg convert -t writeback -O qcow2 "$TMP/src.raw" "$TMP/w.qcow2"
  cmp "$TMP/u.qcow2" "$TMP/w.qcow2"
  cmp "$TMP/u.qcow2" "$TMP/u2.qcow2"
  run qemu-img check "$TMP/w.qcow2"
  assert_success
  run qemu-img compare -f raw -F qcow2 "$TMP/src.raw" "$TMP/u.qcow2"
  assert_success
  vimg convert -t writeback -O raw "$TMP/w.qcow2" "$TMP/w.raw"
  cmp "$TMP/src.raw" "$TMP/w.raw"
}

@test "convert -t with an unknown cache mode: exit 2, no target" {
  run --separate-stderr vimg convert -t bogus -O qcow2 "$TMP/src.raw" "$TMP/b.qcow2"
  assert_failure 2
  assert_equal "$stderr" "vimg convert: -t: unknown cache mode 'bogus' (unsafe or writeback) (try 'vimg convert --help')"
  assert_output ""
  [ ! -e "$TMP/b.qcow2" ]
}

@test "convert syncs the target after its last write with -t writeback only" {
  requires strace
  local f
  # LeakSanitizer cannot run under ptrace; leaks are checked by the other tests.
  export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
  for f in raw qcow2; do
    strace -f -qq -o "$TMP/wb.trace" -e trace=openat,pwrite64,fdatasync,fsync \
      "$VK_BUILDDIR/vimg" convert -t writeback -O $f "$TMP/src.raw" "$TMP/wb.$f"
    strace -f -qq -o "$TMP/un.trace" -e trace=openat,pwrite64,fdatasync,fsync \
      "$VK_BUILDDIR/vimg" convert -O $f "$TMP/src.raw" "$TMP/un.$f"
    cmp "$TMP/wb.$f" "$TMP/un.$f"
    # writeback: a sync comes after the last write.
    run python3 - "$TMP/wb.trace" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
last_write = max(i for i, l in enumerate(lines) if "pwrite64(" in l)
assert any("sync(" in l for l in lines[last_write:]), "no sync after the last write"
PY
    assert_success
    # unsafe: once the created target is reopened, nothing is synced.
    run python3 - "$TMP/un.trace" "$TMP/un.$f" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
created = min(i for i, l in enumerate(lines)
              if "openat(" in l and sys.argv[2] in l and "O_CREAT" in l)
opens = [i for i, l in enumerate(lines) if i > created and "openat(" in l
         and sys.argv[2] in l and "= -1" not in l]
assert opens, "the target was never reopened"
assert any("pwrite64(" in l for l in lines[opens[0]:]), "no write traced"
syncs = [l for l in lines[opens[0]:] if "sync(" in l]
assert not syncs, syncs
PY
    assert_success
  done
}

@test "convert -p in a pipe draws no progress" {
  run --separate-stderr vimg convert -p -O qcow2 "$TMP/src.raw" "$TMP/p.qcow2"
  assert_success
  assert_equal "$stderr" ""
}

@test "convert of a missing source: exit 3, one line, no target" {
  run --separate-stderr vimg convert -O qcow2 "$TMP/nope.raw" "$TMP/out.qcow2"
  assert_failure 3
  assert_output ""
  [[ "$stderr" == "vimg: "*nope.raw* ]]
  [ "$(wc -l <<<"$stderr")" -eq 1 ]
  assert_file_not_exists "$TMP/out.qcow2"
}

@test "convert to an unsupported format: exit 2, no target" {
  run --separate-stderr vimg convert -O qed "$TMP/src.raw" "$TMP/out.qed"
  assert_failure 2
  [[ "$stderr" == *qed* ]]
  assert_file_not_exists "$TMP/out.qed"
}

@test "convert -c to a raw target is a usage error" {
  run --separate-stderr vimg convert -c -O raw "$TMP/src.raw" "$TMP/out.raw"
  assert_failure 2
  assert_file_not_exists "$TMP/out.raw"
}

@test "convert onto its own source is refused" {
  cp "$TMP/src.raw" "$TMP/copy.raw"
  run --separate-stderr vimg convert -O raw "$TMP/copy.raw" "$TMP/./copy.raw"
  assert_failure 2
  cmp "$TMP/src.raw" "$TMP/copy.raw"
}

@test "convert into a read-only directory: clear message, nothing left" {
  MNT=$TMP/ro
  mkdir "$MNT"
  mount -t tmpfs -o ro,size=1M tmpfs "$MNT" || cannot "cannot mount a tmpfs here"
  run --separate-stderr vimg convert -O qcow2 "$TMP/src.raw" "$MNT/out.qcow2"
  assert_failure 1
  [[ "$stderr" == *"Read-only file system"* ]]
  assert_file_not_exists "$MNT/out.qcow2"
}

@test "convert onto a full disk: ENOSPC, the half-written target is removed" {
  MNT=$TMP/small
  mkdir "$MNT"
  mount -t tmpfs -o size=2M tmpfs "$MNT" || cannot "cannot mount a tmpfs here"
  for fmt in raw qcow2; do
    run --separate-stderr vimg convert -O $fmt "$TMP/src.raw" "$MNT/out.$fmt"
    assert_failure 1
    [[ "$stderr" == *"No space left on device"* ]]
    assert_file_not_exists "$MNT/out.$fmt"
  done
  [ -z "$(ls -A "$MNT")" ]
}

@test "convert interrupted by SIGINT or SIGTERM removes the target and dies of the signal" {
  mkimage "$TMP/big.raw" 64 3
  for sig in INT TERM; do
    # Jobs started with & ignore SIGINT in a script: restore the default.
    env --default-signal=INT "$VK_BUILDDIR/vimg" convert -m 1 -c -O qcow2 "$TMP/big.raw" \
      "$TMP/int.qcow2" 2>"$TMP/err" &
    local pid=$!
    local i
    for i in $(seq 100); do
      [ -e "$TMP/int.qcow2" ] && break
      sleep 0.05
    done
    sleep 0.2
    kill -$sig $pid
    local rc=0
    wait $pid || rc=$?
    [ "$rc" -eq $((128 + $(kill -l $sig))) ]
    grep -q "interrupted" "$TMP/err"
    assert_file_not_exists "$TMP/int.qcow2"
  done
}

@test "convert -n interrupted: the target stays, and the message says it was written in part" {
  mkimage "$TMP/big.raw" 64 3
  vimg create -f qcow2 "$TMP/kept.qcow2" 64M
  local size0 i
  size0=$(stat -c %s "$TMP/kept.qcow2")
  # (a shell starts background jobs with SIGINT ignored: restore it)
  env --default-signal=INT "$VK_BUILDDIR/vimg" convert -n -m 1 -c -O qcow2 "$TMP/big.raw" \
    "$TMP/kept.qcow2" 2>"$TMP/err" &
  local pid=$!
  # the signal once the copy is under way (its handler is in place by then)
  for i in $(seq 200); do
    [ "$(stat -c %s "$TMP/kept.qcow2")" -gt "$size0" ] && break
    sleep 0.02
  done
  kill -INT $pid
  local rc=0
  wait $pid || rc=$?
  [ "$rc" -eq 130 ] || fail "status $rc: $(cat "$TMP/err")"
  grep -q "was written in part" "$TMP/err" || fail "$(cat "$TMP/err")"
  ! grep -q "removed" "$TMP/err"
  assert_file_exists "$TMP/kept.qcow2"
}

@test "-m takes 1 to 1024 threads: 0 and 1025 are usage errors" {
  truncate -s 1M "$TMP/s.raw"
  for m in 0 1025 -1; do
    run --separate-stderr vimg convert -m "$m" -O raw "$TMP/s.raw" "$TMP/d.raw"
    assert_failure 2
    [[ $stderr == *"-m must be between 1 and 1024"* ]] || fail "-m $m: $stderr"
    assert_file_not_exists "$TMP/d.raw"
  done
}

@test "convert -r holds the rate of data read; -q is accepted; -r 0 and -r junk are usage errors" {
  head -c 6M /dev/urandom >"$TMP/r.raw"
  start=$(date +%s%N)
  run vimg convert -q -r 3M -O qcow2 "$TMP/r.raw" "$TMP/r.qcow2"
  end=$(date +%s%N)
  assert_success
  assert_output ""
  # 6 MiB at 3 MiB/s: at least about 1.5 s (a lower bound, not a timing)
  [ $(((end - start) / 1000000)) -ge 1500 ] || fail "took $(((end - start) / 1000000)) ms"
  qemu-img compare -q -f raw "$TMP/r.raw" "$TMP/r.qcow2"
  # holes do not count: a sparse 1 GiB image at 1 MiB/s is quick
  truncate -s 1G "$TMP/sparse.raw"
  run timeout 20 "$VK_BUILDDIR/vimg" convert -r 1M -O qcow2 "$TMP/sparse.raw" "$TMP/s.qcow2"
  assert_success
  for r in 0 junk; do
    run vimg convert -r "$r" -O qcow2 "$TMP/r.raw" "$TMP/bad.qcow2"
    assert_failure 2
    [ ! -e "$TMP/bad.qcow2" ]
  done
}
