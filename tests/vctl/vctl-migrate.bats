#!/usr/bin/env bats
# vctl migrate between two real libvirt hosts on this machine: qemu:///system
# and a second libvirtd in namespaces of its own (tests/second-host.sh),
# reached over its unix socket, over TCP on a veth pair, and over ssh.
# The guest is the counter fixture under TCG (with 15 MiB of memory
# filled, so that a migration has that much to carry): it prints a count a second
# on its serial line, which is a file under /var/log/libvirt/qemu, a
# directory each host has of its own; so the count going on in the second
# host's file is the guest running there, from memory it carried along.
# Its disk is under /tmp, which both hosts see: storage that is shared
# but not known to libvirt as such, hence --unsafe (or a copy).

bats_require_minimum_version 1.5.0
load ../virt-helpers

setup_file() {
  requires virsh qemu-img qemu-system-x86_64 as ld unshare nsenter ip ssh /usr/sbin/sshd script
  "$VK_SRCDIR/tests/libvirtd-start.sh"
  export VKIT_HOST2_DIR=/var/tmp/vkit-host2-$$
  "$VK_SRCDIR/tests/second-host.sh" start > "$BATS_FILE_TMPDIR/host2.env"
  set -a
  # shellcheck disable=SC1091
  source "$BATS_FILE_TMPDIR/host2.env"
  set +a
  export LIBVIRT_DEFAULT_URI=qemu:///system
  export NAME=vkit-t12-$$-$RANDOM
  export UUID
  UUID=$(cat /proc/sys/kernel/random/uuid)
  export DISK=$BATS_FILE_TMPDIR/$NAME.qcow2
  export LOG1=/var/log/libvirt/qemu/$NAME-serial.log LOG2=$HOST2_LOGS/$NAME-serial.log
  # 15 MiB of its memory filled: at --bandwidth 1 a migration takes 15 s,
  # long enough to be timed out, interrupted or lost midway
  make_counter_disk "$DISK" 4M "" 15
  guest_xml "$NAME" "$DISK" "/var/log/libvirt/qemu/$NAME-serial.log" "$UUID" |
    sed "s|<on_poweroff>|<on_reboot>destroy</on_reboot><on_poweroff>|" > "$BATS_FILE_TMPDIR/guest.xml"
  # another domain of the same name (another UUID)
  sed -e "s|<uuid>$UUID</uuid>|<uuid>$(cat /proc/sys/kernel/random/uuid)</uuid>|" \
    "$BATS_FILE_TMPDIR/guest.xml" > "$BATS_FILE_TMPDIR/other.xml"
}

teardown_file() {
  virsh -q -c "${HOST2_UNIX:-test:///default}" destroy "$NAME" >/dev/null 2>&1
  virsh -q -c "${HOST2_UNIX:-test:///default}" undefine "$NAME" >/dev/null 2>&1
  remove_guest "$NAME" || true
  rm -f "$LOG1" /var/log/libvirt/qemu/"$NAME"*
  "$VK_SRCDIR/tests/second-host.sh" stop
}

v2() { virsh -q -c "$HOST2_UNIX" "$@"; }
# absent1/absent2 NAME: no domain NAME (running or defined) on host 1/2
absent1() { ! virsh -q list --all --name | grep -qxF "$1"; }
absent2() { ! v2 list --all --name | grep -qxF "$1"; }
state1() { virsh -q domstate "$NAME" 2>/dev/null | sed '/^$/d'; }
state2() { v2 domstate "$NAME" 2>/dev/null | sed '/^$/d'; }

# start_guest: the counter guest running on the first host, transient,
# counting.
start_guest() {
  v2 destroy "$NAME" >/dev/null 2>&1 || true
  v2 undefine "$NAME" >/dev/null 2>&1 || true
  remove_guest "$NAME" || true
  rm -f "$LOG1"
  vctl create "$BATS_FILE_TMPDIR/guest.xml" >/dev/null
  wait_for_count "$LOG1" 2 60
}

# moved LOG-FROM LOG-TO: the guest counts on in LOG-TO past the last
# count it printed in LOG-FROM.
moved() {
  local last
  last=$(last_count "$1")
  [ -n "$last" ] || return 1
  wait_for_count "$2" $((last + 2)) 60
}

@test "second host: its own libvirtd, answering on a socket, TCP and ssh" {
  run virsh -q -c "$HOST2_UNIX" hostname
  assert_success
  assert_output "$HOST2_NAME"
  run virsh -q -c "$HOST2_TCP" uri
  assert_success
  run virsh -q -c "$HOST2_SSH" hostname
  assert_success
  assert_output "$HOST2_NAME"
  # a host of its own: another host UUID than this one
  refute [ "$(virsh -q capabilities | sed -n 's|.*<uuid>\(.*\)</uuid>.*|\1|p' | head -1)" = \
    "$(v2 capabilities | sed -n 's|.*<uuid>\(.*\)</uuid>.*|\1|p' | head -1)" ]
}

@test "migrate --dry-run: the checks pass, nothing moves" {
  start_guest
  run vctl migrate --live --unsafe --dry-run "$NAME" "$HOST2_UNIX"
  assert_success
  assert_line --partial "ok: the destination answers"
  assert_line --partial "ok: the name '$NAME' and UUID $UUID are free on the destination"
  assert_line --partial "ok: disk hda: $DISK is used in place"
  assert_line --partial "ok: memory: 32 MiB needed"
  assert_line "Domain '$NAME' can migrate to $HOST2_UNIX (--dry-run: nothing moved)"
  assert_equal "$(state1)" running
  absent2 "$NAME"
  run vctl migrate --live --unsafe --dry-run --json "$NAME" "$HOST2_UNIX"
  assert_success
  assert_equal "$(json_get 'j["ok"]' <<<"$output")" true
  assert_equal "$(json_get 'j["domain"]' <<<"$output")" "$NAME"
}

@test "migrate --dry-run: each refusal is one line and its exit status" {
  [ "$(state1)" = running ] || start_guest
  run vctl migrate --live --dry-run "$NAME" qemu:///system
  assert_failure 2
  assert_output --partial "is this same host"
  run vctl migrate --live --dry-run "$NAME" "qemu+tcp://$HOST2_ADDR:1/system"
  assert_failure 6
  assert_output --regexp "^vctl: destination"
  assert_equal "${#lines[@]}" 1
  run vctl migrate --live --offline "$NAME" "$HOST2_UNIX"
  assert_failure 2
  assert_output "vctl: --live and --offline exclude each other"
  run vctl migrate --timeout-abort "$NAME" "$HOST2_UNIX"
  assert_failure 2
  run vctl migrate --live --bandwidth fast "$NAME" "$HOST2_UNIX"
  assert_failure 2
  run vctl migrate --live nosuch-$NAME "$HOST2_UNIX"
  assert_failure 3
  # a different domain with the same name on the destination
  v2 define "$BATS_FILE_TMPDIR/other.xml" >/dev/null
  run vctl migrate --live --unsafe --dry-run "$NAME" "$HOST2_UNIX"
  v2 undefine "$NAME" >/dev/null
  assert_failure 5
  assert_output --partial "another domain named '$NAME' exists on the destination"
  assert_equal "$(state1)" running
}

@test "migrate --live: the guest counts on on the second host, gone from the first" {
  start_guest
  run vctl migrate --live --unsafe --migrateuri "tcp://$HOST2_ADDR" "$NAME" "$HOST2_UNIX"
  assert_success
  assert_output --regexp "^Domain '$NAME' migrated to .* in [0-9.]+ s"
  assert_equal "$(state2)" running
  absent1 "$NAME"
  moved "$LOG1" "$LOG2"
}

@test "migrate back with --json: the statistics of the job" {
  run vctl -c "$HOST2_UNIX" migrate --live --unsafe --json --migrateuri "tcp://$HOST1_ADDR" "$NAME" qemu:///system
  assert_success
  assert_equal "$(json_get 'j["domain"]' <<<"$output")" "$NAME"
  [ "$(json_get 'j["data_processed"]' <<<"$output")" -gt 0 ]
  json_get 'j["downtime_ms"]' <<<"$output" | grep -Eq '^[0-9]+$'
  assert_equal "$(state1)" running
  absent2 "$NAME"
  : > "$LOG2"
  wait_for_count "$LOG1" "$(( $(last_count "$LOG1") + 2 ))" 60
}

@test "migrate --persistent --undefinesource moves the definition, and back" {
  start_guest
  # make it persistent on the first host
  virsh -q dumpxml --inactive "$NAME" > "$BATS_FILE_TMPDIR/def.xml"
  virsh -q define "$BATS_FILE_TMPDIR/def.xml" >/dev/null
  run vctl migrate --live --unsafe --persistent --undefinesource \
    --migrateuri "tcp://$HOST2_ADDR" "$NAME" "$HOST2_UNIX"
  assert_success
  absent1 "$NAME"
  run v2 dominfo "$NAME"
  assert_line --regexp "^Persistent: +yes"
  assert_equal "$(state2)" running
  moved "$LOG1" "$LOG2"
  run vctl -c "$HOST2_UNIX" migrate --live --unsafe --persistent --undefinesource \
    --migrateuri "tcp://$HOST1_ADDR" "$NAME" qemu:///system
  assert_success
  absent2 "$NAME"
  run virsh -q dominfo "$NAME"
  assert_line --regexp "^Persistent: +yes"
  moved "$LOG2" "$LOG1"
  virsh -q destroy "$NAME" >/dev/null
  virsh -q undefine "$NAME" >/dev/null
}

@test "migrate --p2p over TCP: the source daemon talks to the second host" {
  start_guest
  run vctl migrate --live --p2p --unsafe --migrateuri "tcp://$HOST2_ADDR" "$NAME" "$HOST2_TCP"
  assert_success
  assert_equal "$(state2)" running
  moved "$LOG1" "$LOG2"
  # back with -p on a terminal (script(1) gives it one): the bar and what is left
  run script -qec "'$VK_BUILDDIR/vctl' -c '$HOST2_UNIX' migrate -p --live --unsafe --bandwidth 1 \
    --migrateuri 'tcp://$HOST1_ADDR' '$NAME' qemu:///system" /dev/null
  assert_success
  assert_output --regexp "Migration \[#+ *\] +[0-9.]+%"
  assert_output --partial "left"
  assert_equal "$(state1)" running
}

@test "migrate over qemu+ssh://, client-managed and --p2p" {
  start_guest
  run vctl migrate --live --unsafe --migrateuri "tcp://$HOST2_ADDR" "$NAME" "$HOST2_SSH"
  assert_success
  assert_equal "$(state2)" running
  moved "$LOG1" "$LOG2"
  run vctl -c "$HOST2_UNIX" migrate --live --unsafe --migrateuri "tcp://$HOST1_ADDR" "$NAME" qemu:///system
  assert_success
  wait_for_count "$LOG1" 1 60
  run vctl migrate --live --p2p --unsafe --migrateuri "tcp://$HOST2_ADDR" "$NAME" "$HOST2_SSH"
  assert_success
  assert_equal "$(state2)" running
  run vctl -c "$HOST2_UNIX" migrate --live --unsafe --migrateuri "tcp://$HOST1_ADDR" "$NAME" qemu:///system
  assert_success
}

@test "migrate --p2p --tunnelled, --dname, --compressed --auto-converge, --parallel: each moves the guest" {
  start_guest
  run vctl migrate --live --p2p --tunnelled --unsafe "$NAME" "$HOST2_TCP"
  assert_success
  assert_equal "$(state2)" running
  moved "$LOG1" "$LOG2"
  run vctl -c "$HOST2_UNIX" migrate --live --unsafe --compressed --auto-converge \
    --migrateuri "tcp://$HOST1_ADDR" "$NAME" qemu:///system
  assert_success
  assert_equal "$(state1)" running
  run vctl migrate --live --unsafe --parallel --parallel-connections 2 --dname "$NAME-moved" \
    --migrateuri "tcp://$HOST2_ADDR" "$NAME" "$HOST2_UNIX"
  assert_success
  assert_output --regexp "^Domain '$NAME-moved' migrated to "
  assert_equal "$(v2 domstate "$NAME-moved" | sed '/^$/d')" running
  run vctl -c "$HOST2_UNIX" migrate --live --unsafe --dname "$NAME" --listen-address "$HOST1_ADDR" \
    --migrateuri "tcp://$HOST1_ADDR" "$NAME-moved" qemu:///system
  assert_success
  assert_equal "$(state1)" running
  wait_for_count "$LOG1" "$(( $(last_count "$LOG1") + 2 ))" 60
}

@test "migrate --postcopy: after the first pass, or at the timeout; the guest counts on" {
  start_guest
  run vctl migrate --live --unsafe --postcopy --postcopy-after-precopy \
    --migrateuri "tcp://$HOST2_ADDR" "$NAME" "$HOST2_UNIX"
  assert_success
  assert_equal "$(state2)" running
  moved "$LOG1" "$LOG2"
  run vctl -c "$HOST2_UNIX" migrate --live --unsafe --postcopy --bandwidth 1 --timeout 1 \
    --timeout-postcopy --migrateuri "tcp://$HOST1_ADDR" "$NAME" qemu:///system
  assert_success
  assert_output --partial "post-copy after the 1 s timeout"
  assert_equal "$(state1)" running
  moved "$LOG2" "$LOG1"
  run vctl migrate --live --timeout 1 --timeout-postcopy "$NAME" "$HOST2_UNIX"
  assert_failure 2
  assert_output "vctl: --timeout-postcopy needs --postcopy"
}

@test "migrate --offline --persistent moves a shut-off definition, and back" {
  local n=$NAME-off
  sed -e "s|<uuid>$UUID</uuid>|<uuid>$(cat /proc/sys/kernel/random/uuid)</uuid>|" \
    -e "s|<name>$NAME</name>|<name>$n</name>|" "$BATS_FILE_TMPDIR/guest.xml" > "$BATS_FILE_TMPDIR/off.xml"
  virsh -q define "$BATS_FILE_TMPDIR/off.xml" >/dev/null
  run vctl migrate --offline "$n" "$HOST2_UNIX"
  assert_failure 2
  assert_output "vctl: --offline moves only the definition: it needs --persistent"
  run vctl migrate --live "$n" "$HOST2_UNIX"
  assert_failure 5
  assert_output --partial "is not running (--offline --persistent moves its definition)"
  run vctl migrate --offline --persistent --undefinesource "$n" "$HOST2_UNIX"
  assert_success
  absent1 "$n"
  assert_equal "$(v2 domstate "$n" | sed '/^$/d')" "shut off"
  run vctl -c "$HOST2_UNIX" migrate --offline --persistent --undefinesource "$n" qemu:///system
  assert_success
  absent2 "$n"
  virsh -q undefine "$n" >/dev/null
}

@test "migrate --timeout 1 --timeout-abort: exit 4, the guest runs on the source" {
  start_guest
  run vctl migrate --live --unsafe --bandwidth 1 --timeout 1 --timeout-abort \
    --migrateuri "tcp://$HOST2_ADDR" "$NAME" "$HOST2_UNIX"
  assert_failure 4
  assert_output --partial "not done after 1 s"
  assert_equal "$(state1)" running
  absent2 "$NAME"
  wait_for_count "$LOG1" "$(( $(last_count "$LOG1") + 2 ))" 60
}

@test "migrate --timeout 1 --timeout-suspend: paused to complete, runs on the destination" {
  start_guest
  run vctl migrate --live --unsafe --bandwidth 4 --timeout 1 --timeout-suspend \
    --migrateuri "tcp://$HOST2_ADDR" "$NAME" "$HOST2_UNIX"
  assert_success
  assert_output --partial "paused after the 1 s timeout"
  absent1 "$NAME"
  assert_equal "$(state2)" running
  moved "$LOG1" "$LOG2"
  run vctl -c "$HOST2_UNIX" migrate --live --unsafe --migrateuri "tcp://$HOST1_ADDR" "$NAME" qemu:///system
  assert_success
}

@test "migrate: the destination daemon killed midway -> exit 1, the guest runs on the source" {
  start_guest
  virsh -q dumpxml --inactive "$NAME" > "$BATS_FILE_TMPDIR/def.xml"
  virsh -q define "$BATS_FILE_TMPDIR/def.xml" >/dev/null
  vctl migrate --live --unsafe --persistent --bandwidth 1 --migrateuri "tcp://$HOST2_ADDR" \
    "$NAME" "$HOST2_UNIX" > "$BATS_FILE_TMPDIR/mig.out" 2>&1 &
  local pid=$!
  # wait until the migration runs, then kill the destination's libvirtd
  for _ in $(seq 1 100); do
    virsh -q domjobinfo "$NAME" 2>/dev/null | grep -q "Unbounded" && break
    sleep 0.1
  done
  sleep 1
  kill -9 "$(cat "$HOST2_DIR/libvirtd.pid")"
  local rc=0
  wait "$pid" || rc=$?
  # the second host again (its state kept)
  "$VK_SRCDIR/tests/second-host.sh" start-libvirtd
  run cat "$BATS_FILE_TMPDIR/mig.out"
  assert_equal "$rc" 1
  assert_output --regexp "^vctl: cannot migrate domain '$NAME'"
  assert_equal "$(state1)" running
  wait_for_count "$LOG1" "$(( $(last_count "$LOG1") + 2 ))" 60
  # nothing of the guest on the second host
  absent2 "$NAME"
  run virsh -q dominfo "$NAME"
  assert_line --regexp "^Persistent: +yes"
  virsh -q destroy "$NAME" >/dev/null
  virsh -q undefine "$NAME" >/dev/null
}

@test "SIGINT during migrate: the job is aborted, the guest runs on the source, nothing there" {
  start_guest
  env --default-signal=INT "$VK_BUILDDIR/vctl" migrate --live --unsafe --persistent --bandwidth 1 \
    --migrateuri "tcp://$HOST2_ADDR" "$NAME" "$HOST2_UNIX" 2> "$BATS_FILE_TMPDIR/int.err" &
  local pid=$! rc=0 job=
  for _ in $(seq 1 100); do
    job=$(vctl domjobinfo --json "$NAME" 2>/dev/null) && grep -q '"type": "unbounded"' <<<"$job" && break
    sleep 0.1
  done
  kill -INT "$pid"
  # the job vctl domjobinfo saw was the migration, with its memory counts
  assert_equal "$(json_get 'j["operation"]' <<<"$job")" "migration out"
  json_get 'j["memory_total"]' <<<"$job" | grep -Eq '^[0-9]+$'
  
  wait "$pid" || rc=$?
  [ "$rc" -eq 130 ] || fail "vctl ended with $rc: $(cat "$BATS_FILE_TMPDIR/int.err")"
  grep -q "migration of '$NAME' aborted; it runs on the source" "$BATS_FILE_TMPDIR/int.err"
  assert_equal "$(state1)" running
  absent2 "$NAME"
  wait_for_count "$LOG1" "$(( $(last_count "$LOG1") + 2 ))" 60
}

@test "migrate --copy-storage-all: a disk only the source has, created by vctl on the destination" {
  local n=$NAME-copy d1=/var/lib/libvirt/images/$NAME-copy.qcow2
  local d2=$HOST2_IMAGES/$NAME-copy.qcow2 log1=/var/log/libvirt/qemu/$NAME-copy-serial.log
  local log2=$HOST2_LOGS/$NAME-copy-serial.log
  make_counter_disk "$d1" 8M
  guest_xml "$n" "$d1" "$log1" "$(cat /proc/sys/kernel/random/uuid)" > "$BATS_FILE_TMPDIR/copy.xml"
  vctl create "$BATS_FILE_TMPDIR/copy.xml" >/dev/null
  wait_for_count "$log1" 2 60
  # in place, the disk is missing there
  run vctl migrate --live --dry-run "$n" "$HOST2_UNIX"
  assert_failure 3
  assert_output "vctl: disk hda: $d1 does not exist on the destination (--copy-storage-all copies it)"
  run vctl migrate --live --copy-storage-all --dry-run "$n" "$HOST2_UNIX"
  assert_success
  assert_line "ok: disk hda: $d1 is copied to an image vctl creates there"
  assert_file_not_exists "$d2"
  run vctl migrate --live --copy-storage-all --migrateuri "tcp://$HOST2_ADDR" "$n" "$HOST2_UNIX"
  assert_success
  assert_equal "$(v2 domstate "$n" | sed '/^$/d')" running
  moved "$log1" "$log2"
  v2 destroy "$n" >/dev/null
  run qemu-img check "$d2"
  assert_success
  run qemu-img info --output=json "$d2"
  assert_equal "$(json_get 'j["virtual-size"]' <<<"$output")" $((8 << 20))
  # the code sector is the same; the count went on on the copy
  cmp <(qemu-img dd -f qcow2 -O raw if="$d1" of=/dev/stdout bs=512 count=1 2>/dev/null) \
      <(qemu-img dd -f qcow2 -O raw if="$d2" of=/dev/stdout bs=512 count=1 2>/dev/null)
  [ "$(disk_count "$d2")" -gt "$(disk_count "$d1")" ]
  rm -f "$d1" "$d2" "$log1"
}

@test "migrate --copy-storage-all that fails: the image vctl created on the destination is gone" {
  local n=$NAME-copy d1=/var/lib/libvirt/images/$NAME-copy.qcow2
  local d2=$HOST2_IMAGES/$NAME-copy.qcow2 log1=/var/log/libvirt/qemu/$NAME-copy-serial.log
  remove_guest "$n" || true
  v2 destroy "$n" >/dev/null 2>&1 || true
  rm -f "$d1" "$d2"
  make_counter_disk "$d1" 8M
  vctl create "$BATS_FILE_TMPDIR/copy.xml" >/dev/null
  wait_for_count "$log1" 2 60
  run vctl migrate --live --copy-storage-all --bandwidth 1 --timeout 1 --timeout-abort \
    --migrateuri "tcp://$HOST2_ADDR" "$n" "$HOST2_UNIX"
  assert_failure 4
  assert_file_not_exists "$d2"
  assert_equal "$(virsh -q domstate "$n" | sed '/^$/d')" running
  remove_guest "$n" || true
  rm -f "$d1" "$log1"
}

@test "migrate --xml: the destination's definition with other host paths (its own serial log)" {
  start_guest
  virsh -q dumpxml --migratable "$NAME" | sed "s|$NAME-serial.log|$NAME-other.log|" > "$BATS_FILE_TMPDIR/mig.xml"
  run vctl migrate --live --unsafe --xml "$BATS_FILE_TMPDIR/mig.xml" --migrateuri "tcp://$HOST2_ADDR" "$NAME" "$HOST2_UNIX"
  assert_success
  assert_equal "$(state2)" running
  moved "$LOG1" "$HOST2_LOGS/$NAME-other.log"
  run vctl -c "$HOST2_UNIX" migrate --live --unsafe --migrateuri "tcp://$HOST1_ADDR" "$NAME" qemu:///system
  assert_success
  run vctl migrate --live --unsafe --xml "$BATS_FILE_TMPDIR/none.xml" "$NAME" "$HOST2_UNIX"
  assert_failure 3
}

@test "migrate --copy-storage-inc: the top image copied onto the destination's, over a shared backing file" {
  local n=$NAME-inc base=$BATS_FILE_TMPDIR/inc-base.qcow2 top=/var/lib/libvirt/images/$NAME-inc.qcow2
  local log1=/var/log/libvirt/qemu/$NAME-inc-serial.log log2=$HOST2_LOGS/$NAME-inc-serial.log
  make_counter_disk "$base" 8M
  qemu-img create -q -f qcow2 -b "$base" -F qcow2 "$top"
  guest_xml "$n" "$top" "$log1" "$(cat /proc/sys/kernel/random/uuid)" > "$BATS_FILE_TMPDIR/inc.xml"
  vctl create "$BATS_FILE_TMPDIR/inc.xml" >/dev/null
  wait_for_count "$log1" 2 60
  run vctl migrate --live --copy-storage-inc --dry-run "$n" "$HOST2_UNIX"
  assert_failure 3
  assert_output --partial "does not exist on the destination"
  # the destination's top image over the same backing file (both hosts see it)
  qemu-img create -q -f qcow2 -b "$base" -F qcow2 "$HOST2_IMAGES/$NAME-inc.qcow2"
  run vctl migrate --live --copy-storage-inc --migrateuri "tcp://$HOST2_ADDR" "$n" "$HOST2_UNIX"
  assert_success
  assert_equal "$(v2 domstate "$n" | sed '/^$/d')" running
  moved "$log1" "$log2"
  v2 destroy "$n" >/dev/null
  qemu-img check -q "$HOST2_IMAGES/$NAME-inc.qcow2"
  rm -f "$top" "$HOST2_IMAGES/$NAME-inc.qcow2" "$log1"
}

@test "many hosts: -c twice lists both hosts' domains, HOST column and JSON host keys" {
  start_guest
  sed -e "s|<uuid>$UUID</uuid>|<uuid>$(cat /proc/sys/kernel/random/uuid)</uuid>|" \
    -e "s|<name>$NAME</name>|<name>$NAME-b</name>|" "$BATS_FILE_TMPDIR/guest.xml" > "$BATS_FILE_TMPDIR/b.xml"
  v2 define "$BATS_FILE_TMPDIR/b.xml" >/dev/null
  run vctl -c qemu:///system -c "$HOST2_UNIX" list --all --json
  assert_success
  assert_equal "$(json_get "[d['host'] for d in j if d['name'] == '$NAME'][0]" <<<"$output")" qemu:///system
  assert_equal "$(json_get "[d['host'] for d in j if d['name'] == '$NAME-b'][0]" <<<"$output")" "$HOST2_UNIX"
  # the hosts file: short names in the table, a domain found where it is
  printf '# test hosts\none qemu:///system\ntwo %s\n' "$HOST2_UNIX" > "$BATS_FILE_TMPDIR/hosts"
  run vctl --hosts "$BATS_FILE_TMPDIR/hosts" list --all
  assert_success
  assert_line --regexp "^ one +[0-9]+ +$NAME +running"
  assert_line --regexp "^ two +- +$NAME-b +shut off"
  VKIT_HOSTS=$BATS_FILE_TMPDIR/hosts run vctl domstate "$NAME-b"
  assert_success
  assert_output "shut off"
  VKIT_HOSTS=$BATS_FILE_TMPDIR/hosts run vctl domstate --json "$NAME-b"
  assert_equal "$(json_get 'j["host"]' <<<"$output")" "$HOST2_UNIX"
  VKIT_HOSTS=$BATS_FILE_TMPDIR/hosts run vctl dominfo "$NAME"
  assert_line --regexp "^Host: +qemu:///system$"
  run vctl --hosts "$BATS_FILE_TMPDIR/hosts" net-list --all --json
  assert_success
  run vctl --hosts "$BATS_FILE_TMPDIR/hosts" domstats --state --json "$NAME" "$NAME-b"
  assert_success
  assert_equal "$(json_get "[d['host'] for d in j if d['name'] == '$NAME-b'][0]" <<<"$output")" "$HOST2_UNIX"
  assert_equal "$(json_get "[d['stats']['state']['state'] for d in j if d['name'] == '$NAME'][0]" <<<"$output")" 1
  run vctl --hosts "$BATS_FILE_TMPDIR/hosts" top --json --delay 0.2
  assert_success
  assert_equal "$(json_get "[d['host'] for d in j['domains'] if d['name'] == '$NAME'][0]" <<<"$output")" qemu:///system
  assert_equal "$(json_get 'j["errors"]' <<<"$output")" "[]"
  # host-validate and nodeinfo of both: the second host checked through libvirt (remote)
  run --separate-stderr vctl -c qemu:///system -c "$HOST2_TCP" host-validate --json
  assert_success
  assert_equal "$(json_get "[c['result'] for c in j if c['host'] == '$HOST2_TCP' and c['id'] == 'kvm_device'][0]" <<<"$output")" PASS
  assert_equal "$(json_get "[c['detail'] for c in j if c['host'] == '$HOST2_TCP' and c['id'] == 'kvm_device'][0]" <<<"$output")" "libvirt offers the kvm domain type"
  assert_equal "$(json_get "len([c for c in j if c['host'] == 'qemu:///system' and c['id'] == 'iommu'])" <<<"$output")" 1
  run vctl --hosts "$BATS_FILE_TMPDIR/hosts" host-validate
  assert_line --regexp "^PASS  two: libvirt daemon: answers"
  run vctl --hosts "$BATS_FILE_TMPDIR/hosts" nodeinfo --json
  assert_success
  assert_equal "$(json_get "sorted(d['host'] for d in j)" <<<"$output")" "[\"$HOST2_UNIX\", \"qemu:///system\"]"
  # a name on two hosts is an error naming both
  v2 define "$BATS_FILE_TMPDIR/other.xml" >/dev/null
  VKIT_HOSTS=$BATS_FILE_TMPDIR/hosts run vctl dominfo "$NAME"
  assert_failure 2
  assert_output --partial "is on two hosts, qemu:///system and $HOST2_UNIX"
  v2 undefine "$NAME" >/dev/null
  # migrate to a short name of the hosts file
  VKIT_HOSTS=$BATS_FILE_TMPDIR/hosts run vctl migrate --live --unsafe --migrateuri "tcp://$HOST2_ADDR" "$NAME" two
  assert_success
  assert_equal "$(state2)" running
  VKIT_HOSTS=$BATS_FILE_TMPDIR/hosts run vctl migrate --live --unsafe --migrateuri "tcp://$HOST1_ADDR" "$NAME" one
  assert_success
  assert_equal "$(state1)" running
}

@test "many hosts: one host down -> the other still listed, exit 6, the error in the JSON" {
  [ "$(state1)" = running ] || start_guest
  run --separate-stderr vctl -c qemu:///system -c "qemu+tcp://$HOST2_ADDR:1/system" list --all --json
  assert_failure 6
  [[ "$stderr" == "vctl: cannot connect to 'qemu+tcp://$HOST2_ADDR:1/system'"* ]]
  assert_equal "$(json_get "[d['host'] for d in j if d.get('name') == '$NAME'][0]" <<<"$output")" qemu:///system
  json_get "[d['error'] for d in j if 'error' in d][0]" <<<"$output" | grep -q "cannot connect"
  run vctl -c qemu:///system -c "qemu+tcp://$HOST2_ADDR:1/system" list --all
  assert_failure 6
  assert_line --regexp "$NAME +running"
  run --separate-stderr vctl -c qemu:///system -c "qemu+tcp://$HOST2_ADDR:1/system" top --json --delay 0.2
  assert_failure 6
  assert_equal "$(json_get "[d['name'] for d in j['domains'] if d['name'] == '$NAME'][0]" <<<"$output")" "$NAME"
  json_get 'j["errors"][0]["host"]' <<<"$output" | grep -q ":1/system"
  run --separate-stderr vctl -c qemu:///system -c "qemu+tcp://$HOST2_ADDR:1/system" domstats --state
  assert_failure 6
  assert_line "Domain: '$NAME'"
  run vctl -c qemu:///system -c "$HOST2_UNIX" define "$BATS_FILE_TMPDIR/guest.xml"
  assert_failure 2
  v2 undefine "$NAME-b" >/dev/null 2>&1 || true
}

@test "migrate-setspeed / getspeed / setmaxdowntime / getmaxdowntime" {
  start_guest
  run vctl migrate-setspeed "$NAME" 64
  assert_success
  run vctl migrate-getspeed "$NAME"
  assert_output 64
  run vctl migrate-getspeed --json "$NAME"
  assert_equal "$(json_get 'j["bandwidth_mib_per_s"]' <<<"$output")" 64
  run vctl migrate-setmaxdowntime "$NAME" 250
  assert_success
  run vctl migrate-getmaxdowntime "$NAME"
  assert_output 250
  run vctl migrate-setspeed "$NAME" lots
  assert_failure 2
  run vctl migrate-postcopy "$NAME"
  assert_failure
  remove_guest "$NAME" || true
}
