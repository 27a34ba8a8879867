/* engine/store_sync.c — making committed groups durable off the event
 * loop. With an event base and durability always|batch, the store commits
 * with synchronous=NORMAL (the COMMIT writes the WAL into the page cache
 * and returns) and this thread then fdatasyncs the WAL file; a group's
 * completion callbacks run only once a sync that began after its COMMIT
 * has returned. The loop thus keeps reading, answering reads and filling
 * the next group while the disk works, and one fdatasync covers every
 * group committed before it began.
 *
 * A failed fdatasync is fatal (the process aborts): the groups it covered
 * are committed in SQLite but maybe not on disk, so neither "done" nor
 * "no effect" would be true. No answer has gone out for them; clients
 * retry with the same txn after the restart and get the stored answer or
 * a fresh commit. Must not: touch the SQLite connection (loop thread
 * only). */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "engine/store_internal.h"

typedef struct batch {
	uint64_t seq;               /* sync sequence it needs */
	struct store_waiter *head, *tail;
	struct batch *next;
} batch;

struct store_sync {
	int wal_fd;
	int pipe[2];
	struct event *ev;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t requested;         /* highest seq asked for */
	uint64_t done;              /* highest seq whose sync returned */
	int err;                    /* errno of a failed sync */
	bool stop;
	batch *head, *tail;         /* committed, waiting for their sync (loop only) */
	uint64_t next_seq;          /* loop only */

};

static void *sync_main(void *ud)
{
	struct store_sync *y = ud;
	pthread_mutex_lock(&y->mu);
	for (;;) {
		while (!y->stop && y->requested == y->done)
			pthread_cond_wait(&y->cv, &y->mu);
		if (y->requested == y->done && y->stop)
			break;
		uint64_t want = y->requested;
		pthread_mutex_unlock(&y->mu);
		int rc = fdatasync(y->wal_fd);
		int e = rc < 0 ? errno : 0;
		pthread_mutex_lock(&y->mu);
		if (e && !y->err)
			y->err = e;
		y->done = want;
		char b = 1;
		ssize_t w = write(y->pipe[1], &b, 1); /* a full pipe already wakes the loop */
		(void)w;
	}
	pthread_mutex_unlock(&y->mu);
	return NULL;
}

static void run_ready(store *s)
{
	struct store_sync *y = s->sync;
	pthread_mutex_lock(&y->mu);
	uint64_t done = y->done;
	int err = y->err;
	pthread_mutex_unlock(&y->mu);
	if (err) {
		fprintf(stderr, "loyaltyd: store %s: fdatasync of the WAL failed: %s; committed"
			" groups may not be on disk, stopping now (clients retry with their txn)\n",
			s->path, strerror(err));
		abort();
	}
	while (y->head && y->head->seq <= done) {
		batch *b = y->head;
		y->head = b->next;
		if (!y->head)
			y->tail = NULL;
		store_run_waiters(s, b->head, true);
		free(b);
	}
}

static void notify_cb(evutil_socket_t fd, short what, void *ud)
{
	(void)what;
	char buf[64];
	while (read(fd, buf, sizeof buf) > 0)
		;
	run_ready(ud);
	store_group_sync_done(ud); /* a group held for this sync commits now */
}

bool store_sync_busy(const store *s)
{
	return s->sync && s->sync->head; /* batches wait until their sync is handled */
}

int store_sync_start(store *s)
{
	struct store_sync *y = calloc(1, sizeof *y);
	if (!y)
		return -1;
	y->wal_fd = -1;
	y->pipe[0] = y->pipe[1] = -1;
	if (pipe2(y->pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		goto fail;
	y->ev = event_new(s->base, y->pipe[0], EV_READ | EV_PERSIST, notify_cb, s);
	if (!y->ev || event_add(y->ev, NULL) < 0)
		goto fail;
	pthread_mutex_init(&y->mu, NULL);
	pthread_cond_init(&y->cv, NULL);
	if (pthread_create(&y->thread, NULL, sync_main, y) != 0) {
		pthread_mutex_destroy(&y->mu);
		pthread_cond_destroy(&y->cv);
		goto fail;
	}
	s->sync = y;
	return 0;
fail:
	if (y->ev)
		event_free(y->ev);
	if (y->pipe[0] >= 0) {
		close(y->pipe[0]);
		close(y->pipe[1]);
	}
	free(y);
	return -1;
}

/* The WAL exists once something was committed; the same inode is reused
 * across checkpoints, so one descriptor serves for the store's life. */
static int wal_fd(store *s)
{
	struct store_sync *y = s->sync;
	if (y->wal_fd < 0) {
		char p[4096];
		snprintf(p, sizeof p, "%s-wal", s->path);
		y->wal_fd = open(p, O_RDWR | O_CLOEXEC);
	}
	return y->wal_fd;
}

int store_sync_committed(store *s, struct store_waiter *w, struct store_waiter *tail)
{
	struct store_sync *y = s->sync;
	if (wal_fd(s) < 0)
		return -1; /* the caller makes it durable the slow way */
	batch *b = calloc(1, sizeof *b);
	if (!b)
		return -1;
	b->seq = ++y->next_seq;
	b->head = w;
	b->tail = tail;
	if (y->tail)
		y->tail->next = b;
	else
		y->head = b;
	y->tail = b;
	pthread_mutex_lock(&y->mu);
	y->requested = b->seq;
	pthread_cond_signal(&y->cv);
	pthread_mutex_unlock(&y->mu);
	return 0;
}

bool store_sync_attach(store *s, struct store_waiter *w)
{
	struct store_sync *y = s->sync;
	if (!y || !y->tail)
		return false;
	if (y->tail->tail)
		y->tail->tail->next = w;
	else
		y->tail->head = w;
	y->tail->tail = w;
	return true;
}

void store_sync_now(store *s)
{
	struct store_sync *y = s->sync;
	if (!y || !y->head)
		return;
	uint64_t want = y->next_seq;
	int rc = wal_fd(s) < 0 ? -1 : fdatasync(y->wal_fd);
	pthread_mutex_lock(&y->mu);
	if (rc < 0 && !y->err)
		y->err = errno ? errno : EIO;
	if (y->done < want)
		y->done = want;
	if (y->requested < want)
		y->requested = want;
	pthread_mutex_unlock(&y->mu);
	run_ready(s);
}

void store_sync_stop(store *s)
{
	struct store_sync *y = s->sync;
	if (!y)
		return;
	pthread_mutex_lock(&y->mu);
	y->stop = true;
	pthread_cond_signal(&y->cv);
	pthread_mutex_unlock(&y->mu);
	pthread_join(y->thread, NULL);
	run_ready(s); /* the thread synced everything requested before it left */
	event_free(y->ev);
	close(y->pipe[0]);
	close(y->pipe[1]);
	/* closed by store_close after sqlite3_close: closing a descriptor of
	 * a file drops every POSIX lock this process holds on it, so none may
	 * be closed while SQLite has the database open */
	s->wal_fd = y->wal_fd;
	pthread_mutex_destroy(&y->mu);
	pthread_cond_destroy(&y->cv);
	free(y);
	s->sync = NULL;
}
