# rules/local.mk — loading programs and evaluating them (pure, no I/O).
noinst_LIBRARIES += rules/librules.a
rules_librules_a_SOURCES = \
	rules/model.h rules/program.h rules/prog_impl.h rules/load_impl.h rules/eval_ctx.h \
	rules/yaml_doc.c rules/yaml_doc.h \
	rules/prog_errors.c rules/decimal.c rules/tz.c \
	rules/env.c rules/load.c rules/load_yaml.c rules/load_check.c rules/preds.c $(LUA_RULES_SOURCES) \
	rules/program.c rules/eval.c rules/discount.c $(EXPERIMENT_SOURCES)
rules_librules_a_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS) $(LUA_CFLAGS) $(XXHASH_CFLAGS)
RULES_LIBS = rules/librules.a $(YAML_LIBS) $(XXHASH_LIBS) $(LANG_LIBS) -lpthread

# The coffee-club workload through rules/ (bench/bench-rules.c's header).
noinst_PROGRAMS += bench/bench-rules
bench_bench_rules_SOURCES = bench/bench-rules.c
bench_bench_rules_CFLAGS = $(AM_CFLAGS) $(YAJL_CFLAGS)
bench_bench_rules_LDADD = $(RULES_LIBS) $(YAJL_LIBS)

# --- Lua rules (lua helper) ---
# rules/load_lua.c (with lua_ctx.c) is part of the library: Lua is a
# required dependency, so there is no build without Lua rules.
LUA_RULES_SOURCES = rules/load_lua.c rules/lua_ctx.c rules/lua_ctx.h rules/lua_compile.c
check_PROGRAMS += tests/unit/test-rules-lua
TESTS += tests/unit/test-rules-lua
tests_unit_test_rules_lua_SOURCES = tests/unit/test-rules-lua.c tests/unit/tap.h
tests_unit_test_rules_lua_CFLAGS = $(AM_CFLAGS) $(LUA_CFLAGS) $(YAML_CFLAGS)
tests_unit_test_rules_lua_LDADD = $(RULES_LIBS)
# Lua rules against YAML rules, and runaway costs (run by hand).
noinst_PROGRAMS += bench/bench-lua
bench_bench_lua_SOURCES = bench/bench-lua.c
bench_bench_lua_CFLAGS = $(AM_CFLAGS) $(LUA_CFLAGS) $(YAML_CFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
bench_bench_lua_LDADD = $(RULES_LIBS)
EXTRA_DIST += examples/coffee-club-lua/program.yaml examples/coffee-club-lua/rules.lua

# Unit tests of rules/ (tests/unit/test-rules-*.c, test-load-*.c).
RULES_TEST_CFLAGS = $(AM_CFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
check_PROGRAMS += tests/unit/test-rules-discount
TESTS += tests/unit/test-rules-discount
tests_unit_test_rules_discount_SOURCES = tests/unit/test-rules-discount.c tests/unit/test-rules-util.h
tests_unit_test_rules_discount_CFLAGS = $(RULES_TEST_CFLAGS)
tests_unit_test_rules_discount_LDADD = $(RULES_LIBS)
check_PROGRAMS += tests/unit/test-load-errors
TESTS += tests/unit/test-load-errors
tests_unit_test_load_errors_SOURCES = tests/unit/test-load-errors.c tests/unit/test-rules-util.h
tests_unit_test_load_errors_CFLAGS = $(RULES_TEST_CFLAGS)
tests_unit_test_load_errors_LDADD = $(RULES_LIBS)
EXTRA_DIST += tests/data/rules
check_PROGRAMS += tests/unit/test-rules-eval
TESTS += tests/unit/test-rules-eval
tests_unit_test_rules_eval_SOURCES = tests/unit/test-rules-eval.c tests/unit/test-rules-util.h
tests_unit_test_rules_eval_CFLAGS = $(RULES_TEST_CFLAGS) $(XXHASH_CFLAGS)
tests_unit_test_rules_eval_LDADD = $(RULES_LIBS)
check_PROGRAMS += tests/unit/test-rules-points tests/unit/test-rules-coffee
TESTS += tests/unit/test-rules-points tests/unit/test-rules-coffee
tests_unit_test_rules_points_SOURCES = tests/unit/test-rules-points.c tests/unit/test-rules-util.h
tests_unit_test_rules_points_CFLAGS = $(RULES_TEST_CFLAGS)
tests_unit_test_rules_points_LDADD = $(RULES_LIBS)
tests_unit_test_rules_coffee_SOURCES = tests/unit/test-rules-coffee.c tests/unit/test-rules-util.h
tests_unit_test_rules_coffee_CFLAGS = $(RULES_TEST_CFLAGS)
tests_unit_test_rules_coffee_LDADD = $(RULES_LIBS)
check_PROGRAMS += tests/unit/test-rules-examples
TESTS += tests/unit/test-rules-examples
tests_unit_test_rules_examples_SOURCES = tests/unit/test-rules-examples.c tests/unit/test-rules-util.h
tests_unit_test_rules_examples_CFLAGS = $(RULES_TEST_CFLAGS)
tests_unit_test_rules_examples_LDADD = $(RULES_LIBS)

# --- experiments and global holdout (exp2 helper) ---
# Assignment and holdout in one file (doc/experiments.md is its contract);
# its tests, and bench/bench-assign (ns per assignment against XXH64 alone).
EXPERIMENT_SOURCES = rules/experiment.c
check_PROGRAMS += tests/unit/test-experiments
TESTS += tests/unit/test-experiments
tests_unit_test_experiments_SOURCES = tests/unit/test-experiments.c tests/unit/test-rules-util.h
tests_unit_test_experiments_CFLAGS = $(RULES_TEST_CFLAGS) $(XXHASH_CFLAGS)
tests_unit_test_experiments_LDADD = $(RULES_LIBS) -lm
noinst_PROGRAMS += bench/bench-assign
bench_bench_assign_SOURCES = bench/bench-assign.c
bench_bench_assign_CFLAGS = $(AM_CFLAGS) $(XXHASH_CFLAGS)
bench_bench_assign_LDADD = $(RULES_LIBS)
# Compiled Lua functions against the sandbox (lctest helper, issue 6):
# coffee-club-lua, a tricky program and one the compiler must refuse.
check_PROGRAMS += tests/unit/test-lua-compile
TESTS += tests/unit/test-lua-compile
tests_unit_test_lua_compile_SOURCES = tests/unit/test-lua-compile.c tests/unit/tap.h
tests_unit_test_lua_compile_CFLAGS = $(AM_CFLAGS) $(LUA_CFLAGS) $(YAML_CFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_lua_compile_LDADD = $(RULES_LIBS)
EXTRA_DIST += tests/data/rules/lua-compile-tricky/program.yaml tests/data/rules/lua-compile-tricky/rules.lua
EXTRA_DIST += tests/data/rules/lua-compile-refused/program.yaml tests/data/rules/lua-compile-refused/rules.lua
