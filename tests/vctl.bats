#!/usr/bin/env bats
# vctl: command-line behaviour, on libvirt's test driver (no daemon).

bats_require_minimum_version 1.5.0
load virt-helpers

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
    '["autostart", "id", "name", "persistent", "reason", "state", "uuid"]'
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
}

@test "shutdown: bad --wait and --force-after values are usage errors" {
  run --separate-stderr vctl shutdown --wait=soon vkit-t5-run
  assert_failure 2
  [[ "$stderr" == *"--wait: 'soon' is not a number of seconds"* ]]
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
}

@test "suspend and resume, with their wrong-state errors" {
  run vctl suspend vkit-t5-run
  assert_success
  assert_output "Domain 'vkit-t5-run' suspended"
  run vctl resume vkit-t5-run
  assert_failure 5
  run vctl resume --idempotent vkit-t5-run
  assert_success
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
  [[ "$stderr" == "vctl: $BATS_TEST_TMPDIR/bad.xml: cannot define the domain: "* ]]
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
