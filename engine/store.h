/* engine/store.h — the durable store behind the ops: customers and their
 * counters, the points ledger, transactions with their stored answers (for
 * idempotent replay), limit fires, experiment exposures.
 *
 * Owned by the engine-ops layer (engine/store_*.c). The transport layer
 * only opens and closes it; the op handlers (engine/op_*.c) use the rest.
 * Writes apply to the in-memory state at once (so the next request sees
 * them) and become durable per the durability mode; a write's completion
 * callback runs once it is (running.md: always | batch | off). */
#ifndef ENGINE_STORE_H
#define ENGINE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>

#include "lang/arena.h"
#include "rules/model.h"

struct event_base;

typedef enum store_durability {
	STORE_ALWAYS = 0,  /* fsync before answering (default) */
	STORE_BATCH,       /* group commit within batch_max_delay_ms */
	STORE_OFF,         /* no fsync */
} store_durability;

typedef struct store_config {
	const char *db_path;       /* SQLite file (created if absent) */
	store_durability durability;
	int batch_max_delay_ms;    /* default 2 */
	size_t cache_mb;           /* customers kept in memory, default 256 */
} store_config;

typedef struct store store;

/* Opens (creating and migrating the schema as needed). NULL and a message
 * naming the file on failure. `base` drives batch timers. */
store *store_open(struct event_base *base, const store_config *cfg, char *err, size_t errsz);

/* Number of writes accepted whose completion callback has not run yet. */
size_t store_pending(const store *s);

/* Commits whatever is pending (running every pending completion callback)
 * and closes. Returns 0 when everything was made durable. */
int store_close(store *s);

/* ---- the rest of the API is added below by the engine-ops layer ---- */

#include "lang/expr.h"

/* ---- customers (engine/store_customer.c) --------------------------------
 * A customer lives in the store's cache while a request uses it; the
 * pointer stays valid until the handler returns (eviction runs only from
 * the store's own timers, never inside a handler). Handlers change the
 * fields through the functions below, which write the SQL too, inside the
 * request's write (store_write_begin .. store_write_end). */

typedef struct store_attr {
	char *key;            /* NUL-terminated, malloc'd */
	size_t keylen;
	expr_value val;       /* EV_NULL..EV_STR; strings malloc'd */
} store_attr;

typedef struct store_spend {
	int64_t ts;           /* the purchase's ts (refunds too: rules.md) */
	int64_t amount;       /* negative for spend a refund took back */
} store_spend;

typedef struct store_fire {
	char *rule;
	int64_t ts;
} store_fire;

typedef struct store_tierq {
	char *tier;           /* tier name (programs change on reload) */
	int64_t qualified_at; /* last commit at which it qualified; 0 = never */
} store_tierq;

typedef struct store_cust {
	char *id;             /* NUL-terminated copy; idlen bytes */
	size_t idlen;
	int64_t enrolled_at;
	char *referred_by;    /* NULL: nobody */
	size_t reflen;
	int64_t points;       /* == Σ ledger of this id (tests assert it) */
	int64_t lifetime_spend;
	int64_t purchase_count;
	bool has_first, has_last;
	int64_t first_purchase_at, last_purchase_at;
	int64_t referrals;
	char *tier;           /* tier at the last commit, NULL before any */
	int64_t tier_since;
	char *lifted_txn;     /* the purchase that last lifted the tier */
	store_tierq *tq; uint32_t ntq;
	store_attr *attrs; uint32_t nattrs;
	store_spend *spend; uint32_t nspend, capspend;
	store_fire *fires; uint32_t nfires, capfires;
	char **exposed; uint32_t nexposed; /* experiment names already recorded */

	/* cache bookkeeping (store_customer.c only) */
	struct store_cust *hnext, *lru_prev, *lru_next;
	uint64_t hash;
	uint64_t dirty_group;  /* group that last wrote it; evictable when committed */
	size_t bytes;
} store_cust;

/* 0 found, 1 no such customer, -1 store error. */
int store_cust_get(store *s, const char *id, size_t n, store_cust **out);
/* Creates it at the lowest tier (inside a write). NULL on error. */
store_cust *store_cust_create(store *s, const char *id, size_t n, int64_t ts,
	const char *referred_by, size_t reflen);
/* The attributes as one JSON object (the customer answer, the stored
 * column and export all write them this way). */
void store_cust_write_attrs(yajl_gen g, const store_cust *c);
/* Frees a record that is not in the store's cache (NULL is fine). */
void store_cust_free(store_cust *c);
/* Writes c's row: counters, attrs, tier state, spend, fires. 0 or -1. */
int store_cust_save(store *s, store_cust *c);
/* These change memory only; store_cust_save writes them (call it last).
 * `s` may be NULL for a record kept outside the store (loyaltyctl
 * simulate), which is how the simulation stays the daemon's arithmetic.
 * Merge attrs (EV_NULL removes). */
int store_cust_merge_attrs(store_cust *c, const struct rl_attr *a, uint32_t n);
int store_cust_set_tierq(store *s, store_cust *c, const char *tier, int64_t q);
int store_cust_add_spend(store *s, store_cust *c, int64_t ts, int64_t amount, const char *txn, size_t txnlen);
int store_cust_add_fire(store *s, store_cust *c, const char *rule, int64_t ts);
/* Records the first exposure only (written at once); 0 also when already
 * recorded. */
int store_cust_expose(store *s, store_cust *c, const char *exp, const char *variant, int64_t ts);
/* 1 when id is a forgotten customer's anonymous id (its ledger lives on:
 * no new customer may take it), 0 when free, -1 on a store error. */
int store_id_reserved(store *s, const char *id, size_t n);
/* spend in (t − 365 d, t] */
int64_t store_cust_spend_12m(const store_cust *c, int64_t t);
int64_t store_cust_tierq(const store_cust *c, const char *tier);
/* Erases the profile (with its tier state, spend and fires): the ledger,
 * txns and exposures move to a fresh anonymous id (written into anon,
 * NUL-terminated). Frees c. */
int store_cust_forget(store *s, store_cust *c, char *anon, size_t anonsz);

/* ---- the points ledger (store_ledger.c) -------------------------------- */
/* Appends one entry and, when c is given, moves c->points with it. `who`
 * is the ledger id (c->id, or an anonymous id for a forgotten customer). */
int store_ledger_add(store *s, store_cust *c, const char *who, size_t whon,
	const char *kind, int64_t points, const char *txn, size_t txnlen,
	const char *rules_version, int64_t ts, const char *reason, size_t reasonlen);
/* Σ points of `who`; -1 with *err on failure (store error). */
int store_ledger_sum(store *s, const char *who, size_t n, int64_t *sum);

/* ---- transactions (store_txn.c) ----------------------------------------- */
typedef struct store_txn_line {
	rl_str sku;
	int64_t qty, net;
	int64_t refunded_qty, refunded_net;
} store_txn_line;

typedef struct store_txn {
	rl_str txn;
	const char *op;        /* "purchase", "refund", "adjust" */
	uint64_t content_hash;
	rl_str customer;       /* .p NULL: anonymous */
	rl_str answer;         /* members text for replays */
	int64_t ts;
	/* purchases: what refunds need */
	int64_t net;           /* Σ line nets after discounts */
	int64_t total;         /* spend counted */
	int64_t earned, redeemed;
	rl_str referrer;       /* credited referrer, .p NULL: none */
	int64_t referrer_credit;
	int64_t refunded_net, reversed, restored, spend_back, referrer_back;
	bool complete;         /* every unit refunded */
	store_txn_line *lines;
	uint32_t nlines;
} store_txn;

/* 0 found (memory from mem), 1 absent, -1 error. */
int store_txn_get(store *s, const char *txn, size_t n, arena *mem, store_txn *out);
int store_txn_put(store *s, const store_txn *t);
/* Writes the refund totals and the lines' refunded counts of a purchase. */
int store_txn_update_refunds(store *s, const store_txn *t);

/* ---- writes and their durability (store_sqlite.c) ----------------------- */
typedef void (*store_done_fn)(void *ud, bool ok);

/* Opens a request's write (joins the open group). -1: unavailable. */
int store_write_begin(store *s);
/* Undoes everything of this request's write (memory included) by rolling
 * back the whole open group: the `done` of the group's other writes run
 * now, not ok (they had no effect; none was answered yet). */
void store_write_abort(store *s);
/* Ends the request's write; `done` runs once the group is durable (ok) or
 * failed (not ok: nothing of it stays). Without an event base the group
 * commits now and `done` runs before this returns. */
void store_write_end(store *s, store_done_fn done, void *ud);
/* Run `done` after the open group commits (now when none is open): for
 * replays of a txn that may still be in that group. Returns true if the
 * call was deferred. */
bool store_after_commit(store *s, store_done_fn done, void *ud);
/* Commits the open group now (tests, shutdown). 0 ok. */
int store_flush(store *s);
const char *store_errmsg(const store *s);
/* Customers in the cache and their approximate bytes (bounded by cache_mb). */
void store_cache_stats(const store *s, size_t *entries, size_t *bytes);

/* For loyaltyctl import/export and tests. */
struct sqlite3 *store_db(store *s);


#endif
