/* engine/report_json.c — the experiment report for machines (`--json`):
 * one JSON object, money in minor units, NaN (an undefined figure) as null.
 * Generated with yajl so that names are always escaped right. Owns the
 * field names (doc/experiments-report.md lists them); computes nothing. */
#include "engine/report_render.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_gen.h>

static void out_cb(void *ctx, const char *s, size_t n)
{
	fwrite(s, 1, n, (FILE *)ctx);
}

static void key(yajl_gen g, const char *k)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

static void str(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

/* 15 significant digits: every figure exact to far below a minor unit,
 * without yajl's %.20g noise (0.95 printed as 0.94999999999999995559) */
static void num(yajl_gen g, const char *k, double v)
{
	key(g, k);
	if (!isfinite(v)) {
		yajl_gen_null(g);
		return;
	}
	char b[40];
	int n = snprintf(b, sizeof b, "%.15g", v);
	yajl_gen_number(g, b, (size_t)n);
}

static void integer(yajl_gen g, const char *k, int64_t v)
{
	key(g, k);
	yajl_gen_integer(g, (long long)v);
}

static void mean_obj(yajl_gen g, const char *k, const rs_mean *m)
{
	key(g, k);
	yajl_gen_map_open(g);
	num(g, "mean", m->mean);
	num(g, "lo", m->lo);
	num(g, "hi", m->hi);
	yajl_gen_map_close(g);
}

static void test_obj(yajl_gen g, const char *k, const rs_test *t, const char *stat)
{
	key(g, k);
	yajl_gen_map_open(g);
	num(g, "diff", t->diff);
	num(g, "lo", t->lo);
	num(g, "hi", t->hi);
	num(g, stat, t->stat);
	if (strcmp(stat, "t") == 0)
		num(g, "df", t->df);
	num(g, "p", t->p);
	yajl_gen_map_close(g);
}

static void variant(yajl_gen g, const rc_report *r, uint32_t i)
{
	const rc_variant *v = &r->v[i];
	yajl_gen_map_open(g);
	key(g, "name");
	str(g, v->name);
	key(g, "control");
	yajl_gen_bool(g, i == r->control);
	key(g, "configured");
	yajl_gen_bool(g, v->configured);
	num(g, "weight", r->data->has_weights ? v->weight : NAN);
	num(g, "expected_share", v->expected_share);
	num(g, "observed_share", v->observed_share);
	integer(g, "customers", (int64_t)v->customers);
	integer(g, "purchases", v->purchases);
	integer(g, "purchase_total", v->gross);
	integer(g, "refunded", v->refunded);
	integer(g, "net_revenue", v->revenue);
	key(g, "discount_cost");
	if (r->has_discount)
		yajl_gen_integer(g, (long long)v->discount);
	else
		yajl_gen_null(g);
	integer(g, "points_issued", v->points);
	mean_obj(g, "revenue_per_customer", &v->revenue_pc);
	key(g, "average_basket");
	yajl_gen_map_open(g);
	num(g, "mean", v->basket.r);
	num(g, "lo", v->basket.lo);
	num(g, "hi", v->basket.hi);
	yajl_gen_map_close(g);
	mean_obj(g, "purchases_per_customer", &v->purchases_pc);
	if (r->has_discount)
		mean_obj(g, "discount_per_customer", &v->discount_pc);
	mean_obj(g, "points_per_customer", &v->points_pc);
	key(g, "repeat_rate");
	yajl_gen_map_open(g);
	integer(g, "repeaters", (int64_t)v->repeat.k);
	num(g, "rate", v->repeat.p);
	num(g, "lo", v->repeat.lo);
	num(g, "hi", v->repeat.hi);
	yajl_gen_map_close(g);
	key(g, "vs_control");
	if (i == r->control) {
		yajl_gen_null(g);
	} else {
		yajl_gen_map_open(g);
		test_obj(g, "revenue_per_customer", &v->d_revenue_pc, "t");
		num(g, "revenue_per_customer_lift", v->lift_revenue_pc);
		test_obj(g, "repeat_rate", &v->d_repeat, "z");
		if (r->has_discount)
			test_obj(g, "discount_per_customer", &v->d_discount_pc, "t");
		test_obj(g, "points_per_customer", &v->d_points_pc, "t");
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
}

static void timeline(yajl_gen g, const rc_report *r)
{
	const rd_data *d = r->data;
	key(g, "timeline");
	yajl_gen_map_open(g);
	key(g, "start");
	if (r->customers)
		yajl_gen_integer(g, (long long)d->t0);
	else
		yajl_gen_null(g); /* no exposure, no time axis */
	integer(g, "bucket_seconds", d->bucket_s);
	key(g, "cumulative_net_revenue");
	yajl_gen_map_open(g);
	for (uint32_t v = 0; v < d->timeline_nvariants && v < r->nv; v++) {
		key(g, r->v[v].name);
		yajl_gen_array_open(g);
		int64_t cum = 0;
		for (uint32_t b = 0; b < d->nbuckets; b++) {
			cum += d->bucket_net[(size_t)v * d->nbuckets + b];
			yajl_gen_integer(g, (long long)cum);
		}
		yajl_gen_array_close(g);
	}
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

int rr_json(FILE *out, const rc_report *r, const rr_opts *o)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	if (!g)
		return -1;
	yajl_gen_config(g, yajl_gen_print_callback, out_cb, (void *)out);
	const rd_data *d = r->data;
	yajl_gen_map_open(g);
	key(g, "experiment");
	str(g, d->experiment);
	num(g, "confidence", RS_CONF);
	integer(g, "customers", (int64_t)r->customers);
	key(g, "first_exposure");
	if (r->customers)
		yajl_gen_integer(g, (long long)d->first_exposure);
	else
		yajl_gen_null(g);
	key(g, "last_purchase");
	if (d->last_purchase)
		yajl_gen_integer(g, (long long)d->last_purchase);
	else
		yajl_gen_null(g);
	integer(g, "minor_digits", o->minor_digits);
	key(g, "discount_recorded");
	yajl_gen_bool(g, r->has_discount);
	key(g, "control");
	if (r->nv)
		str(g, r->v[r->control].name);
	else
		yajl_gen_null(g);
	key(g, "variants");
	yajl_gen_array_open(g);
	for (uint32_t i = 0; i < r->nv; i++)
		variant(g, r, i);
	yajl_gen_array_close(g);
	key(g, "srm");
	yajl_gen_map_open(g);
	key(g, "checked");
	yajl_gen_bool(g, r->srm_checked);
	key(g, "weights_from");
	if (o->weights_from)
		str(g, o->weights_from);
	else
		yajl_gen_null(g);
	num(g, "chi_square", r->srm.stat); /* null when infinite: see note */
	num(g, "df", r->srm.df);
	num(g, "p", r->srm.p);
	num(g, "alpha", RS_SRM_ALPHA);
	key(g, "mismatch");
	yajl_gen_bool(g, r->srm_alarm);
	key(g, "note");
	str(g, r->srm_note);
	yajl_gen_map_close(g);
	timeline(g, r);
	yajl_gen_map_close(g);
	yajl_gen_free(g);
	fputc('\n', out);
	fflush(out);
	return ferror(out) ? -1 : 0;
}
