# lib/virt/install: defining and booting a new domain (vinstall): options,
# pre-flight checks, disks, the run and its rollback, report, cloud-init, --location.
lib_libvkit_a_SOURCES += \
	lib/virt/install/install.c lib/virt/install/install.h \
	lib/virt/install/opts.c lib/virt/install/check.c \
	lib/virt/install/disk.c lib/virt/install/disk.h \
	lib/virt/install/run.c lib/virt/install/report.c \
	lib/virt/install/cloudinit.c lib/virt/install/cloudinit.h lib/virt/install/location.c \
	lib/virt/install/devopts.c
