# lib/image: block drivers, qcow2 engine, create, info, convert, check.
lib_libvkit_a_SOURCES += \
	lib/image/image.h lib/image/image.c lib/image/driver.h \
	lib/image/opts.c lib/image/lock.h lib/image/lock.c \
	lib/image/raw.c lib/image/compress.h lib/image/compress.c \
	lib/image/qcow2-header.h lib/image/qcow2-header.c \
	lib/image/qcow2.h lib/image/qcow2.c lib/image/qcow2-cache.c \
	lib/image/qcow2-refcount.c lib/image/qcow2-map.c \
	lib/image/qcow2-resize.c lib/image/qcow2-create.c \
	lib/image/qcow2-snapshot.h lib/image/qcow2-snapshot.c \
	lib/image/qcow2-snapshot-write.c

UNIT_TESTS += tests/unit/test-image-diff
tests_unit_test_image_diff_SOURCES = tests/unit/test-image-diff.c tests/unit/tap.h
tests_unit_test_image_diff_LDADD = $(VK_LIBS)

UNIT_HELPERS += tests/unit/test-image-io
tests_unit_test_image_io_SOURCES = tests/unit/test-image-io.c
tests_unit_test_image_io_LDADD = $(VK_LIBS)
