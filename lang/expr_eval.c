/* lang/expr_eval.c — evaluation of a compiled expression. Two walkers:
 * ev() produces a value (a switch over the node); the truth value of a
 * boolean node comes from the node's own `cond` function, chosen at load
 * by expr_prepare() among small specialised ones (a string slot equal to a
 * constant, an int slot compared with a constant, an n-ary and/or), so that
 * a condition like `tier == "gold" and hour >= 7` is a few direct calls and
 * never builds an expr_value. Every specialised function falls back to the
 * general code (expr_compare) when a value is not of the expected type, so
 * they change speed, never meaning.
 *
 * Nothing here allocates at run time; strings built at run time go to the
 * frame's scratch buffer. Recursion is bounded by the tree height checked
 * at load. */
#include "lang/expr_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int expr_frame_error(expr_frame *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->err, sizeof f->err, fmt, ap);
	va_end(ap);
	return -1;
}

static int no_item(expr_frame *f)
{
	return expr_frame_error(f, "item name used outside an item predicate");
}

/* null and false are false; anything else but a boolean is an error (the
 * load-time check lets through only names declared as several types) */
static int truth(const expr_value *v, int op, expr_frame *f)
{
	if (v->t == EV_BOOL)
		return v->u.b;
	if (v->t == EV_NULL)
		return 0;
	if (!op)
		return expr_frame_error(f, "expected boolean, got %s", expr_vtype_name(v->t));
	return expr_frame_error(f, "%s needs a boolean, got %s", expr_op_text(op), expr_vtype_name(v->t));
}

static inline bool same_bytes(const char *a, const char *b, uint32_t n)
{
	return n == 0 || memcmp(a, b, n) == 0;
}

static inline bool str_is(const expr_value *v, const expr_value *k)
{
	return v->u.s.n == k->u.s.n && same_bytes(v->u.s.p, k->u.s.p, k->u.s.n);
}

/* v equal to the constant of node n (a string of at most 16 bytes) */
static inline bool str_is_key(const expr_value *v, const enode *n)
{
	if (v->u.s.n != n->k.u.s.n)
		return false;
	uint64_t key[2];
	expr_str_key(v->u.s.p, v->u.s.n, key);
	return key[0] == n->key[0] && key[1] == n->key[1];
}

static int ev(const enode *n, expr_frame *f, expr_value *out);
static int cond_generic(const enode *n, expr_frame *f);

static inline int cond(const enode *n, expr_frame *f)
{
	/* before expr_prepare (constant folding) there is no cond yet */
	return n->cond ? n->cond(n, f) : cond_generic(n, f);
}

/* The value a CMPK/INK node tests: a slot, or its left operand. */
static inline int operand(const enode *n, expr_frame *f, expr_value *tmp, const expr_value **v)
{
	if (n->a) {
		if (ev(n->a, f, tmp))
			return -1;
		*v = tmp;
		return 0;
	}
	if (n->scope) {
		if (!f->item)
			return no_item(f);
		*v = &f->item[n->slot];
	} else {
		*v = &f->vars[n->slot];
	}
	return 0;
}

static int in_list(const expr_value *v, const expr_value *list)
{
	if (v->t == EV_NULL)
		return 0;
	const expr_value *l = list->u.l.v;
	uint32_t cnt = list->u.l.n;
	if (v->t == EV_STR) {
		for (uint32_t k = 0; k < cnt; k++)
			if (l[k].t == EV_STR && str_is(v, &l[k]))
				return 1;
		return 0;
	}
	for (uint32_t k = 0; k < cnt; k++)
		if (expr_value_equal(v, &l[k]))
			return 1;
	return 0;
}

static int cond_generic(const enode *n, expr_frame *f)
{
	int r;
	switch (n->op) {
	case OP_AND:
		if (!n->args) {
			r = cond(n->a, f);
			return r <= 0 ? r : cond(n->b, f);
		}
		for (int i = 0; i < n->nargs; i++)
			if ((r = cond(n->args[i], f)) <= 0)
				return r;
		return 1;
	case OP_OR:
		if (!n->args) {
			r = cond(n->a, f);
			return r != 0 ? r : cond(n->b, f);
		}
		for (int i = 0; i < n->nargs; i++)
			if ((r = cond(n->args[i], f)) != 0)
				return r;
		return 0;
	case OP_NOT:
		r = cond(n->a, f);
		return r < 0 ? r : !r;
	case OP_CMPK: {
		expr_value tmp;
		const expr_value *v = NULL;
		if (operand(n, f, &tmp, &v))
			return -1;
		return expr_compare(n->sub, v, &n->k, f);
	}
	case OP_INK: {
		expr_value tmp;
		const expr_value *v = NULL;
		if (operand(n, f, &tmp, &v))
			return -1;
		return in_list(v, &n->k);
	}
	case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE: case OP_IN: {
		expr_value a, b;
		if (ev(n->a, f, &a) || ev(n->b, f, &b))
			return -1;
		return expr_compare(n->op, &a, &b, f);
	}
	default: {
		expr_value v;
		if (ev(n, f, &v))
			return -1;
		return truth(&v, n->ctx, f);
	}
	}
}

/* ---- specialised cond functions ----------------------------------------- */

static int cond_and(const enode *n, expr_frame *f)
{
	int r;
	for (int i = 0; i < n->nargs; i++) {
		const enode *c = n->args[i];
		if ((r = c->cond(c, f)) <= 0)
			return r;
	}
	return 1;
}

static int cond_or(const enode *n, expr_frame *f)
{
	int r;
	for (int i = 0; i < n->nargs; i++) {
		const enode *c = n->args[i];
		if ((r = c->cond(c, f)) != 0)
			return r;
	}
	return 0;
}

static int cond_not(const enode *n, expr_frame *f)
{
	int r = n->a->cond(n->a, f);
	return r < 0 ? r : !r;
}

static int cond_const(const enode *n, expr_frame *f)
{
	return truth(&n->k, n->ctx, f);
}

static int cond_var(const enode *n, expr_frame *f)
{
	const expr_value *v = &f->vars[n->slot];
	if (v->t == EV_BOOL)
		return v->u.b;
	return truth(v, n->ctx, f);
}

/* slot (vars or item) == / != string constant */
#define STR_EQ_FN(name, table, check, want) \
static int name(const enode *n, expr_frame *f) \
{ \
	check \
	const expr_value *v = &f->table[n->slot]; \
	if (v->t == EV_STR) \
		return str_is_key(v, n) == want; \
	return expr_compare(n->sub, v, &n->k, f); \
}
#define ITEM_CHECK if (!f->item) return no_item(f);
STR_EQ_FN(var_str_eq, vars, , true)
STR_EQ_FN(var_str_ne, vars, , false)
STR_EQ_FN(item_str_eq, item, ITEM_CHECK, true)
STR_EQ_FN(item_str_ne, item, ITEM_CHECK, false)

/* slot <op> int constant; anything else (a float, a null) goes the
 * general way */
#define INT_CMP_FN(name, table, check, OP) \
static int name(const enode *n, expr_frame *f) \
{ \
	check \
	const expr_value *v = &f->table[n->slot]; \
	if (v->t == EV_INT) \
		return v->u.i OP n->k.u.i; \
	return expr_compare(n->sub, v, &n->k, f); \
}
INT_CMP_FN(var_int_eq, vars, , ==)
INT_CMP_FN(var_int_ne, vars, , !=)
INT_CMP_FN(var_int_lt, vars, , <)
INT_CMP_FN(var_int_le, vars, , <=)
INT_CMP_FN(var_int_gt, vars, , >)
INT_CMP_FN(var_int_ge, vars, , >=)
INT_CMP_FN(item_int_eq, item, ITEM_CHECK, ==)
INT_CMP_FN(item_int_ne, item, ITEM_CHECK, !=)
INT_CMP_FN(item_int_lt, item, ITEM_CHECK, <)
INT_CMP_FN(item_int_le, item, ITEM_CHECK, <=)
INT_CMP_FN(item_int_gt, item, ITEM_CHECK, >)
INT_CMP_FN(item_int_ge, item, ITEM_CHECK, >=)

/* any expression <op> int constant: `spend_12m + net >= 500000` */
static int expr_int_cmp(const enode *n, expr_frame *f)
{
	expr_value v;
	if (ev(n->a, f, &v))
		return -1;
	if (v.t == EV_INT) {
		int64_t x = v.u.i, y = n->k.u.i;
		switch (n->sub) {
		case OP_EQ: return x == y;
		case OP_NE: return x != y;
		case OP_LT: return x < y;
		case OP_LE: return x <= y;
		case OP_GT: return x > y;
		case OP_GE: return x >= y;
		}
	}
	return expr_compare(n->sub, &v, &n->k, f);
}

static int var_in(const enode *n, expr_frame *f)
{
	return in_list(&f->vars[n->slot], &n->k);
}

static int item_in(const enode *n, expr_frame *f)
{
	if (!f->item)
		return no_item(f);
	return in_list(&f->item[n->slot], &n->k);
}

static expr_cond_fn pick_cmpk(const enode *n)
{
	/* ORDER: OP_EQ .. OP_GE */
	static const expr_cond_fn int_fns[2][6] = {
		{ var_int_eq, var_int_ne, var_int_lt, var_int_le, var_int_gt, var_int_ge },
		{ item_int_eq, item_int_ne, item_int_lt, item_int_le, item_int_gt, item_int_ge },
	};
	if (n->k.t == EV_INT && n->sub >= OP_EQ && n->sub <= OP_GE) {
		if (n->a)
			return expr_int_cmp;
		return int_fns[n->scope ? 1 : 0][n->sub - OP_EQ];
	}
	if (n->k.t == EV_STR && !n->a && (n->sub == OP_EQ || n->sub == OP_NE) && n->k.u.s.n <= 16) {
		if (n->scope)
			return n->sub == OP_EQ ? item_str_eq : item_str_ne;
		return n->sub == OP_EQ ? var_str_eq : var_str_ne;
	}
	return cond_generic;
}

/* Count the operands of a chain of one and/or operator. */
static int chain_count(const enode *n, int op)
{
	if (n->op != op || n->args)
		return 1;
	return chain_count(n->a, op) + chain_count(n->b, op);
}

static void chain_fill(enode *n, int op, enode **v, int *k)
{
	if (n->op != op || n->args) {
		v[(*k)++] = n;
		return;
	}
	chain_fill(n->a, op, v, k);
	chain_fill(n->b, op, v, k);
}

static bool is_int_k(const enode *n)
{
	return n->op == OP_CONST && n->k.t == EV_INT;
}

static bool is_simple(const enode *n)
{
	return n->op == OP_VAR || n->op == OP_ITEM || n->op == OP_HOST;
}

/* For arith_k(): ARITH_K_RIGHT for `x <op> k`, ARITH_K_LEFT for `k <op> x`
 * (x a name or a host call, k an int constant), else 0. `//` only by a
 * constant other than 0 and -1, the two divisors with an error case. */
static uint8_t arith_k_side(const enode *n)
{
	if (n->op == OP_IDIV)
		return is_simple(n->a) && is_int_k(n->b) && n->b->k.u.i != 0 && n->b->k.u.i != -1
			? ARITH_K_RIGHT : 0;
	if (is_simple(n->a) && is_int_k(n->b))
		return ARITH_K_RIGHT;
	if (is_int_k(n->a) && is_simple(n->b))
		return ARITH_K_LEFT;
	return 0;
}

int expr_prepare(expr_ctx *cx, enode *n)
{
	if (n->op == OP_AND || n->op == OP_OR) {
		if (!n->args) {
			int cnt = chain_count(n, n->op);
			enode **v = arena_alloc(cx->mem, (size_t)cnt * sizeof *v);
			if (!v)
				return expr_errorf(cx, n->pos, "out of memory");
			int k = 0;
			chain_fill(n, n->op, v, &k);
			n->args = v;
			n->nargs = (uint16_t)cnt;
			n->a = n->b = NULL;
		}
		for (int i = 0; i < n->nargs; i++) {
			n->args[i]->ctx = n->op;
			if (expr_prepare(cx, n->args[i]))
				return -1;
		}
		n->cond = n->op == OP_AND ? cond_and : cond_or;
		return 0;
	}
	if (n->a) {
		if (n->op == OP_NOT)
			n->a->ctx = OP_NOT;
		if (expr_prepare(cx, n->a))
			return -1;
	}
	if (n->b && expr_prepare(cx, n->b))
		return -1;
	for (int i = 0; i < n->nargs; i++)
		if (n->args[i] && expr_prepare(cx, n->args[i]))
			return -1;
	switch (n->op) {
	case OP_NOT: n->cond = cond_not; break;
	case OP_CONST: n->cond = cond_const; break;
	case OP_VAR: n->cond = cond_var; break;
	case OP_CMPK:
		if (n->k.t == EV_STR && n->k.u.s.n <= 16)
			expr_str_key(n->k.u.s.p, n->k.u.s.n, n->key);
		n->cond = pick_cmpk(n);
		break;
	case OP_INK: n->cond = n->scope ? item_in : var_in; break;
	case OP_ADD: case OP_SUB: case OP_MUL: case OP_IDIV:
		n->sub = arith_k_side(n);
		n->cond = cond_generic;
		break;
	default: n->cond = cond_generic; break;
	}
	return 0;
}

/* ---- values ----------------------------------------------------------- */

int expr_call_host(const enode *n, expr_frame *f, expr_value *out)
{
	const expr_hostcall *hc = n->call;
	if (hc->agg)
		return expr_agg(n, f, out);
	expr_value args[4];
	const expr_value *av = hc->const_args ? hc->kargs : args;
	for (int i = 0; !hc->const_args && i < hc->nargs; i++) {
		if (hc->preds[i]) {
			args[i] = expr_null();
			continue;
		}
		if (ev(n->args[i], f, &args[i]))
			return -1;
		if (!((1u << args[i].t) & hc->arg_types[i])) {
			char b[64];
			return expr_frame_error(f, "function '%s' argument %d must be %s, got %s", hc->name,
				i + 1, expr_type_text(hc->arg_types[i], b, sizeof b), expr_vtype_name(args[i].t));
		}
	}
	if (!hc->host)
		return expr_frame_error(f, "function '%s' has no host", hc->name);
	f->err[0] = '\0';
	if (hc->host(f, hc->fn_id, hc->bound, av, hc->nargs, hc->preds, out) != 0) {
		if (!f->err[0])
			expr_frame_error(f, "function '%s' failed", hc->name);
		return -1;
	}
	return 0;
}

/* `net // 100`, `20 * count_qty(...)`: a name or a host call with an int
 * constant, without a second operand to evaluate and without expr_arith's
 * dispatch. Exactly expr_arith's int64 results; anything it would refuse
 * or report (a float, a null, an overflow) goes to expr_arith itself, in
 * the operands' written order, so the messages are its own. */
int expr_arith_k(const enode *n, expr_frame *f, expr_value *out)
{
	bool right = n->sub == ARITH_K_RIGHT;
	const enode *x = right ? n->a : n->b;
	const expr_value *k = right ? &n->b->k : &n->a->k;
	const expr_value *v;
	expr_value tmp;
	switch (x->op) {
	case OP_VAR:
		v = &f->vars[x->slot];
		break;
	case OP_ITEM:
		if (!f->item)
			return no_item(f);
		v = &f->item[x->slot];
		break;
	default:
		if (x->call->agg ? expr_agg(x, f, &tmp) : expr_call_host(x, f, &tmp))
			return -1;
		v = &tmp;
		break;
	}
	if (__builtin_expect(v->t == EV_INT, 1)) {
		int64_t a = v->u.i, b = k->u.i, r;
		bool over = true;
		switch (n->op) {
		case OP_ADD:
			over = __builtin_add_overflow(a, b, &r);
			break;
		case OP_SUB:
			over = right ? __builtin_sub_overflow(a, b, &r) : __builtin_sub_overflow(b, a, &r);
			break;
		case OP_MUL:
			over = __builtin_mul_overflow(a, b, &r);
			break;
		case OP_IDIV:
			/* b is neither 0 nor -1 (arith_k_side): no error case;
			 * C truncates toward zero, the language floors */
			r = a / b;
			if (a % b != 0 && (a < 0) != (b < 0))
				r--;
			over = false;
			break;
		}
		if (!over) {
			*out = expr_int(r);
			return 0;
		}
	}
	return right ? expr_arith(n->op, v, k, f, out) : expr_arith(n->op, k, v, f, out);
}

/* Out of line so that ev()'s own frame stays small: ev recurses as deep
 * as the tree, and only calls need room for arguments. */
static __attribute__((noinline)) int call_builtin(const enode *n, expr_frame *f, expr_value *out)
{
	expr_value args[EXPR_MAX_ARGS];
	for (int i = 0; i < n->nargs; i++)
		if (ev(n->args[i], f, &args[i]))
			return -1;
	return expr_builtin_call(n->sub, args, n->nargs, f, out);
}

/* An operand's value without a call when it is a name or a constant (most
 * are); NULL after a run-time error. */
static inline const expr_value *operand_value(const enode *n, expr_frame *f, expr_value *tmp)
{
	switch (n->op) {
	case OP_VAR:
		return &f->vars[n->slot];
	case OP_CONST:
		return &n->k;
	case OP_ITEM:
		if (f->item)
			return &f->item[n->slot];
		return ev(n, f, tmp) ? NULL : tmp;   /* ev reports it */
	default:
		return ev(n, f, tmp) ? NULL : tmp;
	}
}

static int ev(const enode *n, expr_frame *f, expr_value *out)
{
	int r;
	switch ((expr_op)n->op) {
	case OP_CONST:
		*out = n->k;
		return 0;
	case OP_VAR:
		*out = f->vars[n->slot];
		return 0;
	case OP_ITEM:
		if (!f->item)
			return no_item(f);
		*out = f->item[n->slot];
		return 0;
	case OP_NEG: {
		expr_value a;
		if (ev(n->a, f, &a))
			return -1;
		return expr_negate(&a, f, out);
	}
	case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_IDIV: case OP_MOD: {
		if (n->sub)
			return expr_arith_k(n, f, out);
		expr_value ta, tb;
		const expr_value *a, *b;
		if (!(a = operand_value(n->a, f, &ta)) || !(b = operand_value(n->b, f, &tb)))
			return -1;
		if (a->t == EV_INT && b->t == EV_INT) {
			/* the common cases inline; the rest in expr_arith */
			int64_t x;
			bool over = true;
			switch (n->op) {
			case OP_ADD: over = __builtin_add_overflow(a->u.i, b->u.i, &x); break;
			case OP_SUB: over = __builtin_sub_overflow(a->u.i, b->u.i, &x); break;
			case OP_MUL: over = __builtin_mul_overflow(a->u.i, b->u.i, &x); break;
			}
			if (!over) {
				*out = expr_int(x);
				return 0;
			}
		}
		return expr_arith(n->op, a, b, f, out);
	}
	case OP_NOT: case OP_AND: case OP_OR: case OP_CMPK: case OP_INK:
	case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE: case OP_IN:
		r = cond(n, f);
		if (r < 0)
			return -1;
		*out = expr_bool(r);
		return 0;
	case OP_BUILTIN:
		return call_builtin(n, f, out);
	case OP_HOST:
		return expr_call_host(n, f, out);
	case OP_NAME: case OP_LIST: case OP_CALL:
		break;
	}
	return expr_frame_error(f, "internal error: node %d", n->op);
}

int expr_cond_node(const enode *n, expr_frame *f)
{
	return cond(n, f);
}

int expr_eval_node(const enode *n, expr_frame *f, expr_value *out)
{
	return ev(n, f, out);
}

int expr_eval(const expr *e, expr_frame *f, expr_value *out)
{
	if (ev(e->root, f, out))
		return -1;
	if (!((1u << out->t) & e->want)) {
		/* worded as at load: null is rarely the point */
		char b[64];
		expr_type w = e->want & ET_ANY;
		if (w != ET_NULL)
			w &= ~ET_NULL;
		return expr_frame_error(f, "expected %s, got %s", expr_type_text(w, b, sizeof b),
			expr_vtype_name(out->t));
	}
	return 0;
}
