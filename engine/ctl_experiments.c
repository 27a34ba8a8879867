/* engine/ctl_experiments.c — `loyaltyctl experiments report NAME`: opens the
 * store read-only, reads the experiment (report_data.c), finds the
 * configured weights (the store's experiment_variants table, else the
 * program given with --rules), computes the figures (report_calc.c) and
 * writes text or JSON to stdout and optionally an HTML page. Owns the
 * command line of this subcommand and its exit status; nothing else.
 *
 * `loyaltyctl [--db FILE] experiments report NAME [--html FILE] [--json]
 * [--rules PATH] [--minor-digits N]`: argv[0] is "experiments" (engine/ctl.h);
 * --db/--store come from ctl_global, or may follow the subcommand too.
 * Exit status: 0 done, 1 store or file error, 2 bad command line.
 *
 * A sample-ratio mismatch is not an error (the report is still the truth
 * about what happened) but is shouted: on stderr and as a banner in every
 * rendering. */
#include "engine/ctl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "engine/report_calc.h"
#include "engine/report_data.h"
#include "engine/report_render.h"
#include "engine/report_weights.h"

static const char usage[] =
	"usage: loyaltyctl [--db FILE] experiments report NAME [--html FILE] [--json]\n"
	"                  [--rules PATH] [--minor-digits N]\n";

typedef struct cx_args {
	const char *db, *store, *rules, *html, *name;
	bool json;
	int minor_digits;
} cx_args;

/* 0; 2 after printing what is wrong with the command line; -1 after
 * printing the usage asked for with --help. */
static int parse(int argc, char **argv, cx_args *a)
{
	const char *pos[3];
	int npos = 0;
	bool seen_word = false;
	*a = (cx_args){ .db = NULL, .minor_digits = 2 };
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		const char **val = NULL;
		if (strcmp(s, "--db") == 0)
			val = &a->db;
		else if (strcmp(s, "--store") == 0)
			val = &a->store;
		else if (strcmp(s, "--rules") == 0)
			val = &a->rules;
		else if (strcmp(s, "--html") == 0)
			val = &a->html;
		else if (strcmp(s, "--json") == 0) {
			a->json = true;
			continue;
		} else if (strcmp(s, "--minor-digits") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "loyaltyctl: --minor-digits needs a number 0..6\n%s", usage);
				return 2;
			}
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end || end == argv[i] || v < 0 || v > 6) {
				fprintf(stderr, "loyaltyctl: --minor-digits: \"%s\" is not a number 0..6\n", argv[i]);
				return 2;
			}
			a->minor_digits = (int)v;
			continue;
		} else if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
			fputs(usage, stdout);
			return -1;
		} else if (s[0] == '-' && s[1]) {
			fprintf(stderr, "loyaltyctl: experiments: unknown option %s\n%s", s, usage);
			return 2;
		} else {
			if (npos == 0 && !seen_word && strcmp(s, "experiments") == 0) {
				seen_word = true; /* the subcommand word itself, if passed along */
				continue;
			}
			if (npos == 3) {
				fprintf(stderr, "loyaltyctl: experiments: unexpected argument %s\n%s", s, usage);
				return 2;
			}
			pos[npos++] = s;
			continue;
		}
		if (i + 1 >= argc || argv[i + 1][0] == '\0') {
			fprintf(stderr, "loyaltyctl: %s needs a value\n%s", s, usage);
			return 2;
		}
		*val = argv[++i];
	}
	if (npos == 0 || strcmp(pos[0], "report") != 0) {
		fprintf(stderr, "loyaltyctl: experiments: %s%s\n%s",
			npos ? "unknown subcommand " : "missing subcommand (report)", npos ? pos[0] : "", usage);
		return 2;
	}
	if (npos != 2) {
		fprintf(stderr, "loyaltyctl: experiments report: %s\n%s",
			npos < 2 ? "missing experiment NAME" : "one experiment NAME only", usage);
		return 2;
	}
	a->name = pos[1];
	if (a->db && a->store) {
		fprintf(stderr, "loyaltyctl: give --db or --store, not both\n");
		return 2;
	}
	return 0;
}

static int write_html(const char *path, const rc_report *r, const rr_opts *o)
{
	/* write beside and rename, so a reader never sees half a page */
	char tmp[4096];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
		fprintf(stderr, "loyaltyctl: --html: path too long\n");
		return -1;
	}
	FILE *f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "loyaltyctl: %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	int rc = rr_html(f, r, o);
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc != 0) {
		fprintf(stderr, "loyaltyctl: writing %s: %s\n", path, strerror(errno));
		remove(tmp);
	}
	return rc;
}

/* The configured weights: the store's copy first, else the program. */
static int apply_weights(sqlite3 *db, const cx_args *a, rd_data *d, const char **from, bool *known)
{
	char err[512];
	rd_weights w;
	int rc = rd_store_weights(db, a->name, &w, err, sizeof err);
	*from = "the store";
	if (rc == 1 && a->rules) {
		rc = rw_program_weights(a->rules, a->name, &w, err, sizeof err);
		*from = a->rules;
		if (rc == 1) {
			/* the program does not know it: report without the check */
			fprintf(stderr, "loyaltyctl: %s\n", err);
			*from = NULL;
			return 0;
		}
	}
	if (rc < 0) {
		fprintf(stderr, "loyaltyctl: %s\n", err);
		return -1;
	}
	if (rc == 1) {
		*from = NULL;
		return 0;
	}
	*known = true;
	rc = rd_set_weights(d, (const char *const *)w.names, w.weights, w.n, err, sizeof err);
	rd_weights_free(&w);
	if (rc < 0)
		fprintf(stderr, "loyaltyctl: %s\n", err);
	return rc;
}

int ctl_experiments(int argc, char **argv)
{
	cx_args a;
	int rc = parse(argc, argv, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	/* loyaltyctl parsed the global options before the subcommand */
	if (!a.db && !a.store) {
		a.db = ctl_global.db;
		a.store = ctl_global.store;
	}
	if (a.store) {
		fprintf(stderr, "loyaltyctl: experiments report: --store (PostgreSQL) is not supported yet; use --db FILE\n");
		return 1;
	}
	const char *path = a.db ? a.db : "loyalty.db";
	sqlite3 *db = NULL;
	/* read-only: a report must never create or migrate a store */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "loyaltyctl: cannot open store %s: %s\n", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return 1;
	}
	sqlite3_busy_timeout(db, 5000);
	/* 32 MB of page cache; no memory map: mapping a big store made the
	 * process look 500 MB large for no measurable gain on the scan */
	sqlite3_exec(db, "PRAGMA query_only = 1; PRAGMA cache_size = -32768", NULL, NULL, NULL);
	char err[512];
	rd_data d;
	rc = 1;
	rc_report r = {0};
	if (rd_load_sqlite(db, a.name, &d, err, sizeof err) < 0) {
		fprintf(stderr, "loyaltyctl: %s: %s\n", path, err);
		goto out;
	}
	const char *from = NULL;
	bool known = false;
	if (apply_weights(db, &a, &d, &from, &known) < 0)
		goto out;
	if (d.ncust == 0 && !known) {
		fprintf(stderr, "loyaltyctl: %s: no exposures recorded for experiment %s%s\n", path, a.name,
			a.rules ? "" : " (give --rules PATH to report an experiment nobody has seen yet)");
		goto out;
	}
	if (rc_compute(&d, &r) < 0) {
		fprintf(stderr, "loyaltyctl: out of memory\n");
		goto out;
	}
	rr_opts o = { .minor_digits = a.minor_digits, .weights_from = from };
	if (r.srm_alarm) {
		char msg[1024];
		rr_srm_message(&r, msg, sizeof msg);
		fprintf(stderr, "loyaltyctl: WARNING: %s\n", msg);
	}
	if ((a.json ? rr_json(stdout, &r, &o) : rr_text(stdout, &r, &o)) < 0) {
		fprintf(stderr, "loyaltyctl: writing the report: %s\n", strerror(errno));
		goto out;
	}
	if (a.html && write_html(a.html, &r, &o) < 0)
		goto out;
	rc = 0;
out:
	rc_free(&r);
	rd_free(&d);
	sqlite3_close(db);
	return rc;
}
