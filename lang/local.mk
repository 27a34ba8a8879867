# lang/local.mk — the rule languages: expression language and Lua sandbox.
# Owned by lang/; tests and fuzz targets of this layer are listed here too.
noinst_LIBRARIES += lang/liblang.a
lang_liblang_a_SOURCES = \
	lang/arena.c lang/arena.h \
	lang/expr.h
lang_liblang_a_CFLAGS = $(AM_CFLAGS) $(LUA_CFLAGS)
LANG_LIBS = lang/liblang.a $(LUA_LIBS) -lm
