/* engine/reply.c — engine/reply.h over a reply slot (engine/conn.h): a
 * yajl generator whose print callback appends straight to the slot's
 * evbuffer, so an answer is written once and then moved, never copied, to
 * the socket.
 *
 * The "id" is not generated: the decoder already re-serialized it, and it
 * is spliced in right after the opening brace. Everything after it up to
 * the closing brace is the "members" text a purchase stores for replay. */
#include <config.h>

#include "engine/conn.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "engine/log.h"
#include "engine/server.h"

static void reply_print(void *ctx, const char *s, size_t n)
{
	reply *r = ctx;
	evbuffer_add(r->out, s, n);
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
	evbuffer_drain(r->out, evbuffer_get_length(r->out));
	r->began = false;
	r->field_warnings_written = false;
}

/* "{" and the id member: yajl prints the brace and, since we print the
 * id with its comma, yajl's first key needs no separator. */
static yajl_gen reply_open(reply *r)
{
	reply_reset(r);
	yajl_gen_map_open(r->g);
	if (r->req.has_id) {
		evbuffer_add(r->out, "\"id\":", 5);
		evbuffer_add(r->out, r->req.id_json, r->req.id_len);
		evbuffer_add(r->out, ",", 1);
	}
	r->members_start = evbuffer_get_length(r->out);
	r->began = true;
	return r->g;
}

yajl_gen reply_begin(reply *r)
{
	yajl_gen g = reply_open(r);
	reply_bool(g, "ok", true);
	return g;
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

void reply_int(yajl_gen g, const char *key, long long v)
{
	reply_key(g, key);
	yajl_gen_integer(g, v);
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
	evbuffer_add(r->out, "\n", 1);
	stats_count_request(&r->srv->st, r->op, ok);
	slot_completed(r);
}

void reply_end(reply *r)
{
	if (!r->began) /* a handler that ends without beginning: still answer */
		reply_begin(r);
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

void reply_error(reply *r, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
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
	evbuffer_add(r->out, "{", 1);
	if (r->req.has_id) {
		evbuffer_add(r->out, "\"id\":", 5);
		evbuffer_add(r->out, r->req.id_json, r->req.id_len);
		if (n || replayed)
			evbuffer_add(r->out, ",", 1);
	}
	r->members_start = evbuffer_get_length(r->out);
	evbuffer_add(r->out, members, n);
	if (replayed)
		evbuffer_add_printf(r->out, "%s\"replayed\":true", n ? "," : "");
	evbuffer_add(r->out, "}", 1);
	reply_finish(r, true);
}

const char *reply_members(reply *r, size_t *n)
{
	size_t len = evbuffer_get_length(r->out);
	if (!r->began || len < r->members_start) {
		*n = 0;
		return "";
	}
	unsigned char *p = evbuffer_pullup(r->out, -1);
	*n = len - r->members_start;
	return (const char *)p + r->members_start;
}

void reply_defer(reply *r)
{
	r->deferred = true;
}
