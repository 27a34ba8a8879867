/* rules/program.h — a loaded, checked, compiled loyalty program (rules.md)
 * and the pure functions the engine and `loyaltyctl simulate` call on it.
 *
 * A program is immutable once loaded: the daemon shares one between
 * requests and swaps in a new one on reload (engine/reload.c keeps the
 * reference count; rules/ knows nothing about that). No I/O here except
 * reading the program's own files in program_load(). */
#ifndef RULES_PROGRAM_H
#define RULES_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lang/arena.h"
#include "rules/model.h"

typedef struct program program;

/* One load error: file is relative to the program directory. */
typedef struct prog_error {
	char *file;
	int line;
	int col;
	char *message;
} prog_error;

typedef struct prog_errors {
	prog_error *v;   /* sorted by file, line, column; at most 100 */
	size_t n;
} prog_errors;

/* Load a program from a YAML file or a directory (rules.md, "Files").
 * `lua_instructions` / `lua_memory_kb` are the sandbox budgets (0 =
 * defaults). Returns NULL and fills *errs (free with prog_errors_free) when
 * anything is wrong: the program is refused whole. */
typedef struct prog_limits {
	uint64_t lua_instructions;
	uint64_t lua_memory_kb;
	/* true: every Lua function is called through the sandbox, none is
	 * compiled into the expression language (rules/lua_compile.c). For
	 * tests that compare the two; the answers must not differ. */
	bool lua_no_compile;
} prog_limits;
program *program_load(const char *path, const prog_limits *lim, prog_errors *errs);
void program_free(program *p);
void prog_errors_free(prog_errors *errs);
/* "file:line:column: message" lines, one per error, for stderr and check. */
void prog_errors_print(const prog_errors *errs, FILE *out);

/* ---- what the program declares ----------------------------------------- */

const char *program_name(const program *p);
const char *program_version(const program *p); /* content hash: rules_version */
const char *program_timezone(const program *p);
int64_t program_point_value(const program *p);  /* minor units per point */

uint32_t program_ntiers(const program *p);
const char *program_tier_name(const program *p, uint32_t i);
uint32_t program_nrules(const program *p);
const char *program_rule_name(const program *p, uint32_t i);
uint32_t program_nsegments(const program *p);
const char *program_segment_name(const program *p, uint32_t i);
uint32_t program_nexperiments(const program *p);
const char *program_experiment_name(const program *p, uint32_t i);
const char *program_variant_name(const program *p, uint32_t exp, uint32_t variant);
bool program_experiment_running(const program *p, uint32_t exp, int64_t ts);

/* Failures of the program's Lua calls by kind since it loaded, for the
 * engine's stats (and logging each kind once): out[1] instruction budget,
 * out[2] memory budget, out[3] blocked function, out[4] other errors
 * (lang/luasb.h's LUASB_FAIL_*; out[0] unused). false when the program has
 * no Lua files. Defined in rules/lua_ctx.c. */
#define PROGRAM_LUA_NSTATUS 5
bool program_lua_failures(const program *p, uint64_t out[PROGRAM_LUA_NSTATUS]);
/* How many of the program's Lua functions (rules' when/points/...,
 * discounts' items/amount/max, segments) were compiled into the
 * expression language at load, out of how many. Defined in
 * rules/lua_compile.c. */
void program_lua_compiled(const program *p, uint32_t *compiled, uint32_t *total);
/* Why the i-th function that was not compiled runs in Lua, e.g.
 * "rules.lua:12: rule 'x', when: a loop" (the first 100); NULL past them. */
const char *program_lua_uncompiled(const program *p, uint32_t i);

/* ---- evaluation ---------------------------------------------------------- */

/* Evaluate a quote or purchase (rules.md: segments, experiments, the two
 * phases, redemption, points, tier after). `cust` is NULL for an anonymous
 * basket. All outcome memory comes from `mem`. */
void rl_evaluate(const program *p, const rl_customer *cust, const rl_basket *b,
	arena *mem, rl_outcome *out);

/* The customer's tier at time `ts` from its tier state ("Tiers, exactly"),
 * evaluating the tiers' `qualify` on the given customer values. Fills
 * qualified_at_out (ntiers entries) with the updated "last qualified" times
 * when `commit` is true. */
int rl_tier_at(const program *p, const rl_customer *cust, int64_t ts, bool commit,
	int64_t *qualified_at_out);

/* Segments that hold for the customer alone (no request names), at `ts`:
 * for the `customer` op. Indexes in definition order into out[] (room for
 * program_nsegments(p) entries); returns how many. */
uint32_t rl_customer_segments(const program *p, const rl_customer *cust, int64_t ts,
	arena *mem, int *out);

/* Variant of experiment `exp` for customer id (-1 when outside traffic or
 * held out), a pure function of (salt, id, weights, traffic) and the
 * program's holdout: doc/experiments.md. Defined in rules/experiment.c. */
int rl_assign_variant(const program *p, uint32_t exp, const char *id, size_t n);

/* Global holdout (doc/experiments.md, "Global holdout"): whether the program
 * has one (its percent × 100 and salt through the pointers, either may be
 * NULL), and whether customer id is held out — then only rules marked
 * `holdout: exempt` fire for it and it is in no experiment. Answers list
 * `"holdout": true` for such a customer. Anonymous baskets are never held
 * out. Defined in rules/experiment.c. */
bool program_has_holdout(const program *p, int64_t *percent_x100, const char **salt);
bool rl_held_out(const program *p, const char *id, size_t n);

/* Local calendar fields of `ts` in the program's timezone. */
typedef struct rl_civil {
	int year, month, day, hour, minute, second, weekday; /* weekday 0 = mon */
	int utc_offset_s;
} rl_civil;
void rl_civil_time(const program *p, int64_t ts, rl_civil *out);

#endif
