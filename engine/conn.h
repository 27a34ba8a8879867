/* engine/conn.h — one client connection: NDJSON framing with bounded
 * lines, the queue of reply slots that keeps pipelined answers in request
 * order, back-pressure (a client that does not read its answers stops
 * being read), peer credentials and the admin check, idle timeout.
 *
 * A reply slot (struct reply, engine/reply.h) owns its request's arena,
 * its decoded request, the generation it runs on, and an output buffer;
 * completed slots at the head of the queue move their buffer to the
 * socket with evbuffer_add_buffer (no copy). A slot may outlive its
 * connection (a purchase waiting for its commit when the client hangs
 * up): it is then orphaned and freed on completion. */
#ifndef ENGINE_CONN_H
#define ENGINE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>
#include <sys/types.h>

#include <event2/buffer.h>
#include <yajl/yajl_gen.h>

#include "engine/generation.h"
#include "engine/reply.h"
#include "engine/request.h"
#include "lang/arena.h"

struct server;
struct bufferevent;
struct evbuffer;

enum slot_state { SLOT_OPEN = 0, SLOT_DONE };

struct reply {
	TAILQ_ENTRY(reply) link;
	struct conn *conn;        /* NULL once orphaned */
	struct server *srv;
	struct evbuffer *out;     /* this answer's line */
	struct evbuffer_iovec vec; /* space reserved in `out`, being filled */
	size_t vec_used;
	bool vec_reserved;
	yajl_gen g;
	arena mem;
	request req;
	generation *gen;          /* held until completion */
	size_t members_start;     /* offset of the first member after "id" */
	enum slot_state state;
	bool began;               /* reply_begin called */
	bool deferred;
	bool field_warnings_written;
	bool raw;                 /* opened by reply_begin_aw (engine/answer.h) */
	int op;                   /* op_kind, or -1 for a line that is no request */
};

TAILQ_HEAD(slot_list, reply);

typedef struct conn {
	TAILQ_ENTRY(conn) link;
	struct server *srv;
	struct bufferevent *bev;
	/* answers moved out of their slots during a callback, handed to the
	 * output at its end (engine/conn.c, conn_flush); empty otherwise */
	struct evbuffer *staged;
	uid_t uid;
	gid_t gid;
	bool has_cred;
	struct slot_list slots;   /* in request order */
	unsigned nslots;
	struct slot_list spare;   /* completed slots kept for reuse */
	unsigned nspare;
	bool eof;                 /* the peer shut down its write side */
	bool closing;             /* flush what is queued, then close */
	bool paused;              /* reading stopped for back-pressure */
	int busy;                 /* inside a callback: do not free */
} conn;

/* A new accepted socket. `unix_peer`: read SO_PEERCRED. */
void conn_accept(struct server *srv, int fd, bool unix_peer);
/* Refuse an accepted socket with one overloaded line. */
void conn_refuse(struct server *srv, int fd);
/* Close the sockets still lingering (at exit). */
void conn_lingering_free_all(struct server *srv);
/* Stop reading; close once everything in flight is answered. */
void conn_stop(conn *c);
/* Close now (shutdown grace ran out): orphans open slots. */
void conn_free(conn *c);

/* Called by reply.c when a slot completes. */
void slot_completed(reply *r);



/* For handlers that write their own "warnings" array (quote, purchase:
 * rule run-time errors): call this inside that array to add the request's
 * unknown-field warnings ({"field":..,"message":"unknown field, ignored"}).
 * Otherwise reply_end adds a "warnings" array for them by itself. */
void reply_field_warnings(reply *r, yajl_gen g);

/* An integer value, like yajl_gen_integer but without sprintf (answers are
 * mostly integers; this is measurably faster). */
void reply_i64(yajl_gen g, long long v);
#endif
