/* engine/report_calc.c — per-variant figures, comparisons against the
 * control and the sample-ratio check (see report_calc.h). Owns the choice
 * of figures; the formulas are in report_stats.c. No I/O, no formatting. */
#include "engine/report_calc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void variant_figures(const rd_data *d, uint32_t vi, rc_variant *v, double *buf[5])
{
	double *rev = buf[0], *disc = buf[1], *pts = buf[2], *npur = buf[3], *gross = buf[4];
	size_t n = 0;
	uint64_t repeaters = 0;
	for (size_t i = 0; i < d->ncust; i++) {
		const rd_cust *c = &d->cust[i];
		if (c->variant != vi)
			continue;
		rev[n] = (double)(c->total - c->refunded);
		disc[n] = (double)c->discount;
		pts[n] = (double)c->points;
		npur[n] = (double)c->purchases;
		gross[n] = (double)c->total;
		n++;
		v->purchases += c->purchases;
		v->gross += c->total;
		v->refunded += c->refunded;
		v->discount += c->discount;
		v->points += c->points;
		if (c->purchases >= 2)
			repeaters++;
	}
	v->customers = n;
	v->revenue = v->gross - v->refunded;
	rs_mean_ci(rev, n, RS_CONF, &v->revenue_pc);
	rs_mean_ci(disc, n, RS_CONF, &v->discount_pc);
	rs_mean_ci(pts, n, RS_CONF, &v->points_pc);
	rs_mean_ci(npur, n, RS_CONF, &v->purchases_pc);
	rs_ratio_ci(gross, npur, n, RS_CONF, &v->basket);
	rs_prop_ci(repeaters, n, RS_CONF, &v->repeat);
}

static void no_test(rs_test *t)
{
	t->diff = t->se = t->stat = t->df = t->p = t->lo = t->hi = NAN;
}

static void srm(const rd_data *d, rc_report *r)
{
	if (!d->has_weights) {
		snprintf(r->srm_note, sizeof r->srm_note,
			"not checked: no configured weights (give --rules PATH)");
		return;
	}
	uint64_t obs[RD_MAX_VARIANTS];
	double w[RD_MAX_VARIANTS];
	for (uint32_t i = 0; i < r->nv; i++) {
		obs[i] = r->v[i].customers;
		w[i] = r->v[i].configured ? r->v[i].weight : 0;
	}
	rs_srm_test(obs, w, r->nv, &r->srm);
	if (isnan(r->srm.p)) {
		snprintf(r->srm_note, sizeof r->srm_note, "not checked: %s",
			r->customers == 0 ? "no exposed customers" : "fewer than two variants with weight");
		return;
	}
	r->srm_checked = true;
	r->srm_alarm = r->srm.p < RS_SRM_ALPHA;
	for (uint32_t i = 0; i < r->nv; i++)
		if (r->v[i].customers > 0 && !(w[i] > 0)) {
			snprintf(r->srm_note, sizeof r->srm_note,
				"variant %s has %llu customers but %s", r->v[i].name,
				(unsigned long long)r->v[i].customers,
				r->v[i].configured ? "weight 0" : "is not in the configuration");
			return;
		}
	/* Pearson's approximation wants about 5 expected per cell */
	for (uint32_t i = 0; i < r->nv; i++)
		if (w[i] > 0 && (double)r->customers * r->v[i].expected_share < 5) {
			snprintf(r->srm_note, sizeof r->srm_note,
				"fewer than 5 customers expected in variant %s: the check is only approximate",
				r->v[i].name);
			return;
		}
}

int rc_compute(const rd_data *d, rc_report *r)
{
	memset(r, 0, sizeof *r);
	r->data = d;
	r->has_discount = d->has_discount;
	r->nv = d->nvariants;
	r->customers = d->ncust;
	r->v = calloc(r->nv ? r->nv : 1, sizeof *r->v);
	double *buf[5] = {0};
	for (int i = 0; i < 5; i++)
		buf[i] = malloc((d->ncust ? d->ncust : 1) * sizeof(double));
	if (!r->v || !buf[0] || !buf[1] || !buf[2] || !buf[3] || !buf[4]) {
		for (int i = 0; i < 5; i++)
			free(buf[i]);
		free(r->v);
		r->v = NULL;
		return -1;
	}
	double wsum = 0;
	for (uint32_t i = 0; i < r->nv; i++)
		if (d->variants[i].configured)
			wsum += d->variants[i].weight;
	for (uint32_t i = 0; i < r->nv; i++) {
		rc_variant *v = &r->v[i];
		v->name = d->variants[i].name;
		v->configured = d->variants[i].configured;
		v->weight = d->variants[i].weight;
		v->expected_share = d->has_weights && wsum > 0 ? (v->configured ? v->weight / wsum : 0) : NAN;
		variant_figures(d, i, v, buf);
		v->observed_share = d->ncust ? (double)v->customers / (double)d->ncust : NAN;
		if (strcmp(v->name, "control") == 0)
			r->control = i;
	}
	for (int i = 0; i < 5; i++)
		free(buf[i]);
	for (uint32_t i = 0; i < r->nv; i++) {
		rc_variant *v = &r->v[i], *c = &r->v[r->control];
		if (i == r->control) {
			no_test(&v->d_revenue_pc);
			no_test(&v->d_discount_pc);
			no_test(&v->d_points_pc);
			no_test(&v->d_repeat);
			v->lift_revenue_pc = NAN;
			continue;
		}
		rs_welch(&c->revenue_pc, &v->revenue_pc, RS_CONF, &v->d_revenue_pc);
		rs_welch(&c->discount_pc, &v->discount_pc, RS_CONF, &v->d_discount_pc);
		rs_welch(&c->points_pc, &v->points_pc, RS_CONF, &v->d_points_pc);
		rs_ztest(&c->repeat, &v->repeat, RS_CONF, &v->d_repeat);
		v->lift_revenue_pc = c->revenue_pc.mean != 0
			? v->d_revenue_pc.diff / c->revenue_pc.mean : NAN;
	}
	srm(d, r);
	return 0;
}

void rc_free(rc_report *r)
{
	free(r->v);
	memset(r, 0, sizeof *r);
}
