# lib/virt/snapshot: a domain's state kept and brought back (vctl):
# libvirt snapshots with overlays made by the image engine, saved state,
# live block jobs.
lib_libvkit_a_SOURCES += \
	lib/virt/snapshot/snapshot.c lib/virt/snapshot/snapshot.h \
	lib/virt/snapshot/save.c lib/virt/snapshot/save.h \
	lib/virt/snapshot/blockjob.c lib/virt/snapshot/blockjob.h
