/* engine/answer.h — the quote and purchase answers written straight into
 * their reply slot's buffer: JSON members by inline functions, one memcpy
 * per token into space reserved in the slot's evbuffer.
 *
 * Why not yajl_gen here: its print callback runs once per token and per
 * separator (five calls for one integer member), and it escapes strings a
 * byte at a time through it; for these ~1 KB answers that was half of a
 * quote's instructions. The other answers (customer, stats, errors) are
 * rare and keep yajl_gen. The bytes are exactly yajl_gen's (no spaces, the
 * same escapes: \" \\ \b \f \n \r \t, other controls as \u00XX in upper
 * case hex, '/' as is, no UTF-8 check: engine/json_out.h), so stored
 * answers written by either compare equal.
 *
 * Separators: `comma` is set after every value and cleared by an opening
 * bracket or a key, which is all the state JSON output needs. Must not:
 * know what a quote means (engine/op_common.c writes the members). */
#ifndef ENGINE_ANSWER_H
#define ENGINE_ANSWER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "engine/conn.h"
#include "engine/json_out.h"

typedef struct aw {
	reply *r;
	bool comma;
} aw;

/* reply.c: reserve room for n more bytes and append them (the slow path). */
void reply_append_slow(reply *r, const char *s, size_t n);
/* reply.c: a new reservation of at least n bytes; NULL out of memory. */
char *reply_room_slow(reply *r, size_t n);

/* Where the next n bytes go (the caller adds to r->vec_used). */
static inline char *aw_room(aw *w, size_t n)
{
	reply *r = w->r;
	if (r->vec_reserved && r->vec.iov_len - r->vec_used >= n)
		return (char *)r->vec.iov_base + r->vec_used;
	return reply_room_slow(r, n);
}

static inline __attribute__((always_inline)) void aw_put(aw *w, const char *s, size_t n)
{
	reply *r = w->r;
	if (r->vec_reserved && r->vec.iov_len - r->vec_used >= n) {
		memcpy((char *)r->vec.iov_base + r->vec_used, s, n);
		r->vec_used += n;
		return;
	}
	reply_append_slow(r, s, n);
}

static inline __attribute__((always_inline)) void aw_sep(aw *w)
{
	if (w->comma)
		aw_put(w, ",", 1);
}

/* `lit` is the key already quoted with its colon: "\"total\":" */
static inline __attribute__((always_inline)) void aw_key_lit(aw *w, const char *lit, size_t n)
{
	aw_sep(w);
	aw_put(w, lit, n);
	w->comma = false;
}
#define AW_KEY(w, k) aw_key_lit((w), "\"" k "\":", sizeof("\"" k "\":") - 1)

static inline void aw_open(aw *w, char c)
{
	aw_sep(w);
	aw_put(w, &c, 1);
	w->comma = false;
}

static inline void aw_close(aw *w, char c)
{
	aw_put(w, &c, 1);
	w->comma = true;
}

static inline void aw_i64(aw *w, int64_t v)
{
	char buf[24], *p = jo_i64(buf + sizeof buf, v);
	aw_sep(w);
	aw_put(w, p, (size_t)(buf + sizeof buf - p));
	w->comma = true;
}
#define AW_INT(w, k, v) (AW_KEY(w, k), aw_i64((w), (v)))

/* A number already formatted (multipliers). */
static inline void aw_num(aw *w, const char *s, size_t n)
{
	aw_sep(w);
	aw_put(w, s, n);
	w->comma = true;
}

static inline void aw_lit(aw *w, const char *s, size_t n)
{
	aw_num(w, s, n);
}
#define AW_BOOL(w, k, b) (AW_KEY(w, k), (b) ? aw_lit((w), "true", 4) : aw_lit((w), "false", 5))
#define AW_NULL(w, k) (AW_KEY(w, k), aw_lit((w), "null", 4))

/* A string value with yajl_gen's escapes (engine/json_out.h). */
void aw_str(aw *w, const char *s, size_t n);
static inline void aw_cstr(aw *w, const char *s)
{
	aw_str(w, s, strlen(s));
}
#define AW_STR(w, k, s, n) (AW_KEY(w, k), aw_str((w), (s), (n)))
#define AW_CSTR(w, k, s) (AW_KEY(w, k), aw_cstr((w), (s)))

/* Opens the answer ("{", the id, "ok":true) for members written with aw;
 * reply_end closes it (adding the unknown-field warnings when the
 * handler wrote none). */
void reply_begin_aw(reply *r, aw *w);
/* The request's unknown-field warnings as elements of an open array. */
void aw_field_warnings(aw *w);

#endif
