# cmd/vimg: the vimg front end, one file per command.
vimg_SOURCES = cmd/vimg/main.c cmd/vimg/vimg.h \
	cmd/vimg/create.c cmd/vimg/info.c cmd/vimg/resize.c cmd/vimg/snapshot.c \
	cmd/vimg/convert.c cmd/vimg/check.c cmd/vimg/map.c cmd/vimg/compare.c \
	cmd/vimg/measure.c cmd/vimg/rebase.c cmd/vimg/commit.c \
	cmd/vimg/dd.c cmd/vimg/amend.c cmd/vimg/bitmap.c
vimg_LDADD = $(VK_LIBS)
