/* engine/decode.c — see decode.h. yajl calls back once per JSON token;
 * a small stack of frames says what container each token belongs to (the
 * top object, items, one item, its tags, coupons, attrs, the id, or a value
 * being skipped). Every value is checked as it arrives; the per-op rules
 * (which fields an op takes, which are required) are applied at the end,
 * when `op` is known wherever it was in the object. yajl itself allocates
 * from the arena too, so a request costs no malloc once the slot's arena
 * is warm.
 *
 * Strings are not copied one by one: the line is copied into the arena
 * once and parsed from there, and yajl hands a string without escapes as a
 * pointer into the text it parses, so such a string is kept where it is
 * and NUL-terminated over its closing quote (yajl's lexer is past that
 * byte and never reads it again). Only strings with escapes, which yajl
 * decodes into its own buffer, are copied.
 *
 * Error precedence: bad_json (the line as a whole), then op (missing, not
 * a string, unknown), then the first field error in line order among the
 * fields the op takes, then required fields that are missing. */
#include <config.h>

#include "engine/decode.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#define MAX_PRICE INT64_C(1000000000000)
#define MAX_QTY INT64_C(1000000)
#define MAX_POINTS INT64_C(1000000000000)
#define MAX_TS INT64_C(253402300799)   /* 9999-12-31T23:59:59Z */
#define MAX_ERRORS 32
#define IPATH "items[%" PRIu32 "].%s"   /* an item key's path in messages */

enum field {
	F_OP = 0, F_ID, F_TXN, F_CUSTOMER, F_ORIGINAL_TXN, F_REFERRED_BY, F_REASON,
	F_TS, F_ITEMS, F_COUPONS, F_CHANNEL, F_STORE, F_REDEEM, F_ATTRS, F_POINTS,
	F__COUNT
};

/* ORDER: enum field */
static const char *const field_names[F__COUNT] = {
	"op", "id", "txn", "customer", "original_txn", "referred_by", "reason",
	"ts", "items", "coupons", "channel", "store", "redeem_points", "attrs", "points",
};

enum item_key { K_SKU = 0, K_CATEGORY, K_QTY, K_PRICE, K_TAGS, K__COUNT };
static const char *const item_key_names[K__COUNT] = { "sku", "category", "qty", "price", "tags" };

#define B(f) (1u << (f))
#define COMMON (B(F_OP) | B(F_ID))
#define BASKET (B(F_CUSTOMER) | B(F_ITEMS) | B(F_COUPONS) | B(F_CHANNEL) | B(F_STORE) | B(F_TS) | B(F_REDEEM) | B(F_ATTRS))

/* ORDER: op_kind. Which fields each op takes, and which it requires. A
 * quote takes `txn` and ignores it, so a POS can send one object for both. */
static const uint32_t op_allowed[OP__COUNT] = {
	[OP_PING] = COMMON,
	[OP_ENROLL] = COMMON | B(F_CUSTOMER) | B(F_ATTRS) | B(F_REFERRED_BY) | B(F_TS),
	[OP_CUSTOMER] = COMMON | B(F_CUSTOMER),
	[OP_QUOTE] = COMMON | BASKET | B(F_TXN),
	[OP_PURCHASE] = COMMON | BASKET | B(F_TXN),
	[OP_REFUND] = COMMON | B(F_TXN) | B(F_ORIGINAL_TXN) | B(F_ITEMS) | B(F_TS),
	[OP_ADJUST] = COMMON | B(F_TXN) | B(F_CUSTOMER) | B(F_POINTS) | B(F_REASON) | B(F_TS),
	[OP_FORGET] = COMMON | B(F_CUSTOMER),
	[OP_RELOAD] = COMMON,
	[OP_STATS] = COMMON,
};
static const uint32_t op_required[OP__COUNT] = {
	[OP_ENROLL] = B(F_CUSTOMER),
	[OP_CUSTOMER] = B(F_CUSTOMER),
	[OP_QUOTE] = B(F_ITEMS),
	[OP_PURCHASE] = B(F_TXN) | B(F_ITEMS),
	[OP_REFUND] = B(F_TXN) | B(F_ORIGINAL_TXN),
	[OP_ADJUST] = B(F_TXN) | B(F_CUSTOMER) | B(F_POINTS),
	[OP_FORGET] = B(F_CUSTOMER),
};
#define ITEM_ALL ((1u << K__COUNT) - 1)
#define ITEM_REFUND (B(K_SKU) | B(K_QTY))

static uint32_t item_allowed(op_kind op)
{
	return op == OP_REFUND ? ITEM_REFUND : ITEM_ALL;
}

static uint32_t item_required(op_kind op)
{
	return op == OP_REFUND ? ITEM_REFUND : (B(K_SKU) | B(K_QTY) | B(K_PRICE));
}

enum frame {
	FR_TOP, FR_ITEMS, FR_ITEM, FR_TAGS, FR_COUPONS, FR_ATTRS, FR_SKIP, FR_ID
};

typedef struct dec_err {
	int field;     /* enum field */
	int sub;       /* item key, or -1 */
	const char *msg;
} dec_err;

typedef struct dec_warn {
	const char *path;
	int top;       /* -1: unknown top-level key; F_ITEMS: an item's key */
} dec_warn;

/* What the decoder keeps of an item beside its rl_item (the rl_items are
 * an array of their own so that the basket uses it as it is). */
typedef struct dec_item {
	uint32_t seen;
	uint32_t tagcap;
	uint32_t tagpos;        /* index of the next tag in the request */
} dec_item;

typedef struct dstate {
	request *req;
	arena *mem;
	/* the arena's copy of the line, which yajl parses */
	const unsigned char *text, *text_end;
	int depth;
	uint8_t frame[DECODE_MAX_DEPTH + 2];
	int key;                /* top-level field of the value now arriving, -1 unknown */
	int ikey;               /* item key of the value now arriving, -1 unknown */
	rl_str akey;            /* attrs key of the value now arriving */
	uint32_t seen;

	bool nomem, too_deep;
	yajl_handle h;
	size_t top_end;         /* offset just past the top object's '}', or 0 */
	bool op_present, op_is_string;
	rl_str op;

	/* the id, re-serialized */
	bool in_id;             /* the tokens now arriving are the id's */
	yajl_gen idg;
	char *idbuf;
	size_t idlen, idcap;
	int id_base;            /* depth at which the id value started */

	rl_item *items;
	dec_item *istate;       /* beside items[], same index */
	uint32_t nitems, itemcap, istatecap;
	bool items_over;
	rl_str *coupons;
	uint32_t ncoupons, couponcap, couponpos;
	rl_attr *attrs;
	uint32_t nattrs, attrcap;
	rl_str txn, customer, original_txn, referred_by, reason, channel, store;
	int64_t ts, redeem, points;

	uint32_t nerrs;
	dec_warn *warns;
	uint32_t nwarns, warncap;

	/* last and not cleared per request (only nerrs entries are read) */
	dec_err errs[MAX_ERRORS];
} dstate;

/* ---- memory: everything from the request's arena ---- */

static void *vec_grow(dstate *d, void *v, uint32_t n, uint32_t *cap, size_t sz)
{
	if (n < *cap)
		return v;
	uint32_t ncap = *cap ? *cap * 2 : 8;
	void *nv = arena_alloc(d->mem, (size_t)ncap * sz);
	if (!nv) {
		d->nomem = true;
		return NULL;
	}
	if (n)
		memcpy(nv, v, (size_t)n * sz);
	*cap = ncap;
	return nv;
}

/* yajl's own allocations: a size header so that realloc can copy. */
static void *ya_malloc(void *ctx, size_t n)
{
	size_t *p = arena_alloc(ctx, n + 16);
	if (!p)
		return NULL;
	*p = n;
	return (char *)p + 16;
}

static void ya_free(void *ctx, void *p)
{
}

static void *ya_realloc(void *ctx, void *p, size_t n)
{
	if (!p)
		return ya_malloc(ctx, n);
	size_t old = *(size_t *)((char *)p - 16);
	if (n <= old)
		return p;
	void *q = ya_malloc(ctx, n);
	if (q)
		memcpy(q, p, old);
	return q;
}

/* ---- errors and warnings ---- */

static void add_err(dstate *d, int field, int sub, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add_err(dstate *d, int field, int sub, const char *fmt, ...)
{
	/* only the first error of each field (and item key) matters */
	for (uint32_t i = 0; i < d->nerrs; i++)
		if (d->errs[i].field == field && d->errs[i].sub == sub)
			return;
	if (d->nerrs >= MAX_ERRORS)
		return;
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	const char *m = arena_strndup(d->mem, buf, strlen(buf));
	if (!m) {
		d->nomem = true;
		return;
	}
	d->errs[d->nerrs++] = (dec_err){ field, sub, m };
}

static void add_warn(dstate *d, int top, const char *path)
{
	if (d->nwarns >= DECODE_MAX_LIST || !path)
		return;
	dec_warn *w = vec_grow(d, d->warns, d->nwarns, &d->warncap, sizeof *w);
	if (!w)
		return;
	d->warns = w;
	w[d->nwarns++] = (dec_warn){ path, top };
}

/* ---- scalars ---- */

/* A JSON number's text as an int64: no fraction, no exponent (protocol.md,
 * "integer fields"). yajl has checked the number grammar already. */
/* The fast paths' number: 1 to 18 digits, no sign, no fraction (so no
 * overflow check); false for anything else, which parse_int then judges. */
static inline __attribute__((always_inline)) bool small_uint(const char *s, size_t n, int64_t *out)
{
	if (n - 1 >= 18)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned dgt = (unsigned)((unsigned char)s[i] - '0');
		if (dgt > 9)
			return false;
		v = v * 10 + dgt;
	}
	*out = (int64_t)v;
	return true;
}

static bool parse_int(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	if (i < n && s[i] == '-') {
		neg = true;
		i++;
	}
	if (i == n)
		return false;
	if (n - i <= 18) {
		/* every number of a basket: 18 digits cannot overflow */
		int64_t v;
		if (!small_uint(s + i, n - i, &v))
			return false;
		*out = neg ? -v : v;
		return true;
	}
	uint64_t v = 0;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		unsigned dgt = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - dgt) / 10)
			return false;
		v = v * 10 + dgt;
	}
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return false;
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	} else {
		if (v > (uint64_t)INT64_MAX)
			return false;
		*out = (int64_t)v;
	}
	return true;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned dd)
{
	/* H. Hinnant's algorithm: days since 1970-01-01, proleptic Gregorian */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + dd - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* RFC 3339 date-time with a required offset: 2026-11-23T10:15:00+05:30,
 * ...Z, optional fraction (dropped: ts is whole seconds). */
bool decode_rfc3339(const char *s, size_t n, int64_t *out)
{
	int Y, M, D, h, mi, se;
	if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    s[13] != ':' || s[16] != ':')
		return false;
	if (!digits(s, 4, &Y) || !digits(s + 5, 2, &M) || !digits(s + 8, 2, &D) ||
	    !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se))
		return false;
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
	if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || (M == 2 && D == 29 && !leap))
		return false;
	if (h > 23 || mi > 59 || se > 60)
		return false;
	size_t i = 19;
	if (i < n && s[i] == '.') {
		i++;
		size_t f = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == f)
			return false;
	}
	int off = 0;
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
		int oh, om;
		if (!digits(s + i + 1, 2, &oh) || !digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
			return false;
		off = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
		i += 6;
	} else {
		return false;
	}
	if (i != n)
		return false;
	int64_t t = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + mi * 60 + se - off;
	if (t < 0 || t > MAX_TS)
		return false;
	*out = t;
	return true;
}

/* Whether yajl handed s as a pointer into the text it parses (a string
 * without escapes): then s[n] is its closing quote. */
static bool in_text(const dstate *d, const unsigned char *s, size_t n)
{
	return (uintptr_t)s >= (uintptr_t)d->text && (uintptr_t)s + n < (uintptr_t)d->text_end && s[n] == '"';
}

/* A string in the text, kept there: its closing quote becomes the
 * terminator. */
static inline rl_str in_place(const unsigned char *s, size_t n)
{
	((unsigned char *)s)[n] = '\0';
	return (rl_str){ (const char *)s, (uint32_t)n };
}

/* A string to keep: in place when it is in the text (its closing quote
 * becomes the terminator), else copied (yajl's decoding buffer is reused
 * for the next string with escapes). */
static rl_str copy_str(dstate *d, const unsigned char *s, size_t n)
{
	rl_str r = { NULL, 0 };
	if (in_text(d, s, n))
		return in_place(s, n);
	char *p = arena_strndup(d->mem, (const char *)s, n);
	if (!p) {
		d->nomem = true;
		return r;
	}
	r.p = p;
	r.n = (uint32_t)n;
	return r;
}

/* An identifier-like string (txn, customer, sku, ...): non-empty, no NUL,
 * at most DECODE_MAX_STR bytes. NULL when fine, else the complaint. A NUL
 * can only come from an escape (JSON forbids raw control bytes in a
 * string), so a string in the text is not searched. */
static const char *ident_problem(const dstate *d, const unsigned char *s, size_t n)
{
	if (n == 0)
		return "must not be empty";
	if (n > DECODE_MAX_STR)
		return "must be at most 1024 bytes";
	if (!in_text(d, s, n) && memchr(s, 0, n))
		return "must not contain NUL characters";
	return NULL;
}

/* ---- values: one entry point for every token that is a value ---- */

enum vkind { V_NULL, V_BOOL, V_NUM, V_STR, V_MAP, V_ARRAY };

static bool push(dstate *d, enum frame f)
{
	if (d->depth >= DECODE_MAX_DEPTH) {
		d->too_deep = true;
		return false;
	}
	d->frame[++d->depth] = (uint8_t)f;
	return true;
}

/* A value we do not keep: skip it (and, if a container, all inside). */
static bool skip_value(dstate *d, enum vkind k)
{
	if (k == V_MAP || k == V_ARRAY)
		return push(d, FR_SKIP);
	return true;
}

static __attribute__((noinline)) bool top_value(dstate *d, enum vkind k, const unsigned char *s, size_t n, bool b)
{
	int f = d->key;
	const char *fname = f >= 0 ? field_names[f] : "";
	int64_t v;
	const char *prob;
	switch (f) {
	case F_OP:
		d->op_present = true;
		if (k == V_STR) {
			d->op_is_string = true;
			d->op = copy_str(d, s, n);
		}
		return skip_value(d, k);
	case F_TXN: case F_CUSTOMER: case F_ORIGINAL_TXN: case F_REFERRED_BY:
	case F_CHANNEL: case F_STORE: case F_REASON: {
		rl_str *dst = f == F_TXN ? &d->txn : f == F_CUSTOMER ? &d->customer :
			f == F_ORIGINAL_TXN ? &d->original_txn : f == F_REFERRED_BY ? &d->referred_by :
			f == F_CHANNEL ? &d->channel : f == F_STORE ? &d->store : &d->reason;
		if (k != V_STR) {
			add_err(d, f, -1, "%s must be a string", fname);
			return skip_value(d, k);
		}
		if (f == F_REASON) {
			if (n > 4 * DECODE_MAX_STR)
				add_err(d, f, -1, "reason must be at most 4096 bytes");
			else
				*dst = copy_str(d, s, n);
		} else if ((prob = ident_problem(d, s, n))) {
			add_err(d, f, -1, "%s %s", fname, prob);
		} else {
			*dst = copy_str(d, s, n);
		}
		return true;
	}
	case F_TS:
		if (k == V_NUM && parse_int((const char *)s, n, &v) && v >= 0 && v <= MAX_TS)
			d->ts = v;
		else if (!(k == V_STR && decode_rfc3339((const char *)s, n, &d->ts)))
			add_err(d, f, -1, "ts must be an RFC 3339 time with an offset or an integer of Unix seconds");
		return skip_value(d, k);
	case F_REDEEM:
		if (!(k == V_NUM && parse_int((const char *)s, n, &v) && v >= 0 && v <= MAX_POINTS))
			add_err(d, f, -1, "redeem_points must be an integer from 0 to 1000000000000");
		else
			d->redeem = v;
		return skip_value(d, k);
	case F_POINTS:
		if (!(k == V_NUM && parse_int((const char *)s, n, &v) && v >= -MAX_POINTS && v <= MAX_POINTS))
			add_err(d, f, -1, "points must be an integer from -1000000000000 to 1000000000000");
		else
			d->points = v;
		return skip_value(d, k);
	case F_ITEMS:
		if (k != V_ARRAY) {
			add_err(d, f, -1, "items must be an array of 1 to 1000 lines");
			return skip_value(d, k);
		}
		return push(d, FR_ITEMS);
	case F_COUPONS:
		if (k != V_ARRAY) {
			add_err(d, f, -1, "coupons must be an array of strings");
			return skip_value(d, k);
		}
		return push(d, FR_COUPONS);
	case F_ATTRS:
		if (k != V_MAP) {
			add_err(d, f, -1, "attrs must be an object");
			return skip_value(d, k);
		}
		return push(d, FR_ATTRS);
	default: /* unknown field */
		return skip_value(d, k);
	}
}

static __attribute__((noinline)) bool items_value(dstate *d, enum vkind k)
{
	if (d->nitems >= DECODE_MAX_ITEMS) {
		if (!d->items_over)
			add_err(d, F_ITEMS, -1, "items must be an array of 1 to 1000 lines");
		d->items_over = true;
		return skip_value(d, k);
	}
	rl_item *it = vec_grow(d, d->items, d->nitems, &d->itemcap, sizeof *it);
	if (!it)
		return false;
	d->items = it;
	dec_item *st = vec_grow(d, d->istate, d->nitems, &d->istatecap, sizeof *st);
	if (!st)
		return false;
	d->istate = st;
	memset(&it[d->nitems], 0, sizeof it[0]);
	memset(&st[d->nitems], 0, sizeof st[0]);
	d->nitems++;
	if (k != V_MAP) {
		add_err(d, F_ITEMS, -1, "items[%" PRIu32 "] must be an object", d->nitems - 1);
		return skip_value(d, k);
	}
	return push(d, FR_ITEM);
}

static bool item_value(dstate *d, enum vkind k, const unsigned char *s, size_t n)
{
	rl_item *di = &d->items[d->nitems - 1];
	int key = d->ikey;
	int64_t v;
	const char *prob;
	if (key < 0)
		return skip_value(d, k);
	/* the path ("items[2].price") is formatted only for an error */
	uint32_t at = d->nitems - 1;
	const char *kn = item_key_names[key];
	switch (key) {
	case K_SKU:
		if (k != V_STR)
			add_err(d, F_ITEMS, key, IPATH " must be a string", at, kn);
		else if ((prob = ident_problem(d, s, n)))
			add_err(d, F_ITEMS, key, IPATH " %s", at, kn, prob);
		else
			di->sku = copy_str(d, s, n);
		return skip_value(d, k);
	case K_CATEGORY:
		if (k != V_STR || n > DECODE_MAX_STR)
			add_err(d, F_ITEMS, key, IPATH " must be a string of at most 1024 bytes", at, kn);
		else
			di->category = copy_str(d, s, n);
		return skip_value(d, k);
	case K_QTY:
		if (!(k == V_NUM && parse_int((const char *)s, n, &v) && v >= 1 && v <= MAX_QTY))
			add_err(d, F_ITEMS, key, IPATH " must be an integer from 1 to 1000000", at, kn);
		else
			di->qty = v;
		return skip_value(d, k);
	case K_PRICE:
		if (!(k == V_NUM && parse_int((const char *)s, n, &v) && v >= 0))
			add_err(d, F_ITEMS, key, IPATH " must be a non-negative integer of minor units", at, kn);
		else if (v > MAX_PRICE)
			add_err(d, F_ITEMS, key, IPATH " must be at most 1000000000000 minor units", at, kn);
		else
			di->price = v;
		return skip_value(d, k);
	case K_TAGS:
		if (k != V_ARRAY) {
			add_err(d, F_ITEMS, key, IPATH " must be an array of strings", at, kn);
			return skip_value(d, k);
		}
		return push(d, FR_TAGS);
	}
	return skip_value(d, k);
}

static __attribute__((noinline)) bool tags_value(dstate *d, enum vkind k, const unsigned char *s, size_t n)
{
	rl_item *di = &d->items[d->nitems - 1];
	dec_item *st = &d->istate[d->nitems - 1];
	uint32_t i = di->ntags, pos = st->tagpos++;
	if (k != V_STR || n > DECODE_MAX_STR) {
		add_err(d, F_ITEMS, K_TAGS, "items[%" PRIu32 "].tags[%" PRIu32 "] must be a string of at most 1024 bytes",
			d->nitems - 1, pos);
		return skip_value(d, k);
	}
	if (i >= DECODE_MAX_LIST) {
		add_err(d, F_ITEMS, K_TAGS, "items[%" PRIu32 "].tags must have at most 1000 tags", d->nitems - 1);
		return true;
	}
	rl_str *t = vec_grow(d, (void *)di->tags, i, &st->tagcap, sizeof *t);
	if (!t)
		return false;
	t[i] = copy_str(d, s, n);
	di->tags = t;
	di->ntags = i + 1;
	return true;
}

static __attribute__((noinline)) bool coupons_value(dstate *d, enum vkind k, const unsigned char *s, size_t n)
{
	uint32_t i = d->ncoupons, pos = d->couponpos++;
	const char *prob = k == V_STR ? ident_problem(d, s, n) : "must be a string";
	if (prob) {
		add_err(d, F_COUPONS, -1, "coupons[%" PRIu32 "] %s", pos, prob);
		return skip_value(d, k);
	}
	if (i >= DECODE_MAX_LIST) {
		add_err(d, F_COUPONS, -1, "coupons must have at most 1000 codes");
		return true;
	}
	rl_str *c = vec_grow(d, d->coupons, i, &d->couponcap, sizeof *c);
	if (!c)
		return false;
	d->coupons = c;
	c[i] = copy_str(d, s, n);
	d->ncoupons = i + 1;
	return true;
}

static __attribute__((noinline)) bool attrs_value(dstate *d, enum vkind k, const unsigned char *s, size_t n, bool b)
{
	expr_value v;
	switch (k) {
	case V_NULL: v = expr_null(); break;
	case V_BOOL: v = expr_bool(b); break;
	case V_STR: {
		rl_str c = copy_str(d, s, n);
		v = expr_str(c.p, c.n);
		break;
	}
	case V_NUM: {
		int64_t i;
		if (parse_int((const char *)s, n, &i)) {
			v = expr_int(i);
		} else {
			char buf[64];
			double f = NAN;
			if (n < sizeof buf) {
				memcpy(buf, s, n);
				buf[n] = 0;
				f = strtod(buf, NULL);
			}
			if (!isfinite(f)) {
				add_err(d, F_ATTRS, -1, "attrs.%.*s must be a finite number", (int)(d->akey.n > 64 ? 64 : d->akey.n), d->akey.p);
				return true;
			}
			v = expr_float(f);
		}
		break;
	}
	default:
		add_err(d, F_ATTRS, -1, "attrs.%.*s must be a string, number, boolean or null",
			(int)(d->akey.n > 64 ? 64 : d->akey.n), d->akey.p);
		return skip_value(d, k);
	}
	if (d->nattrs >= DECODE_MAX_LIST) {
		add_err(d, F_ATTRS, -1, "attrs must have at most 1000 keys");
		return true;
	}
	rl_attr *a = vec_grow(d, d->attrs, d->nattrs, &d->attrcap, sizeof *a);
	if (!a)
		return false;
	d->attrs = a;
	a[d->nattrs].key = d->akey;
	a[d->nattrs].val = v;
	d->nattrs++;
	return true;
}

/* ---- the id: forwarded token by token to a generator ---- */

static void id_print(void *ctx, const char *s, size_t n)
{
	dstate *d = ctx;
	if (d->idlen + n + 1 > d->idcap) { /* +1: room for the terminator */
		size_t ncap = (d->idlen + n) * 2 + 64;
		char *nb = arena_alloc(d->mem, ncap);
		if (!nb) {
			d->nomem = true;
			return;
		}
		if (d->idlen)
			memcpy(nb, d->idbuf, d->idlen);
		d->idbuf = nb;
		d->idcap = ncap;
	}
	memcpy(d->idbuf + d->idlen, s, n);
	d->idlen += n;
}

static bool in_id(const dstate *d)
{
	return d->in_id;
}

/* After a token of the id: the id is complete when we are back at the
 * depth where it started. */
static void id_maybe_done(dstate *d)
{
	if (d->depth == d->id_base) {
		if (!d->idbuf)
			return;
		d->idbuf[d->idlen] = '\0';
		d->req->has_id = true;
		d->req->id_json = d->idbuf;
		d->req->id_len = d->idlen;
		d->id_base = -1;
		d->in_id = false;
	}
}

/* ---- dispatch of a value token ---- */

static bool on_value(dstate *d, enum vkind k, const unsigned char *s, size_t n, bool b)
{
	if (d->nomem)
		return false;
	if (d->depth == 0) {
		if (k != V_MAP)
			return false; /* not an object: bad_json */
		return push(d, FR_TOP);
	}
	switch (d->frame[d->depth]) {
	case FR_TOP:
		return top_value(d, k, s, n, b);
	case FR_ITEMS:
		return items_value(d, k);
	case FR_ITEM:
		return item_value(d, k, s, n);
	case FR_TAGS:
		return tags_value(d, k, s, n);
	case FR_COUPONS:
		return coupons_value(d, k, s, n);
	case FR_ATTRS:
		return attrs_value(d, k, s, n, b);
	case FR_SKIP:
	default:
		return skip_value(d, k);
	}
}

static int cb_null(void *ctx)
{
	dstate *d = ctx;
	if (in_id(d)) {
		yajl_gen_null(d->idg);
		id_maybe_done(d);
		return 1;
	}
	return on_value(d, V_NULL, NULL, 0, false);
}

static int cb_bool(void *ctx, int b)
{
	dstate *d = ctx;
	if (in_id(d)) {
		yajl_gen_bool(d->idg, b);
		id_maybe_done(d);
		return 1;
	}
	return on_value(d, V_BOOL, NULL, 0, b);
}

/* The fast paths of cb_number and cb_string take the values of a usual
 * basket (a known field seen for the first time, in bounds) and hand
 * everything else to on_value unchanged: they decide the same way, only
 * sooner. depth > 0: at depth 0 a scalar is no object (on_value). */
static int cb_number(void *ctx, const char *s, size_t n)
{
	dstate *d = ctx;
	int64_t v;
	if (!d->in_id && !d->nomem && d->depth > 0) {
		uint8_t fr = d->frame[d->depth];
		if (fr == FR_ITEM) {
			rl_item *it = &d->items[d->nitems - 1];
			if (d->ikey == K_QTY && small_uint(s, n, &v) && v >= 1 && v <= MAX_QTY) {
				it->qty = v;
				return 1;
			}
			if (d->ikey == K_PRICE && small_uint(s, n, &v) && v <= MAX_PRICE) {
				it->price = v;
				return 1;
			}
		} else if (fr == FR_TOP && d->key == F_TS && small_uint(s, n, &v) && v <= MAX_TS) {
			d->ts = v;
			return 1;
		}
	}
	if (in_id(d)) {
		yajl_gen_number(d->idg, s, n);
		id_maybe_done(d);
		return 1;
	}
	return on_value(d, V_NUM, (const unsigned char *)s, n, false);
}

/* The top-level fields that are identifier-like strings (ident_problem). */
#define IDENT_FIELDS (B(F_TXN) | B(F_CUSTOMER) | B(F_ORIGINAL_TXN) | B(F_REFERRED_BY) | B(F_CHANNEL) | B(F_STORE))

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
	dstate *d = ctx;
	/* 1 to DECODE_MAX_STR bytes, in the text (so without NUL): a valid
	 * sku, category or identifier */
	if (!d->in_id && !d->nomem && d->depth > 0 && n - 1 < DECODE_MAX_STR && in_text(d, s, n)) {
		uint8_t fr = d->frame[d->depth];
		if (fr == FR_ITEM && (d->ikey == K_SKU || d->ikey == K_CATEGORY)) {
			rl_item *it = &d->items[d->nitems - 1];
			*(d->ikey == K_SKU ? &it->sku : &it->category) = in_place(s, n);
			return 1;
		}
		if (fr == FR_TOP && d->key >= 0 && (B(d->key) & IDENT_FIELDS)) {
			int f = d->key;
			rl_str *dst = f == F_TXN ? &d->txn : f == F_CUSTOMER ? &d->customer :
				f == F_ORIGINAL_TXN ? &d->original_txn : f == F_REFERRED_BY ? &d->referred_by :
				f == F_CHANNEL ? &d->channel : &d->store;
			*dst = in_place(s, n);
			return 1;
		}
	}
	if (in_id(d)) {
		yajl_gen_string(d->idg, s, n);
		id_maybe_done(d);
		return 1;
	}
	return on_value(d, V_STR, s, n, false);
}

static int cb_start_map(void *ctx)
{
	dstate *d = ctx;
	if (in_id(d)) {
		if (!push(d, FR_ID))
			return 0;
		yajl_gen_map_open(d->idg);
		return 1;
	}
	return on_value(d, V_MAP, NULL, 0, false);
}

static int cb_start_array(void *ctx)
{
	dstate *d = ctx;
	if (in_id(d)) {
		if (!push(d, FR_ID))
			return 0;
		yajl_gen_array_open(d->idg);
		return 1;
	}
	return on_value(d, V_ARRAY, NULL, 0, false);
}

static void end_item(dstate *d)
{
	const dec_item *di = &d->istate[d->nitems - 1];
	if (!(~di->seen & (B(K_SKU) | B(K_QTY) | B(K_PRICE))))
		return;
	for (int k = 0; k < K__COUNT; k++)
		if ((B(k) & (B(K_SKU) | B(K_QTY) | B(K_PRICE))) && !(di->seen & B(k)))
			add_err(d, F_ITEMS, k, "items[%" PRIu32 "].%s is required", d->nitems - 1, item_key_names[k]);
}

static int cb_end(void *ctx, bool map)
{
	dstate *d = ctx;
	if (d->depth <= 0)
		return 0;
	uint8_t fr = d->frame[d->depth];
	if (fr == FR_ID) {
		if (map)
			yajl_gen_map_close(d->idg);
		else
			yajl_gen_array_close(d->idg);
		d->depth--;
		id_maybe_done(d);
		return 1;
	}
	if (fr == FR_ITEM)
		end_item(d);
	if (fr == FR_ITEMS && d->nitems == 0)
		add_err(d, F_ITEMS, -1, "items must be an array of 1 to 1000 lines");
	d->depth--;
	if (d->depth == 0) {
		/* yajl counts its offset in the chunk as it goes: here it is
		 * just past this brace (checked before use, see decode_request) */
		size_t at = yajl_get_bytes_consumed(d->h);
		if (at > 0 && at <= (size_t)(d->text_end - d->text) && d->text[at - 1] == '}')
			d->top_end = at;
	}
	return 1;
}

static int cb_end_map(void *ctx)
{
	return cb_end(ctx, true);
}

static int cb_end_array(void *ctx)
{
	return cb_end(ctx, false);
}

/* Keys by their length, then a compare of the few names that have it
 * (fixed-size memcmp: a compare or two of words, no call). ORDER: the
 * names in field_names and item_key_names. */
#define IS(lit) (memcmp(s, lit, sizeof lit - 1) == 0)
static inline __attribute__((always_inline)) int top_key(const unsigned char *s, size_t n)
{
	switch (n) {
	case 2:
		return IS("op") ? F_OP : IS("id") ? F_ID : IS("ts") ? F_TS : -1;
	case 3:
		return IS("txn") ? F_TXN : -1;
	case 5:
		return IS("items") ? F_ITEMS : IS("store") ? F_STORE : IS("attrs") ? F_ATTRS : -1;
	case 6:
		return IS("reason") ? F_REASON : IS("points") ? F_POINTS : -1;
	case 7:
		return IS("coupons") ? F_COUPONS : IS("channel") ? F_CHANNEL : -1;
	case 8:
		return IS("customer") ? F_CUSTOMER : -1;
	case 11:
		return IS("referred_by") ? F_REFERRED_BY : -1;
	case 12:
		return IS("original_txn") ? F_ORIGINAL_TXN : -1;
	case 13:
		return IS("redeem_points") ? F_REDEEM : -1;
	default:
		return -1;
	}
}

static inline __attribute__((always_inline)) int item_key(const unsigned char *s, size_t n)
{
	switch (n) {
	case 3:
		return IS("sku") ? K_SKU : IS("qty") ? K_QTY : -1;
	case 4:
		return IS("tags") ? K_TAGS : -1;
	case 5:
		return IS("price") ? K_PRICE : -1;
	case 8:
		return IS("category") ? K_CATEGORY : -1;
	default:
		return -1;
	}
}
#undef IS

/* Every key but the usual ones (see cb_map_key). */
static __attribute__((noinline)) int key_slow(dstate *d, const unsigned char *s, size_t n)
{
	if (in_id(d)) {
		yajl_gen_string(d->idg, s, n);
		return 1;
	}
	if (d->nomem)
		return 0;
	switch (d->frame[d->depth]) {
	case FR_TOP: {
		int f = top_key(s, n);
		d->key = f;
		if (f < 0) {
			add_warn(d, -1, copy_str(d, s, n).p);
			return 1;
		}
		if (d->seen & B(f)) {
			add_err(d, f, -1, "%s is given twice", field_names[f]);
			d->key = -1; /* keep the first */
			return 1;
		}
		d->seen |= B(f);
		if (f == F_ID) {
			if (!d->idg) {
				yajl_alloc_funcs af = { ya_malloc, ya_realloc, ya_free, d->mem };
				d->idg = yajl_gen_alloc(&af);
				if (!d->idg) {
					d->nomem = true;
					return 0;
				}
				yajl_gen_config(d->idg, yajl_gen_print_callback, id_print, d);
			}
			d->id_base = d->depth;
			d->in_id = true;
		}
		return 1;
	}
	case FR_ITEM: {
		dec_item *di = &d->istate[d->nitems - 1];
		int k = item_key(s, n);
		d->ikey = k;
		if (k < 0) {
			char *p = arena_printf(d->mem, "items[%" PRIu32 "].%.*s", d->nitems - 1, (int)n, (const char *)s);
			add_warn(d, F_ITEMS, p);
			return 1;
		}
		if (di->seen & B(k)) {
			add_err(d, F_ITEMS, k, IPATH " is given twice", d->nitems - 1, item_key_names[k]);
			d->ikey = -1;
			return 1;
		}
		di->seen |= B(k);
		return 1;
	}
	case FR_ATTRS:
		for (uint32_t i = 0; i < d->nattrs; i++)
			if (d->attrs[i].key.n == n && memcmp(d->attrs[i].key.p, s, n) == 0) {
				add_err(d, F_ATTRS, -1, "attrs.%.*s is given twice", (int)(n > 64 ? 64 : n), (const char *)s);
				break;
			}
		d->akey = copy_str(d, s, n);
		return 1;
	default:
		return 1;
	}
}

/* The usual key, a known one seen for the first time in the top object or
 * an item, is taken here; everything else (the id, unknown keys, repeats,
 * attrs) in key_slow, so that this stays small. */
static int cb_map_key(void *ctx, const unsigned char *s, size_t n)
{
	dstate *d = ctx;
	if (in_id(d) || d->nomem)
		return key_slow(d, s, n);
	uint8_t fr = d->frame[d->depth];
	if (fr == FR_ITEM) {
		int k = item_key(s, n);
		dec_item *di = &d->istate[d->nitems - 1];
		if (k >= 0 && !(di->seen & B(k))) {
			d->ikey = k;
			di->seen |= B(k);
			return 1;
		}
	} else if (fr == FR_TOP) {
		int f = top_key(s, n);
		if (f >= 0 && f != F_ID && !(d->seen & B(f))) {
			d->key = f;
			d->seen |= B(f);
			return 1;
		}
	}
	return key_slow(d, s, n);
}

static const yajl_callbacks callbacks = {
	cb_null, cb_bool, NULL, NULL, cb_number, cb_string,
	cb_start_map, cb_map_key, cb_end_map, cb_start_array, cb_end_array,
};

/* ---- after the whole line ---- */

/* The hashed bytes gathered in a buffer and handed to XXH64 in large
 * pieces: the same bytes in the same order (so the same hash as stored
 * with earlier txns), without a streaming update per 4- or 8-byte value. */
typedef struct hbuf {
	XXH64_state_t st;
	size_t n;
	unsigned char b[2048];
} hbuf;

static void hb_put(hbuf *h, const void *p, size_t n)
{
	if (n > sizeof h->b - h->n) {
		XXH64_update(&h->st, h->b, h->n);
		h->n = 0;
		if (n > sizeof h->b) {
			XXH64_update(&h->st, p, n);
			return;
		}
	}
	memcpy(h->b + h->n, p, n);
	h->n += n;
}

static void hash_str(hbuf *h, rl_str s)
{
	uint32_t n = s.p ? s.n : UINT32_MAX; /* absent differs from "" */
	hb_put(h, &n, sizeof n);
	if (s.p)
		hb_put(h, s.p, s.n);
}

static void hash_i64(hbuf *h, int64_t v)
{
	hb_put(h, &v, sizeof v);
}

static int attr_cmp(const void *a, const void *b)
{
	const rl_attr *x = *(const rl_attr *const *)a, *y = *(const rl_attr *const *)b;
	uint32_t n = x->key.n < y->key.n ? x->key.n : y->key.n;
	int c = memcmp(x->key.p, y->key.p, n);
	return c ? c : (x->key.n > y->key.n) - (x->key.n < y->key.n);
}

/* Over the decoded values, fields in a fixed order, each tagged with its
 * field number, so that key order, whitespace, number spelling ("ts" as a
 * string or an integer) and unknown fields do not change it. */
static uint64_t content_hash(dstate *d, const request *req)
{
	hbuf h;
	XXH64_reset(&h.st, 0x6c6f79616c7479ULL);
	h.n = 0;
	uint32_t allowed = op_allowed[req->op];
	hash_i64(&h, req->op);
	for (int f = 0; f < F__COUNT; f++) {
		if (f == F_ID || f == F_OP || !(allowed & B(f)) || !(d->seen & B(f)))
			continue;
		hash_i64(&h, f);
		switch (f) {
		case F_TXN: hash_str(&h, d->txn); break;
		case F_CUSTOMER: hash_str(&h, d->customer); break;
		case F_ORIGINAL_TXN: hash_str(&h, d->original_txn); break;
		case F_REFERRED_BY: hash_str(&h, d->referred_by); break;
		case F_REASON: hash_str(&h, d->reason); break;
		case F_CHANNEL: hash_str(&h, d->channel); break;
		case F_STORE: hash_str(&h, d->store); break;
		case F_TS: hash_i64(&h, d->ts); break;
		case F_REDEEM: hash_i64(&h, d->redeem); break;
		case F_POINTS: hash_i64(&h, d->points); break;
		case F_ITEMS:
			hash_i64(&h, d->nitems);
			for (uint32_t i = 0; i < d->nitems; i++) {
				const rl_item *it = &d->items[i];
				hash_str(&h, it->sku);
				hash_i64(&h, it->qty);
				if (req->op != OP_REFUND) {
					hash_str(&h, it->category);
					hash_i64(&h, it->price);
					hash_i64(&h, it->ntags);
					for (uint32_t t = 0; t < it->ntags; t++)
						hash_str(&h, it->tags[t]);
				}
			}
			break;
		case F_COUPONS:
			hash_i64(&h, d->ncoupons);
			for (uint32_t i = 0; i < d->ncoupons; i++)
				hash_str(&h, d->coupons[i]);
			break;
		case F_ATTRS: {
			hash_i64(&h, d->nattrs);
			const rl_attr **v = arena_alloc(d->mem, (d->nattrs + 1) * sizeof *v);
			if (!v)
				break;
			for (uint32_t i = 0; i < d->nattrs; i++)
				v[i] = &d->attrs[i];
			qsort(v, d->nattrs, sizeof *v, attr_cmp);
			for (uint32_t i = 0; i < d->nattrs; i++) {
				hash_str(&h, v[i]->key);
				const expr_value *x = &v[i]->val;
				hash_i64(&h, x->t);
				if (x->t == EV_BOOL)
					hash_i64(&h, x->u.b);
				else if (x->t == EV_INT)
					hash_i64(&h, x->u.i);
				else if (x->t == EV_FLOAT)
					hb_put(&h, &x->u.f, sizeof x->u.f);
				else if (x->t == EV_STR)
					hash_str(&h, (rl_str){ x->u.s.p, x->u.s.n });
			}
			break;
		}
		}
	}
	XXH64_update(&h.st, h.b, h.n);
	return XXH64_digest(&h.st);
}

static void set_err(decode_error *err, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(decode_error *err, const char *code, const char *fmt, ...)
{
	err->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
}

/* Bytes of s that fit in max without cutting a UTF-8 sequence. */
static int utf8_prefix(const char *s, uint32_t n, uint32_t max)
{
	if (n <= max)
		return (int)n;
	uint32_t i = max;
	while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
		i--;
	return (int)i;
}

/* The op_kind named by s, or -1. */
static int op_lookup(const char *s, uint32_t n)
{
#define IS(lit) (memcmp(s, lit, sizeof lit - 1) == 0)
	switch (n) {
	case 4:
		return IS("ping") ? OP_PING : -1;
	case 5:
		return IS("quote") ? OP_QUOTE : IS("stats") ? OP_STATS : -1;
	case 6:
		return IS("enroll") ? OP_ENROLL : IS("refund") ? OP_REFUND : IS("adjust") ? OP_ADJUST :
			IS("forget") ? OP_FORGET : IS("reload") ? OP_RELOAD : -1;
	case 8:
		return IS("purchase") ? OP_PURCHASE : IS("customer") ? OP_CUSTOMER : -1;
	default:
		return -1;
	}
#undef IS
}

static int finish(dstate *d, request *req, decode_error *err)
{
	if (!d->op_present) {
		set_err(err, "bad_request", "op is required");
		return -1;
	}
	if (!d->op_is_string) {
		set_err(err, "bad_request", "op must be a string");
		return -1;
	}
	int op = op_lookup(d->op.p, d->op.n);
	if (op < 0) {
		set_err(err, "unknown_op", "unknown op \"%.*s\"", utf8_prefix(d->op.p, d->op.n, 64), d->op.p);
		return -1;
	}
	req->op = (op_kind)op;
	err->op = op;
	uint32_t allowed = op_allowed[op];
	uint32_t iallowed = item_allowed(req->op), irequired = item_required(req->op);

	for (uint32_t i = 0; i < d->nerrs; i++) {
		const dec_err *e = &d->errs[i];
		if (!(allowed & B(e->field)))
			continue;
		if (e->field == F_ITEMS && e->sub >= 0) {
			/* an item key this op ignores, or a missing key it does
			 * not require */
			if (!(iallowed & B(e->sub)))
				continue;
			if (strstr(e->msg, " is required") && !(irequired & B(e->sub)))
				continue;
		}
		set_err(err, "bad_request", "%s", e->msg);
		return -1;
	}
	uint32_t missing = op_required[op] & ~d->seen;
	for (int f = 0; missing && f < F__COUNT; f++)
		if (missing & B(f)) {
			set_err(err, "bad_request", "%s is required", field_names[f]);
			return -1;
		}
	if (req->op == OP_PURCHASE && d->txn.p == NULL) {
		set_err(err, "bad_request", "txn is required");
		return -1;
	}

	req->txn = d->txn;
	req->customer = d->customer;
	req->original_txn = d->original_txn;
	req->referred_by = d->referred_by;
	req->reason = d->reason;
	req->has_ts = (d->seen & B(F_TS)) && (allowed & B(F_TS));
	req->ts = req->has_ts ? d->ts : 0;
	req->has_points = (d->seen & B(F_POINTS)) && (allowed & B(F_POINTS));
	req->points = d->points;

	if (req->op == OP_QUOTE || req->op == OP_PURCHASE) {
		const rl_item *items = d->items;
		int64_t sum = 0;
		for (uint32_t i = 0; i < d->nitems; i++) {
			int64_t line;
			if (__builtin_mul_overflow(items[i].qty, items[i].price, &line) ||
			    __builtin_add_overflow(sum, line, &sum)) {
				set_err(err, "bad_request", "items: the subtotal overflows a 64-bit integer at items[%" PRIu32 "]", i);
				return -1;
			}
		}
		if (d->customer.p == NULL && (d->seen & B(F_REDEEM))) {
			set_err(err, "bad_request", "redeem_points needs a customer");
			return -1;
		}
		rl_basket *b = &req->basket;
		b->items = items;
		b->nitems = d->nitems;
		b->coupons = d->coupons;
		b->ncoupons = d->ncoupons;
		b->channel = d->channel;
		b->store = d->store;
		b->ts = req->ts;
		b->has_redeem = (d->seen & B(F_REDEEM)) != 0;
		b->redeem_points = d->redeem;
		b->attrs = d->attrs;
		b->nattrs = d->nattrs;
	} else if (req->op == OP_ENROLL) {
		req->attrs = d->attrs;
		req->nattrs = d->nattrs;
	} else if (req->op == OP_REFUND && (d->seen & B(F_ITEMS))) {
		req_refund_item *ri = arena_alloc(d->mem, (size_t)d->nitems * sizeof *ri);
		if (!ri) {
			d->nomem = true;
			return -1;
		}
		for (uint32_t i = 0; i < d->nitems; i++) {
			ri[i].sku = d->items[i].sku;
			ri[i].qty = d->items[i].qty;
		}
		req->has_items = true;
		req->refund_items = ri;
		req->nrefund_items = d->nitems;
	}

	/* warnings: unknown keys, then known fields this op does not take,
	 * then item keys it does not take */
	uint32_t nw = 0;
	bool item_extras = false;
	if ((allowed & B(F_ITEMS)) && iallowed != ITEM_ALL)
		for (uint32_t i = 0; i < d->nitems && !item_extras; i++)
			item_extras = (d->istate[i].seen & ~iallowed) != 0;
	if (d->nwarns == 0 && !(d->seen & ~allowed) && !item_extras) {
		/* the usual request: nothing to warn about */
		req->warnings = NULL;
		req->nwarnings = 0;
		goto hash;
	}
	req_warning *w = arena_alloc(d->mem, (size_t)(d->nwarns + F__COUNT + 1) * sizeof *w);
	if (!w) {
		d->nomem = true;
		return -1;
	}
	for (uint32_t i = 0; i < d->nwarns; i++) {
		if (d->warns[i].top == F_ITEMS && !(allowed & B(F_ITEMS)))
			continue; /* reported as "items" below */
		w[nw++].field = d->warns[i].path;
	}
	for (int f = 0; f < F__COUNT; f++)
		if ((d->seen & B(f)) && !(allowed & B(f)))
			w[nw++].field = field_names[f];
	if ((allowed & B(F_ITEMS)) && iallowed != ITEM_ALL) {
		for (uint32_t i = 0; i < d->nitems && nw < DECODE_MAX_LIST + F__COUNT; i++) {
			uint32_t extra = d->istate[i].seen & ~iallowed;
			for (int k = 0; k < K__COUNT && extra; k++)
				if (extra & B(k)) {
					req_warning *nwv = w;
					if (nw >= d->nwarns + F__COUNT + 1) {
						nwv = arena_alloc(d->mem, (size_t)(nw * 2) * sizeof *w);
						if (!nwv)
							break;
						memcpy(nwv, w, nw * sizeof *w);
						w = nwv;
					}
					w[nw++].field = arena_printf(d->mem, "items[%" PRIu32 "].%s", i, item_key_names[k]);
				}
		}
	}
	req->warnings = w;
	req->nwarnings = nw;
hash:
	/* only the ops that take a txn compare contents; a quote is hashed
	 * for nothing (3% of its decoding) */
	if (req->op == OP_PURCHASE || req->op == OP_REFUND || req->op == OP_ADJUST)
		req->content_hash = content_hash(d, req);
	return 0;
}

/* JSON's whitespace only (RFC 8259: space, tab, LF, CR). */
static bool only_space(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}

int decode_request(const char *line, size_t n, arena *mem, request *req, decode_error *err)
{
	memset(req, 0, sizeof *req);
	req->mem = mem;
	dstate d;
	memset(&d, 0, offsetof(dstate, errs));
	d.req = req;
	d.mem = mem;
	d.key = -1;
	d.ikey = -1;
	d.id_base = -1;
	err->op = -1;

	/* the strings without escapes stay in this copy (copy_str) */
	unsigned char *text = arena_alloc(mem, n + 1);
	yajl_alloc_funcs af = { ya_malloc, ya_realloc, ya_free, mem };
	yajl_handle h = text ? yajl_alloc(&callbacks, &af, &d) : NULL;
	if (!h) {
		set_err(err, "internal", "out of memory decoding the request");
		return -1;
	}
	d.h = h;
	memcpy(text, line, n);
	text[n] = '\0';
	d.text = text;
	d.text_end = text + n;
	yajl_status st = yajl_parse(h, text, n);
	bool at_end = false;
	/* When only whitespace follows the top object's closing brace, yajl
	 * is in its parse-complete state and yajl_complete_parse could only
	 * say ok: it is skipped (it runs one more space through the whole
	 * parser). Anything else after the brace (a number or a literal cut
	 * short, an open string) needs it to be refused. */
	if (st == yajl_status_ok && !(d.top_end && only_space(text + d.top_end, n - d.top_end))) {
		st = yajl_complete_parse(h);
		at_end = true;
	}
	if (st != yajl_status_ok) {
		/* yajl reports where its lexer stopped, just past the bad token */
		size_t at = yajl_get_bytes_consumed(h);
		req->has_id = false; /* not an object: nothing to echo */
		if (d.too_deep)
			set_err(err, "bad_json", "JSON nested deeper than %d levels", DECODE_MAX_DEPTH);
		else if (d.nomem)
			set_err(err, "too_large", "the request needs more memory than allowed");
		else if (d.depth == 0 && st == yajl_status_client_canceled)
			set_err(err, "bad_json", "the request must be a JSON object");
		else if (at_end)
			set_err(err, "bad_json", "the line is not valid JSON (it ends inside a value)");
		else
			set_err(err, "bad_json", "the line is not valid JSON (near byte %zu)", at);
		return -1;
	}
	if (d.nomem) {
		set_err(err, "too_large", "the request needs more memory than allowed");
		return -1;
	}
	return finish(&d, req, err);
}
