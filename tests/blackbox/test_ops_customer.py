"""tests/blackbox/test_ops_customer.py — enroll, customer, adjust and
forget through the real daemon (protocol.md): the profile's exact shape,
attrs merge with null removing, referred_by only at creation, self
referral, not_found, adjust replay/conflict/negative balance, forget
keeping the ledger under an anonymous id with replays answering it."""
import sqlite3

import pytest

from test_ops_purchase import RULES, T0, err, ledger_ok, purchase

SEG_RULES = RULES + """\
segments:
  new: purchase_count == 0
  big_basket: subtotal >= 300000
experiments:
  - name: tuesday-points
    variants: {control: 50, double: 50}
"""


@pytest.fixture
def d(daemon):
    return daemon(rules=SEG_RULES)


PROFILE_KEYS = ["ok", "customer", "tier", "tier_since", "points", "lifetime_spend", "spend_12m",
                "purchase_count", "first_purchase_at", "last_purchase_at", "referred_by", "referrals",
                "attrs", "segments", "experiments"]


def test_enroll_creates_then_merges(d):
    c = d.client()
    a = c.send({"op": "enroll", "customer": "C-1001", "attrs": {"birth_month": 11, "city": "Surat"},
                "referred_by": "C-0007", "ts": "2026-03-02T10:00:00+05:30"})
    assert a["ok"] and a["created"] is True
    assert list(k for k in a if k != "created") == PROFILE_KEYS
    assert a["tier"] == "bronze" and a["tier_since"] == "2026-03-02T10:00:00+05:30"
    assert a["points"] == 0 and a["purchase_count"] == 0
    assert a["first_purchase_at"] is None and a["last_purchase_at"] is None
    assert a["referred_by"] == "C-0007" and a["referrals"] == 0
    assert a["attrs"] == {"birth_month": 11, "city": "Surat"}
    # "new" holds (no basket names); big_basket uses subtotal: not listed
    assert a["segments"] == ["new"]
    assert set(a["experiments"]) == {"tuesday-points"}
    assert a["experiments"]["tuesday-points"] in ("control", "double")
    b = c.send({"op": "enroll", "customer": "C-1001", "attrs": {"city": None, "vip": True, "score": 1.5},
                "referred_by": "C-0008"})
    assert b["created"] is False
    assert b["attrs"] == {"birth_month": 11, "vip": True, "score": 1.5}
    assert b["referred_by"] == "C-0007"  # only at creation
    p = c.send({"op": "customer", "customer": "C-1001"})
    assert {k: v for k, v in b.items() if k != "created"} == p
    # the variant is the same on every call
    assert p["experiments"] == a["experiments"]


def test_enroll_errors(d):
    c = d.client()
    code, msg = err(c.send({"op": "enroll", "customer": "X", "referred_by": "X"}))
    assert code == "bad_request" and "referred_by" in msg
    assert err(c.send({"op": "customer", "customer": "X"}))[0] == "not_found"
    code, msg = err(c.send({"op": "customer", "customer": "nobody"}))
    assert code == "not_found" and "nobody" in msg


def test_customer_survives_restart(daemon):
    d = daemon(rules=SEG_RULES)
    c = d.client()
    c.send({"op": "enroll", "customer": "K", "attrs": {"a": "b"}})
    c.send(purchase("T-k", customer="K"))
    before = c.send({"op": "customer", "customer": "K"})
    d.stop()
    d.start()
    after = d.client().send({"op": "customer", "customer": "K"})
    assert after == before


def test_adjust(d):
    c = d.client()
    code, _ = err(c.send({"op": "adjust", "txn": "A-0", "customer": "C-1", "points": 5, "reason": "x"}))
    assert code == "not_found"
    c.send({"op": "enroll", "customer": "C-1"})
    a = c.send({"op": "adjust", "txn": "A-1", "customer": "C-1", "points": -50, "reason": "goodwill", "id": 1})
    assert a == {"id": 1, "ok": True, "txn": "A-1", "customer": "C-1", "points": {"adjusted": -50, "balance": -50}}
    r = c.send({"op": "adjust", "txn": "A-1", "customer": "C-1", "points": -50, "reason": "goodwill", "id": 2})
    assert r == {"id": 2, "ok": True, "txn": "A-1", "customer": "C-1",
                 "points": {"adjusted": -50, "balance": -50}, "replayed": True}
    code, _ = err(c.send({"op": "adjust", "txn": "A-1", "customer": "C-1", "points": -51, "reason": "goodwill"}))
    assert code == "conflict"
    assert c.send({"op": "customer", "customer": "C-1"})["points"] == -50
    con = sqlite3.connect(d.db)
    assert con.execute("SELECT kind, points, reason FROM ledger WHERE txn = 'A-1'").fetchall() == \
        [("adjust", -50, "goodwill")]
    assert ledger_ok(d.db) == []


def test_forget(d):
    c = d.client()
    c.send({"op": "enroll", "customer": "F", "attrs": {"email": "f@example.com"}})
    p = c.send(purchase("T-f", customer="F", id=1))
    c.send({"op": "adjust", "txn": "A-f", "customer": "F", "points": 10, "reason": "x"})
    f = c.send({"op": "forget", "customer": "F"})
    assert f["ok"] and f["customer"] == "F"
    anon = f["anonymous_id"]
    assert anon != "F"
    assert err(c.send({"op": "customer", "customer": "F"}))[0] == "not_found"
    assert err(c.send({"op": "forget", "customer": "F"}))[0] == "not_found"
    # the ledger stays, under the anonymous id; no trace of the profile
    con = sqlite3.connect(d.db)
    assert con.execute("SELECT count(*) FROM ledger WHERE customer = 'F'").fetchone()[0] == 0
    assert con.execute("SELECT sum(points) FROM ledger WHERE customer = ?", (anon,)).fetchone()[0] == 307 + 10
    assert con.execute("SELECT count(*) FROM customers WHERE id = 'F'").fetchone()[0] == 0
    dump = "\n".join(con.iterdump())
    assert "f@example.com" not in dump
    con.close()
    # txns stay taken; a replay answers with the anonymous id
    r = c.send(purchase("T-f", customer="F", id=2))
    assert r["replayed"] is True and r["customer"] == anon and r["points"] == p["points"]
    code, _ = err(c.send(purchase("T-f", customer="F", items=[{"sku": "Z", "qty": 1, "price": 1}])))
    assert code == "conflict"
    # a later request for the id starts a new customer
    n = c.send(purchase("T-f2", customer="F"))
    assert n["points"]["balance"] == 307 and n["tier"]["before"] == "bronze"
    assert c.send({"op": "customer", "customer": "F"})["purchase_count"] == 1


def test_quote_shows_segments_and_experiments(d):
    c = d.client()
    q = c.send({"op": "quote", "customer": "S", "items": [{"sku": "X", "qty": 1, "price": 300000}], "ts": T0})
    assert q["segments"] == ["new", "big_basket"]
    assert list(q["experiments"]) == ["tuesday-points"]


def test_exposure_recorded_once_on_committed_purchases(d):
    c = d.client()
    c.send({"op": "quote", "customer": "E", "items": [{"sku": "X", "qty": 1, "price": 1}], "ts": T0})
    con = sqlite3.connect(d.db)
    assert con.execute("SELECT count(*) FROM exposures").fetchone()[0] == 0
    c.send(purchase("T-e1", customer="E", ts=T0))
    c.send(purchase("T-e2", customer="E", ts=T0 + 100))
    rows = con.execute("SELECT customer, experiment, first_ts FROM exposures").fetchall()
    assert rows == [("E", "tuesday-points", T0)]


def test_forgotten_referrer_gets_no_credit_even_if_its_id_returns(d):
    c = d.client()
    c.send({"op": "enroll", "customer": "R"})
    c.send({"op": "enroll", "customer": "K", "referred_by": "R"})
    anon = c.send({"op": "forget", "customer": "R"})["anonymous_id"]
    c.send({"op": "enroll", "customer": "R"})  # a new customer takes the id
    a = c.send(purchase("T-k", customer="K"))
    e = [x for x in a["applied"] if x["rule"] == "refer-a-friend"][0]
    assert "referrer" not in e
    r = c.send({"op": "customer", "customer": "R"})
    assert r["points"] == 0 and r["referrals"] == 0
    assert c.send({"op": "customer", "customer": "K"})["referred_by"] == anon


def test_an_anonymous_id_cannot_become_a_customer(d):
    c = d.client()
    c.send(purchase("T-a", customer="Z"))
    anon = c.send({"op": "forget", "customer": "Z"})["anonymous_id"]
    for req in ({"op": "enroll", "customer": anon},
                purchase("T-b", customer=anon),
                {"op": "quote", "customer": anon, "items": [{"sku": "X", "qty": 1, "price": 1}]}):
        code, msg = err(c.send(req))
        assert code == "bad_request" and anon in msg
    assert err(c.send({"op": "customer", "customer": anon}))[0] == "not_found"
    # an id that only looks anonymous is an ordinary one
    assert c.send({"op": "enroll", "customer": "anon-not-forgotten"})["created"] is True
    assert ledger_ok(d.db) == []
