/* rules/yaml_doc.h — a YAML file as a small tree of nodes that remember where
 * they start (line, column, 1-based), built from libyaml's event stream.
 *
 * Only what rule programs need: scalars (with their style, so that the 1.2
 * core schema can be applied by the reader: only plain true/false are
 * booleans), sequences and mappings. Anchors and aliases, multiple documents
 * and non-string keys are refused here with a position. It knows nothing
 * about loyalty programs; rules/load_yaml.c gives the tree its meaning. */
#ifndef RULES_YAML_DOC_H
#define RULES_YAML_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lang/arena.h"

typedef enum yd_kind { YD_SCALAR, YD_SEQ, YD_MAP } yd_kind;

typedef struct yd_node yd_node;
struct yd_node {
	yd_kind kind;
	int line, col;      /* where the node starts */
	/* scalars */
	const char *s;      /* NUL-terminated, n bytes */
	size_t n;
	bool plain;         /* plain style: subject to the core schema */
	int text_line;      /* where the scalar's text starts (block scalars: */
	int text_col;       /* the first content line), for expression positions */
	int cont_col;       /* column of continuation lines (block scalars), 0 = 1 */
	/* sequences: items; mappings: keys at even, values at odd indexes */
	yd_node **v;
	uint32_t nv;
};

/* Parse buf (n bytes). Returns 0 and *root (NULL for an empty file), or -1
 * with the position and message of the first syntax error. All memory comes
 * from mem. Nesting deeper than YD_MAX_DEPTH is an error. */
#define YD_MAX_DEPTH 64
int yd_parse(const char *buf, size_t n, arena *mem, yd_node **root,
	int *eline, int *ecol, char *emsg, size_t emsgsz);

/* Mapping lookup by key (first match); NULL when absent. */
yd_node *yd_get(const yd_node *map, const char *key);

/* Core-schema helpers. */
bool yd_is_null(const yd_node *n);     /* plain null ~ or empty, or absent */
bool yd_is_bool(const yd_node *n, bool *out); /* plain true / false only */
bool yd_is_int(const yd_node *n, int64_t *out); /* plain decimal integer */

#endif
