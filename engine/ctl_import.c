/* engine/ctl_import.c — `loyaltyctl import FILE`: bulk-loads customers from
 * NDJSON (one customer a line, the fields of the `customer` answer;
 * running.md). All or nothing: one transaction, and the first bad line is
 * reported as FILE:LINE: message with nothing imported. Points arrive as
 * one opening ledger entry ("import") per customer; spend_12m as one spend
 * entry at last_purchase_at (or the import time); the tier as qualified at
 * the import time, so its keep_days grace starts now. The extension fields
 * that `export` writes (enrolled_at, tier_state, spend_history, fires)
 * restore those exactly. Fast path (>= 100,000 customers/s): a yajl
 * streaming parse per line into an arena reset per line, prepared
 * statements, synchronous=OFF during the load and one fsync at the commit;
 * the WAL is left for the daemon's checkpoint. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "engine/ctl_store.h"
#include "engine/decode.h"
#include "engine/store.h"
#include "lang/arena.h"

#define MAX_ABS 1000000000000LL /* 10^12: protocol.md's bound on points */

enum { I_CUST, I_LEDGER, I_FORGOTTEN, I__N };
static const char *const isql[I__N] = {
	"INSERT INTO customers (id, enrolled_at, referred_by, points, lifetime_spend, purchase_count,"
	" first_purchase_at, last_purchase_at, referrals, tier, tier_since, attrs, tierq, spend, fires)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	"INSERT INTO ledger (customer, kind, points, txn, rules_version, ts, reason)"
	" VALUES (?1, 'import', ?2, NULL, NULL, ?3, 'opening balance')",
	"SELECT 1 FROM forgotten WHERE anon_id = ?1",
};

/* The fields of a line; F_IGNORED are computed parts of a `customer`
 * answer (accepted and skipped so that answers can be imported as is). */
typedef enum fid {
	F_CUSTOMER, F_TIER, F_TIER_SINCE, F_POINTS, F_LIFE, F_S12, F_COUNT, F_FIRST,
	F_LAST, F_ATTRS, F_REF, F_REFS, F_ENROLLED, F_TIER_STATE, F_SPEND_HISTORY,
	F_FIRES, F_IGNORED, F__N
} fid;

static const char *const fname[F__N] = {
	"customer", "tier", "tier_since", "points", "lifetime_spend", "spend_12m",
	"purchase_count", "first_purchase_at", "last_purchase_at", "attrs",
	"referred_by", "referrals", "enrolled_at", "tier_state", "spend_history", "fires", "",
};
static const char *const ignored[] = { "ok", "id", "segments", "experiments", "created" };

typedef struct pair {
	const char *s;     /* tier or rule name (fires, tier_state) */
	int64_t a, b;      /* spend: ts, amount; fires/tier_state: ts */
	struct pair *next;
} pair;

/* One parsed line: every string lives in the line's arena. */
typedef struct rec {
	bool has[F__N];
	const char *str[F__N];
	int64_t val[F__N];
	pair *spend, *fires, *tiers, **spend_tail, **fires_tail, **tiers_tail;
} rec;

typedef struct imp {
	sqlite3 *db;
	sqlite3_stmt *st[I__N];
	int64_t now;
	char msg[512];
	/* the streaming parse of one line */
	arena mem;
	yajl_gen attrs;     /* attrs re-serialized compactly as the store keeps them */
	yajl_gen state;     /* tierq, spend, fires columns, one after the other */
	bool attrs_open;
	rec r;
	int depth;          /* open containers */
	int skip_at;        /* > 0: inside an ignored container opened at this depth */
	fid field;          /* the top-level field being read */
	const char *key;    /* the attrs / tier_state key being read */
	size_t keylen;
	int sub;            /* index within a [a, b] pair */
	pair cur;
} imp;

static int fail(imp *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(imp *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->msg, sizeof m->msg, fmt, ap);
	va_end(ap);
	return 0; /* cancels the parse */
}

enum vkind { V_NULL, V_BOOL, V_INT, V_DOUBLE, V_STR };

static bool as_time(enum vkind k, int64_t i, const char *s, size_t n, int64_t *out)
{
	if (k == V_INT) {
		*out = i;
		return i >= 0;
	}
	return k == V_STR && decode_rfc3339(s, n, out);
}

static int top_value(imp *m, enum vkind k, int64_t i, const char *s, size_t n)
{
	fid f = m->field;
	const char *name = fname[f];
	if (f == F_IGNORED)
		return 1;
	if (k == V_NULL)
		return 1; /* absent */
	switch (f) {
	case F_CUSTOMER: case F_TIER: case F_REF:
		if (k != V_STR || n == 0)
			return fail(m, "%s must be a non-empty string", name);
		if (memchr(s, 0, n))
			return fail(m, "%s must not contain a NUL character", name);
		m->r.str[f] = arena_strndup(&m->mem, s, n);
		break;
	case F_POINTS: case F_LIFE: case F_S12: case F_COUNT: case F_REFS: {
		int64_t lo = f == F_POINTS ? -MAX_ABS : 0, hi = f == F_POINTS ? MAX_ABS : INT64_MAX / 4;
		if (k != V_INT)
			return fail(m, "%s must be an integer", name);
		if (i < lo || i > hi)
			return fail(m, "%s must be within %lld..%lld", name, (long long)lo, (long long)hi);
		m->r.val[f] = i;
		break;
	}
	case F_TIER_SINCE: case F_FIRST: case F_LAST: case F_ENROLLED:
		if (!as_time(k, i, s, n, &m->r.val[f]))
			return fail(m, "%s must be an RFC 3339 time with an offset, Unix seconds, or null", name);
		break;
	default:
		return fail(m, "%s must be %s", name, f == F_ATTRS || f == F_TIER_STATE ? "an object" : "a list");
	}
	m->r.has[f] = true;
	return 1;
}

static int value(imp *m, enum vkind k, int64_t i, double d, const char *s, size_t n)
{
	if (m->skip_at)
		return 1;
	if (m->depth == 0)
		return fail(m, "a line must be one JSON object");
	if (m->depth == 1)
		return top_value(m, k, i, s, n);
	if (m->depth == 2 && m->field == F_ATTRS) {
		if (k == V_NULL)
			return 1; /* a null attribute is no attribute */
		yajl_gen g = m->attrs;
		yajl_gen_string(g, (const unsigned char *)m->key, m->keylen);
		switch (k) {
		case V_BOOL: yajl_gen_bool(g, (int)i); break;
		case V_INT: yajl_gen_integer(g, i); break;
		case V_DOUBLE: yajl_gen_double(g, d); break;
		default: yajl_gen_string(g, (const unsigned char *)s, n); break;
		}
		return 1;
	}
	if (m->depth == 2 && m->field == F_TIER_STATE) {
		pair *p = arena_calloc(&m->mem, 1, sizeof *p);
		if (!p)
			return fail(m, "out of memory");
		if (!as_time(k, i, s, n, &p->a))
			return fail(m, "tier_state.%.*s must be a time", (int)m->keylen, m->key);
		p->s = arena_strndup(&m->mem, m->key, m->keylen);
		*m->r.tiers_tail = p;
		m->r.tiers_tail = &p->next;
		return 1;
	}
	if (m->depth == 3 && m->field == F_SPEND_HISTORY) {
		if (m->sub == 0 && as_time(k, i, s, n, &m->cur.a))
			m->sub++;
		else if (m->sub == 1 && k == V_INT) {
			m->cur.b = i;
			m->sub++;
		} else
			return fail(m, "spend_history must be a list of [time, amount]");
		return 1;
	}
	if (m->depth == 3 && m->field == F_FIRES) {
		if (m->sub == 0 && k == V_STR && n > 0) {
			m->cur.s = arena_strndup(&m->mem, s, n);
			m->sub++;
		} else if (m->sub == 1 && as_time(k, i, s, n, &m->cur.a))
			m->sub++;
		else
			return fail(m, "fires must be a list of [rule, time]");
		return 1;
	}
	if (m->field == F_ATTRS)
		return fail(m, "attrs.%.*s must be a string, number, boolean or null", (int)m->keylen, m->key);
	return fail(m, "%s has a value of the wrong type", fname[m->field]);
}

static int cb_null(void *ud) { return value(ud, V_NULL, 0, 0, NULL, 0); }
static int cb_bool(void *ud, int b) { return value(ud, V_BOOL, b, 0, NULL, 0); }
static int cb_int(void *ud, long long i) { return value(ud, V_INT, i, 0, NULL, 0); }
static int cb_double(void *ud, double d) { return value(ud, V_DOUBLE, 0, d, NULL, 0); }
static int cb_string(void *ud, const unsigned char *s, size_t n)
{
	return value(ud, V_STR, 0, 0, (const char *)s, n);
}

static int open_container(imp *m, bool is_map)
{
	m->depth++;
	if (m->skip_at)
		return 1;
	if (m->depth == 1)
		return is_map ? 1 : fail(m, "a line must be one JSON object");
	if (m->depth == 2) {
		if (m->field == F_IGNORED) {
			m->skip_at = 2;
			return 1;
		}
		if (is_map && m->field == F_ATTRS) {
			if (m->attrs_open)
				return fail(m, "attrs appears twice");
			yajl_gen_map_open(m->attrs);
			m->attrs_open = true;
			m->r.has[F_ATTRS] = true;
			return 1;
		}
		if ((is_map && m->field == F_TIER_STATE)
		    || (!is_map && (m->field == F_SPEND_HISTORY || m->field == F_FIRES))) {
			m->r.has[m->field] = true;
			return 1;
		}
		return fail(m, "%s must be %s", fname[m->field],
			m->field == F_SPEND_HISTORY || m->field == F_FIRES ? "a list"
			: m->field == F_ATTRS || m->field == F_TIER_STATE ? "an object" : "a single value");
	}
	if (m->depth == 3 && !is_map && (m->field == F_SPEND_HISTORY || m->field == F_FIRES)) {
		m->sub = 0;
		memset(&m->cur, 0, sizeof m->cur);
		return 1;
	}
	if (m->field == F_ATTRS)
		return fail(m, "attrs.%.*s must be a string, number, boolean or null", (int)m->keylen, m->key);
	return fail(m, "%s has a value of the wrong type", fname[m->field]);
}

static int close_container(imp *m)
{
	if (m->skip_at) {
		if (m->depth == m->skip_at)
			m->skip_at = 0;
		m->depth--;
		return 1;
	}
	if (m->depth == 3) {
		if (m->sub != 2)
			return fail(m, m->field == F_FIRES ? "fires must be a list of [rule, time]"
				: "spend_history must be a list of [time, amount]");
		pair *p = arena_alloc(&m->mem, sizeof *p);
		if (!p)
			return fail(m, "out of memory");
		*p = m->cur;
		p->next = NULL;
		pair ***tail = m->field == F_FIRES ? &m->r.fires_tail : &m->r.spend_tail;
		**tail = p;
		*tail = &p->next;
	} else if (m->depth == 2 && m->field == F_ATTRS)
		yajl_gen_map_close(m->attrs);
	m->depth--;
	return 1;
}

static int cb_start_map(void *ud) { return open_container(ud, true); }
static int cb_start_array(void *ud) { return open_container(ud, false); }
static int cb_end(void *ud) { return close_container(ud); }

static int cb_key(void *ud, const unsigned char *k, size_t n)
{
	imp *m = ud;
	if (m->skip_at)
		return 1;
	if (m->depth == 1) {
		for (int f = 0; f < F_IGNORED; f++)
			if (strlen(fname[f]) == n && memcmp(fname[f], k, n) == 0) {
				m->field = (fid)f;
				return 1;
			}
		for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
			if (strlen(ignored[i]) == n && memcmp(ignored[i], k, n) == 0) {
				m->field = F_IGNORED;
				return 1;
			}
		return fail(m, "unknown field %.*s", (int)(n > 100 ? 100 : n), (const char *)k);
	}
	m->key = (const char *)k; /* valid until the value's callback */
	m->keylen = n;
	if (m->field == F_TIER_STATE) {
		m->key = arena_strndup(&m->mem, (const char *)k, n);
		if (!m->key)
			return fail(m, "out of memory");
	}
	return 1;
}

static const yajl_callbacks callbacks = {
	cb_null, cb_bool, cb_int, cb_double, NULL, cb_string,
	cb_start_map, cb_key, cb_end, cb_start_array, cb_end,
};

static int parse_line(imp *m, const char *line, size_t n)
{
	arena_reset(&m->mem);
	memset(&m->r, 0, sizeof m->r);
	m->r.spend_tail = &m->r.spend;
	m->r.fires_tail = &m->r.fires;
	m->r.tiers_tail = &m->r.tiers;
	m->depth = m->skip_at = m->sub = 0;
	m->field = F_IGNORED;
	m->msg[0] = 0;
	yajl_gen_reset(m->attrs, NULL);
	yajl_gen_clear(m->attrs);
	m->attrs_open = false;
	yajl_handle h = yajl_alloc(&callbacks, NULL, m);
	if (!h)
		return fail(m, "out of memory"), -1;
	yajl_status st = yajl_parse(h, (const unsigned char *)line, n);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st == yajl_status_error) {
		unsigned char *e = yajl_get_error(h, 0, (const unsigned char *)line, n);
		char *nl = strchr((char *)e, '\n');
		if (nl)
			*nl = 0;
		fail(m, "not JSON: %s", (const char *)e);
		yajl_free_error(h, e);
	}
	yajl_free(h);
	if (st != yajl_status_ok)
		return -1;
	if (m->depth != 0 || !m->r.has[F_CUSTOMER]) {
		fail(m, "customer is required");
		return -1;
	}
	return 0;
}

static int step(imp *m, int which, const char *what)
{
	int rc = sqlite3_step(m->st[which]);
	sqlite3_reset(m->st[which]);
	if (rc != SQLITE_DONE) {
		snprintf(m->msg, sizeof m->msg, "%s: %s", what, sqlite3_errmsg(m->db));
		return -1;
	}
	return 0;
}

static int import_line(imp *m, const char *line, size_t n)
{
	if (parse_line(m, line, n) < 0)
		return -1;
	const rec *r = &m->r;
	const char *id = r->str[F_CUSTOMER], *tier = r->str[F_TIER], *ref = r->str[F_REF];
	if (ref && strcmp(ref, id) == 0) {
		fail(m, "referred_by names the customer itself");
		return -1;
	}
	if (strncmp(id, "anon-", 5) == 0) {
		sqlite3_stmt *fst = m->st[I_FORGOTTEN];
		sqlite3_bind_text(fst, 1, id, -1, SQLITE_STATIC);
		int frc = sqlite3_step(fst);
		sqlite3_reset(fst);
		if (frc == SQLITE_ROW) {
			fail(m, "customer %s is the anonymous id of a forgotten customer", id);
			return -1;
		}
	}
	const unsigned char *attrs = (const unsigned char *)"{}";
	size_t alen = 2;
	if (m->attrs_open)
		yajl_gen_get_buf(m->attrs, &attrs, &alen);
	int64_t enrolled = r->has[F_ENROLLED] ? r->val[F_ENROLLED]
		: r->has[F_FIRST] ? r->val[F_FIRST] : m->now;
	sqlite3_stmt *st = m->st[I_CUST];
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, enrolled);
	if (ref)
		sqlite3_bind_text(st, 3, ref, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int64(st, 4, r->val[F_POINTS]);
	sqlite3_bind_int64(st, 5, r->val[F_LIFE]);
	sqlite3_bind_int64(st, 6, r->val[F_COUNT]);
	if (r->has[F_FIRST])
		sqlite3_bind_int64(st, 7, r->val[F_FIRST]);
	else
		sqlite3_bind_null(st, 7);
	if (r->has[F_LAST])
		sqlite3_bind_int64(st, 8, r->val[F_LAST]);
	else
		sqlite3_bind_null(st, 8);
	sqlite3_bind_int64(st, 9, r->val[F_REFS]);
	if (tier) {
		sqlite3_bind_text(st, 10, tier, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 11, r->has[F_TIER_SINCE] ? r->val[F_TIER_SINCE] : m->now);
	} else {
		sqlite3_bind_null(st, 10);
		sqlite3_bind_null(st, 11);
	}
	sqlite3_bind_text(st, 12, (const char *)attrs, (int)alen, SQLITE_STATIC);
	/* the packed state columns, as store_cust_save writes them */
	yajl_gen g = m->state;
	const unsigned char *buf;
	size_t bl;
	yajl_gen_reset(g, NULL);
	yajl_gen_clear(g);
	yajl_gen_map_open(g);
	if (r->has[F_TIER_STATE]) {
		for (const pair *p = r->tiers; p; p = p->next)
			if (p->a) {
				yajl_gen_string(g, (const unsigned char *)p->s, strlen(p->s));
				yajl_gen_integer(g, p->a);
			}
	} else if (tier) {
		yajl_gen_string(g, (const unsigned char *)tier, strlen(tier));
		yajl_gen_integer(g, m->now);
	}
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &buf, &bl);
	sqlite3_bind_text(st, 13, (const char *)buf, (int)bl, SQLITE_TRANSIENT);
	yajl_gen_reset(g, NULL);
	yajl_gen_clear(g);
	yajl_gen_array_open(g);
	if (r->has[F_SPEND_HISTORY]) {
		for (const pair *p = r->spend; p; p = p->next) {
			yajl_gen_array_open(g);
			yajl_gen_integer(g, p->a);
			yajl_gen_integer(g, p->b);
			yajl_gen_array_close(g);
		}
	} else if (r->val[F_S12]) {
		int64_t last = r->val[F_LAST];
		yajl_gen_array_open(g);
		yajl_gen_integer(g, r->has[F_LAST] && last <= m->now ? last : m->now);
		yajl_gen_integer(g, r->val[F_S12]);
		yajl_gen_array_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_get_buf(g, &buf, &bl);
	sqlite3_bind_text(st, 14, (const char *)buf, (int)bl, SQLITE_TRANSIENT);
	yajl_gen_reset(g, NULL);
	yajl_gen_clear(g);
	yajl_gen_array_open(g);
	for (const pair *p = r->fires; p; p = p->next) {
		yajl_gen_array_open(g);
		yajl_gen_string(g, (const unsigned char *)p->s, strlen(p->s));
		yajl_gen_integer(g, p->a);
		yajl_gen_array_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_get_buf(g, &buf, &bl);
	sqlite3_bind_text(st, 15, (const char *)buf, (int)bl, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE) {
		int ext = sqlite3_extended_errcode(m->db);
		sqlite3_reset(st);
		if (ext == SQLITE_CONSTRAINT_PRIMARYKEY)
			fail(m, "customer %s is already in the store (or twice in the file)", id);
		else
			fail(m, "customer %s: %s", id, sqlite3_errmsg(m->db));
		return -1;
	}
	sqlite3_reset(st);
	if (r->val[F_POINTS]) {
		st = m->st[I_LEDGER];
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, r->val[F_POINTS]);
		sqlite3_bind_int64(st, 3, m->now);
		if (step(m, I_LEDGER, "ledger") < 0)
			return -1;
	}
	return 0;
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
	arena_init(&m.mem, 16384, 1 << 24);
	m.attrs = yajl_gen_alloc(NULL);
	m.state = yajl_gen_alloc(NULL);
	if (!m.attrs || !m.state)
		goto done;
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
		if (import_line(&m, line, (size_t)n) < 0) {
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
	/* Durable now (the WAL is synced); copying it into the main file is
	 * the daemon's routine checkpoint, not the import's wait. */
	sqlite3_db_config(m.db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	fprintf(stderr, "loyaltyctl import: %ld customers imported into %s\n", count, dbpath);
	status = 0;
done:
	for (int i = 0; i < I__N; i++)
		sqlite3_finalize(m.st[i]);
	arena_free(&m.mem);
	if (m.attrs)
		yajl_gen_free(m.attrs);
	if (m.state)
		yajl_gen_free(m.state);
	if (store_close(s) < 0 && status == 0)
		status = 1;
	if (in != stdin)
		fclose(in);
	return status;
}
