/* rules/eval.c — rl_evaluate(): one quote or purchase through the
 * program (rules.md, "Two phases" and "Edge cases, decided"):
 *   segments once, on the basket as sent;
 *   phase 1: rules in order, conditions checked segment, experiment/variant,
 *            limit, when; a discount applies at once; `stop` ends the run;
 *   redemption on the remaining net;
 *   phase 2: points, bonus and multipliers of the rules that fired, exact
 *            integers with 128-bit intermediates;
 *   coupons, tier after, experiments.
 * Pure: reads its inputs, writes the outcome into the caller's arena. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "rules/eval_ctx.h"

static const char *const weekday_names[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

void rl_ctx_warn(rl_ctx *x, int rule, const char *fmt, ...)
{
	rl_outcome *o = x->out;
	if (!o || o->nwarnings >= 64) /* bounded: one per rule at most matters */
		return;
	char buf[320];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (!o->warnings) {
		o->warnings = arena_alloc(x->mem, 64 * sizeof *o->warnings);
		if (!o->warnings)
			return;
	}
	char *m = arena_strndup(x->mem, buf, strlen(buf));
	if (!m)
		return;
	o->warnings[o->nwarnings].rule = rule;
	o->warnings[o->nwarnings].message = m;
	o->nwarnings++;
}

/* ---- values --------------------------------------------------------------- */

int rl_code_eval(rl_ctx *x, const rl_code *c, int item, expr_value dflt, expr_value *out)
{
	switch (c->kind) {
	case RC_NONE:
		*out = dflt;
		return 0;
	case RC_CONST:
		*out = c->k;
		return 0;
	case RC_EXPR: {
		const expr_value *saved = x->f.item;
		if (item >= 0)
			x->f.item = &x->items[(size_t)item * IS_N];
		int rc = expr_eval(c->e, &x->f, out);
		x->f.item = saved;
		return rc;
	}
	case RC_LUA:
		if (!x->p->lua_call)
			return expr_frame_error(&x->f, "Lua is not available");
		return x->p->lua_call(x->p->lua, c, x, item, out, x->f.err, sizeof x->f.err);
	}
	return expr_frame_error(&x->f, "internal: bad code");
}

int rl_code_bool_slow(rl_ctx *x, const rl_code *c, int item, bool dflt, bool *out)
{
	expr_value v;
	if (rl_code_eval(x, c, item, expr_bool(dflt), &v))
		return -1;
	if (v.t == EV_NULL)
		*out = false;
	else if (v.t == EV_BOOL)
		*out = v.u.b;
	else
		return expr_frame_error(&x->f, "condition is not true or false");
	return 0;
}

bool rl_segment_value(rl_ctx *x, uint32_t s)
{
	int8_t st = x->seg[s];
	if (st == 0 || st == 1)
		return st == 1;
	if (st == 2) /* a cycle is refused at load; never here */
		return false;
	x->seg[s] = 2;
	bool v = false;
	const rl_segment *seg = &x->p->segments[s];
	if (rl_code_bool(x, &seg->cond, -1, false, &v)) {
		rl_ctx_warn(x, -1, "segment '%s': %s", seg->name, x->f.err);
		v = false;
	}
	x->seg[s] = v ? 1 : 0;
	return v;
}

/* ---- host functions ------------------------------------------------------- */

/* any_item over a shared predicate: the lines in order up to the first
 * that holds, as written; once every line is known, the mask. */
static inline int pred_any(rl_ctx *x, uint32_t k, bool *any)
{
	uint32_t n = x->b ? x->b->nitems : 0;
	uint64_t m;
	if (x->pbits && rl_pred_known(x, k, &m)) {
		*any = m != 0;
		return 0;
	}
	bool w = false;
	for (uint32_t i = 0; i < n && !w; i++)
		if (rl_pred_line(x, k, i, &w))
			return -1;
	*any = w;
	return 0;
}

/* any_item/count_qty/sum_net over a shared predicate (rules/preds.c) */
static int pred_loop(rl_ctx *x, int fn_id, uint32_t k, expr_value *out)
{
	const rl_basket *b = x->b;
	uint32_t n = b ? b->nitems : 0;
	int64_t acc = 0;
	bool any = false;
	if (fn_id == HF_ANY_P && x->pbits) {
		int rc = pred_any(x, k, &any);
		if (rc == 0)
			rl_set_bool(out, any);
		return rc;
	}
	uint64_t known;
	if (x->pbits && rl_pred_known(x, k, &known)) {
		/* every line known: the lines where it holds */
		for (uint64_t m = known; m; m &= m - 1) {
			uint32_t i = (uint32_t)__builtin_ctzll(m);
			int64_t v = fn_id == HF_COUNT_P ? b->items[i].qty : x->items[(size_t)i * IS_N + IS_NET].u.i;
			if (__builtin_add_overflow(acc, v, &acc))
				return expr_frame_error(&x->f, "integer overflow in %s", fn_id == HF_SUM_P ? "sum_net" : "count_qty");
		}
		rl_set_int(out, acc);
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		bool hit;
		if (rl_pred_line(x, k, i, &hit))
			return -1;
		if (!hit)
			continue;
		if (fn_id == HF_ANY_P) {
			any = true;
			break;
		}
		int64_t v = fn_id == HF_COUNT_P ? b->items[i].qty : x->items[(size_t)i * IS_N + IS_NET].u.i;
		if (__builtin_add_overflow(acc, v, &acc))
			return expr_frame_error(&x->f, "integer overflow in %s", fn_id == HF_SUM_P ? "sum_net" : "count_qty");
	}
	if (fn_id == HF_ANY_P)
		rl_set_bool(out, any);
	else
		rl_set_int(out, acc);
	return 0;
}

static __attribute__((noinline)) int host_call_slow(expr_frame *f, int fn_id, int64_t bound,
	const expr_value *args, const expr *const *preds, expr_value *out)
{
	rl_ctx *x = f->host;
	switch (fn_id) {
	case HF_COUPON:
		rl_set_bool(out, x->coupon && x->coupon[bound]);
		return 0;
	case HF_SEGMENT:
		rl_set_bool(out, rl_segment_value(x, (uint32_t)bound));
		return 0;
	case HF_VARIANT: {
		int v = x->variant ? x->variant[bound] : -1;
		if (v < 0) {
			rl_set_null(out);
		} else {
			const char *s = x->p->experiments[bound].variants[v];
			rl_set_str(out, s, (uint32_t)strlen(s));
		}
		return 0;
	}
	case HF_ANY_P:
	case HF_COUNT_P:
	case HF_SUM_P:
		return pred_loop(x, fn_id, (uint32_t)bound, out);
	case HF_LUA_ERROR:
		/* stats' lua_failures count it as the sandbox would have */
		rl_lua_count_error(x->p->lua);
		return expr_frame_error(f, "%.*s", (int)args[0].u.s.n, args[0].u.s.p);
	}
	return expr_frame_error(f, "internal: unknown function %d", fn_id);
}

int rl_host_call(expr_frame *f, int fn_id, int64_t bound, const expr_value *args,
	int nargs, const expr *const *preds, expr_value *out);
/* The two calls most conditions make inline (a coupon, any_item over a
 * predicate whose lines are known); the rest out of line, so that these
 * pay for no register saves. */
int rl_host_call(expr_frame *f, int fn_id, int64_t bound, const expr_value *args,
	int nargs, const expr *const *preds, expr_value *out)
{
	(void)nargs;
	rl_ctx *x = f->host;
	uint64_t m;
	if (fn_id == HF_COUPON) {
		rl_set_bool(out, x->coupon && x->coupon[bound]);
		return 0;
	}
	if (fn_id == HF_ANY_P && x->pbits && rl_pred_known(x, (uint32_t)bound, &m)) {
		rl_set_bool(out, m != 0);
		return 0;
	}
	return host_call_slow(f, fn_id, bound, args, preds, out);
}

/* ---- request set-up ------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static inline bool attr_find(const rl_attr *v, uint32_t n, const char *k, uint32_t kn, expr_value *out)
{
	for (uint32_t i = 0; i < n; i++)
		if (v[i].key.n == kn && kn && v[i].key.p[0] == k[0] && rl_bytes_eq(v[i].key.p, k, kn)) {
			*out = v[i].val;
			return true;
		}
	return false;
}

void rl_ctx_customer_vars(rl_ctx *x, int64_t ts, int tier)
{
	const program *p = x->p;
	const rl_customer *c = x->c;
	expr_value *v = x->vars;
	if (!c) {
		for (int i = VS_CUSTOMER; i <= VS_REFERRALS; i++)
			rl_set_null(&v[i]);
	} else {
		rl_set_rstr(&v[VS_CUSTOMER], c->id);
		if (tier >= 0 && (uint32_t)tier < p->ntiers)
			rl_set_str(&v[VS_TIER], p->tiers[tier].name, p->tiers[tier].name_len);
		else
			rl_set_null(&v[VS_TIER]);
		rl_set_int(&v[VS_POINTS], c->points);
		rl_set_int(&v[VS_LIFETIME], c->lifetime_spend);
		rl_set_int(&v[VS_SPEND12], c->spend_12m);
		rl_set_int(&v[VS_PCOUNT], c->purchase_count);
		if (c->has_last_purchase)
			rl_set_int(&v[VS_DSLP], floor_div(ts - c->last_purchase_at, 86400));
		else
			rl_set_null(&v[VS_DSLP]);
		rl_set_int(&v[VS_DSE], floor_div(ts - c->enrolled_at, 86400));
		rl_set_rstr(&v[VS_REFBY], c->referred_by);
		rl_set_int(&v[VS_REFERRALS], c->referrals);
	}
	/* the request's attrs first, then the customer's */
	const rl_basket *b = x->b;
	const rl_attr *ba = b ? b->attrs : NULL, *ca = c ? c->attrs : NULL;
	uint32_t bn = b ? b->nattrs : 0, cn = c ? c->nattrs : 0, na = p->nattrs;
	const char *const *names = p->attrs;
	const uint32_t *lens = p->attr_len;
	for (uint32_t i = 0; i < na; i++) {
		expr_value *a = &v[VS_NFIXED + i];
		if (bn && attr_find(ba, bn, names[i], lens[i], a))
			continue;
		if (cn && attr_find(ca, cn, names[i], lens[i], a))
			continue;
		rl_set_null(a);
	}
}

static bool ascii_ieq(const char *a, const char *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
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

static int coupon_code_index(const program *p, rl_str s)
{
	for (uint32_t k = 0; k < p->ncoupons; k++)
		if (p->coupon_len[k] == s.n && ascii_ieq(p->coupons[k], s.p, s.n))
			return (int)k;
	return -1;
}

/* One arena allocation per request, carved here: the ~20 arrays of a
 * request cost one call instead of twenty. Falls back to the arena when
 * the estimate was short (it never is for what rl_evaluate sizes). */
typedef struct bump {
	arena *mem;
	char *p;
	size_t left;
} bump;

static void *bump_alloc(bump *b, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	if (n > b->left)
		return arena_alloc(b->mem, n);
	void *r = b->p;
	b->p += n;
	b->left -= n;
	return r;
}

static void *bump_calloc(bump *b, size_t n)
{
	void *r = bump_alloc(b, n);
	if (r)
		memset(r, 0, n);
	return r;
}

#define A16(n) (((size_t)(n) + 15) & ~(size_t)15)

/* 0 ok, -1 no memory */
static int ctx_init(rl_ctx *x, const program *p, const rl_customer *c, const rl_basket *b,
	arena *mem, bump *bm, rl_outcome *out)
{
	/* not memset: the frame's 256-byte error buffer needs no zeroing */
	x->p = p;
	x->c = c;
	x->b = b;
	x->mem = mem;
	x->out = out;
	x->items = NULL;
	x->disc = NULL;
	x->lua_mark = NULL;
	x->f.item = NULL;
	x->pmemo = NULL;
	x->f.scratch_used = 0;
	x->f.err[0] = 0;
	/* one piece, carved: the sizes rl_evaluate's estimate adds up */
	size_t sv = A16((VS_NFIXED + p->nattrs) * sizeof *x->vars), ss = A16(p->nsegments + 1),
		se = A16((p->nexperiments + 1) * sizeof *x->variant), sc = A16((p->ncoupons + 1) * sizeof *x->coupon);
	char *m = bump_alloc(bm, sv + ss + se + sc + 4096);
	if (!m)
		return -1;
	x->vars = (expr_value *)m;
	x->seg = (int8_t *)(m + sv);
	x->variant = (int *)(m + sv + ss);
	x->coupon = (bool *)(m + sv + ss + se);
	memset(x->coupon, 0, sc);
	x->f.rows = NULL; /* the lines, once they are set up */
	x->f.nrows = 0;
	x->f.row_stride = IS_N;
	x->f.scratch = m + sv + ss + se + sc;
	x->f.scratch_cap = 4096;
	x->f.host = x;
	x->f.vars = x->vars;
	memset(x->seg, -1, p->nsegments + 1);
	return 0;
}

static void ctx_variants(rl_ctx *x, int64_t ts)
{
	const program *p = x->p;
	for (uint32_t e = 0; e < p->nexperiments; e++) {
		x->variant[e] = -1;
		if (x->c && x->c->id.p && program_experiment_running(p, e, ts))
			x->variant[e] = rl_assign_variant(p, e, x->c->id.p, x->c->id.n);
	}
}

/* ---- limits --------------------------------------------------------------- */

static bool limit_allows(const rl_rule *r, const rl_customer *c, int64_t ts)
{
	int64_t n = 0;
	size_t len = r->name_len;
	int64_t from = r->limit_days ? ts - r->limit_days * 86400 : INT64_MIN;
	for (uint32_t i = 0; i < c->nfires; i++) {
		const rl_fire *f = &c->fires[i];
		if (f->rule.n != len || memcmp(f->rule.p, r->name, len) != 0)
			continue;
		if (f->ts > from && f->ts <= ts)
			n++;
	}
	return n < r->limit_n;
}

/* A rule with segments, an experiment, a limit, or (anonymous baskets) only
 * points: four fields in two loads (prog_impl.h keeps them side by side).
 * Bytes of has_limit, points_only: the mask keeps has_limit always and
 * points_only for an anonymous basket. */
_Static_assert(offsetof(rl_rule, experiment) == offsetof(rl_rule, nsegs) + 4, "nsegs, experiment");
_Static_assert(offsetof(rl_rule, points_only) == offsetof(rl_rule, has_limit) + 1, "has_limit, points_only");
static const union { struct { uint32_t nsegs; int32_t experiment; } f; uint64_t w; } ungated = { { 0, -1 } };

static inline uint16_t gate_mask(bool anon)
{
	union { uint8_t b[2]; uint16_t w; } m = { { 0xff, anon ? 0xff : 0 } };
	return m.w;
}

static inline bool rule_gated(const rl_rule *r, uint16_t mask)
{
	uint64_t se;
	uint16_t lp;
	memcpy(&se, &r->nsegs, 8);
	memcpy(&lp, &r->has_limit, 2);
	return ((se ^ ungated.w) | (lp & mask)) != 0;
}

/* ---- phase 2 -------------------------------------------------------------- */

/* floor or refuse: points and bonus may come out as floats (floored) */
static int to_points(rl_ctx *x, const expr_value *v, int64_t *out)
{
	if (v->t == EV_INT) {
		*out = v->u.i;
		return 0;
	}
	if (v->t == EV_FLOAT) {
		double d = v->u.f;
		if (!(d >= -9.2e18 && d <= 9.2e18))
			return expr_frame_error(&x->f, "points out of range");
		int64_t i = (int64_t)d;
		if ((double)i > d)
			i--;
		*out = i;
		return 0;
	}
	return expr_frame_error(&x->f, "points must be a number, not %s",
		v->t == EV_NULL ? "null" : v->t == EV_BOOL ? "a boolean" : v->t == EV_STR ? "a string" : "a list");
}

static __attribute__((noinline)) int phase2_eval(rl_ctx *x, const rl_code *c, int64_t *out)
{
	expr_value v;
	/* f.item is NULL in phase 2: an expression goes to lang/ directly */
	if (c->kind == RC_EXPR ? expr_eval(c->e, &x->f, &v) : rl_code_eval(x, c, -1, c->k, &v))
		return -1;
	if (v.t == EV_INT) {
		*out = v.u.i;
		return 0;
	}
	return to_points(x, &v, out);
}

/* absent and integer constants inline: most of a rule's three values */
static inline int phase2_value(rl_ctx *x, const rl_code *c, int64_t *out)
{
	if (c->kind == RC_NONE)
		return 0;
	if (c->kind == RC_CONST && c->k.t == EV_INT) {
		*out = c->k.u.i;
		return 0;
	}
	return phase2_eval(x, c, out);
}

static int64_t gcd64(int64_t a, int64_t b)
{
	while (b) {
		int64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

static __int128 gcd128(__int128 a, __int128 b)
{
	while (b) {
		__int128 t = a % b;
		a = b;
		b = t;
	}
	return a;
}

#define I128_LIMIT (((__int128)1) << 125)
/* a fraction whose terms are both at most this is never reduced: the
 * next multiplier (at most 100000 < 2^17) keeps it within int64 */
#define FRAC_SMALL (((__int128)1) << 40)

/* n/d in lowest terms (d > 0); 128-bit division is a libcall, so 64-bit
 * when both fit */
static __attribute__((noinline)) void frac_reduce(__int128 *n, __int128 *d)
{
	if (*n == 0) {
		*d = 1;
		return;
	}
	if (*n <= INT64_MAX && *d <= INT64_MAX) {
		int64_t a = (int64_t)*n, b = (int64_t)*d, g = gcd64(a, b);
		*n = a / g;
		*d = b / g;
	} else {
		__int128 g = gcd128(*n, *d);
		*n /= g;
		*d /= g;
	}
}

/* ---- the evaluation ------------------------------------------------------- */

void rl_evaluate(const program *p, const rl_customer *cust, const rl_basket *b,
	arena *mem, rl_outcome *out)
{
	rl_ctx X, *x = &X;
	/* field by field, not memset: gcc makes a memset (or a copy of a zero
	 * struct) of this size a `rep stos`, whose start-up cost showed as 5 %
	 * of the whole evaluation. ORDER: every field of rl_outcome (model.h). */
	out->status = RL_OK;
	out->subtotal = out->discount_total = out->redeemed_points = out->redeemed_value = 0;
	out->total = out->earned = out->referrer_bonus_total = 0;
	out->lines = NULL;
	out->applied = NULL;
	out->napplied = 0;
	out->tier_before = out->tier_after = -1;
	out->tier_qualified_at_after = NULL;
	out->segments = NULL;
	out->nsegments = 0;
	out->experiments = NULL;
	out->nexperiments = 0;
	out->coupons = NULL;
	out->ncoupons = 0;
	out->messages = NULL;
	out->nmessages = 0;
	out->warnings = NULL;
	out->nwarnings = 0;
	out->fired_limited = NULL;
	out->nfired_limited = 0;
	size_t n1 = (size_t)b->nitems + 1, r1 = (size_t)p->nrules + 1;
	size_t total = A16((VS_NFIXED + p->nattrs) * sizeof(expr_value)) + A16(p->nsegments + 1) +
		A16((p->nexperiments + 1) * sizeof(int)) + A16(p->ncoupons + 1) + 4096 +
		A16(((size_t)b->nitems * IS_N + 1) * sizeof(expr_value)) + A16(n1 * 8) + A16(n1) +
		3 * A16(n1 * 8) + A16(n1 * 4) + A16(n1 * sizeof(rl_line_out)) +
		A16((size_t)p->npreds * b->nitems + 1) + A16(2 * (size_t)p->npreds * 8) + A16(r1 * sizeof(rl_applied)) + A16(r1 * 4) + 16 +
		A16(p->nsegments * 4 + 1) + A16(p->ncoupons + 1) + A16(r1 * sizeof(rl_str)) + A16(r1 * 4) +
		A16(b->ncoupons * sizeof(rl_coupon_out) + 1) + A16((b->ncoupons + 1) * sizeof(int)) + A16(p->nexperiments * sizeof(rl_exp_out) + 1) +
		A16((p->ntiers + 1) * 8);
	bump bm = { mem, arena_alloc(mem, total), total };
	if (!bm.p)
		bm.left = 0;
	if (ctx_init(x, p, cust, b, mem, &bm, out)) {
		out->status = RL_NOMEM;
		return;
	}
	uint32_t n = b->nitems;
	{ /* the per-line arrays in one piece, carved (the estimate's terms) */
		size_t si = A16(((size_t)n * IS_N + 1) * sizeof *x->items), s8 = A16(n1 * 8), s1 = A16(n1),
			s4 = A16(n1 * 4), sl = A16(n1 * sizeof *out->lines);
		char *m = bump_alloc(&bm, si + 4 * s8 + s1 + s4 + sl);
		if (!m) {
			out->status = RL_NOMEM;
			return;
		}
		x->items = (expr_value *)m;
		m += si;
		x->disc = (int64_t *)m;
		memset(x->disc, 0, s8);
		x->d = (int64_t *)(m + s8);
		x->w = (int64_t *)(m + 2 * s8);
		x->wt = (int64_t *)(m + 3 * s8);
		m += 4 * s8;
		x->elig = (uint8_t *)m;
		x->idx = (uint32_t *)(m + s1);
		out->lines = (rl_line_out *)(m + s1 + s4);
	}
	/* memo of shared predicates: bounded, beyond that they are just
	 * evaluated (a 4096-predicate program on a 1000-line basket) */
	x->pbits = NULL;
	if (p->npreds && n <= 64) {
		x->pbits = bump_calloc(&bm, 2 * (size_t)p->npreds * sizeof *x->pbits);
		if (!x->pbits) {
			out->status = RL_NOMEM;
			return;
		}
	} else if (p->npreds && (size_t)p->npreds * n <= 65536) {
		x->pmemo = bump_calloc(&bm, (size_t)p->npreds * n + 1);
		if (!x->pmemo) {
			out->status = RL_NOMEM;
			return;
		}
	}
	out->applied = bump_alloc(&bm, (p->nrules + 1) * sizeof *out->applied);
	if (!out->applied) {
		out->status = RL_NOMEM;
		return;
	}

	/* lines and request names */
	int64_t subtotal = 0, units = 0;
	for (uint32_t i = 0; i < n; i++) {
		const rl_item *it = &b->items[i];
		int64_t line;
		if (__builtin_mul_overflow(it->qty, it->price, &line) ||
		    __builtin_add_overflow(subtotal, line, &subtotal) ||
		    __builtin_add_overflow(units, it->qty, &units)) {
			out->status = RL_OVERFLOW;
			return;
		}
		expr_value *iv = &x->items[(size_t)i * IS_N];
		rl_set_str(&iv[IS_SKU], it->sku.p ? it->sku.p : "", it->sku.n);
		rl_set_rstr(&iv[IS_CATEGORY], it->category);
		rl_set_int(&iv[IS_QTY], it->qty);
		rl_set_int(&iv[IS_PRICE], it->price);
		rl_set_int(&iv[IS_NET], line);
		expr_value *tags = NULL;
		if (it->ntags) {
			tags = bump_alloc(&bm, it->ntags * sizeof *tags);
			if (!tags) {
				out->status = RL_NOMEM;
				return;
			}
			for (uint32_t t = 0; t < it->ntags; t++)
				rl_set_str(&tags[t], it->tags[t].p, it->tags[t].n);
		}
		iv[IS_TAGS].t = EV_LIST;
		iv[IS_TAGS].u.l.v = tags;
		iv[IS_TAGS].u.l.n = it->ntags;
	}
	out->subtotal = subtotal;
	x->net = subtotal;
	x->f.rows = x->items;
	x->f.nrows = n;
	rl_preds_prefill(x);
	int64_t ts = b->ts;
	rl_civil cv;
	rl_civil_time(p, ts, &cv);
	char *date = bump_alloc(&bm, 16);
	if (!date) {
		out->status = RL_NOMEM;
		return;
	}
	{ /* YYYY-MM-DD without printf: this runs for every request */
		int y = cv.year < 0 ? 0 : cv.year % 10000;
		date[0] = (char)('0' + y / 1000);
		date[1] = (char)('0' + y / 100 % 10);
		date[2] = (char)('0' + y / 10 % 10);
		date[3] = (char)('0' + y % 10);
		date[4] = '-';
		date[5] = (char)('0' + cv.month / 10);
		date[6] = (char)('0' + cv.month % 10);
		date[7] = '-';
		date[8] = (char)('0' + cv.day / 10);
		date[9] = (char)('0' + cv.day % 10);
		date[10] = 0;
	}
	expr_value *v = x->vars;
	rl_set_int(&v[VS_SUBTOTAL], subtotal);
	rl_set_int(&v[VS_NET], subtotal);
	rl_set_int(&v[VS_QTY], units);
	rl_set_rstr(&v[VS_CHANNEL], b->channel);
	rl_set_rstr(&v[VS_STORE], b->store);
	rl_set_str(&v[VS_WEEKDAY], weekday_names[cv.weekday], 3);
	rl_set_int(&v[VS_HOUR], cv.hour);
	rl_set_int(&v[VS_MONTH], cv.month);
	rl_set_int(&v[VS_DAY], cv.day);
	rl_set_str(&v[VS_DATE], date, 10);

	bool anon = cust == NULL;
	rl_ctx_customer_vars(x, ts, -1);
	int tier = anon ? -1 : rl_tier_ctx(x, cust, ts, false, NULL);
	out->tier_before = tier;
	if (tier >= 0)
		rl_set_str(&v[VS_TIER], p->tiers[tier].name, p->tiers[tier].name_len);
	ctx_variants(x, ts);
	rl_holdout_gate(p, cust, x->variant);
	int *coupon_idx = bump_alloc(&bm, (b->ncoupons + 1) * sizeof *coupon_idx);
	if (!coupon_idx) {
		out->status = RL_NOMEM;
		return;
	}
	for (uint32_t i = 0; i < b->ncoupons; i++) {
		int k = coupon_code_index(p, b->coupons[i]);
		coupon_idx[i] = k;
		if (k >= 0)
			x->coupon[k] = true;
	}

	/* segments: once, on the basket as sent, in definition order */
	if (p->nsegments) {
		out->segments = bump_alloc(&bm, p->nsegments * sizeof *out->segments);
		if (!out->segments) {
			out->status = RL_NOMEM;
			return;
		}
		for (uint32_t s = 0; s < p->nsegments; s++)
			if (rl_segment_value(x, s))
				out->segments[out->nsegments++] = (int)s;
	}

	/* phase 1 */
	uint32_t nfired = 0;
	bool *coupon_fired = bump_calloc(&bm, (p->ncoupons + 1) * sizeof *coupon_fired);
	if (!coupon_fired) {
		out->status = RL_NOMEM;
		return;
	}
	const rl_rule *const rules = p->rules, *const rend = rules + p->nrules;
	const uint16_t gmask = gate_mask(anon);
	for (const rl_rule *r = rules; r < rend; r++) {
		/* the gates most rules have none of, tested at once */
		if (__builtin_expect(rule_gated(r, gmask), 0)) {
			if (anon && (r->points_only || r->has_limit))
				continue;
			bool hold = true;
			for (uint32_t s = 0; s < r->nsegs && hold; s++)
				hold = x->seg[r->segs[s]] == 1;
			if (!hold)
				continue;
			if (r->experiment != -1) {
				int var = r->experiment >= 0 ? x->variant[r->experiment] : -1;
				if (var < 0 || (r->variant >= 0 && var != r->variant))
					continue;
			}
			if (r->has_limit && !limit_allows(r, cust, ts))
				continue;
		}
		bool w = false;
		int wrc = 0;
		uint32_t fast = r->when.fast;
		if (fast == RL_FAST_EXPR) /* f.item is NULL here: nothing to keep */
			wrc = expr_eval_bool(r->when.e, &x->f, &w);
		else if (fast == RL_FAST_ANY) /* any_item over a shared predicate */
			wrc = pred_any(x, r->when.fast_k, &w);
		else if (fast == RL_FAST_COUPON) /* what the host call answers */
			w = x->coupon[r->when.fast_k];
		else
			wrc = rl_code_bool(x, &r->when, -1, true, &w);
		if (wrc) {
			rl_ctx_warn(x, (int)(r - rules), "%s", x->f.err);
			continue;
		}
		if (!w)
			continue;
		int64_t given = 0;
		if (r->has_discount && rl_discount_apply(x, r, &given)) {
			rl_ctx_warn(x, (int)(r - rules), "%s", x->f.err);
			continue;
		}
		/* fired: only rule and discount, phase 2 writes the listed entries */
		out->applied[nfired].rule = (int)(r - rules);
		out->applied[nfired].discount = given;
		nfired++;
		for (uint32_t k = 0; k < r->ncoupons; k++)
			coupon_fired[r->coupons[k]] = true;
		if (r->stop)
			break;
	}

	/* redemption, on what phase 1 left */
	int64_t disc_total = subtotal - x->net;
	out->discount_total = disc_total;
	if (b->has_redeem && cust && b->redeem_points > 0) {
		if (b->redeem_points > cust->points) {
			out->status = RL_INSUFFICIENT_POINTS;
			return;
		}
		int64_t value;
		if (__builtin_mul_overflow(b->redeem_points, p->point_value, &value))
			value = INT64_MAX;
		if (value > x->net)
			value = x->net;
		out->redeemed_value = value;
		out->redeemed_points = value / p->point_value + (value % p->point_value != 0);
	}
	out->total = x->net - out->redeemed_value;
	for (uint32_t i = 0; i < n; i++) {
		out->lines[i].discount = x->disc[i];
		out->lines[i].net = x->items[(size_t)i * IS_N + IS_NET].u.i;
	}

	/* phase 2: the final net, after redemption. One pass over the rules
	 * that fired, in firing order: their points, then what the outcome
	 * lists (applied, messages, limited fires), so that the applied list
	 * is written once, never cleared and compacted. */
	rl_set_int(&v[VS_NET], out->total);
	out->messages = bump_alloc(&bm, (nfired + 1) * sizeof *out->messages);
	out->fired_limited = bump_alloc(&bm, (nfired + 1) * sizeof *out->fired_limited);
	if (!out->messages || !out->fired_limited) {
		out->status = RL_NOMEM;
		return;
	}
	int64_t psum = 0, bonus = 0;
	/* Π multipliers as num/den, reduced only when it grows: the floor of
	 * psum × num / den is the same for any form of the fraction, and the
	 * overflow test below sees the lowest terms whenever it could fire.
	 * In 64 bits while both terms are under 2^40 (every multiplier is at
	 * most 100000 < 2^17, so the next product still fits); in 128 bits
	 * ("big") from the first product that is not. */
	int64_t num = 1, den = 1;
	__int128 bnum = 1, bden = 1;
	bool big = false;
	uint32_t na = 0;
	for (uint32_t k = 0; k < nfired; k++) {
		int ri = out->applied[k].rule;
		int64_t given = out->applied[k].discount;
		const rl_rule *r = &p->rules[ri];
		int64_t pts = 0, bon = 0, ref = 0;
		bool mult = false;
		if (!anon && r->has_phase2) {
			int64_t tp = 0, tb = 0, tr = 0;
			if (phase2_value(x, &r->points, &tp) || phase2_value(x, &r->bonus, &tb) ||
			    phase2_value(x, &r->referrer_bonus, &tr)) {
				rl_ctx_warn(x, ri, "%s", x->f.err);
				goto listed;
			}
			if (tp < 0)
				tp = 0;
			if (tb < 0)
				tb = 0;
			if (tr < 0)
				tr = 0;
			int64_t np, nb;
			if (__builtin_add_overflow(psum, tp, &np) || __builtin_add_overflow(bonus, tb, &nb)) {
				rl_ctx_warn(x, ri, "points overflow");
				goto listed;
			}
			int64_t sn = num, sd = den;
			if (!big && r->has_mult) {
				sn = num * r->mult_x100; /* 0..100000 (the loader's range) */
				sd = den * 100;
			}
			if (big || ((sn | sd) >> 40) != 0 || np >= ((int64_t)1 << 62)) {
				__int128 nn = big ? bnum : num, nd = big ? bden : den;
				if (r->has_mult) {
					nn *= r->mult_x100;
					nd *= 100;
					if (nn > FRAC_SMALL || nd > FRAC_SMALL)
						frac_reduce(&nn, &nd);
				}
				if ((nn > FRAC_SMALL || nd > FRAC_SMALL || np >= ((int64_t)1 << 62)) &&
				    (nn > I128_LIMIT || nd > I128_LIMIT ||
				     ((nn >= ((__int128)1 << 62) || np >= ((int64_t)1 << 62)) && np && nn > I128_LIMIT / np))) {
					rl_ctx_warn(x, ri, "points overflow");
					goto listed;
				}
				bnum = nn;
				bden = nd;
				big = true;
			} else {
				num = sn;
				den = sd;
			}
			psum = np;
			bonus = nb;
			pts = tp;
			bon = tb;
			mult = r->has_mult;
			if (tr > 0 && cust->referred_by.p) {
				ref = tr;
				out->referrer_bonus_total += tr;
			}
		}
	listed:
		if (r->has_limit)
			out->fired_limited[out->nfired_limited++] = ri;
		if (r->message) {
			out->messages[out->nmessages].p = r->message;
			out->messages[out->nmessages].n = r->message_n;
			out->nmessages++;
		}
		if (given > 0 || pts > 0 || bon > 0 || mult || ref > 0 || r->message) {
			/* na <= k: entry k was read above */
			rl_applied *a = &out->applied[na++];
			a->rule = ri;
			a->discount = given;
			a->points = pts;
			a->bonus_points = bon;
			a->has_multiplier = mult;
			a->multiplier_x100 = mult ? r->mult_x100 : 0;
			a->referrer_bonus_points = ref;
			a->message.p = r->message;
			a->message.n = r->message ? r->message_n : 0;
		}
	}
	out->napplied = na;
	if (!anon) {
		__int128 e;
		if (big)
			e = (__int128)psum * bnum / bden + bonus;
		else if (den == 1 && num <= INT32_MAX && psum <= INT32_MAX)
			e = (__int128)(psum * num) + bonus;
		else if (num <= INT32_MAX && den <= INT32_MAX && psum <= INT32_MAX)
			e = (__int128)(psum * num / den) + bonus;
		else
			e = (__int128)psum * num / den + bonus;
		if (e > INT64_MAX) {
			out->status = RL_OVERFLOW;
			return;
		}
		out->earned = (int64_t)e;
	}

	/* coupons */
	if (b->ncoupons) {
		out->coupons = bump_alloc(&bm, b->ncoupons * sizeof *out->coupons);
		if (!out->coupons) {
			out->status = RL_NOMEM;
			return;
		}
		for (uint32_t i = 0; i < b->ncoupons; i++) {
			rl_coupon_out *co = &out->coupons[i];
			co->code = b->coupons[i];
			co->accepted = false;
			co->reason = NULL;
			bool dup = false;
			for (uint32_t j = 0; j < i && !dup; j++)
				dup = b->coupons[j].n == b->coupons[i].n &&
					ascii_ieq(b->coupons[j].p, b->coupons[i].p, b->coupons[i].n);
			int k = dup ? -1 : coupon_idx[i];
			if (dup)
				co->reason = "duplicate";
			else if (k >= 0 && coupon_fired[k])
				co->accepted = true;
			else
				co->reason = k >= 0 ? "not_applicable" : "unknown";
		}
		out->ncoupons = b->ncoupons;
	}

	/* experiments the customer is in */
	if (!anon && p->nexperiments) {
		out->experiments = bump_alloc(&bm, p->nexperiments * sizeof *out->experiments);
		if (!out->experiments) {
			out->status = RL_NOMEM;
			return;
		}
		for (uint32_t e = 0; e < p->nexperiments; e++)
			if (x->variant[e] >= 0) {
				out->experiments[out->nexperiments].experiment = (int)e;
				out->experiments[out->nexperiments].variant = x->variant[e];
				out->nexperiments++;
			}
	}

	/* tier after: qualify on the customer as the commit leaves it */
	if (!anon) {
		/* the vars already hold this customer: change what the commit
		 * changes rather than building them again */
		int64_t pts, spend, life, cnt;
		if (__builtin_add_overflow(cust->spend_12m, out->total, &spend) ||
		    __builtin_add_overflow(cust->lifetime_spend, out->total, &life) ||
		    __builtin_add_overflow(cust->points - out->redeemed_points, out->earned, &pts) ||
		    __builtin_add_overflow(cust->purchase_count, 1, &cnt)) {
			out->status = RL_OVERFLOW;
			return;
		}
		rl_set_int(&v[VS_POINTS], pts);
		rl_set_int(&v[VS_SPEND12], spend);
		rl_set_int(&v[VS_LIFETIME], life);
		rl_set_int(&v[VS_PCOUNT], cnt);
		rl_set_int(&v[VS_DSLP], 0);
		out->tier_qualified_at_after = bump_alloc(&bm, (p->ntiers + 1) * sizeof(int64_t));
		if (!out->tier_qualified_at_after) {
			out->status = RL_NOMEM;
			return;
		}
		out->tier_after = rl_tier_ctx(x, cust, ts, true, out->tier_qualified_at_after);
	}
	out->status = RL_OK;
}
