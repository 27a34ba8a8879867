/* tests/unit/test-store-import.c — `loyaltyctl import/export` through
 * ctl_import/ctl_export: a good file loads every customer with its opening
 * ledger entry; a bad line is reported with its line number and nothing is
 * imported; a duplicate id is refused whole; export then import into an
 * empty store exports the same lines. Prints the import rate of 100,000
 * customers as a diagnostic (speed is measured, never asserted). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "engine/ctl.h"
#include "tests/unit/tap.h"

ctl_opts ctl_global;
static char dir[] = "/tmp/test-import-XXXXXX";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static int64_t q(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_open(db, &h) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(h);
	return v;
}

static int run(int (*fn)(int, char **), const char *cmd, const char *db, const char *file,
	char *errout, size_t errsz)
{
	char *argv[] = { (char *)cmd, (char *)file, NULL };
	ctl_global.db = db;
	/* capture stderr */
	char epath[300];
	snprintf(epath, sizeof epath, "%s/stderr", dir);
	fflush(stderr);
	int saved = dup(2);
	FILE *ef = fopen(epath, "w");
	dup2(fileno(ef), 2);
	int rc = fn(file ? 2 : 1, argv);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fclose(ef);
	ef = fopen(epath, "r");
	size_t n = fread(errout, 1, errsz - 1, ef);
	errout[n] = 0;
	fclose(ef);
	return rc;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	b[fread(b, 1, (size_t)n, f)] = 0;
	fclose(f);
	return b;
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	char db[300], in[300], out[300], db2[300], out2[300], err[2048];
	snprintf(db, sizeof db, "%s/a.db", dir);
	snprintf(in, sizeof in, "%s/in.ndjson", dir);
	snprintf(out, sizeof out, "%s/out.ndjson", dir);
	snprintf(db2, sizeof db2, "%s/b.db", dir);
	snprintf(out2, sizeof out2, "%s/out2.ndjson", dir);

	write_file(in,
		"{\"customer\":\"C-1\",\"tier\":\"silver\",\"tier_since\":\"2026-03-02T10:00:00+05:30\",\"points\":1250,"
		"\"lifetime_spend\":812000,\"spend_12m\":530000,\"purchase_count\":14,"
		"\"first_purchase_at\":\"2025-01-05T09:00:00Z\",\"last_purchase_at\":\"2026-11-01T09:00:00Z\","
		"\"attrs\":{\"birth_month\":11,\"city\":\"Surat\"}}\n"
		"\n"
		"{\"customer\":\"C-2\",\"points\":-5,\"referred_by\":\"C-1\",\"attrs\":{}}\n");
	is_int(run(ctl_import, "import", db, in, err, sizeof err), 0, "imports a good file");
	is_int(q(db, "SELECT count(*) FROM customers"), 2, "two customers");
	is_int(q(db, "SELECT points FROM customers WHERE id='C-1'"), 1250, "balance");
	is_int(q(db, "SELECT sum(points) FROM ledger WHERE customer='C-1' AND kind='import'"), 1250,
		"opening ledger entry equals the balance");
	is_int(q(db, "SELECT sum(points) FROM ledger WHERE customer='C-2'"), -5, "a negative opening balance");
	is_int(q(db, "SELECT sum(json_extract(e.value, '$[1]')) FROM customers c, json_each(c.spend) e"
		" WHERE c.id = 'C-1'"), 530000, "spend_12m as one spend entry");
	is_int(q(db, "SELECT json_array_length(spend) FROM customers WHERE id = 'C-1'"), 1, "one entry");
	/* 2026-03-02T10:00:00+05:30 = 2026-03-02T04:30:00Z = 1772425800 */
	is_int(q(db, "SELECT tier_since FROM customers WHERE id='C-1'"), 1772425800, "tier_since parsed with its offset");

	/* a bad line: line 3 (line 2 is fine), nothing imported */
	write_file(in,
		"{\"customer\":\"D-1\",\"points\":1}\n"
		"{\"customer\":\"D-2\",\"points\":2}\n"
		"{\"customer\":\"D-3\",\"points\":\"many\"}\n");
	is_int(run(ctl_import, "import", db, in, err, sizeof err), 1, "a bad line fails the import");
	ok(strstr(err, "in.ndjson:3: points must be an integer") != NULL, "names line 3 and the field");
	if (!strstr(err, "in.ndjson:3:"))
		tap_diag("stderr: %s", err);
	is_int(q(db, "SELECT count(*) FROM customers WHERE id LIKE 'D-%'"), 0, "nothing of it imported");
	write_file(in, "{\"customer\":\"E-1\"}\n{\"customer\":\"C-1\"}\n");
	is_int(run(ctl_import, "import", db, in, err, sizeof err), 1, "an id already in the store fails");
	ok(strstr(err, ":2: customer C-1 is already in the store") != NULL, "names line 2 and the id");
	is_int(q(db, "SELECT count(*) FROM customers WHERE id='E-1'"), 0, "E-1 not imported either");
	write_file(in, "{\"customer\":\"F-1\",\"colour\":\"red\"}\n");
	is_int(run(ctl_import, "import", db, in, err, sizeof err), 1, "an unknown field fails");
	ok(strstr(err, ":1: unknown field colour") != NULL, "names the field");
	write_file(in, "{\"customer\":\"F-1\",\n");
	is_int(run(ctl_import, "import", db, in, err, sizeof err), 1, "broken JSON fails");
	ok(strstr(err, ":1: not JSON") != NULL, "says so with the line");

	/* export -> import into an empty store -> the same export */
	is_int(run(ctl_export, "export", db, out, err, sizeof err), 0, "exports");
	is_int(run(ctl_import, "import", db2, out, err, sizeof err), 0, "the export imports");
	if (*err && !strstr(err, "imported"))
		tap_diag("stderr: %s", err);
	is_int(run(ctl_export, "export", db2, out2, err, sizeof err), 0, "exports again");
	char *a = slurp(out), *b = slurp(out2);
	ok(a && b && strcmp(a, b) == 0, "export, import, export gives the same lines");
	if (a && b && strcmp(a, b) != 0)
		tap_diag("first:\n%s\nsecond:\n%s", a, b);
	free(a);
	free(b);

	/* rate: 100,000 customers */
	FILE *f = fopen(in, "w");
	for (int i = 0; i < 100000; i++)
		fprintf(f, "{\"customer\":\"M%06d\",\"tier\":\"silver\",\"tier_since\":\"2026-01-02T10:00:00+05:30\","
			"\"points\":%d,\"lifetime_spend\":%d,\"spend_12m\":%d,\"purchase_count\":%d,"
			"\"first_purchase_at\":\"2025-03-01T09:00:00Z\",\"last_purchase_at\":\"2026-10-01T09:00:00+05:30\","
			"\"attrs\":{\"city\":\"Pune\",\"birth_month\":%d}}\n",
			i, i % 5000, i * 7 % 10000000, i % 1000000, i % 100, i % 12 + 1);
	fclose(f);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = run(ctl_import, "import", db2, in, err, sizeof err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	is_int(rc, 0, "100,000 customers import");
	is_int(q(db2, "SELECT count(*) FROM customers"), 100002, "all of them");
	tap_diag("import: 100000 customers in %.3f s = %.0f customers/s", s, 100000 / s);

	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
	return tap_done();
}
