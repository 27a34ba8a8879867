# rules/local.mk — loading programs and evaluating them (pure, no I/O).
noinst_LIBRARIES += rules/librules.a
rules_librules_a_SOURCES = \
	rules/model.h rules/program.h
rules_librules_a_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS) $(LUA_CFLAGS) $(XXHASH_CFLAGS)
RULES_LIBS = rules/librules.a $(YAML_LIBS) $(XXHASH_LIBS) $(LANG_LIBS)
