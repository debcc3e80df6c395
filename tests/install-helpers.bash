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

# fake_apt DIR: put apt-cache and apt-get stand-ins in DIR/bin (put it
# first in PATH) for the kernel fixture, with a kernel package DIR/pkg.deb
# that holds a fake kernel and the modules make-initramfs.sh copies.  Their behaviour follows
# files in DIR: without DIR/updated or DIR/lists-ok, `apt-cache depends`
# resolves nothing (stale lists); without DIR/updated or DIR/download-ok,
# `apt-get download` fails as on a 404; with DIR/never, it always fails.
# `apt-get update` creates DIR/updated and adds a line to DIR/updates.
fake_apt() {
  local d=$1 k=linux-image-6.1.0-99-amd64 m
  mkdir -p "$d/bin" "$d/deb/DEBIAN" "$d/deb/boot" "$d/deb/lib/modules/6.1.0-99-amd64"
  printf 'Package: %s\nVersion: 1\nArchitecture: amd64\nMaintainer: vkit <vkit@localhost>\nDescription: fake kernel\n' "$k" \
    >"$d/deb/DEBIAN/control"
  echo VKIT-FAKE-KERNEL >"$d/deb/boot/vmlinuz-6.1.0-99-amd64"
  # the modules the script copies, read from its own list
  for m in $(sed -n '/^modules="/,/"$/{s/^modules=//;s/"//g;p}' \
    "$VK_SRCDIR/tests/fixtures/initramfs/make-initramfs.sh"); do
    echo "$m" >"$d/deb/lib/modules/6.1.0-99-amd64/$m.ko"
  done
  dpkg-deb -b "$d/deb" "$d/pkg.deb" >/dev/null
  cat >"$d/bin/apt-cache" <<SH
#!/bin/sh
[ -e "$d/updated" ] || [ -e "$d/lists-ok" ] || exit 0
printf 'linux-image-amd64\n  Depends: $k\n'
SH
  cat >"$d/bin/apt-get" <<SH
#!/bin/sh
case " \$* " in
*" update "*) echo update >>"$d/updates"; touch "$d/updated"; exit 0 ;;
*" download "*)
  if [ ! -e "$d/never" ] && { [ -e "$d/updated" ] || [ -e "$d/download-ok" ]; }; then
    cp "$d/pkg.deb" "./${k}_1_amd64.deb"; exit 0
  fi
  echo "E: Failed to fetch http://deb.debian.org/${k}_1_amd64.deb  404  Not Found" >&2; exit 100 ;;
esac
exit 1
SH
  chmod +x "$d/bin/apt-cache" "$d/bin/apt-get"
}
