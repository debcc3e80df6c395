#!/usr/bin/env bats
# vctl networks against a real libvirtd (qemu:///system): a NAT network on
# its own bridge and private subnet is defined, started (bridge, dnsmasq),
# inspected, stopped and undefined, and a transient one created and
# destroyed; nothing is left behind.  A kernel guest on the network takes
# a DHCP lease.  virsh is the oracle.  The tests run in order and share the
# network.

bats_require_minimum_version 1.5.0
load ../virt-helpers

NET=vkit-t9-net
TR=vkit-t9-tr
BR=vkt9br0
TRBR=vkt9br1
MAC=52:54:00:39:00:01

net_xml() {
  cat <<XML
<network>
  <name>$1</name>
  <forward mode='nat'/>
  <bridge name='$2' stp='on' delay='0'/>
  <ip address='192.168.239.1' netmask='255.255.255.0'>
    <dhcp><range start='192.168.239.100' end='192.168.239.199'/></dhcp>
  </ip>
</network>
XML
}

remove_net() {
  virsh -q -c qemu:///system net-destroy "$1" >/dev/null 2>&1 || true
  virsh -q -c qemu:///system net-undefine "$1" >/dev/null 2>&1 || true
  # libvirtd leaves dnsmasq's pid file and the network's port directory
  # behind (virsh too); gone once the network is
  if ! virsh -q -c qemu:///system net-info "$1" >/dev/null 2>&1; then
    rm -rf "/run/libvirt/network/$1" "/run/libvirt/network/$1.pid"
  fi
}

# lacks_line TEXT: no line of $output is TEXT (refute_line fails on an
# empty output)
lacks_line() {
  [[ $'\n'"$output"$'\n' != *$'\n'"$1"$'\n'* ]]
}

setup_file() {
  requires virsh ip iptables dnsmasq pgrep
  "$VK_SRCDIR/tests/libvirtd-start.sh"
  export LIBVIRT_DEFAULT_URI=qemu:///system
  remove_net "$NET"
  remove_net "$TR"
  # the kernel guest of the install suites, cached between runs
  export KDIR=${VK_TEST_CACHE:-/var/cache/vkit-tests}/kernel
  "$VK_SRCDIR/tests/fixtures/initramfs/make-initramfs.sh" "$KDIR" >&2
  export GUEST=vkit-t9-$$-dhcp
  net_xml "$NET" "$BR" > "$BATS_FILE_TMPDIR/net.xml"
  net_xml "$TR" "$TRBR" > "$BATS_FILE_TMPDIR/tr.xml"
}

teardown_file() {
  virsh -q -c qemu:///system destroy "$GUEST" >/dev/null 2>&1 || true
  remove_net "$NET"
  remove_net "$TR"
}

setup() {
  requires virsh ip
}

@test "net-define: the network is defined, inactive, persistent" {
  run vctl net-define "$BATS_FILE_TMPDIR/net.xml"
  assert_success
  assert_output "Network $NET defined from $BATS_FILE_TMPDIR/net.xml"
  run vctl net-list --all --json
  assert_equal "$(json_get "[(n['active'], n['persistent'], n['autostart']) for n in j if n['name'] == '$NET']" <<<"$output")" \
    '[[false, true, false]]'
  run vctl net-list --name
  lacks_line "$NET"
  virsh net-info "$NET" | grep -Eq '^Active: +no$'
  # the same name again with another UUID is taken
  sed "s|<name>$NET</name>|<name>$NET</name><uuid>$(cat /proc/sys/kernel/random/uuid)</uuid>|" \
    "$BATS_FILE_TMPDIR/net.xml" > "$BATS_FILE_TMPDIR/taken.xml"
  run --separate-stderr vctl net-define "$BATS_FILE_TMPDIR/taken.xml"
  assert_failure 5
  [[ "$stderr" == *"$NET"* ]]
}

@test "net-start: bridge and dnsmasq up; a second start exits 5, 0 with --idempotent" {
  run vctl net-start "$NET"
  assert_success
  assert_output "Network $NET started"
  ip -br addr show "$BR" | grep -q '192.168.239.1/24'
  virsh net-info "$NET" | grep -Eq '^Active: +yes$'
  pgrep -f "dnsmasq.*/$NET.conf" >/dev/null
  run vctl net-list
  assert_line --regexp "^ $NET +active +no +yes$"
  run --separate-stderr vctl net-start "$NET"
  assert_failure 5
  assert_equal "$stderr" "vctl: network '$NET' is already active"
  run vctl net-start --idempotent "$NET"
  assert_success
  assert_output "Network $NET is already active"
}

@test "net-info, net-dumpxml and net-dhcp-leases agree with virsh" {
  run vctl net-info "$NET"
  assert_success
  assert_output "$(virsh net-info "$NET" | sed '/^$/d')"
  run vctl net-info --json "$NET"
  assert_equal "$(json_get '[j["name"], j["active"], j["persistent"], j["bridge"], j["uuid"]]' <<<"$output")" \
    "[\"$NET\", true, true, \"$BR\", \"$(virsh net-uuid "$NET" | sed '/^$/d')\"]"
  run vctl net-dumpxml "$NET"
  assert_output "$(virsh net-dumpxml "$NET")"
  run vctl net-dumpxml --inactive "$NET"
  assert_output "$(virsh net-dumpxml --inactive "$NET")"
  assert_output --partial "<range start='192.168.239.100' end='192.168.239.199'/>"
  # no guest asked for an address: an empty table, an empty array
  run vctl net-dhcp-leases "$NET"
  assert_success
  assert_output "$(virsh net-dhcp-leases "$NET")"
  run vctl net-dhcp-leases --json "$NET"
  assert_success
  assert_output "[]"
}

@test "net-dhcp-leases: the lease a guest took, by MAC, as JSON" {
  run vinstall -c qemu:///system --name "$GUEST" --virt-type qemu --memory 256 --transient \
    --boot "kernel=$KDIR/vmlinuz,initrd=$KDIR/initramfs.gz,cmdline=console=ttyS0 quiet" \
    --disk none --network "network=$NET,mac=$MAC" --console "file=$BATS_TEST_TMPDIR/s.log" --wait=180
  assert_success
  grep -q VKIT-DHCP-OK "$BATS_TEST_TMPDIR/s.log"
  run vctl net-dhcp-leases "$NET"
  assert_success
  assert_output "$(virsh net-dhcp-leases "$NET")"
  assert_line --regexp "^ [0-9-]+ [0-9:]+ +$MAC +ipv4 +192\.168\.239\.1[0-9][0-9]/24 +vkit-guest +01:$MAC\$"
  run vctl net-dhcp-leases --json --mac "$MAC" "$NET"
  assert_success
  assert_equal "$(json_get '[(l["mac"], l["protocol"], l["address"].startswith("192.168.239.1"), l["prefix"], l["hostname"], l["interface"]) for l in j]' <<<"$output")" \
    "[[\"$MAC\", \"ipv4\", true, 24, \"vkit-guest\", \"$BR\"]]"
  assert_equal "$(json_get "j[0]['expiry'] > $(date +%s)" <<<"$output")" true
  run vctl net-dhcp-leases --json --mac 52:54:00:39:00:02 "$NET"
  assert_success
  assert_output "[]"
}

@test "net-autostart and --disable, seen by virsh" {
  run vctl net-autostart "$NET"
  assert_output "Network $NET marked as autostarted"
  virsh net-info "$NET" | grep -Eq '^Autostart: +yes$'
  run vctl net-list --all --json
  assert_equal "$(json_get "[n['autostart'] for n in j if n['name'] == '$NET']" <<<"$output")" "[true]"
  run vctl net-autostart --disable "$NET"
  assert_output "Network $NET unmarked as autostarted"
  virsh net-info "$NET" | grep -Eq '^Autostart: +no$'
}

@test "net-destroy: bridge and dnsmasq gone; a second destroy exits 5, 0 with --idempotent" {
  run vctl net-destroy "$NET"
  assert_success
  assert_output "Network $NET destroyed"
  run ip link show "$BR"
  assert_failure
  run pgrep -f "dnsmasq.*/$NET.conf"
  assert_failure
  run --separate-stderr vctl net-destroy "$NET"
  assert_failure 5
  assert_equal "$stderr" "vctl: network '$NET' is not active"
  run vctl net-destroy --idempotent "$NET"
  assert_success
  assert_output "Network $NET is not active"
  # net-stop, the same command under the seeds' name
  run --separate-stderr vctl net-stop "$NET"
  assert_failure 5
  run vctl net-stop --idempotent "$NET"
  assert_success
  assert_output "Network $NET is not active"
}

@test "net-undefine: gone; nothing left behind (bridge, rules, definition)" {
  run vctl net-undefine "$NET"
  assert_success
  assert_output "Network $NET has been undefined"
  run vctl net-list --all --name
  lacks_line "$NET"
  run --separate-stderr vctl net-info "$NET"
  assert_failure 3
  run virsh net-info "$NET"
  assert_failure
  run iptables-save
  refute_output --partial 192.168.239.
  [ ! -e "/etc/libvirt/qemu/networks/$NET.xml" ]
}

@test "net-create: a transient network runs; undefine exits 5; destroy removes it" {
  run vctl net-create - < "$BATS_FILE_TMPDIR/tr.xml"
  assert_success
  assert_output "Network $TR created from -"
  run vctl net-info --json "$TR"
  assert_equal "$(json_get '[j["active"], j["persistent"], j["bridge"]]' <<<"$output")" "[true, false, \"$TRBR\"]"
  run vctl net-list --json
  assert_equal "$(json_get "[(n['active'], n['persistent']) for n in j if n['name'] == '$TR']" <<<"$output")" "[[true, false]]"
  ip link show "$TRBR" >/dev/null
  run --separate-stderr vctl net-undefine "$TR"
  assert_failure 5
  run --separate-stderr vctl net-autostart "$TR"
  assert_failure 5
  run vctl net-destroy "$TR"
  assert_success
  run vctl net-list --all --name
  lacks_line "$TR"
  run ip link show "$TRBR"
  assert_failure
}
