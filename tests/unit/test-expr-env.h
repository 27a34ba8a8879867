/* tests/unit/test-expr-env.h — a small fake host for the expression tests:
 * a handful of request names, an `attr.` namespace, three basket items and
 * host functions coupon/any_item/count_qty/sum_net that loop over them the
 * way rules/ will. Also a value printer, so that tests compare text.
 * Header-only: each test is one program. */
#ifndef TESTS_TEST_EXPR_ENV_H
#define TESTS_TEST_EXPR_ENV_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/expr.h"

/* ORDER: slots of the top scope; values in tx_vars below */
enum {
	V_TIER, V_HOUR, V_NET, V_WEEKDAY, V_CHANNEL, V_DAYS, V_PRICE_F, V_TAGS,
	V_ANYV, V_BIG, V_SMALL, V_FLAG, V_NOTHING, V_BIRTH, V_CITY, V_NAME_U,
	V_COUNT_
};
/* item scope slots */
enum { I_SKU, I_CATEGORY, I_QTY, I_PRICE, I_NET, I_TAGS, I_COUNT_ };

enum { FN_COUPON = 1, FN_ANY_ITEM, FN_COUNT_QTY, FN_SUM_NET, FN_ECHO };
#define NEED_BASKET 1u
#define NEED_COUPON 2u
#define NEED_ATTR   4u

static const expr_value tx_tags[] = {
	{ .t = EV_STR, .u.s = { "vip", 3 } }, { .t = EV_STR, .u.s = { "staff", 5 } },
};
static const expr_value tx_tags_tea[] = { { .t = EV_STR, .u.s = { "decaf", 5 } } };

static expr_value tx_vars[V_COUNT_];
static expr_value tx_items[3][I_COUNT_];

static void tx_set_values(void)
{
	tx_vars[V_TIER] = expr_str("gold", 4);
	tx_vars[V_HOUR] = expr_int(9);
	tx_vars[V_NET] = expr_int(12345);
	tx_vars[V_WEEKDAY] = expr_str("tue", 3);
	tx_vars[V_CHANNEL] = expr_str("store", 5);
	tx_vars[V_DAYS] = expr_null();
	tx_vars[V_PRICE_F] = expr_float(2.5);
	tx_vars[V_TAGS] = (expr_value){ .t = EV_LIST, .u.l = { tx_tags, 2 } };
	tx_vars[V_ANYV] = expr_str("x", 1);
	tx_vars[V_BIG] = expr_int(INT64_MAX);
	tx_vars[V_SMALL] = expr_int(INT64_MIN);
	tx_vars[V_FLAG] = expr_bool(true);
	tx_vars[V_NOTHING] = expr_null();
	tx_vars[V_BIRTH] = expr_int(11);
	tx_vars[V_CITY] = expr_str("Pune", 4);
	tx_vars[V_NAME_U] = expr_str("Zoë Ärger", strlen("Zoë Ärger"));
	/* coffee x2 @350, pastry x1 @275, tea x3 @200 */
	static const char *sku[3] = { "LATTE", "CROISSANT", "CHAI" };
	static const char *cat[3] = { "coffee", "pastry", "tea" };
	static const int64_t qty[3] = { 2, 1, 3 }, price[3] = { 350, 275, 200 };
	for (int i = 0; i < 3; i++) {
		tx_items[i][I_SKU] = expr_str(sku[i], strlen(sku[i]));
		tx_items[i][I_CATEGORY] = expr_str(cat[i], strlen(cat[i]));
		tx_items[i][I_QTY] = expr_int(qty[i]);
		tx_items[i][I_PRICE] = expr_int(price[i]);
		tx_items[i][I_NET] = expr_int(qty[i] * price[i]);
		tx_items[i][I_TAGS] = i == 2 ? (expr_value){ .t = EV_LIST, .u.l = { tx_tags_tea, 1 } }
			: (expr_value){ .t = EV_LIST, .u.l = { NULL, 0 } };
	}
}

static int tx_attr(void *ud, const char *s, size_t n)
{
	(void)ud;
	if (n == 11 && memcmp(s, "birth_month", 11) == 0)
		return V_BIRTH;
	if (n == 4 && memcmp(s, "city", 4) == 0)
		return V_CITY;
	if (n == 4 && memcmp(s, "name", 4) == 0)
		return V_NAME_U;
	return -1;
}

static int tx_bind(void *ud, int fn_id, const char *s, size_t n, int64_t *bound, char *err, size_t errsz)
{
	(void)ud;
	(void)fn_id;
	if (n == 6 && memcmp(s, "SAVE10", 6) == 0) { *bound = 1; return 0; }
	if (n == 7 && memcmp(s, "BEANS20", 7) == 0) { *bound = 2; return 0; }
	snprintf(err, errsz, "unknown coupon '%.*s'", (int)n, s);
	return -1;
}

/* the request presented coupon 1 (SAVE10) only */
static int tx_host(expr_frame *f, int fn_id, int64_t bound, const expr_value *args, int nargs,
	const expr *const *preds, expr_value *out)
{
	(void)nargs;
	const expr_value *saved = f->item;
	int64_t acc = 0;
	bool any = false;
	switch (fn_id) {
	case FN_COUPON:
		*out = expr_bool(bound == 1);
		return 0;
	case FN_ECHO:
		*out = args[0];
		return 0;
	case FN_ANY_ITEM: case FN_COUNT_QTY: case FN_SUM_NET:
		for (int i = 0; i < 3; i++) {
			bool b;
			f->item = tx_items[i];
			int r = expr_eval_bool(preds[0], f, &b);
			f->item = saved;
			if (r)
				return r;
			if (!b)
				continue;
			any = true;
			acc += fn_id == FN_COUNT_QTY ? tx_items[i][I_QTY].u.i : tx_items[i][I_NET].u.i;
		}
		*out = fn_id == FN_ANY_ITEM ? expr_bool(any) : expr_int(acc);
		return 0;
	}
	return expr_frame_error(f, "no such function %d", fn_id);
}

static expr_env *tx_env(void)
{
	expr_env *env = expr_env_new();
	static const struct { const char *n; expr_type t; int slot; } names[] = {
		{ "tier", ET_STR | ET_NULL, V_TIER }, { "hour", ET_INT, V_HOUR },
		{ "net", ET_INT, V_NET }, { "weekday", ET_STR, V_WEEKDAY },
		{ "channel", ET_STR, V_CHANNEL }, { "days_since_last_purchase", ET_INT | ET_NULL, V_DAYS },
		{ "price_f", ET_FLOAT, V_PRICE_F }, { "tags", ET_LIST, V_TAGS },
		{ "anyv", ET_ANY, V_ANYV }, { "big", ET_INT, V_BIG }, { "small", ET_INT, V_SMALL },
		{ "flag", ET_BOOL, V_FLAG }, { "nothing", ET_INT | ET_NULL, V_NOTHING },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		expr_env_name(env, EXPR_SCOPE_TOP, names[i].n, names[i].t, names[i].slot);
	expr_env_name(env, EXPR_SCOPE_ITEM, "item.sku", ET_STR, I_SKU);
	expr_env_name(env, EXPR_SCOPE_ITEM, "item.category", ET_STR, I_CATEGORY);
	expr_env_name(env, EXPR_SCOPE_ITEM, "item.qty", ET_INT, I_QTY);
	expr_env_name(env, EXPR_SCOPE_ITEM, "item.price", ET_INT, I_PRICE);
	expr_env_name(env, EXPR_SCOPE_ITEM, "item.net", ET_INT, I_NET);
	expr_env_name(env, EXPR_SCOPE_ITEM, "item.tags", ET_LIST, I_TAGS);
	expr_env_namespace(env, EXPR_SCOPE_TOP, "attr", ET_ANY, tx_attr, NULL);
	expr_env_name_needs(env, "attr", NEED_ATTR);
	expr_env_name_needs(env, "item.net", NEED_BASKET);
	expr_func_decl d = { .name = "coupon", .fn_id = FN_COUPON, .nargs = 1,
		.arg_types = { ET_STR }, .ret = ET_BOOL, .bind = tx_bind, .needs = NEED_COUPON };
	expr_env_func(env, &d);
	d = (expr_func_decl){ .name = "any_item", .fn_id = FN_ANY_ITEM, .nargs = 1,
		.arg_types = { ET_PRED }, .ret = ET_BOOL, .pred_scope = EXPR_SCOPE_ITEM, .needs = NEED_BASKET };
	expr_env_func(env, &d);
	d.name = "count_qty";
	d.fn_id = FN_COUNT_QTY;
	d.ret = ET_INT;
	expr_env_func(env, &d);
	d.name = "sum_net";
	d.fn_id = FN_SUM_NET;
	expr_env_func(env, &d);
	d = (expr_func_decl){ .name = "echo", .fn_id = FN_ECHO, .nargs = 1,
		.arg_types = { ET_INT | ET_STR }, .ret = ET_INT | ET_STR };
	expr_env_func(env, &d);
	expr_env_set_host(env, tx_host);
	tx_set_values();
	return env;
}

/* Shortest text that reads back as the same double, with ".0" if it
 * would look like an int. */
static void tx_fmt_float(double d, char *b, size_t n)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(b, n, "%.*g", prec, d);
		if (strtod(b, NULL) == d)
			break;
	}
	if (strchr(b, 'e') && d == (double)(int64_t)d && d < 1e16 && d > -1e16)
		snprintf(b, n, "%.1f", d);
	if (!strpbrk(b, ".eni"))
		strncat(b, ".0", n - strlen(b) - 1);
}

static void tx_fmt(const expr_value *v, char *b, size_t n)
{
	size_t used;
	switch (v->t) {
	case EV_NULL: snprintf(b, n, "null"); return;
	case EV_BOOL: snprintf(b, n, "%s", v->u.b ? "true" : "false"); return;
	case EV_INT: snprintf(b, n, "%" PRId64, v->u.i); return;
	case EV_FLOAT: tx_fmt_float(v->u.f, b, n); return;
	case EV_STR: snprintf(b, n, "\"%.*s\"", (int)v->u.s.n, v->u.s.p); return;
	case EV_LIST:
		snprintf(b, n, "[");
		for (uint32_t i = 0; i < v->u.l.n; i++) {
			used = strlen(b);
			if (i && used + 1 < n) {
				b[used++] = ',';
				b[used] = '\0';
			}
			tx_fmt(&v->u.l.v[i], b + used, n - used);
		}
		used = strlen(b);
		snprintf(b + used, n - used, "]");
		return;
	}
}

/* Compile at line 1 column 1 and evaluate: "VALUE", "error: MSG" for a
 * run-time error, "L:C: MSG" for a load error. */
static char tx_scratch[256];
static const char *tx_run(const expr_env *env, const char *src, expr_type want)
{
	static char out[1024];
	expr_error err;
	expr_pos pos = { 1, 1, 1 };
	expr *e = expr_compile(env, EXPR_SCOPE_TOP, src, strlen(src), pos, want, &err);
	if (!e) {
		snprintf(out, sizeof out, "%d:%d: %s", err.line, err.col, err.msg);
		return out;
	}
	expr_frame f = { .vars = tx_vars, .scratch = tx_scratch, .scratch_cap = sizeof tx_scratch };
	expr_value v;
	int rv = expr_eval(e, &f, &v);
	if (rv)
		snprintf(out, sizeof out, "error: %s", f.err);
	else
		tx_fmt(&v, out, sizeof out);
	/* conditions run a second way (jump code, expr_eval_bool): it must
	 * agree with the value walk, errors included */
	if (want & ET_BOOL) {
		expr_frame g = { .vars = tx_vars, .scratch = tx_scratch, .scratch_cap = sizeof tx_scratch };
		bool b = false;
		int rb = expr_eval_bool(e, &g, &b);
		bool agree;
		if (rv)
			agree = rb != 0 && strcmp(f.err, g.err) == 0;
		else if (v.t == EV_BOOL || v.t == EV_NULL)
			agree = rb == 0 && b == (v.t == EV_BOOL && v.u.b);
		else
			agree = rb != 0;
		if (!agree) {
			char w[1024];
			memcpy(w, out, sizeof w);
			snprintf(out, sizeof out, "MISMATCH: eval %.300s, eval_bool %s %.300s", w,
				rb ? "error" : b ? "true" : "false", rb ? g.err : "");
		}
	}
	expr_free(e);
	return out;
}

#endif
