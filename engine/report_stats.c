/* engine/report_stats.c — the experiment report's statistics (see
 * report_stats.h). Owns the formulas; must not do I/O or formatting.
 *
 * Every call into GSL is guarded so that its arguments are finite and in
 * the function's domain: GSL's default error handler aborts the process,
 * and a report must never crash on odd data (one customer, all zeros). */
#include "engine/report_stats.h"

#include <math.h>

#include <gsl/gsl_cdf.h>

/* Two-sided critical value of Student's t with df degrees of freedom. */
static double t_crit(double conf, double df)
{
	if (!(df > 0) || !isfinite(df) || !(conf > 0 && conf < 1))
		return NAN;
	return gsl_cdf_tdist_Pinv(0.5 + conf / 2, df);
}

static double z_crit(double conf)
{
	if (!(conf > 0 && conf < 1))
		return NAN;
	return gsl_cdf_ugaussian_Pinv(0.5 + conf / 2);
}

/* Two-sided p of |t| under Student's t. */
static double t_p2(double t, double df)
{
	if (!isfinite(t) || !(df > 0) || !isfinite(df))
		return NAN;
	double p = 2 * gsl_cdf_tdist_Q(fabs(t), df);
	return p > 1 ? 1 : p;
}

static double z_p2(double z)
{
	if (isnan(z))
		return NAN;
	if (isinf(z))
		return 0;
	double p = 2 * gsl_cdf_ugaussian_Q(fabs(z));
	return p > 1 ? 1 : p;
}

static void mean_finish(rs_mean *out, double conf)
{
	out->se = out->lo = out->hi = NAN;
	if (out->n < 2)
		return;
	out->se = sqrt(out->var / (double)out->n);
	double t = t_crit(conf, (double)(out->n - 1));
	out->lo = out->mean - t * out->se;
	out->hi = out->mean + t * out->se;
}

void rs_mean_ci(const double *x, size_t n, double conf, rs_mean *out)
{
	out->n = n;
	out->mean = out->var = NAN;
	if (n > 0) {
		/* Two passes: the one-pass Σx² formula loses every digit when
		 * revenues are large and close together. */
		double s = 0;
		for (size_t i = 0; i < n; i++)
			s += x[i];
		out->mean = s / (double)n;
		if (n > 1) {
			double ss = 0, c = 0;
			for (size_t i = 0; i < n; i++) {
				double d = x[i] - out->mean;
				ss += d * d;
				c += d;
			}
			/* corrected two-pass (Chan, Golub, LeVeque) */
			out->var = (ss - c * c / (double)n) / (double)(n - 1);
			if (out->var < 0)
				out->var = 0;
		}
	}
	mean_finish(out, conf);
}

void rs_mean_ci_sums(size_t n, double sum, double sumsq, double conf, rs_mean *out)
{
	out->n = n;
	out->mean = out->var = NAN;
	if (n > 0)
		out->mean = sum / (double)n;
	if (n > 1) {
		out->var = (sumsq - sum * out->mean) / (double)(n - 1);
		if (out->var < 0)
			out->var = 0;
	}
	mean_finish(out, conf);
}

void rs_welch(const rs_mean *a, const rs_mean *b, double conf, rs_test *out)
{
	out->diff = b->mean - a->mean;
	out->se = out->stat = out->df = out->p = out->lo = out->hi = NAN;
	if (a->n < 2 || b->n < 2)
		return;
	double va = a->var / (double)a->n, vb = b->var / (double)b->n;
	double v = va + vb;
	if (!(v > 0))
		return; /* both constant: no test */
	out->se = sqrt(v);
	out->stat = out->diff / out->se;
	out->df = v * v / (va * va / (double)(a->n - 1) + vb * vb / (double)(b->n - 1));
	out->p = t_p2(out->stat, out->df);
	double t = t_crit(conf, out->df);
	out->lo = out->diff - t * out->se;
	out->hi = out->diff + t * out->se;
}

void rs_prop_ci(uint64_t k, uint64_t n, double conf, rs_prop *out)
{
	out->k = k;
	out->n = n;
	out->p = out->lo = out->hi = NAN;
	if (n == 0 || k > n)
		return;
	double dn = (double)n, p = (double)k / dn, z = z_crit(conf);
	double z2 = z * z;
	double centre = (p + z2 / (2 * dn)) / (1 + z2 / dn);
	double half = z / (1 + z2 / dn) * sqrt(p * (1 - p) / dn + z2 / (4 * dn * dn));
	out->p = p;
	out->lo = centre - half;
	out->hi = centre + half;
	/* exact ends: centre and half are equal in theory when k is 0 or n */
	if (k == 0 || out->lo < 0)
		out->lo = 0;
	if (k == n || out->hi > 1)
		out->hi = 1;
}

void rs_ztest(const rs_prop *a, const rs_prop *b, double conf, rs_test *out)
{
	out->diff = b->p - a->p;
	out->se = out->stat = out->p = out->lo = out->hi = NAN;
	out->df = NAN;
	if (a->n == 0 || b->n == 0)
		return;
	double na = (double)a->n, nb = (double)b->n;
	double pool = ((double)a->k + (double)b->k) / (na + nb);
	double se0 = sqrt(pool * (1 - pool) * (1 / na + 1 / nb));
	if (se0 > 0) {
		out->stat = out->diff / se0;
		out->p = z_p2(out->stat);
	}
	double se = sqrt(a->p * (1 - a->p) / na + b->p * (1 - b->p) / nb);
	out->se = se;
	double z = z_crit(conf);
	out->lo = out->diff - z * se;
	out->hi = out->diff + z * se;
}

void rs_ratio_ci(const double *y, const double *x, size_t n, double conf, rs_ratio *out)
{
	out->n = n;
	out->r = out->se = out->lo = out->hi = NAN;
	if (n == 0)
		return;
	double sx = 0, sy = 0;
	for (size_t i = 0; i < n; i++) {
		sx += x[i];
		sy += y[i];
	}
	if (sx == 0)
		return;
	out->r = sy / sx;
	if (n < 2)
		return;
	double mx = sx / (double)n, my = sy / (double)n;
	double vxx = 0, vyy = 0, vxy = 0;
	for (size_t i = 0; i < n; i++) {
		double dx = x[i] - mx, dy = y[i] - my;
		vxx += dx * dx;
		vyy += dy * dy;
		vxy += dx * dy;
	}
	vxx /= (double)(n - 1);
	vyy /= (double)(n - 1);
	vxy /= (double)(n - 1);
	double r = out->r;
	double var = (vyy - 2 * r * vxy + r * r * vxx) / ((double)n * mx * mx);
	if (var < 0)
		var = 0;
	out->se = sqrt(var);
	double z = z_crit(conf);
	out->lo = r - z * out->se;
	out->hi = r + z * out->se;
}

void rs_srm_test(const uint64_t *observed, const double *weights, size_t k, rs_srm *out)
{
	out->stat = out->df = out->p = NAN;
	out->total = 0;
	double wsum = 0;
	size_t live = 0;
	for (size_t i = 0; i < k; i++) {
		out->total += observed[i];
		if (weights[i] > 0 && isfinite(weights[i])) {
			wsum += weights[i];
			live++;
		}
	}
	if (out->total == 0 || !(wsum > 0))
		return;
	double n = (double)out->total, chi = 0;
	for (size_t i = 0; i < k; i++) {
		if (!(weights[i] > 0 && isfinite(weights[i]))) {
			if (observed[i] > 0) {
				/* customers in a variant that should have none */
				out->stat = INFINITY;
				out->df = live > 1 ? (double)(live - 1) : NAN;
				out->p = 0;
				return;
			}
			continue;
		}
		double e = n * weights[i] / wsum;
		double d = (double)observed[i] - e;
		chi += d * d / e;
	}
	out->stat = chi;
	if (live < 2)
		return;
	out->df = (double)(live - 1);
	out->p = gsl_cdf_chisq_Q(chi, out->df);
}
