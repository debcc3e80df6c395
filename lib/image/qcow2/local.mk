# lib/image/qcow2: the qcow2 driver.
lib_libvkit_a_SOURCES += \
	lib/image/qcow2/format.h \
	lib/image/qcow2/header.h lib/image/qcow2/header.c \
	lib/image/qcow2/qcow2.h lib/image/qcow2/driver.c \
	lib/image/qcow2/cache.c lib/image/qcow2/refcount.c \
	lib/image/qcow2/map.c lib/image/qcow2/resize.c \
	lib/image/qcow2/create.c \
	lib/image/qcow2/snapshot.h lib/image/qcow2/snapshot.c \
	lib/image/qcow2/snapshot-write.c \
	lib/image/qcow2/bitmap.h lib/image/qcow2/bitmap.c \
	lib/image/qcow2/bitmap-edit.c \
	lib/image/qcow2/meta.c lib/image/qcow2/check.c \
	lib/image/qcow2/amend.c
