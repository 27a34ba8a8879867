/* engine/report_data.c — reads one experiment's exposures and the purchases
 * that follow them from the SQLite store (see report_data.h). Owns the SQL
 * of the report; must not compute statistics or format output.
 *
 * Two queries inside one read transaction: the exposures, then the
 * purchases, matched to exposed customers (at or after their first
 * exposure) through a hash of the ids. The store keeps per purchase its
 * total, earned points and refund totals (engine/store_schema.c, table
 * txns); the discount comes from a `discount_total` (or `discount`) column
 * when the schema has one, else from the purchase's stored answer. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include "engine/report_data.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

/* Longest timeline kept day by day before bucketing: 100 years. A purchase
 * dated beyond that (a corrupt clock) is counted in the last day. */
#define RD_MAX_DAYS 36600
/* |first_ts| beyond this (about 35 million years) is not a time */
#define RD_MAX_ABS_TS (1LL << 50)

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static char *dupstr(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

static int variant_index(rd_data *d, const char *name, char *err, size_t errsz)
{
	for (uint32_t i = 0; i < d->nvariants; i++)
		if (strcmp(d->variants[i].name, name) == 0)
			return (int)i;
	if (d->nvariants >= RD_MAX_VARIANTS) {
		snprintf(err, errsz, "experiment %s has more than %d variants", d->experiment, RD_MAX_VARIANTS);
		return -1;
	}
	rd_variant *v = realloc(d->variants, (d->nvariants + 1) * sizeof *v);
	if (!v)
		goto nomem;
	d->variants = v;
	v[d->nvariants] = (rd_variant){ .name = dupstr(name) };
	if (!v[d->nvariants].name)
		goto nomem;
	return (int)d->nvariants++;
nomem:
	snprintf(err, errsz, "out of memory");
	return -1;
}

static int cust_cmp(const void *a, const void *b)
{
	return strcmp(((const rd_cust *)a)->id, ((const rd_cust *)b)->id);
}

static bool has_column(sqlite3 *db, const char *table, const char *col)
{
	sqlite3_stmt *st;
	char sql[128];
	snprintf(sql, sizeof sql, "PRAGMA table_info(%s)", table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return false;
	bool found = false;
	while (!found && sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *name = sqlite3_column_text(st, 1);
		found = name && strcmp((const char *)name, col) == 0;
	}
	sqlite3_finalize(st);
	return found;
}

static int load_exposures(sqlite3 *db, rd_data *d, char *err, size_t errsz)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db,
		"SELECT customer, variant, first_ts FROM exposures WHERE experiment = ?1",
		-1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "reading table exposures: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_text(st, 1, d->experiment, -1, SQLITE_STATIC);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *var = (const char *)sqlite3_column_text(st, 1);
		if (!id || !var) {
			snprintf(err, errsz, "exposures of %s: a row without customer or variant", d->experiment);
			goto fail;
		}
		int vi = variant_index(d, var, err, errsz);
		if (vi < 0)
			goto fail;
		if (d->ncust == cap) {
			cap = cap ? cap * 2 : 1024;
			rd_cust *c = realloc(d->cust, cap * sizeof *c);
			if (!c)
				goto nomem;
			d->cust = c;
		}
		rd_cust *c = &d->cust[d->ncust];
		*c = (rd_cust){ .id = dupstr(id), .variant = (uint32_t)vi,
			.first_ts = sqlite3_column_int64(st, 2) };
		if (!c->id)
			goto nomem;
		d->ncust++;
		/* a time this far off is corruption; days and dates would overflow */
		if (c->first_ts < -RD_MAX_ABS_TS || c->first_ts > RD_MAX_ABS_TS) {
			snprintf(err, errsz, "exposures of %s: customer %s has first_ts %lld, not a time",
				d->experiment, c->id, (long long)c->first_ts);
			goto fail;
		}
		if (d->ncust == 1 || c->first_ts < d->first_exposure)
			d->first_exposure = c->first_ts;
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errsz, "reading table exposures: %s", sqlite3_errmsg(db));
		goto fail;
	}
	sqlite3_finalize(st);
	if (d->ncust > 1)
		qsort(d->cust, d->ncust, sizeof *d->cust, cust_cmp);
	for (size_t i = 1; i < d->ncust; i++)
		if (strcmp(d->cust[i - 1].id, d->cust[i].id) == 0) {
			snprintf(err, errsz, "exposures of %s: customer %s exposed twice", d->experiment, d->cust[i].id);
			return -1;
		}
	return 0;
nomem:
	snprintf(err, errsz, "out of memory");
fail:
	sqlite3_finalize(st);
	return -1;
}

/* Day-by-day sums while scanning; bucketed at the end. */
typedef struct days {
	int64_t d0;        /* first day (days since the epoch, UTC) */
	uint32_t n, cap;   /* days used / allocated */
	int64_t *net;      /* [day * nvariants + variant] */
} days;

static int days_add(days *ds, uint32_t nvar, int64_t ts, uint32_t var, int64_t net)
{
	int64_t day = floor_div(ts, RD_DAY) - ds->d0;
	if (day < 0)
		day = 0; /* cannot happen: ts >= first_ts >= d0 */
	if (day >= RD_MAX_DAYS)
		day = RD_MAX_DAYS - 1;
	if ((uint32_t)day >= ds->cap) {
		uint32_t cap = ds->cap ? ds->cap : 64;
		while (cap <= (uint32_t)day)
			cap *= 2;
		if (cap > RD_MAX_DAYS)
			cap = RD_MAX_DAYS;
		int64_t *p = realloc(ds->net, (size_t)cap * nvar * sizeof *p);
		if (!p)
			return -1;
		memset(p + (size_t)ds->cap * nvar, 0, (size_t)(cap - ds->cap) * nvar * sizeof *p);
		ds->net = p;
		ds->cap = cap;
	}
	if ((uint32_t)day + 1 > ds->n)
		ds->n = (uint32_t)day + 1;
	ds->net[(size_t)day * nvar + var] += net;
	return 0;
}

static int bucket_days(rd_data *d, const days *ds)
{
	uint32_t ndays = ds->n ? ds->n : 1;
	uint32_t per = (ndays + RD_MAX_BUCKETS - 1) / RD_MAX_BUCKETS;
	d->bucket_s = (int64_t)per * RD_DAY;
	d->t0 = ds->d0 * RD_DAY;
	d->nbuckets = (ndays + per - 1) / per;
	d->bucket_net = calloc((size_t)d->nbuckets * d->nvariants + 1, sizeof *d->bucket_net);
	if (!d->bucket_net)
		return -1;
	d->timeline_nvariants = d->nvariants;
	for (uint32_t day = 0; day < ds->n; day++)
		for (uint32_t v = 0; v < d->nvariants; v++)
			d->bucket_net[(size_t)v * d->nbuckets + day / per] += ds->net[(size_t)day * d->nvariants + v];
	return 0;
}

/* Where a purchase's discount is: a column when the schema has one, else
 * the discount_total member of the purchase's stored answer (the
 * protocol's response members, kept for replays). */
typedef enum disc_src { DISC_NONE, DISC_COLUMN, DISC_ANSWER } disc_src;

static disc_src discount_source(sqlite3 *db, const char **col)
{
	if (has_column(db, "txns", "discount_total")) {
		*col = "t.discount_total";
		return DISC_COLUMN;
	}
	if (has_column(db, "txns", "discount")) {
		*col = "t.discount";
		return DISC_COLUMN;
	}
	*col = has_column(db, "txns", "answer") ? "t.answer" : "NULL";
	return has_column(db, "txns", "answer") ? DISC_ANSWER : DISC_NONE;
}

/* discount_total from an answer's members. Searching for the key's text
 * is exact for answers loyaltyd writes (yajl, no whitespace): the key is
 * unique to the top level (lines and applied say "discount"), and a quote
 * inside a JSON string is always escaped, so `"discount_total":` cannot
 * occur inside a value. A JSON parser per purchase would double the
 * report's time over a million purchases. false: not found. */
static bool answer_discount(const char *a, size_t n, int64_t *out)
{
	static const char key[] = "\"discount_total\":";
	const char *p = a ? memmem(a, n, key, sizeof key - 1) : NULL;
	if (!p)
		return false;
	p += sizeof key - 1;
	const char *end = a + n;
	if (p >= end || *p < '0' || *p > '9')
		return false;
	int64_t v = 0;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (INT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (*p - '0');
	}
	*out = v;
	return true;
}

/* *acc += |v|; true on overflow */
static bool acc_abs(int64_t *acc, int64_t v)
{
	if (v == INT64_MIN)
		return true;
	return __builtin_add_overflow(*acc, v < 0 ? -v : v, acc);
}

/* How many customers the store has, to choose the plan (0 if unknown). */
static int64_t count_customers(sqlite3 *db)
{
	sqlite3_stmt *st;
	int64_t n = 0;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM customers", -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Exposed customers by id: open addressing over d->cust (sorted), so the
 * full-scan plan pays a hash per transaction instead of a B-tree search. */
typedef struct cust_index {
	uint32_t *slot;   /* 0 empty, else index + 1 */
	uint64_t mask;
} cust_index;

static int index_build(cust_index *ix, const rd_data *d)
{
	uint64_t cap = 16;
	while (cap < (uint64_t)d->ncust * 2)
		cap *= 2;
	ix->slot = calloc(cap, sizeof *ix->slot);
	ix->mask = cap - 1;
	if (!ix->slot)
		return -1;
	for (size_t i = 0; i < d->ncust; i++) {
		uint64_t h = XXH3_64bits(d->cust[i].id, strlen(d->cust[i].id)) & ix->mask;
		while (ix->slot[h])
			h = (h + 1) & ix->mask;
		ix->slot[h] = (uint32_t)i + 1;
	}
	return 0;
}

static rd_cust *index_find(const cust_index *ix, rd_data *d, const char *id, size_t n)
{
	uint64_t h = XXH3_64bits(id, n) & ix->mask;
	for (; ix->slot[h]; h = (h + 1) & ix->mask) {
		rd_cust *c = &d->cust[ix->slot[h] - 1];
		if (strncmp(c->id, id, n) == 0 && c->id[n] == '\0')
			return c;
	}
	return NULL;
}

static int load_purchases(sqlite3 *db, rd_data *d, char *err, size_t errsz)
{
	const char *dcol;
	disc_src src = discount_source(db, &dcol);
	/* Two plans. Most customers exposed (the usual experiment at 100%
	 * traffic): one sequential pass over every purchase, joined here
	 * through a hash of the exposed ids — SQLite's own join would search
	 * the exposures B-tree once per transaction, ten times the cost of
	 * the scan. Few exposed: their purchases through the txns_customer
	 * index, because then the random reads cost less than reading every
	 * transaction. */
	bool few = (int64_t)d->ncust * 8 < count_customers(db);
	char sql[512];
	if (few)
		snprintf(sql, sizeof sql,
			"SELECT e.customer, t.ts, t.total, t.refunded_net, t.earned - t.reversed, %s"
			" FROM exposures e CROSS JOIN txns t ON t.customer = e.customer"
			" WHERE e.experiment = ?1 AND t.op = 'purchase'", dcol);
	else
		snprintf(sql, sizeof sql,
			"SELECT t.customer, t.ts, t.total, t.refunded_net, t.earned - t.reversed, %s"
			" FROM txns t NOT INDEXED WHERE t.op = 'purchase' AND t.customer IS NOT NULL", dcol);
	cust_index ix = {0};
	if (index_build(&ix, d) < 0) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "reading table txns: %s", sqlite3_errmsg(db));
		free(ix.slot);
		return -1;
	}
	if (few)
		sqlite3_bind_text(st, 1, d->experiment, -1, SQLITE_STATIC);
	days ds = { .d0 = floor_div(d->first_exposure, RD_DAY) };
	size_t unreadable = 0;
	int64_t abs_money = 0, abs_points = 0, abs_disc = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		rd_cust *c = id ? index_find(&ix, d, id, (size_t)sqlite3_column_bytes(st, 0)) : NULL;
		int64_t ts = sqlite3_column_int64(st, 1);
		if (!c || ts < c->first_ts)
			continue; /* not exposed, or before the first exposure */
		int64_t total = sqlite3_column_int64(st, 2);
		int64_t refunded = sqlite3_column_int64(st, 3);
		int64_t disc = 0, net;
		bool ovf = false;
		if (src == DISC_COLUMN) {
			disc = sqlite3_column_int64(st, 5);
		} else if (src == DISC_ANSWER) {
			const char *a = (const char *)sqlite3_column_text(st, 5);
			if (!answer_discount(a, (size_t)sqlite3_column_bytes(st, 5), &disc))
				unreadable++;
		}
		int64_t points = sqlite3_column_int64(st, 4);
		/* A corrupt store must give an error, not wrapped sums: when the
		 * sums of absolute values fit, every partial sum made later
		 * (per customer, variant, day, cumulative) fits too. */
		ovf |= acc_abs(&abs_money, total) || acc_abs(&abs_money, refunded);
		ovf |= acc_abs(&abs_points, points) || acc_abs(&abs_disc, disc);
		if (ovf) {
			snprintf(err, errsz, "txns: amounts too large (over 64 bits) at customer %s", c->id);
			goto fail;
		}
		net = total - refunded;
		c->total += total;
		c->refunded += refunded;
		c->points += points;
		c->discount += disc;
		c->purchases++;
		if (ts > d->last_purchase)
			d->last_purchase = ts;
		if (days_add(&ds, d->nvariants, ts, c->variant, net) < 0) {
			snprintf(err, errsz, "out of memory");
			goto fail;
		}
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errsz, "reading table txns: %s", sqlite3_errmsg(db));
		goto fail;
	}
	sqlite3_finalize(st);
	free(ix.slot);
	/* a discount missing from any counted purchase would understate the
	 * cost: report it as not recorded rather than wrong */
	d->has_discount = src != DISC_NONE && unreadable == 0;
	int r = bucket_days(d, &ds);
	free(ds.net);
	if (r < 0)
		snprintf(err, errsz, "out of memory");
	return r;
fail:
	free(ix.slot);
	free(ds.net);
	sqlite3_finalize(st);
	return -1;
}

/* Moves variant v to position newpos[v] (nvars already in the new order):
 * customers' indexes and timeline rows follow. The timeline has rows only
 * for the variants known when it was built; variants added since get
 * zeros. Takes ownership of nvars. */
static int permute(rd_data *d, const uint32_t *newpos, rd_variant *nvars)
{
	uint32_t nv = d->nvariants;
	int64_t *nb = calloc((size_t)nv * d->nbuckets + 1, sizeof *nb);
	if (!nb) {
		free(nvars);
		return -1;
	}
	for (size_t i = 0; i < d->ncust; i++)
		d->cust[i].variant = newpos[d->cust[i].variant];
	for (uint32_t v = 0; v < d->timeline_nvariants; v++)
		memcpy(nb + (size_t)newpos[v] * d->nbuckets, d->bucket_net + (size_t)v * d->nbuckets,
			d->nbuckets * sizeof *nb);
	free(d->bucket_net);
	d->bucket_net = nb;
	d->timeline_nvariants = nv;
	free(d->variants);
	d->variants = nvars;
	return 0;
}

/* Without a configuration: "control" first, then byte order, so that
 * the same store always reads the same way. */
static int default_order(rd_data *d)
{
	uint32_t nv = d->nvariants;
	uint32_t *newpos = malloc((nv ? nv : 1) * sizeof *newpos);
	rd_variant *nvars = malloc((nv ? nv : 1) * sizeof *nvars);
	if (!newpos || !nvars) {
		free(newpos);
		free(nvars);
		return -1;
	}
	for (uint32_t v = 0; v < nv; v++) {
		uint32_t pos = 0;
		const char *a = d->variants[v].name;
		for (uint32_t u = 0; u < nv; u++) {
			const char *b = d->variants[u].name;
			bool ac = strcmp(a, "control") == 0, bc = strcmp(b, "control") == 0;
			if (u != v && (bc > ac || (bc == ac && strcmp(b, a) < 0)))
				pos++;
		}
		newpos[v] = pos;
		nvars[pos] = d->variants[v];
	}
	int r = permute(d, newpos, nvars);
	free(newpos);
	return r;
}

int rd_load_sqlite(sqlite3 *db, const char *name, rd_data *out, char *err, size_t errsz)
{
	memset(out, 0, sizeof *out);
	out->experiment = dupstr(name);
	if (!out->experiment) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	char *msg = NULL;
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errsz, "starting a read transaction: %s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	int r = load_exposures(db, out, err, errsz);
	if (r == 0)
		r = load_purchases(db, out, err, errsz);
	if (r == 0 && default_order(out) < 0) {
		snprintf(err, errsz, "out of memory");
		r = -1;
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return r;
}

int rd_set_weights(rd_data *d, const char *const *names, const double *weights, uint32_t n,
	char *err, size_t errsz)
{
	if (n > RD_MAX_VARIANTS) {
		snprintf(err, errsz, "experiment %s: more than %d configured variants", d->experiment, RD_MAX_VARIANTS);
		return -1;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (!(weights[i] >= 0) || !isfinite(weights[i])) {
			snprintf(err, errsz, "experiment %s: variant %s has a bad weight", d->experiment, names[i]);
			return -1;
		}
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0) {
				snprintf(err, errsz, "experiment %s: variant %s configured twice", d->experiment, names[i]);
				return -1;
			}
	}
	/* every configured variant gets a row, even with no customer */
	for (uint32_t i = 0; i < n; i++)
		if (variant_index(d, names[i], err, errsz) < 0)
			return -1;
	uint32_t nv = d->nvariants, k = 0;
	uint32_t *newpos = malloc((nv + 1) * sizeof *newpos);
	rd_variant *nvars = malloc((nv + 1) * sizeof *nvars);
	bool *placed = calloc(nv + 1, sizeof *placed);
	if (!newpos || !nvars || !placed) {
		free(newpos);
		free(nvars);
		free(placed);
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	/* configured first, in configuration order; then the store's others */
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t v = 0; v < nv; v++)
			if (!placed[v] && strcmp(d->variants[v].name, names[i]) == 0) {
				placed[v] = true;
				newpos[v] = k;
				nvars[k] = d->variants[v];
				nvars[k].weight = weights[i];
				nvars[k].configured = true;
				k++;
			}
	for (uint32_t v = 0; v < nv; v++)
		if (!placed[v]) {
			newpos[v] = k;
			nvars[k] = d->variants[v];
			nvars[k].weight = 0;
			nvars[k].configured = false;
			k++;
		}
	free(placed);
	int r = permute(d, newpos, nvars);
	free(newpos);
	if (r < 0) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	d->has_weights = true;
	return 0;
}

static bool has_table(sqlite3 *db, const char *table)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
		-1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	bool found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

int rd_store_weights(sqlite3 *db, const char *name, rd_weights *w, char *err, size_t errsz)
{
	memset(w, 0, sizeof *w);
	if (!has_table(db, "experiment_variants"))
		return 1;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT variant, weight FROM experiment_variants"
		" WHERE experiment = ?1 ORDER BY position", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "reading table experiment_variants: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		if (!v || w->n >= RD_MAX_VARIANTS) {
			snprintf(err, errsz, "experiment_variants of %s: %s", name,
				v ? "too many variants" : "a row without variant");
			goto fail;
		}
		char **nn = realloc(w->names, (w->n + 1) * sizeof *nn);
		if (nn)
			w->names = nn;
		double *nw = realloc(w->weights, (w->n + 1) * sizeof *nw);
		if (nw)
			w->weights = nw;
		if (!nn || !nw || !(w->names[w->n] = dupstr(v))) {
			snprintf(err, errsz, "out of memory");
			goto fail;
		}
		w->weights[w->n++] = sqlite3_column_double(st, 1);
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errsz, "reading table experiment_variants: %s", sqlite3_errmsg(db));
		goto fail;
	}
	sqlite3_finalize(st);
	return w->n ? 0 : 1;
fail:
	sqlite3_finalize(st);
	rd_weights_free(w);
	return -1;
}

void rd_weights_free(rd_weights *w)
{
	for (uint32_t i = 0; i < w->n; i++)
		free(w->names[i]);
	free(w->names);
	free(w->weights);
	memset(w, 0, sizeof *w);
}

void rd_free(rd_data *d)
{
	for (uint32_t i = 0; i < d->nvariants; i++)
		free(d->variants[i].name);
	free(d->variants);
	for (size_t i = 0; i < d->ncust; i++)
		free(d->cust[i].id);
	free(d->cust);
	free(d->bucket_net);
	free(d->experiment);
	memset(d, 0, sizeof *d);
}
