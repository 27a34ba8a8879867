/* lang/expr_value.c — the run-time meaning of operators on values:
 * arithmetic with int64 overflow checks, the float rules, comparisons with
 * the null rules, equality. Shared by constant folding (expr_check.c) and
 * evaluation (expr_eval.c) so that both compute exactly the same thing.
 * No allocation: errors go to the frame. */
#include "lang/expr_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *expr_vtype_name(expr_vtype t)
{
	switch (t) {
	case EV_NULL: return "null";
	case EV_BOOL: return "boolean";
	case EV_INT: return "int";
	case EV_FLOAT: return "float";
	case EV_STR: return "string";
	case EV_LIST: return "list";
	}
	return "value";
}

const char *expr_type_text(expr_type t, char *buf, size_t n)
{
	static const struct { expr_type t; const char *s; } parts[] = {
		{ ET_NUM, "number" }, { ET_INT, "int" }, { ET_FLOAT, "float" },
		{ ET_STR, "string" }, { ET_BOOL, "boolean" }, { ET_LIST, "list" },
		{ ET_NULL, "null" },
	};
	size_t used = 0;
	buf[0] = '\0';
	t &= ET_ANY;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		if ((t & parts[i].t) != parts[i].t)
			continue;
		t &= ~parts[i].t;
		int w = snprintf(buf + used, n - used, "%s%s", used ? " or " : "", parts[i].s);
		if (w < 0 || (size_t)w >= n - used)
			break;
		used += (size_t)w;
	}
	if (!used)
		snprintf(buf, n, "nothing");
	return buf;
}

const char *expr_op_text(int op)
{
	switch (op) {
	case OP_NEG: return "'-'";
	case OP_NOT: return "'not'";
	case OP_AND: return "'and'";
	case OP_OR: return "'or'";
	case OP_ADD: return "'+'";
	case OP_SUB: return "'-'";
	case OP_MUL: return "'*'";
	case OP_DIV: return "'/'";
	case OP_IDIV: return "'//'";
	case OP_MOD: return "'%'";
	case OP_EQ: return "'=='";
	case OP_NE: return "'!='";
	case OP_LT: return "'<'";
	case OP_LE: return "'<='";
	case OP_GT: return "'>'";
	case OP_GE: return "'>='";
	case OP_IN: return "'in'";
	}
	return "operator";
}

/* 2^63 as a double: the first value that does not fit in int64. */
#define TWO63 9223372036854775808.0

int expr_numcmp(const expr_value *a, const expr_value *b)
{
	if (a->t == EV_INT && b->t == EV_INT)
		return (a->u.i > b->u.i) - (a->u.i < b->u.i);
	if (a->t == EV_FLOAT && b->t == EV_FLOAT)
		return (a->u.f > b->u.f) - (a->u.f < b->u.f);
	/* int against float, exactly: converting the int to double would make
	 * 2^53 + 1 equal to 2^53 */
	bool swap = a->t == EV_FLOAT;
	int64_t i = swap ? b->u.i : a->u.i;
	double f = swap ? a->u.f : b->u.f;
	int r;
	/* no NaN is ever computed here, but a host could hand one in: rank it
	 * above every int rather than convert it (undefined in C) */
	if (f >= TWO63 || f != f)
		r = -1;
	else if (f < -TWO63)
		r = 1;
	else {
		double t = trunc(f);
		int64_t ti = (int64_t)t;
		if (i != ti)
			r = i < ti ? -1 : 1;
		else
			r = f > t ? -1 : f < t ? 1 : 0;
	}
	return swap ? -r : r;
}

static bool is_num(const expr_value *v) { return v->t == EV_INT || v->t == EV_FLOAT; }

bool expr_value_equal(const expr_value *a, const expr_value *b)
{
	if (is_num(a) && is_num(b))
		return expr_numcmp(a, b) == 0;
	if (a->t != b->t)
		return false;
	switch (a->t) {
	case EV_NULL: return true;
	case EV_BOOL: return a->u.b == b->u.b;
	case EV_STR:
		return a->u.s.n == b->u.s.n && (a->u.s.n == 0 || memcmp(a->u.s.p, b->u.s.p, a->u.s.n) == 0);
	case EV_LIST:
		if (a->u.l.n != b->u.l.n)
			return false;
		for (uint32_t k = 0; k < a->u.l.n; k++)
			if (!expr_value_equal(&a->u.l.v[k], &b->u.l.v[k]))
				return false;
		return true;
	default:
		return false;
	}
}

static int float_result(double r, int op, expr_frame *f, expr_value *out)
{
	if (!isfinite(r))
		return expr_frame_error(f, "float overflow in %s", expr_op_text(op));
	*out = expr_float(r);
	return 0;
}

int expr_negate(const expr_value *a, expr_frame *f, expr_value *out)
{
	if (a->t == EV_INT) {
		if (a->u.i == INT64_MIN)
			return expr_frame_error(f, "integer overflow in '-'");
		*out = expr_int(-a->u.i);
		return 0;
	}
	if (a->t == EV_FLOAT) {
		*out = expr_float(-a->u.f);
		return 0;
	}
	return expr_frame_error(f, "'-' needs a number, got %s", expr_vtype_name(a->t));
}

int expr_arith(int op, const expr_value *a, const expr_value *b, expr_frame *f, expr_value *out)
{
	if (!is_num(a) || !is_num(b)) {
		const expr_value *bad = is_num(a) ? b : a;
		return expr_frame_error(f, "%s needs numbers, got %s", expr_op_text(op),
			expr_vtype_name(bad->t));
	}
	if (a->t == EV_INT && b->t == EV_INT && op != OP_DIV) {
		int64_t x = a->u.i, y = b->u.i, r;
		switch (op) {
		case OP_ADD:
			if (__builtin_add_overflow(x, y, &r))
				goto overflow;
			break;
		case OP_SUB:
			if (__builtin_sub_overflow(x, y, &r))
				goto overflow;
			break;
		case OP_MUL:
			if (__builtin_mul_overflow(x, y, &r))
				goto overflow;
			break;
		case OP_IDIV:
			if (y == 0)
				return expr_frame_error(f, "division by zero in '//'");
			if (x == INT64_MIN && y == -1)
				goto overflow;
			r = x / y;
			/* C truncates toward zero; the language floors */
			if (x % y != 0 && ((x < 0) != (y < 0)))
				r--;
			break;
		case OP_MOD:
			if (y == 0)
				return expr_frame_error(f, "division by zero in '%%'");
			if (y == -1) {
				/* INT64_MIN % -1 traps on x86 */
				r = 0;
				break;
			}
			r = x % y;
			/* the result takes the divisor's sign */
			if (r != 0 && ((r < 0) != (y < 0)))
				r += y;
			break;
		default:
			return expr_frame_error(f, "bad operator");
		}
		*out = expr_int(r);
		return 0;
	}
	double x = a->t == EV_INT ? (double)a->u.i : a->u.f;
	double y = b->t == EV_INT ? (double)b->u.i : b->u.f;
	switch (op) {
	case OP_ADD: return float_result(x + y, op, f, out);
	case OP_SUB: return float_result(x - y, op, f, out);
	case OP_MUL: return float_result(x * y, op, f, out);
	case OP_DIV:
		if (y == 0)
			return expr_frame_error(f, "division by zero in '/'");
		return float_result(x / y, op, f, out);
	case OP_IDIV: case OP_MOD: {
		if (y == 0)
			return expr_frame_error(f, "division by zero in %s", expr_op_text(op));
		/* as Python does it, so that x == (x // y) * y + x % y as nearly
		 * as floats allow: 1 // 0.1 is 9.0 (0.1 is a little more than a
		 * tenth), not floor(1 / 0.1) = 10.0 */
		double mod = fmod(x, y);
		double div = (x - mod) / y;
		if (mod != 0) {
			if ((y < 0) != (mod < 0)) {
				mod += y;
				div -= 1.0;
			}
		} else {
			mod = copysign(0.0, y);
		}
		if (op == OP_MOD)
			return float_result(mod, op, f, out);
		double fl;
		if (div != 0) {
			fl = floor(div);
			if (div - fl > 0.5)
				fl += 1.0;
		} else {
			fl = copysign(0.0, x / y);
		}
		return float_result(fl, op, f, out);
	}
	}
	return expr_frame_error(f, "bad operator");
overflow:
	return expr_frame_error(f, "integer overflow in %s", expr_op_text(op));
}

int expr_compare(int op, const expr_value *a, const expr_value *b, expr_frame *f)
{
	switch (op) {
	case OP_EQ: return expr_value_equal(a, b);
	case OP_NE: return !expr_value_equal(a, b);
	case OP_IN:
		if (a->t == EV_NULL || b->t == EV_NULL)
			return 0;
		if (b->t != EV_LIST)
			return expr_frame_error(f, "'in' needs a list on its right, got %s", expr_vtype_name(b->t));
		for (uint32_t k = 0; k < b->u.l.n; k++)
			if (expr_value_equal(a, &b->u.l.v[k]))
				return 1;
		return 0;
	default:
		break;
	}
	/* ordering: any comparison with null is false */
	if (a->t == EV_NULL || b->t == EV_NULL)
		return 0;
	int c;
	if (is_num(a) && is_num(b)) {
		c = expr_numcmp(a, b);
	} else if (a->t == EV_STR && b->t == EV_STR) {
		/* bytewise, which is code point order for UTF-8 */
		uint32_t m = a->u.s.n < b->u.s.n ? a->u.s.n : b->u.s.n;
		c = m ? memcmp(a->u.s.p, b->u.s.p, m) : 0;
		if (c == 0)
			c = (a->u.s.n > b->u.s.n) - (a->u.s.n < b->u.s.n);
	} else {
		return expr_frame_error(f, "cannot compare %s with %s using %s",
			expr_vtype_name(a->t), expr_vtype_name(b->t), expr_op_text(op));
	}
	switch (op) {
	case OP_LT: return c < 0;
	case OP_LE: return c <= 0;
	case OP_GT: return c > 0;
	case OP_GE: return c >= 0;
	}
	return expr_frame_error(f, "bad operator");
}
