# tests: every suite is registered here.  C unit tests (tests/unit) print
# TAP; bats suites (tests/TOOL/*.bats, and the project-wide ones in
# tests/) run with --tap; both go through automake's TAP driver, so every
# single test is counted.

# ---------------------------------------------------------------- unit tests
UNIT_TESTS = \
	tests/unit/test-size tests/unit/test-json tests/unit/test-error \
	tests/unit/test-table tests/unit/test-cmd \
	tests/unit/test-image-probe tests/unit/test-image-diff tests/unit/test-convert \
	tests/unit/test-qcow2-alloc \
	tests/unit/test-virt-conn tests/unit/test-virt-xml tests/unit/test-virt-stats \
	tests/unit/test-domxml tests/unit/test-install tests/unit/test-install-run \
	tests/unit/test-clone
# Programs the bats suites drive: a tiny qemu-io for the engine, a raw file
# written into an image (the vinstall guest suite).
UNIT_HELPERS = tests/unit/test-image-io tests/unit/test-install-put
check_PROGRAMS = $(UNIT_TESTS) $(UNIT_HELPERS)
tests_unit_test_size_SOURCES = tests/unit/test-size.c tests/unit/tap.h
tests_unit_test_size_LDADD = $(VK_LIBS)
tests_unit_test_json_SOURCES = tests/unit/test-json.c tests/unit/tap.h
tests_unit_test_json_LDADD = $(VK_LIBS)
tests_unit_test_error_SOURCES = tests/unit/test-error.c tests/unit/tap.h
tests_unit_test_error_LDADD = $(VK_LIBS)
tests_unit_test_table_SOURCES = tests/unit/test-table.c tests/unit/tap.h
tests_unit_test_table_LDADD = $(VK_LIBS)
tests_unit_test_cmd_SOURCES = tests/unit/test-cmd.c tests/unit/tap.h
tests_unit_test_cmd_LDADD = $(VK_LIBS)
tests_unit_test_image_probe_SOURCES = tests/unit/test-image-probe.c tests/unit/tap.h
tests_unit_test_image_probe_LDADD = $(VK_LIBS)
tests_unit_test_image_diff_SOURCES = tests/unit/test-image-diff.c tests/unit/tap.h
tests_unit_test_image_diff_LDADD = $(VK_LIBS)
tests_unit_test_qcow2_alloc_SOURCES = tests/unit/test-qcow2-alloc.c tests/unit/tap.h
tests_unit_test_qcow2_alloc_LDADD = $(VK_LIBS)
tests_unit_test_convert_SOURCES = tests/unit/test-convert.c tests/unit/tap.h
tests_unit_test_convert_LDADD = $(VK_LIBS)
tests_unit_test_virt_conn_SOURCES = tests/unit/test-virt-conn.c tests/unit/tap.h
tests_unit_test_virt_conn_LDADD = $(VK_LIBS)
tests_unit_test_virt_xml_SOURCES = tests/unit/test-virt-xml.c tests/unit/tap.h
tests_unit_test_virt_xml_LDADD = $(VK_LIBS)
tests_unit_test_virt_stats_SOURCES = tests/unit/test-virt-stats.c tests/unit/tap.h
tests_unit_test_virt_stats_LDADD = $(VK_LIBS)
tests_unit_test_domxml_SOURCES = tests/unit/test-domxml.c tests/unit/tap.h
tests_unit_test_domxml_LDADD = $(VK_LIBS)
tests_unit_test_install_SOURCES = tests/unit/test-install.c tests/unit/tap.h
tests_unit_test_install_LDADD = $(VK_LIBS)
tests_unit_test_install_run_SOURCES = tests/unit/test-install-run.c tests/unit/tap.h
tests_unit_test_install_run_LDADD = $(VK_LIBS)
tests_unit_test_clone_SOURCES = tests/unit/test-clone.c tests/unit/tap.h
tests_unit_test_clone_LDADD = $(VK_LIBS)
tests_unit_test_image_io_SOURCES = tests/unit/test-image-io.c
tests_unit_test_image_io_LDADD = $(VK_LIBS)
tests_unit_test_install_put_SOURCES = tests/unit/test-install-put.c
tests_unit_test_install_put_LDADD = $(VK_LIBS)

# ---------------------------------------------------------------- bats suites
BATS_TESTS = tests/man.bats tests/project.bats tests/completion.bats tests/format.bats \
	tests/vimg/vimg.bats tests/vimg/vimg-check.bats tests/vimg/vimg-convert.bats tests/vimg/vimg-formats.bats tests/vimg/vimg-write-formats.bats \
	tests/vimg/vimg-tools.bats tests/vimg/vimg-snapshot.bats tests/vimg/vimg-rebase.bats tests/vimg/vimg-commit.bats \
	tests/vimg/vimg-dd.bats tests/vimg/vimg-amend.bats tests/vimg/vimg-bitmap.bats \
	tests/vimg/vimg-datafile.bats \
	tests/vimg/vimg-convert-io.bats \
	tests/vimg/image-interop.bats tests/vimg/image-lock.bats tests/vimg/image-crash.bats \
	tests/vimg/image-hostile.bats tests/vimg/image-integrity.bats tests/vimg/image-probe.bats \
	tests/vctl/vctl.bats tests/vctl/vctl-guest.bats tests/vctl/vctl-net.bats tests/vctl/vctl-state.bats \
	tests/vctl/vctl-migrate.bats tests/vctl/vctl-host.bats tests/vctl/vctl-pool.bats tests/vctl/vctl-event.bats \
	tests/vctl/vctl-devices.bats \
	tests/vctl/vctl-monitor.bats \
	tests/vctl/vctl-agent.bats \
	tests/vinstall/vinstall.bats tests/vinstall/vinstall-cloudinit.bats tests/vinstall/vinstall-guest.bats \
	tests/vclone/vclone.bats tests/vclone/vclone-guest.bats
# Peak memory against qemu-img's: in the plain build only (a sanitizer's
# shadow memory is not vkit's); quickstart's distcheck runs it.
if !SANITIZERS
BATS_TESTS += tests/vimg/image-memory.bats
endif

EXTRA_DIST += $(BATS_TESTS) tests/vimg/image-memory.bats \
	tests/helpers.bash tests/run-bats tests/libvirtd-start.sh tests/second-host.sh \
	tests/image-helpers.bash tests/convert-helpers.bash tests/snapshot-helpers.bash \
	tests/virt-helpers.bash tests/install-helpers.bash tests/clone-helpers.bash \
	tests/qcow2-edit.py tests/vhdx-dirty.py tests/vmdk-sesparse.py tests/format-base tests/lsan.supp \
	tests/fixtures/bootsector.S tests/fixtures/counter.S tests/fixtures/make-bootsector.sh \
	tests/fixtures/initramfs/make-initramfs.sh

include $(srcdir)/tests/fuzz/local.mk
