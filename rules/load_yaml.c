/* rules/load_yaml.c — the meaning of every key of a YAML program file
 * (rules.md, "program.yaml" and "Rules"): checks types and ranges and turns
 * nodes into the program's tiers, segments, experiments and rules.
 *
 * Every problem is recorded with its position and checking goes on, so that
 * the marketer sees all errors at once; nothing here stops at the first.
 * Two passes per file: rl_yaml_collect() declares segment and experiment
 * names (a rule may use a segment defined in a later file), then
 * rl_yaml_program() reads everything else. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "rules/load_impl.h"

#define ERR(L, n, ...) rl_err_add((L)->errs, (L)->file, (n) ? (n)->line : 1, (n) ? (n)->col : 1, __VA_ARGS__)

static void *grow(void *v, uint32_t n, uint32_t *cap, size_t sz)
{
	if (n < *cap)
		return v;
	uint32_t c = *cap ? *cap * 2 : 16;
	void *nv = realloc(v, c * sz);
	if (nv)
		*cap = c;
	return nv;
}

rl_rule *rl_add_rule(rl_loader *L)
{
	program *p = L->p;
	rl_rule *v = grow(p->rules, p->nrules, &L->caprules, sizeof *v);
	if (!v)
		return NULL;
	p->rules = v;
	rl_rule *r = &v[p->nrules++];
	memset(r, 0, sizeof *r);
	r->experiment = -1;
	r->variant = -1;
	r->disc.items_pred = -1;
	/* read order: files in order, rules in order within a file, whichever
	 * pass adds them (Lua files add theirs in pass 1) */
	r->order = (L->file_index << 20) | (L->order++ & 0xfffff);
	return r;
}

rl_segment *rl_add_segment(rl_loader *L)
{
	program *p = L->p;
	rl_segment *v = grow(p->segments, p->nsegments, &L->capsegs, sizeof *v);
	if (!v)
		return NULL;
	p->segments = v;
	uint32_t cap = L->capsegs;
	const yd_node **nodes = realloc(L->seg_nodes, cap * sizeof *nodes);
	if (!nodes)
		return NULL;
	L->seg_nodes = nodes;
	nodes[p->nsegments] = NULL;
	rl_segment *s = &v[p->nsegments++];
	memset(s, 0, sizeof *s);
	return s;
}

rl_experiment *rl_add_experiment(rl_loader *L)
{
	program *p = L->p;
	rl_experiment *v = grow(p->experiments, p->nexperiments, &L->capexps, sizeof *v);
	if (!v)
		return NULL;
	p->experiments = v;
	rl_experiment *e = &v[p->nexperiments++];
	memset(e, 0, sizeof *e);
	return e;
}

/* Report keys not in `allowed` and keys given twice. */
static void check_keys(rl_loader *L, const yd_node *map, const char *const *allowed, const char *what)
{
	for (uint32_t i = 0; i + 1 < map->nv; i += 2) {
		const yd_node *k = map->v[i];
		bool known = false;
		for (const char *const *a = allowed; *a; a++)
			if (strcmp(*a, k->s) == 0)
				known = true;
		if (!known && strcmp(what, "a rules file") == 0 &&
		    (!strcmp(k->s, "program") || !strcmp(k->s, "currency") || !strcmp(k->s, "timezone") ||
		     !strcmp(k->s, "points") || !strcmp(k->s, "tiers")))
			ERR(L, k, "'%s' belongs in program.yaml, not in a rules file", k->s);
		else if (!known)
			ERR(L, k, "unknown key '%.100s' in %s", k->s, what);
		for (uint32_t j = 0; j < i; j += 2)
			if (strcmp(map->v[j]->s, k->s) == 0) {
				ERR(L, k, "duplicate key '%.100s'", k->s);
				break;
			}
	}
}

/* A name or text: any scalar but null and booleans (YAML 1.2 core). */
static const char *get_text(rl_loader *L, const yd_node *n, const char *key)
{
	bool b;
	if (!n || n->kind != YD_SCALAR || yd_is_null(n) || yd_is_bool(n, &b)) {
		ERR(L, n, "'%s' must be a string", key);
		return NULL;
	}
	if (n->n == 0 || memchr(n->s, 0, n->n)) {
		ERR(L, n, "'%s' must be a non-empty string without NUL bytes", key);
		return NULL;
	}
	return arena_strndup(&L->p->mem, n->s, n->n);
}

static bool get_int(rl_loader *L, const yd_node *n, const char *key, int64_t min, int64_t max, int64_t *out)
{
	if (!yd_is_int(n, out)) {
		ERR(L, n, "'%s' must be an integer", key);
		return false;
	}
	if (*out < min || *out > max) {
		if (max == INT64_MAX)
			ERR(L, n, "'%s' must be at least %lld", key, (long long)min);
		else
			ERR(L, n, "'%s' must be between %lld and %lld", key, (long long)min, (long long)max);
		return false;
	}
	return true;
}

/* Exact hundredths from the scalar's text. */
static bool get_decimal(rl_loader *L, const yd_node *n, const char *key, int64_t min_x100,
	int64_t max_x100, bool min_exclusive, int64_t *out)
{
	if (!n || n->kind != YD_SCALAR || !n->plain) {
		ERR(L, n, "'%s' must be a number", key);
		return false;
	}
	int rc = rl_decimal_x100(n->s, n->n, out);
	if (rc == -2) {
		ERR(L, n, "'%s' has more than two decimals", key);
		return false;
	}
	if (rc) {
		ERR(L, n, "'%s' must be a number", key);
		return false;
	}
	if ((min_exclusive ? *out <= min_x100 : *out < min_x100) || *out > max_x100) {
		ERR(L, n, "'%s' must be %s %lld.%02lld and at most %lld.%02lld", key,
			min_exclusive ? "over" : "at least",
			(long long)(min_x100 / 100), (long long)(min_x100 % 100),
			(long long)(max_x100 / 100), (long long)(max_x100 % 100));
		return false;
	}
	return true;
}

static bool get_date(rl_loader *L, const yd_node *n, const char *key, int64_t *local_midnight)
{
	int y, m, d;
	char tail;
	if (!n || n->kind != YD_SCALAR || n->n != 10 ||
	    sscanf(n->s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || n->s[4] != '-' || n->s[7] != '-' ||
	    m < 1 || m > 12 || d < 1 || d > 31 || y < 1970 || y > 9999) {
		ERR(L, n, "'%s' must be a date YYYY-MM-DD", key);
		return false;
	}
	int64_t days = rl_days_from_civil(y, m, d);
	int yy, mm, dd;
	rl_civil_from_days(days, &yy, &mm, &dd);
	if (yy != y || mm != m || dd != d) {
		ERR(L, n, "'%s' is not a calendar date", key);
		return false;
	}
	*local_midnight = days * 86400;
	return true;
}

/* ---- pass 1: names of segments and experiments ---------------------------- */

static void collect_segments(rl_loader *L, const yd_node *segs)
{
	if (yd_is_null(segs))
		return;
	if (segs->kind != YD_MAP) {
		ERR(L, segs, "'segments' must be a mapping of name: expression");
		return;
	}
	for (uint32_t i = 0; i + 1 < segs->nv; i += 2) {
		const yd_node *k = segs->v[i];
		int prev = rl_find_segment(L->p, k->s, k->n);
		if (prev >= 0) {
			const rl_segment *s = &L->p->segments[prev];
			ERR(L, k, "duplicate segment '%.100s' (first defined at %s:%d:%d)",
				k->s, s->file, s->line, s->col);
			continue;
		}
		if (k->n == 0) {
			ERR(L, k, "a segment needs a name");
			continue;
		}
		rl_segment *s = rl_add_segment(L);
		if (!s) {
			ERR(L, k, "out of memory");
			return;
		}
		s->name = arena_strndup(&L->p->mem, k->s, k->n);
		s->file = L->file;
		s->line = k->line;
		s->col = k->col;
		L->seg_nodes[L->p->nsegments - 1] = segs->v[i + 1];
	}
}

static const char *const exp_keys[] = { "name", "salt", "traffic", "variants", "start", "end",
	"description", NULL };

static void collect_experiment(rl_loader *L, const yd_node *x)
{
	if (x->kind != YD_MAP) {
		ERR(L, x, "an experiment must be a mapping");
		return;
	}
	check_keys(L, x, exp_keys, "experiment");
	const yd_node *nn = yd_get(x, "name");
	if (!nn) {
		ERR(L, x, "experiment needs a 'name'");
		return;
	}
	const char *name = get_text(L, nn, "name");
	if (!name)
		return;
	int prev = rl_find_experiment(L->p, nn->s, nn->n);
	if (prev >= 0) {
		ERR(L, nn, "duplicate experiment '%.100s'", name);
		return;
	}
	rl_experiment *e = rl_add_experiment(L);
	if (!e) {
		ERR(L, x, "out of memory");
		return;
	}
	e->name = name;
	e->salt = name;
	e->traffic_x100 = 10000;
	const yd_node *n;
	if ((n = yd_get(x, "salt"))) {
		const char *s = get_text(L, n, "salt");
		if (s)
			e->salt = s;
	}
	if ((n = yd_get(x, "traffic")))
		get_decimal(L, n, "traffic", 0, 10000, false, &e->traffic_x100);
	n = yd_get(x, "variants");
	if (!n) {
		ERR(L, x, "experiment '%.100s' needs 'variants'", name);
	} else if (n->kind != YD_MAP || n->nv == 0) {
		ERR(L, n, "'variants' must be a mapping of variant: weight");
	} else {
		uint32_t nv = n->nv / 2;
		e->variants = arena_calloc(&L->p->mem, nv, sizeof *e->variants);
		e->weights = arena_calloc(&L->p->mem, nv, sizeof *e->weights);
		e->cum = arena_calloc(&L->p->mem, nv, sizeof *e->cum);
		if (!e->variants || !e->weights || !e->cum) {
			ERR(L, n, "out of memory");
			return;
		}
		int64_t total = 0;
		bool okw = true;
		for (uint32_t i = 0; i < nv; i++) {
			const yd_node *k = n->v[2 * i], *w = n->v[2 * i + 1];
			for (uint32_t j = 0; j < i; j++)
				if (strcmp(e->variants[j], k->s) == 0)
					ERR(L, k, "duplicate variant '%.100s'", k->s);
			e->variants[i] = arena_strndup(&L->p->mem, k->s, k->n);
			if (!yd_is_int(w, &e->weights[i]) || e->weights[i] <= 0 || e->weights[i] > 1000000) {
				ERR(L, w, "variant weight must be a positive integer (at most 1000000)");
				okw = false;
				continue;
			}
			total += e->weights[i];
		}
		e->nvariants = nv;
		if (okw) {
			/* cumulative thresholds out of 10000: doc/experiments.md */
			int64_t acc = 0;
			for (uint32_t i = 0; i < nv; i++) {
				acc += e->weights[i];
				e->cum[i] = (uint32_t)(acc * 10000 / total);
			}
		}
	}
	int64_t s = 0, en = 0;
	const yd_node *sn = yd_get(x, "start"), *enn = yd_get(x, "end");
	if (sn && get_date(L, sn, "start", &s)) {
		e->has_start = true;
		e->start_ts = rl_tz_local_to_utc(&L->p->tz, s);
	}
	if (enn && get_date(L, enn, "end", &en)) {
		e->has_end = true;
		e->end_ts = rl_tz_local_to_utc(&L->p->tz, en + 86400) - 1;
		if (e->has_start && en < s)
			ERR(L, enn, "experiment '%.100s' ends before it starts", name);
	}
}

static void collect_experiments(rl_loader *L, const yd_node *xs)
{
	if (yd_is_null(xs))
		return;
	if (xs->kind != YD_SEQ) {
		ERR(L, xs, "'experiments' must be a list");
		return;
	}
	for (uint32_t i = 0; i < xs->nv; i++)
		collect_experiment(L, xs->v[i]);
}

static const char *const main_keys[] = { "program", "currency", "timezone", "points", "tiers",
	"segments", "experiments", "holdout", "rules", "description", NULL };
static const char *const other_keys[] = { "segments", "experiments", "rules", "description", NULL };

void rl_yaml_collect(rl_loader *L, const yd_node *root, bool is_main)
{
	if (yd_is_null(root))
		return;
	if (root->kind != YD_MAP) {
		ERR(L, root, "a program file must be a YAML mapping");
		return;
	}
	check_keys(L, root, is_main ? main_keys : other_keys, is_main ? "program.yaml" : "a rules file");
	if (is_main) {
		/* the timezone first: experiment dates are local to it */
		const yd_node *tz = yd_get(root, "timezone");
		const char *name = "UTC";
		if (tz) {
			const char *t = get_text(L, tz, "timezone");
			if (t) {
				name = t;
				if (rl_tz_load(&L->p->tz, t, &L->p->mem)) {
					ERR(L, tz, "unknown timezone '%.100s' (an IANA name such as Asia/Kolkata)", t);
					name = "UTC";
				}
			}
		}
		L->p->timezone = arena_strndup(&L->p->mem, name, strlen(name));
	}
	collect_segments(L, yd_get(root, "segments"));
	collect_experiments(L, yd_get(root, "experiments"));
}

/* ---- pass 2 --------------------------------------------------------------- */

static void read_tiers(rl_loader *L, const yd_node *ts)
{
	static const char *const tier_keys[] = { "name", "qualify", "keep_days", "description", NULL };
	if (ts->kind != YD_SEQ || ts->nv == 0) {
		ERR(L, ts, "'tiers' must be a non-empty list");
		return;
	}
	L->p->tiers = arena_calloc(&L->p->mem, ts->nv, sizeof *L->p->tiers);
	if (!L->p->tiers)
		return;
	for (uint32_t i = 0; i < ts->nv; i++) {
		const yd_node *t = ts->v[i];
		rl_tier *tier = &L->p->tiers[L->p->ntiers];
		if (t->kind != YD_MAP) {
			ERR(L, t, "a tier must be a mapping");
			continue;
		}
		check_keys(L, t, tier_keys, "tier");
		const yd_node *nn = yd_get(t, "name"), *q = yd_get(t, "qualify"), *k = yd_get(t, "keep_days");
		if (!nn) {
			ERR(L, t, "tier needs a 'name'");
			continue;
		}
		tier->name = get_text(L, nn, "name");
		if (!tier->name)
			continue;
		for (uint32_t j = 0; j < L->p->ntiers; j++)
			if (strcmp(L->p->tiers[j].name, tier->name) == 0)
				ERR(L, nn, "duplicate tier '%.100s'", tier->name);
		tier->keep_days = 365;
		if (k)
			get_int(L, k, "keep_days", 0, 36500, &tier->keep_days);
		if (i == 0 && q)
			ERR(L, q, "the first tier is the base tier and takes no 'qualify'");
		else if (i > 0 && !q)
			ERR(L, t, "tier '%.100s' needs 'qualify' (only the first tier has none)", tier->name);
		else if (q)
			rl_compile_node(L, q, EXPR_SCOPE_TOP, ET_BOOL | ET_NULL, true, &tier->qualify);
		L->p->ntiers++;
	}
}

static void read_points(rl_loader *L, const yd_node *pt)
{
	static const char *const keys[] = { "value", NULL };
	if (pt->kind != YD_MAP) {
		ERR(L, pt, "'points' must be a mapping");
		return;
	}
	check_keys(L, pt, keys, "points");
	const yd_node *v = yd_get(pt, "value");
	if (v)
		get_int(L, v, "value", 1, 1000000000, &L->p->point_value);
}

/* holdout: {percent: P, salt: S} (doc/experiments.md, "Global holdout") */
static void read_holdout(rl_loader *L, const yd_node *h)
{
	static const char *const keys[] = { "percent", "salt", NULL };
	if (h->kind != YD_MAP) {
		ERR(L, h, "'holdout' must be a mapping {percent: P, salt: S}");
		return;
	}
	check_keys(L, h, keys, "holdout");
	const yd_node *pc = yd_get(h, "percent"), *sn = yd_get(h, "salt");
	const char *salt = "holdout";
	if (sn && !(salt = get_text(L, sn, "salt")))
		return;
	int64_t x100;
	if (!pc) {
		ERR(L, h, "'holdout' needs 'percent'");
		return;
	}
	/* over 0 and under 100: 0 % is no holdout, 100 % no program */
	if (!get_decimal(L, pc, "percent", 0, 9999, true, &x100))
		return;
	L->p->holdout_x100 = x100;
	L->p->holdout_salt = salt;
}

static int *copy_ints(rl_loader *L, const int *v, uint32_t n)
{
	if (n == 0)
		return NULL;
	int *c = arena_alloc(&L->p->mem, n * sizeof *c);
	if (c)
		memcpy(c, v, n * sizeof *c);
	return c;
}

static void read_discount(rl_loader *L, rl_rule *r, const yd_node *d)
{
	static const char *const keys[] = { "percent", "amount", "free", "buy", "get", "items", "max", NULL };
	rl_discount *x = &r->disc;
	if (d->kind != YD_MAP) {
		ERR(L, d, "'discount' must be a mapping ({percent: P}, {amount: A}, {free: N} or {buy: X, get: Y})");
		return;
	}
	check_keys(L, d, keys, "discount");
	const yd_node *pc = yd_get(d, "percent"), *am = yd_get(d, "amount"), *fr = yd_get(d, "free"),
		*bu = yd_get(d, "buy"), *ge = yd_get(d, "get"), *it = yd_get(d, "items"), *mx = yd_get(d, "max");
	int kinds = !!pc + !!am + !!fr + !!(bu || ge);
	if (kinds != 1) {
		ERR(L, d, "'discount' needs exactly one of percent, amount, free, buy/get");
		return;
	}
	if (pc) {
		x->kind = DK_PERCENT;
		get_decimal(L, pc, "percent", 0, 10000, true, &x->percent_x100);
	} else if (am) {
		x->kind = DK_AMOUNT;
		int64_t a;
		if (yd_is_int(am, &a)) {
			if (a <= 0)
				ERR(L, am, "'amount' must be a positive integer of minor units");
			x->amount.kind = RC_CONST;
			x->amount.k = expr_int(a);
		} else {
			rl_compile_node(L, am, EXPR_SCOPE_TOP, ET_NUM, false, &x->amount);
		}
	} else if (fr) {
		x->kind = DK_FREE;
		get_int(L, fr, "free", 1, 1000000000, &x->free_n);
	} else {
		x->kind = DK_BUYGET;
		if (!bu)
			ERR(L, ge, "'get' needs 'buy'");
		else if (!ge)
			ERR(L, bu, "'buy' needs 'get'");
		else {
			get_int(L, bu, "buy", 1, 1000000, &x->buy);
			get_int(L, ge, "get", 1, 1000000, &x->get);
		}
	}
	x->items_pred = it ? rl_pred_intern_node(L, it) : -1;
	if (it && x->items_pred < 0) /* reports the error, or keeps it unshared */
		rl_compile_node(L, it, EXPR_SCOPE_ITEM, ET_BOOL | ET_NULL, false, &x->items);
	if (mx) {
		int64_t m;
		if (yd_is_int(mx, &m)) {
			if (m < 0)
				ERR(L, mx, "'max' must be a non-negative integer of minor units");
			x->max.kind = RC_CONST;
			x->max.k = expr_int(m);
		} else {
			rl_compile_node(L, mx, EXPR_SCOPE_TOP, ET_NUM, false, &x->max);
		}
	}
}

static const char *const rule_keys[] = { "name", "priority", "when", "segment", "experiment",
	"variant", "limit", "stop", "discount", "points", "bonus_points", "points_multiplier",
	"referrer_bonus_points", "message", "holdout", "description", NULL };

static void read_rule(rl_loader *L, const yd_node *x)
{
	if (x->kind != YD_MAP) {
		ERR(L, x, "a rule must be a mapping");
		return;
	}
	check_keys(L, x, rule_keys, "rule");
	const yd_node *nn = yd_get(x, "name");
	if (!nn) {
		ERR(L, x, "rule needs a 'name'");
		return;
	}
	const char *name = get_text(L, nn, "name");
	if (!name)
		return;
	for (uint32_t i = 0; i < L->p->nrules; i++)
		if (strcmp(L->p->rules[i].name, name) == 0) {
			const rl_rule *o = &L->p->rules[i];
			ERR(L, nn, "duplicate rule '%.100s' (first defined at %s:%d:%d)", name, o->file,
				o->line, o->col);
			return;
		}
	rl_rule *r = rl_add_rule(L);
	if (!r) {
		ERR(L, x, "out of memory");
		return;
	}
	r->name = name;
	r->file = L->file;
	r->line = nn->line;
	r->col = nn->col;
	rl_rec_reset(L);
	const yd_node *n;
	if ((n = yd_get(x, "priority")))
		get_int(L, n, "priority", -1000000000, 1000000000, &r->priority);
	if ((n = yd_get(x, "when")))
		rl_compile_node(L, n, EXPR_SCOPE_TOP, ET_BOOL | ET_NULL, false, &r->when);
	if ((n = yd_get(x, "segment"))) {
		uint32_t cnt = n->kind == YD_SEQ ? n->nv : 1;
		r->segs = arena_calloc(&L->p->mem, cnt ? cnt : 1, sizeof *r->segs);
		for (uint32_t i = 0; r->segs && i < cnt; i++) {
			const yd_node *s = n->kind == YD_SEQ ? n->v[i] : n;
			const char *sn = get_text(L, s, "segment");
			if (!sn)
				continue;
			int k = rl_find_segment(L->p, s->s, s->n);
			if (k < 0)
				ERR(L, s, "unknown segment '%.100s'", sn);
			else
				r->segs[r->nsegs++] = k;
		}
	}
	const yd_node *xe = yd_get(x, "experiment"), *xv = yd_get(x, "variant");
	if (xv && !xe)
		ERR(L, xv, "'variant' needs 'experiment'");
	if (xe) {
		const char *en = get_text(L, xe, "experiment");
		int k = en ? rl_find_experiment(L->p, xe->s, xe->n) : -1;
		if (en && k < 0)
			ERR(L, xe, "unknown experiment '%.100s'", en);
		r->experiment = k;
		if (k >= 0 && xv) {
			const char *vn = get_text(L, xv, "variant");
			const rl_experiment *e = &L->p->experiments[k];
			for (uint32_t i = 0; vn && i < e->nvariants; i++)
				if (strcmp(e->variants[i], vn) == 0)
					r->variant = (int)i;
			if (vn && r->variant < 0)
				ERR(L, xv, "experiment '%.100s' has no variant '%.100s'", e->name, vn);
		}
		if (k < 0)
			r->experiment = -2; /* refused anyway; keeps "has experiment" true */
	}
	if ((n = yd_get(x, "holdout"))) {
		/* the only value: a rule that still fires for held-out customers */
		if (n->kind != YD_SCALAR || n->n != 6 || memcmp(n->s, "exempt", 6) != 0)
			ERR(L, n, "'holdout' of a rule must be 'exempt'");
		else if (xe)
			ERR(L, n, "'holdout: exempt' cannot apply to a rule with 'experiment': "
				"held-out customers are in no experiment");
		else
			r->holdout_exempt = true;
	}
	if ((n = yd_get(x, "limit"))) {
		static const char *const keys[] = { "per_customer", "window_days", NULL };
		if (n->kind != YD_MAP) {
			ERR(L, n, "'limit' must be a mapping {per_customer: N, window_days: D}");
		} else {
			check_keys(L, n, keys, "limit");
			const yd_node *pc = yd_get(n, "per_customer"), *wd = yd_get(n, "window_days");
			r->has_limit = true;
			if (!pc)
				ERR(L, n, "'limit' needs 'per_customer'");
			else
				get_int(L, pc, "per_customer", 1, 1000000000, &r->limit_n);
			if (wd)
				get_int(L, wd, "window_days", 1, 36500, &r->limit_days);
		}
	}
	if ((n = yd_get(x, "stop")) && !yd_is_bool(n, &r->stop))
		ERR(L, n, "'stop' must be true or false");
	int nactions = 0;
	if ((n = yd_get(x, "discount"))) {
		r->has_discount = true;
		nactions++;
		read_discount(L, r, n);
	}
	if ((n = yd_get(x, "points"))) {
		nactions++;
		rl_compile_node(L, n, EXPR_SCOPE_TOP, ET_NUM, false, &r->points);
	}
	if ((n = yd_get(x, "bonus_points"))) {
		nactions++;
		rl_compile_node(L, n, EXPR_SCOPE_TOP, ET_NUM, false, &r->bonus);
	}
	if ((n = yd_get(x, "referrer_bonus_points"))) {
		nactions++;
		rl_compile_node(L, n, EXPR_SCOPE_TOP, ET_NUM, false, &r->referrer_bonus);
	}
	if ((n = yd_get(x, "points_multiplier"))) {
		nactions++;
		r->has_mult = get_decimal(L, n, "points_multiplier", 0, 100000, false, &r->mult_x100);
	}
	if ((n = yd_get(x, "message"))) {
		nactions++;
		r->message = get_text(L, n, "message");
		r->message_n = r->message ? (uint32_t)n->n : 0;
	}
	if (nactions == 0)
		ERR(L, nn, "rule '%.100s' has no action (discount, points, bonus_points, "
			"points_multiplier, referrer_bonus_points or message)", name);
	r->coupons = copy_ints(L, L->rec_coupons, L->nrec_coupons);
	r->ncoupons = L->nrec_coupons;
}

void rl_yaml_program(rl_loader *L, const yd_node *root, bool is_main)
{
	if (yd_is_null(root) || root->kind != YD_MAP)
		return;
	const yd_node *n;
	if (is_main) {
		if ((n = yd_get(root, "program")))
			L->p->name = get_text(L, n, "program");
		if ((n = yd_get(root, "currency"))) {
			const char *c = get_text(L, n, "currency");
			if (c && (strlen(c) != 3 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' ||
				  c[2] < 'A' || c[2] > 'Z'))
				ERR(L, n, "'currency' must be an ISO 4217 code such as INR");
			else if (c)
				L->p->currency = c;
		}
		if ((n = yd_get(root, "points")))
			read_points(L, n);
		if ((n = yd_get(root, "tiers")))
			read_tiers(L, n);
		if ((n = yd_get(root, "holdout")))
			read_holdout(L, n);
	}
	n = yd_get(root, "rules");
	if (yd_is_null(n))
		return;
	if (n->kind != YD_SEQ) {
		ERR(L, n, "'rules' must be a list");
		return;
	}
	for (uint32_t i = 0; i < n->nv; i++)
		read_rule(L, n->v[i]);
}
