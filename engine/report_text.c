/* engine/report_text.c — the experiment report for a terminal: one column
 * per variant, one row per figure, then each variant against the control,
 * then the sample-ratio check (a banner at the top when it fails). Owns the
 * layout only; figures come from report_calc.c. */
#include "engine/report_render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/report_format.h"

#define CELL 96

void rr_srm_message(const rc_report *r, char *buf, size_t n)
{
	char p[32];
	size_t o = (size_t)snprintf(buf, n,
		"SAMPLE RATIO MISMATCH in experiment %s: customers are not split as configured "
		"(chi-square %.2f, df %.0f, p %s%s). ",
		r->data->experiment, r->srm.stat, r->srm.df, r->srm.p < 0.0001 ? "" : "= ",
		rf_p(p, sizeof p, r->srm.p));
	if (o < n && r->srm_note[0])
		o += (size_t)snprintf(buf + o, n - o, "%s. ", r->srm_note);
	if (o < n)
		snprintf(buf + o, n - o,
			"Assignment or exposure recording is broken, so every comparison below is "
			"suspect: find the cause before acting on these figures.");
}

/* A grid of cells, printed with left-aligned first column and
 * right-aligned figures. */
typedef struct grid {
	uint32_t rows, cols;
	char (*cell)[CELL];
} grid;

static char *at(grid *g, uint32_t r, uint32_t c)
{
	return g->cell[(size_t)r * g->cols + c];
}

static void grid_print(FILE *out, grid *g)
{
	size_t w[RD_MAX_VARIANTS + 1] = {0};
	for (uint32_t r = 0; r < g->rows; r++)
		for (uint32_t c = 0; c < g->cols; c++) {
			size_t l = strlen(at(g, r, c));
			if (l > w[c])
				w[c] = l;
		}
	for (uint32_t r = 0; r < g->rows; r++) {
		for (uint32_t c = 0; c < g->cols; c++) {
			if (c == 0)
				fprintf(out, "%-*s", (int)w[c], at(g, r, c));
			else
				fprintf(out, "   %*s", (int)w[c], at(g, r, c));
		}
		fputc('\n', out);
	}
}

static void ci_cell(char *buf, const char *mid, const char *lo, const char *hi)
{
	if (strcmp(lo, "n/a") == 0)
		snprintf(buf, CELL, "%s", mid);
	else
		snprintf(buf, CELL, "%s [%s, %s]", mid, lo, hi);
}

static void figures(FILE *out, const rc_report *r, const rr_opts *o)
{
	enum { R_HEAD, R_CUST, R_SHARE, R_PURCH, R_GROSS, R_REFUND, R_NET, R_RPC, R_BASKET,
		R_DISC, R_DISCPC, R_PTS, R_PTSPC, R_REPEAT, R_N };
	static const char *const label[R_N] = {
		"", "customers", "share (configured)", "purchases", "purchase total",
		"refunded", "net revenue", "revenue / customer", "average basket",
		"discount cost", "discount / customer", "points issued", "points / customer",
		"repeat rate (2+ purchases)",
	};
	grid g = { .rows = R_N, .cols = r->nv + 1 };
	g.cell = calloc((size_t)g.rows * g.cols, CELL);
	if (!g.cell)
		return;
	int d = o->minor_digits;
	for (uint32_t i = 0; i < R_N; i++)
		snprintf(at(&g, i, 0), CELL, "%s", label[i]);
	for (uint32_t i = 0; i < r->nv; i++) {
		const rc_variant *v = &r->v[i];
		uint32_t c = i + 1;
		char a[48], b[48], e[48];
		snprintf(at(&g, R_HEAD, c), CELL, "%s%s", v->name, i == r->control ? " (control)" : "");
		rf_int(at(&g, R_CUST, c), CELL, (int64_t)v->customers);
		rf_pct(a, sizeof a, v->observed_share);
		if (isnan(v->expected_share))
			snprintf(at(&g, R_SHARE, c), CELL, "%s", a);
		else
			snprintf(at(&g, R_SHARE, c), CELL, "%s (%s)", a, rf_pct(b, sizeof b, v->expected_share));
		rf_int(at(&g, R_PURCH, c), CELL, v->purchases);
		rf_money(at(&g, R_GROSS, c), CELL, (double)v->gross, d);
		rf_money(at(&g, R_REFUND, c), CELL, (double)v->refunded, d);
		rf_money(at(&g, R_NET, c), CELL, (double)v->revenue, d);
		ci_cell(at(&g, R_RPC, c), rf_money(a, sizeof a, v->revenue_pc.mean, d),
			rf_money(b, sizeof b, v->revenue_pc.lo, d), rf_money(e, sizeof e, v->revenue_pc.hi, d));
		ci_cell(at(&g, R_BASKET, c), rf_money(a, sizeof a, v->basket.r, d),
			rf_money(b, sizeof b, v->basket.lo, d), rf_money(e, sizeof e, v->basket.hi, d));
		if (r->has_discount) {
			rf_money(at(&g, R_DISC, c), CELL, (double)v->discount, d);
			ci_cell(at(&g, R_DISCPC, c), rf_money(a, sizeof a, v->discount_pc.mean, d),
				rf_money(b, sizeof b, v->discount_pc.lo, d), rf_money(e, sizeof e, v->discount_pc.hi, d));
		} else {
			snprintf(at(&g, R_DISC, c), CELL, "not recorded");
			snprintf(at(&g, R_DISCPC, c), CELL, "not recorded");
		}
		rf_int(at(&g, R_PTS, c), CELL, v->points);
		ci_cell(at(&g, R_PTSPC, c), rf_num(a, sizeof a, v->points_pc.mean, 1),
			rf_num(b, sizeof b, v->points_pc.lo, 1), rf_num(e, sizeof e, v->points_pc.hi, 1));
		ci_cell(at(&g, R_REPEAT, c), rf_pct(a, sizeof a, v->repeat.p),
			rf_pct(b, sizeof b, v->repeat.lo), rf_pct(e, sizeof e, v->repeat.hi));
	}
	grid_print(out, &g);
	free(g.cell);
}

static void diff_line(FILE *out, const char *what, const rs_test *t, const char *diff,
	const char *lo, const char *hi, const char *rel, const char *how)
{
	char p[32];
	fprintf(out, "  %-22s %s", what, diff);
	if (rel)
		fprintf(out, " (%s)", rel);
	if (strcmp(lo, "n/a") != 0)
		fprintf(out, "  [%s, %s]", lo, hi);
	rf_p(p, sizeof p, t->p);
	fprintf(out, "  p %s%s  %s\n", p[0] == '<' ? "" : "= ", p, how);
}

static void comparisons(FILE *out, const rc_report *r, const rr_opts *o)
{
	int d = o->minor_digits;
	const rc_variant *c = &r->v[r->control];
	for (uint32_t i = 0; i < r->nv; i++) {
		if (i == r->control)
			continue;
		const rc_variant *v = &r->v[i];
		char a[48], b[48], e[48], l[48], how[64];
		fprintf(out, "\n%s vs %s (95%% interval of the difference, two-sided p):\n", v->name, c->name);
		const rs_test *t = &v->d_revenue_pc;
		snprintf(how, sizeof how, "Welch t, df %.1f", t->df);
		diff_line(out, "revenue / customer", t, rf_money_signed(a, sizeof a, t->diff, d),
			rf_money_signed(b, sizeof b, t->lo, d), rf_money_signed(e, sizeof e, t->hi, d),
			rf_pct_signed(l, sizeof l, v->lift_revenue_pc), isnan(t->df) ? "Welch t" : how);
		t = &v->d_repeat;
		char pa[48], pb[48], pe[48];
		snprintf(pa, sizeof pa, "%+.1f pts", t->diff * 100);
		snprintf(pb, sizeof pb, "%+.1f", t->lo * 100);
		snprintf(pe, sizeof pe, "%+.1f", t->hi * 100);
		diff_line(out, "repeat rate", t, isnan(t->diff) ? "n/a" : pa,
			isnan(t->lo) ? "n/a" : pb, pe, NULL, "two-proportion z");
		if (r->has_discount) {
			t = &v->d_discount_pc;
			diff_line(out, "discount / customer", t, rf_money_signed(a, sizeof a, t->diff, d),
				rf_money_signed(b, sizeof b, t->lo, d), rf_money_signed(e, sizeof e, t->hi, d),
				NULL, "Welch t");
		}
		t = &v->d_points_pc;
		snprintf(pa, sizeof pa, "%+.1f", t->diff);
		snprintf(pb, sizeof pb, "%+.1f", t->lo);
		snprintf(pe, sizeof pe, "%+.1f", t->hi);
		diff_line(out, "points / customer", t, isnan(t->diff) ? "n/a" : pa,
			isnan(t->lo) ? "n/a" : pb, pe, NULL, "Welch t");
	}
}

static void srm_section(FILE *out, const rc_report *r, const rr_opts *o)
{
	char p[32];
	fprintf(out, "\nSample ratio check: ");
	if (!r->srm_checked) {
		fprintf(out, "%s\n", r->srm_note);
		return;
	}
	fprintf(out, "chi-square %.2f, df %.0f, p %s%s — %s", r->srm.stat, r->srm.df,
		r->srm.p < 0.0001 ? "" : "= ", rf_p(p, sizeof p, r->srm.p),
		r->srm_alarm ? "MISMATCH (p < 0.001)" : "consistent with the configured weights");
	if (o->weights_from)
		fprintf(out, " (weights from %s)", o->weights_from);
	fputc('\n', out);
	if (r->srm_note[0])
		fprintf(out, "  %s\n", r->srm_note);
}

int rr_text(FILE *out, const rc_report *r, const rr_opts *o)
{
	const rd_data *d = r->data;
	if (r->srm_alarm) {
		char msg[1024];
		rr_srm_message(r, msg, sizeof msg);
		fprintf(out, "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
			"!! %s\n"
			"!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n", msg);
	}
	char a[32], b[32], n[32];
	fprintf(out, "Experiment %s: %s exposed customers", d->experiment,
		rf_int(n, sizeof n, (int64_t)r->customers));
	if (r->customers)
		fprintf(out, ", first exposure %s, last purchase %s (UTC)",
			rf_date(a, sizeof a, d->first_exposure),
			d->last_purchase ? rf_date(b, sizeof b, d->last_purchase) : "none");
	fprintf(out, ".\nActivity counted from each customer's first exposure; "
		"[low, high] are 95%% confidence intervals.\n\n");
	if (r->nv == 0) {
		fprintf(out, "Nobody has been exposed to this experiment yet.\n");
	} else {
		figures(out, r, o);
		comparisons(out, r, o);
	}
	if (!r->has_discount)
		fprintf(out, "\nDiscount cost: the store does not record discounts per purchase.\n");
	srm_section(out, r, o);
	fflush(out);
	return ferror(out) ? -1 : 0;
}
