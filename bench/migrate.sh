#!/usr/bin/env bash
# bench/migrate.sh — vctl migrate --live against virsh migrate --live for
# the same running guest, between qemu:///system and a second libvirt
# host on this machine (tests/second-host.sh: its own namespaces, reached
# over its unix socket, the data over a veth pair).
#
#   bench/migrate.sh [-r RUNS] [-m MEMORY_MIB]
#
# The guest is the counter boot sector of the tests under TCG with
# MEMORY_MIB (default 256) of memory, its disk shared (--unsafe).  Each
# run moves it there and back with one tool, the tools alternating which
# goes first; a round trip is timed from the first command to the return
# of the second.  Prints the medians (min-max), every run, and the
# vctl/virsh ratio.  Needs root; vctl is taken from the build tree
# (VK_BUILDDIR, default: the source tree).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src_dir=$(cd "$here/.." && pwd)
build=${VK_BUILDDIR:-$src_dir}
runs=5
mem=256
while getopts "r:m:h" o; do
  case $o in
    r) runs=$OPTARG ;;
    m) mem=$OPTARG ;;
    h) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) exit 2 ;;
  esac
done
for c in virsh qemu-img python3 "$build/vctl"; do
  command -v "$c" >/dev/null || { echo "migrate.sh: $c not found" >&2; exit 1; }
done
"$src_dir/tests/libvirtd-start.sh"
export VKIT_HOST2_DIR=/var/tmp/vkit-bench-host2-$$
dir=$(mktemp -d /var/tmp/vkit-bench-migrate.XXXXXX)
name=vkit-bench12-$$
cleanup() {
  set +e
  virsh -q -c qemu:///system destroy "$name" >/dev/null 2>&1
  [ -n "${HOST2_UNIX:-}" ] && virsh -q -c "$HOST2_UNIX" destroy "$name" >/dev/null 2>&1
  "$src_dir/tests/second-host.sh" stop
  rm -rf "$dir" "/var/log/libvirt/qemu/$name"*
}
trap cleanup EXIT
"$src_dir/tests/second-host.sh" start >"$dir/env"
# shellcheck disable=SC1091
source "$dir/env"

"$src_dir/tests/fixtures/make-bootsector.sh" "$dir/disk.raw" counter
truncate -s 4M "$dir/disk.raw"
qemu-img convert -q -f raw -O qcow2 "$dir/disk.raw" "$dir/disk.qcow2"
cat >"$dir/guest.xml" <<XML
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>$mem</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <features><acpi/></features>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/><source file='$dir/disk.qcow2'/>
      <target dev='hda' bus='ide'/>
    </disk>
    <serial type='file'><source path='/var/log/libvirt/qemu/$name-serial.log'/><target port='0'/></serial>
  </devices>
</domain>
XML
virsh -q -c qemu:///system create "$dir/guest.xml" >/dev/null
sleep 2

there="--live --unsafe --migrateuri tcp://$HOST2_ADDR $name $HOST2_UNIX"
back="--live --unsafe --migrateuri tcp://$HOST1_ADDR $name qemu:///system"
# round TOOL: there and back, prints the seconds
round() {
  local t0 t1
  t0=$EPOCHREALTIME
  if [ "$1" = vctl ]; then
    # shellcheck disable=SC2086
    "$build/vctl" -c qemu:///system migrate $there >/dev/null
    # shellcheck disable=SC2086
    "$build/vctl" -c "$HOST2_UNIX" migrate $back >/dev/null
  else
    # shellcheck disable=SC2086
    virsh -q -c qemu:///system migrate $there >/dev/null
    # shellcheck disable=SC2086
    virsh -q -c "$HOST2_UNIX" migrate $back >/dev/null
  fi
  t1=$EPOCHREALTIME
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$dir/results"
for ((r = 1; r <= runs; r++)); do
  echo "run $r/$runs ..." >&2
  if ((r % 2)); then order="vctl virsh"; else order="virsh vctl"; fi
  for t in $order; do
    echo "$t $(round "$t")" >>"$dir/results"
  done
done

python3 - "$dir/results" "$mem" "$runs" "$load_start" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    tool, sec = line.split()
    rows.setdefault(tool, []).append(float(sec))
print(f"{sys.argv[2]} MiB TCG guest, live migration there and back, {sys.argv[3]} runs; "
      f"load average {sys.argv[4]} at the start, {sys.argv[5]} at the end")
print()
print("| tool | round trip s, median (min-max) | runs |")
print("|---|---:|---|")
for t in ("vctl", "virsh"):
    v = rows[t]
    print(f"| {t} | {statistics.median(v):.2f} ({min(v):.2f}-{max(v):.2f}) | "
          + " ".join(f"{x:.2f}" for x in v) + " |")
print()
print(f"vctl / virsh = {statistics.median(rows['vctl']) / statistics.median(rows['virsh']):.2f}")
PY
