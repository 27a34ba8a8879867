/* tests/fuzz/fuzz-program.c — libFuzzer target for the rule program loader
 * (rules/yaml_doc.c, load.c, load_yaml.c, load_check.c, load_lua.c) and,
 * whenever an input loads, for evaluating the compiled program: any bytes
 * as a program file, then a few fixed baskets through rl_evaluate,
 * rl_tier_at and rl_customer_segments against a fixed customer.
 *
 * Three modes, chosen by the input itself so that one corpus holds all:
 *   - input starting with "--lua": written as rules.lua next to a fixed
 *     program.yaml (the prefix is a Lua comment, the rest is Lua source):
 *     the Lua loader, rule{}/segment() checks and the sandbox;
 *   - input starting with "#multi": split at lines "#--" into up to four
 *     files program.yaml, a.yaml, b.lua, c.yaml (read in that order):
 *     definitions across files, duplicates, Lua next to YAML;
 *   - anything else: written as program.yaml, alone in the directory.
 * Beyond "no crash, no leak, no UB, no hang" it checks what the engine
 * relies on: a refused program has at least one error, each with a file and
 * a message; an evaluated outcome is internally consistent.
 * Build: configure CC=clang CFLAGS='-O1 -g -fsanitize=fuzzer-no-link,address,undefined'
 * --enable-fuzzing; run: tests/fuzz/fuzz-program -dict=tests/fuzz/program.dict
 * tests/fuzz/corpus-program */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lang/arena.h"
#include "rules/program.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The program the Lua mode's rules.lua joins: tiers, a segment, an
 * experiment, so that Lua rules naming them can load (the examples' Lua
 * rules load against it). */
static const char lua_program[] =
	"program: fuzz-lua\n"
	"currency: INR\n"
	"timezone: Asia/Kolkata\n"
	"points:\n"
	"  value: 25\n"
	"tiers:\n"
	"  - name: bronze\n"
	"  - name: silver\n"
	"    qualify: spend_12m >= 500000\n"
	"  - name: gold\n"
	"    qualify: spend_12m >= 1500000\n"
	"segments:\n"
	"  regulars: purchase_count >= 10\n"
	"  lapsed: days_since_last_purchase > 90\n"
	"experiments:\n"
	"  - name: tuesday-points\n"
	"    variants: {control: 50, double: 50}\n"
	"    start: 2025-11-01\n";

static char dir[64];
/* every file an input can become; the directory holds only these */
enum { F_PROGRAM, F_RULES_LUA, F_A, F_B, F_C, F__N };
static const char *const fnames[F__N] = { "program.yaml", "rules.lua", "a.yaml", "b.lua", "c.yaml" };
static char paths[F__N][96];

static void check(bool cond)
{
	if (!cond)
		abort();
}

static void cleanup(void)
{
	for (int i = 0; i < F__N; i++)
		unlink(paths[i]);
	rmdir(dir);
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/fuzz-program-XXXXXX");
	check(mkdtemp(dir) != NULL);
	for (int i = 0; i < F__N; i++)
		snprintf(paths[i], sizeof paths[i], "%s/%s", dir, fnames[i]);
	atexit(cleanup);
}

static void put(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	check(f != NULL);
	check(fwrite(p, 1, n, f) == n);
	check(fclose(f) == 0);
}

/* The first line of [p, end) that starts with `mark`, or NULL. */
static const char *line_at(const char *p, const char *end, const char *mark)
{
	size_t n = strlen(mark);
	for (const char *l = p; l && (size_t)(end - l) >= n; ) {
		if (memcmp(l, mark, n) == 0)
			return l;
		l = memchr(l, '\n', (size_t)(end - l));
		if (l)
			l++;
	}
	return NULL;
}

#define S(lit) ((rl_str){ (lit), (uint32_t)(sizeof(lit) - 1) })

static void check_outcome(const program *p, const rl_basket *b, const rl_outcome *o)
{
	if (o->status != RL_OK)
		return;
	check(o->total >= 0);
	check(o->discount_total >= 0 && o->discount_total <= o->subtotal);
	int64_t sum = 0;
	for (uint32_t i = 0; i < b->nitems; i++) {
		check(o->lines[i].discount >= 0);
		sum += o->lines[i].discount;
	}
	check(sum == o->discount_total);
	for (uint32_t i = 0; i < o->napplied; i++)
		check(o->applied[i].rule >= 0 && (uint32_t)o->applied[i].rule < program_nrules(p));
	for (uint32_t i = 0; i < o->nsegments; i++)
		check(o->segments[i] >= 0 && (uint32_t)o->segments[i] < program_nsegments(p));
	for (uint32_t i = 0; i < o->nwarnings; i++)
		check(o->warnings[i].message != NULL);
	check(o->ncoupons == b->ncoupons);
}

/* Everything the engine asks of a loaded program, on fixed inputs. */
static void exercise(const program *p, arena *mem)
{
	check(program_name(p) && program_version(p) && program_timezone(p));
	uint32_t nt = program_ntiers(p);
	for (uint32_t i = 0; i < nt; i++)
		check(program_tier_name(p, i) != NULL);
	for (uint32_t i = 0; i < program_nrules(p); i++)
		check(program_rule_name(p, i) != NULL);
	for (uint32_t i = 0; i < program_nsegments(p); i++)
		check(program_segment_name(p, i) != NULL);
	for (uint32_t i = 0; i < program_nexperiments(p); i++) {
		check(program_experiment_name(p, i) != NULL);
		(void)program_experiment_running(p, i, 1767225600);
		(void)rl_assign_variant(p, i, "c-42", 4);
	}
	(void)rl_held_out(p, "c-42", 4);

	static const rl_str tags[] = { { "organic", 7 }, { "promo", 5 } };
	const rl_item items[] = {
		{ S("ESP-DBL"), S("coffee"), 2, 18000, NULL, 0 },
		{ S("CROISSANT"), S("pastry"), 3, 12000, tags, 1 },
		{ S("BEANS-1KG"), S("beans"), 1, 120000, tags, 2 },
		{ S("MUG"), { NULL, 0 }, 1000, 0, NULL, 0 },
	};
	static const rl_str coupons[] = { { "SAVE10", 6 }, { "BEANS20", 7 }, { "SAVE10", 6 } };
	const rl_attr battrs[] = { { S("table"), { .t = EV_INT, .u.i = 7 } } };
	const rl_attr cattrs[] = {
		{ S("birth_month"), { .t = EV_INT, .u.i = 1 } },
		{ S("city"), { .t = EV_STR, .u.s = { "Pune", 4 } } },
		{ S("vip"), { .t = EV_BOOL, .u.b = true } },
		{ S("score"), { .t = EV_FLOAT, .u.f = 2.5 } },
		{ S("none"), { .t = EV_NULL } },
	};
	const rl_fire fires[] = { { S("birthday-drink"), 1735689600 }, { S("r"), 1767000000 } };
	int64_t *tq = arena_calloc(mem, nt + 1, sizeof *tq);
	check(tq != NULL);
	for (uint32_t i = 0; i < nt; i++)
		tq[i] = 1760000000 - (int64_t)i * 86400 * 200;
	const rl_customer cust = {
		.id = S("c-42"), .exists = true, .points = 1200, .lifetime_spend = 2500000,
		.spend_12m = 900000, .purchase_count = 17, .has_last_purchase = true,
		.last_purchase_at = 1760000000, .enrolled_at = 1600000000,
		.referred_by = S("c-7"), .referrals = 2, .attrs = cattrs, .nattrs = 5,
		.tier_qualified_at = tq, .ntiers = nt, .fires = fires, .nfires = 2,
	};
	const rl_customer fresh = {
		.id = S("new-1"), .enrolled_at = 1767225600,
	};
	rl_basket bs[3];
	memset(bs, 0, sizeof bs);
	/* a morning weekday store basket with coupons and redemption */
	bs[0].items = items;
	bs[0].nitems = 4;
	bs[0].coupons = coupons;
	bs[0].ncoupons = 3;
	bs[0].channel = S("store");
	bs[0].store = S("PUN-01");
	bs[0].ts = 1767240000; /* 2026-01-01 04:00 UTC, 09:30 in Kolkata */
	bs[0].has_redeem = true;
	bs[0].redeem_points = 100;
	bs[0].attrs = battrs;
	bs[0].nattrs = 1;
	/* one line, online, a Sunday evening */
	bs[1].items = items;
	bs[1].nitems = 1;
	bs[1].channel = S("online");
	bs[1].ts = 1767450000;
	/* a zero-priced line alone */
	bs[2].items = items + 3;
	bs[2].nitems = 1;
	bs[2].ts = 1700000000;

	const rl_customer *custs[] = { &cust, &fresh, NULL };
	for (size_t ci = 0; ci < 3; ci++)
		for (size_t bi = 0; bi < 3; bi++) {
			rl_outcome o, again;
			uint64_t f0[PROGRAM_LUA_NSTATUS] = { 0 }, f1[PROGRAM_LUA_NSTATUS] = { 0 };
			(void)program_lua_failures(p, f0);
			rl_evaluate(p, custs[ci], &bs[bi], mem, &o);
			check_outcome(p, &bs[bi], &o);
			rl_evaluate(p, custs[ci], &bs[bi], mem, &again);
			(void)program_lua_failures(p, f1);
			/* a pure function: the same inputs, the same answer (doc/lua.md:
			 * "no state survives a call") — unless a Lua call ran out of
			 * memory, which depends on what the collector has freed */
			check(f1[2] != f0[2] || (again.status == o.status && again.total == o.total
				&& again.discount_total == o.discount_total && again.earned == o.earned
				&& again.napplied == o.napplied && again.tier_after == o.tier_after
				&& again.nsegments == o.nsegments && again.nexperiments == o.nexperiments));
		}
	int64_t *after = arena_calloc(mem, nt + 1, sizeof *after);
	check(after != NULL);
	int t = rl_tier_at(p, &cust, 1767240000, true, after);
	check(t >= -1 && (nt == 0 || t < (int)nt));
	int *segs = arena_calloc(mem, program_nsegments(p) + 1, sizeof *segs);
	check(segs != NULL);
	uint32_t ns = rl_customer_segments(p, &cust, 1767240000, mem, segs);
	check(ns <= program_nsegments(p));
	rl_civil cv;
	rl_civil_time(p, 1767240000, &cv);
	check(cv.month >= 1 && cv.month <= 12 && cv.weekday >= 0 && cv.weekday <= 6);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static arena mem;
	static bool init;
	if (!init) {
		setup();
		arena_init(&mem, 64 * 1024, 64u << 20);
		init = true;
	}
	if (size > 256 * 1024)
		return 0;
	for (int i = 0; i < F__N; i++)
		unlink(paths[i]);
	if (size >= 5 && memcmp(data, "--lua", 5) == 0) {
		put(paths[F_PROGRAM], lua_program, sizeof lua_program - 1);
		put(paths[F_RULES_LUA], data, size);
	} else if (size >= 6 && memcmp(data, "#multi", 6) == 0) {
		static const int order[] = { F_PROGRAM, F_A, F_B, F_C };
		const char *p = (const char *)data, *end = p + size;
		for (size_t k = 0; k < 4 && p; k++) {
			const char *cut = line_at(p, end, "#--\n");
			put(paths[order[k]], p, (size_t)((cut ? cut : end) - p));
			p = cut ? cut + 4 : NULL;
		}
	} else {
		put(paths[F_PROGRAM], data, size);
	}
	/* small sandbox budgets: a runaway rule costs the fuzzer little time
	 * and still reaches the budget paths */
	const prog_limits lim = { .lua_instructions = 200000, .lua_memory_kb = 4096 };
	prog_errors errs;
	memset(&errs, 0, sizeof errs);
	program *p = program_load(dir, &lim, &errs);
	if (!p) {
		check(errs.n >= 1 && errs.n <= 100);
		for (size_t i = 0; i < errs.n; i++)
			check(errs.v[i].file && errs.v[i].message && errs.v[i].message[0]);
		prog_errors_free(&errs);
		return 0;
	}
	check(errs.n == 0);
	arena_reset(&mem);
	exercise(p, &mem);
	program_free(p);
	return 0;
}
