#!/usr/bin/env bash
# bench/convert.sh — vimg against qemu-img on the same 1 GiB image.
#
#   bench/convert.sh [-r RUNS] [-s SIZE_MIB] [-d DIR] [-k]
#
# Generates (once, with a fixed seed) a raw image of random data,
# compressible text, explicit zero blocks and holes, about 70% allocated,
# then times, interleaved and RUNS times each (default 5):
#   raw -> qcow2, qcow2 -> raw, raw -> qcow2 compressed with zlib and with
#   zstd, check of the qcow2, and `cp --sparse=always` of the raw file as
#   the floor for an uncompressed copy.
# Prints the median wall time of each tool, the vimg/qemu-img ratio and
# each tool's peak RSS (median of the runs, from /usr/bin/time -f %M).
# Every vimg output is verified once with `qemu-img compare` before it is
# timed, so the numbers are those of a correct conversion.
#
# vimg is taken from the build tree (the directory above this script, or
# VK_BUILDDIR=DIR, or VIMG=/path/to/vimg).  Work files go to DIR (default: a new directory
# under ${TMPDIR:-/tmp}), removed at the end unless -k is given.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
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
vimg=${VIMG:-${VK_BUILDDIR:-$here/..}/vimg}
for c in qemu-img /usr/bin/time python3 "$vimg"; do
  command -v "$c" >/dev/null || { echo "convert.sh: $c not found" >&2; exit 1; }
done

if [ -z "$dir" ]; then
  dir=$(mktemp -d "${TMPDIR:-/tmp}/vkit-bench.XXXXXX")
else
  mkdir -p "$dir"
fi
cleanup() { $keep || rm -rf "$dir"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

src=$dir/src.raw
echo "generating a $size_mib MiB image in $dir ..." >&2
python3 "$here/mkimage.py" "$src" "$size_mib"
qemu-img convert -O qcow2 "$src" "$dir/src.qcow2"

names=("raw -> qcow2" "qcow2 -> raw" "raw -> qcow2 zlib" "raw -> qcow2 zstd" "check qcow2")

# case_cmd NAME TOOL: run case NAME with TOOL (vimg or qemu-img); the
# conversions write $dir/out.
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
    cp) exec cp --sparse=always "$src" "$dir/out" ;;
  esac
}
export -f case_cmd
export vimg src dir

# time_one NAME TOOL: run one case, print "seconds kib"; a failure aborts.
time_one() {
  rm -f "$dir/out"
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
  case $n in check*) continue ;; esac
  time_one "$n" vimg >/dev/null
  case $n in
    "qcow2 -> raw") ref=$src; fmt=raw ;;
    *) ref=$src; fmt=qcow2 ;;
  esac
  if ! qemu-img compare -q -f raw -F "$fmt" "$ref" "$dir/out"; then
    echo "convert.sh: vimg output of '$n' differs from the source" >&2
    exit 1
  fi
  if [ "$fmt" = qcow2 ] && ! qemu-img check -q "$dir/out"; then
    echo "convert.sh: vimg output of '$n' fails qemu-img check" >&2
    exit 1
  fi
done

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
  echo "cp --sparse=always|cp|$(time_one cp cp)" >>"$dir/results"
done
rm -f "$dir/out"

python3 - "$dir/results" "$size_mib" "$runs" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, tool, res = line.rstrip("\n").split("|")
    sec, kib = res.split()
    rows.setdefault(name, {}).setdefault(tool, []).append((float(sec), int(kib)))
def med(v, i):
    return statistics.median(x[i] for x in v)
print(f"{sys.argv[2]} MiB image, {sys.argv[3]} runs, medians")
print()
print("| case | vimg s | qemu-img s | vimg/qemu-img | vimg RSS MiB | qemu-img RSS MiB |")
print("|---|---:|---:|---:|---:|---:|")
for name, t in rows.items():
    if "cp" in t:
        continue
    v, q = t["vimg"], t["qemu-img"]
    print(f"| {name} | {med(v,0):.2f} | {med(q,0):.2f} | {med(v,0)/med(q,0):.2f} | "
          f"{med(v,1)/1024:.1f} | {med(q,1)/1024:.1f} |")
cp = rows["cp --sparse=always"]["cp"]
print(f"| cp --sparse=always (floor) | {med(cp,0):.2f} | | | {med(cp,1)/1024:.1f} | |")
for name in ("raw -> qcow2", "qcow2 -> raw"):
    if name in rows:
        print(f"\n{name}: vimg / cp = {med(rows[name]['vimg'],0)/med(cp,0):.2f}", end="")
print()
PY
