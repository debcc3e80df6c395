#!/usr/bin/env bats
# vinstall --cloud-init on libvirt's test driver: the seed's place in the
# XML, its files (read back with xorriso), its label, the password, bad
# input.  The guest that reads the seed is in vinstall-guest.bats.

load ../helpers
load ../install-helpers

bats_require_minimum_version 1.5.0

setup() {
  requires virt-xml-validate xmllint xorriso
  IMG=$BATS_TEST_TMPDIR/disk.img
  truncate -s 1M "$IMG"
  echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGvkit user@host" >"$BATS_TEST_TMPDIR/id.pub"
}

# install NAME ARGS...: a real (test driver) install that writes the seed;
# the object it prints is in $output.
install() {
  local name=$1
  shift
  run --separate-stderr vinstall -c test:///default --virt-type qemu --name "$name" --import \
    --disk "$IMG" --network none --json "$@"
  JSON=$output
}

# extract ISO DIR: the seed's files, by their Rock Ridge names.
extract() {
  mkdir -p "$2"
  xorriso -osirrox on -indev "$1" -extract / "$2" >/dev/null 2>&1
}

@test "--print-xml: the seed is a read-only cdrom beside the first disk, named in the metadata" {
  print_xml --name ci1 --import --disk "$IMG" --cloud-init
  assert_xq "/domain/devices/disk[@device='cdrom']/source/@file" "$BATS_TEST_TMPDIR/ci1-cidata.iso"
  [ "$(xcount "/domain/devices/disk[@device='cdrom']/readonly")" = 1 ]
  [ "$(xmllint --xpath "string(//*[local-name()='seed']/@path)" "$BATS_TEST_TMPDIR/dom.xml")" = "$BATS_TEST_TMPDIR/ci1-cidata.iso" ]
  [ "$(xmllint --xpath "namespace-uri(//*[local-name()='seed'])" "$BATS_TEST_TMPDIR/dom.xml")" = "http://vkit.invalid/xmlns/seed/1" ]
  # nothing is made by --print-xml
  [ ! -e "$BATS_TEST_TMPDIR/ci1-cidata.iso" ]
}

@test "the seed: ISO 9660 labelled cidata, Rock Ridge names, user-data and meta-data at its root" {
  install ci2 --cloud-init "user-data=$BATS_TEST_TMPDIR/id.pub"
  assert_success
  seed=$BATS_TEST_TMPDIR/ci2-cidata.iso
  [ -f "$seed" ]
  assert_equal "$(stat -c %a "$seed")" 600
  assert_equal "$(json_get 'j["cloud_init"]["seed"]' <<<"$output")" "$seed"
  run xorriso -indev "$seed" -pvd_info
  assert_output --partial "Volume Id    : cidata"
  run xorriso -indev "$seed" -ls /
  assert_success
  assert_output --partial "'meta-data'"
  assert_output --partial "'user-data'"
  run blkid -o value -s LABEL "$seed"
  assert_output cidata
}

@test "user-data= and meta-data= are copied byte for byte; network-config and vendor-data too" {
  printf '#cloud-config\nruncmd:\n  - [echo, "a \\"b\\" <c>"]\n' >"$BATS_TEST_TMPDIR/u"
  printf 'instance-id: iid-fixed\nlocal-hostname: h\n' >"$BATS_TEST_TMPDIR/m"
  printf 'version: 2\nethernets: {}\n' >"$BATS_TEST_TMPDIR/n"
  printf '\x1f\x8b\x08\x00binary\x00vendor' >"$BATS_TEST_TMPDIR/v"
  install ci3 --cloud-init "user-data=$BATS_TEST_TMPDIR/u,meta-data=$BATS_TEST_TMPDIR/m,network-config=$BATS_TEST_TMPDIR/n,vendor-data=$BATS_TEST_TMPDIR/v"
  assert_success
  extract "$BATS_TEST_TMPDIR/ci3-cidata.iso" "$BATS_TEST_TMPDIR/x"
  cmp "$BATS_TEST_TMPDIR/u" "$BATS_TEST_TMPDIR/x/user-data"
  cmp "$BATS_TEST_TMPDIR/m" "$BATS_TEST_TMPDIR/x/meta-data"
  cmp "$BATS_TEST_TMPDIR/n" "$BATS_TEST_TMPDIR/x/network-config"
  cmp "$BATS_TEST_TMPDIR/v" "$BATS_TEST_TMPDIR/x/vendor-data"
  # the user's meta-data: vinstall has no instance-id of its own to report
  assert_equal "$(json_get 'j["cloud_init"]["instance_id"]' <<<"$output")" null
}

@test "--cloud-init alone: a generated root password, printed once, expiring; cloud-init disabled after" {
  install ci4 --cloud-init
  assert_success
  pw=$(json_get 'j["cloud_init"]["root_password"]' <<<"$output")
  [[ "$pw" =~ ^[A-Za-z0-9]{16}$ ]]
  [ "$(grep -c "root password of ci4 is $pw" <<<"$stderr")" = 1 ]
  extract "$BATS_TEST_TMPDIR/ci4-cidata.iso" "$BATS_TEST_TMPDIR/x"
  run cat "$BATS_TEST_TMPDIR/x/user-data"
  assert_line --index 0 "#cloud-config"
  assert_line "    root:$pw"
  assert_line "  expire: true"
  assert_line "  - [touch, /etc/cloud/cloud-init.disabled]"
  # meta-data: instance-id (reported) and a host name made of the name
  iid=$(json_get 'j["cloud_init"]["instance_id"]' <<<"$JSON")
  [[ "$iid" == iid-ci4-* ]]
  run cat "$BATS_TEST_TMPDIR/x/meta-data"
  assert_line "instance-id: \"$iid\""
  assert_line 'local-hostname: "ci4"'
  # disable=on: the seed serves the first boot only
  assert_equal "$(json_get 'j["cloud_init"]["in_definition"]' <<<"$JSON")" false
}

@test "keys, password file and host name: quoted YAML; root keys work with disable_root off" {
  printf 's3cret:with colon\nsecond line ignored\n' >"$BATS_TEST_TMPDIR/pw"
  printf '# comment\n\nssh-rsa AAAAB3 "quoted" key\r\nssh-ed25519 AAAAC3 other\n' >"$BATS_TEST_TMPDIR/root.pub"
  install ci5 --cloud-init "root-password-file=$BATS_TEST_TMPDIR/pw,root-ssh-key=$BATS_TEST_TMPDIR/root.pub" \
    --ssh-key "$BATS_TEST_TMPDIR/id.pub" --hostname web-1.example
  assert_success
  [[ "$stderr" != *"root password"* ]]
  extract "$BATS_TEST_TMPDIR/ci5-cidata.iso" "$BATS_TEST_TMPDIR/x"
  run cat "$BATS_TEST_TMPDIR/x/user-data"
  assert_line "    root:s3cret:with colon"
  assert_line "  expire: false"
  assert_line "disable_root: false"
  assert_line '      - "ssh-rsa AAAAB3 \"quoted\" key"'
  assert_line '      - "ssh-ed25519 AAAAC3 other"'
  assert_line '  - "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGvkit user@host"'
  refute_output --partial "comment"
  refute_output --partial "runcmd"
  run cat "$BATS_TEST_TMPDIR/x/meta-data"
  assert_line 'local-hostname: "web-1.example"'
  assert_equal "$(json_get 'j["cloud_init"]["in_definition"]' <<<"$JSON")" true
}

@test "a name with quotes and < : the seed file and the XML are safe" {
  name='we"b <1>'
  print_xml --name "$name" --import --disk "$IMG" --cloud-init
  assert_xq "/domain/devices/disk[@device='cdrom']/source/@file" "$BATS_TEST_TMPDIR/$name-cidata.iso"
  install "$name" --cloud-init
  assert_success
  extract "$BATS_TEST_TMPDIR/$name-cidata.iso" "$BATS_TEST_TMPDIR/x"
  run cat "$BATS_TEST_TMPDIR/x/meta-data"
  assert_line 'local-hostname: "we-b-1"'
}

@test "bad input: usage errors exit 2, nothing is made" {
  echo "-----BEGIN OPENSSH PRIVATE KEY-----" >"$BATS_TEST_TMPDIR/id"
  : >"$BATS_TEST_TMPDIR/empty"
  for args in "--cloud-init user-data=$IMG,root-password-generate=on" \
              "--cloud-init user-data=$IMG --ssh-key $BATS_TEST_TMPDIR/id.pub" \
              "--cloud-init root-password-generate=on,root-password-file=$IMG" \
              "--cloud-init meta-data=$IMG --hostname h" \
              "--cloud-init colour=blue" \
              "--cloud-init user-data=" \
              "--cloud-init disable=maybe" \
              "--hostname bad_host!" \
              "--hostname -x" \
              "--ssh-key $BATS_TEST_TMPDIR/id" \
              "--ssh-key $BATS_TEST_TMPDIR/empty" \
              "--cloud-init root-password-file=$BATS_TEST_TMPDIR/empty"; do
    # shellcheck disable=SC2086
    run --separate-stderr vinstall -c test:///default --virt-type qemu --name bad --import --disk "$IMG" \
      --network none $args
    [ "$status" -eq 2 ] || { echo "args: $args -> $status: $stderr" >&2; return 1; }
    [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] || { echo "args: $args: $stderr" >&2; return 1; }
    [ ! -e "$BATS_TEST_TMPDIR/bad-cidata.iso" ] || { echo "args: $args left a seed" >&2; return 1; }
  done
}

@test "bad input: a missing file exits 3; an existing seed exits 5 and is left alone" {
  run --separate-stderr vinstall -c test:///default --virt-type qemu --name ci6 --import --disk "$IMG" \
    --network none --cloud-init "user-data=$BATS_TEST_TMPDIR/nope"
  assert_failure 3
  [[ "$stderr" == *"nope"* ]]
  [ ! -e "$BATS_TEST_TMPDIR/ci6-cidata.iso" ]
  echo keep >"$BATS_TEST_TMPDIR/ci6-cidata.iso"
  run --separate-stderr vinstall -c test:///default --virt-type qemu --name ci6 --import --disk "$IMG" \
    --network none --cloud-init
  assert_failure 5
  [[ "$stderr" == *"ci6-cidata.iso already exists"* ]]
  assert_equal "$(cat "$BATS_TEST_TMPDIR/ci6-cidata.iso")" keep
}

@test "a failure after the seed was made removes it (a full directory)" {
  requires mount
  [ "$(id -u)" -eq 0 ] || skip "needs root for a small tmpfs"
  d=$BATS_TEST_TMPDIR/full
  mkdir "$d"
  mount -t tmpfs -o size=256k tmpfs "$d"
  truncate -s 1M "$d/disk.img"
  run --separate-stderr vinstall -c test:///default --virt-type qemu --name ci7 --import \
    --disk "$d/disk.img" --network none --cloud-init
  status_was=$status
  left=$(ls "$d")
  umount "$d"
  [ "$status_was" -eq 1 ]
  [[ "$stderr" == *"ci7-cidata.iso"* ]]
  assert_equal "$left" disk.img
}

@test "one golden cloud image, a thin overlay grown to size=, a seed: in one command" {
  qemu-img create -q -f qcow2 "$BATS_TEST_TMPDIR/golden.qcow2" 1G
  install ov1 --disk "path=$BATS_TEST_TMPDIR/ov1.qcow2,size=20G,backing=$BATS_TEST_TMPDIR/golden.qcow2" \
    --ssh-key "$BATS_TEST_TMPDIR/id.pub"
  assert_success
  run qemu-img info --output=json "$BATS_TEST_TMPDIR/ov1.qcow2"
  assert_output --partial '"virtual-size": 21474836480'
  assert_output --partial "\"backing-filename\": \"$BATS_TEST_TMPDIR/golden.qcow2\""
  run qemu-img check "$BATS_TEST_TMPDIR/ov1.qcow2"
  assert_success
  # the seed goes beside the first disk (the disk.img given first by install())
  [ -f "$BATS_TEST_TMPDIR/ov1-cidata.iso" ]
}
