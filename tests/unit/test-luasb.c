/* tests/unit/test-luasb.c — the Lua sandbox (lang/luasb.h): every escape
 * attempt we know of is tried and shown harmless (it fails with the right
 * kind and message, costs at most its budget, and the sandbox answers the
 * next call normally), and what must keep working does.
 *
 * Each case is a file whose main chunk hands the function under test to
 * keep(); the test then calls it. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "lang/luasb.h"
#include "tests/unit/tap.h"

static int kept;

static int host_keep(lua_State *L)
{
	luasb *sb = luasb_from(L);

	luaL_checktype(L, 1, LUA_TFUNCTION);
	lua_settop(L, 1);
	kept = luasb_ref(sb);
	return 0;
}

static luasb *mk(uint64_t instr, size_t mem)
{
	char err[256];
	luasb *sb = luasb_new(instr, mem, err, sizeof err);

	if (!sb) {
		tap_diag("luasb_new: %s", err);
		exit(1);
	}
	lua_pushcfunction(luasb_state(sb), host_keep);
	luasb_set_global(sb, "keep");
	return sb;
}

/* Load `src` as t.lua, call what it kept; the result (as text) or the
 * error goes to out. */
static luasb_status run(luasb *sb, const char *src, char *out, size_t n)
{
	lua_State *L = luasb_state(sb);
	luasb_status st;

	kept = 0;
	out[0] = '\0';
	st = luasb_load(sb, "t.lua", src, strlen(src), out, n);
	if (st != LUASB_OK)
		return st;
	if (!kept) {
		snprintf(out, n, "(nothing kept)");
		return LUASB_OK;
	}
	st = luasb_call(sb, kept, 0, out, n);
	if (st == LUASB_OK) {
		if (lua_type(L, -1) == LUA_TBOOLEAN)
			snprintf(out, n, "%s", lua_toboolean(L, -1) ? "true" : "false");
		else if (lua_type(L, -1) == LUA_TNIL)
			snprintf(out, n, "nil");
		else if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER)
			snprintf(out, n, "%s", lua_tostring(L, -1));
		else
			snprintf(out, n, "(%s)", luaL_typename(L, -1));
		lua_pop(L, 1);
	}
	return st;
}

static const char *kind_name(luasb_status s)
{
	static const char *const names[] = { "ok", "instructions", "memory", "blocked", "error" };
	return s < LUASB_NSTATUS ? names[s] : "?";
}

/* The case fails with `kind` and exactly `msg`, the sandbox is fine after. */
static void check(luasb *sb, const char *name, const char *src, luasb_status kind, const char *msg)
{
	char out[512];
	luasb_status st = run(sb, src, out, sizeof out);
	int top = lua_gettop(luasb_state(sb));

	is_str(kind_name(st), kind_name(kind), "%s: kind", name);
	is_str(out, msg, "%s: message", name);
	st = run(sb, "keep(function() return ('ok'):upper() .. #string.rep('ab', 3) end)", out, sizeof out);
	ok(st == LUASB_OK && strcmp(out, "OK6") == 0, "%s: sandbox still answers (%s)", name, out);
	is_int(lua_gettop(luasb_state(sb)), top, "%s: stack balanced", name);
}

static void escapes(void)
{
	luasb *sb = mk(0, 0);

	/* the libraries that reach outside are not there, and saying so is a
	 * "blocked" failure, not a silent nil */
	check(sb, "os.execute", "keep(function()\n return os.execute('touch /tmp/pwned')\nend)",
		LUASB_FAIL_BLOCKED, "t.lua:2: 'os' is not available in the sandbox");
	check(sb, "io.open", "keep(function() return io.open('/etc/passwd') end)",
		LUASB_FAIL_BLOCKED, "t.lua:1: 'io' is not available in the sandbox");
	check(sb, "require", "keep(function() return require('os') end)",
		LUASB_FAIL_BLOCKED, "t.lua:1: 'require' is not available in the sandbox");
	check(sb, "load", "keep(function() return load('return 1') end)",
		LUASB_FAIL_BLOCKED, "t.lua:1: 'load' is not available in the sandbox");
	check(sb, "dofile", "keep(function() return dofile('/etc/passwd') end)",
		LUASB_FAIL_BLOCKED, "t.lua:1: 'dofile' is not available in the sandbox");
	check(sb, "collectgarbage", "keep(function() return collectgarbage('count') end)",
		LUASB_FAIL_BLOCKED, "t.lua:1: 'collectgarbage' is not available in the sandbox");
	check(sb, "string.dump", "keep(function() return string.dump(print) end)",
		LUASB_FAIL_BLOCKED, "t.lua:1: string.dump is not available in the sandbox");
	check(sb, "debug.getregistry", "keep(function() return debug.getregistry() end)",
		LUASB_FAIL_BLOCKED, "t.lua:1: 'debug' is not available in the sandbox");
	check(sb, "package.loaded", "keep(function() return package.loaded.os end)",
		LUASB_FAIL_BLOCKED, "t.lua:1: 'package' is not available in the sandbox");
	check(sb, "_G", "keep(function() return _G end)",
		LUASB_FAIL_BLOCKED, "t.lua:1: '_G' is not available in the sandbox");
	check(sb, "coroutine.wrap",
		"keep(function() return coroutine.wrap(function() while true do end end)() end)",
		LUASB_FAIL_BLOCKED, "t.lua:1: 'coroutine' is not available in the sandbox");
	check(sb, "math.random", "keep(function() return math.random(6) end)",
		LUASB_FAIL_BLOCKED, "t.lua:1: math.random is not available in the sandbox");
	/* a blocked error cannot be caught and ignored */
	check(sb, "pcall(load)", "keep(function() pcall(load, 'x=1') return 'survived' end)",
		LUASB_FAIL_BLOCKED, "t.lua:1: 'load' is not available in the sandbox");
	/* a finalizer would run with hooks off, where no budget holds */
	check(sb, "__gc", "keep(function()\n setmetatable({}, {__gc = function() while true do end end})\nend)",
		LUASB_FAIL_BLOCKED, "t.lua:2: a __gc metamethod is not available in the sandbox");

	/* __gc added to a metatable after setmetatable never runs (Lua marks
	 * objects for finalization at setmetatable only): freeing this
	 * sandbox below would hang otherwise */
	check(sb, "late __gc", "keep(function()\n local mt = {}\n local t = setmetatable({}, mt)\n"
		" mt.__gc = function() while true do end end\n return 'set'\nend)", LUASB_OK, "set");
	check(sb, "recursive __index", "keep(function()\n local t = setmetatable({}, {})\n"
		" getmetatable(t).__index = function(t, k) return t[k] end\n return t.x\nend)",
		LUASB_FAIL_ERROR, "t.lua:3: C stack overflow");

	/* bytecode never loads, whatever its content */
	{
		char out[256];
		luasb_status st = luasb_load(sb, "b.lua", "\x1bLua\x54\x00garbage", 13, out, sizeof out);
		is_str(kind_name(st), "error", "binary chunk: refused");
		is_str(out, "b.lua:1: attempt to load a binary chunk (mode is 't')", "binary chunk: message");
	}

	/* the shared string metatable: out of reach, and strings keep working */
	check(sb, "getmetatable('')", "keep(function() return getmetatable('') end)",
		LUASB_OK, "false");
	check(sb, "getmetatable('').__index", "keep(function() getmetatable('').__index = {} end)",
		LUASB_FAIL_ERROR, "t.lua:1: attempt to index a boolean value");
	check(sb, "setmetatable('')", "keep(function() setmetatable('', {}) end)",
		LUASB_FAIL_ERROR, "t.lua:1: bad argument #1 to 'setmetatable' (table expected, got string)");
	check(sb, "string.upper =", "keep(function() string.upper = function() return 'pwned' end end)",
		LUASB_FAIL_ERROR, "t.lua:1: cannot assign 'upper': the table is read-only");
	check(sb, "rawset(string)", "keep(function() rawset(string, 'upper', print) end)",
		LUASB_FAIL_ERROR, "t.lua:1: cannot modify a read-only table");
	check(sb, "rawset(_ENV)", "keep(function() rawset(_ENV, 'os', {}) end)",
		LUASB_FAIL_ERROR, "t.lua:1: cannot modify a read-only table");
	check(sb, "setmetatable(_ENV)", "keep(function() setmetatable(_ENV, nil) end)",
		LUASB_FAIL_ERROR, "t.lua:1: cannot change a protected metatable");
	check(sb, "table.insert(math)", "keep(function() table.insert(math, 1) end)",
		LUASB_FAIL_ERROR, "t.lua:1: cannot assign to a field: the table is read-only");
	check(sb, "string = at load", "string = {}",
		LUASB_FAIL_ERROR, "t.lua:1: cannot redefine the built-in global 'string'");
	check(sb, "pairs(string)",
		"keep(function() local n = 0 for k, v in pairs(string) do n = n + 1 end return n end)",
		LUASB_OK, "14"); /* 13 allowed functions + the dump stub */
	luasb_free(sb);
}

static void budgets(void)
{
	luasb *sb = mk(100000, 1024 * 1024);
	char out[512];
	luasb_status st;

	check(sb, "infinite loop", "keep(function()\n  while true do end\nend)",
		LUASB_FAIL_INSTR, "t.lua:2: instruction budget exceeded (100000 instructions)");
	ok(luasb_last_cost(sb) <= 100000 + 1000, "infinite loop costs its budget (%llu)",
		(unsigned long long)luasb_last_cost(sb));
	check(sb, "loop in pcall",
		"keep(function()\n while true do pcall(function() while true do end end) end\nend)",
		LUASB_FAIL_INSTR, "t.lua:2: instruction budget exceeded (100000 instructions)");
	check(sb, "pcall swallows",
		"keep(function()\n local ok = pcall(function()\n while true do end\n end)\n return 'survived'\nend)",
		LUASB_FAIL_INSTR, "t.lua:3: instruction budget exceeded (100000 instructions)");
	check(sb, "xpcall handler",
		"keep(function()\n return xpcall(function() while true do end end,\n function() return 'caught' end)\nend)",
		LUASB_FAIL_INSTR, "t.lua:2: instruction budget exceeded (100000 instructions)");
	check(sb, "to-be-closed", "keep(function()\n"
		" local x <close> = setmetatable({}, {__close = function() while true do end end})\n"
		" while true do end\nend)",
		LUASB_FAIL_INSTR, "t.lua:3: instruction budget exceeded (100000 instructions)");
	/* C functions do work the hook cannot see: they are charged */
	check(sb, "sort loop", "local t = {}\nfor i = 1, 2000 do t[i] = -i end\n"
		"keep(function()\n local u = {table.unpack(t, 1, 200)}\n while true do table.sort(u) table.sort(u, function(a, b) return a > b end) end\nend)",
		LUASB_FAIL_INSTR, "t.lua:5: instruction budget exceeded (100000 instructions)");
	check(sb, "pattern backtracking",
		"keep(function()\n return string.find(string.rep('a', 4000), '.-.-.-.-.-.-b')\nend)",
		LUASB_FAIL_INSTR, "t.lua:2: instruction budget exceeded (100000 instructions)");
	check(sb, "string churn", "keep(function()\n while true do local s = string.rep('x', 8000) end\nend)",
		LUASB_FAIL_INSTR, "t.lua:2: instruction budget exceeded (100000 instructions)");
	check(sb, "unpack too many", "keep(function()\n local t = {} for i = 1, 300 do t[i] = i end\n return select('#', table.unpack(t))\nend)",
		LUASB_FAIL_ERROR, "t.lua:3: too many results (256 at most)");
	check(sb, "byte too many", "keep(function() return string.byte(string.rep('a', 300), 1, -1) end)",
		LUASB_FAIL_ERROR, "t.lua:1: too many results (256 at most)");
	check(sb, "byte 256", "keep(function() return select('#', string.byte(string.rep('a', 300), -256, -1)) end)",
		LUASB_OK, "256");
	check(sb, "insert appends cheaply", "keep(function()\n local t = {}\n"
		" for i = 1, 5000 do table.insert(t, i) end\n return #t\nend)",
		LUASB_OK, "5000");
	luasb_free(sb);

	/* memory: a generous instruction budget so that memory runs out first */
	sb = mk(100000000, 1024 * 1024);
	check(sb, "string.rep bomb", "keep(function()\n return string.rep('x', 1e9)\nend)",
		LUASB_FAIL_MEMORY, "t.lua:1: memory budget exceeded (1024 KiB)");
	check(sb, "long string", "keep(function()\n return string.rep('x', 10000)\nend)",
		LUASB_FAIL_MEMORY, "t.lua:1: string longer than 8192 bytes");
	check(sb, "doubling", "keep(function()\n local s = 'x' while true do s = s .. s end\nend)",
		LUASB_FAIL_MEMORY, "t.lua:1: string longer than 8192 bytes");
	check(sb, "table growth", "keep(function()\n local t = {} for i = 1, 1e8 do t[i] = i end\nend)",
		LUASB_FAIL_MEMORY, "t.lua:1: memory budget exceeded (1024 KiB)");
	check(sb, "tables of tables", "keep(function()\n local t = {} while true do t = {t, {}, {}} end\nend)",
		LUASB_FAIL_MEMORY, "t.lua:1: memory budget exceeded (1024 KiB)");
	check(sb, "pcall(bomb)", "keep(function()\n for i = 1, 1000 do pcall(string.rep, 'x', 1e9) end\n return 'survived'\nend)",
		LUASB_FAIL_MEMORY, "t.lua:1: memory budget exceeded (1024 KiB)");
	st = run(sb, "keep(function() local f f = function(n) return f(n + 1) + 1 end return f(1) end)", out, sizeof out);
	ok(st == LUASB_FAIL_MEMORY || st == LUASB_FAIL_ERROR, "deep recursion fails (%s: %s)", kind_name(st), out);
	ok(luasb_mem_used(sb) <= 1024 * 1024, "memory stays within the budget (%zu)", luasb_mem_used(sb));
	check(sb, "after recursion", "keep(function() return 1 end)", LUASB_OK, "1");
	is_int(luasb_failures(sb, LUASB_FAIL_MEMORY), 6 + (st == LUASB_FAIL_MEMORY), "memory failures counted");
	luasb_free(sb);

	{
		char err[256];
		ok(luasb_new(0, 1024, err, sizeof err) == NULL, "a 1 KiB budget cannot hold the libraries");
		is_str(err, "Lua memory budget of 1024 bytes is too small", "... and says so");
	}
}

static void errors(void)
{
	luasb *sb = mk(0, 0);

	check(sb, "error({})", "keep(function()\n error({code = 1})\nend)",
		LUASB_FAIL_ERROR, "t.lua:2: error object is a table value");
	check(sb, "error(nil)", "keep(function() error() end)",
		LUASB_FAIL_ERROR, "t.lua:1: error object is a nil value");
	check(sb, "error with __tostring",
		"keep(function() error(setmetatable({}, {__tostring = function() while true do end end})) end)",
		LUASB_FAIL_ERROR, "t.lua:1: error object is a table value");
	check(sb, "error('x')", "keep(function()\n\n error('boom')\nend)",
		LUASB_FAIL_ERROR, "t.lua:3: boom");
	check(sb, "error('x', 0)", "keep(function()\n error('boom', 0)\nend)",
		LUASB_FAIL_ERROR, "t.lua:2: boom");
	check(sb, "error(42)", "keep(function() error(42) end)",
		LUASB_FAIL_ERROR, "t.lua:1: 42");
	check(sb, "runtime", "keep(function()\n local t = nil\n return t.x\nend)",
		LUASB_FAIL_ERROR, "t.lua:3: attempt to index a nil value (local 't')");
	check(sb, "syntax", "x = = 1", LUASB_FAIL_ERROR, "t.lua:1: unexpected symbol near '='");
	check(sb, "undefined global", "keep(function()\n return nosuchthing + 1\nend)",
		LUASB_FAIL_ERROR, "t.lua:2: undefined global 'nosuchthing'");
	check(sb, "error in main chunk", "\n\nerror('at load')", LUASB_FAIL_ERROR, "t.lua:3: at load");
	check(sb, "print is harmless", "keep(function() print('hello', {}) return 'quiet' end)",
		LUASB_OK, "quiet");
	ok(luasb_failures(sb, LUASB_FAIL_ERROR) == 10, "errors counted (%llu)",
		(unsigned long long)luasb_failures(sb, LUASB_FAIL_ERROR));
	luasb_free(sb);
}

static luasb_status load(luasb *sb, const char *name, const char *src, char *out)
{
	kept = 0;
	return luasb_load(sb, name, src, strlen(src), out, 256);
}

static void no_state_survives(void)
{
	luasb *sb = mk(0, 0);
	lua_State *L = luasb_state(sb);
	char out[256];
	int f;

	/* globals may be defined while the file loads, not during calls */
	check(sb, "load-time helper", "function helper(x) return x * 2 end\nkeep(function() return helper(21) end)",
		LUASB_OK, "42");
	check(sb, "global write in call", "keep(function()\n counter = 1\nend)",
		LUASB_FAIL_ERROR, "t.lua:2: cannot assign 'counter': globals are read-only once the file is loaded");
	check(sb, "loaded table", "local t = {count = 0}\nkeep(function()\n t.count = t.count + 1\n return t.count\nend)",
		LUASB_FAIL_ERROR, "t.lua:3: cannot assign 'count': tables of a loaded file are read-only");
	check(sb, "reading loaded tables",
		"local t = {1, 2, 3, k = {x = 4}}\nkeep(function()\n local s = 0\n"
		" for _, v in ipairs(t) do s = s + v end\n for k, v in pairs(t) do if type(v) == 'number' then s = s + v end end\n"
		" return s + #t + t.k.x\nend)",
		LUASB_OK, "19"); /* 6 + 6 + 3 + 4 */
	check(sb, "local tables are free", "keep(function() local t = {} t.x = 1 t[#t + 1] = 2 return t.x + t[1] end)",
		LUASB_OK, "3");

	/* an upvalue is put back after every call */
	ok(load(sb, "u.lua", "local n = 0\nkeep(function() n = n + 1 return n end)", out) == LUASB_OK,
		"upvalue file loads (%s)", out);
	f = kept;
	ok(luasb_call(sb, f, 0, out, sizeof out) == LUASB_OK && lua_tointeger(L, -1) == 1, "first call sees n = 1");
	lua_pop(L, 1);
	ok(luasb_call(sb, f, 0, out, sizeof out) == LUASB_OK && lua_tointeger(L, -1) == 1, "second call sees n = 1 again");
	lua_pop(L, 1);

	/* ... also when a closure made during the call writes it */
	ok(load(sb, "w.lua", "local n = 0\nkeep(function() local function inc() n = n + 1 end inc() return n end)", out) == LUASB_OK,
		"nested writer loads (%s)", out);
	f = kept;
	ok(luasb_call(sb, f, 0, out, sizeof out) == LUASB_OK && lua_tointeger(L, -1) == 1, "nested: first call sees n = 1");
	lua_pop(L, 1);
	ok(luasb_call(sb, f, 0, out, sizeof out) == LUASB_OK && lua_tointeger(L, -1) == 1, "nested: second call sees n = 1 again");
	lua_pop(L, 1);

	/* _ENV is an upvalue too: a call that wipes it does not break the next */
	ok(load(sb, "e.lua", "keep(function() _ENV = nil end)", out) == LUASB_OK,
		"env file loads (%s)", out);
	f = kept;
	ok(luasb_call(sb, f, 0, out, sizeof out) == LUASB_OK, "wiping _ENV runs");
	lua_pop(L, 1);
	check(sb, "arguments", "keep(function(...) return select('#', ...) end)", LUASB_OK, "0");

	/* the host passes arguments and gets one result */
	ok(load(sb, "a.lua", "keep(function(a, b) return a .. '/' .. b end)", out) == LUASB_OK, "args file loads");
	lua_pushstring(L, "x");
	lua_pushinteger(L, 7);
	ok(luasb_call(sb, kept, 2, out, sizeof out) == LUASB_OK, "call with 2 args");
	is_str(lua_tostring(L, -1), "x/7", "... result");
	lua_pop(L, 1);
	is_int(lua_gettop(L), 1, "stack holds only the sandbox's message handler");
	luasb_free(sb);
}

/* Mutations of a valid file (bytes flipped, cut, duplicated), loaded and
 * called: whatever they say, the sandbox neither crashes nor leaks stack
 * slots, and answers a sound call after. */
static void mutations(void)
{
	static const char base[] =
		"local t = {1, 2, 3}\n"
		"local function f(x) return x * 2 end\n"
		"keep(function(a)\n"
		"  local s = 0\n"
		"  for i, v in ipairs(t) do s = s + f(v) end\n"
		"  return string.format('%d:%s', s, tostring(a))\n"
		"end)\n";
	static const char junk[] = "(){}[]=.,:;'\"\\\n -+*/%^#~<>0123456789xyzlocalfunctionendwhiledoreturn\x1b\xff";
	luasb *sb = mk(20000, 256 * 1024);
	lua_State *L = luasb_state(sb);
	uint64_t r = 42;
	int loaded = 0, called = 0, balanced = 1;
	char src[sizeof base * 2], out[256];

	for (int k = 0; k < 2000; k++) {
		size_t n = sizeof base - 1;
		memcpy(src, base, n);
		for (int m = 0; m < 1 + (int)(r % 4); m++) {
			r ^= r << 13; r ^= r >> 7; r ^= r << 17;
			size_t at = (size_t)(r >> 8) % n;
			switch (r % 3) {
			case 0: src[at] = junk[(r >> 20) % (sizeof junk - 1)]; break;
			case 1: n = at + 1; break;
			case 2:
				if (n + 8 < sizeof src) {
					memmove(src + at + 8, src + at, n - at);
					n += 8;
				}
				break;
			}
		}
		int top = lua_gettop(L);
		kept = 0;
		if (luasb_load(sb, "m.lua", src, n, out, sizeof out) == LUASB_OK) {
			loaded++;
			if (kept) {
				lua_pushinteger(L, k);
				if (luasb_call(sb, kept, 1, out, sizeof out) == LUASB_OK) {
					called++;
					lua_pop(L, 1);
				}
			}
		}
		if (lua_gettop(L) != top)
			balanced = 0;
	}
	ok(balanced, "2,000 mutated files: stack balanced (%d loaded, %d calls answered)", loaded, called);
	check(sb, "after mutations", "keep(function() return 'fine' end)", LUASB_OK, "fine");
	ok(luasb_mem_used(sb) <= 256 * 1024, "within its memory budget");
	luasb_free(sb);
}

int main(void)
{
	escapes();
	budgets();
	errors();
	no_state_survives();
	mutations();
	return tap_done();
}
