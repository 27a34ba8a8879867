/* engine/report_render.h — the three renderings of an experiment report:
 * text for a terminal (report_text.c), a self-contained HTML page with SVG
 * charts (report_html.c) and JSON for machines (report_json.c). Each only
 * formats an rc_report; none computes a figure or reads the store. */
#ifndef ENGINE_REPORT_RENDER_H
#define ENGINE_REPORT_RENDER_H

#include <stdio.h>

#include "engine/report_calc.h"

typedef struct rr_opts {
	int minor_digits;      /* decimals of the currency (2 for INR, EUR; 0 for JPY) */
	const char *weights_from; /* where the weights came from, for the reader; NULL: none */
} rr_opts;

/* 0, or -1 when writing failed. */
int rr_text(FILE *out, const rc_report *r, const rr_opts *o);
int rr_html(FILE *out, const rc_report *r, const rr_opts *o);
int rr_json(FILE *out, const rc_report *r, const rr_opts *o);

/* The one-paragraph sample-ratio-mismatch warning (no trailing newline),
 * shared by stderr, the text banner and the HTML banner. */
void rr_srm_message(const rc_report *r, char *buf, size_t n);

#endif
