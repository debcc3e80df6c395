# lib/virt/clone: copying a domain (vclone): plan, identity, XML, disk
# copies, report.
lib_libvkit_a_SOURCES += \
	lib/virt/clone/clone.c lib/virt/clone/clone.h lib/virt/clone/internal.h \
	lib/virt/clone/ident.c lib/virt/clone/xml.c lib/virt/clone/copy.c \
	lib/virt/clone/report.c
