/* lang/lua_compile_int.h — what the two halves of the Lua-to-expression
 * compiler share: lua_compile_val.c (values: what is known of them, their
 * text, truth, comparisons, arithmetic) and lua_compile.c (paths through
 * the bytecode, the driver). Nothing outside them includes this. */
#ifndef LANG_LUA_COMPILE_INT_H
#define LANG_LUA_COMPILE_INT_H

#include <stdint.h>

#include "lang/lua_compile.h"
#include "lang/lua_int.h"

#define LC_MAX_PATHS 64
#define LC_MAX_STEPS 20000
#define LC_MAX_DEPTH 8
#define LC_MAX_TEXT  4096
#define LC_MAX_FACTS 64
#define LC_MAX_ATOMS 64
#define LC_MAX_LIST  1024
#define LC_MAX_MEMO  256

enum { VK_NIL, VK_BOOL, VK_INT, VK_FLT, VK_STR, VK_TERM, VK_OBJ, VK_FUNC, VK_TABLE,
	VK_METHOD, VK_LOOKUP, VK_OPAQUE };

struct lc_val {
	uint8_t k;
	bool b;
	bool mayfail;        /* TERM: evaluating it can fail (x // y, sums) */
	bool own_fail;       /* ... because of its own last operation, not only
	                        an operand's */
	unsigned types;      /* TERM: LC_*; OBJ: LC_NIL when it may be absent */
	uint32_t id;         /* TERM, OBJ: identity, for facts */
	int64_t i;
	double f;
	const char *s;       /* STR: bytes; TERM: expression; OBJ: presence test; METHOD: name */
	size_t n;
	int obj;             /* OBJ, METHOD: the host's object */
	int anchor;          /* FUNC, TABLE, LOOKUP: the Lua value's slot in the anchor table */
	const lproto *p;     /* FUNC: made by CLOSURE during the compile (anchor 0) */
	lc_val **up;         /* FUNC with p: its upvalues */
	const lc_val *key;   /* LOOKUP: table[key] */
};

typedef struct memo {
	uint32_t parent;
	const char *key;
	size_t n;
	lc_val *v;
} memo;

struct lc {
	lua_State *L;
	int anchor;          /* stack index of a table keeping the Lua values seen */
	int nanchor;
	const lc_host *h;
	arena mem;
	uint32_t next_id;
	uint32_t steps;
	int depth;
	char *why;
	size_t whysz;
	bool failed;
	memo memo[LC_MAX_MEMO]; /* obj.key read twice is the same value */
	uint32_t nmemo;
	lc_val sink;         /* what lc_newv hands out once memory ran out */
};

enum { F_NIL = 1, F_NONNIL, F_TRUE, F_FALSE };
typedef struct fact {
	uint32_t id;
	uint8_t st;
} fact;

typedef struct atom {
	const char *t;
	bool neg;
	bool mayfail;
	const char *forced;  /* "X != null" made only to evaluate term X where Lua
	                        does (lua_compile.c, force): X, else NULL */
} atom;

typedef struct frame frame;
struct frame {
	const lproto *p;
	lc_val **up;
	lc_val **reg;
	uint32_t pc;
	frame *parent;
	int ret_reg;         /* where the parent wants the result */
	int nres;            /* how many results it wants (0..), or -1: all of
	                        them, as the last argument of a call */
	int top;             /* after a call that kept all its results: the
	                        register past them (the next call's B = 0); -1 */
};

typedef struct state {
	frame *top;
	int depth;
	fact facts[LC_MAX_FACTS];
	uint32_t nfacts;
	atom atoms[LC_MAX_ATOMS];
	uint32_t natoms;
} state;

/* A condition met on a path: its text, and what each outcome tells. */
typedef struct cond {
	const char *t;
	bool neg;            /* the condition is `not t` */
	bool mayfail;
	uint32_t id;         /* 0: nothing learned */
	uint8_t if_true, if_false;
} cond;

extern const lc_val lc_nil_v;

static inline bool lc_is_const(const lc_val *v) { return v->k <= VK_STR; }

/* lua_compile_val.c */
/* Give up the compile, keeping the first reason. */
void lc_fail(lc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
lc_val *lc_newv(lc *c, int k);
lc_val *lc_bool(lc *c, bool b);
lc_val *lc_int(lc *c, int64_t i);
lc_val *lc_flt(lc *c, double f);
lc_val *lc_term(lc *c, const char *t, unsigned types, bool mayfail);
const char *lc_lit(lc *c, const lc_val *v);
const char *lc_text(lc *c, const lc_val *v);
int lc_fact_of(const state *s, uint32_t id);
void lc_add_fact(lc *c, state *s, uint32_t id, uint8_t st);
void lc_add_atom(lc *c, state *s, const char *t, bool neg, bool mayfail);
/* v as the path knows it (nil, true or false where a fact says so). */
const lc_val *lc_resolve(lc *c, const state *s, const lc_val *v);
bool lc_nonnil(const state *s, const lc_val *v);
lc_val *lc_from_lua(lc *c, int idx);
lc_val *lc_from_field(lc *c, const lc_field *fd);
/* o[key]: a host object's field or a read-only table's entry. */
lc_val *lc_index(lc *c, const state *s, const lc_val *o, const lc_val *key);
/* Truth, x == y, x < y (x <= y when le): 0 or 1 when known, 2 with the
 * condition to test in *cd. */
int lc_truth(lc *c, const state *s, const lc_val *v, cond *cd);
int lc_equal(lc *c, const state *s, const lc_val *x, const lc_val *y, cond *cd);
int lc_order(lc *c, const state *s, const lc_val *x, const lc_val *y, bool le, cond *cd);
bool lc_int_operand(const state *s, const lc_val *v);
/* x op y for op 0..4: + - * // %, Lua's integer arithmetic. */
lc_val *lc_arith(lc *c, const state *s, int op, const lc_val *x, const lc_val *y);

#endif
