/* engine/report_stats.h — the statistics behind `loyaltyctl experiments
 * report` (doc/experiments-report.md): summaries of per-customer values with
 * confidence intervals, Welch's t-test, the two-proportion z-test, the
 * delta-method interval of a ratio of sums, and the chi-square
 * sample-ratio-mismatch test.
 *
 * Pure arithmetic on arrays: no I/O, no store, no formatting. The
 * distributions (t, normal, chi-square) come from GSL, never hand-written.
 * A figure that is undefined for the data (one customer, zero variance, an
 * empty variant) is NaN, never an error and never a crash; callers print
 * NaN as "n/a" (text, HTML) or null (JSON). */
#ifndef ENGINE_REPORT_STATS_H
#define ENGINE_REPORT_STATS_H

#include <stddef.h>
#include <stdint.h>

/* The confidence level of every interval in the report. */
#define RS_CONF 0.95

/* Mean of n values with its t-based interval: mean ± t(conf, n-1)·s/√n. */
typedef struct rs_mean {
	size_t n;
	double mean;       /* NaN when n == 0 */
	double var;        /* sample variance (n-1 denominator); NaN when n < 2 */
	double se;         /* s/√n; NaN when n < 2 */
	double lo, hi;     /* interval; NaN when n < 2 */
} rs_mean;
void rs_mean_ci(const double *x, size_t n, double conf, rs_mean *out);

/* Same from running sums (Σx, Σx²) — for callers that never hold the array.
 * Less accurate than rs_mean_ci for huge values with small spread. */
void rs_mean_ci_sums(size_t n, double sum, double sumsq, double conf, rs_mean *out);

/* Welch's unequal-variance t-test of b against a (diff = mean_b - mean_a),
 * two-sided, with the Welch–Satterthwaite degrees of freedom and the
 * interval of the difference. p, t, df, lo, hi are NaN when either side has
 * fewer than 2 values or both variances are 0. */
typedef struct rs_test {
	double diff;
	double se;
	double stat;       /* t or z */
	double df;         /* Welch only; NaN for z */
	double p;          /* two-sided */
	double lo, hi;     /* interval of diff */
} rs_test;
void rs_welch(const rs_mean *a, const rs_mean *b, double conf, rs_test *out);

/* A proportion k/n with its Wilson score interval (better than the Wald
 * interval for small n and rates near 0 or 1). NaN when n == 0. */
typedef struct rs_prop {
	uint64_t k, n;
	double p;
	double lo, hi;
} rs_prop;
void rs_prop_ci(uint64_t k, uint64_t n, double conf, rs_prop *out);

/* Two-proportion z-test of b against a (diff = p_b - p_a): the statistic
 * uses the pooled proportion (the null hypothesis p_a = p_b); the interval
 * of the difference uses the unpooled (Wald) standard error. */
void rs_ztest(const rs_prop *a, const rs_prop *b, double conf, rs_test *out);

/* Ratio of two per-customer sums R = Σy/Σx (average basket = Σ revenue /
 * Σ purchases) with its delta-method interval, which accounts for one
 * customer's purchases not being independent:
 *   Var(R) ≈ (s_y² − 2R·s_xy + R²·s_x²) / (n·x̄²).
 * x and y are n per-customer values. NaN when Σx == 0 or n < 2. */
typedef struct rs_ratio {
	size_t n;
	double r;
	double se;
	double lo, hi;
} rs_ratio;
void rs_ratio_ci(const double *y, const double *x, size_t n, double conf, rs_ratio *out);

/* Sample-ratio mismatch: Pearson's chi-square of the observed counts
 * against the configured weights (expected_i = N·w_i/Σw), df = k' − 1 where
 * k' counts the variants with weight > 0. A variant with weight 0 and any
 * customer is an outright mismatch (stat = +inf, p = 0). p is NaN when
 * N == 0, Σw <= 0 or k' < 2. */
typedef struct rs_srm {
	double stat;
	double df;
	double p;
	uint64_t total;
} rs_srm;
void rs_srm_test(const uint64_t *observed, const double *weights, size_t k, rs_srm *out);

/* The threshold below which the report warns of a sample-ratio mismatch. */
#define RS_SRM_ALPHA 0.001

#endif
