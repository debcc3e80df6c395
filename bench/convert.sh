#!/usr/bin/env bash
# bench/convert.sh — vimg against qemu-img, side by side, on the same images.
#
#   bench/convert.sh [-r RUNS] [-s SIZE_MIB] [-d DIR] [-t TMPFS] [-g GROUPS] [-k]
#
# Generates (once, with fixed seeds) its images, then times each case with
# vimg and qemu-img interleaved, RUNS times each (default 5), and prints
# the median wall time of each tool with its min-max spread, the
# vimg/qemu-img ratio of the medians and each tool's median peak RSS (from
# /usr/bin/time -f %M).  GROUPS (comma-separated, default all of them):
#   basic     a SIZE_MIB (default 1024) raw image of random data,
#             compressible text, explicit zero blocks and holes (about 70%
#             allocated): raw -> qcow2, qcow2 -> raw, raw -> qcow2
#             compressed with zlib and with zstd, check of the qcow2, and
#             `cp --sparse=always` of the raw file, the floor for an
#             uncompressed copy
#   clusters  the same image to qcow2 with 512-byte, 4 KiB and 2 MiB
#             clusters, and on TMPFS (default /dev/shm when writable):
#             4 KiB and 64 KiB clusters, qcow2 -> qcow2, and cp there
#   chain     a 30-deep chain of qcow2 overlays (40 scattered writes each)
#             on the qcow2 of the same image: convert -O raw, info
#             --backing-chain, map, measure, check
#   import    the same image as qemu-img writes it in the formats vimg
#             reads besides raw and qcow2: vmdk (monolithicSparse and
#             streamOptimized), vhdx, vpc (dynamic) and vdi, each -> qcow2
#   export    the qcow2 of the same image to the formats vimg writes
#             besides qcow2: vmdk streamOptimized (OVA, ESXi) and
#             monolithicSparse, vpc (dynamic), vdi and vhdx (dynamic)
#   sparse    sparse qcow2 images of 64 GiB, 256 GiB and 1 TiB with
#             1/512 of their size allocated (128 MiB, 512 MiB, 2 GiB in
#             1 MiB runs at random offsets): map, measure, check of each,
#             and convert of the 1 TiB one to qcow2
# Every vimg output is verified once with `qemu-img compare` (and `qemu-img
# check` for a qcow2) before it is timed, so the numbers are those of a
# correct conversion.  The load average at the start and the end is printed
# with the table.
#
# vimg is taken from the build tree (the directory above this script, or
# VK_BUILDDIR=DIR, or VIMG=/path/to/vimg).  Work files go to DIR (default: a new directory
# under ${TMPDIR:-/tmp}) and TMPFS, removed at the end unless -k is given.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
runs=5
size_mib=1024
dir=
tmpfs=
groups=basic,clusters,chain,import,export,sparse
keep=false
while getopts "r:s:d:t:g:kh" o; do
  case $o in
    r) runs=$OPTARG ;;
    s) size_mib=$OPTARG ;;
    d) dir=$OPTARG ;;
    t) tmpfs=$OPTARG ;;
    g) groups=$OPTARG ;;
    k) keep=true ;;
    h) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) exit 2 ;;
  esac
done
vimg=${VIMG:-${VK_BUILDDIR:-$here/..}/vimg}
for c in qemu-img qemu-io /usr/bin/time python3 "$vimg"; do
  command -v "$c" >/dev/null || { echo "convert.sh: $c not found" >&2; exit 1; }
done
has() { case ",$groups," in *",$1,"*) return 0 ;; esac; return 1; }

if [ -z "$dir" ]; then
  dir=$(mktemp -d "${TMPDIR:-/tmp}/vkit-bench.XXXXXX")
else
  mkdir -p "$dir"
fi
shm=
if has clusters; then
  if [ -z "$tmpfs" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then tmpfs=/dev/shm; fi
  [ -n "$tmpfs" ] || { echo "convert.sh: no tmpfs for the clusters group (-t DIR)" >&2; exit 1; }
  shm=$(mktemp -d "$tmpfs/vkit-bench.XXXXXX")
fi
cleanup() { $keep || rm -rf "$dir" ${shm:+"$shm"}; }
trap cleanup EXIT
trap 'exit 130' INT TERM
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

src=$dir/src.raw
echo "generating a $size_mib MiB image in $dir ..." >&2
python3 "$here/mkimage.py" "$src" "$size_mib"
qemu-img convert -O qcow2 "$src" "$dir/src.qcow2"
if [ -n "$shm" ]; then
  cp --sparse=always "$src" "$shm/src.raw"
  cp --sparse=always "$dir/src.qcow2" "$shm/src.qcow2"
fi

# qemu_writes SEED COUNT LEN SPAN: COUNT qemu-io writes of LEN bytes at
# seeded random LEN-aligned offsets below SPAN, pattern byte SEED % 256.
qemu_writes() {
  python3 - "$@" <<'PY'
import random, sys
seed, count, length, span = (int(a) for a in sys.argv[1:])
r = random.Random(seed)
for _ in range(count):
    print(f"write -q -P {seed % 255 + 1} {r.randrange(span // length) * length} {length}")
PY
}

chain_top=
if has chain; then
  echo "generating a 30-deep backing chain ..." >&2
  prev=$dir/src.qcow2
  for i in $(seq 1 30); do
    qemu-img create -q -f qcow2 -b "$prev" -F qcow2 "$dir/chain$i.qcow2"
    python3 - "$i" "$((size_mib * 1024 * 1024))" >"$dir/qio" <<'PY'
import random, sys
i, span = int(sys.argv[1]), int(sys.argv[2])
r = random.Random(i)
for _ in range(40):
    n = r.choice([4096, 65536, 262144, 1048576])
    print(f"write -q -P {i} {r.randrange(span // n) * n} {n}")
PY
    qemu-io -f qcow2 "$dir/chain$i.qcow2" <"$dir/qio" >/dev/null
    prev=$dir/chain$i.qcow2
  done
  chain_top=$prev
fi

imports=()
if has import; then
  echo "writing the image as vmdk, vhdx, vpc and vdi ..." >&2
  qemu-img convert -f raw -O vmdk "$src" "$dir/src.vmdk"
  qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$src" "$dir/stream.vmdk"
  qemu-img convert -f raw -O vhdx "$src" "$dir/src.vhdx"
  qemu-img convert -f raw -O vpc -o force_size=on "$src" "$dir/src.vpc"
  qemu-img convert -f raw -O vdi "$src" "$dir/src.vdi"
  imports=("vmdk -> qcow2" "vmdk stream -> qcow2" "vhdx -> qcow2" "vpc -> qcow2" "vdi -> qcow2")
fi

sparse_sizes=()
if has sparse; then
  for g in 64 256 1024; do
    echo "generating a $g GiB sparse qcow2 ($((g * 2)) MiB allocated) ..." >&2
    qemu-img create -q -f qcow2 "$dir/sparse$g.qcow2" "${g}G"
    qemu_writes "$g" "$((g * 2))" 1048576 "$((g * 1024 * 1024 * 1024))" >"$dir/qio"
    qemu-io -f qcow2 "$dir/sparse$g.qcow2" <"$dir/qio" >/dev/null
    sparse_sizes+=("$g")
  done
fi

names=()
has basic && names+=("raw -> qcow2" "qcow2 -> raw" "raw -> qcow2 zlib" "raw -> qcow2 zstd" "check qcow2")
has clusters && names+=("raw -> qcow2 512 B clusters" "raw -> qcow2 4 KiB clusters"
  "raw -> qcow2 2 MiB clusters" "tmpfs: raw -> qcow2 4 KiB clusters"
  "tmpfs: raw -> qcow2" "tmpfs: qcow2 -> qcow2")
has chain && names+=("chain: convert -O raw" "chain: info --backing-chain" "chain: map"
  "chain: measure" "chain: check")
names+=(${imports[@]+"${imports[@]}"})
has export && names+=("qcow2 -> vmdk stream" "qcow2 -> vmdk" "qcow2 -> vpc" "qcow2 -> vdi"
  "qcow2 -> vhdx")
for g in "${sparse_sizes[@]}"; do
  names+=("sparse $g G: map" "sparse $g G: measure" "sparse $g G: check")
done
has sparse && names+=("sparse 1024 G: convert -O qcow2")

# case_cmd NAME TOOL: run case NAME with TOOL (vimg or qemu-img); the
# conversions write $dir/out (or $shm/out).
case_cmd() {
  local t=$vimg
  [ "$2" = qemu-img ] && t=qemu-img
  case $1 in
    "raw -> qcow2") exec "$t" convert -f raw -O qcow2 "$src" "$dir/out" ;;
    "qcow2 -> raw") exec "$t" convert -f qcow2 -O raw "$dir/src.qcow2" "$dir/out" ;;
    "raw -> qcow2 zlib")
      exec "$t" convert -c -f raw -O qcow2 -o compression_type=zlib "$src" "$dir/out" ;;
    "raw -> qcow2 zstd")
      exec "$t" convert -c -f raw -O qcow2 -o compression_type=zstd "$src" "$dir/out" ;;
    "check qcow2") exec "$t" check "$dir/src.qcow2" ;;
    "raw -> qcow2 512 B clusters")
      exec "$t" convert -f raw -O qcow2 -o cluster_size=512 "$src" "$dir/out" ;;
    "raw -> qcow2 4 KiB clusters")
      exec "$t" convert -f raw -O qcow2 -o cluster_size=4k "$src" "$dir/out" ;;
    "raw -> qcow2 2 MiB clusters")
      exec "$t" convert -f raw -O qcow2 -o cluster_size=2M "$src" "$dir/out" ;;
    "tmpfs: raw -> qcow2 4 KiB clusters")
      exec "$t" convert -f raw -O qcow2 -o cluster_size=4k "$shm/src.raw" "$shm/out" ;;
    "tmpfs: raw -> qcow2") exec "$t" convert -f raw -O qcow2 "$shm/src.raw" "$shm/out" ;;
    "tmpfs: qcow2 -> qcow2") exec "$t" convert -f qcow2 -O qcow2 "$shm/src.qcow2" "$shm/out" ;;
    "chain: convert -O raw") exec "$t" convert -O raw "$chain_top" "$dir/out" ;;
    "chain: info --backing-chain") exec "$t" info --backing-chain "$chain_top" ;;
    "chain: map") exec "$t" map "$chain_top" ;;
    "chain: measure") exec "$t" measure -O qcow2 "$chain_top" ;;
    "chain: check") exec "$t" check "$chain_top" ;;
    "vmdk -> qcow2") exec "$t" convert -f vmdk -O qcow2 "$dir/src.vmdk" "$dir/out" ;;
    "vmdk stream -> qcow2") exec "$t" convert -f vmdk -O qcow2 "$dir/stream.vmdk" "$dir/out" ;;
    "vhdx -> qcow2") exec "$t" convert -f vhdx -O qcow2 "$dir/src.vhdx" "$dir/out" ;;
    "vpc -> qcow2") exec "$t" convert -f vpc -O qcow2 "$dir/src.vpc" "$dir/out" ;;
    "vdi -> qcow2") exec "$t" convert -f vdi -O qcow2 "$dir/src.vdi" "$dir/out" ;;
    "qcow2 -> vmdk stream")
      exec "$t" convert -f qcow2 -O vmdk -o subformat=streamOptimized "$dir/src.qcow2" "$dir/out" ;;
    "qcow2 -> vmdk") exec "$t" convert -f qcow2 -O vmdk "$dir/src.qcow2" "$dir/out" ;;
    "qcow2 -> vpc") exec "$t" convert -f qcow2 -O vpc "$dir/src.qcow2" "$dir/out" ;;
    "qcow2 -> vdi") exec "$t" convert -f qcow2 -O vdi "$dir/src.qcow2" "$dir/out" ;;
    "qcow2 -> vhdx") exec "$t" convert -f qcow2 -O vhdx "$dir/src.qcow2" "$dir/out" ;;
    "sparse "*) local g=${1#sparse }; g=${g%% *}
      case $1 in
        *": map") exec "$t" map "$dir/sparse$g.qcow2" ;;
        *": measure") exec "$t" measure -O qcow2 "$dir/sparse$g.qcow2" ;;
        *": check") exec "$t" check "$dir/sparse$g.qcow2" ;;
        *": convert -O qcow2") exec "$t" convert -O qcow2 "$dir/sparse$g.qcow2" "$dir/out" ;;
      esac ;;
    "cp --sparse=always") exec cp --sparse=always "$src" "$dir/out" ;;
    "tmpfs: cp --sparse=always") exec cp --sparse=always "$shm/src.raw" "$shm/out" ;;
  esac
  echo "convert.sh: unknown case '$1'" >&2
  exit 2
}
export -f case_cmd
export vimg src dir shm chain_top

# case_ref NAME: what the output of a conversion case must equal ("FILE
# FMT-OF-OUTPUT"), nothing for the other cases.
case_ref() {
  case $1 in
    "qcow2 -> raw") echo "$src raw" ;;
    "tmpfs: qcow2 -> qcow2") echo "$shm/src.raw qcow2" ;;
    tmpfs:*) echo "$shm/src.raw qcow2" ;;
    "chain: convert -O raw") echo "$chain_top raw" ;;
    "sparse 1024 G: convert -O qcow2") echo "$dir/sparse1024.qcow2 qcow2" ;;
    "qcow2 -> vmdk"*) echo "$src vmdk" ;;
    "qcow2 -> vpc") echo "$src vpc" ;;
    "qcow2 -> vdi") echo "$src vdi" ;;
    "qcow2 -> vhdx") echo "$src vhdx" ;;
    *" -> "*) echo "$src qcow2" ;;
  esac
}

# time_one NAME TOOL: run one case, print "seconds kib"; a failure aborts.
# The previous output is removed and everything flushed first, so no run
# pays for the writeback of the one before it (the disk-bound cases).
time_one() {
  rm -f "$dir/out" ${shm:+"$shm/out"}
  sync
  if ! /usr/bin/time -o "$dir/t1" -f "%e %M" bash -c 'case_cmd "$@"' _ "$@" \
      >"$dir/cmd.out" 2>&1; then
    echo "convert.sh: failed: $*" >&2
    cat "$dir/cmd.out" >&2
    exit 1
  fi
  tail -n 1 "$dir/t1"
}

# Verify each vimg output once, so we never time a wrong result.
for n in "${names[@]}"; do
  ref=$(case_ref "$n")
  [ -n "$ref" ] || continue
  time_one "$n" vimg >/dev/null
  out=$dir/out
  case $n in tmpfs:*) out=$shm/out ;; esac
  read -r rfile fmt <<<"$ref"
  if ! qemu-img compare -q -F "$fmt" "$rfile" "$out"; then
    echo "convert.sh: vimg output of '$n' differs from the source" >&2
    exit 1
  fi
  if [ "$fmt" = qcow2 ] && ! qemu-img check -q "$out"; then
    echo "convert.sh: vimg output of '$n' fails qemu-img check" >&2
    exit 1
  fi
done

floors=()
has basic && floors+=("cp --sparse=always")
has clusters && floors+=("tmpfs: cp --sparse=always")
: >"$dir/results"
for ((r = 1; r <= runs; r++)); do
  echo "run $r/$runs ..." >&2
  for n in "${names[@]}"; do
    # Alternate who goes first, so neither always gets the warmer cache.
    if ((r % 2)); then
      echo "$n|vimg|$(time_one "$n" vimg)" >>"$dir/results"
      echo "$n|qemu-img|$(time_one "$n" qemu-img)" >>"$dir/results"
    else
      echo "$n|qemu-img|$(time_one "$n" qemu-img)" >>"$dir/results"
      echo "$n|vimg|$(time_one "$n" vimg)" >>"$dir/results"
    fi
  done
  for f in "${floors[@]}"; do
    echo "$f|cp|$(time_one "$f" cp)" >>"$dir/results"
  done
done
rm -f "$dir/out" ${shm:+"$shm/out"}

python3 - "$dir/results" "$size_mib" "$runs" "$load_start" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, tool, res = line.rstrip("\n").split("|")
    sec, kib = res.split()
    rows.setdefault(name, {}).setdefault(tool, []).append((float(sec), int(kib)))
def med(v, i):
    return statistics.median(x[i] for x in v)
def spread(v):
    return f"{min(x[0] for x in v):.2f}-{max(x[0] for x in v):.2f}"
def ratio(a, b):
    return f"{a / b:.2f}" if b > 0 else ("n/a" if a == 0 else "inf")
print(f"{sys.argv[2]} MiB image, {sys.argv[3]} runs, medians (min-max); "
      f"load average {sys.argv[4]} at the start, {sys.argv[5]} at the end")
print()
print("| case | vimg s | qemu-img s | vimg/qemu-img | vimg RSS MiB | qemu-img RSS MiB |")
print("|---|---:|---:|---:|---:|---:|")
for name, t in rows.items():
    if "cp" in t:
        continue
    v, q = t["vimg"], t["qemu-img"]
    print(f"| {name} | {med(v,0):.2f} ({spread(v)}) | {med(q,0):.2f} ({spread(q)}) | "
          f"{ratio(med(v,0), med(q,0))} | {med(v,1)/1024:.1f} | {med(q,1)/1024:.1f} |")
for name, t in rows.items():
    if "cp" in t:
        cp = t["cp"]
        print(f"| {name} (floor) | {med(cp,0):.2f} ({spread(cp)}) | | | {med(cp,1)/1024:.1f} | |")
print()
for name, floor in (("raw -> qcow2", "cp --sparse=always"), ("qcow2 -> raw", "cp --sparse=always"),
                    ("tmpfs: raw -> qcow2", "tmpfs: cp --sparse=always")):
    if name in rows and floor in rows:
        print(f"{name}: vimg / cp = {ratio(med(rows[name]['vimg'],0), med(rows[floor]['cp'],0))}")
PY
