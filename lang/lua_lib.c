/* lang/lua_lib.c — what a sandboxed script may call: the allow-list of the
 * base, string, table, math and utf8 libraries (opened one by one with
 * luaL_requiref, never luaL_openlibs), the wrappers that keep the
 * budgets honest, and the lock on the shared string metatable.
 *
 * Why the wrappers: the count hook sees VM instructions, not the work a C
 * function does inside one (table.sort of 500,000 elements, a pattern
 * that backtracks, a scan of a long string), and pcall would otherwise let
 * a script swallow a budget error and go on. Everything not listed here
 * does not exist for scripts; names withheld on purpose raise "blocked"
 * (luasb.c, base_miss). Budget bookkeeping itself is luasb.c's. */
#include "config.h"

#include <math.h>
#include <string.h>

#include <lualib.h>

#include "lang/lua_int.h"

/* Results one call may spread on the stack (table.unpack, string.byte,
 * utf8.codepoint): a vararg of that size is copied by a single VM
 * instruction, so it must stay small. */
#define MAX_RESULTS 256

/* ---- base ---------------------------------------------------------------- */

/* A failure the script must not survive. */
static bool sticky(luasb *sb)
{
	return sb->instr_tripped || sb->mem_tripped || sb->blocked_tripped;
}

/* pcall without continuations: the sandbox has no coroutines, so nothing
 * yields across it. A budget or blocked error is raised again. */
static int sb_pcall(lua_State *L)
{
	luasb *sb = luasb_from(L);
	int st;

	luaL_checkany(L, 1);
	st = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
	if (st != LUA_OK) {
		if (st == LUA_ERRMEM)
			sb->mem_tripped = true;
		if (sticky(sb))
			return lua_error(L);
		lua_pushboolean(L, 0);
		lua_insert(L, -2);
		return 2;
	}
	lua_pushboolean(L, 1);
	lua_insert(L, 1);
	return lua_gettop(L);
}

static int sb_xpcall(lua_State *L)
{
	luasb *sb = luasb_from(L);
	int n = lua_gettop(L);
	int st;

	luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_pushvalue(L, 1);      /* f, h, args..., f */
	lua_rotate(L, 3, 1);      /* f, h, f, args... */
	st = lua_pcall(L, n - 2, LUA_MULTRET, 2);
	if (st != LUA_OK) {
		if (st == LUA_ERRMEM)
			sb->mem_tripped = true;
		if (sticky(sb))
			return lua_error(L);
		lua_pushboolean(L, 0);
		lua_insert(L, -2);
		return 2;
	}
	lua_pushboolean(L, 1);
	lua_replace(L, 2);        /* f, true, results... */
	return lua_gettop(L) - 1;
}

/* __gc would run script code during a collection, where hooks are off:
 * an endless finalizer would hang the daemon at the next GC or at close. */
static int sb_setmetatable(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TTABLE) {
		/* raw, as Lua itself looks for __gc (and no script code runs) */
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luasb_blocked(L, "a __gc metamethod");
		lua_pop(L, 1);
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	return 1;
}

static int sb_rawset(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	if (luasb_is_frozen(L, 1))
		return luaL_error(L, "cannot modify a read-only table");
	luaL_checkany(L, 2);
	luaL_checkany(L, 3);
	lua_settop(L, 3);
	lua_rawset(L, 1);
	return 1;
}

/* Scripts may leave print() calls in; they do nothing (no I/O here). */
static int sb_print(lua_State *L)
{
	(void)L;
	return 0;
}

static int sb_withheld(lua_State *L)
{
	return luasb_blocked(L, lua_tostring(L, lua_upvalueindex(1)));
}

/* ---- costs of library functions --------------------------------------- */

enum cost_kind {
	C_SCAN,      /* linear in the strings it is given */
	C_PATTERN,   /* find match gmatch gsub */
	C_BYTE,      /* string.byte, utf8.codepoint: results i..j */
	C_TLEN,      /* insert remove: the table's length */
	C_CONCAT,    /* table.concat(t, sep, i, j) */
	C_UNPACK,    /* table.unpack(t, i, j) */
	C_MOVE,      /* table.move(a, f, e, ...) */
	C_SORT,      /* n log n */
};

static uint64_t scan_cost(lua_State *L)
{
	uint64_t bytes = 0;

	for (int i = 1; i <= lua_gettop(L); i++)
		if (lua_type(L, i) == LUA_TSTRING)
			bytes += lua_rawlen(L, i);
	return bytes / LUASB_BYTES_PER_INSTR;
}

/* An upper bound on the steps of Lua's backtracking matcher: each pattern
 * item with a quantifier may retry at every subject position, so the work
 * is up to (n+1)^q per start position, times (n+1) start positions when
 * the pattern is not anchored. Overestimates, never underestimates by
 * more than a constant. */
static double pattern_bound(const char *p, size_t lp, size_t n)
{
	size_t i = 0;
	int q = 0;
	bool prev_single = false;
	double per, bound;

	if (lp && p[0] == '^')
		i = 1;
	for (; i < lp; i++) {
		char c = p[i];
		if (c == '%') {
			if (i + 1 < lp && p[i + 1] == 'b') {
				q++; /* %bxy scans forward from every start */
				i += 3;
				prev_single = false;
				continue;
			}
			if (i + 1 < lp && p[i + 1] == 'f') {
				i++; /* its [set] follows */
				prev_single = false;
				continue;
			}
			i++;
			prev_single = true;
		} else if (c == '[') {
			i++;
			if (i < lp && p[i] == '^')
				i++;
			if (i < lp && p[i] == ']')
				i++;
			while (i < lp && p[i] != ']') {
				if (p[i] == '%')
					i++;
				i++;
			}
			prev_single = true;
		} else if ((c == '*' || c == '+' || c == '-' || c == '?') && prev_single) {
			q++;
			prev_single = false;
		} else if (c == '(' || c == ')') {
			prev_single = false;
		} else {
			prev_single = true;
		}
	}
	per = (double)(lp + 1);
	for (int k = 0; k < q && per < 1e18; k++)
		per *= (double)(n + 1);
	bound = (lp && p[0] == '^') ? per : per * (double)(n + 1);
	return bound;
}

static uint64_t len_arg(lua_State *L, int idx)
{
	lua_Integer n;

	if (lua_type(L, idx) != LUA_TTABLE)
		return 0;
	n = luaL_len(L, idx);
	return n > 0 ? (uint64_t)n : 0;
}

static uint64_t range(lua_State *L, int i_idx, lua_Integer i_def, int j_idx, lua_Integer j_def)
{
	lua_Integer i = luaL_optinteger(L, i_idx, i_def);
	lua_Integer j = luaL_optinteger(L, j_idx, j_def);

	if (i > j)
		return 0;
	if (i < 0 && j >= 0 && j - LUA_MAXINTEGER > i) /* would overflow */
		return UINT64_MAX;
	return (uint64_t)(j - i) + 1;
}

static int sb_costed(lua_State *L)
{
	enum cost_kind kind = (enum cost_kind)lua_tointeger(L, lua_upvalueindex(2));
	uint64_t cost = 0, results = 0;

	switch (kind) {
	case C_SCAN:
		cost = scan_cost(L);
		break;
	case C_PATTERN: {
		size_t n, lp;
		const char *p;

		luaL_checklstring(L, 1, &n);
		p = luaL_checklstring(L, 2, &lp);
		cost = scan_cost(L);
		/* string.find(s, p, init, true) is a plain search: scan cost only */
		if (!(lua_toboolean(L, lua_upvalueindex(3)) && lua_toboolean(L, 4))) {
			double b = pattern_bound(p, lp, n) / 4;
			cost += b >= 1e18 ? (uint64_t)1e18 : (uint64_t)b;
		}
		break;
	}
	case C_BYTE: {
		/* positions as string.byte reads them: negative from the end */
		size_t n;
		lua_Integer i, j;

		luaL_checklstring(L, 1, &n);
		i = luaL_optinteger(L, 2, 1);
		j = luaL_optinteger(L, 3, i);
		if (i < 0)
			i = (lua_Integer)n + i + 1 < 1 ? 1 : (lua_Integer)n + i + 1;
		if (j < 0)
			j = (lua_Integer)n + j + 1;
		if (j > (lua_Integer)n)
			j = (lua_Integer)n;
		results = cost = i > 0 && j >= i ? (uint64_t)(j - i) + 1 : 0;
		break;
	}
	case C_TLEN: {
		/* insert(t, v) and remove(t) touch one element; with a position
		 * they shift the rest */
		uint64_t n = len_arg(L, 1);
		lua_Integer pos = lua_type(L, 2) == LUA_TNUMBER ? lua_tointeger(L, 2) : 0;
		bool positional = lua_toboolean(L, lua_upvalueindex(3))
			? lua_gettop(L) >= 3 : lua_gettop(L) >= 2;
		cost = 1;
		if (positional && pos >= 1 && (uint64_t)pos <= n)
			cost += n - (uint64_t)pos + 1;
		break;
	}
	case C_CONCAT:
		cost = lua_type(L, 1) == LUA_TTABLE ? range(L, 3, 1, 4, (lua_Integer)len_arg(L, 1)) : 0;
		break;
	case C_UNPACK:
		cost = results = lua_type(L, 1) == LUA_TTABLE
			? range(L, 2, 1, 3, (lua_Integer)len_arg(L, 1)) : 0;
		break;
	case C_MOVE:
		cost = range(L, 2, 1, 3, 0);
		break;
	case C_SORT: {
		/* n log2 n comparisons, each about four instructions' work (C compares and swaps through the API) */
		uint64_t n = len_arg(L, 1);
		cost = n;
		for (uint64_t m = n; m > 1; m >>= 1)
			cost += 4 * n;
		break;
	}
	}
	if (results > MAX_RESULTS)
		return luaL_error(L, "too many results (%d at most)", MAX_RESULTS);
	if (cost)
		luasb_charge(L, cost);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

/* ---- opening ------------------------------------------------------------- */

struct allowed {
	const char *name;
	int cost;      /* enum cost_kind, or -1: call the original directly */
};

/* Copy the allowed functions of the library at `lib` into a new table
 * (left on the stack), each wrapped with its cost where it has one. */
static void copy_allowed(lua_State *L, int lib, const struct allowed *list)
{
	lua_newtable(L);
	for (const struct allowed *a = list; a->name; a++) {
		if (lua_getfield(L, lib, a->name) == LUA_TNIL)
			luaL_error(L, "Lua library lacks %s", a->name);
		if (a->cost >= 0) {
			lua_pushinteger(L, a->cost);
			/* a flag for the cost: find takes `plain`, insert's
			 * position is its 2nd of 3 arguments */
			lua_pushboolean(L, strcmp(a->name, "find") == 0 || strcmp(a->name, "insert") == 0);
			lua_pushcclosure(L, sb_costed, 3);
		}
		lua_setfield(L, -2, a->name);
	}
}

static void withhold(lua_State *L, int t, const char *field, const char *shown)
{
	lua_pushstring(L, shown);
	lua_pushcclosure(L, sb_withheld, 1);
	lua_setfield(L, t, field);
}

void luasb_open_libs(lua_State *L, luasb *sb)
{
	static const struct allowed base[] = {
		{ "assert", -1 }, { "error", -1 }, { "getmetatable", -1 },
		{ "ipairs", -1 }, { "next", -1 }, { "pairs", -1 },
		{ "rawequal", -1 }, { "rawget", -1 }, { "rawlen", -1 },
		{ "select", -1 }, { "tonumber", C_SCAN }, { "tostring", -1 },
		{ "type", -1 }, { NULL, 0 },
	};
	static const struct allowed string[] = {
		{ "byte", C_BYTE }, { "char", -1 }, { "find", C_PATTERN },
		{ "format", C_SCAN }, { "gmatch", C_PATTERN }, { "gsub", C_PATTERN },
		{ "len", -1 }, { "lower", C_SCAN }, { "match", C_PATTERN },
		{ "rep", C_SCAN }, { "reverse", C_SCAN }, { "sub", C_SCAN },
		{ "upper", C_SCAN }, { NULL, 0 },
	};
	static const struct allowed table[] = {
		{ "concat", C_CONCAT }, { "insert", C_TLEN }, { "move", C_MOVE },
		{ "pack", -1 }, { "remove", C_TLEN }, { "sort", C_SORT },
		{ "unpack", C_UNPACK }, { NULL, 0 },
	};
	static const struct allowed math[] = {
		{ "abs", -1 }, { "ceil", -1 }, { "floor", -1 }, { "fmod", -1 },
		{ "huge", -1 }, { "max", -1 }, { "maxinteger", -1 }, { "min", -1 },
		{ "mininteger", -1 }, { "modf", -1 }, { "pi", -1 }, { "sqrt", -1 },
		{ "tointeger", -1 }, { "type", -1 }, { "ult", -1 }, { "exp", -1 },
		{ "log", -1 }, { "sin", -1 }, { "cos", -1 }, { "tan", -1 },
		{ "asin", -1 }, { "acos", -1 }, { "atan", -1 }, { NULL, 0 },
	};
	static const struct allowed utf8[] = {
		{ "char", -1 }, { "charpattern", -1 }, { "codes", C_SCAN },
		{ "codepoint", C_BYTE }, { "len", C_SCAN }, { "offset", C_SCAN },
		{ NULL, 0 },
	};
	int R = lua_gettop(L);
	int lib;

	(void)sb;
	/* base: Lua opens it into the state's global table, which no script
	 * ever sees; R gets copies of the allowed entries */
	luaL_requiref(L, LUA_GNAME, luaopen_base, 0);
	lib = lua_gettop(L);
	copy_allowed(L, lib, base);
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, R);
	}
	lua_pop(L, 1);
	lua_getfield(L, lib, "_VERSION");
	lua_setfield(L, R, "_VERSION");
	lua_pushcfunction(L, sb_pcall);
	lua_setfield(L, R, "pcall");
	lua_pushcfunction(L, sb_xpcall);
	lua_setfield(L, R, "xpcall");
	lua_getfield(L, lib, "setmetatable");
	lua_pushcclosure(L, sb_setmetatable, 1);
	lua_setfield(L, R, "setmetatable");
	lua_pushcfunction(L, sb_rawset);
	lua_setfield(L, R, "rawset");
	lua_pushcfunction(L, sb_print);
	lua_setfield(L, R, "print");
	lua_settop(L, R);

	/* string: the copy is also what the string metatable's __index finds,
	 * so ("x"):rep(n) goes through the same wrappers */
	luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 0);
	lib = lua_gettop(L);
	copy_allowed(L, lib, string);
	withhold(L, lua_gettop(L), "dump", "string.dump");
	luasb_freeze_table(L, -1);
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_getmetatable(L, -3);          /* the frozen copy's metatable */
	lua_getfield(L, -1, "__index");   /* its hidden contents */
	lua_setfield(L, -3, "__index");
	lua_pop(L, 1);
	/* getmetatable("") gives false: the shared metatable stays out of reach */
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 2);
	lua_setfield(L, R, LUA_STRLIBNAME);
	lua_settop(L, R);

	luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 0);
	lib = lua_gettop(L);
	copy_allowed(L, lib, table);
	luasb_freeze_table(L, -1);
	lua_setfield(L, R, LUA_TABLIBNAME);
	lua_settop(L, R);

	/* math.random keeps a seed in the state: shared between requests and
	 * not reproducible, so rules may not use it */
	luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 0);
	lib = lua_gettop(L);
	copy_allowed(L, lib, math);
	withhold(L, lua_gettop(L), "random", "math.random");
	withhold(L, lua_gettop(L), "randomseed", "math.randomseed");
	luasb_freeze_table(L, -1);
	lua_setfield(L, R, LUA_MATHLIBNAME);
	lua_settop(L, R);

	luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 0);
	lib = lua_gettop(L);
	copy_allowed(L, lib, utf8);
	luasb_freeze_table(L, -1);
	lua_setfield(L, R, LUA_UTF8LIBNAME);
	lua_settop(L, R);

	/* luaL_requiref left the libraries in package.loaded, i.e. in the
	 * registry, where scripts cannot reach. */
}
