#!/usr/bin/env bash
# bench/install.sh — time from command to "domain running" for the
# boot-sector guest: vinstall vs virt-install --import with the same
# settings (TCG, 64 MiB, one vCPU, qcow2 virtio disk, no network, no
# graphics, serial console to a file), interleaved runs, medians.
#
#   bench/install.sh [RUNS]        (default 7; needs root, libvirtd, virt-install)
#
# Run from the build tree (VK_BUILDDIR, default: the source tree).
#
# A second table times --print-xml (everything but define and start) for
# both tools: the tools' own overhead, without the QEMU start-up that
# libvirt does for both alike.  A third times the same install with a
# cloud-init seed (--cloud-init root-password-generate=on): the seed ISO
# written, attached and the domain started.
set -euo pipefail

runs=${1:-7}
src=$(cd "$(dirname "$0")/.." && pwd)
build=${VK_BUILDDIR:-$src}
uri=qemu:///system
prefix=vkit-bench6-

for c in virt-install virsh qemu-img; do
  command -v "$c" >/dev/null || { echo "install.sh: needs $c" >&2; exit 1; }
done
[ -x "$build/vinstall" ] || { echo "install.sh: no $build/vinstall (make first)" >&2; exit 1; }
"$src/tests/libvirtd-start.sh"

work=$(mktemp -d)
cleanup() {
  local d
  for d in $(virsh -c "$uri" list --all --name 2>/dev/null | grep "^$prefix" || true); do
    virsh -c "$uri" destroy "$d" >/dev/null 2>&1 || true
    virsh -c "$uri" undefine "$d" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

"$src/tests/fixtures/make-bootsector.sh" "$work/bs.raw"
truncate -s 1M "$work/bs.raw"
qemu-img convert -f raw -O qcow2 "$work/bs.raw" "$work/bs.qcow2"

now() { date +%s%N; }

# time_one TOOL I [EXTRA...]: milliseconds from the command to its return
# with the domain started; EXTRA goes to both tools.
time_one() {
  local tool=$1 i=$2 name disk log t0 t1
  shift 2
  name=$prefix$tool-$i
  disk=$work/$name.qcow2
  log=$work/$name.log
  cp "$work/bs.qcow2" "$disk"
  t0=$(now)
  if [ "$tool" = vinstall ]; then
    "$build/vinstall" -c "$uri" --name "$name" --virt-type qemu --memory 64 --vcpus 1 \
      --import --disk "path=$disk,format=qcow2,bus=virtio" --network none --graphics none \
      --console "file=$log" --noautoconsole "$@" 2>/dev/null
  else
    virt-install --connect "$uri" --name "$name" --virt-type qemu --memory 64 --vcpus 1 \
      --import --disk "path=$disk,format=qcow2,bus=virtio" --network none --graphics none \
      --serial "file,path=$log" --noautoconsole --osinfo generic "$@" >/dev/null 2>&1
  fi
  t1=$(now)
  # the guest really booted
  for _ in $(seq 100); do grep -q VKIT-GUEST-BOOTED "$log" 2>/dev/null && break; sleep 0.1; done
  grep -q VKIT-GUEST-BOOTED "$log" || { echo "install.sh: $name did not boot" >&2; exit 1; }
  virsh -c "$uri" destroy "$name" >/dev/null 2>&1 || true
  virsh -c "$uri" undefine "$name" >/dev/null 2>&1
  rm -f "$work/$name-cidata.iso"
  echo $(((t1 - t0) / 1000000))
}

# time_xml TOOL: milliseconds for --print-xml with the same settings.
time_xml() {
  local tool=$1 t0 t1
  t0=$(now)
  if [ "$tool" = vinstall ]; then
    "$build/vinstall" -c "$uri" --name "${prefix}xml" --virt-type qemu --memory 64 --vcpus 1 \
      --import --disk "path=$work/bs.qcow2,format=qcow2,bus=virtio" --network none --graphics none \
      --console "file=$work/x.log" --print-xml >/dev/null 2>&1
  else
    virt-install --connect "$uri" --name "${prefix}xml" --virt-type qemu --memory 64 --vcpus 1 \
      --import --disk "path=$work/bs.qcow2,format=qcow2,bus=virtio" --network none --graphics none \
      --serial "file,path=$work/x.log" --osinfo generic --print-xml >/dev/null 2>&1
  fi
  t1=$(now)
  echo $(((t1 - t0) / 1000000))
}

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

: >"$work/vinstall.ms"
: >"$work/virt-install.ms"
for i in $(seq "$runs"); do
  time_one vinstall "$i" >>"$work/vinstall.ms"
  time_one virt-install "$i" >>"$work/virt-install.ms"
done
v=$(median <"$work/vinstall.ms")
o=$(median <"$work/virt-install.ms")
echo "runs: $runs (interleaved), command -> domain running, boot-sector guest, TCG"
echo "vinstall      median ${v} ms   (all: $(tr '\n' ' ' <"$work/vinstall.ms"))"
echo "virt-install  median ${o} ms   (all: $(tr '\n' ' ' <"$work/virt-install.ms"))"
awk -v v="$v" -v o="$o" 'BEGIN {printf "speed-up: %.1fx (target: at least 3x)\n", o / v}'

: >"$work/vinstall.xml.ms"
: >"$work/virt-install.xml.ms"
for i in $(seq "$runs"); do
  time_xml vinstall >>"$work/vinstall.xml.ms"
  time_xml virt-install >>"$work/virt-install.xml.ms"
done
v=$(median <"$work/vinstall.xml.ms")
o=$(median <"$work/virt-install.xml.ms")
echo "--print-xml (tool overhead without define and QEMU start-up):"
echo "vinstall      median ${v} ms   (all: $(tr '\n' ' ' <"$work/vinstall.xml.ms"))"
echo "virt-install  median ${o} ms   (all: $(tr '\n' ' ' <"$work/virt-install.xml.ms"))"
awk -v v="$v" -v o="$o" 'BEGIN {printf "speed-up: %.1fx\n", o / v}'

: >"$work/vinstall.ci.ms"
: >"$work/virt-install.ci.ms"
for i in $(seq "$runs"); do
  time_one vinstall "ci$i" --cloud-init root-password-generate=on >>"$work/vinstall.ci.ms"
  time_one virt-install "ci$i" --cloud-init root-password-generate=on >>"$work/virt-install.ci.ms"
done
v=$(median <"$work/vinstall.ci.ms")
o=$(median <"$work/virt-install.ci.ms")
echo "--cloud-init root-password-generate=on (seed written, attached, domain running):"
echo "vinstall      median ${v} ms   (all: $(tr '\n' ' ' <"$work/vinstall.ci.ms"))"
echo "virt-install  median ${o} ms   (all: $(tr '\n' ' ' <"$work/virt-install.ci.ms"))"
awk -v v="$v" -v o="$o" 'BEGIN {printf "speed-up: %.1fx\n", o / v}'
