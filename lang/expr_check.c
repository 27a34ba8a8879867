/* lang/expr_check.c — the load-time half of the language: resolves names
 * and functions against the environment, gives every node its static type
 * (a set of value types), refuses what can never fit, folds constant
 * subtrees and rewrites common shapes into specialised nodes (a name
 * compared with a constant) so that evaluation does less.
 *
 * Works in place on the tree expr_parse() built; recursion is bounded by
 * the tree height that the parser already bounded. Folding uses the very
 * code the evaluator runs (expr_eval_node), so a folded constant is what
 * evaluation would have produced; an expression whose folding fails at run
 * time (1 // 0) is left unfolded and fails at run time. */
#include "lang/expr_internal.h"

#include <stdio.h>
#include <string.h>

/* Comparable classes: numbers compare with numbers, and so on. */
static unsigned cls(expr_type t)
{
	return ((t & ET_NUM) ? 1u : 0) | ((t & ET_STR) ? 2u : 0) | ((t & ET_BOOL) ? 4u : 0)
		| ((t & ET_LIST) ? 8u : 0);
}

static expr_type value_type(const expr_value *v) { return 1u << v->t; }

/* Whether a value of static type t can be of a type in `need`. A type that
 * may be null fits only through its other types: `days_since_last_purchase`
 * (int or null) is no boolean, though it may be null; a literal null fits
 * wherever null is accepted. */
static bool fits(expr_type t, expr_type need)
{
	if (t != ET_NULL)
		t &= ~ET_NULL;
	return (t & need) != 0;
}

static int type_error(expr_ctx *cx, const enode *at, const char *what, expr_type got)
{
	char b[64];
	return expr_errorf(cx, at->start, "%s, got %s", what, expr_type_text(got, b, sizeof b));
}

/* Replace n by the constant it evaluates to, when all its operands are
 * constants and evaluating it succeeds. */
static void fold(expr_ctx *cx, enode *n)
{
	size_t strbytes = 0;
	if (n->a && n->a->op != OP_CONST)
		return;
	if (n->b && n->b->op != OP_CONST)
		return;
	for (int i = 0; i < n->nargs; i++) {
		if (n->args[i]->op != OP_CONST)
			return;
		if (n->args[i]->k.t == EV_STR)
			strbytes += n->args[i]->k.u.s.n;
	}
	expr_frame f = { 0 };
	if (strbytes) {
		f.scratch = arena_alloc(cx->mem, strbytes);
		if (!f.scratch)
			return;
		f.scratch_cap = strbytes;
	}
	expr_value v;
	if (expr_eval_node(n, &f, &v) != 0)
		return;
	n->op = OP_CONST;
	n->k = v;
	n->type = value_type(&v);
	n->a = n->b = NULL;
	n->args = NULL;
	n->nargs = 0;
}

static enode *check(expr_ctx *cx, enode *n, int scope);

static int cmp_swap(int op)
{
	switch (op) {
	case OP_LT: return OP_GT;
	case OP_LE: return OP_GE;
	case OP_GT: return OP_LT;
	case OP_GE: return OP_LE;
	default: return op;   /* == and != are symmetric */
	}
}

static bool is_slot(const enode *n) { return n->op == OP_VAR || n->op == OP_ITEM; }

/* `x <op> constant` (either way round) and `name in [constants]` become
 * one node: the most common shapes of a condition. When x is a name the
 * node reads its slot directly (a = NULL). */
static void specialise(enode *n)
{
	if (n->op >= OP_EQ && n->op <= OP_GE) {
		enode *v = n->a, *k = n->b;
		int op = n->op;
		if (k->op != OP_CONST && v->op == OP_CONST) {
			enode *t = v; v = k; k = t;
			op = cmp_swap(op);
		}
		if (k->op != OP_CONST || v->op == OP_CONST)
			return;
		n->op = OP_CMPK;
		n->sub = (uint8_t)op;
		n->k = k->k;
		n->b = NULL;
		if (is_slot(v)) {
			n->scope = v->op == OP_ITEM;
			n->slot = v->slot;
			n->a = NULL;
		} else {
			n->a = v;
		}
	} else if (n->op == OP_IN && is_slot(n->a) && n->b->op == OP_CONST && n->b->k.t == EV_LIST) {
		n->op = OP_INK;
		n->scope = n->a->op == OP_ITEM;
		n->slot = n->a->slot;
		n->k = n->b->k;
		n->a = n->b = NULL;
	}
}

static enode *check_name(expr_ctx *cx, enode *n, int scope)
{
	const expr_env *env = cx->env;
	const expr_name_decl *d = expr_env_find_name(env, n->name, n->name_n);
	int nscope, slot;
	expr_type t;
	if (d) {
		nscope = d->scope;
		slot = d->slot;
		t = d->type;
		cx->uses |= d->needs;
	} else {
		const expr_ns_decl *ns = expr_env_find_ns(env, n->name, n->name_n);
		if (!ns) {
			if (expr_builtin_find(n->name, n->name_n) >= 0 || expr_env_find_func(env, n->name, n->name_n))
				expr_errorf(cx, n->pos, "'%.*s' is a function: call it with (...)", (int)n->name_n, n->name);
			else
				expr_errorf(cx, n->pos, "unknown name '%.*s'", (int)n->name_n, n->name);
			return NULL;
		}
		size_t pl = strlen(ns->prefix) + 1;
		slot = ns->resolve(ns->ud, n->name + pl, n->name_n - pl);
		if (slot < 0) {
			expr_errorf(cx, n->pos, "unknown name '%.*s'", (int)n->name_n, n->name);
			return NULL;
		}
		nscope = ns->scope;
		t = ns->type;
		cx->uses |= ns->needs;
	}
	if (nscope > scope) {
		expr_errorf(cx, n->pos, "name '%.*s' cannot be used here, only inside a predicate",
			(int)n->name_n, n->name);
		return NULL;
	}
	n->op = nscope == EXPR_SCOPE_ITEM ? OP_ITEM : OP_VAR;
	n->slot = slot;
	n->type = t;
	return n;
}

static const char *plural(int n) { return n == 1 ? "" : "s"; }

static enode *check_host(expr_ctx *cx, enode *n, int scope, const expr_func_decl *d)
{
	if (n->nargs != d->nargs) {
		expr_errorf(cx, n->pos, "function '%s' takes %d argument%s, got %d", d->name,
			d->nargs, plural(d->nargs), n->nargs);
		return NULL;
	}
	expr_hostcall *hc = arena_calloc(cx->mem, 1, sizeof *hc);
	if (!hc) {
		expr_errorf(cx, n->pos, "out of memory");
		return NULL;
	}
	/* a predicate runs once per item; one inside another would run
	 * items^depth times: refused, whatever the host */
	for (int i = 0; i < d->nargs; i++) {
		if (d->arg_types[i] == ET_PRED && cx->in_pred) {
			expr_errorf(cx, n->pos, "function '%s' cannot be used inside the predicate of '%s'",
				d->name, cx->in_pred);
			return NULL;
		}
	}
	hc->name = d->name;
	hc->fn_id = d->fn_id;
	hc->nargs = d->nargs;
	hc->host = cx->env->host;
	hc->agg = d->agg;
	hc->agg_slot = d->agg_slot;
	for (int i = 0; i < n->nargs; i++) {
		hc->arg_types[i] = d->arg_types[i];
		if (d->arg_types[i] == ET_PRED) {
			unsigned outer = cx->uses;
			cx->uses = 0;
			cx->in_pred = d->name;
			enode *a = check(cx, n->args[i], d->pred_scope);
			cx->in_pred = NULL;
			if (!a)
				return NULL;
			if (!fits(a->type, ET_BOOL | ET_NULL)) {
				char w[64];
				snprintf(w, sizeof w, "function '%s' argument %d must be a condition", d->name, i + 1);
				type_error(cx, a, w, a->type);
				return NULL;
			}
			expr *sub = arena_calloc(cx->mem, 1, sizeof *sub);
			if (!sub) {
				expr_errorf(cx, n->pos, "out of memory");
				return NULL;
			}
			sub->root = a;
			sub->type = a->type;
			sub->want = ET_BOOL | ET_NULL;
			sub->uses = cx->uses;
			sub->scope = d->pred_scope;
			sub->host = cx->env->host;
			sub->owner = false;
			cx->uses |= outer;
			hc->preds[i] = sub;
			n->args[i] = a;
			continue;
		}
		enode *a = check(cx, n->args[i], scope);
		if (!a)
			return NULL;
		n->args[i] = a;
		if (!fits(a->type, d->arg_types[i])) {
			char w[128], need[64];
			snprintf(w, sizeof w, "function '%s' argument %d must be %s", d->name, i + 1,
				expr_type_text(d->arg_types[i], need, sizeof need));
			type_error(cx, a, w, a->type);
			return NULL;
		}
	}
	if (d->bind) {
		const enode *a = n->args[0];
		if (a->op != OP_CONST || a->k.t != EV_STR) {
			expr_errorf(cx, a->start, "function '%s' argument 1 must be a string literal", d->name);
			return NULL;
		}
		char msg[200] = "";
		if (d->bind(d->bind_ud, d->fn_id, a->k.u.s.p, a->k.u.s.n, &hc->bound, msg, sizeof msg) != 0) {
			expr_errorf(cx, a->start, "%s", msg[0] ? msg : "bad argument");
			return NULL;
		}
	}
	/* constants evaluate to themselves and their type is checked above,
	 * so their values can be handed over as they are */
	hc->const_args = true;
	for (int i = 0; i < n->nargs; i++) {
		if (hc->preds[i])
			hc->kargs[i] = expr_null();
		else if (n->args[i]->op == OP_CONST && ((1u << n->args[i]->k.t) & hc->arg_types[i]))
			hc->kargs[i] = n->args[i]->k;
		else
			hc->const_args = false;
	}
	cx->uses |= d->needs;
	n->op = OP_HOST;
	n->call = hc;
	n->type = d->ret;
	return n;
}

static enode *check_call(expr_ctx *cx, enode *n, int scope)
{
	int id = expr_builtin_find(n->name, n->name_n);
	if (id < 0) {
		const expr_func_decl *d = expr_env_find_func(cx->env, n->name, n->name_n);
		if (!d) {
			expr_errorf(cx, n->pos, "unknown function '%.*s'", (int)n->name_n, n->name);
			return NULL;
		}
		return check_host(cx, n, scope, d);
	}
	const expr_builtin *b = &expr_builtins[id];
	if (n->nargs < b->min_args || n->nargs > b->max_args) {
		if (b->min_args == b->max_args)
			expr_errorf(cx, n->pos, "function '%s' takes %d argument%s, got %d", b->name,
				b->min_args, plural(b->min_args), n->nargs);
		else if (n->nargs < b->min_args)
			expr_errorf(cx, n->pos, "function '%s' takes at least %d arguments, got %d", b->name,
				b->min_args, n->nargs);
		else
			expr_errorf(cx, n->pos, "function '%s' takes at most %d arguments, got %d", b->name,
				b->max_args, n->nargs);
		return NULL;
	}
	expr_type argt[EXPR_MAX_ARGS];
	for (int i = 0; i < n->nargs; i++) {
		enode *a = check(cx, n->args[i], scope);
		if (!a)
			return NULL;
		n->args[i] = a;
		argt[i] = a->type;
	}
	int bad = 0;
	const char *need = "";
	expr_type t = expr_builtin_type(id, argt, n->nargs, &bad, &need);
	if (!t) {
		char w[128];
		snprintf(w, sizeof w, "function '%s' argument %d must be %s", b->name, bad + 1, need);
		type_error(cx, n->args[bad], w, n->args[bad]->type);
		return NULL;
	}
	n->op = OP_BUILTIN;
	n->sub = (uint8_t)id;
	n->type = t;
	fold(cx, n);
	return n;
}

static enode *check_list(expr_ctx *cx, enode *n, int scope)
{
	expr_value *v = n->nargs ? arena_alloc(cx->mem, n->nargs * sizeof *v) : NULL;
	if (n->nargs && !v) {
		expr_errorf(cx, n->pos, "out of memory");
		return NULL;
	}
	for (int i = 0; i < n->nargs; i++) {
		enode *a = check(cx, n->args[i], scope);
		if (!a)
			return NULL;
		if (a->op != OP_CONST) {
			expr_errorf(cx, a->start, "list elements must be constants");
			return NULL;
		}
		v[i] = a->k;
	}
	n->op = OP_CONST;
	n->k.t = EV_LIST;
	n->k.u.l.v = v;
	n->k.u.l.n = n->nargs;
	n->type = ET_LIST;
	n->args = NULL;
	n->nargs = 0;
	return n;
}

static int cmp_error(expr_ctx *cx, enode *n, expr_type a, expr_type b)
{
	char x[64], y[64];
	/* null compares with anything; leave it out of the message */
	if (a != ET_NULL)
		a &= ~ET_NULL;
	if (b != ET_NULL)
		b &= ~ET_NULL;
	return expr_errorf(cx, n->pos, "cannot compare %s with %s using %s",
		expr_type_text(a, x, sizeof x), expr_type_text(b, y, sizeof y), expr_op_text(n->op));
}

static enode *check(expr_ctx *cx, enode *n, int scope)
{
	switch (n->op) {
	case OP_CONST:
		return n;
	case OP_NAME:
		return check_name(cx, n, scope);
	case OP_CALL:
		return check_call(cx, n, scope);
	case OP_LIST:
		return check_list(cx, n, scope);
	default:
		break;
	}
	if (n->a && !(n->a = check(cx, n->a, scope)))
		return NULL;
	if (n->b && !(n->b = check(cx, n->b, scope)))
		return NULL;
	expr_type a = n->a->type, b = n->b ? n->b->type : 0;
	char what[64];
	switch (n->op) {
	case OP_NEG:
		if (!(a & ET_NUM)) {
			type_error(cx, n->a, "'-' needs a number", a);
			return NULL;
		}
		n->type = a & ET_NUM;
		break;
	case OP_NOT: case OP_AND: case OP_OR:
		snprintf(what, sizeof what, "%s needs a boolean", expr_op_text(n->op));
		if (!fits(a, ET_BOOL | ET_NULL)) {
			type_error(cx, n->a, what, a);
			return NULL;
		}
		if (n->b && !fits(b, ET_BOOL | ET_NULL)) {
			type_error(cx, n->b, what, b);
			return NULL;
		}
		n->type = ET_BOOL;
		break;
	case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_IDIV: case OP_MOD:
		snprintf(what, sizeof what, "%s needs numbers", expr_op_text(n->op));
		if (!(a & ET_NUM)) {
			type_error(cx, n->a, what, a);
			return NULL;
		}
		if (!(b & ET_NUM)) {
			type_error(cx, n->b, what, b);
			return NULL;
		}
		if (n->op == OP_DIV)
			n->type = ET_FLOAT;
		else
			n->type = ((a & b & ET_INT) ? ET_INT : 0) | (((a | b) & ET_FLOAT) ? ET_FLOAT : 0);
		break;
	case OP_EQ: case OP_NE:
		if (a != ET_NULL && b != ET_NULL && !(cls(a) & cls(b))) {
			cmp_error(cx, n, a, b);
			return NULL;
		}
		n->type = ET_BOOL;
		break;
	case OP_LT: case OP_LE: case OP_GT: case OP_GE:
		if (!((a & ET_NUM) && (b & ET_NUM)) && !((a & ET_STR) && (b & ET_STR))) {
			cmp_error(cx, n, a, b);
			return NULL;
		}
		n->type = ET_BOOL;
		break;
	case OP_IN:
		if (!(b & ET_LIST)) {
			type_error(cx, n->b, "'in' needs a list on its right", b);
			return NULL;
		}
		if (n->b->op == OP_CONST && n->b->k.t == EV_LIST && n->b->k.u.l.n && a != ET_NULL) {
			expr_type et = 0;
			for (uint32_t k = 0; k < n->b->k.u.l.n; k++)
				et |= value_type(&n->b->k.u.l.v[k]);
			if (!(et & ET_NULL) && !(cls(a) & cls(et))) {
				char x[64], y[64];
				if (a != ET_NULL)
					a &= ~ET_NULL;
				expr_errorf(cx, n->pos, "cannot compare %s with a list of %s using 'in'",
					expr_type_text(a, x, sizeof x), expr_type_text(et, y, sizeof y));
				return NULL;
			}
		}
		n->type = ET_BOOL;
		break;
	default:
		expr_errorf(cx, n->pos, "internal error: node %d", n->op);
		return NULL;
	}
	fold(cx, n);
	if (n->op != OP_CONST)
		specialise(n);
	return n;
}

enode *expr_check(expr_ctx *cx, enode *n, int scope)
{
	return check(cx, n, scope);
}
