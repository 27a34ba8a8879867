/* engine/decode.h — one protocol line → one `request` (engine/request.h),
 * with a streaming JSON parser (yajl callbacks, no document tree): every
 * field of protocol.md is checked for type and bounds as it arrives and
 * kept in the request's arena (the line is copied there once; strings
 * point into that copy, NUL-terminated, or are copied when they had
 * escapes). The caller's line is not modified and need not outlive the
 * call.
 *
 * Owns the wire-level validation only; what needs state (customers, txns,
 * balances) is the op handlers'. */
#ifndef ENGINE_DECODE_H
#define ENGINE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/request.h"
#include "lang/arena.h"

/* Deepest nesting accepted anywhere in a line (the id may be any JSON). */
#define DECODE_MAX_DEPTH 32
#define DECODE_MAX_ITEMS 1000
#define DECODE_MAX_STR 1024       /* bytes in an id-like string field */
#define DECODE_MAX_LIST 1000      /* coupons, tags, attrs, warnings */

typedef struct decode_error {
	const char *code;       /* "bad_json", "bad_request", "unknown_op" */
	char message[256];
	int op;                 /* the op_kind when it was read, else -1 (for stats) */
} decode_error;

/* Decodes `line` (n bytes, no newline) into *req, allocating from `mem`
 * (req->mem is set to it). 0 on success; -1 with *err filled. Even on
 * failure req->has_id/id_json are set when an id was read, so the error
 * answer can echo it (except for bad_json: the line is not an object). */
int decode_request(const char *line, size_t n, arena *mem, request *req, decode_error *err);

/* An RFC 3339 date-time with offset ("2026-11-23T10:15:00+05:30", "...Z",
 * fraction dropped) → Unix seconds; false when malformed or out of range
 * (before 1970 or after 9999). */
bool decode_rfc3339(const char *s, size_t n, int64_t *out);

#endif
