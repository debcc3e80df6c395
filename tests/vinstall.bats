#!/usr/bin/env bats
# vinstall: command-line behaviour.

load helpers

@test "vinstall --version" {
  run vinstall --version
  assert_success
  assert_output --regexp '^vinstall \(vkit\) [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "vinstall --help prints usage" {
  run vinstall --help
  assert_success
  assert_line --partial "Usage: vinstall"
}
