/* rules/discount.c — the four discount kinds of rules.md ("Discounts",
 * "Discount details"), computed in exact integers: percent (round half up
 * from hundredths), amount (largest remainder, ties to the earlier line),
 * free and buy/get (cheapest units by unit price, ties to the earlier line,
 * price-0 units neither counted nor picked), then `max` shared over the
 * rule's lines in proportion to their uncapped discounts.
 *
 * A rule's discount is computed aside and committed only when nothing
 * failed, so a run-time error leaves the basket as it was. */
#define _GNU_SOURCE 1 /* qsort_r */
#include <stdlib.h>
#include <string.h>

#include "rules/eval_ctx.h"

static int64_t line_net(const rl_ctx *x, uint32_t i)
{
	return x->items[(size_t)i * IS_N + IS_NET].u.i;
}

/* qsort helpers see the context through these (evaluation is single-threaded
 * per context, but keep them re-entrant: qsort_r with the array). */
typedef struct ord_ctx {
	const int64_t *key;   /* ascending */
	bool desc;
} ord_ctx;

static int cmp_idx(const void *a, const void *b, void *ud)
{
	const ord_ctx *o = ud;
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	int64_t ki = o->key[i], kj = o->key[j];
	if (ki != kj)
		return (ki < kj) ^ o->desc ? -1 : 1;
	return i < j ? -1 : 1; /* ties to the earlier line */
}

static void sort_idx(uint32_t *idx, uint32_t n, const int64_t *key, bool desc)
{
	if (n < 16) { /* insertion sort: baskets are small */
		ord_ctx o = { key, desc };
		for (uint32_t a = 1; a < n; a++) {
			uint32_t t = idx[a], b = a;
			while (b > 0 && cmp_idx(&idx[b - 1], &t, &o) > 0) {
				idx[b] = idx[b - 1];
				b--;
			}
			idx[b] = t;
		}
		return;
	}
	ord_ctx o = { key, desc };
	qsort_r(idx, n, sizeof *idx, cmp_idx, &o);
}

void rl_share(rl_ctx *x, int64_t a, const int64_t *w, uint32_t n, int64_t *out)
{
	__int128 t = 0;
	for (uint32_t i = 0; i < n; i++)
		t += w[i];
	if (a <= 0 || t <= 0) {
		for (uint32_t i = 0; i < n; i++)
			out[i] = 0;
		return;
	}
	/* remainders go in x->w when w is not x->w itself: callers pass x->d */
	int64_t *rem = x->w == w ? NULL : x->w;
	int64_t given = 0;
	bool small = t < ((int64_t)1 << 31) && a < ((int64_t)1 << 31);
	for (uint32_t i = 0; i < n; i++) {
		if (small) { /* a × w < 2^62: 128-bit division is a libcall */
			int64_t prod = a * w[i], tt = (int64_t)t;
			out[i] = prod / tt;
			if (rem)
				rem[i] = prod % tt;
		} else {
			__int128 prod = (__int128)a * w[i];
			out[i] = (int64_t)(prod / t);
			if (rem)
				rem[i] = (int64_t)(prod % t);
		}
		given += out[i];
	}
	int64_t left = a - given;
	if (left <= 0)
		return;
	if (rem && (uint64_t)left * n <= 256) {
		/* a few units left (fewer than the lines of positive weight,
		 * since each remainder is under one): each to the largest
		 * remainder not served yet, ties to the earlier line — the sort
		 * below, without sorting */
		for (; left > 0; left--) {
			uint32_t best = n;
			for (uint32_t i = 0; i < n; i++)
				if (w[i] > 0 && rem[i] >= 0 && (best == n || rem[i] > rem[best]))
					best = i;
			if (best == n)
				break;
			out[best]++;
			rem[best] = -1;
		}
		return;
	}
	uint32_t m = 0;
	for (uint32_t i = 0; i < n; i++)
		if (w[i] > 0)
			x->idx[m++] = i;
	sort_idx(x->idx, m, rem, true);
	for (uint32_t k = 0; k < m && left > 0; k++, left--)
		out[x->idx[k]]++;
}

/* The `k` cheapest eligible units (price > 0) free: each adds min(price,
 * remaining line net), so a line gives min(units × price, net). */
static void free_units(rl_ctx *x, int64_t k)
{
	const rl_basket *b = x->b;
	uint32_t m = 0;
	for (uint32_t i = 0; i < b->nitems; i++) {
		x->d[i] = 0;
		if (x->elig[i] && b->items[i].price > 0)
			x->idx[m++] = i;
	}
	for (uint32_t i = 0; i < b->nitems; i++)
		x->w[i] = b->items[i].price;
	sort_idx(x->idx, m, x->w, false);
	for (uint32_t a = 0; a < m && k > 0; a++) {
		uint32_t i = x->idx[a];
		int64_t t = b->items[i].qty < k ? b->items[i].qty : k;
		k -= t;
		__int128 give = (__int128)t * b->items[i].price;
		int64_t net = line_net(x, i);
		x->d[i] = give < net ? (int64_t)give : net;
	}
}

static int money_value(rl_ctx *x, const rl_code *c, const char *what, int64_t *out)
{
	expr_value v;
	if (c->kind == RC_CONST && c->k.t == EV_INT) {
		*out = c->k.u.i < 0 ? 0 : c->k.u.i;
		return 0;
	}
	if (rl_code_eval(x, c, -1, c->k, &v))
		return -1;
	if (v.t == EV_INT)
		*out = v.u.i;
	else if (v.t == EV_FLOAT && v.u.f > -9.2e18 && v.u.f < 9.2e18) {
		int64_t i = (int64_t)v.u.f;
		*out = (double)i > v.u.f ? i - 1 : i;
	} else
		return expr_frame_error(&x->f, "%s must be a number", what);
	if (*out < 0)
		*out = 0;
	return 0;
}

/* Percent of one line's net, rounded half up from hundredths of a percent,
 * at most the net. */
static inline int64_t percent_of(int64_t net, int64_t pct_x100)
{
	int64_t d;
	if (net < ((int64_t)1 << 49)) /* fits: 128-bit division is a libcall */
		d = (net * pct_x100 + 5000) / 10000;
	else
		d = (int64_t)(((__int128)net * pct_x100 + 5000) / 10000);
	return d > net ? net : d;
}

/* x->d[0..n) taken off the lines and the running net. */
static void commit(rl_ctx *x, uint32_t n, int64_t total)
{
	for (uint32_t i = 0; i < n; i++) {
		if (!x->d[i])
			continue;
		x->disc[i] += x->d[i];
		x->items[(size_t)i * IS_N + IS_NET].u.i -= x->d[i];
	}
	x->net -= total;
	rl_set_int(&x->vars[VS_NET], x->net);
}

static __attribute__((noinline)) int apply_general(rl_ctx *x, const rl_rule *r, int64_t *given);

/* The eligible lines as a mask when that costs nothing much: a shared
 * predicate with the 64-line memo, or no `items:` on a basket of at most 64
 * lines. 1 and *mask; 0 when the line-by-line path must ask; -1 on a
 * run-time error of the predicate (as the line-by-line path would meet it
 * first too). */
static inline int elig_mask(rl_ctx *x, const rl_discount *dk, uint32_t n, uint64_t *mask)
{
	if (dk->items_pred >= 0) {
		if (!x->pbits)
			return 0;
		return rl_pred_mask(x, (uint32_t)dk->items_pred, mask) ? -1 : 1;
	}
	if (dk->items.kind != RC_NONE || n > 64)
		return 0;
	*mask = n == 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
	return 1;
}

/* percent, amount and buy/get without `max` over a mask of lines: what the
 * general path computes, without its per-line flags (most rules of a
 * program). */
int rl_discount_apply(rl_ctx *x, const rl_rule *r, int64_t *given)
{
	const rl_discount *dk = &r->disc;
	uint32_t n = x->b->nitems;
	uint64_t m;
	int mk;
	if (dk->max.kind != RC_NONE || dk->kind == DK_FREE || (mk = elig_mask(x, dk, n, &m)) == 0)
		return apply_general(x, r, given);
	*given = 0;
	if (mk < 0)
		return -1;
	if (dk->kind == DK_AMOUNT) {
		/* shared over the eligible lines' nets (evaluated even when none
		 * is eligible, for its errors) */
		int64_t a, t = 0;
		if (money_value(x, &dk->amount, "amount", &a))
			return -1;
		for (uint32_t i = 0; i < n; i++) {
			x->wt[i] = m >> i & 1 ? line_net(x, i) : 0;
			t += x->wt[i];
		}
		if (a > t)
			a = t;
		rl_share(x, a, x->wt, n, x->d);
		int64_t total = 0;
		for (uint32_t i = 0; i < n; i++)
			total += x->d[i];
		commit(x, n, total);
		*given = total;
		return 0;
	}
	if (dk->kind == DK_PERCENT) {
		int64_t total = 0;
		for (; m; m &= m - 1) {
			uint32_t i = (uint32_t)__builtin_ctzll(m);
			int64_t *net = &x->items[(size_t)i * IS_N + IS_NET].u.i;
			int64_t d = percent_of(*net, dk->percent_x100);
			x->disc[i] += d;
			*net -= d;
			total += d;
		}
		if (total) {
			x->net -= total;
			rl_set_int(&x->vars[VS_NET], x->net);
		}
		*given = total;
		return 0;
	}
	/* buy/get: the units first; mostly too few, and nothing to do */
	const rl_item *it = x->b->items;
	int64_t u = 0;
	for (uint64_t mm = m; mm; mm &= mm - 1) {
		uint32_t i = (uint32_t)__builtin_ctzll(mm);
		if (it[i].price > 0)
			u += it[i].qty;
	}
	int64_t k = u / (dk->buy + dk->get) * dk->get;
	if (k <= 0)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		x->elig[i] = m >> i & 1;
	free_units(x, k);
	int64_t total = 0;
	for (uint32_t i = 0; i < n; i++)
		total += x->d[i];
	commit(x, n, total);
	*given = total;
	return 0;
}

static int apply_general(rl_ctx *x, const rl_rule *r, int64_t *given)
{
	const rl_discount *dk = &r->disc;
	const rl_basket *b = x->b;
	uint32_t n = b->nitems;
	*given = 0;
	bool none = true; /* no eligible line */
	if (dk->items_pred >= 0 && x->pbits) {
		uint64_t m;
		if (rl_pred_mask(x, (uint32_t)dk->items_pred, &m))
			return -1;
		for (uint32_t i = 0; i < n; i++)
			x->elig[i] = m >> i & 1;
		none = m == 0;
	} else {
		for (uint32_t i = 0; i < n; i++) {
			bool e = true;
			if (dk->items_pred >= 0) {
				if (rl_pred_line(x, (uint32_t)dk->items_pred, i, &e))
					return -1;
			} else if (dk->items.kind && rl_code_bool(x, &dk->items, (int)i, true, &e)) {
				return -1;
			}
			x->elig[i] = e;
			none &= !e;
		}
	}
	int64_t maxv = -1;
	if (dk->max.kind && money_value(x, &dk->max, "max", &maxv))
		return -1;
	/* Nothing to give: the rule fires with a discount of 0 and the basket
	 * stays as it is (an amount is still evaluated, for its errors). */
	if (none && dk->kind != DK_AMOUNT)
		return 0;
	switch (dk->kind) {
	case DK_PERCENT:
		for (uint32_t i = 0; i < n; i++)
			x->d[i] = x->elig[i] ? percent_of(line_net(x, i), dk->percent_x100) : 0;
		break;
	case DK_AMOUNT: {
		int64_t a, t = 0;
		if (money_value(x, &dk->amount, "amount", &a))
			return -1;
		if (maxv >= 0 && a > maxv)
			a = maxv;
		for (uint32_t i = 0; i < n; i++) {
			x->d[i] = x->elig[i] ? line_net(x, i) : 0; /* weights */
			t += x->d[i];
		}
		if (a > t)
			a = t;
		/* rl_share reads weights and writes shares: give it a copy */
		memcpy(x->wt, x->d, n * sizeof *x->wt);
		rl_share(x, a, x->wt, n, x->d);
		maxv = -1; /* already capped */
		break;
	}
	case DK_FREE:
		free_units(x, dk->free_n);
		break;
	case DK_BUYGET: {
		int64_t u = 0;
		for (uint32_t i = 0; i < n; i++)
			if (x->elig[i] && b->items[i].price > 0)
				u += b->items[i].qty;
		int64_t k = u / (dk->buy + dk->get) * dk->get;
		if (k <= 0) /* too few units: nothing free */
			return 0;
		free_units(x, k);
		break;
	}
	}
	int64_t total = 0;
	for (uint32_t i = 0; i < n; i++)
		total += x->d[i];
	if (maxv >= 0 && total > maxv) {
		memcpy(x->wt, x->d, n * sizeof *x->wt);
		rl_share(x, maxv, x->wt, n, x->d);
		total = maxv;
	}
	commit(x, n, total);
	*given = total;
	return 0;
}
