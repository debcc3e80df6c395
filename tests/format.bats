#!/usr/bin/env bats
# shellcheck disable=SC2154  # $output is set by bats' run
# C code follows .clang-format: every line changed since the commit in
# tests/format-base (where the check began; older code is reformatted as
# it is touched) is as clang-format would write it.  Needs the git
# checkout, so it runs in the full suite, not in the tarball's.

load helpers

setup() {
  requires git clang-format-diff
}

# format_problems DIR BASE: clang-format-diff's output for the C changes
# of the work tree DIR since BASE (empty when all is well).
format_problems() {
  (cd "$1" && git diff -U0 --no-color "$2" -- '*.c' '*.h' | clang-format-diff -p1)
}

@test "format: C lines changed since tests/format-base follow .clang-format" {
  cd "$VK_SRCDIR"
  git rev-parse --git-dir >/dev/null 2>&1 || fail "not a git checkout: the check compares with tests/format-base"
  run format_problems "$VK_SRCDIR" "$(cat tests/format-base)"
  assert_success
  assert_output ""
}

@test "format: the check catches a badly formatted change" {
  local d=$BATS_TEST_TMPDIR/repo
  mkdir "$d"
  cp "$VK_SRCDIR/.clang-format" "$d/"
  printf 'int\nf(void)\n{\n  return 0;\n}\n' >"$d/a.c"
  git -C "$d" init -q
  git -C "$d" add .
  git -C "$d" -c user.email=t@t -c user.name=t commit -qm base
  printf 'int\nf(void)\n{\n  return 0;\n}\nint g(void){return   1;}\n' >"$d/a.c"
  run format_problems "$d" HEAD
  assert_output --partial "return 1;"
}
