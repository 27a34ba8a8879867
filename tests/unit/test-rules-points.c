/* tests/unit/test-rules-points.c — phase 2 (rules.md, "Two phases",
 * "Arithmetic"): Earned = floor(Σ points × Π(100m) / 100^k) + Σ bonus with
 * 128-bit intermediates; floats floored; multipliers listed whenever their
 * rule fired. Numbers computed by hand in the comments. */
#include "tests/unit/test-rules-util.h"

static arena mem;

static rl_outcome run(const program *p, int64_t price)
{
	rl_item it[1] = { tr_item("A", NULL, 1, price) };
	rl_basket b = tr_basket(it, 1, 1795409100);
	rl_customer c = tr_customer("C1", 1795409100);
	rl_outcome o;
	arena_reset(&mem);
	rl_evaluate(p, &c, &b, &mem, &o);
	return o;
}

int main(void)
{
	arena_init(&mem, 64 * 1024, 0);
	program *p = tr_load("rules:\n  - {name: base, points: net // 100}\n"
		"  - {name: m1, points_multiplier: 1.25}\n  - {name: m2, points_multiplier: 1.5}\n"
		"  - {name: bonus, bonus_points: 7}\n");
	/* 12345 // 100 = 123; floor(123 × 125 × 150 / 100^2) = floor(230.625)
	 * = 230; + 7 = 237 */
	rl_outcome o = run(p, 12345);
	is_int(o.earned, 237, "floor(123 × 1.25 × 1.5) + 7");
	is_str(tr_applied_str(p, &o), "base p=123; m1 m=125; m2 m=150; bonus b=7;", "applied: raw points, factors");
	/* net 99: 0 points; multipliers still listed (they fired) */
	o = run(p, 99);
	is_int(o.earned, 7, "bonus only");
	is_str(tr_applied_str(p, &o), "m1 m=125; m2 m=150; bonus b=7;", "multipliers listed with no points");
	program_free(p);

	p = tr_load("rules:\n  - {name: f, points: net / 1000}\n  - {name: g, bonus_points: 2.9}\n"
		"  - {name: n, bonus_points: 0 - 5}\n");
	/* 12345 / 1000 = 12.345 → 12; 2.9 → 2; a negative bonus gives nothing */
	o = run(p, 12345);
	is_int(o.earned, 14, "floats are floored: 12 + 2");
	is_str(tr_applied_str(p, &o), "f p=12; g b=2;", "negative bonus not listed");
	program_free(p);

	p = tr_load("rules:\n  - {name: a, points: 10}\n  - {name: b, points: 15}\n  - {name: m, points_multiplier: 1.1}\n");
	/* floor(25 × 110 / 100) = floor(27.5) = 27: the product of the sum */
	o = run(p, 1);
	is_int(o.earned, 27, "Σ points first, then the multipliers");
	program_free(p);

	p = tr_load("rules:\n  - {name: a, points: 99}\n  - {name: m, points_multiplier: 0.01}\n");
	o = run(p, 1);
	is_int(o.earned, 0, "floor(99 × 1 / 100) = 0");
	program_free(p);

	p = tr_load("rules:\n  - {name: a, points: 4000000000000000000}\n"
		"  - {name: m1, points_multiplier: 1.5}\n  - {name: m2, points_multiplier: 1.5}\n");
	/* 4e18 × 150 × 150 = 9e22 (beyond 64 bits) / 10^4 = 9e18 (fits) */
	o = run(p, 1);
	is_int(o.status, RL_OK, "128-bit intermediate");
	is_int(o.earned, INT64_C(9000000000000000000), "4e18 × 2.25 exactly");
	program_free(p);

	p = tr_load("rules:\n  - {name: a, points: 5000000000000000000}\n  - {name: m, points_multiplier: 2}\n");
	o = run(p, 1);
	is_int(o.status, RL_OVERFLOW, "earned beyond 64 bits: overflow");
	program_free(p);

	p = tr_load("rules:\n  - {name: a, points: 9223372036854775807}\n  - {name: b, points: 1}\n");
	o = run(p, 1);
	is_int(o.status, RL_OK, "a sum of points that overflows is that rule's run-time error");
	is_int(o.nwarnings, 1, "listed as a warning");
	is_int(o.earned, INT64_MAX, "the first rule's points stay");
	program_free(p);

	p = tr_load("rules:\n  - {name: z, points: 100, points_multiplier: 0}\n");
	o = run(p, 1);
	is_int(o.earned, 0, "multiplier 0");
	program_free(p);
	arena_free(&mem);
	return tap_done();
}
