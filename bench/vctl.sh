#!/usr/bin/env bash
# bench/vctl.sh: `vctl list --all` against `virsh list --all` with many
# defined domains on the real daemon (qemu:///system).
#
#   bench/vctl.sh [DOMAINS [RUNS]]     defaults: 300 domains, 21 runs
#
# Defines DOMAINS inactive domains named vkit-bench-NNN (removed again at
# the end, also on interrupt), then runs the three listings interleaved
# RUNS times and prints the median wall time of each and the ratios.
# Uses the vctl of the build tree (VK_BUILDDIR, default: the source tree).
set -eu

n=${1:-300}
runs=${2:-21}
here=$(cd "$(dirname "$0")/.." && pwd)
vctl=${VK_BUILDDIR:-$here}/vctl
uri=qemu:///system
export LIBVIRT_DEFAULT_URI=$uri

[ -x "$vctl" ] || { echo "bench: $vctl not built (run make)" >&2; exit 1; }
"$here/tests/libvirtd-start.sh"

cleanup() {
  virsh -q list --all --name | grep '^vkit-bench-' | while read -r d; do
    virsh -q undefine "$d" >/dev/null 2>&1 || true
  done
}
tmp=$(mktemp -d)
trap 'cleanup; rm -rf "$tmp"' EXIT INT TERM
cleanup

echo "defining $n domains..."
for i in $(seq -w 1 "$n"); do
  cat > "$tmp/d$i.xml" <<XML
<domain type='qemu'>
  <name>vkit-bench-$i</name>
  <memory unit='MiB'>32</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
</domain>
XML
done
for f in "$tmp"/d*.xml; do
  "$vctl" define "$f" >/dev/null
done
total=$(virsh -q list --all --name | grep -c .)
echo "domains defined on $uri: $total (of which vkit-bench-: $(virsh -q list --all --name | grep -c '^vkit-bench-'))"

# time_ms CMD...: wall time of one run in milliseconds (output discarded)
time_ms() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000))
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

: > "$tmp/virsh"; : > "$tmp/vctl"; : > "$tmp/json"
# same result first: the names listed must agree
diff <(virsh list --all --name | sed '/^$/d' | sort) <("$vctl" list --all --name | sort) >/dev/null ||
  { echo "bench: vctl and virsh list different domains" >&2; exit 1; }
for _ in $(seq 1 "$runs"); do
  time_ms virsh list --all >> "$tmp/virsh"
  time_ms "$vctl" list --all >> "$tmp/vctl"
  time_ms "$vctl" list --all --json >> "$tmp/json"
done
v=$(median < "$tmp/virsh")
c=$(median < "$tmp/vctl")
j=$(median < "$tmp/json")
awk -v v="$v" -v c="$c" -v j="$j" -v n="$total" -v r="$runs" 'BEGIN {
  printf "%d domains, %d interleaved runs, median wall time:\n", n, r
  printf "  virsh list --all        %8.1f ms\n", v / 1000
  printf "  vctl list --all         %8.1f ms   (virsh/vctl = %.2fx)\n", c / 1000, v / c
  printf "  vctl list --all --json  %8.1f ms   (virsh/vctl = %.2fx)\n", j / 1000, v / j
}'
