/* lang/lua_int.h — the inside of a sandbox, shared by the files that build
 * it: luasb.c (state, budgets, load, call), lua_lib.c (the library
 * allow-list and its wrappers), lua_freeze.c (read-only tables, upvalue
 * snapshots). Nothing outside lang/lua*.c includes this. */
#ifndef LANG_LUA_INT_H
#define LANG_LUA_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <lauxlib.h>
#include <lua.h>

#include "lang/arena.h"
#include "lang/luasb.h"

struct luasb {
	lua_State *L;
	/* memory: the whole state */
	size_t mem_used;
	size_t mem_budget;
	bool mem_hit;         /* an allocation was refused for the budget */
	bool strcap_hit;      /* ... or for the string length cap */
	/* instructions: one call */
	uint64_t instr_budget;
	int hook_every;       /* the count hook's period */
	uint64_t instr_used;  /* counted by the hook, in periods */
	uint64_t debt;        /* charged for C work (bytes, elements) */
	bool in_call;         /* budgets armed (luasb_call / luasb_load) */
	/* sticky failures of the running call: once set, every pcall in the
	 * script re-raises, so that no script can swallow them */
	bool instr_tripped;
	bool mem_tripped;
	bool blocked_tripped;
	char trip_where[96];  /* "file.lua:LINE" where the budget ran out */
	/* registry references */
	int ref_base;         /* R: the real base table (never reachable by scripts) */
	int ref_roots;        /* functions kept during the running load */
	int ref_snap;         /* upvalue snapshot: {fn, value} pairs */
	int *snap_idx;        /* upvalue index of each snapshot pair */
	size_t nsnap, snap_cap;
	bool upvalues_written; /* some function may assign an upvalue: restore after calls */
	/* functions kept with the loaded files (anchored in ref_perm, so
	 * their addresses never change nor get reused): address -> id, open
	 * addressing, for hosts that remember results (luasb_fn_id) */
	int ref_perm;
	const void **fn_key;
	uint32_t *fn_val;
	size_t fn_cap, nfn;
	const char *loading;  /* file name while a load runs */
	uint64_t failures[LUASB_NSTATUS];
	uint64_t last_cost;
};

/* The marker key in metatables the sandbox made read-only. */
#define LUASB_RO_KEY "__luasb_ro"

/* lua_lib.c: open the allowed libraries into R (at -1) with their wrappers
 * and lock the string metatable. Runs inside a protected call. */
void luasb_open_libs(lua_State *L, luasb *sb);

/* lua_freeze.c */
/* Make the table at idx read-only in place (its identity is kept: its
 * contents move to a hidden table). */
void luasb_freeze_table(lua_State *L, int idx);
bool luasb_is_frozen(lua_State *L, int idx);
/* Freeze everything reachable from the table at idx and from the functions
 * in the roots table, recording upvalues in the snapshot. Raises on data
 * nested too deep. */
void luasb_freeze_reachable(lua_State *L, luasb *sb, int env_idx);
/* Put every recorded upvalue back (after each call). */
void luasb_restore_upvalues(luasb *sb);

/* lua_bytecode.c: may the function (or a closure it makes) assign to an
 * upvalue? true when unsure. */
bool luasb_fn_may_write_upvalues(lua_State *L, int idx);

/* lua_bytecode.c: a function's prototype as lua_dump (5.4, stripped)
 * writes it, in `mem`; NULL for a C function or anything unexpected. */
typedef struct lproto_k {
	int t;                /* LUA_TNIL, LUA_TBOOLEAN, LUA_TNUMBER, LUA_TSTRING */
	bool isint, b;
	lua_Integer i;
	lua_Number f;
	const char *s;        /* NUL-terminated copy; n bytes */
	size_t n;
} lproto_k;
typedef struct lproto lproto;
struct lproto {
	const uint32_t *code;
	uint32_t ncode;
	lproto_k *k;
	uint32_t nk;
	struct { uint8_t instack, idx, kind; } *up;
	uint32_t nup;
	lproto **p;
	uint32_t np;
	uint8_t numparams, is_vararg, maxstack;
};
lproto *luasb_proto_read(lua_State *L, int idx, arena *mem);

/* Lua 5.4's instruction format and the opcodes its readers look at
 * (lopcodes.h of 5.4: the numbering is the enum's order there). */
#define LOP_OP(i)   ((int)((i) & 0x7f))
#define LOP_A(i)    ((int)(((i) >> 7) & 0xff))
#define LOP_K(i)    ((int)(((i) >> 15) & 1))
#define LOP_B(i)    ((int)(((i) >> 16) & 0xff))
#define LOP_C(i)    ((int)(((i) >> 24) & 0xff))
#define LOP_SB(i)   (LOP_B(i) - 127)
#define LOP_SC(i)   (LOP_C(i) - 127)
#define LOP_BX(i)   ((int)((i) >> 15))
#define LOP_SBX(i)  (LOP_BX(i) - 65535)
#define LOP_AX(i)   ((int)((i) >> 7))
#define LOP_SJ(i)   ((int)((i) >> 7) - 16777215)
enum {
	LOP_MOVE, LOP_LOADI, LOP_LOADF, LOP_LOADK, LOP_LOADKX, LOP_LOADFALSE, LOP_LFALSESKIP,
	LOP_LOADTRUE, LOP_LOADNIL, LOP_GETUPVAL, LOP_SETUPVAL, LOP_GETTABUP, LOP_GETTABLE,
	LOP_GETI, LOP_GETFIELD, LOP_SETTABUP, LOP_SETTABLE, LOP_SETI, LOP_SETFIELD,
	LOP_NEWTABLE, LOP_SELF, LOP_ADDI, LOP_ADDK, LOP_SUBK, LOP_MULK, LOP_MODK, LOP_POWK,
	LOP_DIVK, LOP_IDIVK, LOP_BANDK, LOP_BORK, LOP_BXORK, LOP_SHRI, LOP_SHLI, LOP_ADD,
	LOP_SUB, LOP_MUL, LOP_MOD, LOP_POW, LOP_DIV, LOP_IDIV, LOP_BAND, LOP_BOR, LOP_BXOR,
	LOP_SHL, LOP_SHR, LOP_MMBIN, LOP_MMBINI, LOP_MMBINK, LOP_UNM, LOP_BNOT, LOP_NOT,
	LOP_LEN, LOP_CONCAT, LOP_CLOSE, LOP_TBC, LOP_JMP, LOP_EQ, LOP_LT, LOP_LE, LOP_EQK,
	LOP_EQI, LOP_LTI, LOP_LEI, LOP_GTI, LOP_GEI, LOP_TEST, LOP_TESTSET, LOP_CALL,
	LOP_TAILCALL, LOP_RETURN, LOP_RETURN0, LOP_RETURN1, LOP_FORLOOP, LOP_FORPREP,
	LOP_TFORPREP, LOP_TFORCALL, LOP_TFORLOOP, LOP_SETLIST, LOP_CLOSURE, LOP_VARARG,
	LOP_VARARGPREP, LOP_EXTRAARG
};

/* luasb.c */
void luasb_trip_instr(lua_State *L, luasb *sb);

#endif
