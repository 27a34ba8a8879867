/* engine/ctl_import.c — `loyaltyctl import FILE`: bulk-loads customers from
 * NDJSON (one customer a line, the fields of the `customer` answer;
 * running.md). All or nothing: one transaction, and the first bad line is
 * reported as FILE:LINE: message with nothing imported. Points arrive as
 * one opening ledger entry ("import") per customer; spend_12m as one spend
 * entry at last_purchase_at (or the import time); the tier as qualified at
 * the import time, so its keep_days grace starts now. The extension fields
 * that `export` writes (enrolled_at, tier_state, spend_history, fires)
 * restore those exactly. Fast path: prepared statements, synchronous=OFF
 * during the load and one fsync at the commit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "engine/ctl_store.h"
#include "engine/decode.h"
#include "engine/store.h"

#define MAX_ABS 1000000000000LL /* 10^12: protocol.md's bound on points */

enum { I_CUST, I_LEDGER, I_SPEND, I_TIERQ, I_FIRE, I__N };
static const char *const isql[I__N] = {
	"INSERT INTO customers (id, enrolled_at, referred_by, points, lifetime_spend, purchase_count,"
	" first_purchase_at, last_purchase_at, referrals, tier, tier_since, attrs)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	"INSERT INTO ledger (customer, kind, points, txn, rules_version, ts, reason)"
	" VALUES (?1, 'import', ?2, NULL, NULL, ?3, 'opening balance')",
	"INSERT INTO spend (customer, ts, amount, txn) VALUES (?1, ?2, ?3, NULL)",
	"INSERT OR REPLACE INTO tier_state (customer, tier, qualified_at) VALUES (?1, ?2, ?3)",
	"INSERT INTO fires (customer, rule, ts) VALUES (?1, ?2, ?3)",
};

typedef struct imp {
	sqlite3 *db;
	sqlite3_stmt *st[I__N];
	int64_t now;
	char msg[512];
} imp;

static const char *const known[] = {
	"customer", "tier", "tier_since", "points", "lifetime_spend", "spend_12m",
	"purchase_count", "first_purchase_at", "last_purchase_at", "attrs",
	"referred_by", "referrals", "enrolled_at", "tier_state", "spend_history", "fires",
	/* parts of a `customer` answer that are computed, not stored */
	"ok", "id", "segments", "experiments", "created",
};

static yajl_val get(yajl_val obj, const char *key)
{
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (strcmp(obj->u.object.keys[i], key) == 0)
			return obj->u.object.values[i];
	return NULL;
}

static int int_field(imp *m, yajl_val o, const char *key, int64_t lo, int64_t hi, int64_t *out, bool *has)
{
	yajl_val v = get(o, key);
	*has = false;
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_INTEGER(v)) {
		snprintf(m->msg, sizeof m->msg, "%s must be an integer", key);
		return -1;
	}
	int64_t x = YAJL_GET_INTEGER(v);
	if (x < lo || x > hi) {
		snprintf(m->msg, sizeof m->msg, "%s must be within %lld..%lld", key, (long long)lo, (long long)hi);
		return -1;
	}
	*out = x;
	*has = true;
	return 0;
}

static int time_value(yajl_val v, int64_t *out)
{
	if (YAJL_IS_INTEGER(v)) {
		*out = YAJL_GET_INTEGER(v);
		return *out >= 0 ? 0 : -1;
	}
	if (YAJL_IS_STRING(v)) {
		const char *s = YAJL_GET_STRING(v);
		return s && decode_rfc3339(s, strlen(s), out) ? 0 : -1;
	}
	return -1;
}

static int time_field(imp *m, yajl_val o, const char *key, int64_t *out, bool *has)
{
	yajl_val v = get(o, key);
	*has = false;
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (time_value(v, out) < 0) {
		snprintf(m->msg, sizeof m->msg, "%s must be an RFC 3339 time with an offset, Unix seconds, or null", key);
		return -1;
	}
	*has = true;
	return 0;
}

static const char *str_field(imp *m, yajl_val o, const char *key, bool required)
{
	yajl_val v = get(o, key);
	if (!v || YAJL_IS_NULL(v)) {
		if (required)
			snprintf(m->msg, sizeof m->msg, "%s is required", key);
		return NULL;
	}
	if (!YAJL_IS_STRING(v) || !YAJL_GET_STRING(v)[0]) {
		snprintf(m->msg, sizeof m->msg, "%s must be a non-empty string", key);
		return NULL;
	}
	return YAJL_GET_STRING(v);
}

static int step(imp *m, int which, const char *what)
{
	int rc = sqlite3_step(m->st[which]);
	sqlite3_reset(m->st[which]);
	sqlite3_clear_bindings(m->st[which]);
	if (rc != SQLITE_DONE) {
		snprintf(m->msg, sizeof m->msg, "%s: %s", what, sqlite3_errmsg(m->db));
		return -1;
	}
	return 0;
}

/* attrs: an object of scalars, re-serialized compactly as the store keeps it. */
static int attrs_text(imp *m, yajl_val o, char **out, size_t *len)
{
	yajl_val a = get(o, "attrs");
	*out = NULL;
	if (!a || YAJL_IS_NULL(a))
		return 0;
	if (!YAJL_IS_OBJECT(a)) {
		snprintf(m->msg, sizeof m->msg, "attrs must be an object");
		return -1;
	}
	yajl_gen g = yajl_gen_alloc(NULL);
	if (!g)
		return -1;
	yajl_gen_map_open(g);
	for (size_t i = 0; i < a->u.object.len; i++) {
		yajl_val v = a->u.object.values[i];
		const char *k = a->u.object.keys[i];
		if (YAJL_IS_NULL(v))
			continue;
		yajl_gen_string(g, (const unsigned char *)k, strlen(k));
		if (YAJL_IS_TRUE(v))
			yajl_gen_bool(g, 1);
		else if (YAJL_IS_FALSE(v))
			yajl_gen_bool(g, 0);
		else if (YAJL_IS_INTEGER(v))
			yajl_gen_integer(g, YAJL_GET_INTEGER(v));
		else if (YAJL_IS_DOUBLE(v))
			yajl_gen_double(g, YAJL_GET_DOUBLE(v));
		else if (YAJL_IS_STRING(v) && YAJL_GET_STRING(v)) {
			const char *sv = YAJL_GET_STRING(v);
			yajl_gen_string(g, (const unsigned char *)sv, strlen(sv));
		} else {
			snprintf(m->msg, sizeof m->msg, "attrs.%s must be a string, number, boolean or null", k);
			yajl_gen_free(g);
			return -1;
		}
	}
	yajl_gen_map_close(g);
	const unsigned char *buf;
	size_t n;
	yajl_gen_get_buf(g, &buf, &n);
	*out = malloc(n + 1);
	if (*out) {
		memcpy(*out, buf, n);
		(*out)[n] = 0;
		*len = n;
	}
	yajl_gen_free(g);
	return *out ? 0 : -1;
}

static int import_line(imp *m, char *line)
{
	char ebuf[256];
	yajl_val o = yajl_tree_parse(line, ebuf, sizeof ebuf);
	if (!o) {
		char *nl = strchr(ebuf, '\n');
		if (nl)
			*nl = 0;
		snprintf(m->msg, sizeof m->msg, "not JSON: %s", ebuf);
		return -1;
	}
	int rc = -1;
	char *attrs = NULL;
	size_t alen = 0;
	if (!YAJL_IS_OBJECT(o)) {
		snprintf(m->msg, sizeof m->msg, "a line must be one JSON object");
		goto out;
	}
	for (size_t i = 0; i < o->u.object.len; i++) {
		size_t k;
		for (k = 0; k < sizeof known / sizeof known[0]; k++)
			if (strcmp(known[k], o->u.object.keys[i]) == 0)
				break;
		if (k == sizeof known / sizeof known[0]) {
			snprintf(m->msg, sizeof m->msg, "unknown field %s", o->u.object.keys[i]);
			goto out;
		}
	}
	const char *id = str_field(m, o, "customer", true);
	if (!id)
		goto out;
	const char *tier = str_field(m, o, "tier", false);
	if (!tier && get(o, "tier") && !YAJL_IS_NULL(get(o, "tier")))
		goto out;
	const char *ref = str_field(m, o, "referred_by", false);
	if (!ref && get(o, "referred_by") && !YAJL_IS_NULL(get(o, "referred_by")))
		goto out;
	if (ref && strcmp(ref, id) == 0) {
		snprintf(m->msg, sizeof m->msg, "referred_by names the customer itself");
		goto out;
	}
	int64_t points = 0, life = 0, s12 = 0, count = 0, refs = 0;
	int64_t since = 0, first = 0, last = 0, enrolled = 0;
	bool hp, hl, hs, hc, hr, hsince, hfirst, hlast, henr;
	if (int_field(m, o, "points", -MAX_ABS, MAX_ABS, &points, &hp) < 0
	    || int_field(m, o, "lifetime_spend", 0, INT64_MAX / 4, &life, &hl) < 0
	    || int_field(m, o, "spend_12m", 0, INT64_MAX / 4, &s12, &hs) < 0
	    || int_field(m, o, "purchase_count", 0, INT64_MAX / 4, &count, &hc) < 0
	    || int_field(m, o, "referrals", 0, INT64_MAX / 4, &refs, &hr) < 0
	    || time_field(m, o, "tier_since", &since, &hsince) < 0
	    || time_field(m, o, "first_purchase_at", &first, &hfirst) < 0
	    || time_field(m, o, "last_purchase_at", &last, &hlast) < 0
	    || time_field(m, o, "enrolled_at", &enrolled, &henr) < 0
	    || attrs_text(m, o, &attrs, &alen) < 0)
		goto out;
	if (!henr)
		enrolled = hfirst ? first : m->now;
	sqlite3_stmt *st = m->st[I_CUST];
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, enrolled);
	if (ref)
		sqlite3_bind_text(st, 3, ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, points);
	sqlite3_bind_int64(st, 5, life);
	sqlite3_bind_int64(st, 6, count);
	if (hfirst)
		sqlite3_bind_int64(st, 7, first);
	if (hlast)
		sqlite3_bind_int64(st, 8, last);
	sqlite3_bind_int64(st, 9, refs);
	if (tier) {
		sqlite3_bind_text(st, 10, tier, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 11, hsince ? since : m->now);
	}
	sqlite3_bind_text(st, 12, attrs ? attrs : "{}", attrs ? (int)alen : 2, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		int ext = sqlite3_extended_errcode(m->db);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		if (ext == SQLITE_CONSTRAINT_PRIMARYKEY)
			snprintf(m->msg, sizeof m->msg, "customer %s is already in the store (or twice in the file)", id);
		else
			snprintf(m->msg, sizeof m->msg, "customer %s: %s", id, sqlite3_errmsg(m->db));
		goto out;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (points) {
		st = m->st[I_LEDGER];
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, points);
		sqlite3_bind_int64(st, 3, m->now);
		if (step(m, I_LEDGER, "ledger") < 0)
			goto out;
	}
	yajl_val hist = get(o, "spend_history");
	if (hist && !YAJL_IS_NULL(hist)) {
		if (!YAJL_IS_ARRAY(hist))
			goto bad_hist;
		for (size_t i = 0; i < hist->u.array.len; i++) {
			yajl_val e = hist->u.array.values[i];
			int64_t ts;
			if (!YAJL_IS_ARRAY(e) || e->u.array.len != 2 || time_value(e->u.array.values[0], &ts) < 0
			    || !YAJL_IS_INTEGER(e->u.array.values[1]))
				goto bad_hist;
			sqlite3_bind_text(m->st[I_SPEND], 1, id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(m->st[I_SPEND], 2, ts);
			sqlite3_bind_int64(m->st[I_SPEND], 3, YAJL_GET_INTEGER(e->u.array.values[1]));
			if (step(m, I_SPEND, "spend") < 0)
				goto out;
		}
	} else if (s12) {
		sqlite3_bind_text(m->st[I_SPEND], 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(m->st[I_SPEND], 2, hlast && last <= m->now ? last : m->now);
		sqlite3_bind_int64(m->st[I_SPEND], 3, s12);
		if (step(m, I_SPEND, "spend") < 0)
			goto out;
	}
	yajl_val tst = get(o, "tier_state");
	if (tst && !YAJL_IS_NULL(tst)) {
		if (!YAJL_IS_OBJECT(tst)) {
			snprintf(m->msg, sizeof m->msg, "tier_state must be an object of tier name to time");
			goto out;
		}
		for (size_t i = 0; i < tst->u.object.len; i++) {
			int64_t q;
			if (time_value(tst->u.object.values[i], &q) < 0) {
				snprintf(m->msg, sizeof m->msg, "tier_state.%s must be a time", tst->u.object.keys[i]);
				goto out;
			}
			sqlite3_bind_text(m->st[I_TIERQ], 1, id, -1, SQLITE_STATIC);
			sqlite3_bind_text(m->st[I_TIERQ], 2, tst->u.object.keys[i], -1, SQLITE_STATIC);
			sqlite3_bind_int64(m->st[I_TIERQ], 3, q);
			if (step(m, I_TIERQ, "tier state") < 0)
				goto out;
		}
	} else if (tier) {
		sqlite3_bind_text(m->st[I_TIERQ], 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(m->st[I_TIERQ], 2, tier, -1, SQLITE_STATIC);
		sqlite3_bind_int64(m->st[I_TIERQ], 3, m->now);
		if (step(m, I_TIERQ, "tier state") < 0)
			goto out;
	}
	yajl_val fires = get(o, "fires");
	if (fires && !YAJL_IS_NULL(fires)) {
		if (!YAJL_IS_ARRAY(fires))
			goto bad_fires;
		for (size_t i = 0; i < fires->u.array.len; i++) {
			yajl_val e = fires->u.array.values[i];
			int64_t ts;
			if (!YAJL_IS_ARRAY(e) || e->u.array.len != 2 || !YAJL_IS_STRING(e->u.array.values[0])
			    || time_value(e->u.array.values[1], &ts) < 0)
				goto bad_fires;
			sqlite3_bind_text(m->st[I_FIRE], 1, id, -1, SQLITE_STATIC);
			sqlite3_bind_text(m->st[I_FIRE], 2, YAJL_GET_STRING(e->u.array.values[0]), -1, SQLITE_STATIC);
			sqlite3_bind_int64(m->st[I_FIRE], 3, ts);
			if (step(m, I_FIRE, "fires") < 0)
				goto out;
		}
	}
	rc = 0;
	goto out;
bad_hist:
	snprintf(m->msg, sizeof m->msg, "spend_history must be a list of [time, amount]");
	goto out;
bad_fires:
	snprintf(m->msg, sizeof m->msg, "fires must be a list of [rule, time]");
out:
	free(attrs);
	yajl_tree_free(o);
	return rc;
}

/* --db FILE / --db=FILE anywhere; the first other word after the command. */
int ctl_store_args(int argc, char **argv, const char *cmd, const char **db, const char **file)
{
	*db = ctl_global.db ? ctl_global.db : "loyalty.db";
	*file = NULL;
	if (ctl_global.store) {
		fprintf(stderr, "loyaltyctl %s: --store is not supported by this build; use --db FILE\n", cmd);
		return -1;
	}
	bool seen_cmd = false;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--db") == 0 && i + 1 < argc)
			*db = argv[++i];
		else if (strncmp(a, "--db=", 5) == 0)
			*db = a + 5;
		else if (strcmp(a, "--store") == 0 || strncmp(a, "--store=", 8) == 0) {
			fprintf(stderr, "loyaltyctl %s: --store is not supported by this build; use --db FILE\n", cmd);
			return -1;
		} else if (!seen_cmd && strcmp(a, cmd) == 0)
			seen_cmd = true;
		else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "loyaltyctl %s: unknown option %s\n", cmd, a);
			return -1;
		} else if (!*file)
			*file = a;
		else {
			fprintf(stderr, "loyaltyctl %s: unexpected argument %s\n", cmd, a);
			return -1;
		}
	}
	return 0;
}

int ctl_import(int argc, char **argv)
{
	const char *dbpath, *file;
	if (ctl_store_args(argc, argv, "import", &dbpath, &file) < 0)
		return 2;
	if (!file) {
		fprintf(stderr, "usage: loyaltyctl [--db FILE] import FILE\n");
		return 2;
	}
	FILE *in = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	if (!in) {
		fprintf(stderr, "loyaltyctl import: %s: %s\n", file, strerror(errno));
		return 1;
	}
	store_config cfg = { .db_path = dbpath, .durability = STORE_OFF, .cache_mb = 1 };
	char err[512];
	store *s = store_open(NULL, &cfg, err, sizeof err);
	if (!s) {
		fprintf(stderr, "loyaltyctl import: %s\n", err);
		if (in != stdin)
			fclose(in);
		return 1;
	}
	imp m = { .db = store_db(s), .now = (int64_t)time(NULL) };
	int status = 1;
	for (int i = 0; i < I__N; i++)
		if (sqlite3_prepare_v2(m.db, isql[i], -1, &m.st[i], NULL) != SQLITE_OK) {
			fprintf(stderr, "loyaltyctl import: %s\n", sqlite3_errmsg(m.db));
			goto done;
		}
	sqlite3_exec(m.db, "PRAGMA cache_size = -65536", NULL, NULL, NULL);
	if (sqlite3_exec(m.db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "loyaltyctl import: %s: %s\n", dbpath, sqlite3_errmsg(m.db));
		goto done;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0, count = 0;
	bool bad = false;
	while ((n = getline(&line, &cap, in)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		size_t sp = strspn(line, " \t");
		if (line[sp] == 0)
			continue;
		if ((size_t)n != strlen(line)) {
			fprintf(stderr, "%s:%ld: a NUL byte in the line\n", file, lineno);
			bad = true;
			break;
		}
		if (import_line(&m, line) < 0) {
			fprintf(stderr, "%s:%ld: %s\n", file, lineno, m.msg);
			bad = true;
			break;
		}
		count++;
	}
	free(line);
	if (!bad && ferror(in)) {
		fprintf(stderr, "loyaltyctl import: %s: %s\n", file, strerror(errno));
		bad = true;
	}
	if (bad) {
		sqlite3_exec(m.db, "ROLLBACK", NULL, NULL, NULL);
		fprintf(stderr, "loyaltyctl import: nothing imported\n");
		goto done;
	}
	/* the one fsync: the commit itself, at full durability */
	sqlite3_exec(m.db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
	if (sqlite3_exec(m.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "loyaltyctl import: %s: commit failed: %s; nothing imported\n", dbpath,
			sqlite3_errmsg(m.db));
		sqlite3_exec(m.db, "ROLLBACK", NULL, NULL, NULL);
		goto done;
	}
	fprintf(stderr, "loyaltyctl import: %ld customers imported into %s\n", count, dbpath);
	status = 0;
done:
	for (int i = 0; i < I__N; i++)
		sqlite3_finalize(m.st[i]);
	if (store_close(s) < 0 && status == 0)
		status = 1;
	if (in != stdin)
		fclose(in);
	return status;
}
