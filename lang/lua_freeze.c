/* lang/lua_freeze.c — nothing a script keeps survives a call: after a file
 * loads, its globals and every table they reach are made read-only in
 * place, and the upvalues of its functions are recorded so that luasb_call
 * can put them back (a counter in an upvalue would otherwise carry state
 * from one request to the next).
 *
 * A read-only table keeps its identity; its contents move to a hidden
 * table behind a protected metatable (__index, __len, __pairs; writes
 * raise). Tables used as metatables are left as they are, because Lua
 * looks metamethods up raw (doc/lua.md says so). Nothing here decides what
 * a script may call; that is lua_lib.c. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lang/lua_int.h"

#define MAX_DEPTH 100

static int ro_newindex(lua_State *L)
{
	const char *what = lua_tostring(L, lua_upvalueindex(1));

	if (lua_type(L, 2) == LUA_TSTRING)
		return luaL_error(L, "cannot assign '%s': %s", lua_tostring(L, 2), what);
	return luaL_error(L, "cannot assign to a field: %s", what);
}

static int ro_len(lua_State *L)
{
	lua_getmetatable(L, 1);
	lua_getfield(L, -1, "__index");
	lua_len(L, -1);
	return 1;
}

static int ro_next(lua_State *L)
{
	lua_settop(L, 2);
	if (lua_next(L, lua_upvalueindex(1)))
		return 2;
	lua_pushnil(L);
	return 1;
}

/* pairs() sees the contents; the iterator holds the hidden table as an
 * upvalue so that the script never gets it in its hands. */
static int ro_pairs(lua_State *L)
{
	lua_getmetatable(L, 1);
	lua_getfield(L, -1, "__index");
	lua_pushcclosure(L, ro_next, 1);
	lua_pushvalue(L, 1);
	lua_pushnil(L);
	return 3;
}

bool luasb_is_frozen(lua_State *L, int idx)
{
	bool ro = false;

	if (lua_getmetatable(L, idx)) {
		/* raw: a script's metatable may have an __index of its own */
		lua_pushliteral(L, LUASB_RO_KEY);
		ro = lua_rawget(L, -2) != LUA_TNIL;
		lua_pop(L, 2);
	}
	return ro;
}

static void freeze_as(lua_State *L, int idx, const char *what)
{
	static const char *const dropped[] = {
		"__index", "__newindex", "__len", "__pairs", "__metatable", "__gc",
		"__mode", "__close", LUASB_RO_KEY, NULL,
	};
	int t = lua_absindex(L, idx);
	int h, mt, orig = 0;

	if (luasb_is_frozen(L, t))
		return;
	luaL_checkstack(L, 8, "freeze");
	lua_newtable(L);
	h = lua_gettop(L);
	/* move the contents; assigning nil to a present key during next() is
	 * allowed */
	lua_pushnil(L);
	while (lua_next(L, t)) {
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, h);
		lua_pushvalue(L, -1);
		lua_pushnil(L);
		lua_rawset(L, t);
	}
	lua_newtable(L);
	mt = lua_gettop(L);
	if (lua_getmetatable(L, t)) {
		/* a table with a metatable of its own (a class instance) keeps its
		 * behaviour: lookups fall through the hidden table to the old
		 * __index, other metamethods are carried over */
		orig = lua_gettop(L);
		lua_pushvalue(L, orig);
		lua_setmetatable(L, h);
		lua_pushnil(L);
		while (lua_next(L, orig)) {
			bool keep = lua_type(L, -2) == LUA_TSTRING;
			for (int i = 0; keep && dropped[i]; i++)
				if (strcmp(lua_tostring(L, -2), dropped[i]) == 0)
					keep = false;
			if (keep) {
				lua_pushvalue(L, -2);
				lua_insert(L, -2);
				lua_rawset(L, mt);
			} else {
				lua_pop(L, 1);
			}
		}
		lua_pop(L, 1);
	}
	lua_pushvalue(L, h);
	lua_setfield(L, mt, "__index");
	lua_pushstring(L, what);
	lua_pushcclosure(L, ro_newindex, 1);
	lua_setfield(L, mt, "__newindex");
	lua_pushcfunction(L, ro_len);
	lua_setfield(L, mt, "__len");
	lua_pushcfunction(L, ro_pairs);
	lua_setfield(L, mt, "__pairs");
	lua_pushboolean(L, 0);
	lua_setfield(L, mt, "__metatable");
	lua_pushboolean(L, 1);
	lua_setfield(L, mt, LUASB_RO_KEY);
	lua_pushvalue(L, mt);
	lua_setmetatable(L, t);
	lua_settop(L, h - 1);
}

void luasb_freeze_table(lua_State *L, int idx)
{
	freeze_as(L, idx, "the table is read-only");
}

/* ---- walking what a file left behind --------------------------------- */

struct walk {
	luasb *sb;
	int seen;   /* table: object -> true, upvalue id -> true */
	int tabs;   /* array of tables to freeze */
	int metas;  /* set of tables used as metatables */
	int snap;   /* the snapshot: fn, value pairs */
	int env;    /* the file's globals (its metatable is ours) */
};

static void walk(lua_State *L, struct walk *w, int idx, int depth);

static void record_upvalue(lua_State *L, struct walk *w, int fn, int i)
{
	luasb *sb = w->sb;

	if (sb->nsnap == sb->snap_cap) {
		size_t cap = sb->snap_cap ? sb->snap_cap * 2 : 16;
		int *v = realloc(sb->snap_idx, cap * sizeof *v);
		if (!v)
			luaL_error(L, "out of memory");
		sb->snap_idx = v;
		sb->snap_cap = cap;
	}
	lua_pushvalue(L, fn);
	lua_rawseti(L, w->snap, (lua_Integer)(2 * sb->nsnap + 1));
	lua_getupvalue(L, fn, i);
	lua_rawseti(L, w->snap, (lua_Integer)(2 * sb->nsnap + 2));
	sb->snap_idx[sb->nsnap++] = i;
}

/* ---- kept functions: address -> id ------------------------------------ */

static size_t fn_slot(const luasb *sb, const void *fn)
{
	uintptr_t h = (uintptr_t)fn;

	h ^= h >> 17;
	h *= (uintptr_t)0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 7) & (sb->fn_cap - 1);
}

static void fn_put(luasb *sb, const void *fn, uint32_t id)
{
	size_t i = fn_slot(sb, fn);

	while (sb->fn_key[i])
		i = (i + 1) & (sb->fn_cap - 1);
	sb->fn_key[i] = fn;
	sb->fn_val[i] = id;
}

/* Anchor the function at f for the sandbox's life and give it an id. */
static void keep_function(lua_State *L, luasb *sb, int f)
{
	const void *fn = lua_topointer(L, f);

	if (2 * (sb->nfn + 1) > sb->fn_cap) {
		size_t cap = sb->fn_cap ? 2 * sb->fn_cap : 64;
		const void **k = calloc(cap, sizeof *k);
		uint32_t *v = calloc(cap, sizeof *v);
		if (!k || !v) {
			free(k);
			free(v);
			luaL_error(L, "out of memory");
		}
		const void **ok = sb->fn_key;
		uint32_t *ov = sb->fn_val;
		size_t ocap = sb->fn_cap;
		sb->fn_key = k;
		sb->fn_val = v;
		sb->fn_cap = cap;
		for (size_t i = 0; i < ocap; i++)
			if (ok[i])
				fn_put(sb, ok[i], ov[i]);
		free(ok);
		free(ov);
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, sb->ref_perm);
	lua_pushvalue(L, f);
	lua_rawseti(L, -2, (lua_Integer)sb->nfn + 1);
	lua_pop(L, 1);
	fn_put(sb, fn, (uint32_t)sb->nfn);
	sb->nfn++;
}

int luasb_fn_id(const luasb *sb, const void *fn)
{
	if (!sb->nfn || !fn)
		return -1;
	for (size_t i = fn_slot(sb, fn);; i = (i + 1) & (sb->fn_cap - 1)) {
		if (sb->fn_key[i] == fn)
			return (int)sb->fn_val[i];
		if (!sb->fn_key[i])
			return -1;
	}
}

bool luasb_fns_pure(const luasb *sb)
{
	return !sb->upvalues_written;
}

static void walk_function(lua_State *L, struct walk *w, int f, int depth)
{
	if (lua_iscfunction(L, f))
		return; /* ours (wrappers, host functions) or Lua's own */
	if (luasb_fn_id(w->sb, lua_topointer(L, f)) < 0)
		keep_function(L, w->sb, f);
	if (!w->sb->upvalues_written && luasb_fn_may_write_upvalues(L, f))
		w->sb->upvalues_written = true;
	for (int i = 1; lua_getupvalue(L, f, i); i++) {
		void *id = lua_upvalueid(L, f, i);
		lua_pushlightuserdata(L, id);
		if (lua_rawget(L, w->seen) == LUA_TNIL) {
			lua_pushlightuserdata(L, id);
			lua_pushboolean(L, 1);
			lua_rawset(L, w->seen);
			record_upvalue(L, w, f, i);
		}
		lua_pop(L, 1);
		walk(L, w, -1, depth + 1);
		lua_pop(L, 1);
	}
}

static void walk(lua_State *L, struct walk *w, int idx, int depth)
{
	int v = lua_absindex(L, idx);
	int type = lua_type(L, v);

	if (type != LUA_TTABLE && type != LUA_TFUNCTION)
		return;
	if (depth > MAX_DEPTH)
		luaL_error(L, "data nested deeper than %d levels", MAX_DEPTH);
	luaL_checkstack(L, 8, "walk");
	lua_pushvalue(L, v);
	if (lua_rawget(L, w->seen) != LUA_TNIL) {
		lua_pop(L, 1);
		return;
	}
	lua_pop(L, 1);
	lua_pushvalue(L, v);
	lua_pushboolean(L, 1);
	lua_rawset(L, w->seen);
	if (type == LUA_TFUNCTION) {
		walk_function(L, w, v, depth);
		return;
	}
	if (luasb_is_frozen(L, v))
		return; /* the libraries, or a table of an earlier file */
	lua_pushvalue(L, v);
	lua_rawseti(L, w->tabs, (lua_Integer)lua_rawlen(L, w->tabs) + 1);
	lua_pushnil(L);
	while (lua_next(L, v)) {
		walk(L, w, -2, depth + 1);
		walk(L, w, -1, depth + 1);
		lua_pop(L, 1);
	}
	if (!lua_rawequal(L, v, w->env) && lua_getmetatable(L, v)) {
		lua_pushvalue(L, -1);
		lua_pushboolean(L, 1);
		lua_rawset(L, w->metas);
		walk(L, w, -1, depth + 1);
		lua_pop(L, 1);
	}
}

void luasb_freeze_reachable(lua_State *L, luasb *sb, int env_idx)
{
	struct walk w = { .sb = sb };
	int top = lua_gettop(L);
	lua_Integer n;

	w.env = lua_absindex(L, env_idx);
	lua_newtable(L);
	w.seen = lua_gettop(L);
	lua_newtable(L);
	w.tabs = lua_gettop(L);
	lua_newtable(L);
	w.metas = lua_gettop(L);
	lua_rawgeti(L, LUA_REGISTRYINDEX, sb->ref_snap);
	w.snap = lua_gettop(L);
	walk(L, &w, w.env, 0);
	lua_rawgeti(L, LUA_REGISTRYINDEX, sb->ref_roots);
	n = (lua_Integer)lua_rawlen(L, -1);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, -1, i);
		walk(L, &w, -1, 0);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	n = (lua_Integer)lua_rawlen(L, w.tabs);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, w.tabs, i);
		lua_pushvalue(L, -1);
		if (lua_rawget(L, w.metas) == LUA_TNIL)
			freeze_as(L, -2, lua_rawequal(L, -2, w.env)
				? "globals are read-only once the file is loaded"
				: "tables of a loaded file are read-only");
		lua_pop(L, 2);
	}
	lua_settop(L, top);
}

void luasb_restore_upvalues(luasb *sb)
{
	lua_State *L = sb->L;

	lua_rawgeti(L, LUA_REGISTRYINDEX, sb->ref_snap);
	for (size_t i = 0; i < sb->nsnap; i++) {
		lua_rawgeti(L, -1, (lua_Integer)(2 * i + 1));
		lua_rawgeti(L, -2, (lua_Integer)(2 * i + 2));
		if (!lua_setupvalue(L, -2, sb->snap_idx[i]))
			lua_pop(L, 1);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}
