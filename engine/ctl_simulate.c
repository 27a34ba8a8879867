/* engine/ctl_simulate.c — `loyaltyctl simulate --rules PATH --input FILE
 * [--compare PATH] [--customers FILE] [--json]`: an offline what-if over a file of protocol
 * lines. Each line goes through the daemon's own decoder (engine/decode.h)
 * and then engine/simulate.c (the daemon's evaluation on an in-memory
 * state); this file only reads arguments and lines and prints the sums,
 * as text for a terminal or JSON for machines. A line that does not decode
 * or that the daemon would refuse is reported as FILE:LINE: message and
 * counted; it never stops the run. Must not: open a store or evaluate by
 * itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "engine/ctl.h"
#include "engine/decode.h"
#include "engine/simulate.h"
#include "lang/arena.h"
#include "rules/program.h"

#define SIM_MAX_LINE (16u << 20) /* longer lines are reported, not read whole */

typedef struct side {
	const char *path;
	program *prog;
	sim *s;
} side;

typedef struct run {
	int64_t lines, bad_lines, diff_total, diff_points, both;
} run;

static void usage(void)
{
	fprintf(stderr, "usage: loyaltyctl simulate --rules PATH --input FILE [--compare PATH] [--customers FILE] [--json]\n");
}

static program *load(const char *path)
{
	prog_errors errs = { 0 };
	program *p = program_load(path, NULL, &errs);
	if (!p) {
		fprintf(stderr, "loyaltyctl: simulate: %s is not a valid program:\n", path);
		prog_errors_print(&errs, stderr);
		prog_errors_free(&errs);
	}
	return p;
}

/* ---- text --------------------------------------------------------------- */

static void money(char *buf, size_t n, int64_t v)
{
	snprintf(buf, n, "%lld", (long long)v);
}

static void row(const char *name, int64_t a, const int64_t *b)
{
	char x[32], y[32], d[32];
	money(x, sizeof x, a);
	if (!b) {
		printf("  %-22s %14s\n", name, x);
		return;
	}
	money(y, sizeof y, *b);
	snprintf(d, sizeof d, "%+lld", (long long)(*b - a));
	printf("  %-22s %14s %14s %14s\n", name, x, y, d);
}

#define SUMS(X) \
	X(purchases) X(quotes) X(enrolls) X(skipped) X(replayed) X(refused) \
	X(subtotal) X(discount_total) X(redeemed_value) X(total) \
	X(earned) X(redeemed) X(referrer_credit) \
	X(tier_changes) X(coupons_accepted) X(warnings)

/* The rule `name` of side x, or -1. */
static int rule_index(const side *x, const char *name)
{
	for (uint32_t i = 0; i < program_nrules(x->prog); i++)
		if (strcmp(program_rule_name(x->prog, i), name) == 0)
			return (int)i;
	return -1;
}

static void print_text(const side *a, const side *b, const run *rn)
{
	const sim_sums *A = sim_totals(a->s), *B = b ? sim_totals(b->s) : NULL;
	printf("lines: %lld (bad: %lld)\n", (long long)rn->lines, (long long)rn->bad_lines);
	if (B)
		printf("  %-22s %14s %14s %14s\n", "", "rules", "compare", "difference");
	else
		printf("program %s (%s)\n", program_name(a->prog), a->path);
#define X(f) row(#f, A->f, B ? &B->f : NULL);
	SUMS(X)
#undef X
	if (!B) {
		printf("  %-30s %8s %14s %12s\n", "rule", "fires", "discount", "points");
		for (uint32_t i = 0; i < program_nrules(a->prog); i++) {
			const sim_rule_sum *r = &A->rules[i];
			printf("  %-30s %8lld %14lld %12lld\n", program_rule_name(a->prog, i),
				(long long)r->applied, (long long)r->discount, (long long)r->points);
		}
		return;
	}
	printf("per rule:\n");
	for (int pass = 0; pass < (B ? 2 : 1); pass++) {
		const side *x = pass ? b : a, *y = pass ? a : b;
		for (uint32_t i = 0; i < program_nrules(x->prog); i++) {
			const char *nm = program_rule_name(x->prog, i);
			int j = y ? rule_index(y, nm) : -1;
			if (pass && j >= 0)
				continue; /* printed with the first program */
			const sim_rule_sum *r = &sim_totals(x->s)->rules[i];
			sim_rule_sum zero = { 0 };
			const sim_rule_sum *o = j >= 0 ? &sim_totals(y->s)->rules[j] : &zero;
			const sim_rule_sum *ra = pass ? o : r, *rb = pass ? r : o;
			printf(" %s%s\n", nm, !y ? "" : j < 0 ? (pass ? " (compare only)" : " (rules only)") : "");
			row("fires", ra->applied, B ? &rb->applied : NULL);
			row("discount", ra->discount, B ? &rb->discount : NULL);
			row("points", ra->points, B ? &rb->points : NULL);
		}
	}
	if (B)
		printf("purchases with a different total: %lld, different points: %lld (of %lld)\n",
			(long long)rn->diff_total, (long long)rn->diff_points, (long long)rn->both);
}

/* ---- JSON --------------------------------------------------------------- */

static void jkey(yajl_gen g, const char *k)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

static void jint(yajl_gen g, const char *k, int64_t v)
{
	jkey(g, k);
	yajl_gen_integer(g, (long long)v);
}

static void json_side(yajl_gen g, const side *x)
{
	const sim_sums *S = sim_totals(x->s);
	yajl_gen_map_open(g);
	jkey(g, "program");
	yajl_gen_string(g, (const unsigned char *)program_name(x->prog), strlen(program_name(x->prog)));
	jkey(g, "rules_version");
	yajl_gen_string(g, (const unsigned char *)program_version(x->prog), strlen(program_version(x->prog)));
#define X(f) jint(g, #f, S->f);
	SUMS(X)
#undef X
	jkey(g, "rules");
	yajl_gen_map_open(g);
	for (uint32_t i = 0; i < program_nrules(x->prog); i++) {
		jkey(g, program_rule_name(x->prog, i));
		yajl_gen_map_open(g);
		jint(g, "fires", S->rules[i].applied);
		jint(g, "discount", S->rules[i].discount);
		jint(g, "points", S->rules[i].points);
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

static void print_json(const side *a, const side *b, const run *rn)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	if (!g)
		return;
	yajl_gen_map_open(g);
	jint(g, "lines", rn->lines);
	jint(g, "bad_lines", rn->bad_lines);
	jkey(g, "rules");
	json_side(g, a);
	if (b) {
		const sim_sums *A = sim_totals(a->s), *B = sim_totals(b->s);
		jkey(g, "compare");
		json_side(g, b);
		jkey(g, "difference");
		yajl_gen_map_open(g);
#define X(f) jint(g, #f, B->f - A->f);
		SUMS(X)
#undef X
		yajl_gen_map_close(g);
		jint(g, "purchases_compared", rn->both);
		jint(g, "different_total", rn->diff_total);
		jint(g, "different_points", rn->diff_points);
	}
	yajl_gen_map_close(g);
	const unsigned char *buf;
	size_t len;
	yajl_gen_get_buf(g, &buf, &len);
	fwrite(buf, 1, len, stdout);
	putchar('\n');
	yajl_gen_free(g);
}

/* ---- the run ------------------------------------------------------------ */

/* A line as getline() read it, without its line ending (\n or \r\n). */
static size_t chomp(const char *line, ssize_t len)
{
	size_t n = (size_t)len;
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	return n;
}

static int simulate_file(FILE *in, const char *file, side *a, side *b, run *rn)
{
	arena mem;
	arena_init(&mem, 16384, 64u << 20);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int64_t lineno = 0;
	while ((len = getline(&line, &cap, in)) >= 0) {
		lineno++;
		size_t n = chomp(line, len);
		if (n == 0)
			continue;
		rn->lines++;
		if (n > SIM_MAX_LINE) {
			fprintf(stderr, "%s:%lld: line longer than %u bytes\n", file, (long long)lineno, SIM_MAX_LINE);
			rn->bad_lines++;
			continue;
		}
		arena_reset(&mem);
		request req;
		decode_error err;
		if (decode_request(line, n, &mem, &req, &err) != 0) {
			fprintf(stderr, "%s:%lld: %s: %s\n", file, (long long)lineno, err.code, err.message);
			rn->bad_lines++;
			continue;
		}
		sim_result ra, rb;
		sim_apply(a->s, &req, &ra);
		if (b)
			sim_apply(b->s, &req, &rb);
		if (ra.status < 0 || (b && rb.status < 0)) {
			rn->bad_lines++;
			if (ra.status < 0)
				fprintf(stderr, "%s:%lld: %s%s\n", file, (long long)lineno, b ? "rules: " : "", ra.msg);
			if (b && rb.status < 0)
				fprintf(stderr, "%s:%lld: compare: %s\n", file, (long long)lineno, rb.msg);
		}
		if (b && req.op == OP_PURCHASE && ra.status == 0 && rb.status == 0 && ra.evaluated && rb.evaluated) {
			rn->both++;
			rn->diff_total += ra.total != rb.total;
			rn->diff_points += ra.earned != rb.earned;
		}
	}
	free(line);
	arena_free(&mem);
	if (ferror(in)) {
		fprintf(stderr, "loyaltyctl: simulate: reading %s failed\n", file);
		return -1;
	}
	return 0;
}

/* Both programs start from the same customers; a bad line stops the run
 * (a what-if on half a customer file would mislead), as import refuses. */
static int seed(const char *file, side *a, side *b)
{
	FILE *f = fopen(file, "r");
	if (!f) {
		fprintf(stderr, "loyaltyctl: simulate: cannot open %s: %m\n", file);
		return -1;
	}
	char *line = NULL, err[256];
	size_t cap = 0;
	ssize_t len;
	long long lineno = 0;
	int rc = 0;
	while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		size_t n = chomp(line, len);
		if (n == 0)
			continue;
		if (n > SIM_MAX_LINE || sim_seed_line(a->s, line, n, err, sizeof err) < 0
		    || (b && sim_seed_line(b->s, line, n, err, sizeof err) < 0)) {
			if (n > SIM_MAX_LINE)
				snprintf(err, sizeof err, "line longer than %u bytes", SIM_MAX_LINE);
			fprintf(stderr, "%s:%lld: %s\n", file, lineno, err);
			rc = -1;
		}
	}
	if (rc == 0 && ferror(f)) {
		fprintf(stderr, "loyaltyctl: simulate: reading %s failed\n", file);
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}

int ctl_simulate(int argc, char **argv)
{
	const char *rules = NULL, *input = NULL, *compare = NULL, *customers = NULL;
	bool json = false;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		const char **dst = strcmp(o, "--rules") == 0 ? &rules
			: strcmp(o, "--input") == 0 ? &input
			: strcmp(o, "--compare") == 0 ? &compare
			: strcmp(o, "--customers") == 0 ? &customers : NULL;
		if (dst) {
			if (i + 1 >= argc) {
				fprintf(stderr, "loyaltyctl: simulate: %s needs a value\n", o);
				return 2;
			}
			*dst = argv[++i];
		} else if (strcmp(o, "--json") == 0)
			json = true;
		else {
			fprintf(stderr, "loyaltyctl: simulate: unknown argument %s\n", o);
			usage();
			return 2;
		}
	}
	if (!rules || !input) {
		usage();
		return 2;
	}
	side a = { .path = rules }, b = { .path = compare };
	int rc = 1;
	FILE *in = NULL;
	if (!(a.prog = load(rules)) || (compare && !(b.prog = load(compare))))
		goto out;
	if (!(a.s = sim_new(a.prog)) || (compare && !(b.s = sim_new(b.prog)))) {
		fprintf(stderr, "loyaltyctl: simulate: out of memory\n");
		goto out;
	}
	if (customers && seed(customers, &a, compare ? &b : NULL) < 0)
		goto out;
	in = strcmp(input, "-") == 0 ? stdin : fopen(input, "r");
	if (!in) {
		fprintf(stderr, "loyaltyctl: simulate: cannot open %s: %m\n", input);
		goto out;
	}
	run rn = { 0 };
	if (simulate_file(in, input, &a, compare ? &b : NULL, &rn) < 0)
		goto out;
	if (json)
		print_json(&a, compare ? &b : NULL, &rn);
	else
		print_text(&a, compare ? &b : NULL, &rn);
	rc = 0;
out:
	if (in && in != stdin)
		fclose(in);
	sim_free(a.s);
	sim_free(b.s);
	program_free(a.prog);
	program_free(b.prog);
	return rc;
}
