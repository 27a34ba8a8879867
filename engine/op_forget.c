/* engine/op_forget.c — `forget` (admin): erases the customer's profile and
 * attributes; the ledger and transactions stay, under a fresh anonymous id
 * (named in the answer as "anonymous_id"). A later request for the id
 * starts a new customer. */
#include <string.h>

#include "engine/op_common.h"

void op_forget(op_ctx *ctx, request *req, reply *r)
{
	store_cust *c = opc_existing_customer(ctx, req, r);
	if (!c)
		return;
	opc_pending *pd = opc_write_begin(ctx, req, r, NULL);
	if (!pd)
		return;
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
