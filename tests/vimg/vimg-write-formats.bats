#!/usr/bin/env bats
# The formats vimg writes besides raw and qcow2: vdi (dynamic, static),
# vhdx (dynamic, fixed),
# vpc (dynamic, fixed, force_size), vmdk (monolithicSparse,
# streamOptimized).  Images vimg makes pass `qemu-img check` (where it has
# one for the format) and `qemu-img compare` against the source; qemu-io
# writes into them; vimg writes into images qemu-img made; bad options,
# sizes and names are refused in one line with nothing left behind.  The
# random-write differential tests are in tests/unit/test-image-diff.c.

load ../image-helpers

setup() {
  requires qemu-img qemu-io
  image_setup
  # a 40 MiB source: random data, zeros, text, a partial last block
  truncate -s 40M src.raw
  vio -f raw src.raw wrand 0 3M 1 write 5M 1M 0x5a wrand 20M 2M 2 write 39M 1M 0x33 >/dev/null
}

teardown() {
  image_teardown
}

# The subformats, as FMT:OPTIONS ("-" for none).
KINDS="vdi:- vdi:static=on vpc:- vpc:force_size=on vpc:subformat=fixed vpc:subformat=fixed,force_size=on vmdk:- vmdk:subformat=monolithicSparse vmdk:subformat=streamOptimized vhdx:- vhdx:subformat=fixed vhdx:block_size=1M"

# checked FMT IMG: qemu-img check where qemu-img has one for FMT.
checked() {
  [ "$1" = vpc ] || assert_qemu_clean -f "$1" "$2"
}

@test "convert to every subformat: qemu-img check is clean, qemu-img compare is identical, vimg reads it back" {
  local k fmt o
  for k in $KINDS; do
    fmt=${k%%:*} o=${k#*:}
    rm -f out
    if [ "$o" = - ]; then vimg convert -O "$fmt" src.raw out; else vimg convert -O "$fmt" -o "$o" src.raw out; fi
    checked "$fmt" out
    assert_qemu_same -f raw -F "$fmt" src.raw out
    run vimg compare -f raw -F "$fmt" src.raw out
    assert_success
    run vimg info --json out
    assert_success
    assert_equal "$(json_get 'j["format"]' <<<"$output")" "$fmt"
  done
}

@test "dynamic images stay small; static, fixed and streamOptimized are what they say" {
  vimg convert -O vdi src.raw d.vdi
  vimg convert -O vdi -o static=on src.raw s.vdi
  vimg convert -O vpc -o subformat=fixed,force_size=on src.raw f.vhd
  vimg convert -O vmdk -o subformat=streamOptimized src.raw s.vmdk
  vimg convert -O vmdk src.raw m.vmdk
  # 7 MiB of data in 1 MiB (vdi), 64 KiB grains (vmdk)
  [ "$(stat -c %s d.vdi)" -le $((9 << 20)) ]
  [ "$(stat -c %s m.vmdk)" -le $((8 << 20)) ]
  # static: every block in the file
  [ "$(stat -c %s s.vdi)" -ge $((40 << 20)) ]
  # fixed with force_size, as Azure takes it: the exact size, then the footer
  [ "$(stat -c %s f.vhd)" -eq $(((40 << 20) + 512)) ]
  assert_equal "$(qemu-img info -f vpc --output=json f.vhd | json_get 'j["virtual-size"]')" $((40 << 20))
  tail -c 512 f.vhd | head -c 8 | grep -q conectix
  # streamOptimized: compressed (random data does not shrink, the rest does)
  [ "$(stat -c %s s.vmdk)" -lt $((6 << 20)) ]
  run qemu-img info s.vmdk
  assert_output --partial "create type: streamOptimized"
  assert_output --partial "compressed: true"
  run qemu-img info m.vmdk
  assert_output --partial "create type: monolithicSparse"
  # the descriptor's disk database is qemu-img's for the same options
  local o
  for o in adapter_type=lsilogic adapter_type=buslogic,hwversion=7 \
    subformat=streamOptimized,adapter_type=legacyESX compat6=on,toolsversion=10240; do
    rm -f a.vmdk b.vmdk
    vimg create -f vmdk -o "$o" a.vmdk 100M
    qemu-img create -q -f vmdk -o "$o" b.vmdk 100M
    assert_equal "$(head -c 2048 a.vmdk | strings | grep ^ddb)" "$(head -c 2048 b.vmdk | strings | grep ^ddb)"
    assert_qemu_clean a.vmdk
  done
  # vhdx: 7 MiB of data in 8 MiB blocks (QEMU's block size for 40 MiB);
  # fixed: every block stored, mapped as data (not marked zero)
  vimg convert -O vhdx src.raw d.vhdx
  vimg convert -O vhdx -o subformat=fixed src.raw f.vhdx
  [ "$(stat -c %s d.vhdx)" -le $(((4 + 4 * 8) << 20)) ]
  [ "$(stat -c %s f.vhdx)" -ge $(((4 + 40) << 20)) ]
  assert_equal "$(qemu-img info --output=json d.vhdx | json_get 'j["cluster-size"]')" $((8 << 20))
  run qemu-img map --output=json f.vhdx
  refute_output --partial '"data": false'
  assert_qemu_clean f.vhdx
  # an empty vhdx: its BAT sized as QEMU sizes it, or qemu-img will not
  # open it
  vimg create -f vhdx e.vhdx 0
  assert_qemu_clean e.vhdx
  assert_equal "$(vimg_info e.vhdx 'j["virtual_size"]')" 0
  # -c is accepted for a stream (its grains are compressed anyway), not
  # for the other kinds
  vimg convert -c -O vmdk -o subformat=streamOptimized src.raw c.vmdk
  assert_qemu_clean c.vmdk
  assert_qemu_same -f raw src.raw c.vmdk
  run --separate-stderr vimg convert -c -O vmdk src.raw n.vmdk
  assert_failure 2
  [[ "$stderr" == *"a vmdk is compressed with -o subformat=streamOptimized"* ]]
  [ ! -e n.vmdk ]
}

@test "vpc sizes: the geometry's as qemu-img rounds them up, the exact size with force_size" {
  local size
  for size in 40M 1G 100000256 127G; do
    vimg create -f vpc v.vhd "$size"
    qemu-img create -q -f vpc q.vhd "$size"
    assert_equal "$(qemu_info v.vhd 'j["virtual-size"]')" "$(qemu_info q.vhd 'j["virtual-size"]')"
    assert_equal "$(vimg_info v.vhd 'j["virtual_size"]')" "$(qemu_info q.vhd 'j["virtual-size"]')"
    vimg create -f vpc -o force_size=on f.vhd "$size"
    qemu-img create -q -f vpc -o force_size=on qf.vhd "$size"
    assert_equal "$(qemu_info f.vhd 'j["virtual-size"]')" "$(qemu_info qf.vhd 'j["virtual-size"]')"
    rm -f v.vhd q.vhd f.vhd qf.vhd
  done
}

@test "images vimg creates are written by qemu-io and read back by vimg as qemu-img reads them" {
  local k fmt o
  for k in $KINDS; do
    fmt=${k%%:*} o=${k#*:}
    [ "$o" = subformat=streamOptimized ] && continue   # qemu writes those in order only
    rm -f out
    if [ "$o" = - ]; then vimg create -f "$fmt" out 33M; else vimg create -f "$fmt" -o "$o" out 33M; fi
    checked "$fmt" out
    qemu-io -f "$fmt" -c "write -P 0x11 0 64k" -c "write -P 0x22 1536k 1M" -c "write -P 0x33 31M 2M" \
      -c "write -z 1600k 64k" out >/dev/null
    checked "$fmt" out
    qemu-img convert -f "$fmt" -O raw out q.raw
    run vimg convert -f "$fmt" -O raw out v.raw
    assert_success
    cmp q.raw v.raw || fail "$k: vimg reads what qemu-io wrote differently"
  done
}

@test "vimg writes into images qemu-img made: convert -n, then qemu-img compare" {
  local k fmt o
  for k in vdi:- vdi:static=on vpc:- vpc:subformat=fixed vmdk:- vmdk:subformat=streamOptimized vhdx:- vhdx:subformat=fixed; do
    fmt=${k%%:*} o=${k#*:}
    rm -f out
    if [ "$o" = - ]; then qemu-img create -q -f "$fmt" out 40M; else qemu-img create -q -f "$fmt" -o "$o" out 40M; fi
    run vimg convert -n -O "$fmt" src.raw out
    assert_success
    checked "$fmt" out
    assert_qemu_same -f raw -F "$fmt" src.raw out
  done
}

@test "a streamOptimized vmdk with data is not written again; an empty one opened and not written is unchanged" {
  qemu-img convert -O vmdk -o subformat=streamOptimized src.raw s.vmdk
  sha256sum s.vmdk >sums
  run --separate-stderr vimg convert -n -O vmdk src.raw s.vmdk
  assert_failure 2
  [[ "$stderr" == *"vkit writes only monolithicSparse vmdk images with all their grain tables, and empty streamOptimized ones"* ]]
  vimg create -f vmdk -o subformat=streamOptimized e.vmdk 10M
  sha256sum e.vmdk >>sums
  run --separate-stderr vimg resize e.vmdk +1M
  assert_failure 2
  sha256sum -c --quiet sums
  # convert of all zeros into the empty stream leaves an empty, valid image
  truncate -s 10M z.raw
  vimg convert -n -O vmdk z.raw e.vmdk
  assert_qemu_clean e.vmdk
  assert_qemu_same -f raw z.raw e.vmdk
}

@test "bad options, sizes and names: one line, exit 2, no file" {
  local bad
  while IFS='|' read -r fmt opts size want; do
    run --separate-stderr vimg create -f "$fmt" -o "$opts" out "$size"
    [ "$status" -eq 2 ] || fail "$fmt -o $opts $size: status $status: $stderr"
    assert_equal "${#stderr_lines[@]}" 1
    [[ "$stderr" == *"$want"* ]] || fail "$fmt -o $opts: '$stderr' does not say '$want'"
    [ ! -e out ] || fail "$fmt -o $opts left out behind"
  done <<'LIST'
vdi|subformat=dynamic|1M|subformat is not one of vdi images
vpc|subformat=streamOptimized|1M|subformat is not one of vpc images (use dynamic or fixed)
vmdk|subformat=fixed|1M|subformat is not one of vmdk images (use monolithicSparse or streamOptimized)
vmdk|subformat=twoGbMaxExtentSparse|1M|invalid subformat 'twoGbMaxExtentSparse'
vpc|static=on|1M|static is an option of vdi images
vdi|force_size=on|1M|force_size is an option of vpc images
vmdk|cluster_size=64k|1M|qcow2 options given for a vmdk image
vpc|preallocation=full|1M|preallocation is not an option of vpc images (subformat=fixed allocates the whole disk)
vdi|backing_file=src.raw|1M|vkit writes vdi images without a backing file
qcow2|subformat=dynamic|1M|qcow2 images take no vmdk, vpc, vdi or vhdx options
vpc|force_size=maybe|1M|invalid value 'maybe' for force_size
vpc|subformat=dynamic|2041G|a vpc image holds at most 2040 GiB
vmdk|subformat=monolithicSparse|3T|a vmdk image holds at most 2 TiB
vhdx|block_size=3M|1M|invalid block_size '3M' (a power of two from 1M to 256M)
vhdx|block_size=512M|1M|invalid block_size '512M'
vpc|block_size=1M|1M|block_size is an option of vhdx images
vhdx|subformat=streamOptimized|1M|subformat is not one of vhdx images (use dynamic or fixed)
vhdx|static=on|1M|static is an option of vdi images
vhdx|subformat=dynamic|65T|a vhdx image holds at most 64 TiB
vmdk|adapter_type=scsi|1M|invalid adapter_type 'scsi' (ide, lsilogic, buslogic or legacyESX)
vmdk|hwversion=0|1M|invalid hwversion '0' (a number from 1 to 255)
vmdk|hwversion=abc|1M|invalid hwversion 'abc'
vmdk|toolsversion=-1|1M|invalid toolsversion '-1'
vmdk|zeroed_grain=on|1M|zeroed_grain=on is not supported
vdi|adapter_type=ide|1M|adapter_type, hwversion, toolsversion, compat6 and zeroed_grain are options of vmdk images
LIST
  run --separate-stderr vimg create -f vmdk 'a"b.vmdk' 1M
  assert_failure 2
  [[ "$stderr" == *"a vmdk descriptor cannot name a file with '\"' or a newline"* ]]
  [ ! -e 'a"b.vmdk' ]
  # names with < and spaces are fine
  vimg create -f vmdk '<x y>.vmdk' 1M
  assert_qemu_clean '<x y>.vmdk'
}

@test "convert onto a full disk in each format: exit 1, the half-written target is removed" {
  local MNT=$TMP/mnt k fmt o
  mkdir "$MNT"
  mount -t tmpfs -o size=4M tmpfs "$MNT" || cannot "cannot mount a tmpfs here"
  for k in vdi:- vpc:- vmdk:- vmdk:subformat=streamOptimized vhdx:-; do
    fmt=${k%%:*} o=${k#*:}
    if [ "$o" = - ]; then o=; fi
    run --separate-stderr vimg convert -O "$fmt" ${o:+-o "$o"} src.raw "$MNT/out"
    [ "$status" -eq 1 ] || { umount "$MNT"; fail "$k: status $status: $stderr"; }
    [[ "$stderr" == *"No space left on device"* ]] || { umount "$MNT"; fail "$k: $stderr"; }
    [ ! -e "$MNT/out" ] || { umount "$MNT"; fail "$k: the target was left behind"; }
  done
  umount "$MNT"
}
