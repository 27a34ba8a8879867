/* engine/op_enroll.c — `enroll`: creates the customer at the lowest tier
 * (recording referred_by, only now), or merges attrs into an existing one
 * (null removes). Answers the profile plus "created", once durable. */
#include <stdlib.h>
#include <string.h>

#include "engine/op_common.h"

void op_enroll(op_ctx *ctx, request *req, reply *r)
{
	if (req->customer.p && req->referred_by.p && req->referred_by.n == req->customer.n
	    && memcmp(req->referred_by.p, req->customer.p, req->customer.n) == 0) {
		reply_error(r, "bad_request", "referred_by names the customer itself");
		return;
	}
	int64_t ts = opc_ts(ctx, req);
	store_cust *c;
	int rc = opc_find_customer(ctx, req, r, &c);
	if (rc < 0)
		return;
	if (rc == 1 && opc_check_new_id(ctx, req->customer, r) < 0)
		return;
	opc_pending *pd = opc_write_begin(ctx, req, r, NULL);
	if (!pd)
		return;
	bool created = rc == 1;
	if (created) {
		c = store_cust_create(ctx->store, req->customer.p, req->customer.n, ts,
			req->referred_by.p, req->referred_by.n);
		if (!c) {
			opc_unavailable(ctx, r);
			return;
		}
		if (program_ntiers(ctx->prog) > 0) {
			c->tier = strdup(program_tier_name(ctx->prog, 0));
			c->tier_since = ts;
		}
	}
	if (store_cust_merge_attrs(c, req->attrs, req->nattrs) < 0 || store_cust_save(ctx->store, c) < 0) {
		opc_unavailable(ctx, r);
		return;
	}
	yajl_gen g = reply_begin(r);
	opc_write_profile(g, ctx->prog, c, ctx->now, req->mem);
	reply_bool(g, "created", created);
	reply_defer(r);
	store_write_end(ctx->store, opc_commit_done, pd);
}
