/* engine/op_adjust.c — `adjust` (admin): a manual points change with its
 * reason, one ledger entry, idempotent on txn like a purchase. */
#include "engine/op_common.h"

void op_adjust(op_ctx *ctx, request *req, reply *r)
{
	if (opc_check_txn(ctx, req, r, "adjust"))
		return;
	if (!req->has_points) {
		reply_error(r, "bad_request", "points is required");
		return;
	}
	int64_t ts = opc_ts(ctx, req);
	store_cust *c = opc_existing_customer(ctx, req, r);
	if (!c)
		return;
	opc_pending *pd = opc_write_begin(ctx, req, r, NULL);
	if (!pd)
		return;
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
	opc_field_warnings(r, g, req);
	store_txn t = { .txn = req->txn, .op = "adjust", .content_hash = req->content_hash,
		.customer = req->customer, .ts = ts };
	if (opc_txn_put(ctx, r, &t) < 0)
		return;
	reply_defer(r);
	store_write_end(ctx->store, opc_commit_done, pd);
}
