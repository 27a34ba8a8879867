# lang/local.mk — the rule languages: expression language and Lua sandbox.
# Owned by lang/; tests and fuzz targets of this layer are listed here too.
noinst_LIBRARIES += lang/liblang.a
# the expression language alone: also compiled into its fuzz target, so
# that libFuzzer sees coverage inside it
LANG_EXPR_SOURCES = \
	lang/expr.h lang/expr_internal.h \
	lang/expr_lex.c lang/expr_parse.c lang/expr_check.c \
	lang/expr_compile.c lang/expr_code.c lang/expr_eval.c lang/expr_value.c \
	lang/expr_builtin.c lang/expr_env.c
lang_liblang_a_SOURCES = \
	lang/arena.c lang/arena.h lang/oneline.h \
	$(LANG_EXPR_SOURCES)
lang_liblang_a_CFLAGS = $(AM_CFLAGS) $(LUA_CFLAGS)
LANG_LIBS = lang/liblang.a $(LUA_LIBS) -lm

# Expression language: unit tests (TAP).
check_PROGRAMS += tests/unit/test-expr tests/unit/test-expr-table
TESTS += tests/unit/test-expr tests/unit/test-expr-table
tests_unit_test_expr_SOURCES = tests/unit/test-expr.c tests/unit/tap.h tests/unit/test-expr-env.h
tests_unit_test_expr_LDADD = $(LANG_LIBS)

tests_unit_test_expr_table_SOURCES = tests/unit/test-expr-table.c tests/unit/tap.h tests/unit/test-expr-env.h
tests_unit_test_expr_table_LDADD = $(LANG_LIBS)

# Native aggregates (EXPR_AGG_*) against a host-function twin.
check_PROGRAMS += tests/unit/test-expr-agg
TESTS += tests/unit/test-expr-agg
tests_unit_test_expr_agg_SOURCES = tests/unit/test-expr-agg.c tests/unit/tap.h
tests_unit_test_expr_agg_LDADD = $(LANG_LIBS)

# Issue 3's "no allocation on the evaluation path", counted.
check_PROGRAMS += tests/unit/test-expr-noalloc
TESTS += tests/unit/test-expr-noalloc
tests_unit_test_expr_noalloc_SOURCES = tests/unit/test-expr-noalloc.c tests/unit/tap.h tests/unit/test-expr-env.h
tests_unit_test_expr_noalloc_LDADD = $(LANG_LIBS)

# Expression language: speed against hand-written C (run by hand, not a test).
noinst_PROGRAMS += bench/bench-expr
bench_bench_expr_SOURCES = bench/bench-expr.c
bench_bench_expr_LDADD = $(LANG_LIBS)

# --- Lua sandbox (lua helper) ---
lang_liblang_a_SOURCES += \
	lang/luasb.c lang/luasb.h lang/lua_int.h \
	lang/lua_lib.c lang/lua_freeze.c lang/lua_bytecode.c \
	lang/lua_compile.c lang/lua_compile.h \
	lang/lua_compile_int.h lang/lua_compile_val.c
check_PROGRAMS += tests/unit/test-luasb
TESTS += tests/unit/test-luasb
tests_unit_test_luasb_SOURCES = tests/unit/test-luasb.c tests/unit/tap.h
tests_unit_test_luasb_CFLAGS = $(AM_CFLAGS) $(LUA_CFLAGS)
tests_unit_test_luasb_LDADD = $(LANG_LIBS)

# Expression language: libFuzzer target (configure CC=clang --enable-fuzzing).
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz-expr
tests_fuzz_fuzz_expr_SOURCES = tests/fuzz/fuzz-expr.c lang/arena.c $(LANG_EXPR_SOURCES)
tests_fuzz_fuzz_expr_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_expr_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_expr_LDADD = -lm
endif
EXTRA_DIST += tests/fuzz/corpus-expr
