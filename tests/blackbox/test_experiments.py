"""tests/blackbox/test_experiments.py — experiments and the global holdout
through the real daemon (doc/experiments.md): the `customer` op shows the
same assignment as purchase answers; a committed purchase records the
customer's first exposure once, with the first purchase's time and
variant (read from the SQLite file: table exposures, engine/store_schema.c);
a quote records nothing; held-out customers get only `holdout: exempt`
rules, are in no experiment and are never exposed; anonymous baskets are
never held out.

Held-out and assigned customers are found through the daemon's own answers
(no hashing here), then checked for consistency across ops. When Python has
the xxhash module, the ids are also checked against the documented recipe."""
import sqlite3

import pytest

RULES = """\
program: exp-bb
currency: INR
timezone: Asia/Kolkata
holdout: {percent: 20, salt: bb-hold}
experiments:
  - name: promo-test
    salt: bb-exp
    variants: {control: 1, treat: 1}
    start: 2026-01-01
rules:
  - name: base-earn
    points: net // 100
    holdout: exempt
  - name: promo
    bonus_points: 7
  - name: treat-bonus
    experiment: promo-test
    variant: treat
    bonus_points: 50
"""

T0 = 1793557800  # 2026-11-02T00:00:00+05:30
ITEMS = [{"sku": "LATTE", "qty": 1, "price": 10000}]
IDS = ["bb-%d" % i for i in range(60)]


def quote(cid, ts=T0):
    r = {"op": "quote", "items": ITEMS, "ts": ts}
    if cid is not None:
        r["customer"] = cid
    return r


def purchase(txn, cid, ts=T0):
    r = {"op": "purchase", "txn": txn, "items": ITEMS, "ts": ts}
    if cid is not None:
        r["customer"] = cid
    return r


def rules_of(a):
    return [x["rule"] for x in a["applied"]]


def exposures(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT customer, experiment, variant, first_ts FROM exposures"
                           " ORDER BY customer").fetchall()
    finally:
        con.close()


@pytest.fixture
def d(daemon):
    return daemon(rules=RULES)


def classify(c):
    """id -> None (held out) or the variant, from quotes."""
    out = {}
    for cid in IDS:
        q = c.send(quote(cid))
        assert q["ok"], q
        if "promo" not in rules_of(q):
            out[cid] = None
        else:
            out[cid] = q["experiments"]["promo-test"]
    return out


def test_quote_assignment_and_holdout(d):
    c = d.client()
    got = classify(c)
    held = [k for k, v in got.items() if v is None]
    treat = [k for k, v in got.items() if v == "treat"]
    control = [k for k, v in got.items() if v == "control"]
    # 60 ids, 20 % held out: expect 12, at least a few of each kind
    assert 2 <= len(held) <= 25 and treat and control, got
    for cid in held:
        q = c.send(quote(cid))
        # 10000 // 100 = 100 points, nothing else: no promo, no experiment
        assert rules_of(q) == ["base-earn"] and q["points"]["earned"] == 100
        assert q["experiments"] == {}
        assert q["holdout"] is True
    for cid in treat:
        q = c.send(quote(cid))
        assert rules_of(q) == ["base-earn", "promo", "treat-bonus"] and q["points"]["earned"] == 157
        assert "holdout" not in q
    for cid in control:
        q = c.send(quote(cid))
        assert rules_of(q) == ["base-earn", "promo"] and q["points"]["earned"] == 107
    # anonymous: never held out (points rules are skipped without a customer)
    a = c.send(quote(None))
    assert a["ok"] and "holdout" not in a and a["experiments"] == {}
    # a quote records nothing
    assert exposures(d.db) == []
    try:
        import xxhash
    except ImportError:
        return
    h = lambda s: xxhash.xxh64_intdigest(s.encode(), seed=0)
    for cid, v in got.items():
        if h("bb-hold:" + cid) % 10000 < 2000:
            assert v is None, cid
        else:
            assert v == ("control" if h("bb-exp:%s:variant" % cid) % 10000 < 5000 else "treat"), cid


def test_exposure_recorded_once_with_the_first_purchase(d):
    c = d.client()
    got = classify(c)
    cid = next(k for k, v in got.items() if v is not None)
    hid = next(k for k, v in got.items() if v is None)
    a = c.send(purchase("T-1", cid, ts=T0))
    assert a["ok"] and a["experiments"] == {"promo-test": got[cid]}
    b = c.send(purchase("T-2", cid, ts=T0 + 3600))
    assert b["ok"] and b["experiments"] == a["experiments"]
    h = c.send(purchase("T-3", hid, ts=T0))
    assert h["ok"] and h["experiments"] == {} and rules_of(h) == ["base-earn"] and h["holdout"] is True
    assert "holdout" not in a
    c.send(purchase("T-4", None, ts=T0))
    # one row, the first purchase's time and the variant; none for the
    # held-out customer or the anonymous basket
    assert exposures(d.db) == [(cid, "promo-test", got[cid], T0)]
    # replaying the first purchase changes nothing
    r = c.send(purchase("T-1", cid, ts=T0))
    assert r.get("replayed") is True
    assert exposures(d.db) == [(cid, "promo-test", got[cid], T0)]
    # the customer op shows the same assignment; the held-out one none
    p = c.send({"op": "customer", "customer": cid})
    assert p["ok"] and p["experiments"] == {"promo-test": got[cid]} and "holdout" not in p
    p = c.send({"op": "customer", "customer": hid})
    assert p["ok"] and p["experiments"] == {} and p["holdout"] is True


def test_assignment_survives_restart(daemon):
    d = daemon(rules=RULES)
    c = d.client()
    before = classify(c)
    d.stop()
    d.start()
    assert classify(d.client()) == before


def test_purchase_before_start_is_not_an_exposure(d):
    c = d.client()
    got = classify(c)
    cid = next(k for k, v in got.items() if v is not None)
    # 2025-12-31T23:59:59+05:30: one second before the start's local midnight
    a = c.send(purchase("T-early", cid, ts=1767205799))
    assert a["ok"] and a["experiments"] == {}
    assert exposures(d.db) == []
    b = c.send(purchase("T-start", cid, ts=1767205800))
    assert b["experiments"] == {"promo-test": got[cid]}
    assert exposures(d.db) == [(cid, "promo-test", got[cid], 1767205800)]


def test_bad_holdout_refused_at_start(daemon):
    d = daemon(rules=RULES.replace("percent: 20", "percent: 100"), start=False)
    rc = d.wait()
    assert rc != 0
    assert "program.yaml:4:20: 'percent' must be over 0.00 and at most 99.99" in d.stderr


def test_exposure_once_across_restart(daemon):
    d = daemon(rules=RULES)
    c = d.client()
    got = classify(c)
    cid = next(k for k, v in got.items() if v is not None)
    assert c.send(purchase("T-a", cid, ts=T0))["ok"]
    d.stop()
    d.start()
    # the store, not memory, knows the customer was exposed
    assert d.client().send(purchase("T-b", cid, ts=T0 + 86400))["experiments"] == {"promo-test": got[cid]}
    assert exposures(d.db) == [(cid, "promo-test", got[cid], T0)]
