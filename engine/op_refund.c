/* engine/op_refund.c — `refund`: takes back units of a purchase (all that
 * remain without items). The arithmetic is rules/refund.c's; here: the
 * original's figures from the store, the ledger entries (reversal,
 * restore, referrer credit back on the completing refund), spend taken
 * back with the purchase's ts, the tier recomputed (the grace of a tier
 * this purchase lifted the customer into is cleared), the running totals
 * on the original, and the refund's own txn for replays. A purchase of a
 * forgotten customer refunds on its anonymous ledger; an anonymous
 * purchase refunds money only. */
#include <stdlib.h>
#include <string.h>

#include "engine/op_common.h"
#include "rules/refund.h"

#define SHOW(s) (int)((s).n > 200 ? 200 : (s).n), (s).p

typedef struct refund_calc {
	int64_t net, reversed, restored, spend_back, referrer_back;
	bool completing;
} refund_calc;

/* Validates the items and computes the figures; -1 answered. */
static int compute(request *req, reply *r, store_txn *t, refund_calc *rc)
{
	rf_line *lines = arena_calloc(req->mem, t->nlines ? t->nlines : 1, sizeof *lines);
	rf_item *items = req->has_items
		? arena_calloc(req->mem, req->nrefund_items ? req->nrefund_items : 1, sizeof *items) : NULL;
	if (!lines || (req->has_items && !items)) {
		reply_error(r, "internal", "out of memory");
		return -1;
	}
	for (uint32_t i = 0; i < t->nlines; i++)
		lines[i] = (rf_line){ t->lines[i].sku.p, t->lines[i].sku.n, t->lines[i].qty,
			t->lines[i].net, t->lines[i].refunded_qty, t->lines[i].refunded_net };
	for (uint32_t i = 0; items && i < req->nrefund_items; i++)
		items[i] = (rf_item){ req->refund_items[i].sku.p, req->refund_items[i].sku.n,
			req->refund_items[i].qty };
	uint32_t bad = 0;
	switch (rf_apply(lines, t->nlines, items, req->has_items ? req->nrefund_items : 0,
			&rc->net, &rc->completing, &bad)) {
	case RF_OK:
		break;
	case RF_UNKNOWN_SKU:
		reply_error(r, "bad_request", "items[%u].sku %.*s is not in purchase %.*s", bad,
			SHOW(req->refund_items[bad].sku), SHOW(t->txn));
		return -1;
	case RF_TOO_MANY:
		reply_error(r, "bad_request", "items[%u].qty is more units of %.*s than remain to refund in purchase %.*s",
			bad, SHOW(req->refund_items[bad].sku), SHOW(t->txn));
		return -1;
	case RF_NOTHING_LEFT:
		reply_error(r, "bad_request", "original_txn %.*s is already refunded in full", SHOW(t->txn));
		return -1;
	}
	rc->reversed = rf_take(t->earned, t->reversed, rc->net, t->net, rc->completing);
	rc->restored = rf_take(t->redeemed, t->restored, rc->net, t->net, rc->completing);
	rc->spend_back = rf_take(t->total, t->spend_back, rc->net, t->net, rc->completing);
	rc->referrer_back = rc->completing ? t->referrer_credit - t->referrer_back : 0;
	for (uint32_t i = 0; i < t->nlines; i++) {
		t->lines[i].refunded_qty = lines[i].refunded_qty;
		t->lines[i].refunded_net = lines[i].refunded_net;
	}
	t->refunded_net += rc->net;
	t->reversed += rc->reversed;
	t->restored += rc->restored;
	t->spend_back += rc->spend_back;
	t->referrer_back += rc->referrer_back;
	t->complete = rc->completing;
	return 0;
}

/* The customer's side: ledger, spend, tier. Fills the tier indexes. */
static int apply_customer(op_ctx *ctx, request *req, store_cust *c, const store_txn *t,
	const refund_calc *rc, int64_t ts, int *before, int *after)
{
	store *s = ctx->store;
	const program *p = ctx->prog;
	const char *rv = program_version(p);
	rl_customer v;
	if (opc_customer_view(p, c, ts, req->mem, &v) < 0)
		return -1;
	*before = rl_tier_at(p, &v, ts, false, NULL);
	if (store_ledger_add(s, c, c->id, c->idlen, "reversal", -rc->reversed, req->txn.p, req->txn.n,
			rv, ts, NULL, 0) < 0
	    || store_ledger_add(s, c, c->id, c->idlen, "restore", rc->restored, req->txn.p, req->txn.n,
			rv, ts, NULL, 0) < 0)
		return -1;
	c->lifetime_spend -= rc->spend_back;
	if (rc->spend_back && store_cust_add_spend(s, c, t->ts, -rc->spend_back, req->txn.p, req->txn.n) < 0)
		return -1;
	/* the purchase that lifted the customer into its tier loses that grace */
	if (c->lifted_txn && c->tier && strlen(c->lifted_txn) == t->txn.n
	    && memcmp(c->lifted_txn, t->txn.p, t->txn.n) == 0) {
		if (store_cust_set_tierq(s, c, c->tier, 0) < 0)
			return -1;
		free(c->lifted_txn);
		c->lifted_txn = NULL;
	}
	if (opc_customer_view(p, c, ts, req->mem, &v) < 0)
		return -1;
	uint32_t nt = program_ntiers(p);
	int64_t *q = arena_calloc(req->mem, nt ? nt : 1, sizeof *q);
	if (!q)
		return -1;
	*after = rl_tier_at(p, &v, ts, true, q);
	for (uint32_t i = 0; i < nt; i++)
		if (store_cust_set_tierq(s, c, program_tier_name(p, i), q[i]) < 0)
			return -1;
	if (*after >= 0) {
		const char *name = program_tier_name(p, (uint32_t)*after);
		if (!c->tier || strcmp(c->tier, name) != 0) {
			char *n = strdup(name);
			if (!n)
				return -1;
			free(c->tier);
			c->tier = n;
			c->tier_since = ts;
		}
	}
	return store_cust_save(s, c);
}

void op_refund(op_ctx *ctx, request *req, reply *r)
{
	if (opc_check_txn(ctx, req, r, "refund"))
		return;
	if (!req->original_txn.p) {
		reply_error(r, "bad_request", "original_txn is required");
		return;
	}
	store *s = ctx->store;
	store_txn t;
	int rc = store_txn_get(s, req->original_txn.p, req->original_txn.n, req->mem, &t);
	if (rc < 0) {
		reply_error(r, "unavailable", "the store could not be read: %s", store_errmsg(s));
		return;
	}
	if (rc == 1) {
		reply_error(r, "not_found", "original_txn %.*s does not exist", SHOW(req->original_txn));
		return;
	}
	if (strcmp(t.op, "purchase") != 0) {
		reply_error(r, "bad_request", "original_txn %.*s is a %s, not a purchase", SHOW(req->original_txn), t.op);
		return;
	}
	refund_calc calc;
	if (compute(req, r, &t, &calc) < 0)
		return;
	int64_t ts = opc_ts(ctx, req);
	store_cust *c = NULL;
	if (t.customer.p && store_cust_get(s, t.customer.p, t.customer.n, &c) < 0) {
		reply_error(r, "unavailable", "the store could not be read: %s", store_errmsg(s));
		return;
	}
	store_cust *ref = NULL;
	if (calc.referrer_back > 0 && t.referrer.p && store_cust_get(s, t.referrer.p, t.referrer.n, &ref) != 0)
		ref = NULL;
	opc_pending *pd = opc_write_begin(ctx, req, r, NULL);
	if (!pd)
		return;
	const char *rv = program_version(ctx->prog);
	int before = -1, after = -1;
	int64_t balance = 0;
	bool fail = false;
	if (c) {
		fail = apply_customer(ctx, req, c, &t, &calc, ts, &before, &after) < 0;
		balance = c->points;
	} else if (t.customer.p) {
		/* forgotten: the anonymous ledger only */
		fail = store_ledger_add(s, NULL, t.customer.p, t.customer.n, "reversal", -calc.reversed,
				req->txn.p, req->txn.n, rv, ts, NULL, 0) < 0
			|| store_ledger_add(s, NULL, t.customer.p, t.customer.n, "restore", calc.restored,
				req->txn.p, req->txn.n, rv, ts, NULL, 0) < 0
			|| store_ledger_sum(s, t.customer.p, t.customer.n, &balance) < 0;
	}
	if (!fail && ref)
		fail = store_ledger_add(s, ref, ref->id, ref->idlen, "referral_reversal", -calc.referrer_back,
				req->txn.p, req->txn.n, rv, ts, NULL, 0) < 0
			|| store_cust_save(s, ref) < 0;
	if (!fail && !ref)
		t.referrer_back -= calc.referrer_back; /* nobody to take it from */
	if (fail || store_txn_update_refunds(s, &t) < 0) {
		opc_unavailable(ctx, r);
		return;
	}
	yajl_gen g = reply_begin(r);
	reply_str(g, "txn", req->txn.p, req->txn.n);
	reply_str(g, "original_txn", req->original_txn.p, req->original_txn.n);
	if (t.customer.p)
		reply_str(g, "customer", t.customer.p, t.customer.n);
	reply_int(g, "refunded_net", calc.net);
	if (t.customer.p) {
		reply_key(g, "points");
		yajl_gen_map_open(g);
		reply_int(g, "reversed", calc.reversed);
		reply_int(g, "restored", calc.restored);
		reply_int(g, "balance", balance);
		yajl_gen_map_close(g);
	}
	if (c) {
		const program *p = ctx->prog;
		reply_key(g, "tier");
		yajl_gen_map_open(g);
		if (before >= 0)
			opc_str(g, "before", program_tier_name(p, (uint32_t)before));
		if (after >= 0)
			opc_str(g, "after", program_tier_name(p, (uint32_t)after));
		reply_bool(g, "changed", before != after);
		yajl_gen_map_close(g);
	}
	opc_field_warnings(r, g, req);
	store_txn rt = { .txn = req->txn, .op = "refund", .content_hash = req->content_hash,
		.customer = t.customer, .ts = ts, .net = calc.net };
	if (opc_txn_put(ctx, r, &rt) < 0)
		return;
	reply_defer(r);
	store_write_end(s, opc_commit_done, pd);
}
