/* lang/lua_compile.c — a Lua function into an expression with the same
 * answers (lang/lua_compile.h says what and why).
 *
 * How: the function's bytecode (lua_bytecode.c) is executed symbolically.
 * A path holds the registers of every inlined frame, the conditions taken
 * so far (atoms: expression text, maybe negated) and what it learned about
 * values on the way (facts: "this value is nil here", "is truthy here").
 * A branch on something only known at run time forks the path. A path
 * ends at the function's return; a condition is the `or` of the paths
 * that return true (each the `and` of its atoms), a number the value of
 * the only path.
 *
 * The rule for every instruction is "do what Lua does, or give up": an
 * operation is translated only where the expression language is known to
 * give Lua's answer for every value the operands may have on that path
 * (`==` on nil and strings, `<` on non-nil numbers or strings, integer
 * arithmetic, truthiness); anything else gives up. Errors agree too: the
 * atoms the expression evaluates are exactly those Lua evaluates on the
 * same input (both short-circuit along one decision tree), except where a
 * path that returns false holds an atom that can fail and no returning
 * path holds it — that gives up as well (see finish_bool).
 *
 * Bounded: 64 paths, 20,000 instructions over all paths, 8 nested calls,
 * 4 KiB of expression. */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lua_compile.h"
#include "lang/lua_int.h"

#define LC_MAX_PATHS 64
#define LC_MAX_STEPS 20000
#define LC_MAX_DEPTH 8
#define LC_MAX_TEXT  4096
#define LC_MAX_FACTS 64
#define LC_MAX_ATOMS 64
#define LC_MAX_LIST  1024
#define LC_MAX_MEMO  256

enum { VK_NIL, VK_BOOL, VK_INT, VK_FLT, VK_STR, VK_TERM, VK_OBJ, VK_FUNC, VK_TABLE,
	VK_METHOD, VK_LOOKUP, VK_OPAQUE };

struct lc_val {
	uint8_t k;
	bool b;
	bool mayfail;        /* TERM: evaluating it can fail (x // y, sums) */
	unsigned types;      /* TERM: LC_*; OBJ: LC_NIL when it may be absent */
	uint32_t id;         /* TERM, OBJ: identity, for facts */
	int64_t i;
	double f;
	const char *s;       /* STR: bytes; TERM: expression; OBJ: presence test; METHOD: name */
	size_t n;
	int obj;             /* OBJ, METHOD: the host's object */
	int anchor;          /* FUNC, TABLE, LOOKUP: the Lua value's slot in the anchor table */
	const lproto *p;     /* FUNC: made by CLOSURE during the compile (anchor 0) */
	lc_val **up;         /* FUNC with p: its upvalues */
	const lc_val *key;   /* LOOKUP: table[key] */
};

typedef struct memo {
	uint32_t parent;
	const char *key;
	size_t n;
	lc_val *v;
} memo;

struct lc {
	lua_State *L;
	int anchor;          /* stack index of a table keeping the Lua values seen */
	int nanchor;
	const lc_host *h;
	arena mem;
	uint32_t next_id;
	uint32_t steps;
	int depth;
	char *why;
	size_t whysz;
	bool failed;
	memo memo[LC_MAX_MEMO]; /* obj.key read twice is the same value */
	uint32_t nmemo;
	lc_val sink;         /* what newv hands out once memory ran out */
};

enum { F_NIL = 1, F_NONNIL, F_TRUE, F_FALSE };
typedef struct fact {
	uint32_t id;
	uint8_t st;
} fact;

typedef struct atom {
	const char *t;
	bool neg;
	bool mayfail;
} atom;

typedef struct frame frame;
struct frame {
	const lproto *p;
	lc_val **up;
	lc_val **reg;
	uint32_t pc;
	frame *parent;
	int ret_reg;         /* where the parent wants the result */
	int nres;            /* how many results it wants (0..) */
};

typedef struct state {
	frame *top;
	int depth;
	fact facts[LC_MAX_FACTS];
	uint32_t nfacts;
	atom atoms[LC_MAX_ATOMS];
	uint32_t natoms;
} state;

/* A condition met on a path: its text, and what each outcome tells. */
typedef struct cond {
	const char *t;
	bool neg;            /* the condition is `not t` */
	bool mayfail;
	uint32_t id;         /* 0: nothing learned */
	uint8_t if_true, if_false;
} cond;

/* The ends of one run: conditions (LC_WANT_BOOL) or the value. */
typedef struct run {
	int want;
	state *work[LC_MAX_PATHS];
	int nwork;
	int npaths;
	/* LC_WANT_BOOL: the text of each path that can return true, and the
	 * atoms of those that return false */
	const char *kept[LC_MAX_PATHS];
	const state *kept_s[LC_MAX_PATHS];
	int nkept;
	const state *dropped[LC_MAX_PATHS];
	int ndropped;
	bool always;         /* a path returns true unconditionally */
	/* LC_WANT_NUM */
	const lc_val *value;
} run;

static const lc_val NIL_V = { .k = VK_NIL };

static void fail(lc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(lc *c, const char *fmt, ...)
{
	if (!c->failed && c->why && c->whysz) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->why, c->whysz, fmt, ap);
		va_end(ap);
	}
	c->failed = true;
}

static lc_val *newv(lc *c, int k)
{
	lc_val *v = arena_calloc(&c->mem, 1, sizeof *v);
	if (!v) {
		/* the compile fails; callers may still fill the value in */
		fail(c, "out of memory");
		memset(&c->sink, 0, sizeof c->sink);
		v = &c->sink;
	}
	v->k = (uint8_t)k;
	return v;
}

static lc_val *mk_bool(lc *c, bool b) { lc_val *v = newv(c, VK_BOOL); v->b = b; return v; }
static lc_val *mk_int(lc *c, int64_t i) { lc_val *v = newv(c, VK_INT); v->i = i; return v; }
static lc_val *mk_flt(lc *c, double f) { lc_val *v = newv(c, VK_FLT); v->f = f; return v; }

static lc_val *mk_term(lc *c, const char *t, unsigned types, bool mayfail)
{
	lc_val *v = newv(c, VK_TERM);
	v->s = t;
	v->types = types;
	v->mayfail = mayfail;
	v->id = ++c->next_id;
	return v;
}

static bool is_const(const lc_val *v) { return v->k <= VK_STR; }

/* ---- text ----------------------------------------------------------------- */

const char *lc_printf(lc *c, const char *fmt, ...)
{
	va_list ap;
	char buf[LC_MAX_TEXT + 1];

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0 || n > LC_MAX_TEXT) {
		fail(c, "expression too long");
		return "null";
	}
	char *s = arena_strndup(&c->mem, buf, (size_t)n);
	if (!s) {
		fail(c, "out of memory");
		return "null";
	}
	return s;
}

const char *lc_quote(lc *c, const char *s, size_t n)
{
	char buf[LC_MAX_TEXT + 1];
	size_t o = 0;

	if (n > LC_MAX_TEXT / 6) {
		fail(c, "string too long");
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
		fail(c, "out of memory");
	return r;
}

/* A constant as expression text. */
static const char *lit(lc *c, const lc_val *v)
{
	char buf[64];

	switch (v->k) {
	case VK_NIL: return "null";
	case VK_BOOL: return v->b ? "true" : "false";
	case VK_INT:
		if (v->i == INT64_MIN) {
			fail(c, "integer constant out of range");
			return "null";
		}
		return v->i < 0 ? lc_printf(c, "(%lld)", (long long)v->i) : lc_printf(c, "%lld", (long long)v->i);
	case VK_FLT:
		if (v->f != v->f || v->f > 1e300 || v->f < -1e300) {
			fail(c, "float constant out of range");
			return "null";
		}
		snprintf(buf, sizeof buf, "%.17g", v->f);
		if (strchr(buf, 'e') || strchr(buf, 'E')) {
			fail(c, "float constant with an exponent");
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
		fail(c, "not a constant");
		return "null";
	}
}

/* A value as expression text: a constant or a term. */
static const char *text_of(lc *c, const lc_val *v)
{
	if (is_const(v))
		return lit(c, v);
	if (v->k == VK_TERM)
		return v->s;
	fail(c, "a value the expression language cannot hold");
	return "null";
}

/* ---- facts ---------------------------------------------------------------- */

static int fact_of(const state *s, uint32_t id)
{
	for (uint32_t i = s->nfacts; i-- > 0;)
		if (s->facts[i].id == id)
			return s->facts[i].st;
	return 0;
}

static void add_fact(lc *c, state *s, uint32_t id, uint8_t st)
{
	if (!id || !st)
		return;
	if (s->nfacts >= LC_MAX_FACTS) {
		fail(c, "too many conditions");
		return;
	}
	s->facts[s->nfacts].id = id;
	s->facts[s->nfacts].st = st;
	s->nfacts++;
}

static void add_atom(lc *c, state *s, const char *t, bool neg, bool mayfail)
{
	if (s->natoms >= LC_MAX_ATOMS) {
		fail(c, "too many conditions");
		return;
	}
	s->atoms[s->natoms].t = t;
	s->atoms[s->natoms].neg = neg;
	s->atoms[s->natoms].mayfail = mayfail;
	s->natoms++;
}

/* What the path knows of v. */
static const lc_val *resolve(lc *c, const state *s, const lc_val *v)
{
	if (v->k != VK_TERM && v->k != VK_OBJ)
		return v;
	int f = fact_of(s, v->id);
	if (f == F_NIL)
		return &NIL_V;
	if (v->k == VK_OBJ)
		return v;
	if (f == F_TRUE && !(v->types & ~(LC_BOOL | LC_NIL)))
		return mk_bool(c, true);
	if (f == F_FALSE && !(v->types & ~LC_BOOL))
		return mk_bool(c, false);
	if (f == F_FALSE && !(v->types & LC_BOOL))
		return &NIL_V;
	return v;
}

static bool nonnil(const state *s, const lc_val *v)
{
	if (v->k == VK_NIL)
		return false;
	if (v->k != VK_TERM && v->k != VK_OBJ)
		return true;
	if (!(v->types & LC_NIL))
		return true;
	int f = fact_of(s, v->id);
	return f == F_NONNIL || f == F_TRUE;
}

/* ---- Lua values seen at compile time --------------------------------------- */

/* The value at idx of the Lua stack as a compile-time value. */
static lc_val *from_lua(lc *c, int idx)
{
	lua_State *L = c->L;
	lc_val *v;

	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		return (lc_val *)&NIL_V;
	case LUA_TBOOLEAN:
		return mk_bool(c, lua_toboolean(L, idx));
	case LUA_TNUMBER:
		return lua_isinteger(L, idx) ? mk_int(c, lua_tointeger(L, idx)) : mk_flt(c, lua_tonumber(L, idx));
	case LUA_TSTRING:
		v = newv(c, VK_STR);
		v->s = lua_tolstring(L, idx, &v->n); /* anchored below */
		break;
	case LUA_TTABLE:
		/* only read-only tables: their contents are the same in every call */
		if (!luasb_is_frozen(L, idx))
			return newv(c, VK_OPAQUE);
		v = newv(c, VK_TABLE);
		break;
	case LUA_TFUNCTION:
		v = newv(c, lua_iscfunction(L, idx) ? VK_OPAQUE : VK_FUNC);
		break;
	default:
		return newv(c, VK_OPAQUE);
	}
	if (!lua_checkstack(L, 2)) {
		fail(c, "Lua stack exhausted");
		return v;
	}
	lua_pushvalue(L, idx);
	lua_rawseti(L, c->anchor, ++c->nanchor);
	v->anchor = c->nanchor;
	return v;
}

/* Push the read-only table's contents (the hidden table behind it). */
static bool push_contents(lc *c, int anchor)
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

static lc_val *from_field(lc *c, const lc_field *fd)
{
	if (fd->obj >= 0) {
		lc_val *v = newv(c, VK_OBJ);
		v->obj = fd->obj;
		v->s = fd->text;
		v->types = fd->text ? LC_NIL : 0;
		v->id = ++c->next_id;
		return v;
	}
	if (!fd->text || !fd->types) {
		fail(c, "host gave no value");
		return (lc_val *)&NIL_V;
	}
	return mk_term(c, fd->text, fd->types, false);
}

static lc_val *index_obj(lc *c, const state *s, const lc_val *o, const lc_val *key)
{
	if (!nonnil(s, o)) {
		fail(c, "reads a field of something that may be nil (ctx.customer is nil for an "
			"anonymous basket: test it first)");
		return (lc_val *)&NIL_V;
	}
	if (key->k != VK_STR) {
		fail(c, "a field that is not a constant name");
		return (lc_val *)&NIL_V;
	}
	for (uint32_t i = 0; i < c->nmemo; i++)
		if (c->memo[i].parent == o->id && c->memo[i].n == key->n && memcmp(c->memo[i].key, key->s, key->n) == 0)
			return c->memo[i].v;
	lc_field fd = { .obj = -1 };
	if (c->h->field(c->h->ud, o->obj, key->s, key->n, &fd)) {
		fail(c, "reads field '%.40s' it cannot translate", key->s);
		return (lc_val *)&NIL_V;
	}
	lc_val *v = from_field(c, &fd);
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
		lc_val *v = newv(c, VK_LOOKUP);
		v->anchor = t->anchor;
		v->key = key;
		v->mayfail = key->mayfail;
		return v;
	}
	if (!is_const(key) || key->k == VK_NIL) {
		fail(c, "indexes a table with a key it cannot see");
		return (lc_val *)&NIL_V;
	}
	if (!lua_checkstack(L, 4) || !push_contents(c, t->anchor)) {
		fail(c, "reads a table that is not read-only");
		return (lc_val *)&NIL_V;
	}
	push_const(L, key);
	lua_rawget(L, -2);
	lc_val *v = from_lua(c, lua_gettop(L));
	lua_pop(L, 2);
	return v;
}

static lc_val *index_any(lc *c, const state *s, const lc_val *o, const lc_val *key)
{
	o = resolve(c, s, o);
	if (o->k == VK_OBJ)
		return index_obj(c, s, o, key);
	if (o->k == VK_TABLE)
		return index_table(c, o, key);
	fail(c, "indexes something other than ctx, an item or a read-only table");
	return (lc_val *)&NIL_V;
}

/* ---- truth and comparisons ---------------------------------------------- */

static bool lua_raweq_const(const lc_val *x, const lc_val *y)
{
	if ((x->k == VK_INT || x->k == VK_FLT) && (y->k == VK_INT || y->k == VK_FLT)) {
		if (x->k == VK_INT && y->k == VK_INT)
			return x->i == y->i;
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
	if (!buf || !lua_checkstack(L, 6) || !push_contents(c, anchor)) {
		fail(c, "reads a table that is not read-only");
		return NULL;
	}
	int t = lua_gettop(L);
	buf[o++] = '[';
	lua_pushnil(L);
	while (!c->failed && lua_next(L, t)) {
		bool hit;
		if (k) {
			lc_val *val = from_lua(c, lua_gettop(L));
			hit = is_const(val) && lua_raweq_const(val, k);
		} else {
			hit = lua_toboolean(L, -1);
		}
		lua_pop(L, 1);
		if (!hit)
			continue;
		lc_val *key = from_lua(c, lua_gettop(L));
		if (!is_const(key)) {
			fail(c, "a table key the expression language cannot hold");
			break;
		}
		const char *kt = lit(c, key);
		size_t kn = strlen(kt);
		if (++*count > LC_MAX_LIST || o + kn + 3 > LC_MAX_TEXT) {
			fail(c, "table too large");
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
static int truth(lc *c, const state *s, const lc_val *v, cond *cd)
{
	memset(cd, 0, sizeof *cd);
	v = resolve(c, s, v);
	switch (v->k) {
	case VK_NIL: return 0;
	case VK_BOOL: return v->b;
	case VK_OBJ:
		if (nonnil(s, v))
			return 1;
		cd->t = v->s;
		cd->id = v->id;
		cd->if_true = F_NONNIL;
		cd->if_false = F_NIL;
		return 2;
	case VK_TERM: {
		bool nn = nonnil(s, v);
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
		cd->t = lc_printf(c, "%s in %s", text_of(c, v->key), keys);
		cd->mayfail = v->mayfail;
		return 2;
	}
	case VK_OPAQUE:
		fail(c, "tests a value it cannot see");
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
static int equal(lc *c, const state *s, const lc_val *x, const lc_val *y, cond *cd)
{
	memset(cd, 0, sizeof *cd);
	x = resolve(c, s, x);
	y = resolve(c, s, y);
	if (is_const(x) && is_const(y))
		return lua_raweq_const(x, y);
	if (is_const(x)) {
		const lc_val *t = x;
		x = y;
		y = t;
	}
	switch (x->k) {
	case VK_OBJ:
		if (y->k == VK_NIL) {
			int r = truth(c, s, x, cd);
			if (r != 2)
				return !r;
			cd->neg = true;
			cd->if_true = F_NIL;
			cd->if_false = F_NONNIL;
			return 2;
		}
		if (is_const(y))
			return 0;
		if (y->k == VK_OBJ && y->id == x->id)
			return 1;
		break;
	case VK_TERM:
		cd->mayfail = x->mayfail;
		if (y->k == VK_NIL) {
			if (nonnil(s, x))
				return 0;
			cd->t = lc_printf(c, "%s == null", x->s);
			cd->id = x->id;
			cd->if_true = F_NIL;
			cd->if_false = F_NONNIL;
			return 2;
		}
		if (is_const(y)) {
			if (!compatible(x->types, y))
				return 0;
			cd->t = lc_printf(c, "%s == %s", x->s, lit(c, y));
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
		if (is_const(y)) {
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
				cd->t = m ? lc_printf(c, "not (%s in %s or %s in %s)", text_of(c, x->key), keys,
						text_of(c, x->key), fk)
					: lc_printf(c, "not (%s in %s)", text_of(c, x->key), keys);
			} else {
				if (n == 0)
					return 0;
				cd->t = lc_printf(c, "%s in %s", text_of(c, x->key), keys);
			}
			cd->mayfail = x->mayfail;
			return 2;
		}
		break;
	default:
		break;
	}
	fail(c, "compares values it cannot translate");
	return 0;
}

/* The class of an operand of < and <=: 1 number, 2 string, 0 neither. */
static int ord_class(const state *s, const lc_val *v)
{
	if (v->k == VK_INT || v->k == VK_FLT)
		return 1;
	if (v->k == VK_STR)
		return 2;
	if (v->k != VK_TERM || !nonnil(s, v))
		return 0;
	unsigned t = v->types & ~LC_NIL;
	return !(t & ~LC_NUM) ? 1 : !(t & ~LC_STR) ? 2 : 0;
}

/* x < y (or x <= y): Lua raises on anything but two numbers or two
 * strings; so must the operands be, on this path, for sure. */
static int order(lc *c, const state *s, const lc_val *x, const lc_val *y, bool le, cond *cd)
{
	memset(cd, 0, sizeof *cd);
	x = resolve(c, s, x);
	y = resolve(c, s, y);
	int cx = ord_class(s, x), cy = ord_class(s, y);
	if (!cx || cx != cy) {
		fail(c, "orders values that may not be two numbers or two strings");
		return 0;
	}
	if (is_const(x) && is_const(y)) {
		int r;
		if (cx == 2) {
			size_t m = x->n < y->n ? x->n : y->n;
			r = memcmp(x->s, y->s, m);
			if (r == 0)
				r = (x->n > y->n) - (x->n < y->n);
		} else if (x->k == VK_INT && y->k == VK_INT) {
			r = (x->i > y->i) - (x->i < y->i);
		} else {
			fail(c, "orders an int and a float constant");
			return 0;
		}
		return le ? r <= 0 : r < 0;
	}
	cd->t = lc_printf(c, "%s %s %s", text_of(c, x), le ? "<=" : "<", text_of(c, y));
	cd->mayfail = (x->k == VK_TERM && x->mayfail) || (y->k == VK_TERM && y->mayfail);
	return 2;
}

/* ---- arithmetic ------------------------------------------------------------ */

static bool int_operand(const state *s, const lc_val *v)
{
	return v->k == VK_INT || (v->k == VK_TERM && !(v->types & ~(LC_INT | LC_NIL)) && nonnil(s, v));
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if (a % b != 0 && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Lua's integer arithmetic; + - * fold with wrap-around as Lua does. */
static lc_val *arith(lc *c, const state *s, int op, const lc_val *x, const lc_val *y)
{
	static const char *const sym[] = { "+", "-", "*", "//", "%" };

	x = resolve(c, s, x);
	y = resolve(c, s, y);
	if (!int_operand(s, x) || !int_operand(s, y)) {
		fail(c, "arithmetic on values that may not be integers");
		return (lc_val *)&NIL_V;
	}
	if (x->k == VK_INT && y->k == VK_INT) {
		uint64_t a = (uint64_t)x->i, b = (uint64_t)y->i;
		switch (op) {
		case 0: return mk_int(c, (int64_t)(a + b));
		case 1: return mk_int(c, (int64_t)(a - b));
		case 2: return mk_int(c, (int64_t)(a * b));
		default:
			if (y->i == 0 || y->i == -1) {
				fail(c, "constant division by zero or -1");
				return (lc_val *)&NIL_V;
			}
			if (op == 3)
				return mk_int(c, floor_div(x->i, y->i));
			return mk_int(c, x->i - floor_div(x->i, y->i) * y->i);
		}
	}
	bool mayfail = (x->k == VK_TERM && x->mayfail) || (y->k == VK_TERM && y->mayfail) ||
		(op >= 3 && !(y->k == VK_INT && y->i != 0));
	return mk_term(c, lc_printf(c, "(%s %s %s)", text_of(c, x), sym[op], text_of(c, y)), LC_INT, mayfail);
}

/* ---- paths ------------------------------------------------------------------ */

static lc_val **new_regs(lc *c, const lproto *p)
{
	lc_val **r = arena_calloc(&c->mem, p->maxstack ? p->maxstack : 1, sizeof *r);
	if (!r) {
		fail(c, "out of memory");
		return NULL;
	}
	for (int i = 0; i < p->maxstack; i++)
		r[i] = (lc_val *)&NIL_V;
	return r;
}

static frame *clone_frames(lc *c, const frame *f)
{
	if (!f)
		return NULL;
	frame *n = arena_alloc(&c->mem, sizeof *n);
	lc_val **r = n ? arena_alloc(&c->mem, (f->p->maxstack ? f->p->maxstack : 1) * sizeof *r) : NULL;
	if (!n || !r) {
		fail(c, "out of memory");
		return NULL;
	}
	*n = *f;
	memcpy(r, f->reg, f->p->maxstack * sizeof *r);
	n->reg = r;
	n->parent = clone_frames(c, f->parent);
	return n;
}

static state *clone_state(lc *c, const state *s)
{
	state *n = arena_alloc(&c->mem, sizeof *n);
	if (!n) {
		fail(c, "out of memory");
		return NULL;
	}
	*n = *s;
	n->top = clone_frames(c, s->top);
	return n;
}

/* Does any instruction after `from` write register r? (A closure made at
 * `from` shares r with the frame; its copy here is of r's value then.) */
static bool written_after(const lproto *p, uint32_t from, int r)
{
	for (uint32_t pc = from + 1; pc < p->ncode; pc++) {
		uint32_t i = p->code[pc];
		int op = LOP_OP(i), a = LOP_A(i);
		switch (op) {
		case LOP_SETTABUP: case LOP_SETTABLE: case LOP_SETI: case LOP_SETFIELD:
		case LOP_JMP: case LOP_EQ: case LOP_LT: case LOP_LE: case LOP_EQK: case LOP_EQI:
		case LOP_LTI: case LOP_LEI: case LOP_GTI: case LOP_GEI: case LOP_TEST:
		case LOP_RETURN: case LOP_RETURN0: case LOP_RETURN1: case LOP_MMBIN:
		case LOP_MMBINI: case LOP_MMBINK: case LOP_CLOSE: case LOP_EXTRAARG:
		case LOP_SETUPVAL:
			break;
		case LOP_CALL: case LOP_TAILCALL: case LOP_LOADNIL: case LOP_VARARG:
		case LOP_TFORCALL: case LOP_SETLIST:
			if (r >= a)
				return true;
			break;
		case LOP_SELF:
			if (r == a || r == a + 1)
				return true;
			break;
		default:
			if (r == a)
				return true;
			break;
		}
	}
	return false;
}

static bool set_reg(lc *c, frame *f, int r, lc_val *v)
{
	if (r < 0 || r >= f->p->maxstack) {
		fail(c, "register out of range");
		return false;
	}
	f->reg[r] = v;
	return true;
}

static lc_val *reg(lc *c, const frame *f, int r)
{
	if (r < 0 || r >= f->p->maxstack) {
		fail(c, "register out of range");
		return (lc_val *)&NIL_V;
	}
	return f->reg[r];
}

static lc_val *konst(lc *c, const frame *f, int k)
{
	if (k < 0 || (uint32_t)k >= f->p->nk) {
		fail(c, "constant out of range");
		return (lc_val *)&NIL_V;
	}
	const lproto_k *pk = &f->p->k[k];
	lc_val *v;
	switch (pk->t) {
	case LUA_TBOOLEAN: return mk_bool(c, pk->b);
	case LUA_TNUMBER: return pk->isint ? mk_int(c, pk->i) : mk_flt(c, pk->f);
	case LUA_TSTRING:
		v = newv(c, VK_STR);
		v->s = pk->s;
		v->n = pk->n;
		return v;
	default:
		return (lc_val *)&NIL_V;
	}
}

/* A Lua function value's code and upvalues, for a call. */
static bool open_fn(lc *c, lc_val *fn)
{
	lua_State *L = c->L;

	if (fn->p)
		return true;
	if (!lua_checkstack(L, 4)) {
		fail(c, "Lua stack exhausted");
		return false;
	}
	lua_rawgeti(L, c->anchor, fn->anchor);
	int fi = lua_gettop(L);
	lproto *p = luasb_proto_read(L, fi, &c->mem);
	if (!p) {
		lua_pop(L, 1);
		fail(c, "calls a function whose code it cannot read");
		return false;
	}
	lc_val **up = arena_calloc(&c->mem, p->nup ? p->nup : 1, sizeof *up);
	for (uint32_t i = 0; up && i < p->nup; i++) {
		if (!lua_getupvalue(L, fi, (int)i + 1)) {
			up[i] = (lc_val *)&NIL_V;
			continue;
		}
		up[i] = from_lua(c, lua_gettop(L));
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	if (!up) {
		fail(c, "out of memory");
		return false;
	}
	fn->p = p;
	fn->up = up;
	return true;
}

static frame *enter(lc *c, lc_val *fn, lc_val *const *args, int nargs)
{
	if (!open_fn(c, fn))
		return NULL;
	const lproto *p = fn->p;
	if (p->is_vararg) {
		fail(c, "a function with '...'");
		return NULL;
	}
	frame *f = arena_calloc(&c->mem, 1, sizeof *f);
	if (!f) {
		fail(c, "out of memory");
		return NULL;
	}
	f->p = p;
	f->up = fn->up;
	f->reg = new_regs(c, p);
	if (!f->reg)
		return NULL;
	for (int i = 0; i < p->numparams && i < p->maxstack; i++)
		f->reg[i] = i < nargs ? args[i] : (lc_val *)&NIL_V;
	return f;
}

/* The path ends with v returned from its outermost frame. */
static void finish(lc *c, run *rn, state *s, const lc_val *v)
{
	v = resolve(c, s, v);
	rn->npaths++;
	if (rn->want == LC_WANT_NUM) {
		if (rn->npaths > 1) {
			fail(c, "a number that depends on conditions");
			return;
		}
		if (!(v->k == VK_INT || v->k == VK_FLT || (v->k == VK_TERM && !(v->types & ~LC_NUM)))) {
			fail(c, "returns something that may not be a number");
			return;
		}
		rn->value = v;
		return;
	}
	if (!(v->k == VK_NIL || v->k == VK_BOOL || (v->k == VK_TERM && !(v->types & ~(LC_BOOL | LC_NIL))))) {
		fail(c, "returns something that may not be true, false or nil");
		return;
	}
	cond cd;
	int t = truth(c, s, v, &cd);
	if (t == 0) {
		rn->dropped[rn->ndropped++] = s;
		return;
	}
	if (t == 2)
		add_atom(c, s, cd.t, cd.neg, cd.mayfail);
	if (s->natoms == 0) {
		rn->always = true;
		return;
	}
	char buf[LC_MAX_TEXT + 1];
	size_t o = 0;
	for (uint32_t i = 0; i < s->natoms; i++) {
		int n = snprintf(buf + o, sizeof buf - o, "%s%s(%s)", i ? " and " : "",
			s->atoms[i].neg ? "not " : "", s->atoms[i].t);
		if (n < 0 || (size_t)n >= sizeof buf - o) {
			fail(c, "expression too long");
			return;
		}
		o += (size_t)n;
	}
	rn->kept_s[rn->nkept] = s;
	rn->kept[rn->nkept++] = lc_printf(c, "%s", buf);
}

/* A conditional instruction: the next one is the jump taken when the
 * condition's value equals k. */
static void cond_jump(lc *c, run *rn, state *s, int r, const cond *cd, int k)
{
	frame *f = s->top;
	if (f->pc >= f->p->ncode || LOP_OP(f->p->code[f->pc]) != LOP_JMP) {
		fail(c, "a test not followed by a jump");
		return;
	}
	int sj = LOP_SJ(f->p->code[f->pc]);
	if (sj < 0) {
		fail(c, "a loop");
		return;
	}
	uint32_t skip = f->pc + 1, target = f->pc + 1 + (uint32_t)sj;
	if (r != 2) {
		f->pc = r == k ? target : skip;
		return;
	}
	if (rn->nwork >= LC_MAX_PATHS || rn->npaths + rn->nwork + 1 > LC_MAX_PATHS) {
		fail(c, "too many paths");
		return;
	}
	state *s2 = clone_state(c, s);
	if (!s2)
		return;
	add_atom(c, s, cd->t, cd->neg, cd->mayfail);
	add_fact(c, s, cd->id, cd->if_true);
	s->top->pc = k == 1 ? target : skip;
	add_atom(c, s2, cd->t, !cd->neg, cd->mayfail);
	add_fact(c, s2, cd->id, cd->if_false);
	s2->top->pc = k == 0 ? target : skip;
	rn->work[rn->nwork++] = s2;
}

/* Return v from the top frame; true when the path ended. */
static bool do_return(lc *c, run *rn, state *s, lc_val *v)
{
	frame *f = s->top;
	if (!f->parent) {
		finish(c, rn, s, v);
		return true;
	}
	frame *pf = f->parent;
	for (int j = 0; j < f->nres; j++)
		set_reg(c, pf, f->ret_reg + j, j == 0 ? v : (lc_val *)&NIL_V);
	s->top = pf;
	s->depth--;
	return false;
}

static lc_val *call_method(lc *c, const state *s, const lc_val *m, lc_val *const *args, int nargs)
{
	if (nargs < 1 || resolve(c, s, args[0])->k != VK_OBJ || resolve(c, s, args[0])->obj != m->obj) {
		fail(c, "a method called without its object");
		return (lc_val *)&NIL_V;
	}
	lc_field fd = { .obj = -1 };
	lc_val *rargs[8];
	if (nargs - 1 > 8) {
		fail(c, "too many arguments");
		return (lc_val *)&NIL_V;
	}
	for (int i = 1; i < nargs; i++) {
		const lc_val *a = resolve(c, s, args[i]);
		rargs[i - 1] = (lc_val *)a;
	}
	bool failed_before = c->failed;
	if (c->h->method(c->h->ud, c, m->obj, m->s, m->n, rargs, nargs - 1, &fd) || c->failed) {
		if (!failed_before)
			fail(c, "calls method '%.40s' it cannot translate", m->s);
		return (lc_val *)&NIL_V;
	}
	lc_val *v = from_field(c, &fd);
	if (v->k != VK_TERM)
		return v;
	v->mayfail = fd.types & LC_NUM; /* sums and counts can overflow */
	for (int i = 0; i < nargs - 1; i++)
		if (rargs[i]->k == VK_FUNC && rargs[i]->mayfail)
			v->mayfail = true;
	return v;
}

/* What an instruction the compiler does not translate stands for. */
static const char *unsupported(int op)
{
	switch (op) {
	case LOP_FORPREP: case LOP_FORLOOP: case LOP_TFORPREP: case LOP_TFORCALL: case LOP_TFORLOOP:
		return "a loop";
	case LOP_CONCAT: return "string concatenation (..)";
	case LOP_LEN: return "the length operator (#)";
	case LOP_NEWTABLE: case LOP_SETLIST: return "a table made in the call";
	case LOP_SETTABUP: case LOP_SETTABLE: case LOP_SETI: case LOP_SETFIELD: case LOP_SETUPVAL:
		return "an assignment to a table, global or upvalue";
	case LOP_POW: case LOP_POWK: case LOP_DIV: case LOP_DIVK: return "float arithmetic (/ or ^)";
	case LOP_BAND: case LOP_BANDK: case LOP_BOR: case LOP_BORK: case LOP_BXOR: case LOP_BXORK:
	case LOP_SHL: case LOP_SHLI: case LOP_SHR: case LOP_SHRI: case LOP_BNOT:
		return "bitwise operators";
	case LOP_VARARG: case LOP_VARARGPREP: return "'...'";
	case LOP_TBC: return "a to-be-closed variable";
	default: return "an instruction it does not translate";
	}
}

/* Run one path until it ends or fails; forks go to rn->work. */
static void exec(lc *c, run *rn, state *s)
{
	static const int arith_of[] = {
		[LOP_ADD] = 0, [LOP_SUB] = 1, [LOP_MUL] = 2, [LOP_IDIV] = 3, [LOP_MOD] = 4,
	};

	while (!c->failed) {
		frame *f = s->top;
		if (++c->steps > LC_MAX_STEPS) {
			fail(c, "too long");
			return;
		}
		if (f->pc >= f->p->ncode) {
			fail(c, "ran past the end of the code");
			return;
		}
		uint32_t pc0 = f->pc;
		uint32_t i = f->p->code[f->pc++];
		int op = LOP_OP(i), a = LOP_A(i), b = LOP_B(i), cc = LOP_C(i), k = LOP_K(i);
		cond cd;
		int r;
		lc_val *v;

		switch (op) {
		case LOP_MOVE: set_reg(c, f, a, reg(c, f, b)); break;
		case LOP_LOADI: set_reg(c, f, a, mk_int(c, LOP_SBX(i))); break;
		case LOP_LOADF: set_reg(c, f, a, mk_flt(c, (double)LOP_SBX(i))); break;
		case LOP_LOADK: set_reg(c, f, a, konst(c, f, LOP_BX(i))); break;
		case LOP_LOADKX:
			if (f->pc >= f->p->ncode || LOP_OP(f->p->code[f->pc]) != LOP_EXTRAARG) {
				fail(c, "LOADKX without EXTRAARG");
				return;
			}
			set_reg(c, f, a, konst(c, f, LOP_AX(f->p->code[f->pc])));
			f->pc++;
			break;
		case LOP_LOADFALSE: set_reg(c, f, a, mk_bool(c, false)); break;
		case LOP_LFALSESKIP: set_reg(c, f, a, mk_bool(c, false)); f->pc++; break;
		case LOP_LOADTRUE: set_reg(c, f, a, mk_bool(c, true)); break;
		case LOP_LOADNIL:
			for (int j = 0; j <= b; j++)
				set_reg(c, f, a + j, (lc_val *)&NIL_V);
			break;
		case LOP_GETUPVAL:
			if ((uint32_t)b >= f->p->nup) {
				fail(c, "upvalue out of range");
				return;
			}
			set_reg(c, f, a, f->up[b]);
			break;
		case LOP_GETTABUP:
			if ((uint32_t)b >= f->p->nup) {
				fail(c, "upvalue out of range");
				return;
			}
			set_reg(c, f, a, index_any(c, s, f->up[b], konst(c, f, cc)));
			break;
		case LOP_GETTABLE: set_reg(c, f, a, index_any(c, s, reg(c, f, b), resolve(c, s, reg(c, f, cc)))); break;
		case LOP_GETI: set_reg(c, f, a, index_any(c, s, reg(c, f, b), mk_int(c, cc))); break;
		case LOP_GETFIELD: set_reg(c, f, a, index_any(c, s, reg(c, f, b), konst(c, f, cc))); break;
		case LOP_SELF: {
			const lc_val *o = resolve(c, s, reg(c, f, b));
			const lc_val *key = k ? konst(c, f, cc) : resolve(c, s, reg(c, f, cc));
			if (o->k != VK_OBJ || key->k != VK_STR || !nonnil(s, o)) {
				fail(c, "a method call on something other than ctx");
				return;
			}
			set_reg(c, f, a + 1, (lc_val *)o);
			v = newv(c, VK_METHOD);
			v->obj = o->obj;
			v->s = key->s;
			v->n = key->n;
			set_reg(c, f, a, v);
			break;
		}
		case LOP_ADDI: case LOP_ADDK: case LOP_SUBK: case LOP_MULK: case LOP_MODK: case LOP_IDIVK:
		case LOP_ADD: case LOP_SUB: case LOP_MUL: case LOP_MOD: case LOP_IDIV: {
			const lc_val *y;
			int aop;
			switch (op) {
			case LOP_ADDI: y = mk_int(c, LOP_SC(i)); aop = 0; break;
			case LOP_ADDK: y = konst(c, f, cc); aop = 0; break;
			case LOP_SUBK: y = konst(c, f, cc); aop = 1; break;
			case LOP_MULK: y = konst(c, f, cc); aop = 2; break;
			case LOP_MODK: y = konst(c, f, cc); aop = 4; break;
			case LOP_IDIVK: y = konst(c, f, cc); aop = 3; break;
			default: y = reg(c, f, cc); aop = arith_of[op]; break;
			}
			set_reg(c, f, a, arith(c, s, aop, reg(c, f, b), y));
			/* the metamethod fallback that follows runs only when the
			 * operation fails, which arith() has ruled out */
			if (f->pc >= f->p->ncode || (LOP_OP(f->p->code[f->pc]) != LOP_MMBIN &&
			    LOP_OP(f->p->code[f->pc]) != LOP_MMBINI && LOP_OP(f->p->code[f->pc]) != LOP_MMBINK)) {
				fail(c, "arithmetic without its fallback");
				return;
			}
			f->pc++;
			break;
		}
		case LOP_UNM: {
			const lc_val *x = resolve(c, s, reg(c, f, b));
			if (x->k == VK_INT)
				set_reg(c, f, a, mk_int(c, (int64_t)(0 - (uint64_t)x->i)));
			else if (int_operand(s, x))
				set_reg(c, f, a, mk_term(c, lc_printf(c, "(-%s)", x->s), LC_INT, x->mayfail));
			else
				fail(c, "negates something that may not be an integer");
			break;
		}
		case LOP_NOT:
			r = truth(c, s, reg(c, f, b), &cd);
			if (r == 2)
				set_reg(c, f, a, mk_term(c, cd.neg ? lc_printf(c, "(%s)", cd.t) : lc_printf(c, "not (%s)", cd.t),
					LC_BOOL, cd.mayfail));
			else
				set_reg(c, f, a, mk_bool(c, !r));
			break;
		case LOP_JMP: {
			int sj = LOP_SJ(i);
			if (sj < 0) {
				fail(c, "a loop");
				return;
			}
			f->pc += (uint32_t)sj;
			break;
		}
		case LOP_EQ:
			r = equal(c, s, reg(c, f, a), reg(c, f, b), &cd);
			cond_jump(c, rn, s, r, &cd, k);
			break;
		case LOP_EQK:
			r = equal(c, s, reg(c, f, a), konst(c, f, b), &cd);
			cond_jump(c, rn, s, r, &cd, k);
			break;
		case LOP_EQI:
			r = equal(c, s, reg(c, f, a), mk_int(c, LOP_SB(i)), &cd);
			cond_jump(c, rn, s, r, &cd, k);
			break;
		case LOP_LT: case LOP_LE:
			r = order(c, s, reg(c, f, a), reg(c, f, b), op == LOP_LE, &cd);
			cond_jump(c, rn, s, r, &cd, k);
			break;
		case LOP_LTI: case LOP_LEI:
			r = order(c, s, reg(c, f, a), mk_int(c, LOP_SB(i)), op == LOP_LEI, &cd);
			cond_jump(c, rn, s, r, &cd, k);
			break;
		case LOP_GTI: case LOP_GEI: /* x > n is n < x */
			r = order(c, s, mk_int(c, LOP_SB(i)), reg(c, f, a), op == LOP_GEI, &cd);
			cond_jump(c, rn, s, r, &cd, k);
			break;
		case LOP_TEST:
			r = truth(c, s, reg(c, f, a), &cd);
			cond_jump(c, rn, s, r, &cd, k);
			break;
		case LOP_TESTSET: {
			/* if truthy(R[B]) == k: R[A] := R[B] and take the jump; else skip it */
			lc_val *src = reg(c, f, b);
			r = truth(c, s, src, &cd);
			if (r == 2) {
				if (rn->nwork >= LC_MAX_PATHS || rn->npaths + rn->nwork + 1 > LC_MAX_PATHS) {
					fail(c, "too many paths");
					return;
				}
				state *s2 = clone_state(c, s);
				if (!s2)
					return;
				add_atom(c, s2, cd.t, !cd.neg, cd.mayfail);
				add_fact(c, s2, cd.id, cd.if_false);
				add_atom(c, s, cd.t, cd.neg, cd.mayfail);
				add_fact(c, s, cd.id, cd.if_true);
				rn->work[rn->nwork++] = s2;
				/* s2 (falsy) goes on from the same point: */
				if (k == 0) {
					set_reg(c, s2->top, a, src);
					cond_jump(c, rn, s2, 1, &cd, 1);
				} else {
					s2->top->pc++;
				}
				r = 1;
			}
			if (r == k) {
				set_reg(c, f, a, src);
				cond_jump(c, rn, s, 1, &cd, 1);
			} else {
				f->pc++;
			}
			break;
		}
		case LOP_CALL: case LOP_TAILCALL: {
			if (b == 0 || (op == LOP_CALL && cc == 0)) {
				fail(c, "a call with a variable number of values");
				return;
			}
			int nargs = b - 1;
			lc_val *fn = (lc_val *)resolve(c, s, reg(c, f, a));
			lc_val *args[256];
			for (int j = 0; j < nargs; j++)
				args[j] = reg(c, f, a + 1 + j);
			if (fn->k == VK_METHOD) {
				v = call_method(c, s, fn, args, nargs);
				if (c->failed)
					return;
				if (op == LOP_TAILCALL) {
					if (do_return(c, rn, s, v))
						return;
					break;
				}
				for (int j = 0; j < cc - 1; j++)
					set_reg(c, f, a + j, j == 0 ? v : (lc_val *)&NIL_V);
				break;
			}
			if (fn->k != VK_FUNC) {
				fail(c, "calls a function it cannot see");
				return;
			}
			if (s->depth + c->depth >= LC_MAX_DEPTH) {
				fail(c, "calls nested too deep");
				return;
			}
			frame *nf = enter(c, fn, args, nargs);
			if (!nf)
				return;
			if (op == LOP_TAILCALL) {
				nf->parent = f->parent;
				nf->ret_reg = f->ret_reg;
				nf->nres = f->nres;
			} else {
				nf->parent = f;
				nf->ret_reg = a;
				nf->nres = cc - 1;
				s->depth++;
			}
			s->top = nf;
			break;
		}
		case LOP_RETURN:
			if (b == 0) {
				fail(c, "returns a variable number of values");
				return;
			}
			if (do_return(c, rn, s, b >= 2 ? reg(c, f, a) : (lc_val *)&NIL_V))
				return;
			break;
		case LOP_RETURN0:
			if (do_return(c, rn, s, (lc_val *)&NIL_V))
				return;
			break;
		case LOP_RETURN1:
			if (do_return(c, rn, s, reg(c, f, a)))
				return;
			break;
		case LOP_CLOSURE: {
			uint32_t bx = (uint32_t)LOP_BX(i);
			if (bx >= f->p->np) {
				fail(c, "prototype out of range");
				return;
			}
			const lproto *np = f->p->p[bx];
			lc_val **up = arena_calloc(&c->mem, np->nup ? np->nup : 1, sizeof *up);
			if (!up) {
				fail(c, "out of memory");
				return;
			}
			for (uint32_t j = 0; j < np->nup; j++) {
				int idx = np->up[j].idx;
				if (np->up[j].instack) {
					if (written_after(f->p, pc0, idx)) {
						fail(c, "a closure over a local that changes");
						return;
					}
					up[j] = reg(c, f, idx);
				} else if ((uint32_t)idx < f->p->nup) {
					up[j] = f->up[idx];
				} else {
					fail(c, "upvalue out of range");
					return;
				}
			}
			v = newv(c, VK_FUNC);
			v->p = np;
			v->up = up;
			set_reg(c, f, a, v);
			break;
		}
		case LOP_CLOSE:
			break;
		default:
			fail(c, "%s", unsupported(op));
			return;
		}
	}
}

/* Run fn(args) over every path. */
static bool run_fn(lc *c, run *rn, lc_val *fn, lc_val *const *args, int nargs)
{
	frame *f = enter(c, fn, args, nargs);
	if (!f)
		return false;
	state *s = arena_calloc(&c->mem, 1, sizeof *s);
	if (!s) {
		fail(c, "out of memory");
		return false;
	}
	s->top = f;
	rn->work[rn->nwork++] = s;
	while (rn->nwork > 0 && !c->failed)
		exec(c, rn, rn->work[--rn->nwork]);
	return !c->failed;
}

static bool has_atom(const state *s, const char *t)
{
	for (uint32_t i = 0; i < s->natoms; i++)
		if (strcmp(s->atoms[i].t, t) == 0)
			return true;
	return false;
}

/* The `or` of the paths that return true. An atom that can fail and
 * appears only on paths that return false would not be evaluated by the
 * expression while Lua evaluates it: give up then. */
static const char *finish_bool(lc *c, const run *rn, bool *mayfail)
{
	*mayfail = false;
	for (int d = 0; d < rn->ndropped; d++) {
		const state *s = rn->dropped[d];
		for (uint32_t i = 0; i < s->natoms; i++) {
			if (!s->atoms[i].mayfail)
				continue;
			bool seen = false;
			for (int k = 0; k < rn->nkept && !seen; k++)
				seen = has_atom(rn->kept_s[k], s->atoms[i].t);
			if (!seen) {
				fail(c, "a condition that can fail only on a path returning false");
				return NULL;
			}
		}
	}
	for (int k = 0; k < rn->nkept; k++)
		for (uint32_t i = 0; i < rn->kept_s[k]->natoms; i++)
			*mayfail = *mayfail || rn->kept_s[k]->atoms[i].mayfail;
	if (rn->always)
		return "true";
	if (rn->nkept == 0)
		return "false";
	if (rn->nkept == 1) {
		/* one atom: no parentheses, so that the host sees the usual
		 * shapes (item.category == "coffee") */
		const state *s = rn->kept_s[0];
		if (s->natoms == 1 && !s->atoms[0].neg)
			return s->atoms[0].t;
		return rn->kept[0];
	}
	char buf[LC_MAX_TEXT + 1];
	size_t o = 0;
	for (int k = 0; k < rn->nkept; k++) {
		int n = snprintf(buf + o, sizeof buf - o, "%s(%s)", k ? " or " : "", rn->kept[k]);
		if (n < 0 || (size_t)n >= sizeof buf - o) {
			fail(c, "expression too long");
			return NULL;
		}
		o += (size_t)n;
	}
	return lc_printf(c, "%s", buf);
}

static lc_val *param_obj(lc *c, int obj)
{
	lc_val *v = newv(c, VK_OBJ);
	v->obj = obj;
	v->id = ++c->next_id;
	return v;
}

const char *lc_arg_pred(lc *c, const lc_val *v, int obj)
{
	if (v->k != VK_FUNC || c->failed) {
		fail(c, "a predicate that is not a Lua function");
		return NULL;
	}
	if (++c->depth >= LC_MAX_DEPTH) {
		fail(c, "calls nested too deep");
		return NULL;
	}
	run *rn = arena_calloc(&c->mem, 1, sizeof *rn);
	if (!rn) {
		fail(c, "out of memory");
		return NULL;
	}
	rn->want = LC_WANT_BOOL;
	lc_val *arg = param_obj(c, obj);
	const char *t = NULL;
	bool mf;
	if (run_fn(c, rn, (lc_val *)v, &arg, 1))
		t = finish_bool(c, rn, &mf);
	if (t && mf)
		((lc_val *)v)->mayfail = true;
	c->depth--;
	return c->failed ? NULL : t;
}

bool lc_arg_str(const lc_val *v, const char **s, size_t *n)
{
	if (v->k != VK_STR)
		return false;
	*s = v->s;
	*n = v->n;
	return true;
}

char *lc_compile(lua_State *L, int idx, const lc_host *h, const int *objs, int nobjs,
	int want, char *why, size_t whysz)
{
	lc *c = calloc(1, sizeof *c);
	char *out = NULL;

	if (why && whysz)
		why[0] = 0;
	if (!c || nobjs > 8 || !lua_checkstack(L, 8)) {
		free(c);
		if (why && whysz)
			snprintf(why, whysz, "out of memory");
		return NULL;
	}
	idx = lua_absindex(L, idx);
	c->L = L;
	c->h = h;
	c->why = why;
	c->whysz = whysz;
	arena_init(&c->mem, 16384, 16u << 20);
	lua_newtable(L);
	c->anchor = lua_gettop(L);
	lc_val *fn = from_lua(c, idx);
	lc_val *args[8];
	for (int i = 0; i < nobjs; i++)
		args[i] = param_obj(c, objs[i]);
	run *rn = arena_calloc(&c->mem, 1, sizeof *rn);
	if (fn->k != VK_FUNC)
		fail(c, "not a Lua function");
	else if (!rn)
		fail(c, "out of memory");
	else {
		rn->want = want;
		if (run_fn(c, rn, fn, args, nobjs)) {
			const char *t = NULL;
			bool mf;
			if (want == LC_WANT_NUM)
				t = rn->value ? text_of(c, rn->value) : (fail(c, "no value"), NULL);
			else
				t = finish_bool(c, rn, &mf);
			if (t && !c->failed)
				out = strdup(t);
		}
	}
	lua_settop(L, c->anchor - 1);
	arena_free(&c->mem);
	free(c);
	return out;
}
