# lib/util: errors and exit codes, cleanup attributes, sizes, JSON, tables,
# progress, command dispatch, signals (cancel), small text and path helpers, random bytes, ISO 9660 images,
# editing in the user's editor.
lib_libvkit_a_SOURCES += \
	lib/util/error.c lib/util/error.h \
	lib/util/cleanup.c lib/util/cleanup.h \
	lib/util/size.c lib/util/size.h \
	lib/util/json.c lib/util/json.h \
	lib/util/cmd.c lib/util/cmd.h \
	lib/util/progress.c lib/util/progress.h \
	lib/util/table.c lib/util/table.h \
	lib/util/bytes.h lib/util/u64map.c lib/util/u64map.h \
	lib/util/cancel.c lib/util/cancel.h \
	lib/util/text.c lib/util/text.h lib/util/path.c lib/util/path.h \
	lib/util/iso.c lib/util/iso.h lib/util/random.c lib/util/random.h \
	lib/util/edit.c lib/util/edit.h
