#!/usr/bin/env bats
# vctl's counters and names of a real guest (the counter fixture under TCG
# on qemu:///system, writing its count to its disk every second, with a
# tap interface and a balloon): domblkstat, domifstat, dommemstat,
# domblkinfo, domblkerror, cpu-stats, domcontrol, domid, domname, domuuid,
# desc, metadata, schedinfo, memtune, blkiotune, numatune, vcpucount,
# vcpuinfo, vcpupin, emulatorpin, domif-getlink/setlink, screenshot, send-key (VNC, the default
# video card), reset, domrename.  virsh is the oracle; where counters
# move, the guest is paused first so that both read the same numbers.

bats_require_minimum_version 1.5.0
load ../virt-helpers

setup_file() {
  requires virsh qemu-img qemu-system-x86_64 as ld python3
  "$VK_SRCDIR/tests/libvirtd-start.sh"
  export LIBVIRT_DEFAULT_URI=qemu:///system
  export NAME=vkit-t13-mon-$$-$RANDOM D=$BATS_FILE_TMPDIR MAC=52:54:00:13:00:01
  make_counter_disk "$D/os.qcow2"
  qemu-img create -q -f qcow2 "$D/data.qcow2" 64M
  guest_xml "$NAME" "$D/os.qcow2" "$D/serial.log" "$(cat /proc/sys/kernel/random/uuid)" |
    sed "s|</devices>|<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='$D/data.qcow2'/><target dev='vdb' bus='virtio'/></disk><disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk><interface type='ethernet'><mac address='$MAC'/><model type='virtio'/></interface><memballoon model='virtio'/></devices>|" > "$D/g.xml"
  virsh -q define "$D/g.xml" >/dev/null
  virsh -q start "$NAME" >/dev/null
  wait_for_count "$D/serial.log" 2 60
}

teardown_file() {
  remove_guest "$NAME"
  remove_guest "$NAME-renamed"
}

# pause / go on: counters stand still while virsh and vctl both read them
pause() { virsh -q suspend "$NAME" >/dev/null; }
go_on() { virsh -q resume "$NAME" >/dev/null; }
vsh() { virsh "$@" | sed '/^$/d'; }

@test "domblkstat: the disk the guest writes counts up; the same lines as virsh, the sum with no disk" {
  run vctl domblkstat "$NAME" hda --json
  assert_success
  w1=$(json_get 'j["wr_req"]' <<<"$output")
  wait_for_count "$D/serial.log" $(($(last_count "$D/serial.log") + 2)) 30
  run vctl domblkstat "$NAME" hda --json
  w2=$(json_get 'j["wr_req"]' <<<"$output")
  [ "$w2" -gt "$w1" ]
  assert_equal "$(json_get 'j["device"]' <<<"$output")" hda
  pause
  run vctl domblkstat "$NAME" hda
  assert_output "$(vsh domblkstat "$NAME" hda)"
  run vctl domblkstat "$NAME"
  assert_output "$(vsh domblkstat "$NAME")"
  run vctl domblkstat "$NAME" "$D/data.qcow2"
  assert_output "$(vsh domblkstat "$NAME" "$D/data.qcow2")"
  assert_line "$D/data.qcow2 wr_req 0"
  go_on
  run vctl domblkstat "$NAME" vdz
  assert_failure
}

@test "domifstat: by the host device and by MAC, as virsh" {
  dev=$(virsh -q domiflist "$NAME" | awk '{print $1}')
  pause
  run vctl domifstat "$NAME" "$dev"
  assert_success
  assert_output "$(vsh domifstat "$NAME" "$dev")"
  run vctl domifstat "$NAME" "$MAC" --json
  assert_equal "$(json_get '[j["interface"], sorted(j)]' <<<"$output")" \
    "[\"$MAC\", [\"interface\", \"rx_bytes\", \"rx_drop\", \"rx_errs\", \"rx_packets\", \"tx_bytes\", \"tx_drop\", \"tx_errs\", \"tx_packets\"]]"
  go_on
  run vctl domifstat "$NAME" vnet-none
  assert_failure
}

@test "dommemstat: the balloon's figures as virsh; --period sets the refresh" {
  pause
  run vctl dommemstat "$NAME"
  assert_success
  assert_output "$(vsh dommemstat "$NAME")"
  assert_line "actual 32768"
  run vctl dommemstat "$NAME" --json
  assert_equal "$(json_get 'j["actual"]' <<<"$output")" 32768
  go_on
  run vctl dommemstat "$NAME" --period 5 --live
  assert_success
  virsh dumpxml "$NAME" | grep -q "<stats period='5'/>"
  run vctl dommemstat "$NAME" --live
  assert_failure 2
  run vctl dommemstat "$NAME" --period 5 --live --current
  assert_failure 2
}

@test "domblkinfo: one disk as virsh, --all as a table (an empty CD-ROM: -), JSON" {
  run vctl domblkinfo "$NAME" vdb
  assert_success
  assert_output "$(vsh domblkinfo "$NAME" vdb)"
  assert_line --regexp '^Capacity: +67108864$'
  run vctl domblkinfo "$NAME" --all
  assert_output "$(virsh domblkinfo "$NAME" --all | sed '$d')"
  run vctl domblkinfo "$NAME" --all --json
  assert_equal "$(json_get 'sorted((d["device"], d["capacity"]) for d in j)' <<<"$output")" \
    '[["hda", 4194304], ["hdc", null], ["vdb", 67108864]]'
  run vctl domblkinfo "$NAME"
  assert_failure 2
  run vctl domblkinfo "$NAME" vdb --all
  assert_failure 2
}

@test "domstats: the state filters choose among all domains, --backing, the newer groups" {
  run vctl domstats --list-running --state --json
  assert_success
  [ "$(json_get "[d['name'] for d in j if d['name'] == '$NAME']" <<<"$output")" = "[\"$NAME\"]" ]
  run vctl domstats --list-shutoff --list-paused --state --json
  [ "$(json_get "[d['name'] for d in j if d['name'] == '$NAME']" <<<"$output")" = "[]" ]
  run vctl domstats --list-persistent --list-active --state
  assert_line "Domain: '$NAME'"
  run vctl domstats "$NAME" --list-running
  assert_failure 2
  run vctl domstats "$NAME" --block --backing
  assert_success
  assert_line --regexp '^  block\.[0-9]+\.backingIndex=[0-9]+$'
  assert_line "  block.0.name=hda"
  # groups a TCG guest has little or nothing of still answer
  run vctl domstats "$NAME" --memory --iothread --vm --raw
  assert_success
  assert_line "Domain: '$NAME'"
}

@test "domblkerror, domcontrol: no errors, the monitor answers; JSON" {
  run vctl domblkerror "$NAME"
  assert_success
  assert_output "$(vsh domblkerror "$NAME")"
  run vctl domblkerror "$NAME" --json
  assert_output "[]"
  run vctl domcontrol "$NAME"
  assert_output ok
  run vctl domcontrol "$NAME" --json
  assert_equal "$(json_get 'j["state"]' <<<"$output")" ok
}

@test "cpu-stats: the total grows while the guest runs; per host CPU where the host keeps it" {
  run vctl cpu-stats "$NAME" --total --json
  assert_success
  t1=$(json_get 'j["total"]["cpu_time"]' <<<"$output")
  sleep 1
  run vctl cpu-stats "$NAME" --total --json
  t2=$(json_get 'j["total"]["cpu_time"]' <<<"$output")
  [ "$t2" -gt "$t1" ]
  run --separate-stderr vctl cpu-stats "$NAME"
  assert_success
  assert_line "Total:"
  assert_line --regexp $'^\tcpu_time +[0-9]+\\.[0-9]{9} seconds$'
  # cgroup v2 keeps no time per host CPU (virsh fails there): vctl says so
  # and prints the total; elsewhere CPU0 comes first
  if [ -n "$stderr" ]; then
    [[ "$stderr" == *"no CPU time per host CPU"* ]]
  else
    assert_line "CPU0:"
  fi
  run vctl cpu-stats "$NAME" --start 4096
  assert_failure 2
  run vctl cpu-stats "$NAME" --count 0
  assert_failure 2
}

@test "domid, domname, domuuid agree with virsh; desc and the title set, escaped, read back" {
  run vctl domid "$NAME"
  assert_output "$(vsh domid "$NAME")"
  id=$output
  run vctl domname "$id"
  assert_output "$NAME"
  run vctl domuuid "$NAME"
  assert_output "$(vsh domuuid "$NAME")"
  run vctl domname "$output"
  assert_output "$NAME"
  run vctl desc "$NAME"
  assert_output "No description for domain: $NAME"
  run vctl desc "$NAME" --new-desc $'two\nlines <&> \'q\''
  assert_output "Domain description updated successfully"
  run vctl desc "$NAME"
  assert_output $'two\nlines <&> \'q\''
  virsh dumpxml "$NAME" | grep -q "lines &lt;&amp;&gt; &apos;q&apos;</description>"
  run vctl desc "$NAME" --title --new-desc $'a\nb'
  assert_failure 2
  run vctl desc "$NAME" --title --new-desc "A title" --config
  assert_success
  run vctl desc "$NAME" --title --config
  assert_output "A title"
  printf '#!/bin/sh\nsed -i "s/A title/Another/" "$1"\n' > "$BATS_TEST_TMPDIR/ed.sh"
  chmod +x "$BATS_TEST_TMPDIR/ed.sh"
  EDITOR=$BATS_TEST_TMPDIR/ed.sh run vctl desc "$NAME" --title --config --edit
  assert_output "Domain title updated successfully"
  assert_equal "$(vsh desc "$NAME" --title --config)" Another
  run vctl desc "$NAME" --new-desc ""
  run vctl desc "$NAME"
  assert_output "No description for domain: $NAME"
}

@test "metadata: an element of our namespace set, read, removed; missing exits 3" {
  uri=http://example.org/vkit-test/1
  run vctl metadata "$NAME" "$uri"
  assert_failure 3
  run vctl metadata "$NAME" "$uri" --key t --set "<app owner='a&amp;b'/>"
  assert_success
  assert_output "Metadata modified"
  run vctl metadata "$NAME" "$uri"
  assert_output "$(vsh metadata "$NAME" "$uri")"
  assert_output --partial 'owner="a&amp;b"'
  run vctl metadata "$NAME" "$uri" --set "<app/>"
  assert_failure 2
  run vctl metadata "$NAME" "$uri" --key t --set "<app"
  assert_failure
  run vctl metadata "$NAME" "$uri" --remove
  assert_output "Metadata removed"
  run vctl metadata "$NAME" "$uri"
  assert_failure 3
}

@test "schedinfo, memtune, blkiotune, numatune: read as virsh, set, read back; bad names and values exit 2" {
  run vctl schedinfo "$NAME"
  assert_success
  assert_output "$(vsh schedinfo "$NAME")"
  run vctl schedinfo "$NAME" --set cpu_shares=512 --set vcpu_quota=50000
  assert_line "cpu_shares     : 512"
  vsh schedinfo "$NAME" | grep -q '^vcpu_quota *: 50000$'
  run vctl schedinfo "$NAME" --json
  assert_equal "$(json_get '[j["scheduler"], j["cpu_shares"]]' <<<"$output")" '["posix", 512]'
  run --separate-stderr vctl schedinfo "$NAME" --set no_such=1
  assert_failure 2
  [[ "$stderr" == *"not a tunable of this domain (cpu_shares"* ]]
  run vctl schedinfo "$NAME" --set cpu_shares=-5
  assert_failure 2
  run vctl schedinfo "$NAME" --set cpu_shares
  assert_failure 2
  run vctl memtune "$NAME"
  assert_output "$(vsh memtune "$NAME")"
  run vctl memtune "$NAME" --hard-limit 1G --soft-limit 524288
  assert_success
  vsh memtune "$NAME" | grep -q '^hard_limit *: 1048576$'
  run vctl memtune "$NAME" --json
  assert_equal "$(json_get '[j["hard_limit"], j["soft_limit"], j["swap_hard_limit"]]' <<<"$output")" \
    '[1048576, 524288, null]'
  run vctl memtune "$NAME" --hard-limit unlimited --soft-limit unlimited
  vsh memtune "$NAME" | grep -q '^hard_limit *: unlimited$'
  run vctl memtune "$NAME" --hard-limit 12Q
  assert_failure 2
  run vctl blkiotune "$NAME"
  assert_output "$(vsh blkiotune "$NAME")"
  run vctl blkiotune "$NAME" --weight 300
  assert_success
  vsh blkiotune "$NAME" | grep -q '^weight *: 300$'
  run vctl numatune "$NAME"
  assert_output "$(vsh numatune "$NAME")"
  run vctl numatune "$NAME" --mode sideways
  assert_failure 2
  run vctl numatune "$NAME" --json
  assert_equal "$(json_get 'sorted(j)' <<<"$output")" '["numa_mode", "numa_nodeset"]'
  run vctl memtune "$NAME" --live --current
  assert_failure 2
}

@test "vcpucount, vcpuinfo, vcpupin, emulatorpin: as virsh; pinning set and read back; bad lists exit 2" {
  run vctl vcpucount "$NAME"
  assert_success
  assert_output "$(vsh vcpucount "$NAME")"
  run vctl vcpucount "$NAME" --json
  assert_equal "$(json_get 'j["current_live"]' <<<"$output")" 1
  last=$(( $(nproc) - 1 ))
  run vctl vcpupin "$NAME" 0 "$last"
  assert_success
  run vctl vcpupin "$NAME"
  assert_output "$(virsh vcpupin "$NAME" | sed '$d')"
  assert_line --regexp "^ 0 +$last\$"
  run vctl vcpuinfo "$NAME"
  assert_line --regexp "^CPU: +$last\$"
  assert_line --regexp "^CPU Affinity: +$last\$"
  run vctl vcpuinfo "$NAME" --json
  assert_equal "$(json_get '[j[0]["vcpu"], j[0]["state"], j[0]["affinity"]]' <<<"$output")" "[0, \"running\", \"$last\"]"
  run vctl vcpupin "$NAME" 0 r
  run vctl vcpupin "$NAME" 0 --json
  assert_equal "$(json_get 'j[0]["affinity"]' <<<"$output")" "$([ "$last" -gt 0 ] && echo "0-$last" || echo 0)"
  run vctl vcpupin "$NAME" 0 4096
  assert_failure 2
  run vctl vcpupin "$NAME" 0 1-x
  assert_failure 2
  run vctl vcpupin "$NAME" 0 "0,^0"
  assert_failure 2
  run vctl vcpupin "$NAME" 7
  assert_failure 2
  run vctl emulatorpin "$NAME" 0
  assert_success
  run vctl emulatorpin "$NAME"
  assert_output "$(virsh emulatorpin "$NAME" | sed '$d')"
  run vctl emulatorpin "$NAME" --json
  assert_equal "$(json_get 'j["affinity"]' <<<"$output")" 0
}

@test "screenshot: a PNG of the guest's display, as virsh's; an existing file exits 5 unless --overwrite, a missing directory 3; nothing left" {
  mkdir "$D/cwd" && cd "$D/cwd"
  run --separate-stderr vctl screenshot "$NAME" --json
  assert_success
  f=$(json_get 'j["file"]' <<<"$output")
  assert_equal "$(json_get 'j["mime"]' <<<"$output")" image/png
  [[ "$f" == "$NAME"-20[0-9][0-9]-[01][0-9]-[0-3][0-9]-[0-2][0-9]:[0-5][0-9]:[0-5][0-9].png ]]
  [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
  # the same picture size as virsh's (width and height of the IHDR chunk)
  run vctl screenshot "$NAME" "$D/s.png"
  assert_success
  assert_output "Screenshot saved to $D/s.png, with type of image/png"
  virsh screenshot "$NAME" --file "$D/v.png" >/dev/null
  [ "$(od -An -tx1 -j16 -N8 "$D/s.png")" = "$(od -An -tx1 -j16 -N8 "$D/v.png")" ]
  # the mode a new file gets, not mkstemp's 0600
  touch "$D/m"
  [ "$(stat -c %a "$D/s.png")" = "$(stat -c %a "$D/m")" ]
  run --separate-stderr vctl screenshot "$NAME" --file "$D/s.png"
  assert_failure 5
  assert_equal "$stderr" "vctl: '$D/s.png' exists (--overwrite replaces it)"
  : >"$D/s.png"
  run vctl screenshot "$NAME" --file "$D/s.png" --overwrite
  assert_success
  [ -s "$D/s.png" ]
  run --separate-stderr vctl screenshot "$NAME" "$D/no/such/s.png"
  assert_failure 3
  assert_equal "$stderr" "vctl: directory '$D/no/such': No such file or directory"
  run --separate-stderr vctl screenshot "$NAME" "$D/x.png" --file "$D/y.png"
  assert_failure 2
  [ -z "$(ls -A "$D" | grep -e vkit-screenshot -e '^[xy].png$')" ]
  [ "$(ls -A "$D/cwd")" = "$f" ] || fail "left in the directory: $(ls -A "$D/cwd")"
}

@test "send-key: names and numbers of the linux set, another codeset, a hold time; what the hypervisor cannot translate exits 1, bad input 2" {
  run vctl send-key "$NAME" KEY_LEFTCTRL KEY_LEFTALT KEY_F1
  assert_success
  assert_output ""
  run vctl send-key "$NAME" enter 0x1e --holdtime 50
  assert_success
  run vctl send-key "$NAME" --codeset xt 0x1c
  assert_success
  # a code QEMU's keymap lacks: libvirt's message, as virsh's, status 1
  run --separate-stderr vctl send-key "$NAME" 0xfff
  assert_failure 1
  assert_equal "$stderr" "vctl: cannot send keys to domain '$NAME': internal error: cannot translate keycode 4095 of linux codeset to qnum keycode"
  run --separate-stderr vctl send-key "$NAME" KEY_NOSUCH
  assert_failure 2
  assert_equal "$stderr" "vctl: key 'KEY_NOSUCH' is not a key name (KEY_A, KEY_ENTER, ...) or a number"
  run --separate-stderr vctl send-key "$NAME" --codeset xt KEY_A
  assert_failure 2
  run --separate-stderr vctl send-key "$NAME" --codeset ebcdic 1
  assert_failure 2
  run --separate-stderr vctl send-key "$NAME" 0x10000
  assert_failure 2
  run --separate-stderr vctl send-key "$NAME" KEY_A KEY_A
  assert_failure 2
  run --separate-stderr vctl send-key "$NAME" 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17
  assert_failure 2
  assert_equal "$stderr" "vctl send-key: 17 keys given: at most 16 are pressed together (try 'vctl send-key --help')"
  # the guest goes on counting
  wait_for_count "$D/serial.log" $(($(last_count "$D/serial.log") + 1)) 30
}

@test "domif-getlink, domif-setlink: down and up again, by MAC and by device name, as virsh sees it; --config" {
  dev=$(virsh domiflist "$NAME" | awk -v m="$MAC" '$5 == m {print $1}')
  [ -n "$dev" ]
  run vctl domif-getlink "$NAME" "$MAC"
  assert_output "$MAC up"
  run vctl domif-setlink "$NAME" "$MAC" down
  assert_success
  assert_output "Device updated successfully"
  run virsh domif-getlink "$NAME" "$dev"
  assert_output --partial "down"
  run vctl domif-getlink "$NAME" "$dev"
  assert_output "$dev down"
  # the definition is untouched by a live change
  run vctl domif-getlink "$NAME" "$MAC" --config
  assert_output "$MAC up"
  run vctl domif-setlink "$NAME" "$dev" up
  assert_success
  run vctl domif-getlink "$NAME" "$MAC"
  assert_output "$MAC up"
  run vctl domif-setlink "$NAME" "$MAC" sideways
  assert_failure 2
  run vctl domif-getlink "$NAME" 52:54:00:99:99:99
  assert_failure 3
}

@test "reset: the guest starts over (its count begins again)" {
  wait_for_count "$D/serial.log" 3 60
  run vctl reset "$NAME"
  assert_success
  assert_output "Domain '$NAME' was reset"
  [ "$(tr -d '\r' < "$D/serial.log" | grep -c VKIT-COUNTER-BOOTED)" -ge 1 ]
  for _ in $(seq 1 300); do
    [ "$(tr -d '\r' < "$D/serial.log" | grep -c VKIT-COUNTER-BOOTED)" -ge 2 ] && break
    sleep 0.1
  done
  [ "$(tr -d '\r' < "$D/serial.log" | grep -c VKIT-COUNTER-BOOTED)" -ge 2 ]
  assert_equal "$(vsh domstate "$NAME")" running
}

@test "domrename: a running guest exits 5 (reset of a shut-off one too); shut off, renamed (virsh sees it), a taken name exits 5" {
  run vctl domrename "$NAME" "$NAME-renamed"
  assert_failure 5
  virsh -q destroy "$NAME" >/dev/null
  run vctl domid "$NAME"
  [ "$output" = "-" ]
  run vctl reset "$NAME"
  assert_failure 5
  run vctl domrename "$NAME" "$NAME-renamed"
  assert_success
  assert_output "Domain '$NAME' renamed to '$NAME-renamed'"
  run virsh -q domstate "$NAME-renamed"
  assert_success
  ! virsh -q domstate "$NAME" >/dev/null 2>&1
  sed "s|<uuid>.*</uuid>|<uuid>$(cat /proc/sys/kernel/random/uuid)</uuid>|" "$D/g.xml" > "$D/g2.xml"
  virsh -q define "$D/g2.xml" >/dev/null
  run vctl domrename "$NAME-renamed" "$NAME"
  assert_failure 5
  run vctl domrename "$NAME-renamed" ""
  assert_failure 2
}
