# cmd/vctl: the vctl front end, one file per group of commands.
vctl_SOURCES = cmd/vctl/main.c cmd/vctl/vctl.h cmd/vctl/common.c \
	cmd/vctl/list.c cmd/vctl/lifecycle.c cmd/vctl/info.c cmd/vctl/devices.c \
	cmd/vctl/tune.c cmd/vctl/top.c cmd/vctl/console.c cmd/vctl/network.c \
	cmd/vctl/snapshot.c cmd/vctl/save.c cmd/vctl/block.c cmd/vctl/migrate.c cmd/vctl/host.c cmd/vctl/pool.c cmd/vctl/volume.c cmd/vctl/event.c cmd/vctl/attach.c \
	cmd/vctl/monitor.c cmd/vctl/identity.c cmd/vctl/guest.c
vctl_LDADD = $(VK_LIBS)
