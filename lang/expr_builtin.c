/* lang/expr_builtin.c — the built-in functions: their names and arities,
 * their static types (for load-time checks) and their run-time meaning.
 * Strings they build (lower, upper) go to the frame's scratch buffer; when
 * it is full that is a run-time error, never an allocation. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include "lang/expr_internal.h"

#include <math.h>
#include <string.h>

/* ORDER: indexed by expr_builtin_id */
const expr_builtin expr_builtins[BI_COUNT_] = {
	[BI_FLOOR] = { "floor", 1, 1 },
	[BI_CEIL] = { "ceil", 1, 1 },
	[BI_ROUND] = { "round", 1, 1 },
	[BI_ABS] = { "abs", 1, 1 },
	[BI_MIN] = { "min", 2, EXPR_MAX_ARGS },
	[BI_MAX] = { "max", 2, EXPR_MAX_ARGS },
	[BI_LEN] = { "len", 1, 1 },
	[BI_LOWER] = { "lower", 1, 1 },
	[BI_UPPER] = { "upper", 1, 1 },
	[BI_CONTAINS] = { "contains", 2, 2 },
	[BI_STARTS_WITH] = { "starts_with", 2, 2 },
};

int expr_builtin_find(const char *s, size_t n)
{
	for (int i = 0; i < BI_COUNT_; i++)
		if (strlen(expr_builtins[i].name) == n && memcmp(expr_builtins[i].name, s, n) == 0)
			return i;
	return -1;
}

expr_type expr_builtin_type(int id, const expr_type *argt, int n, int *bad, const char **need)
{
	expr_type r = 0;
	switch (id) {
	case BI_FLOOR: case BI_CEIL: case BI_ROUND:
		if (!(argt[0] & ET_NUM))
			goto not_num0;
		return ET_INT;
	case BI_ABS:
		if (!(argt[0] & ET_NUM))
			goto not_num0;
		return argt[0] & ET_NUM;
	case BI_MIN: case BI_MAX:
		for (int i = 0; i < n; i++) {
			if (!(argt[i] & ET_NUM)) {
				*bad = i;
				*need = "a number";
				return 0;
			}
			r |= argt[i] & ET_NUM;
		}
		return r;
	case BI_LEN:
		if (!(argt[0] & (ET_STR | ET_LIST))) {
			*bad = 0;
			*need = "a string or a list";
			return 0;
		}
		return ET_INT;
	case BI_LOWER: case BI_UPPER:
		if (!(argt[0] & ET_STR)) {
			*bad = 0;
			*need = "a string";
			return 0;
		}
		return ET_STR;
	case BI_CONTAINS:
		if (!(argt[0] & (ET_STR | ET_LIST))) {
			*bad = 0;
			*need = "a string or a list";
			return 0;
		}
		/* only a list may hold a non-string */
		if (!(argt[0] & ET_LIST) && !(argt[1] & ET_STR)) {
			*bad = 1;
			*need = "a string";
			return 0;
		}
		return ET_BOOL;
	case BI_STARTS_WITH:
		for (int i = 0; i < 2; i++) {
			if (!(argt[i] & ET_STR)) {
				*bad = i;
				*need = "a string";
				return 0;
			}
		}
		return ET_BOOL;
	}
	*bad = 0;
	*need = "nothing";
	return 0;
not_num0:
	*bad = 0;
	*need = "a number";
	return 0;
}

static int need_error(int id, int arg, const char *need, const expr_value *v, expr_frame *f)
{
	return expr_frame_error(f, "function '%s' argument %d must be %s, got %s",
		expr_builtins[id].name, arg + 1, need, expr_vtype_name(v->t));
}

/* A float to int64, or an error: floor(1e300) does not fit. */
static int to_int(int id, double x, expr_frame *f, expr_value *out)
{
	if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0))
		return expr_frame_error(f, "integer overflow in '%s'", expr_builtins[id].name);
	*out = expr_int((int64_t)x);
	return 0;
}

static uint32_t utf8_count(const char *p, uint32_t n)
{
	uint32_t c = 0;
	for (uint32_t i = 0; i < n; i++)
		c += ((unsigned char)p[i] & 0xC0) != 0x80;
	return c;
}

static int change_case(int id, const expr_value *s, expr_frame *f, expr_value *out)
{
	uint32_t n = s->u.s.n;
	if (!f->scratch || f->scratch_cap - f->scratch_used < n)
		return expr_frame_error(f, "out of string space in '%s'", expr_builtins[id].name);
	char *o = f->scratch + f->scratch_used;
	f->scratch_used += n;
	for (uint32_t i = 0; i < n; i++) {
		char c = s->u.s.p[i];
		if (id == BI_LOWER && c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (id == BI_UPPER && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		o[i] = c;
	}
	*out = expr_str(o, n);
	return 0;
}

int expr_builtin_call(int id, const expr_value *a, int n, expr_frame *f, expr_value *out)
{
	switch (id) {
	case BI_FLOOR: case BI_CEIL: case BI_ROUND:
		if (a[0].t == EV_INT) {
			*out = a[0];
			return 0;
		}
		if (a[0].t != EV_FLOAT)
			return need_error(id, 0, "a number", &a[0], f);
		/* C round() is half away from zero, as the language wants */
		return to_int(id, id == BI_FLOOR ? floor(a[0].u.f) : id == BI_CEIL ? ceil(a[0].u.f)
			: round(a[0].u.f), f, out);
	case BI_ABS:
		if (a[0].t == EV_INT) {
			if (a[0].u.i == INT64_MIN)
				return expr_frame_error(f, "integer overflow in 'abs'");
			*out = expr_int(a[0].u.i < 0 ? -a[0].u.i : a[0].u.i);
			return 0;
		}
		if (a[0].t != EV_FLOAT)
			return need_error(id, 0, "a number", &a[0], f);
		*out = expr_float(fabs(a[0].u.f));
		return 0;
	case BI_MIN: case BI_MAX: {
		const expr_value *best = NULL;
		for (int i = 0; i < n; i++) {
			if (a[i].t != EV_INT && a[i].t != EV_FLOAT)
				return need_error(id, i, "a number", &a[i], f);
			/* ties keep the earlier argument, so min(1, 1.0) is 1 */
			if (!best || (id == BI_MIN ? expr_numcmp(&a[i], best) < 0 : expr_numcmp(&a[i], best) > 0))
				best = &a[i];
		}
		*out = *best;
		return 0;
	}
	case BI_LEN:
		if (a[0].t == EV_STR)
			*out = expr_int(utf8_count(a[0].u.s.p, a[0].u.s.n));
		else if (a[0].t == EV_LIST)
			*out = expr_int(a[0].u.l.n);
		else
			return need_error(id, 0, "a string or a list", &a[0], f);
		return 0;
	case BI_LOWER: case BI_UPPER:
		if (a[0].t != EV_STR)
			return need_error(id, 0, "a string", &a[0], f);
		return change_case(id, &a[0], f, out);
	case BI_CONTAINS:
		/* a test, like a comparison: with null it is false */
		if (a[0].t == EV_NULL || a[1].t == EV_NULL) {
			*out = expr_bool(false);
			return 0;
		}
		if (a[0].t == EV_LIST) {
			bool found = false;
			for (uint32_t k = 0; k < a[0].u.l.n && !found; k++)
				found = expr_value_equal(&a[0].u.l.v[k], &a[1]);
			*out = expr_bool(found);
			return 0;
		}
		if (a[0].t != EV_STR)
			return need_error(id, 0, "a string or a list", &a[0], f);
		if (a[1].t != EV_STR)
			return need_error(id, 1, "a string", &a[1], f);
		if (a[1].u.s.n == 0) {
			*out = expr_bool(true);
			return 0;
		}
		*out = expr_bool(a[1].u.s.n <= a[0].u.s.n
			&& memmem(a[0].u.s.p, a[0].u.s.n, a[1].u.s.p, a[1].u.s.n) != NULL);
		return 0;
	case BI_STARTS_WITH:
		if (a[0].t == EV_NULL || a[1].t == EV_NULL) {
			*out = expr_bool(false);
			return 0;
		}
		for (int i = 0; i < 2; i++)
			if (a[i].t != EV_STR)
				return need_error(id, i, "a string", &a[i], f);
		*out = expr_bool(a[1].u.s.n <= a[0].u.s.n
			&& (a[1].u.s.n == 0 || memcmp(a[0].u.s.p, a[1].u.s.p, a[1].u.s.n) == 0));
		return 0;
	}
	return expr_frame_error(f, "unknown built-in");
}
