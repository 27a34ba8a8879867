/* tests/unit/test-rules-eval.c — rl_evaluate's order and conditions
 * (rules.md, "Evaluation"): priority ties, stop, the running net, segments
 * on the basket as sent, limits and their window, coupons, anonymous
 * baskets, run-time warnings, messages, referrals, tiers with grace, and
 * the calendar names in the program's timezone. */
#include <xxhash.h>

#include "tests/unit/test-rules-util.h"

#define TS 1795409100 /* 2026-11-23 10:15 +05:30, a Monday */
static arena mem;

static rl_outcome run_c(const program *p, const rl_customer *c, rl_basket *b)
{
	rl_outcome o;
	arena_reset(&mem);
	rl_evaluate(p, c, b, &mem, &o);
	return o;
}

static rl_outcome run1(const program *p, int64_t price)
{
	static rl_item it[1];
	static rl_basket b;
	static rl_customer c;
	it[0] = tr_item("A", "x", 1, price);
	b = tr_basket(it, 1, TS);
	c = tr_customer("C1", TS - 86400 * 30);
	return run_c(p, &c, &b);
}

static void test_order(void)
{
	program *p = tr_load(
		"rules:\n"
		"  - {name: a, discount: {percent: 10}}\n"
		"  - {name: b, priority: 5, discount: {percent: 10}}\n"
		"  - {name: c, priority: 5, discount: {percent: 10}}\n"
		"  - {name: d, discount: {percent: 10}}\n");
	ok(p != NULL, "order program loads %s", tr_errbuf);
	/* b, c (priority 5, read order), then a, d: 1000 → b 100 → c 90 → a 81
	 * → d 72.9 rounds to 73 */
	rl_outcome o = run1(p, 1000);
	is_str(tr_applied_str(p, &o), "b d=100; c d=90; a d=81; d d=73;", "priority desc, then read order");
	is_str(program_rule_name(p, 0), "b", "rules are kept sorted");
	program_free(p);

	p = tr_load(
		"rules:\n"
		"  - {name: a, discount: {percent: 10}}\n"
		"  - {name: s0, priority: 6, when: net < 10, stop: true, discount: {percent: 50}}\n"
		"  - {name: b, priority: 5, discount: {percent: 10}, stop: true}\n"
		"  - {name: c, priority: 5, points: 1}\n");
	o = run1(p, 1000);
	is_str(tr_applied_str(p, &o), "b d=100;", "stop on a rule that fired ends the run; a rule that did not fire does not stop");
	program_free(p);

	p = tr_load(
		"segments:\n  big: net >= 1000\n"
		"rules:\n"
		"  - {name: half, discount: {percent: 50}}\n"
		"  - {name: running, when: net >= 600, discount: {amount: 10}}\n"
		"  - {name: seg, segment: big, discount: {amount: 10}}\n"
		"  - {name: segf, when: segment(\"big\") and net == 490, discount: {amount: 1}}\n");
	/* half: 500 left; running sees 500 < 600; seg holds (1000 as sent): 490;
	 * segf: segment() is the same value, net is 490 */
	o = run1(p, 1000);
	is_str(tr_applied_str(p, &o), "half d=500; seg d=10; segf d=1;", "when sees the running net; segments the basket as sent");
	is_int(o.nsegments, 1, "one segment holds");
	is_int(o.segments[0], 0, "it is 'big'");
	program_free(p);
}

static void test_limits(void)
{
	program *p = tr_load("rules:\n  - name: once\n    limit: {per_customer: 1, window_days: 365}\n"
		"    discount: {amount: 5}\n");
	rl_item it[1] = { tr_item("A", NULL, 1, 100) };
	rl_basket b = tr_basket(it, 1, TS);
	rl_customer c = tr_customer("C1", TS);
	rl_fire f = { TR_S("once"), TS - 100 * 86400 };
	c.fires = &f;
	c.nfires = 1;
	rl_outcome o = run_c(p, &c, &b);
	is_int(o.napplied, 0, "a fire 100 days ago holds the rule back");
	is_int(o.nwarnings, 0, "a limit is not a warning");
	f.ts = TS - 365 * 86400;
	o = run_c(p, &c, &b);
	is_int(o.discount_total, 5, "a fire exactly 365 × 86400 s ago is outside (ts − D, ts]");
	is_int(o.nfired_limited, 1, "the fire is reported for the store");
	o = run_c(p, NULL, &b);
	is_int(o.napplied, 0, "a limited rule never fires for an anonymous basket");
	program_free(p);

	p = tr_load("rules:\n  - name: twice\n    limit: {per_customer: 2}\n    discount: {amount: 5}\n");
	rl_fire two[2] = { { TR_S("twice"), 1 }, { TR_S("other"), TS } };
	c.fires = two;
	c.nfires = 2;
	o = run_c(p, &c, &b);
	is_int(o.discount_total, 5, "without a window every fire counts: 1 of 2");
	two[1].rule = TR_S("twice");
	o = run_c(p, &c, &b);
	is_int(o.discount_total, 0, "2 of 2: held back");
	program_free(p);
}

static void test_coupons(void)
{
	program *p = tr_load("rules:\n"
		"  - {name: c1, when: coupon(\"SAVE10\"), discount: {percent: 10}}\n"
		"  - {name: c2, when: coupon(\"Beans\") and net > 1000000, discount: {percent: 20}}\n"
		"  - {name: c3, when: coupon(\"ZERO\"), discount: {percent: 10, items: item.sku == \"none\"}}\n");
	rl_item it[1] = { tr_item("A", NULL, 1, 100) };
	rl_str codes[5] = { TR_S("save10"), TR_S("SAVE10"), TR_S("NOPE"), TR_S("BEANS"), TR_S("zero") };
	rl_basket b = tr_basket(it, 1, TS);
	b.coupons = codes;
	b.ncoupons = 5;
	rl_customer c = tr_customer("C1", TS);
	rl_outcome o = run_c(p, &c, &b);
	is_int(o.ncoupons, 5, "one entry per code");
	ok(o.coupons[0].accepted, "case-insensitive match, rule fired: accepted");
	is_str(o.coupons[1].reason, "duplicate", "the same code again: duplicate");
	is_str(o.coupons[2].reason, "unknown", "no rule tests it: unknown");
	is_str(o.coupons[3].reason, "not_applicable", "its rule did not fire: not_applicable");
	ok(o.coupons[4].accepted, "accepted when its rule fired even giving nothing");
	is_str(tr_applied_str(p, &o), "c1 d=10;", "c3 fired with 0 and is not listed");
	program_free(p);
}

static void test_anonymous(void)
{
	program *p = tr_load("rules:\n"
		"  - {name: pts, when: attr.nosuch + 1 > 0, points: 5}\n"
		"  - {name: who, when: customer == null and tier == null and points == null and attr.vip == true, message: hi}\n"
		"  - {name: both, discount: {amount: 3}, points: 7}\n");
	rl_item it[1] = { tr_item("A", NULL, 1, 100) };
	rl_basket b = tr_basket(it, 1, TS);
	rl_attr a = { TR_S("vip"), { .t = EV_BOOL, .u.b = true } };
	b.attrs = &a;
	b.nattrs = 1;
	rl_outcome o = run_c(p, NULL, &b);
	is_int(o.nwarnings, 0, "points-only rules are skipped: no warning");
	is_str(tr_applied_str(p, &o), "who; both d=3;", "customer names null, attr from the request; no points");
	is_int(o.earned, 0, "nothing earned");
	is_int(o.tier_before, -1, "no tier");
	is_int(o.nmessages, 1, "the message");
	ok(o.nmessages == 1 && o.messages[0].n == 2 && memcmp(o.messages[0].p, "hi", 2) == 0, "message text");
	rl_customer c = tr_customer("C1", TS);
	o = run_c(p, &c, &b);
	is_int(o.nwarnings, 1, "with a customer the failing rule warns");
	ok(o.nwarnings == 1 && o.warnings[0].rule >= 0 &&
		strcmp(program_rule_name(p, (uint32_t)o.warnings[0].rule), "pts") == 0, "the warning names the rule");
	is_str(tr_applied_str(p, &o), "both d=3 p=7;", "customer == null is false for a customer");
	is_int(o.earned, 7, "7 points");
	program_free(p);
}

static void test_phase_errors(void)
{
	program *p = tr_load("points: {value: 10}\nrules:\n"
		"  - {name: bad1, when: attr.x + 1 > 0, discount: {amount: 50}}\n"
		"  - {name: bad2, discount: {amount: 20}, points: attr.x * 2, points_multiplier: 3}\n"
		"  - {name: base, points: net // 10}\n"
		"  - {name: msg, message: \"Welcome back!\"}\n");
	rl_item it[1] = { tr_item("A", NULL, 1, 1000) };
	rl_basket b = tr_basket(it, 1, TS);
	rl_customer c = tr_customer("C1", TS);
	rl_outcome o = run_c(p, &c, &b);
	/* bad1: phase-1 error, does not fire. bad2: discount 20 stays, its
	 * points and multiplier go. base: (1000 − 20) // 10 = 98. */
	is_int(o.discount_total, 20, "phase-1 error: no discount; phase-2 error keeps the discount");
	is_int(o.earned, 98, "the failing rule's multiplier is dropped too");
	is_int(o.nwarnings, 2, "both listed in warnings");
	is_str(tr_applied_str(p, &o), "bad2 d=20; base p=98; msg;", "applied");
	program_free(p);
}

static void test_referral(void)
{
	program *p = tr_load("rules:\n  - name: refer\n    when: referred_by != null and purchase_count == 0\n"
		"    bonus_points: 100\n    referrer_bonus_points: 300\n");
	rl_item it[1] = { tr_item("A", NULL, 1, 1000) };
	rl_basket b = tr_basket(it, 1, TS);
	rl_customer c = tr_customer("C2", TS);
	c.referred_by = TR_S("C1");
	rl_outcome o = run_c(p, &c, &b);
	const rl_applied *a = tr_applied(p, &o, "refer");
	ok(a && a->bonus_points == 100 && a->referrer_bonus_points == 300, "bonus and referrer bonus");
	is_int(o.earned, 100, "the referrer bonus is not the customer's");
	is_int(o.referrer_bonus_total, 300, "referrer total");
	c.referred_by.p = NULL;
	c.referred_by.n = 0;
	o = run_c(p, &c, &b);
	is_int(o.napplied, 0, "nobody referred: the rule does not fire");
	program_free(p);
}

static void test_tiers(void)
{
	program *p = tr_load("tiers:\n  - name: bronze\n  - name: silver\n    qualify: spend_12m >= 1000\n"
		"    keep_days: 10\n  - name: gold\n    qualify: spend_12m >= 5000 and points >= 0\n"
		"rules:\n  - {name: t, when: tier == \"silver\", bonus_points: 1}\n");
	rl_item it[1] = { tr_item("A", NULL, 1, 1000) };
	rl_basket b = tr_basket(it, 1, TS);
	rl_customer c = tr_customer("C1", TS - 400 * 86400);
	int64_t qa[3] = { 1, TS - 9 * 86400, 0 };
	c.tier_qualified_at = qa;
	c.ntiers = 3;
	rl_outcome o = run_c(p, &c, &b);
	is_int(o.tier_before, 1, "silver reached 9 days ago with keep_days 10: still silver");
	is_int(o.earned, 1, "rules see the tier before the purchase");
	/* after: spend 0 + 1000 >= 1000 qualifies silver again at ts */
	is_int(o.tier_after, 1, "after: silver");
	is_int(o.tier_qualified_at_after[1], TS, "silver qualified at ts");
	is_int(o.tier_qualified_at_after[2], 0, "gold never");
	qa[1] = TS - 10 * 86400;
	b.items = (rl_item[]){ tr_item("A", NULL, 1, 999) };
	o = run_c(p, &c, &b);
	is_int(o.tier_before, 0, "10 days: grace over (strictly less than keep_days)");
	is_int(o.tier_after, 0, "999 does not qualify");
	c.spend_12m = 4500;
	b.items = (rl_item[]){ tr_item("A", NULL, 1, 500) };
	o = run_c(p, &c, &b);
	is_int(o.tier_before, 1, "4500 qualifies silver now");
	is_int(o.tier_after, 2, "4500 + 500 = 5000: gold");
	is_int(rl_tier_at(p, &c, TS, false, NULL), 1, "rl_tier_at agrees");
	program_free(p);
}

static void test_time(void)
{
	program *p = tr_load("timezone: Asia/Kolkata\nrules:\n"
		"  - {name: t, when: weekday == \"mon\" and hour == 10 and month == 11 and day == 23 and date == \"2026-11-23\", bonus_points: 1}\n");
	ok(p != NULL, "Kolkata program %s", tr_errbuf);
	rl_civil cv;
	rl_civil_time(p, 1793557800, &cv);
	ok(cv.year == 2026 && cv.month == 11 && cv.day == 2 && cv.hour == 0 && cv.weekday == 0 &&
		cv.utc_offset_s == 19800, "1793557800 is Monday 2026-11-02 00:00 +05:30");
	rl_civil_time(p, 1793557799, &cv);
	ok(cv.day == 1 && cv.hour == 23 && cv.minute == 59 && cv.weekday == 6, "a second earlier: Sunday 23:59");
	rl_outcome o = run1(p, 100);
	is_int(o.earned, 1, "weekday, hour, month, day, date in the program's timezone");
	is_str(program_timezone(p), "Asia/Kolkata", "timezone name");
	program_free(p);

	p = tr_load("timezone: America/New_York\nrules:\n  - {name: t, points: 1}\n");
	/* 2026-03-08 07:00 UTC: 02:00 EST becomes 03:00 EDT */
	rl_civil_time(p, 1772953199, &cv);
	ok(cv.utc_offset_s == -18000 && cv.hour == 1, "before the change: EST 01:59");
	rl_civil_time(p, 1772953200, &cv);
	ok(cv.utc_offset_s == -14400 && cv.hour == 3, "at the change: EDT 03:00");
	program_free(p);
}

static void test_experiments(void)
{
	program *p = tr_load("experiments:\n"
		"  - name: tp\n    salt: tp-2026\n    traffic: 50\n    variants: {control: 50, double: 50}\n"
		"  - name: later\n    variants: {a: 1}\n    start: 2027-01-01\n"
		"rules:\n"
		"  - {name: dbl, experiment: tp, variant: double, points_multiplier: 2}\n"
		"  - {name: any, experiment: tp, bonus_points: 1}\n"
		"  - {name: fn, when: variant(\"tp\") == \"control\", bonus_points: 10}\n"
		"  - {name: base, points: 100}\n");
	ok(p != NULL, "experiment program %s", tr_errbuf);
	int seen_in = 0, seen_out = 0, checked = 0;
	for (int i = 0; i < 200; i++) {
		char id[16], buf[64];
		snprintf(id, sizeof id, "C%04d", i);
		/* the documented formula, recomputed here (doc/experiments.md) */
		int n = snprintf(buf, sizeof buf, "tp-2026:%s", id);
		uint64_t bucket = XXH64(buf, (size_t)n, 0) % 10000;
		int want = -1;
		if (bucket < 5000) {
			n = snprintf(buf, sizeof buf, "tp-2026:%s:variant", id);
			want = XXH64(buf, (size_t)n, 0) % 10000 < 5000 ? 0 : 1;
		}
		int got = rl_assign_variant(p, 0, id, strlen(id));
		checked += got == want;
		if (i < 40) {
			rl_item it[1] = { tr_item("A", NULL, 1, 100) };
			rl_basket b = tr_basket(it, 1, TS);
			rl_customer c = tr_customer(id, TS);
			rl_outcome o = run_c(p, &c, &b);
			/* double: 100 × 2 + 1 = 201; control: 100 + 1 + 10 = 111; out: 100 */
			int64_t exp = want == 1 ? 201 : want == 0 ? 111 : 100;
			if (o.earned != exp)
				tap_diag("%s variant %d earned %lld", id, want, (long long)o.earned);
			checked += o.earned == exp;
			checked += (int)o.nexperiments == (want >= 0);
			seen_in += want >= 0;
			seen_out += want < 0;
		}
	}
	is_int(checked, 200 + 80, "assignment follows the documented hash; rules follow the variant");
	ok(seen_in > 5 && seen_out > 5, "both in and out of traffic seen (%d/%d)", seen_in, seen_out);
	ok(!program_experiment_running(p, 1, TS), "an experiment before its start is not running");
	ok(program_experiment_running(p, 0, TS), "no dates: always running");
	is_str(program_variant_name(p, 0, 1), "double", "variant names");
	program_free(p);
}

static void test_redeem(void)
{
	program *p = tr_load("points: {value: 30}\nrules:\n  - {name: base, points: net // 100}\n"
		"  - {name: d, discount: {amount: 100}}\n");
	rl_item it[1] = { tr_item("A", NULL, 1, 1100) };
	rl_basket b = tr_basket(it, 1, TS);
	rl_customer c = tr_customer("C1", TS);
	c.points = 100;
	b.has_redeem = true;
	b.redeem_points = 50;
	/* after the discount net 1000; 50 × 30 = 1500 capped at 1000;
	 * points used ceil(1000 / 30) = 34; phase 2 net 0 → 0 points */
	rl_outcome o = run_c(p, &c, &b);
	is_int(o.redeemed_value, 1000, "value capped at the remaining net");
	is_int(o.redeemed_points, 34, "ceil(1000 / 30) points used");
	is_int(o.total, 0, "total 0");
	is_int(o.earned, 0, "points on the net after redemption");
	b.redeem_points = 10;
	o = run_c(p, &c, &b);
	/* 300 off: total 700, points 7 */
	is_int(o.redeemed_value, 300, "10 points × 30");
	is_int(o.redeemed_points, 10, "10 used");
	is_int(o.earned, 7, "700 // 100");
	is_int(o.lines[0].net, 1000, "redemption is not shared over lines");
	b.redeem_points = 101;
	o = run_c(p, &c, &b);
	is_int(o.status, RL_INSUFFICIENT_POINTS, "more than the balance");
	program_free(p);
}

/* item predicates written alike are shared and memoised (rules/preds.c):
 * results must be those of evaluating each call where it stands */
static void test_shared_preds(void)
{
	program *p = tr_load("rules:\n"
		"  - {name: half, when: any_item(item.category == \"x\"), discount: {percent: 50, items: item.category == \"x\"}}\n"
		"  - {name: cheap, when: any_item(item.net < 60), discount: {amount: 1, items: item.net < 60}}\n"
		"  - {name: count, when: count_qty(item.category == \"x\") == 2 and sum_net(item.category == \"x\") == 99, bonus_points: 1}\n"
		"  - {name: nested, when: any_item(item.category == \"x\" and any_item(item.sku == \"B\")), bonus_points: 10}\n"
		"  - {name: again, when: any_item( item.category == \"x\" ), bonus_points: 100}\n");
	ok(p != NULL, "shared predicates load %s", tr_errbuf);
	/* x line 2 × 50 = 100 → 50 off → 50; then item.net < 60 is true now
	 * (not memoised: it reads item.net) → 1 off → 49; the y line 30 < 60
	 * too: amount 1 over nets 50 and 30 → 1 to the larger remainder:
	 * 1×50/80 = 0 r50, 1×30/80 = 0 r30 → the x line: 49, y 30 */
	rl_item it[2] = { tr_item("A", "x", 2, 50), tr_item("B", "y", 1, 30) };
	rl_basket b = tr_basket(it, 2, TS);
	rl_customer c = tr_customer("C1", TS);
	rl_outcome o = run_c(p, &c, &b);
	is_int(o.lines[0].net, 49, "x line: 100 − 50 − 1");
	is_int(o.lines[1].net, 30, "y line untouched");
	/* count: 2 units of x, sum_net 49 ≠ 99 → no; nested 10; again 100 */
	is_int(o.earned, 110, "count_qty/sum_net see the discounted net; nested and spaced calls work");
	program_free(p);
	is_str(tr_errors("rules:\n  - name: a\n    when: any_item(item.category == \"x\") and nosuch\n    points: 1\n"),
		"program.yaml:3:46: unknown name 'nosuch'", "columns after a shared predicate stay true");
	is_str(tr_errors("rules:\n  - name: a\n    when: any_item(item.nosuch == 1)\n    points: 1\n"),
		"program.yaml:3:20: unknown name 'item.nosuch'", "an error inside a predicate is reported where it is");
	is_str(tr_errors("rules:\n  - name: a\n    when: __any_it(\"#0\")\n    points: 1\n"),
		"program.yaml:3:20: reserved function name", "the hidden twins cannot be called by hand");
}

static void test_customer_segments(void)
{
	program *p = tr_load("segments:\n"
		"  regular: purchase_count >= 5\n"
		"  big: subtotal >= 1000\n"
		"  vip: segment(\"regular\") and attr.vip == true\n"
		"  coffee: any_item(item.category == \"coffee\")\n"
		"  promo: coupon(\"X\")\n"
		"rules:\n  - {name: r, segment: [regular, big], description: both segments, points: 1}\n");
	ok(p != NULL, "segments program %s", tr_errbuf);
	is_int(program_ntiers(p), 1, "no tiers: one tier");
	is_str(program_tier_name(p, 0), "member", "named member");
	rl_customer c = tr_customer("C1", TS);
	c.purchase_count = 7;
	rl_attr a = { TR_S("vip"), { .t = EV_BOOL, .u.b = true } };
	c.attrs = &a;
	c.nattrs = 1;
	int out[8];
	arena_reset(&mem);
	uint32_t n = rl_customer_segments(p, &c, TS, &mem, out);
	/* regular and vip use customer names only; big, coffee, promo need a basket */
	ok(n == 2 && out[0] == 0 && out[1] == 2, "customer op: regular and vip (%u)", n);
	rl_item it[1] = { tr_item("A", "coffee", 1, 1000) };
	rl_basket b = tr_basket(it, 1, TS);
	rl_outcome o = run_c(p, &c, &b);
	is_int(o.nsegments, 4, "request: regular, big, vip, coffee");
	is_int(o.earned, 1, "segment list: all must hold");
	it[0].price = 999;
	o = run_c(p, &c, &b);
	is_int(o.earned, 0, "one of the listed segments fails");
	o = run_c(p, NULL, &b);
	is_int(o.nsegments, 1, "anonymous: only the basket segment 'coffee' (999 < 1000)");
	program_free(p);
}

/* A predicate of the form item.FIELD == "LIT" is answered by rules/preds.c
 * without lang/; the same test written another way ("LIT" == item.FIELD)
 * goes through lang/. Both must agree on a line without a category, an
 * empty literal, a long SKU and a SKU that differs only in its last byte. */
static void test_literal_preds(void)
{
	program *p = tr_load(
		"rules:\n"
		"  - {name: n-empty, when: 'any_item(item.category == \"\")', bonus_points: 1}\n"
		"  - {name: l-empty, when: 'any_item(\"\" == item.category)', bonus_points: 1}\n"
		"  - {name: n-x, when: 'any_item(item.category == \"x\")', bonus_points: 1}\n"
		"  - {name: l-x, when: 'any_item(\"x\" == item.category)', bonus_points: 1}\n"
		"  - {name: n-long, when: 'any_item(item.sku == \"BEANS-ETHIOPIA-YIRGACHEFFE-250G\")', bonus_points: 1}\n"
		"  - {name: l-long, when: 'any_item(\"BEANS-ETHIOPIA-YIRGACHEFFE-250G\" == item.sku)', bonus_points: 1}\n");
	ok(p != NULL, "literal predicate program loads %s", tr_errbuf);
	if (!p)
		return;
	static rl_customer c;
	c = tr_customer("C1", TS - 86400 * 30);
	struct { rl_item it[2]; uint32_t n; const char *want; const char *name; } cases[] = {
		{ { tr_item("A", NULL, 1, 100) }, 1, "", "no category: neither \"\" nor \"x\"" },
		{ { tr_item("A", "", 1, 100) }, 1, "n-empty b=1; l-empty b=1;", "empty category equals the empty literal" },
		{ { tr_item("A", NULL, 1, 100), tr_item("B", "x", 1, 100) }, 2, "n-x b=1; l-x b=1;", "second line matches" },
		{ { tr_item("BEANS-ETHIOPIA-YIRGACHEFFE-250G", "beans", 1, 100) }, 1, "n-long b=1; l-long b=1;", "long SKU" },
		{ { tr_item("BEANS-ETHIOPIA-YIRGACHEFFE-250H", "beans", 1, 100) }, 1, "", "long SKU differing in its last byte" },
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		rl_basket b = tr_basket(cases[k].it, cases[k].n, TS);
		rl_outcome o = run_c(p, &c, &b);
		is_str(tr_applied_str(p, &o), cases[k].want, "literal predicates: %s", cases[k].name);
	}
	program_free(p);
}

int main(void)
{
	arena_init(&mem, 64 * 1024, 0);
	test_order();
	test_limits();
	test_coupons();
	test_anonymous();
	test_phase_errors();
	test_referral();
	test_tiers();
	test_time();
	test_experiments();
	test_redeem();
	test_shared_preds();
	test_customer_segments();
	test_literal_preds();
	arena_free(&mem);
	return tap_done();
}
