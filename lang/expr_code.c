/* lang/expr_code.c — conditions compiled to jump code, and the native
 * aggregates. A condition's and/or/not structure becomes a flat array of
 * tests, each with the instruction to go to when it holds and when it does
 * not (the classic short-circuit translation); the common tests (a name
 * compared with a constant, a name in a constant list, ranges, name ± name,
 * an aggregate over a string test) run inline, so `tier == "gold" and
 * hour >= 7` costs two array steps, not a walk of nodes. Anything else is
 * one "node" test that asks the tree evaluator (expr_eval.c) for its truth
 * value.
 *
 * Two dispatch functions run the code: expr_eval_bool, a leaf that saves
 * no registers and does the common tests on values of the expected type,
 * and run_from, which it hands over to at the first test it cannot finish
 * and which does everything. expr_agg runs EXPR_AGG_* aggregates over the
 * frame's rows without calling the host.
 *
 * Built once at load into the expression's arena; running it allocates
 * nothing. Each test falls back to expr_compare or the tree when a value
 * is not of the type the test was specialised for, so the code changes
 * speed, never meaning. Must not know what the rows or names mean. */
#include "lang/expr_internal.h"

#include <string.h>

/* ORDER: the int tests follow OP_EQ..OP_GE order */
enum {
	CI_NODE,        /* truth of n via the tree */
	CI_VAR_EQ_I, CI_VAR_NE_I, CI_VAR_LT_I, CI_VAR_LE_I, CI_VAR_GT_I, CI_VAR_GE_I,
	CI_ITEM_EQ_I, CI_ITEM_NE_I, CI_ITEM_LT_I, CI_ITEM_LE_I, CI_ITEM_GT_I, CI_ITEM_GE_I,
	CI_VAR_EQ_S, CI_VAR_NE_S, CI_ITEM_EQ_S, CI_ITEM_NE_S,
	CI_VAR_IN, CI_ITEM_IN,
	CI_ITEM_STR_ONLY, /* a whole predicate `item.category == "coffee"` (or
	                 * !=, or its `not`): the truth without a jump, for
	                 * host loops that call expr_eval_bool per item */
	CI_VAR_IN2,     /* a name in two short strings: `tier in ["gold",
	                 * "silver"]`, `channel == "app" or channel == "web"` */
	CI_VAR_BOOL,    /* a boolean name on its own */
	CI_EXPR_CMP_I,  /* any expression compared with an int constant */
	CI_HOST,        /* a host function giving a boolean: any_item(...) */
	CI_VAR_RANGE, CI_ITEM_RANGE, CI_EXPR_RANGE, /* lo <= x <= hi: two fused tests */
	CI_VAR_VAR_EQ, CI_VAR_VAR_NE, CI_VAR_VAR_LT, /* a name compared with a name: */
	CI_VAR_VAR_LE, CI_VAR_VAR_GT, CI_VAR_VAR_GE, /* `attr.birth_month == month` */
	CI_SUM_RANGE,   /* lo <= name ± name <= hi: `spend_12m + net >= 500000`,
	                 * alone or fused with a second bound */
	CI_DIFF_RANGE,  /* the same with name - name */
	CI_AGG_ANY,     /* a native any-aggregate (EXPR_AGG_ANY) */
	CI_ARITHK_CMP_I, /* (name | call) <op> int constant, compared with an int
	                 * constant: `20 * count_qty(...) >= 40` */
	CI_CALL_RANGE,  /* lo <= call <= hi: `sum_net(...) > 10`, and
	                 * `sum_net(...) // 100 > 10` as `sum_net(...) >= 1100` */
	CI_AGG_ANY_STR, /* any_item(item.category == "coffee"), its loop inline */
	CI_SUM_STR_RANGE, /* lo <= sum_net(item.category == "beans") <= hi, its
	                 * loop inline */
	CI_TRUE,        /* end: the condition holds */
	CI_FALSE,       /* end: it does not */
	CI_COUNT_
};

struct expr_cins {
	uint8_t op;
	uint8_t nullr;         /* int tests: the outcome when the name is null */
	uint8_t sub;           /* SUM_RANGE: OP_ADD or OP_SUB */
	int32_t slot;
	int32_t slot2;         /* SUM_RANGE: the second name's slot */
	int32_t off, off2;     /* slot and the second slot (slot2, or i for
	                        * VAR_VAR) in bytes: one add from the table */
	uint32_t jt, jf;       /* next instruction as a byte offset from this
	                        * one (jumps only go forward), or J_TRUE, J_FALSE */
	int64_t i;             /* int constant */
	int64_t lo, hi;        /* RANGE: inclusive int bounds, lo <= hi */
	uint64_t span;         /* hi - lo: x in range when x - lo <= span,
	                        * unsigned (one compare) */
	uint64_t key[2];       /* string constant's key (expr_str_key) */
	uint64_t key2[2];      /* IN2: the second string's key and length */
	uint32_t len2;
	expr_value list;       /* IN: the constants */
	const uint64_t *lkeys; /* IN: the short strings' keys by length
	                        * (list_keys) */
	const enode *n;        /* the node: its constant, or the whole test */
	const enode *n2;       /* RANGE: the second test; CALL_RANGE: the call */
};

/* The ends of a condition, as jump targets: no base pointer or end offset
 * is needed to recognise them, which keeps a register free in the
 * dispatch. */
#define J_FALSE (UINT32_MAX - 1)
#define J_TRUE  UINT32_MAX

/* ---- building ------------------------------------------------------------ */

typedef struct gen {
	expr_ctx *cx;
	expr_cins *code;
	uint32_t ncode;        /* capacity counted in advance: see count() */
	uint32_t *label;       /* label -> instruction index */
	uint32_t nlabel;
} gen;

#define L_TRUE  0
#define L_FALSE 1

static uint32_t new_label(gen *g)
{
	/* capacity counted in advance: see count() */
	return g->nlabel++;
}

static void place(gen *g, uint32_t l)
{
	g->label[l] = g->ncode;
}

static bool is_slot_test(const enode *n, int op)
{
	return n->op == op && !n->a;
}

/* name + name, name - name: summed inline (CI_SUM_RANGE) */
static bool is_var_sum(const enode *a)
{
	return a && (a->op == OP_ADD || a->op == OP_SUB) && a->a->op == OP_VAR && a->b->op == OP_VAR;
}

static void sum_operands(expr_cins *c, const enode *a)
{
	c->op = a->op == OP_ADD ? CI_SUM_RANGE : CI_DIFF_RANGE;
	c->sub = a->op;
	c->slot = a->a->slot;
	c->slot2 = a->b->slot;
}

static bool bound(const enode *t, int64_t *lo, int64_t *hi);

/* an aggregate whose rows hold when a slot equals a string, run inline */
static void str_plan(expr_cins *c, const expr_hostcall *hc)
{
	c->slot = hc->pslot;
	c->i = hc->plen;
	c->key[0] = hc->pkey[0];
	c->key[1] = hc->pkey[1];
}

/* `call <op> k` and `call // d <op> k` (d > 0) as lo <= call <= hi, for a
 * call giving an int. Floor division by a positive d: x // d >= k exactly
 * when x >= k * d, and x // d <= k when x <= (k + 1) * d - 1; `//` by such
 * a d has no error case, so nothing changes but the division going away.
 * (+ - * could overflow where the bound does not: not rewritten.) */
static bool call_bounds(const enode *n, int64_t *lo, int64_t *hi)
{
	const enode *a = n->a;
	int64_t k = n->k.u.i, d, t;
	*lo = INT64_MIN;
	*hi = INT64_MAX;
	if (a->op == OP_HOST)
		return n->sub == OP_EQ ? (*lo = *hi = k, true) : bound(n, lo, hi);
	if (a->op != OP_IDIV || a->sub != ARITH_K_RIGHT || a->a->op != OP_HOST || a->b->k.u.i <= 0)
		return false;
	d = a->b->k.u.i;
	switch (n->sub) {
	case OP_GE:
		return !__builtin_mul_overflow(k, d, lo);
	case OP_GT:
		return !__builtin_add_overflow(k, 1, &t) && !__builtin_mul_overflow(t, d, lo);
	case OP_LE:
		return !__builtin_add_overflow(k, 1, &t) && !__builtin_mul_overflow(t, d, &t)
			&& !__builtin_sub_overflow(t, 1, hi);
	case OP_LT:
		return !__builtin_mul_overflow(k, d, &t) && !__builtin_sub_overflow(t, 1, hi);
	case OP_EQ:
		return !__builtin_mul_overflow(k, d, lo) && !__builtin_add_overflow(k, 1, &t)
			&& !__builtin_mul_overflow(t, d, &t) && !__builtin_sub_overflow(t, 1, hi);
	}
	return false;
}

static void list_keys(gen *g, expr_cins *c);

/* a list of two strings of at most 16 bytes: both in the test itself */
static void in2(expr_cins *c)
{
	const expr_value *l = c->list.u.l.v;
	if (c->op != CI_VAR_IN || c->list.u.l.n != 2 || l[0].t != EV_STR || l[1].t != EV_STR
	    || l[0].u.s.n > 16 || l[1].u.s.n > 16)
		return;
	c->op = CI_VAR_IN2;
	c->i = l[0].u.s.n;
	expr_str_key(l[0].u.s.p, l[0].u.s.n, c->key);
	c->len2 = l[1].u.s.n;
	expr_str_key(l[1].u.s.p, l[1].u.s.n, c->key2);
}

static void leaf(gen *g, const enode *n, uint32_t lt, uint32_t lf)
{
	expr_cins *c = &g->code[g->ncode++];
	memset(c, 0, sizeof *c);
	c->n = n;
	c->jt = lt;
	c->jf = lf;
	c->op = CI_NODE;
	if (is_slot_test(n, OP_CMPK)) {
		c->slot = n->slot;
		if (n->k.t == EV_INT) {
			c->op = (uint8_t)((n->scope ? CI_ITEM_EQ_I : CI_VAR_EQ_I) + (n->sub - OP_EQ));
			c->i = n->k.u.i;
			c->nullr = n->sub == OP_NE; /* only != holds against null */
		} else if (n->k.t == EV_STR && n->k.u.s.n <= 16 && (n->sub == OP_EQ || n->sub == OP_NE)) {
			c->op = n->scope ? (n->sub == OP_EQ ? CI_ITEM_EQ_S : CI_ITEM_NE_S)
				: (n->sub == OP_EQ ? CI_VAR_EQ_S : CI_VAR_NE_S);
			expr_str_key(n->k.u.s.p, n->k.u.s.n, c->key);
			c->i = n->k.u.s.n;   /* here, not behind c->n: one cache line less */
		}
	} else if (n->op == OP_INK) {
		c->slot = n->slot;
		c->op = n->scope ? CI_ITEM_IN : CI_VAR_IN;
		c->list = n->k;
		list_keys(g, c);
		in2(c);
	} else if (n->op == OP_CMPK && n->k.t == EV_INT) {
		int64_t lo = INT64_MIN, hi = INT64_MAX;
		c->op = n->a->op >= OP_ADD && n->a->op <= OP_IDIV && n->a->sub ? CI_ARITHK_CMP_I : CI_EXPR_CMP_I;
		c->i = n->k.u.i;
		if (call_bounds(n, &lo, &hi)) {
			c->op = CI_CALL_RANGE;
			c->n2 = n->a->op == OP_HOST ? n->a : n->a->a;
			c->lo = lo;
			c->hi = hi;
			const expr_hostcall *hc = c->n2->call;
			if (hc->agg == EXPR_AGG_SUM && hc->plan == AGG_STR && hc->pwant) {
				c->op = CI_SUM_STR_RANGE;
				str_plan(c, hc);
				c->slot2 = hc->agg_slot;
			}
		}
		if (is_var_sum(n->a) && (n->sub == OP_EQ || bound(n, &lo, &hi))) {
			c->op = CI_SUM_RANGE;
			sum_operands(c, n->a);
			c->lo = n->sub == OP_EQ ? n->k.u.i : lo;
			c->hi = n->sub == OP_EQ ? n->k.u.i : hi;
		}
	} else if (n->op == OP_HOST) {
		const expr_hostcall *hc = n->call;
		c->op = hc->agg == EXPR_AGG_ANY ? CI_AGG_ANY : CI_HOST;
		if (hc->agg == EXPR_AGG_ANY && hc->plan == AGG_STR && hc->pwant) {
			c->op = CI_AGG_ANY_STR;
			str_plan(c, hc);
		}
	} else if (n->op >= OP_EQ && n->op <= OP_GE && n->a->op == OP_VAR && n->b->op == OP_VAR) {
		c->op = (uint8_t)(CI_VAR_VAR_EQ + (n->op - OP_EQ));
		c->slot = n->a->slot;
		c->i = n->b->slot;
	} else if (n->op == OP_VAR && n->type == ET_BOOL) {
		c->slot = n->slot;
		c->op = CI_VAR_BOOL;
	}
}

/* Keys of an IN list's elements, so that testing a short string against
 * the list compares words only, and only with the elements as long as it:
 * w[n] .. w[n + 1] (n <= 16) are the word offsets in w of the (key0, key1)
 * pairs of the elements of n bytes. Elements that are not strings of at
 * most 16 bytes cannot equal such a string and are left out. Without
 * memory the test still works, through the values. */
#define LK_HEAD 18
static void list_keys(gen *g, expr_cins *c)
{
	uint32_t cnt = c->list.u.l.n, at = LK_HEAD;
	const expr_value *l = c->list.u.l.v;
	uint64_t *w = arena_alloc(g->cx->mem, (LK_HEAD + 2 * (size_t)cnt) * sizeof *w);
	if (!w)
		return;
	for (uint32_t n = 0; n <= 16; n++) {
		w[n] = at;
		for (uint32_t k = 0; k < cnt; k++) {
			if (l[k].t != EV_STR || l[k].u.s.n != n)
				continue;
			expr_str_key(l[k].u.s.p, n, &w[at]);
			at += 2;
		}
	}
	w[17] = at;
	c->lkeys = w;
}

/* v (a string of at most 16 bytes) among the keys of list_keys */
static inline bool in_keys(const expr_value *v, const uint64_t *lk)
{
	uint32_t n = v->u.s.n;
	const uint64_t *p = lk + lk[n], *end = lk + lk[n + 1];
	if (p == end)
		return false;
	uint64_t key[2];
	expr_str_key(v->u.s.p, n, key);
	for (; p < end; p += 2)
		if (p[0] == key[0] && p[1] == key[1])
			return true;
	return false;
}

/* ---- fusing neighbouring tests -------------------------------------------
 * `hour >= 7 and hour < 11` is one range test; `tier == "a" or tier == "b"`
 * one list test. Both halves read the same pure operand, so testing them at
 * once changes nothing but speed; the fused tests fall back to the two
 * original comparisons, in order, for any value that is not an int. */

/* The operand of a CMPK: the same slot, or the same name ± name. */
static bool same_operand(const enode *x, const enode *y)
{
	if (!x->a || !y->a)
		return !x->a && !y->a && x->slot == y->slot && x->scope == y->scope;
	const enode *a = x->a, *b = y->a;
	return a->op == b->op && (a->op == OP_ADD || a->op == OP_SUB)
		&& a->a->op == OP_VAR && b->a->op == OP_VAR && a->b->op == OP_VAR && b->b->op == OP_VAR
		&& a->a->slot == b->a->slot && a->b->slot == b->b->slot;
}

/* Narrow [lo, hi] by `x <op> k`; false when the test is not a bound. */
static bool bound(const enode *t, int64_t *lo, int64_t *hi)
{
	if (t->op != OP_CMPK || t->k.t != EV_INT)
		return false;
	int64_t k = t->k.u.i;
	switch (t->sub) {
	case OP_GE: if (k > *lo) *lo = k; return true;
	case OP_GT: if (k == INT64_MAX) return false; if (k + 1 > *lo) *lo = k + 1; return true;
	case OP_LE: if (k < *hi) *hi = k; return true;
	case OP_LT: if (k == INT64_MIN) return false; if (k - 1 < *hi) *hi = k - 1; return true;
	default: return false;
	}
}

static bool can_range(const enode *x, const enode *y, int64_t *lo, int64_t *hi)
{
	*lo = INT64_MIN;
	*hi = INT64_MAX;
	/* an empty range (`hour > 10 and hour < 7`) stays two tests: the
	 * fused test needs hi - lo as a span */
	return bound(x, lo, hi) && bound(y, lo, hi) && *lo <= *hi && same_operand(x, y);
}

static void range_leaf(gen *g, const enode *x, const enode *y, int64_t lo, int64_t hi,
	uint32_t lt, uint32_t lf)
{
	leaf(g, x, lt, lf);
	expr_cins *c = &g->code[g->ncode - 1];
	c->op = x->a ? CI_EXPR_RANGE : x->scope ? CI_ITEM_RANGE : CI_VAR_RANGE;
	c->slot = x->slot;
	if (is_var_sum(x->a)) {
		c->op = CI_SUM_RANGE;
		sum_operands(c, x->a);
	}
	c->n2 = y;
	c->lo = lo;
	c->hi = hi;
}

static bool is_eq_const(const enode *t)
{
	return t->op == OP_CMPK && !t->a && t->sub == OP_EQ && t->k.t != EV_NULL;
}

/* A run of `x == k1 or x == k2 ...` from args[i]: its length (>= 2) or 0. */
static int eq_run(const enode *n, int i)
{
	int j = i;
	if (!is_eq_const(n->args[i]))
		return 0;
	while (j + 1 < n->nargs && is_eq_const(n->args[j + 1])
	       && n->args[j + 1]->slot == n->args[i]->slot && n->args[j + 1]->scope == n->args[i]->scope)
		j++;
	return j > i ? j - i + 1 : 0;
}

static void in_leaf(gen *g, const enode *first, expr_value *v, int len, uint32_t lt, uint32_t lf)
{
	leaf(g, first, lt, lf);
	expr_cins *c = &g->code[g->ncode - 1];
	c->op = first->scope ? CI_ITEM_IN : CI_VAR_IN;
	c->slot = first->slot;
	c->list.t = EV_LIST;
	c->list.u.l.v = v;
	c->list.u.l.n = (uint32_t)len;
	list_keys(g, c);
	in2(c);
}

/* Jump code for n: go to label lt when it holds, lf when not. */
static void emit(gen *g, const enode *n, uint32_t lt, uint32_t lf)
{
	int i = 0;
	switch (n->op) {
	case OP_AND:
		while (i < n->nargs) {
			int64_t lo, hi;
			bool fuse = i + 1 < n->nargs && can_range(n->args[i], n->args[i + 1], &lo, &hi);
			int take = fuse ? 2 : 1;
			bool last = i + take >= n->nargs;
			uint32_t next = last ? lt : new_label(g);
			if (fuse)
				range_leaf(g, n->args[i], n->args[i + 1], lo, hi, next, lf);
			else
				emit(g, n->args[i], next, lf);
			if (!last)
				place(g, next);
			i += take;
		}
		return;
	case OP_OR:
		while (i < n->nargs) {
			int run = eq_run(n, i);
			expr_value *v = run ? arena_alloc(g->cx->mem, (size_t)run * sizeof *v) : NULL;
			if (!v)
				run = 0;   /* not fused is still right */
			int take = run ? run : 1;
			bool last = i + take >= n->nargs;
			uint32_t next = last ? lf : new_label(g);
			if (run) {
				for (int k = 0; k < run; k++)
					v[k] = n->args[i + k]->k;
				in_leaf(g, n->args[i], v, run, lt, next);
			} else {
				emit(g, n->args[i], lt, next);
			}
			if (!last)
				place(g, next);
			i += take;
		}
		return;
	case OP_NOT:
		emit(g, n->a, lf, lt);
		return;
	default:
		leaf(g, n, lt, lf);
	}
}

/* Tests and labels the code of n needs. */
static void count(const enode *n, uint32_t *tests, uint32_t *labels)
{
	switch (n->op) {
	case OP_AND: case OP_OR:
		*labels += (uint32_t)n->nargs - 1;
		for (int i = 0; i < n->nargs; i++)
			count(n->args[i], tests, labels);
		return;
	case OP_NOT:
		count(n->a, tests, labels);
		return;
	default:
		(*tests)++;
	}
}

static int build_one(expr_ctx *cx, expr *e);

static void agg_plan(expr_hostcall *hc);

/* the predicates of host calls anywhere below n */
static int build_preds(expr_ctx *cx, const enode *n)
{
	if (n->op == OP_HOST) {
		for (int i = 0; i < n->call->nargs; i++)
			if (n->call->preds[i] && build_one(cx, (expr *)n->call->preds[i]))
				return -1;
		if (n->call->agg)
			agg_plan((expr_hostcall *)n->call);
	}
	if (n->a && build_preds(cx, n->a))
		return -1;
	if (n->b && build_preds(cx, n->b))
		return -1;
	for (int i = 0; i < n->nargs; i++)
		if (n->args[i] && build_preds(cx, n->args[i]))
			return -1;
	return 0;
}

int expr_code_build(expr_ctx *cx, expr *e)
{
	/* the predicates first: their plans decide the outer tests */
	if (build_preds(cx, e->root))
		return -1;
	return build_one(cx, e);
}

/* label l as seen from instruction i */
static uint32_t target(const gen *g, uint32_t i, uint32_t l)
{
	uint32_t to = g->label[l];
	if (to >= g->ncode)
		return to == g->ncode ? J_TRUE : J_FALSE;
	return (to - i) * (uint32_t)sizeof *g->code;
}

static int build_one(expr_ctx *cx, expr *e)
{
	const enode *root = e->root;
	uint32_t tests = 0, labels = 2;
	count(root, &tests, &labels);
	gen g = { .cx = cx };
	/* two more instructions: the ends, so that a jump needs no bounds check */
	g.code = arena_alloc(cx->mem, (tests + 2) * sizeof *g.code);
	g.label = arena_alloc(cx->mem, labels * sizeof *g.label);
	if (!g.code || !g.label)
		return expr_errorf(cx, root->pos, "out of memory");
	g.nlabel = 2;
	emit(&g, root, L_TRUE, L_FALSE);
	g.label[L_TRUE] = g.ncode;
	g.label[L_FALSE] = g.ncode + 1;
	for (uint32_t i = 0; i < g.ncode; i++) {
		expr_cins *c = &g.code[i];
		c->jt = target(&g, i, c->jt);
		c->jf = target(&g, i, c->jf);
		c->off = c->slot * (int32_t)sizeof(expr_value);
		c->span = (uint64_t)c->hi - (uint64_t)c->lo;
		if (c->op >= CI_VAR_VAR_EQ && c->op <= CI_VAR_VAR_GE)
			c->off2 = (int32_t)c->i * (int32_t)sizeof(expr_value);
		else
			c->off2 = c->slot2 * (int32_t)sizeof(expr_value);
	}
	memset(&g.code[g.ncode], 0, 2 * sizeof *g.code);
	g.code[g.ncode].op = CI_TRUE;
	g.code[g.ncode + 1].op = CI_FALSE;
	if (g.ncode == 1 && (g.code[0].op == CI_ITEM_EQ_S || g.code[0].op == CI_ITEM_NE_S)) {
		expr_cins *c = &g.code[0];
		/* holds when the slot equals the constant, or when it does not */
		c->sub = (c->op == CI_ITEM_EQ_S) == (c->jt == J_TRUE);
		c->op = CI_ITEM_STR_ONLY;
	}
	e->code = g.code;
	e->ncode = g.ncode;
	return 0;
}

/* ---- running -------------------------------------------------------------- */

static int no_item(expr_frame *f)
{
	return expr_frame_error(f, "item name used outside an item predicate");
}

static int in_list(const expr_value *v, const expr_value *list, const uint64_t *lkeys)
{
	if (v->t == EV_NULL)
		return 0;
	if (lkeys && v->t == EV_STR && v->u.s.n <= 16)
		return in_keys(v, lkeys);
	const expr_value *l = list->u.l.v;
	uint32_t cnt = list->u.l.n;
	if (v->t == EV_STR) {
		uint32_t n = v->u.s.n;
		if (n <= 16) {
			/* weekdays, channels: compare keys, not bytes */
			uint64_t key[2], lk[2];
			expr_str_key(v->u.s.p, n, key);
			for (uint32_t k = 0; k < cnt; k++) {
				if (l[k].t != EV_STR || l[k].u.s.n != n)
					continue;
				expr_str_key(l[k].u.s.p, n, lk);
				if (lk[0] == key[0] && lk[1] == key[1])
					return 1;
			}
			return 0;
		}
		for (uint32_t k = 0; k < cnt; k++)
			if (l[k].t == EV_STR && l[k].u.s.n == n && memcmp(l[k].u.s.p, v->u.s.p, n) == 0)
				return 1;
		return 0;
	}
	for (uint32_t k = 0; k < cnt; k++)
		if (expr_value_equal(v, &l[k]))
			return 1;
	return 0;
}

/* p (n bytes) has the key k0, k1 (expr_str_key's), compared piece by
 * piece as loaded: no shifts, and one word for fewer than 8 bytes. n is
 * the constant's length, so the branches go the same way every time. */
static inline bool str_key_is(const char *p, uint32_t n, uint64_t k0, uint64_t k1)
{
	uint64_t a, b;
	uint32_t x, y;
	if (n >= 8) {
		memcpy(&a, p, 8);
		memcpy(&b, p + n - 8, 8);
		return a == k0 && b == k1;
	}
	if (n >= 4) {
		memcpy(&x, p, 4);
		memcpy(&y, p + n - 4, 4);
		return x == (uint32_t)k0 && y == (uint32_t)(k0 >> 32);
	}
	uint64_t key[2];
	expr_str_key(p, n, key);
	return key[0] == k0;
}

static inline bool key_is(const expr_value *v, const expr_cins *c)
{
	return v->u.s.n == (uint64_t)c->i && str_key_is(v->u.s.p, (uint32_t)c->i, c->key[0], c->key[1]);
}

/* The value of a CMPK's left operand: `spend_12m + net` is computed here,
 * anything else by the tree. */
static inline int operand_sum(const enode *a, expr_frame *f, expr_value *out)
{
	if ((a->op == OP_ADD || a->op == OP_SUB) && a->a->op == OP_VAR && a->b->op == OP_VAR) {
		const expr_value *x = &f->vars[a->a->slot], *y = &f->vars[a->b->slot];
		if (x->t == EV_INT && y->t == EV_INT
		    && !(a->op == OP_ADD ? __builtin_add_overflow(x->u.i, y->u.i, &out->u.i)
			: __builtin_sub_overflow(x->u.i, y->u.i, &out->u.i))) {
			out->t = EV_INT;
			return 0;
		}
	}
	return expr_eval_node(a, f, out);
}

/* GCC merges the identical tails of the tests (cross-jumping, GCSE) into
 * one shared indirect jump, which the processor then predicts for all
 * tests at once: measured 20-25% slower, and dependent on code layout.
 * The GCC manual advises -fno-gcse for computed-goto interpreters. The
 * tests' entry points and the functions are aligned too: unaligned, an
 * unrelated change elsewhere in the file moved bench-expr's rates by up
 * to 25%. */
#if defined(__GNUC__) && !defined(__clang__)
#define DISPATCH __attribute__((optimize("no-crossjumping", "no-gcse", "align-jumps=32", \
	"align-functions=64")))
#else
#define DISPATCH
#endif

/* Threaded dispatch (GCC's labels as values): each test ends in its own
 * indirect jump, which the processor predicts per test. The outcome is a
 * branch, not a conditional move, so the next test starts speculatively
 * instead of waiting for this one's result. Jumps are byte offsets, so
 * that the next instruction is one add away. */
#define AT(off) ((const expr_cins *)((const char *)c + (off)))
#define IN_RANGE(x, c) ((uint64_t)(x) - (uint64_t)(c)->lo <= (c)->span)
#define AT_OFF(table, off) ((const expr_value *)((const char *)(table) + (off)))
#define OUTCOME(r) do { \
	int r_ = (r); \
	if (r_ > 0) { \
		/* an end is a plain return: no indirect jump that depends \
		 * on the outcome */ \
		if (c->jt >= J_FALSE) { \
			*out = c->jt == J_TRUE; \
			return 0; \
		} \
		c = AT(c->jt); \
		goto *disp[c->op]; \
	} \
	if (r_ < 0) \
		return -1; \
	if (c->jf >= J_FALSE) { \
		*out = c->jf == J_TRUE; \
		return 0; \
	} \
	c = AT(c->jf); \
	goto *disp[c->op]; \
} while (0)

/* The whole dispatch, from instruction c on: every test, with the general
 * fallbacks (expr_compare, the tree). expr_eval_bool hands over to it at
 * the first test it does not finish itself. 0 with *out set, -1 on a
 * run-time error. */
static __attribute__((noinline)) DISPATCH
int run_from(const expr_cins *c, expr_frame *f, bool *out)
{
	/* ORDER: indexed by the CI_ enum */
	static const void *const disp[CI_COUNT_] = {
		[CI_NODE] = &&l_node,
		[CI_VAR_EQ_I] = &&l_var_eq_i, [CI_VAR_NE_I] = &&l_var_ne_i,
		[CI_VAR_LT_I] = &&l_var_lt_i, [CI_VAR_LE_I] = &&l_var_le_i,
		[CI_VAR_GT_I] = &&l_var_gt_i, [CI_VAR_GE_I] = &&l_var_ge_i,
		[CI_ITEM_EQ_I] = &&l_item_eq_i, [CI_ITEM_NE_I] = &&l_item_ne_i,
		[CI_ITEM_LT_I] = &&l_item_lt_i, [CI_ITEM_LE_I] = &&l_item_le_i,
		[CI_ITEM_GT_I] = &&l_item_gt_i, [CI_ITEM_GE_I] = &&l_item_ge_i,
		[CI_VAR_EQ_S] = &&l_var_eq_s, [CI_VAR_NE_S] = &&l_var_ne_s,
		[CI_ITEM_EQ_S] = &&l_item_eq_s, [CI_ITEM_NE_S] = &&l_item_ne_s,
		[CI_VAR_IN] = &&l_var_in, [CI_ITEM_IN] = &&l_item_in, [CI_VAR_IN2] = &&l_var_in,
		[CI_ITEM_STR_ONLY] = &&l_item_str_only,
		[CI_VAR_BOOL] = &&l_var_bool, [CI_EXPR_CMP_I] = &&l_expr_cmp_i, [CI_HOST] = &&l_host,
		[CI_VAR_RANGE] = &&l_var_range, [CI_ITEM_RANGE] = &&l_item_range,
		[CI_EXPR_RANGE] = &&l_expr_range,
		[CI_VAR_VAR_EQ] = &&l_var_var_eq, [CI_VAR_VAR_NE] = &&l_var_var_ne,
		[CI_VAR_VAR_LT] = &&l_var_var_lt, [CI_VAR_VAR_LE] = &&l_var_var_le,
		[CI_VAR_VAR_GT] = &&l_var_var_gt, [CI_VAR_VAR_GE] = &&l_var_var_ge,
		[CI_SUM_RANGE] = &&l_sum_range, [CI_DIFF_RANGE] = &&l_sum_range,
		[CI_AGG_ANY] = &&l_agg_any,
		[CI_ARITHK_CMP_I] = &&l_arithk_cmp_i, [CI_CALL_RANGE] = &&l_call_range,
		[CI_AGG_ANY_STR] = &&l_agg_any_str, [CI_SUM_STR_RANGE] = &&l_sum_str_range,
		[CI_TRUE] = &&l_true, [CI_FALSE] = &&l_false,
	};
	const expr_value *v, *v2;
	expr_value tmp;
	goto *disp[c->op];

#define INT_TEST(L, table, OP) \
L: \
	v = &f->table[c->slot]; \
	if (__builtin_expect(v->t == EV_INT, 1)) \
		OUTCOME(v->u.i OP c->i); \
	if (v->t == EV_NULL) \
		OUTCOME(c->nullr); \
	OUTCOME(expr_compare(c->n->sub, v, &c->n->k, f));
	INT_TEST(l_var_eq_i, vars, ==)
	INT_TEST(l_var_ne_i, vars, !=)
	INT_TEST(l_var_lt_i, vars, <)
	INT_TEST(l_var_le_i, vars, <=)
	INT_TEST(l_var_gt_i, vars, >)
	INT_TEST(l_var_ge_i, vars, >=)
#define ITEM_INT_TEST(L, OP) \
L: \
	if (!f->item) \
		return no_item(f); \
	v = &f->item[c->slot]; \
	if (__builtin_expect(v->t == EV_INT, 1)) \
		OUTCOME(v->u.i OP c->i); \
	if (v->t == EV_NULL) \
		OUTCOME(c->nullr); \
	OUTCOME(expr_compare(c->n->sub, v, &c->n->k, f));
	ITEM_INT_TEST(l_item_eq_i, ==)
	ITEM_INT_TEST(l_item_ne_i, !=)
	ITEM_INT_TEST(l_item_lt_i, <)
	ITEM_INT_TEST(l_item_le_i, <=)
	ITEM_INT_TEST(l_item_gt_i, >)
	ITEM_INT_TEST(l_item_ge_i, >=)
#define STR_TEST(L, table, check, want) \
L: \
	check \
	v = &f->table[c->slot]; \
	if (__builtin_expect(v->t == EV_STR, 1)) \
		OUTCOME(key_is(v, c) == want); \
	OUTCOME(expr_compare(c->n->sub, v, &c->n->k, f));
#define NEEDS_ITEM if (!f->item) return no_item(f);
	STR_TEST(l_var_eq_s, vars, , true)
	STR_TEST(l_var_ne_s, vars, , false)
	STR_TEST(l_item_eq_s, item, NEEDS_ITEM, true)
	STR_TEST(l_item_ne_s, item, NEEDS_ITEM, false)
l_item_str_only:
	if (!f->item)
		return no_item(f);
	v = &f->item[c->slot];
	*out = (v->t == EV_STR && key_is(v, c)) == (bool)c->sub;
	return 0;
l_var_in:
	OUTCOME(in_list(&f->vars[c->slot], &c->list, c->lkeys));
l_item_in:
	if (!f->item)
		return no_item(f);
	OUTCOME(in_list(&f->item[c->slot], &c->list, c->lkeys));
l_var_range:
	v = &f->vars[c->slot];
	goto range;
l_item_range:
	if (!f->item)
		return no_item(f);
	v = &f->item[c->slot];
	goto range;
l_sum_range:
	if (operand_sum(c->n->a, f, &tmp))
		return -1;
	v = &tmp;
	if (!c->n2)
		goto cmp_i;
	goto range;
l_expr_range:
	if (operand_sum(c->n->a, f, &tmp))
		return -1;
	v = &tmp;
range:
	if (__builtin_expect(v->t == EV_INT, 1))
		OUTCOME(IN_RANGE(v->u.i, c));
	{
		/* the two tests as written, in order */
		int r1 = expr_compare(c->n->sub, v, &c->n->k, f);
		if (r1 <= 0)
			OUTCOME(r1);
		OUTCOME(expr_compare(c->n2->sub, v, &c->n2->k, f));
	}
#define VAR_VAR_TEST(L, OP) \
L: \
	v = &f->vars[c->slot]; \
	v2 = &f->vars[c->i]; \
	if (__builtin_expect(v->t == EV_INT && v2->t == EV_INT, 1)) \
		OUTCOME(v->u.i OP v2->u.i); \
	OUTCOME(expr_compare(c->n->op, v, v2, f));
	VAR_VAR_TEST(l_var_var_eq, ==)
	VAR_VAR_TEST(l_var_var_ne, !=)
	VAR_VAR_TEST(l_var_var_lt, <)
	VAR_VAR_TEST(l_var_var_le, <=)
	VAR_VAR_TEST(l_var_var_gt, >)
	VAR_VAR_TEST(l_var_var_ge, >=)
l_var_bool:
	v = &f->vars[c->slot];
	if (v->t == EV_BOOL)
		OUTCOME(v->u.b);
	OUTCOME(expr_cond_node(c->n, f));
	/* The two usual aggregates with their loop here (see agg_plan): the
	 * rows' slot compared with the string constant in c->key. */
#define ROW_IS_KEY(v) ((v)->t == EV_STR && (v)->u.s.n == (uint64_t)c->i \
	&& str_key_is((v)->u.s.p, (v)->u.s.n, c->key[0], c->key[1]))
l_agg_any_str:
	if (!f->rows || !f->nrows || !f->row_stride)
		OUTCOME(0);
	v = f->rows + c->slot;
	v2 = v + (size_t)f->nrows * f->row_stride;
	for (; v < v2; v += f->row_stride)
		if (ROW_IS_KEY(v))
			OUTCOME(1);
	OUTCOME(0);
l_sum_str_range:
	if (!f->rows || !f->nrows || !f->row_stride)
		OUTCOME(0 >= c->lo && 0 <= c->hi);
	{
		int64_t acc = 0, t;
		ptrdiff_t to = (ptrdiff_t)c->slot2 - c->slot;
		v = f->rows + c->slot;
		v2 = v + (size_t)f->nrows * f->row_stride;
		for (; v < v2; v += f->row_stride) {
			if (!ROW_IS_KEY(v))
				continue;
			const expr_value *x = v + to;
			if (__builtin_expect(x->t != EV_INT || __builtin_add_overflow(acc, x->u.i, &t), 0))
				goto l_call_range;   /* expr_agg says what is wrong */
			acc = t;
		}
		OUTCOME(acc >= c->lo && acc <= c->hi);
	}
l_call_range:
	if (c->n2->call->agg ? expr_agg(c->n2, f, &tmp) : expr_call_host(c->n2, f, &tmp))
		return -1;
	if (__builtin_expect(tmp.t == EV_INT, 1))
		OUTCOME(tmp.u.i >= c->lo && tmp.u.i <= c->hi);
	{
		/* a null, a float: as written, with the call's value */
		const enode *a = c->n->a;
		expr_value q = tmp;
		if (a != c->n2 && expr_arith(a->op, &tmp, &a->b->k, f, &q))
			return -1;
		OUTCOME(expr_compare(c->n->sub, &q, &c->n->k, f));
	}
l_arithk_cmp_i:
	if (expr_arith_k(c->n->a, f, &tmp))
		return -1;
	v = &tmp;
	goto cmp_i;
l_expr_cmp_i:
	if (operand_sum(c->n->a, f, &tmp))
		return -1;
	v = &tmp;
cmp_i:
	if (__builtin_expect(v->t == EV_INT, 1)) {
		switch (c->n->sub) {
		case OP_EQ: OUTCOME(v->u.i == c->n->k.u.i);
		case OP_NE: OUTCOME(v->u.i != c->n->k.u.i);
		case OP_LT: OUTCOME(v->u.i < c->n->k.u.i);
		case OP_LE: OUTCOME(v->u.i <= c->n->k.u.i);
		case OP_GT: OUTCOME(v->u.i > c->n->k.u.i);
		case OP_GE: OUTCOME(v->u.i >= c->n->k.u.i);
		}
	}
	OUTCOME(expr_compare(c->n->sub, v, &c->n->k, f));
l_agg_any:
	if (expr_agg(c->n, f, &tmp))
		return -1;
	OUTCOME(tmp.u.b);
l_host:
	if (expr_call_host(c->n, f, &tmp))
		return -1;
	if (__builtin_expect(tmp.t == EV_BOOL, 1))
		OUTCOME(tmp.u.b);
	if (tmp.t == EV_NULL)
		OUTCOME(0);
	if (c->n->ctx)
		return expr_frame_error(f, "%s needs a boolean, got %s", expr_op_text(c->n->ctx),
			expr_vtype_name(tmp.t));
	return expr_frame_error(f, "expected boolean, got %s", expr_vtype_name(tmp.t));
l_node:
	OUTCOME(expr_cond_node(c->n, f));
l_true:
	*out = true;
	return 0;
l_false:
	*out = false;
	return 0;
}

/* The entry for conditions: the common tests on values of the expected
 * type, and nothing that calls a function, so that entering costs no
 * register saves; at the first test it cannot finish (a null where an
 * ordering needs a number, a host call, the tree) it hands over to
 * run_from() with a tail call. Host item loops call this once per item,
 * so the entry is what matters. */
DISPATCH
int expr_eval_bool(const expr *e, expr_frame *f, bool *out)
{
	/* ORDER: indexed by the CI_ enum */
	static const void *const disp[CI_COUNT_] = {
		[CI_NODE] = &&l_slow,
		[CI_VAR_EQ_I] = &&l_var_eq_i, [CI_VAR_NE_I] = &&l_var_ne_i,
		[CI_VAR_LT_I] = &&l_var_lt_i, [CI_VAR_LE_I] = &&l_var_le_i,
		[CI_VAR_GT_I] = &&l_var_gt_i, [CI_VAR_GE_I] = &&l_var_ge_i,
		[CI_ITEM_EQ_I] = &&l_item_eq_i, [CI_ITEM_NE_I] = &&l_item_ne_i,
		[CI_ITEM_LT_I] = &&l_item_lt_i, [CI_ITEM_LE_I] = &&l_item_le_i,
		[CI_ITEM_GT_I] = &&l_item_gt_i, [CI_ITEM_GE_I] = &&l_item_ge_i,
		[CI_VAR_EQ_S] = &&l_var_eq_s, [CI_VAR_NE_S] = &&l_var_ne_s,
		[CI_ITEM_EQ_S] = &&l_item_eq_s, [CI_ITEM_NE_S] = &&l_item_ne_s,
		[CI_VAR_IN] = &&l_var_in, [CI_ITEM_IN] = &&l_item_in, [CI_VAR_IN2] = &&l_var_in2,
		[CI_ITEM_STR_ONLY] = &&l_item_str_only,
		[CI_VAR_BOOL] = &&l_var_bool, [CI_EXPR_CMP_I] = &&l_slow, [CI_HOST] = &&l_slow,
		[CI_VAR_RANGE] = &&l_var_range, [CI_ITEM_RANGE] = &&l_item_range,
		[CI_EXPR_RANGE] = &&l_slow,
		[CI_VAR_VAR_EQ] = &&l_var_var_eq, [CI_VAR_VAR_NE] = &&l_var_var_ne,
		[CI_VAR_VAR_LT] = &&l_var_var_lt, [CI_VAR_VAR_LE] = &&l_var_var_le,
		[CI_VAR_VAR_GT] = &&l_var_var_gt, [CI_VAR_VAR_GE] = &&l_var_var_ge,
		[CI_SUM_RANGE] = &&l_sum_range, [CI_DIFF_RANGE] = &&l_diff_range,
		[CI_AGG_ANY] = &&l_slow,
		[CI_ARITHK_CMP_I] = &&l_slow, [CI_CALL_RANGE] = &&l_slow,
		[CI_AGG_ANY_STR] = &&l_slow, [CI_SUM_STR_RANGE] = &&l_slow,
		[CI_TRUE] = &&l_slow, [CI_FALSE] = &&l_slow,
	};
	const expr_cins *c = e->code;
	const expr_value *v, *v2;
	int64_t x;
	goto *disp[c->op];

#define F_INT_TEST(L, table, OP) \
L: \
	F_INT_BODY(table, OP)
#define F_INT_BODY(table, OP) \
	v = AT_OFF(f->table, c->off); \
	if (__builtin_expect(v->t == EV_INT, 1)) \
		OUTCOME(v->u.i OP c->i); \
	if (v->t == EV_NULL) \
		OUTCOME(c->nullr); \
	goto l_slow;
	F_INT_TEST(l_var_eq_i, vars, ==)
	F_INT_TEST(l_var_ne_i, vars, !=)
	F_INT_TEST(l_var_lt_i, vars, <)
	F_INT_TEST(l_var_le_i, vars, <=)
	F_INT_TEST(l_var_gt_i, vars, >)
	F_INT_TEST(l_var_ge_i, vars, >=)
#define F_ITEM_INT_TEST(L, OP) \
L: \
	if (!f->item) \
		goto l_slow; \
	F_INT_BODY(item, OP)
	F_ITEM_INT_TEST(l_item_eq_i, ==)
	F_ITEM_INT_TEST(l_item_ne_i, !=)
	F_ITEM_INT_TEST(l_item_lt_i, <)
	F_ITEM_INT_TEST(l_item_le_i, <=)
	F_ITEM_INT_TEST(l_item_gt_i, >)
	F_ITEM_INT_TEST(l_item_ge_i, >=)
	/* == and != with a string: a value of another type is simply not
	 * equal (expr_compare says so too), so nothing falls back */
#define F_STR_TEST(L, table, check, want) \
L: \
	check \
	v = AT_OFF(f->table, c->off); \
	OUTCOME(v->t == EV_STR ? key_is(v, c) == want : !want);
#define F_NEEDS_ITEM if (!f->item) goto l_slow;
	F_STR_TEST(l_var_eq_s, vars, , true)
	F_STR_TEST(l_var_ne_s, vars, , false)
	F_STR_TEST(l_item_eq_s, item, F_NEEDS_ITEM, true)
	F_STR_TEST(l_item_ne_s, item, F_NEEDS_ITEM, false)
l_item_str_only:
	if (!f->item)
		goto l_slow;
	v = AT_OFF(f->item, c->off);
	*out = (v->t == EV_STR && key_is(v, c)) == (bool)c->sub;
	return 0;
l_var_in2:
	/* a value of another type equals neither string */
	v = AT_OFF(f->vars, c->off);
	OUTCOME(v->t == EV_STR
		&& ((v->u.s.n == (uint64_t)c->i && str_key_is(v->u.s.p, (uint32_t)c->i, c->key[0], c->key[1]))
		|| (v->u.s.n == c->len2 && str_key_is(v->u.s.p, c->len2, c->key2[0], c->key2[1]))));
l_var_in:
	v = AT_OFF(f->vars, c->off);
	goto in;
l_item_in:
	if (!f->item)
		goto l_slow;
	v = AT_OFF(f->item, c->off);
in:
	if (v->t == EV_NULL)
		OUTCOME(0);
	if (c->lkeys && v->t == EV_STR && v->u.s.n <= 16)
		OUTCOME(in_keys(v, c->lkeys));
	goto l_slow;
l_var_range:
	v = AT_OFF(f->vars, c->off);
	goto range;
l_item_range:
	if (!f->item)
		goto l_slow;
	v = AT_OFF(f->item, c->off);
range:
	if (__builtin_expect(v->t == EV_INT, 1))
		OUTCOME(IN_RANGE(v->u.i, c));
	goto l_slow;
l_sum_range:
	v = AT_OFF(f->vars, c->off);
	v2 = AT_OFF(f->vars, c->off2);
	if (__builtin_expect(v->t == EV_INT && v2->t == EV_INT, 1)
	    && !__builtin_add_overflow(v->u.i, v2->u.i, &x))
		OUTCOME(IN_RANGE(x, c));
	goto l_slow;   /* a null, a float, an overflow: as written */
l_diff_range:
	v = AT_OFF(f->vars, c->off);
	v2 = AT_OFF(f->vars, c->off2);
	if (__builtin_expect(v->t == EV_INT && v2->t == EV_INT, 1)
	    && !__builtin_sub_overflow(v->u.i, v2->u.i, &x))
		OUTCOME(IN_RANGE(x, c));
	goto l_slow;
#define F_VAR_VAR_TEST(L, OP) \
L: \
	v = AT_OFF(f->vars, c->off); \
	v2 = AT_OFF(f->vars, c->off2); \
	if (__builtin_expect(v->t == EV_INT && v2->t == EV_INT, 1)) \
		OUTCOME(v->u.i OP v2->u.i); \
	goto l_slow;
	F_VAR_VAR_TEST(l_var_var_eq, ==)
	F_VAR_VAR_TEST(l_var_var_ne, !=)
	F_VAR_VAR_TEST(l_var_var_lt, <)
	F_VAR_VAR_TEST(l_var_var_le, <=)
	F_VAR_VAR_TEST(l_var_var_gt, >)
	F_VAR_VAR_TEST(l_var_var_ge, >=)
l_var_bool:
	v = AT_OFF(f->vars, c->off);
	if (v->t == EV_BOOL)
		OUTCOME(v->u.b);
	if (v->t == EV_NULL)
		OUTCOME(0);
	goto l_slow;
l_slow:
	return run_from(c, f, out);
}

/* ---- native aggregates ---------------------------------------------------- */

/* What a row that satisfies the predicate does to the aggregate: 1 when
 * the answer is known (any), 0 to go on, -1 on a run-time error. */
static inline int agg_row(const expr_hostcall *hc, const expr_value *row, int64_t *acc,
	expr_frame *f)
{
	if (hc->agg == EXPR_AGG_ANY) {
		*acc = 1;
		return 1;
	}
	if (hc->agg == EXPR_AGG_COUNT) {
		++*acc;   /* at most 2^32 rows: no overflow */
		return 0;
	}
	const expr_value *v = &row[hc->agg_slot];
	if (__builtin_expect(v->t != EV_INT, 0))
		return expr_frame_error(f, "function '%s' sums ints, got %s", hc->name,
			expr_vtype_name(v->t));
	if (__builtin_add_overflow(*acc, v->u.i, acc))
		return expr_frame_error(f, "integer overflow in %s", hc->name);
	return 0;
}

/* [lo, hi] and whether the test is its complement, for a one-test int
 * predicate on a row slot; false for any other test. */
static bool int_bounds(const expr_cins *c, int64_t *lo, int64_t *hi, bool *inv)
{
	int64_t k = c->i;
	*lo = INT64_MIN;
	*hi = INT64_MAX;
	*inv = false;
	switch (c->op) {
	case CI_ITEM_EQ_I: *lo = *hi = k; return true;
	case CI_ITEM_NE_I: *lo = *hi = k; *inv = true; return true;
	case CI_ITEM_LT_I: if (k == INT64_MIN) { *inv = true; } else { *hi = k - 1; } return true;
	case CI_ITEM_LE_I: *hi = k; return true;
	case CI_ITEM_GT_I: if (k == INT64_MAX) { *inv = true; } else { *lo = k + 1; } return true;
	case CI_ITEM_GE_I: *lo = k; return true;
	case CI_ITEM_RANGE: *lo = c->lo; *hi = c->hi; return true;
	}
	return false;
}

/* How expr_agg runs an aggregate's predicate, decided at load: a one-test
 * predicate on a row slot (`item.category == "coffee"`, `item.qty >= 2`)
 * is a tight loop in expr_agg; anything else is the code per row. */
static void agg_plan(expr_hostcall *hc)
{
	const expr *p = hc->preds[0];
	const expr_cins *c = p->code;
	/* which end is "holds" (`not` swaps them) */
	bool pos = c->jt == J_TRUE, inv;
	hc->plan = AGG_CODE;
	if (p->ncode != 1)
		return;
	hc->pslot = c->slot;
	if (c->op == CI_ITEM_STR_ONLY) {
		hc->plan = AGG_STR;
		hc->pwant = c->sub;
		hc->plen = (uint32_t)c->i;
		hc->pkey[0] = c->key[0];
		hc->pkey[1] = c->key[1];
	} else if (int_bounds(c, &hc->plo, &hc->phi, &inv)) {
		hc->plan = AGG_INT;
		hc->pwant = !inv == pos;
		hc->pnull = (bool)c->nullr == pos;
	}
}

/* The predicate's code run over the rows, in order, without a host call:
 * the plan's tight loop, or for a value not of the test's type and any
 * other predicate expr_eval_bool per row, which saves no registers on
 * entry. f->item is the row then, for the tree and host calls inside the
 * predicate, and restored after. */
int expr_agg(const enode *n, expr_frame *f, expr_value *out)
{
	const expr_hostcall *hc = n->call;
	const expr_value *row = f->rows, *saved = f->item;
	uint32_t cnt = row && f->row_stride ? f->nrows : 0, i = 0;
	size_t stride = f->row_stride;
	int64_t acc = 0;
	int r = 0;
	if (cnt == 0)
		goto done;
	if (hc->plan == AGG_STR) {
		/* == and != against a string never need the general code */
		const expr_value *v = row + hc->pslot, *vend = v + (size_t)cnt * stride;
		uint32_t len = hc->plen;
		uint64_t k0 = hc->pkey[0], k1 = hc->pkey[1];
		bool want = hc->pwant;
#define STR_MATCH(v) ((v)->t == EV_STR && (v)->u.s.n == len && str_key_is((v)->u.s.p, len, k0, k1))
		if (want && hc->agg == EXPR_AGG_ANY) {
			/* any_item(item.category == "coffee"): as tight as by hand */
			for (; v < vend; v += stride)
				if (STR_MATCH(v)) {
					acc = 1;
					break;
				}
			goto done;
		}
		if (want && hc->agg == EXPR_AGG_SUM) {
			ptrdiff_t to = (ptrdiff_t)hc->agg_slot - hc->pslot;
			for (; v < vend; v += stride) {
				if (!STR_MATCH(v))
					continue;
				const expr_value *x = v + to;
				int64_t t;
				if (__builtin_expect(x->t != EV_INT || __builtin_add_overflow(acc, x->u.i, &t), 0)) {
					/* acc as it was: agg_row fails the same way and says how */
					r = agg_row(hc, v - hc->pslot, &acc, f);
					break;
				}
				acc = t;
			}
			goto done;
		}
		for (; i < cnt; i++, v += stride) {
			bool eq = false;
			if (v->t == EV_STR && v->u.s.n == len) {
				uint64_t key[2];
				expr_str_key(v->u.s.p, len, key);
				eq = key[0] == k0 && key[1] == k1;
			}
			if (eq == want && (r = agg_row(hc, v - hc->pslot, &acc, f)) != 0)
				break;
		}
		goto done;
	}
	if (hc->plan == AGG_INT) {
		const expr_value *v = row + hc->pslot;
		int64_t lo = hc->plo, hi = hc->phi;
		bool want = hc->pwant;
		for (; i < cnt; i++, v += stride) {
			bool h;
			if (__builtin_expect(v->t == EV_INT, 1))
				h = (v->u.i >= lo && v->u.i <= hi) == want;
			else if (v->t == EV_NULL)
				h = hc->pnull;
			else
				break;   /* this row on: the general code */
			if (h && (r = agg_row(hc, v - hc->pslot, &acc, f)) != 0)
				goto done;
		}
		row += (size_t)i * stride;
	}
	for (; i < cnt; i++, row += stride) {
		bool b;
		f->item = row;
		if (expr_eval_bool(hc->preds[0], f, &b)) {
			r = -1;
			break;
		}
		if (b && (r = agg_row(hc, row, &acc, f)) != 0)
			break;
	}
done:
	f->item = saved;
	if (r < 0)
		return -1;
	*out = hc->agg == EXPR_AGG_ANY ? expr_bool(acc != 0) : expr_int(acc);
	return 0;
}
