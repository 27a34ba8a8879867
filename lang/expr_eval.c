/* lang/expr_eval.c — evaluation of a compiled expression: walks the
 * checked tree. Two walkers: ev() produces a value, cond() produces a
 * truth value directly for the boolean nodes, so that a condition like
 * `tier == "gold" and hour >= 7` never builds an expr_value. Nothing here
 * allocates; strings built at run time go to the frame's scratch buffer.
 * Recursion is bounded by the tree height checked at load. */
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

static inline const expr_value *slot_value(const enode *n, int scope, const expr_frame *f)
{
	return scope ? &f->item[n->slot] : &f->vars[n->slot];
}

/* null and false are false; anything else but a boolean is an error (the
 * load-time check lets through only names declared as several types) */
static inline int truth(const expr_value *v, int op, expr_frame *f)
{
	if (v->t == EV_BOOL)
		return v->u.b;
	if (v->t == EV_NULL)
		return 0;
	return expr_frame_error(f, "%s needs a boolean, got %s", op ? expr_op_text(op) : "condition",
		expr_vtype_name(v->t));
}

static int ev(const enode *n, expr_frame *f, expr_value *out);

static int cmpk(const enode *n, expr_frame *f)
{
	if (n->scope && !f->item)
		return expr_frame_error(f, "no item here");
	const expr_value *v = slot_value(n, n->scope, f);
	const expr_value *k = &n->k;
	if (v->t == k->t) {
		if (v->t == EV_INT) {
			int64_t x = v->u.i, y = k->u.i;
			switch (n->sub) {
			case OP_EQ: return x == y;
			case OP_NE: return x != y;
			case OP_LT: return x < y;
			case OP_LE: return x <= y;
			case OP_GT: return x > y;
			case OP_GE: return x >= y;
			}
		} else if (v->t == EV_STR && (n->sub == OP_EQ || n->sub == OP_NE)) {
			bool eq = v->u.s.n == k->u.s.n && (k->u.s.n == 0 || memcmp(v->u.s.p, k->u.s.p, k->u.s.n) == 0);
			return n->sub == OP_EQ ? eq : !eq;
		}
	}
	return expr_compare(n->sub, v, k, f);
}

/* `ctx` is the operator asking, for the error message */
static int cond(const enode *n, expr_frame *f, int ctx)
{
	int r;
	switch (n->op) {
	case OP_CMPK:
		return cmpk(n, f);
	case OP_AND:
		r = cond(n->a, f, OP_AND);
		if (r <= 0)
			return r;
		return cond(n->b, f, OP_AND);
	case OP_OR:
		r = cond(n->a, f, OP_OR);
		if (r != 0)
			return r;
		return cond(n->b, f, OP_OR);
	case OP_NOT:
		r = cond(n->a, f, OP_NOT);
		return r < 0 ? r : !r;
	case OP_INK: {
		if (n->scope && !f->item)
			return expr_frame_error(f, "no item here");
		const expr_value *v = slot_value(n, n->scope, f);
		if (v->t == EV_NULL)
			return 0;
		const expr_value *l = n->k.u.l.v;
		uint32_t cnt = n->k.u.l.n;
		if (v->t == EV_STR) {
			for (uint32_t k = 0; k < cnt; k++)
				if (l[k].t == EV_STR && l[k].u.s.n == v->u.s.n
				    && (v->u.s.n == 0 || memcmp(l[k].u.s.p, v->u.s.p, v->u.s.n) == 0))
					return 1;
			return 0;
		}
		for (uint32_t k = 0; k < cnt; k++)
			if (expr_value_equal(v, &l[k]))
				return 1;
		return 0;
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
		return truth(&v, ctx, f);
	}
	}
}

static int call_host(const enode *n, expr_frame *f, expr_value *out)
{
	expr_host_fn host = n->call->host;
	const expr_hostcall *hc = n->call;
	expr_value args[4];
	for (int i = 0; i < hc->nargs; i++) {
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
	if (!host)
		return expr_frame_error(f, "function '%s' has no host", hc->name);
	f->err[0] = '\0';
	if (host(f, hc->fn_id, hc->bound, args, hc->nargs, hc->preds, out) != 0) {
		if (!f->err[0])
			expr_frame_error(f, "function '%s' failed", hc->name);
		return -1;
	}
	return 0;
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
			return expr_frame_error(f, "no item here");
		*out = f->item[n->slot];
		return 0;
	case OP_NEG: {
		expr_value a;
		if (ev(n->a, f, &a))
			return -1;
		return expr_negate(&a, f, out);
	}
	case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_IDIV: case OP_MOD: {
		expr_value a, b;
		if (ev(n->a, f, &a) || ev(n->b, f, &b))
			return -1;
		if (a.t == EV_INT && b.t == EV_INT) {
			/* the common cases inline; the rest in expr_arith */
			if (n->op == OP_ADD && !__builtin_add_overflow(a.u.i, b.u.i, &out->u.i)) {
				out->t = EV_INT;
				return 0;
			}
			if (n->op == OP_SUB && !__builtin_sub_overflow(a.u.i, b.u.i, &out->u.i)) {
				out->t = EV_INT;
				return 0;
			}
		}
		return expr_arith(n->op, &a, &b, f, out);
	}
	case OP_NOT: case OP_AND: case OP_OR: case OP_CMPK: case OP_INK:
	case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE: case OP_IN:
		r = cond(n, f, 0);
		if (r < 0)
			return -1;
		*out = expr_bool(r);
		return 0;
	case OP_BUILTIN: {
		expr_value args[EXPR_MAX_ARGS];
		for (int i = 0; i < n->nargs; i++)
			if (ev(n->args[i], f, &args[i]))
				return -1;
		return expr_builtin_call(n->sub, args, n->nargs, f, out);
	}
	case OP_HOST:
		return call_host(n, f, out);
	case OP_NAME: case OP_LIST: case OP_CALL:
		break;
	}
	return expr_frame_error(f, "internal error: node %d", n->op);
}

int expr_eval_node(const enode *n, expr_frame *f, expr_value *out)
{
	return ev(n, f, out);
}

int expr_eval(const expr *e, expr_frame *f, expr_value *out)
{
	int r = ev(e->root, f, out);
	if (r)
		return -1;
	if (!((1u << out->t) & e->want)) {
		char b[64];
		return expr_frame_error(f, "expected %s, got %s", expr_type_text(e->want, b, sizeof b),
			expr_vtype_name(out->t));
	}
	return 0;
}

int expr_eval_bool(const expr *e, expr_frame *f, bool *out)
{
	int r = cond(e->root, f, 0);
	if (r < 0)
		return -1;
	*out = r;
	return 0;
}
