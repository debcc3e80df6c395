# lib/image: the generic image layer (open, probe, chains, raw driver,
# options, locks, compression); the qcow2 driver is in qcow2/local.mk.
lib_libvkit_a_SOURCES += \
	lib/image/image.h lib/image/image.c lib/image/driver.h \
	lib/image/opts.c lib/image/lock.h lib/image/lock.c \
	lib/image/raw.c lib/image/compress.h lib/image/compress.c

UNIT_TESTS += tests/unit/test-image-diff
tests_unit_test_image_diff_SOURCES = tests/unit/test-image-diff.c tests/unit/tap.h
tests_unit_test_image_diff_LDADD = $(VK_LIBS)

UNIT_HELPERS += tests/unit/test-image-io
tests_unit_test_image_io_SOURCES = tests/unit/test-image-io.c
tests_unit_test_image_io_LDADD = $(VK_LIBS)
BATS_TESTS += tests/image-integrity.bats
EXTRA_DIST += tests/qcow2-edit.py
