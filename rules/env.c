/* rules/env.c — the names and host functions a rule expression may use
 * (rules.md, "Expressions"), declared to lang/ once per program, and the
 * bind callbacks that resolve segment("x"), variant("x") and coupon("X") to
 * indexes at load, so that the request path never looks a name up.
 *
 * Two environments: `env` with everything, `cust_env` with customer names
 * only, for tier `qualify` (a request name there is a load error). */
#include <stdlib.h>
#include <string.h>

#include "rules/load_impl.h"

typedef struct name_decl {
	const char *name;
	expr_type type;
	unsigned needs;
} name_decl;

/* ORDER: VS_* in prog_impl.h */
static const name_decl rl_top_names[VS_NFIXED] = {
	{ "customer", ET_STR | ET_NULL, RL_N_CUSTOMER },
	{ "tier", ET_STR | ET_NULL, RL_N_CUSTOMER },
	{ "points", ET_INT | ET_NULL, RL_N_CUSTOMER },
	{ "lifetime_spend", ET_INT | ET_NULL, RL_N_CUSTOMER },
	{ "spend_12m", ET_INT | ET_NULL, RL_N_CUSTOMER },
	{ "purchase_count", ET_INT | ET_NULL, RL_N_CUSTOMER },
	{ "days_since_last_purchase", ET_INT | ET_NULL, RL_N_CUSTOMER },
	{ "days_since_enrolled", ET_INT | ET_NULL, RL_N_CUSTOMER },
	{ "referred_by", ET_STR | ET_NULL, RL_N_CUSTOMER },
	{ "referrals", ET_INT | ET_NULL, RL_N_CUSTOMER },
	{ "subtotal", ET_INT, RL_N_REQUEST },
	{ "net", ET_INT, RL_N_REQUEST | RL_N_NET },
	{ "qty", ET_INT, RL_N_REQUEST },
	{ "channel", ET_STR | ET_NULL, RL_N_REQUEST },
	{ "store", ET_STR | ET_NULL, RL_N_REQUEST },
	{ "weekday", ET_STR, RL_N_REQUEST },
	{ "hour", ET_INT, RL_N_REQUEST },
	{ "month", ET_INT, RL_N_REQUEST },
	{ "day", ET_INT, RL_N_REQUEST },
	{ "date", ET_STR, RL_N_REQUEST },
};

/* ORDER: IS_* in prog_impl.h */
static const name_decl rl_item_names[IS_N] = {
	{ "item.sku", ET_STR, RL_N_ITEMS },
	{ "item.category", ET_STR | ET_NULL, RL_N_ITEMS },
	{ "item.qty", ET_INT, RL_N_ITEMS },
	{ "item.price", ET_INT, RL_N_ITEMS },
	{ "item.net", ET_INT, RL_N_ITEMS | RL_N_ITEMNET },
	{ "item.tags", ET_LIST, RL_N_ITEMS },
};

#define ATTR_TYPE (ET_NULL | ET_BOOL | ET_INT | ET_FLOAT | ET_STR)

/* attr.NAME: every name is accepted and gets its own slot. */
static int attr_resolve(void *ud, const char *suffix, size_t n)
{
	program *p = ud;
	if (n == 0 || n > 128)
		return -1;
	for (uint32_t i = 0; i < p->nattrs; i++)
		if (p->attr_len[i] == n && memcmp(p->attrs[i], suffix, n) == 0)
			return VS_NFIXED + (int)i;
	if (p->nattrs >= RL_MAX_ATTRS)
		return -1;
	if ((p->nattrs & (p->nattrs - 1)) == 0) {
		uint32_t cap = p->nattrs ? p->nattrs * 2 : 1;
		const char **a = realloc(p->attrs, cap * sizeof *a);
		if (!a)
			return -1;
		p->attrs = a;
		uint32_t *l = realloc(p->attr_len, cap * sizeof *l);
		if (!l)
			return -1;
		p->attr_len = l;
	}
	char *s = arena_strndup(&p->mem, suffix, n);
	if (!s)
		return -1;
	p->attrs[p->nattrs] = s;
	p->attr_len[p->nattrs] = (uint32_t)n;
	return VS_NFIXED + (int)p->nattrs++;
}

static int rec_push(int **v, uint32_t *n, uint32_t *cap, int x)
{
	for (uint32_t i = 0; i < *n; i++)
		if ((*v)[i] == x)
			return 0;
	if (*n == *cap) {
		uint32_t c = *cap ? *cap * 2 : 8;
		int *nv = realloc(*v, c * sizeof *nv);
		if (!nv)
			return -1;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = x;
	return 0;
}

void rl_rec_reset(rl_loader *L)
{
	L->nrec_coupons = 0;
	L->nrec_segs = 0;
}

int rl_find_segment(const program *p, const char *name, size_t n)
{
	for (uint32_t i = 0; i < p->nsegments; i++)
		if (strlen(p->segments[i].name) == n && memcmp(p->segments[i].name, name, n) == 0)
			return (int)i;
	return -1;
}

int rl_find_experiment(const program *p, const char *name, size_t n)
{
	for (uint32_t i = 0; i < p->nexperiments; i++)
		if (strlen(p->experiments[i].name) == n && memcmp(p->experiments[i].name, name, n) == 0)
			return (int)i;
	return -1;
}

static int coupon_index(program *p, const char *s, size_t n)
{
	char up[128];
	if (n == 0 || n >= sizeof up)
		return -1;
	for (size_t i = 0; i < n; i++)
		up[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
	for (uint32_t i = 0; i < p->ncoupons; i++)
		if (p->coupon_len[i] == n && memcmp(p->coupons[i], up, n) == 0)
			return (int)i;
	if ((p->ncoupons & (p->ncoupons - 1)) == 0) {
		uint32_t cap = p->ncoupons ? p->ncoupons * 2 : 1;
		const char **a = realloc(p->coupons, cap * sizeof *a);
		if (!a)
			return -2;
		p->coupons = a;
		uint32_t *l = realloc(p->coupon_len, cap * sizeof *l);
		if (!l)
			return -2;
		p->coupon_len = l;
	}
	char *c = arena_strndup(&p->mem, up, n);
	if (!c)
		return -2;
	p->coupons[p->ncoupons] = c;
	p->coupon_len[p->ncoupons] = (uint32_t)n;
	return (int)p->ncoupons++;
}

/* An expression that is exactly coupon("X") (blanks around, X without a
 * backslash): X's index + 1, for phase 1 to answer as the host call would;
 * 0 for anything else. Runs after a successful compile, which bound X. */
static uint32_t coupon_alone(program *p, const char *s, size_t n)
{
	size_t a = 0, b = n;
	while (a < b && (s[a] == ' ' || s[a] == '\t' || s[a] == '\n' || s[a] == '\r'))
		a++;
	while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\n' || s[b - 1] == '\r'))
		b--;
	if (b - a < 10 || memcmp(s + a, "coupon(", 7) != 0 || s[b - 1] != ')')
		return 0;
	char q = s[a + 7];
	if ((q != '"' && q != '\'') || s[b - 2] != q)
		return 0;
	for (size_t i = a + 8; i < b - 2; i++)
		if (s[i] == q || s[i] == '\\')
			return 0;
	int k = coupon_index(p, s + a + 8, b - 2 - (a + 8));
	return k >= 0 ? (uint32_t)k + 1 : 0;
}

static int bind_cb(void *ud, int fn_id, const char *s, size_t n, int64_t *bound,
	char *err, size_t errsz)
{
	rl_loader *L = ud;
	int i;
	switch (fn_id) {
	case HF_COUPON:
		i = coupon_index(L->p, s, n);
		if (i == -1) {
			snprintf(err, errsz, "a coupon code must be 1 to 127 bytes");
			return -1;
		}
		if (i < 0 || rec_push(&L->rec_coupons, &L->nrec_coupons, &L->caprec_coupons, i)) {
			snprintf(err, errsz, "out of memory");
			return -1;
		}
		*bound = i;
		return 0;
	case HF_SEGMENT:
		i = rl_find_segment(L->p, s, n);
		if (i < 0) {
			snprintf(err, errsz, "unknown segment '%.*s'", (int)(n > 100 ? 100 : n), s);
			return -1;
		}
		if (rec_push(&L->rec_segs, &L->nrec_segs, &L->caprec_segs, i)) {
			snprintf(err, errsz, "out of memory");
			return -1;
		}
		*bound = i;
		return 0;
	case HF_VARIANT:
		i = rl_find_experiment(L->p, s, n);
		if (i < 0) {
			snprintf(err, errsz, "unknown experiment '%.*s'", (int)(n > 100 ? 100 : n), s);
			return -1;
		}
		*bound = i;
		return 0;
	case HF_ANY_P:
	case HF_COUNT_P:
	case HF_SUM_P: {
		char *end;
		long k = n > 1 && s[0] == '#' ? strtol(s + 1, &end, 10) : -1;
		if (k < 0 || k >= (long)L->p->npreds || end != s + n) {
			snprintf(err, errsz, "reserved function name");
			return -1;
		}
		*bound = k;
		return 0;
	}
	}
	snprintf(err, errsz, "internal: unbound function");
	return -1;
}

/* rules/eval.c */
int rl_host_call(expr_frame *f, int fn_id, int64_t bound, const expr_value *args,
	int nargs, const expr *const *preds, expr_value *out);

static int declare(expr_env *env, rl_loader *L, bool full)
{
	program *p = L->p;
	for (int i = 0; i < VS_NFIXED; i++) {
		if (!full && !(rl_top_names[i].needs & RL_N_CUSTOMER))
			continue;
		if (expr_env_name(env, EXPR_SCOPE_TOP, rl_top_names[i].name, rl_top_names[i].type, i) ||
		    expr_env_name_needs(env, rl_top_names[i].name, rl_top_names[i].needs))
			return -1;
	}
	if (expr_env_namespace(env, EXPR_SCOPE_TOP, "attr", ATTR_TYPE, attr_resolve, p))
		return -1;
	if (!full)
		return 0;
	for (int i = 0; i < IS_N; i++)
		if (expr_env_name(env, EXPR_SCOPE_ITEM, rl_item_names[i].name, rl_item_names[i].type, i) ||
		    expr_env_name_needs(env, rl_item_names[i].name, rl_item_names[i].needs))
			return -1;
	const expr_func_decl fns[] = {
		{ .name = "coupon", .fn_id = HF_COUPON, .nargs = 1, .arg_types = { ET_STR },
		  .ret = ET_BOOL, .bind = bind_cb, .bind_ud = L, .needs = RL_N_COUPON },
		{ .name = "segment", .fn_id = HF_SEGMENT, .nargs = 1, .arg_types = { ET_STR },
		  .ret = ET_BOOL, .bind = bind_cb, .bind_ud = L, .needs = RL_N_SEGMENT },
		{ .name = "variant", .fn_id = HF_VARIANT, .nargs = 1, .arg_types = { ET_STR },
		  .ret = ET_STR | ET_NULL, .bind = bind_cb, .bind_ud = L, .needs = RL_N_VARIANT },
		/* lang/'s native aggregates over the request's lines (the frame's
		 * rows, rules/eval.c): no host call per call or per line */
		{ .name = "any_item", .fn_id = HF_ANY_ITEM, .nargs = 1, .arg_types = { ET_PRED },
		  .ret = ET_BOOL, .pred_scope = EXPR_SCOPE_ITEM, .needs = RL_N_ITEMS,
		  .agg = EXPR_AGG_ANY },
		{ .name = "count_qty", .fn_id = HF_COUNT_QTY, .nargs = 1, .arg_types = { ET_PRED },
		  .ret = ET_INT, .pred_scope = EXPR_SCOPE_ITEM, .needs = RL_N_ITEMS,
		  .agg = EXPR_AGG_SUM, .agg_slot = IS_QTY },
		{ .name = "sum_net", .fn_id = HF_SUM_NET, .nargs = 1, .arg_types = { ET_PRED },
		  .ret = ET_INT, .pred_scope = EXPR_SCOPE_ITEM, .needs = RL_N_ITEMS | RL_N_ITEMNET,
		  .agg = EXPR_AGG_SUM, .agg_slot = IS_NET },
		/* hidden twins over shared predicates (rules/preds.c) */
		{ .name = "__any_it", .fn_id = HF_ANY_P, .nargs = 1, .arg_types = { ET_STR },
		  .ret = ET_BOOL, .bind = bind_cb, .bind_ud = L, .needs = RL_N_ITEMS },
		{ .name = "__cnt_qty", .fn_id = HF_COUNT_P, .nargs = 1, .arg_types = { ET_STR },
		  .ret = ET_INT, .bind = bind_cb, .bind_ud = L, .needs = RL_N_ITEMS },
		{ .name = "__s_net", .fn_id = HF_SUM_P, .nargs = 1, .arg_types = { ET_STR },
		  .ret = ET_INT, .bind = bind_cb, .bind_ud = L, .needs = RL_N_ITEMS | RL_N_ITEMNET },
		/* where a compiled Lua function raises (rules/lua_compile.c) */
		{ .name = "__lua_error", .fn_id = HF_LUA_ERROR, .nargs = 1, .arg_types = { ET_STR },
		  .ret = ET_BOOL },
	};
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
		if (expr_env_func(env, &fns[i]))
			return -1;
	expr_env_set_host(env, rl_host_call);
	return 0;
}

int rl_env_build(rl_loader *L)
{
	L->p->env = expr_env_new();
	L->p->cust_env = expr_env_new();
	if (!L->p->env || !L->p->cust_env)
		return -1;
	if (declare(L->p->env, L, true) || declare(L->p->cust_env, L, false))
		return -1;
	return 0;
}

static int keep_expr(program *p, expr *e)
{
	if (p->nexprs == p->capexprs) {
		uint32_t cap = p->capexprs ? p->capexprs * 2 : 64;
		expr **v = realloc(p->exprs, cap * sizeof *v);
		if (!v)
			return -1;
		p->exprs = v;
		p->capexprs = cap;
	}
	p->exprs[p->nexprs++] = e;
	return 0;
}

int rl_compile_node(rl_loader *L, const yd_node *n, int scope, expr_type want,
	bool cust_only, rl_code *code)
{
	expr_error err;
	memset(code, 0, sizeof *code);
	if (!n || n->kind != YD_SCALAR) {
		rl_err_add(L->errs, L->file, n ? n->line : 1, n ? n->col : 1,
			"expected an expression (a YAML scalar)");
		return -1;
	}
	expr_pos pos = { n->text_line, n->text_col, n->cont_col };
	const expr_env *env = cust_only ? L->p->cust_env : L->p->env;
	memset(&err, 0, sizeof err);
	/* shared item predicates (rules/preds.c); qualify has no item functions */
	const char *src = cust_only ? n->s : rl_preds_rewrite(L, n->s, n->n, pos);
	if (!src)
		src = n->s;
	expr *e = expr_compile(env, scope, src, n->n, pos, want, &err);
	if (!e) {
		if (cust_only) {
			/* say why a name that is valid elsewhere is refused here */
			expr_error e2;
			memset(&e2, 0, sizeof e2);
			expr *full = expr_compile(L->p->env, scope, n->s, n->n, pos, want, &e2);
			if (full) {
				expr_free(full);
				rl_err_add(L->errs, L->file, err.line, err.col,
					"qualify may use customer names only (%s)", err.msg);
				return -1;
			}
		}
		rl_err_add(L->errs, L->file, err.line, err.col, "%s", err.msg);
		return -1;
	}
	if (keep_expr(L->p, e)) {
		expr_free(e);
		rl_err_add(L->errs, L->file, n->line, n->col, "out of memory");
		return -1;
	}
	code->uses = expr_uses(e);
	expr_value k;
	if (expr_is_const(e, &k) && k.t != EV_LIST && k.t != EV_STR) {
		code->kind = RC_CONST;
		code->k = k;
	} else {
		code->kind = RC_EXPR;
	}
	code->e = e;
	if (code->kind == RC_EXPR && scope == EXPR_SCOPE_TOP && !cust_only && (want & ET_BOOL)) {
		/* a condition: how phase 1 may answer it (prog_impl.h) */
		uint32_t c1 = coupon_alone(L->p, n->s, n->n);
		int pk = c1 ? -1 : rl_pred_when_any(L, n);
		code->fast = c1 ? RL_FAST_COUPON : pk >= 0 ? RL_FAST_ANY : RL_FAST_EXPR;
		code->fast_k = c1 ? c1 - 1 : pk >= 0 ? (uint32_t)pk : 0;
	}
	return 0;
}
