#!/usr/bin/env bash
# A bounded structure-aware mutation run (tests/fuzz/mutate.py) of the
# built tools against qemu-img, after a replay of tests/fuzz/regress.
#
#   tests/fuzz/run-mutate.sh SECONDS [--build DIR] [--seed N]
#
# DIR defaults to _build-san (the ASan/UBSan tree) when it has been built,
# else _build; vimg and tests/unit/test-image-io are made there if needed.
# The last line is the summary ("mutate: N inputs, M commands, F failures
# in S s"); the status is non-zero on any failure.  Each failing mutant is
# kept, with a note of the mutation, command and symptom, in
# DIR/mutate-work/failures/.  The same --seed repeats a run.
set -euo pipefail

secs=${1:-}
case "$secs" in
  '' | *[!0-9]*) echo "usage: $0 SECONDS [--build DIR] [--seed N]" >&2; exit 2 ;;
esac
shift
src=$(cd "$(dirname "$0")/../.." && pwd)
build=
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$(cd "$2" && pwd); shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
if [ -z "$build" ]; then
  build=$src/_build
  [ -x "$src/_build-san/vimg" ] && build=$src/_build-san
fi
if [ ! -f "$build/Makefile" ]; then
  echo "run-mutate: $build is not a configured build tree (./configure in it first)" >&2
  exit 2
fi
make -C "$build" -s -j2 vimg tests/unit/test-image-io >/dev/null

work=$build/mutate-work
rm -rf "$work"
nice -n 10 python3 "$src/tests/fuzz/mutate.py" \
  --build "$build" --seconds "$secs" --work "$work" --regress "$src/tests/fuzz/regress" \
  ${args[@]+"${args[@]}"}
