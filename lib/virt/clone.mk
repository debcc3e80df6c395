# lib/virt: cloning a domain (vclone), its tests and benchmark.
lib_libvkit_a_SOURCES += \
	lib/virt/clone.c lib/virt/clone.h lib/virt/clone-int.h \
	lib/virt/clone-ident.c lib/virt/clone-xml.c lib/virt/clone-copy.c \
	lib/virt/clone-report.c

UNIT_TESTS += tests/unit/test-clone
tests_unit_test_clone_SOURCES = tests/unit/test-clone.c tests/unit/tap.h
tests_unit_test_clone_LDADD = $(VK_LIBS)

BATS_TESTS += tests/vclone-guest.bats
EXTRA_DIST += tests/clone-helpers.bash bench/clone.sh
