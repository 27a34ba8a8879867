/* engine/store_sqlite.c — opening and closing the SQLite store, its
 * prepared statements, and the write groups that make writes durable per
 * running.md (always | batch | off).
 *
 * One connection does everything, on the event loop's thread. Requests
 * write straight into the open group transaction; the group commits from
 * a timer (at once for `always` and `off`, within batch_max_delay_ms for
 * `batch`), then every completion callback of the group runs. Reads use
 * the same connection and so see the group's writes before they are
 * durable: a read never waits for a commit. A failed commit, and likewise
 * a statement failing half-way through a request, rolls the whole group
 * back, answers every write of it with `unavailable` (none has been
 * answered yet: they wait for the commit), and empties the customer cache
 * so that memory holds nothing the file does not. One mechanism for both:
 * a SAVEPOINT per request, which would keep the neighbours of a failed
 * request, cost 6% of a purchase's instructions for a case that only a
 * failing disk or memory produces (handlers check everything a client
 * can get wrong before they write). Tables: engine/store_schema.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "engine/store_internal.h"

static const char *const stmt_sql[ST__COUNT] = {
	[ST_BEGIN] = "BEGIN",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_CUST_GET] = "SELECT enrolled_at, referred_by, points, lifetime_spend, purchase_count,"
		" first_purchase_at, last_purchase_at, referrals, tier, tier_since, lifted_txn, attrs,"
		" tierq, spend, fires FROM customers WHERE id = ?1",
	[ST_CUST_INS] = "INSERT INTO customers (id, enrolled_at, referred_by) VALUES (?1, ?2, ?3)",
	[ST_CUST_UPD] = "UPDATE customers SET points = ?2, lifetime_spend = ?3, purchase_count = ?4,"
		" first_purchase_at = ?5, last_purchase_at = ?6, referrals = ?7, tier = ?8,"
		" tier_since = ?9, lifted_txn = ?10, attrs = ?11, tierq = ?12, spend = ?13, fires = ?14"
		" WHERE id = ?1",
	[ST_CUST_DEL] = "DELETE FROM customers WHERE id = ?1",
	[ST_EXPO_GET] = "SELECT experiment FROM exposures WHERE customer = ?1",
	[ST_EXPO_INS] = "INSERT OR IGNORE INTO exposures (customer, experiment, variant, first_ts) VALUES (?1, ?2, ?3, ?4)",
	[ST_EXPO_MOVE] = "UPDATE exposures SET customer = ?2 WHERE customer = ?1",
	[ST_LEDGER_INS] = "INSERT INTO ledger (customer, kind, points, txn, rules_version, ts, reason)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_LEDGER_SUM] = "SELECT COALESCE(SUM(points), 0) FROM ledger WHERE customer = ?1",
	[ST_LEDGER_MOVE] = "UPDATE ledger SET customer = ?2 WHERE customer = ?1",
	[ST_TXN_GET] = "SELECT op, content_hash, customer, answer, ts, net, total, earned, redeemed,"
		" referrer, referrer_credit, refunded_net, reversed, restored, spend_back,"
		" referrer_back, complete, lines FROM txns WHERE txn = ?1",
	[ST_TXN_INS] = "INSERT INTO txns (txn, op, content_hash, customer, answer, ts, net, total,"
		" earned, redeemed, referrer, referrer_credit, lines)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[ST_TXN_UPD_REFUND] = "UPDATE txns SET refunded_net = ?2, reversed = ?3, restored = ?4,"
		" spend_back = ?5, referrer_back = ?6, complete = ?7, lines = ?8 WHERE txn = ?1",
	[ST_TXN_CUST] = "SELECT txn, answer FROM txns WHERE customer = ?1",
	[ST_TXN_SET_ANSWER] = "UPDATE txns SET customer = ?2, answer = ?3 WHERE txn = ?1",
	[ST_FORGOTTEN_INS] = "INSERT INTO forgotten (anon_id, forgotten_at) VALUES (?1, ?2)",
	[ST_FORGOTTEN_GET] = "SELECT 1 FROM forgotten WHERE anon_id = ?1",
	[ST_REFERRED_MOVE] = "UPDATE customers SET referred_by = ?2 WHERE referred_by = ?1",
};

/* A batch group commits early once it holds this many writes. */
#define GROUP_MAX_WRITES 1024

void store_set_err(store *s, const char *what)
{
	snprintf(s->err, sizeof s->err, "%s: %s", what, sqlite3_errmsg(s->db));
}

const char *store_errmsg(const store *s)
{
	return s->err;
}

struct sqlite3 *store_db(store *s)
{
	return s->db;
}

char *store_json_grow(store *s, size_t n)
{
	size_t cap = s->jcap ? s->jcap : 4096;
	while (cap - s->jlen < n) {
		if (cap > ((size_t)1 << 40)) {
			s->jnomem = true;
			return NULL;
		}
		cap *= 2;
	}
	char *b = realloc(s->jbuf, cap);
	if (!b) {
		s->jnomem = true;
		return NULL;
	}
	s->jbuf = b;
	s->jcap = cap;
	return b + s->jlen;
}

sqlite3_stmt *store_stmt_get(store *s, store_stmt which)
{
	sqlite3_stmt *st = s->st[which];
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

sqlite3_stmt *store_stmt_rebind(store *s, store_stmt which)
{
	sqlite3_stmt *st = s->st[which];
	sqlite3_reset(st);
	return st;
}

int store_exec_stmt(store *s, store_stmt which)
{
	int rc = sqlite3_step(s->st[which]);
	sqlite3_reset(s->st[which]);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_set_err(s, stmt_sql[which]);
		return -1;
	}
	return 0;
}

static int exec_plain(store *s, store_stmt which)
{
	store_stmt_rebind(s, which); /* no parameters */
	return store_exec_stmt(s, which);
}

void store_run_waiters(store *s, struct store_waiter *w, bool ok)
{
	while (w) {
		struct store_waiter *next = w->next;
		s->pending--;
		w->done(w->ud, ok);
		free(w);
		w = next;
	}
}

/* Rolls the open group back: none of its writes happened. */
static void group_rollback(store *s)
{
	exec_plain(s, ST_ROLLBACK); /* may fail: SQLite rolls back itself on some errors */
	store_cache_clear(s);
	s->in_group = false;
}

/* Commits the open group (rolls it back when !ok) and runs its callbacks. */
static int group_end(store *s, bool ok)
{
	if (s->timer_armed) {
		evtimer_del(s->timer);
		s->timer_armed = false;
	}
	if (s->in_write) /* never inside a request's write */
		return -1;
	if (s->in_group) {
		if (ok && exec_plain(s, ST_COMMIT) < 0) {
			ok = false;
			fprintf(stderr, "loyaltyd: store %s: commit failed: %s\n", s->path, s->err);
		}
		if (!ok)
			group_rollback(s);
		s->in_group = false;
	}
	s->group++;
	s->group_writes = 0;
	s->writes_at_check = 0;
	s->held = false;
	struct store_waiter *w = s->wait_head, *tail = s->wait_tail;
	s->wait_head = s->wait_tail = NULL;
	if (ok && w && s->sync && store_sync_committed(s, w, tail) == 0)
		w = NULL; /* its callbacks run when the WAL is synced */
	else if (ok && w && s->sync) {
		/* no descriptor for the WAL: a checkpoint syncs it */
		if (sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_FULL, NULL, NULL) != SQLITE_OK) {
			fprintf(stderr, "loyaltyd: store %s: cannot sync the WAL: %s\n", s->path,
				sqlite3_errmsg(s->db));
			abort(); /* committed but not durable: see store_sync.c */
		}
	}
	store_run_waiters(s, w, ok);
	store_cache_evict(s);
	return ok ? 0 : -1;
}

static int group_commit(store *s)
{
	return group_end(s, true);
}

static void arm_timer(store *s, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	if (s->timer_armed && ms > 0)
		return; /* the earlier deadline stands */
	evtimer_add(s->timer, &tv);
	s->timer_armed = true;
}

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The commit timer fires once per loop pass, after that pass's reads.
 * The group commits now unless a sync is running: its writes could not
 * be answered before the next sync anyway, so it keeps growing until that
 * sync returns (store_group_sync_done), and one COMMIT and one fdatasync
 * then cover everything that arrived meanwhile. With `batch` it also
 * keeps growing while requests keep arriving, for at most
 * batch_max_delay_ms; a lone write commits as soon as the loop has
 * nothing more to read, never later than `always` would. */
static void timer_cb(evutil_socket_t fd, short what, void *ud)
{
	(void)fd;
	(void)what;
	store *s = ud;
	s->timer_armed = false;
	if (s->in_write) { /* cannot happen from the loop; try again */
		arm_timer(s, 0);
		return;
	}
	if (s->group_writes && s->group_writes < GROUP_MAX_WRITES) {
		if (s->cfg.durability == STORE_BATCH) {
			bool more = s->group_writes != s->writes_at_check;
			s->writes_at_check = s->group_writes;
			if (more && mono_us() - s->group_t0_us < (int64_t)s->cfg.batch_max_delay_ms * 1000) {
				arm_timer(s, 0);
				return;
			}
		}
		if (s->sync && store_sync_busy(s)) {
			s->held = true;
			return;
		}
	}
	group_commit(s);
}

void store_group_sync_done(store *s)
{
	if (s->held && !s->in_write)
		group_commit(s);
}

static void evict_cb(evutil_socket_t fd, short what, void *ud)
{
	(void)fd;
	(void)what;
	store *s = ud;
	s->evict_armed = false;
	store_cache_evict(s);
}

/* Called when a load put the cache over its budget. Handlers may hold
 * pointers into the cache, so eviction waits for the loop. */
void store_cache_over(store *s)
{
	if (s->evict_ev && !s->evict_armed) {
		event_active(s->evict_ev, 0, 0);
		s->evict_armed = true;
	}
}

int store_write_begin(store *s)
{
	if (s->in_write) {
		snprintf(s->err, sizeof s->err, "nested write");
		return -1;
	}
	if (!s->in_group) {
		if (exec_plain(s, ST_BEGIN) < 0)
			return -1;
		s->in_group = true;
	}
	s->in_write = true;
	return 0;
}

/* A statement failed inside a request: the request's half-applied writes
 * are in the group transaction with its neighbours', so the group goes
 * (see the top of the file); the caller answers its own request. */
void store_write_abort(store *s)
{
	if (!s->in_write)
		return;
	s->in_write = false;
	group_end(s, false);
}

static void add_waiter(store *s, store_done_fn done, void *ud)
{
	struct store_waiter *w = calloc(1, sizeof *w);
	if (!w) {
		done(ud, false);
		return;
	}
	w->done = done;
	w->ud = ud;
	if (s->wait_tail)
		s->wait_tail->next = w;
	else
		s->wait_head = w;
	s->wait_tail = w;
	s->pending++;
}

void store_write_end(store *s, store_done_fn done, void *ud)
{
	if (!s->in_write) {
		if (done)
			done(ud, false);
		return;
	}
	s->in_write = false;
	s->group_writes++;
	if (done)
		add_waiter(s, done, ud);
	if (!s->base) {
		group_commit(s);
		return;
	}
	if (s->group_writes == 1)
		s->group_t0_us = mono_us();
	if (!s->timer_armed) {
		s->writes_at_check = s->group_writes;
		arm_timer(s, 0);
	}
}

bool store_after_commit(store *s, store_done_fn done, void *ud)
{
	if (s->in_group && (s->group_writes || s->wait_head)) {
		add_waiter(s, done, ud);
		return true;
	}
	/* committed, not yet synced: wait for that sync */
	if (!s->sync)
		return false;
	struct store_waiter *w = calloc(1, sizeof *w);
	if (!w)
		return false;
	w->done = done;
	w->ud = ud;
	if (!store_sync_attach(s, w)) {
		free(w);
		return false;
	}
	s->pending++;
	return true;
}

int store_flush(store *s)
{
	int rc = group_commit(s);
	store_sync_now(s);
	return rc;
}

size_t store_pending(const store *s)
{
	return s->pending;
}

void store_cache_stats(const store *s, size_t *entries, size_t *bytes)
{
	*entries = s->ncached;
	*bytes = s->bytes;
}

/* cache_mb (running.md) is the memory the store may keep: the customer
 * cache and SQLite's page cache share it, an eighth (256 KiB..64 MiB) going to
 * pages. Left apart, a 64 MiB page cache came on top of the bound. */
static size_t cache_total_bytes(const store_config *cfg)
{
	return (cfg->cache_mb ? cfg->cache_mb : 256) * (size_t)1024 * 1024;
}

static int page_cache_kib(const store_config *cfg)
{
	size_t kib = cache_total_bytes(cfg) / 8 / 1024;
	if (kib < 256)
		kib = 256;
	if (kib > 65536)
		kib = 65536;
	return (int)kib;
}

static int sqlite_set_cache_kib(sqlite3 *db, int kib, char **msg)
{
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA cache_size = -%d", kib);
	return sqlite3_exec(db, sql, NULL, NULL, msg);
}

store *store_open(struct event_base *base, const store_config *cfg, char *err, size_t errsz)
{
	store *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	s->cfg = *cfg;
	s->base = base;
	s->wal_fd = -1;
	s->path = strdup(cfg->db_path ? cfg->db_path : "loyalty.db");
	if (!s->path)
		goto fail;
	/* Memory statistics take a global mutex around every allocation
	 * (4% of a purchase); nothing reads them. Only possible before
	 * SQLite initializes: later calls fail harmlessly. */
	static bool configured;
	if (!configured) {
		configured = true;
		sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	}
	if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
			| SQLITE_OPEN_NOMUTEX, store_vfs_name()) != SQLITE_OK) {
		snprintf(err, errsz, "%s: cannot open: %s", s->path,
			s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	const char *sync = cfg->durability == STORE_OFF ? "PRAGMA synchronous = OFF"
		: "PRAGMA synchronous = FULL";
	char *msg = NULL;
	if (sqlite3_exec(s->db, "PRAGMA journal_mode = WAL", NULL, NULL, &msg) != SQLITE_OK
	    || sqlite3_exec(s->db, sync, NULL, NULL, &msg) != SQLITE_OK
	    || sqlite3_exec(s->db, "PRAGMA foreign_keys = OFF", NULL, NULL, &msg) != SQLITE_OK
	    /* a group's dirty pages stay in memory until its commit (no spill
	     * into the WAL mid-group), and the WAL is copied into the file in
	     * big checkpoints: each page of a hot B-tree is written once per
	     * checkpoint, not once per group */
	    || sqlite_set_cache_kib(s->db, page_cache_kib(cfg), &msg) != SQLITE_OK
	    /* temp_store stays FILE on purpose: a statement journal (a
	     * multi-row UPDATE keeps the pages it touches) then lives in
	     * memory in 64 KB chunks (SQLITE_CONFIG_STMTJRNL_SPILL), where
	     * temp_store=MEMORY journals in ~1 KB chunks, a malloc and free
	     * for every quarter page */
	    || sqlite3_exec(s->db, "PRAGMA wal_autocheckpoint = 16384", NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errsz, "%s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		goto fail;
	}
	/* Another process writing the file (loyaltyctl import) makes our writes
	 * wait this long, on the loop, before they answer `unavailable`. */
	sqlite3_busy_timeout(s->db, base ? 200 : 5000);
	char merr[200];
	if (store_schema_migrate(s->db, merr, sizeof merr) < 0) {
		snprintf(err, errsz, "%s: %s", s->path, merr);
		goto fail;
	}
	for (int i = 0; i < ST__COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				&s->st[i], NULL) != SQLITE_OK) {
			snprintf(err, errsz, "%s: preparing \"%s\": %s", s->path, stmt_sql[i],
				sqlite3_errmsg(s->db));
			goto fail;
		}
	}
	if (base && cfg->durability != STORE_OFF) {
		if (store_sync_start(s) == 0) {
			if (sqlite3_exec(s->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK) {
				snprintf(err, errsz, "%s: %s", s->path, sqlite3_errmsg(s->db));
				goto fail;
			}
		}
		/* else: no thread; every COMMIT syncs (FULL) on the loop */
	}
	if (base)
		store_ckpt_start(s, cfg->durability != STORE_OFF); /* else the loop checkpoints */
	if (base) {
		s->timer = evtimer_new(base, timer_cb, s);
		s->evict_ev = event_new(base, -1, 0, evict_cb, s);
		if (!s->timer || !s->evict_ev) {
			snprintf(err, errsz, "%s: cannot create the commit timer", s->path);
			goto fail;
		}
	}
	/* cache_mb bounds the customers and SQLite's page cache together */
	s->max_bytes = cache_total_bytes(cfg) - (size_t)page_cache_kib(cfg) * 1024;
	store_cache_init(s);
	if (!s->buckets) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	s->group = 1;
	return s;
fail:
	store_ckpt_stop(s);
	store_sync_stop(s);
	free(s->jbuf);
	if (s->timer)
		event_free(s->timer);
	if (s->evict_ev)
		event_free(s->evict_ev);
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->st[i]);
	if (s->db)
		sqlite3_close(s->db);
	if (s->wal_fd >= 0)
		close(s->wal_fd);
	free(s->buckets);
	free(s->path);
	free(s);
	return NULL;
}

int store_close(store *s)
{
	if (!s)
		return 0;
	if (s->in_write)
		store_write_abort(s);
	int rc = group_commit(s);
	store_sync_now(s);
	store_ckpt_stop(s);
	store_sync_stop(s);
	if (s->timer)
		event_free(s->timer);
	if (s->evict_ev)
		event_free(s->evict_ev);
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->st[i]);
	store_cache_free(s);
	free(s->jbuf);
	/* A clean close checkpoints the WAL into the main file. */
	if (sqlite3_close(s->db) != SQLITE_OK)
		rc = -1;
	if (s->wal_fd >= 0)
		close(s->wal_fd);
	free(s->path);
	free(s);
	return rc;
}
