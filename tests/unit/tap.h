/* tests/unit/tap.h — the smallest TAP producer for C unit tests: each check
 * prints "ok N - name" or "not ok N - name" with the values that differed,
 * and tap_done() prints the plan and returns the exit status. automake's
 * tap-driver.sh counts every check, so `make check` reports cases, not
 * programs. Header-only so that every test is one file. */
#ifndef TESTS_TAP_H
#define TESTS_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline bool tap_ok(bool cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline bool tap_ok(bool cond, const char *fmt, ...)
{
	va_list ap;
	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

#define ok(cond, ...) tap_ok((cond), __VA_ARGS__)

#define is_int(got, want, ...) do { \
	int64_t g_ = (int64_t)(got), w_ = (int64_t)(want); \
	if (!tap_ok(g_ == w_, __VA_ARGS__)) \
		printf("#   got %" PRId64 ", want %" PRId64 " (%s:%d)\n", g_, w_, __FILE__, __LINE__); \
} while (0)

#define is_str(got, want, ...) do { \
	const char *g_ = (got), *w_ = (want); \
	bool e_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_; \
	if (!tap_ok(e_, __VA_ARGS__)) \
		printf("#   got  \"%s\"\n#   want \"%s\" (%s:%d)\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)", __FILE__, __LINE__); \
} while (0)

static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
