/* engine/conn.c — see conn.h. The order of work for one connection:
 * bytes arrive in the bufferevent's input (bounded by its read watermark
 * at max_line_bytes + 1, so a line without a newline cannot grow past the
 * limit); each complete line gets a slot at the tail of the queue and is
 * decoded and handed to its op handler; completed slots at the head move
 * to the output. Reading pauses while too many slots are open or too much
 * output is unsent, and resumes from the write callback or when a slot
 * completes. */
#include <config.h>

#include "engine/conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "engine/decode.h"
#include "engine/log.h"
#include "engine/ops.h"
#include "engine/server.h"

/* A request's arena: decoded fields plus what the handler allocates. */
#define SLOT_ARENA_BLOCK 16384
#define SLOT_SPARE_MAX 64

static void conn_read_cb(struct bufferevent *bev, void *ctx);
static void conn_write_cb(struct bufferevent *bev, void *ctx);
static void conn_event_cb(struct bufferevent *bev, short what, void *ctx);
static void conn_maybe_close(conn *c);
static void conn_close(conn *c);
static void linger_start(server *srv, int fd);

static size_t arena_limit(const server *srv)
{
	/* decoded data is at most a few times the line; handlers get room
	 * for outcomes on top */
	return srv->cfg->max_line_bytes * 8 + (4u << 20);
}

static reply *slot_new(conn *c)
{
	reply *r = TAILQ_FIRST(&c->spare);
	if (r) {
		TAILQ_REMOVE(&c->spare, r, link);
		c->nspare--;
	} else {
		r = calloc(1, sizeof *r);
		if (!r)
			return NULL;
		r->out = evbuffer_new();
		if (!r->out) {
			free(r);
			return NULL;
		}
		arena_init(&r->mem, SLOT_ARENA_BLOCK, arena_limit(c->srv));
	}
	r->conn = c;
	r->srv = c->srv;
	r->state = SLOT_OPEN;
	r->began = r->deferred = r->field_warnings_written = r->vec_reserved = false;
	r->op = -1;
	r->gen = NULL;
	/* r->req is left as the last request had it: decode_request starts
	 * by clearing it, and a slot answered without one clears it itself
	 * (slot_clear_request) */
	TAILQ_INSERT_TAIL(&c->slots, r, link);
	c->nslots++;
	c->srv->live_slots++;
	return r;
}

static void slot_destroy(reply *r)
{
	if (r->g)
		yajl_gen_free(r->g);
	evbuffer_free(r->out);
	arena_free(&r->mem);
	free(r);
}

/* Back to the spare list (or freed): the slot is done and flushed. */
static void slot_recycle(conn *c, reply *r)
{
	arena_reset(&r->mem);
	if (c && c->nspare < SLOT_SPARE_MAX) {
		evbuffer_drain(r->out, evbuffer_get_length(r->out));
		TAILQ_INSERT_HEAD(&c->spare, r, link);
		c->nspare++;
	} else {
		slot_destroy(r);
	}
}

static size_t conn_outlen(const conn *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev)) + evbuffer_get_length(c->staged);
}

/* The staged answers to the bufferevent's output, in one move. */
static void conn_push(conn *c)
{
	if (evbuffer_get_length(c->staged))
		evbuffer_add_buffer(bufferevent_get_output(c->bev), c->staged);
}

/* Move completed slots at the head of the queue towards the socket: to
 * the staging buffer, which has no callbacks (the output's run on every
 * addition), and from there to the output at once when the connection's
 * callback is done, or now outside of one. */
static void conn_flush(conn *c)
{
	reply *r;
	while ((r = TAILQ_FIRST(&c->slots)) && r->state == SLOT_DONE) {
		TAILQ_REMOVE(&c->slots, r, link);
		c->nslots--;
		evbuffer_add_buffer(c->staged, r->out);
		slot_recycle(c, r);
	}
	if (!c->busy)
		conn_push(c);
}

static void conn_process(conn *c);

void slot_completed(reply *r)
{
	r->state = SLOT_DONE;
	if (r->gen) {
		gen_release(r->gen);
		r->gen = NULL;
	}
	server *srv = r->srv;
	srv->live_slots--;
	conn *c = r->conn;
	if (!c) {
		/* orphan: its connection is gone */
		slot_destroy(r);
		if (srv->stopping)
			server_stop_progress(srv);
		return;
	}
	if (r != TAILQ_FIRST(&c->slots))
		return; /* waits for the slots before it */
	conn_flush(c);
	if (c->busy)
		return; /* the read loop continues and checks for itself */
	/* a deferred answer completed from outside the connection's callbacks:
	 * it may unblock reading or let a closing connection go */
	c->busy++;
	if (c->paused)
		conn_process(c);
	c->busy--;
	conn_maybe_close(c);
}

static void conn_answer_line(conn *c, const char *line, size_t n)
{
	server *srv = c->srv;
	reply *r = slot_new(c);
	if (!r) {
		log_error("out of memory for a request slot; closing connection");
		c->closing = true;
		return;
	}
	decode_error err;
	if (decode_request(line, n, &r->mem, &r->req, &err) != 0) {
		r->op = err.op;
		reply_error(r, err.code, "%s", err.message);
		return;
	}
	r->op = r->req.op;
	if (op_is_admin(r->req.op) && !(c->has_cred && server_peer_is_admin(srv, c->uid, c->gid))) {
		reply_error(r, "forbidden", "%s is an admin op and this peer is not an admin", op_names[r->req.op]);
		return;
	}
	r->gen = gen_hold(srv->gen);
	op_ctx ctx = {
		.srv = srv,
		.prog = r->gen->prog,
		.store = srv->store,
		.now = (int64_t)time(NULL),
		.peer_uid = c->uid,
		.peer_gid = c->gid,
	};
	op_handlers[r->req.op](&ctx, &r->req, r);
	if (r->state != SLOT_DONE && !r->deferred) {
		/* a handler bug: never leave the client waiting */
		log_error("handler for %s returned without answering", op_names[r->req.op]);
		reply_error(r, "internal", "the %s handler did not answer", op_names[r->req.op]);
	}
}

static bool is_blank(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	return true;
}

/* For a slot answered without decoding a line: no id, no warnings. */
static void slot_clear_request(reply *r)
{
	memset(&r->req, 0, sizeof r->req);
	r->req.mem = &r->mem;
}

static void conn_too_large(conn *c)
{
	reply *r = slot_new(c);
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	if (r) {
		slot_clear_request(r);
		reply_error(r, "too_large", "request line longer than max_line_bytes (%zu bytes)",
			c->srv->cfg->max_line_bytes);
	}
}

static void conn_pause(conn *c)
{
	if (!c->paused) {
		c->paused = true;
		bufferevent_disable(c->bev, EV_READ);
	}
}

static bool conn_full(const conn *c)
{
	const config *cfg = c->srv->cfg;
	return c->nslots >= cfg->max_inflight || conn_outlen(c) > cfg->max_output_bytes;
}

/* A line: its trailing CR dropped, blank ones ignored. */
static void conn_line(conn *c, const unsigned char *line, size_t len)
{
	size_t n = len;
	if (n && line[n - 1] == '\r')
		n--;
	if (!is_blank(line, n))
		conn_answer_line(c, (const char *)line, n);
}

/* The lines that lie whole in the input's first chunk, read in place and
 * drained at once: one memchr a line instead of evbuffer_search_eol,
 * evbuffer_pullup and evbuffer_drain (which runs the buffer's callbacks)
 * for each. Stops at the first line it cannot take whole, at the bounds,
 * or when the connection closes; false when it stopped for the bounds or
 * a line over max_line_bytes (then the caller returns). */
static bool conn_process_chunk(conn *c)
{
	server *srv = c->srv;
	const size_t max = srv->cfg->max_line_bytes;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_iovec v;
	if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
		return true;
	const unsigned char *p = v.iov_base;
	size_t avail = v.iov_len, done = 0;
	bool go_on = true;
	while (!c->closing && !srv->stopping) {
		const unsigned char *nl = memchr(p + done, '\n', avail - done);
		if (!nl)
			break;
		if (conn_full(c)) {
			conn_pause(c);
			go_on = false;
			break;
		}
		size_t len = (size_t)(nl - (p + done));
		if (len > max) {
			evbuffer_drain(in, done);
			conn_too_large(c);
			return false;
		}
		conn_line(c, p + done, len);
		done += len + 1;
	}
	if (done)
		evbuffer_drain(in, done);
	return go_on;
}

static void conn_process_lines(conn *c);

/* Answer every complete line in the input, as far as the bounds allow,
 * then hand the answers staged meanwhile to the output. */
static void conn_process(conn *c)
{
	conn_process_lines(c);
	conn_push(c);
}

static void conn_process_lines(conn *c)
{
	server *srv = c->srv;
	const config *cfg = srv->cfg;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	while (!c->closing && !srv->stopping) {
		if (!conn_process_chunk(c))
			return;
		if (c->closing || srv->stopping)
			break;
		/* what is left: a line across chunks, the peer's last line
		 * without a newline, a partial line, or nothing */
		if (conn_full(c)) {
			conn_pause(c);
			return;
		}
		size_t eol_len = 0;
		struct evbuffer_ptr p = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		size_t have = evbuffer_get_length(in);
		size_t len;
		if (p.pos < 0) {
			if (have > cfg->max_line_bytes) {
				conn_too_large(c);
				return;
			}
			if (!c->eof || have == 0)
				break;
			len = have; /* the peer's last line, without its newline */
		} else {
			len = (size_t)p.pos;
		}
		if (len > cfg->max_line_bytes) {
			conn_too_large(c);
			return;
		}
		unsigned char *line = evbuffer_pullup(in, (ssize_t)(len + eol_len));
		conn_line(c, line, len);
		evbuffer_drain(in, len + eol_len);
	}
	if (c->paused && !c->closing && !srv->stopping && !c->eof) {
		c->paused = false;
		bufferevent_enable(c->bev, EV_READ);
	} else if (c->paused && c->eof) {
		c->paused = false;
	}
}

static void conn_read_cb(struct bufferevent *bev, void *ctx)
{
	conn *c = ctx;
	c->busy++;
	conn_process(c);
	c->busy--;
	conn_maybe_close(c);
}

static void conn_write_cb(struct bufferevent *bev, void *ctx)
{
	conn *c = ctx;
	c->busy++;
	if (c->paused)
		conn_process(c);
	c->busy--;
	conn_maybe_close(c);
}

static void conn_event_cb(struct bufferevent *bev, short what, void *ctx)
{
	conn *c = ctx;
	if (what & BEV_EVENT_EOF) {
		c->eof = true;
		c->busy++;
		conn_process(c); /* a last line without newline */
		c->busy--;
		conn_maybe_close(c);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		/* idle: only when nothing is in flight and nothing is unsent */
		if (c->nslots == 0 && conn_outlen(c) == 0 && !c->paused) {
			log_debug("closing idle connection");
			conn_close(c);
		} else if (!c->paused && !c->closing) {
			bufferevent_enable(c->bev, EV_READ);
		}
		return;
	}
	/* error: the peer is gone */
	conn_free(c);
}

/* Free the connection once nothing is left to say on it. */
static void conn_maybe_close(conn *c)
{
	if (c->busy)
		return;
	conn_push(c); /* staged is empty outside a callback; be sure */
	if (!(c->closing || c->eof || c->srv->stopping))
		return;
	if (c->nslots > 0)
		return;
	if (conn_outlen(c) > 0) {
		/* let the write callback fire on an empty output */
		bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
		bufferevent_enable(c->bev, EV_WRITE);
		return;
	}
	conn_close(c);
}

/* Everything is said: close without destroying it. Closing a socket that
 * still has unread input makes the kernel reset the connection, and the
 * client can lose answers it has not read yet (a client that pipelined
 * past a too_large line or past a stop); so the socket is handed to the
 * lingering list, which shuts its write side and reads until EOF. */
static void conn_close(conn *c)
{
	int fd = dup(bufferevent_getfd(c->bev));
	server *srv = c->srv;
	conn_free(c);
	if (fd >= 0)
		linger_start(srv, fd);
}

void conn_free(conn *c)
{
	server *srv = c->srv;
	reply *r;
	while ((r = TAILQ_FIRST(&c->slots))) {
		TAILQ_REMOVE(&c->slots, r, link);
		if (r->state == SLOT_DONE) {
			slot_destroy(r);
		} else {
			r->conn = NULL; /* completes later, then frees itself */
		}
	}
	while ((r = TAILQ_FIRST(&c->spare))) {
		TAILQ_REMOVE(&c->spare, r, link);
		slot_destroy(r);
	}
	bufferevent_free(c->bev);
	evbuffer_free(c->staged);
	TAILQ_REMOVE(&srv->conns, c, link);
	srv->nconns--;
	srv->st.conns_open--;
	free(c);
	if (srv->stopping)
		server_stop_progress(srv);
}

void conn_stop(conn *c)
{
	bufferevent_disable(c->bev, EV_READ);
	c->closing = true;
	conn_maybe_close(c);
}

void conn_accept(server *srv, int fd, bool unix_peer)
{
	conn *c = calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		return;
	}
	c->srv = srv;
	c->uid = (uid_t)-1;
	c->gid = (gid_t)-1;
	if (unix_peer) {
		struct ucred cr;
		socklen_t len = sizeof cr;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0) {
			c->uid = cr.uid;
			c->gid = cr.gid;
			c->has_cred = true;
		}
	}
	TAILQ_INIT(&c->slots);
	TAILQ_INIT(&c->spare);
	c->staged = evbuffer_new();
	c->bev = c->staged ? bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE) : NULL;
	if (!c->bev) {
		if (c->staged)
			evbuffer_free(c->staged);
		close(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&srv->conns, c, link);
	srv->nconns++;
	srv->st.conns_open++;
	srv->st.conns_total++;
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	/* the read watermark bounds a partial line; the write low-water mark
	 * wakes a paused connection once half its unsent output is gone */
	bufferevent_setwatermark(c->bev, EV_READ, 0, srv->cfg->max_line_bytes + 1);
	bufferevent_setwatermark(c->bev, EV_WRITE, srv->cfg->max_output_bytes / 2, 0);
	if (srv->cfg->idle_timeout_s) {
		struct timeval tv = { .tv_sec = srv->cfg->idle_timeout_s };
		bufferevent_set_timeouts(c->bev, &tv, NULL);
	}
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* ---- lingering: closing without a reset ---- */

/* Write side shut, input read and dropped until the client closes or
 * LINGER_S pass. Used for refused connections and every graceful close. */
#define LINGER_S 2

struct lingering {
	TAILQ_ENTRY(lingering) link;
	server *srv;
	struct event *ev;
	int fd;
	time_t since;
};

static void linger_free(struct lingering *lg)
{
	server *srv = lg->srv;
	TAILQ_REMOVE(&srv->lingering, lg, link);
	srv->nlingering--;
	event_free(lg->ev);
	close(lg->fd);
	free(lg);
	if (srv->stopping)
		server_stop_progress(srv);
}

static void linger_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct lingering *lg = ctx;
	struct timeval now;
	event_base_gettimeofday_cached(lg->srv->base, &now);
	/* EV_PERSIST re-arms the timeout on every read: bound the total too,
	 * or a client that keeps sending would linger for ever */
	if ((what & EV_TIMEOUT) || now.tv_sec - lg->since > LINGER_S) {
		linger_free(lg);
		return;
	}
	char buf[4096];
	for (int i = 0; i < 16; i++) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		if (n < 0 && errno == EAGAIN)
			return; /* drained for now */
		linger_free(lg); /* EOF (the client closed) or an error */
		return;
	}
}

static void linger_start(server *srv, int fd)
{
	struct lingering *lg = calloc(1, sizeof *lg);
	if (!lg) {
		close(fd);
		return;
	}
	evutil_make_socket_nonblocking(fd);
	shutdown(fd, SHUT_WR);
	lg->srv = srv;
	lg->fd = fd;
	struct timeval now;
	event_base_gettimeofday_cached(srv->base, &now);
	lg->since = now.tv_sec;
	lg->ev = event_new(srv->base, fd, EV_READ | EV_PERSIST, linger_cb, lg);
	if (!lg->ev) {
		close(fd);
		free(lg);
		return;
	}
	struct timeval tv = { LINGER_S, 0 };
	event_add(lg->ev, &tv);
	TAILQ_INSERT_TAIL(&srv->lingering, lg, link);
	srv->nlingering++;
}

void conn_lingering_free_all(server *srv)
{
	struct lingering *lg;
	while ((lg = TAILQ_FIRST(&srv->lingering)))
		linger_free(lg);
}

/* ---- refusing a connection over max_connections ---- */

/* The refusal line is written at once (it fits any fresh socket buffer),
 * then the socket lingers like any graceful close. */
void conn_refuse(server *srv, int fd)
{
	char line[256];
	int n = snprintf(line, sizeof line,
		"{\"ok\":false,\"error\":{\"code\":\"overloaded\",\"message\":\"too many connections (max_connections is %u)\"}}\n",
		srv->cfg->max_connections);
	stats_count_request(&srv->st, -1, false);
	if (send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n) {
		close(fd);
		return;
	}
	linger_start(srv, fd);
}
