#!/usr/bin/env bats
# vclone against libvirt's test driver: a node file with a shut-off
# original whose disks are real files (copies are real), plus the
# built-in test:///default for the running-original case.

load ../helpers
load ../clone-helpers

bats_require_minimum_version 1.5.0

setup() {
  requires virt-xml-validate xmllint qemu-img qemu-io
  D=$BATS_TEST_TMPDIR
  make_node "$D"
  NODE="test://$D/node.xml"
}

@test "vclone --version names the tool and the package" {
  run vclone --version
  assert_success
  assert_output --regexp '^vclone \(vkit\) [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "vclone --help prints usage on stdout" {
  run vclone --help
  assert_success
  assert_line --partial "Usage: vclone"
}

@test "vclone with an unknown option exits 2 with a one-line hint" {
  run --separate-stderr vclone --no-such-option
  assert_failure 2
  assert_output ""
  [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
  [[ "$stderr" == *"--no-such-option"*"try 'vclone --help'"* ]]
}

@test "--print-xml --name: new name, UUID and MACs; writable disks get derived paths, the rest stay shared" {
  clone_xml -o orig -n web2
  [ "$(xq /domain/name)" = web2 ]
  uuid=$(xq /domain/uuid)
  [[ "$uuid" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]
  [ "$(xq "/domain/devices/disk[target/@dev='vda']/source/@file")" = "$D/web2.img" ]
  [ "$(xq "/domain/devices/disk[target/@dev='vdb']/source/@file")" = "$D/data-clone.qcow2" ]
  [ "$(xq "/domain/devices/disk[target/@dev='vdb']/driver/@type")" = qcow2 ]
  [ "$(xq "/domain/devices/disk[target/@dev='sda']/source/@file")" = "$D/cd.iso" ]
  [ "$(xq "/domain/devices/disk[target/@dev='vdc']/source/@file")" = "$D/ro.img" ]
  m1=$(xq "/domain/devices/interface[1]/mac/@address")
  m2=$(xq "/domain/devices/interface[2]/mac/@address")
  [[ "$m1" =~ ^52:54:00:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$ ]]
  [[ "$m2" =~ ^52:54:00: ]]
  [ "$m1" != 52:54:00:aa:00:01 ] && [ "$m1" != "$m2" ]
  # what belongs to the original alone is gone
  [ "$(xq "count(/domain/title)")" = 0 ]
  [ "$(xq "count(/domain/devices/interface/target)")" = 0 ]
  [ "$(xq "/domain/devices/graphics/@port")" = -1 ]
  # nothing was created
  [ -z "$(leftovers "$D")" ]
  [ ! -e "$D/web2.img" ]
}

@test "--dry-run prints the same XML as --print-xml; --original-xml clones from a file" {
  virsh -c "$NODE" dumpxml --inactive orig >"$D/orig.xml"
  run --separate-stderr vclone -c "$NODE" --original-xml "$D/orig.xml" -n fx --dry-run \
    -u 11111111-2222-4333-8444-555555555555 -m 52:54:00:00:00:0a -m 52:54:00:00:00:0b
  assert_success
  printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/dom.xml"
  [ "$(xq /domain/name)" = fx ]
  [ "$(xq "/domain/devices/disk[target/@dev='vda']/source/@file")" = "$D/fx.img" ]
  dry=$output
  run --separate-stderr vclone -c "$NODE" --original-xml "$D/orig.xml" -n fx --print-xml \
    -u 11111111-2222-4333-8444-555555555555 -m 52:54:00:00:00:0a -m 52:54:00:00:00:0b
  assert_success
  [ "$output" = "$dry" ]
  [ -z "$(leftovers "$D")" ]
}

@test "-p draws nothing when stderr is not a terminal; -q prints nothing" {
  run --separate-stderr vclone -c "$NODE" -o orig -n pq -p -q
  assert_success
  assert_output ""
  [ -z "$stderr" ]
  cmp "$D/orig.img" "$D/pq.img"
}

@test "the text report names the clone and each disk" {
  run --separate-stderr vclone -c "$NODE" -o orig -n rep --skip-copy vdb
  assert_success
  assert_line --index 0 "Clone 'rep' created successfully."
  assert_line --regexp "^  vda +copy +$D/rep.img$"
  assert_line --regexp "^  vdb +skipped +$D/data.qcow2$"
}

@test "--print-xml: two runs give two different UUIDs and MACs" {
  clone_xml -o orig -n a
  u1=$(xq /domain/uuid) m1=$(xq "/domain/devices/interface[1]/mac/@address")
  clone_xml -o orig -n a
  [ "$u1" != "$(xq /domain/uuid)" ]
  [ "$m1" != "$(xq "/domain/devices/interface[1]/mac/@address")" ]
}

@test "--auto-clone: ORIG-clone is taken, so ORIG-clone1; paths from the new name" {
  clone_xml -o orig --auto-clone
  [ "$(xq /domain/name)" = orig-clone1 ]
  [ "$(xq "/domain/devices/disk[target/@dev='vda']/source/@file")" = "$D/orig-clone1.img" ]
  [ "$(xq "/domain/devices/disk[target/@dev='vdb']/source/@file")" = "$D/data-clone.qcow2" ]
}

@test "--auto-clone: a derived path that exists gets -1" {
  touch "$D/data-clone.qcow2"
  clone_xml -o orig --auto-clone
  [ "$(xq "/domain/devices/disk[target/@dev='vdb']/source/@file")" = "$D/data-clone-1.qcow2" ]
}

@test "--file: one path per copied disk, in order (relative paths made absolute)" {
  mkdir "$D/sub"
  cd "$D"
  clone_xml -o orig -n f -f sub/one.img -f "$D/sub/two.qcow2"
  [ "$(xq "/domain/devices/disk[target/@dev='vda']/source/@file")" = "$D/sub/one.img" ]
  [ "$(xq "/domain/devices/disk[target/@dev='vdb']/source/@file")" = "$D/sub/two.qcow2" ]
}

@test "--skip-copy vdb keeps that disk shared" {
  clone_xml -o orig -n s --skip-copy vdb -f "$D/only.img"
  [ "$(xq "/domain/devices/disk[target/@dev='vda']/source/@file")" = "$D/only.img" ]
  [ "$(xq "/domain/devices/disk[target/@dev='vdb']/source/@file")" = "$D/data.qcow2" ]
}

@test "--force-copy vdc copies a read-only disk" {
  clone_xml -o orig -n fc --force-copy vdc
  [ "$(xq "/domain/devices/disk[target/@dev='vdc']/source/@file")" = "$D/ro-clone.img" ]
}

@test "--mac given for the first interface, RANDOM for the second; --uuid given" {
  clone_xml -o orig -n m -m 52:54:00:AB:CD:EF -m RANDOM -u 11111111-2222-4333-8444-555555555555
  [ "$(xq "/domain/devices/interface[1]/mac/@address")" = 52:54:00:ab:cd:ef ]
  [[ "$(xq "/domain/devices/interface[2]/mac/@address")" =~ ^52:54:00: ]]
  [ "$(xq /domain/uuid)" = 11111111-2222-4333-8444-555555555555 ]
}

@test "a new disk path that is another domain's disk under another name (symbolic link, ..) is refused (exit 5)" {
  ln -s "$D" "$D/link"
  mkdir "$D/sub"
  local p
  for p in "$D/link/busy.img" "$D/sub/../busy.img"; do
    run --separate-stderr vclone -c "$NODE" -o orig -n n -f "$p" -f "$D/n2.qcow2" --print-xml
    assert_failure 5
    [[ "$stderr" == *"is a disk of domain 'busy'"* ]] || fail "$p: $stderr"
  done
  # the original's own disk under another name: refused too (usage)
  run --separate-stderr vclone -c "$NODE" -o orig -n n -f "$D/link/orig.img" -f "$D/n2.qcow2" --print-xml
  assert_failure 2
  [[ "$stderr" == *"is the original's disk vda"* ]] || fail "$stderr"
}

@test "a MAC address another domain uses is refused (exit 5)" {
  run --separate-stderr vclone -c "$NODE" -o orig -n m -m 52:54:00:00:00:01 --print-xml
  assert_failure 5
  [[ "$stderr" == *"52:54:00:00:00:01 is used by domain 'busy'"* ]]
}

@test "a name with quotes, <, & and spaces reaches the XML escaped" {
  name="a'b \"c\" <d> & e"
  clone_xml -o orig -n "$name"
  [ "$(xq /domain/name)" = "$name" ]
  [ "$(xq "/domain/devices/disk[target/@dev='vda']/source/@file")" = "$D/$name.img" ]
}

@test "usage errors exit 2 with one line: no original, no name, bad MAC, two originals, --file count" {
  local args
  for args in "-n x" "-o orig" "-o orig -n x -m 52:54:00:zz:00:01" "-o orig -n x -m 01:00:00:00:00:01" \
    "-o orig --original-xml $D/node.xml -n x" "-o orig -o busy -n x" \
    "-o orig -n x -f $D/1 -f $D/2 -f $D/3" "-o orig -n x -f $D/1" \
    "-o orig -n x --skip-copy vdz" "-o orig -n x -u not-a-uuid" "-o orig -n x --linked --reflink" \
    "-o orig -n x --check nothing=off"; do
    # shellcheck disable=SC2086
    run --separate-stderr vclone -c "$NODE" $args --print-xml
    [ "$status" -eq 2 ] || fail "vclone $args: exit $status, want 2 ($stderr)"
    assert_output ""
    [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] || fail "vclone $args: $stderr"
    [[ "$stderr" == vclone:* ]]
  done
}

@test "a disk of a format vkit does not read (vmdk, qed) is refused by name; --skip-copy keeps it shared" {
  local fmt
  qemu-img create -q -f vmdk "$D/v.vmdk" 1M
  for fmt in vmdk qed; do
    virsh -c "$NODE" dumpxml --inactive orig | python3 -c '
import sys, xml.etree.ElementTree as ET
dom = ET.parse(sys.stdin)
vda = [d for d in dom.iter("disk") if d.find("target").get("dev") == "vda"][0]
vda.find("driver").set("type", sys.argv[1])
vda.find("source").set("file", sys.argv[2])
dom.write(sys.stdout, encoding="unicode")
' "$fmt" "$D/v.vmdk" >"$D/fmt.xml"
    run --separate-stderr vclone -c "$NODE" --original-xml "$D/fmt.xml" -n fx --print-xml
    [ "$status" -eq 2 ] || fail "$fmt: exit $status ($stderr)"
    assert_output ""
    [[ "$stderr" == *"disk vda has format '$fmt', which vclone cannot copy"* ]] || fail "$fmt: $stderr"
    run --separate-stderr vclone -c "$NODE" --original-xml "$D/fmt.xml" -n fx --print-xml --skip-copy vda
    assert_success
  done
  [ -z "$(leftovers "$D")" ]
}

@test "an unknown original exits 3" {
  run --separate-stderr vclone -c "$NODE" -o nosuch -n x --print-xml
  assert_failure 3
  [[ "$stderr" == *nosuch* ]]
}

@test "a running original exits 5 and says to shut it down (test:///default)" {
  run --separate-stderr vclone -c test:///default -o test -n x --print-xml
  assert_failure 5
  assert_output ""
  [[ "$stderr" == "vclone: domain 'test' is running: shut it down before cloning it" ]]
}

@test "a taken name exits 5 unless --replace; --replace refuses a running domain" {
  run --separate-stderr vclone -c "$NODE" -o orig -n orig-clone --print-xml
  assert_failure 5
  [[ "$stderr" == *"'orig-clone' already exists"* ]]
  clone_xml -o orig -n orig-clone --replace
  [ "$(xq /domain/name)" = orig-clone ]
  run --separate-stderr vclone -c "$NODE" -o orig -n busy --replace --print-xml
  assert_failure 5
  [[ "$stderr" == *"running"* ]]
}

@test "a target file that exists is refused; path_exists=off allows it" {
  touch "$D/t.img"
  run --separate-stderr vclone -c "$NODE" -o orig -n t -f "$D/t.img" --skip-copy vdb --print-xml
  assert_failure 1
  [[ "$stderr" == *"'$D/t.img' already exists"* ]]
  clone_xml -o orig -n t -f "$D/t.img" --skip-copy vdb --check path_exists=off
}

@test "a clone: raw copy stays sparse and equal, qcow2 copy keeps its creation options; JSON report" {
  run --separate-stderr vclone -c "$NODE" -o orig -n web2 --json
  assert_success
  j=$output
  [ "$(json_get 'j["name"]' <<<"$j")" = web2 ]
  [ "$(json_get 'j["original"]' <<<"$j")" = orig ]
  [ "$(json_get '[d["how"] for d in j["disks"]]' <<<"$j")" = '["copy", "copy", "shared", "shared"]' ]
  [ "$(json_get 'j["disks"][0]["path"]' <<<"$j")" = "$D/web2.img" ]
  [ "$(json_get 'j["disks"][0]["size"]' <<<"$j")" = 4194304 ]
  [ "$(json_get 'j["disks"][1]["format"]' <<<"$j")" = qcow2 ]
  [ "$(json_get 'len(j["macs"])' <<<"$j")" = 2 ]
  cmp "$D/orig.img" "$D/web2.img"
  # sparse: 1 MiB of data in a 4 MiB file
  [ "$(stat -c %b "$D/web2.img")" -le 2100 ]
  qemu-img check -q "$D/data-clone.qcow2"
  qemu-img compare -q "$D/data.qcow2" "$D/data-clone.qcow2"
  run qemu-img info --output=json "$D/data-clone.qcow2"
  [ "$(json_get 'j["cluster-size"]' <<<"$output")" = 4096 ]
  [ "$(json_get 'j["format-specific"]["data"]["compression-type"]' <<<"$output")" = zstd ]
  [ -z "$(find "$D" -name '.*.vclone-*')" ]
}

@test "qcow2 creation options are kept: compat 0.10; extended L2, lazy refcounts, 8-bit refcounts" {
  vimg create -f qcow2 -o compat=0.10,cluster_size=128k "$D/v2.qcow2" 8M
  vimg create -f qcow2 -o extended_l2=on,lazy_refcounts=on,refcount_bits=8 "$D/v3.qcow2" 8M
  qemu-io -f qcow2 -c "write -P 0x33 1M 300k" "$D/v2.qcow2" >/dev/null
  qemu-io -f qcow2 -c "write -P 0x44 3M 100k" "$D/v3.qcow2" >/dev/null
  sed "s|$D/orig.img|$D/v2.qcow2|; s|'raw'/><source file='$D/v2.qcow2'|'qcow2'/><source file='$D/v2.qcow2'|; s|$D/data.qcow2|$D/v3.qcow2|" \
    "$D/node.xml" >"$D/node4.xml"
  run --separate-stderr vclone -c "test://$D/node4.xml" -o orig -n o -f "$D/c2.qcow2" -f "$D/c3.qcow2"
  assert_success
  run qemu-img info --output=json "$D/c2.qcow2"
  [ "$(json_get 'j["format-specific"]["data"]["compat"]' <<<"$output")" = 0.10 ]
  [ "$(json_get 'j["cluster-size"]' <<<"$output")" = 131072 ]
  run qemu-img info --output=json "$D/c3.qcow2"
  [ "$(json_get 'j["format-specific"]["data"]["extended-l2"]' <<<"$output")" = true ]
  [ "$(json_get 'j["format-specific"]["data"]["lazy-refcounts"]' <<<"$output")" = true ]
  [ "$(json_get 'j["format-specific"]["data"]["refcount-bits"]' <<<"$output")" = 8 ]
  for n in 2 3; do
    qemu-img check -q "$D/c$n.qcow2"
    qemu-img compare -q "$D/v$n.qcow2" "$D/c$n.qcow2"
  done
}

@test "a qcow2 disk with a backing file keeps its backing reference" {
  vimg create -f qcow2 -b "$D/data.qcow2" -F qcow2 "$D/top.qcow2"
  qemu-io -f qcow2 -c "write -P 0x11 0 64k" "$D/top.qcow2" >/dev/null
  sed "s|$D/data.qcow2|$D/top.qcow2|" "$D/node.xml" >"$D/node2.xml"
  mkdir "$D/other"
  run --separate-stderr vclone -c "test://$D/node2.xml" -o orig -n b -f "$D/b.img" -f "$D/other/top.qcow2"
  assert_success
  run qemu-img info --output=json "$D/other/top.qcow2"
  [ "$(json_get 'j["full-backing-filename"]' <<<"$output")" = "$D/data.qcow2" ]
  qemu-img compare -q "$D/top.qcow2" "$D/other/top.qcow2"
  qemu-img check -q "$D/other/top.qcow2"
}

@test "a relative backing reference stays relative next to the original, and is resolved elsewhere" {
  (cd "$D" && vimg create -f qcow2 -b data.qcow2 -F qcow2 rel.qcow2)
  qemu-io -f qcow2 -c "write -P 0x22 64k 64k" "$D/rel.qcow2" >/dev/null
  sed "s|$D/data.qcow2|$D/rel.qcow2|" "$D/node.xml" >"$D/node5.xml"
  mkdir "$D/far"
  run --separate-stderr vclone -c "test://$D/node5.xml" -o orig -n r -f "$D/r.img" -f "$D/rel-copy.qcow2"
  assert_success
  run qemu-img info --output=json "$D/rel-copy.qcow2"
  [ "$(json_get 'j["backing-filename"]' <<<"$output")" = data.qcow2 ]
  run --separate-stderr vclone -c "test://$D/node5.xml" -o orig -n r2 -f "$D/r2.img" -f "$D/far/rel.qcow2"
  assert_success
  run qemu-img info --output=json "$D/far/rel.qcow2"
  [ "$(json_get 'j["backing-filename"]' <<<"$output")" = "$D/data.qcow2" ]
  qemu-img compare -q "$D/rel.qcow2" "$D/far/rel.qcow2"
}

@test "--linked: qcow2 overlays backed by the original's disks" {
  run --separate-stderr vclone -c "$NODE" -o orig -n l --linked --json
  assert_success
  [ "$(json_get '[d["how"] for d in j["disks"]][:2]' <<<"$output")" = '["linked", "linked"]' ]
  [ "$(json_get 'j["disks"][0]["format"]' <<<"$output")" = qcow2 ]
  run qemu-img info --output=json "$D/l.img"
  [ "$(json_get 'j["format"]' <<<"$output")" = qcow2 ]
  [ "$(json_get 'j["backing-filename"]' <<<"$output")" = "$D/orig.img" ]
  [ "$(json_get 'j["backing-filename-format"]' <<<"$output")" = raw ]
  qemu-img compare -q -f raw -F qcow2 "$D/orig.img" "$D/l.img"
}

@test "--nonsparse allocates the raw copy fully" {
  run vclone -c "$NODE" -o orig -n ns --nonsparse --skip-copy vdb
  assert_success
  [ "$(stat -c %b "$D/ns.img")" -ge 8192 ]
  cmp "$D/orig.img" "$D/ns.img"
}

@test "--preserve-data uses existing files and copies nothing" {
  truncate -s 1M "$D/keep1.img" "$D/keep2.qcow2"
  run vclone -c "$NODE" -o orig -n p --preserve-data -f "$D/keep1.img" -f "$D/keep2.qcow2" --json
  assert_success
  [ "$(json_get '[d["how"] for d in j["disks"]][:2]' <<<"$output")" = '["preserved", "preserved"]' ]
  [ "$(stat -c %s "$D/keep1.img")" = 1048576 ]
  run --separate-stderr vclone -c "$NODE" -o orig -n p --preserve-data -f "$D/missing.img" -f "$D/keep2.qcow2"
  assert_failure 3
}

@test "--reflink on a filesystem without reflinks fails with one line and leaves nothing" {
  run --separate-stderr vclone -c "$NODE" -o orig -n r --reflink
  if [ "$status" -eq 0 ]; then
    # a filesystem with reflinks (btrfs, XFS): the copies are equal
    cmp "$D/orig.img" "$D/r.img"
    return 0
  fi
  assert_failure 1
  [[ "$stderr" == *"does not support reflinks"* ]]
  [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
  [ -z "$(leftovers "$D")" ]
}

@test "a disk another process writes is refused by the image locks (exit 5)" {
  qemu-img create -q -f raw "$D/locked.img" 1M
  mkfifo "$D/fifo"
  # qemu-io keeps the image open for writing (QEMU's locks) until its input ends
  qemu-io -f raw "$D/locked.img" <"$D/fifo" >/dev/null 2>&1 &
  qpid=$!
  exec 8>"$D/fifo"
  # until its lock is there (vimg info then refuses the image)
  for _ in $(seq 200); do vimg info "$D/locked.img" >/dev/null 2>&1 || break; sleep 0.05; done
  sed "s|$D/orig.img|$D/locked.img|" "$D/node.xml" >"$D/node3.xml"
  run --separate-stderr vclone -c "test://$D/node3.xml" -o orig -n lk
  exec 8>&-
  wait "$qpid" || true
  assert_failure 5
  [[ "$stderr" == *"disk vda"* ]]
  [ -z "$(leftovers "$D")" ]
}
