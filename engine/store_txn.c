/* engine/store_txn.c — transactions: one row per txn id (purchases,
 * refunds and adjusts share the namespace), with the content hash that
 * decides replay against conflict, the answer members for replays, and for
 * purchases the per-line figures (a JSON column) and running refund totals
 * from which refunds are computed (rules/refund.c does the arithmetic). */
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "engine/store_internal.h"

static rl_str col_str(sqlite3_stmt *st, int i, arena *mem)
{
	rl_str r = { NULL, 0 };
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return r;
	const char *p = (const char *)sqlite3_column_text(st, i);
	int n = sqlite3_column_bytes(st, i);
	r.p = arena_strndup(mem, p ? p : "", (size_t)n);
	r.n = r.p ? (uint32_t)n : 0;
	return r;
}

/* [[sku, qty, net, refunded_qty, refunded_net], ...] */
static int parse_lines(store_txn *t, rl_str text, arena *mem)
{
	char ebuf[128];
	char *z = arena_strndup(mem, text.p ? text.p : "[]", text.p ? text.n : 2);
	if (!z)
		return -1;
	yajl_val v = yajl_tree_parse(z, ebuf, sizeof ebuf);
	int rc = -1;
	if (!YAJL_IS_ARRAY(v))
		goto out;
	t->nlines = (uint32_t)v->u.array.len;
	t->lines = arena_calloc(mem, t->nlines ? t->nlines : 1, sizeof *t->lines);
	if (!t->lines)
		goto out;
	for (uint32_t i = 0; i < t->nlines; i++) {
		yajl_val e = v->u.array.values[i];
		if (!YAJL_IS_ARRAY(e) || e->u.array.len != 5 || !YAJL_IS_STRING(e->u.array.values[0]))
			goto out;
		for (int k = 1; k < 5; k++)
			if (!YAJL_IS_INTEGER(e->u.array.values[k]))
				goto out;
		const char *sku = YAJL_GET_STRING(e->u.array.values[0]);
		size_t sl = sku ? strlen(sku) : 0;
		store_txn_line *l = &t->lines[i];
		l->sku.p = arena_strndup(mem, sku ? sku : "", sl);
		l->sku.n = (uint32_t)sl;
		l->qty = YAJL_GET_INTEGER(e->u.array.values[1]);
		l->net = YAJL_GET_INTEGER(e->u.array.values[2]);
		l->refunded_qty = YAJL_GET_INTEGER(e->u.array.values[3]);
		l->refunded_net = YAJL_GET_INTEGER(e->u.array.values[4]);
		if (!l->sku.p)
			goto out;
	}
	rc = 0;
out:
	yajl_tree_free(v);
	return rc;
}

/* Binds the lines as JSON to parameter i of st, in place in the store's
 * JSON buffer: the caller runs the statement with exec_json. */
static int bind_lines(store *s, sqlite3_stmt *st, int i, const store_txn *t)
{
	s->jlen = 0;
	s->jnomem = false;
	sj_put(s, "[", 1);
	for (uint32_t k = 0; k < t->nlines; k++) {
		const store_txn_line *l = &t->lines[k];
		sj_put(s, k ? ",[" : "[", k ? 2 : 1);
		sj_str(s, l->sku.p ? l->sku.p : "", l->sku.n);
		sj_put(s, ",", 1);
		sj_i64(s, l->qty);
		sj_put(s, ",", 1);
		sj_i64(s, l->net);
		sj_put(s, ",", 1);
		sj_i64(s, l->refunded_qty);
		sj_put(s, ",", 1);
		sj_i64(s, l->refunded_net);
		sj_put(s, "]", 1);
	}
	sj_put(s, "]", 1);
	if (s->jnomem) {
		snprintf(s->err, sizeof s->err, "out of memory writing a transaction's lines");
		return -1;
	}
	sqlite3_bind_text(st, i, s->jbuf, (int)s->jlen, SQLITE_STATIC);
	return 0;
}

/* Runs a statement with JSON bound in place, then lets go of the buffer. */
static int exec_json(store *s, store_stmt which)
{
	int rc = store_exec_stmt(s, which);
	sqlite3_clear_bindings(s->st[which]);
	s->jlen = 0;
	return rc;
}

int store_txn_get(store *s, const char *txn, size_t n, arena *mem, store_txn *t)
{
	memset(t, 0, sizeof *t);
	sqlite3_stmt *st = store_stmt_rebind(s, ST_TXN_GET);
	store_bind_str(st, 1, txn, n);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 1;
	}
	if (rc != SQLITE_ROW) {
		store_set_err(s, "reading a transaction");
		sqlite3_reset(st);
		return -1;
	}
	t->txn.p = arena_strndup(mem, txn, n);
	t->txn.n = (uint32_t)n;
	rl_str op = col_str(st, 0, mem);
	t->op = op.p ? op.p : "";
	t->content_hash = (uint64_t)sqlite3_column_int64(st, 1);
	t->customer = col_str(st, 2, mem);
	t->answer = col_str(st, 3, mem);
	t->ts = sqlite3_column_int64(st, 4);
	t->net = sqlite3_column_int64(st, 5);
	t->total = sqlite3_column_int64(st, 6);
	t->earned = sqlite3_column_int64(st, 7);
	t->redeemed = sqlite3_column_int64(st, 8);
	t->referrer = col_str(st, 9, mem);
	t->referrer_credit = sqlite3_column_int64(st, 10);
	t->refunded_net = sqlite3_column_int64(st, 11);
	t->reversed = sqlite3_column_int64(st, 12);
	t->restored = sqlite3_column_int64(st, 13);
	t->spend_back = sqlite3_column_int64(st, 14);
	t->referrer_back = sqlite3_column_int64(st, 15);
	t->complete = sqlite3_column_int64(st, 16) != 0;
	rl_str lines = col_str(st, 17, mem);
	sqlite3_reset(st);
	if (strcmp(t->op, "purchase") != 0)
		return 0;
	if (parse_lines(t, lines, mem) < 0) {
		snprintf(s->err, sizeof s->err, "txn %.*s: unreadable lines", (int)(n > 100 ? 100 : n), txn);
		return -1;
	}
	return 0;
}

int store_txn_put(store *s, const store_txn *t)
{
	sqlite3_stmt *st = store_stmt_rebind(s, ST_TXN_INS); /* all 13 bound; cleared after */
	store_bind_str(st, 1, t->txn.p, t->txn.n);
	store_bind_str(st, 2, t->op, strlen(t->op));
	sqlite3_bind_int64(st, 3, (int64_t)t->content_hash);
	store_bind_str(st, 4, t->customer.p, t->customer.n);
	/* the answer (~1 KB) stays put until the step below: no copy */
	sqlite3_bind_text(st, 5, t->answer.p ? t->answer.p : "", (int)t->answer.n, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, t->ts);
	sqlite3_bind_int64(st, 7, t->net);
	sqlite3_bind_int64(st, 8, t->total);
	sqlite3_bind_int64(st, 9, t->earned);
	sqlite3_bind_int64(st, 10, t->redeemed);
	store_bind_str(st, 11, t->referrer.p, t->referrer.n);
	sqlite3_bind_int64(st, 12, t->referrer_credit);
	if (bind_lines(s, st, 13, t) < 0)
		return -1;
	return exec_json(s, ST_TXN_INS); /* clears the bindings: nothing points at the answer after */
}

int store_txn_update_refunds(store *s, const store_txn *t)
{
	sqlite3_stmt *st = store_stmt_get(s, ST_TXN_UPD_REFUND);
	store_bind_str(st, 1, t->txn.p, t->txn.n);
	sqlite3_bind_int64(st, 2, t->refunded_net);
	sqlite3_bind_int64(st, 3, t->reversed);
	sqlite3_bind_int64(st, 4, t->restored);
	sqlite3_bind_int64(st, 5, t->spend_back);
	sqlite3_bind_int64(st, 6, t->referrer_back);
	sqlite3_bind_int(st, 7, t->complete);
	if (bind_lines(s, st, 8, t) < 0)
		return -1;
	return exec_json(s, ST_TXN_UPD_REFUND);
}
