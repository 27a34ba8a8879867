/* engine/op_common.h — what several op handlers share: the customer as
 * rules/ sees it (rl_customer) built from the store's record, the answer
 * of quote/purchase written from an rl_outcome, RFC 3339 times in the
 * program's timezone, and the completion of a deferred (committed)
 * answer. Handlers stay small: fetch, decide, write, commit. */
#ifndef ENGINE_OP_COMMON_H
#define ENGINE_OP_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include <yajl/yajl_gen.h>

#include "engine/conn.h"  /* reply_field_warnings */
#include "engine/ops.h"
#include "engine/store.h"
#include "rules/model.h"
#include "rules/program.h"

/* The request's ts, or the server clock when absent. */
static inline int64_t opc_ts(const op_ctx *ctx, const request *req)
{
	return req->has_ts ? req->ts : ctx->now;
}

/* rl_customer of a stored customer at time ts (arrays in mem). */
int opc_customer_view(const program *p, const store_cust *c, int64_t ts, arena *mem, rl_customer *out);
/* rl_customer of a customer that does not exist yet (enrolled at ts). */
int opc_new_customer_view(const program *p, rl_str id, int64_t ts, arena *mem, rl_customer *out);

/* Which tier index c holds (by its committed name); -1 unknown. */
int opc_tier_index(const program *p, const char *name);

/* `"key":"2026-03-02T10:15:00+05:30"` */
void opc_time(yajl_gen g, const program *p, const char *key, int64_t ts);
void opc_str(yajl_gen g, const char *key, const char *s);

/* The quote/purchase answer members after "ok" (and "txn"): customer,
 * money, lines, applied, points, tier, segments, experiments, coupons,
 * messages, warnings, rules_version, with the writer of engine/answer.h
 * (reply_begin_aw). `cust` NULL for an anonymous basket;
 * `referrer` the id credited with referrer bonus points (NULL: none). */
struct aw;
void opc_write_outcome(struct aw *w, const program *p, const request *req,
	const rl_customer *cust, const rl_outcome *o, int64_t balance_after, const char *referrer);

/* The customer profile members (customer op, enroll). */
void opc_write_profile(yajl_gen g, const program *p, const store_cust *c, int64_t now, arena *mem);

/* Completes a deferred answer after its commit: reply_end on success,
 * `unavailable` otherwise. Allocate with opc_pending_new (in req->mem). */
typedef struct opc_pending {
	reply *r;
	op_ctx ctx;            /* copied: the handler's ctx is gone by then */
	const rl_outcome *outcome; /* counted in stats when committed, or NULL */
	bool stored;           /* replay: the answer is already complete */
} opc_pending;
opc_pending *opc_pending_new(op_ctx *ctx, request *req, reply *r, const rl_outcome *o);
void opc_commit_done(void *ud, bool ok);

/* Replays a stored txn answer (deferred behind the open group if any). */
void opc_replay(op_ctx *ctx, request *req, reply *r, const store_txn *t);

/* Answers `unavailable` after undoing the request's write. */
void opc_unavailable(op_ctx *ctx, reply *r);

/* The request's `customer`: 0 found (*out set), 1 no such customer, -1
 * when the request has been answered (customer missing, store error). */
int opc_find_customer(op_ctx *ctx, request *req, reply *r, store_cust **out);
/* Same, answering `not_found` for an unknown id: NULL when answered. */
store_cust *opc_existing_customer(op_ctx *ctx, request *req, reply *r);

/* Opens the request's write (its completion will answer through `r`);
 * NULL when the request has been answered instead. */
opc_pending *opc_write_begin(op_ctx *ctx, request *req, reply *r, const rl_outcome *o);

/* The "warnings" member for the request's unknown fields, when it has any. */
void opc_field_warnings(reply *r, yajl_gen g, const request *req);

/* Stores t with the answer written so far (for replays). -1 after
 * answering `unavailable`. */
int opc_txn_put(op_ctx *ctx, reply *r, store_txn *t);



/* quote and purchase: the customer (stored, new, or none), the
 * evaluation and its refusals. */
typedef struct opc_basket {
	int64_t ts;
	store_cust *c;         /* NULL: new customer or anonymous */
	bool anonymous;
	rl_customer view;
	rl_outcome out;
	store_cust *referrer;  /* the existing referrer of c, or NULL */
	int64_t balance_after;
} opc_basket;
/* 0 evaluated; -1 answered with an error already. */
int opc_eval_basket(op_ctx *ctx, request *req, reply *r, opc_basket *b);
/* A customer about to be created must not take a forgotten customer's
 * anonymous id: 0 free; -1 answered (bad_request or unavailable). */
int opc_check_new_id(op_ctx *ctx, rl_str id, reply *r);
/* txn lookup for purchase/refund/adjust: 0 new txn, 1 answered (replay,
 * conflict or error). */
int opc_check_txn(op_ctx *ctx, request *req, reply *r, const char *op);
#endif
