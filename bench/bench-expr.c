/* bench/bench-expr.c — how fast compiled expressions run against the same
 * conditions written by hand in C, in the same run, on the same values
 * (expr_value arrays, as rules/ will hold them), and how long compiling
 * and checking 1,000 rule-sized expressions takes. Prints evaluations per
 * second for both and their ratio; never asserts (speed is not a test).
 *
 *   bench/bench-expr [iterations [native|host [case]]]
 *                         (default 500,000, best of 15 rounds; case: the
 *                         row number only, for callgrind)
 *
 * any_item and sum_net are native aggregates over the frame's rows
 * (EXPR_AGG_ANY, EXPR_AGG_SUM); with `host` they are host functions that
 * loop over the items calling expr_eval_bool per line instead, for
 * comparison.
 *
 * The hand-written versions do what the language must do too: check each
 * value's type before comparing (a null never equals a string). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lang/expr.h"

enum { V_TIER, V_HOUR, V_NET, V_WEEKDAY, V_CHANNEL, V_DAYS, V_PCOUNT, V_SPEND12, V_CITY, V_COUNT_ };
enum { I_SKU, I_CATEGORY, I_QTY, I_PRICE, I_NET, I_COUNT_ };
enum { FN_ANY_ITEM = 1, FN_SUM_NET };

#define NITEMS 8
static expr_value vars[V_COUNT_];
static expr_value items[NITEMS][I_COUNT_];

static int host(expr_frame *f, int fn_id, int64_t bound, const expr_value *args, int nargs,
	const expr *const *preds, expr_value *out)
{
	(void)bound;
	(void)args;
	(void)nargs;
	const expr_value *saved = f->item;
	bool any = false;
	int64_t sum = 0;
	for (int i = 0; i < NITEMS; i++) {
		bool b;
		f->item = items[i];
		if (expr_eval_bool(preds[0], f, &b)) {
			f->item = saved;
			return -1;
		}
		if (b) {
			any = true;
			if (fn_id == FN_ANY_ITEM)
				break;
			sum += items[i][I_NET].u.i;
		}
	}
	f->item = saved;
	*out = fn_id == FN_ANY_ITEM ? expr_bool(any) : expr_int(sum);
	return 0;
}

static int attr_ns(void *ud, const char *s, size_t n)
{
	(void)ud;
	return n == 4 && memcmp(s, "city", 4) == 0 ? V_CITY : -1;
}

static expr_env *make_env(bool native)
{
	expr_env *env = expr_env_new();
	expr_env_name(env, 0, "tier", ET_STR | ET_NULL, V_TIER);
	expr_env_name(env, 0, "hour", ET_INT, V_HOUR);
	expr_env_name(env, 0, "net", ET_INT, V_NET);
	expr_env_name(env, 0, "weekday", ET_STR, V_WEEKDAY);
	expr_env_name(env, 0, "channel", ET_STR, V_CHANNEL);
	expr_env_name(env, 0, "days_since_last_purchase", ET_INT | ET_NULL, V_DAYS);
	expr_env_name(env, 0, "purchase_count", ET_INT | ET_NULL, V_PCOUNT);
	expr_env_name(env, 0, "spend_12m", ET_INT | ET_NULL, V_SPEND12);
	expr_env_namespace(env, 0, "attr", ET_ANY, attr_ns, NULL);
	expr_env_name(env, 1, "item.sku", ET_STR, I_SKU);
	expr_env_name(env, 1, "item.category", ET_STR, I_CATEGORY);
	expr_env_name(env, 1, "item.qty", ET_INT, I_QTY);
	expr_env_name(env, 1, "item.price", ET_INT, I_PRICE);
	expr_env_name(env, 1, "item.net", ET_INT, I_NET);
	expr_func_decl d = { .name = "any_item", .fn_id = FN_ANY_ITEM, .nargs = 1,
		.arg_types = { ET_PRED }, .ret = ET_BOOL, .pred_scope = 1,
		.agg = native ? EXPR_AGG_ANY : 0 };
	expr_env_func(env, &d);
	d.name = "sum_net";
	d.fn_id = FN_SUM_NET;
	d.ret = ET_INT;
	d.agg = native ? EXPR_AGG_SUM : 0;
	d.agg_slot = I_NET;
	expr_env_func(env, &d);
	expr_env_set_host(env, host);
	return env;
}

static void set_values(void)
{
	vars[V_TIER] = expr_str("gold", 4);
	vars[V_HOUR] = expr_int(9);
	vars[V_NET] = expr_int(160000);
	vars[V_WEEKDAY] = expr_str("thu", 3);
	vars[V_CHANNEL] = expr_str("store", 5);
	vars[V_DAYS] = expr_null();
	vars[V_PCOUNT] = expr_int(4);
	vars[V_SPEND12] = expr_int(420000);
	vars[V_CITY] = expr_str("Pune", 4);
	static const char *cat[NITEMS] = { "tea", "beans", "merch", "tea", "beans", "coffee", "pastry", "coffee" };
	for (int i = 0; i < NITEMS; i++) {
		static char sku[NITEMS][8];
		snprintf(sku[i], sizeof sku[i], "SKU-%d", i);
		items[i][I_SKU] = expr_str(sku[i], strlen(sku[i]));
		items[i][I_CATEGORY] = expr_str(cat[i], strlen(cat[i]));
		items[i][I_QTY] = expr_int(1 + i % 3);
		items[i][I_PRICE] = expr_int(250 + 50 * i);
		items[i][I_NET] = expr_int((1 + i % 3) * (250 + 50 * i));
	}
}

/* ---- the same conditions by hand --------------------------------------- */

static inline bool str_eq(const expr_value *v, const char *s, uint32_t n)
{
	return v->t == EV_STR && v->u.s.n == n && memcmp(v->u.s.p, s, n) == 0;
}
#define STR_EQ(v, lit) str_eq((v), lit, sizeof lit - 1)

static bool c_morning_gold(const expr_value *v)
{
	return STR_EQ(&v[V_TIER], "gold") && v[V_HOUR].t == EV_INT && v[V_HOUR].u.i >= 7
		&& v[V_HOUR].u.i < 11 && STR_EQ(&v[V_CHANNEL], "store");
}

static bool c_weekday_store(const expr_value *v)
{
	static const char *days[] = { "mon", "tue", "wed", "thu", "fri" };
	bool in = false;
	for (int i = 0; i < 5 && !in; i++)
		in = str_eq(&v[V_WEEKDAY], days[i], 3);
	return in && STR_EQ(&v[V_CHANNEL], "store");
}

static bool c_any_cat(const char *cat, uint32_t n)
{
	for (int i = 0; i < NITEMS; i++)
		if (str_eq(&items[i][I_CATEGORY], cat, n))
			return true;
	return false;
}

static bool c_breakfast(const expr_value *v)
{
	return v[V_HOUR].u.i >= 7 && v[V_HOUR].u.i < 11 && c_any_cat("coffee", 6) && c_any_cat("pastry", 6);
}

static bool c_lapsed(const expr_value *v)
{
	return (v[V_DAYS].t == EV_INT && v[V_DAYS].u.i > 90)
		|| (v[V_PCOUNT].t == EV_INT && v[V_PCOUNT].u.i == 0 && v[V_NET].u.i >= 150000)
		|| STR_EQ(&v[V_CITY], "Pune");
}

static bool c_upgrade(const expr_value *v)
{
	if (!STR_EQ(&v[V_TIER], "bronze") && !STR_EQ(&v[V_TIER], "gold"))
		return false;
	int64_t s;
	if (v[V_SPEND12].t != EV_INT || __builtin_add_overflow(v[V_SPEND12].u.i, v[V_NET].u.i, &s))
		return false;
	return s >= 500000 && s < 1500000;
}

static bool c_beans_points(const expr_value *v)
{
	(void)v;
	int64_t sum = 0;
	for (int i = 0; i < NITEMS; i++)
		if (STR_EQ(&items[i][I_CATEGORY], "beans"))
			sum += items[i][I_NET].u.i;
	return sum / 100 > 10;
}

static const struct {
	const char *name, *src;
	bool (*c)(const expr_value *);
} cases[] = {
	{ "4 comparisons", "tier == \"gold\" and hour >= 7 and hour < 11 and channel == \"store\"", c_morning_gold },
	{ "in list", "weekday in [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"] and channel == \"store\"", c_weekday_store },
	{ "item predicates", "hour >= 7 and hour < 11 and any_item(item.category == \"coffee\") and any_item(item.category == \"pastry\")", c_breakfast },
	{ "null and or", "days_since_last_purchase > 90 or (purchase_count == 0 and net >= 150000) or attr.city == \"Pune\"", c_lapsed },
	{ "arithmetic", "(tier == \"bronze\" or tier == \"gold\") and spend_12m + net >= 500000 and spend_12m + net < 1500000", c_upgrade },
	{ "sum over items", "sum_net(item.category == \"beans\") // 100 > 10", c_beans_points },
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 500000;
	if (iters <= 0)
		iters = 1;
	bool native = !(argc > 2 && strcmp(argv[2], "host") == 0);
	expr_env *env = make_env(native);
	set_values();
	char scratch[64];
	expr_frame f = { .vars = vars, .scratch = scratch, .scratch_cap = sizeof scratch,
		.rows = items[0], .nrows = NITEMS, .row_stride = I_COUNT_ };
	printf("item functions: %s\n", native ? "native aggregates" : "host functions");
	double tot_e = 0, tot_c = 0;
	printf("%-16s %14s %14s %7s\n", "condition", "expr eval/s", "C eval/s", "ratio");
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		if (argc > 3 && (size_t)atoi(argv[3]) != k + 1)
			continue;
		expr_error err;
		expr *e = expr_compile(env, 0, cases[k].src, strlen(cases[k].src), (expr_pos){ 1, 1, 1 },
			ET_BOOL | ET_NULL, &err);
		if (!e) {
			fprintf(stderr, "%s: %d:%d: %s\n", cases[k].name, err.line, err.col, err.msg);
			return 1;
		}
		/* hour moves every iteration so that neither side can be hoisted
		 * out of the loop; both pay the same store. Best of 15 short rounds,
		 * interleaved, because the machine is shared. */
		long hits_e = 0, hits_c = 0;
		double te = 1e9, tc = 1e9;
		for (int round = 0; round < 15; round++) {
			hits_e = hits_c = 0;
			double t0 = now();
			for (long i = 0; i < iters; i++) {
				bool b = false;
				vars[V_HOUR].u.i = 6 + (i & 7);
				if (expr_eval_bool(e, &f, &b) == 0 && b)
					hits_e++;
			}
			double t1 = now();
			for (long i = 0; i < iters; i++) {
				vars[V_HOUR].u.i = 6 + (i & 7);
				__asm__ volatile("" ::: "memory");
				if (cases[k].c(vars))
					hits_c++;
			}
			double t2 = now();
			if (t1 - t0 < te)
				te = t1 - t0;
			if (t2 - t1 < tc)
				tc = t2 - t1;
		}
		if (hits_e != hits_c) {
			fprintf(stderr, "%s: expr says %ld, C says %ld\n", cases[k].name, hits_e, hits_c);
			return 1;
		}
		double t0 = 0, t1 = te, t2 = te + tc;
		double re = (double)iters / (t1 - t0), rc = (double)iters / (t2 - t1);
		tot_e += t1 - t0;
		tot_c += t2 - t1;
		printf("%-16s %14.0f %14.0f %6.2fx\n", cases[k].name, re, rc, rc / re);
		expr_free(e);
	}
	printf("%-16s %14.0f %14.0f %6.2fx\n", "all",
		(double)iters * (double)(sizeof cases / sizeof cases[0]) / tot_e,
		(double)iters * (double)(sizeof cases / sizeof cases[0]) / tot_c, tot_e / tot_c);

	/* compile + check 1,000 rule-sized expressions, all different */
	char src[1000][256];
	for (int i = 0; i < 1000; i++) {
		const char *base = cases[i % (sizeof cases / sizeof cases[0])].src;
		snprintf(src[i], sizeof src[i], "%s and hour != %d", base, i);
	}
	double best = 1e9;
	for (int rep = 0; rep < 5; rep++) {
		double t0 = now();
		for (int i = 0; i < 1000; i++) {
			expr_error err;
			expr *e = expr_compile(env, 0, src[i], strlen(src[i]), (expr_pos){ 1, 1, 1 },
				ET_BOOL | ET_NULL, &err);
			if (!e) {
				fprintf(stderr, "compile: %s\n", err.msg);
				return 1;
			}
			expr_free(e);
		}
		double t = now() - t0;
		if (t < best)
			best = t;
	}
	printf("compile+check 1000 expressions: %.2f ms (best of 5)\n", best * 1e3);
	expr_env_free(env);
	return 0;
}
