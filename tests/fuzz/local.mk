# tests/fuzz/local.mk — libFuzzer targets for the parsers outside lang/ and
# the decoder: rule programs (YAML and Lua, then evaluation of whatever
# loads), the daemon's YAML config, and `loyaltyctl import` lines.
# Included from tests/local.mk. The code under test is compiled into each
# target with -fsanitize=fuzzer so that libFuzzer sees coverage inside it
# whatever CFLAGS the fuzz build was configured with.
EXTRA_DIST += tests/fuzz/corpus-program tests/fuzz/program.dict \
	tests/fuzz/corpus-config tests/fuzz/config.dict tests/fuzz/corpus-import
FUZZ_CFLAGS = -fsanitize=fuzzer,address,undefined

if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz-program tests/fuzz/fuzz-config tests/fuzz/fuzz-import
FUZZ_TARGETS += tests/fuzz/fuzz-program tests/fuzz/fuzz-config tests/fuzz/fuzz-import

tests_fuzz_fuzz_program_SOURCES = tests/fuzz/fuzz-program.c \
	$(rules_librules_a_SOURCES) $(lang_liblang_a_SOURCES)
tests_fuzz_fuzz_program_CFLAGS = $(rules_librules_a_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_program_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_program_LDADD = $(YAML_LIBS) $(XXHASH_LIBS) $(LUA_LIBS) -lm -lpthread

tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz-config.c engine/config.c engine/log.c
tests_fuzz_fuzz_config_CFLAGS = $(engine_libengine_a_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_config_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_config_LDADD = $(YAML_LIBS)
endif

if FUZZING
# ctl_import.c is included by the target itself (its line parser is static)
tests_fuzz_fuzz_import_SOURCES = tests/fuzz/fuzz-import.c \
	engine/decode.c engine/request.c lang/arena.c $(STORE_SOURCES)
tests_fuzz_fuzz_import_CFLAGS = $(engine_libengine_a_CFLAGS) $(FUZZ_CFLAGS) -Wno-string-concatenation
tests_fuzz_fuzz_import_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_import_LDADD = $(YAJL_LIBS) $(SQLITE_LIBS) $(EVENT_LIBS) $(XXHASH_LIBS) -lpthread -lm
endif
