# completion: bash completion of the four tools, generated at build time
# from each tool's own option tables (TOOL --vkit-completion) and the
# logic in vkit.bash.
bashcompletiondir = $(BASH_COMPLETION_DIR)
bashcompletion_DATA = completion/vimg completion/vctl completion/vinstall completion/vclone
CLEANFILES += $(bashcompletion_DATA)
EXTRA_DIST += completion/vkit.bash completion/mkcompletion.sh

MKCOMPLETION = $(AM_V_GEN)$(MKDIR_P) completion && \
	$(SHELL) $(srcdir)/completion/mkcompletion.sh ./$(@F) $(srcdir)/completion/vkit.bash >$@.tmp && \
	mv $@.tmp $@
COMPLETION_DEPS = $(srcdir)/completion/vkit.bash $(srcdir)/completion/mkcompletion.sh
completion/vimg: vimg$(EXEEXT) $(COMPLETION_DEPS)
	$(MKCOMPLETION)
completion/vctl: vctl$(EXEEXT) $(COMPLETION_DEPS)
	$(MKCOMPLETION)
completion/vinstall: vinstall$(EXEEXT) $(COMPLETION_DEPS)
	$(MKCOMPLETION)
completion/vclone: vclone$(EXEEXT) $(COMPLETION_DEPS)
	$(MKCOMPLETION)
