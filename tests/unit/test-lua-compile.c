/* tests/unit/test-lua-compile.c — compiling Lua functions into expressions
 * (rules/lua_compile.c, issue 6) never changes an answer: each program is
 * loaded twice, compiled (the default) and with prog_limits.lua_no_compile,
 * and both are evaluated on the same deterministically generated
 * (customer, basket) pairs; the complete outcomes must be equal (warning
 * texts may differ, the set of rules that warned may not).
 * Programs: examples/coffee-club-lua (every function compiles),
 * tests/data/rules/lua-compile-tricky (Lua semantics corners: nil/false,
 * and/or values, attrs of every type, int/float, string order, // and %
 * with negatives, division by zero, anonymous baskets, tier nil, upvalue
 * sets and maps, factories, helpers of mixed types, multiple returns,
 * variant/segment, item predicates) and tests/data/rules/lua-compile-refused
 * (nothing compiles). This test owns no evaluation logic: it only compares. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/arena.h"
#include "rules/program.h"
#include "tests/unit/tap.h"

#define NPAIRS 3000

/* ---- generated customers and baskets ------------------------------------ */

static uint64_t rng;
static uint32_t rnd(uint32_t n)
{
	/* xorshift64*: the same pairs on every run and machine */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 33) % n;
}

static rl_str S(const char *s)
{
	rl_str r = { s, s ? (uint32_t)strlen(s) : 0 };
	return r;
}

typedef struct cat_item {
	const char *sku, *category;
	int64_t price;
} cat_item;

/* coffee-club's catalog (its rules name these skus and categories) */
static const cat_item CATALOG[] = {
	{ "LATTE", "coffee", 24000 }, { "ESPRESSO", "coffee", 15000 }, { "CAPS-ESP10", "coffee", 42000 },
	{ "CROISSANT", "pastry", 12000 }, { "MUFFIN", "pastry", 9000 }, { "BEANS-1KG", "beans", 150000 },
	{ "BEANS-250", "beans", 45000 }, { "CHAI", "tea", 8000 }, { "GREEN-TEA", "tea", 11000 },
	{ "MUG", "merch", 60000 }, { "GIFT", NULL, 0 },
};
#define NCAT (sizeof CATALOG / sizeof CATALOG[0])

/* An attr value of any type an attr can hold, or absent (n == 0): strings,
 * ints, floats equal to ints, other floats, booleans, null. */
static bool any_value(expr_value *v, int which)
{
	switch (which) {
	case 0: return false;
	case 1: *v = expr_null(); return true;
	case 2: *v = expr_bool(true); return true;
	case 3: *v = expr_bool(false); return true;
	case 4: *v = expr_int(3); return true;
	case 5: *v = expr_float(3.0); return true;
	case 6: *v = expr_float(2.5); return true;
	case 7: *v = expr_str("high", 4); return true;
	case 8: *v = expr_str("3", 1); return true;
	case 9: *v = expr_int(5); return true;
	case 10: *v = expr_float(5.0); return true;
	case 11: *v = expr_str("5", 1); return true;
	case 12: *v = expr_int(1); return true;
	default: *v = expr_int(-7); return true;
	}
}

typedef struct gen {
	rl_basket b;
	rl_item items[8];
	rl_str coupons[3];
	rl_str sale_tag;
	rl_attr battrs[4];
	rl_customer c;
	bool anon;
	rl_attr cattrs[6];
	int64_t qa[4];
	rl_fire fires[1];
	char id[16];
} gen;

static void add_attr(rl_attr *a, uint32_t *n, const char *key, int which)
{
	expr_value v;
	if (any_value(&v, which)) {
		a[*n].key = S(key);
		a[*n].val = v;
		(*n)++;
	}
}

static void generate(gen *g, uint32_t ntiers)
{
	static const char *const codes[] = { "VIP", "save10", "SAVE10", "BEANS20", "BOGUS" };
	static const char *const channels[] = { "store", "app", "a", "web", NULL };
	int64_t base = 1793491200; /* 2026-11-01T00:00:00Z */

	memset(g, 0, sizeof *g);
	g->sale_tag = S("sale");
	g->b.nitems = 1 + rnd(6);
	for (uint32_t i = 0; i < g->b.nitems; i++) {
		const cat_item *c = &CATALOG[rnd(NCAT)];
		rl_item *it = &g->items[i];
		it->sku = S(c->sku);
		it->category = S(c->category);
		it->price = c->price;
		it->qty = rnd(5) == 0 ? 1 + rnd(14) : 1 + rnd(3);
		if (rnd(4) == 0) {
			it->tags = &g->sale_tag;
			it->ntags = 1;
		}
	}
	g->b.items = g->items;
	for (uint32_t i = 0, n = rnd(3); i < n; i++)
		g->coupons[g->b.ncoupons++] = S(codes[rnd(5)]);
	g->b.coupons = g->coupons;
	g->b.channel = S(channels[rnd(5)]);
	g->b.store = S(rnd(2) ? "S1" : "S2");
	/* November and the first days of December: month - 11 is 0 or 1 */
	g->b.ts = base + (int64_t)rnd(35 * 86400);
	if (rnd(2) == 0) {
		add_attr(g->battrs, &g->b.nattrs, "level", (int)rnd(14));
		add_attr(g->battrs, &g->b.nattrs, "score", (int)rnd(14));
		if (rnd(3) == 0)
			add_attr(g->battrs, &g->b.nattrs, "city", rnd(2) ? 7 : 8);
	}
	g->b.attrs = g->battrs;
	g->anon = rnd(6) == 0;
	rl_customer *c = &g->c;
	/* many ids: an experiment's variant is a function of the id */
	snprintf(g->id, sizeof g->id, "C-%04u", rnd(64));
	c->id = S(g->id);
	c->exists = rnd(8) != 0;
	c->points = rnd(5000);
	c->spend_12m = (int64_t)rnd(2000000);
	c->lifetime_spend = c->spend_12m + rnd(100000);
	c->purchase_count = rnd(4) == 0 ? 0 : rnd(20);
	c->has_last_purchase = c->purchase_count > 0 && rnd(6) != 0;
	c->last_purchase_at = g->b.ts - (int64_t)rnd(60 * 86400);
	c->enrolled_at = g->b.ts - (int64_t)rnd(400 * 86400);
	c->referred_by = S(rnd(3) == 0 ? "C-0009" : NULL);
	c->referrals = rnd(3);
	g->cattrs[0].key = S("birth_month");
	g->cattrs[0].val = expr_int(10 + rnd(3));
	g->cattrs[1].key = S("city");
	g->cattrs[1].val = rnd(2) ? expr_str("Pune", 4) : expr_str("Mumbai", 6);
	c->nattrs = 2;
	add_attr(g->cattrs, &c->nattrs, "level", (int)rnd(14));
	add_attr(g->cattrs, &c->nattrs, "vip", (int)rnd(14));
	add_attr(g->cattrs, &c->nattrs, "score", (int)rnd(14));
	c->attrs = g->cattrs;
	/* Tier state not always consistent with spend: a customer may have
	 * qualified for nothing (tier nil when the program has no floor). */
	for (uint32_t t = 0; t < ntiers && t < 4; t++)
		g->qa[t] = rnd(3) ? (rnd(2) ? g->b.ts - 86400 : 0) : 0;
	c->tier_qualified_at = g->qa;
	c->ntiers = ntiers;
	if (rnd(3) == 0) {
		g->fires[0].rule = S("birthday-drink");
		g->fires[0].ts = g->b.ts - (int64_t)rnd(500) * 86400;
		c->fires = g->fires;
		c->nfires = 1;
	}
}

/* ---- comparing complete outcomes ---------------------------------------- */

static bool str_eq(rl_str a, rl_str b)
{
	return (a.p == NULL) == (b.p == NULL) && a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

/* Warned rules as a set: bit r for rule r, bit 255 for a segment's warning. */
static void warn_set(const rl_outcome *o, uint64_t set[4])
{
	memset(set, 0, 4 * sizeof *set);
	for (uint32_t i = 0; i < o->nwarnings; i++) {
		unsigned r = o->warnings[i].rule < 0 || o->warnings[i].rule > 254 ? 255u : (unsigned)o->warnings[i].rule;
		set[r / 64] |= 1ull << (r % 64);
	}
}

static bool same_outcome(const program *p, const rl_outcome *a, const rl_outcome *b, uint32_t nitems,
	char *why, size_t n)
{
#define DIFF(cond, ...) do { if (cond) { snprintf(why, n, __VA_ARGS__); return false; } } while (0)
	DIFF(a->status != b->status, "status %d vs %d", a->status, b->status);
	if (a->status != RL_OK)
		return true;
	/* rules first, so that a difference names the rule */
	for (uint32_t i = 0; i < a->napplied && i < b->napplied; i++)
		DIFF(a->applied[i].rule != b->applied[i].rule, "applied[%u] %s (compiled) vs %s (sandbox)", i,
			program_rule_name(p, (uint32_t)a->applied[i].rule), program_rule_name(p, (uint32_t)b->applied[i].rule));
	if (a->napplied != b->napplied) {
		const rl_outcome *l = a->napplied > b->napplied ? a : b;
		uint32_t i = a->napplied < b->napplied ? a->napplied : b->napplied;
		DIFF(1, "rule %s fires only %s (%u vs %u rules)", program_rule_name(p, (uint32_t)l->applied[i].rule),
			l == a ? "compiled" : "in the sandbox", a->napplied, b->napplied);
	}
	for (uint32_t i = 0; i < a->napplied; i++) {
		const rl_applied *x = &a->applied[i], *y = &b->applied[i];
		DIFF(x->rule != y->rule, "applied[%u] %s vs %s", i, program_rule_name(p, (uint32_t)x->rule),
			program_rule_name(p, (uint32_t)y->rule));
		DIFF(x->discount != y->discount || x->points != y->points || x->bonus_points != y->bonus_points ||
			x->has_multiplier != y->has_multiplier || x->multiplier_x100 != y->multiplier_x100 ||
			x->referrer_bonus_points != y->referrer_bonus_points || !str_eq(x->message, y->message),
			"applied[%u] (%s) values: discount %lld/%lld points %lld/%lld bonus %lld/%lld", i,
			program_rule_name(p, (uint32_t)x->rule), (long long)x->discount, (long long)y->discount,
			(long long)x->points, (long long)y->points, (long long)x->bonus_points,
			(long long)y->bonus_points);
	}
	DIFF(a->subtotal != b->subtotal, "subtotal");
	DIFF(a->discount_total != b->discount_total, "discount_total %lld vs %lld",
		(long long)a->discount_total, (long long)b->discount_total);
	DIFF(a->total != b->total, "total");
	DIFF(a->earned != b->earned, "earned %lld vs %lld", (long long)a->earned, (long long)b->earned);
	DIFF(a->referrer_bonus_total != b->referrer_bonus_total, "referrer bonus");
	DIFF(a->redeemed_points != b->redeemed_points || a->redeemed_value != b->redeemed_value, "redeemed");
	DIFF(a->tier_before != b->tier_before || a->tier_after != b->tier_after, "tiers");
	for (uint32_t i = 0; i < nitems; i++)
		DIFF(a->lines[i].discount != b->lines[i].discount || a->lines[i].net != b->lines[i].net,
			"line %u: discount %lld vs %lld", i, (long long)a->lines[i].discount,
			(long long)b->lines[i].discount);
	DIFF(a->nsegments != b->nsegments, "nsegments %u vs %u", a->nsegments, b->nsegments);
	for (uint32_t i = 0; i < a->nsegments; i++)
		DIFF(a->segments[i] != b->segments[i], "segment %u", i);
	DIFF(a->nexperiments != b->nexperiments, "nexperiments");
	for (uint32_t i = 0; i < a->nexperiments; i++)
		DIFF(a->experiments[i].experiment != b->experiments[i].experiment ||
			a->experiments[i].variant != b->experiments[i].variant, "experiment %u", i);
	DIFF(a->ncoupons != b->ncoupons, "ncoupons");
	for (uint32_t i = 0; i < a->ncoupons; i++)
		DIFF(a->coupons[i].accepted != b->coupons[i].accepted ||
			strcmp(a->coupons[i].reason ? a->coupons[i].reason : "",
				b->coupons[i].reason ? b->coupons[i].reason : ""), "coupon %u", i);
	DIFF(a->nmessages != b->nmessages, "nmessages %u vs %u", a->nmessages, b->nmessages);
	for (uint32_t i = 0; i < a->nmessages; i++)
		DIFF(!str_eq(a->messages[i], b->messages[i]), "message %u", i);
	DIFF(a->nfired_limited != b->nfired_limited, "fired limited");
	for (uint32_t i = 0; i < a->nfired_limited; i++)
		DIFF(a->fired_limited[i] != b->fired_limited[i], "fired limited %u", i);
	uint64_t wa[4], wb[4];
	warn_set(a, wa);
	warn_set(b, wb);
	for (int k = 0; k < 4; k++)
		for (unsigned r = (unsigned)k * 64; r < (unsigned)k * 64 + 64; r++)
			DIFF(((wa[k] ^ wb[k]) >> (r % 64)) & 1, "rule %s warns only %s",
				r == 255 ? "(segment)" : program_rule_name(p, r),
				(wa[k] >> (r % 64)) & 1 ? "compiled" : "in the sandbox");
	return true;
#undef DIFF
}

/* ---- one program, both ways ---------------------------------------------- */

typedef struct run {
	uint32_t compiled, total;
	int same, fired, warned, anon;
	uint64_t rules_fired[4];  /* which rules fired at least once */
	uint64_t rules_warned[4];
} run;

static program *load(const char *dir, bool no_compile)
{
	prog_limits lim = { .lua_no_compile = no_compile };
	prog_errors e;
	memset(&e, 0, sizeof e);
	program *p = program_load(dir, &lim, &e);
	if (!p)
		for (size_t i = 0; i < e.n; i++)
			tap_diag("%s:%d:%d: %s", e.v[i].file, e.v[i].line, e.v[i].col, e.v[i].message);
	prog_errors_free(&e);
	return p;
}

/* Returns false when the program does not load both ways. */
static bool both_ways(const char *dir, uint64_t seed, run *r)
{
	program *pc = load(dir, false), *ps = load(dir, true);
	memset(r, 0, sizeof *r);
	ok(pc && ps, "%s loads both ways", dir);
	if (!pc || !ps) {
		program_free(pc);
		program_free(ps);
		return false;
	}
	uint32_t c2, t2;
	program_lua_compiled(pc, &r->compiled, &r->total);
	program_lua_compiled(ps, &c2, &t2);
	ok(c2 == 0 && t2 == r->total, "lua_no_compile compiles none (%u of %u)", c2, t2);
	for (uint32_t i = 0; i < 100; i++) {
		const char *u = program_lua_uncompiled(pc, i);
		if (!u)
			break;
		tap_diag("  stays Lua: %s", u);
	}

	arena ma, mb;
	arena_init(&ma, 1 << 16, 0);
	arena_init(&mb, 1 << 16, 0);
	rng = seed;
	int shown = 0;
	for (int k = 0; k < NPAIRS; k++) {
		gen g;
		rl_outcome oa, ob;
		char why[400];
		generate(&g, program_ntiers(pc));
		arena_reset(&ma);
		arena_reset(&mb);
		rl_evaluate(pc, g.anon ? NULL : &g.c, &g.b, &ma, &oa);
		rl_evaluate(ps, g.anon ? NULL : &g.c, &g.b, &mb, &ob);
		if (same_outcome(pc, &oa, &ob, g.b.nitems, why, sizeof why)) {
			r->same++;
		} else if (shown++ < 8) {
			tap_diag("pair %d (%s, %u lines, channel %s, %u basket attrs, hour-ts %lld) differs: %s", k,
				g.anon ? "anonymous" : g.c.exists ? "customer" : "new customer", g.b.nitems,
				g.b.channel.p ? g.b.channel.p : "none", g.b.nattrs, (long long)g.b.ts, why);
		}
		r->fired += (int)oa.napplied;
		r->warned += oa.nwarnings > 0;
		r->anon += g.anon;
		for (uint32_t i = 0; i < oa.napplied; i++)
			if (oa.applied[i].rule >= 0 && oa.applied[i].rule < 256)
				r->rules_fired[oa.applied[i].rule / 64] |= 1ull << (oa.applied[i].rule % 64);
		for (uint32_t i = 0; i < oa.nwarnings; i++)
			if (oa.warnings[i].rule >= 0 && oa.warnings[i].rule < 256)
				r->rules_warned[oa.warnings[i].rule / 64] |= 1ull << (oa.warnings[i].rule % 64);
	}
	is_int(r->same, NPAIRS, "%s: %d pairs, identical outcomes compiled and in the sandbox", dir, NPAIRS);
	tap_diag("%s: %u of %u functions compiled; %d rules fired, %d pairs with warnings, %d anonymous",
		dir, r->compiled, r->total, r->fired, r->warned, r->anon);
	arena_free(&ma);
	arena_free(&mb);
	program_free(pc);
	program_free(ps);
	return true;
}

static bool has(const uint64_t set[4], const program *p, const char *rule)
{
	for (uint32_t i = 0; i < program_nrules(p) && i < 256; i++)
		if (strcmp(program_rule_name(p, i), rule) == 0)
			return (set[i / 64] >> (i % 64)) & 1;
	return false;
}

int main(void)
{
	run r;

	/* (a) coffee-club in Lua: every function is simple enough */
	if (both_ways(TOP_SRCDIR "/examples/coffee-club-lua", 0x9e3779b97f4a7c15ull, &r)) {
		ok(r.total >= 22, "coffee-club-lua: %u functions (22 rules)", r.total);
		is_int(r.compiled, r.total, "coffee-club-lua: every function compiled");
		ok(r.fired > NPAIRS && r.anon > 100, "coffee-club-lua: the pairs exercise the rules");
	}

	/* (b) the tricky program */
	const char *tricky = TOP_SRCDIR "/tests/data/rules/lua-compile-tricky";
	if (both_ways(tricky, 0x243f6a8885a308d3ull, &r)) {
		ok(r.compiled > 0, "tricky: some functions compiled (%u of %u)", r.compiled, r.total);
		/* The probes must be reached: rules that must fire on some pair and
		 * rules that must warn on some (the same set both ways, checked
		 * above). The sandbox program is the judge of which is which. */
		program *p = load(tricky, true);
		if (p) {
			ok(program_nrules(p) >= 40, "tricky: %u rules", program_nrules(p));
			static const char *const fires[] = { "and-or-value", "attr-str", "attr-int", "attr-bool",
				"hour-float", "str-order", "floordiv-neg", "mod-neg", "mod-neg-divisor", "div-zero",
				"anon-guarded", "anon-unguarded", "tier-map", "set-eq-true", "factory",
				"helper-types", "multi-ret", "variant-b", "seg-big", "items-one-param",
				"items-two-params", "sum-net-points", "count-qty-points", "coupon-either",
				"days-guarded", "int-float-attr", "const-le", "const-floordiv-mod", "float-const-eq", "bool-vs-num", "or-chain", "first-of-two", "nil-or-false", "early-return", "helper-twice",
				"pick-string", "set-false", "set-not-nil", "unary-minus", "even-tea", "false-and-or" };
			static const char *const warns[] = { "anon-unguarded", "div-zero", "attr-order-unguarded",
				"mod-zero" };
			for (size_t i = 0; i < sizeof fires / sizeof *fires; i++)
				ok(has(r.rules_fired, p, fires[i]), "tricky: %s fires on some pair", fires[i]);
			for (size_t i = 0; i < sizeof warns / sizeof *warns; i++)
				ok(has(r.rules_warned, p, warns[i]), "tricky: %s warns on some pair", warns[i]);
			program_free(p);
		}
	}

	/* (c) functions the compiler must refuse */
	if (both_ways(TOP_SRCDIR "/tests/data/rules/lua-compile-refused", 0x13198a2e03707344ull, &r)) {
		is_int(r.compiled, 0, "refused: no function compiled (of %u)", r.total);
		ok(r.total >= 18, "refused: %u functions", r.total);
	}
	return tap_done();
}
