/* engine/loyaltyd.c — the daemon main (running.md, "loyaltyd"): flags over
 * the config file over defaults, then the program, then the store, and
 * only then the socket, so that "ready" means "loaded". Exit 2 for a bad
 * command line, config or program at start; 1 for anything else. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include <config.h>
#include "engine/config.h"
#include "engine/log.h"
#include "engine/server.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: loyaltyd --rules PATH --socket PATH [--db FILE | --store URL] [--config FILE]\n"
		"                [--daemonize] [--pidfile FILE] [--log-level LEVEL]\n"
		"  --rules PATH      the rule program (a YAML file or a directory)\n"
		"  --socket PATH     the Unix socket to listen on (default %s)\n"
		"  --db FILE         the SQLite store (default %s)\n"
		"  --store URL       a shared store (postgresql://...)\n"
		"  --config FILE     YAML settings; flags override them\n"
		"  --daemonize       detach from the terminal (logs still go to stderr)\n"
		"  --pidfile FILE    write the process id there\n"
		"  --help, --version\n",
		CONFIG_DEFAULT_SOCKET, CONFIG_DEFAULT_DB);
}

static int write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		log_error("pidfile %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "socket", required_argument, NULL, 's' },
		{ "db", required_argument, NULL, 'd' },
		{ "store", required_argument, NULL, 'S' },
		{ "config", required_argument, NULL, 'c' },
		{ "daemonize", no_argument, NULL, 'D' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *o_rules = NULL, *o_socket = NULL, *o_db = NULL, *o_store = NULL;
	const char *o_config = NULL, *o_pidfile = NULL, *o_level = NULL;
	bool daemonize = false;
	int ch;
	while ((ch = getopt_long(argc, argv, "r:s:d:S:c:Dp:l:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': o_rules = optarg; break;
		case 's': o_socket = optarg; break;
		case 'd': o_db = optarg; break;
		case 'S': o_store = optarg; break;
		case 'c': o_config = optarg; break;
		case 'D': daemonize = true; break;
		case 'p': o_pidfile = optarg; break;
		case 'l': o_level = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("loyaltyd %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "loyaltyd: unexpected argument: %s\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	config cfg;
	config_defaults(&cfg);
	if (o_config) {
		char err[1024];
		if (config_load(&cfg, o_config, err, sizeof err) != 0) {
			fprintf(stderr, "%s\n", err);
			config_free(&cfg);
			return 2;
		}
	}
	if (o_rules)
		config_set_str(&cfg.rules, o_rules);
	if (o_socket)
		config_set_str(&cfg.socket, o_socket);
	if (o_db) {
		config_set_str(&cfg.db, o_db);
		config_set_str(&cfg.store_url, NULL);
	}
	if (o_store) {
		config_set_str(&cfg.store_url, o_store);
		config_set_str(&cfg.db, NULL);
	}
	if (o_level && log_parse_level(o_level, &cfg.log_level) != 0) {
		fprintf(stderr, "loyaltyd: --log-level must be error, warn, info or debug\n");
		config_free(&cfg);
		return 2;
	}
	log_current = cfg.log_level;
	if (!cfg.rules || !*cfg.rules) {
		fprintf(stderr, "loyaltyd: no rule program: give --rules PATH (or rules: in the config)\n");
		usage(stderr);
		config_free(&cfg);
		return 2;
	}
	if (cfg.store_url && *cfg.store_url) {
		if (strncmp(cfg.store_url, "postgresql://", 13) == 0 || strncmp(cfg.store_url, "postgres://", 11) == 0)
			fprintf(stderr, "loyaltyd: %s: PostgreSQL store not built yet\n", cfg.store_url);
		else
			fprintf(stderr, "loyaltyd: %s: unknown store URL (want postgresql://...)\n", cfg.store_url);
		config_free(&cfg);
		return 2;
	}
	if (!cfg.db || !*cfg.db)
		config_set_str(&cfg.db, CONFIG_DEFAULT_DB);

	/* the program first: a bad one is a start error, exit 2 */
	prog_limits lim = { .lua_instructions = cfg.lua_instructions, .lua_memory_kb = cfg.lua_memory_kb };
	prog_errors errs = { 0 };
	program *prog = program_load(cfg.rules, &lim, &errs);
	if (!prog) {
		if (errs.n)
			prog_errors_print(&errs, stderr);
		else
			fprintf(stderr, "%s:0:0: cannot load the rule program\n", cfg.rules);
		prog_errors_free(&errs);
		config_free(&cfg);
		return 2;
	}

	if (daemonize && daemon(1, 1) != 0) {
		log_error("daemonize: %s", strerror(errno));
		program_free(prog);
		config_free(&cfg);
		return 1;
	}

	struct event_base *base = event_base_new();
	if (!base) {
		log_error("cannot create the event loop");
		program_free(prog);
		config_free(&cfg);
		return 1;
	}
	store_config scfg = {
		.db_path = cfg.db,
		.durability = cfg.durability,
		.batch_max_delay_ms = cfg.batch_max_delay_ms,
		.cache_mb = cfg.cache_mb,
	};
	char err[512] = "";
	store *st = store_open(base, &scfg, err, sizeof err);
	if (!st) {
		log_error("store: %s", err);
		program_free(prog);
		event_base_free(base);
		config_free(&cfg);
		return 1;
	}

	server srv;
	int rc = 1;
	if (server_init(&srv, &cfg, base, st, prog) != 0) {
		log_error("cannot set up the server");
		store_close(st);
		srv.store = NULL;
	} else if (o_pidfile && write_pidfile(o_pidfile) != 0) {
		/* before the socket: whoever sees it ready finds the pid too */
		store_close(st);
		srv.store = NULL;
	} else if (server_listen(&srv) != 0) {
		store_close(st);
		srv.store = NULL;
	} else {
		rc = server_run(&srv);
	}
	server_free(&srv);
	event_base_free(base);
	if (o_pidfile)
		unlink(o_pidfile);
	config_free(&cfg);
	return rc;
}
