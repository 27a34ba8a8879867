/* rules/lua_ctx.h — the bridge between a program and its Lua sandbox:
 * what rules/load_lua.c builds while it loads *.lua files and what
 * rules/lua_ctx.c uses to call a rule's function on a request.
 *
 * One bridge (one luasb) per program; it lives as long as the program
 * (program.lua / lua_call / lua_free in rules/prog_impl.h). The request is
 * never copied into Lua as a whole: `ctx`, `ctx.customer`, `ctx.attr`,
 * `ctx.items` and each item are read-only proxies whose fields are read
 * from the evaluator's rl_ctx on first use in a request and kept in hidden
 * tables for the request's later calls. Indexes 2 and 3 of the state's
 * stack (above the sandbox's 1) hold ctx and the lines table for the
 * program's life (rl_lua_ctx_init): code using the state works above them. */
#ifndef RULES_LUA_CTX_H
#define RULES_LUA_CTX_H

#include "lang/luasb.h"
#include "rules/eval_ctx.h"

/* What a function stands for, so that a wrong result gets a message that
 * names the key (`when` must return true, false or nil). */
typedef enum rl_lua_role {
	LR_WHEN = 1, LR_ITEMS, LR_POINTS, LR_BONUS, LR_REFERRER, LR_AMOUNT, LR_MAX, LR_SEGMENT,
} rl_lua_role;

/* Remembered results of kept item predicates for one request
 * (rules/lua_ctx.c, "memo"). */
#define RL_LUA_MEMO 1024
#define RL_LUA_NOTES 100
typedef struct rl_lua_memo {
	uint32_t gen;           /* the request it belongs to */
	int32_t fn;             /* luasb_fn_id */
	uint32_t line;
	uint8_t nargs;          /* f(item) and f(item, ctx) may differ */
	uint8_t val;            /* 1 false, 2 true, 3 nil */
} rl_lua_memo;

typedef struct rl_lua {
	luasb *sb;
	rl_ctx *x;              /* the evaluation under way; NULL between calls */
	const program *p;
	void *load_state;       /* rules/load_lua.c's, in the program's arena */
	uint8_t *roles;         /* by reference */
	int32_t *fn_of_ref;     /* by reference: (luasb_fn_id + 2) * 2 + 1 if it takes
	                         * one parameter; 0 not asked yet (ref_fn) */
	size_t nroles;
	uint32_t nfuncs;        /* functions of the program (rules/lua_compile.c) */
	uint32_t ncompiled;     /* ... of them compiled into expressions */
	const char *why_lua[RL_LUA_NOTES]; /* "file:line: rule 'x' when: reason" of
	                         * the first ones not compiled, in the program's arena */
	uint32_t nwhy;
	/* registry references: ctx, ctx.customer, ctx.attr, ctx.items are
	 * read-only proxies (empty tables); ctx's and the customer's metatable
	 * point __index at a data table filled on first use in a request */
	int ref_ctx, ref_ctx_mt, ref_ctx_data, ref_ctx_fill;
	int ref_cust, ref_cust_mt, ref_cust_data, ref_cust_fill;
	int ref_attr, ref_items;
	int ref_item_dm, ref_item_fill, ref_item_ro, ref_item_ts; /* shared by lines */
	int ref_keys;           /* field names, interned once (lua_ctx.c KEY_*) */
	int ref_lines;          /* line i: [4i+1] proxy [4i+2] metatable [4i+3] data [4i+4] fill */
	const void *ctx_ptr;    /* the ctx proxy, to check methods' self */
	/* the request the data tables hold (see begin_request) */
	const void *req_x;
	uint32_t gen;
	bool ctx_filled, cust_filled;
	uint32_t nlines_filled; /* lines 0.. hold this request's values */
	uint32_t nlines_made;
	expr_value shadow[VS_NFIXED]; /* VS_TIER.. as the customer's fill saw them */
	/* bumped by every read of something that changes within a request
	 * (net, an item's net): a call that saw it bumped is not remembered */
	uint64_t impure;
	rl_lua_memo memo[RL_LUA_MEMO];
} rl_lua;

/* lua_ctx.c */
/* Set up the ctx machinery in a new sandbox (before any file loads). */
int rl_lua_ctx_init(rl_lua *lx, char *err, size_t errsz);
/* program.lua_call: evaluate code->lua_ref for the request `ctx`. */
int rl_lua_call(void *lua, const rl_code *code, void *ctx, int item,
	expr_value *out, char *err, size_t errsz);
void rl_lua_free(void *lua);
/* Failures of the program's Lua calls by kind since it loaded
 * (out[LUASB_FAIL_INSTR..LUASB_FAIL_ERROR]; out[0] unused), for the
 * engine's stats and its log-each-kind-once. false when the program has no
 * Lua. Proposed for rules/program.h as program_lua_failures(). */
bool program_lua_failures(const program *p, uint64_t out[LUASB_NSTATUS]);

/* "when", "items", ...: the key a function stands for. */
const char *rl_lua_role_name(rl_lua_role r);

/* Remember the role of a function reference. */
int rl_lua_set_role(rl_lua *lx, int ref, rl_lua_role role);

#endif
