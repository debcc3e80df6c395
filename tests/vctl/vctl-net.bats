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
AS=vkit-t9-as
ASBR=vkt9br2
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
  remove_net "$AS"
  remove_net "$AS-t"
  virsh -q pool-undefine vkit-t9-epool >/dev/null 2>&1 || true
  virsh -q undefine vkit-t9-edit >/dev/null 2>&1 || true
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
  remove_net "$AS"
  remove_net "$AS-t"
  virsh -q -c qemu:///system pool-undefine vkit-t9-epool >/dev/null 2>&1 || true
  virsh -q -c qemu:///system undefine vkit-t9-edit >/dev/null 2>&1 || true
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

@test "net-name, net-uuid, and net-list's filters agree with virsh" {
  uuid=$(virsh net-uuid "$NET" | sed '/^$/d')
  run vctl net-uuid "$NET"
  assert_success
  assert_output "$uuid"
  run vctl net-name "$uuid"
  assert_output "$NET"
  run vctl net-uuid no-such-net
  assert_failure 3
  run vctl net-list --uuid --name
  assert_line "$uuid $NET"
  run vctl net-list --uuid
  assert_line "$uuid"
  run vctl net-list --name --persistent --no-autostart
  assert_line "$NET"
  run vctl net-list --name --transient
  lacks_line "$NET"
  run vctl net-list --name --inactive
  lacks_line "$NET"
  run vctl net-list --name --autostart
  lacks_line "$NET"
  assert_equal "$(vctl net-list --name --all | sort)" "$(virsh net-list --name --all | sed '/^$/d' | sort)"
  run vctl net-list --uuid --json
  assert_failure 2
}

@test "net-update: a DHCP host and a DNS host, live and in the definition; bad names exit 2" {
  h="<host mac='52:54:00:39:00:09' name='fixed' ip='192.168.239.9'/>"
  run vctl net-update "$NET" add ip-dhcp-host "$h" --live --config
  assert_success
  assert_output "Updated network $NET live state and persistent config"
  virsh net-dumpxml "$NET" | grep -qF "$h"
  virsh net-dumpxml --inactive "$NET" | grep -qF "$h"
  # dnsmasq was told: the host is in its hosts file
  grep -q '52:54:00:39:00:09,192.168.239.9,fixed' "/var/lib/libvirt/dnsmasq/$NET.hostsfile"
  # from a file, the definition only
  echo "<host ip='192.168.239.5'><hostname>five</hostname></host>" > "$BATS_TEST_TMPDIR/dns.xml"
  run vctl net-update "$NET" add-last dns-host "$BATS_TEST_TMPDIR/dns.xml" --config
  assert_output "Updated network $NET persistent config"
  virsh net-dumpxml --inactive "$NET" | grep -q '<hostname>five</hostname>'
  ! virsh net-dumpxml "$NET" | grep -q '<hostname>five</hostname>'
  # delete (the current state: live, the network runs)
  run vctl net-update "$NET" delete ip-dhcp-host "<host mac='52:54:00:39:00:09'/>"
  assert_output "Updated network $NET live state"
  ! virsh net-dumpxml "$NET" | grep -q 52:54:00:39:00:09
  virsh net-dumpxml --inactive "$NET" | grep -q 52:54:00:39:00:09
  run vctl net-update "$NET" delete ip-dhcp-host "<host mac='52:54:00:39:00:09'/>" --config
  assert_success
  run --separate-stderr vctl net-update "$NET" add ip-dhcp-hosts "$h"
  assert_failure 2
  [[ "$stderr" == *"the section is one of"* ]]
  run vctl net-update "$NET" append ip-dhcp-host "$h"
  assert_failure 2
  run vctl net-update "$NET" add ip-dhcp-host "<host mac='52:54"
  assert_failure 2
  run vctl net-update "$NET" add ip-dhcp-host "$BATS_TEST_TMPDIR/none.xml"
  assert_failure 3
  run vctl net-update "$NET" add ip-dhcp-host "$h" --current --live
  assert_failure 2
  # libvirt's own refusal: the same MAC twice
  run vctl net-update "$NET" add ip-dhcp-host "<host mac='52:54:00:39:00:09' ip='192.168.239.10'/>" --config
  assert_success
  run vctl net-update "$NET" add ip-dhcp-host "<host mac='52:54:00:39:00:09' ip='192.168.239.11'/>" --config
  assert_failure
  ! virsh net-dumpxml --inactive "$NET" | grep -q 192.168.239.11
  vctl net-update "$NET" delete ip-dhcp-host "<host mac='52:54:00:39:00:09'/>" --config
}

@test "net-edit: the definition edited by \$EDITOR; unchanged, renamed, invalid, a failing editor, a rival change" {
  ed=$BATS_TEST_TMPDIR/ed.sh
  printf '#!/bin/sh\nsed -i "s/192.168.239.199/192.168.239.198/" "$1"\n' > "$ed"
  chmod +x "$ed"
  EDITOR="$ed" run vctl net-edit "$NET"
  assert_success
  assert_output "Network $NET XML configuration edited."
  virsh net-dumpxml --inactive "$NET" | grep -q "end='192.168.239.198'"
  before=$(virsh net-dumpxml --inactive "$NET")
  VISUAL= EDITOR=true run vctl net-edit "$NET"
  assert_output "Network $NET XML configuration not changed."
  # VISUAL wins over EDITOR
  VISUAL=true EDITOR=false run vctl net-edit "$NET"
  assert_success
  printf '#!/bin/sh\nsed -i "s|<name>.*</name>|<name>other</name>|" "$1"\n' > "$ed"
  EDITOR="$ed" run --separate-stderr vctl net-edit "$NET" </dev/null
  assert_failure 2
  [[ "$stderr" == *"renames the network"* ]]
  printf '#!/bin/sh\nsed -i "s|<bridge |<bogus |" "$1"\n' > "$ed"
  EDITOR="$ed" run vctl net-edit "$NET" </dev/null
  assert_failure 2
  EDITOR=false run vctl net-edit "$NET"
  assert_failure 1
  # someone else changes the definition while the editor runs: refused
  printf '#!/bin/sh\n"$VK_BUILDDIR/vctl" net-update %s add dns-host "<host ip=\x27192.168.239.6\x27><hostname>six</hostname></host>" --config >/dev/null\nsed -i "s/192.168.239.198/192.168.239.197/" "$1"\n' "$NET" > "$ed"
  EDITOR="$ed" run --separate-stderr vctl net-edit "$NET" </dev/null
  assert_failure 5
  [[ "$stderr" == *"changed while it was being edited"* ]]
  ! virsh net-dumpxml --inactive "$NET" | grep -q 192.168.239.197
  virsh net-dumpxml --inactive "$NET" | grep -q '<hostname>six</hostname>'
  vctl net-update "$NET" delete dns-host "<host ip='192.168.239.6'><hostname>six</hostname></host>" --config
  # no temporary file is left
  run bash -c "ls ${TMPDIR:-/tmp}/vkit-edit-* 2>/dev/null"
  assert_output ""
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

@test "net-define-as: a NAT network from options runs (bridge address, DHCP range), print-xml defines nothing" {
  run vctl net-define-as "$AS" --ip 192.168.237.1/24 --dhcp 192.168.237.50-192.168.237.60 \
    --bridge "$ASBR" --domain lab.test --mtu 1400 --print-xml
  assert_success
  assert_output --partial '<range start="192.168.237.50" end="192.168.237.60"/>'
  ! virsh net-info "$AS" >/dev/null 2>&1
  run vctl net-define-as "$AS" --ip 192.168.237.1/24 --dhcp 192.168.237.50-192.168.237.60 \
    --bridge "$ASBR" --domain lab.test --mtu 1400
  assert_success
  assert_output "Network $AS defined"
  vctl net-start "$AS"
  ip -br addr show "$ASBR" | grep -q '192.168.237.1/24'
  ip link show "$ASBR" | grep -q 'mtu 1400'
  run virsh net-dumpxml "$AS"
  assert_output --partial "<forward mode='nat'>"
  assert_output --partial "<domain name='lab.test'/>"
  assert_output --partial "<range start='192.168.237.50' end='192.168.237.60'/>"
  grep -q 'dhcp-range=192.168.237.50,192.168.237.60' "/var/lib/libvirt/dnsmasq/$AS.conf"
  # a second one with the same name is taken
  run vctl net-define-as "$AS" --ip 192.168.236.1/24
  assert_failure 5
  remove_net "$AS"
  ! ip link show "$ASBR" >/dev/null 2>&1
}

@test "net-create-as: a transient isolated network; bad options exit 2 and define nothing" {
  run vctl net-create-as "$AS-t" --forward none --ip fd00:39::1/64 --bridge "$ASBR"
  assert_success
  assert_output "Network $AS-t created"
  run vctl net-list --transient --name
  assert_line "$AS-t"
  ip -br addr show "$ASBR" | grep -q 'fd00:39::1/64'
  vctl net-destroy "$AS-t"
  for bad in "--ip 192.168.237.1" "--ip 192.168.237.1/24 --dhcp 192.168.1.2-192.168.1.9" \
    "--ip 192.168.237.1/24 --dhcp 192.168.237.9-192.168.237.2" "--forward bridge" \
    "--forward bridge --bridge br0 --ip 192.168.237.1/24" "--forward tunnel --ip 192.168.237.1/24" \
    "--ip 192.168.237.1/24 --mtu 12" "--ip 192.168.237.1/24 --mtu x" "--dhcp 1.2.3.4-1.2.3.5" \
    "--ip 192.168.237.1/24 --bridge name-longer-than-15"; do
    run --separate-stderr vctl net-define-as "$AS" $bad
    assert_failure 2
    [ -n "$stderr" ] && [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
  done
  ! virsh net-info "$AS" >/dev/null 2>&1
  # hostile text is XML-escaped
  run vctl net-define-as "a'<b>&" --ip 192.168.237.1/24 --domain "x<y" --print-xml
  assert_success
  assert_output --partial "<name>a'&lt;b&gt;&amp;</name>"
}

@test "pool-edit and edit: a pool's and a domain's definitions edited; a changed UUID is refused" {
  mkdir "$BATS_TEST_TMPDIR/pool"
  vctl pool-define-as vkit-t9-epool dir --target "$BATS_TEST_TMPDIR/pool" >/dev/null
  ed=$BATS_TEST_TMPDIR/ed.sh
  printf '#!/bin/sh\nsed -i "s|<path>.*</path>|<path>%s</path>|" "$1"\n' "$BATS_TEST_TMPDIR/pool2" > "$ed"
  chmod +x "$ed"
  EDITOR="$ed" run vctl pool-edit vkit-t9-epool
  assert_output "Pool vkit-t9-epool XML configuration edited."
  virsh pool-dumpxml vkit-t9-epool | grep -q "<path>$BATS_TEST_TMPDIR/pool2</path>"
  virsh pool-undefine vkit-t9-epool >/dev/null
  truncate -s 1M "$BATS_TEST_TMPDIR/d.img"
  vinstall --print-xml --name vkit-t9-edit --memory 64 --import --disk "$BATS_TEST_TMPDIR/d.img" \
    --network none --virt-type qemu > "$BATS_TEST_TMPDIR/d.xml"
  vctl define "$BATS_TEST_TMPDIR/d.xml" >/dev/null
  printf '#!/bin/sh\nsed -i "s|<memory.*</memory>|<memory unit=\\"KiB\\">98304</memory>|; s|<currentMemory.*</currentMemory>|<currentMemory unit=\\"KiB\\">98304</currentMemory>|" "$1"\n' > "$ed"
  EDITOR="$ed" run vctl edit vkit-t9-edit
  assert_success
  assert_output "Domain 'vkit-t9-edit' XML configuration edited."
  virsh dumpxml vkit-t9-edit | grep -q "<memory unit='KiB'>98304</memory>"
  printf '#!/bin/sh\nsed -i "s|<uuid>.*</uuid>|<uuid>%s</uuid>|" "$1"\n' "$(cat /proc/sys/kernel/random/uuid)" > "$ed"
  EDITOR="$ed" run --separate-stderr vctl edit vkit-t9-edit </dev/null
  assert_failure 2
  [[ "$stderr" == *"changes the domain's UUID"* ]]
  printf '#!/bin/sh\nsed -i "s|<name>.*</name>|<name>vkit-t9-edit2</name>|" "$1"\n' > "$ed"
  EDITOR="$ed" run --separate-stderr vctl edit vkit-t9-edit </dev/null
  assert_failure 2
  [[ "$stderr" == *"use domrename"* ]]
  ! virsh dominfo vkit-t9-edit2 >/dev/null 2>&1
  virsh undefine vkit-t9-edit >/dev/null
}
