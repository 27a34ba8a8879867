/* rules/refund.h — the arithmetic of refunds (protocol.md, `refund` and
 * "Edge cases, decided"): which units of which lines a refund takes, the
 * net it refunds, and the share of points, redeemed points, spend and
 * referrer credit it takes back. Pure integer arithmetic, no I/O, no
 * state: the engine (engine/op_refund.c) loads and stores the figures. */
#ifndef RULES_REFUND_H
#define RULES_REFUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One line of the original purchase, with what earlier refunds took. */
typedef struct rf_line {
	const char *sku;
	size_t skulen;
	int64_t qty, net;               /* as bought: net after discounts */
	int64_t refunded_qty, refunded_net;
} rf_line;

typedef struct rf_item {
	const char *sku;
	size_t skulen;
	int64_t qty;                    /* >= 1 */
} rf_item;

typedef enum rf_status {
	RF_OK = 0,
	RF_UNKNOWN_SKU,   /* items[bad].sku is not in the purchase */
	RF_TOO_MANY,      /* items[bad].qty: more units than remain */
	RF_NOTHING_LEFT,  /* whole refund of a purchase already fully refunded */
} rf_status;

/* Refunds `k` units of a line: floor(net × k / qty), or, when they are
 * the line's last units, exactly the rest of its net. */
int64_t rf_line_refund(int64_t net, int64_t qty, int64_t refunded_qty,
	int64_t refunded_net, int64_t k);

/* round_half_up(amount × part / whole) for amount, part >= 0, whole > 0
 * (0 when whole <= 0), with 128-bit intermediates. */
int64_t rf_share(int64_t amount, int64_t part, int64_t whole);

/* What a refund takes back of `amount` when `taken` was taken already:
 * the share part/whole, never more than remains; the completing refund
 * takes exactly what remains. */
int64_t rf_take(int64_t amount, int64_t taken, int64_t part, int64_t whole, bool completing);

/* Applies a refund to `lines` (updating refunded_qty/_net): `items` in
 * request order (units of a SKU come from its lines in purchase order),
 * or every remaining unit when items == NULL. On success *refunded_net is
 * this refund's net and *completing tells whether no unit remains. On
 * failure *bad is the item index and lines may be partly changed (the
 * caller works on a copy). */
rf_status rf_apply(rf_line *lines, uint32_t nlines, const rf_item *items,
	uint32_t nitems, int64_t *refunded_net, bool *completing, uint32_t *bad);

#endif
