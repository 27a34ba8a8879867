/* engine/simulate.h — `loyaltyctl simulate`'s state and accumulation: an
 * in-memory set of customers (store_cust records kept in a hash table, no
 * SQLite), fed one decoded request at a time, evaluated with the daemon's
 * own rl_evaluate and opc_customer_view, and changed after each purchase
 * the way op_purchase commits it. Sums per program for the report.
 * Must not: print, or open a store (engine/ctl_simulate.c prints). */
#ifndef ENGINE_SIMULATE_H
#define ENGINE_SIMULATE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/request.h"
#include "engine/store.h"
#include "rules/model.h"
#include "rules/program.h"

typedef struct sim_rule_sum {
	int64_t applied;       /* purchases in which it gave something */
	int64_t discount;
	int64_t points;        /* raw points + bonus points as listed */
} sim_rule_sum;

typedef struct sim_sums {
	int64_t purchases, quotes, enrolls, skipped, refused;
	int64_t replayed;      /* a purchase's txn again, same content */
	int64_t subtotal, discount_total, redeemed_value, total;
	int64_t earned, redeemed, referrer_credit;
	int64_t tier_changes, coupons_accepted, warnings;
	sim_rule_sum *rules;   /* program_nrules entries */
} sim_sums;

typedef struct sim sim;

sim *sim_new(const program *p);
void sim_free(sim *s);
const sim_sums *sim_totals(const sim *s);

/* What one request did: status 0 evaluated/applied, 1 skipped (another
 * op, or a replayed txn), -1 refused with msg set (the daemon would have answered an error). */
typedef struct sim_result {
	int status;
	const char *msg;       /* static or in the request's arena */
	bool evaluated;        /* purchase or quote with an outcome */
	int64_t total, earned;
} sim_result;

/* Adds the customer of one `loyaltyctl export` line (running.md: the
 * customer answer's fields plus enrolled_at, tier_state, spend_history,
 * fires). 0, or -1 with a message naming the field in err. */
int sim_seed_line(sim *s, const char *line, size_t n, char *err, size_t errsz);

/* Applies one decoded request (its arena is used for the evaluation). */
void sim_apply(sim *s, request *req, sim_result *res);

#endif
