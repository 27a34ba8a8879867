/* tests/unit/test-refund.c — rules/refund.c against hand-computed figures:
 * the worked example of protocol.md and the decided edge cases. */
#include <string.h>

#include "rules/refund.h"
#include "tests/unit/tap.h"

#define L(s, q, n) { s, sizeof(s) - 1, q, n, 0, 0 }
#define I(s, q) { s, sizeof(s) - 1, q }

int main(void)
{
	/* protocol.md: T-88 = LATTE 2 units net 5400 + MUFFIN 1 unit net 5300,
	 * net 10700, 307 points earned. */
	rf_line t88[] = { L("LATTE", 2, 5400), L("MUFFIN", 1, 5300) };
	rf_item one_latte[] = { I("LATTE", 1) };
	int64_t net;
	bool done;
	uint32_t bad;
	is_int(rf_apply(t88, 2, one_latte, 1, &net, &done, &bad), RF_OK, "one latte: ok");
	is_int(net, 2700, "one latte: floor(5400 x 1 / 2) = 2700");
	ok(!done, "one latte: not completing");
	/* 307 x 2700 = 828900; / 10700 = 77.47 -> 77 */
	is_int(rf_take(307, 0, net, 10700, done), 77, "307 x 2700/10700 rounds to 77");
	/* then the rest without items: LATTE's last unit 5400-2700 + MUFFIN 5300 */
	is_int(rf_apply(t88, 2, NULL, 0, &net, &done, &bad), RF_OK, "rest: ok");
	is_int(net, 8000, "rest: 2700 + 5300 = 8000");
	ok(done, "rest: completing");
	is_int(rf_take(307, 77, net, 10700, done), 230, "completing refund takes 307 - 77 = 230");
	is_int(rf_apply(t88, 2, NULL, 0, &net, &done, &bad), RF_NOTHING_LEFT, "nothing left after a full refund");
	is_int(rf_apply(t88, 2, one_latte, 1, &net, &done, &bad), RF_TOO_MANY, "over-refund refused");

	/* partial units: 3 units net 100 -> floor(100/3)=33, 33, then the last takes 100-66=34 */
	is_int(rf_line_refund(100, 3, 0, 0, 1), 33, "1 of 3 units of 100");
	is_int(rf_line_refund(100, 3, 1, 33, 1), 33, "2nd of 3 units of 100");
	is_int(rf_line_refund(100, 3, 2, 66, 1), 34, "last unit takes the rest");
	is_int(rf_line_refund(100, 3, 0, 0, 2), 66, "2 of 3: floor(200/3) = 66");
	is_int(rf_line_refund(100, 3, 0, 0, 3), 100, "all 3 units: the whole net");
	/* big figures: net 10^18 (10^6 units of 10^12), 999999 units -> floor(10^18 x 999999 / 10^6) */
	is_int(rf_line_refund(1000000000000000000LL, 1000000, 0, 0, 999999), 999999000000000000LL,
		"128-bit product does not overflow");

	/* round half up */
	is_int(rf_share(1, 1, 2), 1, "0.5 rounds up to 1");
	is_int(rf_share(3, 1, 2), 2, "1.5 rounds up to 2");
	is_int(rf_share(5, 1, 3), 2, "1.67 rounds to 2");
	is_int(rf_share(5, 1, 4), 1, "1.25 rounds to 1");
	is_int(rf_share(0, 1, 4), 0, "nothing of nothing");
	is_int(rf_share(10, 1, 0), 0, "a zero-net purchase shares nothing");
	/* never more than remains: amount 1, two halves: 1 then 0 */
	is_int(rf_take(1, 0, 2, 4, false), 1, "first half of 1 point: round(0.5) = 1");
	is_int(rf_take(1, 1, 1, 4, false), 0, "nothing remains for the second");
	is_int(rf_take(1, 1, 2, 4, true), 0, "completing takes exactly what remains: 0");
	is_int(rf_take(10, 0, 0, 0, true), 10, "completing a zero-net purchase takes all");

	/* duplicate SKUs: units come from the lines in purchase order */
	rf_line dup[] = { L("A", 2, 200), L("B", 1, 50), L("A", 3, 270) };
	rf_item three_a[] = { I("A", 3) };
	is_int(rf_apply(dup, 3, three_a, 1, &net, &done, &bad), RF_OK, "3 of A: ok");
	/* line 0: both units (its rest, 200); line 2: 1 of 3 units floor(270/3) = 90 */
	is_int(net, 290, "3 of A = 200 + 90");
	is_int(dup[0].refunded_qty, 2, "line 0 emptied first");
	is_int(dup[2].refunded_qty, 1, "then line 2");
	rf_item again[] = { I("B", 1), I("A", 2), I("A", 1) };
	is_int(rf_apply(dup, 3, again, 3, &net, &done, &bad), RF_TOO_MANY, "A: 3 more of 2 left refused");
	is_int(bad, 2, "the third item is at fault");
	rf_line dup2[] = { L("A", 2, 200), L("B", 1, 50) };
	rf_item unknown[] = { I("A", 1), I("Z", 1) };
	is_int(rf_apply(dup2, 2, unknown, 2, &net, &done, &bad), RF_UNKNOWN_SKU, "unknown SKU refused");
	is_int(bad, 1, "items[1] is the unknown one");
	return tap_done();
}
