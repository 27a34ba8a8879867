/* rules/tz.c — the program's timezone as a table of UTC-offset changes,
 * built once at load so that the per-request path is a binary search and
 * never touches TZ, tzset() or localtime (neither thread- nor hot-path
 * friendly).
 *
 * The table comes from the system tz database (Debian: tzdata) through the
 * C library: with TZ set to the zone, localtime_r is sampled once a day from
 * 1970 to 2100 and every change of tm_gmtoff is pinned to its exact second
 * by bisection. Before 1970 the first offset holds, after 2100 the last.
 * TZ is switched under a mutex and restored; tables are cached by zone
 * name for the life of the process, so a reload does not rebuild them.
 * Also the proleptic Gregorian day arithmetic (H. Hinnant's algorithms). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "rules/prog_impl.h"

#define TZ_FROM 0LL                 /* 1970-01-01 */
#define TZ_TO   4102444800LL        /* 2100-01-01 */
#define TZ_DIR  "/usr/share/zoneinfo/"

typedef struct tz_cache {
	struct tz_cache *next;
	char *name;
	rl_tz tz;
} tz_cache;

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
static tz_cache *tz_cached;

int64_t rl_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void rl_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

static long gmtoff_at(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!localtime_r(&tt, &tm))
		return 0;
	return tm.tm_gmtoff;
}

static bool zone_name_ok(const char *name)
{
	if (!name[0] || name[0] == '/' || strstr(name, "..") || strlen(name) > 200)
		return false;
	for (const char *s = name; *s; s++)
		if (!(*s == '/' || *s == '_' || *s == '-' || *s == '+' ||
		      (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return false;
	char path[256];
	snprintf(path, sizeof path, "%s%s", TZ_DIR, name);
	/* a zone is a TZif file: a directory ("America") or a table
	 * ("zone.tab") would load in the C library as UTC without a word */
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	char magic[4];
	struct stat st;
	bool ok = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)
		&& fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
	fclose(f);
	return ok;
}

/* Build the table with TZ set to `name`; caller holds tz_lock. */
static int build(rl_tz *tz, const char *name)
{
	char *old = getenv("TZ");
	char *saved = old ? strdup(old) : NULL;
	char spec[260];
	snprintf(spec, sizeof spec, ":%s", name);
	setenv("TZ", spec, 1);
	tzset();

	uint32_t cap = 16, n = 0;
	rl_tz_trans *v = malloc(cap * sizeof *v);
	int rc = v ? 0 : -1;
	long first = gmtoff_at(TZ_FROM), cur = first;
	for (int64_t t = TZ_FROM + 86400; rc == 0 && t <= TZ_TO; t += 86400) {
		long o = gmtoff_at(t);
		if (o == cur)
			continue;
		int64_t lo = t - 86400, hi = t; /* offset(lo) == cur, offset(hi) != cur */
		while (hi - lo > 1) {
			int64_t mid = lo + (hi - lo) / 2;
			if (gmtoff_at(mid) == cur)
				lo = mid;
			else
				hi = mid;
		}
		if (n == cap) {
			rl_tz_trans *nv = realloc(v, cap * 2 * sizeof *v);
			if (!nv) {
				rc = -1;
				break;
			}
			v = nv;
			cap *= 2;
		}
		v[n].at = hi;
		v[n].offset = (int32_t)gmtoff_at(hi);
		cur = v[n].offset;
		n++;
	}
	if (saved) {
		setenv("TZ", saved, 1);
		free(saved);
	} else {
		unsetenv("TZ");
	}
	tzset();
	if (rc) {
		free(v);
		return -1;
	}
	tz->fixed = (int32_t)first;
	tz->n = n;
	tz->v = v;
	if (n == 0) {
		free(v);
		tz->v = NULL;
	}
	return 0;
}

int rl_tz_load(rl_tz *tz, const char *name, arena *mem)
{
	(void)mem;
	memset(tz, 0, sizeof *tz);
	if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0)
		return 0;
	if (!zone_name_ok(name))
		return -1;
	pthread_mutex_lock(&tz_lock);
	for (tz_cache *c = tz_cached; c; c = c->next)
		if (strcmp(c->name, name) == 0) {
			*tz = c->tz;
			pthread_mutex_unlock(&tz_lock);
			return 0;
		}
	tz_cache *c = calloc(1, sizeof *c);
	int rc = -1;
	if (c && (c->name = strdup(name)) && build(&c->tz, name) == 0) {
		c->next = tz_cached;
		tz_cached = c;
		*tz = c->tz;
		rc = 0;
	} else if (c) {
		free(c->name);
		free(c);
	}
	pthread_mutex_unlock(&tz_lock);
	return rc;
}

int32_t rl_tz_offset(const rl_tz *tz, int64_t ts)
{
	if (tz->n == 0 || ts < tz->v[0].at)
		return tz->fixed;
	uint32_t lo = 0, hi = tz->n; /* last transition with at <= ts */
	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;
		if (tz->v[mid].at <= ts)
			lo = mid;
		else
			hi = mid;
	}
	return tz->v[lo].offset;
}

int64_t rl_tz_local_to_utc(const rl_tz *tz, int64_t local)
{
	int32_t off = rl_tz_offset(tz, local - rl_tz_offset(tz, local));
	return local - off;
}

void rl_civil_time(const program *p, int64_t ts, rl_civil *out)
{
	int32_t off = rl_tz_offset(&p->tz, ts);
	int64_t local = ts + off;
	int64_t dn = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	int64_t sod = local - dn * 86400;
	/* consecutive requests fall on the same local day: remember the last
	 * one per thread (a pure function of dn, so sharing is safe) */
	static __thread int64_t last_dn = INT64_MIN;
	static __thread int last_y, last_m, last_d;
	if (dn != last_dn) {
		rl_civil_from_days(dn, &last_y, &last_m, &last_d);
		last_dn = dn;
	}
	out->year = last_y;
	out->month = last_m;
	out->day = last_d;
	out->hour = (int)(sod / 3600);
	out->minute = (int)(sod / 60 % 60);
	out->second = (int)(sod % 60);
	int64_t wd = (dn + 3) % 7; /* 1970-01-01 was a Thursday (3 with 0 = Monday) */
	out->weekday = (int)(wd < 0 ? wd + 7 : wd);
	out->utc_offset_s = off;
}
