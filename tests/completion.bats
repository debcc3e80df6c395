#!/usr/bin/env bats
# shellcheck disable=SC2154  # $output and $stderr are set by bats' run
# The bash completion of the four tools, generated at build time from
# their option tables: it is loaded, and completes commands, options,
# option values, file names and live names (domains, networks, a
# domain's disks and snapshots) through
# vctl, with the command line's -c URI.

load helpers
bats_require_minimum_version 1.5.0

setup() {
  export PATH="$VK_BUILDDIR:$PATH"
  cd "$BATS_TEST_TMPDIR" || return 1
}

# comp TOOL WORD...: what TAB completes after TOOL WORD... (the last word
# is the one being typed), one word a line, sorted.
comp() {
  local tool=$1 id
  shift
  id=${tool//[^a-zA-Z0-9_]/_}
  # shellcheck disable=SC1090
  source "$VK_BUILDDIR/completion/$tool"
  COMP_WORDS=("$tool" "$@")
  COMP_CWORD=$#
  COMPREPLY=()
  "_vk_complete_$id"
  printf '%s\n' "${COMPREPLY[@]}" | sort
}

@test "completion: each tool's file is generated, installed with make install, and registers its function" {
  local t
  for t in vimg vctl vinstall vclone; do
    [ -s "$VK_BUILDDIR/completion/$t" ] || fail "no completion/$t"
    run bash -c "source '$VK_BUILDDIR/completion/$t' && complete -p $t"
    assert_success
    assert_output "complete -F _vk_complete_$t $t"
  done
  run make -s -C "$VK_BUILDDIR" install-bashcompletionDATA DESTDIR="$BATS_TEST_TMPDIR/root"
  assert_success
  run find "$BATS_TEST_TMPDIR/root" -name vimg -path '*completion*'
  assert_output --partial "/vimg"
}

@test "completion: vimg commands, a command's options, enumerated values" {
  run comp vimg c
  assert_output "$(printf 'check\ncommit\ncompare\nconvert\ncreate')"
  run comp vimg convert --tar
  assert_output "--target-is-zero"
  run comp vimg convert --out-o
  assert_output "--out-of-order"
  run comp vimg convert -O ""
  assert_output "$(printf 'qcow2\nraw')"
  run comp vimg convert --output-format=q
  assert_output "qcow2"
  run comp vimg check -r ""
  assert_output "$(printf 'all\nleaks')"
  run comp vimg convert -t w
  assert_output "writeback"
  run comp vimg resize --preallocation=f
  assert_output "$(printf 'falloc\nfull')"
  # every option --help lists is offered
  local o missing=""
  for o in $("$VK_BUILDDIR/vimg" convert --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
    comp vimg convert "${o:0:4}" | grep -qx -- "$o" || missing+=" $o"
  done
  [ -z "$missing" ] || fail "not completed:$missing"
}

@test "completion: file names for image arguments and -o's neighbours" {
  touch disk.qcow2 disk.raw other.iso
  run comp vimg info di
  assert_output "$(printf 'disk.qcow2\ndisk.raw')"
  run comp vimg convert -O qcow2 disk.raw d
  assert_output "$(printf 'disk.qcow2\ndisk.raw')"
  run comp vinstall --cdrom o
  assert_output "other.iso"
}

@test "completion: live domain and network names through vctl, with -c; quiet on a dead daemon" {
  run comp vctl -c test:///default start t
  assert_output "test"
  run comp vctl --connect=test:///default dominfo ""
  assert_output "test"
  run comp vctl -c test:///default net-info d
  assert_output "default"
  run comp vclone -c test:///default --original t
  assert_output "test"
  # a URI nobody answers: nothing, no message, in bounded time
  run --separate-stderr timeout 10 bash -c "source '$VK_BUILDDIR/completion/vctl'; COMP_WORDS=(vctl -c qemu+unix:///system?socket=/nonexistent start ''); COMP_CWORD=4; _vk_complete_vctl; echo \${#COMPREPLY[@]}"
  assert_success
  assert_output "0"
  assert_equal "$stderr" ""
}

@test "completion: a domain's disks and snapshots, for the domain named first on the line" {
  run comp vctl -c test:///default blockjob test ""
  assert_output "vda"
  run comp vctl -c test:///default blockcopy test v
  assert_output "vda"
  # snapshots come from `vctl ... snapshot-list DOMAIN --name`: a stand-in
  # vctl says what it was asked (the test driver keeps no snapshots)
  mkdir bin
  cat > bin/vctl <<'SH'
#!/bin/sh
echo "$*" >> "${0%/*}/asked"
[ "$3" = snapshot-list ] && [ "$5" = --name ] && printf '%s\n' "before-$4" "after-$4"
exit 0
SH
  chmod +x bin/vctl
  PATH="$PWD/bin:$PATH"
  run comp vctl -c qemu:///system snapshot-revert web1 b
  assert_output "before-web1"
  run comp vctl -c qemu:///system snapshot-list web1 --from ""
  assert_output "$(printf 'after-web1\nbefore-web1')"
  grep -qx -- "-c qemu:///system snapshot-list web1 --name" bin/asked
  # no domain yet: nothing is asked for
  : > bin/asked
  run comp vctl snapshot-dumpxml ""
  [ ! -s bin/asked ] || grep -qv snapshot-list bin/asked
}
