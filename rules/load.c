/* rules/load.c — program_load(): which files make a program, in which
 * order (rules.md, "Files"), its content hash (rules_version), and the
 * order of the loader's passes. One loader for start, reload and
 * `loyaltyctl check`; on any error the half-built program is freed and
 * nothing of it is returned.
 *
 * rules_version = hex of XXH64 (seed 0) over, for each file in read order,
 * its name relative to the program, a NUL byte, its bytes, a NUL byte. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>

#include "rules/load_impl.h"

#define RL_MAX_FILE  (16u << 20)  /* one rule file */
#define RL_MAX_FILES 1000

typedef struct rl_file {
	char *name;       /* relative */
	char *path;
	char *buf;
	size_t n;
	bool is_lua;
	yd_node *root;
	bool parsed;
} rl_file;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n > m && strcmp(s + n - m, suf) == 0;
}

static int read_file(const char *path, char **buf, size_t *n, char *err, size_t errsz)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errsz, "cannot open: %s", strerror(errno));
		return -1;
	}
	size_t cap = 8192, len = 0;
	char *b = malloc(cap);
	for (;;) {
		if (!b) {
			snprintf(err, errsz, "out of memory");
			fclose(f);
			return -1;
		}
		size_t got = fread(b + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
		if (len == cap) {
			if (cap >= RL_MAX_FILE) {
				free(b);
				fclose(f);
				snprintf(err, errsz, "file larger than %u bytes", RL_MAX_FILE);
				return -1;
			}
			char *nb = realloc(b, cap * 2);
			if (!nb)
				free(b);
			b = nb;
			cap *= 2;
		}
	}
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		free(b);
		snprintf(err, errsz, "read error");
		return -1;
	}
	*buf = b;
	*n = len;
	return 0;
}

/* Files of the program in read order: program.yaml, then *.yaml and *.lua
 * in byte order of names. Returns count, or -1 after an error. */
static int list_files(const char *path, rl_file **out, prog_errors *errs)
{
	struct stat st;
	if (stat(path, &st)) {
		rl_err_add(errs, path, 1, 1, "cannot open the program: %s", strerror(errno));
		return -1;
	}
	rl_file *v;
	if (!S_ISDIR(st.st_mode)) {
		v = calloc(1, sizeof *v);
		const char *base = strrchr(path, '/');
		if (!v)
			return -1;
		v->name = strdup(base ? base + 1 : path);
		v->path = strdup(path);
		*out = v;
		return 1;
	}
	DIR *d = opendir(path);
	if (!d) {
		rl_err_add(errs, path, 1, 1, "cannot open the program directory: %s", strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "program.yaml") == 0)
			continue;
		if (!ends_with(de->d_name, ".yaml") && !ends_with(de->d_name, ".lua"))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nn = realloc(names, cap * sizeof *nn);
			if (!nn)
				break;
			names = nn;
		}
		names[n++] = strdup(de->d_name);
		if (n > RL_MAX_FILES)
			break;
	}
	closedir(d);
	if (n > RL_MAX_FILES) {
		rl_err_add(errs, "program.yaml", 1, 1, "more than %d rule files", RL_MAX_FILES);
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return -1;
	}
	if (n)
		qsort(names, n, sizeof *names, cmp_str);
	v = calloc(n + 1, sizeof *v);
	if (!v)
		return -1;
	v[0].name = strdup("program.yaml");
	for (size_t i = 0; i < n; i++)
		v[i + 1].name = names[i];
	free(names);
	for (size_t i = 0; i <= n; i++) {
		size_t len = strlen(path) + strlen(v[i].name) + 2;
		v[i].path = malloc(len);
		if (v[i].path)
			snprintf(v[i].path, len, "%s/%s", path, v[i].name);
		v[i].is_lua = ends_with(v[i].name, ".lua");
	}
	*out = v;
	return (int)n + 1;
}

void rl_finish(rl_loader *L);

program *program_load(const char *path, const prog_limits *lim, prog_errors *errs)
{
	prog_errors local = { 0 };
	if (!errs)
		errs = &local;
	errs->v = NULL;
	errs->n = 0;

	program *p = calloc(1, sizeof *p);
	if (!p) {
		rl_err_add(errs, path, 1, 1, "out of memory");
		return NULL;
	}
	arena_init(&p->mem, 64 * 1024, 0);
	p->point_value = 1;
	p->timezone = "UTC";
	rl_loader L = { .p = p, .errs = errs, .lim = lim };
	arena_init(&L.tmp, 256 * 1024, 0);

	rl_file *files = NULL;
	int nf = list_files(path, &files, errs);
	XXH64_state_t *hs = XXH64_createState();
	if (hs)
		XXH64_reset(hs, 0);
	if (nf > 0 && rl_env_build(&L))
		rl_err_add(errs, files[0].name, 1, 1, "out of memory");

	for (int i = 0; i < nf && errs->n == 0; i++) {
		rl_file *f = &files[i];
		char emsg[256];
		if (!f->path || !f->name || read_file(f->path, &f->buf, &f->n, emsg, sizeof emsg)) {
			rl_err_add(errs, f->name ? f->name : "?", 1, 1, "%s", f->path ? emsg : "out of memory");
			continue;
		}
		if (hs) {
			XXH64_update(hs, f->name, strlen(f->name) + 1);
			XXH64_update(hs, f->buf, f->n);
			XXH64_update(hs, "", 1);
		}
	}
	/* keep the names for error messages and rule files past this call */
	for (int i = 0; i < nf; i++)
		if (files[i].name) {
			char *kept = arena_strndup(&p->mem, files[i].name, strlen(files[i].name));
			if (kept) {
				free(files[i].name);
				files[i].name = kept;
			} else {
				files[i].name = NULL;
			}
		}
	if (errs->n == 0) {
		/* pass 1: parse, declare segment and experiment names */
		for (int i = 0; i < nf; i++) {
			rl_file *f = &files[i];
			L.file = f->name;
			if (f->is_lua) {
				/* Lua files add rules and segments in this pass so that
				 * YAML rules of any file may name their segments */
				L.file_index = (uint32_t)i;
				L.order = 0;
				rl_load_lua(&L, f->name, f->buf, f->n);
				continue;
			}
			int el, ec;
			char em[256];
			L.file_index = (uint32_t)i;
			L.order = 0;
			if (yd_parse(f->buf, f->n, &L.tmp, &f->root, &el, &ec, em, sizeof em)) {
				rl_err_add(errs, f->name, el, ec, "%s", em);
				continue;
			}
			f->parsed = true;
			rl_yaml_collect(&L, f->root, i == 0);
		}
		/* segments' expressions, now that all segment names are known */
		for (uint32_t i = 0; i < p->nsegments; i++) {
			rl_segment *s = &p->segments[i];
			if (!L.seg_nodes[i])
				continue; /* defined by a Lua file: its condition is a function */
			L.file = s->file;
			rl_rec_reset(&L);
			if (rl_compile_node(&L, L.seg_nodes[i], EXPR_SCOPE_TOP, ET_BOOL | ET_NULL, false, &s->cond) == 0 &&
			    L.nrec_segs) {
				s->deps = arena_alloc(&p->mem, L.nrec_segs * sizeof *s->deps);
				if (s->deps) {
					memcpy(s->deps, L.rec_segs, L.nrec_segs * sizeof *s->deps);
					s->ndeps = L.nrec_segs;
				}
			}
		}
		/* pass 2: everything else, in read order */
		for (int i = 0; i < nf; i++) {
			rl_file *f = &files[i];
			L.file = f->name;
			L.file_index = (uint32_t)i;
			L.order = 0;
			if (!f->is_lua && f->parsed)
				rl_yaml_program(&L, f->root, i == 0);
		}
		if (errs->n == 0)
			rl_lua_compile_all(&L);
		rl_finish(&L);
	}
	if (hs) {
		snprintf(p->version, sizeof p->version, "%016llx", (unsigned long long)XXH64_digest(hs));
		XXH64_freeState(hs);
	}
	if (!p->name && nf > 0) {
		/* the program's name defaults to its directory or file name */
		const char *s = path + strlen(path);
		while (s > path && s[-1] == '/')
			s--;
		const char *e = s;
		while (s > path && s[-1] != '/')
			s--;
		p->name = arena_strndup(&p->mem, s, (size_t)(e - s));
	}
	if (!p->currency)
		p->currency = "XXX";
	for (int i = 0; i < nf; i++) {
		free(files[i].path);
		free(files[i].buf);
	}
	free(files);
	free(L.rec_coupons);
	free(L.rec_segs);
	free(L.seg_nodes);
	arena_free(&L.tmp);
	if (nf <= 0 && errs->n == 0)
		rl_err_add(errs, path, 1, 1, "no program");
	if (errs->n) {
		rl_err_sort(errs);
		program_free(p);
		if (errs == &local)
			prog_errors_free(&local);
		return NULL;
	}
	return p;
}
