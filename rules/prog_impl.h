/* rules/prog_impl.h — the inside of a loaded program, shared by the files
 * of rules/ (loader, evaluator) and by the Lua loader (rules/load_lua.c),
 * which adds rules and segments to the same structures. Not for engine/:
 * it uses rules/program.h only.
 *
 * A condition or action is an rl_code: nothing, a constant, a compiled
 * expression, or (added by rules/load_lua.c) a Lua function called through
 * program.lua_call. The evaluator only ever goes through rl_code_eval(). */
#ifndef RULES_PROG_IMPL_H
#define RULES_PROG_IMPL_H

#include "lang/expr.h"
#include "rules/program.h"

typedef enum rl_code_kind {
	RC_NONE = 0,  /* absent: default applies */
	RC_CONST,     /* a literal (k) */
	RC_EXPR,      /* compiled expression (e) */
	RC_LUA,       /* a Lua function (lua_ref in the program's Lua state) */
} rl_code_kind;

typedef struct rl_code {
	rl_code_kind kind;
	expr *e;
	expr_value k;
	int lua_ref;
	unsigned uses;     /* expr_uses() bits, RL_N_* */
	/* How phase 1 answers this code as a rule's `when` (set by
	 * rl_compile_node): RL_FAST_NONE through rl_code_bool; RL_FAST_EXPR
	 * straight to lang/; RL_FAST_ANY any_item(preds[fast_k]) alone, from the
	 * memo; RL_FAST_COUPON coupon(coupons[fast_k]) alone, from the request's
	 * coupons. The code itself stays complete for every other caller. */
	uint32_t fast;
	uint32_t fast_k;
} rl_code;
enum { RL_FAST_NONE = 0, RL_FAST_EXPR, RL_FAST_ANY, RL_FAST_COUPON };

/* `needs` bits given to names and host functions. */
#define RL_N_CUSTOMER 0x01u  /* customer names */
#define RL_N_REQUEST  0x02u  /* request names (subtotal, net, weekday, ...) */
#define RL_N_ITEMS    0x04u  /* any_item, count_qty, sum_net */
#define RL_N_COUPON   0x08u
#define RL_N_SEGMENT  0x10u
#define RL_N_VARIANT  0x20u
#define RL_N_NET      0x40u  /* reads `net` */
#define RL_N_ITEMNET  0x80u  /* reads item.net or sum_net (changes with discounts) */

/* Slots of the top scope (expr_frame.vars). ORDER: rl_top_names[] in env.c */
enum {
	VS_CUSTOMER, VS_TIER, VS_POINTS, VS_LIFETIME, VS_SPEND12, VS_PCOUNT,
	VS_DSLP, VS_DSE, VS_REFBY, VS_REFERRALS,
	VS_SUBTOTAL, VS_NET, VS_QTY, VS_CHANNEL, VS_STORE, VS_WEEKDAY, VS_HOUR,
	VS_MONTH, VS_DAY, VS_DATE,
	VS_NFIXED /* attr.NAME slots follow */
};
/* Slots of the item scope. ORDER: rl_item_names[] in env.c */
enum { IS_SKU, IS_CATEGORY, IS_QTY, IS_PRICE, IS_NET, IS_TAGS, IS_N };

/* Host function ids. */
enum { HF_COUPON = 1, HF_SEGMENT, HF_VARIANT, HF_ANY_ITEM, HF_COUNT_QTY, HF_SUM_NET,
	/* the same three over a shared, memoised predicate (rules/preds.c) */
	HF_ANY_P, HF_COUNT_P, HF_SUM_P,
	/* __lua_error("msg"): fails with msg; where Lua raises in a compiled
	 * Lua function (rules/lua_compile.c) */
	HF_LUA_ERROR };

/* An item predicate shared by every expression that writes it the same
 * way: `any_item(item.category == "coffee")` in five rules is evaluated once
 * per line and request when it does not depend on net or item.net. */
/* A predicate written `item.sku == "LIT"` or `item.category == "LIT"` (no
 * escapes) is answered without lang/: the comparison of the line's value
 * with LIT, which is all lang/ would do (null or another string: false). */
typedef struct rl_pred_nat {
	uint32_t slot;   /* item slot + 1 (IS_SKU, IS_CATEGORY); 0: not this form */
	uint32_t off;    /* LIT's offset in the text */
	uint32_t n;      /* LIT's length */
	uint32_t next;   /* index + 1 of the next such predicate on the same slot
	                    whose LIT starts with the same byte; 0: none */
} rl_pred_nat;

typedef struct rl_pred {
	const char *text;
	uint32_t n;
	rl_code code;            /* item scope */
	bool memo;               /* result per line is fixed for the request */
	rl_pred_nat nat;         /* rules/preds.c: the form above, if it is */
} rl_pred;
#define RL_MAX_PREDS 4096

#define RL_MAX_ATTRS 256
#define RL_MAX_ERRORS 100

typedef enum rl_disc_kind { DK_PERCENT = 1, DK_AMOUNT, DK_FREE, DK_BUYGET } rl_disc_kind;

typedef struct rl_discount {
	rl_disc_kind kind;
	int64_t percent_x100;   /* 12.5 % -> 1250 */
	rl_code amount;         /* DK_AMOUNT */
	int64_t free_n;         /* DK_FREE */
	int64_t buy, get;       /* DK_BUYGET */
	rl_code items;          /* RC_NONE: every line */
	int items_pred;         /* index into program.preds, or -1 (then `items`) */
	rl_code max;            /* RC_NONE: no cap */
} rl_discount;

typedef struct rl_rule {
	/* what phase 1 reads for every rule, first: two cache lines */
	rl_code when;
	int *segs;
	int *coupons;            /* coupon codes its expressions test */
	const char *message;     /* NULL: none */
	/* ORDER: nsegs then experiment, has_limit then points_only — phase 1
	 * tests the four at once (rules/eval.c, rule_gated) */
	uint32_t nsegs;
	int experiment;          /* -1: none; nexperiments: the holdout gate
	                            (rules/experiment.c, rl_holdout_gate) */
	bool has_limit;
	bool points_only;        /* only points/bonus/multiplier/referrer actions */
	uint32_t ncoupons;
	uint32_t message_n;
	int variant;             /* -1: any variant (experiment alone) */
	bool has_discount;
	bool stop;
	bool has_phase2;
	bool has_mult;
	/* the rest */
	int64_t mult_x100;
	int64_t limit_n;
	int64_t limit_days;      /* 0: no window */
	const char *name;
	uint32_t name_len;
	uint32_t order;          /* read order, for ties */
	const char *file;
	int line, col;
	int64_t priority;
	rl_discount disc;
	rl_code points, bonus, referrer_bonus;
	bool holdout_exempt;     /* `holdout: exempt`: fires for held-out customers */
} rl_rule;

typedef struct rl_tier {
	const char *name;
	uint32_t name_len;
	rl_code qualify;         /* RC_NONE for the base tier */
	int64_t keep_days;
} rl_tier;

typedef struct rl_segment {
	const char *name;
	const char *file;
	int line, col;
	rl_code cond;
	bool customer_only;      /* no request names, items or coupons (customer op) */
	int *deps;               /* segments it names with segment("x") */
	uint32_t ndeps;
} rl_segment;

typedef struct rl_experiment {
	const char *name;
	const char *salt;
	int64_t traffic_x100;    /* 100 % -> 10000 */
	const char **variants;
	int64_t *weights;
	uint32_t nvariants;
	uint32_t *cum;           /* cumulative thresholds out of 10000 */
	bool has_start, has_end;
	int64_t start_ts;        /* first second, program timezone */
	int64_t end_ts;          /* last second inclusive */
} rl_experiment;

typedef struct rl_tz_trans {
	int64_t at;              /* UTC seconds from which offset applies */
	int32_t offset;
} rl_tz_trans;

typedef struct rl_tz {
	rl_tz_trans *v;
	uint32_t n;
	int32_t fixed;           /* offset when n == 0 */
} rl_tz;

/* Lua hook (rules/load_lua.c fills it): evaluate code->lua_ref in the
 * request context `ctx` (an rl_ctx *, see rules/eval_ctx.h), for item
 * `item` (-1 outside items:). 0 and *out, or -1 with err filled. */
typedef int (*rl_lua_call_fn)(void *lua, const rl_code *code, void *ctx, int item,
	expr_value *out, char *err, size_t errsz);

struct program {
	arena mem;               /* names and tables: lives as long as the program */
	const char *name;
	const char *currency;
	const char *timezone;
	char version[17];
	int64_t point_value;
	rl_tier *tiers;
	uint32_t ntiers;
	rl_segment *segments;
	uint32_t nsegments;
	rl_experiment *experiments;
	uint32_t nexperiments;
	int64_t holdout_x100;    /* global holdout percent × 100; 0: none */
	const char *holdout_salt;
	rl_rule *rules;          /* sorted: priority desc, then read order */
	uint32_t nrules;
	const char **attrs;      /* attr.NAME names, slot VS_NFIXED + i */
	uint32_t *attr_len;
	uint32_t nattrs;
	const char **coupons;    /* codes in coupon("..."), upper case */
	uint32_t *coupon_len;
	uint32_t ncoupons;
	expr_env *env;           /* all names */
	expr_env *cust_env;      /* customer names only (qualify) */
	rl_tz tz;
	bool any_limit;
	uint32_t nsegs_request;  /* segments that need the request */
	void *lua;               /* Lua state, owned by rules/load_lua.c */
	rl_lua_call_fn lua_call;
	void (*lua_free)(void *lua);
	rl_pred *preds;
	uint32_t npreds, cappreds;
	/* the item.FIELD == "LIT" predicates by slot (IS_SKU, IS_CATEGORY) and
	 * LIT's first byte (256: empty LIT), index + 1 of the first of a chain
	 * through rl_pred_nat.next: a line's value meets only the predicates
	 * that can hold (rules/preds.c, rl_preds_prefill) */
	uint32_t nat_head[2][257];
	uint32_t nnat;
	/* every compiled expression, to free them with the program */
	expr **exprs;
	uint32_t nexprs, capexprs;
};

/* rules/lua_ctx.c: count a compiled Lua function's raise (HF_LUA_ERROR)
 * among the sandbox's failures, as stats' lua_failures shows them. */
void rl_lua_count_error(void *lua);

/* rules/tz.c */
int rl_tz_load(rl_tz *tz, const char *name, arena *mem);
int32_t rl_tz_offset(const rl_tz *tz, int64_t ts);
/* local midnight->UTC for a civil date in the zone (experiment start/end) */
int64_t rl_tz_local_to_utc(const rl_tz *tz, int64_t local);
int64_t rl_days_from_civil(int64_t y, int m, int d);
void rl_civil_from_days(int64_t z, int *y, int *m, int *d);

/* rules/experiment.c: per request, after the variants are assigned: set
 * the holdout gate slot variant[nexperiments] (-1 held out, 0 not). */
void rl_holdout_gate(const program *p, const rl_customer *c, int *variant);

/* rules/decimal.c: "12.5" -> 1250 (hundredths); -1 on syntax, -2 on more
 * than two decimals, -3 on overflow. Never goes through double. */
int rl_decimal_x100(const char *s, size_t n, int64_t *out);

/* rules/prog_errors.c */
void rl_err_add(prog_errors *errs, const char *file, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void rl_err_sort(prog_errors *errs);

#endif
