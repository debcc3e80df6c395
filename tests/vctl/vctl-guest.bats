#!/usr/bin/env bats
# vctl against a real libvirtd (qemu:///system) running a real guest: the
# boot-sector fixture prints a marker on its serial file and powers off.
# Each state is checked with vctl and with virsh as an oracle.  The tests
# run in order and share one domain, named per run so that parallel runs
# of this suite on the shared daemon do not meet.

bats_require_minimum_version 1.5.0
load ../virt-helpers

setup_file() {
  requires virsh qemu-img qemu-system-x86_64 as ld
  "$VK_SRCDIR/tests/libvirtd-start.sh"
  export LIBVIRT_DEFAULT_URI=qemu:///system
  export NAME=vkit-t5-guest-$$-$RANDOM
  export DISK=$BATS_FILE_TMPDIR/$NAME.qcow2 SERIAL=$BATS_FILE_TMPDIR/serial.log
  make_guest_disk "$DISK"
  guest_xml "$NAME" "$DISK" "$SERIAL" "$(cat /proc/sys/kernel/random/uuid)" > "$BATS_FILE_TMPDIR/acpi.xml"
  # the same guest without ACPI: its power-off write does nothing, so it
  # stays up and ignores shutdown requests
  sed '/<features>/d' "$BATS_FILE_TMPDIR/acpi.xml" > "$BATS_FILE_TMPDIR/noacpi.xml"
  # a second guest with a pty serial console, on its own disk
  export CON=$NAME-con CONDISK=$BATS_FILE_TMPDIR/$NAME-con.qcow2
  make_guest_disk "$CONDISK"
  console_xml "$CON" "$CONDISK" "$(cat /proc/sys/kernel/random/uuid)" > "$BATS_FILE_TMPDIR/con.xml"
  sed '/<features>/d' "$BATS_FILE_TMPDIR/con.xml" > "$BATS_FILE_TMPDIR/con-noacpi.xml"
  grep -q "<serial type='pty'>" "$BATS_FILE_TMPDIR/con.xml"
}

teardown_file() {
  remove_guest "$NAME-tr"
  remove_guest "$NAME"
  remove_guest "$CON"
  remove_guest "$NAME-efi"
}

setup() {
  requires virsh qemu-img qemu-system-x86_64
}

vstate() { virsh -q domstate "$NAME" | sed '/^$/d'; }

@test "define: shut off, seen by vctl and virsh" {
  run vctl define "$BATS_FILE_TMPDIR/acpi.xml"
  assert_success
  run vctl domstate "$NAME"
  assert_output "shut off"
  assert_equal "$(vstate)" "shut off"
  run vctl list --all --name
  assert_line "$NAME"
}

@test "start: the guest prints its marker; shutdown --wait returns once it is off" {
  : > "$SERIAL"
  run vctl start "$NAME"
  assert_success
  assert_output "Domain '$NAME' started"
  # the guest powers itself off within seconds; --idempotent covers the
  # case where it is already off when the request arrives
  run vctl shutdown --wait=120 --idempotent "$NAME"
  assert_success
  wait_for_text "$SERIAL" VKIT-GUEST-BOOTED 5
  run vctl domstate --reason "$NAME"
  assert_output --regexp '^shut off \((shutdown|destroyed)\)$'
  assert_equal "$(vstate)" "shut off"
}

@test "a guest that ignores ACPI: start --wait-running, then shutdown --wait expires with 4" {
  run vctl define "$BATS_FILE_TMPDIR/noacpi.xml"
  assert_success
  : > "$SERIAL"
  run vctl start --wait-running=60 "$NAME"
  assert_success
  wait_for_text "$SERIAL" VKIT-GUEST-BOOTED 60
  run vctl domstate "$NAME"
  assert_output running
  assert_equal "$(vstate)" running
  run --separate-stderr vctl shutdown --wait=2 "$NAME"
  assert_failure 4
  assert_output ""
  [ "$stderr" = "vctl: timed out after 2 s waiting for domain '$NAME' (still running)" ]
  assert_equal "$(vstate)" running
}

@test "list and dominfo on the running guest agree with virsh" {
  run vctl list
  assert_success
  assert_line --regexp "^ [0-9]+ +$NAME +running$"
  local id
  id=$(virsh domid "$NAME" | sed '/^$/d')
  run vctl list --json
  assert_equal "$(json_get "[d['id'] for d in j if d['name'] == '$NAME'][0]" <<<"$output")" "$id"
  run vctl dominfo "$NAME"
  assert_success
  assert_equal "$(grep -v '^CPU time' <<<"$output")" "$(virsh dominfo "$NAME" | grep -v '^CPU time' | sed '/^$/d')"
  run vctl dominfo --json "$NAME"
  assert_equal "$(json_get 'j["memory"]' <<<"$output")" $((32 * 1024 * 1024))
}

@test "domblklist, vncdisplay on the running guest" {
  run vctl domblklist "$NAME"
  assert_success
  assert_output "$(virsh domblklist "$NAME")"
  run vctl domblklist --json "$NAME"
  assert_equal "$(json_get 'j[0]["source"]' <<<"$output")" "$DISK"
  run vctl vncdisplay "$NAME"
  assert_success
  assert_output "$(virsh vncdisplay "$NAME" | sed '/^$/d')"
  assert_output --regexp '^127\.0\.0\.1:[0-9]+$'
}

@test "domifaddr --wait on a guest without network expires with 4" {
  run vctl domifaddr "$NAME"
  assert_success
  assert_line --index 0 --regexp '^ Name +MAC address +Protocol +Address$'
  run --separate-stderr vctl domifaddr --wait=1 "$NAME"
  assert_failure 4
  [ "$stderr" = "vctl: timed out after 1 s waiting for an address of domain '$NAME'" ]
}

@test "top --once --json and domstats see the running guest" {
  run vctl top --once --json --delay=0.5
  assert_success
  assert_equal "$(json_get "[d['state'] for d in j['domains'] if d['name'] == '$NAME']" <<<"$output")" '["running"]'
  assert_equal "$(json_get "[d['memory'] > 0 and d['cpu_percent'] >= 0 for d in j['domains'] if d['name'] == '$NAME']" <<<"$output")" '[true]'
  run vctl domstats --json "$NAME"
  assert_success
  assert_equal "$(json_get 'j[0]["stats"]["state"]["state"]' <<<"$output")" 1
  assert_equal "$(json_get 'j[0]["stats"]["vcpu_current"]' <<<"$output")" 1
  # groups as objects, numbered items as arrays, snake_case keys, counts left out
  assert_equal "$(json_get 'j[0]["stats"]["cpu"]["time"] > 0' <<<"$output")" true
  assert_equal "$(json_get '[v["state"] for v in j[0]["stats"]["vcpu"]]' <<<"$output")" '[1]'
  assert_equal "$(json_get '[(b["name"], b["path"], b["rd_bytes"] > 0) for b in j[0]["stats"]["block"]]' <<<"$output")" \
    "[[\"hda\", \"$DISK\", true]]"
  assert_equal "$(json_get '[k for k in j[0]["stats"] if "." in k or k.endswith("count")]' <<<"$output")" '[]'
  assert_equal "$(json_get 'sorted(set(k for b in j[0]["stats"]["block"] for k in b if "." in k or k != k.lower()))' <<<"$output")" '[]'
  # the text form keeps virsh's dotted names
  run vctl domstats --block "$NAME"
  assert_output --partial "  block.0.name=hda"
  assert_output --partial "  block.count=1"
}

@test "suspend and resume a real guest" {
  run vctl suspend "$NAME"
  assert_success
  assert_equal "$(vstate)" paused
  run vctl domstate --json "$NAME"
  assert_equal "$(json_get 'j["state"]' <<<"$output")" paused
  run vctl suspend "$NAME"
  assert_failure 5
  run vctl resume "$NAME"
  assert_success
  assert_equal "$(vstate)" running
}

@test "shutdown --force-after destroys a guest that ignores the request" {
  run vctl shutdown --wait=60 --force-after=1 "$NAME"
  assert_success
  assert_output "Domain '$NAME' is shut off: forced off after 1 s (the guest did not shut down)"
  assert_equal "$(vstate)" "shut off"
}

@test "start again, destroy, and destroy of a stopped guest" {
  run vctl start --wait-running=60 "$NAME"
  assert_success
  assert_equal "$(vstate)" running
  run vctl start "$NAME"
  assert_failure 5
  run vctl destroy "$NAME"
  assert_success
  assert_equal "$(vstate)" "shut off"
  run vctl domstate --reason "$NAME"
  assert_output "shut off (destroyed)"
  run vctl destroy "$NAME"
  assert_failure 5
  run vctl destroy --idempotent "$NAME"
  assert_success
}

@test "setmaxmem, setmem, setvcpus --config on the stopped guest" {
  run vctl setmaxmem --config "$NAME" 64M
  assert_success
  run vctl setmem --config "$NAME" 48M
  assert_success
  run vctl setvcpus --config --maximum "$NAME" 2
  assert_success
  run vctl setvcpus --config "$NAME" 2
  assert_success
  run vctl dominfo --json "$NAME"
  assert_equal "$(json_get '[j["max_memory"], j["memory"], j["vcpus"]]' <<<"$output")" \
    "[$((64 << 20)), $((48 << 20)), 2]"
  assert_equal "$(virsh dominfo "$NAME" | grep -E '^(Max memory|Used memory|CPU\(s\))' | tr -s ' ')" \
    "$(printf 'CPU(s): 2\nMax memory: 65536 KiB\nUsed memory: 49152 KiB')"
  run --separate-stderr vctl setmem --config "$NAME" 1G
  assert_failure 2
}

@test "undefine --remove-all-storage removes the definition and the disk" {
  assert_file_exists "$DISK"
  run vctl undefine --remove-all-storage "$NAME"
  assert_success
  assert_line "Domain '$NAME' has been undefined"
  assert_line "Volume '$DISK' removed"
  assert_file_not_exists "$DISK"
  run virsh dominfo "$NAME"
  assert_failure
  run vctl domstate "$NAME"
  assert_failure 3
}

@test "start --console --log: the whole boot is captured until the guest powers off" {
  run vctl define "$BATS_FILE_TMPDIR/con.xml"
  assert_success
  run --separate-stderr vctl start --console --log="$BATS_FILE_TMPDIR/con.log" --timeout=120 "$CON"
  assert_success
  assert_output ""
  [ "$stderr" = "Domain '$CON' started" ]
  grep -q VKIT-GUEST-BOOTED "$BATS_FILE_TMPDIR/con.log"
  run vctl shutdown --wait=30 --idempotent "$CON"
  assert_success
  assert_equal "$(virsh -q domstate "$CON" | sed '/^$/d')" "shut off"
}

@test "start --console without a terminal copies the console to stdout" {
  run --separate-stderr vctl start --console --timeout=120 "$CON"
  assert_success
  assert_output --partial VKIT-GUEST-BOOTED
  run vctl shutdown --wait=30 --idempotent "$CON"
  assert_success
}

@test "console: a stopped domain exits 5; --timeout detaches from a running one" {
  run --separate-stderr vctl console "$CON"
  assert_failure 5
  [[ "$stderr" == "vctl: cannot open the console of domain '$CON': "* ]]
  run vctl start --wait-running=5 --log=x "$CON"
  assert_failure 2
  run vctl define "$BATS_FILE_TMPDIR/con-noacpi.xml"
  assert_success
  run vctl start --wait-running=60 "$CON"
  assert_success
  run vctl console --timeout=1 --log="$BATS_FILE_TMPDIR/con2.log" "$CON"
  assert_success
  assert_file_exists "$BATS_FILE_TMPDIR/con2.log"
  assert_equal "$(virsh -q domstate "$CON" | sed '/^$/d')" running
}

@test "console on a terminal: interactive, Ctrl-] detaches" {
  requires script timeout
  # script(1) gives vctl a terminal; the input ends with Ctrl-] (octal 035)
  run bash -c '(sleep 2; printf "abc\035") | timeout 60 script -qec "$VK_BUILDDIR/vctl console $CON" /dev/null'
  assert_success
  assert_output --partial "Connected to domain '$CON'"
  assert_output --partial "Escape character is ^] (Ctrl + ])"
  assert_equal "$(virsh -q domstate "$CON" | sed '/^$/d')" running
  run vctl destroy "$CON"
  assert_success
  run vctl undefine --remove-all-storage "$CON"
  assert_success
  assert_file_not_exists "$CONDISK"
}

@test "a UEFI guest undefines without an extra option (its NVRAM goes too); --keep-nvram keeps it" {
  # UEFI firmware: Debian package ovmf
  [ -f /usr/share/OVMF/OVMF_CODE.fd ] || cannot "needs ovmf"
  local efi=$NAME-efi nvram
  cat > "$BATS_FILE_TMPDIR/efi.xml" <<XML
<domain type='qemu'>
  <name>$efi</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type></os>
  <features><acpi/></features>
  <devices/>
</domain>
XML
  for keep in no yes; do
    run vctl define "$BATS_FILE_TMPDIR/efi.xml"
    assert_success
    # the first start creates the variable store
    run vctl start --wait-running=60 "$efi"
    assert_success
    nvram=$(vctl dumpxml "$efi" | sed -n 's|.*<nvram[^>]*>\(.*\)</nvram>.*|\1|p')
    [ -n "$nvram" ]
    run vctl destroy "$efi"
    assert_success
    assert_file_exists "$nvram"
    # virsh, the oracle, refuses without --nvram
    run virsh undefine "$efi"
    assert_failure
    if [ $keep = no ]; then
      run vctl undefine "$efi"
      assert_success
      assert_file_not_exists "$nvram"
    else
      run vctl undefine --keep-nvram "$efi"
      assert_success
      assert_file_exists "$nvram"
      rm -f "$nvram"
    fi
    run vctl domstate "$efi"
    assert_failure 3
  done
}

@test "create: a transient guest runs; shutdown --wait --force-after sees it vanish" {
  local tr=$NAME-tr disk=$BATS_FILE_TMPDIR/$NAME-tr.qcow2
  make_guest_disk "$disk"
  guest_xml "$tr" "$disk" "$BATS_FILE_TMPDIR/tr.log" "$(cat /proc/sys/kernel/random/uuid)" |
    sed '/<features>/d' > "$BATS_FILE_TMPDIR/tr.xml"
  run vctl create "$BATS_FILE_TMPDIR/tr.xml"
  assert_success
  assert_output "Domain '$tr' created from $BATS_FILE_TMPDIR/tr.xml"
  run vctl dominfo --json "$tr"
  assert_equal "$(json_get '[j["persistent"], j["state"]]' <<<"$output")" '[false, "running"]'
  run --separate-stderr vctl undefine "$tr"
  assert_failure 5
  run vctl shutdown --wait=60 --force-after=1 "$tr"
  assert_success
  run vctl domstate "$tr"
  assert_failure 3
  run virsh dominfo "$tr"
  assert_failure
}
