/* engine/store_ckpt.c — WAL checkpoints off the event loop, for every
 * durability. A thread with a connection of its own copies committed WAL
 * frames into the database file (and, unless durability is `off`, syncs
 * it), so that the loop never copies megabytes between two requests. It
 * is woken by the loop connection's WAL hook every CKPT_BG_FRAMES new
 * frames; at CKPT_FRAMES the loop checkpoints itself, as
 * wal_autocheckpoint did: that one has only the rest to copy, and it runs
 * between groups, so the next group restarts the WAL from its beginning
 * (a checkpoint of another connection cannot guarantee that: the loop's
 * connection is nearly always inside a group). Errors only mean the WAL
 * stays longer. Must not: touch the loop's connection from its thread. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "engine/store_internal.h"

/* Small and often on purpose: the file's sync shares the disk queue with
 * the WAL's fdatasync that purchases wait on. Copying 4096 frames (16 MiB)
 * at a time put a 10-20 ms file sync in front of some WAL syncs; 256
 * frames (1 MiB) took the 4 x 16 purchase p99 from 14-18 ms to 6-7 ms at
 * the same throughput (64 gave no more). With `off` the loop itself used
 * to copy 16384 frames at a time: a 15 ms pause every ~6,000 purchases. */
#define CKPT_BG_FRAMES 256
#define CKPT_FRAMES 16384

struct store_ckpt {
	sqlite3 *db;                /* its own connection, used only by its thread */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool want, stop;            /* under mu */
	int last;                   /* WAL frames at the last request (loop only) */
};

static void *ckpt_main(void *ud)
{
	struct store_ckpt *k = ud;
	pthread_mutex_lock(&k->mu);
	for (;;) {
		while (!k->stop && !k->want)
			pthread_cond_wait(&k->cv, &k->mu);
		if (k->stop)
			break;
		k->want = false;
		pthread_mutex_unlock(&k->mu);
		/* PASSIVE: never waits for the loop's connection; what it cannot
		 * copy yet waits for the next request */
		sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&k->mu);
	}
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

/* The loop connection's WAL hook: after every COMMIT, nframes = frames in
 * the WAL. */
static int wal_hook(void *ud, sqlite3 *db, const char *name, int nframes)
{
	struct store_ckpt *k = ((store *)ud)->ckpt;
	if (nframes < k->last)
		k->last = 0; /* the WAL restarted */
	if (nframes - k->last >= CKPT_BG_FRAMES) {
		k->last = nframes;
		pthread_mutex_lock(&k->mu);
		k->want = true;
		pthread_cond_signal(&k->cv);
		pthread_mutex_unlock(&k->mu);
	}
	if (nframes >= CKPT_FRAMES)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

int store_ckpt_start(store *s, bool sync_file)
{
	struct store_ckpt *k = calloc(1, sizeof *k);
	if (!k)
		return -1;
	/* a first read puts the connection's pager into WAL mode; before it
	 * a checkpoint of this connection would do nothing */
	if (sqlite3_open_v2(s->path, &k->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK
	    || sqlite3_exec(k->db, sync_file ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = OFF",
		    NULL, NULL, NULL) != SQLITE_OK
	    || sqlite3_exec(k->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cv, NULL);
	if (pthread_create(&k->thread, NULL, ckpt_main, k) != 0) {
		pthread_mutex_destroy(&k->mu);
		pthread_cond_destroy(&k->cv);
		goto fail;
	}
	s->ckpt = k;
	sqlite3_wal_hook(s->db, wal_hook, s); /* replaces wal_autocheckpoint */
	return 0;
fail:
	sqlite3_close(k->db); /* NULL is fine */
	free(k);
	return -1;
}

void store_ckpt_stop(store *s)
{
	struct store_ckpt *k = s->ckpt;
	if (!k)
		return;
	pthread_mutex_lock(&k->mu);
	k->stop = true;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
	pthread_join(k->thread, NULL);
	/* the loop's connection checkpoints for itself again (its close
	 * copies the rest into the file) */
	sqlite3_wal_autocheckpoint(s->db, CKPT_FRAMES);
	sqlite3_close(k->db);
	pthread_mutex_destroy(&k->mu);
	pthread_cond_destroy(&k->cv);
	free(k);
	s->ckpt = NULL;
}
