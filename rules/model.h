/* rules/model.h — the data that crosses the line between rules/ and the
 * engine: a basket as the POS sent it, a customer's state before the
 * request, and the outcome of evaluating a program on them.
 *
 * Everything is plain memory owned by the caller (strings are pointer +
 * length, not necessarily NUL-terminated). rules/ reads the inputs and
 * writes the outcome into an arena the caller provides; it does no I/O. */
#ifndef RULES_MODEL_H
#define RULES_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lang/expr.h"

typedef struct rl_str {
	const char *p; /* NULL = absent (null) */
	uint32_t n;
} rl_str;

typedef struct rl_attr {
	rl_str key;
	expr_value val; /* EV_NULL, EV_BOOL, EV_INT, EV_FLOAT, EV_STR only */
} rl_attr;

typedef struct rl_item {
	rl_str sku;
	rl_str category; /* .p == NULL when absent */
	int64_t qty;     /* 1..1,000,000 (checked by the engine) */
	int64_t price;   /* unit price, 0..10^12 */
	const rl_str *tags;
	uint32_t ntags;
} rl_item;

typedef struct rl_basket {
	const rl_item *items;
	uint32_t nitems;          /* 1..1000 */
	const rl_str *coupons;
	uint32_t ncoupons;
	rl_str channel;           /* .p == NULL when absent */
	rl_str store;
	int64_t ts;               /* Unix seconds (the engine resolves "now") */
	bool has_redeem;
	int64_t redeem_points;
	const rl_attr *attrs;     /* the request's attrs (not stored) */
	uint32_t nattrs;
} rl_basket;

/* A past fire of a rule that has a `limit`, kept per customer by the store. */
typedef struct rl_fire {
	rl_str rule;
	int64_t ts;
} rl_fire;

/* The customer as it was before this request. For an anonymous basket pass
 * NULL instead. A customer that does not exist yet (quote or purchase of an
 * unknown id) is passed with exists = false and zeros, enrolled_at = ts. */
typedef struct rl_customer {
	rl_str id;
	bool exists;
	int64_t points;
	int64_t lifetime_spend;
	int64_t spend_12m;        /* spend in (ts − 365 d, ts], the engine computes it */
	int64_t purchase_count;
	bool has_last_purchase;
	int64_t last_purchase_at;
	int64_t enrolled_at;
	rl_str referred_by;       /* .p == NULL: nobody */
	int64_t referrals;
	const rl_attr *attrs;
	uint32_t nattrs;
	/* Tier state (rules.md, "Tiers, exactly"): per tier of the program, by
	 * index, when the customer last qualified for it at a commit; 0 = never. */
	const int64_t *tier_qualified_at;
	uint32_t ntiers;
	const rl_fire *fires;     /* fires of limited rules (any age) */
	uint32_t nfires;
} rl_customer;

/* ---- outcome ----------------------------------------------------------- */

typedef struct rl_line_out {
	int64_t discount;
	int64_t net;
} rl_line_out;

typedef struct rl_applied {
	int rule;                 /* index into the program's rules */
	int64_t discount;         /* > 0 or not listed */
	int64_t points;           /* raw, before multipliers */
	int64_t bonus_points;
	bool has_multiplier;
	int64_t multiplier_x100;  /* 150 for 1.5 */
	int64_t referrer_bonus_points;
	rl_str message;
} rl_applied;

typedef struct rl_coupon_out {
	rl_str code;              /* as presented */
	bool accepted;
	const char *reason;       /* when refused: "duplicate", "not_applicable", "unknown" */
} rl_coupon_out;

typedef struct rl_warning {
	int rule;                 /* rule index, or -1 */
	const char *message;      /* in the outcome's arena */
} rl_warning;

typedef struct rl_exp_out {
	int experiment;           /* index into the program's experiments */
	int variant;              /* index into that experiment's variants */
} rl_exp_out;

typedef enum rl_status {
	RL_OK = 0,
	RL_INSUFFICIENT_POINTS,   /* redeem_points over the balance */
	RL_OVERFLOW,              /* a sum overflowed int64: bad_request */
	RL_NOMEM,
} rl_status;

typedef struct rl_outcome {
	rl_status status;
	int64_t subtotal;
	int64_t discount_total;
	int64_t redeemed_points;  /* points actually used */
	int64_t redeemed_value;
	int64_t total;
	rl_line_out *lines;       /* one per basket line, request order */
	rl_applied *applied;      /* in firing order; only rules that gave something */
	uint32_t napplied;
	int64_t earned;
	int64_t referrer_bonus_total;
	int tier_before;          /* tier indexes; -1 for an anonymous basket */
	int tier_after;
	int64_t *tier_qualified_at_after; /* per tier, what the commit stores */
	int *segments;            /* indexes of segments that hold, definition order */
	uint32_t nsegments;
	rl_exp_out *experiments;  /* experiments running at ts with the customer in traffic */
	uint32_t nexperiments;
	rl_coupon_out *coupons;   /* one per presented code */
	uint32_t ncoupons;
	rl_str *messages;
	uint32_t nmessages;
	rl_warning *warnings;
	uint32_t nwarnings;
	int *fired_limited;       /* rules with a `limit` that fired (to record) */
	uint32_t nfired_limited;
} rl_outcome;

#endif
