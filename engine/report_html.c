/* engine/report_html.c — the experiment report as one self-contained HTML
 * page for marketers: inline CSS, inline SVG charts (revenue per customer
 * with its confidence interval; cumulative net revenue per variant over
 * time), no scripts, no external resources, so it can be mailed or opened
 * offline. Owns the page's markup; every string from the store is escaped
 * here. Computes nothing (report_calc.c does). */
#include "engine/report_render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/report_format.h"

static const char *const palette[] = {
	"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#edc948", "#9c755f",
};
#define NPAL (sizeof palette / sizeof palette[0])

static void esc(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*s, out);
		}
	}
}

/* At most `max` characters of s (UTF-8 aware), "…" when cut: labels in
 * charts have a fixed room. */
static void esc_trunc(FILE *out, const char *s, size_t max)
{
	size_t chars = 0, i = 0, cut = 0;
	for (; s[i]; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80 && ++chars == max)
			cut = i; /* start of the last character that still fits */
	if (chars <= max || max < 2) {
		esc(out, s);
		return;
	}
	/* keep max-1 characters and the ellipsis */
	char *t = strndup(s, cut);
	if (!t)
		return;
	esc(out, t);
	fputs("&#8230;", out);
	free(t);
}

/* A "nice" axis step (1, 2 or 5 × 10^k) giving about `ticks` ticks. */
static double nice_step(double span, int ticks)
{
	if (!(span > 0) || !isfinite(span))
		return 1;
	double raw = span / ticks, mag = pow(10, floor(log10(raw))), f = raw / mag;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

static const char style[] =
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#222;"
	"margin:24px auto;max-width:1100px;padding:0 16px}"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}"
	".sub{color:#555;margin:0 0 16px}"
	"table{border-collapse:collapse;margin:8px 0}"
	"th,td{padding:5px 10px;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}"
	"th:first-child,td:first-child{text-align:left}"
	"thead th{background:#f3f4f6}"
	".ci{color:#666;font-size:12px}"
	".sig{font-weight:600}"
	".banner{background:#b00020;color:#fff;padding:14px 18px;border-radius:6px;font-weight:600;"
	"margin:12px 0;font-size:15px}"
	".ok{background:#eef7ee;border:1px solid #9c9;padding:8px 12px;border-radius:6px}"
	".muted{background:#f5f5f5;border:1px solid #ccc;padding:8px 12px;border-radius:6px}"
	".charts{display:flex;flex-wrap:wrap;gap:24px}"
	"figure{margin:0}figcaption{color:#555;font-size:12px;max-width:520px}"
	"svg text{font:12px system-ui,sans-serif;fill:#333}"
	".foot{color:#555;font-size:12px;margin-top:28px}";

static void td_ci(FILE *out, const char *mid, const char *lo, const char *hi)
{
	fprintf(out, "<td>%s", mid);
	if (strcmp(lo, "n/a") != 0)
		fprintf(out, "<br><span class=\"ci\">[%s, %s]</span>", lo, hi);
	fputs("</td>", out);
}

static void figures_table(FILE *out, const rc_report *r, int d)
{
	char a[48], b[48], e[48];
	fputs("<table><thead><tr><th></th>", out);
	for (uint32_t i = 0; i < r->nv; i++) {
		fprintf(out, "<th><span style=\"color:%s\">&#9632;</span> ", palette[i % NPAL]);
		esc(out, r->v[i].name);
		fprintf(out, "%s</th>", i == r->control ? " (control)" : "");
	}
	fputs("</tr></thead><tbody>\n", out);
#define ROW(label, body) do { \
	fputs("<tr><td>" label "</td>", out); \
	for (uint32_t i = 0; i < r->nv; i++) { const rc_variant *v = &r->v[i]; (void)v; body; } \
	fputs("</tr>\n", out); \
} while (0)
	ROW("Customers", fprintf(out, "<td>%s</td>", rf_int(a, sizeof a, (int64_t)v->customers)));
	ROW("Share (configured)", {
		fprintf(out, "<td>%s", rf_pct(a, sizeof a, v->observed_share));
		if (!isnan(v->expected_share))
			fprintf(out, " <span class=\"ci\">(%s)</span>", rf_pct(b, sizeof b, v->expected_share));
		fputs("</td>", out);
	});
	ROW("Purchases", fprintf(out, "<td>%s</td>", rf_int(a, sizeof a, v->purchases)));
	ROW("Net revenue", fprintf(out, "<td>%s</td>", rf_money(a, sizeof a, (double)v->revenue, d)));
	ROW("Revenue per customer", td_ci(out, rf_money(a, sizeof a, v->revenue_pc.mean, d),
		rf_money(b, sizeof b, v->revenue_pc.lo, d), rf_money(e, sizeof e, v->revenue_pc.hi, d)));
	ROW("Average basket", td_ci(out, rf_money(a, sizeof a, v->basket.r, d),
		rf_money(b, sizeof b, v->basket.lo, d), rf_money(e, sizeof e, v->basket.hi, d)));
	if (r->has_discount) {
		ROW("Discount cost", fprintf(out, "<td>%s</td>", rf_money(a, sizeof a, (double)v->discount, d)));
		ROW("Discount per customer", td_ci(out, rf_money(a, sizeof a, v->discount_pc.mean, d),
			rf_money(b, sizeof b, v->discount_pc.lo, d), rf_money(e, sizeof e, v->discount_pc.hi, d)));
	} else {
		ROW("Discount cost", fputs("<td>not recorded</td>", out));
	}
	ROW("Points issued", fprintf(out, "<td>%s</td>", rf_int(a, sizeof a, v->points)));
	ROW("Points per customer", td_ci(out, rf_num(a, sizeof a, v->points_pc.mean, 1),
		rf_num(b, sizeof b, v->points_pc.lo, 1), rf_num(e, sizeof e, v->points_pc.hi, 1)));
	ROW("Repeat rate (2+ purchases)", td_ci(out, rf_pct(a, sizeof a, v->repeat.p),
		rf_pct(b, sizeof b, v->repeat.lo), rf_pct(e, sizeof e, v->repeat.hi)));
#undef ROW
	fputs("</tbody></table>\n", out);
}

static void cmp_row(FILE *out, const char *what, const rs_test *t, const char *diff,
	const char *lo, const char *hi, const char *how)
{
	char p[32];
	bool sig = t->p < 0.05;
	fprintf(out, "<tr><td>%s</td><td%s>%s</td><td>", what, sig ? " class=\"sig\"" : "", diff);
	if (strcmp(lo, "n/a") != 0)
		fprintf(out, "[%s, %s]", lo, hi);
	else
		fputs("n/a", out);
	fprintf(out, "</td><td%s>%s</td><td>%s</td></tr>\n", sig ? " class=\"sig\"" : "",
		rf_p(p, sizeof p, t->p), how);
}

static void comparisons(FILE *out, const rc_report *r, int d)
{
	if (r->nv < 2)
		return;
	fputs("<h2>Against the control</h2><table><thead><tr><th>Variant / figure</th><th>Difference</th>"
		"<th>95% interval</th><th>p</th><th>Test</th></tr></thead><tbody>\n", out);
	for (uint32_t i = 0; i < r->nv; i++) {
		if (i == r->control)
			continue;
		const rc_variant *v = &r->v[i];
		char a[64], b[48], e[48], l[32];
		fputs("<tr><th colspan=\"5\" style=\"text-align:left\">", out);
		esc(out, v->name);
		fputs(" vs ", out);
		esc(out, r->v[r->control].name);
		fputs("</th></tr>\n", out);
		const rs_test *t = &v->d_revenue_pc;
		char m[48];
		snprintf(a, sizeof a, "%s (%s)", rf_money_signed(m, sizeof m, t->diff, d),
			rf_pct_signed(l, sizeof l, v->lift_revenue_pc));
		cmp_row(out, "Revenue per customer", t, a, rf_money_signed(b, sizeof b, t->lo, d),
			rf_money_signed(e, sizeof e, t->hi, d), "Welch t");
		t = &v->d_repeat;
		snprintf(a, sizeof a, "%+.1f pts", t->diff * 100);
		snprintf(b, sizeof b, "%+.1f", t->lo * 100);
		snprintf(e, sizeof e, "%+.1f", t->hi * 100);
		cmp_row(out, "Repeat rate", t, isnan(t->diff) ? "n/a" : a, isnan(t->lo) ? "n/a" : b, e,
			"two-proportion z");
		if (r->has_discount) {
			t = &v->d_discount_pc;
			cmp_row(out, "Discount per customer", t, rf_money_signed(a, sizeof a, t->diff, d),
				rf_money_signed(b, sizeof b, t->lo, d), rf_money_signed(e, sizeof e, t->hi, d), "Welch t");
		}
		t = &v->d_points_pc;
		snprintf(a, sizeof a, "%+.1f", t->diff);
		snprintf(b, sizeof b, "%+.1f", t->lo);
		snprintf(e, sizeof e, "%+.1f", t->hi);
		cmp_row(out, "Points per customer", t, isnan(t->diff) ? "n/a" : a, isnan(t->lo) ? "n/a" : b, e,
			"Welch t");
	}
	fputs("</tbody></table>\n", out);
}

/* Bars of revenue per customer with 95% interval whiskers. */
static void chart_rpc(FILE *out, const rc_report *r, int d)
{
	const double W = 520, H = 320, L = 80, R = 20, T = 20, B = 50;
	double top = 0, bottom = 0;
	for (uint32_t i = 0; i < r->nv; i++) {
		const rs_mean *m = &r->v[i].revenue_pc;
		double hi = isfinite(m->hi) ? m->hi : m->mean, lo = isfinite(m->lo) ? m->lo : m->mean;
		if (isfinite(hi) && hi > top)
			top = hi;
		if (isfinite(lo) && lo < bottom)
			bottom = lo;
	}
	if (top <= bottom)
		top = bottom + 1;
	double step = nice_step(top - bottom, 5);
	top = ceil(top / step) * step;
	bottom = floor(bottom / step) * step;
	double ph = H - T - B, pw = W - L - R;
#define Y(v) (T + ph * (top - (v)) / (top - bottom))
	fprintf(out, "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"Revenue per customer\">\n", W, H, W, H);
	fputs("<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n", out);
	char a[48];
	/* at most ~12 grid lines: bottom <= 0 <= top, so step is a fair
	 * fraction of every value and the count below is only a guard */
	int lines = 0;
	for (double v = bottom; v <= top + step / 2 && lines < 50; v += step, lines++) {
		fprintf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			L, W - R, Y(v), Y(v), L - 6, Y(v) + 4, rf_money(a, sizeof a, v, d));
	}
	double slot = r->nv ? pw / r->nv : pw, bw = slot * 0.55;
	for (uint32_t i = 0; i < r->nv; i++) {
		const rs_mean *m = &r->v[i].revenue_pc;
		double cx = L + slot * (i + 0.5);
		if (isfinite(m->mean)) {
			double y0 = Y(0), y1 = Y(m->mean);
			fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
				cx - bw / 2, fmin(y0, y1), bw, fabs(y0 - y1), palette[i % NPAL]);
		}
		if (isfinite(m->lo)) {
			fprintf(out, "<g stroke=\"#222\" stroke-width=\"1.5\"><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
				"<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
				"<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/></g>\n",
				cx, cx, Y(m->lo), Y(m->hi),
				cx - bw / 5, cx + bw / 5, Y(m->lo), Y(m->lo),
				cx - bw / 5, cx + bw / 5, Y(m->hi), Y(m->hi));
		}
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\"><title>", cx, H - B + 18);
		esc(out, r->v[i].name);
		fputs("</title>", out);
		esc_trunc(out, r->v[i].name, slot >= 14 ? (size_t)(slot / 7) : 2);
		fprintf(out, "</text><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#555\">%s</text>\n",
			cx, H - B + 34, rf_money(a, sizeof a, m->mean, d));
	}
	fprintf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n",
		L, W - R, Y(0), Y(0));
#undef Y
	fputs("</svg><figcaption>Net revenue per exposed customer; whiskers are 95% confidence "
		"intervals. Overlapping whiskers do not by themselves mean \"no difference\": read the "
		"p-value in the table.</figcaption></figure>\n", out);
}

/* Cumulative net revenue per variant, one line each. */
static void chart_cumulative(FILE *out, const rc_report *r, int d)
{
	const rd_data *data = r->data;
	/* one legend row per 3 variants under the plot */
	uint32_t legend_rows = r->nv ? (r->nv + 2) / 3 : 1;
	const double W = 520, L = 90, R = 20, T = 20, B = 34 + 16.0 * legend_rows;
	const double H = 270 + B;
	uint32_t nb = data->nbuckets, nvl = data->timeline_nvariants < r->nv ? data->timeline_nvariants : r->nv;
	double top = 0, bottom = 0;
	for (uint32_t v = 0; v < nvl; v++) {
		double cum = 0;
		for (uint32_t b = 0; b < nb; b++) {
			cum += (double)data->bucket_net[(size_t)v * nb + b];
			if (cum > top)
				top = cum;
			if (cum < bottom)
				bottom = cum;
		}
	}
	if (top <= bottom)
		top = bottom + 1;
	double step = nice_step(top - bottom, 5);
	top = ceil(top / step) * step;
	bottom = floor(bottom / step) * step;
	double ph = H - T - B, pw = W - L - R;
	double scale = pow(10, d);
#define Y(v) (T + ph * (top - (v)) / (top - bottom))
#define X(b) (L + (nb > 1 ? pw * (double)(b) / (double)(nb - 1) : pw / 2))
	fprintf(out, "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"Cumulative net revenue\">\n", W, H, W, H);
	fputs("<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n", out);
	char a[48];
	int lines = 0;
	for (double v = bottom; v <= top + step / 2 && lines < 50; v += step, lines++)
		fprintf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			L, W - R, Y(v), Y(v), L - 6, Y(v) + 4, rf_num(a, sizeof a, v / scale, 0));
	/* dates under the first, middle and last bucket ends */
	uint32_t marks[3] = {0, nb / 2, nb ? nb - 1 : 0};
	for (int k = 0; k < 3 && nb; k++) {
		if (k > 0 && marks[k] == marks[k - 1])
			continue;
		int64_t ts = data->t0 + (int64_t)(marks[k] + 1) * data->bucket_s - 1;
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>\n", X(marks[k]), H - B + 16,
			k == 0 ? "start" : k == 2 ? "end" : "middle", rf_date(a, sizeof a, ts));
	}
	for (uint32_t v = 0; v < nvl; v++) {
		fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", palette[v % NPAL]);
		double cum = 0;
		for (uint32_t b = 0; b < nb; b++) {
			cum += (double)data->bucket_net[(size_t)v * nb + b];
			fprintf(out, "%s%.1f,%.1f", b ? " " : "", X(b), Y(cum));
		}
		fputs("\"/>\n", out);
	}
	/* legend */
	for (uint32_t v = 0; v < r->nv; v++) {
		double lx = 40 + 160 * (v % 3), ly = H - B + 36 + 16.0 * (v / 3);
		fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/>"
			"<text x=\"%.1f\" y=\"%.1f\"><title>", lx, ly - 9, palette[v % NPAL], lx + 14, ly);
		esc(out, r->v[v].name);
		fputs("</title>", out);
		esc_trunc(out, r->v[v].name, 20);
		fputs("</text>\n", out);
	}
#undef X
#undef Y
	fprintf(out, "</svg><figcaption>Cumulative net revenue (purchase totals minus their refunds, by "
		"purchase day, UTC; %lld-day steps). Totals grow with a variant's share of customers: "
		"compare variants per customer, above.</figcaption></figure>\n",
		(long long)(data->bucket_s / RD_DAY));
}

int rr_html(FILE *out, const rc_report *r, const rr_opts *o)
{
	const rd_data *d = r->data;
	char a[48], b[48], n[48], p[32];
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
		"<title>Experiment ", out);
	esc(out, d->experiment);
	fprintf(out, "</title><style>%s</style></head><body>\n<h1>Experiment ", style);
	esc(out, d->experiment);
	fprintf(out, "</h1><p class=\"sub\">%s exposed customers", rf_int(n, sizeof n, (int64_t)r->customers));
	if (r->customers)
		fprintf(out, " &middot; first exposure %s &middot; last purchase %s (UTC)",
			rf_date(a, sizeof a, d->first_exposure),
			d->last_purchase ? rf_date(b, sizeof b, d->last_purchase) : "none");
	fputs(" &middot; activity counted from each customer's first exposure &middot; "
		"[low, high] are 95% confidence intervals</p>\n", out);
	if (r->srm_alarm) {
		char msg[1024];
		rr_srm_message(r, msg, sizeof msg);
		fputs("<div class=\"banner\" role=\"alert\">&#9888; ", out);
		esc(out, msg);
		fputs("</div>\n", out);
	}
	if (r->nv == 0) {
		fputs("<p>Nobody has been exposed to this experiment yet.</p>\n", out);
	} else {
		figures_table(out, r, o->minor_digits);
		comparisons(out, r, o->minor_digits);
		if (r->customers > 0) { /* nothing to draw before anyone is exposed */
			fputs("<h2>Charts</h2><div class=\"charts\">\n", out);
			chart_rpc(out, r, o->minor_digits);
			chart_cumulative(out, r, o->minor_digits);
			fputs("</div>\n", out);
		}
	}
	fputs("<h2>Sample ratio check</h2>", out);
	if (!r->srm_checked) {
		fputs("<p class=\"muted\">", out);
		esc(out, r->srm_note);
		fputs("</p>\n", out);
	} else {
		fprintf(out, "<p class=\"%s\">Chi-square %.2f, df %.0f, p %s: %s", r->srm_alarm ? "banner" : "ok",
			r->srm.stat, r->srm.df, rf_p(p, sizeof p, r->srm.p),
			r->srm_alarm ? "the split of customers does not match the configured weights (p &lt; 0.001)."
				: "the split of customers is consistent with the configured weights.");
		if (o->weights_from) {
			fputs(" Weights from ", out);
			esc(out, o->weights_from);
			fputs(".", out);
		}
		if (r->srm_note[0]) {
			fputs(" ", out);
			esc(out, r->srm_note);
			fputs(".", out);
		}
		fputs("</p>\n", out);
	}
	fputs("<p class=\"foot\">Revenue per customer: net revenue (purchase totals minus refunded net) "
		"divided by exposed customers, zeros included; interval from Student's t. Average basket: "
		"purchase total per purchase, delta-method interval. Repeat rate: Wilson interval. "
		"Differences: Welch's t-test (per-customer figures), two-proportion z-test (repeat rate), "
		"two-sided. Money is shown in major units (minor units with ", out);
	fprintf(out, "%d decimals). See doc/experiments-report.md.</p>\n</body></html>\n", o->minor_digits);
	fflush(out);
	return ferror(out) ? -1 : 0;
}
