/* engine/op_reload.c — `reload` (admin): hands the reply to the reload
 * machinery (engine/generation.c), which answers it when the load ends. */
#include "engine/generation.h"
#include "engine/ops.h"

void op_reload(op_ctx *ctx, request *req, reply *r)
{
	reload_request(ctx->srv, r);
}
