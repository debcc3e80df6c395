# vctl front end, its tests.
vctl_SOURCES = cmd/vctl/main.c cmd/vctl/vctl.h
BATS_TESTS += tests/vctl.bats
