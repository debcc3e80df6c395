#!/usr/bin/env bash
# bench/clone.sh — vclone against virt-clone on a shut-off domain with a
# 1 GiB disk (bench/mkimage.py: random data, text, zeros and holes, about
# 70% allocated), as raw and as qcow2.
#
#   bench/clone.sh [-r RUNS] [-s SIZE_MIB] [-d DIR] [-k]
#
# For each format: RUNS (default 5) interleaved clones by each tool into
# the same directory, each timed from the command to its return (the
# clone defined, its disk complete; neither tool syncs its copies by
# default) and removed again, with a `sync` before each run; interleaved
# with them `vclone --linked` and `vclone --sync` (copies on disk before
# the clone is defined).  Prints the medians, every run, and the
# virt-clone/vclone ratio.  Every vclone copy is checked once
# with `qemu-img compare` before the timed runs.
#
# Needs root, libvirtd (started as the tests do) and virt-clone.  vclone
# is taken from the build tree (VK_BUILDDIR, default: the source tree).
# Work files go to DIR (default: a new directory under
# /var/lib/libvirt/images), removed at the end unless -k is given.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src_dir=$(cd "$here/.." && pwd)
build=${VK_BUILDDIR:-$src_dir}
runs=5
size_mib=1024
dir=
keep=false
while getopts "r:s:d:kh" o; do
  case $o in
    r) runs=$OPTARG ;;
    s) size_mib=$OPTARG ;;
    d) dir=$OPTARG ;;
    k) keep=true ;;
    h) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) exit 2 ;;
  esac
done
uri=qemu:///system
prefix=vkit-bench8-
for c in virt-clone virsh qemu-img python3 "$build/vclone" "$build/vinstall"; do
  command -v "$c" >/dev/null || { echo "clone.sh: $c not found" >&2; exit 1; }
done
"$src_dir/tests/libvirtd-start.sh"

if [ -z "$dir" ]; then
  mkdir -p /var/lib/libvirt/images
  dir=$(mktemp -d /var/lib/libvirt/images/${prefix}XXXXXX)
else
  mkdir -p "$dir"
fi

undefine_all() {
  local d
  while IFS= read -r d; do
    [ -n "$d" ] || continue
    virsh -c "$uri" undefine --nvram "$d" >/dev/null 2>&1 || true
  done < <(virsh -c "$uri" list --all --name 2>/dev/null | grep "^$prefix" || true)
}
# virt-clone registers the directory it writes to as a storage pool.
remove_pools() {
  local p
  while read -r p; do       # (virsh pads the names with spaces)
    [ -n "$p" ] || continue
    if virsh -c "$uri" pool-dumpxml "$p" 2>/dev/null | grep -qF "<path>$dir</path>"; then
      virsh -c "$uri" pool-destroy "$p" >/dev/null 2>&1 || true
      virsh -c "$uri" pool-undefine "$p" >/dev/null 2>&1 || true
    fi
  done < <(virsh -c "$uri" pool-list --all --name 2>/dev/null)
}
cleanup() {
  undefine_all
  remove_pools
  $keep || rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "generating a $size_mib MiB image in $dir ..." >&2
python3 "$here/mkimage.py" "$dir/orig.raw" "$size_mib"
qemu-img convert -O qcow2 "$dir/orig.raw" "$dir/orig.qcow2"

now() { date +%s%N; }
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# define FMT: the shut-off original on orig.FMT.
define() {
  "$build/vinstall" -c "$uri" --name "${prefix}$1" --virt-type qemu --memory 64 --import \
    --disk "$dir/orig.$1,format=$1" --network none --print-xml >"$dir/$1.xml" 2>/dev/null
  virsh -c "$uri" define "$dir/$1.xml" >/dev/null
}

# time_one TOOL FMT I: milliseconds for one clone; the clone is removed.
time_one() {
  local tool=$1 fmt=$2 i=$3 name t0 t1 out
  name=${prefix}$fmt-$tool-$i
  out=$dir/$name.$fmt
  sync    # the previous run's writeback is not this run's
  t0=$(now)
  case $tool in
    vclone) "$build/vclone" -c "$uri" -o "${prefix}$fmt" -n "$name" -f "$out" -q ;;
    linked) "$build/vclone" -c "$uri" -o "${prefix}$fmt" -n "$name" -f "$out" -q --linked ;;
    sync) "$build/vclone" -c "$uri" -o "${prefix}$fmt" -n "$name" -f "$out" -q --sync ;;
    virt-clone) virt-clone --connect "$uri" -o "${prefix}$fmt" -n "$name" -f "$out" >/dev/null 2>&1 ;;
  esac
  t1=$(now)
  [ -e "$out" ] || { echo "clone.sh: $tool made no $out" >&2; exit 1; }
  virsh -c "$uri" undefine "$name" >/dev/null
  rm -f "$out"
  echo $(((t1 - t0) / 1000000))
}

undefine_all
echo "runs: $runs (interleaved), $size_mib MiB disk, $(du -m "$dir/orig.raw" | cut -f1) MiB allocated; command -> clone defined"
for fmt in raw qcow2; do
  define "$fmt"
  # a correct copy first
  "$build/vclone" -c "$uri" -o "${prefix}$fmt" -n "${prefix}check" -f "$dir/check.$fmt" -q
  qemu-img compare -q -f "$fmt" -F "$fmt" "$dir/orig.$fmt" "$dir/check.$fmt"
  virsh -c "$uri" undefine "${prefix}check" >/dev/null
  rm -f "$dir/check.$fmt"
  for t in vclone virt-clone linked sync; do : >"$dir/$t.ms"; done
  for i in $(seq "$runs"); do
    time_one vclone "$fmt" "$i" >>"$dir/vclone.ms"
    time_one virt-clone "$fmt" "$i" >>"$dir/virt-clone.ms"
    time_one linked "$fmt" "$i" >>"$dir/linked.ms"
    time_one sync "$fmt" "$i" >>"$dir/sync.ms"
  done
  v=$(median <"$dir/vclone.ms")
  o=$(median <"$dir/virt-clone.ms")
  l=$(median <"$dir/linked.ms")
  s=$(median <"$dir/sync.ms")
  echo "$fmt:"
  echo "  vclone          median ${v} ms   (all: $(tr '\n' ' ' <"$dir/vclone.ms"))"
  echo "  virt-clone      median ${o} ms   (all: $(tr '\n' ' ' <"$dir/virt-clone.ms"))"
  echo "  vclone --sync   median ${s} ms   (all: $(tr '\n' ' ' <"$dir/sync.ms"))"
  echo "  vclone --linked median ${l} ms   (all: $(tr '\n' ' ' <"$dir/linked.ms"))"
  awk -v v="$v" -v o="$o" 'BEGIN {printf "  speed-up: %.1fx (target: at least 2x)\n", o / v}'
  virsh -c "$uri" undefine "${prefix}$fmt" >/dev/null
done
