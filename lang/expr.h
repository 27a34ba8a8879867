/* lang/expr.h — the expression language of rule programs (rules.md,
 * "Expressions"): compile a source string against an environment that the
 * caller declares, then evaluate the compiled form many times.
 *
 * This layer knows nothing about loyalty. The caller (rules/) declares the
 * names (`tier`, `item.sku`, `attr.*`) and the host functions (`coupon`,
 * `any_item`, ...) and supplies their values at evaluation time; lang/ owns
 * the syntax, the load-time checks, the built-in functions (floor ceil round
 * abs min max len lower upper contains starts_with) and the exact run-time
 * semantics (int64 overflow, null rules, short-circuit).
 *
 * Errors never escape by longjmp: compile errors come back as expr_error with
 * a position in the caller's file; run-time errors as a non-zero return and a
 * message in the frame. */
#ifndef LANG_EXPR_H
#define LANG_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- values ------------------------------------------------------------ */

typedef enum expr_vtype {
	EV_NULL = 0,
	EV_BOOL,
	EV_INT,
	EV_FLOAT,
	EV_STR,
	EV_LIST,
} expr_vtype;

typedef struct expr_value expr_value;
struct expr_value {
	expr_vtype t;
	union {
		bool b;
		int64_t i;
		double f;
		struct { const char *p; uint32_t n; } s; /* not NUL-terminated */
		struct { const expr_value *v; uint32_t n; } l;
	} u;
};

static inline expr_value expr_null(void) { expr_value v = { .t = EV_NULL }; return v; }
static inline expr_value expr_int(int64_t i) { expr_value v = { .t = EV_INT, .u.i = i }; return v; }
static inline expr_value expr_bool(bool b) { expr_value v = { .t = EV_BOOL, .u.b = b }; return v; }
static inline expr_value expr_float(double f) { expr_value v = { .t = EV_FLOAT, .u.f = f }; return v; }
static inline expr_value expr_str(const char *p, size_t n)
{
	expr_value v = { .t = EV_STR };
	v.u.s.p = p;
	v.u.s.n = (uint32_t)n;
	return v;
}

/* Static types, for load-time checking: the set of value types an
 * expression may produce. A name declared ET_STR|ET_NULL may be null. */
typedef unsigned expr_type;
#define ET_NULL  (1u << EV_NULL)
#define ET_BOOL  (1u << EV_BOOL)
#define ET_INT   (1u << EV_INT)
#define ET_FLOAT (1u << EV_FLOAT)
#define ET_STR   (1u << EV_STR)
#define ET_LIST  (1u << EV_LIST)
#define ET_NUM   (ET_INT | ET_FLOAT)
#define ET_ANY   (ET_NULL | ET_BOOL | ET_INT | ET_FLOAT | ET_STR | ET_LIST)
/* An argument that is not evaluated by the caller but handed to the host
 * function as a compiled predicate, checked in the function's item scope
 * (any_item(item.category == "coffee")). */
#define ET_PRED  (1u << 16)

/* ---- errors ------------------------------------------------------------ */

/* Position of the expression's first byte in the caller's file (1-based),
 * so that errors point into the marketer's YAML, not into the string. For a
 * YAML block scalar, lines after the first start at column `cont_col`. */
typedef struct expr_pos {
	int line;
	int col;
	int cont_col; /* column of the first byte of following lines; 0 = 1 */
} expr_pos;

typedef struct expr_error {
	int line;
	int col;
	char msg[256];
} expr_error;

/* ---- environment ------------------------------------------------------- */

typedef struct expr_env expr_env;
typedef struct expr expr; /* a compiled expression; immutable, shareable */
typedef struct expr_frame expr_frame;

/* A host function, called at evaluation time. `args` are evaluated values
 * (ET_PRED arguments are passed in `preds` instead, compiled). `bound` is
 * what the function's bind callback returned at load (e.g. a segment index),
 * or 0. Return 0 and set *out, or non-zero after expr_frame_error().
 * Both arrays have `nargs` entries indexed by argument position: args[i] is
 * null where argument i is a predicate, preds[i] is NULL where it is not.
 * Each evaluated argument's type is already checked against arg_types[i]
 * (a null reaches the host only if ET_NULL is declared). A predicate loop
 * sets f->item, calls expr_eval_bool(preds[i], f, &b) and restores
 * f->item. (A loop over rows that only tests, counts or sums is faster
 * declared as a native aggregate: EXPR_AGG_* below.) */
typedef int (*expr_host_fn)(expr_frame *f, int fn_id, int64_t bound,
	const expr_value *args, int nargs, const expr *const *preds, expr_value *out);

/* Called once at load when a host function's first argument is a string
 * literal: may reject it (fill err, return -1) or bind it to a number that
 * the call then receives as `bound`. */
typedef int (*expr_bind_fn)(void *ud, int fn_id, const char *s, size_t n,
	int64_t *bound, char *err, size_t errsz);

/* Resolve a name in an open namespace ("attr." + suffix): return a slot in
 * the scope's value array (>= 0) or -1 to reject it. */
typedef int (*expr_ns_fn)(void *ud, const char *suffix, size_t n);

expr_env *expr_env_new(void);
void expr_env_free(expr_env *env);

/* Scopes: 0 is the request scope (the frame's `vars`), 1.. are nested
 * scopes of predicates (scope 1 = the frame's `item`). */
#define EXPR_SCOPE_TOP  0
#define EXPR_SCOPE_ITEM 1

/* Declare `name` (may contain dots: "item.sku") of static type `type`; its
 * value at run time is vars[slot] (scope 0) or item[slot] (scope 1). */
int expr_env_name(expr_env *env, int scope, const char *name, expr_type type, int slot);

/* Declare an open namespace: any "prefix.suffix" resolves through `resolve`. */
int expr_env_namespace(expr_env *env, int scope, const char *prefix, expr_type type,
	expr_ns_fn resolve, void *ud);

/* Declare a host function with exactly `nargs` arguments (at most 4).
 * arg_types[i] is the set of accepted types, or ET_PRED. If `bind` is given
 * the first argument must be a string literal. `pred_scope` is the scope a
 * predicate argument is checked in. `needs` is an opaque bitmask the caller
 * can read back with expr_uses() (e.g. "uses the basket"). */
typedef struct expr_func_decl {
	const char *name;
	int fn_id;
	int nargs;
	expr_type arg_types[4];
	expr_type ret;
	int pred_scope;
	expr_bind_fn bind;
	void *bind_ud;
	unsigned needs;
	/* EXPR_AGG_* (below) to make this a native aggregate instead of a
	 * host function; 0 for a host function as above. */
	int agg;
	int agg_slot;        /* EXPR_AGG_SUM: the row slot summed */
} expr_func_decl;

/* Native aggregates over the frame's rows (expr_frame.rows): any_item,
 * count_qty, sum_net without a host call. Declared with expr_env_func:
 * exactly one ET_PRED argument, pred_scope EXPR_SCOPE_ITEM, no bind; `ret`
 * 0 or the kind's type. lang/ runs the predicate's code over the rows
 * itself, in order, with f->item set to each row in turn (and restored):
 *   EXPR_AGG_ANY   boolean: some row satisfies the predicate; stops at the
 *                  first that does; false over 0 rows.
 *   EXPR_AGG_COUNT int: how many rows satisfy it.
 *   EXPR_AGG_SUM   int: the sum of row[agg_slot] over the rows that
 *                  satisfy it; 0 over 0 rows. That slot must hold an int
 *                  in every such row (anything else is a run-time error
 *                  "function 'NAME' sums ints, got null"); a sum outside
 *                  int64 is "integer overflow in NAME".
 * A run-time error in the predicate stops the aggregate with that error.
 * `fn_id` and `needs` keep their meaning (expr_uses). */
#define EXPR_AGG_NONE  0
#define EXPR_AGG_ANY   1
#define EXPR_AGG_COUNT 2
#define EXPR_AGG_SUM   3
int expr_env_func(expr_env *env, const expr_func_decl *decl);
void expr_env_set_host(expr_env *env, expr_host_fn call);

/* Mark a declared name with `needs` bits too (e.g. request names). */
int expr_env_name_needs(expr_env *env, const char *name, unsigned needs);

/* ---- compile ----------------------------------------------------------- */

/* Compile `src` (n bytes, any bytes at all) in `scope`; `want` is the set of
 * result types the caller accepts (ET_BOOL|ET_NULL for a condition, ET_NUM
 * for points). Returns NULL and fills *err (position already translated by
 * `pos`) on any syntax, name, arity or type error. Nesting is bounded (200
 * levels, 64 KiB of source), so compiling or evaluating needs at most about
 * 100 KB of stack. A predicate function may not be called inside another's
 * predicate (that would cost items^depth evaluations). */
expr *expr_compile(const expr_env *env, int scope, const char *src, size_t n,
	expr_pos pos, expr_type want, expr_error *err);
void expr_free(expr *e);

expr_type expr_result_type(const expr *e);
unsigned expr_uses(const expr *e);          /* OR of `needs` bits met */
bool expr_is_const(const expr *e, expr_value *out); /* folded to a constant? */

/* ---- evaluate ---------------------------------------------------------- */

/* Everything one evaluation needs. The caller fills vars/item/host and may
 * reuse a frame for many evaluations; strings built at run time (lower,
 * upper) go to the scratch buffer, which the caller resets per request. */
struct expr_frame {
	const expr_value *vars; /* scope 0 values, indexed by slot */
	const expr_value *item; /* scope 1 values, set by host predicate loops */
	void *host;             /* the caller's context, for host functions */
	char *scratch;
	size_t scratch_cap;
	size_t scratch_used;
	char err[256];          /* the last run-time error */
	/* The rows that native aggregates (EXPR_AGG_*) run over: nrows rows
	 * of row_stride values each, row i at rows + i * row_stride. NULL or
	 * 0 rows (or a stride of 0): any is false, count and sum are 0. Host
	 * functions ignore these. */
	const expr_value *rows;
	uint32_t nrows;
	uint32_t row_stride;
};

/* 0 on success (*out set); non-zero on a run-time error (frame->err set). */
int expr_eval(const expr *e, expr_frame *f, expr_value *out);

/* Truthiness for conditions: null and false are false; a value of any
 * other type is a run-time error. Faster than expr_eval for conditions:
 * the common tests cost no register saves on entry, so calling it once per
 * item from a host loop is cheap too. */
int expr_eval_bool(const expr *e, expr_frame *f, bool *out);

/* For host functions reporting a run-time error. Returns -1. */
int expr_frame_error(expr_frame *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Equality as the language defines it (1 == 1.0, lists elementwise). */
bool expr_value_equal(const expr_value *a, const expr_value *b);

#endif
