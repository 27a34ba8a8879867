/* tests/unit/test-experiments.c — experiment assignment and the global
 * holdout (rules/experiment.c) against doc/experiments.md: values from an
 * independent implementation, stickiness across calls and reloads, the
 * weight split, traffic share and holdout share within 3 sigma on 100,000
 * ids, independence of two experiments (chi-square), start/end windows in
 * the program timezone, what a held-out customer gets, and the load errors
 * of a bad holdout. Statistical checks use fixed ids ("c0".."c99999"), so
 * they are deterministic: a failure is a change of the function, not luck. */
#include <math.h>
#include <stdarg.h>
#include <xxhash.h>

#include "tests/unit/test-rules-util.h"

#define N 100000
#define TS 1795409100 /* 2026-11-23 10:15 +05:30 */

static arena mem;

static rl_outcome run_id(const program *p, const char *id, int64_t ts)
{
	static rl_item it[1];
	static rl_basket b;
	static rl_customer c;
	it[0] = tr_item("A", NULL, 1, 10000);
	b = tr_basket(it, 1, ts);
	if (id)
		c = tr_customer(id, ts);
	rl_outcome o;
	arena_reset(&mem);
	rl_evaluate(p, id ? &c : NULL, &b, &mem, &o);
	return o;
}

static int assign(const program *p, uint32_t e, const char *id)
{
	return rl_assign_variant(p, e, id, strlen(id));
}

/* ---- reference values --------------------------------------------------- */

/* Computed outside loyaltyd with Debian's python3-xxhash 3.2.0 (seed 0):
 *   h = lambda s: xxhash.xxh64_intdigest(s.encode(), seed=0)
 *   bucket = h(f"ref-2026:{id}") % 10000; draw = h(f"ref-2026:{id}:variant") % 10000
 * then the doc's variant() with traffic 60 (6000) and weights a 50, b 30,
 * c 20 (thresholds 5000, 8000, 10000). Cross-checked with the xxhash CLI:
 *   printf 'ref-2026:alice' | xxh64sum  -> ef72041110842894, % 10000 = 3220 */
static const struct { const char *id; int bucket, draw; const char *variant; } REF[] = {
	{ "C0001", 1518, 8392, "c" },
	{ "C0002", 1733, 7549, "b" },
	{ "alice", 3220, 1371, "a" },
	{ "bob@example.com", 1700, 8552, "c" },
	{ "12345", 8172, 1655, NULL },
	{ "x", 8527, 4946, NULL },
	{ "carol", 1980, 4317, "a" },
	{ "dave", 3947, 7287, "b" },
	{ "eve", 5485, 6664, "b" },
	{ "frank", 5883, 611, "a" },
	{ "\xc3\x9c" "n\xc3\xaf" "code-7", 2981, 8888, "c" }, /* "Ünïcode-7" in UTF-8 */
	{ "9999999999", 5810, 6802, "b" },
};
#define NREF (sizeof REF / sizeof REF[0])

/* Same tool: h(f"hs:{id}") % 10000 < 1250 for holdout {percent: 12.5, salt: hs}. */
static const struct { const char *id; int bucket; bool held; } HREF[] = {
	{ "C0001", 5376, false }, { "C0002", 1047, true }, { "alice", 2436, false },
	{ "bob@example.com", 8988, false }, { "12345", 6749, false }, { "x", 9567, false },
	{ "carol", 758, true }, { "dave", 2231, false }, { "eve", 9397, false },
	{ "frank", 5792, false }, { "\xc3\x9c" "n\xc3\xaf" "code-7", 6262, false },
	{ "9999999999", 7744, false },
};
/* Default salt "holdout": h("holdout:C0001") % 10000 = 207, h("holdout:C0002")
 * % 10000 = 2673, so with percent 5 (500) C0001 is held out and C0002 not. */

static const char *REF_YAML =
	"experiments:\n"
	"  - name: ref\n    salt: ref-2026\n    traffic: 60\n    variants: {a: 50, b: 30, c: 20}\n"
	"rules:\n  - {name: base, points: 1}\n";

static void test_reference(void)
{
	program *p = tr_load(REF_YAML);
	ok(p != NULL, "reference program loads %s", tr_errbuf);
	if (!p)
		return;
	int good = 0;
	for (size_t i = 0; i < NREF; i++) {
		int v = assign(p, 0, REF[i].id);
		const char *got = v >= 0 ? program_variant_name(p, 0, (uint32_t)v) : NULL;
		bool same = got && REF[i].variant ? strcmp(got, REF[i].variant) == 0 : got == REF[i].variant;
		if (!same)
			tap_diag("%s: got %s, python says %s", REF[i].id, got ? got : "null",
				REF[i].variant ? REF[i].variant : "null");
		good += same;
	}
	is_int(good, (int)NREF, "12 (salt, id) -> variant values agree with python3-xxhash");
	program_free(p);

	p = tr_load("holdout: {percent: 12.5, salt: hs}\n"
		"experiments:\n"
		"  - name: ref\n    salt: ref-2026\n    traffic: 60\n    variants: {a: 50, b: 30, c: 20}\n");
	ok(p != NULL, "holdout program loads %s", tr_errbuf);
	if (!p)
		return;
	good = 0;
	int goodv = 0;
	for (size_t i = 0; i < NREF; i++) {
		good += rl_held_out(p, HREF[i].id, strlen(HREF[i].id)) == HREF[i].held;
		/* held out: in no experiment; otherwise the variant is unchanged */
		int v = assign(p, 0, REF[i].id);
		const char *got = v >= 0 ? program_variant_name(p, 0, (uint32_t)v) : NULL;
		const char *want = HREF[i].held ? NULL : REF[i].variant;
		goodv += got && want ? strcmp(got, want) == 0 : got == want;
	}
	is_int(good, (int)NREF, "holdout membership agrees with python3-xxhash");
	is_int(goodv, (int)NREF, "held-out ids have no variant; the others keep theirs");
	int64_t pc;
	const char *salt;
	ok(program_has_holdout(p, &pc, &salt) && pc == 1250 && strcmp(salt, "hs") == 0,
		"program_has_holdout gives percent x 100 and salt");
	program_free(p);

	program *p5 = tr_load("holdout: {percent: 5}\n");
	ok(p5 && rl_held_out(p5, "C0001", 5) && !rl_held_out(p5, "C0002", 5),
		"default salt is \"holdout\" (207 < 500, 2673 >= 500)");
	ok(p5 && !rl_held_out(p5, NULL, 0), "no id (anonymous): never held out");
	/* rl_held_out keeps its last answer: it must follow the program and
	 * the id's bytes, not their addresses. C0001: 5376 under hs (kept at
	 * 12.5 %), 207 under holdout (held at 5 %). */
	program *p12 = tr_load("holdout: {percent: 12.5, salt: hs}\n");
	char buf[8] = "C0001";
	bool a = p12 && rl_held_out(p12, buf, 5), b = p5 && rl_held_out(p5, buf, 5),
		c = p12 && rl_held_out(p12, buf, 5);
	memcpy(buf, "C0002", 5); /* same address, other id: 1047 < 1250 held, 2673 kept */
	bool d = p12 && rl_held_out(p12, buf, 5), e = p5 && rl_held_out(p5, buf, 5);
	ok(!a && b && !c && d && !e, "the remembered answer follows program and id bytes (%d%d%d%d%d)",
		a, b, c, d, e);
	program_free(p12);
	program_free(p5);
	p = tr_load(REF_YAML);
	ok(p && !program_has_holdout(p, NULL, NULL) && !rl_held_out(p, "C0002", 5),
		"no holdout key: nobody held out");
	program_free(p);
}

/* Weights so uneven that two thresholds coincide: a 1, b 1000000, c 3 out
 * of W = 1000004 give c = floor(10000 × 1 / W) = 0, floor(10000 × 1000001
 * / W) = 9999, 10000: `a` is never drawn and `c` only on draw 9999. The
 * documented loop ("the first i with draw < c_i"), written out here with
 * libxxhash, must agree with rl_assign_variant on every id. */
static void test_uneven_weights(void)
{
	program *p = tr_load("experiments:\n  - {name: u, salt: u1, variants: {a: 1, b: 1000000, c: 3}}\n");
	ok(p != NULL, "uneven weights load %s", tr_errbuf);
	if (!p)
		return;
	static const uint32_t cum[3] = { 0, 9999, 10000 };
	int agree = 0, na = 0;
	for (int i = 0; i < 20000; i++) {
		char id[16], key[64];
		snprintf(id, sizeof id, "c%d", i);
		int n = snprintf(key, sizeof key, "u1:%s:variant", id);
		uint64_t draw = XXH64(key, (size_t)n, 0) % 10000;
		int want = -1;
		for (int k = 0; k < 3 && want < 0; k++)
			if (draw < cum[k])
				want = k;
		int got = assign(p, 0, id);
		agree += got == want;
		na += got == 0;
	}
	is_int(agree, 20000, "uneven weights: the documented loop on 20000 ids");
	is_int(na, 0, "a threshold of 0 is never drawn");
	program_free(p);
}

/* ---- stickiness --------------------------------------------------------- */

static void test_sticky(void)
{
	const char *d = tr_write("program.yaml", REF_YAML, NULL);
	prog_errors errs;
	program *p1 = program_load(d, NULL, &errs);
	program *p2 = program_load(d, NULL, &errs); /* a restart: the file read again */
	tr_cleanup(d);
	ok(p1 && p2, "program loads twice");
	if (!p1 || !p2)
		return;
	int same = 0, in = 0;
	for (int i = 0; i < 1000; i++) {
		char id[16];
		snprintf(id, sizeof id, "c%d", i);
		int a = assign(p1, 0, id), b = assign(p1, 0, id), c = assign(p1, 0, id);
		int r = assign(p2, 0, id);
		same += a == b && b == c && c == r;
		in += a >= 0;
	}
	is_int(same, 1000, "same variant on 3 calls and after reloading from disk (1000 ids)");
	ok(in > 500 && in < 700, "about 60%% in traffic (%d of 1000)", in);
	program_free(p1);
	program_free(p2);
}

/* ---- weights, traffic --------------------------------------------------- */

/* |got - n p| <= 3 sqrt(n p (1 - p)) */
static bool within_3sigma(int got, int n, double pr)
{
	double mean = n * pr, sd = sqrt(n * pr * (1 - pr));
	return fabs(got - mean) <= 3 * sd;
}

static void test_split(void)
{
	program *p = tr_load("experiments:\n"
		"  - name: w\n    variants: {a: 50, b: 30, c: 20}\n"
		"  - name: t\n    traffic: 40\n    variants: {on: 1}\n");
	ok(p != NULL, "split program %s", tr_errbuf);
	if (!p)
		return;
	int cnt[3] = { 0 }, out = 0, tin = 0;
	for (int i = 0; i < N; i++) {
		char id[16];
		snprintf(id, sizeof id, "c%d", i);
		int v = assign(p, 0, id);
		if (v < 0)
			out++;
		else
			cnt[v]++;
		tin += assign(p, 1, id) == 0;
	}
	is_int(out, 0, "traffic 100 (default): every id in");
	/* sigmas: sqrt(1e5 .5 .5) = 158.1, sqrt(1e5 .3 .7) = 144.9, sqrt(1e5 .2 .8) = 126.5 */
	ok(within_3sigma(cnt[0], N, 0.5), "weight 50: %d of 100000 within 50000 +- 474", cnt[0]);
	ok(within_3sigma(cnt[1], N, 0.3), "weight 30: %d of 100000 within 30000 +- 435", cnt[1]);
	ok(within_3sigma(cnt[2], N, 0.2), "weight 20: %d of 100000 within 20000 +- 380", cnt[2]);
	/* sqrt(1e5 .4 .6) = 154.9 */
	ok(within_3sigma(tin, N, 0.4), "traffic 40: %d of 100000 within 40000 +- 465", tin);
	program_free(p);
}

/* ---- independence --------------------------------------------------------- */

/* Two experiments with different salts, 50/50 each. The 2x2 table of their
 * variants over 100,000 ids; chi2 = sum (O - E)^2 / E with E = row x col /
 * n, one degree of freedom, p = erfc(sqrt(chi2 / 2)). Independent
 * assignment means p is not tiny: p > 0.001 (chi2 < 10.83). */
static void test_independence(void)
{
	program *p = tr_load("experiments:\n"
		"  - {name: e1, salt: s1, variants: {a: 1, b: 1}}\n"
		"  - {name: e2, salt: s2, variants: {a: 1, b: 1}}\n");
	ok(p != NULL, "two experiments %s", tr_errbuf);
	if (!p)
		return;
	double o[2][2] = { { 0 } };
	for (int i = 0; i < N; i++) {
		char id[16];
		snprintf(id, sizeof id, "c%d", i);
		o[assign(p, 0, id)][assign(p, 1, id)] += 1;
	}
	double row[2] = { o[0][0] + o[0][1], o[1][0] + o[1][1] };
	double col[2] = { o[0][0] + o[1][0], o[0][1] + o[1][1] };
	double chi2 = 0;
	for (int r = 0; r < 2; r++)
		for (int c = 0; c < 2; c++) {
			double e = row[r] * col[c] / N;
			chi2 += (o[r][c] - e) * (o[r][c] - e) / e;
		}
	double pv = erfc(sqrt(chi2 / 2));
	ok(pv > 0.001, "independent: chi2 = %.3f, p = %.4f > 0.001 (%.0f %.0f / %.0f %.0f)", chi2, pv,
		o[0][0], o[0][1], o[1][0], o[1][1]);
	/* the test can fail: a perfectly dependent table gives p ~ 0 */
	double dep = N; /* [[N/2, 0], [0, N/2]]: chi2 = N */
	ok(erfc(sqrt(dep / 2)) < 0.001, "the same formula rejects a dependent table");
	program_free(p);
}

/* ---- windows -------------------------------------------------------------- */

/* Asia/Kolkata is UTC+05:30 all year. 2026-11-01 00:00 local = 1793471400
 * (2026-10-31T18:30:00Z); 2026-11-30 23:59:59 local = 1796063399. */
#define WSTART 1793471400
#define WEND 1796063399

static void test_windows(void)
{
	program *p = tr_load("timezone: Asia/Kolkata\n"
		"experiments:\n"
		"  - {name: win, variants: {on: 1}, start: 2026-11-01, end: 2026-11-30}\n"
		"rules:\n"
		"  - {name: base, points: 10}\n"
		"  - {name: exp, experiment: win, bonus_points: 5}\n");
	ok(p != NULL, "window program %s", tr_errbuf);
	if (!p)
		return;
	ok(!program_experiment_running(p, 0, WSTART - 1), "1 s before local midnight of start: out");
	ok(program_experiment_running(p, 0, WSTART), "local midnight of start: in (inclusive)");
	ok(program_experiment_running(p, 0, WEND), "23:59:59 local of end: in (inclusive)");
	ok(!program_experiment_running(p, 0, WEND + 1), "local midnight after end: out");
	rl_outcome o = run_id(p, "alice", WSTART - 1);
	ok(o.earned == 10 && o.nexperiments == 0, "before start: no experiment rule, none listed (%lld)",
		(long long)o.earned);
	o = run_id(p, "alice", WSTART);
	ok(o.earned == 15 && o.nexperiments == 1, "at start: experiment rule fires, listed (%lld)",
		(long long)o.earned);
	o = run_id(p, "alice", WEND + 1);
	ok(o.earned == 10 && o.nexperiments == 0, "after end: out again");
	program_free(p);
}

/* ---- holdout ---------------------------------------------------------------- */

static const char *HOLD_RULES =
	"experiments:\n"
	"  - {name: ref, salt: ref-2026, traffic: 60, variants: {a: 50, b: 30, c: 20}}\n"
	"rules:\n"
	"  - {name: base, points: 10, holdout: exempt}\n"
	"  - {name: promo, bonus_points: 5}\n"
	"  - {name: disc, discount: {percent: 10}}\n"
	"  - {name: exp, experiment: ref, bonus_points: 1}\n"
	"  - {name: note, message: hello, holdout: \"exempt\"}\n";

static void test_holdout(void)
{
	char yaml[2048];
	snprintf(yaml, sizeof yaml, "holdout: {percent: 12.5, salt: hs}\n%s", HOLD_RULES);
	program *p = tr_load(yaml);
	ok(p != NULL, "holdout program %s", tr_errbuf);
	program *q = tr_load(HOLD_RULES);
	ok(q != NULL, "same program without holdout %s", tr_errbuf);
	if (!p || !q)
		return;

	/* C0002 and carol are held out (HREF) */
	rl_outcome o = run_id(p, "carol", TS);
	is_str(tr_applied_str(p, &o), "base p=10; note;", "held out: only the exempt rules fire");
	ok(o.discount_total == 0 && o.nexperiments == 0, "held out: no discount, in no experiment");
	o = run_id(p, "C0002", TS);
	is_str(tr_applied_str(p, &o), "base p=10; note;", "C0002 held out too");

	/* alice is not held out, in variant a: same as without holdout. 10% of
	 * 10000 = 1000 discount; points 10 + bonus 5 + exp 1 */
	o = run_id(p, "alice", TS);
	is_str(tr_applied_str(p, &o), "base p=10; promo b=5; disc d=1000; exp b=1; note;",
		"not held out: every rule");
	ok(o.nexperiments == 1, "not held out: in the experiment");
	o = run_id(p, NULL, TS);
	is_str(tr_applied_str(p, &o), "disc d=1000; note;",
		"anonymous basket is never held out (points rules need a customer)");

	/* non-held-out customers: outcome identical to the program without it */
	int same = 0, held = 0;
	for (int i = 0; i < 2000; i++) {
		char id[16], a[4096];
		snprintf(id, sizeof id, "c%d", i);
		rl_outcome x = run_id(p, id, TS);
		snprintf(a, sizeof a, "%s|%lld|%u", tr_applied_str(p, &x), (long long)x.total, x.nexperiments);
		if (rl_held_out(p, id, strlen(id))) {
			held++;
			same += strcmp(a, "base p=10; note;|10000|0") == 0;
			continue;
		}
		rl_outcome y = run_id(q, id, TS);
		char b[4096];
		snprintf(b, sizeof b, "%s|%lld|%u", tr_applied_str(q, &y), (long long)y.total, y.nexperiments);
		same += strcmp(a, b) == 0;
	}
	is_int(same, 2000, "2000 ids: held out get exempt rules only, the others what they get without holdout");
	ok(held > 150 && held < 350, "about 12.5%% held out (%d of 2000)", held);

	/* the share over 100,000 ids */
	int cnt = 0;
	for (int i = 0; i < N; i++) {
		char id[16];
		snprintf(id, sizeof id, "c%d", i);
		cnt += rl_held_out(p, id, strlen(id));
	}
	/* sqrt(1e5 .125 .875) = 104.6 */
	ok(within_3sigma(cnt, N, 0.125), "holdout 12.5: %d of 100000 within 12500 +- 314", cnt);
	program_free(p);
	program_free(q);
}

static void test_holdout_lua(void)
{
	const char *d = tr_write("program.yaml", "holdout: {percent: 12.5, salt: hs}\n",
		"rules.lua", "rule { name = 'base', points = 10, holdout = 'exempt' }\n"
		"rule { name = 'promo', bonus_points = 5 }\n", NULL);
	prog_errors errs;
	program *p = program_load(d, NULL, &errs);
	ok(p != NULL, "Lua rules with holdout = 'exempt' load");
	if (p) {
		rl_outcome o = run_id(p, "carol", TS);
		is_str(tr_applied_str(p, &o), "base p=10;", "Lua: held out gets the exempt rule only");
		o = run_id(p, "alice", TS);
		is_str(tr_applied_str(p, &o), "base p=10; promo b=5;", "Lua: others get both");
		program_free(p);
	} else {
		prog_errors_free(&errs);
	}
	tr_cleanup(d);
	d = tr_write("program.yaml", "experiments:\n  - {name: e, variants: {a: 1}}\n",
		"rules.lua", "rule { name = 'r', points = 1, holdout = true }\n"
		"rule { name = 's', points = 1, experiment = 'e', holdout = 'exempt' }\n", NULL);
	is_str(tr_errors_dir(d),
		"rules.lua:1:1: 'holdout' of a rule must be 'exempt'\n"
		"rules.lua:2:1: 'holdout: exempt' cannot apply to a rule with 'experiment': "
		"held-out customers are in no experiment",
		"Lua: bad holdout values refused with positions");
	tr_cleanup(d);
}

static void test_holdout_errors(void)
{
	is_str(tr_errors("holdout: 5\n"),
		"program.yaml:1:10: 'holdout' must be a mapping {percent: P, salt: S}", "not a mapping");
	is_str(tr_errors("holdout: {salt: x}\n"),
		"program.yaml:1:10: 'holdout' needs 'percent'", "percent missing");
	is_str(tr_errors("holdout: {percent: 0}\n"),
		"program.yaml:1:20: 'percent' must be over 0.00 and at most 99.99", "0 percent");
	is_str(tr_errors("holdout: {percent: 100}\n"),
		"program.yaml:1:20: 'percent' must be over 0.00 and at most 99.99", "100 percent");
	is_str(tr_errors("holdout: {percent: 1.234}\n"),
		"program.yaml:1:20: 'percent' has more than two decimals", "three decimals");
	is_str(tr_errors("holdout: {percent: ten}\n"),
		"program.yaml:1:20: 'percent' must be a number", "not a number");
	is_str(tr_errors("holdout:\n  percent: 5\n  salt: ''\n  size: 3\n"),
		"program.yaml:3:9: 'salt' must be a non-empty string without NUL bytes\n"
		"program.yaml:4:3: unknown key 'size' in holdout", "empty salt, unknown key");
	is_str(tr_errors("rules:\n  - {name: r, points: 1, holdout: always}\n"),
		"program.yaml:2:35: 'holdout' of a rule must be 'exempt'", "rule value other than exempt");
	is_str(tr_errors("experiments:\n  - {name: e, variants: {a: 1}}\n"
		"rules:\n  - {name: r, points: 1, experiment: e, holdout: exempt}\n"),
		"program.yaml:4:50: 'holdout: exempt' cannot apply to a rule with 'experiment': "
		"held-out customers are in no experiment", "exempt and experiment");
	const char *d = tr_write("program.yaml", "program: x\n", "more.yaml", "holdout: {percent: 5}\n", NULL);
	is_str(tr_errors_dir(d), "more.yaml:1:1: unknown key 'holdout' in a rules file",
		"holdout belongs in program.yaml");
	tr_cleanup(d);
}

/* tests/data/rules/experiments-holdout: YAML and Lua rules, a 5 % holdout
 * with salt club-holdout-2026, an experiment from 2026-03-01 to 05-31. */
static void test_fixture(void)
{
	prog_errors errs;
	program *p = program_load(TOP_SRCDIR "/tests/data/rules/experiments-holdout", NULL, &errs);
	ok(p != NULL, "fixture experiments-holdout loads");
	if (!p) {
		prog_errors_print(&errs, stderr);
		prog_errors_free(&errs);
		return;
	}
	int64_t pc;
	const char *salt;
	ok(program_has_holdout(p, &pc, &salt) && pc == 500 && strcmp(salt, "club-holdout-2026") == 0,
		"fixture: holdout 5 %% (500), its salt");
	/* find one held-out id and one other (the share is tested above) */
	char held[16] = "", kept[16] = "";
	for (int i = 0; i < 1000 && (!held[0] || !kept[0]); i++) {
		char id[16];
		snprintf(id, sizeof id, "m%d", i);
		snprintf(rl_held_out(p, id, strlen(id)) ? held : kept, 16, "%s", id);
	}
	ok(held[0] && kept[0], "fixture: held-out and kept ids found (%s, %s)", held, kept);
	/* 2026-04-15 12:00 +05:30 = 1776234600, inside the experiment; 10
	 * coffees at 15000 = 150000. Held out: base 150000 // 100 = 1500 and
	 * the note only. Kept: 10 % off coffee = 15000, net 135000, base 1350,
	 * the note, subtotal >= 100000 so bonus 25, and x2 when in `double`. */
	rl_item it[1] = { tr_item("LATTE", "coffee", 10, 15000) };
	rl_basket b = tr_basket(it, 1, 1776234600);
	rl_customer c = tr_customer(held, 1776234600);
	rl_outcome o;
	arena_reset(&mem);
	rl_evaluate(p, &c, &b, &mem, &o);
	is_str(tr_applied_str(p, &o), "base-earn p=1500; receipt-note;",
		"fixture: held out gets the exempt YAML and Lua rules only");
	ok(o.nexperiments == 0 && o.discount_total == 0, "fixture: held out, no experiment, no discount");
	c = tr_customer(kept, 1776234600);
	arena_reset(&mem);
	rl_evaluate(p, &c, &b, &mem, &o);
	int v = assign(p, 0, kept);
	char want[256];
	snprintf(want, sizeof want, "base-earn p=1350; coffee-promo d=15000; %sreceipt-note; big-basket-bonus b=25;",
		v == 1 ? "spring-double-points m=200; " : "");
	is_str(tr_applied_str(p, &o), want, "fixture: kept customer gets every rule (variant %d)", v);
	program_free(p);
}

int main(void)
{
	test_reference();
	test_uneven_weights();
	test_sticky();
	test_split();
	test_independence();
	test_windows();
	test_holdout();
	test_holdout_lua();
	test_holdout_errors();
	test_fixture();
	arena_free(&mem);
	return tap_done();
}
