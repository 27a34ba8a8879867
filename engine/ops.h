/* engine/ops.h — the op handlers: one function per protocol op, each in its
 * own file engine/op_<name>.c. The connection layer (engine/conn.c) decodes
 * a request, checks admin rights, and calls the handler with the program
 * generation that was current when the request was read; the handler
 * answers through the reply (engine/reply.h), now or after a commit. */
#ifndef ENGINE_OPS_H
#define ENGINE_OPS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/reply.h"
#include "engine/request.h"
#include "rules/program.h"

struct server;
struct store;

typedef struct op_ctx {
	struct server *srv;
	const program *prog;   /* held for the whole request, even across a reload */
	struct store *store;
	int64_t now;           /* server clock at read time, Unix seconds */
	uid_t peer_uid;
	gid_t peer_gid;
} op_ctx;

typedef void (*op_handler)(op_ctx *ctx, request *req, reply *r);

void op_ping(op_ctx *ctx, request *req, reply *r);
void op_enroll(op_ctx *ctx, request *req, reply *r);
void op_customer(op_ctx *ctx, request *req, reply *r);
void op_quote(op_ctx *ctx, request *req, reply *r);
void op_purchase(op_ctx *ctx, request *req, reply *r);
void op_refund(op_ctx *ctx, request *req, reply *r);
void op_adjust(op_ctx *ctx, request *req, reply *r);
void op_forget(op_ctx *ctx, request *req, reply *r);
void op_reload(op_ctx *ctx, request *req, reply *r);
void op_stats(op_ctx *ctx, request *req, reply *r);

extern const op_handler op_handlers[OP__COUNT];

#endif
