/* engine/log.h — leveled logging to stderr for the daemon (running.md: it
 * runs in the foreground and logs to stderr, a service manager's habit).
 * One line per message, prefixed with the level; nothing is buffered. */
#ifndef ENGINE_LOG_H
#define ENGINE_LOG_H

typedef enum log_level {
	LOG_ERROR = 0,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
} log_level;

extern log_level log_current;

/* "error" | "warn" | "info" | "debug" → 0 and *out; -1 when unknown. */
int log_parse_level(const char *s, log_level *out);
void log_msg(log_level lv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  do { if (log_current >= LOG_INFO) log_msg(LOG_INFO, __VA_ARGS__); } while (0)
#define log_debug(...) do { if (log_current >= LOG_DEBUG) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
