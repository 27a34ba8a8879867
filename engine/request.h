/* engine/request.h — one decoded protocol request (protocol.md), as the
 * streaming JSON decoder (engine/decode.c) leaves it for the op handlers
 * (engine/op_*.c). All memory lives in the request's arena and is freed
 * when its answer has been written.
 *
 * The decoder has already checked every type and bound of protocol.md
 * ("bounds", "integer fields"); handlers check only what needs state
 * (unknown customer, txn conflicts, balances). */
#ifndef ENGINE_REQUEST_H
#define ENGINE_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "lang/arena.h"
#include "rules/model.h"

typedef enum op_kind {
	/* ORDER: op_names[] in engine/request.c */
	OP_PING = 0,
	OP_ENROLL,
	OP_CUSTOMER,
	OP_QUOTE,
	OP_PURCHASE,
	OP_REFUND,
	OP_ADJUST,
	OP_FORGET,
	OP_RELOAD,
	OP_STATS,
	OP__COUNT
} op_kind;

extern const char *const op_names[OP__COUNT];
bool op_is_admin(op_kind op);

typedef struct req_refund_item {
	rl_str sku;
	int64_t qty;
} req_refund_item;

/* An unknown field, listed in the answer's warnings (protocol.md). */
typedef struct req_warning {
	const char *field; /* "items[0].colour", NUL-terminated, in the arena */
} req_warning;

typedef struct request {
	arena *mem;
	op_kind op;

	/* "id": the value re-serialized as compact JSON, echoed verbatim. */
	bool has_id;
	const char *id_json;
	size_t id_len;

	rl_str txn;            /* purchase, refund, adjust */
	rl_str customer;       /* .p == NULL when absent */
	rl_str original_txn;   /* refund */
	rl_str referred_by;    /* enroll */
	rl_str reason;         /* adjust */

	bool has_ts;           /* absent: the handler uses the server clock */
	int64_t ts;

	/* quote / purchase: items, coupons, channel, store, redeem_points,
	 * attrs (basket.ts is filled by the handler from ts or the clock). */
	rl_basket basket;

	/* enroll: attrs to merge (EV_NULL removes); quote/purchase use
	 * basket.attrs instead. */
	const rl_attr *attrs;
	uint32_t nattrs;

	/* refund */
	bool has_items;
	const req_refund_item *refund_items;
	uint32_t nrefund_items;

	/* adjust */
	bool has_points;
	int64_t points;

	const req_warning *warnings;
	uint32_t nwarnings;

	/* Hash of everything the request says except "id", over the decoded
	 * values (so key order and whitespace do not matter): two requests with
	 * one txn are the same purchase exactly when these are equal. Computed
	 * for the ops that take a txn (purchase, refund, adjust); 0 otherwise. */
	uint64_t content_hash;
} request;

#endif
