#!/usr/bin/env bats
# vctl's guest-agent commands against a real guest: the busybox initramfs
# kernel guest with the host's qemu-ga copied in (vkit.agent on its
# command line; tests/fixtures/initramfs/make-initramfs.sh) on
# qemu:///system under TCG.  domtime, domfsfreeze, domfsthaw, domfsinfo,
# guestinfo, domhostname, reboot --mode agent, shutdown --mode agent; a
# guest without an agent channel, and one whose agent is not up, are
# refused with their statuses.  virsh is the oracle.

bats_require_minimum_version 1.5.0
load ../virt-helpers

setup_file() {
  requires virsh qemu-system-x86_64 qemu-ga python3
  "$VK_SRCDIR/tests/libvirtd-start.sh"
  export LIBVIRT_DEFAULT_URI=qemu:///system
  export KDIR=${VK_TEST_CACHE:-/var/cache/vkit-tests}/kernel
  "$VK_SRCDIR/tests/fixtures/initramfs/make-initramfs.sh" "$KDIR" >&2
  export NAME=vkit-t13-ag-$$-$RANDOM D=$BATS_FILE_TMPDIR
  cat > "$D/g.xml" <<XML
<domain type='qemu'>
  <name>$NAME</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>$KDIR/vmlinuz</kernel>
    <initrd>$KDIR/initramfs.gz</initrd><cmdline>console=ttyS0 quiet vkit.agent</cmdline></os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <devices>
    <serial type='file'><source path='$D/serial.log'/><target port='0'/></serial>
    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
  </devices>
</domain>
XML
  virsh -q define "$D/g.xml" >/dev/null
  virsh -q start "$NAME" >/dev/null
  agent_up 1
}

teardown_file() {
  remove_guest "$NAME"
  remove_guest "$NAME-noagent"
}

# agent_up N: until the guest printed VKIT-AGENT-UP N times and its agent
# answers (boots under TCG take some seconds)
agent_up() {
  local i
  for i in $(seq 1 1200); do
    if [ "$(tr -d '\r' < "$D/serial.log" 2>/dev/null | grep -c VKIT-AGENT-UP)" -ge "$1" ] &&
      virsh -q domtime "$NAME" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  echo "the guest agent did not come up: $(tr -d '\r' < "$D/serial.log" | tail -n 5)" >&2
  return 1
}

@test "domtime: read as virsh, set with --time and --now, --pretty, JSON; bad values exit 2" {
  run vctl domtime "$NAME" --time 1700000000
  assert_success
  run vctl domtime "$NAME"
  assert_output --regexp '^Time: 17000000[0-9][0-9]$'
  run vctl domtime "$NAME" --pretty
  assert_output --regexp '^Time: 2023-11-14 22:1[3-5]:[0-9]{2}$'
  run vctl domtime "$NAME" --now
  assert_success
  run vctl domtime "$NAME" --json
  now=$(date +%s)
  t=$(json_get 'j["seconds"]' <<<"$output")
  [ $((now - t)) -lt 60 ] && [ $((t - now)) -lt 60 ]
  # the same clock as virsh reads (within the seconds between the calls)
  v=$(virsh domtime "$NAME" | sed -n 's/^Time: //p')
  [ $((v - t)) -ge 0 ] && [ $((v - t)) -lt 30 ]
  run vctl domtime "$NAME" --time soon
  assert_failure 2
  run vctl domtime "$NAME" --now --sync
  assert_failure 2
}

@test "guestinfo and domhostname: what the agent says, as virsh" {
  run vctl guestinfo "$NAME" --os --hostname --timezone
  assert_success
  assert_output "$(virsh guestinfo "$NAME" --os --hostname --timezone | sed '/^$/d')"
  assert_line --regexp '^os.id +: vkit$'
  assert_line --regexp '^hostname +: vkit-agent-guest$'
  run vctl guestinfo "$NAME" --os --interface --json
  assert_equal "$(json_get '[j["os"]["name"], j["if"][0]["name"]]' <<<"$output")" '["vkit test guest", "lo"]'
  run vctl domhostname "$NAME" --source agent
  assert_output vkit-agent-guest
  run vctl domhostname "$NAME" --source dns
  assert_failure 2
}

@test "domfsinfo, domfsfreeze, domfsthaw: the guest's file systems (RAM only: none listed), frozen and thawed as virsh counts them" {
  run vctl domfsinfo "$NAME"
  assert_success
  assert_output "$(virsh domfsinfo "$NAME" | sed '/^$/d')"
  # the guest has RAM file systems only, which the agent does not list
  run vctl domfsinfo "$NAME" --json
  assert_output "[]"
  run vctl domfsfreeze "$NAME"
  assert_success
  assert_output "$(virsh domfsthaw "$NAME" >/dev/null; virsh domfsfreeze "$NAME" | sed '/^$/d')"
  assert_output --regexp '^Froze [0-9]+ filesystem\(s\)$'
  run vctl domfsthaw "$NAME"
  assert_output --regexp '^Thawed [0-9]+ filesystem\(s\)$'
  run vctl domfsfreeze "$NAME" --mountpoint /
  assert_success
  vctl domfsthaw "$NAME" >/dev/null
}

@test "reboot --mode agent: the guest reboots itself (a second boot); bad modes exit 2" {
  run vctl reboot "$NAME" --mode sideways
  assert_failure 2
  run vctl reboot "$NAME" --mode agent
  assert_success
  agent_up 2
  [ "$(virsh -q domstate "$NAME" | sed '/^$/d')" = running ]
}

@test "shutdown --mode agent --wait: the agent powers the guest off" {
  run vctl shutdown "$NAME" --mode agent --wait=120
  assert_success
  assert_output "Domain '$NAME' is shut off"
  [ "$(virsh -q domstate "$NAME" | sed '/^$/d')" = "shut off" ]
}

@test "no agent: a guest without the channel fails (status 1), one whose agent is not up yet exits 5" {
  sed -e "s|<name>$NAME</name>|<name>$NAME-noagent</name>|" -e '/<channel/d' \
    -e "s|$D/serial.log|$D/serial2.log|" "$D/g.xml" > "$D/noagent.xml"
  virsh -q create "$D/noagent.xml" >/dev/null
  run --separate-stderr vctl domtime "$NAME-noagent"
  assert_failure 1
  [[ "$stderr" == *"guest agent is not configured"* ]]
  virsh -q destroy "$NAME-noagent" >/dev/null
  # the agent's guest started paused: the channel is there, nobody answers
  virsh -q start --paused "$NAME" >/dev/null
  run --separate-stderr vctl domtime "$NAME"
  assert_failure 5
  run vctl shutdown "$NAME" --mode agent
  assert_failure 5
  virsh -q destroy "$NAME" >/dev/null
}
