/* engine/op_adjust.c — `adjust` (admin): a manual points change with its
 * reason, one ledger entry, idempotent on txn like a purchase. */
#include "engine/op_common.h"

void op_adjust(op_ctx *ctx, request *req, reply *r)
{
	if (opc_check_txn(ctx, req, r, "adjust"))
		return;
	if (!req->customer.p) {
		reply_error(r, "bad_request", "customer is required");
		return;
	}
	if (!req->has_points) {
		reply_error(r, "bad_request", "points is required");
		return;
	}
	int64_t ts = opc_ts(ctx, req);
	store_cust *c;
	int rc = store_cust_get(ctx->store, req->customer.p, req->customer.n, &c);
	if (rc < 0) {
		reply_error(r, "unavailable", "the store could not be read: %s", store_errmsg(ctx->store));
		return;
	}
	if (rc == 1) {
		reply_error(r, "not_found", "customer %.*s does not exist",
			(int)(req->customer.n > 200 ? 200 : req->customer.n), req->customer.p);
		return;
	}
	opc_pending *pd = opc_pending_new(ctx, req, r, NULL);
	if (!pd) {
		reply_error(r, "internal", "out of memory");
		return;
	}
	if (store_write_begin(ctx->store) < 0) {
		reply_error(r, "unavailable", "the store could not be written: %s; the request had no effect",
			store_errmsg(ctx->store));
		return;
	}
	if (store_ledger_add(ctx->store, c, c->id, c->idlen, "adjust", req->points, req->txn.p, req->txn.n,
			program_version(ctx->prog), ts, req->reason.p, req->reason.n) < 0
	    || store_cust_save(ctx->store, c) < 0) {
		opc_unavailable(ctx, r);
		return;
	}
	yajl_gen g = reply_begin(r);
	reply_str(g, "txn", req->txn.p, req->txn.n);
	reply_str(g, "customer", c->id, c->idlen);
	reply_key(g, "points");
	yajl_gen_map_open(g);
	reply_int(g, "adjusted", req->points);
	reply_int(g, "balance", c->points);
	yajl_gen_map_close(g);
	if (req->nwarnings) {
		reply_key(g, "warnings");
		yajl_gen_array_open(g);
		reply_field_warnings(r, g);
		yajl_gen_array_close(g);
	}
	size_t alen;
	const char *ans = reply_members(r, &alen);
	store_txn t = { .txn = req->txn, .op = "adjust", .content_hash = req->content_hash,
		.customer = req->customer, .answer = { ans, (uint32_t)alen }, .ts = ts };
	if (store_txn_put(ctx->store, &t) < 0) {
		opc_unavailable(ctx, r);
		return;
	}
	reply_defer(r);
	store_write_end(ctx->store, opc_commit_done, pd);
}
