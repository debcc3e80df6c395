#!/usr/bin/env bats
# vctl: command-line behaviour.

load helpers

@test "vctl --version" {
  run vctl --version
  assert_success
  assert_output --regexp '^vctl \(vkit\) [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "vctl --help lists the connection option" {
  run vctl --help
  assert_success
  assert_line --partial -- "--connect=URI"
}

@test "vctl with an unknown option before the command exits 2" {
  run --separate-stderr vctl --bogus list
  assert_failure 2
  assert_output ""
  [[ "$stderr" == "vctl: --bogus: unknown option (try 'vctl --help')" ]]
}
