/* tests/unit/test-report-stats.c — engine/report_stats.c against reference
 * values computed independently of GSL.
 *
 * How the references were obtained (Python 3.11 standard library only; the
 * script is reproduced here so anyone can re-run it):
 *
 *   import math, statistics as st
 *   def tpdf(x, df): return math.exp(math.lgamma((df+1)/2) - math.lgamma(df/2)) \
 *       / math.sqrt(df*math.pi) * (1 + x*x/df) ** (-(df+1)/2)
 *   def t_sf(t, df, n=200000):          # P(T > t) = 1/2 - Simpson(0..t)
 *       h = t/n; s = tpdf(0, df) + tpdf(t, df)
 *       for i in range(1, n): s += (4 if i % 2 else 2) * tpdf(i*h, df)
 *       return 0.5 - s*h/3
 *   def t_q(p, df):                     # quantile by 60 bisection steps
 *       lo, hi = 0.0, 100.0
 *       for _ in range(60):
 *           mid = (lo+hi)/2
 *           if 1 - t_sf(mid, df, 20000) < p: lo = mid
 *           else: hi = mid
 *       return (lo+hi)/2
 *   N = st.NormalDist(); z = N.inv_cdf(0.975)
 *
 * and closed forms where they exist (each case says which). */
#include <math.h>
#include <stdlib.h>

#include "engine/report_stats.h"
#include "tests/unit/tap.h"

static bool close_to(double got, double want, double rel, const char *what)
{
	bool good = fabs(got - want) <= rel * fmax(1.0, fabs(want));
	if (!tap_ok(good, "%s", what))
		printf("#   got %.15g, want %.15g\n", got, want);
	return good;
}

#define TOL 1e-7

static void test_mean(void)
{
	/* x = 2 4 4 4 5 5 7 9: mean 40/8 = 5; Σ(x-5)² = 9+1+1+1+0+0+4+16 = 32,
	 * var = 32/7 = 4.571428571428571 (st.variance agrees);
	 * se = sqrt(32/7/8) = sqrt(4/7) = 0.7559289460184544;
	 * t(0.975, 7) = t_q(0.975, 7) = 2.3646242515927822 (tables: 2.3646);
	 * lo/hi = 5 ∓ 2.3646242515927822·0.7559289460184544
	 *       = 3.2125120817637915 / 6.7874879182362085. */
	double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
	rs_mean m;
	rs_mean_ci(x, 8, RS_CONF, &m);
	is_int(m.n, 8, "mean: n");
	close_to(m.mean, 5, TOL, "mean: mean");
	close_to(m.var, 32.0 / 7, TOL, "mean: sample variance 32/7");
	close_to(m.se, sqrt(4.0 / 7), TOL, "mean: se sqrt(4/7)");
	close_to(m.lo, 3.2125120817637915, TOL, "mean: CI low");
	close_to(m.hi, 6.7874879182362085, TOL, "mean: CI high");

	/* the same from sums: Σx = 40, Σx² = 4+16*3+25*2+49+81 = 232 */
	rs_mean s;
	rs_mean_ci_sums(8, 40, 232, RS_CONF, &s);
	close_to(s.var, 32.0 / 7, TOL, "mean from sums: variance");
	close_to(s.lo, 3.2125120817637915, TOL, "mean from sums: CI low");

	/* degenerate inputs give NaN, not a crash */
	rs_mean_ci(x, 1, RS_CONF, &m);
	ok(m.mean == 2 && isnan(m.var) && isnan(m.lo) && isnan(m.hi), "mean: one value has no interval");
	rs_mean_ci(NULL, 0, RS_CONF, &m);
	ok(isnan(m.mean) && m.n == 0, "mean: no values is NaN");
	double c[] = {7, 7, 7};
	rs_mean_ci(c, 3, RS_CONF, &m);
	ok(m.var == 0 && m.lo == 7 && m.hi == 7, "mean: constant values, zero-width interval");

	/* large equal values: the two-pass variance keeps them exact */
	double big[] = {1e12 + 1, 1e12 + 2, 1e12 + 3};
	rs_mean_ci(big, 3, RS_CONF, &m);
	close_to(m.var, 1, 1e-9, "mean: variance of 1e12+{1,2,3} is 1");
}

static void test_welch(void)
{
	/* Closed form, df = 2: a = {0,2}, b = {3,5}; means 1 and 4, both
	 * variances 2, se = sqrt(2/2+2/2) = √2, t = 3/√2, df = (1+1)²/(1/1+1/1)
	 * = 2. For df = 2, P(|T|>t) = 1 − t/sqrt(2+t²) = 1 − sqrt(4.5/6.5)
	 * = 1 − 3/√13 = 0.16794970566215628 (Simpson 2·t_sf agrees to 1e-14).
	 * t(0.975, 2) = 0.95/sqrt(2·0.975·0.025) = 4.302652729749464 (closed
	 * form of the df=2 quantile), so the interval is 3 ∓ 4.302652729749464·√2. */
	double a[] = {0, 2}, b[] = {3, 5};
	rs_mean ma, mb;
	rs_test t;
	rs_mean_ci(a, 2, RS_CONF, &ma);
	rs_mean_ci(b, 2, RS_CONF, &mb);
	rs_welch(&ma, &mb, RS_CONF, &t);
	close_to(t.diff, 3, TOL, "welch df2: diff");
	close_to(t.stat, 3 / sqrt(2), TOL, "welch df2: t = 3/sqrt2");
	close_to(t.df, 2, TOL, "welch df2: df");
	close_to(t.p, 1 - 3 / sqrt(13), TOL, "welch df2: p = 1 - 3/sqrt13");
	close_to(t.lo, 3 - 4.302652729749464 * sqrt(2), TOL, "welch df2: CI low");
	close_to(t.hi, 3 + 4.302652729749464 * sqrt(2), TOL, "welch df2: CI high");

	/* Unequal sizes and variances: a = 1..5 (mean 3, var 2.5), b = 2,4..14
	 * (mean 8, var 18.666…); va = 2.5/5 = 0.5, vb = 18.6667/7 = 2.6667;
	 * t = 5/sqrt(3.16667) = 2.809757434745082;
	 * df = 3.16667²/(0.5²/4 + 2.6667²/6) = 8.037105751391467;
	 * p = 2·t_sf(t, df) = 0.02274725527968202;
	 * t(0.975, df) = t_q(0.975, 8.0371…) = 2.3041523050273094,
	 * CI = 5 ∓ 2.3041523050273094·sqrt(3.16667) = 0.8997309224375165 / 9.100269077562483. */
	double a2[] = {1, 2, 3, 4, 5}, b2[] = {2, 4, 6, 8, 10, 12, 14};
	rs_mean_ci(a2, 5, RS_CONF, &ma);
	rs_mean_ci(b2, 7, RS_CONF, &mb);
	rs_welch(&ma, &mb, RS_CONF, &t);
	close_to(t.stat, 2.809757434745082, TOL, "welch: t");
	close_to(t.df, 8.037105751391467, TOL, "welch: Welch-Satterthwaite df");
	close_to(t.p, 0.02274725527968202, 1e-6, "welch: p");
	close_to(t.lo, 0.8997309224375165, 1e-6, "welch: CI low");
	close_to(t.hi, 9.100269077562483, 1e-6, "welch: CI high");

	/* swapping the sides flips the sign, not the p-value */
	rs_test u;
	rs_welch(&mb, &ma, RS_CONF, &u);
	close_to(u.stat, -2.809757434745082, TOL, "welch: swapped t");
	close_to(u.p, t.p, 1e-12, "welch: swapped p");

	/* both constant: no test */
	double c1[] = {5, 5}, c2[] = {5, 5, 5};
	rs_mean_ci(c1, 2, RS_CONF, &ma);
	rs_mean_ci(c2, 3, RS_CONF, &mb);
	rs_welch(&ma, &mb, RS_CONF, &t);
	ok(t.diff == 0 && isnan(t.p) && isnan(t.stat), "welch: zero variance gives NaN p");
	rs_mean_ci(a2, 1, RS_CONF, &ma);
	rs_welch(&ma, &mb, RS_CONF, &t);
	ok(isnan(t.p), "welch: a side with one customer gives NaN p");
}

static void test_props(void)
{
	/* Wilson 30/100: z = N.inv_cdf(0.975) = 1.959963984540054;
	 * centre = (0.3 + z²/200)/(1 + z²/100), half = z/(1+z²/100)·sqrt(0.3·0.7/100 + z²/40000)
	 * → 0.2189488529493276 .. 0.3958485463334666 */
	rs_prop a, b;
	rs_prop_ci(30, 100, RS_CONF, &a);
	close_to(a.p, 0.3, TOL, "wilson: p");
	close_to(a.lo, 0.2189488529493276, TOL, "wilson: low");
	close_to(a.hi, 0.3958485463334666, TOL, "wilson: high");
	rs_prop_ci(0, 10, RS_CONF, &b);
	ok(b.lo == 0 && b.hi > 0 && b.hi < 0.35, "wilson: 0/10 stays inside [0,1] (hi %.4f)", b.hi);
	rs_prop_ci(0, 0, RS_CONF, &b);
	ok(isnan(b.p), "wilson: 0/0 is NaN");

	/* z-test 45/100 vs 30/100: pooled 75/200 = 0.375,
	 * se0 = sqrt(0.375·0.625·(1/100+1/100)) = 0.0684653196881458,
	 * z = 0.15/se0 = 2.1908902300206647,
	 * p = 2·(1 − N.cdf(z)) = math.erfc(z/√2) = 0.02845973691631057;
	 * Wald CI: se = sqrt(0.3·0.7/100 + 0.45·0.55/100), 0.15 ∓ z·se
	 * = 0.017430493307564826 / 0.2825695066924352 */
	rs_prop_ci(45, 100, RS_CONF, &b);
	rs_test t;
	rs_ztest(&a, &b, RS_CONF, &t);
	close_to(t.diff, 0.15, TOL, "z-test: diff");
	close_to(t.stat, 2.1908902300206647, TOL, "z-test: z");
	close_to(t.p, 0.02845973691631057, TOL, "z-test: p");
	close_to(t.lo, 0.017430493307564826, TOL, "z-test: CI low");
	close_to(t.hi, 0.2825695066924352, TOL, "z-test: CI high");
	ok(isnan(t.df), "z-test: no df");

	/* all zero on both sides: no test, no crash */
	rs_prop_ci(0, 50, RS_CONF, &a);
	rs_prop_ci(0, 60, RS_CONF, &b);
	rs_ztest(&a, &b, RS_CONF, &t);
	ok(t.diff == 0 && isnan(t.p), "z-test: 0/50 vs 0/60 has no p");
}

static void test_ratio(void)
{
	/* y = 10 0 30 20 (revenue), x = 1 0 2 1 (purchases): R = 60/4 = 15;
	 * s_y² = 166.667, s_x² = 0.666667, s_xy = 10 (st.variance,
	 * st.covariance); x̄ = 1;
	 * Var = (166.667 − 2·15·10 + 225·0.666667)/(4·1²) = 4.16667,
	 * se = 2.0412414523193143; CI = 15 ∓ z·se = 10.999240269703911 / 19.00075973029609 */
	double y[] = {10, 0, 30, 20}, x[] = {1, 0, 2, 1};
	rs_ratio r;
	rs_ratio_ci(y, x, 4, RS_CONF, &r);
	close_to(r.r, 15, TOL, "ratio: R");
	close_to(r.se, 2.0412414523193143, TOL, "ratio: delta-method se");
	close_to(r.lo, 10.999240269703911, TOL, "ratio: CI low");
	close_to(r.hi, 19.00075973029609, TOL, "ratio: CI high");
	double zx[] = {0, 0};
	rs_ratio_ci(y, zx, 2, RS_CONF, &r);
	ok(isnan(r.r), "ratio: no purchases is NaN");
}

static void test_srm(void)
{
	rs_srm s;
	/* 10200 vs 9800 at 50/50: E = 10000 each, χ² = 2·200²/10000 = 8, df 1;
	 * for df = 1, Q(x) = erfc(sqrt(x/2)) = math.erfc(2) = 0.004677734981047265 */
	uint64_t o1[] = {10200, 9800};
	double w1[] = {50, 50};
	rs_srm_test(o1, w1, 2, &s);
	close_to(s.stat, 8, TOL, "srm 50/50: chi-square 8");
	is_int((int64_t)s.df, 1, "srm 50/50: df 1");
	close_to(s.p, 0.004677734981047265, TOL, "srm 50/50: p = erfc(2)");
	ok(!(s.p < RS_SRM_ALPHA), "srm 50/50: 2%% off at 20k customers is not flagged");

	/* 1000/1100/900 at 1:1:1: E = 1000, χ² = (0 + 100² + 100²)/1000 = 20,
	 * df 2; for df = 2, Q(x) = exp(−x/2) = exp(−10) = 4.5399929762484854e-05 */
	uint64_t o2[] = {1000, 1100, 900};
	double w2[] = {1, 1, 1};
	rs_srm_test(o2, w2, 3, &s);
	close_to(s.stat, 20, TOL, "srm 1:1:1: chi-square 20");
	close_to(s.p, 4.5399929762484854e-05, TOL, "srm 1:1:1: p = exp(-10)");
	ok(s.p < RS_SRM_ALPHA, "srm 1:1:1: flagged");

	/* 7900/2100 at 80/20: E = 8000/2000, χ² = 100²/8000 + 100²/2000 = 6.25;
	 * p = erfc(sqrt(3.125)) = 0.012419330651552266 */
	uint64_t o3[] = {7900, 2100};
	double w3[] = {80, 20};
	rs_srm_test(o3, w3, 2, &s);
	close_to(s.stat, 6.25, TOL, "srm 80/20: chi-square 6.25");
	close_to(s.p, 0.012419330651552266, TOL, "srm 80/20: p");

	/* a weight-0 variant: ignored when empty, an outright mismatch when not */
	uint64_t o4[] = {10200, 9800, 0};
	double w4[] = {50, 50, 0};
	rs_srm_test(o4, w4, 3, &s);
	close_to(s.p, 0.004677734981047265, TOL, "srm: empty weight-0 variant does not count");
	o4[2] = 1;
	rs_srm_test(o4, w4, 3, &s);
	ok(s.p == 0 && isinf(s.stat), "srm: a customer in a weight-0 variant is a mismatch");

	uint64_t o5[] = {0, 0};
	rs_srm_test(o5, w1, 2, &s);
	ok(isnan(s.p), "srm: no customers, no test");
	uint64_t o6[] = {5};
	rs_srm_test(o6, w1, 1, &s);
	ok(isnan(s.p), "srm: one variant, no test");
}

int main(void)
{
	test_mean();
	test_welch();
	test_props();
	test_ratio();
	test_srm();
	return tap_done();
}
