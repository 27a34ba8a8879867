/* rules/lua_ctx.c — `ctx` for Lua rules (rules.md, "Lua rules"): the same
 * names as the expression language, read lazily from the evaluator's
 * rl_ctx while a call runs, and the call itself (program.lua_call).
 *
 * Nothing of the request is copied into Lua: ctx, ctx.customer, ctx.attr,
 * ctx.items and every item are userdata made once per program whose
 * __index reads the current rl_ctx. All of them are read-only; a field
 * that does not exist is an error (a typo must not read nil). This file
 * does not load anything (rules/load_lua.c) and knows nothing of the
 * sandbox's inside (lang/luasb.h only). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "rules/load_impl.h" /* rl_find_segment, rl_find_experiment */
#include "rules/lua_ctx.h"

typedef enum px_kind { PX_CTX, PX_CUSTOMER, PX_ATTR, PX_ITEMS, PX_ITEM, PX_N } px_kind;

typedef struct proxy {
	rl_lua *lx;
	uint32_t idx;  /* PX_ITEM: the basket line */
} proxy;

static const char *const px_names[PX_N] = { "ctx", "ctx.customer", "ctx.attr", "ctx.items", "item" };

/* Field ids. ORDER: the name tables below. */
enum {
	F_CUSTOMER = 1, F_ATTR, F_SUBTOTAL, F_NET, F_QTY, F_CHANNEL, F_STORE, F_WEEKDAY,
	F_HOUR, F_MONTH, F_DAY, F_DATE, F_ITEMS, F_COUPONS,
};
static const struct { const char *name; int id; int vs; } ctx_fields[] = {
	{ "customer", F_CUSTOMER, -1 }, { "attr", F_ATTR, -1 },
	{ "subtotal", F_SUBTOTAL, VS_SUBTOTAL }, { "net", F_NET, VS_NET }, { "qty", F_QTY, VS_QTY },
	{ "channel", F_CHANNEL, VS_CHANNEL }, { "store", F_STORE, VS_STORE },
	{ "weekday", F_WEEKDAY, VS_WEEKDAY }, { "hour", F_HOUR, VS_HOUR },
	{ "month", F_MONTH, VS_MONTH }, { "day", F_DAY, VS_DAY }, { "date", F_DATE, VS_DATE },
	{ "items", F_ITEMS, -1 }, { "coupons", F_COUPONS, -1 },
};
static const struct { const char *name; int vs; } customer_fields[] = {
	{ "id", VS_CUSTOMER }, { "tier", VS_TIER }, { "points", VS_POINTS },
	{ "lifetime_spend", VS_LIFETIME }, { "spend_12m", VS_SPEND12 },
	{ "purchase_count", VS_PCOUNT }, { "days_since_last_purchase", VS_DSLP },
	{ "days_since_enrolled", VS_DSE }, { "referred_by", VS_REFBY },
	{ "referrals", VS_REFERRALS },
};
static const char *const item_fields[] = { "sku", "category", "qty", "price", "net", "tags" };
/* ORDER: item_fields[] and IS_* in rules/prog_impl.h */

/* ---- values ------------------------------------------------------------- */

static void push_value(lua_State *L, const expr_value *v)
{
	switch (v->t) {
	case EV_NULL:
		lua_pushnil(L);
		break;
	case EV_BOOL:
		lua_pushboolean(L, v->u.b);
		break;
	case EV_INT:
		lua_pushinteger(L, v->u.i);
		break;
	case EV_FLOAT:
		lua_pushnumber(L, v->u.f);
		break;
	case EV_STR:
		lua_pushlstring(L, v->u.s.p ? v->u.s.p : "", v->u.s.n);
		break;
	case EV_LIST:
		lua_createtable(L, (int)v->u.l.n, 0);
		for (uint32_t i = 0; i < v->u.l.n; i++) {
			push_value(L, &v->u.l.v[i]);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		break;
	}
}

static rl_ctx *current(lua_State *L, proxy *px)
{
	if (!px->lx->x)
		luaL_error(L, "%s is only valid during its call", px_names[PX_CTX]);
	return px->lx->x;
}

static bool ascii_ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'a' && x <= 'z')
			x -= 32;
		if (y >= 'a' && y <= 'z')
			y -= 32;
		if (x != y)
			return false;
	}
	return true;
}

static bool attr_find(const rl_attr *v, uint32_t n, const char *k, size_t kn, const expr_value **out)
{
	for (uint32_t i = 0; i < n; i++)
		if (v[i].key.n == kn && memcmp(v[i].key.p, k, kn) == 0) {
			*out = &v[i].val;
			return true;
		}
	return false;
}

/* The item userdata of line i (made once, kept in the cache). */
static void push_item(lua_State *L, rl_lua *lx, uint32_t i)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, lx->ref_item_cache);
	if (lua_rawgeti(L, -1, (lua_Integer)i + 1) == LUA_TNIL) {
		lua_pop(L, 1);
		proxy *px = lua_newuserdatauv(L, sizeof *px, 0);
		px->lx = lx;
		px->idx = i;
		luaL_setmetatable(L, px_names[PX_ITEM]);
		lua_pushvalue(L, -1);
		lua_rawseti(L, -3, (lua_Integer)i + 1);
	}
	lua_remove(L, -2);
}

/* ---- the methods --------------------------------------------------------- */

static rl_ctx *method_ctx(lua_State *L)
{
	proxy *px = luaL_checkudata(L, 1, px_names[PX_CTX]);
	return current(L, px);
}

static int m_coupon(lua_State *L)
{
	rl_ctx *x = method_ctx(L);
	size_t n;
	const char *code = luaL_checklstring(L, 2, &n);
	bool hit = false;

	for (uint32_t i = 0; x->b && i < x->b->ncoupons && !hit; i++)
		hit = x->b->coupons[i].n == n && ascii_ieq(x->b->coupons[i].p, code, n);
	lua_pushboolean(L, hit);
	return 1;
}

static int m_segment(lua_State *L)
{
	rl_ctx *x = method_ctx(L);
	size_t n;
	const char *name = luaL_checklstring(L, 2, &n);
	int s = rl_find_segment(x->p, name, n);

	if (s < 0)
		return luaL_error(L, "unknown segment '%s'", name);
	if (x->seg[s] == 2)
		return luaL_error(L, "segment '%s' depends on itself", name);
	lua_pushboolean(L, rl_segment_value(x, (uint32_t)s));
	return 1;
}

static int m_variant(lua_State *L)
{
	rl_ctx *x = method_ctx(L);
	size_t n;
	const char *name = luaL_checklstring(L, 2, &n);
	int e = rl_find_experiment(x->p, name, n);
	int v;

	if (e < 0)
		return luaL_error(L, "unknown experiment '%s'", name);
	v = x->variant ? x->variant[e] : -1;
	if (v < 0)
		lua_pushnil(L);
	else
		lua_pushstring(L, x->p->experiments[e].variants[v]);
	return 1;
}

/* any_item / count_qty / sum_net: f(item) must say true, false or nil. */
static int item_loop(lua_State *L, int which)
{
	static const char *const names[] = { "any_item", "count_qty", "sum_net" };
	proxy *px = luaL_checkudata(L, 1, px_names[PX_CTX]);
	rl_ctx *x = current(L, px);
	uint32_t n = x->b ? x->b->nitems : 0;
	int64_t acc = 0;

	luaL_checktype(L, 2, LUA_TFUNCTION);
	for (uint32_t i = 0; i < n; i++) {
		lua_pushvalue(L, 2);
		push_item(L, px->lx, i);
		lua_call(L, 1, 1);
		int t = lua_type(L, -1);
		if (t != LUA_TBOOLEAN && t != LUA_TNIL)
			return luaL_error(L, "%s: the function must return true, false or nil, not %s",
				names[which], lua_typename(L, t));
		bool hit = lua_toboolean(L, -1);
		lua_pop(L, 1);
		if (!hit)
			continue;
		if (which == 0) {
			lua_pushboolean(L, 1);
			return 1;
		}
		int64_t v = which == 1 ? x->b->items[i].qty : x->items[(size_t)i * IS_N + IS_NET].u.i;
		if (__builtin_add_overflow(acc, v, &acc))
			return luaL_error(L, "integer overflow in %s", names[which]);
	}
	if (which == 0)
		lua_pushboolean(L, 0);
	else
		lua_pushinteger(L, acc);
	return 1;
}

static int m_any_item(lua_State *L) { return item_loop(L, 0); }
static int m_count_qty(lua_State *L) { return item_loop(L, 1); }
static int m_sum_net(lua_State *L) { return item_loop(L, 2); }

/* ORDER: ctx_method_names */
static const lua_CFunction ctx_methods[] = {
	m_coupon, m_segment, m_variant, m_any_item, m_count_qty, m_sum_net,
};
static const char *const ctx_method_names[] = {
	"coupon", "segment", "variant", "any_item", "count_qty", "sum_net",
};

/* ---- __index of each kind ------------------------------------------------ */

/* Upvalue 1 maps a field name to its id (or to a method). Field names
 * are found by the address of the interned key first. */
static int lookup(lua_State *L, proxy *px, px_kind kind)
{
	if (lua_type(L, 2) == LUA_TSTRING) {
		const struct rl_lua_keys *km = &px->lx->keys[kind];
		const char *k = lua_tostring(L, 2);
		for (int i = 0; i < km->n; i++)
			if (km->k[i] == k) {
				if (km->id[i] >= 0)
					return km->id[i];
				/* a method: a light C function, nothing allocated */
				lua_pushcfunction(L, ctx_methods[-km->id[i] - 1]);
				return -1;
			}
	}
	lua_pushvalue(L, 2);
	int t = lua_rawget(L, lua_upvalueindex(1));
	if (t != LUA_TNUMBER) {
		if (lua_type(L, 2) == LUA_TSTRING)
			return luaL_error(L, "%s has no field '%s'", px_names[kind], lua_tostring(L, 2));
		return luaL_error(L, "%s has no such field", px_names[kind]);
	}
	int id = (int)lua_tointeger(L, -1);
	lua_pop(L, 1);
	if (id < 0) {
		lua_pushcfunction(L, ctx_methods[-id - 1]);
		return -1;
	}
	return id;
}

static int ctx_index(lua_State *L)
{
	proxy *px = lua_touserdata(L, 1);
	rl_ctx *x = current(L, px);
	int id = lookup(L, px, PX_CTX);

	if (id < 0)
		return 1; /* a method */
	switch (id) {
	case F_CUSTOMER:
		if (x->c)
			lua_rawgeti(L, LUA_REGISTRYINDEX, px->lx->ref_customer);
		else
			lua_pushnil(L);
		return 1;
	case F_ATTR:
		lua_rawgeti(L, LUA_REGISTRYINDEX, px->lx->ref_attr);
		return 1;
	case F_ITEMS:
		lua_rawgeti(L, LUA_REGISTRYINDEX, px->lx->ref_items);
		return 1;
	case F_COUPONS: {
		uint32_t n = x->b ? x->b->ncoupons : 0;
		lua_createtable(L, (int)n, 0);
		for (uint32_t i = 0; i < n; i++) {
			lua_pushlstring(L, x->b->coupons[i].p, x->b->coupons[i].n);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		return 1;
	}
	}
	for (size_t i = 0; i < sizeof ctx_fields / sizeof ctx_fields[0]; i++)
		if (ctx_fields[i].id == id) {
			push_value(L, &x->vars[ctx_fields[i].vs]);
			return 1;
		}
	return luaL_error(L, "internal: ctx field %d", id);
}

static int customer_index(lua_State *L)
{
	proxy *px = lua_touserdata(L, 1);
	rl_ctx *x = current(L, px);
	int vs = lookup(L, px, PX_CUSTOMER);

	push_value(L, &x->vars[vs]);
	return 1;
}

/* attr.NAME: the request's attrs over the stored ones, as in expressions */
static int attr_index(lua_State *L)
{
	proxy *px = lua_touserdata(L, 1);
	rl_ctx *x = current(L, px);
	size_t n;
	const char *k = luaL_checklstring(L, 2, &n);
	const expr_value *v;

	if ((x->b && attr_find(x->b->attrs, x->b->nattrs, k, n, &v)) ||
	    (x->c && attr_find(x->c->attrs, x->c->nattrs, k, n, &v)))
		push_value(L, v);
	else
		lua_pushnil(L);
	return 1;
}

static int items_index(lua_State *L)
{
	proxy *px = lua_touserdata(L, 1);
	rl_ctx *x = current(L, px);
	lua_Integer i = lua_isinteger(L, 2) ? lua_tointeger(L, 2) : 0;

	if (i < 1 || !x->b || i > (lua_Integer)x->b->nitems)
		lua_pushnil(L);
	else
		push_item(L, px->lx, (uint32_t)(i - 1));
	return 1;
}

static int items_len(lua_State *L)
{
	proxy *px = lua_touserdata(L, 1);
	rl_ctx *x = current(L, px);

	lua_pushinteger(L, x->b ? x->b->nitems : 0);
	return 1;
}

static int items_next(lua_State *L)
{
	proxy *px = lua_touserdata(L, 1);
	rl_ctx *x = current(L, px);
	lua_Integer i = lua_isinteger(L, 2) ? lua_tointeger(L, 2) : 0;

	if (i < 0 || !x->b || i >= (lua_Integer)x->b->nitems)
		return 0;
	lua_pushinteger(L, i + 1);
	push_item(L, px->lx, (uint32_t)i);
	return 2;
}

static int items_pairs(lua_State *L)
{
	lua_pushcfunction(L, items_next);
	lua_pushvalue(L, 1);
	lua_pushinteger(L, 0);
	return 3;
}

static int item_index(lua_State *L)
{
	proxy *px = lua_touserdata(L, 1);
	rl_ctx *x = current(L, px);
	int f = lookup(L, px, PX_ITEM);

	if (!x->b || px->idx >= x->b->nitems)
		return luaL_error(L, "item of another basket");
	push_value(L, &x->items[(size_t)px->idx * IS_N + (size_t)f]);
	return 1;
}

static int ro_newindex(lua_State *L)
{
	proxy *px = lua_touserdata(L, 1);
	(void)px;
	return luaL_error(L, "%s is read-only",
		lua_tostring(L, lua_upvalueindex(1)));
}

static int px_tostring(lua_State *L)
{
	lua_pushvalue(L, lua_upvalueindex(1));
	return 1;
}

/* ---- set-up ---------------------------------------------------------------- */

static void new_meta(lua_State *L, rl_lua *lx, px_kind kind, lua_CFunction index)
{
	luaL_newmetatable(L, px_names[kind]); /* in the registry: unreachable by scripts */
	lua_newtable(L);                       /* name -> id / method */
	switch (kind) {
	case PX_CTX:
		for (size_t i = 0; i < sizeof ctx_fields / sizeof ctx_fields[0]; i++) {
			lua_pushinteger(L, ctx_fields[i].id);
			lua_setfield(L, -2, ctx_fields[i].name);
		}
		for (size_t i = 0; i < sizeof ctx_methods / sizeof ctx_methods[0]; i++) {
			/* -(i + 1): the key map pushes ctx_methods[i] */
			lua_pushinteger(L, -(lua_Integer)i - 1);
			lua_setfield(L, -2, ctx_method_names[i]);
		}
		break;
	case PX_CUSTOMER:
		for (size_t i = 0; i < sizeof customer_fields / sizeof customer_fields[0]; i++) {
			lua_pushinteger(L, customer_fields[i].vs);
			lua_setfield(L, -2, customer_fields[i].name);
		}
		break;
	case PX_ITEM:
		for (int i = 0; i < IS_N; i++) {
			lua_pushinteger(L, i);
			lua_setfield(L, -2, item_fields[i]);
		}
		break;
	default:
		break;
	}
	{
		/* remember where the interned names live (fields only) */
		struct rl_lua_keys *km = &lx->keys[kind];
		lua_pushnil(L);
		while (lua_next(L, -2)) {
			if (lua_isinteger(L, -1) && km->n < 24) { /* fields and methods */
				km->k[km->n] = lua_tostring(L, -2);
				km->id[km->n++] = (int)lua_tointeger(L, -1);
			}
			lua_pop(L, 1);
		}
	}
	lua_pushcclosure(L, index, 1);
	lua_setfield(L, -2, "__index");
	lua_pushstring(L, px_names[kind]);
	lua_pushcclosure(L, ro_newindex, 1);
	lua_setfield(L, -2, "__newindex");
	lua_pushstring(L, px_names[kind]);
	lua_pushcclosure(L, px_tostring, 1);
	lua_setfield(L, -2, "__tostring");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	if (kind == PX_ITEMS) {
		lua_pushcfunction(L, items_len);
		lua_setfield(L, -2, "__len");
		lua_pushcfunction(L, items_pairs);
		lua_setfield(L, -2, "__pairs");
	}
	lua_pop(L, 1);
}

static int new_proxy(lua_State *L, rl_lua *lx, px_kind kind)
{
	proxy *px = lua_newuserdatauv(L, sizeof *px, 0);
	px->lx = lx;
	px->idx = 0;
	luaL_setmetatable(L, px_names[kind]);
	return luaL_ref(L, LUA_REGISTRYINDEX);
}

static int init_body(lua_State *L)
{
	rl_lua *lx = lua_touserdata(L, 1);

	new_meta(L, lx, PX_CTX, ctx_index);
	new_meta(L, lx, PX_CUSTOMER, customer_index);
	new_meta(L, lx, PX_ATTR, attr_index);
	new_meta(L, lx, PX_ITEMS, items_index);
	new_meta(L, lx, PX_ITEM, item_index);
	lx->ref_ctx = new_proxy(L, lx, PX_CTX);
	lx->ref_customer = new_proxy(L, lx, PX_CUSTOMER);
	lx->ref_attr = new_proxy(L, lx, PX_ATTR);
	lx->ref_items = new_proxy(L, lx, PX_ITEMS);
	lua_newtable(L);
	lx->ref_item_cache = luaL_ref(L, LUA_REGISTRYINDEX);
	return 0;
}

int rl_lua_ctx_init(rl_lua *lx, char *err, size_t errsz)
{
	lua_State *L = luasb_state(lx->sb);

	lua_pushcfunction(L, init_body);
	lua_pushlightuserdata(L, lx);
	if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
		snprintf(err, errsz, "cannot set up Lua: %s",
			lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "out of memory");
		lua_pop(L, 1);
		return -1;
	}
	return 0;
}

int rl_lua_set_role(rl_lua *lx, int ref, rl_lua_role role)
{
	if (ref <= 0)
		return -1;
	if ((size_t)ref >= lx->nroles) {
		size_t n = lx->nroles ? lx->nroles : 64;
		while (n <= (size_t)ref)
			n *= 2;
		uint8_t *v = realloc(lx->roles, n);
		if (!v)
			return -1;
		memset(v + lx->nroles, 0, n - lx->nroles);
		lx->roles = v;
		lx->nroles = n;
	}
	lx->roles[ref] = (uint8_t)role;
	return 0;
}

bool program_lua_failures(const program *p, uint64_t out[LUASB_NSTATUS])
{
	const rl_lua *lx = p->lua;

	memset(out, 0, LUASB_NSTATUS * sizeof *out);
	if (!lx || p->lua_free != rl_lua_free)
		return false;
	for (int k = LUASB_FAIL_INSTR; k < LUASB_NSTATUS; k++)
		out[k] = luasb_failures(lx->sb, (luasb_status)k);
	return true;
}

void rl_lua_free(void *lua)
{
	rl_lua *lx = lua;

	if (!lx)
		return;
	luasb_free(lx->sb);
	free(lx->roles);
	free(lx);
}

/* ---- the call ------------------------------------------------------------- */

static int make_item(lua_State *L)
{
	rl_lua *lx = lua_touserdata(L, 1);

	push_item(L, lx, (uint32_t)lua_tointeger(L, 2));
	return 1;
}

static const char *role_name(rl_lua_role r)
{
	switch (r) {
	case LR_WHEN: return "when";
	case LR_ITEMS: return "items";
	case LR_POINTS: return "points";
	case LR_BONUS: return "bonus_points";
	case LR_REFERRER: return "referrer_bonus_points";
	case LR_AMOUNT: return "amount";
	case LR_MAX: return "max";
	case LR_SEGMENT: return "segment";
	}
	return "function";
}

int rl_lua_call(void *lua, const rl_code *code, void *ctxp, int item,
	expr_value *out, char *err, size_t errsz)
{
	rl_lua *lx = lua;
	rl_ctx *saved = lx->x;
	lua_State *L = luasb_state(lx->sb);
	rl_lua_role role = code->lua_ref > 0 && (size_t)code->lua_ref < lx->nroles
		? (rl_lua_role)lx->roles[code->lua_ref] : LR_WHEN;
	int nargs = 1, t, rc = 0;

	if (!lua_checkstack(L, 8)) {
		snprintf(err, errsz, "Lua stack exhausted");
		return -1;
	}
	luasb_push_fn(lx->sb, code->lua_ref);
	if (item >= 0) {
		/* the item and the ctx: function(item, ctx); the item's userdata
		 * is made on first use, in a protected call (it allocates) */
		lua_rawgeti(L, LUA_REGISTRYINDEX, lx->ref_item_cache);
		t = lua_rawgeti(L, -1, (lua_Integer)item + 1);
		lua_remove(L, -2);
		if (t == LUA_TNIL) {
			lua_pop(L, 1);
			lua_pushcfunction(L, make_item);
			lua_pushlightuserdata(L, lx);
			lua_pushinteger(L, item);
			if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
				lua_pop(L, 2);
				snprintf(err, errsz, "Lua memory budget exceeded");
				return -1;
			}
		}
		nargs = 2;
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, lx->ref_ctx);
	lx->x = ctxp;
	luasb_status st = luasb_pcall(lx->sb, code->lua_ref, nargs, err, errsz);
	lx->x = saved;
	if (st != LUASB_OK)
		return -1;
	t = lua_type(L, -1);
	switch (role) {
	case LR_WHEN:
	case LR_ITEMS:
	case LR_SEGMENT:
		if (t == LUA_TBOOLEAN)
			*out = expr_bool(lua_toboolean(L, -1));
		else if (t == LUA_TNIL)
			*out = expr_null();
		else
			rc = -1;
		if (rc)
			snprintf(err, errsz, "'%s' must return true, false or nil, not %s",
				role_name(role), lua_typename(L, t));
		break;
	default:
		if (lua_isinteger(L, -1))
			*out = expr_int(lua_tointeger(L, -1));
		else if (t == LUA_TNUMBER)
			*out = expr_float(lua_tonumber(L, -1));
		else
			rc = -1;
		if (rc)
			snprintf(err, errsz, "'%s' must return a number, not %s",
				role_name(role), lua_typename(L, t));
		break;
	}
	lua_pop(L, 1);
	return rc;
}
