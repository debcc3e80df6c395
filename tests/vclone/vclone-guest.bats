#!/usr/bin/env bats
# vclone with real guests on the real daemon (qemu:///system, TCG): the
# boot-sector guest on a qcow2 made by vimg is cloned and the clone boots;
# linked clones, UEFI guests, and failures that must leave nothing behind.

load ../helpers
load ../clone-helpers

bats_require_minimum_version 1.5.0

URI=qemu:///system

setup_file() {
  "$VK_SRCDIR/tests/libvirtd-start.sh" >&2
  export P="vkit-t8-$$-"
  export T8_DIR="$BATS_FILE_TMPDIR"
  "$VK_SRCDIR/tests/fixtures/make-bootsector.sh" "$T8_DIR/bs.raw"
  truncate -s 1M "$T8_DIR/bs.raw"
  "$VK_BUILDDIR/vimg" create -f qcow2 "$T8_DIR/bs.qcow2" 1M
  "$VK_BUILDDIR/tests/unit/test-install-put" "$T8_DIR/bs.qcow2" qcow2 "$T8_DIR/bs.raw"
}

setup() {
  requires virsh qemu-img qemu-system-x86_64
  D=$BATS_TEST_TMPDIR
  cleanup_t8
}

teardown() {
  cleanup_t8
  virsh -c "$URI" pool-destroy "${P}pool" >/dev/null 2>&1 || true
  virsh -c "$URI" pool-undefine "${P}pool" >/dev/null 2>&1 || true
  if mountpoint -q "$D/small" 2>/dev/null; then umount "$D/small"; fi
  rm -f /var/log/libvirt/qemu/"$P"*.log
}

# Remove the domains this run made (and their NVRAM files).
cleanup_t8() {
  local d
  while IFS= read -r d; do
    [ -n "$d" ] || continue
    virsh -c "$URI" destroy "$d" >/dev/null 2>&1 || true
    virsh -c "$URI" undefine --nvram "$d" >/dev/null 2>&1 || true
  done < <(virsh -c "$URI" list --all --name 2>/dev/null | grep -F "$P" || true)
}

state() {
  virsh -c "$URI" domstate "$1" 2>/dev/null | head -n 1
}

# wait_off NAME: until the guest has powered itself off (at most 2 min).
wait_off() {
  local i
  for ((i = 0; i < 1200; i++)); do
    [ "$(state "$1")" = "shut off" ] && return 0
    sleep 0.1
  done
  echo "$1 did not power off" >&2
  return 1
}

# define_guest NAME DISK [FORMAT]: define the boot-sector guest on DISK
# (default raw), its serial console in $D/NAME.log, without starting it.
define_guest() {
  vinstall -c "$URI" --name "$1" --virt-type qemu --memory 64 --import \
    --disk "$2,format=${3:-raw}" --network none --console "file=$D/$1.log" \
    --print-xml >"$D/$1.xml"
  virsh -c "$URI" define "$D/$1.xml" >/dev/null
}

# my_domains: the domains of this run that exist.
my_domains() {
  virsh -c "$URI" list --all --name | grep -F "$P" || true
}

@test "clone the boot-sector guest: the clone boots, its disk checks clean and equals the original's, the original is untouched" {
  cp "$T8_DIR/bs.qcow2" "$D/orig.qcow2"
  define_guest "${P}o" "$D/orig.qcow2" qcow2
  virsh -c "$URI" dumpxml --inactive "${P}o" | sha256sum >"$D/xml.before"
  sha256sum <"$D/orig.qcow2" >"$D/disk.before"
  run --separate-stderr vclone -c "$URI" -o "${P}o" -n "${P}c" --json
  assert_success
  [ "$(json_get 'j["disks"][0]["how"]' <<<"$output")" = copy ]
  [ "$(json_get 'j["disks"][0]["path"]' <<<"$output")" = "$D/orig-clone.qcow2" ]
  qemu-img check -q "$D/orig-clone.qcow2"
  qemu-img compare -q "$D/orig.qcow2" "$D/orig-clone.qcow2"
  # the original is unchanged
  virsh -c "$URI" dumpxml --inactive "${P}o" | sha256sum | cmp - "$D/xml.before"
  sha256sum <"$D/orig.qcow2" | cmp - "$D/disk.before"
  # the clone has its own identity and boots from its own disk
  run virsh -c "$URI" dumpxml --inactive "${P}c"
  assert_output --partial "$D/orig-clone.qcow2"
  refute_output --partial "$D/orig.qcow2'"
  [ "$(virsh -c "$URI" domuuid "${P}c")" != "$(virsh -c "$URI" domuuid "${P}o")" ]
    [ ! -e "$D/${P}o.log" ]
  run vctl -c "$URI" start "${P}c"
  assert_success
  wait_off "${P}c"
  grep -q VKIT-GUEST-BOOTED "$D/${P}o.log"
  qemu-img check -q "$D/orig-clone.qcow2"
}

@test "--linked: the clone's disk is an overlay on the original's, and boots" {
  cp "$T8_DIR/bs.qcow2" "$D/orig.qcow2"
  define_guest "${P}o" "$D/orig.qcow2" qcow2
  run --separate-stderr vclone -c "$URI" -o "${P}o" -n "${P}l" --linked -f "$D/linked.qcow2" --json
  assert_success
  [ "$(json_get 'j["disks"][0]["how"]' <<<"$output")" = linked ]
  run qemu-img info --output=json "$D/linked.qcow2"
  [ "$(json_get 'j["backing-filename"]' <<<"$output")" = "$D/orig.qcow2" ]
  [ "$(json_get 'j["backing-filename-format"]' <<<"$output")" = qcow2 ]
    [ ! -e "$D/${P}o.log" ]
  run vctl -c "$URI" start "${P}l"
  assert_success
  wait_off "${P}l"
  # the clone writes to the serial log file of the original's definition
  grep -q VKIT-GUEST-BOOTED "$D/${P}o.log"
}

@test "a raw guest disk stays raw and sparse in the clone" {
  cp "$T8_DIR/bs.raw" "$D/raw.img"
  truncate -s 256M "$D/raw.img"
  define_guest "${P}r" "$D/raw.img" raw
  run vclone -c "$URI" -o "${P}r" -n "${P}r2" -f "$D/raw2.img"
  assert_success
  [ "$(stat -c %s "$D/raw2.img")" = $((256 << 20)) ]
  [ "$(du -k "$D/raw2.img" | cut -f1)" -le 64 ]
  cmp "$D/raw.img" "$D/raw2.img"
  run virsh -c "$URI" dumpxml "${P}r2"
  assert_output --partial "type='raw'"
}

@test "UEFI guest: the clone gets its own copy of the NVRAM file; vctl undefine needs no extra flag" {
  [ -d /usr/share/qemu/firmware ] || cannot "needs ovmf"
  truncate -s 1M "$D/blank.img"
  run vinstall -c "$URI" --name "${P}efi" --virt-type qemu --memory 128 --import \
    --disk "$D/blank.img" --network none --boot uefi
  assert_success
  virsh -c "$URI" destroy "${P}efi" >/dev/null
  orig_nv=$(xmllint --xpath 'string(/domain/os/nvram)' <(virsh -c "$URI" dumpxml --inactive "${P}efi"))
  [ -s "$orig_nv" ]
  run --separate-stderr vclone -c "$URI" -o "${P}efi" -n "${P}efi2" --json
  assert_success
  nv=$(json_get 'j["nvram"]' <<<"$output")
  [ "$nv" = "$(dirname "$orig_nv")/${P}efi2_VARS.fd" ]
  cmp "$orig_nv" "$nv"
  [ "$(stat -c %a "$nv")" = "$(stat -c %a "$orig_nv")" ]
  [ "$(xmllint --xpath 'string(/domain/os/nvram)' <(virsh -c "$URI" dumpxml --inactive "${P}efi2"))" = "$nv" ]
  run vctl -c "$URI" undefine "${P}efi2"
  assert_success
  [ ! -e "$nv" ]
  [ -e "$orig_nv" ]
  rm -f "$D/blank-clone.img"
}

@test "a running original is refused (exit 5), and so is a disk a running guest holds" {
  truncate -s 1M "$D/blank.img"
  # nothing to boot: the BIOS waits forever and the guest keeps running
  run vinstall -c "$URI" --name "${P}run" --virt-type qemu --memory 64 --import \
    --disk "$D/blank.img,format=raw" --network none
  assert_success
  run --separate-stderr vclone -c "$URI" -o "${P}run" -n "${P}x"
  assert_failure 5
  [[ "$stderr" == *"is running: shut it down before cloning it"* ]]
  # paused is refused too, as virt-clone does: QEMU still holds the disks
  virsh -c "$URI" suspend "${P}run" >/dev/null
  run --separate-stderr vclone -c "$URI" -o "${P}run" -n "${P}x"
  assert_failure 5
  [[ "$stderr" == *"is paused: shut it down before cloning it"* ]]
  virsh -c "$URI" resume "${P}run" >/dev/null
  # the same disk through another definition: QEMU's lock refuses it
  virsh -c "$URI" dumpxml --inactive "${P}run" |
    sed "s|<name>${P}run</name>|<name>${P}other</name>|; /<uuid>/d" >"$D/other.xml"
  run --separate-stderr vclone -c "$URI" --original-xml "$D/other.xml" -n "${P}x"
  assert_failure 5
  [ -z "$(leftovers "$D")" ]
  [ "$(my_domains)" = "${P}run" ]
}

@test "a taken name exits 5 and creates nothing; --replace replaces a shut-off domain" {
  cp "$T8_DIR/bs.qcow2" "$D/orig.qcow2"
  define_guest "${P}o" "$D/orig.qcow2" qcow2
  cp "$T8_DIR/bs.qcow2" "$D/other.qcow2"
  define_guest "${P}taken" "$D/other.qcow2" qcow2
  run --separate-stderr vclone -c "$URI" -o "${P}o" -n "${P}taken"
  assert_failure 5
  [ -z "$(leftovers "$D")" ]
  old_uuid=$(virsh -c "$URI" domuuid "${P}taken")
  run vclone -c "$URI" -o "${P}o" -n "${P}taken" --replace -f "$D/new.qcow2"
  assert_success
  [ "$(virsh -c "$URI" domuuid "${P}taken")" != "$old_uuid" ]
  run virsh -c "$URI" dumpxml "${P}taken"
  assert_output --partial "$D/new.qcow2"
  [ -e "$D/other.qcow2" ]
}

@test "--replace, then the definition fails: the replaced domain is put back, the copy removed" {
  cp "$T8_DIR/bs.qcow2" "$D/other.qcow2"
  define_guest "${P}keep" "$D/other.qcow2" qcow2
  old_uuid=$(virsh -c "$URI" domuuid "${P}keep")
  # an original the daemon will not define (no such machine type)
  cp "$T8_DIR/bs.qcow2" "$D/orig.qcow2"
  vinstall -c "$URI" --name "${P}bad" --virt-type qemu --memory 64 --import \
    --disk "$D/orig.qcow2,format=qcow2" --network none --print-xml |
    sed 's|<type>hvm</type>|<type machine="no-such-machine">hvm</type>|' >"$D/bad.xml"
  grep -q no-such-machine "$D/bad.xml"
  run --separate-stderr vclone -c "$URI" --original-xml "$D/bad.xml" -n "${P}keep" --replace -f "$D/new.qcow2"
  assert_failure
  [[ "$stderr" == *"cannot define the domain"* ]]
  [ "$(virsh -c "$URI" domuuid "${P}keep")" = "$old_uuid" ]
  [ ! -e "$D/new.qcow2" ]
  [ -z "$(leftovers "$D")" ]
}

@test "names with quotes, <, & and spaces: defined as given, disk named after it" {
  cp "$T8_DIR/bs.qcow2" "$D/orig.qcow2"
  define_guest "${P}o" "$D/orig.qcow2" qcow2
  name="${P}a'b \"c\" <d> & e"
  run --separate-stderr vclone -c "$URI" -o "${P}o" -n "$name" -f "$D/$name.qcow2" --json
  assert_success
  [ "$(json_get 'j["name"]' <<<"$output")" = "$name" ]
  run virsh -c "$URI" domstate "$name"
  assert_output --partial "shut off"
  run virsh -c "$URI" domblklist "$name"
  assert_output --partial "$D/$name.qcow2"
  qemu-img compare -q "$D/orig.qcow2" "$D/$name.qcow2"
}

@test "not enough room on the target filesystem: one line, exit 1, nothing left" {
  mkdir "$D/small"
  mount -t tmpfs -o size=2M tmpfs "$D/small" || cannot "cannot mount a tmpfs here"
  truncate -s 8M "$D/big.img"
  head -c 4M /dev/urandom | dd of="$D/big.img" conv=notrunc status=none
  define_guest "${P}big" "$D/big.img"
  run --separate-stderr vclone -c "$URI" -o "${P}big" -n "${P}big2" -f "$D/small/big2.img"
  assert_failure 1
  [[ "$stderr" == "vclone: not enough space in '$D/small': the clone needs 4 MiB there, 2 MiB is free" ]]
  [ -z "$(ls -A "$D/small")" ]
  [ "$(my_domains)" = "${P}big" ]
}

@test "the target filesystem fills up during the copy (ENOSPC): exit 1, no file, no domain" {
  mkdir "$D/small"
  mount -t tmpfs -o size=2M tmpfs "$D/small" || cannot "cannot mount a tmpfs here"
  # compressed clusters: little space in the original, 8 MiB in the copy
  head -c 8M /dev/zero | tr '\0' 'v' >"$D/v.raw"
  vimg convert -c -O qcow2 -f raw "$D/v.raw" "$D/packed.qcow2"
  define_guest "${P}pk" "$D/packed.qcow2" qcow2
  run --separate-stderr vclone -c "$URI" -o "${P}pk" -n "${P}pk2" -f "$D/small/pk2.qcow2"
  assert_failure 1
  [[ "$stderr" == *"disk vda"* ]]
  [ -z "$(ls -A "$D/small")" ]
  [ "$(my_domains)" = "${P}pk" ]
}

@test "SIGINT during the copy of a big disk: the copy is removed, no domain is defined" {
  truncate -s 128M "$D/big.img"
  head -c 64M /dev/urandom | dd of="$D/big.img" bs=1M seek=32 conv=notrunc status=none
  define_guest "${P}sig" "$D/big.img"
  mkdir "$D/out"
  # (a shell starts background jobs with SIGINT ignored: restore it)
  env --default-signal=INT "$VK_BUILDDIR/vclone" -c "$URI" -o "${P}sig" -n "${P}sig2" -f "$D/out/big2.img" 2>"$D/err" &
  pid=$!
  interrupt_copy "$pid" "$D/out" || fail "the copy was never seen"
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 130 ] || fail "vclone ended with $rc, want 130 (SIGINT): $(cat "$D/err")"
  grep -q "interrupted: nothing was created" "$D/err"
  [ -z "$(ls -A "$D/out")" ]
  [ "$(my_domains)" = "${P}sig" ]
}

# pool_with VOLUME: a directory pool ${P}pool in $D/pool holding the
# boot-sector qcow2 as VOLUME; removed by the teardown.  volume_xml NAME
# VOLUME [CONSOLE]: the boot-sector guest NAME whose disk is that volume
# (<disk type='volume'>, as virsh attach-disk --source-type volume or
# virt-manager write it), printed.
pool_with() {
  mkdir -p "$D/pool"
  cp "$T8_DIR/bs.qcow2" "$D/pool/$1"
  vctl -c "$URI" pool-define-as "${P}pool" dir --target "$D/pool" >/dev/null
  vctl -c "$URI" pool-start "${P}pool" >/dev/null
}
volume_xml() {
  vinstall -c "$URI" --name "$1" --virt-type qemu --memory 64 --import \
    --disk "$D/pool/$2,format=qcow2" --network none ${3:+--console "file=$3"} --print-xml |
    sed -e 's|<disk type="file" device="disk">|<disk type="volume" device="disk">|' \
      -e "s|<source file=\"$D/pool/$2\"/>|<source pool=\"${P}pool\" volume=\"$2\"/>|"
}

@test "a disk that is a volume of a directory pool: the clone's is a new volume of that pool, made by the engine, and boots" {
  pool_with orig.qcow2
  volume_xml "${P}o" orig.qcow2 "$D/${P}o.log" >"$D/o.xml"
  grep -q 'volume="orig.qcow2"' "$D/o.xml"
  virsh -c "$URI" define "$D/o.xml" >/dev/null
  run --separate-stderr vclone -c "$URI" -o "${P}o" -n "${P}c" --json
  assert_success
  [ "$(json_get 'j["disks"][0]["how"]' <<<"$output")" = copy ]
  [ "$(json_get 'j["disks"][0]["pool"]' <<<"$output")" = "${P}pool" ]
  [ "$(json_get 'j["disks"][0]["volume"]' <<<"$output")" = orig-clone.qcow2 ]
  [ "$(json_get 'j["disks"][0]["path"]' <<<"$output")" = "$D/pool/orig-clone.qcow2" ]
  [ "$(json_get 'j["disks"][0]["format"]' <<<"$output")" = qcow2 ]
  # the pool knows the new volume at once (no pool-refresh needed)
  run virsh -c "$URI" vol-path --pool "${P}pool" orig-clone.qcow2
  assert_output "$D/pool/orig-clone.qcow2"
  qemu-img check -q "$D/pool/orig-clone.qcow2"
  qemu-img compare -q "$D/pool/orig.qcow2" "$D/pool/orig-clone.qcow2"
  # the clone's disk is the volume, not a file path
  run virsh -c "$URI" dumpxml --inactive "${P}c"
  assert_output --partial "<disk type='volume' device='disk'>"
  assert_output --partial "<source pool='${P}pool' volume='orig-clone.qcow2'/>"
  run vctl -c "$URI" start "${P}c"
  assert_success
  wait_off "${P}c"
  grep -q VKIT-GUEST-BOOTED "$D/${P}o.log"
  # a second clone takes the next free name in the pool
  run --separate-stderr vclone -c "$URI" -o "${P}o" -n "${P}c2" --json
  assert_success
  [ "$(json_get 'j["disks"][0]["volume"]' <<<"$output")" = orig-clone-1.qcow2 ]
}

@test "a volume disk: --file makes the clone's disk a file; an inactive pool is exit 5; a lost volume is exit 3; nothing is left" {
  pool_with data.qcow2
  volume_xml "${P}v" data.qcow2 >"$D/v.xml"
  virsh -c "$URI" define "$D/v.xml" >/dev/null
  run --separate-stderr vclone -c "$URI" -o "${P}v" -n "${P}f" -f "$D/f.qcow2" --json
  assert_success
  [ "$(json_get 'j["disks"][0]["pool"]' <<<"$output")" = null ]
  run virsh -c "$URI" dumpxml --inactive "${P}f"
  assert_output --partial "<source file='$D/f.qcow2'/>"
  refute_output --partial "pool="
  qemu-img compare -q "$D/pool/data.qcow2" "$D/f.qcow2"
  virsh -c "$URI" pool-destroy "${P}pool" >/dev/null
  run --separate-stderr vclone -c "$URI" -o "${P}v" -n "${P}x"
  assert_failure 5
  assert_equal "$stderr" "vclone: disk vda: pool '${P}pool' is not active (pool-start it)"
  virsh -c "$URI" pool-start "${P}pool" >/dev/null
  rm "$D/pool/data.qcow2"
  virsh -c "$URI" pool-refresh "${P}pool" >/dev/null
  run --separate-stderr vclone -c "$URI" -o "${P}v" -n "${P}x"
  assert_failure 3
  assert_equal "$stderr" "vclone: disk vda: pool '${P}pool' has no volume 'data.qcow2'"
  [ -z "$(ls -A "$D/pool")" ]
  [ -z "$(virsh -q -c "$URI" vol-list "${P}pool")" ]
  [ "$(my_domains | sort | tr '\n' ' ')" = "${P}f ${P}v " ]
}

@test "a volume disk, and the definition fails: no new volume, nothing in the pool's directory" {
  pool_with orig.qcow2
  # an original the daemon will not define (no such machine type)
  volume_xml "${P}bad" orig.qcow2 |
    sed 's|<type>hvm</type>|<type machine="no-such-machine">hvm</type>|' >"$D/bad.xml"
  grep -q 'volume="orig.qcow2"' "$D/bad.xml"
  grep -q no-such-machine "$D/bad.xml"
  run --separate-stderr vclone -c "$URI" --original-xml "$D/bad.xml" -n "${P}c"
  assert_failure
  [[ "$stderr" == *"cannot define the domain"* ]]
  [ "$(ls -A "$D/pool")" = orig.qcow2 ]
  [ "$(virsh -q -c "$URI" vol-list "${P}pool" | awk '{print $1}')" = orig.qcow2 ]
  [ -z "$(my_domains)" ]
}

@test "a file disk in a directory pool's directory: the pool lists the copy at once, as virt-clone's" {
  pool_with orig.qcow2
  define_guest "${P}o" "$D/pool/orig.qcow2" qcow2
  run --separate-stderr vclone -c "$URI" -o "${P}o" -n "${P}c" --json
  assert_success
  [ "$(json_get 'j["disks"][0]["volume"]' <<<"$output")" = null ]
  run virsh -c "$URI" vol-path --pool "${P}pool" orig-clone.qcow2
  assert_success
  assert_output "$D/pool/orig-clone.qcow2"
  run virsh -c "$URI" dumpxml --inactive "${P}c"
  assert_output --partial "<source file='$D/pool/orig-clone.qcow2'/>"
}
