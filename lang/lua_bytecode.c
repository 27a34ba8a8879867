/* lang/lua_bytecode.c — a loaded function's code as data: its prototype
 * (instructions, constants, upvalue descriptions, nested prototypes) read
 * from lua_dump's output, for the two readers of code: "can this function
 * assign to an upvalue?" (below; lua_freeze.c asks it) and the compiler of
 * simple functions into expressions (lua_compile.c).
 *
 * Lua has no API to look at code, so this reads the 5.4 format of ldump.c
 * (stripped). Anything unexpected — another version or format, a truncated
 * dump — gives NULL, and every caller then takes the safe answer ("may
 * write", "do not compile"). It never runs or loads bytecode. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lang/lua_int.h"

#define MAX_PROTO_DEPTH 200

typedef struct dbuf {
	unsigned char *p;
	size_t n, cap;
	bool oom;
} dbuf;

static int writer(lua_State *L, const void *p, size_t sz, void *ud)
{
	dbuf *b = ud;

	(void)L;
	if (b->n + sz > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < b->n + sz)
			cap *= 2;
		unsigned char *np = realloc(b->p, cap);
		if (!np) {
			b->oom = true;
			return 1;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, p, sz);
	b->n += sz;
	return 0;
}

typedef struct rd {
	const unsigned char *p, *end;
	arena *mem;
	bool bad;
} rd;

static unsigned char byte(rd *r)
{
	if (r->p >= r->end) {
		r->bad = true;
		return 0;
	}
	return *r->p++;
}

/* ldump.c dumpSize: 7 bits a byte, most significant first, the last byte
 * marked with 0x80 */
static size_t size(rd *r)
{
	size_t x = 0;
	unsigned char b;
	int n = 0;

	do {
		b = byte(r);
		if (++n > 10) {
			r->bad = true;
			return 0;
		}
		x = (x << 7) | (b & 0x7f);
	} while (!(b & 0x80) && !r->bad);
	return x;
}

static const unsigned char *take(rd *r, size_t n)
{
	const unsigned char *p = r->p;

	if ((size_t)(r->end - r->p) < n) {
		r->bad = true;
		r->p = r->end;
		return NULL;
	}
	r->p += n;
	return p;
}

/* a string: its size + 1, 0 for none; the bytes without a terminator */
static const char *string(rd *r, size_t *len)
{
	size_t n = size(r);
	const unsigned char *p;

	*len = 0;
	if (n == 0 || r->bad)
		return NULL;
	p = take(r, n - 1);
	if (!p)
		return NULL;
	char *s = arena_strndup(r->mem, (const char *)p, n - 1);
	if (!s)
		r->bad = true;
	*len = n - 1;
	return s;
}

/* an array of n elements of `sz` bytes, with n bounded by what is left */
static void *array(rd *r, size_t n, size_t sz, size_t min_bytes_each)
{
	if (min_bytes_each && n > (size_t)(r->end - r->p) / min_bytes_each) {
		r->bad = true;
		return NULL;
	}
	void *v = arena_calloc(r->mem, n ? n : 1, sz);
	if (!v)
		r->bad = true;
	return v;
}

static lproto *proto(rd *r, int depth)
{
	size_t n, len;

	if (depth > MAX_PROTO_DEPTH) {
		r->bad = true;
		return NULL;
	}
	lproto *f = arena_calloc(r->mem, 1, sizeof *f);
	if (!f) {
		r->bad = true;
		return NULL;
	}
	string(r, &len);       /* source */
	size(r);               /* linedefined */
	size(r);               /* lastlinedefined */
	f->numparams = byte(r);
	f->is_vararg = byte(r);
	f->maxstack = byte(r);
	n = size(r);           /* code */
	uint32_t *code = array(r, n, sizeof *code, 4);
	const unsigned char *raw = code ? take(r, 4 * n) : NULL;
	if (!raw)
		return NULL;
	memcpy(code, raw, 4 * n); /* the dump's bytes need not be aligned */
	f->code = code;
	f->ncode = (uint32_t)n;
	n = size(r);           /* constants */
	f->k = array(r, n, sizeof *f->k, 1);
	for (size_t i = 0; f->k && i < n && !r->bad; i++) {
		lproto_k *k = &f->k[i];
		unsigned char t = byte(r);
		const unsigned char *b;
		switch (t) {
		case LUA_TNIL | (0 << 4):     /* nil */
			k->t = LUA_TNIL;
			break;
		case LUA_TBOOLEAN | (0 << 4): /* false */
		case LUA_TBOOLEAN | (1 << 4): /* true */
			k->t = LUA_TBOOLEAN;
			k->b = t != LUA_TBOOLEAN;
			break;
		case LUA_TNUMBER | (1 << 4):  /* float */
			k->t = LUA_TNUMBER;
			if ((b = take(r, sizeof(lua_Number))) != NULL)
				memcpy(&k->f, b, sizeof(lua_Number));
			break;
		case LUA_TNUMBER | (0 << 4):  /* integer */
			k->t = LUA_TNUMBER;
			k->isint = true;
			if ((b = take(r, sizeof(lua_Integer))) != NULL)
				memcpy(&k->i, b, sizeof(lua_Integer));
			break;
		case LUA_TSTRING | (0 << 4):  /* short */
		case LUA_TSTRING | (1 << 4):  /* long */
			k->t = LUA_TSTRING;
			k->s = string(r, &k->n);
			if (!k->s)
				k->s = "";
			break;
		default:
			r->bad = true;
		}
	}
	f->nk = (uint32_t)n;
	n = size(r);           /* upvalues: instack, idx, kind */
	f->up = array(r, n, sizeof *f->up, 3);
	for (size_t i = 0; f->up && i < n && !r->bad; i++) {
		f->up[i].instack = byte(r);
		f->up[i].idx = byte(r);
		f->up[i].kind = byte(r);
	}
	f->nup = (uint32_t)n;
	n = size(r);           /* nested prototypes */
	f->p = array(r, n, sizeof *f->p, 1);
	for (size_t i = 0; f->p && i < n && !r->bad; i++)
		f->p[i] = proto(r, depth + 1);
	f->np = (uint32_t)n;
	/* debug information, stripped: four empty vectors (or their contents) */
	n = size(r);
	take(r, n);            /* lineinfo (bytes) */
	n = size(r);
	for (size_t i = 0; i < n && !r->bad; i++) {
		size(r);
		size(r);           /* abslineinfo: pc, line */
	}
	n = size(r);
	for (size_t i = 0; i < n && !r->bad; i++) {
		string(r, &len);
		size(r);
		size(r);           /* locvars */
	}
	n = size(r);
	for (size_t i = 0; i < n && !r->bad; i++)
		string(r, &len);   /* upvalue names */
	return r->bad ? NULL : f;
}

lproto *luasb_proto_read(lua_State *L, int idx, arena *mem)
{
	static const unsigned char data[] = "\x19\x93\r\n\x1a\n";
	dbuf b = { 0 };
	rd r;
	lproto *f = NULL;

	lua_pushvalue(L, idx);
	if (lua_iscfunction(L, -1) || lua_dump(L, writer, &b, 1) != 0 || b.oom)
		goto out;
	r.p = b.p;
	r.end = b.p + b.n;
	r.mem = mem;
	r.bad = false;
	/* header: signature, version 5.4, format 0, LUAC_DATA, sizes, checks */
	if (b.n < 4 + 2 + 6 + 3 || memcmp(b.p, LUA_SIGNATURE, 4) != 0 || b.p[4] != 0x54 || b.p[5] != 0 ||
	    memcmp(b.p + 6, data, 6) != 0 || b.p[12] != 4 || b.p[13] != sizeof(lua_Integer) ||
	    b.p[14] != sizeof(lua_Number))
		goto out;
	take(&r, 15 + sizeof(lua_Integer) + sizeof(lua_Number));
	byte(&r);              /* number of upvalues of the main function */
	f = proto(&r, 0);
	if (r.bad || r.p != r.end)
		f = NULL;
out:
	lua_pop(L, 1);
	free(b.p);
	return f;
}

static bool has_op(const lproto *f, int op)
{
	for (uint32_t i = 0; i < f->ncode; i++)
		if ((int)LOP_OP(f->code[i]) == op)
			return true;
	for (uint32_t i = 0; i < f->np; i++)
		if (has_op(f->p[i], op))
			return true;
	return false;
}

bool luasb_fn_may_write_upvalues(lua_State *L, int idx)
{
	arena mem;
	arena_init(&mem, 4096, 0);
	lproto *f = luasb_proto_read(L, idx, &mem);
	bool writes = !f || has_op(f, LOP_SETUPVAL);
	arena_free(&mem);
	return writes;
}
