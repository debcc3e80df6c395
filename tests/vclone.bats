#!/usr/bin/env bats
# vclone: options and help (cloning itself is not implemented yet).

load helpers

@test "vclone --version names the tool and the package" {
  run vclone --version
  assert_success
  assert_output --regexp '^vclone \(vkit\) [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "vclone --help prints usage on stdout" {
  run vclone --help
  assert_success
  assert_line --partial "Usage: vclone"
}

@test "vclone with an unknown option exits 2 with a one-line hint" {
  run --separate-stderr vclone --no-such-option
  assert_failure 2
  assert_output ""
  [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
  [[ "$stderr" == *"--no-such-option"*"try 'vclone --help'"* ]]
}

@test "vclone says on stderr that cloning is not implemented, exit 1" {
  run --separate-stderr vclone
  assert_failure 1
  assert_output ""
  [[ "$stderr" == "vclone: cloning is not implemented in this version of vkit" ]]
}
