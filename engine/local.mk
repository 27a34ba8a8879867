# engine/local.mk — the daemon's transport (server, connections, decoding,
# answers, config, reload, stats), the daemon and CLI mains, their tests.
# The op handlers and the store are listed in engine/ops.mk.
noinst_LIBRARIES += engine/libengine.a
engine_libengine_a_SOURCES = \
	engine/request.h engine/reply.h engine/ops.h \
	engine/request.c engine/decode.c engine/decode.h \
	engine/reply.c engine/answer.h engine/json_out.h engine/conn.c engine/conn.h \
	engine/server.c engine/server.h \
	engine/config.c engine/config.h engine/log.c engine/log.h \
	engine/stats.c engine/stats.h engine/generation.c engine/generation.h \
	engine/dispatch.c engine/op_ping.c engine/op_stats.c engine/op_reload.c \
	engine/ctl.h
engine_libengine_a_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS) $(YAJL_CFLAGS) $(SQLITE_CFLAGS) $(YAML_CFLAGS) $(XXHASH_CFLAGS) $(LUA_CFLAGS)
ENGINE_LIBS = engine/libengine.a $(EVENT_LIBS) $(YAJL_LIBS) $(SQLITE_LIBS) $(RULES_LIBS) $(YAML_LIBS) $(XXHASH_LIBS) -lpthread

bin_PROGRAMS += loyaltyd loyaltyctl
loyaltyd_SOURCES = engine/loyaltyd.c
loyaltyd_CFLAGS = $(engine_libengine_a_CFLAGS)
loyaltyd_LDADD = $(ENGINE_LIBS)
loyaltyctl_SOURCES = engine/loyaltyctl.c
loyaltyctl_CFLAGS = $(engine_libengine_a_CFLAGS)
loyaltyctl_LDADD = $(ENGINE_LIBS)

# The decoder and the config parser, by their exact messages.
check_PROGRAMS += tests/unit/test-decode tests/unit/test-config
TESTS += tests/unit/test-decode tests/unit/test-config
tests_unit_test_decode_SOURCES = tests/unit/test-decode.c
tests_unit_test_decode_CFLAGS = $(engine_libengine_a_CFLAGS)
tests_unit_test_decode_LDADD = $(ENGINE_LIBS)
tests_unit_test_config_SOURCES = tests/unit/test-config.c
tests_unit_test_config_CFLAGS = $(engine_libengine_a_CFLAGS)
tests_unit_test_config_LDADD = $(ENGINE_LIBS)

dist_man_MANS += doc/loyaltyd.8 doc/loyaltyctl.1

# The black-box tests: the real daemon over its socket (pytest).
TESTS += tests/blackbox/run.sh
EXTRA_DIST += tests/fuzz/corpus-decode bench/bench-server.sh

if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz-decode
# the decoder is compiled into the target so that libFuzzer sees its coverage
tests_fuzz_fuzz_decode_SOURCES = tests/fuzz/fuzz-decode.c engine/decode.c engine/request.c lang/arena.c
tests_fuzz_fuzz_decode_CFLAGS = $(engine_libengine_a_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_decode_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_decode_LDADD = $(YAJL_LIBS)
endif

# The hand-written JSON writer (engine/json_out.h) against yajl_gen's bytes.
check_PROGRAMS += tests/unit/test-json-out
TESTS += tests/unit/test-json-out
tests_unit_test_json_out_SOURCES = tests/unit/test-json-out.c tests/unit/tap.h
tests_unit_test_json_out_CFLAGS = $(AM_CFLAGS) $(YAJL_CFLAGS)
tests_unit_test_json_out_LDADD = $(YAJL_LIBS)
