/* tests/unit/test-rules-discount.c — the discount kinds of rules.md with
 * hand-computed numbers: percent rounding, amount by largest remainder,
 * free and buy/get picking, items filters, max sharing, and the edges
 * (1 minor unit over 3 lines, price-0 lines, 1000 lines). */
#include "tests/unit/test-rules-util.h"

static arena mem;

static rl_outcome run(const program *p, const rl_item *items, uint32_t n)
{
	rl_basket b = tr_basket(items, n, 1793580000);
	rl_customer c = tr_customer("C1", 1793580000);
	rl_outcome o;
	arena_reset(&mem);
	rl_evaluate(p, &c, &b, &mem, &o);
	return o;
}

static void test_percent(void)
{
	program *p = tr_load("rules:\n  - name: pct\n    discount: {percent: 12.5}\n");
	ok(p != NULL, "percent program loads %s", tr_errbuf);
	/* 999 × 1250 = 1,248,750; +5000 = 1,253,750; /10000 = 125 (124.875 up)
	 * 3 × 333 = 999: the same 125
	 * 4 × 12.5 % = 0.5 → half up → 1: (5000 + 5000) / 10000 = 1
	 * 3 × 12.5 % = 0.375 → 0: (3750 + 5000) / 10000 = 0 */
	rl_item it[4] = { tr_item("A", NULL, 1, 999), tr_item("B", NULL, 3, 333),
		tr_item("C", NULL, 1, 4), tr_item("D", NULL, 1, 3) };
	rl_outcome o = run(p, it, 4);
	is_int(o.lines[0].discount, 125, "12.5 %% of 999 rounds 124.875 up");
	is_int(o.lines[1].discount, 125, "per line, not per unit");
	is_int(o.lines[2].discount, 1, "0.5 rounds half up");
	is_int(o.lines[3].discount, 0, "0.375 rounds down");
	is_int(o.discount_total, 251, "total 125 + 125 + 1 + 0");
	is_int(o.total, 999 + 999 + 4 + 3 - 251, "total = subtotal - discounts");
	is_str(tr_applied_str(p, &o), "pct d=251;", "applied lists the rule's total");
	program_free(p);

	p = tr_load("rules:\n  - name: all\n    discount: {percent: 100}\n");
	rl_item one[1] = { tr_item("A", NULL, 7, 13) };
	o = run(p, one, 1);
	is_int(o.lines[0].discount, 91, "100 %% takes the whole line (7 × 13)");
	is_int(o.total, 0, "total 0");
	program_free(p);
}

static void test_amount(void)
{
	program *p = tr_load("rules:\n  - name: a\n    discount: {amount: 1}\n");
	/* 1 unit over 3 equal lines: shares 0,0,0, remainders 100 each, the
	 * left-over unit goes to the earliest line */
	rl_item it[3] = { tr_item("A", NULL, 1, 100), tr_item("B", NULL, 1, 100), tr_item("C", NULL, 1, 100) };
	rl_outcome o = run(p, it, 3);
	is_int(o.lines[0].discount, 1, "1 minor unit: to the earlier line on a tie");
	is_int(o.lines[1].discount, 0, "line 2 gets nothing");
	is_int(o.lines[2].discount, 0, "line 3 gets nothing");
	program_free(p);

	p = tr_load("rules:\n  - name: a\n    discount: {amount: 10}\n");
	/* T = 600: 10×100/600 = 1 r400; 10×200/600 = 3 r200; 10×300/600 = 5 r0;
	 * sum 9, one left → largest remainder (line 1) → 2, 3, 5 */
	rl_item it2[3] = { tr_item("A", NULL, 1, 100), tr_item("B", NULL, 2, 100), tr_item("C", NULL, 3, 100) };
	o = run(p, it2, 3);
	is_int(o.lines[0].discount, 2, "largest remainder gets the extra unit");
	is_int(o.lines[1].discount, 3, "200-line gets 3");
	is_int(o.lines[2].discount, 5, "300-line gets 5");
	is_int(o.discount_total, 10, "shares add up to the amount");
	program_free(p);

	p = tr_load("rules:\n  - name: a\n    discount: {amount: 1000}\n");
	o = run(p, it2, 3);
	is_int(o.discount_total, 600, "amount capped at the eligible net (600)");
	is_int(o.lines[2].net, 0, "no line goes below 0");
	program_free(p);

	p = tr_load("rules:\n  - name: a\n    discount: {amount: 500, max: 50}\n");
	/* A = min(500, 50) = 50: 50×100/600 = 8 r200; 50×200/600 = 16 r400;
	 * 50×300/600 = 25 r0; sum 49, one left → line 2 (r400) → 8, 17, 25 */
	o = run(p, it2, 3);
	is_int(o.lines[0].discount, 8, "amount capped by max first: 8");
	is_int(o.lines[1].discount, 17, "17");
	is_int(o.lines[2].discount, 25, "25");
	program_free(p);

	p = tr_load("rules:\n  - name: a\n    discount: {amount: 30, items: item.category == \"x\"}\n");
	/* eligible: line 0 (net 0, price 0) and line 2 (net 300) → all 30 on line 2 */
	rl_item it3[3] = { tr_item("Z", "x", 1, 0), tr_item("B", "y", 1, 100), tr_item("C", "x", 1, 300) };
	o = run(p, it3, 3);
	is_int(o.lines[0].discount, 0, "0-priced line gets no share");
	is_int(o.lines[1].discount, 0, "ineligible line untouched");
	is_int(o.lines[2].discount, 30, "the only eligible net takes it all");
	program_free(p);

	/* 1000 lines of 1: 999 over T = 1000 → every share 0 r999; 999 units
	 * left go to lines 0..998 (ties to earlier) */
	p = tr_load("rules:\n  - name: a\n    discount: {amount: 999}\n");
	rl_item *many = calloc(1000, sizeof *many);
	for (int i = 0; i < 1000; i++)
		many[i] = tr_item("S", NULL, 1, 1);
	o = run(p, many, 1000);
	is_int(o.discount_total, 999, "1000 lines: total 999");
	is_int(o.lines[0].discount, 1, "first line 1");
	is_int(o.lines[998].discount, 1, "line 999 1");
	is_int(o.lines[999].discount, 0, "last line 0");
	free(many);
	program_free(p);
}

static void test_free(void)
{
	program *p = tr_load("rules:\n  - name: f\n    discount: {free: 2}\n");
	/* units: A 300, B 100, C 100, C 100 → cheapest by price, ties to the
	 * earlier line: B's unit and one of C's */
	rl_item it[3] = { tr_item("A", NULL, 1, 300), tr_item("B", NULL, 1, 100), tr_item("C", NULL, 2, 100) };
	rl_outcome o = run(p, it, 3);
	is_int(o.lines[0].discount, 0, "dearest unit stays");
	is_int(o.lines[1].discount, 100, "earlier line of the tie first");
	is_int(o.lines[2].discount, 100, "then one unit of the later line");
	program_free(p);

	p = tr_load("rules:\n  - name: f\n    discount: {free: 1}\n");
	rl_item it2[2] = { tr_item("Z", NULL, 5, 0), tr_item("B", NULL, 1, 100) };
	o = run(p, it2, 2);
	is_int(o.lines[1].discount, 100, "price-0 units are never picked");
	is_int(o.discount_total, 100, "total 100");
	program_free(p);

	p = tr_load("rules:\n  - name: g\n    discount: {buy: 2, get: 1}\n");
	/* counted units: 4 + 3 = 7 (the 10 free ones are not counted);
	 * floor(7 / 3) × 1 = 2 free, the cheapest: two of B at 30 */
	rl_item it3[3] = { tr_item("A", NULL, 4, 50), tr_item("B", NULL, 3, 30), tr_item("Z", NULL, 10, 0) };
	o = run(p, it3, 3);
	is_int(o.lines[1].discount, 60, "buy 2 get 1: 2 cheapest units of 7");
	is_int(o.lines[0].discount, 0, "dearer line untouched");
	program_free(p);

	p = tr_load("rules:\n  - name: half\n    discount: {percent: 50}\n"
		"  - name: f\n    discount: {free: 1}\n");
	/* after 50 %, net 50 < price 100: the free unit adds min(100, 50) */
	rl_item it4[1] = { tr_item("A", NULL, 1, 100) };
	o = run(p, it4, 1);
	is_int(o.lines[0].discount, 100, "free unit capped at the line's remaining net");
	is_str(tr_applied_str(p, &o), "half d=50; f d=50;", "each rule lists what it gave");
	program_free(p);

	p = tr_load("rules:\n  - name: g\n    discount: {buy: 5, get: 1, items: item.sku == \"CAPS\"}\n");
	rl_item it5[2] = { tr_item("CAPS", NULL, 11, 42000), tr_item("X", NULL, 20, 1) };
	o = run(p, it5, 2);
	is_int(o.lines[0].discount, 42000, "11 capsules: floor(11/6) = 1 free");
	is_int(o.lines[1].discount, 0, "items: filter applies");
	program_free(p);
}

static void test_max(void)
{
	program *p = tr_load("rules:\n  - name: m\n    discount: {percent: 50, max: 101}\n");
	/* uncapped 50 and 150 (200 > 101): 101×50/200 = 25 r50,
	 * 101×150/200 = 75 r150; one left → line 2 → 25, 76 */
	rl_item it[2] = { tr_item("A", NULL, 1, 100), tr_item("B", NULL, 1, 300) };
	rl_outcome o = run(p, it, 2);
	is_int(o.lines[0].discount, 25, "max shared in proportion: 25");
	is_int(o.lines[1].discount, 76, "76");
	is_int(o.discount_total, 101, "capped total");
	program_free(p);

	p = tr_load("rules:\n  - name: m\n    discount: {percent: 10, max: 1}\n");
	rl_item it2[3] = { tr_item("A", NULL, 1, 100), tr_item("B", NULL, 1, 100), tr_item("C", NULL, 1, 100) };
	o = run(p, it2, 3);
	is_int(o.lines[0].discount, 1, "max 1 over 3 equal lines: earliest");
	is_int(o.lines[1].discount + o.lines[2].discount, 0, "others 0");
	program_free(p);

	p = tr_load("rules:\n  - name: m\n    discount: {percent: 10, max: 1000}\n");
	o = run(p, it2, 3);
	is_int(o.discount_total, 30, "max that does not bind changes nothing");
	program_free(p);

	p = tr_load("rules:\n  - name: m\n    discount: {percent: 10}\n");
	rl_item it3[1] = { tr_item("A", NULL, 1, 4) };
	o = run(p, it3, 1);
	is_int(o.napplied, 0, "a zero discount is not listed in applied");
	program_free(p);
}

int main(void)
{
	arena_init(&mem, 64 * 1024, 0);
	test_percent();
	test_amount();
	test_free();
	test_max();
	arena_free(&mem);
	return tap_done();
}
