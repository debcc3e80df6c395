# lib/image: the generic image layer (open, format detection, chains, raw driver,
# options, locks, compression); the qcow2 driver is in qcow2/local.mk.
lib_libvkit_a_SOURCES += \
	lib/image/image.h lib/image/image.c lib/image/driver.h lib/image/probe.c \
	lib/image/opts.c lib/image/lock.h lib/image/lock.c \
	lib/image/raw.c lib/image/compress.h lib/image/compress.c

BATS_TESTS += tests/image-probe.bats
UNIT_TESTS += tests/unit/test-image-probe
tests_unit_test_image_probe_SOURCES = tests/unit/test-image-probe.c tests/unit/tap.h
tests_unit_test_image_probe_LDADD = $(VK_LIBS)

UNIT_TESTS += tests/unit/test-image-diff
tests_unit_test_image_diff_SOURCES = tests/unit/test-image-diff.c tests/unit/tap.h
tests_unit_test_image_diff_LDADD = $(VK_LIBS)

UNIT_HELPERS += tests/unit/test-image-io
tests_unit_test_image_io_SOURCES = tests/unit/test-image-io.c
tests_unit_test_image_io_LDADD = $(VK_LIBS)
BATS_TESTS += tests/image-integrity.bats
# Peak memory against qemu-img's: in the plain build only (see the suite).
if !SANITIZERS
BATS_TESTS += tests/image-memory.bats
endif
EXTRA_DIST += tests/image-memory.bats
EXTRA_DIST += tests/qcow2-edit.py
