# vimg front end, its tests.
vimg_SOURCES = cmd/vimg/main.c cmd/vimg/vimg.h
BATS_TESTS += tests/vimg.bats
