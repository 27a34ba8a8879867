/* engine/op_customer.c — `customer`: the profile as protocol.md shows it,
 * tier and segments evaluated at the server's clock. Reads only. */
#include "engine/op_common.h"

void op_customer(op_ctx *ctx, request *req, reply *r)
{
	if (!req->customer.p) {
		reply_error(r, "bad_request", "customer is required");
		return;
	}
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
	yajl_gen g = reply_begin(r);
	opc_write_profile(g, ctx->prog, c, ctx->now, req->mem);
	reply_end(r);
}
