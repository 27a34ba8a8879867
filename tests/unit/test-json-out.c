/* tests/unit/test-json-out.c — engine/json_out.h writes the answers' and
 * the store's JSON by hand (for speed) and promises exactly yajl_gen's
 * bytes. This holds it to that: strings of every byte value, hand-picked
 * and random, escaped by jo_escape and by yajl_gen (as engine/reply.c
 * configures it: no beautify, no UTF-8 validation) must be identical, and
 * so must integers at the int64 edges. */
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "engine/json_out.h"
#include "tests/unit/tap.h"

/* yajl_gen's text for one string, without its quotes */
static size_t yajl_string(const char *s, size_t n, char *out, size_t cap)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	yajl_gen_string(g, (const unsigned char *)s, n);
	const unsigned char *buf;
	size_t len;
	yajl_gen_get_buf(g, &buf, &len);
	size_t m = len >= 2 && len - 2 < cap ? len - 2 : 0;
	memcpy(out, buf + 1, m);
	yajl_gen_free(g);
	return m;
}

static bool same_as_yajl(const char *s, size_t n)
{
	static char a[6 * 512], b[6 * 512 + 2];
	size_t na = jo_escape(a, s, n);
	size_t nb = yajl_string(s, n, b, sizeof b);
	return na == nb && memcmp(a, b, na) == 0;
}

static bool int_same_as_yajl(int64_t v)
{
	char buf[32];
	char *end = buf + sizeof buf, *p = jo_i64(end, v);
	yajl_gen g = yajl_gen_alloc(NULL);
	yajl_gen_integer(g, v);
	const unsigned char *yb;
	size_t len;
	yajl_gen_get_buf(g, &yb, &len);
	bool same = len == (size_t)(end - p) && memcmp(yb, p, len) == 0;
	yajl_gen_free(g);
	return same;
}

int main(void)
{
	/* each byte value alone: controls, quote, backslash, solidus, DEL,
	 * bytes >= 0x80 */
	int bad = 0;
	for (int c = 0; c < 256; c++) {
		char s[1] = { (char)c };
		bad += !same_as_yajl(s, 1);
	}
	is_int(bad, 0, "every byte value alone escapes as yajl_gen escapes it");

	static const char *const cases[] = {
		"", "plain", "a\"b", "back\\slash", "tab\there", "new\nline\r\n", "a/b",
		"\x01\x1f\x7f", "caf\xc3\xa9", "\xff\xfe broken utf-8", "\"\"\"\\\\\\",
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ok(same_as_yajl(cases[i], strlen(cases[i])), "case %zu escapes as yajl_gen", i);

	/* random strings weighted towards the bytes that need escaping */
	srand(12345);
	bad = 0;
	for (int k = 0; k < 20000; k++) {
		char s[512];
		size_t n = (size_t)(rand() % (int)sizeof s);
		for (size_t i = 0; i < n; i++) {
			int r = rand() % 8;
			s[i] = r == 0 ? (char)(rand() % 32) : r == 1 ? '"' : r == 2 ? '\\' : (char)(rand() % 256);
		}
		bad += !same_as_yajl(s, n);
	}
	is_int(bad, 0, "20,000 random strings escape as yajl_gen escapes them");

	static const int64_t ints[] = { 0, 1, -1, 9, 10, -10, 123456789, INT64_MAX, INT64_MIN,
		INT64_MIN + 1, 1000000000000000000LL };
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
		ok(int_same_as_yajl(ints[i]), "integer %lld written as yajl_gen writes it", (long long)ints[i]);
	bad = 0;
	for (int k = 0; k < 20000; k++) {
		int64_t v = (int64_t)(((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 11) ^ (uint64_t)rand());
		bad += !int_same_as_yajl(k % 2 ? v : (int64_t)(0 - (uint64_t)v));
	}
	is_int(bad, 0, "20,000 random integers written as yajl_gen writes them");
	return tap_done();
}
