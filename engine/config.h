/* engine/config.h — loyaltyd's settings (running.md, "loyaltyd"): defaults,
 * the YAML config file, and the command-line flags that override it.
 *
 * Owns parsing and checking the file only; it does not open sockets or
 * stores. Every key of running.md is known; an unknown key or a value of
 * the wrong type is an error "file:line:column: message" (exit 2). */
#ifndef ENGINE_CONFIG_H
#define ENGINE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/log.h"
#include "engine/store.h"

#define CONFIG_DEFAULT_SOCKET "/run/loyaltyd/loyaltyd.sock"
#define CONFIG_DEFAULT_DB "loyalty.db"
#define CONFIG_MAX_ADMIN_IDS 64

typedef struct config {
	char *rules;
	char *socket;
	unsigned socket_mode;         /* default 0660 */
	uid_t admin_uids[CONFIG_MAX_ADMIN_IDS];
	size_t nadmin_uids;
	gid_t admin_gids[CONFIG_MAX_ADMIN_IDS];
	size_t nadmin_gids;
	char *db;
	char *store_url;              /* "postgresql://..." */
	store_durability durability;
	int batch_max_delay_ms;       /* default 2 */
	size_t max_line_bytes;        /* default 65536 */
	unsigned max_connections;     /* default 1024 */
	unsigned idle_timeout_s;      /* 0 = never */
	uint64_t lua_instructions;    /* default 1,000,000 */
	uint64_t lua_memory_kb;       /* default 8192 */
	size_t cache_mb;              /* default 256 */
	char *metrics_listen;         /* "" = off */
	log_level log_level;          /* default info */
	/* extensions (doc/protocol.md) */
	char *tcp_listen;             /* "127.0.0.1:PORT", "" = off */
	unsigned max_inflight;        /* requests in flight per connection, default 1024 */
	size_t max_output_bytes;      /* unsent answers per connection before reading pauses, default 1 MiB */
} config;

void config_defaults(config *c);
/* Reads `file` over the values already in *c. 0, or -1 and err filled with
 * "file:line:column: message". */
int config_load(config *c, const char *file, char *err, size_t errsz);
/* Replace a string setting (frees the old value). */
void config_set_str(char **slot, const char *v);
void config_free(config *c);

#endif
