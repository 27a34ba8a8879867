/* rules/experiment.c — who is in which experiment, and who is held out
 * (doc/experiments.md is the contract; a data team recomputes both from
 * the program file, so nothing here may depend on the time, the machine,
 * other experiments or the loyaltyd version).
 *
 * Owns: rl_assign_variant (experiment assignment), rl_held_out and the
 * evaluator's holdout gate. Must not: read the clock, keep any state that
 * can change a result (the one cache below holds a pure function's last
 * answer, keyed by everything it depends on), or change a result for a
 * program without `holdout` (hash and thresholds are fixed by the
 * documentation). */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "rules/prog_impl.h"

/* H(prefix + ":" + id + suffix) with seed 0, as the documentation writes
 * it. The key is built on the stack for ordinary ids; a longer one (ids
 * are bounded by the engine, salts by the loader) is heap-built. */
static bool hash_key(const char *prefix, const char *id, size_t n, const char *suffix,
	uint64_t *out)
{
	size_t pl = strlen(prefix), sl = suffix ? strlen(suffix) : 0;
	char stackbuf[512];
	size_t need = pl + 1 + n + sl;
	char *buf = need <= sizeof stackbuf ? stackbuf : malloc(need);
	if (!buf)
		return false;
	memcpy(buf, prefix, pl);
	buf[pl] = ':';
	memcpy(buf + pl + 1, id, n);
	if (sl)
		memcpy(buf + pl + 1 + n, suffix, sl);
	*out = XXH64(buf, need, 0);
	if (buf != stackbuf)
		free(buf);
	return true;
}

/* bucket = XXH64("S:id") % 10000 < percent × 100 (doc/experiments.md,
 * "Global holdout"). Anonymous baskets never reach here (no id). */
static bool held_out_hash(const program *p, const char *id, size_t n)
{
	uint64_t h;
	if (!hash_key(p->holdout_salt, id, n, NULL, &h))
		return false;
	return (int64_t)(h % 10000) < p->holdout_x100;
}

/* A request asks the same question once per experiment and once more for
 * the rule gate: the last answer is kept per thread, keyed by the
 * program's content hash (which fixes percent and salt) and the id's bytes
 * — not by pointers, which the next request or program may reuse. */
static _Thread_local struct {
	char version[sizeof ((program *)0)->version];
	int64_t x100;
	uint32_t n;
	bool held;
	char id[64];
} last;

bool rl_held_out(const program *p, const char *id, size_t n)
{
	if (!p->holdout_x100 || !id)
		return false;
	if (n > sizeof last.id || !p->version[0]) /* no content hash: no key */
		return held_out_hash(p, id, n);
	if (last.n == n && last.x100 == p->holdout_x100 && memcmp(last.id, id, n) == 0 &&
	    memcmp(last.version, p->version, sizeof last.version) == 0)
		return last.held;
	bool held = held_out_hash(p, id, n);
	memcpy(last.version, p->version, sizeof last.version);
	last.x100 = p->holdout_x100;
	memcpy(last.id, id, n);
	last.n = (uint32_t)n;
	last.held = held;
	return held;
}

bool program_has_holdout(const program *p, int64_t *percent_x100, const char **salt)
{
	if (percent_x100)
		*percent_x100 = p->holdout_x100;
	if (salt)
		*salt = p->holdout_salt;
	return p->holdout_x100 != 0;
}

/* bucket = XXH64("salt:id", seed 0) % 10000: in traffic iff bucket <
 * traffic × 100; variant: XXH64("salt:id:variant", 0) % 10000 against the
 * cumulative weights scaled to 10000 (doc/experiments.md). The literal
 * word "variant" keeps the second draw independent of the first. A
 * held-out customer is in no experiment (step 0 of the documentation). */
int rl_assign_variant(const program *p, uint32_t exp, const char *id, size_t n)
{
	if (exp >= p->nexperiments || !id)
		return -1;
	if (p->holdout_x100 && rl_held_out(p, id, n))
		return -1;
	const rl_experiment *e = &p->experiments[exp];
	size_t sl = strlen(e->salt);
	char stackbuf[512];
	size_t need = sl + 1 + n + sizeof ":variant";
	char *buf = need <= sizeof stackbuf ? stackbuf : malloc(need);
	if (!buf)
		return -1;
	memcpy(buf, e->salt, sl);
	buf[sl] = ':';
	memcpy(buf + sl + 1, id, n);
	size_t len = sl + 1 + n;
	uint64_t bucket = XXH64(buf, len, 0) % 10000;
	int v = -1;
	if ((int64_t)bucket < e->traffic_x100) {
		memcpy(buf + len, ":variant", 8);
		uint64_t h = XXH64(buf, len + 8, 0) % 10000;
		/* the first i with h < cum[i] is the number of thresholds at or
		 * below h (cum never decreases and ends at 10000 > h): counted
		 * without a branch, since a random draw mispredicts the loop's */
		uint32_t k = 0;
		for (uint32_t i = 0; i < e->nvariants; i++)
			k += h >= e->cum[i];
		if (k < e->nvariants)
			v = (int)k;
	}
	if (buf != stackbuf)
		free(buf);
	return v;
}

/* The evaluator's per-request hook: rules/load_check.c pointed every rule
 * that is neither exempt nor in an experiment at the extra variant slot
 * `variant[nexperiments]`, so the existing experiment test of phase 1
 * skips them when this slot is -1. Rules in an experiment need nothing:
 * rl_assign_variant already gave a held-out customer -1 everywhere. One
 * hash per request, none per rule. */
void rl_holdout_gate(const program *p, const rl_customer *c, int *variant)
{
	if (!p->holdout_x100)
		return;
	bool held = c && c->id.p && rl_held_out(p, c->id.p, c->id.n);
	variant[p->nexperiments] = held ? -1 : 0;
}
