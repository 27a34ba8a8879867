/* tests/fuzz/fuzz-expr.c — libFuzzer target for the expression language:
 * compiles arbitrary bytes against an environment with a few names, an
 * open namespace and host functions (one with a predicate, one bound), and
 * when it compiles evaluates it with expr_eval and expr_eval_bool over
 * fake items. The native aggregates (any_n, count_n, sum_n: lang/ runs their
 * row loop itself) walk the same items as rows, so their fused jump code is
 * fuzzed against the tree walk too. Any crash, sanitizer report, or an error without a message
 * is a bug.
 *
 *   ./configure CC=clang --enable-fuzzing && make tests/fuzz/fuzz-expr
 *   tests/fuzz/fuzz-expr -max_total_time=120 /work/main/tests/fuzz/corpus-expr */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lang/expr.h"

enum { V_TIER, V_HOUR, V_NET, V_PRICE, V_NOTHING, V_TAGS, V_ANY, V_BIG, V_CITY, V_COUNT_ };
enum { I_SKU, I_QTY, I_NET, I_COUNT_ };

static expr_env *env;
static expr_value vars[V_COUNT_];
static expr_value items[3][I_COUNT_];
static const expr_value tags[2] = {
	{ .t = EV_STR, .u.s = { "vip", 3 } }, { .t = EV_INT, .u.i = 7 },
};

static int ns(void *ud, const char *s, size_t n)
{
	(void)ud;
	if (n == 4 && memcmp(s, "city", 4) == 0)
		return V_CITY;
	if (n == 3 && memcmp(s, "any", 3) == 0)
		return V_ANY;
	return -1;
}

static int bind(void *ud, int fn_id, const char *s, size_t n, int64_t *bound, char *err, size_t errsz)
{
	(void)ud;
	(void)fn_id;
	if (n > 0 && s[0] == 'X') {
		/* fill the whole buffer: the compiler must cope with long texts */
		memset(err, 'e', errsz - 1);
		err[errsz - 1] = '\0';
		return -1;
	}
	*bound = (int64_t)n;
	return 0;
}

static int host(expr_frame *f, int fn_id, int64_t bound, const expr_value *args, int nargs,
	const expr *const *preds, expr_value *out)
{
	(void)args;
	(void)nargs;
	if (fn_id == 1) {
		*out = expr_bool(bound % 2 == 0);
		return 0;
	}
	const expr_value *saved = f->item;
	int64_t cnt = 0;
	for (int i = 0; i < 3; i++) {
		bool b;
		f->item = items[i];
		int r = expr_eval_bool(preds[0], f, &b);
		f->item = saved;
		if (r)
			return r;
		cnt += b;
	}
	*out = fn_id == 2 ? expr_bool(cnt > 0) : expr_int(cnt);
	return 0;
}

static void setup(void)
{
	env = expr_env_new();
	expr_env_name(env, 0, "tier", ET_STR | ET_NULL, V_TIER);
	expr_env_name(env, 0, "hour", ET_INT, V_HOUR);
	expr_env_name(env, 0, "net", ET_INT, V_NET);
	expr_env_name(env, 0, "price", ET_FLOAT, V_PRICE);
	expr_env_name(env, 0, "nothing", ET_INT | ET_NULL, V_NOTHING);
	expr_env_name(env, 0, "tags", ET_LIST, V_TAGS);
	expr_env_name(env, 0, "big", ET_INT, V_BIG);
	expr_env_namespace(env, 0, "attr", ET_ANY, ns, NULL);
	expr_env_name(env, 1, "item.sku", ET_STR, I_SKU);
	expr_env_name(env, 1, "item.qty", ET_INT, I_QTY);
	expr_env_name(env, 1, "item.net", ET_INT | ET_NULL, I_NET);
	expr_func_decl d = { .name = "coupon", .fn_id = 1, .nargs = 1, .arg_types = { ET_STR },
		.ret = ET_BOOL, .bind = bind };
	expr_env_func(env, &d);
	d = (expr_func_decl){ .name = "any_item", .fn_id = 2, .nargs = 1, .arg_types = { ET_PRED },
		.ret = ET_BOOL, .pred_scope = 1 };
	expr_env_func(env, &d);
	d.name = "count";
	d.fn_id = 3;
	d.ret = ET_INT;
	expr_env_func(env, &d);
	/* native aggregates over f.rows (the same three items) */
	d = (expr_func_decl){ .name = "any_n", .nargs = 1, .arg_types = { ET_PRED },
		.pred_scope = 1, .agg = EXPR_AGG_ANY };
	expr_env_func(env, &d);
	d.name = "count_n";
	d.agg = EXPR_AGG_COUNT;
	expr_env_func(env, &d);
	d.name = "sum_n";
	d.agg = EXPR_AGG_SUM;
	d.agg_slot = I_NET;
	expr_env_func(env, &d);
	d.name = "sum_q";
	d.agg_slot = I_QTY;
	expr_env_func(env, &d);
	expr_env_set_host(env, host);
	vars[V_TIER] = expr_str("gold", 4);
	vars[V_HOUR] = expr_int(9);
	vars[V_NET] = expr_int(-12345);
	vars[V_PRICE] = expr_float(-0.5);
	vars[V_NOTHING] = expr_null();
	vars[V_TAGS] = (expr_value){ .t = EV_LIST, .u.l = { tags, 2 } };
	vars[V_ANY] = expr_int(INT64_MIN);
	vars[V_BIG] = expr_int(INT64_MAX);
	vars[V_CITY] = expr_str("P\xc3\xa9", 3);
	static const char *sku[3] = { "A", "", "LATTE-LONG-NAME-XX" };
	for (int i = 0; i < 3; i++) {
		items[i][I_SKU] = expr_str(sku[i], strlen(sku[i]));
		items[i][I_QTY] = expr_int(i - 1);
		items[i][I_NET] = i == 1 ? expr_null() : expr_int(i * 1000);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!env)
		setup();
	/* the first byte picks scope and wanted type; the rest is source */
	if (size < 1)
		return 0;
	int scope = data[0] & 1;
	static const expr_type wants[4] = { ET_ANY, ET_BOOL | ET_NULL, ET_NUM, ET_STR };
	expr_type want = wants[(data[0] >> 1) & 3];
	/* copy so that reading past the end is caught by ASan */
	char *src = malloc(size - 1 ? size - 1 : 1);
	memcpy(src, data + 1, size - 1);
	expr_error err;
	expr *e = expr_compile(env, scope, src, size - 1, (expr_pos){ 3, 5, 7 }, want, &err);
	if (!e) {
		if (!err.msg[0] || err.line < 3 || err.col < 1)
			abort();
		free(src);
		return 0;
	}
	char scratch[16];
	expr_frame f = { .vars = vars, .item = scope ? items[2] : NULL, .scratch = scratch,
		.scratch_cap = sizeof scratch, .rows = items[0], .nrows = 3, .row_stride = I_COUNT_ };
	expr_value v;
	f.err[0] = '\0';
	int rv = expr_eval(e, &f, &v);
	if (rv != 0 && !f.err[0])
		abort();
	if (rv == 0 && !((1u << v.t) & want))
		abort();
	/* differential: conditions also run as jump code (expr_eval_bool),
	 * which must agree with the tree walk, errors included */
	char err1[sizeof f.err];
	memcpy(err1, f.err, sizeof err1);
	f.scratch_used = 0;
	f.err[0] = '\0';
	bool b = false;
	int rb = expr_eval_bool(e, &f, &b);
	if (rb != 0 && !f.err[0])
		abort();
	if (want & ET_BOOL) {
		if (rv != 0 && (rb == 0 || strcmp(err1, f.err) != 0))
			abort();
		if (rv == 0 && (v.t == EV_BOOL || v.t == EV_NULL) && (rb != 0 || b != (v.t == EV_BOOL && v.u.b)))
			abort();
	}
	expr_value k;
	if (expr_is_const(e, &k))
		(void)expr_value_equal(&k, &k);
	expr_free(e);
	free(src);
	return 0;
}
