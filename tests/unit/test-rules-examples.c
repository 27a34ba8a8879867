/* tests/unit/test-rules-examples.c — the example programs (examples/) load
 * and give the answers their READMEs promise for sample-baskets.ndjson,
 * computed by hand below. Customer state is carried between purchases the
 * way the engine commits it (points, spend, count, last purchase, limit
 * fires, tier state). */
#include "tests/unit/test-rules-util.h"

static arena mem;

static program *load(const char *name)
{
	char path[1024];
	const char *top = getenv("top_srcdir");
	snprintf(path, sizeof path, "%s/examples/%s", top ? top : TOP_SRCDIR, name);
	prog_errors errs;
	program *p = program_load(path, NULL, &errs);
	if (!ok(p != NULL, "examples/%s loads", name))
		prog_errors_print(&errs, stdout);
	return p;
}

typedef struct state {
	rl_customer c;
	rl_fire fires[8];
	int64_t qa[8];
} state;

static void st_init(state *s, const char *id, int64_t enrolled)
{
	memset(s, 0, sizeof *s);
	s->c = tr_customer(id, enrolled);
	s->c.fires = s->fires;
	s->c.tier_qualified_at = s->qa;
	s->c.ntiers = 8;
	s->qa[0] = enrolled;
}

static rl_outcome buy(const program *p, state *s, rl_basket *b, bool commit)
{
	rl_outcome o;
	arena_reset(&mem);
	rl_evaluate(p, s ? &s->c : NULL, b, &mem, &o);
	if (commit && s && o.status == RL_OK) {
		s->c.points += o.earned - o.redeemed_points;
		s->c.spend_12m += o.total;
		s->c.lifetime_spend += o.total;
		s->c.purchase_count++;
		s->c.has_last_purchase = true;
		s->c.last_purchase_at = b->ts;
		for (uint32_t i = 0; i < program_ntiers(p); i++)
			s->qa[i] = o.tier_qualified_at_after[i];
		for (uint32_t i = 0; i < o.nfired_limited && s->c.nfires < 8; i++) {
			const char *n = program_rule_name(p, (uint32_t)o.fired_limited[i]);
			s->fires[s->c.nfires].rule.p = n;
			s->fires[s->c.nfires].rule.n = (uint32_t)strlen(n);
			s->fires[s->c.nfires].ts = b->ts;
			s->c.nfires++;
		}
	}
	return o;
}

static void coffee(const char *name)
{
	program *p = load(name);
	if (!p)
		return;
	rl_attr a1[2] = { { TR_S("birth_month"), { .t = EV_INT, .u.i = 11 } },
		{ TR_S("city"), { .t = EV_STR, .u.s = { "Pune", 4 } } } };
	rl_attr a2[1] = { { TR_S("city"), { .t = EV_STR, .u.s = { "Surat", 5 } } } };
	state c1, c2;
	st_init(&c1, "C-1001", 1793503800);
	c1.c.attrs = a1;
	c1.c.nattrs = 2;
	st_init(&c2, "C-1002", 1793504100);
	c2.c.attrs = a2;
	c2.c.nattrs = 1;

	/* T-0001, Mon 2026-11-02 08:30 IST, store, first purchase, birthday
	 * month, Pune: latte free (24000), croissant 10 % (1400) → 12600;
	 * 126 × 2 + 250 + 40 + 75 = 617 */
	rl_item i1[2] = { tr_item("LATTE-M", "coffee", 1, 24000), tr_item("CROISSANT", "pastry", 1, 14000) };
	rl_basket b = tr_basket(i1, 2, 1793588400);
	rl_outcome o = buy(p, &c1, &b, true);
	is_int(o.total, 12600, "%s T-0001 total", name);
	is_int(o.earned, 617, "%s T-0001 earned 126 x 2 + 250 + 40 + 75", name);

	/* T-0002, Mon 21:10, online: BEANS20 26000; save10 10400 + 5500;
	 * net 143100 < 150000; merch 25 % of 49500 = 12375 → 130725;
	 * 1307 + 936 + 250 = 2493 */
	rl_item i2[2] = { tr_item("BEANS-HOUSE-250", "beans", 2, 65000), tr_item("MUG", "merch", 1, 55000) };
	rl_str k2[2] = { TR_S("BEANS20"), TR_S("save10") };
	b = tr_basket(i2, 2, 1793634000);
	b.channel = TR_S("online");
	b.coupons = k2;
	b.ncoupons = 2;
	o = buy(p, &c2, &b, true);
	is_int(o.discount_total, 54275, "%s T-0002 discount 26000 + 15900 + 12375", name);
	is_int(o.earned, 2493, "%s T-0002 earned", name);
	ok(o.coupons[0].accepted && o.coupons[1].accepted, "%s T-0002 both coupons (case-insensitive)", name);

	/* T-0003, Tue 10:00, store: brownie free (3 pastries); net 54000;
	 * 540 × 2 × 2 + 20 × 2 = 2200 */
	rl_item i3[3] = { tr_item("MUFFIN", "pastry", 2, 12000), tr_item("BROWNIE", "pastry", 1, 11000),
		tr_item("MASALA-CHAI", "tea", 2, 15000) };
	rl_str k3[2] = { TR_S("2XPTS"), TR_S("NOSUCH") };
	b = tr_basket(i3, 3, 1793680200);
	b.coupons = k3;
	b.ncoupons = 2;
	o = buy(p, &c2, &b, true);
	is_int(o.total, 54000, "%s T-0003 total", name);
	is_int(o.earned, 2200, "%s T-0003 earned", name);
	is_str(o.coupons[1].reason, "unknown", "%s NOSUCH unknown", name);

	/* anonymous quote: 6 capsules, 1 free (42000), then 10000 off → 200000 */
	rl_item i4[1] = { tr_item("CAPS-ESP10", "capsules", 6, 42000) };
	b = tr_basket(i4, 1, 1793680500);
	o = buy(p, NULL, &b, false);
	is_int(o.total, 200000, "%s anonymous quote total", name);
	is_str(tr_applied_str(p, &o), "capsule-buy5-get1 d=42000; basket-1500-save-100 d=10000;",
		"%s anonymous: discounts only", name);
	program_free(p);
}

static void fashion(void)
{
	program *p = load("fashion-retailer");
	if (!p)
		return;
	state f0, f1;
	st_init(&f0, "F-2000", 1768042800);
	rl_attr a0[1] = { { TR_S("birth_month"), { .t = EV_INT, .u.i = 3 } } };
	f0.c.attrs = a0;
	f0.c.nattrs = 1;
	st_init(&f1, "F-2001", 1795172400);
	f1.c.referred_by = TR_S("F-2000");

	/* F-0001, 2026-11-23 15:00 +01:00, online: 3 t-shirts, 1 free (1500);
	 * WELCOME15 on 3000 + 8000 = 450 + 1200 = 1650 (under max 3000);
	 * net 9350: 93 + 50 (online, 4 units) + 200 (referral) = 343 */
	rl_item i1[2] = { tr_item("TSHIRT-W", "basics", 3, 1500), tr_item("JEANS-32", "denim", 1, 8000) };
	rl_str k1[1] = { TR_S("WELCOME15") };
	rl_basket b = tr_basket(i1, 2, 1795442400);
	b.channel = TR_S("online");
	b.coupons = k1;
	b.ncoupons = 1;
	rl_outcome o = buy(p, &f1, &b, true);
	is_str(tr_applied_str(p, &o),
		"basics-3-for-2 d=1500; base-earn p=93; online-basket-bonus b=50; referral b=200; coupon-WELCOME15 d=1650;",
		"F-0001 applied");
	is_int(o.earned, 343, "F-0001 earned");
	is_int(o.referrer_bonus_total, 500, "F-0001 referrer gets 500");

	/* F-0002, 2026-12-27 11:00 +01:00, store; F-2000 is in variant "socks":
	 * sale 30 % of the coat 5970 (the parka is no-sale); socks free 900;
	 * FLAT50 on 13930 + 24900 (T = 38830): 1793 r27810 / 3206 r11020,
	 * the left unit to the coat → 1794 / 3206; stop; 33830 → 338 points */
	ok(rl_assign_variant(p, 0, "F-2000", 6) == 1, "F-2000 is in the socks variant");
	rl_str tags[1] = { TR_S("no-sale") };
	rl_item i2[3] = { tr_item("COAT-WOOL", "outerwear", 1, 19900), tr_item("PARKA-LTD", "outerwear", 1, 24900),
		tr_item("SOCKS", "accessories", 1, 900) };
	i2[1].tags = tags;
	i2[1].ntags = 1;
	rl_str k2[1] = { TR_S("FLAT50") };
	b = tr_basket(i2, 3, 1798365600);
	b.coupons = k2;
	b.ncoupons = 1;
	o = buy(p, &f0, &b, true);
	is_str(tr_applied_str(p, &o),
		"winter-sale d=5970; socks-with-jacket d=900; base-earn p=338; coupon-FLAT50 d=5000;", "F-0002 applied");
	ok(o.lines[0].discount == 5970 + 1794 && o.lines[1].discount == 3206, "F-0002 FLAT50 shares");
	is_int(o.earned, 338, "F-0002 earned");
	is_int(o.nmessages, 1, "F-0002 socks message");

	/* next day: FLAT50 held back by its 90-day limit; sale 11940 → 278 */
	rl_item i3[1] = { tr_item("COAT-WOOL", "outerwear", 2, 19900) };
	b = tr_basket(i3, 1, 1798452000);
	b.coupons = k2;
	b.ncoupons = 1;
	o = buy(p, &f0, &b, false);
	is_str(o.coupons[0].reason, "not_applicable", "FLAT50 once per 90 days");
	is_int(o.earned, 278, "quote earned 27860 // 100");
	program_free(p);
}

static void grocery(void)
{
	program *p = load("grocery");
	if (!p)
		return;
	state g;
	st_init(&g, "G-3001", 1785587400);
	rl_attr a[1] = { { TR_S("birth_month"), { .t = EV_INT, .u.i = 11 } } };
	g.c.attrs = a;
	g.c.nattrs = 1;
	rl_item i1[1] = { tr_item("RICE-5KG", "staples", 1, 45000) };
	rl_basket b = tr_basket(i1, 1, 1785673800);
	rl_outcome o = buy(p, &g, &b, true);
	is_int(o.earned, 450, "G-0001: 450");

	/* G-0002, Wed 2026-11-25 18:30, 115 days later (lapsed), birthday:
	 * produce 10 % 800; biscuits 1 free 3000; win-back 10 % without
	 * tobacco 720 + 7500 + 600 = 8820 → net 114380;
	 * (114380 − 35000) // 100 = 793; organic 2 × 675 = 1350; fresh 64;
	 * birthday 500 → 2707 */
	rl_str ob[1] = { TR_S("own-brand") };
	rl_item i2[4] = { tr_item("TOMATO-1KG", "produce", 2, 4000), tr_item("OAT-MILK", "organic", 3, 25000),
		tr_item("OWN-BISCUIT", "snacks", 3, 3000), tr_item("CIGS-20", "tobacco", 1, 35000) };
	i2[2].tags = ob;
	i2[2].ntags = 1;
	b = tr_basket(i2, 4, 1795611600);
	o = buy(p, &g, &b, true);
	is_int(o.discount_total, 12620, "G-0002 discounts 800 + 3000 + 8820");
	is_int(o.earned, 2707, "G-0002 earned 793 + 1350 + 64 + 500");
	is_int(o.nmessages, 2, "win-back and birthday messages");

	/* G-0003, Fri 11-27 19:00, subtotal 310000: 25000 off by largest
	 * remainder 14516 / 10484; redeem 100 × 10 = 1000; net 284000 → 2840
	 * + big shop 100; birthday held back → 2940 */
	rl_item i3[2] = { tr_item("BASMATI-10KG", "staples", 1, 180000), tr_item("GHEE-1L", "dairy", 2, 65000) };
	b = tr_basket(i3, 2, 1795786200);
	b.has_redeem = true;
	b.redeem_points = 100;
	o = buy(p, &g, &b, true);
	ok(o.lines[0].discount == 14516 && o.lines[1].discount == 10484, "G-0003 amount shares");
	is_int(o.redeemed_value, 1000, "G-0003 redeemed 1000");
	is_int(o.total, 284000, "G-0003 total");
	is_int(o.earned, 2940, "G-0003 earned 2840 + 100");
	is_int(g.c.points, 450 + 2707 + 2940 - 100, "balance after three purchases");
	program_free(p);
}

int main(void)
{
	arena_init(&mem, 64 * 1024, 0);
	coffee("coffee-club");
	coffee("coffee-chain");
	fashion();
	grocery();
	arena_free(&mem);
	return tap_done();
}
