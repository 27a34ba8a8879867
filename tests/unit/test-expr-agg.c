/* tests/unit/test-expr-agg.c — native aggregates (EXPR_AGG_ANY, COUNT,
 * SUM over the frame's rows): what expr_env_func accepts, results over 0
 * and 3 rows, null and mistyped slots, overflow, errors inside the
 * predicate, the nested-predicate refusal, and the same expressions through
 * a host function that loops the way rules/ does, which must agree. Also
 * the jump code's other fused tests at their edges (two-string lists,
 * lists by length, name ± name ranges), which test-expr-table does not
 * reach. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lang/expr.h"
#include "tests/unit/tap.h"

enum { V_HOUR, V_NET, V_TIER, V_A, V_B, V_COUNT_ };
enum { I_CAT, I_QTY, I_NET, I_COUNT_ };
enum { FN_ANY = 1, FN_COUNT, FN_SUM };

#define MAXROWS 4
static expr_value vars[V_COUNT_];
static expr_value rows[MAXROWS][I_COUNT_];
static uint32_t nrows;

static void row(int i, const char *cat, expr_value qty, expr_value net)
{
	rows[i][I_CAT] = cat ? expr_str(cat, strlen(cat)) : expr_null();
	rows[i][I_QTY] = qty;
	rows[i][I_NET] = net;
}

/* coffee x2 net 700, pastry x1 net 275, tea x3 net 600 */
static void basket(void)
{
	row(0, "coffee", expr_int(2), expr_int(700));
	row(1, "pastry", expr_int(1), expr_int(275));
	row(2, "tea", expr_int(3), expr_int(600));
	nrows = 3;
}

/* the host-function twin: a loop calling expr_eval_bool per row */
static int host(expr_frame *f, int fn_id, int64_t bound, const expr_value *args, int nargs,
	const expr *const *preds, expr_value *out)
{
	(void)bound;
	(void)args;
	(void)nargs;
	const expr_value *saved = f->item;
	int64_t acc = 0;
	for (uint32_t i = 0; i < nrows; i++) {
		bool b;
		f->item = rows[i];
		int r = expr_eval_bool(preds[0], f, &b);
		f->item = saved;
		if (r)
			return r;
		if (!b)
			continue;
		if (fn_id == FN_ANY) {
			acc = 1;
			break;
		}
		if (fn_id == FN_COUNT) {
			acc++;
			continue;
		}
		const expr_value *v = &rows[i][I_NET];
		static const char *const tn[] = { "null", "boolean", "int", "float", "string", "list" };
		if (v->t != EV_INT)
			return expr_frame_error(f, "function 'sum_net' sums ints, got %s", tn[v->t]);
		if (__builtin_add_overflow(acc, v->u.i, &acc))
			return expr_frame_error(f, "integer overflow in sum_net");
	}
	*out = fn_id == FN_ANY ? expr_bool(acc) : expr_int(acc);
	return 0;
}

static expr_env *make_env(bool native)
{
	expr_env *env = expr_env_new();
	expr_env_name(env, 0, "hour", ET_INT, V_HOUR);
	expr_env_name(env, 0, "net", ET_INT, V_NET);
	expr_env_name(env, 0, "tier", ET_ANY, V_TIER);
	expr_env_name(env, 0, "a", ET_NUM | ET_NULL, V_A);
	expr_env_name(env, 0, "b", ET_NUM | ET_NULL, V_B);
	expr_env_name(env, 1, "item.category", ET_STR | ET_NULL, I_CAT);
	expr_env_name(env, 1, "item.qty", ET_NUM | ET_NULL, I_QTY);
	expr_env_name(env, 1, "item.net", ET_INT | ET_NULL, I_NET);
	expr_func_decl d = { .name = "any_item", .fn_id = FN_ANY, .nargs = 1,
		.arg_types = { ET_PRED }, .ret = ET_BOOL, .pred_scope = EXPR_SCOPE_ITEM,
		.agg = native ? EXPR_AGG_ANY : 0 };
	expr_env_func(env, &d);
	d.name = "count_rows";
	d.fn_id = FN_COUNT;
	d.ret = ET_INT;
	d.agg = native ? EXPR_AGG_COUNT : 0;
	expr_env_func(env, &d);
	d.name = "sum_net";
	d.fn_id = FN_SUM;
	d.agg = native ? EXPR_AGG_SUM : 0;
	d.agg_slot = I_NET;
	expr_env_func(env, &d);
	if (!native)
		expr_env_set_host(env, host);
	return env;
}

static expr_frame frame(void)
{
	static char scratch[64];
	expr_frame f = { .vars = vars, .scratch = scratch, .scratch_cap = sizeof scratch,
		.rows = rows[0], .nrows = nrows, .row_stride = I_COUNT_ };
	return f;
}

/* "true", "7", "error: ..." or "compile: L:C: ..." */
static const char *run(const expr_env *env, const char *src, bool cond, char *buf, size_t n)
{
	expr_error err;
	expr *e = expr_compile(env, 0, src, strlen(src), (expr_pos){ 1, 1, 1 },
		cond ? ET_BOOL | ET_NULL : ET_ANY, &err);
	if (!e) {
		snprintf(buf, n, "compile: %d:%d: %s", err.line, err.col, err.msg);
		return buf;
	}
	expr_frame f = frame();
	if (cond) {
		bool b = false;
		if (expr_eval_bool(e, &f, &b))
			snprintf(buf, n, "error: %s", f.err);
		else
			snprintf(buf, n, "%s", b ? "true" : "false");
	} else {
		expr_value v;
		if (expr_eval(e, &f, &v))
			snprintf(buf, n, "error: %s", f.err);
		else if (v.t == EV_INT)
			snprintf(buf, n, "%" PRId64, v.u.i);
		else if (v.t == EV_BOOL)
			snprintf(buf, n, "%s", v.u.b ? "true" : "false");
		else
			snprintf(buf, n, "type %d", (int)v.t);
	}
	if (f.item)
		snprintf(buf, n, "f->item not restored");
	expr_free(e);
	return buf;
}

static expr_env *native_env, *host_env;

/* native result as expected, and the host twin agrees */
static void check(const char *src, bool cond, const char *want)
{
	char a[300], b[300];
	is_str(run(native_env, src, cond, a, sizeof a), want, "%s", src);
	is_str(run(host_env, src, cond, b, sizeof b), a, "host agrees: %s", src);
}

/* Differential: random predicates over random rows, native against the
 * host twin (results and error texts). Fixed seed: the same cases every
 * run. */
static uint64_t rng = 88172645463325252u;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static const char *const OPS[] = { "==", "!=", "<", "<=", ">", ">=" };

static void gen_test(char *b, size_t n)
{
	static const char *const cats[] = { "\"coffee\"", "\"tea\"", "\"\"", "\"pastry\"", "null" };
	static const char *const nums[] = { "0", "1", "2", "-1", "2.5", "700", "null" };
	switch (rnd(8)) {
	case 0: snprintf(b, n, "item.category %s %s", OPS[rnd(2)], cats[rnd(5)]); break;
	case 1: snprintf(b, n, "item.qty %s %s", OPS[rnd(6)], nums[rnd(7)]); break;
	case 2: snprintf(b, n, "item.net %s %s", OPS[rnd(6)], nums[rnd(6)]); break;
	case 3: snprintf(b, n, "item.category in [%s, %s]", cats[rnd(4)], cats[rnd(4)]); break;
	case 4: snprintf(b, n, "item.qty + item.net %s %s", OPS[rnd(6)], nums[rnd(6)]); break;
	case 5: snprintf(b, n, "item.category %s \"pastry\"", OPS[2 + rnd(4)]); break;
	case 6: snprintf(b, n, "item.qty >= %s and item.qty < %s", nums[rnd(4)], nums[rnd(6)]); break;
	default: snprintf(b, n, "hour %s %s", OPS[rnd(6)], nums[rnd(4)]); break;
	}
}

static void gen_pred(char *b, size_t n, int depth)
{
	char x[120], y[120];
	unsigned k = depth > 1 ? 0 : rnd(5);
	if (k < 2) {
		gen_test(b, n);
	} else if (k == 2) {
		gen_pred(x, sizeof x, depth + 1);
		snprintf(b, n, "not (%s)", x);
	} else {
		gen_pred(x, sizeof x, depth + 1);
		gen_pred(y, sizeof y, depth + 1);
		snprintf(b, n, "(%s) %s (%s)", x, k == 3 ? "and" : "or", y);
	}
}

static void random_rows(void)
{
	static const char *const cats[] = { "coffee", "tea", "", "pastry" };
	nrows = rnd(MAXROWS + 1);
	for (uint32_t i = 0; i < nrows; i++) {
		unsigned c = rnd(6), q = rnd(7), t = rnd(8);
		rows[i][I_CAT] = c < 4 ? expr_str(cats[c], strlen(cats[c])) : c == 4 ? expr_null() : expr_int(3);
		rows[i][I_QTY] = q < 4 ? expr_int((int64_t)q - 1) : q == 4 ? expr_null() : expr_float(2.5);
		rows[i][I_NET] = t < 5 ? expr_int(100 * (int64_t)t - 100) : t == 5 ? expr_null()
			: t == 6 ? expr_int(INT64_MAX) : expr_int(INT64_MIN);
	}
}

static void test_differential(void)
{
	int same = 0, total = 2000;
	for (int i = 0; i < total; i++) {
		char p[400], src[600], a[700], b[700];
		random_rows();
		gen_pred(p, sizeof p, 0);
		bool cond = true;
		switch (rnd(6)) {
		case 0: snprintf(src, sizeof src, "any_item(%s)", p); break;
		case 1: snprintf(src, sizeof src, "not any_item(%s) or hour > 8", p); break;
		case 2: snprintf(src, sizeof src, "count_rows(%s) %s %u", p, OPS[rnd(6)], rnd(3)); break;
		case 3: snprintf(src, sizeof src, "sum_net(%s) %s %d", p, OPS[rnd(6)], 100 * (int)rnd(5) - 100); break;
		case 4: snprintf(src, sizeof src, "sum_net(%s) // %u %s %d", p, 1 + rnd(300), OPS[rnd(6)], (int)rnd(5) - 2); break;
		default: snprintf(src, sizeof src, "sum_net(%s)", p); cond = false; break;
		}
		run(native_env, src, cond, a, sizeof a);
		run(host_env, src, cond, b, sizeof b);
		if (strcmp(a, b) == 0)
			same++;
		else
			tap_diag("%s: native %s, host %s", src, a, b);
	}
	is_int(same, total, "2000 random aggregates agree with the host twin");
}

static void test_decl(void)
{
	expr_env *env = expr_env_new();
	expr_func_decl ok_any = { .name = "a1", .nargs = 1, .arg_types = { ET_PRED },
		.pred_scope = EXPR_SCOPE_ITEM, .agg = EXPR_AGG_ANY };
	expr_func_decl d;
	is_int(expr_env_func(env, &ok_any), 0, "any: one predicate in item scope");
	d = ok_any; d.name = "a2"; d.nargs = 2; d.arg_types[1] = ET_INT;
	is_int(expr_env_func(env, &d), -1, "two arguments refused");
	d = ok_any; d.name = "a3"; d.pred_scope = EXPR_SCOPE_TOP;
	is_int(expr_env_func(env, &d), -1, "predicate in the top scope refused");
	d = ok_any; d.name = "a4"; d.arg_types[0] = ET_INT;
	is_int(expr_env_func(env, &d), -1, "a value argument refused");
	d = ok_any; d.name = "a5"; d.ret = ET_INT;
	is_int(expr_env_func(env, &d), -1, "any returning int refused");
	d = ok_any; d.name = "a6"; d.agg = 9;
	is_int(expr_env_func(env, &d), -1, "unknown kind refused");
	d = ok_any; d.name = "a7"; d.agg = EXPR_AGG_SUM; d.agg_slot = -1;
	is_int(expr_env_func(env, &d), -1, "sum of slot -1 refused");
	d = ok_any; d.name = "a8"; d.agg = EXPR_AGG_SUM; d.agg_slot = 2;
	is_int(expr_env_func(env, &d), 0, "sum with ret 0 accepted");
	expr_env_name(env, 1, "item.x", ET_INT, 0);
	expr_error err;
	expr *e = expr_compile(env, 0, "a8(item.x > 1)", 14, (expr_pos){ 1, 1, 1 }, ET_ANY, &err);
	ok(e && expr_result_type(e) == ET_INT, "a sum is an int");
	expr_free(e);
	e = expr_compile(env, 0, "a1(item.x > 1)", 14, (expr_pos){ 1, 1, 1 }, ET_ANY, &err);
	ok(e && expr_result_type(e) == ET_BOOL, "an any is a boolean");
	expr_free(e);
	expr_env_free(env);
}

int main(void)
{
	native_env = make_env(true);
	host_env = make_env(false);
	vars[V_HOUR] = expr_int(9);
	vars[V_NET] = expr_int(1575);

	test_decl();
	test_differential();

	/* 0 rows (and no rows at all): any false, count and sum 0 */
	nrows = 0;
	check("any_item(item.category == \"coffee\")", true, "false");
	check("any_item(item.qty >= 1)", true, "false");
	check("count_rows(item.qty >= 1)", false, "0");
	check("sum_net(item.category == \"tea\")", false, "0");
	check("sum_net(item.category == \"tea\") // 100 > -1", true, "true");   /* 0 // 100 = 0 */
	check("sum_net(item.category == \"tea\") >= 1", true, "false");
	check("sum_net(item.qty > 0 and item.net > 0) == 0", true, "true");

	/* a stride of 0 is no rows too, whichever loop runs */
	basket();
	{
		char buf[300];
		const char *srcs[] = { "any_item(item.category == \"coffee\")", "any_item(item.qty >= 1)",
			"any_item(item.qty >= 1 and item.net > 0)", "sum_net(item.category == \"coffee\") > 0" };
		for (size_t i = 0; i < sizeof srcs / sizeof srcs[0]; i++) {
			expr_error err;
			expr *e = expr_compile(native_env, 0, srcs[i], strlen(srcs[i]), (expr_pos){ 1, 1, 1 },
				ET_BOOL | ET_NULL, &err);
			expr_frame f = frame();
			bool b = true;
			f.row_stride = 0;
			snprintf(buf, sizeof buf, "%s", !e ? err.msg : expr_eval_bool(e, &f, &b) ? f.err : b ? "true" : "false");
			is_str(buf, "false", "stride 0: %s", srcs[i]);
			expr_free(e);
		}
	}
	/* one-test string predicates (inline loops) */
	check("any_item(item.category == \"coffee\")", true, "true");
	check("any_item(item.category == \"juice\")", true, "false");
	check("not any_item(item.category == \"juice\")", true, "true");
	check("any_item(item.category != \"coffee\")", true, "true");
	check("any_item(not (item.category == \"coffee\"))", true, "true");
	check("sum_net(item.category == \"coffee\")", false, "700");
	check("sum_net(item.category != \"coffee\")", false, "875");            /* 275 + 600 */
	check("sum_net(not (item.category == \"coffee\"))", false, "875");
	check("count_rows(item.category == \"tea\")", false, "1");
	/* `//` by a positive constant compared as a range: 700 // 100 = 7 */
	check("sum_net(item.category == \"coffee\") // 100 > 6", true, "true");
	check("sum_net(item.category == \"coffee\") // 100 > 7", true, "false");
	check("sum_net(item.category == \"coffee\") // 100 == 7", true, "true");
	check("sum_net(item.category == \"coffee\") // 100 <= 6", true, "false");
	check("sum_net(item.category == \"coffee\") // 100 < 8", true, "true");
	check("sum_net(item.category == \"coffee\") // 100 >= 7", true, "true");
	check("sum_net(item.category == \"coffee\") // 100", false, "7");
	check("sum_net(item.category == \"coffee\") // 701 == 0", true, "true");
	check("sum_net(item.category == \"coffee\") > 699 and sum_net(item.category == \"coffee\") < 701", true, "true");
	/* int predicates: 2 + 3 units in rows of qty >= 2 */
	check("count_rows(item.qty >= 2)", false, "2");
	check("sum_net(item.qty >= 2)", false, "1300");                          /* 700 + 600 */
	check("sum_net(item.qty == 1)", false, "275");
	check("sum_net(item.qty != 1)", false, "1300");
	check("sum_net(item.qty > 1 and item.qty < 3)", false, "700");           /* fused range */
	check("any_item(item.qty > 3)", true, "false");
	check("20 * count_rows(item.category == \"tea\")", false, "20");
	/* anything else: the predicate's code per row */
	check("sum_net(item.category == \"coffee\" or item.category == \"tea\")", false, "1300");
	check("sum_net(item.category in [\"pastry\", \"tea\"])", false, "875");
	check("any_item(item.qty * 100 > item.net)", true, "false");             /* 200 < 700, ... */
	check("count_rows(item.net > net // 3)", false, "2");                    /* 1575 // 3 = 525 */
	check("hour >= 7 and any_item(item.category == \"pastry\") and any_item(item.qty >= 3)", true, "true");

	/* a float where the int test expects an int: the general code */
	row(1, "pastry", expr_float(2.5), expr_int(275));
	check("count_rows(item.qty >= 2)", false, "3");
	check("sum_net(item.qty > 2)", false, "875");                            /* 2.5 and 3 */
	/* null slots: no comparison holds but != */
	row(1, NULL, expr_null(), expr_int(275));
	check("count_rows(item.qty >= 1)", false, "2");
	check("count_rows(item.qty != 1)", false, "3");
	check("count_rows(item.category == \"pastry\")", false, "0");
	check("count_rows(item.category != \"pastry\")", false, "3");
	check("any_item(item.category == null)", true, "true");
	/* a null summed: a run-time error, whichever way the rows are tested */
	row(1, "pastry", expr_int(1), expr_null());
	check("sum_net(item.category == \"pastry\")", false, "error: function 'sum_net' sums ints, got null");
	check("sum_net(item.category == \"pastry\") > 0", true, "error: function 'sum_net' sums ints, got null");
	check("sum_net(item.qty == 1)", false, "error: function 'sum_net' sums ints, got null");
	check("sum_net(item.qty == 1 or item.qty == 7)", false, "error: function 'sum_net' sums ints, got null");
	check("sum_net(item.category == \"tea\")", false, "600");  /* not summed: no error */
	check("any_item(item.category == \"pastry\")", true, "true");
	/* overflow: 2^63 - 1 and 1 */
	row(0, "coffee", expr_int(2), expr_int(INT64_MAX));
	row(1, "coffee", expr_int(1), expr_int(1));
	check("sum_net(item.category == \"coffee\")", false, "error: integer overflow in sum_net");
	check("sum_net(item.category == \"coffee\") // 100 > 1", true, "error: integer overflow in sum_net");
	check("sum_net(item.qty <= 2)", false, "error: integer overflow in sum_net");
	check("sum_net(item.qty <= 2 and item.qty > 0)", false, "error: integer overflow in sum_net");
	check("sum_net(item.qty == 2)", false, "9223372036854775807");
	row(1, "coffee", expr_int(1), expr_int(INT64_MIN));
	check("sum_net(item.category == \"coffee\")", false, "-1");
	/* floor division of a negative sum: -150 // 100 = -2 */
	row(0, "coffee", expr_int(1), expr_int(-150));
	row(1, "pastry", expr_int(1), expr_int(275));
	check("sum_net(item.category == \"coffee\") // 100 == -2", true, "true");
	check("sum_net(item.category == \"coffee\") // 100 >= -1", true, "false");
	check("sum_net(item.category == \"coffee\") // 100 < -1", true, "true");
	/* an error inside the predicate stops the aggregate; any stops at
	 * the first row that holds, before the bad one */
	basket();
	row(1, "pastry", expr_null(), expr_int(275));
	check("any_item(item.qty + 1 > 2)", true, "true");
	check("count_rows(item.qty + 1 > 2)", false, "error: '+' needs numbers, got null");
	check("any_item(item.category == \"tea\" and item.qty + 1 > 2)", true, "true");

	/* two-string lists, from `in` and from an `or` of `==` */
	static const struct { expr_value v; const char *want; } tiers[] = {
		{ { .t = EV_STR, .u.s = { "gold", 4 } }, "true" },
		{ { .t = EV_STR, .u.s = { "golf", 4 } }, "false" },
		{ { .t = EV_STR, .u.s = { "bronze", 6 } }, "true" },
		{ { .t = EV_STR, .u.s = { "bronzy", 6 } }, "false" },
		{ { .t = EV_STR, .u.s = { "gol", 3 } }, "false" },
		{ { .t = EV_STR, .u.s = { "", 0 } }, "false" },
		{ { .t = EV_NULL }, "false" },
		{ { .t = EV_INT, .u.i = 4 }, "false" },
	};
	for (size_t i = 0; i < sizeof tiers / sizeof tiers[0]; i++) {
		vars[V_TIER] = tiers[i].v;
		check("tier in [\"bronze\", \"gold\"]", true, tiers[i].want);
		check("tier == \"gold\" or tier == \"bronze\"", true, tiers[i].want);
		check("not (tier in [\"bronze\", \"gold\"]) == (tier != \"gold\" and tier != \"bronze\")",
			true, "true");
	}
	vars[V_TIER] = expr_str("twelve bytes", 12);
	check("tier in [\"twelve bytes\", \"sixteen bytes!!!\"]", true, "true");
	check("tier in [\"twelve bytez\", \"sixteen bytes!!!\"]", true, "false");
	vars[V_TIER] = expr_str("sixteen bytes!!!", 16);
	check("tier in [\"twelve bytes\", \"sixteen bytes!!!\"]", true, "true");
	check("tier in [\"a\", \"b\", \"sixteen bytes!!!\"]", true, "true");  /* the last length */
	vars[V_TIER] = expr_str("seventeen bytes!!", 17);
	check("tier in [\"x\", \"seventeen bytes!!\"]", true, "true");
	/* longer lists: only the elements as long as the value */
	vars[V_TIER] = expr_str("", 0);
	check("tier in [\"a\", \"\", \"abc\"]", true, "true");
	vars[V_TIER] = expr_str("abc", 3);
	check("tier in [\"a\", \"\", \"abd\", 3, \"abc\"]", true, "true");
	check("tier in [\"a\", \"\", \"abd\", 3, \"abcd\"]", true, "false");
	vars[V_TIER] = expr_int(3);
	check("tier in [\"a\", \"\", \"abd\", 3.0, \"abcd\"]", true, "true");
	/* name ± name against constants: one test, the tree's errors */
	vars[V_A] = expr_int(400);
	vars[V_B] = expr_int(150);
	check("a + b >= 500 and a + b < 600", true, "true");
	check("a - b >= 250 and a - b <= 250", true, "true");
	check("a - b > 250", true, "false");
	check("a + b == 550", true, "true");
	check("a + b > 10 and a + b < 5", true, "false");
	vars[V_B] = expr_null();
	check("a + b >= 500 and a + b < 600", true, "error: '+' needs numbers, got null");
	vars[V_B] = expr_float(150.5);
	check("a + b >= 500 and a + b < 550", true, "false");                      /* 550.5 */
	check("a - b == 249.5", true, "true");
	vars[V_A] = expr_int(INT64_MAX);
	vars[V_B] = expr_int(1);
	check("a + b > 0", true, "error: integer overflow in '+'");
	check("a - b == 9223372036854775806", true, "true");
	vars[V_A] = expr_int(INT64_MIN);
	check("a - b < 0 and a - b > -5", true, "error: integer overflow in '-'");

	/* a predicate function inside a predicate is refused, as for hosts */
	char buf[300];
	is_str(run(native_env, "any_item(any_item(item.qty > 1))", true, buf, sizeof buf),
		"compile: 1:10: function 'any_item' cannot be used inside the predicate of 'any_item'",
		"nested aggregate refused");
	is_str(run(native_env, "sum_net(item.qty)", false, buf, sizeof buf),
		"compile: 1:9: function 'sum_net' argument 1 must be a condition, got number or null",
		"a predicate must be a condition");
	is_str(run(native_env, "item.qty > 1", true, buf, sizeof buf),
		"compile: 1:1: name 'item.qty' cannot be used here, only inside a predicate",
		"item names only inside");

	expr_env_free(native_env);
	expr_env_free(host_env);
	return tap_done();
}
