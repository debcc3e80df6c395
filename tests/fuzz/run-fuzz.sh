#!/usr/bin/env bash
# A bounded libFuzzer run of tests/fuzz/fuzz-qcow2 on the seed corpus.
#
#   tests/fuzz/run-fuzz.sh [-k] SECONDS
#
# Builds _build-fuzz (./configure --enable-fuzz CC=clang) if it is not
# there, fuzzes a scratch copy of tests/fuzz/corpus for SECONDS (the
# regression images are replayed by `make check`), and prints one line:
#   fuzz: N runs in S s, 0 crashes
# Any crash, sanitizer report, broken invariant, timeout (10 s for one
# input), leak or out-of-memory makes the status non-zero.  The run stops
# at the first one, unless -k (keep going: libFuzzer's fork mode, which
# goes on after each) is given.  Inputs are kept as
# _build-fuzz/fuzz-artifacts/{crash,timeout,leak,oom}-*; replay one with
#   _build/tests/fuzz/fuzz-qcow2 -v FILE      (-vv: check after each step)
# and make it a regression image under tests/fuzz/regress/.  The log of
# the run is _build-fuzz/fuzz-work/fuzz.log.
set -euo pipefail

keep=
if [ "${1:-}" = -k ]; then
  keep=1
  shift
fi
secs=${1:-}
case "$secs" in
  '' | *[!0-9]*) echo "usage: $0 [-k] SECONDS" >&2; exit 2 ;;
esac
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$src/_build-fuzz
fuzzer=$build/tests/fuzz/fuzz-qcow2

[ -x "$src/configure" ] || (cd "$src" && ./autogen.sh >/dev/null)
mkdir -p "$build"
if [ ! -f "$build/Makefile" ]; then
  (cd "$build" && ../configure -q --enable-fuzz --enable-werror CC=clang >/dev/null)
fi
make -C "$build" -s -j2 tests/fuzz/fuzz-qcow2 >/dev/null

work=$build/fuzz-work
artifacts=$build/fuzz-artifacts
rm -rf "$work"
mkdir -p "$work/corpus" "$artifacts"
cp "$src"/tests/fuzz/corpus/* "$work/corpus/"
# Inputs may grow to twice the largest seed.
max_len=$(find "$work/corpus" -type f -printf '%s\n' | sort -n | tail -n 1)
max_len=$(( max_len * 2 > 65536 ? max_len * 2 : 65536 ))
touch "$work/start"
opts=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024
  -max_len="$max_len" -print_final_stats=1 -artifact_prefix="$artifacts/")
[ -z "$keep" ] || opts+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)

start=$(date +%s)
rc=0
nice -n 10 "$fuzzer" "${opts[@]}" "$work/corpus" >"$work/fuzz.log" 2>&1 || rc=$?
elapsed=$(( $(date +%s) - start ))
if [ -n "$keep" ]; then
  runs=$(sed -n 's/^#\([0-9]*\): cov:.*/\1/p' "$work/fuzz.log" | tail -n 1)
else
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -n 1)
fi
mapfile -t found < <(find "$artifacts" -type f -newer "$work/start" | sort)

if [ "$rc" -eq 0 ] && [ ${#found[@]} -eq 0 ]; then
  echo "fuzz: ${runs:-0} runs in $elapsed s, 0 crashes"
  exit 0
fi
grep -E '^(==[0-9]+==|SUMMARY|fuzz-qcow2:)|runtime error' "$work/fuzz.log" | sort | uniq -c |
  sort -rn | head -n 20 >&2 || true
printf '  %s\n' "${found[@]}" >&2
n=${#found[@]}
[ "$n" -eq 1 ] && what=crash || what=crashes
echo "fuzz: ${runs:-0} runs in $elapsed s, $n $what (status $rc; inputs listed above)"
exit 1
