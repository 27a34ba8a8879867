/* lang/lua_bytecode.c — one question about a loaded function: can it, or a
 * closure it creates, assign to an upvalue (OP_SETUPVAL)? When no function
 * of a program can, luasb_call need not put upvalues back after every call
 * (lua_freeze.c records them; the restore costs ~40 ns an upvalue a call).
 *
 * Lua has no API to look at code, so this reads lua_dump's output (the 5.4
 * format of ldump.c, stripped). Anything unexpected — another version or
 * format, a truncated dump — answers "yes, it may write", which is always
 * safe: the only cost of a wrong "yes" is the restore. It never runs or
 * loads bytecode. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lang/lua_int.h"

#define OP_SETUPVAL_54 10   /* lopcodes.h of Lua 5.4: MOVE=0 ... GETUPVAL=9, SETUPVAL=10 */
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

static void skip(rd *r, size_t n)
{
	if ((size_t)(r->end - r->p) < n) {
		r->bad = true;
		r->p = r->end;
		return;
	}
	r->p += n;
}

static void string(rd *r)
{
	size_t n = size(r);
	if (n > 0)
		skip(r, n - 1);
}

/* true if this prototype or one nested in it has OP_SETUPVAL */
static bool proto(rd *r, int depth)
{
	bool writes = false;
	size_t n;

	if (depth > MAX_PROTO_DEPTH) {
		r->bad = true;
		return true;
	}
	string(r);             /* source */
	size(r);               /* linedefined */
	size(r);               /* lastlinedefined */
	skip(r, 3);            /* numparams, is_vararg, maxstacksize */
	n = size(r);           /* code */
	if (n > (size_t)(r->end - r->p) / 4) {
		r->bad = true;
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t ins;
		memcpy(&ins, r->p + 4 * i, 4);
		if ((ins & 0x7f) == OP_SETUPVAL_54)
			writes = true;
	}
	skip(r, 4 * n);
	n = size(r);           /* constants */
	for (size_t i = 0; i < n && !r->bad; i++) {
		unsigned char t = byte(r);
		switch (t) {
		case LUA_TNIL | (0 << 4):   /* nil */
		case LUA_TBOOLEAN | (0 << 4): /* false */
		case LUA_TBOOLEAN | (1 << 4): /* true */
			break;
		case LUA_TNUMBER | (1 << 4): /* float */
			skip(r, sizeof(lua_Number));
			break;
		case LUA_TNUMBER | (0 << 4): /* integer */
			skip(r, sizeof(lua_Integer));
			break;
		case LUA_TSTRING | (0 << 4): /* short */
		case LUA_TSTRING | (1 << 4): /* long */
			string(r);
			break;
		default:
			r->bad = true;
		}
	}
	n = size(r);           /* upvalues: instack, idx, kind */
	skip(r, 3 * n);
	n = size(r);           /* nested prototypes */
	for (size_t i = 0; i < n && !r->bad; i++)
		if (proto(r, depth + 1))
			writes = true;
	/* debug information, stripped: four empty vectors (or their contents) */
	n = size(r);
	skip(r, n);            /* lineinfo (bytes) */
	n = size(r);
	for (size_t i = 0; i < n && !r->bad; i++) {
		size(r);
		size(r);           /* abslineinfo: pc, line */
	}
	n = size(r);
	for (size_t i = 0; i < n && !r->bad; i++) {
		string(r);
		size(r);
		size(r);           /* locvars */
	}
	n = size(r);
	for (size_t i = 0; i < n && !r->bad; i++)
		string(r);         /* upvalue names */
	return writes || r->bad;
}

bool luasb_fn_may_write_upvalues(lua_State *L, int idx)
{
	static const unsigned char data[] = "\x19\x93\r\n\x1a\n";
	dbuf b = { 0 };
	rd r;
	bool writes = true;

	lua_pushvalue(L, idx);
	if (lua_dump(L, writer, &b, 1) != 0 || b.oom)
		goto out;
	r.p = b.p;
	r.end = b.p + b.n;
	r.bad = false;
	/* header: signature, version 5.4, format 0, LUAC_DATA, sizes, checks */
	if (b.n < 4 + 2 + 6 + 3 || memcmp(b.p, LUA_SIGNATURE, 4) != 0 || b.p[4] != 0x54 || b.p[5] != 0 ||
	    memcmp(b.p + 6, data, 6) != 0 || b.p[12] != 4 || b.p[13] != sizeof(lua_Integer) ||
	    b.p[14] != sizeof(lua_Number))
		goto out;
	skip(&r, 15 + sizeof(lua_Integer) + sizeof(lua_Number));
	byte(&r);              /* number of upvalues of the main function */
	writes = proto(&r, 0);
	if (r.bad || r.p != r.end)
		writes = true;
out:
	lua_pop(L, 1);
	free(b.p);
	return writes;
}
