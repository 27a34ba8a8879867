/* tests/unit/test-report.c — the experiment report end to end on a small
 * SQLite store with the real schema (engine/store_schema.c): which
 * purchases count, the per-variant sums, the glue to the statistics, the
 * weights, the timeline, the three renderings and the command line.
 *
 * The store (T0 = 2026-11-01 00:00 UTC = 1793491200, D = 86400):
 *
 *   customer variant first_ts  purchases (ts: total/earned/discount/refunded_net/reversed)
 *   c1       control T0        T0-100: 999 (before exposure: ignored)
 *                              T0: 1000/10/100/0/0, T0+D: 2000/20/0/500/5
 *   c2       control T0+3600   T0+3600: 500/5/50/0/0
 *   c3       control T0+7200   T0: 700 (before exposure: ignored)
 *   d1       double  T0        T0: 1500/30/0, T0+2D: 1500/30/150, T0+2D+1: 1000/20/0
 *   d2       double  T0+D      T0+D: 3000/60/300, fully refunded (3000, 60 reversed)
 * plus: c1 exposed to another experiment; a refund txn of c1 (op refund);
 * an anonymous purchase; a purchase of a customer never exposed.
 *
 * By hand:
 *   control: 3 customers, 3 purchases, gross 1000+2000+500 = 3500,
 *     refunded 500, net 3000, discount 100+50 = 150, points 10+20-5+5 = 30;
 *     per customer net {2500, 500, 0}: mean 1000,
 *     var ((1500)²+(500)²+(1000)²)/2 = 1750000; repeaters 1 (c1) of 3;
 *     average basket 3500/3.
 *   double: 2 customers, 4 purchases, gross 1500+1500+1000+3000 = 7000,
 *     refunded 3000, net 4000, discount 450, points 80+0 = 80;
 *     per customer {4000, 0}: mean 2000, var 8000000; repeaters 1 of 2;
 *     average basket 7000/4 = 1750.
 *   Welch (double vs control), Python stdlib as in test-report-stats.c:
 *     t = 1000/sqrt(1750000/3 + 8000000/2) = 0.4670993664969138,
 *     df = 1.2991196048958555, p = 2·t_sf(t, df) = 0.7066821352685342.
 *   SRM at 50/50: E = 2.5 each, χ² = 2·0.5²/2.5 = 0.2, df 1,
 *     p = erfc(sqrt(0.1)) = 0.654720846018577.
 *   Timeline (UTC days from T0): control day0 1000+500, day1 2000-500,
 *     cumulative 1500, 3000, 3000; double day0 1500, day1 3000-3000,
 *     day2 1500+1000: cumulative 1500, 1500, 4000. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "engine/ctl.h"
#include "engine/report_calc.h"
#include "engine/report_data.h"
#include "engine/report_format.h"
#include "engine/report_render.h"
#include "engine/report_weights.h"
#include "engine/store_internal.h"
#include "tests/unit/tap.h"

/* loyaltyctl.c defines it for the real CLI */
ctl_opts ctl_global;

#define T0 1793491200LL
#define D 86400LL

static void exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		printf("Bail out! %s: %s\n", sql, msg);
		exit(1);
	}
}

static void purchase(sqlite3 *db, const char *txn, const char *cust, long long ts, long long total,
	long long earned, long long discount, long long refunded, long long reversed)
{
	char sql[1024];
	char cu[64];
	if (cust)
		snprintf(cu, sizeof cu, "'%s'", cust);
	else
		snprintf(cu, sizeof cu, "NULL");
	snprintf(sql, sizeof sql,
		"INSERT INTO txns (txn, op, content_hash, customer, answer, ts, net, total, earned,"
		" refunded_net, reversed) VALUES ('%s', 'purchase', 1, %s,"
		" '\"ok\":true,\"txn\":\"%s\",\"subtotal\":%lld,\"discount_total\":%lld,\"total\":%lld',"
		" %lld, %lld, %lld, %lld, %lld, %lld)",
		txn, cu, txn, total + discount, discount, total, ts, total, total, earned, refunded, reversed);
	exec(db, sql);
}

static void expose(sqlite3 *db, const char *cust, const char *exp, const char *var, long long ts)
{
	char sql[256];
	snprintf(sql, sizeof sql, "INSERT INTO exposures VALUES ('%s', '%s', '%s', %lld)", cust, exp, var, ts);
	exec(db, sql);
}

static sqlite3 *build(const char *path)
{
	sqlite3 *db;
	char err[256];
	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK || store_schema_migrate(db, err, sizeof err) < 0) {
		printf("Bail out! cannot build the store: %s\n", err);
		exit(1);
	}
	exec(db, "BEGIN");
	expose(db, "c1", "exp1", "control", T0);
	expose(db, "c2", "exp1", "control", T0 + 3600);
	expose(db, "c3", "exp1", "control", T0 + 7200);
	expose(db, "d1", "exp1", "double", T0);
	expose(db, "d2", "exp1", "double", T0 + D);
	expose(db, "c1", "other", "x", T0 - 5 * D);
	purchase(db, "P0", "c1", T0 - 100, 999, 9, 0, 0, 0);
	purchase(db, "P1", "c1", T0, 1000, 10, 100, 0, 0);
	purchase(db, "P2", "c1", T0 + D, 2000, 20, 0, 500, 5);
	purchase(db, "P3", "c2", T0 + 3600, 500, 5, 50, 0, 0);
	purchase(db, "P4", "c3", T0, 700, 7, 0, 0, 0);
	purchase(db, "P5", "d1", T0, 1500, 30, 0, 0, 0);
	purchase(db, "P6", "d1", T0 + 2 * D, 1500, 30, 150, 0, 0);
	purchase(db, "P7", "d1", T0 + 2 * D + 1, 1000, 20, 0, 0, 0);
	purchase(db, "P8", "d2", T0 + D, 3000, 60, 300, 3000, 60);
	purchase(db, "P9", NULL, T0 + D, 5000, 0, 0, 0, 0);
	purchase(db, "P10", "zz", T0 + D, 4000, 40, 0, 0, 0);
	exec(db, "INSERT INTO txns (txn, op, content_hash, customer, answer, ts, net, total)"
		" VALUES ('R1', 'refund', 2, 'c1', '\"refunded_net\":500', 1793600000, 500, 500)");
	exec(db, "COMMIT");
	return db;
}

static bool near(double a, double b, double rel)
{
	return fabs(a - b) <= rel * fmax(1, fabs(b));
}

static const rd_cust *cust(const rd_data *d, const char *id)
{
	for (size_t i = 0; i < d->ncust; i++)
		if (strcmp(d->cust[i].id, id) == 0)
			return &d->cust[i];
	return NULL;
}

static void test_data(sqlite3 *db)
{
	rd_data d;
	char err[256];
	is_int(rd_load_sqlite(db, "exp1", &d, err, sizeof err), 0, "load exp1");
	is_int(d.ncust, 5, "five exposed customers");
	is_int(d.nvariants, 2, "two variants seen");
	ok(d.has_discount, "discount read from the stored answers");
	const rd_cust *c1 = cust(&d, "c1"), *c3 = cust(&d, "c3"), *d2 = cust(&d, "d2");
	ok(c1 && c3 && d2, "customers found");
	if (!c1 || !c3 || !d2)
		return;
	is_int(c1->purchases, 2, "c1: the purchase before exposure is not counted");
	is_int(c1->total, 3000, "c1: total 1000+2000");
	is_int(c1->refunded, 500, "c1: refunded 500");
	is_int(c1->points, 25, "c1: points 10+20-5");
	is_int(c1->discount, 100, "c1: discount 100");
	is_int(c3->purchases, 0, "c3: nothing after exposure");
	is_int(d2->points, 0, "d2: fully refunded, points 60-60");
	is_int(d.first_exposure, T0, "first exposure T0");
	is_int(d.last_purchase, T0 + 2 * D + 1, "last counted purchase");
	is_int(d.nbuckets, 3, "three days");
	is_int(d.bucket_s, D, "day buckets");
	is_int(d.t0, T0, "timeline starts on the first exposure's day");
	rd_free(&d);

	is_int(rd_load_sqlite(db, "nobody", &d, err, sizeof err), 0, "an unknown experiment loads empty");
	is_int(d.ncust, 0, "no customers");
	rd_free(&d);
}

/* With many more customers than exposures the reader takes the index
 * plan; the figures must not change. */
static void test_index_plan(sqlite3 *db)
{
	exec(db, "BEGIN");
	exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)"
		" INSERT INTO customers (id, enrolled_at) SELECT 'k' || i, 0 FROM n");
	exec(db, "COMMIT");
	rd_data d;
	char err[256];
	is_int(rd_load_sqlite(db, "exp1", &d, err, sizeof err), 0, "index plan: load");
	int64_t total = 0, refunded = 0, points = 0, discount = 0, purchases = 0;
	for (size_t i = 0; i < d.ncust; i++) {
		total += d.cust[i].total;
		refunded += d.cust[i].refunded;
		points += d.cust[i].points;
		discount += d.cust[i].discount;
		purchases += d.cust[i].purchases;
	}
	/* control + double: purchases 3+4, total 3500+7000, refunded 500+3000,
	 * points 30+80, discount 150+450 */
	ok(purchases == 7 && total == 10500 && refunded == 3500 && points == 110 && discount == 600,
		"index plan: same sums (purchases %lld, total %lld)", (long long)purchases, (long long)total);
	ok(d.has_discount && d.nbuckets == 3, "index plan: discounts and timeline");
	rd_free(&d);
	exec(db, "DELETE FROM customers");
}

static void test_calc(sqlite3 *db)
{
	rd_data d;
	rc_report r;
	char err[256];
	rd_load_sqlite(db, "exp1", &d, err, sizeof err);
	const char *names[] = {"control", "double"};
	double w[] = {50, 50};
	is_int(rd_set_weights(&d, names, w, 2, err, sizeof err), 0, "weights 50/50");
	is_int(rc_compute(&d, &r), 0, "compute");
	const rc_variant *c = &r.v[0], *v = &r.v[1];
	is_str(r.v[r.control].name, "control", "control is the variant named control");
	is_int(c->customers, 3, "control: customers");
	is_int(c->purchases, 3, "control: purchases");
	is_int(c->gross, 3500, "control: purchase total");
	is_int(c->revenue, 3000, "control: net revenue 3500-500");
	is_int(c->discount, 150, "control: discount cost");
	is_int(c->points, 30, "control: points issued");
	ok(near(c->revenue_pc.mean, 1000, 1e-12), "control: revenue per customer 1000");
	ok(near(c->revenue_pc.var, 1750000, 1e-12), "control: variance 1750000");
	ok(near(c->basket.r, 3500.0 / 3, 1e-12), "control: average basket 3500/3");
	is_int(c->repeat.k, 1, "control: one repeater");
	ok(near(c->repeat.p, 1.0 / 3, 1e-12), "control: repeat rate 1/3");
	is_int(v->customers, 2, "double: customers");
	is_int(v->purchases, 4, "double: purchases");
	is_int(v->revenue, 4000, "double: net revenue 7000-3000");
	is_int(v->discount, 450, "double: discount cost");
	is_int(v->points, 80, "double: points issued");
	ok(near(v->basket.r, 1750, 1e-12), "double: average basket 7000/4");
	ok(near(v->repeat.p, 0.5, 1e-12), "double: repeat rate 1/2");
	ok(near(v->d_revenue_pc.diff, 1000, 1e-12), "double vs control: +1000 per customer");
	ok(near(v->d_revenue_pc.stat, 0.4670993664969138, 1e-9), "Welch t");
	ok(near(v->d_revenue_pc.df, 1.2991196048958555, 1e-9), "Welch df");
	ok(near(v->d_revenue_pc.p, 0.7066821352685342, 1e-6), "Welch p (got %.10f)", v->d_revenue_pc.p);
	ok(near(v->lift_revenue_pc, 1.0, 1e-12), "lift +100%%");
	ok(isnan(c->d_revenue_pc.p), "no test of the control against itself");
	ok(r.srm_checked && near(r.srm.stat, 0.2, 1e-12), "SRM chi-square 0.2");
	ok(near(r.srm.p, 0.654720846018577, 1e-9), "SRM p = erfc(sqrt(0.1))");
	ok(!r.srm_alarm, "no SRM alarm");
	is_str(r.srm_note, "fewer than 5 customers expected in variant control: the check is only approximate",
		"SRM: 2.5 expected per variant is flagged as approximate");
	/* timeline: cumulative per variant */
	int64_t cc = 0, cd = 0, wantc[] = {1500, 3000, 3000}, wantd[] = {1500, 1500, 4000};
	bool tl = d.nbuckets == 3;
	for (uint32_t b = 0; tl && b < 3; b++) {
		cc += d.bucket_net[b];
		cd += d.bucket_net[d.nbuckets + b];
		tl = cc == wantc[b] && cd == wantd[b];
	}
	ok(tl, "cumulative revenue by day: control 1500,3000,3000; double 1500,1500,4000");

	/* the renderings */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	rr_opts o = { .minor_digits = 2, .weights_from = "test" };
	is_int(rr_text(f, &r, &o), 0, "text renders");
	fclose(f);
	ok(strstr(buf, "revenue / customer") && strstr(buf, "10.00 [") && strstr(buf, "30.00"),
		"text: revenue per customer 10.00 with interval, net revenue 30.00");
	ok(strstr(buf, "p = 0.707") != NULL, "text: Welch p 0.707");
	ok(strstr(buf, "consistent with the configured weights") && !strstr(buf, "MISMATCH"), "text: SRM fine");
	free(buf);
	f = open_memstream(&buf, &len);
	is_int(rr_json(f, &r, &o), 0, "json renders");
	fclose(f);
	ok(strstr(buf, "\"net_revenue\":3000") && strstr(buf, "\"net_revenue\":4000"), "json: net revenue in minor units");
	ok(strstr(buf, "\"cumulative_net_revenue\":{\"control\":[1500,3000,3000],\"double\":[1500,1500,4000]}") != NULL,
		"json: timeline");
	ok(strstr(buf, "\"vs_control\":null") != NULL, "json: control has no comparison");
	free(buf);
	f = open_memstream(&buf, &len);
	is_int(rr_html(f, &r, &o), 0, "html renders");
	fclose(f);
	ok(strstr(buf, "<svg") && strstr(buf, "<polyline") && strstr(buf, "<style>"), "html: inline SVG and CSS");
	ok(!strstr(buf, "src=") && !strstr(buf, "href=") && !strstr(buf, "<script") && !strstr(buf, "url("),
		"html: no external resources");
	free(buf);
	rc_free(&r);
	rd_free(&d);

	/* a configuration with a weight-0 variant that has customers, a
	 * configured variant nobody got, and no "control": the first is */
	rd_load_sqlite(db, "exp1", &d, err, sizeof err);
	const char *n2[] = {"double", "triple", "control"};
	double w2[] = {0, 1, 1};
	is_int(rd_set_weights(&d, n2, w2, 3, err, sizeof err), 0, "weights with a zero");
	rc_compute(&d, &r);
	is_int(r.nv, 3, "three variants");
	is_str(r.v[0].name, "double", "configuration order");
	is_str(r.v[1].name, "triple", "a configured variant without customers is shown");
	is_int(r.v[1].customers, 0, "triple: no customers");
	is_str(r.v[r.control].name, "control", "control by name, not position");
	ok(r.srm_alarm && r.srm.p == 0, "customers in a weight-0 variant: SRM alarm");
	is_str(r.srm_note, "variant double has 2 customers but weight 0", "SRM note names the variant");
	f = open_memstream(&buf, &len);
	rr_text(f, &r, &o);
	fclose(f);
	ok(strncmp(buf, "!!!!", 4) == 0 && strstr(buf, "SAMPLE RATIO MISMATCH in experiment exp1"),
		"text: banner first");
	free(buf);
	f = open_memstream(&buf, &len);
	rr_html(f, &r, &o);
	fclose(f);
	ok(strstr(buf, "class=\"banner\" role=\"alert\"") != NULL, "html: banner");
	free(buf);
	rc_free(&r);
	rd_free(&d);

	/* the program's weights: a store-only variant is flagged too */
	rd_load_sqlite(db, "exp1", &d, err, sizeof err);
	const char *n3[] = {"control"};
	double w3[] = {1};
	rd_set_weights(&d, n3, w3, 1, err, sizeof err);
	rc_compute(&d, &r);
	ok(r.srm_alarm, "a variant missing from the configuration: SRM alarm");
	is_str(r.srm_note, "variant double has 2 customers but is not in the configuration", "its note");
	rc_free(&r);
	/* no weights at all */
	rd_free(&d);
	rd_load_sqlite(db, "exp1", &d, err, sizeof err);
	rc_compute(&d, &r);
	ok(!r.srm_checked && !r.srm_alarm, "no weights: SRM not checked");
	is_str(r.srm_note, "not checked: no configured weights (give --rules PATH)", "and it says so");
	is_str(r.v[r.control].name, "control", "control by name without weights");
	rc_free(&r);
	rd_free(&d);
}

static void test_format(void)
{
	char b[64];
	is_str(rf_money(b, sizeof b, 123456789, 2), "1,234,567.89", "money: major units, separators");
	is_str(rf_money(b, sizeof b, -5, 2), "-0.05", "money: small negative");
	is_str(rf_money(b, sizeof b, -0.4, 2), "0.00", "money: no \"-0.00\"");
	is_str(rf_money(b, sizeof b, 1234, 0), "1,234", "money: currency without decimals");
	is_str(rf_money_signed(b, sizeof b, 1234, 2), "+12.34", "money: signed");
	is_str(rf_money(b, sizeof b, NAN, 2), "n/a", "money: NaN is n/a");
	is_str(rf_int(b, sizeof b, -1234567), "-1,234,567", "int: separators with sign");
	is_str(rf_int(b, sizeof b, 999), "999", "int: no separator under 1000");
	is_str(rf_pct(b, sizeof b, 0.1234), "12.3%", "pct");
	is_str(rf_pct_signed(b, sizeof b, -0.05), "-5.0%", "pct signed");
	is_str(rf_p(b, sizeof b, 0.00005), "< 0.0001", "p below 0.0001");
	is_str(rf_p(b, sizeof b, 0.0071), "0.0071", "p under 0.01: 4 decimals");
	is_str(rf_p(b, sizeof b, 0.427), "0.427", "p: 3 decimals");
	is_str(rf_date(b, sizeof b, T0), "2026-11-01", "date UTC");
}

/* Variant and experiment names come from marketers' files: the page must
 * show them, never run them. */
static void test_hostile_names(sqlite3 *db)
{
	expose(db, "c1", "<x&y>", "<script>alert(1)</script>", T0);
	expose(db, "c2", "<x&y>", "control", T0);
	rd_data d;
	rc_report r;
	char err[256];
	is_int(rd_load_sqlite(db, "<x&y>", &d, err, sizeof err), 0, "hostile names load");
	rc_compute(&d, &r);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	rr_opts o = { .minor_digits = 2 };
	rr_html(f, &r, &o);
	fclose(f);
	ok(!strstr(buf, "<script") && strstr(buf, "&lt;script&gt;alert(1)&lt;/script&gt;")
		&& strstr(buf, "<title>Experiment &lt;x&amp;y&gt;</title>"), "html escapes names");
	free(buf);
	f = open_memstream(&buf, &len);
	rr_json(f, &r, &o);
	fclose(f);
	char *nm = strstr(buf, "\"name\":\"<script>");
	static const char want_nm[] = "\"name\":\"<script>alert(1)</script>\",";
	ok(nm && strncmp(nm, want_nm, sizeof want_nm - 1) == 0, "json keeps names as strings (%.60s)", nm ? nm : "none");
	ok(strstr(buf, "\"confidence\":0.95,") != NULL, "json: 0.95 without float noise");
	free(buf);
	rc_free(&r);
	rd_free(&d);
}

static void test_discount_unreadable(sqlite3 *db)
{
	exec(db, "UPDATE txns SET answer = 'garbage' WHERE txn = 'P6'");
	rd_data d;
	char err[256];
	rd_load_sqlite(db, "exp1", &d, err, sizeof err);
	ok(!d.has_discount, "one unreadable answer: discount reported as not recorded");
	rd_free(&d);
	exec(db, "UPDATE txns SET answer = '\"discount_total\":150' WHERE txn = 'P6'");
	exec(db, "CREATE TABLE experiment_variants (experiment TEXT, variant TEXT, weight INTEGER, position INTEGER)");
	exec(db, "INSERT INTO experiment_variants VALUES ('exp1', 'double', 30, 2), ('exp1', 'control', 70, 1)");
	rd_weights w;
	is_int(rd_store_weights(db, "exp1", &w, err, sizeof err), 0, "weights from the store");
	ok(w.n == 2 && strcmp(w.names[0], "control") == 0 && w.weights[1] == 30, "in position order");
	rd_weights_free(&w);
	is_int(rd_store_weights(db, "other", &w, err, sizeof err), 1, "none stored for other");

	/* corrupt figures are errors that name the customer, not wrapped sums */
	exec(db, "UPDATE txns SET total = 9223372036854775000 WHERE txn = 'P5'");
	is_int(rd_load_sqlite(db, "exp1", &d, err, sizeof err), -1, "overflowing totals: error");
	is_str(err, "txns: amounts too large (over 64 bits) at customer d1", "names the customer");
	rd_free(&d);
	exec(db, "UPDATE txns SET total = 1500 WHERE txn = 'P5'");
	exec(db, "UPDATE exposures SET first_ts = -9223372036854775807 WHERE customer = 'c2' AND experiment = 'exp1'");
	is_int(rd_load_sqlite(db, "exp1", &d, err, sizeof err), -1, "an impossible first_ts: error");
	is_str(err, "exposures of exp1: customer c2 has first_ts -9223372036854775807, not a time", "names it");
	rd_free(&d);
	exec(db, "UPDATE exposures SET first_ts = 1793494800 WHERE customer = 'c2' AND experiment = 'exp1'");
	is_int(rd_load_sqlite(db, "exp1", &d, err, sizeof err), 0, "repaired store loads again");
	rd_free(&d);
}

static void test_program_weights(void)
{
	char dir[] = "/tmp/test-report-prog-XXXXXX";
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	char path[256];
	snprintf(path, sizeof path, "%s/program.yaml", dir);
	FILE *f = fopen(path, "w");
	fputs("program: t\ncurrency: INR\nexperiments:\n"
		"  - name: exp1\n    salt: s\n    variants: {control: 80, double: 20}\n", f);
	fclose(f);
	snprintf(path, sizeof path, "%s/b.yaml", dir);
	f = fopen(path, "w");
	fputs("experiments:\n  - name: later\n    variants:\n      a: 1\n      b: 2\n      c: 3\n", f);
	fclose(f);
	snprintf(path, sizeof path, "%s/c.yaml", dir);
	f = fopen(path, "w");
	fputs("experiments:\n  - name: bad\n    variants: {a: lots}\n", f);
	fclose(f);
	rd_weights w;
	char err[512];
	is_int(rw_program_weights(dir, "exp1", &w, err, sizeof err), 0, "program.yaml weights");
	ok(w.n == 2 && strcmp(w.names[1], "double") == 0 && w.weights[0] == 80 && w.weights[1] == 20,
		"control 80, double 20");
	rd_weights_free(&w);
	is_int(rw_program_weights(dir, "later", &w, err, sizeof err), 0, "weights from another file");
	ok(w.n == 3 && w.weights[2] == 3, "three variants");
	rd_weights_free(&w);
	is_int(rw_program_weights(dir, "bad", &w, err, sizeof err), -1, "a bad weight is an error");
	char want[600];
	snprintf(want, sizeof want, "%s/c.yaml:3:19: experiment bad: a variant weight must be a number >= 0", dir);
	is_str(err, want, "with file, line and column");
	is_int(rw_program_weights(dir, "nope", &w, err, sizeof err), 1, "unknown experiment");
	snprintf(want, sizeof want, "%s: no experiment named nope", dir);
	is_str(err, want, "says so");
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
}

/* Runs the command with stdout and stderr sent to files, returns status. */
static int run(const char *out, char **argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	fflush(stdout);
	fflush(stderr);
	int so = dup(1), se = dup(2);
	FILE *o = freopen(out, "w", stdout);
	char errpath[256];
	snprintf(errpath, sizeof errpath, "%s.err", out);
	FILE *e = freopen(errpath, "w", stderr);
	int rc = ctl_experiments(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	(void)o;
	(void)e;
	return rc;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return calloc(1, 1);
	char *b = calloc(1, 1 << 20);
	size_t n = fread(b, 1, (1 << 20) - 1, f);
	b[n] = 0;
	fclose(f);
	return b;
}

static void test_cli(const char *dbpath)
{
	const char *out = "/tmp/test-report-cli.out";
	char html[] = "/tmp/test-report-cli.html";
	char *a1[] = {"experiments", "--db", (char *)dbpath, "report", "exp1", "--json", "--html", html, NULL};
	is_int(run(out, a1), 0, "cli: json + html");
	char *s = slurp(out);
	ok(s[0] == '{' && strstr(s, "\"experiment\":\"exp1\""), "cli: JSON on stdout");
	free(s);
	s = slurp(html);
	ok(strncmp(s, "<!DOCTYPE html>", 15) == 0 && strstr(s, "</html>"), "cli: HTML page written");
	free(s);
	char *a2[] = {"loyaltyctl", "--db", (char *)dbpath, "experiments", "report", NULL};
	is_int(run(out, a2), 2, "cli: missing NAME is a usage error");
	char *a3[] = {"experiments", "report", "exp1", "--db", "/nonexistent/x.db", NULL};
	is_int(run(out, a3), 1, "cli: missing store");
	s = slurp("/tmp/test-report-cli.out.err");
	ok(strstr(s, "cannot open store /nonexistent/x.db") != NULL, "cli: names the store");
	free(s);
	char *a4[] = {"experiments", "report", "typo", "--db", (char *)dbpath, NULL};
	is_int(run(out, a4), 1, "cli: an experiment nobody saw is an error");
	s = slurp("/tmp/test-report-cli.out.err");
	ok(strstr(s, "no exposures recorded for experiment typo") != NULL, "cli: says so");
	free(s);
	char *a5[] = {"experiments", "report", "exp1", "--db", (char *)dbpath, "--bogus", NULL};
	is_int(run(out, a5), 2, "cli: unknown option");
	ctl_global.db = dbpath; /* as `loyaltyctl --db FILE experiments ...` */
	char *a7[] = {"experiments", "report", "exp1", "--json", NULL};
	is_int(run(out, a7), 0, "cli: --db from the global options");
	ctl_global.db = NULL;
	ctl_global.store = "postgresql://x";
	is_int(run(out, a7), 1, "cli: --store is not supported yet");
	s = slurp("/tmp/test-report-cli.out.err");
	ok(strstr(s, "--store (PostgreSQL) is not supported yet") != NULL, "cli: says so");
	free(s);
	ctl_global.store = NULL;
	char *a6[] = {"experiments", "report", "exp1", "--db", (char *)dbpath, "--minor-digits", "9", NULL};
	is_int(run(out, a6), 2, "cli: --minor-digits out of range");
	unlink(out);
	unlink("/tmp/test-report-cli.out.err");
	unlink(html);
}

int main(void)
{
	char path[] = "/tmp/test-report-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		printf("Bail out! mkstemp\n");
		return 1;
	}
	close(fd);
	sqlite3 *db = build(path);
	test_data(db);
	test_calc(db);
	test_index_plan(db);
	test_program_weights();
	test_format();
	test_hostile_names(db);
	test_cli(path);
	test_discount_unreadable(db);
	sqlite3_close(db);
	unlink(path);
	char wal[300];
	snprintf(wal, sizeof wal, "%s-wal", path);
	unlink(wal);
	snprintf(wal, sizeof wal, "%s-shm", path);
	unlink(wal);
	return tap_done();
}
