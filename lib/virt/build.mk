# lib/virt, domain XML building and the install flow (vinstall).
lib_libvkit_a_SOURCES += \
	lib/virt/domxml.c lib/virt/domxml.h \
	lib/virt/osinfo.c lib/virt/osinfo.h \
	lib/virt/firmware.c lib/virt/firmware.h \
	lib/virt/install.c lib/virt/install.h \
	lib/virt/install-opts.c lib/virt/install-check.c

UNIT_TESTS += tests/unit/test-domxml tests/unit/test-install tests/unit/test-install-run
tests_unit_test_install_run_SOURCES = tests/unit/test-install-run.c tests/unit/tap.h
tests_unit_test_install_run_LDADD = $(VK_LIBS)
tests_unit_test_domxml_SOURCES = tests/unit/test-domxml.c tests/unit/tap.h
tests_unit_test_domxml_LDADD = $(VK_LIBS)
tests_unit_test_install_SOURCES = tests/unit/test-install.c tests/unit/tap.h
tests_unit_test_install_LDADD = $(VK_LIBS)

EXTRA_DIST += tests/install-helpers.bash tests/fixtures/initramfs/make-initramfs.sh bench/install.sh
lib_libvkit_a_SOURCES += lib/virt/install-run.c lib/virt/install-disk.c lib/virt/install-disk.h
lib_libvkit_a_SOURCES += lib/virt/install-report.c

# Writes a raw file into an image through the engine (guest suite).
UNIT_HELPERS += tests/unit/test-install-put
tests_unit_test_install_put_SOURCES = tests/unit/test-install-put.c
tests_unit_test_install_put_LDADD = $(VK_LIBS)
