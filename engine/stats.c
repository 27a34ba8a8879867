/* engine/stats.c — see stats.h. Rule fires are kept by rule name (not
 * index) so that counts survive a reload that reorders or renames rules:
 * a renamed rule simply starts a new counter. */
#include "engine/stats.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include <config.h>
#include "engine/server.h"
#include "rules/lua_ctx.h" /* program_lua_failures */

void stats_init(stats *st)
{
	memset(st, 0, sizeof *st);
	st->started = time(NULL);
}

void stats_free(stats *st)
{
	for (uint32_t i = 0; i < st->fires_cap; i++)
		free(st->fires[i].rule);
	free(st->fires);
	st->fires = NULL;
	st->fires_cap = st->fires_n = 0;
}

void stats_count_request(stats *st, int op, bool ok)
{
	if (op < 0 || op >= OP__COUNT)
		st->req_invalid++;
	else if (ok)
		st->req_ok[op]++;
	else
		st->req_err[op]++;
}

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static stats_fire *fire_slot(stats *st, const char *rule)
{
	if (st->fires_n * 2 >= st->fires_cap) {
		uint32_t ncap = st->fires_cap ? st->fires_cap * 2 : 64;
		stats_fire *nv = calloc(ncap, sizeof *nv);
		if (!nv)
			return NULL;
		for (uint32_t i = 0; i < st->fires_cap; i++) {
			if (!st->fires[i].rule)
				continue;
			uint32_t j = name_hash(st->fires[i].rule) & (ncap - 1);
			while (nv[j].rule)
				j = (j + 1) & (ncap - 1);
			nv[j] = st->fires[i];
		}
		free(st->fires);
		st->fires = nv;
		st->fires_cap = ncap;
	}
	uint32_t j = name_hash(rule) & (st->fires_cap - 1);
	while (st->fires[j].rule && strcmp(st->fires[j].rule, rule) != 0)
		j = (j + 1) & (st->fires_cap - 1);
	if (!st->fires[j].rule) {
		st->fires[j].rule = strdup(rule);
		if (!st->fires[j].rule)
			return NULL;
		st->fires_n++;
	}
	return &st->fires[j];
}

void stats_count_outcome(server *srv, const program *prog, const rl_outcome *out)
{
	stats *st = &srv->st;
	for (uint32_t i = 0; i < out->napplied; i++) {
		const char *name = program_rule_name(prog, (uint32_t)out->applied[i].rule);
		stats_fire *f = name ? fire_slot(st, name) : NULL;
		if (f)
			f->n++;
	}
	st->rule_errors += out->nwarnings;
}

static void put_counts(yajl_gen g, const char *key, uint64_t a, const char *key2, uint64_t b)
{
	yajl_gen_string(g, (const unsigned char *)key, strlen(key));
	yajl_gen_integer(g, (long long)a);
	yajl_gen_string(g, (const unsigned char *)key2, strlen(key2));
	yajl_gen_integer(g, (long long)b);
}

static int fire_cmp(const void *a, const void *b)
{
	const stats_fire *x = a, *y = b;
	return strcmp(x->rule, y->rule);
}

void stats_write(server *srv, const program *prog, yajl_gen g)
{
	stats *st = &srv->st;
	reply_str(g, "version", PACKAGE_VERSION, strlen(PACKAGE_VERSION));
	const char *rv = program_version(prog);
	reply_str(g, "rules_version", rv, strlen(rv));
	reply_int(g, "uptime_s", (long long)(time(NULL) - st->started));
	reply_key(g, "requests");
	yajl_gen_map_open(g);
	for (int op = 0; op < OP__COUNT; op++) {
		reply_key(g, op_names[op]);
		yajl_gen_map_open(g);
		put_counts(g, "ok", st->req_ok[op], "error", st->req_err[op]);
		yajl_gen_map_close(g);
	}
	/* lines that never became a request of a known op (extension) */
	reply_key(g, "invalid");
	yajl_gen_map_open(g);
	put_counts(g, "ok", 0, "error", st->req_invalid);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);

	/* fires sorted by rule name, for stable output */
	reply_key(g, "fires");
	yajl_gen_map_open(g);
	stats_fire *v = st->fires_n ? malloc(st->fires_n * sizeof *v) : NULL;
	uint32_t n = 0;
	for (uint32_t i = 0; v && i < st->fires_cap; i++)
		if (st->fires[i].rule)
			v[n++] = st->fires[i];
	if (v)
		qsort(v, n, sizeof *v, fire_cmp);
	for (uint32_t i = 0; i < n; i++)
		reply_int(g, v[i].rule, (long long)v[i].n);
	free(v);
	yajl_gen_map_close(g);

	reply_int(g, "rule_errors", (long long)st->rule_errors);
	/* extension: the Lua sandbox's failures by kind, for the rules in
	 * force (they start again from 0 at a reload) */
	uint64_t lf[LUASB_NSTATUS];
	if (program_lua_failures(prog, lf)) {
		reply_key(g, "lua_failures");
		yajl_gen_map_open(g);
		reply_int(g, "instructions", (long long)lf[LUASB_FAIL_INSTR]);
		reply_int(g, "memory", (long long)lf[LUASB_FAIL_MEMORY]);
		reply_int(g, "blocked", (long long)lf[LUASB_FAIL_BLOCKED]);
		reply_int(g, "error", (long long)lf[LUASB_FAIL_ERROR]);
		yajl_gen_map_close(g);
	}
	reply_key(g, "reloads");
	yajl_gen_map_open(g);
	put_counts(g, "ok", st->reloads_ok, "failed", st->reloads_failed);
	yajl_gen_map_close(g);
	reply_key(g, "connections");
	yajl_gen_map_open(g);
	put_counts(g, "open", st->conns_open, "total", st->conns_total);
	yajl_gen_map_close(g);
}

/* A label value: backslash, double quote and newline escaped. */
static void prom_label(struct evbuffer *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			evbuffer_add_printf(out, "\\%c", *v);
		else if (*v == '\n')
			evbuffer_add(out, "\\n", 2);
		else
			evbuffer_add(out, v, 1);
	}
}

static void prom_head(struct evbuffer *out, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void stats_write_prometheus(server *srv, const program *prog, struct evbuffer *out)
{
	stats *st = &srv->st;
	prom_head(out, "loyaltyd_info", "gauge", "Version of the daemon and of the rules in force.");
	evbuffer_add_printf(out, "loyaltyd_info{version=\"%s\",rules_version=\"", PACKAGE_VERSION);
	prom_label(out, program_version(prog));
	evbuffer_add_printf(out, "\"} 1\n");
	prom_head(out, "loyaltyd_uptime_seconds", "gauge", "Seconds since start.");
	evbuffer_add_printf(out, "loyaltyd_uptime_seconds %lld\n", (long long)(time(NULL) - st->started));
	prom_head(out, "loyaltyd_requests_total", "counter", "Requests answered, by op and outcome.");
	for (int op = 0; op < OP__COUNT; op++) {
		evbuffer_add_printf(out, "loyaltyd_requests_total{op=\"%s\",outcome=\"ok\"} %llu\n",
			op_names[op], (unsigned long long)st->req_ok[op]);
		evbuffer_add_printf(out, "loyaltyd_requests_total{op=\"%s\",outcome=\"error\"} %llu\n",
			op_names[op], (unsigned long long)st->req_err[op]);
	}
	evbuffer_add_printf(out, "loyaltyd_requests_total{op=\"invalid\",outcome=\"error\"} %llu\n",
		(unsigned long long)st->req_invalid);
	prom_head(out, "loyaltyd_rule_fires_total", "counter", "Rule fires in committed purchases, by rule.");
	for (uint32_t i = 0; i < st->fires_cap; i++) {
		if (!st->fires[i].rule)
			continue;
		evbuffer_add(out, "loyaltyd_rule_fires_total{rule=\"", 32);
		prom_label(out, st->fires[i].rule);
		evbuffer_add_printf(out, "\"} %llu\n", (unsigned long long)st->fires[i].n);
	}
	prom_head(out, "loyaltyd_rule_errors_total", "counter", "Rule run-time errors in committed purchases.");
	evbuffer_add_printf(out, "loyaltyd_rule_errors_total %llu\n", (unsigned long long)st->rule_errors);
	prom_head(out, "loyaltyd_reloads_total", "counter", "Rule reloads, by outcome.");
	evbuffer_add_printf(out, "loyaltyd_reloads_total{outcome=\"ok\"} %llu\n", (unsigned long long)st->reloads_ok);
	evbuffer_add_printf(out, "loyaltyd_reloads_total{outcome=\"failed\"} %llu\n", (unsigned long long)st->reloads_failed);
	prom_head(out, "loyaltyd_connections_open", "gauge", "Client connections open now.");
	evbuffer_add_printf(out, "loyaltyd_connections_open %llu\n", (unsigned long long)st->conns_open);
	prom_head(out, "loyaltyd_connections_total", "counter", "Client connections accepted.");
	evbuffer_add_printf(out, "loyaltyd_connections_total %llu\n", (unsigned long long)st->conns_total);
	uint64_t lf[LUASB_NSTATUS];
	if (program_lua_failures(prog, lf)) {
		static const char *const kinds[] = { "", "instructions", "memory", "blocked", "error" };
		prom_head(out, "loyaltyd_lua_failures_total", "counter", "Lua sandbox failures of the rules in force, by kind.");
		for (int k = LUASB_FAIL_INSTR; k < LUASB_NSTATUS && k < 5; k++)
			evbuffer_add_printf(out, "loyaltyd_lua_failures_total{kind=\"%s\"} %llu\n", kinds[k],
				(unsigned long long)lf[k]);
	}
}
