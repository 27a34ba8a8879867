/* engine/report_format.c — number formatting for the report's readers (see
 * report_format.h). Owns rounding for display only; figures themselves are
 * computed in report_calc.c. */
#include "engine/report_format.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *na(char *buf, size_t n)
{
	snprintf(buf, n, "n/a");
	return buf;
}

/* Inserts thousands separators into the integer part of a formatted
 * number (optional sign, digits, optional fraction). */
static char *group(char *buf, size_t n, const char *plain)
{
	const char *p = plain;
	size_t o = 0;
	char tmp[96];
	if (*p == '-' || *p == '+')
		tmp[o++] = *p++;
	size_t intlen = strspn(p, "0123456789");
	for (size_t i = 0; i < intlen && o < sizeof tmp - 2; i++) {
		if (i > 0 && (intlen - i) % 3 == 0)
			tmp[o++] = ',';
		tmp[o++] = p[i];
	}
	snprintf(tmp + o, sizeof tmp - o, "%s", p + intlen);
	snprintf(buf, n, "%s", tmp);
	return buf;
}

char *rf_num(char *buf, size_t n, double v, int decimals)
{
	if (!isfinite(v))
		return (char *)na(buf, n);
	char plain[64];
	if (decimals < 0)
		decimals = 0;
	if (decimals > 6)
		decimals = 6;
	if (fabs(v) >= 1e18) {
		snprintf(buf, n, "%.3g", v);
		return buf;
	}
	snprintf(plain, sizeof plain, "%.*f", decimals, v);
	if (strcmp(plain, "-0") == 0 || strncmp(plain, "-0.", 3) == 0) {
		/* "-0.00" reads as a loss; it is a rounding artefact */
		bool zero = strspn(plain + 1, "0.") == strlen(plain + 1);
		if (zero)
			memmove(plain, plain + 1, strlen(plain));
	}
	return group(buf, n, plain);
}

char *rf_money(char *buf, size_t n, double minor, int digits)
{
	if (digits < 0)
		digits = 0;
	if (digits > 6)
		digits = 6;
	return rf_num(buf, n, minor / pow(10, digits), digits);
}

char *rf_money_signed(char *buf, size_t n, double minor, int digits)
{
	char t[64];
	rf_money(t, sizeof t, minor, digits);
	if (!isfinite(minor) || t[0] == '-')
		snprintf(buf, n, "%s", t);
	else
		snprintf(buf, n, "+%s", t);
	return buf;
}

char *rf_int(char *buf, size_t n, int64_t v)
{
	char plain[32];
	snprintf(plain, sizeof plain, "%lld", (long long)v);
	return group(buf, n, plain);
}

char *rf_pct(char *buf, size_t n, double share)
{
	if (!isfinite(share))
		return (char *)na(buf, n);
	snprintf(buf, n, "%.1f%%", share * 100);
	return buf;
}

char *rf_pct_signed(char *buf, size_t n, double share)
{
	if (!isfinite(share))
		return (char *)na(buf, n);
	snprintf(buf, n, "%+.1f%%", share * 100);
	return buf;
}

char *rf_p(char *buf, size_t n, double p)
{
	if (!isfinite(p))
		return (char *)na(buf, n);
	if (p < 0.0001)
		snprintf(buf, n, "< 0.0001");
	else if (p < 0.01)
		snprintf(buf, n, "%.4f", p);
	else
		snprintf(buf, n, "%.3f", p);
	return buf;
}

char *rf_date(char *buf, size_t n, int64_t ts)
{
	time_t t = (time_t)ts;
	struct tm tm;
	if (!gmtime_r(&t, &tm))
		return (char *)na(buf, n);
	snprintf(buf, n, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	return buf;
}
