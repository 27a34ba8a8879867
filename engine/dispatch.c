/* engine/dispatch.c — the table from op to handler. ORDER: op_kind in
 * engine/request.h. */
#include "engine/ops.h"

const op_handler op_handlers[OP__COUNT] = {
	[OP_PING] = op_ping,
	[OP_ENROLL] = op_enroll,
	[OP_CUSTOMER] = op_customer,
	[OP_QUOTE] = op_quote,
	[OP_PURCHASE] = op_purchase,
	[OP_REFUND] = op_refund,
	[OP_ADJUST] = op_adjust,
	[OP_FORGET] = op_forget,
	[OP_RELOAD] = op_reload,
	[OP_STATS] = op_stats,
};
