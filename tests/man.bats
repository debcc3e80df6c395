#!/usr/bin/env bats
# Man pages: lint clean, the exit-status table, and every option a tool
# accepts (as --help lists it) documented in the tool's page.

load helpers

pages() { ls "$VK_SRCDIR"/man/*.[17]; }

@test "man pages pass mandoc -Tlint" {
  requires mandoc
  local p
  for p in $(pages); do
    run mandoc -Tlint -W warning "$p"
    assert_success
    assert_output ""
  done
}

@test "man pages pass groff -ww without warnings" {
  requires groff
  local p
  for p in $(pages); do
    run groff -ww -z -man -t "$p"
    assert_success
    assert_output ""
  done
}

@test "every page carries the whole exit-status table" {
  local p code
  for p in "$VK_SRCDIR"/man/*.1 "$VK_SRCDIR"/man/vkit.7; do
    grep -q '^\.SH EXIT STATUS' "$p" || fail "$p: no EXIT STATUS section"
    for code in 0 1 2 3 4 5 6 7 8; do
      grep -q "^$code	" "$p" || fail "$p: exit status $code missing"
    done
  done
}

# Long options listed by `TOOL [CMD] --help`.
help_options() {
  "$@" --help | grep -oE '^ +(-[a-zA-Z], )?--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

# Subcommands listed by `TOOL --help` (empty for single-command tools).
help_commands() {
  "$VK_BUILDDIR/$1" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR>1 && NF {print $1}'
}

@test "every option in --help is documented in the man page" {
  local tool cmd opt page missing=""
  for tool in vimg vctl vinstall vclone; do
    page="$VK_SRCDIR/man/$tool.1"
    # man source spells "--" as "\-\-"
    local text
    text=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$page")
    for opt in $(help_options "$VK_BUILDDIR/$tool"); do
      grep -qF -- "$opt" <<<"$text" || missing+=" $tool:$opt"
    done
    for cmd in $(help_commands "$tool"); do
      grep -qE "^\.(SS|TP|B) .*$cmd" "$page" || grep -qF "$cmd" <<<"$text" || missing+=" $tool:$cmd(command)"
      for opt in $(help_options "$VK_BUILDDIR/$tool" "$cmd"); do
        grep -qF -- "$opt" <<<"$text" || missing+=" $tool $cmd:$opt"
      done
    done
  done
  [ -z "$missing" ] || fail "undocumented:$missing"
}

@test "every command has its own subsection in the man page" {
  local tool cmd missing=""
  for tool in vimg vctl; do
    for cmd in $(help_commands "$tool"); do
      grep -qE "^\.SS \"?$cmd( |\"|$)" "$VK_SRCDIR/man/$tool.1" || missing+=" $tool:$cmd"
    done
  done
  [ -z "$missing" ] || fail "no .SS subsection for:$missing"
}
