#!/usr/bin/env python3
"""bench/bench-report.py — writes a SQLite store for timing (and eyeballing)
`loyaltyctl experiments report`: CUSTOMERS customers exposed to experiment
`bench-exp` (control/double at 50/50, first exposure spread over 30 days),
PURCHASES purchases after their exposure, ~3% refunded, plus 10% of the
purchases by customers never exposed (the report must skip them fast).

The schema is the store's own: the SQL of every migration is read from
engine/store_schema.c (its string literals), so the bench follows the real
tables. Deterministic (seeded). Standard library only.

usage: bench-report.py OUT.db [CUSTOMERS [PURCHASES [SRCDIR]]]
  --lift PCT   revenue lift of `double` over `control` (default 3)
  --skew PCT   extra share of customers put into `control` (default 0;
               e.g. 2 makes a sample-ratio mismatch)
"""
import os
import random
import re
import sqlite3
import sys

T0 = 1793491200  # 2026-11-01 00:00 UTC
DAY = 86400


def schema_sql(srcdir):
    text = open(os.path.join(srcdir, "engine", "store_schema.c")).read()
    body = text[text.index("migrations[] = {"):]
    body = body[:body.index("};")]
    # join C string literals; each migration ends at a literal followed by ','
    out = []
    for lit in re.findall(r'"((?:[^"\\]|\\.)*)"', body):
        out.append(lit.replace('\\"', '"').replace("\\\\", "\\"))
    return "".join(out)


def main():
    args = [a for a in sys.argv[1:]]
    lift, skew = 3.0, 0.0
    if "--lift" in args:
        i = args.index("--lift"); lift = float(args[i + 1]); del args[i:i + 2]
    if "--skew" in args:
        i = args.index("--skew"); skew = float(args[i + 1]); del args[i:i + 2]
    if not args:
        sys.exit(__doc__)
    out = args[0]
    ncust = int(args[1]) if len(args) > 1 else 100000
    npur = int(args[2]) if len(args) > 2 else 1000000
    srcdir = args[3] if len(args) > 3 else os.path.join(os.path.dirname(__file__), "..")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(out + suffix):
            os.remove(out + suffix)
    rnd = random.Random(20261101)
    db = sqlite3.connect(out)
    db.executescript(schema_sql(srcdir))
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    # every customer the purchases name, as loyaltyd would have enrolled them
    db.executemany("INSERT INTO customers (id, enrolled_at) VALUES (?, ?)",
                   [("C%07d" % i, T0 - DAY) for i in range(ncust)] +
                   [("N%07d" % i, T0 - DAY) for i in range(ncust)])
    exposures = []
    for i in range(ncust):
        var = "control" if rnd.random() < 0.5 + skew / 100 else "double"
        exposures.append(("C%07d" % i, "bench-exp", var, T0 + rnd.randrange(30 * DAY)))
    db.executemany("INSERT INTO exposures VALUES (?,?,?,?)", exposures)
    # a second experiment the report must ignore
    db.executemany("INSERT INTO exposures VALUES (?,?,?,?)",
                   [(c, "other-exp", "a", t) for c, _, _, t in exposures[: ncust // 2]])

    def rows():
        n_other = npur // 10
        for k in range(npur + n_other):
            if k < npur:
                c, _, var, first = exposures[rnd.randrange(ncust)]
                ts = first + rnd.randrange(60 * DAY)
            else:
                c, var, ts = "N%07d" % rnd.randrange(ncust), "control", T0 + rnd.randrange(90 * DAY)
            subtotal = int(rnd.lognormvariate(8.5, 0.6))
            if var == "double":
                subtotal = int(subtotal * (1 + lift / 100))
            discount = subtotal // 10 if rnd.random() < 0.3 else 0
            total = subtotal - discount
            earned = total // 100 * (2 if var == "double" else 1)
            refunded = reversed_ = 0
            if rnd.random() < 0.03:
                refunded, reversed_ = total, earned
            txn = "T%08d" % k
            answer = ('"ok":true,"txn":"%s","customer":"%s","subtotal":%d,"discount_total":%d,'
                      '"redeemed_value":0,"total":%d,"lines":[{"sku":"LATTE","qty":1,"price":%d,'
                      '"discount":%d,"net":%d}],"applied":[{"rule":"base-earn","points":%d}],'
                      '"points":{"earned":%d,"redeemed":0,"balance":0},"experiments":{"bench-exp":"%s"},'
                      '"rules_version":"bench"' % (txn, c, subtotal, discount, total, subtotal,
                                                   discount, total, earned, earned, var))
            yield (txn, "purchase", k, c, answer, ts, total, total, earned, refunded, reversed_)

    db.executemany("INSERT INTO txns (txn, op, content_hash, customer, answer, ts, net, total, earned,"
                   " refunded_net, reversed) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows())
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


if __name__ == "__main__":
    main()
