/* lang/oneline.h — error messages are one line ("file:line:column:
 * message"), but a key or value quoted in one may span lines (a YAML
 * complex key, a folded scalar). oneline() copies a message with its
 * control bytes escaped (\n, \t, \xHH); used by every loader's error
 * collector, not by each message. */
#ifndef LANG_ONELINE_H
#define LANG_ONELINE_H

#include <stddef.h>
#include <stdio.h>

/* dst gets src escaped, cut to cap - 1 bytes (never in the middle of an
 * escape) and NUL-terminated; cap >= 1. */
static inline void oneline(char *dst, size_t cap, const char *src)
{
	size_t o = 0;
	for (const unsigned char *c = (const unsigned char *)src; *c; c++) {
		char esc[8];
		int n;
		if (*c == '\n')
			n = snprintf(esc, sizeof esc, "\\n");
		else if (*c == '\t')
			n = snprintf(esc, sizeof esc, "\\t");
		else if (*c < 0x20 || *c == 0x7f)
			n = snprintf(esc, sizeof esc, "\\x%02x", *c);
		else {
			esc[0] = (char)*c;
			n = 1;
		}
		if (o + (size_t)n >= cap)
			break;
		for (int i = 0; i < n; i++)
			dst[o++] = esc[i];
	}
	dst[o] = '\0';
}

#endif
