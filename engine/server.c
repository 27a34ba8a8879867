/* engine/server.c — see server.h. Signals arrive through evsignal events,
 * so their handlers run on the loop like everything else and only record
 * or start work; nothing here blocks. */
#include <config.h>

#include "engine/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "engine/conn.h"
#include "engine/log.h"

/* How long a stop waits for clients to take their answers. */
#define STOP_GRACE_S 30

bool server_peer_is_admin(const server *srv, uid_t uid, gid_t gid)
{
	if (uid == srv->self_uid)
		return true;
	for (size_t i = 0; i < srv->cfg->nadmin_uids; i++)
		if (srv->cfg->admin_uids[i] == uid)
			return true;
	for (size_t i = 0; i < srv->cfg->nadmin_gids; i++)
		if (srv->cfg->admin_gids[i] == gid)
			return true;
	return false;
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *ctx)
{
	server *srv = ctx;
	if (srv->stopping) {
		close(fd);
		return;
	}
	if (srv->nconns >= srv->cfg->max_connections) {
		log_warn("max_connections (%u) reached: refusing a connection", srv->cfg->max_connections);
		conn_refuse(srv, fd);
		return;
	}
	conn_accept(srv, fd, sa->sa_family == AF_UNIX);
}

static void accept_resume_cb(evutil_socket_t fd, short what, void *ctx)
{
	server *srv = ctx;
	if (srv->stopping)
		return;
	if (srv->unix_l)
		evconnlistener_enable(srv->unix_l);
	if (srv->tcp_l)
		evconnlistener_enable(srv->tcp_l);
}

static void accept_error_cb(struct evconnlistener *l, void *ctx)
{
	server *srv = ctx;
	int e = errno;
	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
		/* out of descriptors: the listening socket stays readable, and
		 * retrying at once would spin; pause accepting for 100 ms */
		log_warn("accept: %s; pausing new connections for 100 ms", strerror(e));
		evconnlistener_disable(l);
		struct timeval tv = { 0, 100000 };
		event_base_once(srv->base, -1, EV_TIMEOUT, accept_resume_cb, srv, &tv);
		return;
	}
	log_error("accept: %s", strerror(e));
}

static int listen_unix(server *srv)
{
	const char *path = srv->cfg->socket;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sun.sun_path) {
		log_error("socket path too long: %s", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_error("socket: %s", strerror(errno));
		return -1;
	}
	/* a stale socket file from a killed daemon would make bind fail; a
	 * live daemon on it answers connect, and we refuse to steal it */
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_error("%s exists and is not a socket", path);
			close(fd);
			return -1;
		}
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof sun) == 0) {
			log_error("%s: another daemon is listening on it", path);
			close(probe);
			close(fd);
			return -1;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	/* created with no access for anyone, then opened up to socket_mode:
	 * no window where the default umask decides */
	mode_t old = umask(0777);
	int rc = bind(fd, (struct sockaddr *)&sun, sizeof sun);
	umask(old);
	if (rc != 0) {
		log_error("bind %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	srv->socket_created = true;
	if (chmod(path, srv->cfg->socket_mode) != 0) {
		log_error("chmod %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	srv->unix_l = evconnlistener_new(srv->base, accept_cb, srv,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 1024, fd);
	if (!srv->unix_l) {
		log_error("listen %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	evconnlistener_set_error_cb(srv->unix_l, accept_error_cb);
	return 0;
}

/* "127.0.0.1:PORT" or "[::1]:PORT", loopback only: 0 and the address. */
static int parse_loopback(const char *key, const char *spec, struct sockaddr_storage *ss, int *len)
{
	*len = sizeof *ss;
	memset(ss, 0, sizeof *ss);
	if (evutil_parse_sockaddr_port(spec, (struct sockaddr *)ss, len) != 0) {
		log_error("%s: cannot parse \"%s\" (want 127.0.0.1:PORT)", key, spec);
		return -1;
	}
	bool loop = false;
	if (ss->ss_family == AF_INET)
		loop = (ntohl(((struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	else if (ss->ss_family == AF_INET6)
		loop = memcmp(&((struct sockaddr_in6 *)ss)->sin6_addr, &in6addr_loopback, 16) == 0;
	if (!loop) {
		log_error("%s: %s is not a loopback address", key, spec);
		return -1;
	}
	return 0;
}

/* metrics_listen: GET /metrics in Prometheus' text format. */
static void metrics_cb(struct evhttp_request *req, void *ctx)
{
	server *srv = ctx;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_send_error(req, 405, "only GET");
		return;
	}
	struct evbuffer *out = evbuffer_new();
	if (!out) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	stats_write_prometheus(srv, srv->gen->prog, out);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}

static void metrics_other_cb(struct evhttp_request *req, void *ctx)
{
	evhttp_send_error(req, 404, "try /metrics");
}

static int listen_metrics(server *srv)
{
	struct sockaddr_storage ss;
	int len;
	if (parse_loopback("metrics_listen", srv->cfg->metrics_listen, &ss, &len) != 0)
		return -1;
	srv->metrics = evhttp_new(srv->base);
	if (!srv->metrics)
		return -1;
	evhttp_set_allowed_methods(srv->metrics, EVHTTP_REQ_GET);
	evhttp_set_timeout(srv->metrics, 10);
	evhttp_set_max_headers_size(srv->metrics, 16384);
	evhttp_set_max_body_size(srv->metrics, 0);
	evhttp_set_cb(srv->metrics, "/metrics", metrics_cb, srv);
	evhttp_set_gencb(srv->metrics, metrics_other_cb, srv);
	struct evconnlistener *l = evconnlistener_new_bind(srv->base, NULL, NULL,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE, 128, (struct sockaddr *)&ss, len);
	if (!l || !evhttp_bind_listener(srv->metrics, l)) {
		log_error("metrics_listen %s: %s", srv->cfg->metrics_listen, strerror(errno));
		if (l)
			evconnlistener_free(l);
		return -1;
	}
	log_info("metrics on http://%s/metrics", srv->cfg->metrics_listen);
	return 0;
}

/* tcp_listen: "127.0.0.1:PORT" or "[::1]:PORT" — loopback only. */
static int listen_tcp(server *srv)
{
	const char *spec = srv->cfg->tcp_listen;
	struct sockaddr_storage ss;
	int len;
	if (parse_loopback("tcp_listen", spec, &ss, &len) != 0)
		return -1;
	srv->tcp_l = evconnlistener_new_bind(srv->base, accept_cb, srv,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE, 1024,
		(struct sockaddr *)&ss, len);
	if (!srv->tcp_l) {
		log_error("tcp_listen %s: %s", spec, strerror(errno));
		return -1;
	}
	evconnlistener_set_error_cb(srv->tcp_l, accept_error_cb);
	return 0;
}

int server_listen(server *srv)
{
	if (srv->cfg->tcp_listen && *srv->cfg->tcp_listen && listen_tcp(srv) != 0)
		return -1;
	if (listen_unix(srv) != 0)
		return -1;
	if (srv->cfg->metrics_listen && *srv->cfg->metrics_listen && listen_metrics(srv) != 0)
		return -1;
	log_info("ready on %s (rules %s)", srv->cfg->socket, program_version(srv->gen->prog));
	return 0;
}

static void stop_close_listeners(server *srv)
{
	if (srv->metrics) {
		evhttp_free(srv->metrics);
		srv->metrics = NULL;
	}
	if (srv->unix_l) {
		evconnlistener_free(srv->unix_l);
		srv->unix_l = NULL;
	}
	if (srv->tcp_l) {
		evconnlistener_free(srv->tcp_l);
		srv->tcp_l = NULL;
	}
	if (srv->socket_created) {
		unlink(srv->cfg->socket);
		srv->socket_created = false;
	}
}

/* The stop is complete when no connection, slot or reload is left and the
 * store has nothing pending; checked on every change and on a timer (a
 * store commit completes without telling us). */
void server_stop_progress(server *srv)
{
	if (!srv->stopping)
		return;
	if (srv->nconns || srv->live_slots || srv->nlingering || reload_busy(srv))
		return;
	if (srv->store && store_pending(srv->store))
		return;
	event_base_loopbreak(srv->base);
}

static void stop_check_cb(evutil_socket_t fd, short what, void *ctx)
{
	server *srv = ctx;
	static unsigned ticks;
	if (++ticks == STOP_GRACE_S * 100) {
		log_warn("stop: clients did not take their answers in %d s; closing them", STOP_GRACE_S);
		conn *c;
		while ((c = TAILQ_FIRST(&srv->conns)))
			conn_free(c);
	}
	server_stop_progress(srv);
}

void server_stop(server *srv)
{
	if (srv->stopping)
		return;
	srv->stopping = true;
	log_info("stopping: answering requests in flight");
	stop_close_listeners(srv);
	conn *c, *next;
	for (c = TAILQ_FIRST(&srv->conns); c; c = next) {
		next = TAILQ_NEXT(c, link);
		conn_stop(c); /* may free c */
	}
	struct timeval tv = { 0, 10000 };
	srv->ev_stop_check = event_new(srv->base, -1, EV_PERSIST, stop_check_cb, srv);
	event_add(srv->ev_stop_check, &tv);
	server_stop_progress(srv);
}

static void signal_cb(evutil_socket_t sig, short what, void *ctx)
{
	server *srv = ctx;
	if (sig == SIGHUP) {
		if (!srv->stopping) {
			log_info("SIGHUP: reloading rules");
			reload_request(srv, NULL);
		}
		return;
	}
	server_stop(srv);
}

int server_init(server *srv, config *cfg, struct event_base *base, store *st, program *prog)
{
	memset(srv, 0, sizeof *srv);
	srv->cfg = cfg;
	srv->base = base;
	srv->store = st;
	srv->self_uid = getuid();
	srv->gen = gen_new(prog);
	if (!srv->gen)
		return -1;
	stats_init(&srv->st);
	TAILQ_INIT(&srv->conns);
	TAILQ_INIT(&srv->lingering);
	if (reload_init(srv) != 0)
		return -1;
	/* a client that hangs up must not kill us */
	signal(SIGPIPE, SIG_IGN);
	srv->ev_hup = evsignal_new(base, SIGHUP, signal_cb, srv);
	srv->ev_term = evsignal_new(base, SIGTERM, signal_cb, srv);
	srv->ev_int = evsignal_new(base, SIGINT, signal_cb, srv);
	event_add(srv->ev_hup, NULL);
	event_add(srv->ev_term, NULL);
	event_add(srv->ev_int, NULL);
	return 0;
}

int server_run(server *srv)
{
	event_base_dispatch(srv->base);
	stop_close_listeners(srv);
	if (srv->store) {
		if (store_close(srv->store) != 0) {
			log_error("store: not everything could be made durable at close");
			srv->exit_code = 1;
		}
		srv->store = NULL;
	}
	log_info("stopped");
	return srv->exit_code;
}

void server_free(server *srv)
{
	stop_close_listeners(srv);
	conn *c;
	while ((c = TAILQ_FIRST(&srv->conns)))
		conn_free(c);
	conn_lingering_free_all(srv);
	reload_free(srv);
	if (srv->ev_hup)
		event_free(srv->ev_hup);
	if (srv->ev_term)
		event_free(srv->ev_term);
	if (srv->ev_int)
		event_free(srv->ev_int);
	if (srv->ev_stop_check)
		event_free(srv->ev_stop_check);
	if (srv->gen)
		gen_release(srv->gen);
	stats_free(&srv->st);
}
