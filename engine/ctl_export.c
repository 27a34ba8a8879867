/* engine/ctl_export.c — `loyaltyctl export [FILE]`: every customer as one
 * NDJSON line in the import format (the `customer` answer's fields, times
 * in RFC 3339 UTC), plus the extension fields that make import restore the
 * state exactly: enrolled_at, tier_state (per tier, last qualified, Unix
 * seconds), spend_history (the [ts, amount] entries still inside
 * spend_12m's year) and fires ([rule, ts] of limited rules). The tier is
 * the one stored at the last commit (export has no program to evaluate). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>
#include <yajl/yajl_gen.h>

#include "engine/ctl_store.h"
#include "engine/store_internal.h"

static void key(yajl_gen g, const char *k)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

static void time_member(yajl_gen g, const char *k, bool has, int64_t ts)
{
	key(g, k);
	if (!has) {
		yajl_gen_null(g);
		return;
	}
	time_t t = (time_t)ts;
	struct tm tm;
	char buf[64];
	if (!gmtime_r(&t, &tm)) {
		yajl_gen_integer(g, ts);
		return;
	}
	size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	yajl_gen_string(g, (const unsigned char *)buf, n);
}

static void write_customer(yajl_gen g, const store_cust *c, int64_t now)
{
	yajl_gen_map_open(g);
	key(g, "customer");
	yajl_gen_string(g, (const unsigned char *)c->id, c->idlen);
	key(g, "tier");
	if (c->tier)
		yajl_gen_string(g, (const unsigned char *)c->tier, strlen(c->tier));
	else
		yajl_gen_null(g);
	time_member(g, "tier_since", c->tier != NULL, c->tier_since);
	key(g, "points");
	yajl_gen_integer(g, c->points);
	key(g, "lifetime_spend");
	yajl_gen_integer(g, c->lifetime_spend);
	key(g, "spend_12m");
	yajl_gen_integer(g, store_cust_spend_12m(c, now));
	key(g, "purchase_count");
	yajl_gen_integer(g, c->purchase_count);
	time_member(g, "first_purchase_at", c->has_first, c->first_purchase_at);
	time_member(g, "last_purchase_at", c->has_last, c->last_purchase_at);
	key(g, "referred_by");
	if (c->referred_by)
		yajl_gen_string(g, (const unsigned char *)c->referred_by, c->reflen);
	else
		yajl_gen_null(g);
	key(g, "referrals");
	yajl_gen_integer(g, c->referrals);
	key(g, "attrs");
	store_cust_write_attrs(g, c);
	time_member(g, "enrolled_at", true, c->enrolled_at);
	key(g, "tier_state");
	yajl_gen_map_open(g);
	for (uint32_t i = 0; i < c->ntq; i++) {
		key(g, c->tq[i].tier);
		yajl_gen_integer(g, c->tq[i].qualified_at);
	}
	yajl_gen_map_close(g);
	key(g, "spend_history");
	yajl_gen_array_open(g);
	for (uint32_t i = 0; i < c->nspend; i++) {
		if (c->spend[i].ts <= now - 365 * 86400LL)
			continue; /* out of spend_12m for good */
		yajl_gen_array_open(g);
		yajl_gen_integer(g, c->spend[i].ts);
		yajl_gen_integer(g, c->spend[i].amount);
		yajl_gen_array_close(g);
	}
	yajl_gen_array_close(g);
	key(g, "fires");
	yajl_gen_array_open(g);
	for (uint32_t i = 0; i < c->nfires; i++) {
		yajl_gen_array_open(g);
		key(g, c->fires[i].rule);
		yajl_gen_integer(g, c->fires[i].ts);
		yajl_gen_array_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}

int ctl_export(int argc, char **argv)
{
	const char *dbpath, *file;
	if (ctl_store_args(argc, argv, "export", &dbpath, &file) < 0)
		return 2;
	FILE *out = !file || strcmp(file, "-") == 0 ? stdout : fopen(file, "w");
	if (!out) {
		fprintf(stderr, "loyaltyctl export: %s: %s\n", file, strerror(errno));
		return 1;
	}
	store_config cfg = { .db_path = dbpath, .durability = STORE_OFF, .cache_mb = 16 };
	char err[512];
	store *s = store_open(NULL, &cfg, err, sizeof err);
	if (!s) {
		fprintf(stderr, "loyaltyctl export: %s\n", err);
		if (out != stdout)
			fclose(out);
		return 1;
	}
	int status = 0;
	int64_t now = (int64_t)time(NULL);
	sqlite3_stmt *ids;
	/* one read transaction: a consistent snapshot even while loyaltyd runs */
	sqlite3_exec(store_db(s), "BEGIN", NULL, NULL, NULL);
	if (sqlite3_prepare_v2(store_db(s), "SELECT id FROM customers ORDER BY id", -1, &ids, NULL) != SQLITE_OK) {
		fprintf(stderr, "loyaltyctl export: %s\n", sqlite3_errmsg(store_db(s)));
		status = 1;
		goto done;
	}
	yajl_gen g = yajl_gen_alloc(NULL);
	long count = 0;
	int rc;
	while ((rc = sqlite3_step(ids)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(ids, 0);
		size_t n = (size_t)sqlite3_column_bytes(ids, 0);
		store_cust *c;
		if (store_cust_get(s, id, n, &c) != 0) {
			fprintf(stderr, "loyaltyctl export: %s\n", store_errmsg(s));
			status = 1;
			break;
		}
		yajl_gen_reset(g, NULL);
		yajl_gen_clear(g);
		write_customer(g, c, now);
		const unsigned char *buf;
		size_t bl;
		yajl_gen_get_buf(g, &buf, &bl);
		fwrite(buf, 1, bl, out);
		fputc('\n', out);
		yajl_gen_clear(g);
		if (++count % 4096 == 0)
			store_cache_clear(s); /* bounded memory on big stores */
	}
	if (status == 0 && rc != SQLITE_DONE) {
		fprintf(stderr, "loyaltyctl export: %s\n", sqlite3_errmsg(store_db(s)));
		status = 1;
	}
	yajl_gen_free(g);
	sqlite3_finalize(ids);
	if (fflush(out) != 0 || ferror(out)) {
		fprintf(stderr, "loyaltyctl export: %s: %s\n", file ? file : "stdout", strerror(errno));
		status = 1;
	}
done:
	sqlite3_exec(store_db(s), "COMMIT", NULL, NULL, NULL);
	store_close(s);
	if (out != stdout)
		fclose(out);
	return status;
}
