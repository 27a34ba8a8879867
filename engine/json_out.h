/* engine/json_out.h — the two pieces of JSON output that the hot writers
 * share: string escaping and integer digits, with exactly yajl_gen's
 * bytes (\" \\ \b \f \n \r \t, other controls as \u00XX in upper case
 * hex, '/' and bytes >= 0x80 as they are, no UTF-8 check). Used by the
 * quote/purchase answers (engine/answer.h) and the store's JSON columns
 * (engine/store_*.c), where yajl_gen's callback per token and byte-wise
 * escaping cost more than the SQL around them. Must not: allocate. */
#ifndef ENGINE_JSON_OUT_H
#define ENGINE_JSON_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Worst case of jo_escape for n bytes: every byte as \u00XX. */
#define JO_ESCAPE_MAX(n) ((n) * 6)

static const unsigned char jo_needs_escape[256] = {
	[0 ... 31] = 1, ['"'] = 1, ['\\'] = 1,
};

/* s escaped (without the quotes) into dst, which has JO_ESCAPE_MAX(n)
 * bytes of room; returns the bytes written. */
static inline size_t jo_escape(char *dst, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n, *run = p;
	char *d = dst;
	for (; p < end; p++) {
		if (!jo_needs_escape[*p])
			continue;
		memcpy(d, run, (size_t)(p - run));
		d += p - run;
		run = p + 1;
		*d++ = '\\';
		switch (*p) {
		case '"': *d++ = '"'; break;
		case '\\': *d++ = '\\'; break;
		case '\b': *d++ = 'b'; break;
		case '\f': *d++ = 'f'; break;
		case '\n': *d++ = 'n'; break;
		case '\r': *d++ = 'r'; break;
		case '\t': *d++ = 't'; break;
		default:
			*d++ = 'u';
			*d++ = '0';
			*d++ = '0';
			*d++ = "0123456789ABCDEF"[*p >> 4];
			*d++ = "0123456789ABCDEF"[*p & 15];
		}
	}
	memcpy(d, run, (size_t)(end - run));
	d += end - run;
	return (size_t)(d - dst);
}

/* The decimal digits of v written backwards ending at `end` (room for 20
 * bytes before it); returns where they start. */
static inline char *jo_i64(char *end, int64_t v)
{
	char *p = end;
	uint64_t u = v < 0 ? 0ULL - (uint64_t)v : (uint64_t)v;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	return p;
}

#endif
