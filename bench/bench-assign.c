/* bench/bench-assign.c — what experiment assignment costs (issue 7's
 * target: under 100 ns per experiment per request), against a baseline
 * measured in the same run: XXH64 alone on the very strings an assignment
 * hashes ("salt:id" and "salt:id:variant", built beforehand). Prints ns per
 * assignment, ns per baseline, their ratio; then the whole request's view:
 * rl_evaluate with 8 experiments against the same program with none,
 * divided by 8, without and with a global holdout. Never asserts.
 *
 *   bench/bench-assign [ids]       (default 2,000 ids, best of 31 rounds:
 *   short rounds, so that a busy machine preempts fewer of them) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "rules/program.h"

#define NEXP 8
#define ROUNDS 31

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static program *load(const char *yaml)
{
	char dir[128], path[160];
	snprintf(dir, sizeof dir, "/tmp/bench-assign-%d", (int)getpid());
	mkdir(dir, 0700);
	snprintf(path, sizeof path, "%s/program.yaml", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return NULL;
	fputs(yaml, f);
	fclose(f);
	prog_errors errs;
	program *p = program_load(dir, NULL, &errs);
	if (!p) {
		prog_errors_print(&errs, stderr);
		prog_errors_free(&errs);
	}
	unlink(path);
	rmdir(dir);
	return p;
}

static volatile uint64_t sink;

int main(int argc, char **argv)
{
	int nids = argc > 1 ? atoi(argv[1]) : 2000;
	if (nids < 1)
		nids = 2000;
	/* experiments named like a marketer would, 100 % traffic, 3 variants */
	char exps[4096] = "experiments:\n", yaml[8192];
	for (int e = 0; e < NEXP; e++) {
		size_t o = strlen(exps);
		snprintf(exps + o, sizeof exps - o,
			"  - {name: exp-%d, salt: spring-promo-2026-%d, variants: {control: 50, a: 30, b: 20}}\n", e, e);
	}
	const char *rules = "rules:\n  - {name: base, points: net // 100}\n";
	snprintf(yaml, sizeof yaml, "%s%s", exps, rules);
	program *p = load(yaml);
	program *p0 = load(rules);
	snprintf(yaml, sizeof yaml, "holdout: {percent: 5}\n%s%s", exps, rules);
	program *ph = load(yaml);
	snprintf(yaml, sizeof yaml, "holdout: {percent: 5}\n%s", rules);
	program *ph0 = load(yaml);
	if (!p || !p0 || !ph || !ph0)
		return 1;

	char (*ids)[24] = malloc((size_t)nids * sizeof *ids);
	char (*k1)[64] = malloc((size_t)nids * sizeof *k1);
	char (*k2)[64] = malloc((size_t)nids * sizeof *k2);
	size_t *l1 = malloc((size_t)nids * sizeof *l1), *l2 = malloc((size_t)nids * sizeof *l2);
	if (!ids || !k1 || !k2 || !l1 || !l2)
		return 1;
	for (int i = 0; i < nids; i++) {
		snprintf(ids[i], sizeof ids[i], "CUST-%08d", i * 7919);
		l1[i] = (size_t)snprintf(k1[i], sizeof k1[i], "spring-promo-2026-0:%s", ids[i]);
		l2[i] = (size_t)snprintf(k2[i], sizeof k2[i], "spring-promo-2026-0:%s:variant", ids[i]);
	}

	double best_a = 1e30, best_h = 1e30, best_ah = 1e30;
	for (int r = 0; r < ROUNDS; r++) {
		double t = now_ns();
		uint64_t s = 0;
		for (int i = 0; i < nids; i++)
			s += (uint64_t)rl_assign_variant(p, 0, ids[i], strlen(ids[i]));
		double a = now_ns() - t;
		t = now_ns();
		for (int i = 0; i < nids; i++)
			s += XXH64(k1[i], l1[i], 0) % 10000 + XXH64(k2[i], l2[i], 0) % 10000;
		double h = now_ns() - t;
		t = now_ns();
		for (int i = 0; i < nids; i++)
			s += (uint64_t)rl_assign_variant(ph, 0, ids[i], strlen(ids[i]));
		double ah = now_ns() - t;
		sink = s;
		if (a < best_a)
			best_a = a;
		if (h < best_h)
			best_h = h;
		if (ah < best_ah)
			best_ah = ah;
	}
	printf("rl_assign_variant           %7.1f ns per assignment\n", best_a / nids);
	printf("XXH64 x2 on the same keys   %7.1f ns (baseline)\n", best_h / nids);
	printf("ratio                       %7.2f\n", best_a / best_h);
	printf("with a holdout (3 hashes)   %7.1f ns per assignment, ratio %.2f\n", best_ah / nids,
		best_ah / best_h);

	/* whole requests: one line, one customer */
	arena mem;
	memset(&mem, 0, sizeof mem);
	rl_item it;
	memset(&it, 0, sizeof it);
	it.sku.p = "latte";
	it.sku.n = 5;
	it.qty = 1;
	it.price = 25000;
	rl_basket b;
	memset(&b, 0, sizeof b);
	b.items = &it;
	b.nitems = 1;
	b.ts = 1795409100;
	program *ps[4] = { p0, p, ph0, ph };
	double best[4] = { 1e30, 1e30, 1e30, 1e30 };
	for (int r = 0; r < ROUNDS; r++)
		for (int k = 0; k < 4; k++) {
			double t = now_ns();
			for (int i = 0; i < nids; i++) {
				rl_customer c;
				memset(&c, 0, sizeof c);
				c.id.p = ids[i];
				c.id.n = (uint32_t)strlen(ids[i]);
				c.exists = true;
				c.enrolled_at = b.ts;
				rl_outcome o;
				arena_reset(&mem);
				rl_evaluate(ps[k], &c, &b, &mem, &o);
				sink += (uint64_t)o.earned;
			}
			double d = now_ns() - t;
			if (d < best[k])
				best[k] = d;
		}
	printf("rl_evaluate, no experiments %7.1f ns per request\n", best[0] / nids);
	printf("rl_evaluate, %d experiments  %7.1f ns per request: %.1f ns per experiment (target < 100)\n",
		NEXP, best[1] / nids, (best[1] - best[0]) / nids / NEXP);
	printf("with holdout: none %.1f ns, %d experiments %.1f ns: %.1f ns per experiment\n",
		best[2] / nids, NEXP, best[3] / nids, (best[3] - best[2]) / nids / NEXP);
	arena_free(&mem);
	program_free(p);
	program_free(p0);
	program_free(ph);
	program_free(ph0);
	free(ids);
	free(k1);
	free(k2);
	free(l1);
	free(l2);
	return 0;
}
