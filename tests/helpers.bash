# vkit — shared helpers for the bats suites.
#
# The tools always come from the build tree (VK_BUILDDIR, set by make check;
# defaults to the source tree for a plain `bats tests/x.bats` after make; suites are in tests/TOOL/).

VK_SRCDIR=${VK_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
VK_BUILDDIR=${VK_BUILDDIR:-$VK_SRCDIR}
export VK_SRCDIR VK_BUILDDIR

bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-file

vimg()     { "$VK_BUILDDIR/vimg" "$@"; }
vctl()     { "$VK_BUILDDIR/vctl" "$@"; }
vinstall() { "$VK_BUILDDIR/vinstall" "$@"; }
vclone()   { "$VK_BUILDDIR/vclone" "$@"; }

# requires CMD...: skip the test, naming what is missing.  In CI
# (CI=true) a missing requirement is a failure, never a skip.
requires() {
  local c
  for c in "$@"; do
    if ! command -v "$c" >/dev/null 2>&1; then
      if [ "${CI:-}" = true ]; then
        echo "required command '$c' is missing in CI" >&2
        return 1
      fi
      skip "needs $c (install it to run this test)"
    fi
  done
}

# cannot MESSAGE: the host lacks something a test needs; skip, naming it,
# except in CI (CI=true), where it is a failure.
cannot() {
  if [ "${CI:-}" = true ]; then
    echo "in CI: $*" >&2
    return 1
  fi
  skip "$*"
}

# json_get FILE-OR-STRING EXPR: evaluate a Python expression on parsed JSON
# read from stdin; `j` is the document.  Prints the value (JSON-encoded
# unless it is a string).
json_get() {
  python3 -c '
import json, sys
j = json.load(sys.stdin)
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))
' "$1"
}

# enter_tmpdir / leave_tmpdir: a fresh directory as $TMP and the working
# directory for one test, removed after it.
enter_tmpdir() {
  TMP=$(mktemp -d)
  cd "$TMP" || return 1
}

leave_tmpdir() {
  cd /
  rm -rf "$TMP"
}

# fails_one_line STATUS CMD...: CMD fails with STATUS, prints nothing on
# stdout and one line on stderr (in $stderr afterwards).
fails_one_line() {
  local want=$1
  shift
  run --separate-stderr "$@"
  [ "$status" -eq "$want" ] || fail "$*: status $status, expected $want (stderr: $stderr)"
  [ -z "$output" ] || fail "$*: printed on stdout: $output"
  [ -n "$stderr" ] || fail "$*: no message"
  [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] || fail "$*: more than one line: $stderr"
}

# kill_at_each_write MIN ORIG CHECK ARGS...: `vimg ARGS` on c.qcow2, a
# fresh copy of ORIG each time (ARGS name it): run once under strace to
# count its pwrite64 calls (at least MIN), then once for each of them,
# killed by strace with SIGKILL as it makes that write.  After each kill
# qemu-img check must find nothing worse than leaks, and `CHECK N` must
# succeed.  (LeakSanitizer does not run under ptrace: it is off here.)
kill_at_each_write() {
  local min=$1 orig=$2 check=$3 n writes
  shift 3
  cp "$orig" c.qcow2
  ASAN_OPTIONS=detect_leaks=0 strace -f -c -e trace=pwrite64 -o counts "$VK_BUILDDIR/vimg" "$@"
  writes=$(awk '$NF == "pwrite64" {print $4}' counts)
  [ "${writes:-0}" -ge "$min" ] || fail "only ${writes:-0} writes counted"
  for n in $(seq 1 "$writes"); do
    cp "$orig" c.qcow2
    ASAN_OPTIONS=detect_leaks=0 strace -f -o /dev/null -e trace=pwrite64 \
      -e inject=pwrite64:signal=SIGKILL:when="$n" "$VK_BUILDDIR/vimg" "$@" 2>/dev/null &&
      fail "write $n: not killed"
    run qemu-img check c.qcow2
    [ "$status" -eq 0 ] || [ "$status" -eq 3 ] || fail "write $n: qemu-img check status $status: $output"
    "$check" "$n"
  done
}
