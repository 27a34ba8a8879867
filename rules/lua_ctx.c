/* rules/lua_ctx.c — `ctx` for Lua rules (rules.md, "Lua rules"): the same
 * names as the expression language, read from the evaluator's rl_ctx, and
 * the call itself (program.lua_call).
 *
 * ctx, ctx.customer, ctx.attr, ctx.items and every item are proxies: empty
 * tables whose protected metatable raises on writes (and tells the
 * sandbox's rawset they are read-only). Reading a field is what costs in a
 * rule, so the values a request cannot change while it runs (the request's
 * time and channel, the customer's fields, an item's sku, category, qty and
 * price) are copied, on the first read in a request, into a hidden data
 * table that the proxy's __index then points to: later reads are table
 * lookups inside the VM, not C calls. Values that do change (ctx.net, an
 * item's net) and fresh tables (ctx.coupons, item.tags) are answered by a
 * C function on every read. A field that does not exist is an error.
 *
 * Requests are told apart by a mark this file leaves in the rl_ctx (see
 * begin_request): at the first call of a new request every data table
 * filled in the last one is marked stale again (its proxy's __index goes
 * back to the fill function). The customer and request values are also
 * compared with the copy taken when they were read, before every call, so
 * that a value the evaluator changes between calls (the tier while tiers
 * qualify, the customer after the commit) is read again.
 *
 * Item predicates that are functions kept with the program (`is_coffee`,
 * passed to any_item or used as a discount's items) are remembered per
 * request, line and arity when the call read nothing that changes within a
 * request and the program's functions cannot keep state (luasb_fns_pure):
 * five rules asking is_coffee of a line run it once.
 *
 * This file does not load anything (rules/load_lua.c) and knows nothing of
 * the sandbox's inside (lang/luasb.h only). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "rules/load_impl.h" /* rl_find_segment, rl_find_experiment */
#include "rules/lua_ctx.h"

typedef enum px_kind { PX_CTX, PX_CUSTOMER, PX_ATTR, PX_ITEMS, PX_ITEM, PX_N } px_kind;

static const char *const px_names[PX_N] = { "ctx", "ctx.customer", "ctx.attr", "ctx.items", "item" };

/* ctx's fields answered by ctx_miss (the others live in the data table);
 * F_VS + a VS_* slot: a field read from the request on every read */
enum { F_NET = 1, F_COUPONS, F_NILABLE, F_VS };
/* copied into ctx's data table on its first read in a request, except the
 * `lazy` ones: strings that rules seldom read (the store, the date, the
 * customer's id) are not worth interning for every request; each read of
 * them asks the request (F_VS) */
typedef struct { const char *name; int vs; bool lazy; } vs_field;

static const vs_field ctx_fields[] = {
	{ "subtotal", VS_SUBTOTAL, 0 }, { "qty", VS_QTY, 0 }, { "channel", VS_CHANNEL, 0 },
	{ "store", VS_STORE, 1 }, { "weekday", VS_WEEKDAY, 0 }, { "hour", VS_HOUR, 0 },
	{ "month", VS_MONTH, 0 }, { "day", VS_DAY, 0 }, { "date", VS_DATE, 1 },
};
static const vs_field customer_fields[] = {
	{ "id", VS_CUSTOMER, 1 }, { "tier", VS_TIER, 0 }, { "points", VS_POINTS, 0 },
	{ "lifetime_spend", VS_LIFETIME, 0 }, { "spend_12m", VS_SPEND12, 0 },
	{ "purchase_count", VS_PCOUNT, 0 }, { "days_since_last_purchase", VS_DSLP, 0 },
	{ "days_since_enrolled", VS_DSE, 0 }, { "referred_by", VS_REFBY, 1 },
	{ "referrals", VS_REFERRALS, 0 },
};
/* ORDER: IS_* in rules/prog_impl.h. The strings are copied (what
 * predicates test, again and again); numbers are cheap to answer. */
static const char *const item_fields[] = { "sku", "category", "qty", "price", "net", "tags" };
#define ITEM_COPIED 2

#define NFIELDS(a) (sizeof a / sizeof a[0])

/* Between calls the state's stack holds the sandbox's message handler
 * (1), then the ctx proxy and the lines table (rl_lua_ctx_init): a call
 * from the evaluator pushes them with one lua_pushvalue / lua_rawgeti
 * instead of a registry lookup each. Only outside a running call: inside
 * one (a Lua segment asked from a host function) the indexes are that
 * C function's, and the registry is used. */
#define CTX_SLOT 2
#define LINES_SLOT 3

/* The fills write their field names from one array of strings made at
 * set-up (lua_rawset of an interned key) instead of lua_setfield, which
 * hashes and looks up the C string again on every write. Indexes: */
enum {
	KEY_CTX = 1,                               /* ctx_fields */
	KEY_CUSTOMER = KEY_CTX + (int)NFIELDS(ctx_fields), /* "customer" */
	KEY_CUST,                                  /* customer_fields */
	KEY_ITEM = KEY_CUST + (int)NFIELDS(customer_fields), /* item_fields[0..ITEM_COPIED) */
	KEY_INDEX = KEY_ITEM + ITEM_COPIED,        /* "__index" */
	KEY_N = KEY_INDEX
};

/* customer values that change within a request (see vars_differ) */
#define NSHADOW 6

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

/* Every C function here has the bridge as upvalue 1. */
static rl_lua *bridge_of(lua_State *L)
{
	return lua_touserdata(L, lua_upvalueindex(1));
}

static rl_ctx *current(lua_State *L, rl_lua *lx)
{
	if (!lx->x)
		luaL_error(L, "ctx is only valid during its call");
	return lx->x;
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

static int no_field(lua_State *L, px_kind kind)
{
	if (lua_type(L, 2) == LUA_TSTRING)
		return luaL_error(L, "%s has no field '%s'", px_names[kind], lua_tostring(L, 2));
	return luaL_error(L, "%s has no such field", px_names[kind]);
}

/* ---- memo ----------------------------------------------------------------- */

static rl_lua_memo *memo_slot(rl_lua *lx, int fn, uint32_t line, int nargs, bool *found)
{
	uint32_t h = ((uint32_t)fn * 2654435761u) ^ (line * 40503u) ^ (uint32_t)nargs;

	h ^= h >> 15;
	for (int probe = 0; probe < 8; probe++) {
		rl_lua_memo *m = &lx->memo[(h + (uint32_t)probe) & (RL_LUA_MEMO - 1)];
		if (m->gen != lx->gen) {
			*found = false;
			return m;
		}
		if (m->fn == fn && m->line == line && m->nargs == nargs) {
			*found = true;
			return m;
		}
	}
	*found = false;
	return NULL; /* crowded: not remembered */
}

/* 0: unknown, else the remembered 1 false, 2 true, 3 nil */
static int memo_get(rl_lua *lx, int fn, uint32_t line, int nargs)
{
	bool found;
	rl_lua_memo *m = memo_slot(lx, fn, line, nargs, &found);
	return found ? m->val : 0;
}

static void memo_put(rl_lua *lx, int fn, uint32_t line, int nargs, int val)
{
	bool found;
	rl_lua_memo *m = memo_slot(lx, fn, line, nargs, &found);

	if (!m)
		return;
	m->gen = lx->gen;
	m->fn = fn;
	m->line = line;
	m->nargs = (uint8_t)nargs;
	m->val = (uint8_t)val;
}

/* The function's id if its results may be remembered, else -1. */
static int memo_fn(rl_lua *lx, const void *fn)
{
	if (!luasb_fns_pure(lx->sb))
		return -1;
	return luasb_fn_id(lx->sb, fn);
}

/* ---- lines ---------------------------------------------------------------- */

/* The proxy of line i, made on first use (allocates: inside a call). */
static void make_line(lua_State *L, rl_lua *lx, uint32_t i);

static void push_item(lua_State *L, rl_lua *lx, uint32_t i)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, lx->ref_lines);
	if (i >= lx->nlines_made)
		make_line(L, lx, i);
	lua_rawgeti(L, -1, 4 * (lua_Integer)i + 1);
	lua_remove(L, -2);
}

/* The same with the lines table already at `lines` (a loop over lines
 * fetches it once). */
static void push_item_from(lua_State *L, rl_lua *lx, int lines, uint32_t i)
{
	if (i >= lx->nlines_made) {
		lua_pushvalue(L, lines);
		make_line(L, lx, i);
		lua_pop(L, 1);
	}
	lua_rawgeti(L, lines, 4 * (lua_Integer)i + 1);
}

/* ---- the methods --------------------------------------------------------- */

static rl_ctx *method_ctx(lua_State *L, rl_lua *lx, const char *name)
{
	if (lua_topointer(L, 1) != lx->ctx_ptr)
		luaL_error(L, "bad self for '%s' (call it as ctx:%s(...))", name, name);
	return current(L, lx);
}

static int m_coupon(lua_State *L)
{
	rl_lua *lx = bridge_of(L);
	rl_ctx *x = method_ctx(L, lx, "coupon");
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
	rl_lua *lx = bridge_of(L);
	rl_ctx *x = method_ctx(L, lx, "segment");
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
	rl_lua *lx = bridge_of(L);
	rl_ctx *x = method_ctx(L, lx, "variant");
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
	rl_lua *lx = bridge_of(L);
	rl_ctx *x = method_ctx(L, lx, names[which]);
	uint32_t n = x->b ? x->b->nitems : 0;
	int64_t acc = 0;

	luaL_checktype(L, 2, LUA_TFUNCTION);
	int fn = memo_fn(lx, lua_topointer(L, 2));
	if (which == 2)
		lx->impure++; /* the lines' net */
	lua_settop(L, 2);
	lua_rawgeti(L, LUA_REGISTRYINDEX, lx->ref_lines); /* 3 */
	for (uint32_t i = 0; i < n; i++) {
		int m = fn >= 0 ? memo_get(lx, fn, i, 1) : 0;
		bool hit;
		if (m) {
			hit = m == 2;
		} else {
			uint64_t imp = lx->impure;
			lua_pushvalue(L, 2);
			push_item_from(L, lx, 3, i);
			lua_call(L, 1, 1);
			int t = lua_type(L, -1);
			if (t != LUA_TBOOLEAN && t != LUA_TNIL)
				return luaL_error(L, "%s: the function must return true, false or nil, not %s",
					names[which], lua_typename(L, t));
			hit = lua_toboolean(L, -1);
			lua_pop(L, 1);
			if (fn >= 0 && imp == lx->impure)
				memo_put(lx, fn, i, 1, t == LUA_TNIL ? 3 : hit ? 2 : 1);
		}
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

static const struct { const char *name; lua_CFunction f; } ctx_methods[] = {
	{ "coupon", m_coupon }, { "segment", m_segment }, { "variant", m_variant },
	{ "any_item", m_any_item }, { "count_qty", m_count_qty }, { "sum_net", m_sum_net },
};

/* ---- ctx ---------------------------------------------------------------- */

/* Upvalue 2 of the miss functions: name -> id of the fields they answer. */
static int miss_id(lua_State *L)
{
	lua_pushvalue(L, 2);
	int id = lua_rawget(L, lua_upvalueindex(2)) == LUA_TNUMBER ? (int)lua_tointeger(L, -1) : 0;
	lua_pop(L, 1);
	return id;
}

/* __index of ctx's data table: what is not copied into it. */
static int ctx_miss(lua_State *L)
{
	rl_lua *lx = bridge_of(L);
	rl_ctx *x = current(L, lx);

	int id = miss_id(L);

	switch (id) {
	case F_NET:
		lx->impure++;
		push_value(L, &x->vars[VS_NET]);
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
	case F_NILABLE: /* copied, and nil in this request */
		lua_pushnil(L);
		return 1;
	case 0:
		break;
	default:
		push_value(L, &x->vars[id - F_VS]);
		return 1;
	}
	return no_field(L, PX_CTX);
}

/* The fills below: an __index (proxy, key) that finds its data table stale
 * copies the request's values into it (stack index 3) ... */
static void fill_data(lua_State *L, rl_lua *lx, const rl_ctx *x, int ref_data, const vs_field *f,
	size_t n, int key0)
{
	lua_settop(L, 2);
	lua_rawgeti(L, LUA_REGISTRYINDEX, ref_data);
	lua_rawgeti(L, LUA_REGISTRYINDEX, lx->ref_keys); /* 4 */
	for (size_t i = 0; i < n; i++) {
		if (f[i].lazy)
			continue;
		lua_rawgeti(L, 4, key0 + (lua_Integer)i);
		push_value(L, &x->vars[f[i].vs]);
		lua_rawset(L, 3);
	}
}

/* ... then makes the table the proxy's __index for the rest of the
 * request and answers the key from it. */
static int answer_from_data(lua_State *L, int ref_mt)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, ref_mt);
	lua_rawgeti(L, 4, KEY_INDEX);
	lua_pushvalue(L, 3);
	lua_rawset(L, -3);
	lua_pop(L, 1);
	lua_pushvalue(L, 2);
	lua_gettable(L, 3);
	return 1;
}

/* __index of ctx while its data table is stale: copy, then answer. */
static int ctx_fill(lua_State *L)
{
	rl_lua *lx = bridge_of(L);
	rl_ctx *x = current(L, lx);

	fill_data(L, lx, x, lx->ref_ctx_data, ctx_fields, NFIELDS(ctx_fields), KEY_CTX);
	lua_rawgeti(L, 4, KEY_CUSTOMER);
	if (x->c)
		lua_rawgeti(L, LUA_REGISTRYINDEX, lx->ref_cust);
	else
		lua_pushnil(L);
	lua_rawset(L, 3);
	lx->ctx_filled = true;
	return answer_from_data(L, lx->ref_ctx_mt);
}

static int cust_miss(lua_State *L)
{
	int id = miss_id(L);

	if (id == F_NILABLE) {
		lua_pushnil(L);
		return 1;
	}
	if (id >= F_VS) {
		push_value(L, &current(L, bridge_of(L))->vars[id - F_VS]);
		return 1;
	}
	return no_field(L, PX_CUSTOMER);
}

static int cust_fill(lua_State *L)
{
	rl_lua *lx = bridge_of(L);
	rl_ctx *x = current(L, lx);

	fill_data(L, lx, x, lx->ref_cust_data, customer_fields, NFIELDS(customer_fields), KEY_CUST);
	/* what vars_differ compares before later calls of the request */
	memcpy(lx->shadow + VS_TIER, x->vars + VS_TIER, NSHADOW * sizeof *lx->shadow);
	lx->cust_filled = true;
	return answer_from_data(L, lx->ref_cust_mt);
}

/* attr.NAME: the request's attrs over the stored ones, as in expressions */
static int attr_index(lua_State *L)
{
	rl_lua *lx = bridge_of(L);
	rl_ctx *x = current(L, lx);
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
	rl_lua *lx = bridge_of(L);
	rl_ctx *x = current(L, lx);
	lua_Integer i = lua_isinteger(L, 2) ? lua_tointeger(L, 2) : 0;

	if (i < 1 || !x->b || i > (lua_Integer)x->b->nitems)
		lua_pushnil(L);
	else
		push_item(L, lx, (uint32_t)(i - 1));
	return 1;
}

static int items_len(lua_State *L)
{
	rl_lua *lx = bridge_of(L);
	rl_ctx *x = current(L, lx);

	lua_pushinteger(L, x->b ? x->b->nitems : 0);
	return 1;
}

static int items_next(lua_State *L)
{
	rl_lua *lx = bridge_of(L);
	rl_ctx *x = current(L, lx);
	lua_Integer i = lua_isinteger(L, 2) ? lua_tointeger(L, 2) : 0;

	if (i < 0 || !x->b || i >= (lua_Integer)x->b->nitems)
		return 0;
	lua_pushinteger(L, i + 1);
	push_item(L, lx, (uint32_t)i);
	return 2;
}

static int items_pairs(lua_State *L)
{
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushcclosure(L, items_next, 1);
	lua_pushvalue(L, 1);
	lua_pushinteger(L, 0);
	return 3;
}

/* ---- an item ------------------------------------------------------------- */

/* Every line shares one miss function, one fill function and their
 * closures; a line's number is kept in its data table and in its
 * metatable under this key, which no script can make (a light userdata). */
static const char LINE_KEY;

static uint32_t line_at(lua_State *L, rl_ctx *x, int t)
{
	lua_rawgetp(L, t, &LINE_KEY);
	uint32_t i = (uint32_t)lua_tointeger(L, -1);
	lua_pop(L, 1);
	if (!x->b || i >= x->b->nitems)
		luaL_error(L, "item of another basket");
	return i;
}

/* __index of a line's data table (shared; upvalue 2: names) */
static int item_miss(lua_State *L)
{
	rl_lua *lx = bridge_of(L);
	rl_ctx *x = current(L, lx);
	uint32_t i = line_at(L, x, 1);
	int id = miss_id(L);

	if (id == 0)
		return no_field(L, PX_ITEM);
	if (id - 1 == IS_NET)
		lx->impure++;
	if (id - 1 < ITEM_COPIED) /* copied, and nil in this request */
		lua_pushnil(L);
	else
		push_value(L, &x->items[(size_t)i * IS_N + (size_t)(id - 1)]);
	return 1;
}

/* __index of a line's metatable while the request's lines are stale: the
 * first read of an item's sku or category in a request copies those of
 * every line of the basket at once (one C call instead of one per line;
 * predicates run over every line anyway), charged one instruction a line
 * to the running call, then answers the key. */
static int item_fill(lua_State *L)
{
	rl_lua *lx = bridge_of(L);
	rl_ctx *x = current(L, lx);
	lua_getmetatable(L, 1); /* the C API sees past __metatable */
	uint32_t i = line_at(L, x, lua_gettop(L));
	uint32_t n = x->b->nitems;

	luasb_charge(L, n);
	lua_settop(L, 2);
	lua_rawgeti(L, LUA_REGISTRYINDEX, lx->ref_lines); /* 3 */
	if (n > lx->nlines_made)
		make_line(L, lx, n - 1);
	lua_rawgeti(L, LUA_REGISTRYINDEX, lx->ref_keys); /* 4 */
	for (uint32_t j = 0; j < n; j++) {
		const expr_value *iv = &x->items[(size_t)j * IS_N];
		lua_Integer base = 4 * (lua_Integer)j;
		lua_rawgeti(L, 3, base + 3); /* data: 5 */
		for (int f = 0; f < ITEM_COPIED; f++) {
			lua_rawgeti(L, 4, KEY_ITEM + f);
			push_value(L, &iv[f]);
			lua_rawset(L, 5);
		}
		lua_rawgeti(L, 3, base + 2);
		lua_rawgeti(L, 4, KEY_INDEX);
		lua_pushvalue(L, 5);
		lua_rawset(L, -3);
		lua_settop(L, 4);
	}
	lx->nlines_filled = n;
	lua_rawgeti(L, 3, 4 * (lua_Integer)i + 3);
	lua_pushvalue(L, 2);
	lua_gettable(L, -2); /* through item_miss for the fields not copied */
	return 1;
}

/* ---- set-up ---------------------------------------------------------------- */

static int ro_newindex(lua_State *L)
{
	return luaL_error(L, "%s is read-only", lua_tostring(L, lua_upvalueindex(1)));
}

static int px_tostring(lua_State *L)
{
	lua_pushvalue(L, lua_upvalueindex(1));
	return 1;
}

/* A proxy's metatable (left on the stack): read-only, closed, named. */
static void new_meta(lua_State *L, px_kind kind)
{
	lua_createtable(L, 0, 6);
	lua_pushstring(L, px_names[kind]);
	lua_pushcclosure(L, ro_newindex, 1);
	lua_setfield(L, -2, "__newindex");
	lua_pushstring(L, px_names[kind]);
	lua_pushcclosure(L, px_tostring, 1);
	lua_setfield(L, -2, "__tostring");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	luasb_mark_readonly(L, -1);
}

/* An empty table with the metatable on top of the stack (popped); the
 * proxy is left on the stack. */
static void new_proxy(lua_State *L)
{
	lua_createtable(L, 0, 0);
	lua_insert(L, -2);
	lua_setmetatable(L, -2);
}

/* A closure of f with the bridge as upvalue 1 and `extra` more on top. */
static void push_fn(lua_State *L, rl_lua *lx, lua_CFunction f, int extra)
{
	lua_pushlightuserdata(L, lx);
	if (extra)
		lua_insert(L, -(extra + 1));
	lua_pushcclosure(L, f, 1 + extra);
}

/* The names a miss function answers: `names` -> id, on the stack. */
static void push_names(lua_State *L, const char *const *names, size_t n, const int *ids)
{
	lua_createtable(L, 0, (int)n);
	for (size_t i = 0; i < n; i++) {
		lua_pushinteger(L, ids[i]);
		lua_setfield(L, -2, names[i]);
	}
}

static int ref_top(lua_State *L)
{
	return luaL_ref(L, LUA_REGISTRYINDEX);
}

/* A line costs a proxy, a metatable and a data table (~0.5 KiB of the
 * memory budget, kept for the program's life and reused by every later
 * basket with that many lines). */
static void make_line(lua_State *L, rl_lua *lx, uint32_t upto)
{
	int lines = lua_gettop(L);

	while (lx->nlines_made <= upto) {
		uint32_t i = lx->nlines_made;
		lua_Integer base = 4 * (lua_Integer)i;
		/* data, whose misses go to item_miss */
		lua_createtable(L, 0, ITEM_COPIED + 1);
		lua_pushinteger(L, i);
		lua_rawsetp(L, -2, &LINE_KEY);
		lua_rawgeti(L, LUA_REGISTRYINDEX, lx->ref_item_dm);
		lua_setmetatable(L, -2);
		lua_rawseti(L, lines, base + 3);
		/* fill (shared) */
		lua_rawgeti(L, LUA_REGISTRYINDEX, lx->ref_item_fill);
		lua_rawseti(L, lines, base + 4);
		/* metatable, with new_meta's fields shared */
		lua_createtable(L, 0, 6);
		lua_rawgeti(L, LUA_REGISTRYINDEX, lx->ref_item_ro);
		lua_setfield(L, -2, "__newindex");
		lua_rawgeti(L, LUA_REGISTRYINDEX, lx->ref_item_ts);
		lua_setfield(L, -2, "__tostring");
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "__metatable");
		luasb_mark_readonly(L, -1);
		lua_rawgeti(L, LUA_REGISTRYINDEX, lx->ref_item_fill);
		lua_setfield(L, -2, "__index");
		lua_pushinteger(L, i);
		lua_rawsetp(L, -2, &LINE_KEY);
		lua_pushvalue(L, -1);
		lua_rawseti(L, lines, base + 2);
		new_proxy(L);
		lua_rawseti(L, lines, base + 1);
		lx->nlines_made++;
	}
	lua_settop(L, lines);
}

static int init_body(lua_State *L)
{
	rl_lua *lx = lua_touserdata(L, 1);
	const char *names[NFIELDS(ctx_fields) + NFIELDS(customer_fields) + 4];
	int ids[NFIELDS(names)];
	size_t n = 0;

	/* ctx.customer */
	lua_createtable(L, 0, NFIELDS(customer_fields)); /* data */
	lua_createtable(L, 0, 1);
	for (size_t i = 0; i < NFIELDS(customer_fields); i++, n++) {
		names[n] = customer_fields[i].name;
		ids[n] = customer_fields[i].lazy ? F_VS + customer_fields[i].vs : F_NILABLE;
	}
	push_names(L, names, n, ids);
	push_fn(L, lx, cust_miss, 1);
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, -2);
	lx->ref_cust_data = ref_top(L);
	push_fn(L, lx, cust_fill, 0);
	lua_pushvalue(L, -1);
	lx->ref_cust_fill = ref_top(L);
	new_meta(L, PX_CUSTOMER);
	lua_insert(L, -2);
	lua_setfield(L, -2, "__index");
	lua_pushvalue(L, -1);
	lx->ref_cust_mt = ref_top(L);
	new_proxy(L);
	lx->ref_cust = ref_top(L);

	/* ctx.attr */
	new_meta(L, PX_ATTR);
	push_fn(L, lx, attr_index, 0);
	lua_setfield(L, -2, "__index");
	new_proxy(L);
	lx->ref_attr = ref_top(L);

	/* ctx.items */
	new_meta(L, PX_ITEMS);
	push_fn(L, lx, items_index, 0);
	lua_setfield(L, -2, "__index");
	push_fn(L, lx, items_len, 0);
	lua_setfield(L, -2, "__len");
	push_fn(L, lx, items_pairs, 0);
	lua_setfield(L, -2, "__pairs");
	new_proxy(L);
	lx->ref_items = ref_top(L);

	/* ctx: its data table holds the methods, attr and items for good */
	lua_createtable(L, 0, 24);
	for (size_t i = 0; i < NFIELDS(ctx_methods); i++) {
		push_fn(L, lx, ctx_methods[i].f, 0);
		lua_setfield(L, -2, ctx_methods[i].name);
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, lx->ref_attr);
	lua_setfield(L, -2, "attr");
	lua_rawgeti(L, LUA_REGISTRYINDEX, lx->ref_items);
	lua_setfield(L, -2, "items");
	lua_createtable(L, 0, 1);
	n = 0;
	for (size_t i = 0; i < NFIELDS(ctx_fields); i++, n++) {
		names[n] = ctx_fields[i].name;
		ids[n] = ctx_fields[i].lazy ? F_VS + ctx_fields[i].vs : F_NILABLE;
	}
	names[n] = "customer";
	ids[n++] = F_NILABLE;
	names[n] = "net";
	ids[n++] = F_NET;
	names[n] = "coupons";
	ids[n++] = F_COUPONS;
	push_names(L, names, n, ids);
	push_fn(L, lx, ctx_miss, 1);
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, -2);
	lx->ref_ctx_data = ref_top(L);
	push_fn(L, lx, ctx_fill, 0);
	lua_pushvalue(L, -1);
	lx->ref_ctx_fill = ref_top(L);
	new_meta(L, PX_CTX);
	lua_insert(L, -2);
	lua_setfield(L, -2, "__index");
	lua_pushvalue(L, -1);
	lx->ref_ctx_mt = ref_top(L);
	new_proxy(L);
	lx->ctx_ptr = lua_topointer(L, -1);
	lx->ref_ctx = ref_top(L);

	/* what every line shares */
	{
		int item_ids[IS_N];
		for (int f = 0; f < IS_N; f++)
			item_ids[f] = f + 1;
		lua_createtable(L, 0, 1);
		push_names(L, item_fields, IS_N, item_ids);
		push_fn(L, lx, item_miss, 1);
		lua_setfield(L, -2, "__index");
		lx->ref_item_dm = ref_top(L);
		push_fn(L, lx, item_fill, 0);
		lx->ref_item_fill = ref_top(L);
		lua_pushstring(L, px_names[PX_ITEM]);
		lua_pushcclosure(L, ro_newindex, 1);
		lx->ref_item_ro = ref_top(L);
		lua_pushstring(L, px_names[PX_ITEM]);
		lua_pushcclosure(L, px_tostring, 1);
		lx->ref_item_ts = ref_top(L);
	}
	lua_newtable(L);
	lx->ref_lines = ref_top(L);

	lua_createtable(L, KEY_N, 0);
	for (size_t i = 0; i < NFIELDS(ctx_fields); i++) {
		lua_pushstring(L, ctx_fields[i].name);
		lua_rawseti(L, -2, KEY_CTX + (lua_Integer)i);
	}
	lua_pushliteral(L, "customer");
	lua_rawseti(L, -2, KEY_CUSTOMER);
	for (size_t i = 0; i < NFIELDS(customer_fields); i++) {
		lua_pushstring(L, customer_fields[i].name);
		lua_rawseti(L, -2, KEY_CUST + (lua_Integer)i);
	}
	for (int f = 0; f < ITEM_COPIED; f++) {
		lua_pushstring(L, item_fields[f]);
		lua_rawseti(L, -2, KEY_ITEM + f);
	}
	lua_pushliteral(L, "__index");
	lua_rawseti(L, -2, KEY_INDEX);
	lx->ref_keys = ref_top(L);
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
	/* the host's own stack slots, above the sandbox's message handler
	 * (index 1); nothing of the sandbox or of load_lua.c works below its
	 * current top, so they stay for the program's life */
	if (lua_gettop(L) != CTX_SLOT - 1 || !lua_checkstack(L, 2)) {
		snprintf(err, errsz, "cannot set up Lua: unexpected stack");
		return -1;
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, lx->ref_ctx);
	lua_rawgeti(L, LUA_REGISTRYINDEX, lx->ref_lines);
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
		lx->roles = v;
		int32_t *f = realloc(lx->fn_of_ref, n * sizeof *f);
		if (!f)
			return -1;
		lx->fn_of_ref = f;
		memset(v + lx->nroles, 0, n - lx->nroles);
		memset(f + lx->nroles, 0, (n - lx->nroles) * sizeof *f);
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

void rl_lua_count_error(void *lua)
{
	rl_lua *lx = lua;

	if (lx)
		luasb_count_failure(lx->sb, LUASB_FAIL_ERROR);
}

void rl_lua_free(void *lua)
{
	rl_lua *lx = lua;

	if (!lx)
		return;
	luasb_free(lx->sb);
	free(lx->roles);
	free(lx->fn_of_ref);
	free(lx);
}

/* ---- requests ------------------------------------------------------------- */

/* Point the metatable `mt` back at the fill function `fill`: a raw write
 * of an existing key, which allocates nothing (we are outside any call). */
static void mark_stale(lua_State *L, int mt, int fill)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, mt);
	lua_pushliteral(L, "__index");
	lua_rawgeti(L, LUA_REGISTRYINDEX, fill);
	lua_rawset(L, -3);
	lua_pop(L, 1);
}

static void vars_changed(rl_lua *lx, lua_State *L, const rl_ctx *x)
{
	if (lx->ctx_filled)
		mark_stale(L, lx->ref_ctx_mt, lx->ref_ctx_fill);
	if (lx->cust_filled)
		mark_stale(L, lx->ref_cust_mt, lx->ref_cust_fill);
	lx->ctx_filled = lx->cust_filled = false;
	if (++lx->gen == 0) { /* wrapped: entries of 2^32 requests ago would look current */
		memset(lx->memo, 0, sizeof lx->memo);
		lx->gen = 1;
	}
}

/* A request the data tables do not hold. The evaluator sets lua_mark to
 * NULL whenever it sets up an rl_ctx (rules/eval.c ctx_init,
 * rules/program.c cust_ctx, which zeroes the whole context); this file
 * leaves its bridge's address there. So "same rl_ctx and our mark" means the
 * same request even when the next request's rl_ctx is at the same
 * address (it is, on the evaluator's stack). */
static void begin_request(rl_lua *lx, lua_State *L, rl_ctx *x)
{
	vars_changed(lx, L, x);
	lua_rawgeti(L, LUA_REGISTRYINDEX, lx->ref_lines);
	for (uint32_t k = 0; k < lx->nlines_filled; k++) {
		lua_Integer base = 4 * (lua_Integer)k;
		lua_rawgeti(L, -1, base + 2);
		lua_pushliteral(L, "__index");
		lua_rawgeti(L, -3, base + 4);
		lua_rawset(L, -3);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	lx->nlines_filled = 0;
	lx->req_x = x;
	x->lua_mark = lx;
}

/* Has the evaluator changed a value the data tables hold since they were
 * filled? Within a request it changes only these (rules/eval.c and
 * rules/program.c): the tier while tiers qualify, the customer's figures
 * for the tier after the commit; net is never copied. Comparing the type
 * and the 8 bytes of the value is enough: a tier's name is the program's
 * own string. Only the customer's data table holds these, so nothing is
 * compared while it is stale (most calls of a request whose rules do not
 * read the customer); cust_fill takes the copy compared against. */
_Static_assert(VS_DSLP == VS_TIER + NSHADOW - 1, "the slots compared are VS_TIER..VS_DSLP");

static inline bool val_differ(const expr_value *a, const expr_value *b)
{
	if (a->t != b->t)
		return true;
	/* only the bytes the type uses: the evaluator writes values field by
	 * field (rl_set_bool, rl_set_null), so the rest of the union is
	 * whatever was there before */
	switch (a->t) {
	case EV_NULL: return false;
	case EV_BOOL: return a->u.b != b->u.b;
	case EV_STR: return a->u.s.p != b->u.s.p || a->u.s.n != b->u.s.n;
	case EV_LIST: return a->u.l.v != b->u.l.v || a->u.l.n != b->u.l.n;
	default: return a->u.i != b->u.i; /* int, or a float's bits */
	}
}

static bool vars_differ(const rl_lua *lx, const rl_ctx *x)
{
	const expr_value *a = x->vars + VS_TIER, *b = lx->shadow + VS_TIER;

	return val_differ(&a[0], &b[0]) || val_differ(&a[1], &b[1]) || val_differ(&a[2], &b[2])
		|| val_differ(&a[3], &b[3]) || val_differ(&a[4], &b[4]) || val_differ(&a[5], &b[5]);
}

/* ---- the call ------------------------------------------------------------- */


static int make_item(lua_State *L)
{
	rl_lua *lx = lua_touserdata(L, 1);

	push_item(L, lx, (uint32_t)lua_tointeger(L, 2));
	return 1;
}

const char *rl_lua_role_name(rl_lua_role r)
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

/* luasb_fn_id of the function `ref` when its results may be remembered;
 * *key_nargs is the arity its results are remembered under: a function
 * that declares one parameter (`function(item)`, no `...`) never sees the
 * ctx a discount's items also passes, so f(item, ctx) is f(item) and
 * shares the results any_item remembered (and the other way round). */
static int ref_fn(rl_lua *lx, lua_State *L, int ref, int *key_nargs)
{
	*key_nargs = 2;
	if (ref <= 0 || (size_t)ref >= lx->nroles)
		return -1;
	if (!lx->fn_of_ref[ref]) {
		lua_Debug ar;
		luasb_push_fn(lx->sb, ref);
		int id = luasb_fn_id(lx->sb, lua_topointer(L, -1));
		bool one = lua_getinfo(L, ">u", &ar) && ar.nparams <= 1 && !ar.isvararg;
		lx->fn_of_ref[ref] = (id + 2) * 2 + (one ? 1 : 0);
	}
	*key_nargs = lx->fn_of_ref[ref] & 1 ? 1 : 2;
	return luasb_fns_pure(lx->sb) ? (lx->fn_of_ref[ref] >> 1) - 2 : -1;
}

int rl_lua_call(void *lua, const rl_code *code, void *ctxp, int item,
	expr_value *out, char *err, size_t errsz)
{
	rl_lua *lx = lua;
	rl_ctx *x = ctxp;
	rl_ctx *saved = lx->x;
	lua_State *L = luasb_state(lx->sb);
	rl_lua_role role = code->lua_ref > 0 && (size_t)code->lua_ref < lx->nroles
		? (rl_lua_role)lx->roles[code->lua_ref] : LR_WHEN;
	int nargs = 1, t, rc = 0, fn = -1, key_nargs = 2;

	if (!lua_checkstack(L, 8)) {
		snprintf(err, errsz, "Lua stack exhausted");
		return -1;
	}
	if (!saved) {
		if (x != lx->req_x || x->lua_mark != lx)
			begin_request(lx, L, x);
		else if (lx->cust_filled && vars_differ(lx, x))
			vars_changed(lx, L, x);
	} else if (saved != x) {
		/* a host function of a running call evaluating another request:
		 * the data tables hold the running one's */
		snprintf(err, errsz, "Lua called for another request during a call");
		return -1;
	}
	if (item >= 0) {
		fn = ref_fn(lx, L, code->lua_ref, &key_nargs);

		int m = fn >= 0 ? memo_get(lx, fn, (uint32_t)item, key_nargs) : 0;
		if (m) {
			*out = m == 3 ? expr_null() : expr_bool(m == 2);
			return 0;
		}
	}
	uint64_t imp = lx->impure;
	luasb_push_fn(lx->sb, code->lua_ref);
	if (item >= 0) {
		/* function(item, ctx); the line's proxy is made on first use, in
		 * a protected call (it allocates) */
		if ((uint32_t)item < lx->nlines_made && !saved) {
			lua_rawgeti(L, LINES_SLOT, 4 * (lua_Integer)item + 1);
		} else if ((uint32_t)item < lx->nlines_made) {
			lua_rawgeti(L, LUA_REGISTRYINDEX, lx->ref_lines);
			lua_rawgeti(L, -1, 4 * (lua_Integer)item + 1);
			lua_remove(L, -2);
		} else {
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
	if (!saved)
		lua_pushvalue(L, CTX_SLOT);
	else
		lua_rawgeti(L, LUA_REGISTRYINDEX, lx->ref_ctx);
	lx->x = x;
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
				rl_lua_role_name(role), lua_typename(L, t));
		else if (fn >= 0 && imp == lx->impure)
			memo_put(lx, fn, (uint32_t)item, key_nargs, t == LUA_TNIL ? 3 : out->u.b ? 2 : 1);
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
				rl_lua_role_name(role), lua_typename(L, t));
		break;
	}
	lua_pop(L, 1);
	return rc;
}
