#!/usr/bin/env bats
# vctl pool-* and vol-* against the real daemon (qemu:///system) on a
# directory pool of real files, with virsh and qemu-img as the oracles;
# the pool types this machine cannot host (fs, netfs, logical, disk,
# iscsi: no spare block devices, no servers) through their XML and the
# test driver.

bats_require_minimum_version 1.5.0
load ../virt-helpers

setup_file() {
  requires virsh qemu-img xmllint
  "$VK_SRCDIR/tests/libvirtd-start.sh"
  export P=vkit-t13-pool-$$-$RANDOM
  export D=$BATS_FILE_TMPDIR/pool
}

teardown_file() {
  virsh -q -c qemu:///system pool-destroy "$P" >/dev/null 2>&1
  virsh -q -c qemu:///system pool-undefine "$P" >/dev/null 2>&1
  virsh -q -c qemu:///system pool-destroy "$P-t" >/dev/null 2>&1
  virsh -q -c qemu:///system pool-undefine "$P-x" >/dev/null 2>&1
  return 0
}

setup() {
  export LIBVIRT_DEFAULT_URI=qemu:///system
}

vpools() { virsh -q pool-list --all | awk '{print $1, $2}'; }

@test "pool-define-as --print-xml: the XML of each type; what a type lacks is exit 2" {
  run vctl pool-define-as p dir --target /srv/p --print-xml
  assert_success
  xmllint --noout - <<<"$output"
  assert_output --partial '<pool type="dir">'
  assert_output --partial '<path>/srv/p</path>'
  run vctl pool-define-as nfs1 netfs --source-host nas.example --source-path /export --target /mnt/nfs1 --source-format nfs --print-xml
  assert_success
  assert_output --partial '<host name="nas.example"/>'
  assert_output --partial '<dir path="/export"/>'
  assert_output --partial '<format type="nfs"/>'
  run vctl pool-define-as vg0 logical --source-dev /dev/sdb --print-xml
  assert_success
  assert_output --partial '<name>vg0</name>'
  assert_output --partial '<path>/dev/vg0</path>'
  run vctl pool-define-as d1 disk --source-dev /dev/sdc --source-format gpt --target /dev --print-xml
  assert_output --partial '<device path="/dev/sdc"/>'
  run vctl pool-define-as i1 iscsi --source-host san.example --source-path iqn.2026-01.example:t1 --print-xml
  assert_output --partial '<device path="iqn.2026-01.example:t1"/>'
  assert_output --partial '<path>/dev/disk/by-path</path>'
  # each XML is one libvirt accepts: define it on the test driver
  for x in "p dir --target /srv/p" "nfs1 netfs --source-host nas --source-path /e --target /mnt/x"; do
    # shellcheck disable=SC2086
    vctl pool-define-as $x --print-xml > "$BATS_TEST_TMPDIR/p.xml"
    run vctl -c test:///default pool-define "$BATS_TEST_TMPDIR/p.xml"
    assert_success
  done
  run vctl pool-define-as x netfs --target /mnt
  assert_failure 2
  assert_output "vctl: a netfs pool needs --source-host"
  run vctl pool-define-as x lvm --target /x
  assert_failure 2
  run vctl pool-define-as x dir
  assert_failure 2
  assert_output "vctl: a dir pool needs --target"
}

@test "a directory pool: define, build, start, list, info, autostart, refresh; virsh agrees" {
  run vctl pool-define-as "$P" dir --target "$D"
  assert_success
  assert_output "Pool $P defined"
  assert_line --index 0 "Pool $P defined"
  run vctl pool-define-as "$P" dir --target "$D"
  assert_failure 5
  run vctl pool-build "$P"
  assert_success
  assert [ -d "$D" ]
  run vctl pool-start "$P"
  assert_output "Pool $P started"
  run vctl pool-start "$P"
  assert_failure 5
  run vctl pool-start --idempotent "$P"
  assert_success
  assert_output "Pool $P is already active"
  run vctl pool-list
  assert_line --regexp "^ $P +active +no *$"
  run vctl pool-list --all --details --type dir
  assert_line --regexp "^ $P +running +no +yes +[0-9.]+ [KMGT]?i?B"
  run vctl pool-list --type netfs --name
  assert_output ""
  run vctl pool-list --json
  assert_equal "$(json_get "[p['target'] for p in j if p['name'] == '$P'][0]" <<<"$output")" "$D"
  assert_equal "$(json_get "[p['capacity'] > 0 for p in j if p['name'] == '$P'][0]" <<<"$output")" true
  run vctl pool-info "$P"
  assert_line --regexp "^State: +running$"
  assert_line --regexp "^Target: +$D$"
  run vctl pool-info --json "$(virsh -q pool-uuid "$P")"
  assert_equal "$(json_get 'j["name"]' <<<"$output")" "$P"
  run vctl pool-uuid "$P"
  assert_output "$(virsh -q pool-uuid "$P")"
  run vctl pool-name "$(virsh -q pool-uuid "$P")"
  assert_output "$P"
  run vctl pool-uuid nosuch-pool
  assert_failure 3
  run vctl pool-autostart "$P"
  assert_output "Pool $P marked as autostarted"
  run virsh -q pool-info "$P"
  assert_line --regexp "^Autostart: +yes"
  run vctl pool-autostart --disable "$P"
  assert_success
  : > "$D/dropped-in.img"
  run vctl pool-refresh "$P"
  assert_success
  run vctl vol-list --name "$P"
  assert_line dropped-in.img
  run vctl pool-dumpxml "$P"
  xmllint --noout - <<<"$output"
  assert_output --partial "<path>$D</path>"
  rm -f "$D/dropped-in.img"
  vctl pool-refresh "$P" >/dev/null
}

@test "vol-create-as: the engine makes raw, qcow2, vmdk, vpc and vdi files (options, backing); qemu-img and libvirt agree" {
  run vctl vol-create-as "$P" a.qcow2 1G --format qcow2 -o cluster_size=4k
  assert_success
  assert_output "Vol a.qcow2 created"
  run qemu-img info --output=json "$D/a.qcow2"
  assert_equal "$(json_get 'j["cluster-size"]' <<<"$output")" 4096
  assert_equal "$(json_get 'j["virtual-size"]' <<<"$output")" $((1 << 30))
  qemu-img check -q "$D/a.qcow2"
  run vctl vol-create-as "$P" top.qcow2 0 --format qcow2 --backing-vol a.qcow2 --backing-vol-format qcow2
  assert_success
  run qemu-img info --output=json "$D/top.qcow2"
  assert_equal "$(json_get 'j["backing-filename"]' <<<"$output")" "$D/a.qcow2"
  assert_equal "$(json_get 'j["virtual-size"]' <<<"$output")" $((1 << 30))
  run vctl vol-create-as "$P" r.img 16M
  assert_success
  assert_equal "$(stat -c %s "$D/r.img")" $((16 << 20))
  assert_equal "$(du -k "$D/r.img" | cut -f1)" 0
  run vctl vol-create-as "$P" m.qcow2 64M --format qcow2 --prealloc-metadata
  assert_success
  assert_equal "$(qemu-img info --output=json "$D/m.qcow2" | json_get 'j["actual-size"] > 65536')" true
  run vctl vol-list --details "$P"
  assert_line --regexp "^ a.qcow2 +$D/a.qcow2 +file +1 GiB +"
  run virsh -q vol-list "$P"
  assert_line --regexp "^ *top.qcow2 +$D/top.qcow2"
  # refused: a name taken, a bad name, a bad size, an inactive pool
  run vctl vol-create-as "$P" a.qcow2 1G
  assert_failure 5
  assert_output "vctl: volume 'a.qcow2' exists in pool '$P'"
  run vctl vol-create-as "$P" "a/b" 1G
  assert_failure 2
  run vctl vol-create-as "$P" c.img lots
  assert_failure 2
  run vctl vol-create-as "$P" c.img 1G -o cluster_size=3k --format qcow2
  assert_failure 2
  assert_file_not_exists "$D/c.img"
  # the other formats the engine writes, with their options; libvirt and
  # qemu-img see each one's format
  local f o
  for f in vmdk:subformat=streamOptimized vpc:force_size=on vdi:static=on; do
    o=${f#*:} f=${f%%:*}
    run vctl vol-create-as "$P" "d.$f" 16M --format "$f" -o "$o"
    assert_success
    assert_equal "$(qemu-img info --output=json "$D/d.$f" | json_get 'j["format"]')" "$f"
    run virsh -q vol-dumpxml --pool "$P" "d.$f"
    assert_output --partial "<format type='$f'/>"
    run vctl vol-delete --pool "$P" "d.$f"
    assert_success
    assert_file_not_exists "$D/d.$f"
  done
  run --separate-stderr vctl vol-create-as "$P" d.qed 16M --format qed
  assert_failure 2
  [[ $stderr == *"vkit does not create qed images"* ]] || fail "$stderr"
  run --separate-stderr vctl vol-create-as "$P" d.vhdx 16M --format vhdx
  assert_failure 2
  [[ $stderr == *"libvirt does not know vhdx volumes"* ]] || fail "$stderr"
  assert_file_not_exists "$D/d.vhdx"
  run vctl vol-create-as "$P" d2.vpc 16M --format vpc -o cluster_size=4k
  assert_failure 2
  assert_file_not_exists "$D/d.qed"
  assert_file_not_exists "$D/d2.vpc"
}

@test "vol-info, vol-path, vol-key, vol-name, vol-pool, vol-dumpxml; a volume by path; one that is not there is 3" {
  run vctl vol-info --pool "$P" a.qcow2
  assert_success
  assert_line --regexp "^Format: +qcow2$"
  assert_line --regexp "^Capacity: +1 GiB$"
  run vctl vol-info --json "$D/a.qcow2"
  assert_equal "$(json_get 'j["capacity"]' <<<"$output")" $((1 << 30))
  assert_equal "$(json_get 'j["format"]' <<<"$output")" qcow2
  run vctl vol-path --pool "$P" a.qcow2
  assert_output "$D/a.qcow2"
  run vctl vol-key --pool "$P" a.qcow2
  assert_output "$(virsh -q vol-key --pool "$P" a.qcow2)"
  run vctl vol-name "$D/a.qcow2"
  assert_output a.qcow2
  run vctl vol-pool "$D/a.qcow2"
  assert_output "$P"
  run vctl vol-pool --uuid "$(virsh -q vol-key --pool "$P" a.qcow2)"
  assert_output "$(virsh -q vol-pool --uuid "$D/a.qcow2")"
  run vctl vol-pool "$D/nosuch.qcow2"
  assert_failure 3
  run vctl vol-dumpxml --pool "$P" a.qcow2
  assert_output --partial "<format type='qcow2'/>"
  run vctl vol-info --pool "$P" nosuch
  assert_failure 3
  run vctl vol-info nosuch
  assert_failure 3
  run vctl vol-list nosuch-pool
  assert_failure 3
}

@test "vol-resize: grows, shrinks only with --shrink, by the engine; qemu-img sees it" {
  run vctl vol-resize --pool "$P" a.qcow2 +1G
  assert_success
  assert_equal "$(qemu-img info --output=json "$D/a.qcow2" | json_get 'j["virtual-size"]')" $((2 << 30))
  run vctl vol-resize --pool "$P" a.qcow2 1G
  assert_failure 2
  run vctl vol-resize --pool "$P" a.qcow2 -- -512M
  assert_failure 2
  assert_output --partial "use --shrink"
  run vctl vol-resize --pool "$P" --shrink a.qcow2 -- -512M
  assert_success
  assert_equal "$(qemu-img info --output=json "$D/a.qcow2" | json_get 'j["virtual-size"]')" $((1536 << 20))
  run vctl vol-resize --pool "$P" --delta a.qcow2 512M
  assert_success
  assert_equal "$(vctl vol-info --json --pool "$P" a.qcow2 | json_get 'j["capacity"]')" $((2 << 30))
  run vctl vol-resize --pool "$P" r.img 32M
  assert_equal "$(stat -c %s "$D/r.img")" $((32 << 20))
  qemu-img check -q "$D/a.qcow2"
}

@test "vol-upload and vol-download: sparse both ways; vol-wipe zeroes" {
  local src=$BATS_TEST_TMPDIR/src dl=$BATS_TEST_TMPDIR/dl
  truncate -s 32M "$src"
  dd if=/dev/urandom of="$src" bs=1M count=2 seek=8 conv=notrunc status=none
  run vctl vol-upload --pool "$P" r.img "$src"
  assert_success
  cmp "$src" "$D/r.img"
  assert_equal "$(du -k "$D/r.img" | cut -f1)" 2048
  run vctl vol-download --pool "$P" r.img "$dl"
  assert_success
  cmp "$src" "$dl"
  assert_equal "$(du -k "$dl" | cut -f1)" 2048
  run vctl vol-download --pool "$P" r.img "$dl"
  assert_failure 5
  run vctl vol-upload --pool "$P" r.img "$BATS_TEST_TMPDIR/none"
  assert_failure 3
  run vctl vol-wipe --pool "$P" r.img
  assert_success
  cmp "$D/r.img" <(head -c $((32 << 20)) /dev/zero)
}

@test "vol-clone, vol-create, vol-create-from: copies by the engine; qemu-img compare" {
  qemu-io -f qcow2 -c "write -P 0x5c 1M 3M" "$D/a.qcow2" >/dev/null
  run vctl vol-clone --pool "$P" a.qcow2 b.qcow2
  assert_success
  assert_output "Vol b.qcow2 cloned from a.qcow2"
  qemu-img compare -q "$D/a.qcow2" "$D/b.qcow2"
  qemu-img check -q "$D/b.qcow2"
  run vctl vol-clone --pool "$P" a.qcow2 b.qcow2
  assert_failure 5
  cat > "$BATS_TEST_TMPDIR/v.xml" <<'XML'
<volume><name>x.qcow2</name><capacity unit='MiB'>64</capacity><target><format type='qcow2'/></target></volume>
XML
  run vctl vol-create "$P" "$BATS_TEST_TMPDIR/v.xml"
  assert_success
  assert_equal "$(qemu-img info --output=json "$D/x.qcow2" | json_get 'j["virtual-size"]')" $((64 << 20))
  sed 's/x.qcow2/flat.img/; s/qcow2/raw/' "$BATS_TEST_TMPDIR/v.xml" > "$BATS_TEST_TMPDIR/flat.xml"
  run vctl vol-create-from "$P" "$BATS_TEST_TMPDIR/flat.xml" a.qcow2
  assert_success
  assert_equal "$(qemu-img info --output=json "$D/flat.img" | json_get 'j["format"]')" raw
  qemu-img compare -q -f qcow2 -F raw "$D/a.qcow2" "$D/flat.img"
  run vctl vol-list --json "$P"
  assert_equal "$(json_get "[v['format'] for v in j if v['name'] == 'flat.img'][0]" <<<"$output")" raw
}

@test "vol-delete, pool-destroy, pool-delete, pool-undefine; a transient pool from options and XML" {
  for v in a.qcow2 top.qcow2 r.img m.qcow2 b.qcow2 x.qcow2 flat.img; do
    run vctl vol-delete --pool "$P" "$v"
    assert_success
  done
  assert_file_not_exists "$D/a.qcow2"
  run vctl pool-delete "$P"
  assert_failure 5
  run vctl pool-destroy "$P"
  assert_output "Pool $P destroyed"
  run vctl pool-destroy "$P"
  assert_failure 5
  run vctl pool-destroy --idempotent "$P"
  assert_success
  run vctl pool-delete "$P"
  assert_success
  assert [ ! -e "$D" ]
  run vctl pool-undefine "$P"
  assert_output "Pool $P has been undefined"
  run vctl pool-info "$P"
  assert_failure 3
  run vctl pool-create-as "$P-t" dir --target "$D-t" --build
  assert_success
  assert_equal "$(vpools | grep "^$P-t ")" "$P-t active"
  run vctl pool-destroy "$P-t"
  assert_success
  run vctl pool-info "$P-t"
  assert_failure 3
  vctl pool-define-as "$P-x" dir --target "$D-x" --print-xml > "$BATS_TEST_TMPDIR/x.xml"
  run vctl pool-define "$BATS_TEST_TMPDIR/x.xml"
  assert_output "Pool $P-x defined from $BATS_TEST_TMPDIR/x.xml"
  run vctl pool-undefine "$P-x"
  assert_success
  run vctl pool-capabilities
  assert_output --partial "<pool type='dir' supported='yes'>"
}

@test "pools on the test driver: list, info, volumes through libvirt (no local directory)" {
  run vctl -c test:///default pool-list --all --json
  assert_success
  assert_equal "$(json_get '[p["name"] for p in j]' <<<"$output")" '["default-pool"]'
  run vctl -c test:///default pool-info default-pool
  assert_line --regexp "^Type: +dir$"
  # its target is not a directory here: libvirt's backend makes the volume
  run vctl -c test:///default vol-create-as default-pool t1.img 1M
  assert_success
  assert_file_not_exists /default-pool/t1.img
}
