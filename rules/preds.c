/* rules/preds.c — item predicates shared between expressions and memoised
 * per request.
 *
 * Marketers repeat `any_item(item.category == "coffee")` in many rules and
 * `items: item.category == "pastry"` in many discounts. Before an
 * expression goes to lang/, each any_item/count_qty/sum_net call whose
 * argument compiles on its own is rewritten in place, at the same length so
 * that every later column stays true: the function name becomes a hidden
 * twin of the same length and the argument a string literal "#k" padded
 * with blanks (newlines kept), k being the predicate's index in a table
 * deduplicated by text. The twin's bind callback turns "#k" into k. At run
 * time a predicate that reads neither `net` nor `item.net`/`sum_net` is
 * evaluated at most once per line and request. A call that cannot be
 * rewritten (argument too short, or an error: lang then reports it at its
 * place) is left as written. */
#include <stdlib.h>
#include <string.h>

#include "rules/eval_ctx.h"
#include "rules/load_impl.h"

#define PRED_MAX_DEPTH 8

typedef struct twin {
	const char *name, *hidden;
} twin;
/* same lengths, pairwise */
static const twin twins[] = {
	{ "any_item", "__any_it" },
	{ "count_qty", "__cnt_qty" },
	{ "sum_net", "__s_net" },
};

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static size_t skip_string(const char *s, size_t n, size_t i)
{
	char q = s[i++];
	while (i < n) {
		if (s[i] == '\\')
			i += 2;
		else if (s[i] == q)
			return i + 1;
		else
			i++;
	}
	return n;
}

/* Position in the file of byte `off` of an expression starting at pos. */
static expr_pos pos_at(expr_pos pos, const char *s, size_t off)
{
	expr_pos r = pos;
	size_t last_nl = (size_t)-1;
	for (size_t i = 0; i < off; i++)
		if (s[i] == '\n') {
			r.line++;
			last_nl = i;
		}
	if (last_nl == (size_t)-1)
		r.col = pos.col + (int)off;
	else
		r.col = (pos.cont_col ? pos.cont_col : 1) + (int)(off - last_nl - 1);
	return r;
}

/* `item.sku == "LIT"` / `item.category == 'LIT'` with blanks around, LIT
 * without a backslash (so its bytes are the string's: lang/ has already
 * checked them when this runs after a successful compile). */
static bool native_form(const char *s, size_t n, rl_pred_nat *nat)
{
	memset(nat, 0, sizeof *nat);
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	uint32_t slot;
	if (n - i >= 8 && memcmp(s + i, "item.sku", 8) == 0) {
		slot = IS_SKU;
		i += 8;
	} else if (n - i >= 13 && memcmp(s + i, "item.category", 13) == 0) {
		slot = IS_CATEGORY;
		i += 13;
	} else {
		return false;
	}
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	if (n - i < 4 || s[i] != '=' || s[i + 1] != '=')
		return false;
	i += 2;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	if (i >= n || (s[i] != '"' && s[i] != '\''))
		return false;
	char q = s[i++];
	size_t a = i;
	while (i < n && s[i] != q && s[i] != '\\')
		i++;
	if (i >= n || s[i] != q)
		return false;
	size_t b = i++;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	if (i != n)
		return false;
	nat->slot = slot + 1;
	nat->off = (uint32_t)a;
	nat->n = (uint32_t)(b - a);
	return true;
}

static int intern(rl_loader *L, const char *text, size_t n, expr_pos pos, int depth);

/* Rewrite calls in buf (n bytes, a private copy); fills *nested_memo with
 * whether every rewritten predicate may be memoised. */
static void rewrite(rl_loader *L, char *buf, size_t n, expr_pos pos, int depth, bool *nested_memo)
{
	*nested_memo = true;
	for (size_t i = 0; i < n;) {
		char c = buf[i];
		if (c == '"' || c == '\'') {
			i = skip_string(buf, n, i);
			continue;
		}
		if (!ident_char(c) || (i > 0 && (ident_char(buf[i - 1]) || buf[i - 1] == '.'))) {
			i++;
			continue;
		}
		size_t j = i;
		while (j < n && (ident_char(buf[j]) || buf[j] == '.'))
			j++;
		const twin *t = NULL;
		for (size_t k = 0; k < sizeof twins / sizeof twins[0]; k++)
			if (strlen(twins[k].name) == j - i && memcmp(buf + i, twins[k].name, j - i) == 0)
				t = &twins[k];
		size_t k = j;
		while (t && k < n && (buf[k] == ' ' || buf[k] == '\t' || buf[k] == '\n' || buf[k] == '\r'))
			k++;
		if (!t || k >= n || buf[k] != '(') {
			i = j;
			continue;
		}
		/* the matching ')' */
		size_t e = k + 1;
		int d = 1;
		while (e < n && d > 0) {
			if (buf[e] == '"' || buf[e] == '\'') {
				e = skip_string(buf, n, e);
				continue;
			}
			if (buf[e] == '(')
				d++;
			else if (buf[e] == ')')
				d--;
			if (d > 0)
				e++;
		}
		if (e >= n) {
			i = j;
			continue;
		}
		size_t a = k + 1, b = e;
		while (a < b && (buf[a] == ' ' || buf[a] == '\t' || buf[a] == '\n' || buf[a] == '\r'))
			a++;
		while (b > a && (buf[b - 1] == ' ' || buf[b - 1] == '\t' || buf[b - 1] == '\n' || buf[b - 1] == '\r'))
			b--;
		/* item.FIELD == "LIT" stays as written: lang/ runs such an
		 * aggregate as one tight loop over the lines, cheaper than a host
		 * call into the memo */
		rl_pred_nat nat;
		if (a < b && native_form(buf + a, b - a, &nat)) {
			i = e + 1;
			continue;
		}
		int idx = a < b ? intern(L, buf + a, b - a, pos_at(pos, buf, a), depth + 1) : -1;
		char ph[24];
		int phn = idx >= 0 ? snprintf(ph, sizeof ph, "\"#%d\"", idx) : 0;
		if (idx < 0 || (size_t)phn > e - (k + 1)) {
			i = j;
			continue;
		}
		if (!L->p->preds[idx].memo)
			*nested_memo = false;
		memcpy(buf + i, t->hidden, j - i);
		for (size_t q = k + 1; q < e; q++)
			if (buf[q] != '\n' && buf[q] != '\r')
				buf[q] = ' ';
		memcpy(buf + k + 1, ph, (size_t)phn);
		i = e + 1;
	}
}

/* Index of the predicate with this text, compiling it on first sight; -1
 * when it does not compile alone (the caller leaves the call as written). */
static int intern(rl_loader *L, const char *text, size_t n, expr_pos pos, int depth)
{
	program *p = L->p;
	for (uint32_t i = 0; i < p->npreds; i++)
		if (p->preds[i].n == n && memcmp(p->preds[i].text, text, n) == 0)
			return (int)i;
	if (depth > PRED_MAX_DEPTH || p->npreds >= RL_MAX_PREDS)
		return -1;
	char *copy = arena_strndup(&p->mem, text, n);
	if (!copy)
		return -1;
	bool nested_memo;
	rewrite(L, copy, n, pos, depth, &nested_memo);
	expr_error err;
	memset(&err, 0, sizeof err);
	expr *e = expr_compile(p->env, EXPR_SCOPE_ITEM, copy, n, pos, ET_BOOL | ET_NULL, &err);
	if (!e)
		return -1;
	if (p->npreds == p->cappreds) {
		uint32_t cap = p->cappreds ? p->cappreds * 2 : 16;
		rl_pred *v = realloc(p->preds, cap * sizeof *v);
		if (!v) {
			expr_free(e);
			return -1;
		}
		p->preds = v;
		p->cappreds = cap;
	}
	if (p->nexprs == p->capexprs) {
		uint32_t cap = p->capexprs ? p->capexprs * 2 : 64;
		expr **v = realloc(p->exprs, cap * sizeof *v);
		if (!v) {
			expr_free(e);
			return -1;
		}
		p->exprs = v;
		p->capexprs = cap;
	}
	p->exprs[p->nexprs++] = e;
	rl_pred *pr = &p->preds[p->npreds];
	memset(pr, 0, sizeof *pr);
	/* the key: as written */
	char *t = arena_alloc(&p->mem, n + 1);
	if (!t)
		return -1; /* the call stays as written */
	memcpy(t, text, n);
	t[n] = 0;
	if (native_form(t, n, &pr->nat)) {
		uint32_t *head = &p->nat_head[pr->nat.slot - 1][pr->nat.n ? (unsigned char)t[pr->nat.off] : 256];
		pr->nat.next = *head;
		*head = p->npreds + 1;
		p->nnat++;
	}
	pr->text = t;
	pr->n = (uint32_t)n;
	pr->code.kind = RC_EXPR;
	pr->code.e = e;
	pr->code.uses = expr_uses(e);
	pr->memo = nested_memo && !(pr->code.uses & (RL_N_NET | RL_N_ITEMNET));
	return (int)p->npreds++;
}

char *rl_preds_rewrite(rl_loader *L, const char *src, size_t n, expr_pos pos);
char *rl_preds_rewrite(rl_loader *L, const char *src, size_t n, expr_pos pos)
{
	char *buf = arena_strndup(&L->tmp, src, n);
	if (!buf)
		return NULL;
	bool m;
	rewrite(L, buf, n, pos, 0, &m);
	return buf;
}

int rl_pred_intern_node(rl_loader *L, const yd_node *nd);
int rl_pred_intern_node(rl_loader *L, const yd_node *nd)
{
	if (!nd || nd->kind != YD_SCALAR)
		return -1;
	expr_pos pos = { nd->text_line, nd->text_col, nd->cont_col };
	size_t a = 0, b = nd->n;
	while (a < b && (nd->s[a] == ' ' || nd->s[a] == '\n'))
		a++;
	while (b > a && (nd->s[b - 1] == ' ' || nd->s[b - 1] == '\n'))
		b--;
	if (a == b)
		return -1;
	return intern(L, nd->s + a, b - a, pos_at(pos, nd->s, a), 0);
}

/* A `when` that is one any_item(PRED) call and nothing else: the shared
 * predicate's index, so that the evaluator asks the memo directly. */
int rl_pred_when_any(rl_loader *L, const yd_node *nd)
{
	if (!nd || nd->kind != YD_SCALAR)
		return -1;
	const char *s = nd->s;
	size_t a = 0, b = nd->n;
	while (a < b && (s[a] == ' ' || s[a] == '\n' || s[a] == '\t' || s[a] == '\r'))
		a++;
	while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\n' || s[b - 1] == '\t' || s[b - 1] == '\r'))
		b--;
	if (b - a < 11 || memcmp(s + a, "any_item(", 9) != 0 || s[b - 1] != ')')
		return -1;
	/* the '(' after any_item must close at the very end */
	int d = 0;
	for (size_t i = a + 8; i < b; i++) {
		if (s[i] == '"' || s[i] == '\'') {
			i = skip_string(s, b, i) - 1;
			continue;
		}
		if (s[i] == '(')
			d++;
		else if (s[i] == ')' && --d == 0 && i != b - 1)
			return -1;
	}
	if (d != 0)
		return -1;
	size_t pa = a + 9, pb = b - 1;
	while (pa < pb && (s[pa] == ' ' || s[pa] == '\n'))
		pa++;
	while (pb > pa && (s[pb - 1] == ' ' || s[pb - 1] == '\n'))
		pb--;
	if (pa == pb)
		return -1;
	expr_pos pos = { nd->text_line, nd->text_col, nd->cont_col };
	return intern(L, s + pa, pb - pa, pos_at(pos, s, pa), 0);
}

/* A memoised predicate asked on one line is evaluated on every line whose
 * value is not known yet: one pass instead of a call per line and asker.
 * Only pure predicates get here (no net, no segment(): a segment evaluated
 * on first use could warn in another order). The other lines' evaluations
 * leave no trace: their errors leave the line unknown, to fail when it is
 * asked, and scratch strings they built are given back. */
static int pred_fill(rl_ctx *x, const rl_pred *pr, uint64_t *pb, uint32_t i, bool *out)
{
	uint32_t n = x->b->nitems;
	uint64_t known = pb[0], val = pb[1];
	const rl_pred_nat *nat = &pr->nat;
	if (nat->slot) { /* item.FIELD == "LIT": every line, no lang/ */
		const char *lit = pr->text + nat->off;
		uint32_t ln = nat->n;
		val = 0;
		for (uint32_t j = 0; j < n; j++) {
			const expr_value *v = &x->items[(size_t)j * IS_N + nat->slot - 1];
			bool h = v->t == EV_STR && v->u.s.n == ln && rl_bytes_eq(v->u.s.p, lit, ln);
			val |= (uint64_t)h << j;
		}
		pb[0] = n == 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
		pb[1] = val;
		*out = val >> i & 1;
		return 0;
	}
	const expr_value *saved = x->f.item;
	const expr *e = pr->code.e;
	size_t used = x->f.scratch_used;
	int rc = 0;
	for (uint32_t j = 0; j < n; j++) {
		if (known >> j & 1)
			continue;
		bool h;
		x->f.item = &x->items[(size_t)j * IS_N];
		if (j == i) {
			rc = expr_eval_bool(e, &x->f, &h);
			used = x->f.scratch_used; /* line i's strings are kept, as asked */
			if (rc)
				continue;
			*out = h;
		} else {
			int r = expr_eval_bool(e, &x->f, &h);
			x->f.scratch_used = used;
			if (r)
				continue;
		}
		known |= (uint64_t)1 << j;
		val |= (uint64_t)h << j;
	}
	x->f.item = saved;
	pb[0] = known;
	pb[1] = val;
	return rc;
}

static bool pred_fillable(const rl_pred *pr)
{
	return pr->memo && pr->code.kind == RC_EXPR && !(pr->code.uses & RL_N_SEGMENT);
}

int rl_pred_line_eval(rl_ctx *x, uint32_t k, uint32_t i, bool *out)
{
	const rl_pred *pr = &x->p->preds[k];
	if (x->pbits && pred_fillable(pr))
		return pred_fill(x, pr, &x->pbits[2 * (size_t)k], i, out);
	uint8_t *m = pr->memo && x->pmemo ? &x->pmemo[(size_t)k * x->b->nitems + i] : NULL;
	if (m && *m) {
		*out = *m == 2;
		return 0;
	}
	if (rl_code_bool(x, &pr->code, (int)i, false, out))
		return -1;
	if (m)
		*m = *out ? 2 : 1;
	if (x->pbits && pr->memo) { /* memoised, evaluated line by line */
		x->pbits[2 * (size_t)k] |= (uint64_t)1 << i;
		x->pbits[2 * (size_t)k + 1] |= (uint64_t)*out << i;
	}
	return 0;
}

/* Predicates of the item.FIELD == "LIT" form filled for every line at the
 * start of a request, while the lines are being read anyway: each line's
 * sku and category meet only the predicates whose LIT starts with the same
 * byte (program.nat_head), bounded so that a program of thousands of them
 * still fills only those it asks. */
#define PREFILL_MAX 1024
_Static_assert(IS_SKU == 0 && IS_CATEGORY == 1, "nat_head is indexed by the item slot");
void rl_preds_prefill(rl_ctx *x)
{
	const program *p = x->p;
	uint32_t n = x->b->nitems;
	if (!x->pbits || !p->nnat || (size_t)p->npreds * n > PREFILL_MAX)
		return;
	const rl_pred *preds = p->preds;
	uint64_t *pb = x->pbits;
	for (uint32_t j = 0; j < n; j++) {
		const expr_value *iv = &x->items[(size_t)j * IS_N];
		for (uint32_t s = 0; s < 2; s++) {
			const expr_value *v = &iv[s];
			if (v->t != EV_STR)
				continue;
			const char *str = v->u.s.p;
			uint32_t len = v->u.s.n;
			for (uint32_t k1 = p->nat_head[s][len ? (unsigned char)str[0] : 256]; k1;
			     k1 = preds[k1 - 1].nat.next) {
				const rl_pred *pr = &preds[k1 - 1];
				if (pr->nat.n == len && rl_bytes_eq(str, pr->text + pr->nat.off, len))
					pb[2 * (size_t)(k1 - 1) + 1] |= (uint64_t)1 << j;
			}
		}
	}
	uint64_t all = n == 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
	if (p->nnat == p->npreds) /* the usual small program */
		for (uint32_t k = 0; k < p->npreds; k++)
			pb[2 * (size_t)k] = all;
	else
		for (uint32_t k = 0; k < p->npreds; k++)
			if (preds[k].nat.slot)
				pb[2 * (size_t)k] = all;
}

int rl_pred_mask_eval(rl_ctx *x, uint32_t k, uint64_t *mask)
{
	uint64_t m = 0;
	for (uint32_t i = 0; i < x->b->nitems; i++) {
		bool h;
		if (rl_pred_line(x, k, i, &h))
			return -1;
		m |= (uint64_t)h << i;
	}
	*mask = m;
	return 0;
}
