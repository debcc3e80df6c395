# cmd/vinstall: the vinstall front end.
vinstall_SOURCES = cmd/vinstall/main.c
vinstall_LDADD = $(VK_LIBS)
