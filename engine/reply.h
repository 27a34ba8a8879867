/* engine/reply.h — writing one answer line (protocol.md, "Responses").
 *
 * Every request gets a reply slot in its connection's queue; answers leave
 * in request order however late a slot completes (a purchase waits for its
 * commit while later pings are already answered into their own slots).
 * Handlers write members with yajl_gen between reply_begin and reply_end,
 * or answer with reply_error; a stored answer (idempotent replay) is spliced
 * in with reply_stored. Implemented in engine/reply.c. */
#ifndef ENGINE_REPLY_H
#define ENGINE_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include <yajl/yajl_gen.h>

typedef struct reply reply;

/* Opens the answer object and writes "id" when the request had one. */
yajl_gen reply_begin(reply *r);
/* Closes the object, ends the line; the slot is complete. */
void reply_end(reply *r);

/* A complete failure answer: {"id":..,"ok":false,"error":{"code","message"}}.
 * May be called instead of reply_begin, or after it (what was written is
 * discarded). */
void reply_error(reply *r, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Same, with "details" (bad_rules): the caller writes the details array
 * with the generator that `write_details` receives. */
void reply_error_details(reply *r, const char *code, const char *message,
	void (*write_details)(yajl_gen g, void *ud), void *ud);

/* A stored answer body: `members` is the text between the braces of a
 * stored answer (no "id"); written as {"id":..,<members>,"replayed":true}. */
void reply_stored(reply *r, const char *members, size_t n, bool replayed);

/* Members written so far between reply_begin and now, without the id and
 * the braces: what a purchase stores for its replays. Valid until the
 * next write to the answer (it may point into the answer's own buffer). */
const char *reply_members(reply *r, size_t *n);

/* The handler returns before completing the slot (it waits for a commit);
 * it must complete it later with reply_end or reply_error. */
void reply_defer(reply *r);

/* Write one string member / integer member: the common cases. */
void reply_key(yajl_gen g, const char *key);
void reply_str(yajl_gen g, const char *key, const char *s, size_t n);
void reply_int(yajl_gen g, const char *key, long long v);
void reply_bool(yajl_gen g, const char *key, bool v);

#endif
