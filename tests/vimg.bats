#!/usr/bin/env bats
# vimg: command-line behaviour, create and info, checked against qemu-img.

load helpers

setup() {
  TMP=$(mktemp -d)
}

teardown() {
  rm -rf "$TMP"
}

@test "vimg --version" {
  run vimg --version
  assert_success
  assert_output --regexp '^vimg \(vkit\) [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "vimg --help lists the commands" {
  run vimg --help
  assert_success
  assert_line --partial "Usage: vimg"
  assert_line "Commands:"
}

@test "vimg without a command exits 2" {
  run --separate-stderr vimg
  assert_failure 2
  assert_output ""
  assert_equal "$stderr" "vimg: missing command (try 'vimg --help')"
}

@test "vimg with an unknown command exits 2 with one line" {
  run --separate-stderr vimg frobnicate
  assert_failure 2
  assert_output ""
  assert_equal "$stderr" "vimg: unknown command 'frobnicate' (try 'vimg --help')"
}
