/* engine/generation.h — the loaded program as the daemon shares it between
 * requests, and reloading it safely (STYLE.md, "Reload").
 *
 * A generation is immutable and reference counted: the server holds one
 * reference to the current generation, every request holds one to the
 * generation it started with until its answer is complete. A reload loads
 * the program on a worker thread, off the event loop, then swaps the
 * server's pointer between requests; the old generation is freed when its
 * last request completes. Everything here runs on the event loop except
 * program_load itself. */
#ifndef ENGINE_GENERATION_H
#define ENGINE_GENERATION_H

#include <stdbool.h>

#include "engine/reply.h"
#include "rules/program.h"

struct server;

typedef struct generation {
	program *prog;
	unsigned refs;
} generation;

generation *gen_new(program *p);      /* one reference, the caller's */
generation *gen_hold(generation *g);
void gen_release(generation *g);

/* Set up the reload machinery (a pipe the worker signals on). 0 or -1. */
int reload_init(struct server *srv);
/* Ask for a reload. `r` (may be NULL for SIGHUP) is completed with the
 * reload's answer. Requests arriving while a load runs are coalesced into
 * the next load, which starts after the running one ends (so a file
 * changed during a load is always seen). */
void reload_request(struct server *srv, reply *r);
/* True while a load runs or is queued. */
bool reload_busy(const struct server *srv);
void reload_free(struct server *srv);

#endif
