/* rules/yaml_doc.c — libyaml events to a yd_node tree with positions.
 *
 * Owns only the YAML syntax layer: no meaning is given to keys here. The
 * stack of open containers is bounded (YD_MAX_DEPTH) so that a hostile file
 * cannot recurse us out of stack; children are gathered in malloc'd vectors
 * and copied into the arena when their container closes. */
#include "rules/yaml_doc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct yd_open {
	yd_node *node;
	yd_node **kids;
	uint32_t n, cap;
} yd_open;

static int add_kid(yd_open *o, yd_node *k)
{
	if (o->n == o->cap) {
		uint32_t cap = o->cap ? o->cap * 2 : 8;
		yd_node **v = realloc(o->kids, cap * sizeof *v);
		if (!v)
			return -1;
		o->kids = v;
		o->cap = cap;
	}
	o->kids[o->n++] = k;
	return 0;
}

/* A block scalar's text starts on the line after its indicator, at the
 * indentation of the first non-blank line: expressions written as `when: |`
 * must report errors there, not at the `|`. */
static void block_text_pos(const char *buf, size_t len, size_t idx, int line, yd_node *nd)
{
	size_t i = idx;
	while (i < len && buf[i] != '\n')
		i++;
	for (;;) {
		if (i >= len) {
			nd->text_line = line;
			nd->text_col = 1;
			return;
		}
		i++; /* past '\n' */
		line++;
		size_t s = i;
		while (i < len && buf[i] == ' ')
			i++;
		if (i < len && buf[i] != '\n' && buf[i] != '\r') {
			nd->text_line = line;
			nd->text_col = (int)(i - s) + 1;
			nd->cont_col = nd->text_col;
			return;
		}
		while (i < len && buf[i] != '\n')
			i++;
	}
}

static void set_err(int *eline, int *ecol, char *emsg, size_t emsgsz,
	int line, int col, const char *msg)
{
	*eline = line;
	*ecol = col;
	snprintf(emsg, emsgsz, "%s", msg);
}

int yd_parse(const char *buf, size_t n, arena *mem, yd_node **root,
	int *eline, int *ecol, char *emsg, size_t emsgsz)
{
	yaml_parser_t ps;
	yaml_event_t ev;
	yd_open st[YD_MAX_DEPTH + 1];
	int depth = 0, rc = -1, ndocs = 0;
	bool done = false;

	*root = NULL;
	memset(st, 0, sizeof st);
	if (!yaml_parser_initialize(&ps)) {
		set_err(eline, ecol, emsg, emsgsz, 1, 1, "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&ps, (const unsigned char *)buf, n);
	while (!done) {
		if (!yaml_parser_parse(&ps, &ev)) {
			char m[256];
			snprintf(m, sizeof m, "YAML syntax: %s%s%s", ps.problem ? ps.problem : "error",
				ps.context ? " " : "", ps.context ? ps.context : "");
			set_err(eline, ecol, emsg, emsgsz, (int)ps.problem_mark.line + 1,
				(int)ps.problem_mark.column + 1, m);
			goto out;
		}
		int line = (int)ev.start_mark.line + 1, col = (int)ev.start_mark.column + 1;
		yd_node *nd = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++ndocs > 1) {
				set_err(eline, ecol, emsg, emsgsz, line, col,
					"only one YAML document per file");
				yaml_event_delete(&ev);
				goto out;
			}
			break;
		case YAML_ALIAS_EVENT:
			set_err(eline, ecol, emsg, emsgsz, line, col,
				"YAML aliases are not supported");
			yaml_event_delete(&ev);
			goto out;
		case YAML_SCALAR_EVENT:
			nd = arena_calloc(mem, 1, sizeof *nd);
			if (!nd)
				break;
			nd->kind = YD_SCALAR;
			nd->s = arena_strndup(mem, (const char *)ev.data.scalar.value, ev.data.scalar.length);
			nd->n = ev.data.scalar.length;
			nd->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev.data.scalar.tag;
			nd->text_line = line;
			nd->text_col = col;
			if (ev.data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
			    ev.data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
				nd->text_col = col + 1;
			else if (ev.data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
				 ev.data.scalar.style == YAML_FOLDED_SCALAR_STYLE)
				block_text_pos(buf, n, ev.start_mark.index, line, nd);
			if (!nd->s)
				nd = NULL;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth >= YD_MAX_DEPTH) {
				set_err(eline, ecol, emsg, emsgsz, line, col, "YAML nested too deeply");
				yaml_event_delete(&ev);
				goto out;
			}
			nd = arena_calloc(mem, 1, sizeof *nd);
			if (!nd)
				break;
			nd->kind = ev.type == YAML_SEQUENCE_START_EVENT ? YD_SEQ : YD_MAP;
			nd->line = line;
			nd->col = col;
			depth++;
			memset(&st[depth], 0, sizeof st[depth]);
			st[depth].node = nd;
			yaml_event_delete(&ev);
			continue;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT: {
			yd_open *o = &st[depth];
			nd = o->node;
			nd->nv = o->n;
			nd->v = arena_alloc(mem, (o->n ? o->n : 1) * sizeof *nd->v);
			if (nd->v && o->n)
				memcpy(nd->v, o->kids, o->n * sizeof *nd->v);
			free(o->kids);
			o->kids = NULL;
			depth--;
			if (!nd->v)
				nd = NULL;
			else
				goto attach;
			break;
		}
		default:
			break;
		}
		if (ev.type == YAML_SCALAR_EVENT || ev.type == YAML_SEQUENCE_END_EVENT ||
		    ev.type == YAML_MAPPING_END_EVENT) {
			if (!nd) {
				set_err(eline, ecol, emsg, emsgsz, line, col, "out of memory");
				yaml_event_delete(&ev);
				goto out;
			}
			nd->line = line;
			nd->col = col;
attach:
			if (depth == 0) {
				*root = nd;
			} else {
				yd_open *o = &st[depth];
				if (o->node->kind == YD_MAP && (o->n % 2) == 0 && nd->kind != YD_SCALAR) {
					set_err(eline, ecol, emsg, emsgsz, nd->line, nd->col,
						"mapping keys must be plain strings");
					yaml_event_delete(&ev);
					goto out;
				}
				if (add_kid(o, nd)) {
					set_err(eline, ecol, emsg, emsgsz, line, col, "out of memory");
					yaml_event_delete(&ev);
					goto out;
				}
			}
		}
		yaml_event_delete(&ev);
	}
	rc = 0;
out:
	for (int i = 1; i <= depth; i++)
		free(st[i].kids);
	yaml_parser_delete(&ps);
	return rc;
}

yd_node *yd_get(const yd_node *map, const char *key)
{
	if (!map || map->kind != YD_MAP)
		return NULL;
	for (uint32_t i = 0; i + 1 < map->nv; i += 2)
		if (strcmp(map->v[i]->s, key) == 0)
			return map->v[i + 1];
	return NULL;
}

bool yd_is_null(const yd_node *n)
{
	if (!n)
		return true;
	if (n->kind != YD_SCALAR || !n->plain)
		return false;
	return n->n == 0 || strcmp(n->s, "~") == 0 || strcmp(n->s, "null") == 0 ||
		strcmp(n->s, "Null") == 0 || strcmp(n->s, "NULL") == 0;
}

bool yd_is_bool(const yd_node *n, bool *out)
{
	if (!n || n->kind != YD_SCALAR || !n->plain)
		return false;
	if (strcmp(n->s, "true") == 0) {
		*out = true;
		return true;
	}
	if (strcmp(n->s, "false") == 0) {
		*out = false;
		return true;
	}
	return false;
}

bool yd_is_int(const yd_node *n, int64_t *out)
{
	if (!n || n->kind != YD_SCALAR || !n->plain || n->n == 0 || n->n > 20)
		return false;
	const char *s = n->s;
	bool neg = false;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (!*s)
		return false;
	uint64_t v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
		return false;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}
