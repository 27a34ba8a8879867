/* engine/config.c — see config.h. Walks libyaml's event stream of one
 * mapping; the only nested values are `lua` (a mapping) and the admin id
 * lists (sequences of integers). Anchors and aliases are refused: a config
 * has no use for them and they are a way to blow up a loader. */
#include <config.h>

#include "engine/config.h"
#include "lang/oneline.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

void config_set_str(char **slot, const char *v)
{
	char *n = v ? strdup(v) : NULL;
	free(*slot);
	*slot = n;
}

void config_defaults(config *c)
{
	memset(c, 0, sizeof *c);
	config_set_str(&c->socket, CONFIG_DEFAULT_SOCKET);
	c->socket_mode = 0660;
	c->durability = STORE_ALWAYS;
	c->batch_max_delay_ms = 2;
	c->max_line_bytes = 65536;
	c->max_connections = 1024;
	c->idle_timeout_s = 0;
	c->lua_instructions = 1000000;
	c->lua_memory_kb = 8192;
	c->cache_mb = 256;
	config_set_str(&c->metrics_listen, "");
	c->log_level = LOG_INFO;
	config_set_str(&c->tcp_listen, "");
	c->max_inflight = 1024;
	c->max_output_bytes = 1 << 20;
}

void config_free(config *c)
{
	free(c->rules);
	free(c->socket);
	free(c->db);
	free(c->store_url);
	free(c->metrics_listen);
	free(c->tcp_listen);
	memset(c, 0, sizeof *c);
}

typedef struct cfg_parser {
	yaml_parser_t p;
	const char *file;
	char *err;
	size_t errsz;
	bool failed;
} cfg_parser;

static void cfg_fail(cfg_parser *cp, yaml_mark_t m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void cfg_fail(cfg_parser *cp, yaml_mark_t m, const char *fmt, ...)
{
	if (cp->failed)
		return;
	cp->failed = true;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	char line[sizeof msg * 4];
	oneline(line, sizeof line, msg);
	snprintf(cp->err, cp->errsz, "%s:%zu:%zu: %s", cp->file, m.line + 1, m.column + 1, line);
}

/* Next event; false (and the error set) on a YAML syntax error. */
static bool cfg_next(cfg_parser *cp, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&cp->p, ev)) {
		cfg_fail(cp, cp->p.problem_mark, "%s", cp->p.problem ? cp->p.problem : "YAML syntax error");
		return false;
	}
	if (ev->type == YAML_ALIAS_EVENT ||
	    (ev->type == YAML_SCALAR_EVENT && ev->data.scalar.anchor) ||
	    (ev->type == YAML_MAPPING_START_EVENT && ev->data.mapping_start.anchor) ||
	    (ev->type == YAML_SEQUENCE_START_EVENT && ev->data.sequence_start.anchor)) {
		cfg_fail(cp, ev->start_mark, "anchors and aliases are not allowed in the config");
		yaml_event_delete(ev);
		return false;
	}
	/* "\0" in a quoted scalar: the setting would be cut short there */
	if (ev->type == YAML_SCALAR_EVENT && memchr(ev->data.scalar.value, 0, ev->data.scalar.length)) {
		cfg_fail(cp, ev->start_mark, "a NUL character is not allowed in the config");
		yaml_event_delete(ev);
		return false;
	}
	return true;
}

static const char *scalar_text(const yaml_event_t *ev)
{
	return (const char *)ev->data.scalar.value;
}

static bool is_plain(const yaml_event_t *ev)
{
	return ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* A plain scalar of decimal digits, within [lo, hi]. */
static bool cfg_uint(cfg_parser *cp, const yaml_event_t *ev, const char *key, uint64_t lo, uint64_t hi, uint64_t *out)
{
	const char *s = scalar_text(ev);
	if (ev->type != YAML_SCALAR_EVENT || !is_plain(ev) || !*s || strspn(s, "0123456789") != strlen(s)) {
		cfg_fail(cp, ev->start_mark, "%s must be an integer from %" PRIu64 " to %" PRIu64, key, lo, hi);
		return false;
	}
	errno = 0;
	unsigned long long v = strtoull(s, NULL, 10);
	if (errno || v < lo || v > hi) {
		cfg_fail(cp, ev->start_mark, "%s must be an integer from %" PRIu64 " to %" PRIu64, key, lo, hi);
		return false;
	}
	*out = v;
	return true;
}

static bool cfg_string(cfg_parser *cp, const yaml_event_t *ev, const char *key, char **slot)
{
	if (ev->type != YAML_SCALAR_EVENT) {
		cfg_fail(cp, ev->start_mark, "%s must be a string", key);
		return false;
	}
	const char *s = scalar_text(ev);
	if (is_plain(ev) && strcmp(s, "~") == 0 ) {
		cfg_fail(cp, ev->start_mark, "%s must be a string", key);
		return false;
	}
	config_set_str(slot, is_plain(ev) && strcmp(s, "null") == 0 ? "" : s);
	return true;
}

/* Skip the rest of a value whose first event is `ev` (already consumed). */
static void cfg_skip(cfg_parser *cp, yaml_event_t *ev)
{
	int depth = (ev->type == YAML_MAPPING_START_EVENT || ev->type == YAML_SEQUENCE_START_EVENT);
	while (depth > 0 && !cp->failed) {
		yaml_event_t e;
		if (!cfg_next(cp, &e))
			return;
		if (e.type == YAML_MAPPING_START_EVENT || e.type == YAML_SEQUENCE_START_EVENT)
			depth++;
		else if (e.type == YAML_MAPPING_END_EVENT || e.type == YAML_SEQUENCE_END_EVENT)
			depth--;
		yaml_event_delete(&e);
	}
}

/* admin_uids / admin_gids: a sequence of integers. */
static bool cfg_id_list(cfg_parser *cp, yaml_event_t *ev, const char *key, uint32_t *out, size_t *n)
{
	if (ev->type != YAML_SEQUENCE_START_EVENT) {
		cfg_fail(cp, ev->start_mark, "%s must be a list of integers", key);
		cfg_skip(cp, ev);
		return false;
	}
	*n = 0;
	for (;;) {
		yaml_event_t e;
		if (!cfg_next(cp, &e))
			return false;
		if (e.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&e);
			return true;
		}
		uint64_t v;
		char what[64];
		snprintf(what, sizeof what, "%s[%zu]", key, *n);
		if (e.type != YAML_SCALAR_EVENT) {
			cfg_fail(cp, e.start_mark, "%s must be an integer", what);
			yaml_event_delete(&e);
			return false;
		}
		if (*n >= CONFIG_MAX_ADMIN_IDS) {
			cfg_fail(cp, e.start_mark, "%s: at most %d ids", key, CONFIG_MAX_ADMIN_IDS);
			yaml_event_delete(&e);
			return false;
		}
		bool good = cfg_uint(cp, &e, what, 0, UINT32_MAX - 1, &v);
		yaml_event_delete(&e);
		if (!good)
			return false;
		out[(*n)++] = (uint32_t)v;
	}
}

static bool cfg_lua(cfg_parser *cp, yaml_event_t *ev, config *c)
{
	if (ev->type != YAML_MAPPING_START_EVENT) {
		cfg_fail(cp, ev->start_mark, "lua must be a mapping {instructions: N, memory_kb: N}");
		cfg_skip(cp, ev);
		return false;
	}
	bool seen[2] = { false, false };
	for (;;) {
		yaml_event_t k, v;
		if (!cfg_next(cp, &k))
			return false;
		if (k.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&k);
			return true;
		}
		int which = k.type != YAML_SCALAR_EVENT ? -1 : strcmp(scalar_text(&k), "instructions") == 0 ? 0
			: strcmp(scalar_text(&k), "memory_kb") == 0 ? 1 : -1;
		if (which >= 0 && seen[which]) {
			cfg_fail(cp, k.start_mark, "duplicate key lua.%s", scalar_text(&k));
			yaml_event_delete(&k);
			return false;
		}
		if (which >= 0)
			seen[which] = true;
		if (k.type != YAML_SCALAR_EVENT) {
			cfg_fail(cp, k.start_mark, "lua: keys must be strings");
			yaml_event_delete(&k);
			return false;
		}
		if (!cfg_next(cp, &v)) {
			yaml_event_delete(&k);
			return false;
		}
		const char *key = scalar_text(&k);
		bool good;
		if (strcmp(key, "instructions") == 0)
			good = cfg_uint(cp, &v, "lua.instructions", 1000, UINT64_C(1000000000000), &c->lua_instructions);
		else if (strcmp(key, "memory_kb") == 0)
			good = cfg_uint(cp, &v, "lua.memory_kb", 64, UINT64_C(16777216), &c->lua_memory_kb);
		else {
			cfg_fail(cp, k.start_mark, "unknown key lua.%s", key);
			good = false;
		}
		yaml_event_delete(&k);
		yaml_event_delete(&v);
		if (!good)
			return false;
	}
}

static bool cfg_value(cfg_parser *cp, const char *key, yaml_mark_t kmark, yaml_event_t *v, config *c)
{
	uint64_t n;
	if (strcmp(key, "rules") == 0)
		return cfg_string(cp, v, key, &c->rules);
	if (strcmp(key, "socket") == 0)
		return cfg_string(cp, v, key, &c->socket);
	if (strcmp(key, "db") == 0)
		return cfg_string(cp, v, key, &c->db);
	if (strcmp(key, "store") == 0)
		return cfg_string(cp, v, key, &c->store_url);
	if (strcmp(key, "metrics_listen") == 0)
		return cfg_string(cp, v, key, &c->metrics_listen);
	if (strcmp(key, "tcp_listen") == 0)
		return cfg_string(cp, v, key, &c->tcp_listen);
	if (strcmp(key, "socket_mode") == 0) {
		/* "0660" (quoted, as running.md writes it) or a plain 0660: the
		 * digits are octal either way */
		const char *s = v->type == YAML_SCALAR_EVENT ? scalar_text(v) : "";
		if (v->type != YAML_SCALAR_EVENT || !*s || strlen(s) > 4 || strspn(s, "01234567") != strlen(s)) {
			cfg_fail(cp, v->start_mark, "socket_mode must be an octal mode such as \"0660\"");
			cfg_skip(cp, v);
			return false;
		}
		c->socket_mode = (unsigned)strtoul(s, NULL, 8);
		return true;
	}
	if (strcmp(key, "admin_uids") == 0) {
		uint32_t ids[CONFIG_MAX_ADMIN_IDS];
		size_t cnt = 0;
		if (!cfg_id_list(cp, v, key, ids, &cnt))
			return false;
		for (size_t i = 0; i < cnt; i++)
			c->admin_uids[i] = ids[i];
		c->nadmin_uids = cnt;
		return true;
	}
	if (strcmp(key, "admin_gids") == 0) {
		uint32_t ids[CONFIG_MAX_ADMIN_IDS];
		size_t cnt = 0;
		if (!cfg_id_list(cp, v, key, ids, &cnt))
			return false;
		for (size_t i = 0; i < cnt; i++)
			c->admin_gids[i] = ids[i];
		c->nadmin_gids = cnt;
		return true;
	}
	if (strcmp(key, "lua") == 0)
		return cfg_lua(cp, v, c);
	if (strcmp(key, "durability") == 0 || strcmp(key, "log_level") == 0) {
		const char *s = v->type == YAML_SCALAR_EVENT ? scalar_text(v) : "";
		bool good = false;
		if (key[0] == 'd') {
			if (strcmp(s, "always") == 0)
				c->durability = STORE_ALWAYS, good = true;
			else if (strcmp(s, "batch") == 0)
				c->durability = STORE_BATCH, good = true;
			else if (strcmp(s, "off") == 0)
				c->durability = STORE_OFF, good = true;
			if (!good)
				cfg_fail(cp, v->start_mark, "durability must be always, batch or off");
		} else {
			good = v->type == YAML_SCALAR_EVENT && log_parse_level(s, &c->log_level) == 0;
			if (!good)
				cfg_fail(cp, v->start_mark, "log_level must be error, warn, info or debug");
		}
		if (!good)
			cfg_skip(cp, v);
		return good;
	}
	struct { const char *name; uint64_t lo, hi; int kind; } nums[] = {
		{ "batch_max_delay_ms", 0, 1000, 0 },
		{ "max_line_bytes", 64, 64u << 20, 1 },
		{ "max_connections", 1, 1000000, 2 },
		{ "idle_timeout_s", 0, 86400 * 365, 3 },
		{ "cache_mb", 0, 1u << 20, 4 },
		{ "max_inflight", 1, 1000000, 5 },
		{ "max_output_bytes", 4096, 1u << 30, 6 },
	};
	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		if (strcmp(key, nums[i].name) != 0)
			continue;
		if (v->type != YAML_SCALAR_EVENT) {
			cfg_fail(cp, v->start_mark, "%s must be an integer from %" PRIu64 " to %" PRIu64, key, nums[i].lo, nums[i].hi);
			cfg_skip(cp, v);
			return false;
		}
		if (!cfg_uint(cp, v, key, nums[i].lo, nums[i].hi, &n))
			return false;
		switch (nums[i].kind) {
		case 0: c->batch_max_delay_ms = (int)n; break;
		case 1: c->max_line_bytes = (size_t)n; break;
		case 2: c->max_connections = (unsigned)n; break;
		case 3: c->idle_timeout_s = (unsigned)n; break;
		case 4: c->cache_mb = (size_t)n; break;
		case 5: c->max_inflight = (unsigned)n; break;
		case 6: c->max_output_bytes = (size_t)n; break;
		}
		return true;
	}
	cfg_fail(cp, kmark, "unknown key %s", key);
	cfg_skip(cp, v);
	return false;
}

int config_load(config *c, const char *file, char *err, size_t errsz)
{
	FILE *f = fopen(file, "rb");
	if (!f) {
		snprintf(err, errsz, "%s:0:0: cannot open: %s", file, strerror(errno));
		return -1;
	}
	cfg_parser cp = { .file = file, .err = err, .errsz = errsz };
	yaml_parser_initialize(&cp.p);
	yaml_parser_set_input_file(&cp.p, f);

	/* stream-start, then either stream-end (empty file) or one document
	 * holding one mapping */
	yaml_event_t ev;
	int state = 0; /* 0 before doc, 1 in mapping, 2 after mapping, 3 done */
	while (!cp.failed && state != 3) {
		if (!cfg_next(&cp, &ev))
			break;
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_START_EVENT:
			break;
		case YAML_DOCUMENT_END_EVENT:
			state = 2;
			break;
		case YAML_STREAM_END_EVENT:
			state = 3;
			break;
		case YAML_MAPPING_START_EVENT:
			if (state != 0) {
				cfg_fail(&cp, ev.start_mark, "the config must be one mapping of settings");
				break;
			}
			state = 1;
			/* settings already read (all known: an unknown key stops the
			 * load), so that a second one is an error, not a silent override */
			char seen[32][24];
			size_t nseen = 0;
			for (;;) {
				yaml_event_t k, v;
				if (!cfg_next(&cp, &k))
					break;
				if (k.type == YAML_MAPPING_END_EVENT) {
					yaml_event_delete(&k);
					break;
				}
				if (k.type != YAML_SCALAR_EVENT) {
					cfg_fail(&cp, k.start_mark, "setting names must be strings");
					yaml_event_delete(&k);
					break;
				}
				if (!cfg_next(&cp, &v)) {
					yaml_event_delete(&k);
					break;
				}
				const char *key = scalar_text(&k);
				bool dup = false;
				for (size_t i = 0; i < nseen && !dup; i++)
					dup = strcmp(seen[i], key) == 0;
				if (dup) {
					cfg_fail(&cp, k.start_mark, "duplicate key %s", key);
					yaml_event_delete(&k);
					yaml_event_delete(&v);
					break;
				}
				bool good = cfg_value(&cp, key, k.start_mark, &v, c);
				if (good && nseen < 32 && strlen(key) < sizeof seen[0])
					strcpy(seen[nseen++], key);
				yaml_event_delete(&k);
				yaml_event_delete(&v);
				if (!good)
					break;
			}
			state = 2;
			break;
		case YAML_SCALAR_EVENT:
			/* an empty document is a null scalar: no settings */
			if (state == 0 && is_plain(&ev) && (ev.data.scalar.length == 0 || strcmp(scalar_text(&ev), "~") == 0 || strcmp(scalar_text(&ev), "null") == 0)) {
				state = 2;
				break;
			}
			/* fall through */
		default:
			cfg_fail(&cp, ev.start_mark, "the config must be one mapping of settings");
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&cp.p);
	fclose(f);
	return cp.failed ? -1 : 0;
}
