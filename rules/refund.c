/* rules/refund.c — refund arithmetic (see refund.h). Every figure is an
 * int64 of minor units or points; products go through __int128 so that
 * 10^12 prices times 10^6 units cannot overflow. */
#include <string.h>

#include "rules/refund.h"

int64_t rf_line_refund(int64_t net, int64_t qty, int64_t refunded_qty,
	int64_t refunded_net, int64_t k)
{
	if (refunded_qty + k >= qty)
		return net - refunded_net;
	if (qty <= 0)
		return 0;
	return (int64_t)(((__int128)net * k) / qty);
}

int64_t rf_share(int64_t amount, int64_t part, int64_t whole)
{
	if (whole <= 0 || amount <= 0 || part <= 0)
		return 0;
	__int128 num = (__int128)amount * part;
	return (int64_t)((2 * num + whole) / (2 * (__int128)whole));
}

int64_t rf_take(int64_t amount, int64_t taken, int64_t part, int64_t whole, bool completing)
{
	int64_t left = amount - taken;
	if (left <= 0)
		return 0;
	if (completing)
		return left;
	int64_t s = rf_share(amount, part, whole);
	return s < left ? s : left;
}

static int64_t take_units(rf_line *l, int64_t k)
{
	int64_t r = rf_line_refund(l->net, l->qty, l->refunded_qty, l->refunded_net, k);
	l->refunded_qty += k;
	l->refunded_net += r;
	return r;
}

rf_status rf_apply(rf_line *lines, uint32_t nlines, const rf_item *items,
	uint32_t nitems, int64_t *refunded_net, bool *completing, uint32_t *bad)
{
	int64_t total = 0;
	*bad = 0;
	if (!items) {
		bool any = false;
		for (uint32_t i = 0; i < nlines; i++) {
			int64_t k = lines[i].qty - lines[i].refunded_qty;
			if (k > 0) {
				total += take_units(&lines[i], k);
				any = true;
			}
		}
		if (!any)
			return RF_NOTHING_LEFT;
	} else {
		for (uint32_t it = 0; it < nitems; it++) {
			const rf_item *q = &items[it];
			int64_t avail = 0;
			bool found = false;
			for (uint32_t i = 0; i < nlines; i++)
				if (lines[i].skulen == q->skulen && memcmp(lines[i].sku, q->sku, q->skulen) == 0) {
					found = true;
					avail += lines[i].qty - lines[i].refunded_qty;
				}
			*bad = it;
			if (!found)
				return RF_UNKNOWN_SKU;
			if (q->qty > avail)
				return RF_TOO_MANY;
			int64_t k = q->qty;
			for (uint32_t i = 0; i < nlines && k > 0; i++) {
				if (lines[i].skulen != q->skulen || memcmp(lines[i].sku, q->sku, q->skulen) != 0)
					continue;
				int64_t left = lines[i].qty - lines[i].refunded_qty;
				int64_t t = left < k ? left : k;
				if (t > 0) {
					total += take_units(&lines[i], t);
					k -= t;
				}
			}
		}
	}
	bool done = true;
	for (uint32_t i = 0; i < nlines; i++)
		if (lines[i].refunded_qty < lines[i].qty)
			done = false;
	*refunded_net = total;
	*completing = done;
	return RF_OK;
}
