# vkit — shell functions shared by the vinstall suites.
# shellcheck shell=bash disable=SC2154  # $output is set by bats' run

# print_xml ARGS...: run vinstall --print-xml against the test driver and
# keep the XML in $BATS_TEST_TMPDIR/dom.xml (validated against libvirt's
# domain schema).
print_xml() {
  run vinstall -c test:///default --virt-type qemu --print-xml "$@"
  assert_success
  printf '%s\n' "$output" | sed -n '/^<domain/,/^<\/domain>/p' >"$BATS_TEST_TMPDIR/dom.xml"
  run virt-xml-validate "$BATS_TEST_TMPDIR/dom.xml" domain
  assert_success
}

# xq XPATH: the string value of XPATH in the last XML printed.
xq() {
  xmllint --xpath "string($1)" "$BATS_TEST_TMPDIR/dom.xml"
}

# xcount XPATH: how many nodes match.
xcount() {
  xmllint --xpath "count($1)" "$BATS_TEST_TMPDIR/dom.xml"
}

# assert_xq XPATH WANT
assert_xq() {
  local got
  got=$(xq "$1")
  if [ "$got" != "$2" ]; then
    echo "xpath $1: got '$got', want '$2'" >&2
    return 1
  fi
}

# Names of everything a test makes on the real daemon start with this.
T6_PREFIX=vkit-t6-

# Remove domains named vkit-t6-* made by a test (best effort) and their
# images in the default directory.
cleanup_t6_domains() {
  local d
  for d in $(virsh -c qemu:///system list --all --name 2>/dev/null | grep "^$T6_PREFIX" || true); do
    virsh -c qemu:///system destroy "$d" >/dev/null 2>&1 || true
    virsh -c qemu:///system undefine --nvram "$d" >/dev/null 2>&1 || true
  done
  rm -f /var/lib/libvirt/images/"$T6_PREFIX"*
}
