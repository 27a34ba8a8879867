/* tests/unit/test-expr-noalloc.c — issue 3's "no allocation on the
 * evaluation path": conditions of the kinds rules use (comparisons, `in`
 * lists, null and/or, arithmetic, host predicates and native aggregates
 * over the items) are evaluated many times, both ways (expr_eval and the
 * jump code), while this program counts every malloc/calloc/realloc of the
 * process; the count must not move. Building strings (lower, upper) may
 * use the frame's scratch, never the heap, so one such case is here too.
 *
 * The counter replaces malloc in this executable and hands over to glibc's
 * own (__libc_malloc and friends). Under AddressSanitizer, whose
 * allocator must stay in charge, the counting is skipped. */
#include "tests/unit/tap.h"
#include "tests/unit/test-expr-env.h"

#if defined(__SANITIZE_ADDRESS__)
#define COUNTING 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNTING 0
#endif
#endif
#ifndef COUNTING
#define COUNTING 1
#endif

static unsigned long n_alloc;

#if COUNTING
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

void *malloc(size_t n)
{
	n_alloc++;
	return __libc_malloc(n);
}

void *calloc(size_t k, size_t n)
{
	n_alloc++;
	return __libc_calloc(k, n);
}

void *realloc(void *p, size_t n)
{
	n_alloc++;
	return __libc_realloc(p, n);
}
#endif

static const char *const conds[] = {
	"tier == \"gold\" and hour >= 7 and hour < 11 and channel == \"store\"",
	"weekday in [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"] and channel == \"store\"",
	"days_since_last_purchase > 90 or (nothing == 0 and net >= 150000) or attr.city == \"Pune\"",
	"(tier == \"bronze\" or tier == \"gold\") and big - small >= 5 and net + hour < 1500000",
	"any_item(item.category == \"coffee\") and count_qty(item.qty > 1) >= 1",
	"sum_net(item.category == \"beans\") // 100 > 10 or coupon(\"SAVE10\")",
	"any_n(item.category == \"coffee\") and sum_n(item.sku != \"\") // 100 > 1",
	"count_n(item.price > 0 and item.category in [\"tea\", \"beans\"]) >= 1",
	"lower(channel) == \"store\" and upper(weekday) != \"SUN\"",
};

int main(void)
{
	(void)tx_run; /* the shared fake host's printer: not needed here */
	expr_env *env = tx_env();
	/* native aggregates over the frame's rows, beside the host ones */
	expr_func_decl d = { .name = "any_n", .nargs = 1, .arg_types = { ET_PRED },
		.pred_scope = EXPR_SCOPE_ITEM, .agg = EXPR_AGG_ANY };
	ok(expr_env_func(env, &d) == 0, "declare any_n");
	d.name = "count_n";
	d.agg = EXPR_AGG_COUNT;
	ok(expr_env_func(env, &d) == 0, "declare count_n");
	d.name = "sum_n";
	d.agg = EXPR_AGG_SUM;
	d.agg_slot = I_NET;
	ok(expr_env_func(env, &d) == 0, "declare sum_n");

	size_t nc = sizeof conds / sizeof conds[0];
	expr *e[sizeof conds / sizeof conds[0]];
	for (size_t i = 0; i < nc; i++) {
		expr_error err;
		e[i] = expr_compile(env, EXPR_SCOPE_TOP, conds[i], strlen(conds[i]), (expr_pos){ 1, 1, 1 },
			ET_BOOL | ET_NULL, &err);
		ok(e[i] != NULL, "compiles: %s%s%s", conds[i], e[i] ? "" : " — ", e[i] ? "" : err.msg);
	}

	char scratch[256];
	expr_frame f = { .vars = tx_vars, .scratch = scratch, .scratch_cap = sizeof scratch,
		.rows = tx_items[0], .nrows = 3, .row_stride = I_COUNT_ };
	for (size_t i = 0; i < nc; i++) {
		if (!e[i])
			continue;
		/* one evaluation first: whatever a first call may set up lazily
		 * (none should) is not counted as per-evaluation */
		bool b;
		expr_value v;
		f.scratch_used = 0;
		int r0 = expr_eval_bool(e[i], &f, &b);
		unsigned long before = n_alloc;
		int errs = 0;
		for (int k = 0; k < 10000; k++) {
			f.scratch_used = 0;
			errs += expr_eval_bool(e[i], &f, &b) != r0;
			f.scratch_used = 0;
			errs += expr_eval(e[i], &f, &v) != r0;
		}
		ok(errs == 0, "evaluates the same 20,000 times: %s", conds[i]);
		if (COUNTING)
			is_int((long)(n_alloc - before), 0L, "no allocation in 20,000 evaluations: %s", conds[i]);
		else
			ok(1, "# SKIP allocations not counted under AddressSanitizer: %s", conds[i]);
	}
	/* the counter itself works: compiling allocates */
	if (COUNTING) {
		unsigned long before = n_alloc;
		expr_error err;
		expr *x = expr_compile(env, EXPR_SCOPE_TOP, "hour > 1", 8, (expr_pos){ 1, 1, 1 },
			ET_BOOL, &err);
		ok(x && n_alloc > before, "the counter sees allocations (compiling: %lu)", n_alloc - before);
		expr_free(x);
	}
	for (size_t i = 0; i < nc; i++)
		expr_free(e[i]);
	expr_env_free(env);
	return tap_done();
}
