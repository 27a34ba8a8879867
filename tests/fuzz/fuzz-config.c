/* tests/fuzz/fuzz-config.c — libFuzzer target for engine/config.c: any
 * bytes as loyaltyd's --config file, loaded over the defaults. Beyond "no
 * crash, no leak, no UB" it checks what the daemon relies on: a refused
 * file gives a one-line "file:line:column: message" error; an accepted one
 * leaves every setting inside the bounds running.md gives it.
 * Build: configure CC=clang --enable-fuzzing; run:
 *   tests/fuzz/fuzz-config -dict=tests/fuzz/config.dict tests/fuzz/corpus-config */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void check(bool cond)
{
	if (!cond)
		abort();
}

static void cleanup(void)
{
	unlink(path);
}

static void check_config(const config *c)
{
	check(c->socket && c->metrics_listen && c->tcp_listen);
	check(c->socket_mode <= 07777);
	check(c->nadmin_uids <= CONFIG_MAX_ADMIN_IDS && c->nadmin_gids <= CONFIG_MAX_ADMIN_IDS);
	check(c->max_line_bytes >= 64 && c->max_line_bytes <= 67108864);
	check(c->max_connections >= 1 && c->max_connections <= 1000000);
	check(c->lua_instructions >= 1000);
	check(c->batch_max_delay_ms >= 0);
	check(c->durability == STORE_ALWAYS || c->durability == STORE_BATCH || c->durability == STORE_OFF);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!path[0]) {
		snprintf(path, sizeof path, "/tmp/fuzz-config-%d.yaml", (int)getpid());
		atexit(cleanup);
	}
	if (size > 1 << 20)
		return 0;
	FILE *f = fopen(path, "wb");
	check(f != NULL);
	check(fwrite(data, 1, size, f) == size);
	check(fclose(f) == 0);
	config c;
	char err[512];
	err[0] = 0;
	config_defaults(&c);
	if (config_load(&c, path, err, sizeof err) == 0)
		check_config(&c);
	else
		check(strncmp(err, path, strlen(path)) == 0 && strchr(err, '\n') == NULL);
	config_free(&c);
	return 0;
}
