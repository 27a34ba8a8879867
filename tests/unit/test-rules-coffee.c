/* tests/unit/test-rules-coffee.c — examples/coffee-club (the shared bench
 * program) loads and gives WORKLOAD.md's numbers on hand-checked baskets. */
#include "tests/unit/test-rules-util.h"

static const char *dir(void)
{
	static char path[1024];
	const char *top = getenv("top_srcdir");
	snprintf(path, sizeof path, "%s/examples/coffee-club", top ? top : TOP_SRCDIR);
	return path;
}

int main(void)
{
	prog_errors errs;
	program *p = program_load(dir(), NULL, &errs);
	if (!ok(p != NULL, "coffee-club loads")) {
		prog_errors_print(&errs, stdout);
		return tap_done();
	}
	is_int(program_nrules(p), 22, "22 rules");
	is_int(program_ntiers(p), 3, "3 tiers");
	is_int(program_point_value(p), 25, "point value");
	is_int(strlen(program_version(p)), 16, "rules_version is 16 hex digits");
	arena mem;
	arena_init(&mem, 64 * 1024, 0);

	/* WORKLOAD.md "Response": bronze, 8030 points, earlier purchases, Monday
	 * 06:10 IST, in store. pastry 10 %: 1400 → croissant 12600; SAVE10:
	 * 4800 + 1260 = 6060; net 43200 + 11340 = 54540 (< 150000: no amount);
	 * base 545 × 2 (weekday store) = 1090 */
	rl_item it[2] = { tr_item("LATTE-M", "coffee", 2, 24000), tr_item("CROISSANT", "pastry", 1, 14000) };
	rl_str codes[1] = { TR_S("SAVE10") };
	rl_basket b = tr_basket(it, 2, 1793580000);
	b.coupons = codes;
	b.ncoupons = 1;
	b.store = TR_S("S017");
	rl_customer c = tr_customer("C004217", 1700000000);
	c.points = 8030;
	c.purchase_count = 3;
	c.spend_12m = c.lifetime_spend = 100000;
	c.has_last_purchase = true;
	c.last_purchase_at = 1793580000 - 5 * 86400;
	rl_outcome o;
	rl_evaluate(p, &c, &b, &mem, &o);
	is_int(o.status, RL_OK, "ok");
	is_int(o.subtotal, 62000, "subtotal");
	is_int(o.discount_total, 7460, "discount_total");
	is_int(o.total, 54540, "total");
	ok(o.lines[0].discount == 4800 && o.lines[0].net == 43200, "latte line 4800 / 43200");
	ok(o.lines[1].discount == 2660 && o.lines[1].net == 11340, "croissant line 2660 / 11340");
	is_str(tr_applied_str(p, &o),
		"coffee-pastry-pairing d=1400; coupon-SAVE10 d=6060; base-earn p=545; weekday-store-double m=200;",
		"applied as in WORKLOAD.md");
	is_int(o.earned, 1090, "earned");
	ok(o.tier_before == 0 && o.tier_after == 0, "bronze to bronze");
	ok(o.ncoupons == 1 && o.coupons[0].accepted, "SAVE10 accepted");

	/* gold, Pune, November birthday, beans + merch + latte, BEANS20 + 2XPTS:
	 * birthday: latte free 24000; gold 5 %: 3250 + 2750 = 6000;
	 * BEANS20: 61750 × 20 % = 12350; merch 25 %: 52250 → 13062.5 → 13063;
	 * net 49400 + 39187 + 0 = 88587; points 885 + 494 = 1379;
	 * × 1.5 × 2 × 2 = 8274; + 75 (Pune, store) = 8349 */
	rl_item it2[3] = { tr_item("BEANS-HOUSE-250", "beans", 1, 65000), tr_item("MUG", "merch", 1, 55000),
		tr_item("LATTE-M", "coffee", 1, 24000) };
	rl_str codes2[2] = { TR_S("BEANS20"), TR_S("2XPTS") };
	rl_basket b2 = tr_basket(it2, 3, 1793580000);
	b2.coupons = codes2;
	b2.ncoupons = 2;
	rl_customer g = tr_customer("C000042", 1700000000);
	g.spend_12m = g.lifetime_spend = 2000000;
	g.purchase_count = 5;
	g.has_last_purchase = true;
	g.last_purchase_at = 1793580000 - 10 * 86400;
	int64_t qa[3] = { 1, 1, 1793580000 - 86400 };
	g.tier_qualified_at = qa;
	g.ntiers = 3;
	rl_attr attrs[2] = { { TR_S("birth_month"), { .t = EV_INT, .u.i = 11 } },
		{ TR_S("city"), { .t = EV_STR, .u.s = { "Pune", 4 } } } };
	g.attrs = attrs;
	g.nattrs = 2;
	arena_reset(&mem);
	rl_evaluate(p, &g, &b2, &mem, &o);
	is_int(o.discount_total, 55413, "24000 + 6000 + 12350 + 13063");
	is_int(o.total, 88587, "total");
	is_str(tr_applied_str(p, &o),
		"birthday-drink d=24000; gold-member-price d=6000; coupon-BEANS20 d=12350; merch-with-beans d=13063; "
		"base-earn p=885; beans-double-earn p=494; gold-multiplier m=150; weekday-store-double m=200; "
		"coupon-2XPTS m=200; pune-store-launch b=75;", "applied");
	is_int(o.earned, 8349, "earned");
	ok(o.ncoupons == 2 && o.coupons[0].accepted && o.coupons[1].accepted, "both coupons accepted");
	ok(o.nfired_limited == 1 &&
		strcmp(program_rule_name(p, (uint32_t)o.fired_limited[0]), "birthday-drink") == 0,
		"the birthday fire is reported for the limit");
	ok(o.tier_before == 2 && o.tier_after == 2, "gold stays gold");

	/* the same basket with the birthday fired 364 days ago: held back */
	rl_fire f = { TR_S("birthday-drink"), 1793580000 - 364 * 86400 };
	g.fires = &f;
	g.nfires = 1;
	arena_reset(&mem);
	rl_evaluate(p, &g, &b2, &mem, &o);
	ok(tr_applied(p, &o, "birthday-drink") == NULL, "once a year");
	arena_free(&mem);
	program_free(p);
	return tap_done();
}
