# vinstall front end, its tests.
vinstall_SOURCES = cmd/vinstall/main.c
BATS_TESTS += tests/vinstall.bats tests/vinstall-guest.bats
