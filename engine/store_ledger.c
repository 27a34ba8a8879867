/* engine/store_ledger.c — the points ledger: every change of a balance is
 * one row (earn, redeem, reversal, restore, adjust, referral credit and its
 * reversal, import opening balance) with its txn and rules_version, so a
 * balance can always be rebuilt as the sum of its rows. The customer's
 * cached balance moves in the same call, never elsewhere. */
#include <stdio.h>
#include <string.h>

#include "engine/store_internal.h"

int store_ledger_add(store *s, store_cust *c, const char *who, size_t whon,
	const char *kind, int64_t points, const char *txn, size_t txnlen,
	const char *rules_version, int64_t ts, const char *reason, size_t reasonlen)
{
	if (points == 0)
		return 0;
	sqlite3_stmt *st = store_stmt_rebind(s, ST_LEDGER_INS); /* all 7 bound below */
	store_bind_str(st, 1, who, whon);
	store_bind_str(st, 2, kind, strlen(kind));
	sqlite3_bind_int64(st, 3, points);
	store_bind_str(st, 4, txn, txnlen);
	store_bind_str(st, 5, rules_version, rules_version ? strlen(rules_version) : 0);
	sqlite3_bind_int64(st, 6, ts);
	store_bind_str(st, 7, reason, reasonlen);
	if (store_exec_stmt(s, ST_LEDGER_INS) < 0)
		return -1;
	if (c) {
		c->points += points;
		store_cust_touch(s, c);
	}
	return 0;
}

int store_ledger_sum(store *s, const char *who, size_t n, int64_t *sum)
{
	sqlite3_stmt *st = store_stmt_get(s, ST_LEDGER_SUM);
	store_bind_str(st, 1, who, n);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		store_set_err(s, "summing the ledger");
		sqlite3_reset(st);
		return -1;
	}
	*sum = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}
