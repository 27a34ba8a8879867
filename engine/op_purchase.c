/* engine/op_purchase.c — `purchase`: evaluate, apply to the customer
 * (enrolling an unknown one), write the ledger, counters, tier state,
 * limit fires, exposures, referrer credit and the txn with its answer, and
 * answer only once the write group is durable. Idempotent on txn: the
 * same content replays the stored answer, different content conflicts.
 * An anonymous purchase records its txn and lines only. */
#include <stdlib.h>
#include <string.h>

#include "engine/answer.h"
#include "engine/op_common.h"

static int apply_customer(op_ctx *ctx, request *req, opc_basket *b, store_cust *c,
	const char *rv, store_txn *t)
{
	store *s = ctx->store;
	const rl_outcome *o = &b->out;
	const program *p = ctx->prog;
	bool first = c->purchase_count == 0;
	if (store_ledger_add(s, c, c->id, c->idlen, "redeem", -o->redeemed_points,
			req->txn.p, req->txn.n, rv, b->ts, NULL, 0) < 0
	    || store_ledger_add(s, c, c->id, c->idlen, "earn", o->earned,
			req->txn.p, req->txn.n, rv, b->ts, NULL, 0) < 0)
		return -1;
	c->lifetime_spend += o->total;
	if (o->total && store_cust_add_spend(s, c, b->ts, o->total, req->txn.p, req->txn.n) < 0)
		return -1;
	c->purchase_count++;
	if (!c->has_first || b->ts < c->first_purchase_at) {
		c->has_first = true;
		c->first_purchase_at = b->ts;
	}
	if (!c->has_last || b->ts > c->last_purchase_at) {
		c->has_last = true;
		c->last_purchase_at = b->ts;
	}
	/* tier state: what the commit stores, per tier name */
	uint32_t nt = program_ntiers(p);
	if (o->tier_qualified_at_after)
		for (uint32_t i = 0; i < nt; i++)
			if (store_cust_set_tierq(s, c, program_tier_name(p, i), o->tier_qualified_at_after[i]) < 0)
				return -1;
	if (o->tier_after >= 0) {
		const char *after = program_tier_name(p, (uint32_t)o->tier_after);
		if (!c->tier || strcmp(c->tier, after) != 0) {
			int before = opc_tier_index(p, c->tier);
			char *nt_name = strdup(after);
			if (!nt_name)
				return -1;
			free(c->tier);
			c->tier = nt_name;
			c->tier_since = b->ts;
			if (o->tier_after > before && o->tier_after > 0) {
				char *lt = strndup(req->txn.p, req->txn.n);
				if (!lt)
					return -1;
				free(c->lifted_txn);
				c->lifted_txn = lt;
			}
		}
	}
	for (uint32_t i = 0; i < o->nfired_limited; i++)
		if (store_cust_add_fire(s, c, program_rule_name(p, (uint32_t)o->fired_limited[i]), b->ts) < 0)
			return -1;
	for (uint32_t i = 0; i < o->nexperiments; i++) {
		uint32_t e = (uint32_t)o->experiments[i].experiment;
		if (store_cust_expose(s, c, program_experiment_name(p, e),
				program_variant_name(p, e, (uint32_t)o->experiments[i].variant), b->ts) < 0)
			return -1;
	}
	store_cust *ref = b->referrer;
	if (ref && ref != c) {
		if (o->referrer_bonus_total > 0) {
			if (store_ledger_add(s, ref, ref->id, ref->idlen, "referral", o->referrer_bonus_total,
					req->txn.p, req->txn.n, rv, b->ts, NULL, 0) < 0)
				return -1;
			t->referrer = (rl_str){ ref->id, (uint32_t)ref->idlen };
			t->referrer_credit = o->referrer_bonus_total;
		}
		if (first)
			ref->referrals++;
		if ((first || o->referrer_bonus_total > 0) && store_cust_save(s, ref) < 0)
			return -1;
	}
	return store_cust_save(s, c);
}

void op_purchase(op_ctx *ctx, request *req, reply *r)
{
	if (opc_check_txn(ctx, req, r, "purchase"))
		return;
	opc_basket b;
	if (opc_eval_basket(ctx, req, r, &b) < 0)
		return;
	const rl_outcome *o = &b.out;
	const char *rv = program_version(ctx->prog);
	const char *referrer = b.referrer && b.referrer != b.c ? b.referrer->id : NULL;

	aw w;
	reply_begin_aw(r, &w);
	AW_STR(&w, "txn", req->txn.p, req->txn.n);
	opc_write_outcome(&w, ctx->prog, req, b.anonymous ? NULL : &b.view, o,
		b.balance_after, referrer);

	store_txn t = { .txn = req->txn, .op = "purchase", .content_hash = req->content_hash,
		.customer = req->customer, .ts = b.ts, .total = o->total,
		.earned = o->earned, .redeemed = o->redeemed_points };
	t.nlines = req->basket.nitems;
	t.lines = arena_calloc(req->mem, t.nlines ? t.nlines : 1, sizeof *t.lines);
	if (!t.lines) {
		reply_error(r, "internal", "out of memory");
		return;
	}
	for (uint32_t i = 0; i < t.nlines; i++) {
		t.lines[i].sku = req->basket.items[i].sku;
		t.lines[i].qty = req->basket.items[i].qty;
		t.lines[i].net = o->lines[i].net;
		t.net += o->lines[i].net;
	}

	opc_pending *pd = opc_write_begin(ctx, req, r, o);
	if (!pd)
		return;
	if (!b.anonymous) {
		store_cust *c = b.c;
		if (!c)
			c = store_cust_create(ctx->store, req->customer.p, req->customer.n, b.ts, NULL, 0);
		if (!c || apply_customer(ctx, req, &b, c, rv, &t) < 0) {
			opc_unavailable(ctx, r);
			return;
		}
	}
	if (opc_txn_put(ctx, r, &t) < 0)
		return;
	reply_defer(r);
	store_write_end(ctx->store, opc_commit_done, pd);
}
