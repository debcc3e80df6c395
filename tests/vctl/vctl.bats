#!/usr/bin/env bats
# vctl: command-line behaviour, on libvirt's test driver (no daemon).

bats_require_minimum_version 1.5.0
load ../virt-helpers

setup() {
  URI=$(test_node "$BATS_TEST_TMPDIR")
  export LIBVIRT_DEFAULT_URI=$URI
}

@test "vctl --version" {
  run vctl --version
  assert_success
  assert_output --regexp '^vctl \(vkit\) [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "vctl --help lists the connection option" {
  run vctl --help
  assert_success
  assert_line --partial -- "--connect=URI"
}

@test "vctl with an unknown option before the command exits 2" {
  run --separate-stderr vctl --bogus list
  assert_failure 2
  assert_output ""
  [[ "$stderr" == "vctl: --bogus: unknown option (try 'vctl --help')" ]]
}

@test "list shows running domains in virsh's table" {
  run vctl list
  assert_success
  assert_output "$(virsh list)"
  assert_line --index 2 --regexp '^ 1 +vkit-t5-run +running$'
  refute_output --partial vkit-t5-off
}

@test "list --all: running by id, then the others, same table as virsh" {
  run vctl list --all
  assert_success
  assert_output "$(virsh list --all)"
  assert_line --index 4 --regexp '^ - +vkit-t5-off +shut off$'
}

@test "list -c URI on the command line overrides LIBVIRT_DEFAULT_URI" {
  run vctl -c test:///default list --name
  assert_success
  assert_output "test"
  run vctl list -c test:///default --name
  assert_output "test"
}

@test "list --name, --uuid, --inactive, state filters" {
  run vctl list --all --name
  assert_output "$(printf 'vkit-t5-run\nvkit-t5 odd "name" <x>\nvkit-t5-off')"
  run vctl list --inactive --uuid
  assert_output "11111111-2222-3333-4444-555555555502"
  run vctl list --state-paused --name
  assert_output 'vkit-t5 odd "name" <x>'
  run vctl list --state-shutoff --name
  assert_output vkit-t5-off
  run vctl list --state-running --state-paused --name
  assert_output "$(printf 'vkit-t5-run\nvkit-t5 odd "name" <x>')"
  run vctl list --inactive --state-running --name
  assert_success
  assert_output ""
  run vctl list --all --autostart --name
  assert_success
  assert_output ""
  run vctl list --all --no-autostart --name
  assert_equal "${#lines[@]}" 3
}

@test "list --json: stable keys and one-word states" {
  run vctl list --all --json
  assert_success
  assert_equal "$(json_get '[d["state"] for d in j]' <<<"$output")" '["running", "paused", "shutoff"]'
  assert_equal "$(json_get 'j[2]["id"]' <<<"$output")" null
  assert_equal "$(json_get 'j[0]["id"]' <<<"$output")" 1
  assert_equal "$(json_get 'sorted(j[0].keys())' <<<"$output")" \
    '["autostart", "has_snapshot", "id", "managed_save", "name", "persistent", "reason", "state", "uuid"]'
  assert_equal "$(json_get 'j[1]["name"]' <<<"$output")" 'vkit-t5 odd "name" <x>'
}

@test "list: exclusive output options are a usage error" {
  run --separate-stderr vctl list --name --json
  assert_failure 2
  assert_output ""
  [[ "$stderr" == *"exclude each other"* ]]
}

@test "start a shut-off domain; start a running one exits 5, 0 with --idempotent" {
  run vctl start vkit-t5-off
  assert_success
  assert_output "Domain 'vkit-t5-off' started"
  run --separate-stderr vctl start vkit-t5-run
  assert_failure 5
  assert_output ""
  [ "$stderr" = "vctl: domain 'vkit-t5-run' is already running" ]
  run vctl start --idempotent vkit-t5-run
  assert_success
  assert_output "Domain 'vkit-t5-run' is already running"
}

@test "start --wait-running returns once running" {
  run vctl start --wait-running=10 vkit-t5-off
  assert_success
}

@test "shutdown --wait returns once off; a stopped domain exits 5 unless --idempotent" {
  run vctl shutdown --wait=10 vkit-t5-run
  assert_success
  assert_output "Domain 'vkit-t5-run' is shut off"
  run --separate-stderr vctl shutdown vkit-t5-off
  assert_failure 5
  [ "$stderr" = "vctl: domain 'vkit-t5-off' is not running" ]
  run vctl shutdown --idempotent vkit-t5-off
  assert_success
  assert_output "Domain 'vkit-t5-off' is already shut off"
}

@test "shutdown: bad --wait and --force-after values are usage errors" {
  run --separate-stderr vctl shutdown --wait=soon vkit-t5-run
  assert_failure 2
  [[ "$stderr" == *"--wait: 'soon' is not a duration"* ]]
  run --separate-stderr vctl shutdown --force-after=-3 vkit-t5-run
  assert_failure 2
}

@test "destroy, and destroy of a stopped domain" {
  run vctl destroy vkit-t5-run
  assert_success
  assert_output "Domain 'vkit-t5-run' destroyed"
  run vctl destroy --graceful vkit-t5-run
  assert_success
  run vctl destroy vkit-t5-off
  assert_failure 5
  run vctl destroy --idempotent vkit-t5-off
  assert_success
  assert_output "Domain 'vkit-t5-off' is already shut off"
}

@test "suspend and resume, with their wrong-state errors" {
  run vctl suspend vkit-t5-run
  assert_success
  assert_output "Domain 'vkit-t5-run' suspended"
  run vctl resume vkit-t5-run
  assert_failure 5
  run vctl resume --idempotent vkit-t5-run
  assert_success
  assert_output "Domain 'vkit-t5-run' is already running (not paused)"
  run vctl suspend --idempotent 'vkit-t5 odd "name" <x>'
  assert_success
  assert_output "Domain 'vkit-t5 odd \"name\" <x>' is already paused"
  run vctl resume 'vkit-t5 odd "name" <x>'
  assert_success
  assert_output "Domain 'vkit-t5 odd \"name\" <x>' resumed"
  run vctl suspend 'vkit-t5 odd "name" <x>'
  assert_failure 5
  run vctl suspend vkit-t5-off
  assert_failure 5
}

@test "reboot a running domain; a stopped one exits 5" {
  run vctl reboot vkit-t5-run
  assert_success
  run vctl reboot vkit-t5-off
  assert_failure 5
}

@test "autostart and autostart --disable" {
  run vctl autostart vkit-t5-off
  assert_success
  assert_output "Domain 'vkit-t5-off' marked as autostarted"
  run vctl autostart --disable vkit-t5-off
  assert_output "Domain 'vkit-t5-off' unmarked as autostarted"
}

@test "lookup by id and by UUID" {
  run vctl domstate 1
  assert_output running
  run vctl domstate 11111111-2222-3333-4444-555555555502
  assert_output "shut off"
  run vctl domstate 11111111222233334444555555555502
  assert_output "shut off"
}

@test "an unknown domain exits 3 with libvirt's message, nothing on stdout" {
  local c
  for c in start shutdown destroy reboot suspend resume autostart undefine dumpxml dominfo domstate; do
    run --separate-stderr vctl "$c" vkit-t5-nope
    assert_failure 3
    assert_output ""
    [[ "$stderr" == "vctl: failed to get domain 'vkit-t5-nope': Domain not found"* ]] || fail "$c: $stderr"
    [ "${#stderr_lines[@]}" -eq 1 ]
  done
}

@test "a missing domain argument is a usage error" {
  run vctl start
  assert_failure 2
}

@test "domstate, --reason, --json" {
  run vctl domstate vkit-t5-off
  assert_output "shut off"
  run vctl domstate --reason vkit-t5-run
  assert_output "$(virsh domstate --reason vkit-t5-run | sed '/^$/d')"
  run vctl domstate --json 'vkit-t5 odd "name" <x>'
  assert_equal "$(json_get 'j["state"]' <<<"$output")" paused
  assert_equal "$(json_get 'j["name"]' <<<"$output")" 'vkit-t5 odd "name" <x>'
}

@test "dominfo: virsh's fields in virsh's order" {
  run vctl dominfo vkit-t5-run
  assert_success
  # CPU time moves; everything else matches virsh line by line
  assert_equal "$(grep -v '^CPU time' <<<"$output")" "$(virsh dominfo vkit-t5-run | grep -v '^CPU time' | sed '/^$/d')"
  run vctl dominfo vkit-t5-off
  assert_line "Id:             -"
  assert_line "State:          shut off"
}

@test "dominfo --json" {
  run vctl dominfo --json vkit-t5-run
  assert_success
  assert_equal "$(json_get 'j["memory"]' <<<"$output")" $((192 * 1024 * 1024))
  assert_equal "$(json_get 'j["max_memory"]' <<<"$output")" $((256 * 1024 * 1024))
  assert_equal "$(json_get 'j["vcpus"]' <<<"$output")" 1
  assert_equal "$(json_get 'j["state"]' <<<"$output")" running
  assert_equal "$(json_get 'j["persistent"]' <<<"$output")" true
  run vctl dominfo --json vkit-t5-off
  assert_equal "$(json_get 'j["id"]' <<<"$output")" null
}

@test "dumpxml and dumpxml --inactive" {
  run vctl dumpxml vkit-t5-run
  assert_success
  assert_output "$(virsh dumpxml vkit-t5-run)"
  run vctl dumpxml --inactive vkit-t5-run
  assert_success
  assert_output --partial "<name>vkit-t5-run</name>"
}

@test "define from a file and from stdin; create a transient domain" {
  cat > "$BATS_TEST_TMPDIR/d.xml" <<'XML'
<domain type='test'><name>vkit-t5-new</name><memory>65536</memory><os><type>hvm</type></os></domain>
XML
  run vctl define "$BATS_TEST_TMPDIR/d.xml"
  assert_success
  assert_output "Domain 'vkit-t5-new' defined from $BATS_TEST_TMPDIR/d.xml"
  run vctl define - < "$BATS_TEST_TMPDIR/d.xml"
  assert_success
  assert_output "Domain 'vkit-t5-new' defined from -"
  run vctl create "$BATS_TEST_TMPDIR/d.xml"
  assert_success
  assert_output "Domain 'vkit-t5-new' created from $BATS_TEST_TMPDIR/d.xml"
}

@test "define: a missing file exits 3, broken XML exits 2, one line each" {
  run --separate-stderr vctl define "$BATS_TEST_TMPDIR/none.xml"
  assert_failure 3
  [ "${#stderr_lines[@]}" -eq 1 ]
  echo '<domain type="test"><name>x' > "$BATS_TEST_TMPDIR/bad.xml"
  run --separate-stderr vctl define "$BATS_TEST_TMPDIR/bad.xml"
  assert_failure 2
  assert_output ""
  [ "${#stderr_lines[@]}" -eq 1 ]
  [[ "$stderr" == "vctl: $BATS_TEST_TMPDIR/bad.xml: cannot define the domain: "* ]]
}

@test "define or create of a name another domain holds exits 5 with libvirt's message" {
  # test:///default has a running domain named "test"; this one has another UUID
  echo "<domain type='test'><name>test</name><uuid>11111111-2222-3333-4444-555555555599</uuid><memory>65536</memory><os><type>hvm</type></os></domain>" > "$BATS_TEST_TMPDIR/taken.xml"
  for c in define create; do
    run --separate-stderr vctl -c test:///default $c "$BATS_TEST_TMPDIR/taken.xml"
    assert_failure 5
    assert_output ""
    [ "${#stderr_lines[@]}" -eq 1 ]
    [[ "$stderr" == "vctl: $BATS_TEST_TMPDIR/taken.xml: cannot $c the domain: "*"domain 'test' already exists with uuid "* ]]
  done
  # a shut-off domain's name, in the suite's node
  sed 's/<name>test</<name>vkit-t5-off</' "$BATS_TEST_TMPDIR/taken.xml" > "$BATS_TEST_TMPDIR/taken2.xml"
  run --separate-stderr vctl define "$BATS_TEST_TMPDIR/taken2.xml"
  assert_failure 5
  [[ "$stderr" == *"domain 'vkit-t5-off' already exists"* ]]
  # still 1 for a failure that is not a conflict, 2 for bad XML
  echo "<domain type='test'><name>x</name><memory>65536</memory><os><type>nosuch</type></os></domain>" > "$BATS_TEST_TMPDIR/bad-os.xml"
  run --separate-stderr vctl -c test:///default define "$BATS_TEST_TMPDIR/bad-os.xml"
  assert_failure 1
}

@test "undefine a stopped domain; a transient one is refused" {
  run vctl undefine vkit-t5-off
  assert_success
  assert_output "Domain 'vkit-t5-off' has been undefined"
  run vctl undefine --nvram --keep-nvram vkit-t5-off
  assert_failure 2
}

@test "undefine --remove-all-storage refuses a running domain" {
  run --separate-stderr vctl undefine --remove-all-storage vkit-t5-run
  assert_failure 5
  [[ "$stderr" == *"is running; destroy it before removing its storage" ]]
}

@test "a bad or unreachable URI exits 6 with one line" {
  run --separate-stderr vctl -c 'qemu+unix:///system?socket=/nonexistent/sock' list
  assert_failure 6
  assert_output ""
  [[ "$stderr" == "vctl: cannot connect to 'qemu+unix:///system?socket=/nonexistent/sock': "* ]]
  [ "${#stderr_lines[@]}" -eq 1 ]
  run --separate-stderr vctl -c nosuch:///x domstate foo
  assert_failure 6
  [ "${#stderr_lines[@]}" -eq 1 ]
}

@test "a socket nobody listens on (a stopped daemon) exits 6" {
  local sock=$BATS_TEST_TMPDIR/dead-sock
  python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$sock"
  [ -S "$sock" ]
  run --separate-stderr vctl -c "qemu+unix:///system?socket=$sock" list --all
  assert_failure 6
  [[ "$stderr" == *"Connection refused"* ]]
}

@test "domblklist and --details: virsh's table" {
  run vctl domblklist vkit-t5-run
  assert_success
  assert_output "$(virsh domblklist vkit-t5-run)"
  run vctl domblklist --details vkit-t5-run
  assert_output "$(virsh domblklist --details vkit-t5-run)"
  assert_line --regexp '^ file +cdrom +sda +/var/lib/vkit-t5/install.iso$'
}

@test "domblklist --json" {
  run vctl domblklist --json vkit-t5-run
  assert_success
  assert_equal "$(json_get '[(d["target"], d["source"], d["device"], d["format"], d["readonly"]) for d in j]' <<<"$output")" \
    '[["vda", "/var/lib/vkit-t5/a.qcow2", "disk", "qcow2", false], ["sda", "/var/lib/vkit-t5/install.iso", "cdrom", null, true]]'
  run vctl domblklist --json vkit-t5-off
  assert_output "[]"
}

@test "domiflist and --json" {
  run vctl domiflist vkit-t5-run
  assert_success
  assert_output "$(virsh domiflist vkit-t5-run)"
  run vctl domiflist --json vkit-t5-run
  assert_equal "$(json_get 'j[0]' <<<"$output")" \
    '{"interface": "testnet0", "type": "network", "source": "default", "model": "virtio", "mac": "52:54:00:00:00:01"}'
}

@test "domifaddr: virsh's layout, --json, bad --source" {
  run vctl -c test:///default domifaddr test
  assert_success
  assert_output "$(virsh -c test:///default domifaddr test)"
  run vctl -c test:///default domifaddr --source=agent --json test
  assert_equal "$(json_get 'j[0]' <<<"$output")" \
    '{"interface": "testnet0", "mac": "aa:bb:cc:dd:ee:ff", "protocol": "ipv4", "address": "192.168.122.3", "prefix": 24}'
  run --separate-stderr vctl -c test:///default domifaddr --source=dhcp test
  assert_failure 2
  [[ "$stderr" == *"--source: 'dhcp' is not one of lease, agent, arp"* ]]
  # the lease source needs the domain's network: not on this node
  run --separate-stderr vctl domifaddr vkit-t5-run
  assert_failure 3
  [[ "$stderr" == "vctl: cannot get the addresses of domain 'vkit-t5-run': Network not found"* ]]
}

@test "vncdisplay: host:display; a stopped domain exits 5" {
  run vctl vncdisplay vkit-t5-run
  assert_success
  assert_output "127.0.0.1:1"
  run --separate-stderr vctl vncdisplay vkit-t5-off
  assert_failure 5
  [ "$stderr" = "vctl: domain 'vkit-t5-off' is not running" ]
  run --separate-stderr vctl -c test:///default vncdisplay test
  assert_failure 3
  [ "$stderr" = "vctl: domain 'test' has no VNC display" ]
}

@test "setmem, setmaxmem, setvcpus succeed silently" {
  run vctl setmem vkit-t5-run 128M
  assert_success
  assert_output ""
  run vctl setmem --live vkit-t5-run 131072
  assert_success
  run vctl setmaxmem --config vkit-t5-off 1G
  assert_success
  run vctl setvcpus vkit-t5-run 2
  assert_success
}

@test "setmem: negative, garbage, zero or too much memory is refused with one line" {
  run --separate-stderr vctl setmem vkit-t5-run -- -5
  assert_failure 2
  [[ "$stderr" == "vctl setmem: invalid size '-5'"* ]]
  run --separate-stderr vctl setmem vkit-t5-run lots
  assert_failure 2
  run --separate-stderr vctl setmem vkit-t5-run 0
  assert_failure 2
  [[ "$stderr" == *"at least 1 KiB"* ]]
  run --separate-stderr vctl setmem vkit-t5-run 1P
  assert_failure 2
  [ "$stderr" = "vctl: cannot set the memory of domain 'vkit-t5-run': invalid argument: cannot set memory higher than max memory" ]
  run --separate-stderr vctl setmem vkit-t5-run 99999999999999999999T
  assert_failure 2
  [ "${#stderr_lines[@]}" -eq 1 ]
  run vctl setmem --current --live vkit-t5-run 1G
  assert_failure 2
  run vctl setmem vkit-t5-nope 1G
  assert_failure 3
}

@test "setvcpus: zero, garbage, or more than the maximum is refused" {
  run --separate-stderr vctl setvcpus vkit-t5-run 0
  assert_failure 2
  [[ "$stderr" == "vctl setvcpus: '0' is not a number of virtual CPUs"* ]]
  run vctl setvcpus vkit-t5-run two
  assert_failure 2
  run --separate-stderr vctl setvcpus vkit-t5-run 64
  assert_failure 2
  [[ "$stderr" == "vctl: cannot set the virtual CPUs of domain 'vkit-t5-run': invalid argument: "* ]]
}

@test "domstats: virsh's text, --json, one domain or all" {
  run vctl -c test:///default domstats --state
  assert_success
  assert_output "$(virsh -c test:///default domstats --state)"
  run vctl domstats --json --state vkit-t5-run vkit-t5-off
  assert_success
  assert_equal "$(json_get '[(d["name"], d["stats"]["state"]["state"]) for d in j]' <<<"$output")" \
    '[["vkit-t5-run", 1], ["vkit-t5-off", 5]]'
  # structure, not libvirt's dotted names: the text keeps those
  assert_equal "$(json_get 'sorted(j[0]["stats"]["state"])' <<<"$output")" '["reason", "state"]'
  refute_output --partial 'state.state'
  run vctl domstats --state vkit-t5-run
  assert_output --partial '  state.state=1'
  run vctl domstats vkit-t5-nope
  assert_failure 3
}

@test "top --once: a table of running domains; --json keys" {
  run vctl top --once --delay=0.1
  assert_success
  assert_line --index 0 --regexp '^ Id +Name +State +CPU% +vCPUs +Memory +Disk read +Disk write +Net rx +Net tx$'
  assert_line --regexp '^ 1 +vkit-t5-run +running '
  refute_output --partial vkit-t5-off
  run vctl top --json --delay=0.1
  assert_success
  assert_equal "$(json_get 'j["interval_ms"]' <<<"$output")" 100
  assert_equal "$(json_get 'sorted(j["domains"][0].keys())' <<<"$output")" \
    '["cpu_percent", "disk_read_bytes_per_sec", "disk_write_bytes_per_sec", "id", "memory", "name", "net_rx_bytes_per_sec", "net_tx_bytes_per_sec", "state", "vcpus"]'
  run vctl top --once --delay=0
  assert_failure 2
}

@test "a daemon that accepts but never answers: exit 6 after VKIT_CONNECT_TIMEOUT, no hang" {
  local sock=$BATS_TEST_TMPDIR/mute-sock
  python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(5)
held = []
while True:
    held.append(s.accept()[0])
' "$sock" 3>&- &
  local pid=$!
  for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.1; done
  VKIT_CONNECT_TIMEOUT=2 run --separate-stderr vctl -c "qemu+unix:///system?socket=$sock" list --all
  kill "$pid"
  assert_failure 6
  assert_output ""
  [ "$stderr" = "vctl: cannot connect to 'qemu+unix:///system?socket=$sock': no answer within 2 s" ]
}

@test "top on a terminal: refreshing view, q quits" {
  requires script timeout
  run bash -c '(sleep 1.5; printf q) | timeout 30 script -qec "$VK_BUILDDIR/vctl top --delay=0.2" /dev/null'
  assert_success
  assert_output --partial "vctl top - "
  assert_output --partial "running domains - refresh 0.2 s, q to quit"
  assert_output --regexp ' 1 +vkit-t5-run +running '
}

@test "net-list: virsh's table, --all, --name, --json" {
  export LIBVIRT_DEFAULT_URI=$(test_net_node "$BATS_TEST_TMPDIR")
  run vctl net-list
  assert_success
  assert_output "$(virsh net-list)"
  assert_line --index 2 --regexp '^ vkit-t9-a +active +no +yes$'
  run vctl net-list --all
  assert_output "$(virsh net-list --all)"
  run vctl net-list --name
  assert_output $'vkit-t9-a\nvkit-t9-b'
  run vctl net-list --json
  assert_equal "$(json_get '[(n["name"], n["uuid"][-2:], n["active"], n["persistent"], n["autostart"]) for n in j]' <<<"$output")" \
    '[["vkit-t9-a", "01", true, true, false], ["vkit-t9-b", "02", true, true, false]]'
  run --separate-stderr vctl net-list --name --json
  assert_failure 2
  assert_output ""
  run vctl -c test:///default net-list --name
  assert_output default
}

@test "net-info by name or UUID, --json; an unknown network exits 3" {
  export LIBVIRT_DEFAULT_URI=$(test_net_node "$BATS_TEST_TMPDIR")
  run vctl net-info vkit-t9-a
  assert_success
  assert_output "$(virsh net-info vkit-t9-a | sed '/^$/d')"
  run vctl net-info 22222222-3333-4444-5555-666666666602
  assert_line --index 0 --regexp '^Name: +vkit-t9-b$'
  assert_line --index 5 --regexp '^Bridge: +vkt9b$'
  run vctl net-info --json vkit-t9-b
  assert_equal "$(json_get '[j["name"], j["uuid"], j["active"], j["persistent"], j["autostart"], j["bridge"]]' <<<"$output")" \
    '["vkit-t9-b", "22222222-3333-4444-5555-666666666602", true, true, false, "vkt9b"]'
  for c in net-info net-start net-destroy net-undefine net-autostart net-dumpxml net-dhcp-leases; do
    run --separate-stderr vctl $c vkit-t9-nope
    assert_failure 3
    assert_output ""
    assert_equal "$stderr" "vctl: failed to get network 'vkit-t9-nope': Network not found: no network with matching name 'vkit-t9-nope'"
  done
  run --separate-stderr vctl net-info
  assert_failure 2
}

@test "net-start, net-destroy with --idempotent; net-undefine, net-autostart" {
  export LIBVIRT_DEFAULT_URI=$(test_net_node "$BATS_TEST_TMPDIR")
  run --separate-stderr vctl net-start vkit-t9-a
  assert_failure 5
  assert_output ""
  assert_equal "$stderr" "vctl: network 'vkit-t9-a' is already active"
  run vctl net-start --idempotent vkit-t9-a
  assert_success
  assert_output "Network vkit-t9-a is already active"
  run vctl net-destroy vkit-t9-a
  assert_success
  assert_output "Network vkit-t9-a destroyed"
  # net-stop is net-destroy (the name the seeds use)
  run vctl net-stop vkit-t9-a
  assert_success
  assert_output "Network vkit-t9-a destroyed"
  run vctl net-stop --idempotent vkit-t9-b
  assert_success
  assert_output "Network vkit-t9-b destroyed"
  run vctl net-autostart vkit-t9-b
  assert_output "Network vkit-t9-b marked as autostarted"
  run vctl net-autostart --disable vkit-t9-b
  assert_output "Network vkit-t9-b unmarked as autostarted"
  # the test driver refuses to undefine an active network (libvirtd makes it transient)
  run --separate-stderr vctl net-undefine vkit-t9-b
  assert_failure 5
  [[ "$stderr" == "vctl: cannot undefine network 'vkit-t9-b': "* ]]
}

@test "net-define, net-create from a file and stdin; a taken name exits 5; bad XML 2" {
  export LIBVIRT_DEFAULT_URI=$(test_net_node "$BATS_TEST_TMPDIR")
  echo "<network><name>vkit-t9-new</name><bridge name='vkt9n'/></network>" > "$BATS_TEST_TMPDIR/n.xml"
  run vctl net-define "$BATS_TEST_TMPDIR/n.xml"
  assert_success
  assert_output "Network vkit-t9-new defined from $BATS_TEST_TMPDIR/n.xml"
  run vctl net-create - < "$BATS_TEST_TMPDIR/n.xml"
  assert_success
  assert_output "Network vkit-t9-new created from -"
  echo "<network><name>vkit-t9-a</name><bridge name='vkt9n'/></network>" > "$BATS_TEST_TMPDIR/taken.xml"
  for c in net-define net-create; do
    run --separate-stderr vctl $c "$BATS_TEST_TMPDIR/taken.xml"
    assert_failure 5
    assert_output ""
    [[ "$stderr" == "vctl: $BATS_TEST_TMPDIR/taken.xml: cannot ${c#net-} the network: "*"network 'vkit-t9-a' already exists"* ]]
  done
  echo "<network><name>x" > "$BATS_TEST_TMPDIR/bad.xml"
  run --separate-stderr vctl net-define "$BATS_TEST_TMPDIR/bad.xml"
  assert_failure 2
  [ "${#stderr_lines[@]}" -eq 1 ]
  run --separate-stderr vctl net-define "$BATS_TEST_TMPDIR/none.xml"
  assert_failure 3
}

@test "net-dumpxml; net-dhcp-leases where the driver has none exits 1" {
  export LIBVIRT_DEFAULT_URI=$(test_net_node "$BATS_TEST_TMPDIR")
  run vctl net-dumpxml vkit-t9-a
  assert_success
  assert_output "$(virsh net-dumpxml vkit-t9-a)"
  run --separate-stderr vctl net-dhcp-leases vkit-t9-a
  assert_failure 1
  assert_output ""
  [[ "$stderr" == "vctl: cannot get the DHCP leases of network 'vkit-t9-a': "*"not supported"* ]]
}
