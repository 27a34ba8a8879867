/* bench/bench-lua.c — what Lua rules cost against YAML rules: coffee-club
 * written in YAML (examples/coffee-club) and in Lua (examples/coffee-club-lua)
 * evaluated on the same generated baskets in the same run, baskets/s of
 * each and the ratio; every basket's outcome is compared, so the figure is
 * for identical work. Also timed with them: the floor of Lua rules, as
 * many rules whose `when` only returns false (one protected call each and
 * nothing else), which bounds what any Lua program of that many rules can
 * reach against YAML. Then what a runaway rule costs under the default
 * budgets (an endless loop, an endless loop inside pcall, string churn, a
 * backtracking pattern, a memory bomb): the time of one request that hits
 * it, which is the most a script can take from the daemon.
 *
 *   bench-lua [--yaml DIR] [--lua DIR] [--baskets N] [--passes K]
 *
 * Baskets come from a fixed xorshift seed over the workload's catalog
 * (shared/bench/WORKLOAD.md), customers from the same generator, so runs
 * are comparable. Not a test: nothing here asserts a time. The shared
 * workload and the plain-Lua peer are bench/bench-lua.sh's. */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lang/arena.h"
#include "rules/program.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 33) % n;
}

static const struct { const char *sku, *cat; int64_t price; } CATALOG[] = {
	{ "ESPRESSO", "coffee", 18000 }, { "AMERICANO", "coffee", 20000 }, { "LATTE-M", "coffee", 24000 },
	{ "LATTE-L", "coffee", 28000 }, { "CAPPUCCINO", "coffee", 24000 }, { "FLAT-WHITE", "coffee", 26000 },
	{ "COLD-BREW", "coffee", 30000 }, { "MOCHA", "coffee", 29000 }, { "MASALA-CHAI", "tea", 15000 },
	{ "GREEN-TEA", "tea", 16000 }, { "ICED-TEA", "tea", 19000 }, { "CROISSANT", "pastry", 14000 },
	{ "ALMOND-CROISSANT", "pastry", 18000 }, { "MUFFIN", "pastry", 12000 }, { "BROWNIE", "pastry", 11000 },
	{ "CINNAMON-ROLL", "pastry", 16000 }, { "BANANA-BREAD", "pastry", 13000 },
	{ "VEG-SANDWICH", "food", 26000 }, { "PANEER-WRAP", "food", 29000 }, { "QUICHE", "food", 31000 },
	{ "BEANS-HOUSE-250", "beans", 65000 }, { "BEANS-ETHIOPIA-250", "beans", 89000 },
	{ "BEANS-DECAF-250", "beans", 72000 }, { "CAPS-ESP10", "capsules", 42000 },
	{ "CAPS-LUNGO10", "capsules", 45000 }, { "MUG", "merch", 55000 }, { "TUMBLER", "merch", 120000 },
	{ "TOTE", "merch", 45000 },
};
#define NCAT (sizeof CATALOG / sizeof CATALOG[0])

typedef struct req {
	rl_basket b;
	rl_item items[6];
	rl_str coupons[2];
	rl_customer c;
	rl_attr attrs[2];
	int64_t qa[3];
	rl_fire fire;
	bool anon;
} req;

static rl_str S(const char *s) { rl_str r = { s, s ? (uint32_t)strlen(s) : 0 }; return r; }

static void generate(req *r)
{
	static const char *const codes[] = { "SAVE10", "BEANS20", "2XPTS" };
	static char ids[64][12];

	memset(r, 0, sizeof *r);
	r->b.nitems = 1 + rnd(4);
	for (uint32_t i = 0; i < r->b.nitems; i++) {
		uint32_t k = rnd(NCAT);
		r->items[i].sku = S(CATALOG[k].sku);
		r->items[i].category = S(CATALOG[k].cat);
		r->items[i].price = CATALOG[k].price;
		r->items[i].qty = rnd(6) == 0 ? 1 + rnd(6) : 1 + rnd(2);
	}
	r->b.items = r->items;
	if (rnd(5) == 0)
		r->coupons[r->b.ncoupons++] = S(codes[rnd(3)]);
	r->b.coupons = r->coupons;
	r->b.channel = S(rnd(3) ? "store" : "app");
	r->b.store = S("S-01");
	r->b.ts = 1793557800 + (int64_t)rnd(28 * 86400);
	r->anon = rnd(20) == 0;
	uint32_t id = rnd(64);
	if (!ids[id][0])
		snprintf(ids[id], sizeof ids[id], "C-%04u", id);
	rl_customer *c = &r->c;
	c->id = S(ids[id]);
	c->exists = true;
	c->spend_12m = (int64_t)rnd(2000000);
	c->lifetime_spend = c->spend_12m;
	c->points = rnd(3000);
	c->purchase_count = rnd(8) == 0 ? 0 : 1 + rnd(30);
	c->has_last_purchase = c->purchase_count > 0;
	c->last_purchase_at = r->b.ts - (int64_t)rnd(120) * 86400;
	c->enrolled_at = r->b.ts - (int64_t)rnd(300) * 86400;
	r->attrs[0].key = S("birth_month");
	r->attrs[0].val = expr_int(1 + rnd(12));
	r->attrs[1].key = S("city");
	r->attrs[1].val = rnd(4) ? expr_str("Mumbai", 6) : expr_str("Pune", 4);
	c->attrs = r->attrs;
	c->nattrs = 2;
	r->qa[1] = c->spend_12m >= 500000 ? r->b.ts - 86400 : 0;
	r->qa[2] = c->spend_12m >= 1500000 ? r->b.ts - 86400 : 0;
	c->tier_qualified_at = r->qa;
	c->ntiers = 3;
	if (rnd(4) == 0) {
		r->fire.rule = S("birthday-drink");
		r->fire.ts = r->b.ts - (int64_t)rnd(700) * 86400;
		c->fires = &r->fire;
		c->nfires = 1;
	}
}

static program *load(const char *dir)
{
	prog_errors e;
	prog_limits lim = { 0 };

	memset(&e, 0, sizeof e);
	program *p = program_load(dir, &lim, &e);
	if (!p) {
		fprintf(stderr, "cannot load %s:\n", dir);
		prog_errors_print(&e, stderr);
		prog_errors_free(&e);
		exit(2);
	}
	return p;
}

static bool same(const rl_outcome *a, const rl_outcome *b)
{
	if (a->status != b->status || a->total != b->total || a->earned != b->earned ||
	    a->discount_total != b->discount_total || a->napplied != b->napplied ||
	    a->nwarnings != b->nwarnings || a->tier_after != b->tier_after)
		return false;
	for (uint32_t i = 0; i < a->napplied; i++)
		if (a->applied[i].rule != b->applied[i].rule || a->applied[i].discount != b->applied[i].discount ||
		    a->applied[i].points != b->applied[i].points ||
		    a->applied[i].bonus_points != b->applied[i].bonus_points)
			return false;
	return true;
}

/* One pass over every basket; returns the seconds it took. */
static double pass(const program *p, const req *rs, int n, arena *m, int64_t *check)
{
	rl_outcome o;
	double t0 = now_s();
	for (int i = 0; i < n; i++) {
		arena_reset(m);
		rl_evaluate(p, rs[i].anon ? NULL : &rs[i].c, &rs[i].b, m, &o);
		*check += o.total + o.earned;
	}
	return now_s() - t0;
}

/* ---- runaways ------------------------------------------------------------ */

static char tmpdir[] = "/tmp/bench-lua-XXXXXX";

static void runaway(const char *what, const char *lua, const req *r)
{
	char dir[256], path[300];
	FILE *f;

	snprintf(dir, sizeof dir, "%s/r%d", tmpdir, rnd(1000000));
	if (mkdir(dir, 0700))
		return;
	snprintf(path, sizeof path, "%s/program.yaml", dir);
	f = fopen(path, "w");
	fputs("program: runaway\n", f);
	fclose(f);
	snprintf(path, sizeof path, "%s/rules.lua", dir);
	f = fopen(path, "w");
	fputs(lua, f);
	fclose(f);
	program *p = load(dir);
	arena m;
	rl_outcome o;
	arena_init(&m, 1 << 16, 0);
	double best = 1e9, total = 0;
	int reps = 20;
	const char *msg = "";
	for (int i = 0; i < reps; i++) {
		arena_reset(&m);
		double t0 = now_s();
		rl_evaluate(p, &r->c, &r->b, &m, &o);
		double dt = now_s() - t0;
		total += dt;
		if (dt < best)
			best = dt;
		msg = o.nwarnings ? o.warnings[0].message : "(no warning!)";
	}
	printf("  %-24s best %6.2f ms  mean %6.2f ms  %s\n", what, best * 1e3, total / reps * 1e3, msg);
	arena_free(&m);
	program_free(p);
	unlink(path);
	snprintf(path, sizeof path, "%s/program.yaml", dir);
	unlink(path);
	rmdir(dir);
}

/* A program of `nrules` Lua rules that do nothing but answer `when` with
 * false, with the program.yaml of `ldir`; NULL if it cannot be made. */
static program *floor_program(const char *ldir, uint32_t nrules)
{
	char dir[256], path[300], buf[65536];
	FILE *in, *out;
	size_t len;

	snprintf(dir, sizeof dir, "%s/floor", tmpdir);
	snprintf(path, sizeof path, "%s/program.yaml", ldir);
	if (mkdir(dir, 0700) || !(in = fopen(path, "r")))
		return NULL;
	len = fread(buf, 1, sizeof buf, in);
	fclose(in);
	snprintf(path, sizeof path, "%s/program.yaml", dir);
	if (!(out = fopen(path, "w")))
		return NULL;
	fwrite(buf, 1, len, out);
	fclose(out);
	snprintf(path, sizeof path, "%s/rules.lua", dir);
	if (!(out = fopen(path, "w")))
		return NULL;
	for (uint32_t i = 0; i < nrules; i++)
		fprintf(out, "rule { name = 'r%u', when = function(ctx) return false end, bonus_points = 1 }\n", i);
	fclose(out);
	program *p = load(dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/program.yaml", dir);
	unlink(path);
	rmdir(dir);
	return p;
}

int main(int argc, char **argv)
{
	const char *ydir = TOP_SRCDIR "/examples/coffee-club";
	const char *ldir = TOP_SRCDIR "/examples/coffee-club-lua";
	int n = 20000, passes = 5;
	static const struct option opts[] = {
		{ "yaml", required_argument, NULL, 'y' }, { "lua", required_argument, NULL, 'l' },
		{ "baskets", required_argument, NULL, 'n' }, { "passes", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'y': ydir = optarg; break;
		case 'l': ldir = optarg; break;
		case 'n': n = atoi(optarg); break;
		case 'p': passes = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: bench-lua [--yaml DIR] [--lua DIR] [--baskets N] [--passes K]\n");
			return 2;
		}
	}
	if (n < 1 || passes < 1)
		return 2;
	program *py = load(ydir), *pl = load(ldir);
	req *rs = calloc((size_t)n, sizeof *rs);
	if (!rs)
		return 2;
	for (int i = 0; i < n; i++)
		generate(&rs[i]);

	/* the same answers first: the rate is for identical work */
	arena ma, mb;
	arena_init(&ma, 1 << 16, 0);
	arena_init(&mb, 1 << 16, 0);
	int differ = 0, fired = 0;
	for (int i = 0; i < n; i++) {
		rl_outcome a, b;
		arena_reset(&ma);
		arena_reset(&mb);
		rl_evaluate(py, rs[i].anon ? NULL : &rs[i].c, &rs[i].b, &ma, &a);
		rl_evaluate(pl, rs[i].anon ? NULL : &rs[i].c, &rs[i].b, &mb, &b);
		differ += !same(&a, &b);
		fired += (int)a.napplied;
	}
	printf("coffee-club, %d generated baskets (%.1f rules applied each): %d outcomes differ between YAML and Lua\n",
		n, (double)fired / n, differ);

	/* the floor: as many Lua rules as the Lua program has, each with
	 * `when = function(ctx) return false end` (one protected call a rule
	 * and nothing else), under the Lua program's program.yaml */
	if (!mkdtemp(tmpdir))
		return 2;
	program *pf = floor_program(ldir, program_nrules(pl));

	/* interleaved passes, best of each: all see the same machine state */
	double by = 1e9, bl = 1e9, bf = 1e9;
	int64_t cy = 0, cl = 0, cf = 0;
	for (int k = 0; k < passes; k++) {
		/* BENCH_LUA_ONLY: profile the Lua side alone */
		double ty = getenv("BENCH_LUA_ONLY") ? 1 : pass(py, rs, n, &ma, &cy);
		double tl = pass(pl, rs, n, &ma, &cl);
		double tf = getenv("BENCH_LUA_ONLY") || !pf ? 1 : pass(pf, rs, n, &ma, &cf);
		if (ty < by)
			by = ty;
		if (tl < bl)
			bl = tl;
		if (tf < bf)
			bf = tf;
	}
	printf("YAML rules: %10.0f baskets/s  (%.2f us/basket)\n", n / by, by / n * 1e6);
	printf("Lua rules:  %10.0f baskets/s  (%.2f us/basket)\n", n / bl, bl / n * 1e6);
	if (pf)
		printf("Lua floor:  %10.0f baskets/s  (%.2f us/basket: %u rules whose when is `return false`)\n",
			n / bf, bf / n * 1e6, program_nrules(pf));
	printf("Lua / YAML: %.1f%%  (target >= 25%%)%s\n", 100.0 * by / bl, cy == cl ? "" : "  CHECKSUMS DIFFER");
	if (pf)
		printf("floor / YAML: %.1f%%  (the most one protected call per rule allows)\n", 100.0 * by / bf);
	program_free(pf);
	printf("(bench/bench-lua.sh: the same on the shared workload, with the plain-Lua peer)\n");

	/* runaways, default budgets (1,000,000 instructions, 8 MiB) */
	if (getenv("BENCH_LUA_NO_RUNAWAY"))
		goto out;
	/* best of 20: the other figures on a shared machine are other
	 * processes' time */
	printf("runaway rules, one request each (default budgets; target < 10 ms):\n");
	runaway("endless loop", "rule { name = 'r', when = function(ctx) while true do end end, discount = { percent = 1 } }\n", &rs[0]);
	runaway("endless loop in pcall",
		"rule { name = 'r', when = function(ctx) while true do pcall(function() while true do end end) end end,"
		" discount = { percent = 1 } }\n", &rs[0]);
	runaway("endless item predicate",
		"rule { name = 'r', when = function(ctx) return ctx:any_item(function(i) while true do end end) end,"
		" discount = { percent = 1 } }\n", &rs[0]);
	runaway("string churn",
		"rule { name = 'r', when = function(ctx) while true do local s = string.rep('x', 8000) end end,"
		" discount = { percent = 1 } }\n", &rs[0]);
	runaway("concatenation churn",
		"rule { name = 'r', when = function(ctx) local s = '' while true do s = s .. 'x' if #s > 8000 then s = '' end end end,"
		" discount = { percent = 1 } }\n", &rs[0]);
	runaway("backtracking pattern",
		"rule { name = 'r', when = function(ctx) return string.find(string.rep('a', 8000), '.-.-.-.-b') end,"
		" discount = { percent = 1 } }\n", &rs[0]);
	runaway("memory bomb (tables)",
		"rule { name = 'r', when = function(ctx) local t = {} while true do t[#t + 1] = {} end end,"
		" discount = { percent = 1 } }\n", &rs[0]);
	runaway("sort loop",
		"rule { name = 'r', when = function(ctx) local t = {} for i = 1, 5000 do t[i] = -i end"
		" while true do table.sort(t) end end, discount = { percent = 1 } }\n", &rs[0]);
out:
	rmdir(tmpdir);
	arena_free(&ma);
	arena_free(&mb);
	free(rs);
	program_free(py);
	program_free(pl);
	return 0;
}
