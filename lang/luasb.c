/* lang/luasb.c — the sandbox's state and budgets: the counting allocator,
 * the instruction hook, loading a file and calling into it with a message
 * handler that names file and line, and the failure counters.
 *
 * Which library functions exist is lua_lib.c's business; making data
 * read-only is lua_freeze.c's. Nothing here knows about rules. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lua_int.h"

/* How often the count hook runs. Lua pays the hook's dispatch cost on every
 * instruction whatever the period; a period keeps our own work rare. */
#define HOOK_PERIOD 1000

/* ---- memory ------------------------------------------------------------ */

/* lua_Alloc: frees always succeed; growth past the budget is refused (Lua
 * then collects garbage once and retries, and raises "not enough memory"
 * if it is still refused). New strings longer than the cap are refused
 * too: Lua tells the allocator the type of a new object in `osize`. */
static void *sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	luasb *sb = ud;
	size_t old = ptr ? osize : 0;
	void *p;

	if (nsize == 0) {
		free(ptr);
		sb->mem_used -= old;
		return NULL;
	}
	if (!ptr && osize == LUA_TSTRING && nsize > LUASB_MAX_STRING + 64) {
		sb->strcap_hit = true;
		return NULL;
	}
	if (nsize > old && nsize - old > sb->mem_budget - sb->mem_used) {
		sb->mem_hit = true;
		return NULL;
	}
	p = realloc(ptr, nsize);
	if (!p) {
		if (nsize <= old)
			return ptr; /* Lua assumes shrinking never fails */
		return NULL;
	}
	sb->mem_used = sb->mem_used - old + nsize;
	/* Work done inside C functions (string.rep, table growth) is invisible
	 * to the count hook: charge the bytes. The hook raises on its next run;
	 * we may not raise from inside the allocator. */
	if (sb->in_call && nsize > old) {
		sb->debt += (nsize - old) / LUASB_ALLOC_BYTES_PER_INSTR;
		if (!sb->instr_tripped && sb->instr_used + sb->debt >= sb->instr_budget) {
			sb->instr_tripped = true;
			lua_sethook(sb->L, lua_gethook(sb->L), LUA_MASKCOUNT, 1);
		}
	}
	return p;
}

/* ---- instructions ------------------------------------------------------ */

static void note_where(lua_State *L, luasb *sb)
{
	lua_Debug ar;

	if (sb->trip_where[0])
		return;
	for (int level = 0; level < 8 && lua_getstack(L, level, &ar); level++) {
		if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0)
			continue;
		snprintf(sb->trip_where, sizeof sb->trip_where, "%s:%d", ar.short_src, ar.currentline);
		return;
	}
}

/* Once tripped the hook runs on every instruction and raises every time,
 * so a pcall in the script that caught the first error cannot continue
 * (Redis's luaMaskCountHook keeps raising the same way). */
static void sb_hook(lua_State *L, lua_Debug *ar)
{
	luasb *sb = luasb_from(L);

	(void)ar;
	if (!sb->instr_tripped) {
		sb->instr_used += (uint64_t)sb->hook_every;
		if (sb->instr_used + sb->debt < sb->instr_budget)
			return;
		luasb_trip_instr(L, sb);
	}
	note_where(L, sb);
	lua_pushliteral(L, "instruction budget exceeded");
	lua_error(L);
}

void luasb_trip_instr(lua_State *L, luasb *sb)
{
	sb->instr_tripped = true;
	lua_sethook(L, sb_hook, LUA_MASKCOUNT, 1);
}

void luasb_charge(lua_State *L, uint64_t cost)
{
	luasb *sb = luasb_from(L);

	if (!sb->in_call)
		return;
	sb->debt += cost;
	if (sb->debt >= cost && sb->instr_used + sb->debt < sb->instr_budget && !sb->instr_tripped)
		return;
	if (!sb->instr_tripped)
		luasb_trip_instr(L, sb);
	note_where(L, sb);
	lua_pushliteral(L, "instruction budget exceeded");
	lua_error(L);
}

int luasb_blocked(lua_State *L, const char *what)
{
	luasb *sb = luasb_from(L);

	sb->blocked_tripped = true;
	return luaL_error(L, "%s is not available in the sandbox", what);
}

static void arm(luasb *sb)
{
	sb->in_call = true;
	sb->instr_used = 0;
	sb->debt = 0;
	sb->instr_tripped = sb->mem_tripped = sb->blocked_tripped = false;
	sb->mem_hit = sb->strcap_hit = false;
	sb->trip_where[0] = '\0';
	lua_sethook(sb->L, sb_hook, LUA_MASKCOUNT, sb->hook_every);
}

static void disarm(luasb *sb)
{
	lua_sethook(sb->L, NULL, 0, 0);
	sb->in_call = false;
	sb->last_cost = sb->instr_used + sb->debt;
}

/* ---- errors ------------------------------------------------------------ */

/* "file.lua:12: ..." already? (runtime errors, error("x"), luaL_error) */
static bool has_position(const char *m)
{
	const char *c = strchr(m, ':');
	const char *d;

	if (!c || c == m || memchr(m, '\n', (size_t)(c - m)) || memchr(m, ' ', (size_t)(c - m)))
		return false;
	d = c + 1;
	if (*d < '0' || *d > '9')
		return false;
	while (*d >= '0' && *d <= '9')
		d++;
	return *d == ':';
}

/* The message handler of every protected call: a message that is not a
 * string becomes one (error({}) must not reach the host as a table), and a
 * message without a position gets the innermost Lua line. It runs no
 * script code (no __tostring). */
static int sb_msgh(lua_State *L)
{
	const char *msg;
	lua_Debug ar;

	if (lua_type(L, 1) == LUA_TSTRING || lua_type(L, 1) == LUA_TNUMBER)
		msg = lua_tostring(L, 1);
	else
		msg = lua_pushfstring(L, "error object is a %s value", luaL_typename(L, 1));
	if (has_position(msg))
		return 1;
	for (int level = 1; lua_getstack(L, level, &ar); level++) {
		if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0)
			continue;
		lua_pushfstring(L, "%s:%d: %s", ar.short_src, ar.currentline, msg);
		return 1;
	}
	return 1;
}

/* Turn the result of a protected call into a kind and "file:LINE: message".
 * `where` names the function called (for memory errors, which Lua raises
 * without running the message handler). */
static luasb_status classify(luasb *sb, int st, const char *where, char *err, size_t errsz)
{
	lua_State *L = sb->L;
	const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "error";
	luasb_status kind;

	if (sb->instr_tripped) {
		kind = LUASB_FAIL_INSTR;
		snprintf(err, errsz, "%s: instruction budget exceeded (%" PRIu64 " instructions)",
			sb->trip_where[0] ? sb->trip_where : where, sb->instr_budget);
	} else if (st == LUA_ERRMEM || sb->mem_tripped) {
		kind = LUASB_FAIL_MEMORY;
		if (sb->strcap_hit)
			snprintf(err, errsz, "%s: string longer than %d bytes", where, LUASB_MAX_STRING);
		else
			snprintf(err, errsz, "%s: memory budget exceeded (%zu KiB)", where,
				sb->mem_budget / 1024);
	} else {
		kind = sb->blocked_tripped ? LUASB_FAIL_BLOCKED : LUASB_FAIL_ERROR;
		if (has_position(msg))
			snprintf(err, errsz, "%s", msg);
		else
			snprintf(err, errsz, "%s: %s", where, msg);
	}
	sb->failures[kind]++;
	return kind;
}

/* After a memory failure, give the next call its headroom back. */
static void after_failure(luasb *sb, luasb_status kind)
{
	if (kind == LUASB_FAIL_MEMORY)
		lua_gc(sb->L, LUA_GCCOLLECT, 0);
}

/* ---- state --------------------------------------------------------------- */

static int sb_panic(lua_State *L)
{
	/* Every entry into Lua is protected; reaching this is a bug here. */
	fprintf(stderr, "luasb: unprotected Lua error: %s\n",
		lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?");
	abort();
}

/* A miss in the base table: a withheld name is "blocked", anything else
 * is an undefined global (a typo must not silently read nil). */
static int base_miss(lua_State *L)
{
	static const char *const withheld[] = {
		"io", "os", "package", "debug", "coroutine", "require", "load",
		"loadfile", "dofile", "loadstring", "collectgarbage", "_G",
		"module", "setfenv", "getfenv", "newproxy", "warn", NULL,
	};
	const char *k = lua_tostring(L, 2);

	if (lua_type(L, 2) != LUA_TSTRING)
		return luaL_error(L, "undefined global");
	for (int i = 0; withheld[i]; i++)
		if (strcmp(k, withheld[i]) == 0)
			return luasb_blocked(L, lua_pushfstring(L, "'%s'", k));
	return luaL_error(L, "undefined global '%s'", k);
}

static int sb_init(lua_State *L)
{
	luasb *sb = lua_touserdata(L, 1);

	lua_newtable(L); /* R */
	luasb_open_libs(L, sb);
	lua_newtable(L);
	lua_pushcfunction(L, base_miss);
	lua_setfield(L, -2, "__index");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
	sb->ref_base = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_newtable(L);
	sb->ref_snap = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_newtable(L);
	sb->ref_perm = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_newtable(L);
	sb->ref_roots = luaL_ref(L, LUA_REGISTRYINDEX);
	return 0;
}

luasb *luasb_new(uint64_t instr_budget, size_t mem_budget, char *err, size_t errsz)
{
	luasb *sb = calloc(1, sizeof *sb);
	lua_State *L;

	if (!sb) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	sb->instr_budget = instr_budget ? instr_budget : LUASB_DEFAULT_INSTRUCTIONS;
	sb->mem_budget = mem_budget ? mem_budget : LUASB_DEFAULT_MEMORY;
	sb->hook_every = sb->instr_budget < HOOK_PERIOD ? (int)sb->instr_budget : HOOK_PERIOD;
	L = lua_newstate(sb_alloc, sb);
	if (!L) {
		snprintf(err, errsz, "Lua memory budget of %zu bytes is too small", sb->mem_budget);
		free(sb);
		return NULL;
	}
	sb->L = L;
	*(luasb **)lua_getextraspace(L) = sb;
	lua_atpanic(L, sb_panic);
	lua_pushcfunction(L, sb_init);
	lua_pushlightuserdata(L, sb);
	if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
		snprintf(err, errsz, "cannot set up the Lua sandbox (memory budget %zu KiB): %s",
			sb->mem_budget / 1024, lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?");
		luasb_free(sb);
		return NULL;
	}
	lua_settop(L, 0);
	lua_pushcfunction(L, sb_msgh); /* stays at index 1: luasb_pcall */
	/* The collector keeps Lua's default pace: a shorter pause makes every
	 * cycle shrink the thread's CallInfo list and stack, which the next
	 * call allocates again (3x slower calls, measured in bench-lua). When
	 * garbage fills the budget, a refused allocation collects first. */
	return sb;
}

void luasb_free(luasb *sb)
{
	if (!sb)
		return;
	if (sb->L)
		lua_close(sb->L);
	free(sb->snap_idx);
	free(sb->fn_key);
	free(sb->fn_val);
	free(sb);
}

lua_State *luasb_state(luasb *sb) { return sb->L; }
luasb *luasb_from(lua_State *L) { return *(luasb **)lua_getextraspace(L); }
const char *luasb_loading(const luasb *sb) { return sb->loading; }
uint64_t luasb_failures(const luasb *sb, luasb_status kind)
{
	return kind < LUASB_NSTATUS ? sb->failures[kind] : 0;
}
void luasb_count_failure(luasb *sb, luasb_status kind)
{
	if (kind > LUASB_OK && kind < LUASB_NSTATUS)
		sb->failures[kind]++;
}
size_t luasb_mem_used(const luasb *sb) { return sb->mem_used; }
uint64_t luasb_instr_budget(const luasb *sb) { return sb->instr_budget; }
uint64_t luasb_last_cost(const luasb *sb) { return sb->last_cost; }

void luasb_mark_readonly(lua_State *L, int idx)
{
	idx = lua_absindex(L, idx);
	lua_pushboolean(L, 1);
	lua_setfield(L, idx, LUASB_RO_KEY);
}

static int set_global_body(lua_State *L)
{
	luasb *sb = lua_touserdata(L, 1);

	lua_rawgeti(L, LUA_REGISTRYINDEX, sb->ref_base);
	lua_pushstring(L, lua_touserdata(L, 2));
	lua_pushvalue(L, 3);
	lua_rawset(L, -3);
	return 0;
}

int luasb_set_global(luasb *sb, const char *name)
{
	lua_State *L = sb->L;
	int st;

	lua_pushcfunction(L, set_global_body);
	lua_pushlightuserdata(L, sb);
	lua_pushlightuserdata(L, (void *)name); /* the string is made inside the pcall */
	lua_rotate(L, -4, -1);   /* value to the top */
	st = lua_pcall(L, 3, 0, 0);
	if (st != LUA_OK)
		lua_pop(L, 1);
	return st == LUA_OK ? 0 : -1;
}

static int ref_body(lua_State *L)
{
	luasb *sb = lua_touserdata(L, 1);
	int ref;

	lua_pushvalue(L, 2);
	ref = luaL_ref(L, LUA_REGISTRYINDEX);
	if (sb->loading && lua_type(L, 2) == LUA_TFUNCTION) {
		lua_rawgeti(L, LUA_REGISTRYINDEX, sb->ref_roots);
		lua_pushvalue(L, 2);
		lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
	}
	lua_pushinteger(L, ref);
	return 1;
}

int luasb_ref(luasb *sb)
{
	lua_State *L = sb->L;
	int ref = 0;

	/* Host functions call this from inside a load; protect it anyway, the
	 * registry may have to grow. */
	lua_pushcfunction(L, ref_body);
	lua_pushlightuserdata(L, sb);
	lua_rotate(L, -3, -1);
	if (lua_pcall(L, 2, 1, 0) == LUA_OK)
		ref = (int)lua_tointeger(L, -1);
	lua_pop(L, 1);
	return ref;
}

void luasb_push_ref(luasb *sb, int ref)
{
	lua_rawgeti(sb->L, LUA_REGISTRYINDEX, ref);
}

/* ---- load ---------------------------------------------------------------- */

/* __newindex of a file's globals while it loads: it may define its own
 * names but not shadow the base ones (`string = nil` would fool a reader). */
static int load_newindex(lua_State *L)
{
	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
		return luaL_error(L, "cannot redefine the built-in global '%s'", lua_tostring(L, 2));
	lua_settop(L, 3);
	lua_rawset(L, 1);
	return 0;
}

struct load_args {
	luasb *sb;
	const char *name;
	const char *buf;
	size_t len;
};

static int load_body(lua_State *L)
{
	struct load_args *a = lua_touserdata(L, 1);
	luasb *sb = a->sb;
	int st;

	lua_pushfstring(L, "@%s", a->name);
	st = luaL_loadbufferx(L, a->buf, a->len, lua_tostring(L, -1), "t");
	if (st != LUA_OK) {
		if (st == LUA_ERRMEM)
			lua_pushliteral(L, "not enough memory"); /* re-raise as memory below */
		if (!has_position(lua_tostring(L, -1)))
			lua_pushfstring(L, "%s:1: %s", a->name, lua_tostring(L, -1));
		if (st == LUA_ERRMEM) {
			sb->mem_tripped = true;
			return lua_error(L);
		}
		return lua_error(L);
	}
	/* the file's globals: misses fall back to the base, writes are checked */
	lua_newtable(L);
	lua_newtable(L);
	lua_rawgeti(L, LUA_REGISTRYINDEX, sb->ref_base);
	lua_pushvalue(L, -1);
	lua_setfield(L, -3, "__index");
	lua_pushcclosure(L, load_newindex, 1);
	lua_setfield(L, -2, "__newindex");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
	int env = lua_gettop(L);
	lua_pushvalue(L, env);
	if (!lua_setupvalue(L, env - 1, 1))
		lua_pop(L, 1);
	lua_newtable(L);
	lua_rawseti(L, LUA_REGISTRYINDEX, sb->ref_roots);
	lua_pushvalue(L, env - 1);
	lua_call(L, 0, 0);
	luasb_freeze_reachable(L, sb, env);
	return 0;
}

luasb_status luasb_load(luasb *sb, const char *name, const char *buf, size_t len,
	char *err, size_t errsz)
{
	lua_State *L = sb->L;
	struct load_args a = { sb, name, buf, len };
	int top = lua_gettop(L);
	int st;
	luasb_status kind = LUASB_OK;
	char where[300];

	snprintf(where, sizeof where, "%s:1", name);
	lua_pushcfunction(L, sb_msgh);
	lua_pushcfunction(L, load_body);
	lua_pushlightuserdata(L, &a);
	sb->loading = name;
	arm(sb);
	st = lua_pcall(L, 1, 0, top + 1);
	disarm(sb);
	sb->loading = NULL;
	if (st != LUA_OK) {
		kind = classify(sb, st, where, err, errsz);
		after_failure(sb, kind);
	}
	lua_settop(L, top);
	return kind;
}

/* ---- call ---------------------------------------------------------------- */

void luasb_push_fn(luasb *sb, int ref)
{
	lua_rawgeti(sb->L, LUA_REGISTRYINDEX, ref);
}

/* The message handler lives at stack index 1 (luasb_new puts it there),
 * so that a call pushes and removes nothing but its function and
 * arguments: the bridge of rules/ makes ~30 calls a basket. */
#define MSGH_INDEX 1

luasb_status luasb_pcall(luasb *sb, int ref, int nargs, char *err, size_t errsz)
{
	lua_State *L = sb->L;
	int base = lua_gettop(L) - nargs - 1; /* below the function */
	int st;
	luasb_status kind;

	if (sb->in_call) {
		/* A host function of a running call calls back into Lua (a rule
		 * asks for a segment written in Lua): same budget, same sticky
		 * failures; the outer call restores the upvalues. */
		st = lua_pcall(L, nargs, 1, MSGH_INDEX);
		if (st == LUA_OK)
			return LUASB_OK;
		if (st == LUA_ERRMEM)
			sb->mem_tripped = true;
		kind = sb->instr_tripped ? LUASB_FAIL_INSTR : sb->mem_tripped ? LUASB_FAIL_MEMORY
			: sb->blocked_tripped ? LUASB_FAIL_BLOCKED : LUASB_FAIL_ERROR;
		snprintf(err, errsz, "%s", lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "error");
		lua_settop(L, base);
		return kind;
	}
	arm(sb);
	st = lua_pcall(L, nargs, 1, MSGH_INDEX);
	disarm(sb);
	if (sb->upvalues_written)
		luasb_restore_upvalues(sb);
	if (st == LUA_OK)
		return LUASB_OK;
	{
		char where[300];
		lua_Debug ar;

		lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
		if (lua_getinfo(L, ">S", &ar))
			snprintf(where, sizeof where, "%s:%d", ar.short_src,
				ar.linedefined > 0 ? ar.linedefined : 1);
		else
			snprintf(where, sizeof where, "?:1");
		kind = classify(sb, st, where, err, errsz);
	}
	lua_settop(L, base);
	after_failure(sb, kind);
	return kind;
}

luasb_status luasb_call(luasb *sb, int ref, int nargs, char *err, size_t errsz)
{
	luasb_push_fn(sb, ref);
	if (nargs)
		lua_rotate(sb->L, -(nargs + 1), 1);
	return luasb_pcall(sb, ref, nargs, err, errsz);
}
