/* tests/unit/test-store.c — the SQLite store on its own: schema creation
 * and idempotent migration, customers through the cache and back from the
 * file, the ledger against the balances after random operations, txn
 * lookups for replay, group commit in batch mode, failure rollback, and
 * crash safety (a child acknowledging writes in `always` mode is SIGKILLed;
 * every acknowledged txn must be in the file). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "engine/store.h"
#include "tests/unit/tap.h"

static char dir[] = "/tmp/test-store-XXXXXX";
static char path[256];

static store *open_store(struct event_base *base, store_durability d)
{
	store_config cfg = { .db_path = path, .durability = d, .batch_max_delay_ms = 2, .cache_mb = 1 };
	char err[256] = "";
	store *s = store_open(base, &cfg, err, sizeof err);
	if (!s)
		tap_diag("store_open: %s", err);
	return s;
}

static int user_version(store *s)
{
	sqlite3_stmt *st;
	sqlite3_prepare_v2(store_db(s), "PRAGMA user_version", -1, &st, NULL);
	sqlite3_step(st);
	int v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int64_t count(store *s, const char *sql)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return v;
}

static int acks;
static void done_cb(void *ud, bool okk)
{
	(void)ud;
	if (okk)
		acks++;
}

static void test_schema(void)
{
	store *s = open_store(NULL, STORE_ALWAYS);
	ok(s != NULL, "creates a new store");
	if (!s)
		return;
	is_int(user_version(s), 2, "schema at version 2");
	/* customers, ledger, txns, exposures, forgotten */
	is_int(count(s, "SELECT count(*) FROM sqlite_master WHERE type='table'"), 5, "five tables");
	store_close(s);
	s = open_store(NULL, STORE_ALWAYS);
	ok(s != NULL, "reopens");
	is_int(user_version(s), 2, "migration is idempotent");
	store_close(s);
}

/* A version-1 file (tier state, spend and fires in their own tables)
 * opens as version 2 with that state in the customer's row. */
static void test_migrate_v1(void)
{
	char p1[300];
	snprintf(p1, sizeof p1, "%s/v1.db", dir);
	sqlite3 *db;
	sqlite3_open(p1, &db);
	const char *v1 =
		"CREATE TABLE customers (id TEXT PRIMARY KEY, enrolled_at INTEGER NOT NULL, referred_by TEXT,"
		" points INTEGER NOT NULL DEFAULT 0, lifetime_spend INTEGER NOT NULL DEFAULT 0,"
		" purchase_count INTEGER NOT NULL DEFAULT 0, first_purchase_at INTEGER, last_purchase_at INTEGER,"
		" referrals INTEGER NOT NULL DEFAULT 0, tier TEXT, tier_since INTEGER, lifted_txn TEXT,"
		" attrs TEXT NOT NULL DEFAULT '{}') WITHOUT ROWID;"
		"CREATE TABLE tier_state (customer TEXT NOT NULL, tier TEXT NOT NULL, qualified_at INTEGER NOT NULL,"
		" PRIMARY KEY (customer, tier)) WITHOUT ROWID;"
		"CREATE TABLE spend (seq INTEGER PRIMARY KEY, customer TEXT NOT NULL, ts INTEGER NOT NULL,"
		" amount INTEGER NOT NULL, txn TEXT);"
		"CREATE TABLE ledger (seq INTEGER PRIMARY KEY, customer TEXT NOT NULL, kind TEXT NOT NULL,"
		" points INTEGER NOT NULL, txn TEXT, rules_version TEXT, ts INTEGER NOT NULL, reason TEXT);"
		"CREATE INDEX ledger_customer ON ledger (customer);"
		"CREATE TABLE txns (txn TEXT PRIMARY KEY, op TEXT NOT NULL, content_hash INTEGER NOT NULL,"
		" customer TEXT, answer TEXT NOT NULL, ts INTEGER NOT NULL, net INTEGER NOT NULL DEFAULT 0,"
		" total INTEGER NOT NULL DEFAULT 0, earned INTEGER NOT NULL DEFAULT 0, redeemed INTEGER NOT NULL DEFAULT 0,"
		" referrer TEXT, referrer_credit INTEGER NOT NULL DEFAULT 0, refunded_net INTEGER NOT NULL DEFAULT 0,"
		" reversed INTEGER NOT NULL DEFAULT 0, restored INTEGER NOT NULL DEFAULT 0,"
		" spend_back INTEGER NOT NULL DEFAULT 0, referrer_back INTEGER NOT NULL DEFAULT 0,"
		" complete INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
		"CREATE TABLE txn_lines (txn TEXT NOT NULL, idx INTEGER NOT NULL, sku TEXT NOT NULL, qty INTEGER NOT NULL,"
		" net INTEGER NOT NULL, refunded_qty INTEGER NOT NULL DEFAULT 0, refunded_net INTEGER NOT NULL DEFAULT 0,"
		" PRIMARY KEY (txn, idx)) WITHOUT ROWID;"
		"CREATE TABLE fires (seq INTEGER PRIMARY KEY, customer TEXT NOT NULL, rule TEXT NOT NULL, ts INTEGER NOT NULL);"
		"CREATE TABLE exposures (customer TEXT NOT NULL, experiment TEXT NOT NULL, variant TEXT NOT NULL,"
		" first_ts INTEGER NOT NULL, PRIMARY KEY (customer, experiment)) WITHOUT ROWID;"
		"CREATE TABLE forgotten (anon_id TEXT PRIMARY KEY, forgotten_at INTEGER NOT NULL) WITHOUT ROWID;"
		"INSERT INTO customers (id, enrolled_at, points) VALUES ('V', 5, 10);"
		"INSERT INTO tier_state VALUES ('V', 'silver', 1000), ('V', 'gold', 0);"
		"INSERT INTO spend (customer, ts, amount) VALUES ('V', 100, 700), ('V', 200, -50);"
		"INSERT INTO fires (customer, rule, ts) VALUES ('V', 'birthday', 150);"
		"INSERT INTO txns (txn, op, content_hash, customer, answer, ts, net, earned, refunded_net)"
		" VALUES ('T-1', 'purchase', -5, 'V', '\"ok\":true', 100, 10700, 307, 2700);"
		"INSERT INTO txn_lines VALUES ('T-1', 1, 'MUFFIN', 1, 5300, 0, 0), ('T-1', 0, 'LATTE', 2, 5400, 1, 2700);"
		"PRAGMA user_version = 1;";
	ok(sqlite3_exec(db, v1, NULL, NULL, NULL) == SQLITE_OK, "a version-1 file");
	sqlite3_close(db);
	store_config cfg = { .db_path = p1, .durability = STORE_ALWAYS, .cache_mb = 1 };
	char err[256] = "";
	store *s = store_open(NULL, &cfg, err, sizeof err);
	ok(s != NULL, "opens and migrates (%s)", err);
	if (!s)
		return;
	is_int(user_version(s), 2, "now version 2");
	store_cust *c;
	is_int(store_cust_get(s, "V", 1, &c), 0, "the customer is there");
	is_int(store_cust_tierq(c, "silver"), 1000, "tier state moved");
	is_int(c->ntq, 1, "without the never-qualified tier");
	is_int(c->nspend, 2, "spend moved");
	is_int(store_cust_spend_12m(c, 300), 650, "in order, refunds included: 700 - 50");
	is_int(c->nfires, 1, "fires moved");
	is_str(c->fires[0].rule, "birthday", "with their rule");
	is_int(count(s, "SELECT count(*) FROM sqlite_master WHERE name IN ('tier_state','spend','fires','txn_lines')"), 0,
		"the old tables are gone");
	arena mem;
	arena_init(&mem, 4096, 0);
	store_txn t;
	is_int(store_txn_get(s, "T-1", 3, &mem, &t), 0, "the purchase is there");
	ok(t.content_hash == (uint64_t)-5, "with its content hash");
	is_int(t.nlines, 2, "and its two lines");
	is_str(t.lines[0].sku.p, "LATTE", "in their order");
	is_int(t.lines[0].refunded_net, 2700, "with their refunds");
	is_int(t.refunded_net, 2700, "and the running totals");
	arena_free(&mem);
	store_close(s);
}

static void test_customers(void)
{
	store *s = open_store(NULL, STORE_ALWAYS);
	store_cust *c;
	is_int(store_cust_get(s, "C-1", 3, &c), 1, "unknown customer is absent");
	ok(store_write_begin(s) == 0, "write begins");
	c = store_cust_create(s, "C-1", 3, 1000, "C-0", 3);
	ok(c != NULL, "creates C-1");
	rl_attr attrs[] = {
		{ { "city", 4 }, { .t = EV_STR, .u.s = { "Surat", 5 } } },
		{ { "birth_month", 11 }, { .t = EV_INT, .u.i = 11 } },
	};
	store_cust_merge_attrs(c, attrs, 2);
	c->purchase_count = 3;
	c->has_last = true;
	c->last_purchase_at = 2000;
	ok(store_cust_add_spend(s, c, 1500, 700, "T", 1) == 0, "spend");
	ok(store_cust_set_tierq(s, c, "silver", 1500) == 0, "tier state");
	ok(store_cust_set_tierq(s, c, "gold", 0) == 0, "a tier never qualified for");
	ok(store_cust_add_fire(s, c, "birthday", 1500) == 0, "fire");
	ok(store_cust_expose(s, c, "exp", "double", 1500) == 0, "exposure");
	ok(store_cust_expose(s, c, "exp", "double", 1600) == 0, "second exposure is a no-op");
	ok(store_cust_save(s, c) == 0, "saves");
	store_write_end(s, done_cb, NULL);
	store_close(s);

	s = open_store(NULL, STORE_ALWAYS);
	is_int(store_cust_get(s, "C-1", 3, &c), 0, "C-1 back from the file");
	is_str(c->referred_by, "C-0", "referred_by");
	is_int(c->purchase_count, 3, "purchase_count");
	is_int(c->last_purchase_at, 2000, "last_purchase_at");
	ok(!c->has_first, "no first purchase");
	is_int(c->nattrs, 2, "two attrs");
	is_str(c->attrs[0].key, "city", "attrs keep their order");
	is_int(c->attrs[1].val.u.i, 11, "birth_month integer");
	is_int(store_cust_spend_12m(c, 1500), 700, "spend at its own ts counts");
	is_int(store_cust_spend_12m(c, 1500 + 365 * 86400), 0, "a year later it does not (t - 365d excluded)");
	is_int(store_cust_spend_12m(c, 1499), 0, "before it, it does not");
	is_int(store_cust_tierq(c, "silver"), 1500, "tier state");
	is_int(c->ntq, 1, "an unqualified tier is not kept");
	is_int(c->nfires, 1, "one fire");
	is_int(c->nexposed, 1, "one exposure");
	is_int(count(s, "SELECT count(*) FROM exposures"), 1, "exposure recorded once");
	/* null removes */
	rl_attr rm[] = { { { "city", 4 }, { .t = EV_NULL } } };
	store_write_begin(s);
	store_cust_merge_attrs(c, rm, 1);
	store_cust_save(s, c);
	store_write_end(s, NULL, NULL);
	is_int(c->nattrs, 1, "null removes an attribute");
	store_close(s);
}

static void test_ledger_random(void)
{
	store *s = open_store(NULL, STORE_OFF);
	srand(7);
	char id[16];
	for (int i = 0; i < 2000; i++) {
		snprintf(id, sizeof id, "R-%d", rand() % 50);
		store_cust *c;
		store_write_begin(s);
		int r = store_cust_get(s, id, strlen(id), &c);
		if (r == 1)
			c = store_cust_create(s, id, strlen(id), i, NULL, 0);
		int64_t pts = rand() % 2001 - 1000;
		store_ledger_add(s, c, c->id, c->idlen, pts < 0 ? "redeem" : "earn", pts, NULL, 0, "v1", i, NULL, 0);
		store_cust_save(s, c);
		if (rand() % 10 == 0)
			store_write_abort(s); /* undone: memory and file */
		else
			store_write_end(s, NULL, NULL);
	}
	int bad = 0;
	for (int k = 0; k < 50; k++) {
		snprintf(id, sizeof id, "R-%d", k);
		store_cust *c;
		int64_t sum = 0;
		if (store_cust_get(s, id, strlen(id), &c) != 0)
			continue;
		store_ledger_sum(s, id, strlen(id), &sum);
		if (sum != c->points) {
			bad++;
			tap_diag("%s: balance %lld, ledger %lld", id, (long long)c->points, (long long)sum);
		}
	}
	is_int(bad, 0, "every balance equals its ledger sum after 2000 random writes (10%% aborted)");
	is_int(count(s, "SELECT count(*) FROM customers c WHERE points != (SELECT COALESCE(SUM(points),0) FROM ledger l WHERE l.customer = c.id)"),
		0, "same in the file");
	store_close(s);
}

static void test_txn(void)
{
	store *s = open_store(NULL, STORE_ALWAYS);
	arena mem;
	arena_init(&mem, 4096, 0);
	store_txn t = { .txn = { "T-88", 4 }, .op = "purchase", .content_hash = 0xfedcba9876543210ULL,
		.customer = { "C-1", 3 }, .answer = { "\"ok\":true", 9 }, .ts = 5, .net = 10700,
		.total = 10700, .earned = 307 };
	store_txn_line lines[] = { { { "LATTE", 5 }, 2, 5400, 0, 0 }, { { "MUFFIN", 6 }, 1, 5300, 0, 0 } };
	t.lines = lines;
	t.nlines = 2;
	store_write_begin(s);
	ok(store_txn_put(s, &t) == 0, "stores a purchase");
	ok(store_txn_put(s, &t) < 0, "a second txn row with one id is refused");
	store_write_abort(s);
	store_txn got;
	is_int(store_txn_get(s, "T-88", 4, &mem, &got), 1, "aborted write left nothing");
	store_write_begin(s);
	store_txn_put(s, &t);
	store_write_end(s, NULL, NULL);
	is_int(store_txn_get(s, "T-88", 4, &mem, &got), 0, "found");
	ok(got.content_hash == t.content_hash, "content hash round-trips (all 64 bits)");
	is_str(got.answer.p, "\"ok\":true", "stored answer");
	is_int(got.nlines, 2, "two lines");
	is_str(got.lines[1].sku.p, "MUFFIN", "line sku");
	got.lines[0].refunded_qty = 1;
	got.lines[0].refunded_net = 2700;
	got.refunded_net = 2700;
	got.reversed = 77;
	store_write_begin(s);
	store_txn_update_refunds(s, &got);
	store_write_end(s, NULL, NULL);
	store_txn again;
	store_txn_get(s, "T-88", 4, &mem, &again);
	is_int(again.reversed, 77, "refund totals stored");
	is_int(again.lines[0].refunded_net, 2700, "line refund stored");
	arena_free(&mem);
	store_close(s);
}

static void test_batch(void)
{
	struct event_base *base = event_base_new();
	store *s = open_store(base, STORE_BATCH);
	acks = 0;
	for (int i = 0; i < 10; i++) {
		char id[16];
		snprintf(id, sizeof id, "B-%d", i);
		store_write_begin(s);
		store_cust_create(s, id, strlen(id), 1, NULL, 0);
		store_write_end(s, done_cb, NULL);
	}
	is_int(store_pending(s), 10, "ten writes wait for their group");
	is_int(acks, 0, "no callback before the commit");
	store_cust *c;
	is_int(store_cust_get(s, "B-3", 3, &c), 0, "reads see the pending write");
	/* the commit, then the WAL sync on the store's thread, then the callbacks */
	for (int i = 0; i < 1000 && store_pending(s); i++)
		event_base_loop(base, EVLOOP_ONCE);
	is_int(acks, 10, "one group commit ran every callback");
	is_int(store_pending(s), 0, "nothing pending");
	store_close(s);
	event_base_free(base);
}

static void test_cache_bound(void)
{
	store *s = open_store(NULL, STORE_OFF); /* cache_mb = 1 */
	char id[32];
	size_t n, bytes;
	store_write_begin(s);
	for (int i = 0; i < 20000; i++) {
		snprintf(id, sizeof id, "M-%06d", i);
		store_cust_create(s, id, strlen(id), 1, NULL, 0);
	}
	store_write_end(s, NULL, NULL); /* commits, then evicts */
	store_cache_stats(s, &n, &bytes);
	ok(bytes <= 1024 * 1024, "after the commit the cache is within cache_mb (%zu bytes, %zu entries)", bytes, n);
	ok(n > 100, "and still holds customers");
	store_close(s);

	struct event_base *base = event_base_new();
	s = open_store(base, STORE_OFF);
	store_cust *c;
	int found = 0;
	for (int i = 0; i < 20000; i++) {
		snprintf(id, sizeof id, "M-%06d", i);
		found += store_cust_get(s, id, strlen(id), &c) == 0;
	}
	is_int(found, 20000, "20000 customers read back");
	store_cache_stats(s, &n, &bytes);
	ok(bytes > 1024 * 1024, "reads alone go over the budget inside one callback");
	event_base_loop(base, EVLOOP_NONBLOCK);
	store_cache_stats(s, &n, &bytes);
	ok(bytes <= 1024 * 1024, "the loop's eviction brings it back (%zu bytes)", bytes);
	store_close(s);
	event_base_free(base);
}

static void test_crash(void)
{
	char cpath[300];
	snprintf(cpath, sizeof cpath, "%s/crash.db", dir);
	int fds[2];
	if (pipe(fds) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		store_config cfg = { .db_path = cpath, .durability = STORE_ALWAYS, .cache_mb = 1 };
		char err[256];
		store *s = store_open(NULL, &cfg, err, sizeof err);
		for (int i = 0; s; i++) {
			char txn[32];
			snprintf(txn, sizeof txn, "K-%08d", i);
			store_txn t = { .txn = { txn, (uint32_t)strlen(txn) }, .op = "adjust", .answer = { "x", 1 } };
			store_write_begin(s);
			store_txn_put(s, &t);
			acks = 0;
			store_write_end(s, done_cb, NULL);
			if (acks == 1 && write(fds[1], &i, sizeof i) != sizeof i)
				_exit(1);
		}
		_exit(2);
	}
	close(fds[1]);
	int last = -1, v;
	while (last < 300 && read(fds[0], &v, sizeof v) == sizeof v)
		last = v;
	kill(pid, SIGKILL);
	/* acks already in the pipe were acknowledged too */
	while (read(fds[0], &v, sizeof v) == sizeof v)
		last = v;
	close(fds[0]);
	waitpid(pid, NULL, 0);
	store_config cfg = { .db_path = cpath, .durability = STORE_ALWAYS, .cache_mb = 1 };
	char err[256];
	store *s = store_open(NULL, &cfg, err, sizeof err);
	ok(s != NULL, "reopens after SIGKILL");
	if (!s)
		return;
	arena mem;
	arena_init(&mem, 4096, 0);
	int missing = 0;
	for (int i = 0; i <= last; i++) {
		char txn[32];
		store_txn t;
		snprintf(txn, sizeof txn, "K-%08d", i);
		if (store_txn_get(s, txn, strlen(txn), &mem, &t) != 0)
			missing++;
		arena_reset(&mem);
	}
	tap_diag("child acknowledged %d txns before SIGKILL", last + 1);
	ok(last >= 300, "child acknowledged at least 301 writes");
	is_int(missing, 0, "every acknowledged txn is in the file");
	arena_free(&mem);
	store_close(s);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/t.db", dir);
	test_schema();
	test_migrate_v1();
	test_customers();
	test_ledger_random();
	snprintf(path, sizeof path, "%s/tx.db", dir);
	test_txn();
	snprintf(path, sizeof path, "%s/b.db", dir);
	test_batch();
	snprintf(path, sizeof path, "%s/c.db", dir);
	test_cache_bound();
	test_crash();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
	return tap_done();
}
