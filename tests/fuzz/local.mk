# tests/fuzz: the qcow2 fuzz target.  With --enable-fuzz it is a libFuzzer
# target (tests/fuzz/run-fuzz.sh runs it); otherwise the same file is a
# replay driver, and `make check` runs it on the corpus and on the
# regression images.
tests_fuzz_fuzz_qcow2_SOURCES = tests/fuzz/fuzz-qcow2.c
tests_fuzz_fuzz_qcow2_LDADD = $(VK_LIBS)
if VK_FUZZ
noinst_PROGRAMS = tests/fuzz/fuzz-qcow2
tests_fuzz_fuzz_qcow2_CPPFLAGS = $(AM_CPPFLAGS) -DVK_FUZZ_LIBFUZZER
tests_fuzz_fuzz_qcow2_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
else
UNIT_TESTS += tests/fuzz/fuzz-qcow2
tests_fuzz_fuzz_qcow2_CPPFLAGS = $(AM_CPPFLAGS)
tests_fuzz_fuzz_qcow2_LDFLAGS = $(AM_LDFLAGS)
endif

EXTRA_DIST += tests/fuzz/corpus tests/fuzz/regress tests/fuzz/make-corpus.sh \
	tests/fuzz/run-fuzz.sh tests/fuzz/mutate.py tests/fuzz/run-mutate.sh
