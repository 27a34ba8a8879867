/* engine/op_customer.c — `customer`: the profile as protocol.md shows it,
 * tier and segments evaluated at the server's clock. Reads only. */
#include "engine/op_common.h"

void op_customer(op_ctx *ctx, request *req, reply *r)
{
	store_cust *c = opc_existing_customer(ctx, req, r);
	if (!c)
		return;
	yajl_gen g = reply_begin(r);
	opc_write_profile(g, ctx->prog, c, ctx->now, req->mem);
	reply_end(r);
}
