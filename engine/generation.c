/* engine/generation.c — see generation.h. The reload worker is one
 * pthread per load: it calls program_load (the only slow, blocking part:
 * reading files, compiling, building Lua states) and writes one byte to a
 * pipe; the loop's read event on that pipe joins the thread and swaps the
 * generation. The worker touches nothing shared but its own job. */
#include <config.h>

#include "engine/generation.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "engine/conn.h"
#include "engine/log.h"
#include "engine/server.h"

generation *gen_new(program *p)
{
	generation *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	g->prog = p;
	g->refs = 1;
	return g;
}

generation *gen_hold(generation *g)
{
	g->refs++;
	return g;
}

void gen_release(generation *g)
{
	if (--g->refs == 0) {
		program_free(g->prog);
		free(g);
	}
}

#define RELOAD_MAX_WAITERS 256

struct reload_state {
	int pipefd[2];
	struct event *ev;
	pthread_t thread;
	bool running;        /* a worker thread exists */
	bool again;          /* another load was asked for during this one */
	/* the worker's job and result */
	char *path;
	prog_limits lim;
	program *result;
	prog_errors errs;
	/* replies waiting for the running load, and for the next one */
	reply *cur[RELOAD_MAX_WAITERS];
	size_t ncur;
	reply *next[RELOAD_MAX_WAITERS];
	size_t nnext;
};

static void *reload_worker(void *arg)
{
	reload_state *rs = arg;
	rs->result = program_load(rs->path, &rs->lim, &rs->errs);
	char b = 1;
	ssize_t w;
	do
		w = write(rs->pipefd[1], &b, 1);
	while (w < 0 && errno == EINTR);
	return NULL;
}

static void reload_start(server *srv)
{
	reload_state *rs = srv->reload;
	free(rs->path);
	rs->path = strdup(srv->cfg->rules);
	rs->lim.lua_instructions = srv->cfg->lua_instructions;
	rs->lim.lua_memory_kb = srv->cfg->lua_memory_kb;
	rs->result = NULL;
	memset(&rs->errs, 0, sizeof rs->errs);
	memcpy(rs->cur, rs->next, rs->nnext * sizeof rs->next[0]);
	rs->ncur = rs->nnext;
	rs->nnext = 0;
	rs->again = false;
	if (!rs->path || pthread_create(&rs->thread, NULL, reload_worker, rs) != 0) {
		/* cannot even start: answer the waiters, keep the old program */
		log_error("reload: cannot start the loader thread");
		srv->st.reloads_failed++;
		for (size_t i = 0; i < rs->ncur; i++)
			reply_error(rs->cur[i], "internal", "reload could not start");
		rs->ncur = 0;
		return;
	}
	rs->running = true;
}

static void write_details(yajl_gen g, void *ud)
{
	const prog_errors *errs = ud;
	yajl_gen_array_open(g);
	for (size_t i = 0; i < errs->n; i++) {
		const prog_error *e = &errs->v[i];
		yajl_gen_map_open(g);
		reply_str(g, "file", e->file ? e->file : "", e->file ? strlen(e->file) : 0);
		reply_int(g, "line", e->line);
		reply_int(g, "column", e->col);
		reply_str(g, "message", e->message ? e->message : "", e->message ? strlen(e->message) : 0);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

static void reload_done_cb(evutil_socket_t fd, short what, void *ctx)
{
	server *srv = ctx;
	reload_state *rs = srv->reload;
	char buf[16];
	while (read(fd, buf, sizeof buf) > 0)
		;
	if (!rs->running)
		return;
	pthread_join(rs->thread, NULL);
	rs->running = false;
	if (rs->result) {
		generation *g = gen_new(rs->result);
		if (!g) {
			program_free(rs->result);
			srv->st.reloads_failed++;
			for (size_t i = 0; i < rs->ncur; i++)
				reply_error(rs->cur[i], "internal", "out of memory during reload");
		} else {
			char prev[128];
			snprintf(prev, sizeof prev, "%s", program_version(srv->gen->prog));
			generation *old = srv->gen;
			srv->gen = g;  /* requests read from now on use the new one */
			gen_release(old);
			srv->st.reloads_ok++;
			log_info("reload: rules %s (was %s)", program_version(g->prog), prev);
			for (size_t i = 0; i < rs->ncur; i++) {
				reply *r = rs->cur[i];
				yajl_gen gg = reply_begin(r);
				const char *v = program_version(g->prog);
				reply_str(gg, "rules_version", v, strlen(v));
				reply_str(gg, "previous", prev, strlen(prev));
				reply_end(r);
			}
		}
	} else {
		srv->st.reloads_failed++;
		log_error("reload failed, keeping rules %s:", program_version(srv->gen->prog));
		for (size_t i = 0; i < rs->errs.n && i < 20; i++) {
			const prog_error *e = &rs->errs.v[i];
			log_error("%s:%d:%d: %s", e->file, e->line, e->col, e->message);
		}
		char msg[256];
		if (rs->errs.n)
			snprintf(msg, sizeof msg, "the rule files have %zu error%s; the rules in force are unchanged",
				rs->errs.n, rs->errs.n == 1 ? "" : "s");
		else
			snprintf(msg, sizeof msg, "the rules could not be loaded; the rules in force are unchanged");
		for (size_t i = 0; i < rs->ncur; i++)
			reply_error_details(rs->cur[i], "bad_rules", msg, write_details, &rs->errs);
		prog_errors_free(&rs->errs);
	}
	rs->ncur = 0;
	if (rs->again && !srv->stopping)
		reload_start(srv);
	else if (rs->nnext) {
		for (size_t i = 0; i < rs->nnext; i++)
			reply_error(rs->next[i], "unavailable", "the server is stopping");
		rs->nnext = 0;
	}
	if (srv->stopping)
		server_stop_progress(srv);
}

int reload_init(server *srv)
{
	reload_state *rs = calloc(1, sizeof *rs);
	if (!rs)
		return -1;
	if (pipe2(rs->pipefd, O_NONBLOCK | O_CLOEXEC) != 0) {
		free(rs);
		return -1;
	}
	rs->ev = event_new(srv->base, rs->pipefd[0], EV_READ | EV_PERSIST, reload_done_cb, srv);
	event_add(rs->ev, NULL);
	srv->reload = rs;
	return 0;
}

void reload_request(server *srv, reply *r)
{
	reload_state *rs = srv->reload;
	if (r) {
		if (rs->nnext >= RELOAD_MAX_WAITERS) {
			reply_error(r, "overloaded", "too many reloads waiting");
			return;
		}
		reply_defer(r);
		rs->next[rs->nnext++] = r;
	}
	if (rs->running)
		rs->again = true;  /* coalesced into the load after this one */
	else
		reload_start(srv);
}

bool reload_busy(const server *srv)
{
	return srv->reload && (srv->reload->running || srv->reload->ncur || srv->reload->nnext);
}

void reload_free(server *srv)
{
	reload_state *rs = srv->reload;
	if (!rs)
		return;
	if (rs->running) {
		pthread_join(rs->thread, NULL);
		if (rs->result)
			program_free(rs->result);
		prog_errors_free(&rs->errs);
	}
	event_free(rs->ev);
	close(rs->pipefd[0]);
	close(rs->pipefd[1]);
	free(rs->path);
	free(rs);
	srv->reload = NULL;
}
