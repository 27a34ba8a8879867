/* engine/server.h — the daemon's process-wide state and its event loop:
 * listeners (the Unix socket, optionally loopback TCP), signals, the
 * current program generation, the store, the counters, and the orderly
 * stop (SIGTERM/SIGINT: stop accepting and reading, answer everything in
 * flight, close the store, exit 0).
 *
 * Owns no protocol knowledge: connections are engine/conn.c's, requests
 * engine/decode.c's, answers the op handlers'. */
#ifndef ENGINE_SERVER_H
#define ENGINE_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "engine/config.h"
#include "engine/generation.h"
#include "engine/stats.h"
#include "engine/store.h"

struct event_base;
struct event;
struct evconnlistener;
struct evhttp;
struct conn;

TAILQ_HEAD(conn_list, conn);
TAILQ_HEAD(linger_list, lingering);

typedef struct reload_state reload_state;

typedef struct server {
	config *cfg;
	struct event_base *base;
	store *store;
	generation *gen;          /* current; the server holds one reference */
	stats st;
	uid_t self_uid;

	struct evconnlistener *unix_l, *tcp_l;
	struct evhttp *metrics;   /* metrics_listen, or NULL */
	bool socket_created;      /* unlink cfg->socket at exit */
	struct conn_list conns;
	unsigned nconns;          /* counted against max_connections */
	struct linger_list lingering; /* closed by us, draining (conn.c) */
	unsigned nlingering;
	size_t live_slots;        /* reply slots not yet completed, incl. orphans */

	reload_state *reload;

	bool stopping;
	struct event *ev_hup, *ev_term, *ev_int, *ev_stop_check;
	int exit_code;
} server;

/* After config, program and store are ready: create the listeners (the
 * Unix socket last-but-one step of start, so "ready" means loaded). */
int server_init(server *srv, config *cfg, struct event_base *base, store *st, program *prog);
int server_listen(server *srv);
/* Runs until stopped; returns the exit status. Closes the store. */
int server_run(server *srv);
void server_free(server *srv);

/* Called by conn.c whenever a connection or slot went away during a stop. */
void server_stop_progress(server *srv);
void server_stop(server *srv);

/* Is this peer allowed the admin ops? */
bool server_peer_is_admin(const server *srv, uid_t uid, gid_t gid);

#endif
