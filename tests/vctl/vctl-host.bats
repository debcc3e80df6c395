#!/usr/bin/env bats
# vctl's host commands against the real daemon (qemu:///system), with virsh
# as the oracle where it has the same command: host-validate, nodeinfo,
# version, hostname, uri, maxvcpus, freecell, nodememstats, nodecpustats,
# cpu-models, capabilities, domcapabilities, sysinfo, node-memory-tune.

bats_require_minimum_version 1.5.0
load ../virt-helpers

setup_file() {
  requires virsh python3
  "$VK_SRCDIR/tests/libvirtd-start.sh"
}

setup() {
  export LIBVIRT_DEFAULT_URI=qemu:///system
}

teardown_file() {
  # KSM's tunable as it was (the test sets it)
  # shellcheck disable=SC1091
  [ -f "$BATS_FILE_TMPDIR/ksm" ] && source "$BATS_FILE_TMPDIR/ksm"
  [ -n "${KSM_SCAN:-}" ] && virsh -q node-memory-tune --shm-pages-to-scan "$KSM_SCAN" >/dev/null 2>&1
  return 0
}

@test "host-validate: this host runs KVM guests (exit 0); one line per check; /dev/kvm creates a VM" {
  [ -c /dev/kvm ] || cannot "no /dev/kvm on this machine"
  run --separate-stderr vctl host-validate
  assert_success
  assert_line "PASS  libvirt daemon: answers (libvirt $(virsh -q version | sed -n 's/^Using library: libvirt //p'))"
  assert_line --regexp "^PASS  /dev/kvm: creates VMs \(KVM API [0-9]+\)$"
  # every line is a result or a fix under one
  refute_line --regexp "^(PASS|WARN|FAIL)  [^:]+$"
  run bash -c "'$VK_BUILDDIR/vctl' host-validate | grep -Ev '^(PASS|WARN|FAIL)  [^:]+: |^      fix: '"
  assert_output ""
  # the CPU flags: vmx/svm shown, or hidden by a nested host while KVM works
  run vctl host-validate
  if grep -qw -e vmx -e svm /proc/cpuinfo; then
    assert_line --regexp "^PASS  hardware virtualization: the CPU has"
  else
    assert_line --partial "WARN  hardware virtualization: the CPU flags show no vmx/svm (a nested or paravirtual host hides them), but /dev/kvm creates VMs"
  fi
}

@test "host-validate --json: one object per check; --quiet leaves out the passes" {
  run --separate-stderr vctl host-validate --json
  assert_success
  python3 - "$output" <<'PY'
import json, sys
j = json.loads(sys.argv[1])
ids = [c["id"] for c in j]
for want in ("libvirtd", "kvm_device", "cpu_virt", "kvm_modules", "nested", "iommu", "vhost_net",
             "tun", "cgroups", "ksm", "hugepages"):
    assert want in ids, want
for c in j:
    assert set(c) == {"id", "check", "result", "detail", "fix"}, c
    assert c["result"] in ("PASS", "WARN", "FAIL"), c
    assert (c["fix"] is None) or c["result"] != "PASS", c
PY
  run --separate-stderr vctl host-validate --quiet
  assert_success
  refute_line --regexp "^PASS"
  # KSM's line says what /sys says
  run vctl host-validate --json
  if [ "$(cat /sys/kernel/mm/ksm/run 2>/dev/null)" = 1 ]; then
    assert_equal "$(json_get '[c["result"] for c in j if c["id"] == "ksm"][0]' <<<"$output")" PASS
  else
    assert_equal "$(json_get '[c["result"] for c in j if c["id"] == "ksm"][0]' <<<"$output")" WARN
  fi
}

@test "host-validate: a daemon that does not answer is a FAIL and exit 6, the local checks still made" {
  run --separate-stderr vctl -c "qemu+unix:///system?socket=$BATS_TEST_TMPDIR/none" host-validate
  assert_failure 6
  assert_line --regexp "^FAIL  libvirt daemon: cannot connect to"
  assert_line --regexp "^(PASS|FAIL)  /dev/kvm: "
}

@test "nodeinfo: as virsh's; --json in bytes" {
  run vctl nodeinfo
  assert_success
  assert_equal "$output" "$(virsh nodeinfo | sed '/^$/d')"
  run vctl nodeinfo --json
  assert_equal "$(json_get 'j["cpus"]' <<<"$output")" "$(virsh -q nodeinfo | sed -n 's/^CPU(s): *//p')"
  assert_equal "$(json_get 'j["memory"]' <<<"$output")" \
    "$(( $(virsh -q nodeinfo | sed -n 's/^Memory size: *\([0-9]*\) KiB/\1/p') * 1024 ))"
}

@test "version, hostname, uri, maxvcpus: as virsh's" {
  run vctl version
  assert_success
  assert_line "Using library: libvirt $(virsh -q version | sed -n 's/^Using library: libvirt //p')"
  assert_line "$(virsh -q version | grep '^Running hypervisor')"
  run vctl version --json
  assert_equal "$(json_get 'j["hypervisor_type"]' <<<"$output")" QEMU
  assert_equal "$(json_get 'j["vkit"]' <<<"$output")" "$(vctl --version | awk '{print $NF}')"
  run vctl hostname
  assert_output "$(virsh -q hostname)"
  run vctl uri
  assert_output qemu:///system
  run vctl maxvcpus
  assert_output "$(virsh -q maxvcpus)"
  run vctl maxvcpus --type qemu --json
  assert_equal "$(json_get 'j["max_vcpus"]' <<<"$output")" "$(virsh -q maxvcpus --type qemu)"
  run vctl maxvcpus --type xen
  assert_failure 2
}

@test "freecell: the total, per cell, one cell; a cell the host lacks is exit 3" {
  run vctl freecell --all --json
  assert_success
  python3 - "$output" <<'PY'
import json, sys
j = json.loads(sys.argv[1])
assert j["cells"] and j["free"] == sum(c["free"] for c in j["cells"]), j
PY
  run vctl freecell
  assert_output --regexp "^Total: [0-9]+ KiB$"
  run vctl freecell --cellno 0
  assert_output --regexp "^ +0: +[0-9]+ KiB$"
  run vctl freecell --cellno 99
  assert_failure 3
  run vctl freecell --all --cellno 0
  assert_failure 2
}

@test "nodememstats, nodecpustats: virsh's fields; JSON; --percent adds up" {
  run vctl nodememstats
  assert_success
  assert_line --regexp "^total: +$(virsh -q nodememstats | sed -n 's/^total *: *\([0-9]*\) KiB/\1/p') KiB$"
  run vctl nodememstats --json
  assert_equal "$(json_get 'j["total"]' <<<"$output")" \
    "$(( $(virsh -q nodememstats | sed -n 's/^total *: *\([0-9]*\) KiB/\1/p') * 1024 ))"
  run vctl nodecpustats --json
  assert_equal "$(json_get 'sorted(j)' <<<"$output")" '["idle", "iowait", "kernel", "user"]'
  run vctl nodecpustats --percent --json
  python3 - "$output" <<'PY'
import json, sys
j = json.loads(sys.argv[1])
assert abs(sum(j.values()) - 100) < 0.5, j
PY
  run vctl nodecpustats --cpu 0
  assert_line --regexp "^user: +[0-9]+$"
}

@test "cpu-models, capabilities, domcapabilities, sysinfo: what virsh says" {
  run vctl cpu-models x86_64
  assert_success
  assert_equal "$output" "$(virsh -q cpu-models x86_64 | sed '/^$/d')"
  run vctl cpu-models --json x86_64
  assert_equal "$(json_get 'len(j)' <<<"$output")" "$(virsh -q cpu-models x86_64 | sed '/^$/d' | wc -l)"
  run vctl capabilities
  assert_success
  xmllint --noout - <<<"$output"
  assert_line --regexp "^ *<uuid>$(virsh -q capabilities | sed -n 's|.*<uuid>\(.*\)</uuid>.*|\1|p' | head -1)</uuid>$"
  run vctl domcapabilities --virttype qemu
  assert_success
  assert_line --partial "<domain>qemu</domain>"
  # sysinfo: the same answer as virsh (hosts without SMBIOS: the same failure)
  if virsh -q sysinfo >/dev/null 2>&1; then
    run vctl sysinfo
    assert_success
    assert_line --partial "<sysinfo"
  else
    run vctl sysinfo
    assert_failure 1
    assert_output --partial "$(virsh -q sysinfo 2>&1 | sed -n 's/^error: //p' | tail -1)"
  fi
}

@test "node-memory-tune: the KSM tunables set and read back, the counters; bad values exit 2" {
  [ -d /sys/kernel/mm/ksm ] || cannot "no KSM in this kernel"
  run vctl node-memory-tune --json
  assert_success
  local KSM_SCAN
  KSM_SCAN=$(json_get 'j["pages_to_scan"]' <<<"$output")
  echo "KSM_SCAN=$KSM_SCAN" > "$BATS_FILE_TMPDIR/ksm"
  for k in pages_to_scan sleep_millisecs pages_shared pages_sharing pages_unshared full_scans; do
    json_get "j['$k']" <<<"$output" | grep -Eq '^[0-9]+$'
  done
  run vctl node-memory-tune --shm-pages-to-scan 321
  assert_success
  assert_line --regexp "shm_pages_to_scan +321$"
  assert_equal "$(cat /sys/kernel/mm/ksm/pages_to_scan)" 321
  run virsh -q node-memory-tune
  assert_output --partial "shm_pages_to_scan 321"
  run vctl node-memory-tune --shm-pages-to-scan "$KSM_SCAN"
  assert_success
  run vctl node-memory-tune --shm-merge-across-nodes 2
  assert_failure 2
  run vctl node-memory-tune --shm-sleep-millisecs soon
  assert_failure 2
}
