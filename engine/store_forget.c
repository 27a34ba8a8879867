/* engine/store_forget.c — erasing a customer (the `forget` op): the
 * profile, attributes, tier state, spend history and fires go; the ledger,
 * exposures and transactions move to a fresh anonymous id, so accounting
 * stays whole, the txn ids stay taken, and replays answer with the
 * anonymous id in place of the customer's. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <yajl/yajl_gen.h>

#include "engine/store_internal.h"

/* `"customer":"<id>"` exactly as yajl_gen writes it in an answer. */
static char *customer_member(const char *id, size_t n, size_t *len)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	if (!g)
		return NULL;
	yajl_gen_map_open(g);
	yajl_gen_string(g, (const unsigned char *)"customer", 8);
	yajl_gen_string(g, (const unsigned char *)id, n);
	const unsigned char *buf;
	size_t bl;
	yajl_gen_get_buf(g, &buf, &bl);
	char *out = malloc(bl);
	if (out) {
		memcpy(out, buf + 1, bl - 1); /* without the '{' */
		*len = bl - 1;
	}
	yajl_gen_free(g);
	return out;
}

typedef struct moved {
	char *txn, *answer;
	size_t txnlen, alen;
} moved;

static int move_txns(store *s, const store_cust *c, const char *anon, size_t anonlen)
{
	size_t olen = 0, nlen = 0;
	char *old = customer_member(c->id, c->idlen, &olen);
	char *neu = customer_member(anon, anonlen, &nlen);
	moved *v = NULL;
	size_t nv = 0;
	int rc = -1;
	if (!old || !neu)
		goto out;
	sqlite3_stmt *st = store_stmt_get(s, ST_TXN_CUST);
	store_bind_str(st, 1, c->id, c->idlen);
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		moved *nvv = realloc(v, (nv + 1) * sizeof *v);
		if (!nvv)
			break;
		v = nvv;
		moved *m = &v[nv];
		const char *t = (const char *)sqlite3_column_text(st, 0);
		size_t tl = (size_t)sqlite3_column_bytes(st, 0);
		const char *a = (const char *)sqlite3_column_text(st, 1);
		size_t al = (size_t)sqlite3_column_bytes(st, 1);
		m->txn = malloc(tl + 1);
		m->answer = malloc(al + nlen + 1);
		if (!m->txn || !m->answer) {
			free(m->txn);
			free(m->answer);
			break;
		}
		memcpy(m->txn, t, tl);
		m->txnlen = tl;
		/* replace the first customer member; the rest stays byte for byte */
		const char *hit = al >= olen ? memmem(a, al, old, olen) : NULL;
		if (hit) {
			size_t pre = (size_t)(hit - a);
			memcpy(m->answer, a, pre);
			memcpy(m->answer + pre, neu, nlen);
			memcpy(m->answer + pre + nlen, hit + olen, al - pre - olen);
			m->alen = al - olen + nlen;
		} else {
			memcpy(m->answer, a, al);
			m->alen = al;
		}
		nv++;
	}
	sqlite3_reset(st);
	if (r != SQLITE_DONE) {
		store_set_err(s, "moving transactions");
		goto out;
	}
	for (size_t i = 0; i < nv; i++) {
		st = store_stmt_get(s, ST_TXN_SET_ANSWER);
		store_bind_str(st, 1, v[i].txn, v[i].txnlen);
		store_bind_str(st, 2, anon, anonlen);
		store_bind_str(st, 3, v[i].answer, v[i].alen);
		if (store_exec_stmt(s, ST_TXN_SET_ANSWER) < 0)
			goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < nv; i++) {
		free(v[i].txn);
		free(v[i].answer);
	}
	free(v);
	free(old);
	free(neu);
	return rc;
}

int store_cust_forget(store *s, store_cust *c, char *anon, size_t anonsz)
{
	unsigned char rnd[8];
	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
		uint64_t x = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)c;
		memcpy(rnd, &x, sizeof rnd);
	}
	snprintf(anon, anonsz, "anon-%02x%02x%02x%02x%02x%02x%02x%02x",
		rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	size_t an = strlen(anon);
	static const store_stmt moves[] = { ST_LEDGER_MOVE, ST_EXPO_MOVE };
	for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++) {
		sqlite3_stmt *st = store_stmt_get(s, moves[i]);
		store_bind_str(st, 1, c->id, c->idlen);
		store_bind_str(st, 2, anon, an);
		if (store_exec_stmt(s, moves[i]) < 0)
			return -1;
	}
	if (move_txns(s, c, anon, an) < 0)
		return -1;
	sqlite3_stmt *st = store_stmt_get(s, ST_CUST_DEL);
	store_bind_str(st, 1, c->id, c->idlen);
	if (store_exec_stmt(s, ST_CUST_DEL) < 0)
		return -1;
	/* Customers it referred now name the anonymous id: a credit due later
	 * goes to nobody, not to a new customer who takes the old id. */
	st = store_stmt_get(s, ST_REFERRED_MOVE);
	store_bind_str(st, 1, c->id, c->idlen);
	store_bind_str(st, 2, anon, an);
	if (store_exec_stmt(s, ST_REFERRED_MOVE) < 0)
		return -1;
	for (store_cust *o = s->lru_head; o; o = o->lru_next) {
		if (o == c || !o->referred_by || o->reflen != c->idlen || memcmp(o->referred_by, c->id, c->idlen) != 0)
			continue;
		char *r = strdup(anon);
		if (!r)
			return -1;
		free(o->referred_by);
		o->referred_by = r;
		o->reflen = an;
		store_cust_touch(s, o);
	}
	st = store_stmt_get(s, ST_FORGOTTEN_INS);
	store_bind_str(st, 1, anon, an);
	sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
	if (store_exec_stmt(s, ST_FORGOTTEN_INS) < 0)
		return -1;
	/* The cached record goes now; the handler must not use c after. */
	store_cache_drop(s, c);
	return 0;
}

int store_id_reserved(store *s, const char *id, size_t n)
{
	if (n < 5 || memcmp(id, "anon-", 5) != 0)
		return 0;
	sqlite3_stmt *st = store_stmt_get(s, ST_FORGOTTEN_GET);
	store_bind_str(st, 1, id, n);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	store_set_err(s, "reading forgotten ids");
	return -1;
}
