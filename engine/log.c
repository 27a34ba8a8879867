/* engine/log.c — see log.h. Writes whole lines with one fprintf so lines
 * from the reload thread and the event loop do not interleave mid-line. */
#include <config.h>

#include "engine/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

log_level log_current = LOG_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

int log_parse_level(const char *s, log_level *out)
{
	for (int i = 0; i <= LOG_DEBUG; i++)
		if (strcmp(s, level_names[i]) == 0) {
			*out = (log_level)i;
			return 0;
		}
	return -1;
}

void log_msg(log_level lv, const char *fmt, ...)
{
	if (lv > log_current)
		return;
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	fprintf(stderr, "loyaltyd: %s: %s\n", level_names[lv], buf);
}
