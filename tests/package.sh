#!/usr/bin/env bash
# The Debian package, end to end: copy the files git tracks into a scratch
# directory, build the binary package there with dpkg-buildpackage (no
# warning allowed in the build log), check it with lintian (no error or
# warning), unpack the .deb and run the tools and a man page from it.
#
#   tests/package.sh        needs a git checkout and the Build-Depends
#                           of debian/control (quickstart.sh test has them)
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/vkit-package.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
trap 'exit 1' INT TERM

fail() {
  echo "package: $*" >&2
  exit 1
}

git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
  fail "$src is not a git checkout: the package is built from the files git tracks"

# The source: the tracked files as they are in the working tree, so that a
# build of this tree never sees _build, generated files or other leftovers.
tree=$scratch/vkit
mkdir "$tree"
(cd "$src" && git ls-files -z | xargs -0 cp -a --parents -t "$tree")

version=$(dpkg-parsechangelog -l "$tree/debian/changelog" -S Version)
upstream=$(sed -n 's/^AC_INIT(\[vkit\], \[\([^]]*\)\].*/\1/p' "$tree/configure.ac")
[ "$version" = "$upstream" ] ||
  fail "debian/changelog is at $version, configure.ac's AC_INIT at $upstream"

arch=$(dpkg --print-architecture)
deb=vkit_${version}_$arch.deb
changes=vkit_${version}_$arch.changes

if ! (cd "$tree" && dpkg-buildpackage -us -uc -b -J"$(nproc)") >"$scratch/build.log" 2>&1; then
  tail -n 40 "$scratch/build.log" >&2
  fail "dpkg-buildpackage failed"
fi
[ -f "$scratch/$deb" ] || fail "dpkg-buildpackage made no $deb"
if grep -iE 'warning:' "$scratch/build.log" >&2; then
  fail "the package build printed warnings"
fi

# lintian prints a note on stderr when run as root; its tags go to stdout.
lintian --display-info --fail-on error,warning "$scratch/$deb" "$scratch/$changes" \
  >"$scratch/lintian.out" 2>"$scratch/lintian.err" || {
  cat "$scratch/lintian.out" "$scratch/lintian.err" >&2
  fail "lintian failed"
}
if grep -E '^[EW]: ' "$scratch/lintian.out" >&2; then
  fail "lintian reports errors or warnings"
fi

# The tools as installed by the package, with nothing from the build tree.
root=$scratch/root
dpkg -x "$scratch/$deb" "$root"
for t in vimg vctl vinstall vclone; do
  [ -x "$root/usr/bin/$t" ] || fail "$deb has no /usr/bin/$t"
  out=$("$root/usr/bin/$t" --version) || fail "$t --version failed"
  [ "$out" = "$t (vkit) $version" ] || fail "$t --version says '$out'"
done

img=$scratch/x.qcow2
"$root/usr/bin/vimg" create -f qcow2 "$img" 64M || fail "vimg create failed"
info=$("$root/usr/bin/vimg" info --json "$img") || fail "vimg info --json failed"
grep -qE '^ *"virtual_size": 67108864,?$' <<<"$info" ||
  fail "vimg info --json does not give a virtual size of 64 MiB: $info"

for page in man1/vimg.1 man1/vctl.1 man1/vinstall.1 man1/vclone.1 man7/vkit.7; do
  f=$root/usr/share/man/$page.gz
  [ -f "$f" ] || fail "$deb has no /usr/share/man/$page.gz"
  name=$(basename "$page")
  name=${name%.*}
  # Lint is lintian's job (and tests/man.bats'): here the page must render.
  MANWIDTH=80 man -l "$f" >"$scratch/man.out" 2>"$scratch/man.err" ||
    fail "man -l $page.gz failed: $(cat "$scratch/man.err")"
  grep -qE "^ +$name - " "$scratch/man.out" || fail "man -l $page.gz shows no NAME line for $name"
done

echo "package: $deb built, lintian clean, tools run from the package"
