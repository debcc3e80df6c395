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
