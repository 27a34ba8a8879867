/* tests/unit/test-store-ckpt.c — WAL checkpoints run off the loop in every
 * durability (engine/store_ckpt.c): after a few hundred committed frames
 * the database file itself has grown while the loop did nothing but
 * commit; the loop's own checkpoint waits for 16384 frames, so without
 * the thread the file would keep its first size. And a clean close leaves
 * everything in the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "engine/store.h"
#include "tests/unit/tap.h"

static int oks;
static void done(void *ud, bool okk)
{
	(void)ud;
	oks += okk;
}

static void drain(struct event_base *base, store *s)
{
	for (int i = 0; i < 1000 && store_pending(s); i++)
		event_base_loop(base, EVLOOP_ONCE);
}

static off_t size_of(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 ? st.st_size : -1;
}

static void run(store_durability d, const char *name)
{
	char dir[] = "/tmp/test-store-ckpt-XXXXXX", path[300];
	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof path, "%s/c.db", dir);
	struct event_base *base = event_base_new();
	store_config cfg = { .db_path = path, .durability = d, .batch_max_delay_ms = 1, .cache_mb = 16 };
	char err[256];
	store *s = store_open(base, &cfg, err, sizeof err);
	ok(s != NULL, "%s: opens (%s)", name, s ? "" : err);
	if (!s)
		return;
	off_t first = size_of(path);
	/* one group per customer: each commit appends a few frames, and new
	 * customers make the customers B-tree grow (a bigger file) */
	oks = 0;
	for (int i = 0; i < 600; i++) {
		char id[64];
		int n = snprintf(id, sizeof id, "C%05d-%s", i, "a-customer-id-long-enough");
		store_write_begin(s);
		store_cust *c = store_cust_create(s, id, (size_t)n, 1, NULL, 0);
		store_ledger_add(s, c, c->id, c->idlen, "earn", i + 1, NULL, 0, "v", 1, NULL, 0);
		store_cust_save(s, c);
		store_write_end(s, done, NULL);
		drain(base, s);
	}
	is_int(oks, 600, "%s: 600 groups commit", name);
	/* the thread copies on its own time: wait for it (up to 10 s) */
	off_t now = size_of(path);
	for (int i = 0; i < 1000 && now <= first; i++) {
		usleep(10000);
		now = size_of(path);
	}
	ok(now > first, "%s: the database file grew from %lld to %lld bytes without a loop checkpoint",
		name, (long long)first, (long long)now);
	ok(store_close(s) == 0, "%s: closes", name);

	s = store_open(NULL, &cfg, err, sizeof err);
	store_cust *c;
	is_int(store_cust_get(s, "C00599-a-customer-id-long-enough", 32, &c), 0, "%s: the last customer is there", name);
	is_int(c ? c->points : -1, 600, "%s: with its points", name);
	int64_t sum = 0;
	store_ledger_sum(s, "C00000-a-customer-id-long-enough", 32, &sum);
	is_int(sum, 1, "%s: the first one's ledger", name);
	store_close(s);
	event_base_free(base);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
}

int main(void)
{
	run(STORE_OFF, "off");
	run(STORE_BATCH, "batch");
	return tap_done();
}
