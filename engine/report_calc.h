/* engine/report_calc.h — the experiment report's figures, computed once
 * from what report_data.c read and rendered three ways (report_text.c,
 * report_html.c, report_json.c). Owns which figure means what
 * (doc/experiments-report.md); must not read the store or format. */
#ifndef ENGINE_REPORT_CALC_H
#define ENGINE_REPORT_CALC_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/report_data.h"
#include "engine/report_stats.h"

typedef struct rc_variant {
	const char *name;         /* points into the rd_data */
	bool configured;
	double weight;            /* configured weight (0 when not configured) */
	double expected_share;    /* weight / Σ weights; NaN without weights */
	double observed_share;    /* customers / all exposed customers */
	uint64_t customers;
	int64_t purchases;
	int64_t gross;            /* Σ purchase total */
	int64_t refunded;         /* Σ refunded net */
	int64_t revenue;          /* net revenue = gross − refunded */
	int64_t discount;         /* Σ discount_total */
	int64_t points;           /* Σ earned − reversed */
	rs_mean revenue_pc;       /* net revenue per customer */
	rs_ratio basket;          /* Σ purchase total / purchases, delta-method CI */
	rs_mean purchases_pc;
	rs_mean discount_pc;
	rs_mean points_pc;
	rs_prop repeat;           /* customers with 2+ purchases */
	/* against the control (all NaN for the control itself) */
	rs_test d_revenue_pc;     /* Welch */
	double lift_revenue_pc;   /* d_revenue_pc.diff / control mean, NaN if 0 */
	rs_test d_discount_pc;    /* Welch */
	rs_test d_points_pc;      /* Welch */
	rs_test d_repeat;         /* two-proportion z */
} rc_variant;

typedef struct rc_report {
	const rd_data *data;
	rc_variant *v;
	uint32_t nv;
	uint32_t control;         /* "control" if present, else the first */
	uint64_t customers;
	bool has_discount;
	bool srm_checked;         /* weights known and at least 2 live variants */
	rs_srm srm;
	bool srm_alarm;           /* srm.p < RS_SRM_ALPHA */
	char srm_note[256];       /* why it is not checked, or what is off */
} rc_report;

/* 0, or -1 when out of memory. */
int rc_compute(const rd_data *d, rc_report *out);
void rc_free(rc_report *r);

#endif
