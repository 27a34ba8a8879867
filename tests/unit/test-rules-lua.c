/* tests/unit/test-rules-lua.c — Lua rules mean what YAML rules mean
 * (rules.md, "Lua rules"): one program written twice, in YAML and in Lua,
 * gives identical outcomes on 1,000 baskets generated deterministically
 * here (every discount kind, items, max, segments, experiment, limit, stop,
 * coupons, points, bonus, multipliers, referrals, anonymous baskets, a
 * run-time error); load errors carry file and line; run-time failures of a
 * Lua rule (error, budget, wrong result type) become that rule's warning
 * while the request succeeds. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lang/arena.h"
#include "rules/lua_ctx.h" /* program_lua_failures */
#include "rules/program.h"
#include "tests/unit/tap.h"

/* ---- programs ------------------------------------------------------------- */

static const char *const HEAD =
	"program: t\n"
	"currency: INR\n"
	"timezone: Asia/Kolkata\n"
	"points: {value: 25}\n"
	"tiers:\n"
	"  - name: bronze\n"
	"  - name: silver\n"
	"    qualify: spend_12m >= 500000\n"
	"  - name: gold\n"
	"    qualify: spend_12m >= 1500000\n"
	"experiments:\n"
	"  - name: exp1\n"
	"    variants: {a: 50, b: 50}\n";

static const char *const YAML_REST =
	"segments:\n"
	"  big: subtotal >= 300000\n"
	"  regular: purchase_count > 5\n"
	"rules:\n"
	"  - name: vip-stop\n"
	"    priority: 100\n"
	"    when: coupon(\"VIP\") and tier == \"gold\"\n"
	"    discount: {percent: 30}\n"
	"    message: \"VIP!\"\n"
	"    stop: true\n"
	"  - name: pastry-3-for-2\n"
	"    discount: {buy: 2, get: 1, items: item.category == \"pastry\"}\n"
	"  - name: free-coffee-birthday\n"
	"    when: attr.birth_month == month and any_item(item.category == \"coffee\")\n"
	"    discount: {free: 1, items: item.category == \"coffee\"}\n"
	"    limit: {per_customer: 1, window_days: 365}\n"
	"  - name: pairing\n"
	"    when: any_item(item.category == \"coffee\") and count_qty(item.category == \"pastry\") >= 2\n"
	"    discount: {percent: 12.5, items: item.category == \"pastry\", max: 5000}\n"
	"  - name: big-basket\n"
	"    segment: big\n"
	"    discount: {amount: 10000}\n"
	"  - name: tag-sale\n"
	"    when: any_item(\"sale\" in item.tags)\n"
	"    discount: {percent: 10, items: '\"sale\" in item.tags'}\n"
	"  - name: save10\n"
	"    when: coupon(\"SAVE10\")\n"
	"    discount: {percent: 10}\n"
	"  - name: lapsed\n"
	"    when: days_since_last_purchase > 30\n"
	"    discount: {percent: 15}\n"
	"  - name: base-earn\n"
	"    points: net // 100\n"
	"  - name: beans\n"
	"    when: any_item(item.category == \"beans\")\n"
	"    points: sum_net(item.category == \"beans\") // 100\n"
	"  - name: tea-bonus\n"
	"    when: any_item(item.category == \"tea\")\n"
	"    bonus_points: 20 * count_qty(item.category == \"tea\")\n"
	"  - name: gold-mult\n"
	"    when: tier == \"gold\"\n"
	"    points_multiplier: 1.5\n"
	"  - name: weekday\n"
	"    when: weekday in [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"] and channel == \"store\"\n"
	"    points_multiplier: 2\n"
	"  - name: exp-b\n"
	"    experiment: exp1\n"
	"    variant: b\n"
	"    bonus_points: 50\n"
	"  - name: regulars\n"
	"    segment: regular\n"
	"    when: hour >= 7 and hour < 11\n"
	"    bonus_points: 40\n"
	"    message: \"Good morning\"\n"
	"  - name: referral\n"
	"    when: referred_by != null and purchase_count == 0\n"
	"    bonus_points: 100\n"
	"    referrer_bonus_points: 300\n"
	"  - name: pune\n"
	"    when: attr.city == \"Pune\" and store == \"S1\"\n"
	"    bonus_points: 75\n"
	"  - name: upgrade\n"
	"    when: tier == \"bronze\" and spend_12m + net >= 500000\n"
	"    bonus_points: 500\n"
	"  - name: float-points\n"
	"    when: qty > 10\n"
	"    points: net / 1000\n"
	"  - name: date-check\n"
	"    when: date == \"2026-11-20\"\n"
	"    bonus_points: 5\n"
	"  - name: flat\n"
	"    when: qty == 3\n"
	"    bonus_points: 7\n"
	"  - name: divides\n"
	"    when: qty == 7\n"
	"    bonus_points: 100 // (qty - 7)\n";

static const char *const LUA_RULES =
	"-- the same program as the YAML one, in Lua\n"
	"segment(\"big\", function(ctx) return ctx.subtotal >= 300000 end)\n"
	"segment(\"regular\", function(ctx) return ctx.customer ~= nil and ctx.customer.purchase_count > 5 end)\n"
	"local function cat(c) return function(i) return i.category == c end end\n"
	"local is_coffee, is_pastry, is_beans, is_tea = cat('coffee'), cat('pastry'), cat('beans'), cat('tea')\n"
	"local function sale(i) for _, t in ipairs(i.tags) do if t == 'sale' then return true end end return false end\n"
	"local function tier(ctx) return ctx.customer and ctx.customer.tier end\n"
	"local workdays = { mon = true, tue = true, wed = true, thu = true, fri = true }\n"
	"rule { name = 'vip-stop', priority = 100,\n"
	"  when = function(ctx) return ctx:coupon(\"VIP\") and tier(ctx) == 'gold' end,\n"
	"  discount = { percent = 30 }, message = 'VIP!', stop = true }\n"
	"rule { name = 'pastry-3-for-2', discount = { buy = 2, get = 1, items = is_pastry } }\n"
	"rule { name = 'free-coffee-birthday',\n"
	"  when = function(ctx) return ctx.attr.birth_month == ctx.month and ctx:any_item(is_coffee) end,\n"
	"  discount = { free = 1, items = is_coffee }, limit = { per_customer = 1, window_days = 365 } }\n"
	"rule { name = 'pairing',\n"
	"  when = function(ctx) return ctx:any_item(is_coffee) and ctx:count_qty(is_pastry) >= 2 end,\n"
	"  discount = { percent = 12.5, items = is_pastry, max = 5000 } }\n"
	"rule { name = 'big-basket', segment = 'big', discount = { amount = 10000 } }\n"
	"rule { name = 'tag-sale', when = function(ctx) return ctx:any_item(sale) end,\n"
	"  discount = { percent = 10, items = sale } }\n"
	"rule { name = 'save10', when = function(ctx) return ctx:coupon('SAVE10') end, discount = { percent = 10 } }\n"
	"rule { name = 'lapsed', when = function(ctx)\n"
	"    local c = ctx.customer\n"
	"    return c ~= nil and c.days_since_last_purchase ~= nil and c.days_since_last_purchase > 30\n"
	"  end, discount = { percent = 15 } }\n"
	"rule { name = 'base-earn', points = function(ctx) return ctx.net // 100 end }\n"
	"rule { name = 'beans', when = function(ctx) return ctx:any_item(is_beans) end,\n"
	"  points = function(ctx) return ctx:sum_net(is_beans) // 100 end }\n"
	"rule { name = 'tea-bonus', when = function(ctx) return ctx:any_item(is_tea) end,\n"
	"  bonus_points = function(ctx) return 20 * ctx:count_qty(is_tea) end }\n"
	"rule { name = 'gold-mult', when = function(ctx) return tier(ctx) == 'gold' end, points_multiplier = 1.5 }\n"
	"rule { name = 'weekday', when = function(ctx) return workdays[ctx.weekday] == true and ctx.channel == 'store' end,\n"
	"  points_multiplier = 2 }\n"
	"rule { name = 'exp-b', experiment = 'exp1', variant = 'b', bonus_points = 50 }\n"
	"rule { name = 'regulars', segment = 'regular', when = function(ctx) return ctx.hour >= 7 and ctx.hour < 11 end,\n"
	"  bonus_points = 40, message = 'Good morning' }\n"
	"rule { name = 'referral', when = function(ctx)\n"
	"    local c = ctx.customer\n"
	"    return c ~= nil and c.referred_by ~= nil and c.purchase_count == 0\n"
	"  end, bonus_points = 100, referrer_bonus_points = function(ctx) return 300 end }\n"
	"rule { name = 'pune', when = function(ctx) return ctx.attr.city == 'Pune' and ctx.store == 'S1' end, bonus_points = 75 }\n"
	"rule { name = 'upgrade', when = function(ctx)\n"
	"    return tier(ctx) == 'bronze' and ctx.customer.spend_12m + ctx.net >= 500000\n"
	"  end, bonus_points = 500 }\n"
	"rule { name = 'float-points', when = function(ctx) return ctx.qty > 10 end,\n"
	"  points = function(ctx) return ctx.net / 1000 end }\n"
	"rule { name = 'date-check', when = function(ctx) return ctx.date == '2026-11-20' end, bonus_points = 5 }\n"
	"rule { name = 'flat', when = function(ctx) return ctx.qty == 3 end, bonus_points = 7 }\n"
	"rule { name = 'divides', when = function(ctx) return ctx.qty == 7 end,\n"
	"  bonus_points = function(ctx) return 100 // (ctx.qty - 7) end }\n";

static char tmpl_root[] = "/tmp/test-rules-lua-XXXXXX";

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		tap_diag("cannot write %s", path);
		exit(1);
	}
}

static char *mkprog(const char *sub)
{
	static char dirs[8][512];
	static int nd;
	char *d = dirs[nd++ % 8];

	snprintf(d, 512, "%s/%s", tmpl_root, sub);
	if (mkdir(d, 0700)) {
		tap_diag("mkdir %s", d);
		exit(1);
	}
	return d;
}

static void rmprog(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
}

static program *load(const char *dir, prog_errors *errs)
{
	prog_limits lim = { 0 };
	memset(errs, 0, sizeof *errs);
	program *p = program_load(dir, &lim, errs);
	if (!p)
		for (size_t i = 0; i < errs->n; i++)
			tap_diag("%s:%d:%d: %s", errs->v[i].file, errs->v[i].line, errs->v[i].col,
				errs->v[i].message);
	return p;
}

/* ---- baskets ---------------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n)
{
	/* xorshift64*: the same baskets on every run and machine */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 33) % n;
}

typedef struct cat_item {
	const char *sku, *category;
	int64_t price;
} cat_item;

static const cat_item CATALOG[] = {
	{ "LATTE", "coffee", 24000 }, { "ESPRESSO", "coffee", 15000 }, { "CAPPUCCINO", "coffee", 24000 },
	{ "CROISSANT", "pastry", 12000 }, { "MUFFIN", "pastry", 9000 }, { "DANISH", "pastry", 12000 },
	{ "BEANS-1KG", "beans", 150000 }, { "BEANS-250", "beans", 45000 }, { "CHAI", "tea", 8000 },
	{ "GREEN-TEA", "tea", 11000 }, { "MUG", "merch", 60000 }, { "GIFT", NULL, 0 },
};
#define NCAT (sizeof CATALOG / sizeof CATALOG[0])

static rl_str S(const char *s) { rl_str r = { s, s ? (uint32_t)strlen(s) : 0 }; return r; }

typedef struct gen {
	rl_basket b;
	rl_item items[8];
	rl_str coupons[3];
	rl_str sale_tag;
	rl_attr battrs[1];
	rl_customer c;
	bool anon;
	rl_attr cattrs[2];
	int64_t qa[3];
	rl_fire fires[1];
} gen;

static void generate(gen *g)
{
	static const char *const codes[] = { "VIP", "save10", "SAVE10", "BOGUS" };
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
		it->qty = rnd(5) == 0 ? 1 + rnd(12) : 1 + rnd(3);
		if (rnd(4) == 0) {
			it->tags = &g->sale_tag;
			it->ntags = 1;
		}
	}
	g->b.items = g->items;
	for (uint32_t i = 0, n = rnd(3); i < n; i++)
		g->coupons[g->b.ncoupons++] = S(codes[rnd(4)]);
	g->b.coupons = g->coupons;
	g->b.channel = S(rnd(3) == 0 ? "app" : rnd(4) == 0 ? NULL : "store");
	g->b.store = S(rnd(2) ? "S1" : "S2");
	g->b.ts = base + (int64_t)rnd(30 * 86400);
	if (rnd(5) == 0) {
		g->battrs[0].key = S("city");
		g->battrs[0].val = rnd(2) ? expr_str("Pune", 4) : expr_str("Mumbai", 6);
		g->b.attrs = g->battrs;
		g->b.nattrs = 1;
	}
	g->anon = rnd(7) == 0;
	rl_customer *c = &g->c;
	c->id = S(rnd(2) ? "C-0001" : "C-0002");
	c->exists = true;
	c->points = rnd(5000);
	c->spend_12m = (int64_t)rnd(2000000);
	c->lifetime_spend = c->spend_12m + rnd(100000);
	c->purchase_count = rnd(4) == 0 ? 0 : rnd(20);
	c->has_last_purchase = c->purchase_count > 0;
	c->last_purchase_at = g->b.ts - (int64_t)rnd(60 * 86400);
	c->enrolled_at = g->b.ts - (int64_t)rnd(400 * 86400);
	c->referred_by = S(rnd(3) == 0 ? "C-0009" : NULL);
	c->referrals = rnd(3);
	g->cattrs[0].key = S("birth_month");
	g->cattrs[0].val = expr_int(10 + rnd(3));
	g->cattrs[1].key = S("city");
	g->cattrs[1].val = rnd(2) ? expr_str("Pune", 4) : expr_str("Mumbai", 6);
	c->attrs = g->cattrs;
	c->nattrs = 2;
	g->qa[1] = c->spend_12m >= 500000 ? g->b.ts - 86400 : 0;
	g->qa[2] = c->spend_12m >= 1500000 ? g->b.ts - 86400 : 0;
	c->tier_qualified_at = g->qa;
	c->ntiers = 3;
	if (rnd(3) == 0) {
		g->fires[0].rule = S("free-coffee-birthday");
		g->fires[0].ts = g->b.ts - (int64_t)rnd(500) * 86400;
		c->fires = g->fires;
		c->nfires = 1;
	}
}

/* ---- comparing outcomes ------------------------------------------------ */

static bool same_outcome(const program *py, const rl_outcome *a, const program *pl, const rl_outcome *b,
	uint32_t nitems, char *why, size_t n)
{
#define DIFF(cond, ...) do { if (cond) { snprintf(why, n, __VA_ARGS__); return false; } } while (0)
	DIFF(a->status != b->status, "status %d vs %d", a->status, b->status);
	if (a->status != RL_OK)
		return true;
	DIFF(a->subtotal != b->subtotal, "subtotal");
	DIFF(a->discount_total != b->discount_total, "discount_total %lld vs %lld",
		(long long)a->discount_total, (long long)b->discount_total);
	DIFF(a->total != b->total, "total");
	DIFF(a->earned != b->earned, "earned %lld vs %lld", (long long)a->earned, (long long)b->earned);
	DIFF(a->referrer_bonus_total != b->referrer_bonus_total, "referrer bonus");
	DIFF(a->redeemed_points != b->redeemed_points, "redeemed");
	DIFF(a->tier_before != b->tier_before || a->tier_after != b->tier_after, "tiers");
	for (uint32_t i = 0; i < nitems; i++)
		DIFF(a->lines[i].discount != b->lines[i].discount || a->lines[i].net != b->lines[i].net,
			"line %u", i);
	DIFF(a->napplied != b->napplied, "napplied %u vs %u", a->napplied, b->napplied);
	for (uint32_t i = 0; i < a->napplied; i++) {
		const rl_applied *x = &a->applied[i], *y = &b->applied[i];
		DIFF(strcmp(program_rule_name(py, (uint32_t)x->rule), program_rule_name(pl, (uint32_t)y->rule)),
			"applied[%u] %s vs %s", i, program_rule_name(py, (uint32_t)x->rule),
			program_rule_name(pl, (uint32_t)y->rule));
		DIFF(x->discount != y->discount || x->points != y->points || x->bonus_points != y->bonus_points ||
			x->has_multiplier != y->has_multiplier || x->multiplier_x100 != y->multiplier_x100 ||
			x->referrer_bonus_points != y->referrer_bonus_points ||
			(x->message.p == NULL) != (y->message.p == NULL), "applied[%u] (%s) values", i,
			program_rule_name(py, (uint32_t)x->rule));
	}
	DIFF(a->nsegments != b->nsegments, "nsegments");
	for (uint32_t i = 0; i < a->nsegments; i++)
		DIFF(strcmp(program_segment_name(py, (uint32_t)a->segments[i]),
			program_segment_name(pl, (uint32_t)b->segments[i])), "segment %u", i);
	DIFF(a->ncoupons != b->ncoupons, "ncoupons");
	for (uint32_t i = 0; i < a->ncoupons; i++)
		DIFF(a->coupons[i].accepted != b->coupons[i].accepted ||
			strcmp(a->coupons[i].reason ? a->coupons[i].reason : "",
				b->coupons[i].reason ? b->coupons[i].reason : ""),
			"coupon %u: %d %s vs %d %s", i, a->coupons[i].accepted,
			a->coupons[i].reason ? a->coupons[i].reason : "-", b->coupons[i].accepted,
			b->coupons[i].reason ? b->coupons[i].reason : "-");
	DIFF(a->nmessages != b->nmessages, "nmessages");
	DIFF(a->nexperiments != b->nexperiments, "nexperiments");
	DIFF(a->nfired_limited != b->nfired_limited, "fired limited");
	DIFF(a->nwarnings != b->nwarnings, "nwarnings %u vs %u (%s)", a->nwarnings, b->nwarnings,
		b->nwarnings ? b->warnings[0].message : a->warnings[0].message);
	for (uint32_t i = 0; i < a->nwarnings; i++) {
		/* a segment's warning names no rule (-1) */
		int ra = a->warnings[i].rule, rb = b->warnings[i].rule;
		DIFF((ra < 0) != (rb < 0) || (ra >= 0 && strcmp(program_rule_name(py, (uint32_t)ra),
			program_rule_name(pl, (uint32_t)rb))), "warning %u", i);
	}
	return true;
#undef DIFF
}

static void equivalence(void)
{
	char *dy = mkprog("yaml"), *dl = mkprog("lua");
	char *yaml = malloc(strlen(HEAD) + strlen(YAML_REST) + 1);
	prog_errors ey, el;

	strcpy(yaml, HEAD);
	strcat(yaml, YAML_REST);
	write_file(dy, "program.yaml", yaml);
	write_file(dl, "program.yaml", HEAD);
	write_file(dl, "rules.lua", LUA_RULES);
	free(yaml);
	program *py = load(dy, &ey), *pl = load(dl, &el);
	ok(py != NULL, "YAML program loads");
	ok(pl != NULL, "Lua program loads");
	if (!py || !pl) {
		program_free(py);
		program_free(pl);
		return;
	}
	is_int(program_nrules(pl), program_nrules(py), "same number of rules");
	is_int(program_nsegments(pl), program_nsegments(py), "same number of segments");
	for (uint32_t i = 0; i < program_nrules(py); i++)
		if (strcmp(program_rule_name(py, i), program_rule_name(pl, i)) != 0) {
			ok(0, "rule order differs at %u", i);
			break;
		}

	arena ma, mb;
	arena_init(&ma, 1 << 16, 0);
	arena_init(&mb, 1 << 16, 0);
	int same = 0, fired = 0, warned = 0, anon = 0;
	char why[300] = "";
	for (int k = 0; k < 1000; k++) {
		gen g;
		rl_outcome oa, ob;
		generate(&g);
		arena_reset(&ma);
		arena_reset(&mb);
		rl_evaluate(py, g.anon ? NULL : &g.c, &g.b, &ma, &oa);
		rl_evaluate(pl, g.anon ? NULL : &g.c, &g.b, &mb, &ob);
		if (same_outcome(py, &oa, pl, &ob, g.b.nitems, why, sizeof why)) {
			same++;
		} else {
			tap_diag("basket %d differs: %s", k, why);
			if (k - same > 5)
				break;
		}
		fired += (int)oa.napplied;
		warned += oa.nwarnings > 0;
		anon += g.anon;
	}
	is_int(same, 1000, "1,000 baskets: identical outcomes");
	ok(fired > 3000 && warned > 0 && anon > 50, "the baskets exercise the rules (%d fired, %d with warnings, %d anonymous)",
		fired, warned, anon);
	arena_free(&ma);
	arena_free(&mb);
	program_free(py);
	program_free(pl);
	rmprog(dy);
	rmprog(dl);
}

/* ---- compiled functions against the sandbox ------------------------------ */

/* Lua functions compiled into expressions (rules/lua_compile.c) must give
 * the sandbox's answers: the same program loaded both ways
 * (prog_limits.lua_no_compile) over the same baskets. */
static int compare_ways(const char *dir, int nbaskets, uint32_t *compiled, uint32_t *total, char *why,
	size_t whysz)
{
	prog_limits on = { 0 }, off = { .lua_no_compile = true };
	prog_errors e1, e2;
	memset(&e1, 0, sizeof e1);
	memset(&e2, 0, sizeof e2);
	program *pc = program_load(dir, &on, &e1), *ps = program_load(dir, &off, &e2);
	int bad = 0;

	*compiled = *total = 0;
	if (!pc != !ps || e1.n != e2.n) {
		snprintf(why, whysz, "loads differently: %zu vs %zu errors", e1.n, e2.n);
		bad = 1;
	}
	if (pc && ps && !bad) {
		uint32_t c2, t2;
		program_lua_compiled(pc, compiled, total);
		program_lua_compiled(ps, &c2, &t2);
		if (c2 != 0 || t2 != *total) {
			snprintf(why, whysz, "lua_no_compile compiled %u of %u", c2, t2);
			bad = 1;
		}
		arena ma, mb;
		arena_init(&ma, 1 << 16, 0);
		arena_init(&mb, 1 << 16, 0);
		for (int k = 0; k < nbaskets && !bad; k++) {
			gen g;
			rl_outcome oa, ob;
			generate(&g);
			arena_reset(&ma);
			arena_reset(&mb);
			rl_evaluate(pc, g.anon ? NULL : &g.c, &g.b, &ma, &oa);
			rl_evaluate(ps, g.anon ? NULL : &g.c, &g.b, &mb, &ob);
			char w[300];
			if (!same_outcome(pc, &oa, ps, &ob, g.b.nitems, w, sizeof w)) {
				snprintf(why, whysz, "basket %d (%s, %u lines, channel %s): %s", k,
					g.anon ? "anonymous" : "customer", g.b.nitems,
					g.b.channel.p ? g.b.channel.p : "none", w);
				bad = 1;
			}
		}
		arena_free(&ma);
		arena_free(&mb);
	}
	program_free(pc);
	program_free(ps);
	prog_errors_free(&e1);
	prog_errors_free(&e2);
	return bad;
}

static void compiled_twin(void)
{
	char *d = mkprog("twin-compiled");
	uint32_t c, t;
	char why[400] = "";

	write_file(d, "program.yaml", HEAD);
	write_file(d, "rules.lua", LUA_RULES);
	ok(compare_ways(d, 1000, &c, &t, why, sizeof why) == 0, "twin program: compiled and sandbox agree on 1,000 baskets %s", why);
	/* all but the two functions with a loop (sale), float division
	 * (float-points) and the points function that can raise (divides is
	 * fine: // by zero fails in both) */
	ok(t > 20 && c + 4 >= t, "twin program: %u of %u functions compiled", c, t);
	rmprog(d);
}

/* Random rule functions from a small grammar: what the compiler takes
 * (fields, nil guards and their absence, and/or/not, comparisons of every
 * type pair, integer arithmetic, helpers, factories, set tables, methods)
 * mixed with what it must leave to Lua (loops, .., float division, wrong
 * result types). Each program loads both ways; answers must agree. */
static const char *const VALS[] = {
	"ctx.net", "ctx.hour", "ctx.qty", "ctx.subtotal", "ctx.month", "ctx.day", "ctx.channel",
	"ctx.weekday", "ctx.store", "ctx.attr.city", "ctx.attr.birth_month", "ctx.attr.none",
	"ctx.customer.points", "ctx.customer.days_since_last_purchase", "ctx.customer.purchase_count",
	"ctx.customer.tier", "ctx.customer.referred_by", "0", "7", "-3", "11", "150000", "7.0", "2.5",
	"'store'", "'app'", "'Pune'", "'mon'", "'gold'", "nil", "true", "false",
	"(ctx.net // 1000)", "(ctx.qty % 3)", "(ctx.net - 100000)", "(ctx.hour * 2 + 1)",
	"(ctx.qty // (ctx.qty - 3))", "K", "tierof(ctx)", "T[ctx.weekday]", "M[ctx.channel]",
};
#define NVALS (sizeof VALS / sizeof VALS[0])
static const char *const OPS[] = { "==", "~=", "<", "<=", ">", ">=" };
static const char *const TRUTHY[] = {
	"ctx.channel", "ctx.attr.city", "ctx.customer", "ctx:coupon('SAVE10')", "ctx:coupon('VIP')",
	"ctx:any_item(is_coffee)", "ctx:any_item(function(i) return i.net > 20000 end)",
	"ctx:any_item(function(i) return i.qty >= 2 and i.sku ~= 'MUG' end)", "T[ctx.weekday]",
	"regular(ctx)", "ctx.customer and ctx.customer.referred_by", "ctx:segment('big')",
	"ctx:variant('exp1') == 'b'", "ctx:count_qty(is_coffee) > 1", "ctx.attr.vip",
	"ctx:any_item(cat('tea'))", "ctx:count_qty(cat(ctx.channel)) > 0", "two(ctx)",
};
#define NTRUTHY (sizeof TRUTHY / sizeof TRUTHY[0])

/* an item predicate's condition */
static const char *const PVALS[] = {
	"i.net", "i.qty", "i.price", "i.sku", "i.category", "'coffee'", "'MUG'", "nil", "2", "10000",
	"(i.net // 2)", "(i.qty % 2)", "(i.net // (i.qty - 1))", "i.tags",
};
#define NPVALS (sizeof PVALS / sizeof PVALS[0])

static void gen_pred(char *b, size_t n)
{
	size_t o = strlen(b);
	switch (rnd(3)) {
	case 0:
		snprintf(b + o, n - o, "%s %s %s", PVALS[rnd(NPVALS)], OPS[rnd(6)], PVALS[rnd(NPVALS)]);
		break;
	case 1:
		snprintf(b + o, n - o, "%s %s %s and %s", PVALS[rnd(NPVALS)], OPS[rnd(6)], PVALS[rnd(NPVALS)],
			rnd(2) ? "i.category" : "i.qty > 1");
		break;
	default:
		snprintf(b + o, n - o, "not (%s == %s) or %s", PVALS[rnd(NPVALS)], PVALS[rnd(NPVALS)],
			rnd(2) ? "i.sku == 'LATTE'" : "nil");
		break;
	}
}

static void gen_cond(char *b, size_t n, int depth)
{
	size_t o = strlen(b);
	int k = depth > 2 ? (int)rnd(2) : (int)rnd(7);
	if (k == 6) {
		snprintf(b + o, n - o, "ctx:%s(function(i) return ", rnd(3) ? "any_item" : "count_qty");
		bool count = strstr(b + o, "count_qty") != NULL;
		gen_pred(b, n);
		o = strlen(b);
		snprintf(b + o, n - o, " end)%s", count ? " >= 2" : "");
		return;
	}
	switch (k) {
	case 0:
		snprintf(b + o, n - o, "%s %s %s", VALS[rnd(NVALS)], OPS[rnd(6)], VALS[rnd(NVALS)]);
		break;
	case 1:
		snprintf(b + o, n - o, "%s", TRUTHY[rnd(NTRUTHY)]);
		break;
	case 2:
		snprintf(b + o, n - o, "not (");
		gen_cond(b, n, depth + 1);
		o = strlen(b);
		snprintf(b + o, n - o, ")");
		break;
	default:
		snprintf(b + o, n - o, "(");
		gen_cond(b, n, depth + 1);
		o = strlen(b);
		snprintf(b + o, n - o, rnd(2) ? " and " : " or ");
		gen_cond(b, n, depth + 1);
		o = strlen(b);
		snprintf(b + o, n - o, ")");
		break;
	}
}

static void gen_body(char *b, size_t n)
{
	char c1[600] = "", c2[600] = "", c3[600] = "";
	gen_cond(c1, sizeof c1, 0);
	gen_cond(c2, sizeof c2, 0);
	gen_cond(c3, sizeof c3, 0);
	switch (rnd(14)) {
	case 13: /* several values into several locals */
		snprintf(b, n, "local p, q, r = two(ctx)\n    return (q == 'x' and p and r == nil) or (%s)", c1);
		break;
	case 0: case 1: case 2:
		snprintf(b, n, "return %s", c1);
		break;
	case 8: /* a closure over a local, and one over a local changed after it */
		snprintf(b, n, "local a = %s\n    local f = function(i) return i.net > a end\n"
			"    %s\n    return ctx:any_item(f) or (%s)", rnd(2) ? "ctx.net // 4" : "10000",
			rnd(2) ? "a = 20000" : "", c1);
		break;
	case 9: /* a value of `or` kept in a new local (TESTSET) */
		snprintf(b, n, "local y = ctx.attr.city or ctx.channel or %s\n    return y == 'Pune' or (%s)",
			rnd(2) ? "'x'" : "7", c1);
		break;
	case 10: /* a helper returning different types on different paths */
		snprintf(b, n, "return mixed(ctx) == true or (%s)", c1);
		break;
	case 11: /* more than one value */
		snprintf(b, n, "return %s, 5", c1);
		break;
	case 12:
		snprintf(b, n, "return mixed(ctx)");
		break;
	case 3:
		snprintf(b, n, "local x = %s\n    if %s then return %s elseif x then return true end\n    return %s",
			VALS[rnd(NVALS)], c1, c2, rnd(2) ? "false" : "nil");
		break;
	case 4:
		snprintf(b, n, "local c = ctx.customer\n    if c == nil then return %s end\n"
			"    return c.spend_12m + ctx.net >= 500000 and (%s)", rnd(2) ? "false" : c1, c2);
		break;
	case 5:
		snprintf(b, n, "return (%s) and %s or %s", c1, VALS[rnd(NVALS)], c2);
		break;
	case 6:
		snprintf(b, n, "for i = 1, 2 do end\n    return %s", c1);
		break;
	default:
		snprintf(b, n, "if %s then return %s end\n    return (%s) and ctx.channel .. '' == 'store'",
			c1, c2, c3);
		break;
	}
}

static const char *const BONUS[] = {
	"5", "function(ctx) return ctx.net // 1000 end", "function(ctx) return ctx:count_qty(is_coffee) * 3 end",
	"function(ctx) return ctx.qty % 4 end", "function(ctx) return ctx.customer.points // 100 end",
	"function(ctx) return 100 // (ctx.qty - 2) end", "function(ctx) return ctx.net / 1000 end",
	"function(ctx) return ctx:sum_net(function(i) return i.category ~= 'merch' end) // 50 end",
};
static const char *const ITEMS[] = {
	"is_coffee", "function(i) return i.price > 10000 end", "function(i, ctx) return i.net * 2 > ctx.net // 3 end",
	"function(i) return i.category == nil or i.category == 'tea' end",
};

static void random_functions(void)
{
	enum { NPROG = 80, NRULES = 6 };
	static char src[40000];
	int agree = 0;
	uint32_t compiled = 0, total = 0;

	for (int pi = 0; pi < NPROG; pi++) {
		char sub[32];
		snprintf(sub, sizeof sub, "rand-%d", pi);
		char *d = mkprog(sub);
		size_t o = (size_t)snprintf(src, sizeof src,
			"local K = %d\n"
			"local T = { mon = true, tue = true, sat = false, sun = 1 }\n"
			"local M = { store = 2, app = 'x' }\n"
			"local function cat(c) return function(i) return i.category == c end end\n"
			"local is_coffee = cat('coffee')\n"
			"local function tierof(ctx) return ctx.customer and ctx.customer.tier end\n"
			"local function regular(ctx) return ctx.customer ~= nil and ctx.customer.purchase_count > 5 end\n"
			"local function mixed(ctx) if ctx.hour > 12 then return 'late' end return ctx.hour > 6 end\n"
			"local function two(ctx) return ctx.hour > 9, 'x' end\n"
			"segment('big', function(ctx) return ctx.subtotal >= 300000 end)\n",
			(int)rnd(20) - 5);
		{
			char sc[700] = "";
			gen_cond(sc, sizeof sc, 1);
			o += (size_t)snprintf(src + o, sizeof src - o,
				"segment('mine', function(ctx) return %s end)\n", sc);
		}
		for (int r = 0; r < NRULES; r++) {
			char body[2400];
			gen_body(body, sizeof body);
			const char *action;
			char abuf[300];
			switch (rnd(4)) {
			case 0:
				snprintf(abuf, sizeof abuf, "discount = { percent = 10, items = %s }", ITEMS[rnd(4)]);
				action = abuf;
				break;
			case 3:
				snprintf(abuf, sizeof abuf, "segment = 'mine', discount = { percent = 5, items = function(i) return ");
				gen_pred(abuf, sizeof abuf);
				snprintf(abuf + strlen(abuf), sizeof abuf - strlen(abuf), " end }");
				action = abuf;
				break;
			case 1:
				snprintf(abuf, sizeof abuf, "bonus_points = %s", BONUS[rnd(8)]);
				action = abuf;
				break;
			default:
				action = "discount = { amount = 500 }";
			}
			o += (size_t)snprintf(src + o, sizeof src - o,
				"rule { name = 'r%d',\n  when = function(ctx)\n    %s\n  end,\n  %s }\n", r, body, action);
		}
		write_file(d, "program.yaml", HEAD);
		write_file(d, "rules.lua", src);
		uint32_t c, t;
		char why[400] = "";
		if (compare_ways(d, 40, &c, &t, why, sizeof why) == 0) {
			agree++;
		} else {
			tap_diag("program %d: %s\n%s", pi, why, src);
		}
		compiled += c;
		total += t;
		rmprog(d);
	}
	is_int(agree, NPROG, "%d random programs: compiled and sandbox agree on 40 baskets each", NPROG);
	ok(total > 0 && compiled * 5 > total && compiled < total,
		"random programs: %u of %u functions compiled (some, not all)", compiled, total);
}

/* ---- load errors ---------------------------------------------------------- */

static void load_errors(const char *name, const char *lua, const char *const *want, size_t nwant)
{
	char *d = mkprog(name);
	prog_errors e;
	char buf[600];

	write_file(d, "program.yaml", HEAD);
	write_file(d, "rules.lua", lua);
	prog_limits lim = { 0 };
	memset(&e, 0, sizeof e);
	program *p = program_load(d, &lim, &e);
	ok(p == NULL, "%s: refused", name);
	program_free(p);
	is_int(e.n, nwant, "%s: %zu errors", name, nwant);
	for (size_t i = 0; i < e.n && i < nwant; i++) {
		snprintf(buf, sizeof buf, "%s:%d:%d: %s", e.v[i].file, e.v[i].line, e.v[i].col, e.v[i].message);
		is_str(buf, want[i], "%s: error %zu", name, i + 1);
	}
	prog_errors_free(&e);
	rmprog(d);
}

static void errors(void)
{
	/* a key's problem at the key: "rule { name = 'b', " is 19 characters,
	 * so the next key is column 20; "bonus = 5, " is 11 more (31);
	 * "discount = { " 13 more than 19 (33) */
	static const char *const keys[] = {
		"rules.lua:2:20: 'when' must be a function or a boolean, not an integer",
		"rules.lua:3:20: unknown rule key 'bonus'",
		"rules.lua:3:31: unknown rule key 'colour'",
		"rules.lua:4:1: rule needs a 'name'",
		"rules.lua:5:33: 'percent' has more than two decimals",
		"rules.lua:6:1: unknown segment 'nosuch'",
		"rules.lua:7:1: duplicate rule 'a' (first defined at rules.lua:1:1)",
		"rules.lua:8:1: 'discount' needs exactly one of percent, amount, free, buy/get",
		"rules.lua:9:1: segment needs a name and a function: segment(\"name\", function(ctx) ... end)",
		"rules.lua:10:20: 'stop' must be true or false, not a string",
		"rules.lua:11:1: rule 'n' has no action (discount, points, bonus_points, points_multiplier, referrer_bonus_points or message)",
	};
	load_errors("keys",
		"rule { name = 'a', points = 1 }\n"
		"rule { name = 'b', when = 5, points = 1 }\n"
		"rule { name = 'c', bonus = 5, colour = 'red', points = 2 }\n"
		"rule { points = 1 }\n"
		"rule { name = 'e', discount = { percent = 12.345 } }\n"
		"rule { name = 'f', segment = 'nosuch', points = 1 }\n"
		"rule { name = 'a', points = 1 }\n"
		"rule { name = 'h', discount = { percent = 10, amount = 5 } }\n"
		"segment('s')\n"
		"rule { name = 'm', stop = 'yes', points = 1 }\n"
		"rule { name = 'n' }\n",
		keys, sizeof keys / sizeof keys[0]);

	/* the key's own line in a rule written over lines, past look-alikes in
	 * a comment, a string, a field assignment and a long string */
	static const char *const spread[] = { "rules.lua:7:5: unknown rule key 'bonus'" };
	load_errors("spread",
		"rule {\n"
		"  name = 'x', -- bonus = 1\n"
		"  message = 'a, bonus = 2',\n"
		"  when = function(ctx) local t = {} t.bonus = 1 return true end,\n"
		"  description = [[\n"
		" , bonus = 3]],\n"
		"    bonus = 4,\n"
		"  points = 1,\n"
		"}\n", spread, 1);

	static const char *const syntax[] = { "rules.lua:3:1: unexpected symbol near '}'" };
	load_errors("syntax", "rule { name = 'a', points = 1 }\n\nrule { name = }\n", syntax, 1);

	static const char *const runtime[] = { "rules.lua:2:1: undefined global 'rulez'" };
	load_errors("runtime", "rule { name = 'a', points = 1 }\nrulez { name = 'b' }\n", runtime, 1);

	static const char *const loop[] = { "rules.lua:1:1: instruction budget exceeded (1000000 instructions)" };
	load_errors("loop", "while true do end\n", loop, 1);

	static const char *const blocked[] = { "rules.lua:1:1: 'os' is not available in the sandbox" };
	load_errors("blocked", "local x = os.getenv('HOME')\n", blocked, 1);
}

/* ---- run-time failures are warnings ------------------------------------ */

static void warnings(void)
{
	char *d = mkprog("warn");
	prog_errors e;

	write_file(d, "program.yaml", HEAD);
	write_file(d, "rules.lua",
		"rule { name = 'ok', bonus_points = 1 }\n"
		"rule { name = 'boom', when = function(ctx)\n  error('no way')\nend, bonus_points = 2 }\n"
		"rule { name = 'loop', when = function(ctx) while true do end end, bonus_points = 4 }\n"
		"rule { name = 'type', when = function(ctx) return 1 end, bonus_points = 8 }\n"
		"rule { name = 'write', when = function(ctx) ctx.net = 0 return true end, bonus_points = 16 }\n"
		"rule { name = 'item-write', when = function(ctx) ctx.items[1].price = 0 return true end, bonus_points = 32 }\n"
		"rule { name = 'pts', points = function(ctx) return 'many' end }\n"
		"rule { name = 'typo', when = function(ctx) return ctx.nett > 0 end, bonus_points = 64 }\n");
	program *p = load(d, &e);
	ok(p != NULL, "program with failing rules loads");
	if (!p)
		return;
	gen g;
	rl_outcome o;
	arena m;
	arena_init(&m, 1 << 16, 0);
	generate(&g);
	rl_evaluate(p, &g.c, &g.b, &m, &o);
	is_int(o.status, RL_OK, "the request succeeds");
	is_int(o.earned, 1, "only the sound rule gives points");
	is_int(o.nwarnings, 7, "seven warnings");
	const char *want[] = {
		"rules.lua:3: no way",
		"rules.lua:5: instruction budget exceeded (1000000 instructions)",
		"'when' must return true, false or nil, not number",
		"rules.lua:7: ctx is read-only",
		"rules.lua:8: item is read-only",
		"rules.lua:10: ctx has no field 'nett'",
		"'points' must return a number, not string",
	};
	/* phase 1 warnings first (rule order), then phase 2 */
	for (uint32_t i = 0; i < o.nwarnings && i < 7; i++)
		is_str(o.warnings[i].message, want[i], "warning %u (%s)", i, program_rule_name(p, (uint32_t)o.warnings[i].rule));
	{
		/* counted by the sandbox: 'loop' ran out of instructions; 'boom',
		 * 'write', 'item-write', 'typo' raised (4 errors); 'type' and 'pts'
		 * returned normally, their result is refused by the bridge */
		uint64_t f[LUASB_NSTATUS];
		ok(program_lua_failures(p, f), "failure counts available");
		ok(f[LUASB_FAIL_INSTR] == 1 && f[LUASB_FAIL_MEMORY] == 0 && f[LUASB_FAIL_BLOCKED] == 0 &&
			f[LUASB_FAIL_ERROR] == 4,
			"failures by kind: instr %llu memory %llu blocked %llu error %llu",
			(unsigned long long)f[1], (unsigned long long)f[2], (unsigned long long)f[3],
			(unsigned long long)f[4]);
	}
	/* and the next request is evaluated normally */
	arena_reset(&m);
	rl_evaluate(p, &g.c, &g.b, &m, &o);
	is_int(o.earned, 1, "next request: same result");
	arena_free(&m);
	program_free(p);
	rmprog(d);
}

/* ---- ctx, field by field ------------------------------------------------- */

/* Each fact is a rule worth a distinct power of two; earned is their sum. */
static void ctx_fields(void)
{
	char *d = mkprog("ctx");
	prog_errors e;

	write_file(d, "program.yaml",
		"program: t\ntimezone: Asia/Kolkata\n"
		"tiers:\n  - name: bronze\n  - name: silver\n    qualify: spend_12m >= 500000\n"
		"segments:\n  mumbai: attr.city == \"Mumbai\"\n");
	write_file(d, "a.lua",
		"segment('lua_seg', function(ctx) return ctx.qty == 3 end)\n"
		"local function fact(n, bit, f) rule { name = n, when = f, bonus_points = bit } end\n"
		"fact('time', 1, function(ctx) return ctx.weekday == 'fri' and ctx.hour == 9 and ctx.month == 11\n"
		"  and ctx.day == 20 and ctx.date == '2026-11-20' end)\n"
		"fact('attr', 2, function(ctx) return ctx.attr.city == 'Mumbai' and ctx.attr.birth_month == 7 and ctx.attr.none == nil end)\n"
		"fact('items', 4, function(ctx) return #ctx.items == 2 and ctx.items[1].sku == 'LATTE'\n"
		"  and ctx.items[2].category == 'pastry' and ctx.items[3] == nil and ctx.items[1].net == 48000 end)\n"
		"fact('tags', 8, function(ctx) return ctx.items[1].tags[1] == 'hot' and #ctx.items[2].tags == 0 end)\n"
		"fact('request', 16, function(ctx) return ctx.subtotal == 57000 and ctx.net == 57000 and ctx.qty == 3\n"
		"  and ctx.channel == 'store' and ctx.store == 'S1' end)\n"
		"fact('coupons', 32, function(ctx) return ctx:coupon('SAVE10') and ctx.coupons[1] == 'save10'\n"
		"  and #ctx.coupons == 1 and not ctx:coupon('NOPE') end)\n"
		"fact('loops', 64, function(ctx) return ctx:count_qty(function(i) return i.category == 'coffee' end) == 2\n"
		"  and ctx:sum_net(function(i) return true end) == 57000 and not ctx:any_item(function(i) return i.qty > 5 end) end)\n"
		"fact('segments', 128, function(ctx) return ctx:segment('mumbai') and ctx:segment('lua_seg') end)\n"
		"fact('customer', 256, function(ctx) local c = ctx.customer return c.id == 'C-1' and c.tier == 'bronze'\n"
		"  and c.days_since_last_purchase == nil and c.referred_by == nil and c.purchase_count == 0\n"
		"  and c.days_since_enrolled == 2 and c.points == 40 and c.referrals == 0 end)\n"
		"fact('pairs', 512, function(ctx) local n = 0 for i, it in pairs(ctx.items) do n = n + i end\n"
		"  for i, it in ipairs(ctx.items) do n = n + it.qty end return n == 6 and ctx.variant ~= nil end)\n");
	write_file(d, "b.yaml",
		"rules:\n  - name: yaml-uses-lua-segment\n    segment: lua_seg\n"
		"    when: segment(\"lua_seg\")\n    bonus_points: 1024\n");
	program *p = load(d, &e);
	ok(p != NULL, "ctx program loads");
	if (!p)
		return;
	rl_item items[2];
	rl_str hot = S("hot"), save = S("save10");
	rl_attr battr = { S("city"), expr_str("Mumbai", 6) };
	rl_attr cattrs[2] = { { S("city"), expr_str("Pune", 4) }, { S("birth_month"), expr_int(7) } };
	int64_t qa[2] = { 0, 0 };
	memset(items, 0, sizeof items);
	items[0].sku = S("LATTE");
	items[0].category = S("coffee");
	items[0].qty = 2;
	items[0].price = 24000;
	items[0].tags = &hot;
	items[0].ntags = 1;
	items[1].sku = S("MUFFIN");
	items[1].category = S("pastry");
	items[1].qty = 1;
	items[1].price = 9000;
	rl_basket b;
	memset(&b, 0, sizeof b);
	b.items = items;
	b.nitems = 2;
	b.coupons = &save;
	b.ncoupons = 1;
	b.channel = S("store");
	b.store = S("S1");
	b.ts = 1795145400; /* 2026-11-20 09:00 +05:30, a Friday */
	b.attrs = &battr;
	b.nattrs = 1;
	rl_customer c;
	memset(&c, 0, sizeof c);
	c.id = S("C-1");
	c.exists = true;
	c.points = 40;
	c.enrolled_at = b.ts - 2 * 86400 - 5;
	c.attrs = cattrs;
	c.nattrs = 2;
	c.tier_qualified_at = qa;
	c.ntiers = 2;
	arena m;
	rl_outcome o;
	arena_init(&m, 1 << 16, 0);
	rl_evaluate(p, &c, &b, &m, &o);
	is_int(o.status, RL_OK, "evaluated");
	is_int(o.earned, 2047, "every fact holds (1 + 2 + ... + 1024)");
	for (uint32_t i = 0; i < o.nwarnings; i++)
		tap_diag("warning: %s: %s", program_rule_name(p, (uint32_t)o.warnings[i].rule), o.warnings[i].message);
	is_int(o.nwarnings, 0, "no warnings");
	/* anonymous: customer is nil, points-only rules are skipped */
	arena_reset(&m);
	rl_evaluate(p, NULL, &b, &m, &o);
	is_int(o.nwarnings, 0, "anonymous: points-only rules skipped, no warnings");
	arena_free(&m);
	program_free(p);
	rmprog(d);
}

/* ---- what is kept between calls of a request, and what is not ----------- */

/* One line of the given sku/category/price in a basket that lives in the
 * caller's buffers, so that a second request can reuse the same addresses
 * with other contents (as the daemon does). */
static void one_line(rl_basket *b, rl_item *it, char *sku, char *chan, int64_t price)
{
	memset(b, 0, sizeof *b);
	memset(it, 0, sizeof *it);
	it->sku.p = sku;
	it->sku.n = (uint32_t)strlen(sku);
	it->category = S("coffee");
	it->qty = 1;
	it->price = price;
	b->items = it;
	b->nitems = 1;
	b->channel.p = chan;
	b->channel.n = (uint32_t)strlen(chan);
	b->ts = 1795145400;
}

static void caches(void)
{
	char *d = mkprog("cache");
	prog_errors e;
	rl_item it;
	rl_basket b;
	rl_customer c;
	rl_outcome o;
	arena m;
	char sku[8], chan[8];

	write_file(d, "program.yaml", HEAD);
	/* big reads the line's net, which the first discount changes: it
	 * must be asked again for the second rule (not remembered) */
	write_file(d, "rules.lua",
		"local function big(item) return item.net >= 20000 end\n"
		"local function aaa(item) return item.sku == 'AAA' end\n"
		"rule { name = 'half', priority = 10, discount = { percent = 50, items = big } }\n"
		"rule { name = 'tenth', priority = 5, discount = { percent = 10, items = big } }\n"
		"rule { name = 'aaa-app', when = function(ctx) return ctx:any_item(aaa) and ctx.channel == 'app' end,\n"
		"  bonus_points = 1 }\n"
		"rule { name = 'aaa-items', when = function(ctx) return ctx.items[1].sku == 'AAA' end, bonus_points = 2 }\n"
		"rule { name = 'tier', when = function(ctx) return ctx.customer.tier == 'silver' end, bonus_points = 4 }\n");
	program *p = load(d, &e);
	ok(p != NULL, "cache program loads");
	if (!p)
		return;
	memset(&c, 0, sizeof c);
	c.id = S("C-1");
	c.exists = true;
	arena_init(&m, 1 << 16, 0);
	strcpy(sku, "AAA");
	strcpy(chan, "app");
	one_line(&b, &it, sku, chan, 30000);
	rl_evaluate(p, &c, &b, &m, &o);
	/* 30000 -> half: 15000 -> tenth: big(15000) is false, nothing */
	is_int(o.total, 15000, "a predicate reading net is asked again after a discount");
	is_int(o.earned, 3, "first request: aaa-app (1) + aaa-items (2), bronze");
	/* the same buffers with other contents: nothing of the first request
	 * may show; spend makes the customer silver */
	strcpy(sku, "BBB");
	strcpy(chan, "ppa");
	c.spend_12m = 600000;
	arena_reset(&m);
	rl_evaluate(p, &c, &b, &m, &o);
	is_int(o.earned, 4, "second request at the same addresses: only the tier rule (4)");
	strcpy(sku, "AAA");
	strcpy(chan, "app");
	c.spend_12m = 0;
	arena_reset(&m);
	rl_evaluate(p, &c, &b, &m, &o);
	is_int(o.earned, 3, "third request: as the first");
	program_free(p);
	rmprog(d);

	/* a function that assigns an upvalue: predicates are not remembered
	 * (pred answers differently in 'b' than in 'a' for the same line) */
	d = mkprog("cache2");
	write_file(d, "program.yaml", HEAD);
	write_file(d, "rules.lua",
		"local mode = 'coffee'\n"
		"local function pred(item) return item.category == mode end\n"
		"rule { name = 'a', when = function(ctx) mode = 'coffee' return ctx:any_item(pred) end, bonus_points = 1 }\n"
		"rule { name = 'b', when = function(ctx) mode = 'tea' return ctx:any_item(pred) end, bonus_points = 2 }\n");
	p = load(d, &e);
	ok(p != NULL, "upvalue program loads");
	if (p) {
		arena_reset(&m);
		rl_evaluate(p, &c, &b, &m, &o);
		is_int(o.earned, 1, "a predicate reading a written upvalue is asked each time");
		program_free(p);
	}
	arena_free(&m);
	rmprog(d);
}

/* Lines: the first read of an item field in a request fills every line
 * at once; a field not copied (qty) read first still answers; a smaller
 * basket and then a larger one at the same addresses show only their own
 * lines. Item predicates: f(item) and f(item, ctx) share remembered
 * results only when f takes one parameter (two() sees ctx as a discount's
 * items, nil in any_item, and must answer each as asked). */
static void lines_and_arity(void)
{
	char *d = mkprog("lines");
	prog_errors e;
	rl_item it[3];
	rl_basket b;
	rl_customer c;
	rl_outcome o;
	arena m;

	write_file(d, "program.yaml", HEAD);
	write_file(d, "rules.lua",
		"local function two(item, ctx) return ctx ~= nil end\n"
		"local function one(item) return item.category == 'coffee' end\n"
		"rule { name = 'two-disc', discount = { percent = 10, items = two } }\n"
		"rule { name = 'one-disc', discount = { amount = 100, items = one } }\n"
		"rule { name = 'two-any', when = function(ctx) return ctx:any_item(two) end, bonus_points = 1 }\n"
		"rule { name = 'one-any', when = function(ctx) return ctx:any_item(one) end, bonus_points = 2 }\n"
		"rule { name = 'three', when = function(ctx) return ctx.items[3] ~= nil and ctx.items[3].qty == 3\n"
		"  and ctx.items[2].sku == 'BBB' and ctx.items[1].category == 'coffee' and ctx.items[3].sku == 'CCC' end,\n"
		"  bonus_points = 4 }\n"
		"rule { name = 'single', when = function(ctx) return #ctx.items == 1 and ctx.items[1].sku == 'DDD'\n"
		"  and ctx.items[2] == nil end, bonus_points = 8 }\n");
	program *p = load(d, &e);
	ok(p != NULL, "lines program loads");
	if (!p)
		return;
	memset(&c, 0, sizeof c);
	c.id = S("C-1");
	c.exists = true;
	arena_init(&m, 1 << 16, 0);
	memset(&b, 0, sizeof b);
	memset(it, 0, sizeof it);
	const char *skus[3] = { "AAA", "BBB", "CCC" };
	for (int i = 0; i < 3; i++) {
		it[i].sku = S(skus[i]);
		it[i].category = S(i == 0 ? "coffee" : "tea");
		it[i].qty = i + 1;
		it[i].price = 10000;
	}
	b.items = it;
	b.nitems = 3;
	b.ts = 1795145400;
	rl_evaluate(p, &c, &b, &m, &o);
	/* subtotal 10000 + 20000 + 30000 = 60000; two-disc 10% of every line
	 * (two sees ctx) = 6000; one-disc 100 off the coffee line; total
	 * 60000 - 6000 - 100 = 53900. two-any: any_item passes no ctx, false;
	 * one-any 2; three 4 */
	is_int(o.total, 53900, "f(item, ctx) as items sees ctx");
	is_int(o.earned, 6, "any_item(f) does not reuse f(item, ctx)'s answers; lines filled together");
	/* the same buffers, one line */
	it[0].sku = S("DDD");
	b.nitems = 1;
	arena_reset(&m);
	rl_evaluate(p, &c, &b, &m, &o);
	is_int(o.earned, 2 + 8, "one line: only it is seen");
	/* three lines again, other contents */
	it[0].sku = S("AAA");
	it[2].sku = S("XXX");
	b.nitems = 3;
	arena_reset(&m);
	rl_evaluate(p, &c, &b, &m, &o);
	is_int(o.earned, 2, "three lines again: line 3's new sku, not the first request's");
	arena_free(&m);
	program_free(p);
	rmprog(d);
}

int main(void)
{
	if (!mkdtemp(tmpl_root)) {
		tap_diag("mkdtemp");
		return 1;
	}
	equivalence();
	compiled_twin();
	random_functions();
	errors();
	warnings();
	ctx_fields();
	caches();
	lines_and_arity();
	rmdir(tmpl_root);
	return tap_done();
}
