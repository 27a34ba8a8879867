/* rules/eval_ctx.h — the state of one evaluation (one quote or purchase),
 * shared by the evaluator's files and the Lua bridge. Lives in the
 * request's arena; nothing in it outlives rl_evaluate(). */
#ifndef RULES_EVAL_CTX_H
#define RULES_EVAL_CTX_H

#include <string.h>

#include "rules/prog_impl.h"

typedef struct rl_ctx {
	const program *p;
	const rl_customer *c;     /* NULL: anonymous */
	const rl_basket *b;       /* NULL: customer alone (customer op, tiers) */
	arena *mem;
	rl_outcome *out;          /* NULL outside rl_evaluate */
	expr_frame f;
	expr_value *vars;         /* VS_NFIXED + nattrs */
	expr_value *items;        /* nitems * IS_N */
	int64_t *disc;            /* per line, so far */
	int64_t net;              /* running net */
	int8_t *seg;              /* per segment: -1 unknown, 0, 1, 2 = being evaluated */
	bool *coupon;             /* per program coupon code: presented */
	int *variant;             /* per experiment: assigned and running, or -1 */
	/* scratch for discounts, nitems each */
	uint8_t *elig;
	int64_t *d;
	int64_t *w;
	int64_t *wt;              /* weights handed to rl_share (a copy) */
	uint32_t *idx;
	const void *lua_mark;     /* NULL at set-up; the Lua bridge marks the
	                           * request it has filled (rules/lua_ctx.c) */
	uint8_t *pmemo;           /* npreds × nitems: 0 unknown, 1 false, 2 true */
	/* baskets of at most 64 lines: per predicate k, pbits[2k] the lines
	 * whose value is known, pbits[2k + 1] those where it holds (instead of
	 * pmemo); a predicate's lines are evaluated together (rules/preds.c) */
	uint64_t *pbits;
} rl_ctx;

/* Writing a value field by field: building an expr_value by value and
 * copying it makes the compiler store 4 and 8 bytes then reload 16, a
 * store-forwarding stall per value that cost a third of rl_evaluate. */
static inline void rl_set_int(expr_value *d, int64_t i) { d->t = EV_INT; d->u.i = i; }
static inline void rl_set_bool(expr_value *d, bool b) { d->t = EV_BOOL; d->u.b = b; }
static inline void rl_set_null(expr_value *d) { d->t = EV_NULL; }
static inline void rl_set_str(expr_value *d, const char *p, uint32_t n)
{
	d->t = EV_STR;
	d->u.s.p = p;
	d->u.s.n = n;
}
static inline void rl_set_rstr(expr_value *d, rl_str s)
{
	if (s.p)
		rl_set_str(d, s.p, s.n);
	else
		d->t = EV_NULL;
}

/* Fill the customer part of vars (tier given) and attrs. */
void rl_ctx_customer_vars(rl_ctx *x, int64_t ts, int tier);
/* Evaluate a code; RC_NONE gives `dflt`. 0 or -1 (message in x->f.err). */
int rl_code_eval(rl_ctx *x, const rl_code *c, int item, expr_value dflt, expr_value *out);
/* Truthiness: null/false false; other non-bool types are a run-time error.
 * Inline for the two kinds every request meets (absent, expression). */
int rl_code_bool_slow(rl_ctx *x, const rl_code *c, int item, bool dflt, bool *out);
static inline int rl_code_bool(rl_ctx *x, const rl_code *c, int item, bool dflt, bool *out)
{
	if (c->kind == RC_NONE) {
		*out = dflt;
		return 0;
	}
	if (c->kind == RC_EXPR) {
		const expr_value *saved = x->f.item;
		if (item >= 0)
			x->f.item = &x->items[(size_t)item * IS_N];
		int rc = expr_eval_bool(c->e, &x->f, out);
		x->f.item = saved;
		return rc;
	}
	return rl_code_bool_slow(x, c, item, dflt, out);
}
/* Tier at ts (rules.md, "Tiers, exactly") with x->vars holding the
 * customer's values; `tier` is null while qualify runs. */
int rl_tier_ctx(rl_ctx *x, const rl_customer *c, int64_t ts, bool commit, int64_t *qa_out);
/* Segment value, evaluated on first use (memo). Warnings go to x->out. */
bool rl_segment_value(rl_ctx *x, uint32_t s);
void rl_ctx_warn(rl_ctx *x, int rule, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Equal bytes, for the short names and codes of a request, inline rather
 * than a memcmp call each: words, the last one overlapping the one before
 * (never a byte past either end), so "coffee" is two 4-byte compares. */
static inline uint64_t rl_ld64(const char *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline uint32_t rl_ld32(const char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline bool rl_bytes_eq(const char *a, const char *b, uint32_t n)
{
	if (n >= 8) {
		for (uint32_t i = 0; i + 8 < n; i += 8)
			if (rl_ld64(a + i) != rl_ld64(b + i))
				return false;
		return rl_ld64(a + n - 8) == rl_ld64(b + n - 8);
	}
	if (n >= 4)
		return rl_ld32(a) == rl_ld32(b) && rl_ld32(a + n - 4) == rl_ld32(b + n - 4);
	for (uint32_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* rules/preds.c: predicate k on line i (memoised when it may be); the
 * memo hit inline, the evaluation out of line. */
int rl_pred_line_eval(rl_ctx *x, uint32_t k, uint32_t i, bool *out);
static inline int rl_pred_line(rl_ctx *x, uint32_t k, uint32_t i, bool *out)
{
	if (x->pbits) {
		const uint64_t *pb = &x->pbits[2 * (size_t)k];
		if (pb[0] >> i & 1) {
			*out = pb[1] >> i & 1;
			return 0;
		}
	} else if (x->pmemo) {
		uint8_t m = x->pmemo[(size_t)k * x->b->nitems + i];
		if (m) {
			*out = m == 2;
			return 0;
		}
	}
	return rl_pred_line_eval(x, k, i, out);
}
/* With x->pbits: true and the lines where predicate k holds when every
 * line's value is known already. */
static inline bool rl_pred_known(const rl_ctx *x, uint32_t k, uint64_t *mask)
{
	const uint64_t *pb = &x->pbits[2 * (size_t)k];
	uint32_t n = x->b->nitems;
	if (pb[0] != (n == 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1))
		return false;
	*mask = pb[1];
	return true;
}
/* The lines where predicate k holds as a mask (with x->pbits), asking
 * every line in order as a loop of rl_pred_line would: 0 and *mask, or -1
 * at the first line whose evaluation fails. */
int rl_pred_mask_eval(rl_ctx *x, uint32_t k, uint64_t *mask);
/* With x->pbits and the lines set up: the item.FIELD == "LIT" predicates
 * known on every line from the start (a small program's all of them). */
void rl_preds_prefill(rl_ctx *x);
static inline int rl_pred_mask(rl_ctx *x, uint32_t k, uint64_t *mask)
{
	if (rl_pred_known(x, k, mask))
		return 0;
	return rl_pred_mask_eval(x, k, mask);
}

/* rules/discount.c: apply rule r's discount at once; 0 and *given, or -1 on a
 * run-time error (nothing changed, message in x->f.err). */
int rl_discount_apply(rl_ctx *x, const rl_rule *r, int64_t *given);
/* Largest remainder: share `a` over w[0..n) in proportion (ties to the
 * earlier index); out[i] <= w[i] when a <= Σw. */
void rl_share(rl_ctx *x, int64_t a, const int64_t *w, uint32_t n, int64_t *out);

#endif
