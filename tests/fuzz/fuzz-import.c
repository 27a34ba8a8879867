/* tests/fuzz/fuzz-import.c — libFuzzer target for `loyaltyctl import`'s
 * line parser (engine/ctl_import.c): each line of the input goes through
 * import_line(), the streaming yajl parse plus the inserts, against an
 * in-memory store with the daemon's schema; everything is rolled back after
 * each input. ctl_import.c keeps its line functions static, so it is
 * compiled into this target by inclusion (nothing of it is changed).
 * Beyond "no crash, no leak, no UB" it checks that a refused line always
 * says why, and that an accepted line left exactly one customer row.
 * Build: configure CC=clang --enable-fuzzing; run:
 *   tests/fuzz/fuzz-import tests/fuzz/corpus-import */
#include "engine/ctl_import.c"

#include "engine/store_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* loyaltyctl.c's globals, which ctl_import() (not called here) reads */
ctl_opts ctl_global;

static void check(bool cond)
{
	if (!cond)
		abort();
}

static imp m;
static sqlite3_stmt *count_st;

static void setup(void)
{
	char err[256];
	check(sqlite3_open(":memory:", &m.db) == SQLITE_OK);
	check(store_schema_migrate(m.db, err, sizeof err) == 0);
	for (int i = 0; i < I__N; i++)
		check(sqlite3_prepare_v2(m.db, isql[i], -1, &m.st[i], NULL) == SQLITE_OK);
	check(sqlite3_prepare_v2(m.db, "SELECT count(*) FROM customers", -1, &count_st, NULL) == SQLITE_OK);
	/* a forgotten customer, so that the anonymous-id check can refuse */
	check(sqlite3_exec(m.db, "INSERT INTO forgotten (anon_id, forgotten_at) VALUES ('anon-1', 0)",
		NULL, NULL, NULL) == SQLITE_OK);
	m.now = 1767225600;
	arena_init(&m.mem, 16384, 1 << 24);
	m.attrs = yajl_gen_alloc(NULL);
	m.state = yajl_gen_alloc(NULL);
	check(m.attrs && m.state);
}

static int64_t customers(void)
{
	check(sqlite3_step(count_st) == SQLITE_ROW);
	int64_t n = sqlite3_column_int64(count_st, 0);
	sqlite3_reset(count_st);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!m.db)
		setup();
	if (size > 1 << 20)
		return 0;
	check(sqlite3_exec(m.db, "SAVEPOINT fuzz", NULL, NULL, NULL) == SQLITE_OK);
	const char *p = (const char *)data, *end = p + size;
	int64_t before = customers();
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *next = nl ? nl + 1 : end;
		/* as ctl_import's loop: trailing CRs go, NUL bytes and blank
		 * lines never reach import_line */
		while (n > 0 && p[n - 1] == '\r')
			n--;
		char *line = malloc(n + 1);
		check(line != NULL);
		memcpy(line, p, n);
		line[n] = 0;
		p = next;
		if (strlen(line) != n || line[strspn(line, " \t")] == 0) {
			free(line);
			continue;
		}
		int rc = import_line(&m, line, n);
		free(line);
		if (rc < 0) {
			check(m.msg[0] != 0);
			break;
		}
		int64_t after = customers();
		check(after == before + 1);
		before = after;
	}
	check(sqlite3_exec(m.db, "ROLLBACK TO fuzz; RELEASE fuzz", NULL, NULL, NULL) == SQLITE_OK);
	return 0;
}
