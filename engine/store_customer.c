/* engine/store_customer.c — customers: loading them from the file into the
 * cache, creating them, writing their changes back, and the cache itself
 * (a hash table with an LRU list, bounded by cache_mb; only entries whose
 * writes are committed are evicted, and only from the store's timers, so
 * a pointer a handler holds stays valid until it returns).
 * Tier state, spend history and limit fires live in the customer's row
 * (JSON columns): changing them changes memory only, and store_cust_save
 * writes the row. Must not: decide anything about loyalty rules (the
 * handlers do). */
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <xxhash.h>
#include <yajl/yajl_tree.h>

#include "engine/store_internal.h"

/* ---- cache -------------------------------------------------------------- */

static uint64_t hash_id(const char *p, size_t n)
{
	return XXH3_64bits(p, n);
}

void store_cache_init(store *s)
{
	s->nbuckets = 1024;
	s->buckets = calloc(s->nbuckets, sizeof *s->buckets);
	s->bytes = s->buckets ? s->nbuckets * sizeof *s->buckets : 0;
}

static void attr_free(store_attr *a)
{
	free(a->key);
	if (a->val.t == EV_STR)
		free((char *)a->val.u.s.p);
}

void store_cust_free(store_cust *c)
{
	if (!c)
		return;
	free(c->id);
	free(c->referred_by);
	free(c->tier);
	free(c->lifted_txn);
	for (uint32_t i = 0; i < c->ntq; i++)
		free(c->tq[i].tier);
	free(c->tq);
	for (uint32_t i = 0; i < c->nattrs; i++)
		attr_free(&c->attrs[i]);
	free(c->attrs);
	free(c->spend);
	for (uint32_t i = 0; i < c->nfires; i++)
		free(c->fires[i].rule);
	free(c->fires);
	for (uint32_t i = 0; i < c->nexposed; i++)
		free(c->exposed[i]);
	free(c->exposed);
	free(c);
}

/* What the entry really holds in the C heap: every block's usable size plus
 * malloc's per-block header, and its hash bucket. Counting nominal sizes
 * instead let 1,000,000 cached customers take 50% more than cache_mb.
 * The bucket array is counted apart (cache_grow). */
#define HEAP_OVERHEAD 8
static size_t heap(const void *p)
{
	return p ? malloc_usable_size((void *)p) + HEAP_OVERHEAD : 0;
}

static size_t cust_bytes(const store_cust *c)
{
	size_t b = heap(c) + heap(c->id) + heap(c->referred_by) + heap(c->tier)
		+ heap(c->lifted_txn) + heap(c->tq) + heap(c->attrs) + heap(c->spend)
		+ heap(c->fires) + heap(c->exposed);
	for (uint32_t i = 0; i < c->ntq; i++)
		b += heap(c->tq[i].tier);
	for (uint32_t i = 0; i < c->nattrs; i++) {
		b += heap(c->attrs[i].key);
		if (c->attrs[i].val.t == EV_STR)
			b += heap(c->attrs[i].val.u.s.p);
	}
	for (uint32_t i = 0; i < c->nfires; i++)
		b += heap(c->fires[i].rule);
	for (uint32_t i = 0; i < c->nexposed; i++)
		b += heap(c->exposed[i]);
	return b;
}

static void lru_unlink(store *s, store_cust *c)
{
	if (c->lru_prev)
		c->lru_prev->lru_next = c->lru_next;
	else
		s->lru_head = c->lru_next;
	if (c->lru_next)
		c->lru_next->lru_prev = c->lru_prev;
	else
		s->lru_tail = c->lru_prev;
	c->lru_prev = c->lru_next = NULL;
}

static void lru_front(store *s, store_cust *c)
{
	c->lru_next = s->lru_head;
	c->lru_prev = NULL;
	if (s->lru_head)
		s->lru_head->lru_prev = c;
	s->lru_head = c;
	if (!s->lru_tail)
		s->lru_tail = c;
}

static void cache_remove(store *s, store_cust *c)
{
	store_cust **pp = &s->buckets[c->hash & (s->nbuckets - 1)];
	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	lru_unlink(s, c);
	s->ncached--;
	s->bytes -= c->bytes;
	store_cust_free(c);
}

static void cache_grow(store *s)
{
	size_t nb = s->nbuckets * 2;
	store_cust **b = calloc(nb, sizeof *b);
	if (!b)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < s->nbuckets; i++) {
		store_cust *c = s->buckets[i];
		while (c) {
			store_cust *next = c->hnext;
			c->hnext = b[c->hash & (nb - 1)];
			b[c->hash & (nb - 1)] = c;
			c = next;
		}
	}
	free(s->buckets);
	s->bytes += (nb - s->nbuckets) * sizeof *b;
	s->buckets = b;
	s->nbuckets = nb;
}

static void cache_insert(store *s, store_cust *c)
{
	if (s->ncached >= s->nbuckets)
		cache_grow(s);
	c->hash = hash_id(c->id, c->idlen);
	size_t i = c->hash & (s->nbuckets - 1);
	c->hnext = s->buckets[i];
	s->buckets[i] = c;
	lru_front(s, c);
	s->ncached++;
	c->bytes = cust_bytes(c);
	s->bytes += c->bytes;
}

static store_cust *cache_find(store *s, const char *id, size_t n)
{
	uint64_t h = hash_id(id, n);
	for (store_cust *c = s->buckets[h & (s->nbuckets - 1)]; c; c = c->hnext)
		if (c->hash == h && c->idlen == n && memcmp(c->id, id, n) == 0)
			return c;
	return NULL;
}

void store_cust_touch(store *s, store_cust *c)
{
	if (!s)
		return; /* a record held outside the store (loyaltyctl simulate) */
	c->dirty_group = s->group;
	size_t nb = cust_bytes(c);
	s->bytes += nb - c->bytes;
	c->bytes = nb;
}

void store_cache_drop(store *s, store_cust *c)
{
	cache_remove(s, c);
}

void store_cache_clear(store *s)
{
	while (s->lru_head)
		cache_remove(s, s->lru_head);
}

void store_cache_free(store *s)
{
	store_cache_clear(s);
	free(s->buckets);
	s->buckets = NULL;
}

void store_cache_evict(store *s)
{
	store_cust *c = s->lru_tail;
	while (c && s->bytes > s->max_bytes) {
		store_cust *prev = c->lru_prev;
		if (!(s->in_group && c->dirty_group == s->group))
			cache_remove(s, c);
		c = prev;
	}
}

/* ---- attrs ------------------------------------------------------------- */

static int set_attr(store_cust *c, const char *key, size_t keylen, expr_value v)
{
	uint32_t i;
	for (i = 0; i < c->nattrs; i++)
		if (c->attrs[i].keylen == keylen && memcmp(c->attrs[i].key, key, keylen) == 0)
			break;
	if (v.t == EV_NULL) {
		if (i < c->nattrs) {
			attr_free(&c->attrs[i]);
			memmove(&c->attrs[i], &c->attrs[i + 1], (c->nattrs - i - 1) * sizeof *c->attrs);
			c->nattrs--;
		}
		return 0;
	}
	if (v.t == EV_STR) {
		char *p = malloc(v.u.s.n + 1);
		if (!p)
			return -1;
		memcpy(p, v.u.s.p, v.u.s.n);
		p[v.u.s.n] = 0;
		v.u.s.p = p;
	}
	if (i < c->nattrs) {
		if (c->attrs[i].val.t == EV_STR)
			free((char *)c->attrs[i].val.u.s.p);
		c->attrs[i].val = v;
		return 0;
	}
	store_attr *na = realloc(c->attrs, (c->nattrs + 1) * sizeof *na);
	char *k = malloc(keylen + 1);
	if (!na || !k) {
		if (na)
			c->attrs = na;
		free(k);
		if (v.t == EV_STR)
			free((char *)v.u.s.p);
		return -1;
	}
	memcpy(k, key, keylen);
	k[keylen] = 0;
	c->attrs = na;
	c->attrs[c->nattrs++] = (store_attr){ .key = k, .keylen = keylen, .val = v };
	return 0;
}

int store_cust_merge_attrs(store_cust *c, const rl_attr *a, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		expr_value v = a[i].val;
		if (v.t == EV_LIST)
			v = expr_null();
		if (set_attr(c, a[i].key.p, a[i].key.n, v) < 0)
			return -1;
	}
	return 0;
}

static int parse_attrs(store_cust *c, const char *text)
{
	char ebuf[128];
	yajl_val root = yajl_tree_parse(text, ebuf, sizeof ebuf);
	if (!root || !YAJL_IS_OBJECT(root)) {
		yajl_tree_free(root);
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < root->u.object.len && rc == 0; i++) {
		const char *k = root->u.object.keys[i];
		yajl_val v = root->u.object.values[i];
		expr_value ev = expr_null();
		if (YAJL_IS_TRUE(v))
			ev = expr_bool(true);
		else if (YAJL_IS_FALSE(v))
			ev = expr_bool(false);
		else if (YAJL_IS_INTEGER(v))
			ev = expr_int(YAJL_GET_INTEGER(v));
		else if (YAJL_IS_DOUBLE(v))
			ev = expr_float(YAJL_GET_DOUBLE(v));
		else if (YAJL_IS_STRING(v)) {
			const char *str = YAJL_GET_STRING(v);
			ev = str ? expr_str(str, strlen(str)) : expr_null();
		} else
			continue;
		rc = set_attr(c, k, strlen(k), ev);
	}
	yajl_tree_free(root);
	return rc;
}

/* ---- load / create / save ------------------------------------------------- */

static char *dup_col(sqlite3_stmt *st, int i, size_t *len)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	const unsigned char *p = sqlite3_column_text(st, i);
	int n = sqlite3_column_bytes(st, i);
	char *out = malloc((size_t)n + 1);
	if (!out)
		return NULL;
	memcpy(out, p, (size_t)n);
	out[n] = 0;
	if (len)
		*len = (size_t)n;
	return out;
}

/* The packed state columns (schema version 2): tierq {"tier": ts},
 * spend [[ts, amount], ...], fires [["rule", ts], ...]. */
static int push_spend(store_cust *c, int64_t ts, int64_t amount)
{
	if (c->nspend == c->capspend) {
		uint32_t cap = c->capspend ? c->capspend * 2 : 8;
		store_spend *n = realloc(c->spend, cap * sizeof *n);
		if (!n)
			return -1;
		c->spend = n;
		c->capspend = cap;
	}
	c->spend[c->nspend++] = (store_spend){ ts, amount };
	return 0;
}

static int push_fire(store_cust *c, const char *rule, size_t n, int64_t ts)
{
	if (c->nfires == c->capfires) {
		uint32_t cap = c->capfires ? c->capfires * 2 : 4;
		store_fire *nf = realloc(c->fires, cap * sizeof *nf);
		if (!nf)
			return -1;
		c->fires = nf;
		c->capfires = cap;
	}
	char *r = malloc(n + 1);
	if (!r)
		return -1;
	memcpy(r, rule, n);
	r[n] = 0;
	c->fires[c->nfires++] = (store_fire){ r, ts };
	return 0;
}

static int push_tierq(store_cust *c, const char *tier, int64_t q)
{
	store_tierq *n = realloc(c->tq, (c->ntq + 1) * sizeof *n);
	if (!n)
		return -1;
	c->tq = n;
	if (!(c->tq[c->ntq].tier = strdup(tier)))
		return -1;
	c->tq[c->ntq++].qualified_at = q;
	return 0;
}

static int parse_state(store_cust *c, const char *tierq, const char *spend, const char *fires)
{
	char ebuf[128];
	int rc = -1;
	yajl_val t = yajl_tree_parse(tierq ? tierq : "{}", ebuf, sizeof ebuf);
	yajl_val sp = yajl_tree_parse(spend ? spend : "[]", ebuf, sizeof ebuf);
	yajl_val f = yajl_tree_parse(fires ? fires : "[]", ebuf, sizeof ebuf);
	if (!YAJL_IS_OBJECT(t) || !YAJL_IS_ARRAY(sp) || !YAJL_IS_ARRAY(f))
		goto out;
	for (size_t i = 0; i < t->u.object.len; i++) {
		yajl_val v = t->u.object.values[i];
		if (!YAJL_IS_INTEGER(v) || push_tierq(c, t->u.object.keys[i], YAJL_GET_INTEGER(v)) < 0)
			goto out;
	}
	for (size_t i = 0; i < sp->u.array.len; i++) {
		yajl_val e = sp->u.array.values[i];
		if (!YAJL_IS_ARRAY(e) || e->u.array.len != 2 || !YAJL_IS_INTEGER(e->u.array.values[0])
		    || !YAJL_IS_INTEGER(e->u.array.values[1])
		    || push_spend(c, YAJL_GET_INTEGER(e->u.array.values[0]), YAJL_GET_INTEGER(e->u.array.values[1])) < 0)
			goto out;
	}
	for (size_t i = 0; i < f->u.array.len; i++) {
		yajl_val e = f->u.array.values[i];
		const char *rule;
		if (!YAJL_IS_ARRAY(e) || e->u.array.len != 2 || !YAJL_IS_STRING(e->u.array.values[0])
		    || !(rule = YAJL_GET_STRING(e->u.array.values[0])) || !YAJL_IS_INTEGER(e->u.array.values[1])
		    || push_fire(c, rule, strlen(rule), YAJL_GET_INTEGER(e->u.array.values[1])) < 0)
			goto out;
	}
	rc = 0;
out:
	yajl_tree_free(t);
	yajl_tree_free(sp);
	yajl_tree_free(f);
	return rc;
}

static int load_exposures(store *s, store_cust *c)
{
	sqlite3_stmt *st = store_stmt_get(s, ST_EXPO_GET);
	store_bind_str(st, 1, c->id, c->idlen);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char **n = realloc(c->exposed, (c->nexposed + 1) * sizeof *n);
		if (!n)
			break;
		c->exposed = n;
		if (!(c->exposed[c->nexposed] = dup_col(st, 0, NULL)))
			break;
		c->nexposed++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		snprintf(s->err, sizeof s->err, "reading exposures: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}


int store_cust_get(store *s, const char *id, size_t n, store_cust **out)
{
	store_cust *c = cache_find(s, id, n);
	if (c) {
		lru_unlink(s, c);
		lru_front(s, c);
		*out = c;
		return 0;
	}
	sqlite3_stmt *st = store_stmt_rebind(s, ST_CUST_GET);
	store_bind_str(st, 1, id, n);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 1;
	}
	if (rc != SQLITE_ROW) {
		store_set_err(s, "reading a customer");
		sqlite3_reset(st);
		return -1;
	}
	c = calloc(1, sizeof *c);
	if (!c)
		goto nomem;
	c->id = malloc(n + 1);
	if (!c->id)
		goto nomem;
	memcpy(c->id, id, n);
	c->id[n] = 0;
	c->idlen = n;
	c->enrolled_at = sqlite3_column_int64(st, 0);
	c->referred_by = dup_col(st, 1, &c->reflen);
	c->points = sqlite3_column_int64(st, 2);
	c->lifetime_spend = sqlite3_column_int64(st, 3);
	c->purchase_count = sqlite3_column_int64(st, 4);
	c->has_first = sqlite3_column_type(st, 5) != SQLITE_NULL;
	c->first_purchase_at = sqlite3_column_int64(st, 5);
	c->has_last = sqlite3_column_type(st, 6) != SQLITE_NULL;
	c->last_purchase_at = sqlite3_column_int64(st, 6);
	c->referrals = sqlite3_column_int64(st, 7);
	c->tier = dup_col(st, 8, NULL);
	c->tier_since = sqlite3_column_int64(st, 9);
	c->lifted_txn = dup_col(st, 10, NULL);
	char *attrs = dup_col(st, 11, NULL);
	char *tierq = dup_col(st, 12, NULL), *spend = dup_col(st, 13, NULL), *fires = dup_col(st, 14, NULL);
	sqlite3_reset(st);
	int bad = (attrs && parse_attrs(c, attrs) < 0) || parse_state(c, tierq, spend, fires) < 0;
	free(attrs);
	free(tierq);
	free(spend);
	free(fires);
	if (bad) {
		snprintf(s->err, sizeof s->err, "customer %s: unreadable state", c->id);
		store_cust_free(c);
		return -1;
	}
	if (load_exposures(s, c) < 0) {
		store_cust_free(c);
		return -1;
	}
	cache_insert(s, c);
	if (s->bytes > s->max_bytes)
		store_cache_over(s);
	*out = c;
	return 0;
nomem:
	sqlite3_reset(st);
	if (c)
		store_cust_free(c);
	snprintf(s->err, sizeof s->err, "out of memory loading a customer");
	return -1;
}

store_cust *store_cust_create(store *s, const char *id, size_t n, int64_t ts,
	const char *referred_by, size_t reflen)
{
	sqlite3_stmt *st = store_stmt_get(s, ST_CUST_INS);
	store_bind_str(st, 1, id, n);
	sqlite3_bind_int64(st, 2, ts);
	store_bind_str(st, 3, referred_by, reflen);
	if (store_exec_stmt(s, ST_CUST_INS) < 0)
		return NULL;
	store_cust *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->id = malloc(n + 1);
	if (referred_by)
		c->referred_by = malloc(reflen + 1);
	if (!c->id || (referred_by && !c->referred_by)) {
		store_cust_free(c);
		return NULL;
	}
	memcpy(c->id, id, n);
	c->id[n] = 0;
	c->idlen = n;
	if (referred_by) {
		memcpy(c->referred_by, referred_by, reflen);
		c->referred_by[reflen] = 0;
		c->reflen = reflen;
	}
	c->enrolled_at = ts;
	cache_insert(s, c);
	store_cust_touch(s, c);
	return c;
}

/* Also one value of the store's shared generator in store_cust_save. */
void store_cust_write_attrs(yajl_gen g, const store_cust *c)
{
	yajl_gen_map_open(g);
	for (uint32_t i = 0; i < c->nattrs; i++) {
		const store_attr *a = &c->attrs[i];
		yajl_gen_string(g, (const unsigned char *)a->key, a->keylen);
		switch (a->val.t) {
		case EV_BOOL: yajl_gen_bool(g, a->val.u.b); break;
		case EV_INT: store_json_int(g, a->val.u.i); break;
		case EV_FLOAT: yajl_gen_double(g, a->val.u.f); break;
		case EV_STR: yajl_gen_string(g, (const unsigned char *)a->val.u.s.p, a->val.u.s.n); break;
		default: yajl_gen_null(g); break;
		}
	}
	yajl_gen_map_close(g);
}

/* A double as yajl_gen_double prints it ("%.20g", and ".0" after an
 * integral value) so that the column reads back the same; an infinity
 * or NaN (never decoded from JSON) as null. */
static void sj_double(store *s, double d)
{
	if (!isfinite(d)) {
		sj_put(s, "null", 4);
		return;
	}
	char buf[40];
	int n = snprintf(buf, sizeof buf - 2, "%.20g", d);
	if (n < 0 || (size_t)n >= sizeof buf - 2)
		n = 0;
	if (strspn(buf, "0123456789-") == (size_t)n) {
		buf[n++] = '.';
		buf[n++] = '0';
	}
	sj_put(s, buf, (size_t)n);
}

/* store_cust_write_attrs' bytes, into the store's JSON buffer. */
static void sj_attrs(store *s, const store_cust *c)
{
	sj_put(s, "{", 1);
	for (uint32_t i = 0; i < c->nattrs; i++) {
		const store_attr *a = &c->attrs[i];
		if (i)
			sj_put(s, ",", 1);
		sj_str(s, a->key, a->keylen);
		sj_put(s, ":", 1);
		switch (a->val.t) {
		case EV_BOOL: a->val.u.b ? sj_put(s, "true", 4) : sj_put(s, "false", 5); break;
		case EV_INT: sj_i64(s, a->val.u.i); break;
		case EV_FLOAT: sj_double(s, a->val.u.f); break;
		case EV_STR: sj_str(s, a->val.u.s.p, a->val.u.s.n); break;
		default: sj_put(s, "null", 4); break;
		}
	}
	sj_put(s, "}", 1);
}

int store_cust_save(store *s, store_cust *c)
{
	size_t off[5];
	/* attrs, tierq, spend, fires back to back in one buffer */
	s->jlen = 0;
	s->jnomem = false;
	off[0] = 0;
	sj_attrs(s, c);
	off[1] = s->jlen;
	sj_put(s, "{", 1);
	bool first = true;
	for (uint32_t i = 0; i < c->ntq; i++) {
		if (!c->tq[i].qualified_at)
			continue; /* never qualified: nothing to keep */
		if (!first)
			sj_put(s, ",", 1);
		first = false;
		sj_str(s, c->tq[i].tier, strlen(c->tq[i].tier));
		sj_put(s, ":", 1);
		sj_i64(s, c->tq[i].qualified_at);
	}
	sj_put(s, "}", 1);
	off[2] = s->jlen;
	sj_put(s, "[", 1);
	for (uint32_t i = 0; i < c->nspend; i++) {
		sj_put(s, i ? ",[" : "[", i ? 2 : 1);
		sj_i64(s, c->spend[i].ts);
		sj_put(s, ",", 1);
		sj_i64(s, c->spend[i].amount);
		sj_put(s, "]", 1);
	}
	sj_put(s, "]", 1);
	off[3] = s->jlen;
	sj_put(s, "[", 1);
	for (uint32_t i = 0; i < c->nfires; i++) {
		sj_put(s, i ? ",[" : "[", i ? 2 : 1);
		sj_str(s, c->fires[i].rule, strlen(c->fires[i].rule));
		sj_put(s, ",", 1);
		sj_i64(s, c->fires[i].ts);
		sj_put(s, "]", 1);
	}
	sj_put(s, "]", 1);
	off[4] = s->jlen;
	if (s->jnomem) {
		snprintf(s->err, sizeof s->err, "out of memory writing customer %s", c->id);
		s->jlen = 0;
		return -1;
	}
	const char *buf = s->jbuf;

	/* bindings are cleared after every step (below), so the ones left
	 * out here are NULL */
	sqlite3_stmt *st = store_stmt_rebind(s, ST_CUST_UPD);
	store_bind_str(st, 1, c->id, c->idlen);
	sqlite3_bind_int64(st, 2, c->points);
	sqlite3_bind_int64(st, 3, c->lifetime_spend);
	sqlite3_bind_int64(st, 4, c->purchase_count);
	if (c->has_first)
		sqlite3_bind_int64(st, 5, c->first_purchase_at);
	if (c->has_last)
		sqlite3_bind_int64(st, 6, c->last_purchase_at);
	sqlite3_bind_int64(st, 7, c->referrals);
	store_bind_str(st, 8, c->tier, c->tier ? strlen(c->tier) : 0);
	if (c->tier)
		sqlite3_bind_int64(st, 9, c->tier_since);
	store_bind_str(st, 10, c->lifted_txn, c->lifted_txn ? strlen(c->lifted_txn) : 0);
	for (int k = 0; k < 4; k++) /* the buffer outlives the step: bound in place */
		sqlite3_bind_text(st, 11 + k, buf + off[k], (int)(off[k + 1] - off[k]), SQLITE_STATIC);
	store_cust_touch(s, c);
	int rc = store_exec_stmt(s, ST_CUST_UPD);
	sqlite3_clear_bindings(st); /* nothing may point into the buffer once it is reused */
	s->jlen = 0;
	return rc;
}

int64_t store_cust_tierq(const store_cust *c, const char *tier)
{
	for (uint32_t i = 0; i < c->ntq; i++)
		if (strcmp(c->tq[i].tier, tier) == 0)
			return c->tq[i].qualified_at;
	return 0;
}

int store_cust_set_tierq(store *s, store_cust *c, const char *tier, int64_t q)
{
	for (uint32_t i = 0; i < c->ntq; i++)
		if (strcmp(c->tq[i].tier, tier) == 0) {
			c->tq[i].qualified_at = q;
			store_cust_touch(s, c);
			return 0;
		}
	if (q == 0)
		return 0; /* never qualified, and no entry: nothing changes */
	if (push_tierq(c, tier, q) < 0)
		return -1;
	store_cust_touch(s, c);
	return 0;
}

/* Spend older than two years before the newest entry can only matter to a
 * request back-dated by more than a year; it goes, so that a customer's
 * row stays the size of its recent history. */
#define SPEND_KEEP_S (2 * 365 * 86400LL)

int store_cust_add_spend(store *s, store_cust *c, int64_t ts, int64_t amount, const char *txn, size_t txnlen)
{
	(void)txn;
	(void)txnlen;
	int64_t newest = ts;
	for (uint32_t i = 0; i < c->nspend; i++)
		if (c->spend[i].ts > newest)
			newest = c->spend[i].ts;
	uint32_t k = 0;
	for (uint32_t i = 0; i < c->nspend; i++)
		if (c->spend[i].ts > newest - SPEND_KEEP_S)
			c->spend[k++] = c->spend[i];
	c->nspend = k;
	if (push_spend(c, ts, amount) < 0)
		return -1;
	store_cust_touch(s, c);
	return 0;
}

int64_t store_cust_spend_12m(const store_cust *c, int64_t t)
{
	int64_t sum = 0;
	for (uint32_t i = 0; i < c->nspend; i++)
		if (c->spend[i].ts > t - 365 * 86400LL && c->spend[i].ts <= t)
			sum += c->spend[i].amount;
	return sum;
}

int store_cust_add_fire(store *s, store_cust *c, const char *rule, int64_t ts)
{
	if (push_fire(c, rule, strlen(rule), ts) < 0)
		return -1;
	store_cust_touch(s, c);
	return 0;
}

int store_cust_expose(store *s, store_cust *c, const char *exp, const char *variant, int64_t ts)
{
	for (uint32_t i = 0; i < c->nexposed; i++)
		if (strcmp(c->exposed[i], exp) == 0)
			return 0;
	char **n = realloc(c->exposed, (c->nexposed + 1) * sizeof *n);
	if (!n)
		return -1;
	c->exposed = n;
	if (!(c->exposed[c->nexposed] = strdup(exp)))
		return -1;
	c->nexposed++;
	sqlite3_stmt *st = store_stmt_get(s, ST_EXPO_INS);
	store_bind_str(st, 1, c->id, c->idlen);
	store_bind_str(st, 2, exp, strlen(exp));
	store_bind_str(st, 3, variant, strlen(variant));
	sqlite3_bind_int64(st, 4, ts);
	store_cust_touch(s, c);
	return store_exec_stmt(s, ST_EXPO_INS);
}
