/* lang/lua_compile_val.c — the values of a compile (lang/lua_compile.h):
 * constants, terms (expression text with the Lua types they may have),
 * host objects, functions and read-only tables seen at load; what a path
 * knows of them (facts); and the translation of truth, `==`, `<`/`<=` and
 * integer arithmetic — each only where the expression language gives
 * Lua's answer for every value the operands may have on that path, and a
 * failed compile (lc_fail) everywhere else. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lua_compile_int.h"

const lc_val lc_nil_v = { .k = VK_NIL };

void lc_fail(lc *c, const char *fmt, ...)
{
	if (!c->failed && c->why && c->whysz) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->why, c->whysz, fmt, ap);
		va_end(ap);
	}
	c->failed = true;
}

lc_val *lc_newv(lc *c, int k)
{
	lc_val *v = arena_calloc(&c->mem, 1, sizeof *v);
	if (!v) {
		/* the compile fails; callers may still fill the value in */
		lc_fail(c, "out of memory");
		memset(&c->sink, 0, sizeof c->sink);
		v = &c->sink;
	}
	v->k = (uint8_t)k;
	return v;
}

lc_val *lc_bool(lc *c, bool b) { lc_val *v = lc_newv(c, VK_BOOL); v->b = b; return v; }
lc_val *lc_int(lc *c, int64_t i) { lc_val *v = lc_newv(c, VK_INT); v->i = i; return v; }
lc_val *lc_flt(lc *c, double f) { lc_val *v = lc_newv(c, VK_FLT); v->f = f; return v; }

lc_val *lc_term(lc *c, const char *t, unsigned types, bool mayfail)
{
	lc_val *v = lc_newv(c, VK_TERM);
	v->s = t;
	v->types = types;
	v->mayfail = mayfail;
	v->id = ++c->next_id;
	return v;
}


/* ---- text ----------------------------------------------------------------- */

const char *lc_printf(lc *c, const char *fmt, ...)
{
	va_list ap;
	char buf[LC_MAX_TEXT + 1];

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0 || n > LC_MAX_TEXT) {
		lc_fail(c, "expression too long");
		return "null";
	}
	char *s = arena_strndup(&c->mem, buf, (size_t)n);
	if (!s) {
		lc_fail(c, "out of memory");
		return "null";
	}
	return s;
}

const char *lc_quote(lc *c, const char *s, size_t n)
{
	char buf[LC_MAX_TEXT + 1];
	size_t o = 0;

	if (n > LC_MAX_TEXT / 6) {
		lc_fail(c, "string too long");
		return NULL;
	}
	buf[o++] = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)ch;
		} else if (ch < 0x20 || ch == 0x7f) {
			o += (size_t)snprintf(buf + o, 7, "\\u%04x", ch);
		} else {
			buf[o++] = (char)ch;
		}
	}
	buf[o++] = '"';
	char *r = arena_strndup(&c->mem, buf, o);
	if (!r)
		lc_fail(c, "out of memory");
	return r;
}

/* A constant as expression text. */
const char *lc_lit(lc *c, const lc_val *v)
{
	char buf[64];

	switch (v->k) {
	case VK_NIL: return "null";
	case VK_BOOL: return v->b ? "true" : "false";
	case VK_INT:
		if (v->i == INT64_MIN) {
			lc_fail(c, "integer constant out of range");
			return "null";
		}
		return v->i < 0 ? lc_printf(c, "(%lld)", (long long)v->i) : lc_printf(c, "%lld", (long long)v->i);
	case VK_FLT:
		if (v->f != v->f || v->f > 1e300 || v->f < -1e300) {
			lc_fail(c, "float constant out of range");
			return "null";
		}
		snprintf(buf, sizeof buf, "%.17g", v->f);
		if (strchr(buf, 'e') || strchr(buf, 'E')) {
			lc_fail(c, "float constant with an exponent");
			return "null";
		}
		if (!strchr(buf, '.'))
			strcat(buf, ".0");
		return buf[0] == '-' ? lc_printf(c, "(%s)", buf) : lc_printf(c, "%s", buf);
	case VK_STR: {
		const char *q = lc_quote(c, v->s, v->n);
		return q ? q : "null";
	}
	default:
		lc_fail(c, "not a constant");
		return "null";
	}
}

/* A value as expression text: a constant or a term. */
const char *lc_text(lc *c, const lc_val *v)
{
	if (lc_is_const(v))
		return lc_lit(c, v);
	if (v->k == VK_TERM)
		return v->s;
	lc_fail(c, "a value the expression language cannot hold");
	return "null";
}

/* ---- facts ---------------------------------------------------------------- */

int lc_fact_of(const state *s, uint32_t id)
{
	for (uint32_t i = s->nfacts; i-- > 0;)
		if (s->facts[i].id == id)
			return s->facts[i].st;
	return 0;
}

void lc_add_fact(lc *c, state *s, uint32_t id, uint8_t st)
{
	if (!id || !st)
		return;
	if (s->nfacts >= LC_MAX_FACTS) {
		lc_fail(c, "too many conditions");
		return;
	}
	s->facts[s->nfacts].id = id;
	s->facts[s->nfacts].st = st;
	s->nfacts++;
}

void lc_add_atom(lc *c, state *s, const char *t, bool neg, bool mayfail)
{
	if (s->natoms >= LC_MAX_ATOMS) {
		lc_fail(c, "too many conditions");
		return;
	}
	s->atoms[s->natoms].t = t;
	s->atoms[s->natoms].neg = neg;
	s->atoms[s->natoms].mayfail = mayfail;
	s->atoms[s->natoms].forced = NULL;
	s->natoms++;
}

/* What the path knows of v. */
const lc_val *lc_resolve(lc *c, const state *s, const lc_val *v)
{
	if (v->k != VK_TERM && v->k != VK_OBJ)
		return v;
	int f = lc_fact_of(s, v->id);
	if (f == F_NIL)
		return &lc_nil_v;
	if (v->k == VK_OBJ)
		return v;
	if (f == F_TRUE && !(v->types & ~(LC_BOOL | LC_NIL)))
		return lc_bool(c, true);
	if (f == F_FALSE && !(v->types & ~LC_BOOL))
		return lc_bool(c, false);
	if (f == F_FALSE && !(v->types & LC_BOOL))
		return &lc_nil_v;
	return v;
}

bool lc_nonnil(const state *s, const lc_val *v)
{
	if (v->k == VK_NIL)
		return false;
	if (v->k != VK_TERM && v->k != VK_OBJ)
		return true;
	if (!(v->types & LC_NIL))
		return true;
	int f = lc_fact_of(s, v->id);
	return f == F_NONNIL || f == F_TRUE;
}

/* ---- Lua values seen at compile time --------------------------------------- */

/* The value at idx of the Lua stack as a compile-time value. */
lc_val *lc_from_lua(lc *c, int idx)
{
	lua_State *L = c->L;
	lc_val *v;

	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		return (lc_val *)&lc_nil_v;
	case LUA_TBOOLEAN:
		return lc_bool(c, lua_toboolean(L, idx));
	case LUA_TNUMBER:
		return lua_isinteger(L, idx) ? lc_int(c, lua_tointeger(L, idx)) : lc_flt(c, lua_tonumber(L, idx));
	case LUA_TSTRING:
		v = lc_newv(c, VK_STR);
		v->s = lua_tolstring(L, idx, &v->n); /* anchored below */
		break;
	case LUA_TTABLE:
		/* only read-only tables: their contents are the same in every call */
		if (!luasb_is_frozen(L, idx))
			return lc_newv(c, VK_OPAQUE);
		v = lc_newv(c, VK_TABLE);
		break;
	case LUA_TFUNCTION:
		v = lc_newv(c, lua_iscfunction(L, idx) ? VK_OPAQUE : VK_FUNC);
		break;
	default:
		return lc_newv(c, VK_OPAQUE);
	}
	if (!lua_checkstack(L, 2)) {
		lc_fail(c, "Lua stack exhausted");
		return v;
	}
	lua_pushvalue(L, idx);
	lua_rawseti(L, c->anchor, ++c->nanchor);
	v->anchor = c->nanchor;
	return v;
}

/* Push the read-only table's contents (the hidden table behind it). */
static bool push_contents(lc *c, int anchor, bool *chained)
{
	lua_State *L = c->L;

	lua_rawgeti(L, c->anchor, anchor);
	if (!lua_getmetatable(L, -1)) {
		lua_pop(L, 1);
		return false;
	}
	lua_pushliteral(L, "__index");
	if (lua_rawget(L, -2) != LUA_TTABLE) {
		lua_pop(L, 3);
		return false;
	}
	lua_replace(L, -3);
	lua_pop(L, 1);
	/* contents with a metatable of their own (a file's globals fall back
	 * to the libraries this way): a key absent from them is looked up
	 * further, which a raw read does not see */
	*chained = lua_getmetatable(L, -1);
	if (*chained)
		lua_pop(L, 1);
	return true;
}

static void push_const(lua_State *L, const lc_val *k)
{
	switch (k->k) {
	case VK_BOOL: lua_pushboolean(L, k->b); break;
	case VK_INT: lua_pushinteger(L, k->i); break;
	case VK_FLT: lua_pushnumber(L, k->f); break;
	case VK_STR: lua_pushlstring(L, k->s, k->n); break;
	default: lua_pushnil(L); break;
	}
}

/* ---- reading fields ------------------------------------------------------- */

lc_val *lc_from_field(lc *c, const lc_field *fd)
{
	if (fd->obj >= 0) {
		lc_val *v = lc_newv(c, VK_OBJ);
		v->obj = fd->obj;
		v->s = fd->text;
		v->types = fd->text ? LC_NIL : 0;
		v->id = ++c->next_id;
		return v;
	}
	if (!fd->text || !fd->types) {
		lc_fail(c, "host gave no value");
		return (lc_val *)&lc_nil_v;
	}
	return lc_term(c, fd->text, fd->types, false);
}

static lc_val *index_obj(lc *c, const state *s, const lc_val *o, const lc_val *key)
{
	if (!lc_nonnil(s, o)) {
		lc_fail(c, "reads a field of something that may be nil (ctx.customer is nil for an "
			"anonymous basket: test it first)");
		return (lc_val *)&lc_nil_v;
	}
	if (key->k != VK_STR) {
		lc_fail(c, "a field that is not a constant name");
		return (lc_val *)&lc_nil_v;
	}
	for (uint32_t i = 0; i < c->nmemo; i++)
		if (c->memo[i].parent == o->id && c->memo[i].n == key->n && memcmp(c->memo[i].key, key->s, key->n) == 0)
			return c->memo[i].v;
	lc_field fd = { .obj = -1 };
	if (c->h->field(c->h->ud, o->obj, key->s, key->n, &fd)) {
		lc_fail(c, "reads field '%.40s' it cannot translate", key->s);
		return (lc_val *)&lc_nil_v;
	}
	lc_val *v = lc_from_field(c, &fd);
	if (c->nmemo < LC_MAX_MEMO) {
		c->memo[c->nmemo].parent = o->id;
		c->memo[c->nmemo].key = key->s;
		c->memo[c->nmemo].n = key->n;
		c->memo[c->nmemo].v = v;
		c->nmemo++;
	}
	return v;
}

static lc_val *index_table(lc *c, const lc_val *t, const lc_val *key)
{
	lua_State *L = c->L;

	if (key->k == VK_TERM) {
		lc_val *v = lc_newv(c, VK_LOOKUP);
		v->anchor = t->anchor;
		v->key = key;
		v->mayfail = key->mayfail;
		return v;
	}
	if (!lc_is_const(key) || key->k == VK_NIL) {
		lc_fail(c, "indexes a table with a key it cannot see");
		return (lc_val *)&lc_nil_v;
	}
	bool chained;
	if (!lua_checkstack(L, 4) || !push_contents(c, t->anchor, &chained)) {
		lc_fail(c, "reads a table that is not read-only");
		return (lc_val *)&lc_nil_v;
	}
	push_const(L, key);
	if (lua_rawget(L, -2) == LUA_TNIL && chained) {
		lua_pop(L, 2);
		lc_fail(c, "reads a name it cannot see (a library, or a global made elsewhere)");
		return (lc_val *)&lc_nil_v;
	}
	lc_val *v = lc_from_lua(c, lua_gettop(L));
	lua_pop(L, 2);
	return v;
}

lc_val *lc_index(lc *c, const state *s, const lc_val *o, const lc_val *key)
{
	o = lc_resolve(c, s, o);
	if (o->k == VK_OBJ)
		return index_obj(c, s, o, key);
	if (o->k == VK_TABLE)
		return index_table(c, o, key);
	lc_fail(c, "indexes something other than ctx, an item or a read-only table");
	return (lc_val *)&lc_nil_v;
}

/* ---- truth and comparisons ---------------------------------------------- */

static bool lua_raweq_const(const lc_val *x, const lc_val *y)
{
	if ((x->k == VK_INT || x->k == VK_FLT) && (y->k == VK_INT || y->k == VK_FLT)) {
		if (x->k == VK_INT && y->k == VK_INT)
			return x->i == y->i;
		if (x->k == VK_FLT && y->k == VK_FLT)
			return x->f == y->f;
		double a = x->k == VK_INT ? (double)x->i : x->f, b = y->k == VK_INT ? (double)y->i : y->f;
		/* an int and a float are equal when the float is that integer */
		const lc_val *iv = x->k == VK_INT ? x : y;
		double fv = x->k == VK_INT ? b : a;
		return fv >= -9.2233720368547758e18 && fv < 9.2233720368547758e18 && (double)(int64_t)fv == fv &&
			(int64_t)fv == iv->i;
	}
	if (x->k != y->k)
		return false;
	switch (x->k) {
	case VK_NIL: return true;
	case VK_BOOL: return x->b == y->b;
	case VK_STR: return x->n == y->n && memcmp(x->s, y->s, x->n) == 0;
	default: return false;
	}
}

/* The keys of a read-only table whose values satisfy `pick` (raw equality
 * with k, or truthiness when k is NULL), as a list literal; *count set. */
static const char *keys_where(lc *c, int anchor, const lc_val *k, int *count)
{
	lua_State *L = c->L;
	char *buf = arena_alloc(&c->mem, LC_MAX_TEXT + 1);
	size_t o = 0;

	*count = 0;
	bool chained;
	if (!buf || !lua_checkstack(L, 6) || !push_contents(c, anchor, &chained)) {
		lc_fail(c, "reads a table that is not read-only");
		return NULL;
	}
	if (chained) {
		lua_pop(L, 1);
		lc_fail(c, "looks a value up in a table with a metatable");
		return NULL;
	}
	int t = lua_gettop(L);
	buf[o++] = '[';
	lua_pushnil(L);
	while (!c->failed && lua_next(L, t)) {
		bool hit;
		if (k) {
			lc_val *val = lc_from_lua(c, lua_gettop(L));
			hit = lc_is_const(val) && lua_raweq_const(val, k);
		} else {
			hit = lua_toboolean(L, -1);
		}
		lua_pop(L, 1);
		if (!hit)
			continue;
		lc_val *key = lc_from_lua(c, lua_gettop(L));
		if (!lc_is_const(key)) {
			lc_fail(c, "a table key the expression language cannot hold");
			break;
		}
		const char *kt = lc_lit(c, key);
		size_t kn = strlen(kt);
		if (++*count > LC_MAX_LIST || o + kn + 3 > LC_MAX_TEXT) {
			lc_fail(c, "table too large");
			break;
		}
		if (*count > 1) {
			buf[o++] = ',';
			buf[o++] = ' ';
		}
		memcpy(buf + o, kt, kn);
		o += kn;
	}
	lua_settop(L, t - 1);
	buf[o++] = ']';
	buf[o] = 0;
	return c->failed ? NULL : buf;
}

/* Is v truthy: 0, 1, or 2 with the condition to test. */
int lc_truth(lc *c, const state *s, const lc_val *v, cond *cd)
{
	memset(cd, 0, sizeof *cd);
	v = lc_resolve(c, s, v);
	switch (v->k) {
	case VK_NIL: return 0;
	case VK_BOOL: return v->b;
	case VK_OBJ:
		if (lc_nonnil(s, v))
			return 1;
		cd->t = v->s;
		cd->id = v->id;
		cd->if_true = F_NONNIL;
		cd->if_false = F_NIL;
		return 2;
	case VK_TERM: {
		bool nn = lc_nonnil(s, v);
		const char *x = v->s;
		cd->mayfail = v->mayfail;
		cd->id = v->id;
		cd->if_true = F_TRUE;
		cd->if_false = F_FALSE;
		if (!(v->types & LC_BOOL)) {
			if (nn)
				return 1;
			if (v->types == LC_NIL)
				return 0;
			cd->t = lc_printf(c, "%s != null", x);
			cd->if_false = F_NIL;
		} else if (!(v->types & ~LC_BOOL) || (nn && !(v->types & ~(LC_BOOL | LC_NIL)))) {
			cd->t = x;
		} else if (!(v->types & ~(LC_BOOL | LC_NIL))) {
			cd->t = lc_printf(c, "%s == true", x);
		} else {
			cd->t = nn ? lc_printf(c, "%s != false", x) : lc_printf(c, "%s != null and %s != false", x, x);
		}
		return 2;
	}
	case VK_LOOKUP: {
		int n;
		const char *keys = keys_where(c, v->anchor, NULL, &n);
		if (!keys)
			return 0;
		if (n == 0)
			return 0;
		cd->t = lc_printf(c, "%s in %s", lc_text(c, v->key), keys);
		cd->mayfail = v->mayfail;
		return 2;
	}
	case VK_OPAQUE:
		lc_fail(c, "tests a value it cannot see");
		return 0;
	default:
		return 1; /* functions, tables, methods: truthy */
	}
}

static bool compatible(unsigned types, const lc_val *k)
{
	switch (k->k) {
	case VK_BOOL: return types & LC_BOOL;
	case VK_INT: case VK_FLT: return types & LC_NUM;
	case VK_STR: return types & LC_STR;
	default: return false;
	}
}

/* x == y: 0, 1, or 2 with the condition. */
int lc_equal(lc *c, const state *s, const lc_val *x, const lc_val *y, cond *cd)
{
	memset(cd, 0, sizeof *cd);
	x = lc_resolve(c, s, x);
	y = lc_resolve(c, s, y);
	if (lc_is_const(x) && lc_is_const(y))
		return lua_raweq_const(x, y);
	if (lc_is_const(x)) {
		const lc_val *t = x;
		x = y;
		y = t;
	}
	switch (x->k) {
	case VK_OBJ:
		if (y->k == VK_NIL) {
			int r = lc_truth(c, s, x, cd);
			if (r != 2)
				return !r;
			cd->neg = true;
			cd->if_true = F_NIL;
			cd->if_false = F_NONNIL;
			return 2;
		}
		if (lc_is_const(y))
			return 0;
		if (y->k == VK_OBJ && y->id == x->id)
			return 1;
		break;
	case VK_TERM:
		cd->mayfail = x->mayfail;
		if (y->k == VK_NIL) {
			if (lc_nonnil(s, x))
				return 0;
			cd->t = lc_printf(c, "%s == null", x->s);
			cd->id = x->id;
			cd->if_true = F_NIL;
			cd->if_false = F_NONNIL;
			return 2;
		}
		if (lc_is_const(y)) {
			if (!compatible(x->types, y))
				return 0;
			cd->t = lc_printf(c, "%s == %s", x->s, lc_lit(c, y));
			cd->id = x->id;
			cd->if_true = y->k == VK_BOOL && !y->b ? F_FALSE : F_TRUE;
			return 2;
		}
		if (y->k == VK_TERM) {
			cd->t = lc_printf(c, "%s == %s", x->s, y->s);
			cd->mayfail = x->mayfail || y->mayfail;
			return 2;
		}
		break;
	case VK_LOOKUP:
		if (lc_is_const(y)) {
			int n;
			const char *keys;
			bool neg = y->k == VK_NIL;
			keys = keys_where(c, x->anchor, neg ? NULL : y, &n);
			if (!keys)
				return 0;
			if (neg) {
				/* t[k] == nil: k is none of the keys (whose values are never nil) */
				if (n == 0)
					return 1;
				keys = keys_where(c, x->anchor, NULL, &n);
				/* keys whose value is false are present too */
				int m;
				const lc_val f = { .k = VK_BOOL, .b = false };
				const char *fk = keys_where(c, x->anchor, &f, &m);
				if (!keys || !fk)
					return 0;
				cd->t = m ? lc_printf(c, "not (%s in %s or %s in %s)", lc_text(c, x->key), keys,
						lc_text(c, x->key), fk)
					: lc_printf(c, "not (%s in %s)", lc_text(c, x->key), keys);
			} else {
				if (n == 0)
					return 0;
				cd->t = lc_printf(c, "%s in %s", lc_text(c, x->key), keys);
			}
			cd->mayfail = x->mayfail;
			return 2;
		}
		break;
	default:
		break;
	}
	lc_fail(c, "compares values it cannot translate");
	return 0;
}

/* The class of an operand of < and <=: 1 number, 2 string, 0 neither. */
static int ord_class(const state *s, const lc_val *v)
{
	if (v->k == VK_INT || v->k == VK_FLT)
		return 1;
	if (v->k == VK_STR)
		return 2;
	if (v->k != VK_TERM || !lc_nonnil(s, v))
		return 0;
	unsigned t = v->types & ~LC_NIL;
	return !(t & ~LC_NUM) ? 1 : !(t & ~LC_STR) ? 2 : 0;
}

/* x < y (or x <= y): Lua raises on anything but two numbers or two
 * strings; so must the operands be, on this path, for sure. */
int lc_order(lc *c, const state *s, const lc_val *x, const lc_val *y, bool le, cond *cd)
{
	memset(cd, 0, sizeof *cd);
	x = lc_resolve(c, s, x);
	y = lc_resolve(c, s, y);
	int cx = ord_class(s, x), cy = ord_class(s, y);
	if (!cx || cx != cy) {
		lc_fail(c, "orders values that may not be two numbers or two strings");
		return 0;
	}
	if (lc_is_const(x) && lc_is_const(y)) {
		int r;
		if (cx == 2) {
			size_t m = x->n < y->n ? x->n : y->n;
			r = memcmp(x->s, y->s, m);
			if (r == 0)
				r = (x->n > y->n) - (x->n < y->n);
		} else if (x->k == VK_INT && y->k == VK_INT) {
			r = (x->i > y->i) - (x->i < y->i);
		} else if (x->k == VK_FLT && y->k == VK_FLT && x->f == x->f && y->f == y->f) {
			r = (x->f > y->f) - (x->f < y->f);
		} else {
			lc_fail(c, "orders an int and a float constant");
			return 0;
		}
		return le ? r <= 0 : r < 0;
	}
	cd->t = lc_printf(c, "%s %s %s", lc_text(c, x), le ? "<=" : "<", lc_text(c, y));
	cd->mayfail = (x->k == VK_TERM && x->mayfail) || (y->k == VK_TERM && y->mayfail);
	return 2;
}

/* ---- arithmetic ------------------------------------------------------------ */

bool lc_int_operand(const state *s, const lc_val *v)
{
	return v->k == VK_INT || (v->k == VK_TERM && !(v->types & ~(LC_INT | LC_NIL)) && lc_nonnil(s, v));
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if (a % b != 0 && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Lua's integer arithmetic; + - * fold with wrap-around as Lua does. */
lc_val *lc_arith(lc *c, const state *s, int op, const lc_val *x, const lc_val *y)
{
	static const char *const sym[] = { "+", "-", "*", "//", "%" };

	x = lc_resolve(c, s, x);
	y = lc_resolve(c, s, y);
	if (!lc_int_operand(s, x) || !lc_int_operand(s, y)) {
		lc_fail(c, "arithmetic on values that may not be integers");
		return (lc_val *)&lc_nil_v;
	}
	if (x->k == VK_INT && y->k == VK_INT) {
		uint64_t a = (uint64_t)x->i, b = (uint64_t)y->i;
		switch (op) {
		case 0: return lc_int(c, (int64_t)(a + b));
		case 1: return lc_int(c, (int64_t)(a - b));
		case 2: return lc_int(c, (int64_t)(a * b));
		default:
			if (y->i == 0 || y->i == -1) {
				lc_fail(c, "constant division by zero or -1");
				return (lc_val *)&lc_nil_v;
			}
			if (op == 3)
				return lc_int(c, floor_div(x->i, y->i));
			return lc_int(c, x->i - floor_div(x->i, y->i) * y->i);
		}
	}
	bool own = op >= 3 && !(y->k == VK_INT && y->i != 0);
	bool mayfail = own || (x->k == VK_TERM && x->mayfail) || (y->k == VK_TERM && y->mayfail);
	lc_val *v = lc_term(c, lc_printf(c, "(%s %s %s)", lc_text(c, x), sym[op], lc_text(c, y)), LC_INT, mayfail);
	v->own_fail = own;
	return v;
}
