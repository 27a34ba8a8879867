/* engine/store_internal.h — what the store_*.c files share and nobody else
 * sees: the store struct, the prepared statement table, the cache. */
#ifndef ENGINE_STORE_INTERNAL_H
#define ENGINE_STORE_INTERNAL_H

#include <sqlite3.h>
#include <yajl/yajl_gen.h>

#include "engine/json_out.h"
#include "engine/store.h"

/* Every statement is prepared once at open and reset after each use. */
typedef enum store_stmt {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	ST_CUST_GET, ST_CUST_INS, ST_CUST_UPD, ST_CUST_DEL,
	ST_EXPO_GET, ST_EXPO_INS, ST_EXPO_MOVE,
	ST_LEDGER_INS, ST_LEDGER_SUM, ST_LEDGER_MOVE,
	ST_TXN_GET, ST_TXN_INS, ST_TXN_UPD_REFUND, ST_TXN_CUST, ST_TXN_SET_ANSWER,
	ST_FORGOTTEN_INS, ST_FORGOTTEN_GET, ST_REFERRED_MOVE,
	ST__COUNT
} store_stmt;

struct store_waiter {
	store_done_fn done;
	void *ud;
	struct store_waiter *next;
};

struct store {
	sqlite3 *db;
	store_config cfg;
	char *path;
	struct event_base *base;
	struct event *timer;
	bool timer_armed;
	struct event *evict_ev;  /* runs eviction outside any handler */
	bool evict_armed;
	struct store_sync *sync; /* fdatasync thread (store_sync.c), or NULL */
	struct store_ckpt *ckpt; /* checkpoint thread (store_ckpt.c), or NULL */
	int wal_fd;              /* its WAL descriptor, closed after sqlite3_close */
	sqlite3_stmt *st[ST__COUNT];
	/* the JSON columns of one statement are written back to back into
	 * this buffer (store_json_* below) and bound in place; emptied after
	 * the statement ran */
	char *jbuf;
	size_t jlen, jcap;
	bool jnomem;

	bool in_group;          /* BEGIN issued, COMMIT not yet */
	uint64_t group;         /* number of the open (or next) group */
	size_t group_writes;
	size_t writes_at_check;  /* group_writes when the commit timer last ran */
	int64_t group_t0_us;     /* monotonic time of the open group's first write */
	bool held;              /* group waits for the running sync (store_sync.c) */
	struct store_waiter *wait_head, *wait_tail;
	size_t pending;
	bool in_write;          /* between store_write_begin and _end/_abort */
	char err[256];

	/* customer cache */
	store_cust **buckets;
	size_t nbuckets, ncached, bytes, max_bytes;
	store_cust *lru_head, *lru_tail;
};

sqlite3_stmt *store_stmt_get(store *s, store_stmt which); /* reset, bindings cleared */
/* Reset only, for the hot statements whose callers bind every parameter
 * (or clear them after each step): clearing costs as much as binding. */
sqlite3_stmt *store_stmt_rebind(store *s, store_stmt which);
int store_exec_stmt(store *s, store_stmt which);         /* step to DONE on a bound stmt */
void store_set_err(store *s, const char *what);
int store_schema_migrate(sqlite3 *db, char *err, size_t errsz);
int store_schema_version(void);

/* store_vfs.c: the VFS that writes each commit's WAL frames in one call;
 * NULL when the default VFS has changed since it was set up (then the
 * default is used as is). */
const char *store_vfs_name(void);

void store_run_waiters(store *s, struct store_waiter *w, bool ok);
/* store_sync.c: durability off the loop (see there) */
int store_sync_start(store *s);
int store_sync_committed(store *s, struct store_waiter *head, struct store_waiter *tail);
bool store_sync_attach(store *s, struct store_waiter *w);
bool store_sync_busy(const store *s); /* a sync is running or its answer not yet handled */
void store_group_sync_done(store *s); /* store_sync.c -> store_sqlite.c: a sync returned */
void store_sync_now(store *s);   /* sync here and run every committed group */
void store_sync_stop(store *s);
/* store_ckpt.c: WAL checkpoints off the loop (see there); sync_file: sync
 * the database file after copying (not with durability off) */
int store_ckpt_start(store *s, bool sync_file);
void store_ckpt_stop(store *s);

void store_cache_init(store *s);
void store_cache_clear(store *s);           /* drop every entry (state reloads from the file) */
void store_cache_free(store *s);
void store_cache_evict(store *s);
void store_cache_over(store *s);            /* over budget: schedule an eviction */
void store_cache_drop(store *s, store_cust *c); /* frees c */           /* clean entries until under budget */
void store_cust_touch(store *s, store_cust *c); /* marks it written in the open group */

/* yajl_gen_integer goes through sprintf; the JSON columns are mostly
 * integers */
static inline void store_json_int(yajl_gen g, long long v)
{
	char buf[24], *p = buf + sizeof buf;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	yajl_gen_number(g, p, (size_t)(buf + sizeof buf - p));
}

/* ---- the JSON columns, written without yajl_gen (engine/json_out.h) ---- */
char *store_json_grow(store *s, size_t n); /* store_sqlite.c; NULL: out of memory */

/* Room for n more bytes at s->jbuf + s->jlen; NULL (and jnomem) when out
 * of memory. */
static inline char *sj_room(store *s, size_t n)
{
	if (s->jcap - s->jlen >= n)
		return s->jbuf + s->jlen;
	return store_json_grow(s, n);
}

static inline void sj_put(store *s, const char *p, size_t n)
{
	char *d = sj_room(s, n);
	if (d) {
		memcpy(d, p, n);
		s->jlen += n;
	}
}

static inline void sj_i64(store *s, int64_t v)
{
	char buf[24], *p = jo_i64(buf + sizeof buf, v);
	sj_put(s, p, (size_t)(buf + sizeof buf - p));
}

static inline void sj_str(store *s, const char *p, size_t n)
{
	char *d = sj_room(s, JO_ESCAPE_MAX(n) + 2);
	if (!d)
		return;
	*d = '"';
	size_t k = jo_escape(d + 1, p, n);
	d[k + 1] = '"';
	s->jlen += k + 2;
}

/* Length of the generator's buffer so far. */
static inline size_t store_json_len(yajl_gen g)
{
	const unsigned char *b;
	size_t n;
	yajl_gen_get_buf(g, &b, &n);
	return n;
}

/* Bound in place (SQLITE_STATIC): every statement is bound and stepped in
 * one call while the caller's memory lives, and store_stmt_get clears the
 * bindings before the next use; a copy per text value (malloc, memcpy,
 * free) was 5% of a purchase. */
static inline int store_bind_str(sqlite3_stmt *st, int i, const char *p, size_t n)
{
	if (!p)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, p, (int)n, SQLITE_STATIC);
}

#endif
