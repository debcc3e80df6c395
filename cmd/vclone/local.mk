# vclone front end, its tests.
vclone_SOURCES = cmd/vclone/main.c 
BATS_TESTS += tests/vclone.bats
