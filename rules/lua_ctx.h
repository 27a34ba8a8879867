/* rules/lua_ctx.h — the bridge between a program and its Lua sandbox:
 * what rules/load_lua.c builds while it loads *.lua files and what
 * rules/lua_ctx.c uses to call a rule's function on a request.
 *
 * One bridge (one luasb) per program; it lives as long as the program
 * (program.lua / lua_call / lua_free in rules/prog_impl.h). The request is
 * never copied into Lua: `ctx`, `ctx.customer`, `ctx.attr`, `ctx.items`
 * and each item are userdata whose fields are read from the evaluator's
 * rl_ctx while the call runs. */
#ifndef RULES_LUA_CTX_H
#define RULES_LUA_CTX_H

#include "lang/luasb.h"
#include "rules/eval_ctx.h"

/* What a function stands for, so that a wrong result gets a message that
 * names the key (`when` must return true, false or nil). */
typedef enum rl_lua_role {
	LR_WHEN = 1, LR_ITEMS, LR_POINTS, LR_BONUS, LR_REFERRER, LR_AMOUNT, LR_MAX, LR_SEGMENT,
} rl_lua_role;

typedef struct rl_lua {
	luasb *sb;
	rl_ctx *x;              /* the evaluation under way; NULL between calls */
	const program *p;
	int ref_ctx;            /* the ctx userdata */
	int ref_items;          /* ctx.items */
	int ref_customer;       /* ctx.customer */
	int ref_attr;           /* ctx.attr */
	int ref_item_cache;     /* table: line index + 1 -> item userdata */
	void *load_state;       /* rules/load_lua.c's, in the program's arena */
	/* field names of ctx, ctx.customer and items as interned Lua strings:
	 * __index compares the key's address (no table lookup). The strings
	 * stay alive as keys of the metatables' name tables. */
	struct rl_lua_keys {
		const char *k[24];
		int id[24];
		int n;
	} keys[5];
	uint8_t *roles;         /* by reference */
	size_t nroles;
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

/* Remember the role of a function reference. */
int rl_lua_set_role(rl_lua *lx, int ref, rl_lua_role role);

#endif
