/* engine/store_schema.c — the store's tables and their versions. The
 * schema version lives in PRAGMA user_version; each migration takes the
 * file from version i to i+1 inside one transaction, so a file is always
 * at exactly one version. Migrations are append-only: never edit one that
 * has shipped, add the next. doc/store.md describes every table. */
#include <stdio.h>
#include <string.h>

#include "engine/store_internal.h"

static const char *const migrations[] = {
	/* 0 -> 1: the first schema */
	"CREATE TABLE customers ("
	"  id TEXT PRIMARY KEY,"
	"  enrolled_at INTEGER NOT NULL,"
	"  referred_by TEXT,"
	"  points INTEGER NOT NULL DEFAULT 0,"
	"  lifetime_spend INTEGER NOT NULL DEFAULT 0,"
	"  purchase_count INTEGER NOT NULL DEFAULT 0,"
	"  first_purchase_at INTEGER,"
	"  last_purchase_at INTEGER,"
	"  referrals INTEGER NOT NULL DEFAULT 0,"
	"  tier TEXT,"
	"  tier_since INTEGER,"
	"  lifted_txn TEXT,"
	"  attrs TEXT NOT NULL DEFAULT '{}'"
	") WITHOUT ROWID;"
	"CREATE TABLE tier_state ("
	"  customer TEXT NOT NULL, tier TEXT NOT NULL, qualified_at INTEGER NOT NULL,"
	"  PRIMARY KEY (customer, tier)) WITHOUT ROWID;"
	"CREATE TABLE spend ("
	"  seq INTEGER PRIMARY KEY, customer TEXT NOT NULL, ts INTEGER NOT NULL,"
	"  amount INTEGER NOT NULL, txn TEXT);"
	"CREATE INDEX spend_customer ON spend (customer);"
	"CREATE TABLE ledger ("
	"  seq INTEGER PRIMARY KEY, customer TEXT NOT NULL, kind TEXT NOT NULL,"
	"  points INTEGER NOT NULL, txn TEXT, rules_version TEXT, ts INTEGER NOT NULL,"
	"  reason TEXT);"
	"CREATE INDEX ledger_customer ON ledger (customer);"
	"CREATE TABLE txns ("
	"  txn TEXT PRIMARY KEY, op TEXT NOT NULL, content_hash INTEGER NOT NULL,"
	"  customer TEXT, answer TEXT NOT NULL, ts INTEGER NOT NULL,"
	"  net INTEGER NOT NULL DEFAULT 0, total INTEGER NOT NULL DEFAULT 0,"
	"  earned INTEGER NOT NULL DEFAULT 0, redeemed INTEGER NOT NULL DEFAULT 0,"
	"  referrer TEXT, referrer_credit INTEGER NOT NULL DEFAULT 0,"
	"  refunded_net INTEGER NOT NULL DEFAULT 0, reversed INTEGER NOT NULL DEFAULT 0,"
	"  restored INTEGER NOT NULL DEFAULT 0, spend_back INTEGER NOT NULL DEFAULT 0,"
	"  referrer_back INTEGER NOT NULL DEFAULT 0, complete INTEGER NOT NULL DEFAULT 0"
	") WITHOUT ROWID;"
	"CREATE INDEX txns_customer ON txns (customer);"
	"CREATE TABLE txn_lines ("
	"  txn TEXT NOT NULL, idx INTEGER NOT NULL, sku TEXT NOT NULL,"
	"  qty INTEGER NOT NULL, net INTEGER NOT NULL,"
	"  refunded_qty INTEGER NOT NULL DEFAULT 0, refunded_net INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (txn, idx)) WITHOUT ROWID;"
	"CREATE TABLE fires ("
	"  seq INTEGER PRIMARY KEY, customer TEXT NOT NULL, rule TEXT NOT NULL, ts INTEGER NOT NULL);"
	"CREATE INDEX fires_customer ON fires (customer);"
	"CREATE TABLE exposures ("
	"  customer TEXT NOT NULL, experiment TEXT NOT NULL, variant TEXT NOT NULL,"
	"  first_ts INTEGER NOT NULL, PRIMARY KEY (customer, experiment)) WITHOUT ROWID;"
	"CREATE TABLE forgotten ("
	"  anon_id TEXT PRIMARY KEY, forgotten_at INTEGER NOT NULL) WITHOUT ROWID;",

	/* 1 -> 2: fewer B-trees per purchase, since each one a purchase
	 * touches is pages that its group commit writes. Tier state, spend
	 * history and limit fires move into the customer's row (JSON
	 * columns); a forgotten customer's spend and fires go with its
	 * profile. */
	"ALTER TABLE customers ADD COLUMN tierq TEXT NOT NULL DEFAULT '{}';"
	"ALTER TABLE customers ADD COLUMN spend TEXT NOT NULL DEFAULT '[]';"
	"ALTER TABLE customers ADD COLUMN fires TEXT NOT NULL DEFAULT '[]';"
	"UPDATE customers SET"
	"  tierq = COALESCE((SELECT json_group_object(tier, qualified_at) FROM tier_state t"
	"    WHERE t.customer = customers.id AND qualified_at != 0), '{}'),"
	"  spend = COALESCE((SELECT json_group_array(json_array(ts, amount)) FROM"
	"    (SELECT ts, amount FROM spend s WHERE s.customer = customers.id ORDER BY seq)), '[]'),"
	"  fires = COALESCE((SELECT json_group_array(json_array(rule, ts)) FROM"
	"    (SELECT rule, ts FROM fires f WHERE f.customer = customers.id ORDER BY seq)), '[]');"
	"DROP TABLE tier_state;"
	"DROP TABLE spend;"
	"DROP TABLE fires;"
	/* txns: a rowid table (rows carry ~1 KB of answer, which a WITHOUT
	 * ROWID B-tree shuffles on every insert) with its lines packed in a
	 * JSON column [[sku, qty, net, refunded_qty, refunded_net], ...] */
	"CREATE TABLE txns2 ("
	"  seq INTEGER PRIMARY KEY, txn TEXT NOT NULL UNIQUE, op TEXT NOT NULL,"
	"  content_hash INTEGER NOT NULL, customer TEXT, answer TEXT NOT NULL, ts INTEGER NOT NULL,"
	"  net INTEGER NOT NULL DEFAULT 0, total INTEGER NOT NULL DEFAULT 0,"
	"  earned INTEGER NOT NULL DEFAULT 0, redeemed INTEGER NOT NULL DEFAULT 0,"
	"  referrer TEXT, referrer_credit INTEGER NOT NULL DEFAULT 0,"
	"  refunded_net INTEGER NOT NULL DEFAULT 0, reversed INTEGER NOT NULL DEFAULT 0,"
	"  restored INTEGER NOT NULL DEFAULT 0, spend_back INTEGER NOT NULL DEFAULT 0,"
	"  referrer_back INTEGER NOT NULL DEFAULT 0, complete INTEGER NOT NULL DEFAULT 0,"
	"  lines TEXT NOT NULL DEFAULT '[]');"
	"INSERT INTO txns2 (txn, op, content_hash, customer, answer, ts, net, total, earned, redeemed,"
	"  referrer, referrer_credit, refunded_net, reversed, restored, spend_back, referrer_back, complete, lines)"
	"  SELECT txn, op, content_hash, customer, answer, ts, net, total, earned, redeemed,"
	"  referrer, referrer_credit, refunded_net, reversed, restored, spend_back, referrer_back, complete,"
	"  COALESCE((SELECT json_group_array(json_array(sku, qty, net, refunded_qty, refunded_net)) FROM"
	"    (SELECT * FROM txn_lines l WHERE l.txn = t.txn ORDER BY idx)), '[]')"
	"  FROM txns t ORDER BY ts, txn;"
	"DROP TABLE txns;"
	"DROP TABLE txn_lines;"
	"ALTER TABLE txns2 RENAME TO txns;"
	"CREATE INDEX txns_customer ON txns (customer);",
};

#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int store_schema_version(void)
{
	return NMIGRATIONS;
}

static int user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	return *v < 0 ? -1 : 0;
}

int store_schema_migrate(sqlite3 *db, char *err, size_t errsz)
{
	int v;
	if (user_version(db, &v) < 0) {
		snprintf(err, errsz, "cannot read the schema version: %s", sqlite3_errmsg(db));
		return -1;
	}
	if (v > NMIGRATIONS) {
		snprintf(err, errsz, "schema version %d is newer than this loyaltyd knows (%d)", v, NMIGRATIONS);
		return -1;
	}
	for (; v < NMIGRATIONS; v++) {
		char *msg = NULL;
		char sql[64];
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK
		    || sqlite3_exec(db, migrations[v], NULL, NULL, &msg) != SQLITE_OK
		    || sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK
		    || sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errsz, "migrating the schema to version %d: %s", v + 1,
				msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	return 0;
}
