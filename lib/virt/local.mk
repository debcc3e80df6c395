# lib/virt: libvirt connection, domains, waits, XML.
lib_libvkit_a_SOURCES += \
	lib/virt/conn.c lib/virt/conn.h \
	lib/virt/event.c lib/virt/event.h \
	lib/virt/domstate.c lib/virt/domstate.h

UNIT_TESTS += tests/unit/test-virt-conn
tests_unit_test_virt_conn_SOURCES = tests/unit/test-virt-conn.c tests/unit/tap.h
tests_unit_test_virt_conn_LDADD = $(VK_LIBS)
lib_libvkit_a_SOURCES += \
	lib/virt/domain.c lib/virt/domain.h \
	lib/virt/domparse.c lib/virt/domparse.h
lib_libvkit_a_SOURCES += lib/virt/dominfo.c lib/virt/dominfo.h
lib_libvkit_a_SOURCES += lib/virt/inuse.c lib/virt/inuse.h
lib_libvkit_a_SOURCES += lib/virt/xml.c lib/virt/xml.h
lib_libvkit_a_SOURCES += lib/virt/ifaddr.c lib/virt/ifaddr.h
lib_libvkit_a_SOURCES += \
	lib/virt/tune.c lib/virt/tune.h \
	lib/virt/stats.c lib/virt/stats.h lib/virt/stats-json.c
lib_libvkit_a_SOURCES += lib/virt/console.c lib/virt/console.h
lib_libvkit_a_SOURCES += lib/virt/network.c lib/virt/network.h

UNIT_TESTS += tests/unit/test-virt-xml
tests_unit_test_virt_xml_SOURCES = tests/unit/test-virt-xml.c tests/unit/tap.h
tests_unit_test_virt_xml_LDADD = $(VK_LIBS)

UNIT_TESTS += tests/unit/test-virt-stats
tests_unit_test_virt_stats_SOURCES = tests/unit/test-virt-stats.c tests/unit/tap.h
tests_unit_test_virt_stats_LDADD = $(VK_LIBS)
