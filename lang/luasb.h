/* lang/luasb.h — a Lua 5.4 sandbox for code written by other people
 * (rules.md, "Lua rules"; STYLE.md, "Lua sandbox"). One sandbox is one
 * lua_State with a memory budget for its whole life and an instruction
 * budget for every call into it; it is built once per loaded program
 * version and reused by every request (never one state per request).
 *
 * What a script can reach: the base functions on an allow-list, string,
 * table, math and utf8 (read-only), and whatever globals the host adds with
 * luasb_set_global(). What it cannot: io, os, package, debug, coroutine,
 * load/loadfile/dofile/require, collectgarbage, string.dump, math.random,
 * bytecode, __gc metamethods, the shared string metatable, and any state
 * that outlives a call (after a file is loaded its globals, the tables they
 * reach and the upvalues of its functions are frozen; upvalues are put back
 * after every call).
 *
 * This layer knows nothing about loyalty. Not thread-safe: one thread uses
 * a sandbox at a time. */
#ifndef LANG_LUASB_H
#define LANG_LUASB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lua.h>

typedef struct luasb luasb;

/* Outcome of a load or a call; the failure kinds are counted separately
 * (luasb_failures) so that the engine can report and log each kind. */
typedef enum luasb_status {
	LUASB_OK = 0,
	LUASB_FAIL_INSTR,   /* instruction budget of the call exceeded */
	LUASB_FAIL_MEMORY,  /* memory budget of the state exceeded, or a too long string */
	LUASB_FAIL_BLOCKED, /* the script reached for something the sandbox withholds */
	LUASB_FAIL_ERROR,   /* any other error: syntax, run time, error() */
	LUASB_NSTATUS
} luasb_status;

/* Defaults of the config (running.md: lua: {instructions, memory_kb}). */
#define LUASB_DEFAULT_INSTRUCTIONS 1000000u
#define LUASB_DEFAULT_MEMORY ((size_t)8192 * 1024)
/* The longest string a script may create. Bounding it bounds the work one
 * VM instruction can do on a string (==, <, .., hashing), which the
 * instruction hook cannot see. */
#define LUASB_MAX_STRING 8192
/* C library functions do work the count hook does not see; they are
 * charged one instruction for this many bytes they scan... */
#define LUASB_BYTES_PER_INSTR 32
/* ... and for this many bytes the state grows by during a call (allocating,
 * filling and collecting a byte costs about what an instruction does per
 * 4 bytes: bench-lua's string churn runaway). */
#define LUASB_ALLOC_BYTES_PER_INSTR 4

/* A new sandbox: 0 budgets mean the defaults. NULL and a message in err
 * when the memory budget cannot even hold the libraries. */
luasb *luasb_new(uint64_t instr_budget, size_t mem_budget, char *err, size_t errsz);
void luasb_free(luasb *sb);

/* The state, for host code that pushes arguments and reads results and
 * registers its own functions. Host code must not run Lua code (no
 * lua_call, no metamethod-triggering lua_gettable on script values)
 * outside luasb_load/luasb_call: budgets are only armed there. */
lua_State *luasb_state(luasb *sb);
/* The sandbox a state belongs to (for host C functions). */
luasb *luasb_from(lua_State *L);

/* Pop the value on top of the stack into the read-only base that every
 * file's globals fall back to (e.g. the host's `rule` function). Only
 * before the first luasb_load. */
int luasb_set_global(luasb *sb, const char *name);

/* Run the text of one file (`name` becomes the chunk name "@name", so
 * messages read "name:LINE: ..."). Text only: binary chunks are refused.
 * The file gets its own globals table; it may define globals while it runs
 * but not redefine the base ones; afterwards they are read-only. Returns
 * LUASB_OK or a failure kind with "name:LINE: message" in err. */
luasb_status luasb_load(luasb *sb, const char *name, const char *buf, size_t len,
	char *err, size_t errsz);

/* The file being loaded, for host functions called from its main chunk
 * (NULL outside luasb_load). */
const char *luasb_loading(const luasb *sb);

/* Pop the value on top of the stack and keep it for later calls; returns a
 * reference (> 0). A function kept while a file loads is frozen with the
 * file (its upvalues are restored after every call). */
int luasb_ref(luasb *sb);
void luasb_push_ref(luasb *sb, int ref);

/* Call the function `ref` with the `nargs` values on top of the stack
 * (popped), under a fresh instruction budget. LUASB_OK leaves exactly one
 * result on the stack (the caller pops it); a failure leaves nothing and
 * "file:LINE: message" in err. Called from a host function while a call
 * runs, it runs within that call's budget. Index 1 of the state's stack
 * belongs to the sandbox (its message handler): hosts work above it. */
luasb_status luasb_call(luasb *sb, int ref, int nargs, char *err, size_t errsz);
/* The same without moving anything on the stack: push the function with
 * luasb_push_fn, then the arguments, then luasb_pcall (same `ref`). */
void luasb_push_fn(luasb *sb, int ref);
luasb_status luasb_pcall(luasb *sb, int ref, int nargs, char *err, size_t errsz);

/* For host C functions that do work proportional to `cost` elements:
 * charge it to the running call's instruction budget; raises (does not
 * return) when the budget is exceeded. */
void luasb_charge(lua_State *L, uint64_t cost);

/* Raise a "blocked" error from a host function (counted as such). */
int luasb_blocked(lua_State *L, const char *what);

/* Make the tables whose metatable is at idx read-only for the sandbox's
 * own rawset (a host's proxy: an empty table whose metatable has __index
 * and a raising __newindex). Only inside a protected call (it allocates). */
void luasb_mark_readonly(lua_State *L, int idx);

/* A small id (0, 1, ...) of a Lua function kept with a loaded file (every
 * function reachable from a file's globals or from what it passed to
 * luasb_ref), or -1 for anything else (a closure made during a call, a C
 * function). A kept function lives as long as the sandbox, so its address
 * is never reused. */
int luasb_fn_id(const luasb *sb, const void *fn);
/* true when no kept function (nor a closure it makes) can assign an
 * upvalue: a kept function then computes its result from its arguments and
 * read-only data alone, and a host may remember it for equal arguments
 * (rules/lua_ctx.c remembers item predicates for a request). */
bool luasb_fns_pure(const luasb *sb);

uint64_t luasb_failures(const luasb *sb, luasb_status kind);
/* Count a failure the host saw on the sandbox's behalf: a function
 * compiled out of the sandbox (lang/lua_compile.h) that raised where the
 * Lua would have. */
void luasb_count_failure(luasb *sb, luasb_status kind);
size_t luasb_mem_used(const luasb *sb);
uint64_t luasb_instr_budget(const luasb *sb);
/* Instructions (plus charges) the last call used. */
uint64_t luasb_last_cost(const luasb *sb);

#endif
