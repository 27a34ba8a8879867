/* engine/simulate.c — the what-if state (simulate.h): customers as
 * store_cust records owned here (malloc'd arrays, never in a store's
 * cache), evaluated through opc_customer_view + rl_evaluate exactly as
 * opc_eval_basket does, and changed as op_purchase / op_enroll commit.
 * Must not: print, touch SQLite, or read a clock (every line carries ts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>
#include <yajl/yajl_tree.h>

#include "engine/decode.h"
#include "engine/op_common.h"
#include "engine/simulate.h"

#define SIM_MAX_CUSTOMERS 50000000u /* bound on the table (×2 slots) */

typedef struct sim_txn {
	char *txn;             /* NUL-terminated; NULL: free slot */
	size_t n;
	uint64_t content_hash;
} sim_txn;

struct sim {
	const program *p;
	store_cust **slot;     /* open addressing, power of two */
	size_t cap, n;
	sim_txn *txns;         /* purchases seen, for replays and conflicts */
	size_t tcap, tn;
	sim_sums sums;
};

static uint64_t hash_id(const char *s, size_t n)
{
	return XXH3_64bits(s, n);
}

sim *sim_new(const program *p)
{
	sim *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->p = p;
	s->cap = 1024;
	s->slot = calloc(s->cap, sizeof *s->slot);
	uint32_t nr = program_nrules(p);
	s->sums.rules = calloc(nr ? nr : 1, sizeof *s->sums.rules);
	if (!s->slot || !s->sums.rules) {
		sim_free(s);
		return NULL;
	}
	return s;
}

void sim_free(sim *s)
{
	if (!s)
		return;
	if (s->slot)
		for (size_t i = 0; i < s->cap; i++)
			store_cust_free(s->slot[i]);
	free(s->slot);
	for (size_t i = 0; i < s->tcap; i++)
		free(s->txns[i].txn);
	free(s->txns);
	free(s->sums.rules);
	free(s);
}

const sim_sums *sim_totals(const sim *s)
{
	return &s->sums;
}

static store_cust **find_slot(store_cust **slot, size_t cap, const char *id, size_t n)
{
	size_t i = (size_t)hash_id(id, n) & (cap - 1);
	while (slot[i] && !(slot[i]->idlen == n && memcmp(slot[i]->id, id, n) == 0))
		i = (i + 1) & (cap - 1);
	return &slot[i];
}

static store_cust *cust_get(sim *s, const char *id, size_t n)
{
	return *find_slot(s->slot, s->cap, id, n);
}

static store_cust *cust_create(sim *s, const char *id, size_t n, int64_t ts, const char *ref, size_t refn)
{
	if (2 * (s->n + 1) > s->cap) {
		if (s->cap >= 2 * (size_t)SIM_MAX_CUSTOMERS)
			return NULL;
		size_t nc = s->cap * 2;
		store_cust **ns = calloc(nc, sizeof *ns);
		if (!ns)
			return NULL;
		for (size_t i = 0; i < s->cap; i++)
			if (s->slot[i])
				*find_slot(ns, nc, s->slot[i]->id, s->slot[i]->idlen) = s->slot[i];
		free(s->slot);
		s->slot = ns;
		s->cap = nc;
	}
	store_cust *c = calloc(1, sizeof *c);
	if (!c || !(c->id = strndup(id, n)) || (ref && !(c->referred_by = strndup(ref, refn)))) {
		store_cust_free(c);
		return NULL;
	}
	c->idlen = n;
	c->reflen = ref ? refn : 0;
	c->enrolled_at = ts;
	*find_slot(s->slot, s->cap, id, n) = c;
	s->n++;
	return c;
}

/* ---- txns: the daemon answers a repeated txn from the store ----------- */

static sim_txn *txn_slot(sim_txn *t, size_t cap, const char *id, size_t n)
{
	size_t i = (size_t)hash_id(id, n) & (cap - 1);
	while (t[i].txn && !(t[i].n == n && memcmp(t[i].txn, id, n) == 0))
		i = (i + 1) & (cap - 1);
	return &t[i];
}

/* 0 new (recorded when `record`: only a purchase that went through
 * takes its txn), 1 seen with this content, 2 seen with other content, -1
 * out of memory. */
static int txn_seen(sim *s, rl_str txn, uint64_t hash, bool record)
{
	if (s->tcap) {
		sim_txn *t = txn_slot(s->txns, s->tcap, txn.p, txn.n);
		if (t->txn)
			return t->content_hash == hash ? 1 : 2;
	}
	if (!record)
		return 0;
	if (2 * (s->tn + 1) > s->tcap) {
		if (s->tcap >= 2 * (size_t)SIM_MAX_CUSTOMERS)
			return -1;
		size_t nc = s->tcap ? s->tcap * 2 : 1024;
		sim_txn *nt = calloc(nc, sizeof *nt);
		if (!nt)
			return -1;
		for (size_t i = 0; i < s->tcap; i++)
			if (s->txns[i].txn)
				*txn_slot(nt, nc, s->txns[i].txn, s->txns[i].n) = s->txns[i];
		free(s->txns);
		s->txns = nt;
		s->tcap = nc;
	}
	sim_txn *t = txn_slot(s->txns, s->tcap, txn.p, txn.n);
	if (!(t->txn = strndup(txn.p, txn.n)))
		return -1;
	t->n = txn.n;
	t->content_hash = hash;
	s->tn++;
	return 0;
}

/* ---- the commit, as op_purchase.c's apply_customer ---------------------- */

static int commit(sim *s, store_cust *c, store_cust *ref, const rl_outcome *o, int64_t ts)
{
	const program *p = s->p;
	bool first = c->purchase_count == 0;
	c->points += o->earned - o->redeemed_points;
	c->lifetime_spend += o->total;
	if (o->total && store_cust_add_spend(NULL, c, ts, o->total, NULL, 0) < 0)
		return -1;
	c->purchase_count++;
	if (!c->has_first || ts < c->first_purchase_at) {
		c->has_first = true;
		c->first_purchase_at = ts;
	}
	if (!c->has_last || ts > c->last_purchase_at) {
		c->has_last = true;
		c->last_purchase_at = ts;
	}
	uint32_t nt = program_ntiers(p);
	if (o->tier_qualified_at_after)
		for (uint32_t i = 0; i < nt; i++)
			if (store_cust_set_tierq(NULL, c, program_tier_name(p, i), o->tier_qualified_at_after[i]) < 0)
				return -1;
	if (o->tier_after >= 0) {
		const char *after = program_tier_name(p, (uint32_t)o->tier_after);
		if (!c->tier || strcmp(c->tier, after) != 0) {
			char *t = strdup(after);
			if (!t)
				return -1;
			free(c->tier);
			c->tier = t;
			c->tier_since = ts;
		}
	}
	for (uint32_t i = 0; i < o->nfired_limited; i++)
		if (store_cust_add_fire(NULL, c, program_rule_name(p, (uint32_t)o->fired_limited[i]), ts) < 0)
			return -1;
	if (ref && ref != c) {
		if (o->referrer_bonus_total > 0) {
			ref->points += o->referrer_bonus_total;
			s->sums.referrer_credit += o->referrer_bonus_total;
		}
		if (first)
			ref->referrals++;
	}
	return 0;
}

/* An enroll line without ts (the daemon would date it by its clock, which
 * a simulation does not have) is dated by the customer's first basket. */
#define UNDATED INT64_MIN

/* ---- one request --------------------------------------------------------- */

static void enroll(sim *s, request *req, sim_result *res)
{
	if (!req->customer.p) {
		res->status = -1;
		res->msg = "customer is required for enroll";
		return;
	}
	if (req->referred_by.p && req->referred_by.n == req->customer.n
	    && memcmp(req->referred_by.p, req->customer.p, req->customer.n) == 0) {
		res->status = -1;
		res->msg = "referred_by names the customer itself";
		return;
	}
	store_cust *c = cust_get(s, req->customer.p, req->customer.n);
	if (!c) {
		c = cust_create(s, req->customer.p, req->customer.n, req->has_ts ? req->ts : UNDATED,
			req->referred_by.p, req->referred_by.n);
		if (!c || (program_ntiers(s->p) > 0 && !(c->tier = strdup(program_tier_name(s->p, 0))))) {
			res->status = -1;
			res->msg = "out of memory";
			return;
		}
		c->tier_since = c->enrolled_at;
	}
	if (store_cust_merge_attrs(c, req->attrs, req->nattrs) < 0) {
		res->status = -1;
		res->msg = "out of memory";
		return;
	}
	s->sums.enrolls++;
}

static void basket(sim *s, request *req, sim_result *res)
{
	const program *p = s->p;
	bool purchase = req->op == OP_PURCHASE;
	if (purchase && !req->txn.p) {
		res->status = -1;
		res->msg = "txn is required for purchase";
		return;
	}
	if (purchase) {
		int seen = txn_seen(s, req->txn, req->content_hash, false);
		if (seen == 1) {
			res->status = 1; /* the daemon replays its stored answer */
			s->sums.replayed++;
			return;
		}
		if (seen != 0) {
			res->status = -1;
			res->msg = seen < 0 ? "out of memory"
				: arena_printf(req->mem, "txn %.*s was already used by a purchase with different content",
					(int)(req->txn.n > 200 ? 200 : req->txn.n), req->txn.p);
			return;
		}
	}
	req->basket.ts = req->ts;
	bool anonymous = req->customer.p == NULL;
	if (anonymous && req->basket.has_redeem) {
		res->status = -1;
		res->msg = "redeem_points needs a customer: an anonymous basket has no points";
		return;
	}
	store_cust *c = NULL, *ref = NULL;
	rl_customer view;
	if (!anonymous) {
		c = cust_get(s, req->customer.p, req->customer.n);
		if (c && c->enrolled_at == UNDATED)
			c->enrolled_at = c->tier_since = req->ts;
		int rc = c ? opc_customer_view(p, c, req->ts, req->mem, &view)
			: opc_new_customer_view(p, req->customer, req->ts, req->mem, &view);
		if (rc < 0) {
			res->status = -1;
			res->msg = "out of memory";
			return;
		}
		if (c && c->referred_by)
			ref = cust_get(s, c->referred_by, c->reflen);
	}
	rl_outcome o;
	rl_evaluate(p, anonymous ? NULL : &view, &req->basket, req->mem, &o);
	switch (o.status) {
	case RL_OK:
		break;
	case RL_INSUFFICIENT_POINTS:
		res->status = -1;
		res->msg = arena_printf(req->mem, "redeem_points %lld is over the balance of %lld points",
			(long long)req->basket.redeem_points, (long long)view.points);
		return;
	case RL_OVERFLOW:
		res->status = -1;
		res->msg = "a sum over the basket would overflow 64 bits";
		return;
	default:
		res->status = -1;
		res->msg = "out of memory evaluating the basket";
		return;
	}
	res->evaluated = true;
	res->total = o.total;
	res->earned = o.earned;
	if (!purchase) {
		s->sums.quotes++;
		return;
	}
	if (!anonymous) {
		if (!c)
			c = cust_create(s, req->customer.p, req->customer.n, req->ts, NULL, 0);
		if (!c || commit(s, c, ref, &o, req->ts) < 0) {
			res->status = -1;
			res->msg = "out of memory";
			return;
		}
	}
	if (txn_seen(s, req->txn, req->content_hash, true) < 0) {
		res->status = -1;
		res->msg = "out of memory";
		return;
	}
	sim_sums *m = &s->sums;
	m->purchases++;
	m->subtotal += o.subtotal;
	m->discount_total += o.discount_total;
	m->redeemed_value += o.redeemed_value;
	m->total += o.total;
	m->earned += o.earned;
	m->redeemed += o.redeemed_points;
	if (!anonymous && o.tier_before != o.tier_after)
		m->tier_changes++;
	for (uint32_t i = 0; i < o.ncoupons; i++)
		if (o.coupons[i].accepted)
			m->coupons_accepted++;
	m->warnings += o.nwarnings;
	for (uint32_t i = 0; i < o.napplied; i++) {
		const rl_applied *a = &o.applied[i];
		if (a->rule < 0 || (uint32_t)a->rule >= program_nrules(p))
			continue;
		sim_rule_sum *r = &m->rules[a->rule];
		r->applied++;
		r->discount += a->discount;
		r->points += a->points + a->bonus_points;
	}
}

void sim_apply(sim *s, request *req, sim_result *res)
{
	memset(res, 0, sizeof *res);
	if (!req->has_ts && (req->op == OP_PURCHASE || req->op == OP_QUOTE)) {
		res->status = -1;
		res->msg = "ts is required: a simulation has no clock";
		s->sums.refused++;
		return;
	}
	switch (req->op) {
	case OP_ENROLL:
		enroll(s, req, res);
		break;
	case OP_PURCHASE:
	case OP_QUOTE:
		basket(s, req, res);
		break;
	default:
		res->status = 1;
		s->sums.skipped++;
		return;
	}
	if (res->status < 0)
		s->sums.refused++;
}

/* ---- seeding from an export file ---------------------------------------- */

#define SEED_MAX_ABS 1000000000000LL /* protocol.md's bound on points */

static bool seed_time(yajl_val v, int64_t *out)
{
	if (YAJL_IS_INTEGER(v)) {
		*out = YAJL_GET_INTEGER(v);
		return *out >= 0;
	}
	const char *str = YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
	return str && decode_rfc3339(str, strlen(str), out);
}

#define SEED_FAIL(...) do { snprintf(err, errsz, __VA_ARGS__); goto fail; } while (0)

static int seed_fill(sim *s, store_cust *c, yajl_val root, char *err, size_t errsz)
{
	bool has_tier_state = false, has_history = false, has_since = false;
	int64_t s12 = 0, since = 0;
	const char *tier = NULL;
	for (size_t i = 0; i < root->u.object.len; i++) {
		const char *k = root->u.object.keys[i];
		yajl_val v = root->u.object.values[i];
		if (YAJL_IS_NULL(v) || strcmp(k, "customer") == 0)
			continue;
		int64_t *num = strcmp(k, "points") == 0 ? &c->points
			: strcmp(k, "lifetime_spend") == 0 ? &c->lifetime_spend
			: strcmp(k, "purchase_count") == 0 ? &c->purchase_count
			: strcmp(k, "referrals") == 0 ? &c->referrals
			: strcmp(k, "spend_12m") == 0 ? &s12 : NULL;
		if (num) {
			int64_t lo = num == &c->points ? -SEED_MAX_ABS : 0;
			if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < lo || YAJL_GET_INTEGER(v) > SEED_MAX_ABS)
				SEED_FAIL("%s must be an integer within %lld..%lld", k, (long long)lo, SEED_MAX_ABS);
			*num = YAJL_GET_INTEGER(v);
			continue;
		}
		int64_t t;
		if (strcmp(k, "first_purchase_at") == 0 || strcmp(k, "last_purchase_at") == 0
		    || strcmp(k, "enrolled_at") == 0 || strcmp(k, "tier_since") == 0) {
			if (!seed_time(v, &t))
				SEED_FAIL("%s must be an RFC 3339 time with an offset, Unix seconds, or null", k);
			if (k[0] == 'f')
				c->has_first = true, c->first_purchase_at = t;
			else if (k[0] == 'l')
				c->has_last = true, c->last_purchase_at = t;
			else if (k[0] == 'e')
				c->enrolled_at = t;
			else
				has_since = true, since = t;
		} else if (strcmp(k, "tier") == 0 || strcmp(k, "referred_by") == 0) {
			const char *str = YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
			if (!str || !*str)
				SEED_FAIL("%s must be a non-empty string", k);
			if (k[0] == 't')
				tier = str;
			else {
				free(c->referred_by);
				if (!(c->referred_by = strdup(str)))
					SEED_FAIL("out of memory");
				c->reflen = strlen(str);
			}
		} else if (strcmp(k, "attrs") == 0 || strcmp(k, "tier_state") == 0) {
			if (!YAJL_IS_OBJECT(v))
				SEED_FAIL("%s must be an object", k);
			has_tier_state |= k[0] == 't';
			for (size_t j = 0; j < v->u.object.len; j++) {
				const char *ak = v->u.object.keys[j];
				yajl_val av = v->u.object.values[j];
				if (k[0] == 't') {
					if (!seed_time(av, &t))
						SEED_FAIL("tier_state.%s must be a time", ak);
					if (store_cust_set_tierq(NULL, c, ak, t) < 0)
						SEED_FAIL("out of memory");
					continue;
				}
				expr_value ev;
				if (YAJL_IS_NULL(av))
					continue;
				else if (YAJL_IS_TRUE(av) || YAJL_IS_FALSE(av))
					ev = expr_bool(YAJL_IS_TRUE(av));
				else if (YAJL_IS_INTEGER(av))
					ev = expr_int(YAJL_GET_INTEGER(av));
				else if (YAJL_IS_DOUBLE(av))
					ev = expr_float(YAJL_GET_DOUBLE(av));
				else if (YAJL_IS_STRING(av)) {
					const char *as = YAJL_GET_STRING(av);
					ev = expr_str(as ? as : "", as ? strlen(as) : 0);
				}
				else
					SEED_FAIL("attrs.%s must be a string, number, boolean or null", ak);
				rl_attr a = { .key = { ak, (uint32_t)strlen(ak) }, .val = ev };
				if (store_cust_merge_attrs(c, &a, 1) < 0)
					SEED_FAIL("out of memory");
			}
		} else if (strcmp(k, "spend_history") == 0 || strcmp(k, "fires") == 0) {
			bool fires = k[0] == 'f';
			has_history |= !fires;
			if (!YAJL_IS_ARRAY(v))
				SEED_FAIL("%s must be a list", k);
			for (size_t j = 0; j < v->u.array.len; j++) {
				yajl_val e = v->u.array.values[j];
				if (!YAJL_IS_ARRAY(e) || e->u.array.len != 2)
					SEED_FAIL("%s must be a list of %s", k, fires ? "[rule, time]" : "[time, amount]");
				yajl_val x = e->u.array.values[0], y = e->u.array.values[1];
				if (fires) {
					const char *rule = YAJL_IS_STRING(x) ? YAJL_GET_STRING(x) : NULL;
					if (!rule || !*rule || !seed_time(y, &t))
						SEED_FAIL("fires must be a list of [rule, time]");
					if (store_cust_add_fire(NULL, c, rule, t) < 0)
						SEED_FAIL("out of memory");
				} else {
					if (!seed_time(x, &t) || !YAJL_IS_INTEGER(y))
						SEED_FAIL("spend_history must be a list of [time, amount]");
					if (store_cust_add_spend(NULL, c, t, YAJL_GET_INTEGER(y), NULL, 0) < 0)
						SEED_FAIL("out of memory");
				}
			}
		}
		/* other members (segments, holdout, ...) are answers, not state */
	}
	if (c->enrolled_at == UNDATED)
		c->enrolled_at = c->has_first ? c->first_purchase_at : 0;
	/* as import: spend_12m without its history is one entry at the last
	 * purchase; a tier without its state was qualified when it was given */
	if (!has_history && s12 > 0 && store_cust_add_spend(NULL, c, c->has_last ? c->last_purchase_at : c->enrolled_at, s12, NULL, 0) < 0)
		SEED_FAIL("out of memory");
	if (tier) {
		if (!(c->tier = strdup(tier)))
			SEED_FAIL("out of memory");
		c->tier_since = has_since ? since : c->enrolled_at;
		if (!has_tier_state && store_cust_set_tierq(NULL, c, tier, c->tier_since) < 0)
			SEED_FAIL("out of memory");
	}
	(void)s;
	return 0;
fail:
	return -1;
}

int sim_seed_line(sim *s, const char *line, size_t n, char *err, size_t errsz)
{
	char ebuf[128];
	char *text = strndup(line, n);
	if (!text) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	yajl_val root = yajl_tree_parse(text, ebuf, sizeof ebuf);
	free(text);
	if (!root || !YAJL_IS_OBJECT(root)) {
		char *nl = strchr(ebuf, '\n');
		if (nl)
			*nl = 0;
		snprintf(err, errsz, "%s", root ? "a line must be one JSON object" : ebuf);
		yajl_tree_free(root);
		return -1;
	}
	const char *path[] = { "customer", NULL };
	yajl_val id = yajl_tree_get(root, path, yajl_t_string);
	const char *ids = id ? YAJL_GET_STRING(id) : NULL;
	int rc = -1;
	if (!ids || !*ids)
		snprintf(err, errsz, "customer must be a non-empty string");
	else if (cust_get(s, ids, strlen(ids)))
		snprintf(err, errsz, "customer %s appears twice", ids);
	else {
		store_cust *c = cust_create(s, ids, strlen(ids), UNDATED, NULL, 0);
		if (!c)
			snprintf(err, errsz, "out of memory");
		else
			rc = seed_fill(s, c, root, err, errsz);
	}
	yajl_tree_free(root);
	return rc;
}
