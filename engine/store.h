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

#endif
