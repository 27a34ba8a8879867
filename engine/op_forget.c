/* engine/op_forget.c — `forget` (admin): erases the customer's profile and
 * attributes; the ledger and transactions stay, under a fresh anonymous id
 * (named in the answer as "anonymous_id"). A later request for the id
 * starts a new customer. */
#include <string.h>

#include "engine/op_common.h"

void op_forget(op_ctx *ctx, request *req, reply *r)
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
	char anon[64];
	if (store_cust_forget(ctx->store, c, anon, sizeof anon) < 0) {
		opc_unavailable(ctx, r);
		return;
	}
	yajl_gen g = reply_begin(r);
	reply_str(g, "customer", req->customer.p, req->customer.n);
	reply_str(g, "anonymous_id", anon, strlen(anon));
	reply_defer(r);
	store_write_end(ctx->store, opc_commit_done, pd);
}
