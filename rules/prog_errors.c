/* rules/prog_errors.c — the list of load errors of a program: collected
 * from every file, then sorted by (file, line, column) and cut to the first
 * RL_MAX_ERRORS, so that one bad file cannot hide the order of the others. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/oneline.h"
#include "rules/prog_impl.h"

/* Collect a few more than we report: the ones kept are the first after
 * sorting, whatever order files were checked in. */
#define RL_ERR_COLLECT 4096

void rl_err_add(prog_errors *errs, const char *file, int line, int col, const char *fmt, ...)
{
	if (!errs || errs->n >= RL_ERR_COLLECT)
		return;
	if ((errs->n & (errs->n - 1)) == 0) { /* 0, 1, 2, 4, ...: grow */
		size_t cap = errs->n ? errs->n * 2 : 1;
		prog_error *v = realloc(errs->v, cap * sizeof *v);
		if (!v)
			return;
		errs->v = v;
	}
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	char one[sizeof buf * 4];
	oneline(one, sizeof one, buf);
	prog_error *e = &errs->v[errs->n];
	e->file = strdup(file ? file : "");
	e->message = strdup(one);
	e->line = line > 0 ? line : 1;
	e->col = col > 0 ? col : 1;
	if (!e->file || !e->message) {
		free(e->file);
		free(e->message);
		return;
	}
	errs->n++;
}

static int cmp_err(const void *a, const void *b)
{
	const prog_error *x = a, *y = b;
	int c = strcmp(x->file, y->file);
	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return strcmp(x->message, y->message);
}

void rl_err_sort(prog_errors *errs)
{
	if (!errs || errs->n == 0)
		return;
	qsort(errs->v, errs->n, sizeof *errs->v, cmp_err);
	/* the same error found twice (e.g. one name declared in two ways) once */
	size_t w = 1;
	for (size_t r = 1; r < errs->n; r++) {
		if (cmp_err(&errs->v[w - 1], &errs->v[r]) == 0) {
			free(errs->v[r].file);
			free(errs->v[r].message);
			continue;
		}
		errs->v[w++] = errs->v[r];
	}
	errs->n = w;
	while (errs->n > RL_MAX_ERRORS) {
		errs->n--;
		free(errs->v[errs->n].file);
		free(errs->v[errs->n].message);
	}
}

void prog_errors_free(prog_errors *errs)
{
	if (!errs)
		return;
	for (size_t i = 0; i < errs->n; i++) {
		free(errs->v[i].file);
		free(errs->v[i].message);
	}
	free(errs->v);
	errs->v = NULL;
	errs->n = 0;
}

void prog_errors_print(const prog_errors *errs, FILE *out)
{
	if (!errs)
		return;
	for (size_t i = 0; i < errs->n; i++)
		fprintf(out, "%s:%d:%d: %s\n", errs->v[i].file, errs->v[i].line,
			errs->v[i].col, errs->v[i].message);
}
