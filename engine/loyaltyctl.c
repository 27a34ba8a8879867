/* engine/loyaltyctl.c — the CLI (running.md, "loyaltyctl"): `check` loads
 * a program with the daemon's own loader; `send`, `ping`, `stats`,
 * `reload`, `customer` talk to a running daemon over its socket; `import`,
 * `export`, `simulate`, `experiments` are dispatched to engine/ctl_*.c.
 *
 * Answers go to stdout as the daemon's JSON lines, or, when stdout is a
 * terminal, as indented "key: value" text. Exit 0 when the daemon said ok,
 * 1 when it answered an error or could not be reached, 2 on bad usage. */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "engine/config.h"
#include "engine/ctl.h"
#include "rules/program.h"

ctl_opts ctl_global;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: loyaltyctl check PATH\n"
		"       loyaltyctl [--socket PATH] send | ping | stats | reload | customer ID\n"
		"       loyaltyctl simulate --rules PATH --input FILE [--compare PATH]\n"
		"       loyaltyctl [--db FILE | --store URL] experiments report NAME [--html FILE]\n"
		"       loyaltyctl [--db FILE | --store URL] import FILE | export [FILE]\n"
		"--socket defaults to $LOYALTYD_SOCKET, else %s\n", CONFIG_DEFAULT_SOCKET);
}

static int ctl_check(int argc, char **argv)
{
	if (argc != 2) {
		usage(stderr);
		return 2;
	}
	prog_errors errs = { 0 };
	program *p = program_load(argv[1], NULL, &errs);
	if (!p) {
		if (errs.n)
			prog_errors_print(&errs, stderr);
		else
			fprintf(stderr, "%s:0:0: cannot load the program\n", argv[1]);
		prog_errors_free(&errs);
		return 1;
	}
	printf("%s: ok, program %s, %u rules, rules_version %s\n", argv[1], program_name(p),
		program_nrules(p), program_version(p));
	uint32_t compiled, total;
	program_lua_compiled(p, &compiled, &total);
	if (total) {
		/* Lua functions that stay Lua calls are the slow ones: say which */
		printf("%s: %u of %u Lua functions compiled into expressions\n", argv[1], compiled, total);
		const char *why;
		for (uint32_t i = 0; (why = program_lua_uncompiled(p, i)) != NULL; i++)
			printf("%s: runs in Lua\n", why);
	}
	program_free(p);
	return 0;
}

static int connect_socket(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(ctl_global.socket) >= sizeof sun.sun_path) {
		fprintf(stderr, "loyaltyctl: socket path too long: %s\n", ctl_global.socket);
		return -1;
	}
	strcpy(sun.sun_path, ctl_global.socket);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		fprintf(stderr, "loyaltyctl: cannot connect to %s: %s\n", ctl_global.socket, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* `send`: stdin to the socket and the socket to stdout at once (pipelined:
 * requests are not held back waiting for answers); after stdin ends, the
 * write side is shut and every answer still due is read. */
static int ctl_send(int argc, char **argv)
{
	int fd = connect_socket();
	if (fd < 0)
		return 1;
	char buf[65536];
	bool in_open = true;
	int rc = 0;
	for (;;) {
		struct pollfd p[2] = { { fd, POLLIN, 0 }, { 0, POLLIN, 0 } };
		int np = in_open ? 2 : 1;
		if (poll(p, (nfds_t)np, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = 1;
			break;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(fd, buf, sizeof buf);
			if (n <= 0)
				break;
			if (write_all(1, buf, (size_t)n) != 0) {
				rc = 1;
				break;
			}
		}
		if (in_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t n = read(0, buf, sizeof buf);
			if (n <= 0) {
				in_open = false;
				shutdown(fd, SHUT_WR);
			} else if (write_all(fd, buf, (size_t)n) != 0) {
				/* the daemon closed (too_large, stop): keep reading
				 * what it still has to say */
				fprintf(stderr, "loyaltyctl: write to %s: %s\n", ctl_global.socket, strerror(errno));
				rc = 1;
				in_open = false;
			}
		}
	}
	close(fd);
	return rc;
}

/* ---- one request, one answer ---- */

static void pretty(const yajl_val v, int indent, bool in_list);

static void pretty_scalar(const yajl_val v)
{
	if (YAJL_IS_STRING(v))
		printf("%s", v->u.string);
	else if (YAJL_IS_NUMBER(v))
		printf("%s", v->u.number.r);
	else if (YAJL_IS_TRUE(v))
		printf("yes");
	else if (YAJL_IS_FALSE(v))
		printf("no");
	else
		printf("-");
}

static bool is_scalar(const yajl_val v)
{
	return !YAJL_IS_OBJECT(v) && !YAJL_IS_ARRAY(v);
}

/* Indented "key: value" lines: readable at a terminal, not for parsing
 * (scripts get JSON when stdout is not a terminal). */
static void pretty(const yajl_val v, int indent, bool in_list)
{
	if (YAJL_IS_OBJECT(v)) {
		if (v->u.object.len == 0) {
			printf("%*s(none)\n", indent, "");
			return;
		}
		for (size_t i = 0; i < v->u.object.len; i++) {
			yajl_val x = v->u.object.values[i];
			printf("%*s%s%s:", in_list && i == 0 ? indent - 2 : indent, "", in_list && i == 0 ? "- " : "",
				v->u.object.keys[i]);
			if (is_scalar(x)) {
				printf(" ");
				pretty_scalar(x);
				printf("\n");
			} else if (YAJL_IS_ARRAY(x) && x->u.array.len == 0) {
				printf(" (none)\n");
			} else {
				printf("\n");
				pretty(x, indent + 2, false);
			}
		}
	} else if (YAJL_IS_ARRAY(v)) {
		for (size_t i = 0; i < v->u.array.len; i++) {
			yajl_val x = v->u.array.values[i];
			if (is_scalar(x)) {
				printf("%*s- ", indent, "");
				pretty_scalar(x);
				printf("\n");
			} else {
				pretty(x, indent + 2, true);
			}
		}
	} else {
		printf("%*s", indent, "");
		pretty_scalar(v);
		printf("\n");
	}
}

static int request_one(const char *line)
{
	int fd = connect_socket();
	if (fd < 0)
		return 1;
	if (write_all(fd, line, strlen(line)) != 0) {
		fprintf(stderr, "loyaltyctl: write: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	shutdown(fd, SHUT_WR);
	size_t cap = 65536, len = 0;
	char *ans = malloc(cap);
	for (;;) {
		if (len + 4096 > cap) {
			if (cap > (256u << 20))
				break;
			cap *= 2;
			char *n = realloc(ans, cap);
			if (!n)
				break;
			ans = n;
		}
		ssize_t n = read(fd, ans + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(ans + len - (size_t)n, '\n', (size_t)n))
			break;
	}
	close(fd);
	ans[len] = 0;
	char *nl = strchr(ans, '\n');
	if (nl)
		*nl = 0;
	char err[256];
	yajl_val v = yajl_tree_parse(ans, err, sizeof err);
	if (!v || !YAJL_IS_OBJECT(v)) {
		fprintf(stderr, "loyaltyctl: no answer from %s\n", ctl_global.socket);
		yajl_tree_free(v);
		free(ans);
		return 1;
	}
	const char *okpath[] = { "ok", NULL };
	yajl_val okv = yajl_tree_get(v, okpath, yajl_t_any);
	bool ok = okv && YAJL_IS_TRUE(okv);
	if (!isatty(1)) {
		printf("%s\n", ans);
	} else if (ok) {
		pretty(v, 0, false);
	}
	if (!ok) {
		const char *cp[] = { "error", "code", NULL }, *mp[] = { "error", "message", NULL };
		yajl_val code = yajl_tree_get(v, cp, yajl_t_string), msg = yajl_tree_get(v, mp, yajl_t_string);
		fprintf(stderr, "loyaltyctl: %s: %s\n", code ? code->u.string : "error", msg ? msg->u.string : "(no message)");
		const char *dp[] = { "error", "details", NULL };
		yajl_val det = yajl_tree_get(v, dp, yajl_t_array);
		for (size_t i = 0; det && i < det->u.array.len; i++) {
			yajl_val e = det->u.array.values[i];
			const char *f[] = { "file", NULL }, *l[] = { "line", NULL }, *c[] = { "column", NULL }, *m[] = { "message", NULL };
			yajl_val fv = yajl_tree_get(e, f, yajl_t_string), lv = yajl_tree_get(e, l, yajl_t_number),
				cv = yajl_tree_get(e, c, yajl_t_number), mv = yajl_tree_get(e, m, yajl_t_string);
			fprintf(stderr, "%s:%s:%s: %s\n", fv ? fv->u.string : "?", lv ? lv->u.number.r : "0",
				cv ? cv->u.number.r : "0", mv ? mv->u.string : "");
		}
	}
	yajl_tree_free(v);
	free(ans);
	return ok ? 0 : 1;
}

static int ctl_customer(int argc, char **argv)
{
	if (argc != 2) {
		usage(stderr);
		return 2;
	}
	/* the id as a JSON string, escaped by yajl */
	yajl_gen g = yajl_gen_alloc(NULL);
	yajl_gen_map_open(g);
	yajl_gen_string(g, (const unsigned char *)"op", 2);
	yajl_gen_string(g, (const unsigned char *)"customer", 8);
	yajl_gen_string(g, (const unsigned char *)"customer", 8);
	if (yajl_gen_string(g, (const unsigned char *)argv[1], strlen(argv[1])) != yajl_gen_status_ok) {
		fprintf(stderr, "loyaltyctl: the customer id is not valid UTF-8\n");
		yajl_gen_free(g);
		return 2;
	}
	yajl_gen_map_close(g);
	const unsigned char *buf;
	size_t len;
	yajl_gen_get_buf(g, &buf, &len);
	char *line = malloc(len + 2);
	memcpy(line, buf, len);
	line[len] = '\n';
	line[len + 1] = 0;
	yajl_gen_free(g);
	int rc = request_one(line);
	free(line);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "db", required_argument, NULL, 'd' },
		{ "store", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	signal(SIGPIPE, SIG_IGN); /* a closed socket is an error, not death */
	ctl_global.socket = getenv("LOYALTYD_SOCKET");
	if (!ctl_global.socket || !*ctl_global.socket)
		ctl_global.socket = CONFIG_DEFAULT_SOCKET;
	int ch;
	/* "+": options end at the subcommand; its own options are its own */
	while ((ch = getopt_long(argc, argv, "+s:d:S:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 's': ctl_global.socket = optarg; break;
		case 'd': ctl_global.db = optarg; break;
		case 'S': ctl_global.store = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("loyaltyctl %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[optind];
	int sargc = argc - optind;
	char **sargv = argv + optind;
	optind = 1; /* subcommands may run getopt again on sargv */
	if (strcmp(cmd, "check") == 0)
		return ctl_check(sargc, sargv);
	if (strcmp(cmd, "send") == 0)
		return ctl_send(sargc, sargv);
	if (strcmp(cmd, "ping") == 0 || strcmp(cmd, "stats") == 0 || strcmp(cmd, "reload") == 0) {
		if (sargc != 1) {
			usage(stderr);
			return 2;
		}
		char line[64];
		snprintf(line, sizeof line, "{\"op\":\"%s\"}\n", cmd);
		return request_one(line);
	}
	if (strcmp(cmd, "customer") == 0)
		return ctl_customer(sargc, sargv);
	if (strcmp(cmd, "import") == 0)
		return ctl_import(sargc, sargv);
	if (strcmp(cmd, "export") == 0)
		return ctl_export(sargc, sargv);
	if (strcmp(cmd, "simulate") == 0)
		return ctl_simulate(sargc, sargv);
	if (strcmp(cmd, "experiments") == 0)
		return ctl_experiments(sargc, sargv);
	fprintf(stderr, "loyaltyctl: unknown command %s\n", cmd);
	usage(stderr);
	return 2;
}
