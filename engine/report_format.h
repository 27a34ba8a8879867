/* engine/report_format.h — how the report's numbers read to a person: money
 * in major units with thousands separators, percentages, p-values, UTC
 * dates. Shared by the text and HTML renderers (JSON gives raw numbers).
 * Every function writes a NUL-terminated string into buf (truncated to n)
 * and returns buf; NaN becomes "n/a". No I/O. */
#ifndef ENGINE_REPORT_FORMAT_H
#define ENGINE_REPORT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* Minor units (possibly fractional, a mean) as major units: 1234567 with
 * digits 2 → "12,345.67". digits is 0..6. */
char *rf_money(char *buf, size_t n, double minor, int digits);
/* The same with an explicit sign: "+1.20", "-0.35". */
char *rf_money_signed(char *buf, size_t n, double minor, int digits);
/* 1234567 → "1,234,567" */
char *rf_int(char *buf, size_t n, int64_t v);
/* A plain number with thousands separators and `decimals` decimals. */
char *rf_num(char *buf, size_t n, double v, int decimals);
/* 0.1234 → "12.3%"; signed: "+1.2%" */
char *rf_pct(char *buf, size_t n, double share);
char *rf_pct_signed(char *buf, size_t n, double share);
/* p-values: "0.0123", "0.427", "< 0.0001" */
char *rf_p(char *buf, size_t n, double p);
/* Unix seconds → "YYYY-MM-DD" (UTC) */
char *rf_date(char *buf, size_t n, int64_t ts);

#endif
