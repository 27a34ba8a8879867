/* engine/store_vfs.c — a VFS shim over SQLite's default one that gathers
 * the store's WAL appends into one write per commit.
 *
 * SQLite writes every WAL frame as two pwrite calls (its 24-byte header,
 * then the page): a purchase dirtying three pages cost six system calls,
 * a third of its CPU time. Here consecutive writes to a WAL file collect
 * in a buffer that goes to the file in one write when the frame that
 * commits a transaction is complete (its header says so: a non-zero
 * "database size after commit"), and before anything that must see the
 * file as written: a read, a sync, a size query, a truncation, a memory
 * map, a write elsewhere in the file, the close. So the file holds every
 * committed frame by the time SQLite publishes the commit in the
 * wal-index (other connections, the checkpoint thread, read only
 * committed frames), and frames of a transaction that never commits may
 * never reach it, which a crash could do anyway. Durability is
 * unchanged: the WAL is synced after the commit as before
 * (engine/store_sync.c, or SQLite itself with synchronous=FULL).
 *
 * Only files opened as WAL go through the shim; the database, journals
 * and temporary files are the default VFS's own. Must not: change what
 * is written, only how many calls write it. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/store_internal.h"

/* The default VFS writes at most 0x1ffff bytes per call (os_unix.c masks
 * the length): 64 KiB is 16 frames of 4 KiB per system call. */
#define WALBUF_CAP (64u << 10)
#define WAL_HDR 32   /* the WAL file header */
#define FRAME_HDR 24 /* each frame's header */

typedef struct walfile {
	sqlite3_file base;
	sqlite3_file *real;     /* the default VFS's file, right after this struct */
	char *buf;
	sqlite3_int64 off;      /* file offset of buf[0] */
	size_t len;
	sqlite3_int64 end;      /* end of the appended data (file and buffer) */
	bool commit_next;       /* the next write completes a commit frame */
} walfile;

static sqlite3_vfs shim_vfs;
static sqlite3_vfs *real_vfs;

static int flush(walfile *f)
{
	if (!f->len)
		return SQLITE_OK;
	int rc = f->real->pMethods->xWrite(f->real, f->buf, (int)f->len, f->off);
	f->len = 0; /* written, or failed: SQLite fails the transaction either way */
	return rc;
}

static int w_close(sqlite3_file *p)
{
	walfile *f = (walfile *)p;
	int rc = flush(f);
	int rc2 = f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
	free(f->buf);
	f->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int w_read(sqlite3_file *p, void *out, int n, sqlite3_int64 off)
{
	walfile *f = (walfile *)p;
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, out, n, off);
}

static bool is_commit_header(const void *data, int n, sqlite3_int64 off)
{
	if (n != FRAME_HDR || off < WAL_HDR)
		return false;
	const unsigned char *h = data;
	return (h[4] | h[5] | h[6] | h[7]) != 0; /* db size after commit */
}

/* Only appends are gathered. A write at offset 0 (the WAL header) starts
 * the file over. A write below the end rewrites what is there (a page
 * written twice in one transaction, checksums recomputed at its commit)
 * and goes through at once, after what is gathered: such a rewrite of a
 * commit frame's header is not followed by its page. */
static int w_write(sqlite3_file *p, const void *data, int n, sqlite3_int64 off)
{
	walfile *f = (walfile *)p;
	int rc;
	if (off == 0)
		f->end = 0;
	bool append = off == f->end;
	if (off + n > f->end)
		f->end = off + n;
	bool commit_hdr = append && is_commit_header(data, n, off);
	if (f->len && (!append || f->len + (size_t)n > WALBUF_CAP)) {
		if ((rc = flush(f)) != SQLITE_OK)
			return rc;
	}
	if (!append || !f->buf || (size_t)n > WALBUF_CAP) {
		/* a rewrite, no buffer (out of memory) or a write bigger than
		 * the buffer: as is */
		if ((rc = flush(f)) != SQLITE_OK)
			return rc;
		f->commit_next = false;
		return f->real->pMethods->xWrite(f->real, data, n, off);
	}
	if (!f->len)
		f->off = off;
	memcpy(f->buf + f->len, data, (size_t)n);
	f->len += (size_t)n;
	if (commit_hdr) {
		f->commit_next = true; /* its page follows */
		return SQLITE_OK;
	}
	if (f->commit_next) {
		f->commit_next = false;
		return flush(f);
	}
	return SQLITE_OK;
}

static int w_truncate(sqlite3_file *p, sqlite3_int64 size)
{
	walfile *f = (walfile *)p;
	int rc = flush(f);
	if (f->end > size)
		f->end = size;
	return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int w_sync(sqlite3_file *p, int flags)
{
	walfile *f = (walfile *)p;
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int w_size(sqlite3_file *p, sqlite3_int64 *size)
{
	walfile *f = (walfile *)p;
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int w_lock(sqlite3_file *p, int l)
{
	return ((walfile *)p)->real->pMethods->xLock(((walfile *)p)->real, l);
}

static int w_unlock(sqlite3_file *p, int l)
{
	return ((walfile *)p)->real->pMethods->xUnlock(((walfile *)p)->real, l);
}

static int w_reserved(sqlite3_file *p, int *out)
{
	return ((walfile *)p)->real->pMethods->xCheckReservedLock(((walfile *)p)->real, out);
}

static int w_fcntl(sqlite3_file *p, int op, void *arg)
{
	walfile *f = (walfile *)p;
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int w_sector(sqlite3_file *p)
{
	return ((walfile *)p)->real->pMethods->xSectorSize(((walfile *)p)->real);
}

static int w_devchar(sqlite3_file *p)
{
	return ((walfile *)p)->real->pMethods->xDeviceCharacteristics(((walfile *)p)->real);
}

static int w_shmmap(sqlite3_file *p, int pg, int pgsz, int extend, void volatile **out)
{
	walfile *f = (walfile *)p;
	return f->real->pMethods->xShmMap(f->real, pg, pgsz, extend, out);
}

static int w_shmlock(sqlite3_file *p, int offset, int n, int flags)
{
	walfile *f = (walfile *)p;
	return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void w_shmbarrier(sqlite3_file *p)
{
	walfile *f = (walfile *)p;
	f->real->pMethods->xShmBarrier(f->real);
}

static int w_shmunmap(sqlite3_file *p, int del)
{
	walfile *f = (walfile *)p;
	return f->real->pMethods->xShmUnmap(f->real, del);
}

static int w_fetch(sqlite3_file *p, sqlite3_int64 off, int n, void **out)
{
	walfile *f = (walfile *)p;
	int rc = flush(f);
	if (rc != SQLITE_OK)
		return rc;
	if (f->real->pMethods->iVersion < 3) {
		*out = NULL;
		return SQLITE_OK;
	}
	return f->real->pMethods->xFetch(f->real, off, n, out);
}

static int w_unfetch(sqlite3_file *p, sqlite3_int64 off, void *ptr)
{
	walfile *f = (walfile *)p;
	if (f->real->pMethods->iVersion < 3)
		return SQLITE_OK;
	return f->real->pMethods->xUnfetch(f->real, off, ptr);
}

static const sqlite3_io_methods wal_methods = {
	.iVersion = 3,
	.xClose = w_close,
	.xRead = w_read,
	.xWrite = w_write,
	.xTruncate = w_truncate,
	.xSync = w_sync,
	.xFileSize = w_size,
	.xLock = w_lock,
	.xUnlock = w_unlock,
	.xCheckReservedLock = w_reserved,
	.xFileControl = w_fcntl,
	.xSectorSize = w_sector,
	.xDeviceCharacteristics = w_devchar,
	.xShmMap = w_shmmap,
	.xShmLock = w_shmlock,
	.xShmBarrier = w_shmbarrier,
	.xShmUnmap = w_shmunmap,
	.xFetch = w_fetch,
	.xUnfetch = w_unfetch,
};

#define REAL_OFFSET ((sizeof(walfile) + 15) & ~(size_t)15)

static int shim_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *p, int flags, int *outflags)
{
	if (!(flags & SQLITE_OPEN_WAL)) /* the block is big enough for the real file */
		return real_vfs->xOpen(real_vfs, name, p, flags, outflags);
	walfile *f = (walfile *)p;
	memset(f, 0, sizeof *f);
	f->real = (sqlite3_file *)((char *)p + REAL_OFFSET);
	int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, outflags);
	if (rc != SQLITE_OK)
		return rc; /* pMethods stays NULL: SQLite will not call xClose */
	f->buf = malloc(WALBUF_CAP); /* NULL: every write goes through as is */
	sqlite3_int64 size;
	if (f->real->pMethods->xFileSize(f->real, &size) == SQLITE_OK)
		f->end = size; /* appends go after what a previous run left */
	f->base.pMethods = &wal_methods;
	return SQLITE_OK;
}

static int shim_delete(sqlite3_vfs *v, const char *name, int sync)
{
	return real_vfs->xDelete(real_vfs, name, sync);
}

static int shim_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int shim_fullpath(sqlite3_vfs *v, const char *name, int n, char *out)
{
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *shim_dlopen(sqlite3_vfs *v, const char *name)
{
	return real_vfs->xDlOpen(real_vfs, name);
}

static void shim_dlerror(sqlite3_vfs *v, int n, char *out)
{
	real_vfs->xDlError(real_vfs, n, out);
}

static void (*shim_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	return real_vfs->xDlSym(real_vfs, h, sym);
}

static void shim_dlclose(sqlite3_vfs *v, void *h)
{
	real_vfs->xDlClose(real_vfs, h);
}

static int shim_random(sqlite3_vfs *v, int n, char *out)
{
	return real_vfs->xRandomness(real_vfs, n, out);
}

static int shim_sleep(sqlite3_vfs *v, int us)
{
	return real_vfs->xSleep(real_vfs, us);
}

static int shim_time(sqlite3_vfs *v, double *out)
{
	return real_vfs->xCurrentTime(real_vfs, out);
}

static int shim_lasterr(sqlite3_vfs *v, int n, char *out)
{
	return real_vfs->xGetLastError ? real_vfs->xGetLastError(real_vfs, n, out) : 0;
}

static int shim_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

const char *store_vfs_name(void)
{
	if (shim_vfs.zName) /* set up over the default VFS of that time */
		return sqlite3_vfs_find(NULL) == real_vfs ? shim_vfs.zName : NULL;
	real_vfs = sqlite3_vfs_find(NULL);
	if (!real_vfs || real_vfs->iVersion < 2)
		return NULL;
	shim_vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)(REAL_OFFSET + (size_t)real_vfs->szOsFile),
		.mxPathname = real_vfs->mxPathname,
		.zName = "loyaltyd-wal",
		.xOpen = shim_open,
		.xDelete = shim_delete,
		.xAccess = shim_access,
		.xFullPathname = shim_fullpath,
		.xDlOpen = shim_dlopen,
		.xDlError = shim_dlerror,
		.xDlSym = shim_dlsym,
		.xDlClose = shim_dlclose,
		.xRandomness = shim_random,
		.xSleep = shim_sleep,
		.xCurrentTime = shim_time,
		.xGetLastError = shim_lasterr,
		.xCurrentTimeInt64 = shim_time64,
	};
	if (sqlite3_vfs_register(&shim_vfs, 0) != SQLITE_OK) {
		shim_vfs.zName = NULL;
		return NULL;
	}
	return shim_vfs.zName;
}
