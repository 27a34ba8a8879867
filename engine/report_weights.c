/* engine/report_weights.c — an experiment's configured variant weights read
 * from a rule program's YAML files (`--rules PATH`), for the report's
 * sample-ratio check when the store keeps no copy of them.
 *
 * Owns only this lookup: it reads `experiments: [{name, variants: {v: w}}]`
 * from PATH (a file) or from every *.yaml of PATH (a directory) with
 * libyaml's document API. It does not validate the program (loyaltyctl
 * check does, rules/ owns the meaning); should rules/program.h gain
 * accessors for the weights, this file becomes three calls to them. */
#include "engine/report_weights.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#define RW_MAX_FILES 1000

static const char *scalar(yaml_document_t *doc, yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = scalar(doc, yaml_document_get_node(doc, p->key));
		if (k && strcmp(k, key) == 0)
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

/* 0 found, 1 not in this file, -1 error */
static int from_file(const char *file, const char *name, rd_weights *w, char *err, size_t errsz)
{
	FILE *f = fopen(file, "rb");
	if (!f) {
		snprintf(err, errsz, "%s: %s", file, strerror(errno));
		return -1;
	}
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errsz, "%s:%zu:%zu: %s", file, parser.problem_mark.line + 1,
			parser.problem_mark.column + 1, parser.problem ? parser.problem : "YAML error");
		yaml_parser_delete(&parser);
		fclose(f);
		return -1;
	}
	int rc = 1;
	yaml_node_t *exps = map_get(&doc, yaml_document_get_root_node(&doc), "experiments");
	if (exps && exps->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = exps->data.sequence.items.start; rc == 1 && it < exps->data.sequence.items.top; it++) {
			yaml_node_t *e = yaml_document_get_node(&doc, *it);
			const char *en = scalar(&doc, map_get(&doc, e, "name"));
			if (!en || strcmp(en, name) != 0)
				continue;
			yaml_node_t *vars = map_get(&doc, e, "variants");
			if (!vars || vars->type != YAML_MAPPING_NODE) {
				snprintf(err, errsz, "%s:%zu:%zu: experiment %s has no variants mapping", file,
					e->start_mark.line + 1, e->start_mark.column + 1, name);
				rc = -1;
				break;
			}
			rc = 0;
			for (yaml_node_pair_t *p = vars->data.mapping.pairs.start; p < vars->data.mapping.pairs.top; p++) {
				yaml_node_t *kn = yaml_document_get_node(&doc, p->key);
				yaml_node_t *vn = yaml_document_get_node(&doc, p->value);
				const char *k = scalar(&doc, kn), *v = scalar(&doc, vn);
				char *end = NULL;
				double wt = v ? strtod(v, &end) : NAN;
				if (!k || !v || end == v || *end || !(wt >= 0) || !isfinite(wt) || w->n >= RD_MAX_VARIANTS) {
					yaml_node_t *at = vn ? vn : kn;
					snprintf(err, errsz, "%s:%zu:%zu: experiment %s: a variant weight must be a number >= 0",
						file, at->start_mark.line + 1, at->start_mark.column + 1, name);
					rc = -1;
					break;
				}
				char **nn = realloc(w->names, (w->n + 1) * sizeof *nn);
				if (nn)
					w->names = nn;
				double *nw = realloc(w->weights, (w->n + 1) * sizeof *nw);
				if (nw)
					w->weights = nw;
				if (!nn || !nw || !(w->names[w->n] = strdup(k))) {
					snprintf(err, errsz, "out of memory");
					rc = -1;
					break;
				}
				w->weights[w->n++] = wt;
			}
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

static int yaml_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".yaml") == 0;
}

/* byte order, whatever the locale (alphasort uses strcoll) */
static int byte_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int rw_program_weights(const char *path, const char *name, rd_weights *w, char *err, size_t errsz)
{
	memset(w, 0, sizeof *w);
	struct stat sb;
	if (stat(path, &sb) < 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	int rc;
	if (!S_ISDIR(sb.st_mode)) {
		rc = from_file(path, name, w, err, errsz);
	} else {
		/* rules.md: program.yaml first, then the others in byte order */
		struct dirent **ents = NULL;
		int n = scandir(path, &ents, yaml_name, byte_order);
		if (n < 0) {
			snprintf(err, errsz, "%s: %s", path, strerror(errno));
			return -1;
		}
		rc = 1;
		char file[4096];
		snprintf(file, sizeof file, "%s/program.yaml", path);
		if (stat(file, &sb) == 0)
			rc = from_file(file, name, w, err, errsz);
		for (int i = 0; i < n && i < RW_MAX_FILES && rc == 1; i++) {
			if (strcmp(ents[i]->d_name, "program.yaml") == 0)
				continue;
			snprintf(file, sizeof file, "%s/%s", path, ents[i]->d_name);
			rc = from_file(file, name, w, err, errsz);
		}
		for (int i = 0; i < n; i++)
			free(ents[i]);
		free(ents);
	}
	if (rc != 0)
		rd_weights_free(w);
	if (rc == 1)
		snprintf(err, errsz, "%s: no experiment named %s", path, name);
	return rc;
}
