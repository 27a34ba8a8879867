/* engine/stats.h — the counters behind the `stats` op (protocol.md, edge
 * cases: "stats answer"). Counting only; nothing here reads the store.
 *
 * fires and rule_errors count committed purchases only (a quote is a
 * what-if: counting it would inflate a campaign's numbers), and a replayed
 * purchase counts nothing. The ops layer calls stats_count_outcome once per
 * committed purchase. */
#ifndef ENGINE_STATS_H
#define ENGINE_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <yajl/yajl_gen.h>

#include "engine/request.h"
#include "rules/program.h"

struct server;

typedef struct stats_fire {
	char *rule;
	uint64_t n;
} stats_fire;

typedef struct stats {
	time_t started;
	uint64_t req_ok[OP__COUNT];
	uint64_t req_err[OP__COUNT];
	uint64_t req_invalid;        /* bad_json, unknown_op, op missing, too_large */
	stats_fire *fires;           /* open addressing on rule name */
	uint32_t fires_cap, fires_n;
	uint64_t rule_errors;
	uint64_t reloads_ok, reloads_failed;
	uint64_t conns_open, conns_total;
} stats;

void stats_init(stats *st);
void stats_free(stats *st);
/* op < 0: a line that never became a request (bad_json, unknown_op, ...). */
void stats_count_request(stats *st, int op, bool ok);
void stats_count_outcome(struct server *srv, const program *prog, const rl_outcome *out);
/* Writes the members of the stats answer after "ok". */
void stats_write(struct server *srv, const program *prog, yajl_gen g);

/* The same counters in Prometheus' text format (metrics_listen). */
struct evbuffer;
void stats_write_prometheus(struct server *srv, const program *prog, struct evbuffer *out);

#endif
