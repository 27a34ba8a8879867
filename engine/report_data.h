/* engine/report_data.h — what the experiment report reads from the store:
 * each exposed customer of one experiment with its activity from its first
 * exposure on, and the net revenue per variant per time bucket for the
 * cumulative chart.
 *
 * Owns the SQL against the store's tables (engine/store_schema.c: exposures,
 * txns); must not compute statistics or format anything (report_calc.c,
 * report_text.c, report_html.c, report_json.c do). Reads inside one read
 * transaction so that the figures are one consistent snapshot even while
 * loyaltyd writes. */
#ifndef ENGINE_REPORT_DATA_H
#define ENGINE_REPORT_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/* Bounds: a report with more variants than this is refused (experiments
 * have a handful); the timeline widens its buckets to stay under
 * RD_MAX_BUCKETS. */
#define RD_MAX_VARIANTS 64
#define RD_MAX_BUCKETS 400
#define RD_DAY 86400

typedef struct rd_variant {
	char *name;
	double weight;        /* configured weight; 0 when not configured */
	bool configured;      /* named in the configured weights */
} rd_variant;

/* One exposed customer: sums over its purchases with ts >= first_ts. */
typedef struct rd_cust {
	char *id;
	uint32_t variant;     /* index into rd_data.variants */
	int64_t first_ts;
	int64_t purchases;
	int64_t total;        /* Σ purchase total (minor units) */
	int64_t refunded;     /* Σ refunded net of those purchases */
	int64_t discount;     /* Σ discount_total (0 when !has_discount) */
	int64_t points;       /* Σ points earned minus points reversed by refunds */
} rd_cust;

typedef struct rd_data {
	char *experiment;
	rd_variant *variants;
	uint32_t nvariants;
	rd_cust *cust;        /* sorted by id */
	size_t ncust;
	bool has_discount;    /* the store records each purchase's discount_total */
	bool has_weights;     /* rd_set_weights was given a configuration */
	/* timeline: net revenue (total − refunded) of purchases by purchase
	 * time, in buckets of bucket_s seconds from t0 (UTC, day-aligned) */
	int64_t t0, bucket_s;
	uint32_t nbuckets;
	int64_t *bucket_net;  /* [variant * nbuckets + bucket] */
	uint32_t timeline_nvariants; /* rows of bucket_net (== nvariants after a load) */
	int64_t first_exposure, last_purchase; /* 0 when none */
} rd_data;

/* Reads experiment `name` from an open SQLite store. 0 on success (an
 * experiment nobody was exposed to gives ncust == 0, not an error); -1
 * with a message naming the table or column on failure. */
int rd_load_sqlite(sqlite3 *db, const char *name, rd_data *out, char *err, size_t errsz);

/* Applies the configured variants and weights (in configuration order):
 * variants are reordered configuration first, the ones only the store
 * knows after them (configured = false, weight 0). -1 on a bad weight or
 * too many variants. */
int rd_set_weights(rd_data *d, const char *const *names, const double *weights, uint32_t n,
	char *err, size_t errsz);

/* Configured weights kept in the store, if the schema has a table
 * experiment_variants(experiment, variant, weight, position): 0 and the
 * lists (malloc'd; free with rd_weights_free), 1 when the store keeps none
 * for this experiment, -1 on a read error. */
typedef struct rd_weights {
	char **names;
	double *weights;
	uint32_t n;
} rd_weights;
int rd_store_weights(sqlite3 *db, const char *name, rd_weights *out, char *err, size_t errsz);
void rd_weights_free(rd_weights *w);

void rd_free(rd_data *d);

#endif
