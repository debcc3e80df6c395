# vimg front end, its tests.
vimg_SOURCES = cmd/vimg/main.c cmd/vimg/vimg.h \
	cmd/vimg/create.c cmd/vimg/info.c cmd/vimg/resize.c \
	cmd/vimg/snapshot.c
BATS_TESTS += tests/vimg.bats
EXTRA_DIST += tests/image-helpers.bash
BATS_TESTS += tests/image-interop.bats
BATS_TESTS += tests/image-lock.bats tests/image-crash.bats
BATS_TESTS += tests/image-hostile.bats
