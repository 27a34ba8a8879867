/* rules/program.c — what a loaded program declares (names, tiers,
 * experiments), freeing it, and the pure per-customer functions the engine
 * calls outside rl_evaluate: tier at a time and customer-only segments.
 * Experiment assignment and the holdout are in rules/experiment.c. */
#include <stdlib.h>
#include <string.h>

#include "lang/luasb.h"
#include "rules/eval_ctx.h"

_Static_assert(PROGRAM_LUA_NSTATUS == LUASB_NSTATUS, "program.h mirrors luasb.h's failure kinds");

void program_free(program *p)
{
	if (!p)
		return;
	for (uint32_t i = 0; i < p->nexprs; i++)
		expr_free(p->exprs[i]);
	free(p->exprs);
	if (p->lua_free && p->lua)
		p->lua_free(p->lua);
	expr_env_free(p->env);
	expr_env_free(p->cust_env);
	free(p->rules);
	free(p->preds);
	free(p->segments);
	free(p->experiments);
	free(p->attrs);
	free(p->attr_len);
	free(p->coupons);
	free(p->coupon_len);
	arena_free(&p->mem);
	free(p);
}

const char *program_name(const program *p) { return p->name ? p->name : ""; }
const char *program_version(const program *p) { return p->version; }
const char *program_timezone(const program *p) { return p->timezone; }
int64_t program_point_value(const program *p) { return p->point_value; }
uint32_t program_ntiers(const program *p) { return p->ntiers; }
uint32_t program_nrules(const program *p) { return p->nrules; }
uint32_t program_nsegments(const program *p) { return p->nsegments; }
uint32_t program_nexperiments(const program *p) { return p->nexperiments; }

const char *program_tier_name(const program *p, uint32_t i)
{
	return i < p->ntiers ? p->tiers[i].name : NULL;
}

const char *program_rule_name(const program *p, uint32_t i)
{
	return i < p->nrules ? p->rules[i].name : NULL;
}

const char *program_segment_name(const program *p, uint32_t i)
{
	return i < p->nsegments ? p->segments[i].name : NULL;
}

const char *program_experiment_name(const program *p, uint32_t i)
{
	return i < p->nexperiments ? p->experiments[i].name : NULL;
}

const char *program_variant_name(const program *p, uint32_t exp, uint32_t variant)
{
	if (exp >= p->nexperiments || variant >= p->experiments[exp].nvariants)
		return NULL;
	return p->experiments[exp].variants[variant];
}

bool program_experiment_running(const program *p, uint32_t exp, int64_t ts)
{
	if (exp >= p->nexperiments)
		return false;
	const rl_experiment *e = &p->experiments[exp];
	return (!e->has_start || ts >= e->start_ts) && (!e->has_end || ts <= e->end_ts);
}

/* A context with the customer alone: request names are null. */
static int cust_ctx(rl_ctx *x, const program *p, const rl_customer *c, expr_value *vars,
	int8_t *seg, int *variant, char *scratch, size_t scratch_cap)
{
	memset(x, 0, sizeof *x);
	x->p = p;
	x->c = c;
	x->vars = vars;
	x->seg = seg;
	x->variant = variant;
	x->f.vars = vars;
	x->f.host = x;
	x->f.scratch = scratch;
	x->f.scratch_cap = scratch_cap;
	for (int i = VS_SUBTOTAL; i < VS_NFIXED; i++)
		rl_set_null(&vars[i]);
	return 0;
}

/* A tier's qualify on the customer in x->vars; an error: it does not
 * qualify. f.item is NULL outside item loops, so an expression goes to
 * lang/ directly. */
static inline bool qualifies(rl_ctx *x, const rl_code *c)
{
	bool q = false;
	if (c->kind == RC_EXPR) {
		if (expr_eval_bool(c->e, &x->f, &q))
			q = false;
	} else if (c->kind != RC_NONE && rl_code_bool_slow(x, c, -1, false, &q)) {
		q = false;
	}
	return q;
}

int rl_tier_ctx(rl_ctx *x, const rl_customer *cust, int64_t ts, bool commit, int64_t *qualified_at_out)
{
	const rl_tier *t = x->p->tiers;
	uint32_t nt = x->p->ntiers;
	const int64_t *qat = cust->tier_qualified_at;
	uint32_t nq = qat ? cust->ntiers : 0;
	/* `tier` inside qualify would be circular: it is null there */
	/* saved field by field: `tier` was just written that way, and a 16-byte
	 * reload of it would stall on store forwarding */
	expr_value *tv = &x->vars[VS_TIER];
	expr_vtype saved_t = tv->t;
	const char *saved_p = tv->u.s.p;
	uint32_t saved_n = tv->u.s.n;
	rl_set_null(tv);
	int best = 0;
	if (!commit) {
		bool lua = false; /* only a program with Lua files has Lua qualify */
		for (uint32_t i = 1; x->p->lua && i < nt; i++)
			lua |= t[i].qualify.kind == RC_LUA;
		if (!lua) {
			/* the highest tier that holds: from the top, and a tier kept
			 * by its grace needs no qualify (nothing but the answer depends
			 * on evaluating an expression one: it sees customer names only
			 * and its errors are silent; a Lua qualify keeps the full loop,
			 * for its budgets and failure counts) */
			for (uint32_t i = nt; i-- > 1;) {
				int64_t qa = i < nq ? qat[i] : 0;
				if ((qa != 0 && ts - qa < t[i].keep_days * 86400) || qualifies(x, &t[i].qualify)) {
					best = (int)i;
					break;
				}
			}
			goto done;
		}
	}
	for (uint32_t i = 0; i < nt; i++) {
		int64_t qa = i < nq ? qat[i] : 0;
		bool q = i == 0 || qualifies(x, &t[i].qualify);
		if (q || (qa != 0 && ts - qa < t[i].keep_days * 86400))
			best = (int)i;
		if (commit && qualified_at_out)
			qualified_at_out[i] = q ? ts : qa;
	}
done:
	if (saved_t == EV_STR)
		rl_set_str(tv, saved_p, saved_n);
	else
		rl_set_null(tv);
	return best;
}

int rl_tier_at(const program *p, const rl_customer *cust, int64_t ts, bool commit,
	int64_t *qualified_at_out)
{
	if (!cust)
		return -1;
	rl_ctx X;
	expr_value vars[VS_NFIXED + RL_MAX_ATTRS];
	char scratch[1024];
	cust_ctx(&X, p, cust, vars, NULL, NULL, scratch, sizeof scratch);
	rl_ctx_customer_vars(&X, ts, -1);
	return rl_tier_ctx(&X, cust, ts, commit, qualified_at_out);
}

uint32_t rl_customer_segments(const program *p, const rl_customer *cust, int64_t ts,
	arena *mem, int *out)
{
	if (!cust || p->nsegments == 0)
		return 0;
	rl_ctx X;
	expr_value *vars = arena_alloc(mem, (VS_NFIXED + p->nattrs) * sizeof *vars);
	int8_t *seg = arena_alloc(mem, p->nsegments);
	int *variant = arena_alloc(mem, (p->nexperiments + 1) * sizeof *variant);
	char *scratch = arena_alloc(mem, 4096);
	if (!vars || !seg || !variant || !scratch)
		return 0;
	cust_ctx(&X, p, cust, vars, seg, variant, scratch, 4096);
	X.mem = mem;
	memset(seg, -1, p->nsegments);
	rl_ctx_customer_vars(&X, ts, rl_tier_at(p, cust, ts, false, NULL));
	for (uint32_t e = 0; e < p->nexperiments; e++)
		variant[e] = cust->id.p && program_experiment_running(p, e, ts) ?
			rl_assign_variant(p, e, cust->id.p, cust->id.n) : -1;
	uint32_t k = 0;
	for (uint32_t s = 0; s < p->nsegments; s++)
		if (p->segments[s].customer_only && rl_segment_value(&X, s))
			out[k++] = (int)s;
	return k;
}
