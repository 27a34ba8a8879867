/* engine/op_ping.c — `ping`: the daemon's version and the rules version of
 * the generation this request runs on. */
#include <string.h>

#include <config.h>
#include "engine/ops.h"

void op_ping(op_ctx *ctx, request *req, reply *r)
{
	yajl_gen g = reply_begin(r);
	reply_str(g, "version", PACKAGE_VERSION, strlen(PACKAGE_VERSION));
	const char *v = program_version(ctx->prog);
	reply_str(g, "rules_version", v, strlen(v));
	reply_end(r);
}
