/* rules/lua_compile.c — a Lua program's simple functions become
 * expressions at load, so that those rules run as fast as YAML ones.
 *
 * After every file of a program has loaded (its tables frozen, its upvalues
 * final), each function a rule, discount or segment holds is handed to
 * lang/'s compiler (lang/lua_compile.h) with `ctx`, `ctx.customer`,
 * `ctx.attr` and the items described as the expression language's names —
 * the same values lua_ctx.c copies into Lua. What comes back is compiled
 * exactly as a YAML scalar would be (rl_compile_node: shared item
 * predicates, the fast paths of phase 1), and the rule no longer calls Lua.
 * A function the compiler refuses stays a Lua call; so does every function
 * when prog_limits.lua_no_compile is set. doc/lua.md ("Compiled functions")
 * says which functions compile.
 *
 * Unchanged on purpose: a rule's coupon list (what `applied` names) is the
 * one load_lua.c's scan found, and ctx:coupon() compiles only for codes
 * the program already knows, so compiling never changes which coupons a
 * program knows. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lang/lua_compile.h"
#include "rules/load_impl.h"
#include "rules/lua_ctx.h"

enum { O_CTX, O_CUSTOMER, O_ATTR, O_ITEM };

typedef struct name_ty {
	const char *lua;
	const char *expr;
	unsigned types;
} name_ty;

/* The values lua_ctx.c gives each field (from the same rl_ctx slots). */
static const name_ty ctx_names[] = {
	{ "subtotal", "subtotal", LC_INT }, { "net", "net", LC_INT }, { "qty", "qty", LC_INT },
	{ "channel", "channel", LC_STR | LC_NIL }, { "store", "store", LC_STR | LC_NIL },
	{ "weekday", "weekday", LC_STR }, { "hour", "hour", LC_INT }, { "month", "month", LC_INT },
	{ "day", "day", LC_INT }, { "date", "date", LC_STR },
};
/* ctx.customer is there only for a customer: then these are never nil but
 * where said (the tier while tiers qualify, a customer who never bought) */
static const name_ty customer_names[] = {
	{ "id", "customer", LC_STR }, { "tier", "tier", LC_STR | LC_NIL },
	{ "points", "points", LC_INT }, { "lifetime_spend", "lifetime_spend", LC_INT },
	{ "spend_12m", "spend_12m", LC_INT }, { "purchase_count", "purchase_count", LC_INT },
	{ "days_since_last_purchase", "days_since_last_purchase", LC_INT | LC_NIL },
	{ "days_since_enrolled", "days_since_enrolled", LC_INT },
	{ "referred_by", "referred_by", LC_STR | LC_NIL }, { "referrals", "referrals", LC_INT },
};
static const name_ty item_names[] = {
	{ "sku", "item.sku", LC_STR }, { "category", "item.category", LC_STR | LC_NIL },
	{ "qty", "item.qty", LC_INT }, { "price", "item.price", LC_INT }, { "net", "item.net", LC_INT },
};

#define NNAMES(a) (sizeof a / sizeof a[0])

typedef struct host {
	program *p;
	rl_lua_role role;
} host;

static bool is_key(const char *k, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(k, lit, n) == 0;
}

static int from_table(const name_ty *t, size_t nt, const char *key, size_t n, lc_field *out)
{
	for (size_t i = 0; i < nt; i++)
		if (is_key(key, n, t[i].lua)) {
			out->obj = -1;
			out->text = t[i].expr;
			out->types = t[i].types;
			return 0;
		}
	return -1;
}

static bool is_name(const char *k, size_t n)
{
	if (n == 0 || n > 128 || (k[0] >= '0' && k[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') ||
		      (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return false;
	return true;
}

static int field(void *ud, int obj, const char *key, size_t n, lc_field *out)
{
	host *h = ud;

	switch (obj) {
	case O_CTX:
		if (is_key(key, n, "customer")) {
			out->obj = O_CUSTOMER;
			out->text = "customer != null";
			return 0;
		}
		if (is_key(key, n, "attr")) {
			out->obj = O_ATTR;
			out->text = NULL;
			return 0;
		}
		return from_table(ctx_names, NNAMES(ctx_names), key, n, out);
	case O_CUSTOMER:
		return from_table(customer_names, NNAMES(customer_names), key, n, out);
	case O_ITEM:
		return from_table(item_names, NNAMES(item_names), key, n, out);
	case O_ATTR: {
		/* attr.NAME where NAME is a name of the language, not a keyword */
		static const char *const kw[] = { "and", "or", "not", "in", "true", "false", "null" };
		if (!is_name(key, n))
			return -1;
		for (size_t i = 0; i < NNAMES(kw); i++)
			if (is_key(key, n, kw[i]))
				return -1;
		char *t = arena_alloc(&h->p->mem, n + 6);
		if (!t)
			return -1;
		memcpy(t, "attr.", 5);
		memcpy(t + 5, key, n);
		t[n + 5] = 0;
		out->obj = -1;
		out->text = t;
		out->types = LC_SCALAR | LC_NIL;
		return 0;
	}
	}
	return -1;
}


static bool known_coupon(const program *p, const char *s, size_t n)
{
	for (uint32_t i = 0; i < p->ncoupons; i++) {
		if (p->coupon_len[i] != n)
			continue;
		size_t j = 0;
		for (; j < n; j++) {
			char ch = (s[j] >= 'a' && s[j] <= 'z') ? (char)(s[j] - 32) : s[j];
			if (ch != p->coupons[i][j])
				break;
		}
		if (j == n)
			return true;
	}
	return false;
}

static int method(void *ud, lc *c, int obj, const char *name, size_t n,
	lc_val *const *args, int nargs, lc_field *out)
{
	host *h = ud;
	const char *s;
	size_t sn;

	if (obj != O_CTX || nargs != 1)
		return -1;
	out->obj = -1;
	if (is_key(name, n, "coupon") || is_key(name, n, "segment") || is_key(name, n, "variant")) {
		if (!lc_arg_str(args[0], &s, &sn) || memchr(s, 0, sn))
			return -1;
		if (name[0] == 'c') {
			if (!known_coupon(h->p, s, sn))
				return -1;
			out->types = LC_BOOL;
		} else if (name[0] == 's') {
			/* a compiled segment asking a segment could recurse without
			 * the Lua call's check; leave those to Lua */
			if (h->role == LR_SEGMENT || rl_find_segment(h->p, s, sn) < 0)
				return -1;
			out->types = LC_BOOL;
		} else {
			if (rl_find_experiment(h->p, s, sn) < 0)
				return -1;
			out->types = LC_STR | LC_NIL;
		}
		const char *q = lc_quote(c, s, sn);
		out->text = q ? lc_printf(c, "%.*s(%s)", (int)n, name, q) : NULL;
		return out->text ? 0 : -1;
	}
	if (is_key(name, n, "any_item") || is_key(name, n, "count_qty") || is_key(name, n, "sum_net")) {
		const char *pred = lc_arg_pred(c, args[0], O_ITEM);
		if (!pred)
			return -1;
		out->text = lc_printf(c, "%.*s(%s)", (int)n, name, pred);
		out->types = name[0] == 'a' ? LC_BOOL : LC_INT;
		return 0;
	}
	return -1;
}

/* Remember why a function stays a Lua call, for `loyaltyctl check`. */
static void note(rl_loader *L, rl_lua *lx, const char *file, int line, const char *what,
	const char *name, rl_lua_role role, const char *why)
{
	if (lx->nwhy < RL_LUA_NOTES)
		lx->why_lua[lx->nwhy++] = arena_printf(&L->p->mem, "%s:%d: %s '%s', %s: %s", file, line,
			what, name, rl_lua_role_name(role), why);
}

/* Try to replace one Lua code with the expression compiled from it. */
static void compile_code(rl_loader *L, rl_lua *lx, rl_code *code, rl_lua_role role,
	int *items_pred, const char *file, int line, const char *what, const char *name)
{
	if (code->kind != RC_LUA)
		return;
	lx->nfuncs++;
	if (L->lim && L->lim->lua_no_compile)
		return;

	lua_State *S = luasb_state(lx->sb);
	host h = { .p = L->p, .role = role };
	lc_host lh = { .ud = &h, .field = field, .method = method, .error_fn = "__lua_error" };
	int objs[2] = { O_CTX, O_CTX };
	int nobjs = 1;
	bool cond = role == LR_WHEN || role == LR_ITEMS || role == LR_SEGMENT;
	char why[160];

	if (role == LR_ITEMS) {
		objs[0] = O_ITEM; /* function(item, ctx) */
		nobjs = 2;
	}
	luasb_push_fn(lx->sb, code->lua_ref);
	char *text = lc_compile(S, -1, &lh, objs, nobjs, cond ? LC_WANT_BOOL : LC_WANT_NUM, why, sizeof why);
	lua_pop(S, 1);
	if (!text) {
		note(L, lx, file, line, what, name, role, why[0] ? why : "not compilable");
		return;
	}
	char *kept = arena_strndup(&L->p->mem, text, strlen(text));
	free(text);
	if (!kept)
		return;

	yd_node node;
	memset(&node, 0, sizeof node);
	node.kind = YD_SCALAR;
	node.s = kept;
	node.n = strlen(kept);
	node.plain = true;
	node.line = node.text_line = line;
	node.col = node.text_col = 1;

	/* compiled as YAML would be, its errors (there should be none: the
	 * compiler writes only what it knows the language takes) kept apart */
	prog_errors scratch = { 0 }, *errs = L->errs;
	rl_code nc;
	int pred = -1;
	L->errs = &scratch;
	rl_rec_reset(L);
	if (items_pred)
		pred = rl_pred_intern_node(L, &node);
	int bad = pred < 0 && rl_compile_node(L, &node, role == LR_ITEMS ? EXPR_SCOPE_ITEM : EXPR_SCOPE_TOP,
		cond ? ET_BOOL | ET_NULL : ET_NUM, false, &nc);
	L->errs = errs;
	bad = bad || scratch.n;
	prog_errors_free(&scratch);
	rl_rec_reset(L);
	if (bad) {
		note(L, lx, file, line, what, name, role, "the expression it gives does not compile");
		return;
	}
	if (pred >= 0) {
		memset(code, 0, sizeof *code);
		*items_pred = pred;
	} else {
		*code = nc;
	}
	lx->ncompiled++;
}

void rl_lua_compile_all(rl_loader *L)
{
	program *p = L->p;
	rl_lua *lx = p->lua;

	if (!lx)
		return;
	for (uint32_t i = 0; i < p->nrules; i++) {
		rl_rule *r = &p->rules[i];
#define RULE_CODE(code, role, pred) compile_code(L, lx, code, role, pred, r->file, r->line, "rule", r->name)
		RULE_CODE(&r->when, LR_WHEN, NULL);
		if (r->has_discount) {
			RULE_CODE(&r->disc.items, LR_ITEMS, &r->disc.items_pred);
			RULE_CODE(&r->disc.amount, LR_AMOUNT, NULL);
			RULE_CODE(&r->disc.max, LR_MAX, NULL);
		}
		RULE_CODE(&r->points, LR_POINTS, NULL);
		RULE_CODE(&r->bonus, LR_BONUS, NULL);
		RULE_CODE(&r->referrer_bonus, LR_REFERRER, NULL);
#undef RULE_CODE
	}
	for (uint32_t i = 0; i < p->nsegments; i++) {
		rl_segment *sg = &p->segments[i];
		compile_code(L, lx, &sg->cond, LR_SEGMENT, NULL, sg->file, sg->line, "segment", sg->name);
	}
}

void program_lua_compiled(const program *p, uint32_t *compiled, uint32_t *total)
{
	const rl_lua *lx = p ? p->lua : NULL;
	*compiled = lx ? lx->ncompiled : 0;
	*total = lx ? lx->nfuncs : 0;
}

const char *program_lua_uncompiled(const program *p, uint32_t i)
{
	const rl_lua *lx = p ? p->lua : NULL;
	return lx && i < lx->nwhy ? lx->why_lua[i] : NULL;
}
