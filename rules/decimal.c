/* rules/decimal.c — percents, multipliers and traffic as exact hundredths,
 * read from the YAML scalar's text. Never through double: 0.29 must be 29,
 * and "12.345" must be refused, not rounded. */
#include <stdint.h>

#include "rules/prog_impl.h"

int rl_decimal_x100(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	int64_t v = 0;
	int ndig = 0, nfrac = 0;
	bool neg = false;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, ndig++) {
		if (v > (INT64_MAX / 100 - 9) / 10)
			return -3;
		v = v * 10 + (s[i] - '0');
	}
	v *= 100;
	if (i < n && s[i] == '.') {
		i++;
		int scale = 10;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, nfrac++) {
			if (nfrac >= 2) {
				if (s[i] != '0')
					return -2;
				continue; /* 1.500 is 1.5: trailing zeros add nothing */
			}
			v += (s[i] - '0') * scale;
			scale /= 10;
		}
		if (nfrac == 0 && ndig == 0)
			return -1;
	}
	if (i != n || (ndig == 0 && nfrac == 0))
		return -1;
	*out = neg ? -v : v;
	return 0;
}
