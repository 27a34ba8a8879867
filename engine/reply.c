/* engine/reply.c — engine/reply.h over a reply slot (engine/conn.h): a
 * yajl generator whose print callback appends straight to the slot's
 * evbuffer, so an answer is written once and then moved, never copied, to
 * the socket.
 *
 * The generator's many small writes go into space reserved in the
 * evbuffer (evbuffer_reserve_space), committed when the answer is done or
 * its text is needed: one copy, and not one evbuffer call per token.
 *
 * The "id" is not generated: the decoder already re-serialized it, and it
 * is spliced in right after the opening brace. Everything after it up to
 * the closing brace is the "members" text a purchase stores for replay. */
#include <config.h>

#include "engine/answer.h"
#include "engine/conn.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "engine/log.h"
#include "engine/server.h"

#define REPLY_RESERVE 4096

/* Make everything written so far part of the evbuffer proper. */
static void reply_commit(reply *r)
{
	if (!r->vec_reserved)
		return;
	r->vec.iov_len = r->vec_used;
	evbuffer_commit_space(r->out, &r->vec, 1);
	r->vec_reserved = false;
}

static void reply_print(void *ctx, const char *s, size_t n)
{
	reply *r = ctx;
	if (!r->vec_reserved || r->vec.iov_len - r->vec_used < n) {
		reply_commit(r);
		if (evbuffer_reserve_space(r->out, (ev_ssize_t)(n > REPLY_RESERVE ? n : REPLY_RESERVE), &r->vec, 1) < 1) {
			evbuffer_add(r->out, s, n);
			return;
		}
		r->vec_reserved = true;
		r->vec_used = 0;
	}
	memcpy((char *)r->vec.iov_base + r->vec_used, s, n);
	r->vec_used += n;
}

static void reply_write(reply *r, const char *s, size_t n)
{
	reply_print(r, s, n);
}

void reply_append_slow(reply *r, const char *s, size_t n)
{
	reply_print(r, s, n);
}

/* Room for n more bytes in the reserved space (a new reservation when the
 * current one is short). NULL when out of memory. */
char *reply_room_slow(reply *r, size_t n)
{
	reply_commit(r);
	if (evbuffer_reserve_space(r->out, (ev_ssize_t)(n > REPLY_RESERVE ? n : REPLY_RESERVE), &r->vec, 1) < 1)
		return NULL;
	r->vec_reserved = true;
	r->vec_used = 0;
	return r->vec.iov_base;
}

void aw_str(aw *w, const char *s, size_t n)
{
	aw_sep(w);
	reply *r = w->r;
	char *d = aw_room(w, JO_ESCAPE_MAX(n) + 2);
	if (!d)
		return; /* out of memory: the connection's answer is cut short */
	*d = '"';
	size_t k = jo_escape(d + 1, s, n);
	d[k + 1] = '"';
	r->vec_used += k + 2;
	w->comma = true;
}

/* Bytes of the answer so far, reserved space included. */
static size_t reply_len(const reply *r)
{
	return evbuffer_get_length(r->out) + (r->vec_reserved ? r->vec_used : 0);
}

/* Fresh generator state and an empty buffer. */
static void reply_reset(reply *r)
{
	if (!r->g) {
		r->g = yajl_gen_alloc(NULL);
		yajl_gen_config(r->g, yajl_gen_print_callback, reply_print, r);
	} else {
		yajl_gen_reset(r->g, NULL);
	}
	reply_commit(r);
	evbuffer_drain(r->out, evbuffer_get_length(r->out));
	r->began = false;
	r->raw = false;
	r->field_warnings_written = false;
}

/* "{" and the id member: yajl prints the brace and, since we print the
 * id with its comma, yajl's first key needs no separator. */
static void reply_id_member(reply *r)
{
	if (r->req.has_id) {
		reply_write(r, "\"id\":", 5);
		reply_write(r, r->req.id_json, r->req.id_len);
		reply_write(r, ",", 1);
	}
	r->members_start = reply_len(r);
	r->began = true;
}

static yajl_gen reply_open(reply *r)
{
	reply_reset(r);
	yajl_gen_map_open(r->g);
	reply_id_member(r);
	return r->g;
}

yajl_gen reply_begin(reply *r)
{
	yajl_gen g = reply_open(r);
	reply_bool(g, "ok", true);
	return g;
}

void reply_begin_aw(reply *r, aw *w)
{
	reply_reset(r);
	reply_write(r, "{", 1);
	reply_id_member(r);
	r->raw = true;
	w->r = r;
	w->comma = false;
	AW_BOOL(w, "ok", true);
}

void aw_field_warnings(aw *w)
{
	reply *r = w->r;
	for (uint32_t i = 0; i < r->req.nwarnings; i++) {
		aw_open(w, '{');
		AW_CSTR(w, "field", r->req.warnings[i].field);
		AW_STR(w, "message", "unknown field, ignored", 22);
		aw_close(w, '}');
	}
	r->field_warnings_written = true;
}

void reply_key(yajl_gen g, const char *key)
{
	yajl_gen_string(g, (const unsigned char *)key, strlen(key));
}

void reply_str(yajl_gen g, const char *key, const char *s, size_t n)
{
	reply_key(g, key);
	yajl_gen_string(g, (const unsigned char *)s, n);
}

/* yajl_gen_integer goes through sprintf; answers are mostly integers */
void reply_i64(yajl_gen g, long long v)
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

void reply_int(yajl_gen g, const char *key, long long v)
{
	reply_key(g, key);
	reply_i64(g, v);
}

void reply_bool(yajl_gen g, const char *key, bool v)
{
	reply_key(g, key);
	yajl_gen_bool(g, v);
}

void reply_field_warnings(reply *r, yajl_gen g)
{
	for (uint32_t i = 0; i < r->req.nwarnings; i++) {
		yajl_gen_map_open(g);
		reply_str(g, "field", r->req.warnings[i].field, strlen(r->req.warnings[i].field));
		reply_str(g, "message", "unknown field, ignored", 22);
		yajl_gen_map_close(g);
	}
	r->field_warnings_written = true;
}

static void reply_finish(reply *r, bool ok)
{
	reply_write(r, "\n", 1);
	reply_commit(r);
	stats_count_request(&r->srv->st, r->op, ok);
	slot_completed(r);
}

void reply_end(reply *r)
{
	if (!r->began) /* a handler that ends without beginning: still answer */
		reply_begin(r);
	if (r->raw) {
		aw w = { r, true };
		if (r->req.nwarnings && !r->field_warnings_written) {
			AW_KEY(&w, "warnings");
			aw_open(&w, '[');
			aw_field_warnings(&w);
			aw_close(&w, ']');
		}
		reply_write(r, "}", 1);
		reply_finish(r, true);
		return;
	}
	if (r->req.nwarnings && !r->field_warnings_written) {
		reply_key(r->g, "warnings");
		yajl_gen_array_open(r->g);
		reply_field_warnings(r, r->g);
		yajl_gen_array_close(r->g);
	}
	yajl_gen_map_close(r->g);
	reply_finish(r, true);
}

static void reply_error_open(reply *r, const char *code, const char *message)
{
	yajl_gen g = reply_open(r);
	reply_bool(g, "ok", false);
	reply_key(g, "error");
	yajl_gen_map_open(g);
	reply_str(g, "code", code, strlen(code));
	reply_str(g, "message", message, strlen(message));
}

/* A message cut by vsnprintf must not end inside a UTF-8 sequence (the
 * answer would not be valid JSON text). */
static void utf8_trim(char *s)
{
	size_t n = strlen(s), p = n;
	while (p > 0 && ((unsigned char)s[p - 1] & 0xC0) == 0x80)
		p--;
	if (p == 0)
		return;
	unsigned char lead = (unsigned char)s[p - 1];
	size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	if ((p - 1) + want > n)
		s[p - 1] = '\0';
}

void reply_error(reply *r, const char *code, const char *fmt, ...)
{
	char msg[2048]; /* room for a 1024-byte id and a sentence */
	va_list ap;
	va_start(ap, fmt);
	int len = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (len >= (int)sizeof msg)
		utf8_trim(msg);
	reply_error_open(r, code, msg);
	yajl_gen_map_close(r->g);
	yajl_gen_map_close(r->g);
	reply_finish(r, false);
}

void reply_error_details(reply *r, const char *code, const char *message,
	void (*write_details)(yajl_gen g, void *ud), void *ud)
{
	reply_error_open(r, code, message);
	reply_key(r->g, "details");
	write_details(r->g, ud);
	yajl_gen_map_close(r->g);
	yajl_gen_map_close(r->g);
	reply_finish(r, false);
}

void reply_stored(reply *r, const char *members, size_t n, bool replayed)
{
	reply_reset(r);
	reply_write(r, "{", 1);
	if (r->req.has_id) {
		reply_write(r, "\"id\":", 5);
		reply_write(r, r->req.id_json, r->req.id_len);
		if (n || replayed)
			reply_write(r, ",", 1);
	}
	r->members_start = reply_len(r);
	reply_write(r, members, n);
	if (replayed) {
		if (n)
			reply_write(r, ",", 1);
		reply_write(r, "\"replayed\":true", 15);
	}
	reply_write(r, "}", 1);
	reply_finish(r, true);
}

const char *reply_members(reply *r, size_t *n)
{
	size_t committed = evbuffer_get_length(r->out);
	if (r->began && r->vec_reserved && committed <= r->members_start) {
		/* all in the space being filled (the usual case: an answer
		 * under REPLY_RESERVE bytes): no copy, valid until the next
		 * write */
		*n = committed + r->vec_used - r->members_start;
		return (const char *)r->vec.iov_base + (r->members_start - committed);
	}
	reply_commit(r);
	size_t len = evbuffer_get_length(r->out);
	if (!r->began || len < r->members_start) {
		*n = 0;
		return "";
	}
	/* a copy in the request's arena: later writes to the evbuffer may
	 * move its chains, and the caller keeps this until completion */
	unsigned char *p = evbuffer_pullup(r->out, -1);
	char *copy = arena_strndup(&r->mem, (const char *)p + r->members_start, len - r->members_start);
	*n = len - r->members_start;
	return copy ? copy : (const char *)p + r->members_start;
}

void reply_defer(reply *r)
{
	r->deferred = true;
}
