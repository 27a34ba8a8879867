/* engine/op_common.c — helpers shared by the op handlers (op_common.h).
 * Must not: touch the store's tables directly (engine/store_*.c do). */
#include <stdio.h>
#include <string.h>

#include "engine/answer.h"
#include "engine/conn.h"
#include "engine/op_common.h"
#include "engine/stats.h"

int opc_tier_index(const program *p, const char *name)
{
	if (!name)
		return -1;
	for (uint32_t i = 0; i < program_ntiers(p); i++)
		if (strcmp(program_tier_name(p, i), name) == 0)
			return (int)i;
	return -1;
}

int opc_new_customer_view(const program *p, rl_str id, int64_t ts, arena *mem, rl_customer *out)
{
	memset(out, 0, sizeof *out);
	out->id = id;
	out->exists = false;
	out->enrolled_at = ts;
	out->ntiers = program_ntiers(p);
	out->tier_qualified_at = arena_calloc(mem, out->ntiers ? out->ntiers : 1, sizeof(int64_t));
	return out->tier_qualified_at ? 0 : -1;
}

int opc_customer_view(const program *p, const store_cust *c, int64_t ts, arena *mem, rl_customer *out)
{
	memset(out, 0, sizeof *out);
	out->id = (rl_str){ c->id, (uint32_t)c->idlen };
	out->exists = true;
	out->points = c->points;
	out->lifetime_spend = c->lifetime_spend;
	out->spend_12m = store_cust_spend_12m(c, ts);
	out->purchase_count = c->purchase_count;
	out->has_last_purchase = c->has_last;
	out->last_purchase_at = c->last_purchase_at;
	out->enrolled_at = c->enrolled_at;
	out->referred_by = (rl_str){ c->referred_by, (uint32_t)c->reflen };
	out->referrals = c->referrals;
	rl_attr *a = arena_calloc(mem, c->nattrs ? c->nattrs : 1, sizeof *a);
	uint32_t nt = program_ntiers(p);
	int64_t *tq = arena_calloc(mem, nt ? nt : 1, sizeof *tq);
	rl_fire *f = arena_calloc(mem, c->nfires ? c->nfires : 1, sizeof *f);
	if (!a || !tq || !f)
		return -1;
	for (uint32_t i = 0; i < c->nattrs; i++) {
		a[i].key = (rl_str){ c->attrs[i].key, (uint32_t)c->attrs[i].keylen };
		a[i].val = c->attrs[i].val;
	}
	out->attrs = a;
	out->nattrs = c->nattrs;
	for (uint32_t i = 0; i < nt; i++)
		tq[i] = store_cust_tierq(c, program_tier_name(p, i));
	out->tier_qualified_at = tq;
	out->ntiers = nt;
	for (uint32_t i = 0; i < c->nfires; i++)
		f[i] = (rl_fire){ { c->fires[i].rule, (uint32_t)strlen(c->fires[i].rule) }, c->fires[i].ts };
	out->fires = f;
	out->nfires = c->nfires;
	return 0;
}

void opc_str(yajl_gen g, const char *key, const char *s)
{
	reply_str(g, key, s, strlen(s));
}

void opc_time(yajl_gen g, const program *p, const char *key, int64_t ts)
{
	rl_civil c;
	rl_civil_time(p, ts, &c);
	char buf[64];
	int off = c.utc_offset_s;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	int n = snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
		c.year, c.month, c.day, c.hour, c.minute, c.second, sign, off / 3600, off % 3600 / 60);
	reply_str(g, key, buf, (size_t)n);
}

static void write_rlstr(aw *w, rl_str s)
{
	aw_str(w, s.p ? s.p : "", s.n);
}

/* 150 -> 1.5, 200 -> 2, 125 -> 1.25, -50 -> -0.5, as written in the
 * rule (no snprintf: most answers carry one). */
static void write_multiplier(aw *w, int64_t x100)
{
	char buf[32], *p = buf + sizeof buf;
	uint64_t u = x100 < 0 ? 0ULL - (uint64_t)x100 : (uint64_t)x100;
	unsigned frac = (unsigned)(u % 100);
	if (frac) {
		if (frac % 10 == 0)
			*--p = (char)('0' + frac / 10);
		else {
			*--p = (char)('0' + frac % 10);
			*--p = (char)('0' + frac / 10);
		}
		*--p = '.';
	}
	u /= 100;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (x100 < 0)
		*--p = '-';
	aw_num(w, p, (size_t)(buf + sizeof buf - p));
}

void opc_write_outcome(aw *w, const program *p, const request *req,
	const rl_customer *cust, const rl_outcome *o, int64_t balance_after, const char *referrer)
{
	const rl_basket *b = &req->basket;
	if (cust) {
		AW_KEY(w, "customer");
		write_rlstr(w, cust->id);
	}
	AW_INT(w, "subtotal", o->subtotal);
	AW_INT(w, "discount_total", o->discount_total);
	AW_INT(w, "redeemed_value", o->redeemed_value);
	AW_INT(w, "total", o->total);

	AW_KEY(w, "lines");
	aw_open(w, '[');
	for (uint32_t i = 0; i < b->nitems; i++) {
		aw_open(w, '{');
		AW_KEY(w, "sku");
		write_rlstr(w, b->items[i].sku);
		AW_INT(w, "qty", b->items[i].qty);
		AW_INT(w, "price", b->items[i].price);
		AW_INT(w, "discount", o->lines ? o->lines[i].discount : 0);
		AW_INT(w, "net", o->lines ? o->lines[i].net : b->items[i].qty * b->items[i].price);
		aw_close(w, '}');
	}
	aw_close(w, ']');

	AW_KEY(w, "applied");
	aw_open(w, '[');
	for (uint32_t i = 0; i < o->napplied; i++) {
		const rl_applied *a = &o->applied[i];
		aw_open(w, '{');
		AW_CSTR(w, "rule", program_rule_name(p, (uint32_t)a->rule));
		if (a->discount > 0)
			AW_INT(w, "discount", a->discount);
		if (a->points > 0)
			AW_INT(w, "points", a->points);
		if (a->bonus_points > 0)
			AW_INT(w, "bonus_points", a->bonus_points);
		if (a->has_multiplier) {
			AW_KEY(w, "multiplier");
			write_multiplier(w, a->multiplier_x100);
		}
		if (a->referrer_bonus_points > 0 && referrer) {
			AW_INT(w, "referrer_bonus_points", a->referrer_bonus_points);
			AW_CSTR(w, "referrer", referrer);
		}
		if (a->message.p) {
			AW_KEY(w, "message");
			write_rlstr(w, a->message);
		}
		aw_close(w, '}');
	}
	aw_close(w, ']');

	if (cust) {
		AW_KEY(w, "points");
		aw_open(w, '{');
		AW_INT(w, "earned", o->earned);
		AW_INT(w, "redeemed", o->redeemed_points);
		AW_INT(w, "balance", balance_after);
		aw_close(w, '}');
		AW_KEY(w, "tier");
		aw_open(w, '{');
		if (o->tier_before >= 0)
			AW_CSTR(w, "before", program_tier_name(p, (uint32_t)o->tier_before));
		else
			AW_NULL(w, "before");
		if (o->tier_after >= 0)
			AW_CSTR(w, "after", program_tier_name(p, (uint32_t)o->tier_after));
		else
			AW_NULL(w, "after");
		AW_BOOL(w, "changed", o->tier_before != o->tier_after);
		aw_close(w, '}');
	}

	AW_KEY(w, "segments");
	aw_open(w, '[');
	for (uint32_t i = 0; i < o->nsegments; i++)
		aw_cstr(w, program_segment_name(p, (uint32_t)o->segments[i]));
	aw_close(w, ']');

	AW_KEY(w, "experiments");
	aw_open(w, '{');
	for (uint32_t i = 0; i < o->nexperiments; i++) {
		const rl_exp_out *e = &o->experiments[i];
		const char *en = program_experiment_name(p, (uint32_t)e->experiment);
		aw_str(w, en, strlen(en));
		w->comma = false; /* a key written as a string: its colon follows */
		aw_put(w, ":", 1);
		aw_cstr(w, program_variant_name(p, (uint32_t)e->experiment, (uint32_t)e->variant));
	}
	aw_close(w, '}');
	/* global holdout (doc/experiments.md): listed only when true */
	if (cust && cust->id.p && rl_held_out(p, cust->id.p, cust->id.n))
		AW_BOOL(w, "holdout", true);

	AW_KEY(w, "coupons");
	aw_open(w, '[');
	for (uint32_t i = 0; i < o->ncoupons; i++) {
		const rl_coupon_out *c = &o->coupons[i];
		aw_open(w, '{');
		AW_KEY(w, "code");
		write_rlstr(w, c->code);
		AW_BOOL(w, "accepted", c->accepted);
		if (!c->accepted)
			AW_CSTR(w, "reason", c->reason ? c->reason : "not_applicable");
		aw_close(w, '}');
	}
	aw_close(w, ']');

	AW_KEY(w, "messages");
	aw_open(w, '[');
	for (uint32_t i = 0; i < o->nmessages; i++)
		write_rlstr(w, o->messages[i]);
	aw_close(w, ']');

	AW_KEY(w, "warnings");
	aw_open(w, '[');
	aw_field_warnings(w);
	for (uint32_t i = 0; i < o->nwarnings; i++) {
		aw_open(w, '{');
		if (o->warnings[i].rule >= 0)
			AW_CSTR(w, "rule", program_rule_name(p, (uint32_t)o->warnings[i].rule));
		AW_CSTR(w, "message", o->warnings[i].message ? o->warnings[i].message : "");
		aw_close(w, '}');
	}
	aw_close(w, ']');

	AW_CSTR(w, "rules_version", program_version(p));
}

/* When the customer got the tier it holds at `now`: the commit that set
 * the stored tier, or, when that tier has lapsed since (grace over, spend
 * aged out), the first second at which the lower tier held. Between
 * commits the tier can only fall as time passes, so that second is found
 * by bisection over rl_tier_at. */
static int64_t tier_since(const program *p, const store_cust *c, int tier, int64_t now, arena *mem)
{
	int64_t since = c->tier_since ? c->tier_since : c->enrolled_at;
	int stored = opc_tier_index(p, c->tier);
	if (tier < 0 || stored < 0 || tier >= stored || since >= now)
		return since;
	int64_t lo = since, hi = now; /* tier_at(lo) > tier, tier_at(hi) <= tier */
	for (int i = 0; i < 64 && hi - lo > 1; i++) {
		int64_t mid = lo + (hi - lo) / 2;
		rl_customer v;
		if (opc_customer_view(p, c, mid, mem, &v) < 0)
			return since;
		if (rl_tier_at(p, &v, mid, false, NULL) > tier)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

void opc_write_profile(yajl_gen g, const program *p, const store_cust *c, int64_t now, arena *mem)
{
	rl_customer v;
	bool have = opc_customer_view(p, c, now, mem, &v) == 0;
	opc_str(g, "customer", c->id);
	int tier = have ? rl_tier_at(p, &v, now, false, NULL) : -1;
	if (tier >= 0)
		opc_str(g, "tier", program_tier_name(p, (uint32_t)tier));
	else {
		reply_key(g, "tier");
		yajl_gen_null(g);
	}
	opc_time(g, p, "tier_since", tier_since(p, c, tier, now, mem));
	reply_int(g, "points", c->points);
	reply_int(g, "lifetime_spend", c->lifetime_spend);
	reply_int(g, "spend_12m", store_cust_spend_12m(c, now));
	reply_int(g, "purchase_count", c->purchase_count);
	if (c->has_first)
		opc_time(g, p, "first_purchase_at", c->first_purchase_at);
	else {
		reply_key(g, "first_purchase_at");
		yajl_gen_null(g);
	}
	if (c->has_last)
		opc_time(g, p, "last_purchase_at", c->last_purchase_at);
	else {
		reply_key(g, "last_purchase_at");
		yajl_gen_null(g);
	}
	reply_key(g, "referred_by");
	if (c->referred_by)
		yajl_gen_string(g, (const unsigned char *)c->referred_by, c->reflen);
	else
		yajl_gen_null(g);
	reply_int(g, "referrals", c->referrals);
	reply_key(g, "attrs");
	store_cust_write_attrs(g, c);
	reply_key(g, "segments");
	yajl_gen_array_open(g);
	if (have) {
		uint32_t ns = program_nsegments(p);
		int *seg = arena_calloc(mem, ns ? ns : 1, sizeof *seg);
		uint32_t n = seg ? rl_customer_segments(p, &v, now, mem, seg) : 0;
		for (uint32_t i = 0; i < n; i++) {
			const char *sn = program_segment_name(p, (uint32_t)seg[i]);
			yajl_gen_string(g, (const unsigned char *)sn, strlen(sn));
		}
	}
	yajl_gen_array_close(g);
	reply_key(g, "experiments");
	yajl_gen_map_open(g);
	for (uint32_t e = 0; e < program_nexperiments(p); e++) {
		if (!program_experiment_running(p, e, now))
			continue;
		int var = rl_assign_variant(p, e, c->id, c->idlen);
		if (var >= 0)
			opc_str(g, program_experiment_name(p, e), program_variant_name(p, e, (uint32_t)var));
	}
	yajl_gen_map_close(g);
	if (rl_held_out(p, c->id, c->idlen))
		reply_bool(g, "holdout", true);
}

opc_pending *opc_pending_new(op_ctx *ctx, request *req, reply *r, const rl_outcome *o)
{
	opc_pending *pd = arena_calloc(req->mem, 1, sizeof *pd);
	if (!pd)
		return NULL;
	pd->r = r;
	pd->ctx = *ctx;
	if (o) { /* the handler's outcome is on its stack; its arrays are in req->mem */
		rl_outcome *copy = arena_alloc(req->mem, sizeof *copy);
		if (!copy)
			return NULL;
		*copy = *o;
		pd->outcome = copy;
	}
	return pd;
}

int opc_find_customer(op_ctx *ctx, request *req, reply *r, store_cust **out)
{
	if (!req->customer.p) {
		reply_error(r, "bad_request", "customer is required");
		return -1;
	}
	int rc = store_cust_get(ctx->store, req->customer.p, req->customer.n, out);
	if (rc < 0) {
		reply_error(r, "unavailable", "the store could not be read: %s", store_errmsg(ctx->store));
		return -1;
	}
	return rc;
}

store_cust *opc_existing_customer(op_ctx *ctx, request *req, reply *r)
{
	store_cust *c;
	int rc = opc_find_customer(ctx, req, r, &c);
	if (rc == 1)
		reply_error(r, "not_found", "customer %.*s does not exist",
			(int)(req->customer.n > 200 ? 200 : req->customer.n), req->customer.p);
	return rc == 0 ? c : NULL;
}

opc_pending *opc_write_begin(op_ctx *ctx, request *req, reply *r, const rl_outcome *o)
{
	opc_pending *pd = opc_pending_new(ctx, req, r, o);
	if (!pd) {
		reply_error(r, "internal", "out of memory");
		return NULL;
	}
	if (store_write_begin(ctx->store) < 0) {
		reply_error(r, "unavailable", "the store could not be written: %s; the request had no effect",
			store_errmsg(ctx->store));
		return NULL;
	}
	return pd;
}

void opc_field_warnings(reply *r, yajl_gen g, const request *req)
{
	if (!req->nwarnings)
		return;
	reply_key(g, "warnings");
	yajl_gen_array_open(g);
	reply_field_warnings(r, g);
	yajl_gen_array_close(g);
}

int opc_txn_put(op_ctx *ctx, reply *r, store_txn *t)
{
	size_t alen;
	const char *ans = reply_members(r, &alen);
	t->answer = (rl_str){ ans, (uint32_t)alen };
	if (store_txn_put(ctx->store, t) < 0) {
		opc_unavailable(ctx, r);
		return -1;
	}
	return 0;
}

void opc_commit_done(void *ud, bool ok)
{
	opc_pending *pd = ud;
	if (!ok) {
		reply_error(pd->r, "unavailable", "the store could not be written; the request had no effect");
		return;
	}
	if (pd->outcome && pd->ctx.srv)
		stats_count_outcome(pd->ctx.srv, pd->ctx.prog, pd->outcome);
	reply_end(pd->r);
}

typedef struct replay_wait {
	reply *r;
	store_txn t;
} replay_wait;

static void replay_done(void *ud, bool ok)
{
	replay_wait *w = ud;
	if (!ok) {
		/* the original went with its failed group: nothing to replay */
		reply_error(w->r, "unavailable", "the store could not be written; the request had no effect");
		return;
	}
	reply_stored(w->r, w->t.answer.p, w->t.answer.n, true);
}

void opc_replay(op_ctx *ctx, request *req, reply *r, const store_txn *t)
{
	replay_wait *w = arena_calloc(req->mem, 1, sizeof *w);
	if (!w) {
		reply_error(r, "internal", "out of memory");
		return;
	}
	w->r = r;
	w->t = *t;
	if (store_after_commit(ctx->store, replay_done, w)) {
		reply_defer(r);
		return;
	}
	reply_stored(r, t->answer.p, t->answer.n, true);
}

void opc_unavailable(op_ctx *ctx, reply *r)
{
	store_write_abort(ctx->store);
	reply_error(r, "unavailable", "the store could not be written: %s; the request had no effect",
		store_errmsg(ctx->store));
}

int opc_check_new_id(op_ctx *ctx, rl_str id, reply *r)
{
	int rc = store_id_reserved(ctx->store, id.p, id.n);
	if (rc < 0) {
		reply_error(r, "unavailable", "the store could not be read: %s", store_errmsg(ctx->store));
		return -1;
	}
	if (rc == 1) {
		reply_error(r, "bad_request", "customer %.*s is the anonymous id of a forgotten customer",
			(int)(id.n > 200 ? 200 : id.n), id.p);
		return -1;
	}
	return 0;
}

int opc_eval_basket(op_ctx *ctx, request *req, reply *r, opc_basket *b)
{
	memset(b, 0, sizeof *b);
	b->ts = opc_ts(ctx, req);
	req->basket.ts = b->ts;
	b->anonymous = req->customer.p == NULL;
	if (b->anonymous && req->basket.has_redeem) {
		reply_error(r, "bad_request", "redeem_points needs a customer: an anonymous basket has no points");
		return -1;
	}
	if (!b->anonymous) {
		int rc = store_cust_get(ctx->store, req->customer.p, req->customer.n, &b->c);
		if (rc < 0) {
			reply_error(r, "unavailable", "the store could not be read: %s", store_errmsg(ctx->store));
			return -1;
		}
		if (rc == 1) {
			b->c = NULL;
			if (opc_check_new_id(ctx, req->customer, r) < 0)
				return -1;
		}
		rc = b->c ? opc_customer_view(ctx->prog, b->c, b->ts, req->mem, &b->view)
			: opc_new_customer_view(ctx->prog, req->customer, b->ts, req->mem, &b->view);
		if (rc < 0) {
			reply_error(r, "internal", "out of memory");
			return -1;
		}
		if (b->c && b->c->referred_by) {
			store_cust *ref = NULL;
			if (store_cust_get(ctx->store, b->c->referred_by, b->c->reflen, &ref) == 0)
				b->referrer = ref;
		}
	}
	rl_evaluate(ctx->prog, b->anonymous ? NULL : &b->view, &req->basket, req->mem, &b->out);
	switch (b->out.status) {
	case RL_OK:
		break;
	case RL_INSUFFICIENT_POINTS:
		reply_error(r, "insufficient_points", "redeem_points %lld is over the balance of %lld points",
			(long long)req->basket.redeem_points, (long long)b->view.points);
		return -1;
	case RL_OVERFLOW:
		reply_error(r, "bad_request", "a sum over the basket would overflow 64 bits");
		return -1;
	default:
		reply_error(r, "internal", "out of memory evaluating the basket");
		return -1;
	}
	b->balance_after = b->view.points - b->out.redeemed_points + b->out.earned;
	return 0;
}

int opc_check_txn(op_ctx *ctx, request *req, reply *r, const char *op)
{
	if (!req->txn.p) {
		reply_error(r, "bad_request", "txn is required for %s", op);
		return 1;
	}
	store_txn t;
	int rc = store_txn_get(ctx->store, req->txn.p, req->txn.n, req->mem, &t);
	if (rc < 0) {
		reply_error(r, "unavailable", "the store could not be read: %s", store_errmsg(ctx->store));
		return 1;
	}
	if (rc == 1)
		return 0;
	if (strcmp(t.op, op) != 0 || t.content_hash != req->content_hash) {
		reply_error(r, "conflict", "txn %.*s was already used by a %s with different content",
			(int)(req->txn.n > 200 ? 200 : req->txn.n), req->txn.p, t.op);
		return 1;
	}
	opc_replay(ctx, req, r, &t);
	return 1;
}
