/* tests/unit/test-store-fail.c — a group commit that fails (writing the
 * WAL returns an I/O error, injected by a VFS that wraps the default one):
 * every write of the group gets its callback with ok = false, the cached
 * customers it touched are dropped so memory holds nothing the file does
 * not, nothing of the group is in the file, and the store keeps working
 * once the disk does. Also a failed statement inside one request's write:
 * that request alone is undone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "engine/store.h"
#include "tests/unit/tap.h"

/* ---- a VFS whose xWrite fails on demand --------------------------------- */
static sqlite3_vfs faulty, *real;
static int fail_write;

typedef struct ffile {
	sqlite3_file base;
	sqlite3_file *real;      /* follows this struct */
} ffile;

static sqlite3_io_methods fmethods;

static int f_close(sqlite3_file *f) { int rc = ((ffile *)f)->real->pMethods->xClose(((ffile *)f)->real); return rc; }
static int f_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o) { return ((ffile *)f)->real->pMethods->xRead(((ffile *)f)->real, b, n, o); }
static int f_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
	if (fail_write)
		return SQLITE_IOERR_WRITE;
	return ((ffile *)f)->real->pMethods->xWrite(((ffile *)f)->real, b, n, o);
}
static int f_truncate(sqlite3_file *f, sqlite3_int64 n) { return ((ffile *)f)->real->pMethods->xTruncate(((ffile *)f)->real, n); }
static int f_sync(sqlite3_file *f, int flags) { return ((ffile *)f)->real->pMethods->xSync(((ffile *)f)->real, flags); }
static int f_size(sqlite3_file *f, sqlite3_int64 *n) { return ((ffile *)f)->real->pMethods->xFileSize(((ffile *)f)->real, n); }
static int f_lock(sqlite3_file *f, int l) { return ((ffile *)f)->real->pMethods->xLock(((ffile *)f)->real, l); }
static int f_unlock(sqlite3_file *f, int l) { return ((ffile *)f)->real->pMethods->xUnlock(((ffile *)f)->real, l); }
static int f_check(sqlite3_file *f, int *o) { return ((ffile *)f)->real->pMethods->xCheckReservedLock(((ffile *)f)->real, o); }
static int f_fctl(sqlite3_file *f, int op, void *a) { return ((ffile *)f)->real->pMethods->xFileControl(((ffile *)f)->real, op, a); }
static int f_sector(sqlite3_file *f) { return ((ffile *)f)->real->pMethods->xSectorSize(((ffile *)f)->real); }
static int f_dev(sqlite3_file *f) { return ((ffile *)f)->real->pMethods->xDeviceCharacteristics(((ffile *)f)->real); }
static int f_shmmap(sqlite3_file *f, int i, int sz, int e, void volatile **p) { return ((ffile *)f)->real->pMethods->xShmMap(((ffile *)f)->real, i, sz, e, p); }
static int f_shmlock(sqlite3_file *f, int o, int n, int fl) { return ((ffile *)f)->real->pMethods->xShmLock(((ffile *)f)->real, o, n, fl); }
static void f_shmbarrier(sqlite3_file *f) { ((ffile *)f)->real->pMethods->xShmBarrier(((ffile *)f)->real); }
static int f_shmunmap(sqlite3_file *f, int d) { return ((ffile *)f)->real->pMethods->xShmUnmap(((ffile *)f)->real, d); }

static int f_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *out)
{
	(void)v;
	ffile *ff = (ffile *)f;
	ff->real = (sqlite3_file *)(ff + 1);
	int rc = real->xOpen(real, name, ff->real, flags, out);
	ff->base.pMethods = rc == SQLITE_OK ? &fmethods : NULL;
	return rc;
}

static void faulty_register(void)
{
	real = sqlite3_vfs_find(NULL);
	faulty = *real;
	faulty.zName = "faulty";
	faulty.szOsFile = (int)sizeof(ffile) + real->szOsFile;
	faulty.xOpen = f_open;
	fmethods = (sqlite3_io_methods){ 2, f_close, f_read, f_write, f_truncate, f_sync, f_size, f_lock,
		f_unlock, f_check, f_fctl, f_sector, f_dev, f_shmmap, f_shmlock, f_shmbarrier, f_shmunmap,
		NULL, NULL };
	sqlite3_vfs_register(&faulty, 1);
}

/* ---- the test ------------------------------------------------------------ */
static int oks, fails;
static void done(void *ud, bool okk)
{
	(void)ud;
	if (okk)
		oks++;
	else
		fails++;
}

/* Runs the loop until every callback ran (commit, WAL sync, callbacks). */
static void drain(struct event_base *base, store *s)
{
	for (int i = 0; i < 1000 && store_pending(s); i++)
		event_base_loop(base, EVLOOP_ONCE);
}

static void write_points(store *s, const char *id, int64_t pts)
{
	store_cust *c;
	store_write_begin(s);
	if (store_cust_get(s, id, strlen(id), &c) == 1)
		c = store_cust_create(s, id, strlen(id), 1, NULL, 0);
	store_ledger_add(s, c, c->id, c->idlen, "earn", pts, NULL, 0, "v", 1, NULL, 0);
	store_cust_save(s, c);
	store_write_end(s, done, NULL);
}

int main(void)
{
	faulty_register();
	char dir[] = "/tmp/test-store-fail-XXXXXX", path[300];
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/f.db", dir);
	struct event_base *base = event_base_new();
	store_config cfg = { .db_path = path, .durability = STORE_BATCH, .batch_max_delay_ms = 1, .cache_mb = 1 };
	char err[256];
	store *s = store_open(base, &cfg, err, sizeof err);
	ok(s != NULL, "opens on the faulty VFS");
	if (!s)
		return tap_done();

	write_points(s, "A", 100);
	drain(base, s);
	is_int(oks, 1, "a healthy group commits");

	/* a group of three writes whose fsync fails */
	write_points(s, "A", 5);
	write_points(s, "B", 7);
	write_points(s, "A", 1);
	store_cust *c;
	is_int(store_cust_get(s, "A", 1, &c), 0, "before the commit");
	is_int(c->points, 106, "reads see the group's writes");
	fail_write = 1;
	drain(base, s);
	fail_write = 0;
	is_int(fails, 3, "every write of the failed group is told so");
	is_int(oks, 1, "and none of them succeeded");
	is_int(store_cust_get(s, "A", 1, &c), 0, "A is reloaded");
	is_int(c->points, 100, "A's balance is what the file holds");
	is_int(store_cust_get(s, "B", 1, &c), 1, "B, created in the failed group, does not exist");
	int64_t sum = -1;
	store_ledger_sum(s, "A", 1, &sum);
	is_int(sum, 100, "A's ledger is what it was");

	/* the store keeps working */
	write_points(s, "B", 9);
	drain(base, s);
	is_int(oks, 2, "the next group commits");
	is_int(store_cust_get(s, "B", 1, &c), 0, "B exists now");
	is_int(c->points, 9, "with its one write");

	/* a statement failing inside one request: the group goes with it, its
	 * other writes are told at once (none was answered), and the next
	 * group starts clean */
	oks = fails = 0;
	write_points(s, "A", 1);
	write_points(s, "C", 4);
	store_write_begin(s);
	store_cust_get(s, "A", 1, &c);
	store_ledger_add(s, c, c->id, c->idlen, "earn", 50, NULL, 0, "v", 1, NULL, 0);
	store_cust_save(s, c);
	store_cust *dup = store_cust_create(s, "A", 1, 1, NULL, 0); /* primary key: fails */
	ok(dup == NULL, "a failing statement is reported");
	store_write_abort(s);
	is_int(fails, 2, "the group's two other writes fail at the abort");
	is_int(oks, 0, "and none succeeds");
	is_int(store_cust_get(s, "A", 1, &c), 0, "A after the aborted request");
	is_int(c->points, 100, "has neither the aborted write nor its neighbour's");
	is_int(store_cust_get(s, "C", 1, &c), 1, "C, created in the rolled-back group, does not exist");
	write_points(s, "A", 2);
	drain(base, s);
	is_int(oks, 1, "the next group commits");
	store_close(s);

	s = store_open(NULL, &cfg, err, sizeof err);
	store_cust_get(s, "A", 1, &c);
	is_int(c->points, 102, "the file agrees after reopening (100 + 2)");
	store_ledger_sum(s, "A", 1, &sum);
	is_int(sum, 102, "and so does the ledger");
	is_int(store_cust_get(s, "C", 1, &c), 1, "C is not in the file");
	store_close(s);
	event_base_free(base);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
	return tap_done();
}
