# lib/image: the generic image layer (open, format detection, chains, the
# raw driver, options, locks, compression) and what works on any format:
# convert, check, map, compare, measure, rebase, commit; the read-only
# drivers of formats/ (vmdk, vhdx, vpc, vdi, qed).  The qcow2 driver: qcow2/local.mk.
lib_libvkit_a_SOURCES += \
	lib/image/image.h lib/image/image.c lib/image/driver.h lib/image/probe.c \
	lib/image/opts.c lib/image/lock.h lib/image/lock.c \
	lib/image/raw.c lib/image/compress.h lib/image/compress.c \
	lib/image/convert.c lib/image/convert.h \
	lib/image/convert-io.c lib/image/convert-io.h \
	lib/image/check.c lib/image/check.h \
	lib/image/map.c lib/image/map.h \
	lib/image/compare.c lib/image/compare.h \
	lib/image/measure.c lib/image/measure.h \
	lib/image/rebase.c lib/image/commit.c lib/image/resize.c \
	lib/image/formats/blockmap.c lib/image/formats/blockmap.h \
	lib/image/formats/vpc.c lib/image/formats/vdi.c lib/image/formats/vmdk.c \
	lib/image/formats/vhdx.c lib/image/formats/qed.c
