# lib/image: convert, check, map, compare, measure.
lib_libvkit_a_SOURCES += \
	lib/image/convert.c lib/image/convert.h \
	lib/image/convert-io.c lib/image/convert-io.h \
	lib/image/check.c lib/image/check.h \
	lib/image/map.c lib/image/map.h \
	lib/image/compare.c lib/image/compare.h \
	lib/image/measure.c lib/image/measure.h

# The vimg subcommands of this area.  This fragment is read before cmd/vimg/local.mk
# sets vimg_SOURCES, so the front-end files go into a small library linked
# into vimg (followed by libvkit again, which they call).
noinst_LIBRARIES += cmd/vimg/libvimgtools.a
cmd_vimg_libvimgtools_a_SOURCES = \
	cmd/vimg/convert.c cmd/vimg/check.c cmd/vimg/map.c cmd/vimg/compare.c \
	cmd/vimg/measure.c
vimg_LDADD += cmd/vimg/libvimgtools.a $(VK_LIBS)

BATS_TESTS += tests/vimg-convert.bats tests/vimg-check.bats tests/vimg-tools.bats
BATS_TESTS += tests/vimg-snapshot.bats
EXTRA_DIST += tests/snapshot-helpers.bash
EXTRA_DIST += tests/convert-helpers.bash bench/convert.sh bench/mkimage.py

UNIT_TESTS += tests/unit/test-convert
tests_unit_test_convert_SOURCES = tests/unit/test-convert.c tests/unit/tap.h
tests_unit_test_convert_LDADD = $(VK_LIBS)
