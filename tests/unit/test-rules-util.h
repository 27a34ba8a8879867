/* tests/unit/test-rules-util.h — helpers for the rules/ tests: write a
 * program directory from strings, load it, build baskets and customers
 * in a few lines, and look up what the outcome says by rule name. */
#ifndef TEST_RULES_UTIL_H
#define TEST_RULES_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lang/arena.h"
#include "rules/program.h"
#include "tests/unit/tap.h"

#pragma GCC diagnostic ignored "-Wunused-function"

static char tr_dir[256];
static int tr_seq;

/* Write files (name, text, name, text, ..., NULL) into a fresh directory. */
static const char *tr_write(const char *name, ...)
{
	snprintf(tr_dir, sizeof tr_dir, "/tmp/test-rules-%d-%d", (int)getpid(), ++tr_seq);
	mkdir(tr_dir, 0700);
	va_list ap;
	va_start(ap, name);
	for (const char *n = name; n; n = va_arg(ap, const char *)) {
		const char *text = va_arg(ap, const char *);
		char path[512];
		snprintf(path, sizeof path, "%s/%s", tr_dir, n);
		FILE *f = fopen(path, "w");
		fputs(text, f);
		fclose(f);
	}
	va_end(ap);
	return tr_dir;
}

static void tr_cleanup(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		tap_diag("cleanup failed: %s", dir);
}

/* Load program.yaml text; NULL and the errors joined by '\n' in errbuf. */
static char tr_errbuf[8192];
static program *tr_load(const char *yaml)
{
	const char *d = tr_write("program.yaml", yaml, NULL);
	prog_errors errs;
	program *p = program_load(d, NULL, &errs);
	tr_errbuf[0] = 0;
	if (!p) {
		size_t o = 0;
		for (size_t i = 0; i < errs.n && o < sizeof tr_errbuf - 300; i++)
			o += (size_t)snprintf(tr_errbuf + o, sizeof tr_errbuf - o, "%s%s:%d:%d: %s", i ? "\n" : "",
				errs.v[i].file, errs.v[i].line, errs.v[i].col, errs.v[i].message);
		prog_errors_free(&errs);
	}
	tr_cleanup(d);
	return p;
}

/* The errors of loading a directory (already written), joined. */
static const char *tr_errors_dir(const char *d)
{
	prog_errors errs;
	program *p = program_load(d, NULL, &errs);
	tr_errbuf[0] = 0;
	if (p) {
		program_free(p);
		return "";
	}
	size_t o = 0;
	for (size_t i = 0; i < errs.n && o < sizeof tr_errbuf - 300; i++)
		o += (size_t)snprintf(tr_errbuf + o, sizeof tr_errbuf - o, "%s%s:%d:%d: %s", i ? "\n" : "",
			errs.v[i].file, errs.v[i].line, errs.v[i].col, errs.v[i].message);
	prog_errors_free(&errs);
	return tr_errbuf;
}

static const char *tr_errors(const char *yaml)
{
	program *p = tr_load(yaml);
	if (p) {
		program_free(p);
		return "";
	}
	return tr_errbuf;
}

#define TR_S(lit) ((rl_str){ (lit), (uint32_t)(sizeof(lit) - 1) })

static rl_item tr_item(const char *sku, const char *cat, int64_t qty, int64_t price)
{
	rl_item it;
	memset(&it, 0, sizeof it);
	it.sku.p = sku;
	it.sku.n = (uint32_t)strlen(sku);
	if (cat) {
		it.category.p = cat;
		it.category.n = (uint32_t)strlen(cat);
	}
	it.qty = qty;
	it.price = price;
	return it;
}

static rl_basket tr_basket(const rl_item *items, uint32_t n, int64_t ts)
{
	rl_basket b;
	memset(&b, 0, sizeof b);
	b.items = items;
	b.nitems = n;
	b.ts = ts;
	b.channel = TR_S("store");
	return b;
}

static rl_customer tr_customer(const char *id, int64_t ts)
{
	rl_customer c;
	memset(&c, 0, sizeof c);
	c.id.p = id;
	c.id.n = (uint32_t)strlen(id);
	c.exists = true;
	c.enrolled_at = ts;
	return c;
}

static const rl_applied *tr_applied(const program *p, const rl_outcome *o, const char *rule)
{
	for (uint32_t i = 0; i < o->napplied; i++)
		if (strcmp(program_rule_name(p, (uint32_t)o->applied[i].rule), rule) == 0)
			return &o->applied[i];
	return NULL;
}

/* Applied rules as "name:discount/points/bonus/mult" joined by spaces. */
static const char *tr_applied_str(const program *p, const rl_outcome *o)
{
	static char buf[4096];
	size_t k = 0;
	buf[0] = 0;
	for (uint32_t i = 0; i < o->napplied && k < sizeof buf - 200; i++) {
		const rl_applied *a = &o->applied[i];
		k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s", i ? " " : "",
			program_rule_name(p, (uint32_t)a->rule));
		if (a->discount)
			k += (size_t)snprintf(buf + k, sizeof buf - k, " d=%lld", (long long)a->discount);
		if (a->points)
			k += (size_t)snprintf(buf + k, sizeof buf - k, " p=%lld", (long long)a->points);
		if (a->bonus_points)
			k += (size_t)snprintf(buf + k, sizeof buf - k, " b=%lld", (long long)a->bonus_points);
		if (a->has_multiplier)
			k += (size_t)snprintf(buf + k, sizeof buf - k, " m=%lld", (long long)a->multiplier_x100);
		k += (size_t)snprintf(buf + k, sizeof buf - k, ";");
	}
	return buf;
}

static const char *tr_warnings(const program *p, const rl_outcome *o)
{
	static char buf[4096];
	size_t k = 0;
	buf[0] = 0;
	for (uint32_t i = 0; i < o->nwarnings && k < sizeof buf - 400; i++)
		k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s: %s", i ? "\n" : "",
			o->warnings[i].rule >= 0 ? program_rule_name(p, (uint32_t)o->warnings[i].rule) : "-",
			o->warnings[i].message);
	return buf;
}

#endif
