/* engine/store_txn.c — transactions: one row per txn id (purchases,
 * refunds and adjusts share the namespace), with the content hash that
 * decides replay against conflict, the answer members for replays, and for
 * purchases the per-line figures and running refund totals from which
 * refunds are computed (rules/refund.c does the arithmetic). */
#include <stdio.h>
#include <string.h>

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

int store_txn_get(store *s, const char *txn, size_t n, arena *mem, store_txn *t)
{
	memset(t, 0, sizeof *t);
	sqlite3_stmt *st = store_stmt_get(s, ST_TXN_GET);
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
	sqlite3_reset(st);
	if (strcmp(t->op, "purchase") != 0)
		return 0;
	st = store_stmt_get(s, ST_LINE_GET);
	store_bind_str(st, 1, txn, n);
	uint32_t cap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (t->nlines == cap) {
			uint32_t ncap = cap ? cap * 2 : 8;
			store_txn_line *nl = arena_alloc(mem, ncap * sizeof *nl);
			if (!nl)
				break;
			if (t->nlines)
				memcpy(nl, t->lines, t->nlines * sizeof *nl);
			t->lines = nl;
			cap = ncap;
		}
		store_txn_line *l = &t->lines[t->nlines++];
		l->sku = col_str(st, 0, mem);
		l->qty = sqlite3_column_int64(st, 1);
		l->net = sqlite3_column_int64(st, 2);
		l->refunded_qty = sqlite3_column_int64(st, 3);
		l->refunded_net = sqlite3_column_int64(st, 4);
	}
	if (rc != SQLITE_DONE) {
		store_set_err(s, "reading a transaction's lines");
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

int store_txn_put(store *s, const store_txn *t)
{
	sqlite3_stmt *st = store_stmt_get(s, ST_TXN_INS);
	store_bind_str(st, 1, t->txn.p, t->txn.n);
	store_bind_str(st, 2, t->op, strlen(t->op));
	sqlite3_bind_int64(st, 3, (int64_t)t->content_hash);
	store_bind_str(st, 4, t->customer.p, t->customer.n);
	store_bind_str(st, 5, t->answer.p ? t->answer.p : "", t->answer.n);
	sqlite3_bind_int64(st, 6, t->ts);
	sqlite3_bind_int64(st, 7, t->net);
	sqlite3_bind_int64(st, 8, t->total);
	sqlite3_bind_int64(st, 9, t->earned);
	sqlite3_bind_int64(st, 10, t->redeemed);
	store_bind_str(st, 11, t->referrer.p, t->referrer.n);
	sqlite3_bind_int64(st, 12, t->referrer_credit);
	if (store_exec_stmt(s, ST_TXN_INS) < 0)
		return -1;
	for (uint32_t i = 0; i < t->nlines; i++) {
		st = store_stmt_get(s, ST_LINE_INS);
		store_bind_str(st, 1, t->txn.p, t->txn.n);
		sqlite3_bind_int64(st, 2, i);
		store_bind_str(st, 3, t->lines[i].sku.p ? t->lines[i].sku.p : "", t->lines[i].sku.n);
		sqlite3_bind_int64(st, 4, t->lines[i].qty);
		sqlite3_bind_int64(st, 5, t->lines[i].net);
		if (store_exec_stmt(s, ST_LINE_INS) < 0)
			return -1;
	}
	return 0;
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
	if (store_exec_stmt(s, ST_TXN_UPD_REFUND) < 0)
		return -1;
	for (uint32_t i = 0; i < t->nlines; i++) {
		st = store_stmt_get(s, ST_LINE_UPD);
		store_bind_str(st, 1, t->txn.p, t->txn.n);
		sqlite3_bind_int64(st, 2, i);
		sqlite3_bind_int64(st, 3, t->lines[i].refunded_qty);
		sqlite3_bind_int64(st, 4, t->lines[i].refunded_net);
		if (store_exec_stmt(s, ST_LINE_UPD) < 0)
			return -1;
	}
	return 0;
}
