/* tests/unit/test-config.c — engine/config.c: defaults, every key of
 * running.md, and the exact "file:line:column: message" of bad files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/config.h"
#include "tests/unit/tap.h"

static char path[64];
static char err[1024];

static int load_text(config *c, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	config_free(c);
	config_defaults(c);
	err[0] = 0;
	return config_load(c, path, err, sizeof err);
}

static void bad(const char *text, const char *want_after_path)
{
	config c;
	config_defaults(&c);
	int rc = load_text(&c, text);
	char want[512];
	snprintf(want, sizeof want, "%s:%s", path, want_after_path);
	char name[64];
	size_t k = 0;
	for (const char *t = text; *t && k < sizeof name - 3; t++) {
		if (*t == '\n') {
			name[k++] = '\\';
			name[k++] = 'n';
		} else {
			name[k++] = *t;
		}
	}
	name[k] = 0;
	ok(rc == -1, "refused: %s", name);
	is_str(err, want, "  message");
	config_free(&c);
}

int main(void)
{
	snprintf(path, sizeof path, "/tmp/test-config-%d.yaml", (int)getpid());
	config c;
	config_defaults(&c);
	is_str(c.socket, CONFIG_DEFAULT_SOCKET, "default socket");
	is_int(c.socket_mode, 0660, "default mode 0660");
	is_int(c.max_line_bytes, 65536, "default max_line_bytes");
	is_int(c.max_connections, 1024, "default max_connections");
	is_int(c.idle_timeout_s, 0, "default idle timeout: never");
	is_int(c.durability, STORE_ALWAYS, "default durability always");
	is_int(c.batch_max_delay_ms, 2, "default batch delay");
	is_int(c.lua_instructions, 1000000, "default lua instructions");
	is_int(c.lua_memory_kb, 8192, "default lua memory");
	is_int(c.cache_mb, 256, "default cache");
	is_int(c.nadmin_uids, 0, "no admin uids besides our own");
	is_int(c.log_level, LOG_INFO, "default log level");

	ok(load_text(&c, "") == 0, "empty file: defaults");
	ok(load_text(&c, "# only a comment\n") == 0, "comment only");
	int rc = load_text(&c,
		"rules: ./program\n"
		"socket: /run/x.sock\n"
		"socket_mode: \"0600\"\n"
		"admin_uids: [0, 1000]\n"
		"admin_gids: [50]\n"
		"db: other.db\n"
		"durability: batch\n"
		"batch_max_delay_ms: 5\n"
		"max_line_bytes: 1024\n"
		"max_connections: 10\n"
		"idle_timeout_s: 30\n"
		"lua: {instructions: 5000, memory_kb: 1024}\n"
		"cache_mb: 16\n"
		"metrics_listen: \"127.0.0.1:9187\"\n"
		"log_level: debug\n"
		"tcp_listen: 127.0.0.1:7070\n");
	if (!ok(rc == 0, "every key"))
		tap_diag("%s", err);
	is_str(c.rules, "./program", "rules");
	is_str(c.socket, "/run/x.sock", "socket");
	is_int(c.socket_mode, 0600, "socket_mode");
	is_int(c.nadmin_uids, 2, "admin_uids");
	is_int(c.admin_uids[1], 1000, "  admin_uids[1]");
	is_int(c.nadmin_gids, 1, "admin_gids");
	is_int(c.admin_gids[0], 50, "  admin_gids[0]");
	is_str(c.db, "other.db", "db");
	is_int(c.durability, STORE_BATCH, "durability");
	is_int(c.batch_max_delay_ms, 5, "batch_max_delay_ms");
	is_int(c.max_line_bytes, 1024, "max_line_bytes");
	is_int(c.max_connections, 10, "max_connections");
	is_int(c.idle_timeout_s, 30, "idle_timeout_s");
	is_int(c.lua_instructions, 5000, "lua.instructions");
	is_int(c.lua_memory_kb, 1024, "lua.memory_kb");
	is_int(c.cache_mb, 16, "cache_mb");
	is_str(c.metrics_listen, "127.0.0.1:9187", "metrics_listen");
	is_int(c.log_level, LOG_DEBUG, "log_level");
	is_str(c.tcp_listen, "127.0.0.1:7070", "tcp_listen");

	ok(load_text(&c, "socket_mode: 0640\n") == 0 && c.socket_mode == 0640, "plain 0640 read as octal");
	ok(load_text(&c, "durability: off\n") == 0 && c.durability == STORE_OFF, "durability off");
	ok(load_text(&c, "store: postgresql://db/x\n") == 0 && strcmp(c.store_url, "postgresql://db/x") == 0, "store url");
	config_free(&c);

	bad("max_connections: 10\nfrobnicate: 1\n", "2:1: unknown key frobnicate");
	bad("max_connections: lots\n", "1:18: max_connections must be an integer from 1 to 1000000");
	bad("max_connections: 0\n", "1:18: max_connections must be an integer from 1 to 1000000");
	bad("max_connections: \"10\"\n", "1:18: max_connections must be an integer from 1 to 1000000");
	bad("max_line_bytes: [1]\n", "1:17: max_line_bytes must be an integer from 64 to 67108864");
	bad("durability: sometimes\n", "1:13: durability must be always, batch or off");
	bad("log_level: loud\n", "1:12: log_level must be error, warn, info or debug");
	bad("socket_mode: rw\n", "1:14: socket_mode must be an octal mode such as \"0660\"");
	bad("socket_mode: \"0999\"\n", "1:14: socket_mode must be an octal mode such as \"0660\"");
	bad("admin_uids: 0\n", "1:13: admin_uids must be a list of integers");
	bad("admin_uids: [0, root]\n", "1:17: admin_uids[1] must be an integer from 0 to 4294967294");
	bad("lua: 5\n", "1:6: lua must be a mapping {instructions: N, memory_kb: N}");
	bad("lua:\n  instructions: 5000\n  stack: 3\n", "3:3: unknown key lua.stack");
	/* a complex key spanning lines (found by fuzz-config): the error stays
	 * one line, the key's line break escaped */
	bad("? rules\n\n  - 0..", "1:3: unknown key rules\\n- 0..");
	bad("lua: {instructions: 10}\n", "1:21: lua.instructions must be an integer from 1000 to 1000000000000");
	bad("socket: [a]\n", "1:9: socket must be a string");
	bad("- a\n- b\n", "1:1: the config must be one mapping of settings");
	bad("rules: x\n---\nrules: y\n", "3:1: the config must be one mapping of settings");
	bad("a: &x 1\n", "1:4: anchors and aliases are not allowed in the config");
	/* a second setting silently overrode the first, and "\0" cut a string
	 * short (found by probing what tests/fuzz/fuzz-config reaches) */
	bad("rules: a\nsocket: /s\nrules: b\n", "3:1: duplicate key rules");
	bad("lua: {instructions: 5000, instructions: 6000}\n", "1:27: duplicate key lua.instructions");
	bad("lua: {memory_kb: 1024}\nlua: {memory_kb: 2048}\n", "2:1: duplicate key lua");
	bad("socket: \"/run/a\\0b\"\n", "1:9: a NUL character is not allowed in the config");
	bad("max_connections: \"1\\0x\"\n", "1:18: a NUL character is not allowed in the config");
	bad("rules: \"x\n", "2:1: found unexpected end of stream");
	bad("rules: x\n  bad indent: y\n", "2:13: mapping values are not allowed in this context");

	config_defaults(&c);
	err[0] = 0;
	ok(config_load(&c, "/nonexistent/x.yaml", err, sizeof err) == -1, "missing file");
	is_str(err, "/nonexistent/x.yaml:0:0: cannot open: No such file or directory", "  message");
	config_free(&c);
	unlink(path);
	return tap_done();
}
