/* rules/load_check.c — checks and derived facts that need the whole
 * program: segment cycles, which segments the `customer` op may show, the
 * final rule order (priority desc, then read order — sorted once here, never
 * per request), per-rule flags the evaluator relies on, and the holdout
 * gate of non-exempt rules. */
#include <stdlib.h>
#include <string.h>

#include "rules/load_impl.h"

enum { WHITE, GREY, BLACK };

/* Depth-first over segment("x") references; a grey node met again is a
 * cycle. Depth is bounded by the number of segments; recursion is bounded
 * by an explicit limit too. */
static void visit(rl_loader *L, uint32_t i, uint8_t *color, int *path, int depth)
{
	program *p = L->p;
	rl_segment *s = &p->segments[i];
	color[i] = GREY;
	path[depth] = (int)i;
	bool cust = !(s->cond.uses & (RL_N_REQUEST | RL_N_ITEMS | RL_N_COUPON));
	for (uint32_t k = 0; k < s->ndeps; k++) {
		uint32_t j = (uint32_t)s->deps[k];
		if (color[j] == GREY) {
			char buf[400];
			size_t o = 0;
			int start = depth;
			while (start > 0 && path[start] != (int)j)
				start--;
			for (int d = start; d <= depth && o < sizeof buf - 110; d++)
				o += (size_t)snprintf(buf + o, sizeof buf - o, "%.100s -> ",
					p->segments[path[d]].name);
			snprintf(buf + o, sizeof buf - o, "%.100s", p->segments[j].name);
			rl_err_add(L->errs, s->file, s->line, s->col,
				"segments form a cycle: %s", buf);
			cust = false;
			continue;
		}
		if (color[j] == WHITE) {
			if (depth + 1 >= 64) {
				rl_err_add(L->errs, s->file, s->line, s->col,
					"segments nested more than 64 deep");
				continue;
			}
			visit(L, j, color, path, depth + 1);
		}
		if (!p->segments[j].customer_only)
			cust = false;
	}
	s->customer_only = cust;
	color[i] = BLACK;
}

static int cmp_rule(const void *a, const void *b)
{
	const rl_rule *x = a, *y = b;
	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* With a holdout, every rule that is neither exempt nor in an experiment
 * waits on the holdout gate, the extra variant slot rl_holdout_gate() sets
 * per request; phase 1's experiment test then skips it for a held-out
 * customer at no cost per rule. */
static void holdout_gate_rules(program *p)
{
	if (!p->holdout_x100)
		return;
	for (uint32_t i = 0; i < p->nrules; i++) {
		rl_rule *r = &p->rules[i];
		if (!r->holdout_exempt && r->experiment == -1) {
			r->experiment = (int)p->nexperiments;
			r->variant = -1;
		}
	}
}

void rl_finish(rl_loader *L)
{
	program *p = L->p;
	if (p->nsegments) {
		uint8_t *color = calloc(p->nsegments, 1);
		int path[64];
		for (uint32_t i = 0; color && i < p->nsegments; i++)
			if (color[i] == WHITE)
				visit(L, i, color, path, 0);
		free(color);
	}
	if (p->ntiers == 0) {
		/* no `tiers`: one tier everybody is in (doc/rules.md) */
		p->tiers = arena_calloc(&p->mem, 1, sizeof *p->tiers);
		if (p->tiers) {
			p->tiers[0].name = "member";
			p->tiers[0].keep_days = 365;
			p->ntiers = 1;
		}
	}
	for (uint32_t i = 0; i < p->ntiers; i++)
		p->tiers[i].name_len = (uint32_t)strlen(p->tiers[i].name);
	for (uint32_t i = 0; i < p->nrules; i++) {
		rl_rule *r = &p->rules[i];
		r->name_len = (uint32_t)strlen(r->name);
		bool p2 = r->points.kind || r->bonus.kind || r->referrer_bonus.kind || r->has_mult;
		r->has_phase2 = p2;
		r->points_only = p2 && !r->has_discount && !r->message;
		if (r->has_limit)
			p->any_limit = true;
	}
	if (p->nrules > 1)
		qsort(p->rules, p->nrules, sizeof *p->rules, cmp_rule);
	holdout_gate_rules(p);
}
