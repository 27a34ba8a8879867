/* engine/op_stats.c — `stats`: the counters since start (engine/stats.c). */
#include "engine/ops.h"
#include "engine/server.h"

void op_stats(op_ctx *ctx, request *req, reply *r)
{
	yajl_gen g = reply_begin(r);
	stats_write(ctx->srv, ctx->prog, g);
	reply_end(r);
}
