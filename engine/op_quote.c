/* engine/op_quote.c — `quote`: what a purchase of this basket would give,
 * committing nothing (no state, no counters, no exposure, no limit
 * counted). An unknown customer is evaluated as the new customer a
 * purchase would enroll; the balance and tier shown are the purchase's. */
#include "engine/answer.h"
#include "engine/op_common.h"

void op_quote(op_ctx *ctx, request *req, reply *r)
{
	opc_basket b;
	if (opc_eval_basket(ctx, req, r, &b) < 0)
		return;
	aw w;
	reply_begin_aw(r, &w);
	const char *referrer = b.referrer ? b.referrer->id : NULL;
	opc_write_outcome(&w, ctx->prog, req, b.anonymous ? NULL : &b.view, &b.out,
		b.balance_after, referrer);
	reply_end(r);
}
