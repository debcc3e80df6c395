# lib/virt: libvirt connections, domains and their states, waits, domain
# and network XML, statistics, consoles, networks; the flows of vclone and
# vinstall are in clone/ and install/.
lib_libvkit_a_SOURCES += \
	lib/virt/conn.c lib/virt/conn.h \
	lib/virt/event.c lib/virt/event.h \
	lib/virt/job.c lib/virt/job.h \
	lib/virt/domstate.c lib/virt/domstate.h \
	lib/virt/domain.c lib/virt/domain.h \
	lib/virt/domparse.c lib/virt/domparse.h \
	lib/virt/dominfo.c lib/virt/dominfo.h \
	lib/virt/domxml.c lib/virt/domxml.h \
	lib/virt/inuse.c lib/virt/inuse.h \
	lib/virt/xml.c lib/virt/xml.h \
	lib/virt/edit.c lib/virt/edit.h \
	lib/virt/ifaddr.c lib/virt/ifaddr.h \
	lib/virt/tune.c lib/virt/tune.h \
	lib/virt/stats.c lib/virt/stats.h lib/virt/stats-json.c \
	lib/virt/monitor.c lib/virt/monitor.h \
	lib/virt/guest.c lib/virt/guest.h \
	lib/virt/screen.c lib/virt/screen.h \
	lib/virt/console.c lib/virt/console.h \
	lib/virt/network.c lib/virt/network.h \
	lib/virt/migrate.c lib/virt/migrate.h \
	lib/virt/hosts.c lib/virt/hosts.h \
	lib/virt/host.c lib/virt/host.h \
	lib/virt/pool.c lib/virt/pool.h \
	lib/virt/volume.c lib/virt/volume.h \
	lib/virt/domevent.c lib/virt/domevent.h \
	lib/virt/devices.c lib/virt/devices.h \
	lib/virt/osinfo.c lib/virt/osinfo.h lib/virt/osdetect.c lib/virt/osdetect.h \
	lib/virt/firmware.c lib/virt/firmware.h
