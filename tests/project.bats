#!/usr/bin/env bats
# Project-wide checks: shell scripts are clean, the README's commands exist.

load helpers

@test "shell scripts pass shellcheck" {
  requires shellcheck
  local f scripts=()
  while IFS= read -r f; do scripts+=("$f"); done < <(
    cd "$VK_SRCDIR" && { ls quickstart.sh autogen.sh .ci/run tests/run-bats 2>/dev/null
      find tests bench completion -name '*.sh' 2>/dev/null; echo completion/vkit.bash; } | sort -u)
  [ ${#scripts[@]} -gt 3 ]
  cd "$VK_SRCDIR"
  run shellcheck -x "${scripts[@]}"
  assert_success
}

@test "README gives the two quickstart commands" {
  grep -qx '    ./quickstart.sh         # install packages, build, run the demo' "$VK_SRCDIR/README.md"
  grep -qx '    ./quickstart.sh test    # install packages, build, run every test' "$VK_SRCDIR/README.md"
  grep -q 'quickstart.sh test' "$VK_SRCDIR/.ci/run"
}

@test "every tool prints the shared --version line" {
  local t
  for t in vimg vctl vinstall vclone; do
    run "$VK_BUILDDIR/$t" --version
    assert_success
    assert_output --regexp "^$t \(vkit\) [0-9]+\.[0-9]+\.[0-9]+\$"
  done
}

@test "JSON keys written by the tools are snake_case (vkit(7))" {
  cd "$VK_SRCDIR"
  run grep -rnE 'vk_json_(kv_[a-z]+|key)\([a-z_]+, "[^"]*[A-Z -][^"]*"' lib cmd
  assert_failure 1
  assert_output ""
}
