# vctl front end, its tests.
vctl_SOURCES = cmd/vctl/main.c cmd/vctl/vctl.h cmd/vctl/common.c \
	cmd/vctl/list.c cmd/vctl/lifecycle.c cmd/vctl/info.c cmd/vctl/devices.c cmd/vctl/tune.c cmd/vctl/top.c \
	cmd/vctl/console.c cmd/vctl/network.c
BATS_TESTS += tests/vctl.bats tests/vctl-guest.bats tests/vctl-net.bats
EXTRA_DIST += tests/virt-helpers.bash
EXTRA_DIST += bench/vctl.sh
