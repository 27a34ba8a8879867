/* lang/expr_internal.h — what the modules of the expression language share:
 * tokens (expr_lex.c), the node tree that is both the parse tree and the
 * compiled form (expr_parse.c builds it, expr_check.c types, folds and
 * specialises it in place, expr_eval.c walks it), the environment tables
 * (expr_env.c) and the value operations shared by folding and evaluation
 * (expr_value.c, expr_builtin.c).
 *
 * Nothing here is visible outside lang/. Every node of one expression lives
 * in the expression's own arena, so expr_free is one arena_free. */
#ifndef LANG_EXPR_INTERNAL_H
#define LANG_EXPR_INTERNAL_H

#include "lang/arena.h"
#include "lang/expr.h"

#include <string.h>

/* Bounds: a rule expression is a line or two; these only stop abuse. */
#define EXPR_MAX_SRC    65536  /* bytes of source */
#define EXPR_MAX_DEPTH  200    /* nesting of the tree and of the parser */
#define EXPR_MAX_NAME   255    /* bytes of one (dotted) name */
#define EXPR_MAX_LIST   1024   /* elements of one list literal */
#define EXPR_MAX_ARGS   16     /* arguments of a built-in (min, max) */

/* ---- tokens (expr_lex.c) ---------------------------------------------- */

typedef enum expr_tok {
	TK_EOF, TK_INT, TK_FLOAT, TK_STR, TK_NAME,
	TK_AND, TK_OR, TK_NOT, TK_IN, TK_TRUE, TK_FALSE, TK_NULL,
	TK_LP, TK_RP, TK_LB, TK_RB, TK_COMMA,
	TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE,
	TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH, TK_DSLASH, TK_PERCENT,
	TK_ERR,
} expr_tok;

typedef struct expr_token {
	expr_tok t;
	uint32_t pos;        /* byte offset of the first byte */
	uint32_t len;        /* bytes of source */
	bool int_min;        /* TK_INT 9223372036854775808: only valid after '-' */
	int64_t i;
	double f;
	const char *s;       /* TK_STR: decoded, in the arena; TK_NAME: source */
	uint32_t n;
} expr_token;

typedef struct expr_lexer {
	const char *src;
	uint32_t n;
	uint32_t at;
	arena *mem;
	char *err;           /* TK_ERR: message (sized 256) */
} expr_lexer;

void expr_lex_init(expr_lexer *lx, const char *src, uint32_t n, arena *mem, char *err);
/* The next token; TK_ERR with lx->err set and tok->pos at the bad byte. */
void expr_lex_next(expr_lexer *lx, expr_token *tok);
const char *expr_tok_text(expr_tok t); /* "'+'", "end of expression", ... */

/* ---- nodes ------------------------------------------------------------- */

/* ORDER: the comparison ops are consecutive and mirrored by cmp_swap() in
 * expr_check.c. */
typedef enum expr_op {
	OP_CONST,       /* k */
	OP_NAME,        /* unresolved name: name/name_n */
	OP_VAR,         /* vars[slot] */
	OP_ITEM,        /* item[slot] */
	OP_LIST,        /* list literal, elements in args (folded before eval) */
	OP_NEG,         /* -a */
	OP_NOT,         /* not a */
	OP_AND,         /* a and b; after expr_prepare: args[0] and args[1] ... */
	OP_OR,          /* a or b; likewise */
	OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_IDIV, OP_MOD,
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN,
	OP_CMPK,        /* (a, or vars/item[slot] when a is NULL) <sub> k: a
	                 * comparison with a constant, specialised */
	OP_INK,         /* vars/item[slot] in k (a constant list) */
	OP_CALL,        /* unresolved call: name/name_n, args */
	OP_BUILTIN,     /* sub = builtin id, args */
	OP_HOST,        /* call = host call, args */
} expr_op;

typedef struct expr_hostcall expr_hostcall;
typedef struct enode enode;
/* A node's truth value: 1, 0, or -1 on a run-time error. Chosen per node
 * at load (expr_prepare) so that a condition runs as a chain of small
 * specialised functions instead of one big switch. */
typedef int (*expr_cond_fn)(const enode *n, expr_frame *f);
struct enode {
	expr_cond_fn cond;   /* set by expr_prepare */
	uint8_t op;          /* expr_op */
	uint8_t ctx;         /* the operator asking for this node's truth, for messages */
	uint8_t sub;         /* OP_CMPK: comparison op; OP_BUILTIN: builtin id;
	                      * OP_ADD..OP_IDIV: ARITH_K_* after expr_prepare */
	uint8_t scope;       /* OP_CMPK/OP_INK: 0 vars, 1 item */
	uint16_t nargs;
	uint16_t depth;      /* height of the subtree, bounded by EXPR_MAX_DEPTH */
	expr_type type;      /* static type, after checking */
	uint32_t pos;        /* byte offset of the token that names the node */
	uint32_t start;      /* byte offset of the node's first byte */
	int32_t slot;
	enode *a, *b;
	enode **args;
	const char *name;    /* OP_NAME, OP_CALL: source text */
	uint32_t name_n;
	expr_value k;        /* OP_CONST, OP_CMPK, OP_INK */
	uint64_t key[2];     /* OP_CMPK with a string of at most 16 bytes: expr_str_key() */
	const expr_hostcall *call;
};

/* Which operand of an arithmetic node is the int constant, when the other
 * is a name or a host call (expr_eval.c's fast path); 0 otherwise. */
#define ARITH_K_RIGHT 1
#define ARITH_K_LEFT  2

/* A host call resolved at load. */
struct expr_hostcall {
	const char *name;
	int fn_id;
	int nargs;
	int64_t bound;
	expr_host_fn host;     /* the environment's, when compiled */
	expr_type arg_types[4];
	const expr *preds[4];  /* compiled predicate arguments, NULL elsewhere */
	/* When every argument is a predicate or a constant of its declared
	 * type (`coupon("X")`, `any_item(...)`), the arguments as the host
	 * sees them, built once at load: a call then evaluates nothing. */
	bool const_args;
	expr_value kargs[4];
	/* EXPR_AGG_*: a native aggregate run by expr_agg(), not the host */
	int agg;
	int32_t agg_slot;
	/* how expr_agg tests a row, decided at load (expr_code.c) */
	uint8_t plan;          /* AGG_CODE, AGG_STR, AGG_INT */
	bool pwant;            /* the row holds when the test gives this */
	bool pnull;            /* AGG_INT: whether a null row holds */
	int32_t pslot;         /* the row slot tested */
	uint32_t plen;         /* AGG_STR: the constant's length and key */
	uint64_t pkey[2];
	int64_t plo, phi;      /* AGG_INT: the test as a range */
};
enum { AGG_CODE, AGG_STR, AGG_INT };

typedef struct expr_cins expr_cins;   /* expr_code.c */

struct expr {
	const enode *root;
	const expr_cins *code; /* the root as jump code, for expr_eval_bool */
	uint32_t ncode;
	expr_type type;
	expr_type want;
	unsigned uses;
	int scope;
	expr_host_fn host;
	bool owner;          /* false for a predicate inside another expr */
	arena mem;           /* everything of this expr (owner only) */
};

/* ---- environment (expr_env.c) ---------------------------------------- */

typedef struct expr_name_decl {
	char *name;
	int scope;
	expr_type type;
	int slot;
	unsigned needs;
} expr_name_decl;

typedef struct expr_ns_decl {
	char *prefix;        /* without the trailing dot */
	int scope;
	expr_type type;
	expr_ns_fn resolve;
	void *ud;
	unsigned needs;
} expr_ns_decl;

struct expr_env {
	expr_name_decl *names;
	size_t nnames, capnames;
	expr_ns_decl *nss;
	size_t nnss, capnss;
	expr_func_decl *funcs;   /* names copied */
	size_t nfuncs, capfuncs;
	expr_host_fn host;
};

const expr_name_decl *expr_env_find_name(const expr_env *env, const char *s, size_t n);
const expr_ns_decl *expr_env_find_ns(const expr_env *env, const char *s, size_t n);
const expr_func_decl *expr_env_find_func(const expr_env *env, const char *s, size_t n);

/* ---- built-ins (expr_builtin.c) ---------------------------------------- */

typedef enum expr_builtin_id {
	BI_FLOOR, BI_CEIL, BI_ROUND, BI_ABS, BI_MIN, BI_MAX, BI_LEN,
	BI_LOWER, BI_UPPER, BI_CONTAINS, BI_STARTS_WITH,
	BI_COUNT_
} expr_builtin_id;

typedef struct expr_builtin {
	const char *name;
	int min_args, max_args;
} expr_builtin;

extern const expr_builtin expr_builtins[BI_COUNT_];
int expr_builtin_find(const char *s, size_t n); /* id or -1 */
/* Static type of a call, or 0 when argument *bad can never fit; then
 * *need says what it needs ("a number"). */
expr_type expr_builtin_type(int id, const expr_type *argt, int n, int *bad, const char **need);
int expr_builtin_call(int id, const expr_value *args, int n, expr_frame *f, expr_value *out);

/* ---- values (expr_value.c) -------------------------------------------- */

int expr_arith(int op, const expr_value *a, const expr_value *b, expr_frame *f, expr_value *out);
int expr_negate(const expr_value *a, expr_frame *f, expr_value *out);
/* 1 true, 0 false, -1 run-time error (for OP_EQ..OP_IN) */
int expr_compare(int op, const expr_value *a, const expr_value *b, expr_frame *f);
/* -1, 0, 1 for two numbers (int or float, compared exactly) */
int expr_numcmp(const expr_value *a, const expr_value *b);
const char *expr_vtype_name(expr_vtype t);
/* "int", "string or null", ... into buf */
const char *expr_type_text(expr_type t, char *buf, size_t n);
const char *expr_op_text(int op);   /* "'+'", "'=='", ... */

/* ---- check (expr_check.c) --------------------------------------------- */

typedef struct expr_ctx {
	const expr_env *env;
	arena *mem;
	const char *src;
	unsigned uses;
	const char *in_pred;  /* the function whose predicate is being checked */
	uint32_t err_pos;
	char err[256];
} expr_ctx;

enode *expr_parse(expr_ctx *cx, const char *src, uint32_t n);
/* Resolve, type, fold, specialise the tree in place; NULL on error. */
enode *expr_check(expr_ctx *cx, enode *n, int scope);
int expr_errorf(expr_ctx *cx, uint32_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
enode *expr_node(expr_ctx *cx, int op, uint32_t pos, uint32_t start);

/* Call the host function of an OP_HOST node. */
int expr_call_host(const enode *n, expr_frame *f, expr_value *out);
/* A node's truth value (1, 0, -1 on error) by the tree walker. */
int expr_cond_node(const enode *n, expr_frame *f);

/* ---- jump code for conditions (expr_code.c) ----------------------------- */

/* Build the code of e and of every predicate inside it; expr_eval_bool
 * runs it. */
int expr_code_build(expr_ctx *cx, expr *e);

/* Short strings are compared without a loop or a libc call: the bytes of a
 * string of n <= 16 bytes folded into two words with loads that stay
 * inside the string (overlapping when n is not a power of two). Two
 * strings of the same length are equal iff their keys are: every byte is
 * covered by some load. A constant's key is computed once at load. */
static inline void expr_str_key(const char *p, uint32_t n, uint64_t key[2])
{
	uint64_t a, b;
	uint32_t x, y;
	if (n >= 8) {
		memcpy(&a, p, 8);
		memcpy(&b, p + n - 8, 8);
		key[0] = a;
		key[1] = b;
	} else if (n >= 4) {
		memcpy(&x, p, 4);
		memcpy(&y, p + n - 4, 4);
		key[0] = x | (uint64_t)y << 32;
		key[1] = 0;
	} else if (n > 0) {
		key[0] = (uint64_t)(unsigned char)p[0] | (uint64_t)(unsigned char)p[n / 2] << 8
			| (uint64_t)(unsigned char)p[n - 1] << 16;
		key[1] = 0;
	} else {
		key[0] = key[1] = 0;
	}
}

/* A native aggregate (an OP_HOST node whose call has agg set) over the
 * frame's rows: 0 with *out set, -1 on a run-time error. */
int expr_agg(const enode *n, expr_frame *f, expr_value *out);

/* An arithmetic node whose sub is ARITH_K_*: (name | host call) with an
 * int constant, without the tree's dispatch. */
int expr_arith_k(const enode *n, expr_frame *f, expr_value *out);

/* The evaluator's entry, used by folding too (before expr_prepare). */
int expr_eval_node(const enode *n, expr_frame *f, expr_value *out);
/* Last step of compiling: flattens and/or chains and picks each node's
 * cond function. -1 when out of memory. */
int expr_prepare(expr_ctx *cx, enode *n);

#endif
