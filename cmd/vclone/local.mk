# cmd/vclone: the vclone front end.
vclone_SOURCES = cmd/vclone/main.c
vclone_LDADD = $(VK_LIBS)
