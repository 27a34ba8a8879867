"""tests/blackbox/test_ops_purchase.py — quote and purchase through the
real daemon (protocol.md "quote and purchase" and its decided edge cases):
answers, anonymous baskets, auto-enroll, idempotent replay and conflict,
one txn namespace, redemption and insufficient_points. Figures are
computed by hand in the comments."""
import sqlite3

import pytest

# Asia/Kolkata so that times show +05:30; points worth 25 minor units.
RULES = """\
program: ops
currency: INR
timezone: Asia/Kolkata
points:
  value: 25
tiers:
  - name: bronze
  - name: silver
    qualify: spend_12m >= 10000
    keep_days: 30
rules:
  - name: base-earn
    points: net // 100
  - name: coffee-promo
    when: any_item(item.category == "coffee")
    discount: {percent: 10, items: item.category == "coffee"}
  - name: welcome
    when: purchase_count == 0
    bonus_points: 200
    message: "Welcome!"
  - name: refer-a-friend
    when: referred_by != null and purchase_count == 0
    bonus_points: 100
    referrer_bonus_points: 300
"""

T0 = 1793557800  # 2026-11-02T00:00:00+05:30

# protocol.md's T-88: LATTE 2 x 3000 less 10% = 5400, MUFFIN 5300: subtotal
# 11300, total 10700
ITEMS = [{"sku": "LATTE", "category": "coffee", "qty": 2, "price": 3000},
         {"sku": "MUFFIN", "category": "pastry", "qty": 1, "price": 5300}]


def purchase(txn, customer="C-1", items=ITEMS, ts=T0, **kw):
    r = {"op": "purchase", "txn": txn, "items": items, "ts": ts}
    if customer is not None:
        r["customer"] = customer
    r.update(kw)
    return r


def err(a):
    assert a["ok"] is False, a
    return a["error"]["code"], a["error"]["message"]


@pytest.fixture
def d(daemon):
    return daemon(rules=RULES)


def ledger_ok(db):
    con = sqlite3.connect(db)
    bad = con.execute("SELECT id, points, (SELECT COALESCE(SUM(points),0) FROM ledger l WHERE l.customer = c.id)"
                      " FROM customers c WHERE points != (SELECT COALESCE(SUM(points),0) FROM ledger l"
                      " WHERE l.customer = c.id)").fetchall()
    con.close()
    return bad


def test_purchase_answer_of_the_worked_example(d):
    c = d.client()
    a = c.send(purchase("T-88", id=1))
    assert a["ok"] and a["id"] == 1 and a["txn"] == "T-88" and a["customer"] == "C-1"
    assert (a["subtotal"], a["discount_total"], a["redeemed_value"], a["total"]) == (11300, 600, 0, 10700)
    assert a["lines"] == [{"sku": "LATTE", "qty": 2, "price": 3000, "discount": 600, "net": 5400},
                          {"sku": "MUFFIN", "qty": 1, "price": 5300, "discount": 0, "net": 5300}]
    # 10700 // 100 = 107 + welcome 200 = 307
    assert a["points"] == {"earned": 307, "redeemed": 0, "balance": 307}
    # firing order: equal priorities run in the order read
    assert a["applied"] == [{"rule": "base-earn", "points": 107},
                            {"rule": "coffee-promo", "discount": 600},
                            {"rule": "welcome", "bonus_points": 200, "message": "Welcome!"}]
    # 10700 >= 10000: silver at once
    assert a["tier"] == {"before": "bronze", "after": "silver", "changed": True}
    assert a["messages"] == ["Welcome!"] and a["warnings"] == [] and a["coupons"] == []
    assert a["rules_version"] == c.send({"op": "ping"})["rules_version"]
    p = c.send({"op": "customer", "customer": "C-1"})
    assert p["points"] == 307 and p["purchase_count"] == 1 and p["lifetime_spend"] == 10700
    assert p["spend_12m"] == 10700 and p["tier"] == "silver"
    assert p["first_purchase_at"] == p["last_purchase_at"] == "2026-11-02T00:00:00+05:30"
    assert ledger_ok(d.db) == []


def test_unknown_customer_is_enrolled_by_purchase(d):
    c = d.client()
    assert err(c.send({"op": "customer", "customer": "NEW"}))[0] == "not_found"
    a = c.send(purchase("T-1", customer="NEW"))
    assert a["ok"] and a["points"]["balance"] == 307
    p = c.send({"op": "customer", "customer": "NEW"})
    assert p["ok"] and p["purchase_count"] == 1 and p["referred_by"] is None


def test_quote_commits_nothing_and_matches_the_purchase(d):
    c = d.client()
    q = c.send({"op": "quote", "customer": "Q-1", "items": ITEMS, "ts": T0})
    assert q["ok"] and "txn" not in q
    assert q["points"] == {"earned": 307, "redeemed": 0, "balance": 307}
    assert q["tier"] == {"before": "bronze", "after": "silver", "changed": True}
    # nothing stored: the customer still does not exist
    assert err(c.send({"op": "customer", "customer": "Q-1"}))[0] == "not_found"
    p = c.send(purchase("T-q", customer="Q-1"))
    for k in q:
        if k not in ("txn",):
            assert p[k] == q[k], k


def test_anonymous_purchase(d):
    c = d.client()
    a = c.send(purchase("T-anon", customer=None))
    assert a["ok"] and a["txn"] == "T-anon" and a["total"] == 10700
    assert "customer" not in a and "points" not in a and "tier" not in a
    # points rules are not evaluated for an anonymous basket
    assert [x["rule"] for x in a["applied"]] == ["coffee-promo"]
    r = c.send(purchase("T-anon", customer=None))
    assert r.get("replayed") is True and r["total"] == 10700
    code, msg = err(c.send(purchase("T-anon2", customer=None, redeem_points=10)))
    assert code == "bad_request" and "redeem_points" in msg
    f = c.send({"op": "refund", "txn": "R-anon", "original_txn": "T-anon"})
    assert f["ok"] and f["refunded_net"] == 10700 and "points" not in f and "tier" not in f


def test_replay_is_byte_for_byte_plus_replayed(d):
    c = d.client()
    c.raw(b'{"op":"purchase","txn":"T-r","customer":"C-r","items":[{"sku":"X","qty":1,"price":100}],"ts":%d,"id":1}\n' % T0)
    first = c.recv_line()
    # same content, other key order and whitespace, another id
    c.raw(b'{ "id":[2], "ts":%d, "items":[{"price":100,"qty":1,"sku":"X"}], "customer":"C-r","txn":"T-r","op":"purchase"}\n' % T0)
    again = c.recv_line()
    assert first.startswith(b'{"id":1,') and again.startswith(b'{"id":[2],')
    assert again[len(b'{"id":[2],'):] == first[len(b'{"id":1,'):-1] + b',"replayed":true}'
    p = c.send({"op": "customer", "customer": "C-r"})
    assert p["purchase_count"] == 1  # the replay changed nothing


def test_conflict_and_one_txn_namespace(d):
    c = d.client()
    assert c.send(purchase("T-c"))["ok"]
    code, msg = err(c.send(purchase("T-c", items=[{"sku": "X", "qty": 1, "price": 1}])))
    assert code == "conflict" and "T-c" in msg
    code, _ = err(c.send({"op": "adjust", "txn": "T-c", "customer": "C-1", "points": 5, "reason": "x"}))
    assert code == "conflict"
    code, _ = err(c.send({"op": "refund", "txn": "T-c", "original_txn": "T-c"}))
    assert code == "conflict"
    assert c.send({"op": "adjust", "txn": "A-c", "customer": "C-1", "points": 5, "reason": "x"})["ok"]
    code, _ = err(c.send(purchase("A-c")))
    assert code == "conflict"
    assert c.send({"op": "customer", "customer": "C-1"})["points"] == 312


def test_redemption_and_insufficient_points(d):
    c = d.client()
    assert c.send(purchase("T-1"))["points"]["balance"] == 307
    # 400 points over a balance of 307: quote and purchase refuse alike
    for op in ("quote", "purchase"):
        req = purchase("T-2", redeem_points=400, ts=T0 + 60)
        req["op"] = op
        code, msg = err(c.send(req))
        assert code == "insufficient_points" and "redeem_points" in msg
    assert c.send({"op": "customer", "customer": "C-1"})["points"] == 307
    # 100 points x 25 = 2500 off the 10700 net: total 8200; earned 8200 // 100 = 82
    a = c.send(purchase("T-3", redeem_points=100, ts=T0 + 120))
    assert a["redeemed_value"] == 2500 and a["total"] == 8200
    assert a["points"] == {"earned": 82, "redeemed": 100, "balance": 307 - 100 + 82}
    assert ledger_ok(d.db) == []


def test_redeem_capped_at_remaining_net(d):
    c = d.client()
    c.send({"op": "adjust", "txn": "A-1", "customer": "C-1", "points": 1000, "reason": "seed"}) \
        if c.send({"op": "enroll", "customer": "C-1"})["ok"] else None
    # net 100; 1000 points are worth 25000: value capped at 100, points used ceil(100/25) = 4
    a = c.send(purchase("T-cap", items=[{"sku": "X", "qty": 1, "price": 100}], redeem_points=1000))
    assert a["redeemed_value"] == 100 and a["total"] == 0 and a["points"]["redeemed"] == 4
    assert a["points"]["balance"] == 1000 - 4 + 200  # welcome bonus, 0 net points


def test_unknown_fields_are_warnings_and_stored_for_replay(d):
    c = d.client()
    req = purchase("T-w")
    req["colour"] = "red"
    req["items"] = [dict(ITEMS[0], size="L"), ITEMS[1]]
    a = c.send(req)
    assert a["ok"]
    fields = sorted(w["field"] for w in a["warnings"])
    assert fields == ["colour", "items[0].size"]
    assert all(w["message"] == "unknown field, ignored" for w in a["warnings"])
    assert c.send(req)["warnings"] == a["warnings"]


def test_referrer_credit(d):
    c = d.client()
    assert c.send({"op": "enroll", "customer": "REF"})["created"] is True
    assert c.send({"op": "enroll", "customer": "NEWBIE", "referred_by": "REF"})["referred_by"] == "REF"
    a = c.send(purchase("T-ref", customer="NEWBIE"))
    e = [x for x in a["applied"] if x["rule"] == "refer-a-friend"][0]
    assert e["bonus_points"] == 100 and e["referrer_bonus_points"] == 300 and e["referrer"] == "REF"
    # 107 + 200 welcome + 100 referral bonus
    assert a["points"]["earned"] == 407
    r = c.send({"op": "customer", "customer": "REF"})
    assert r["points"] == 300 and r["referrals"] == 1
    # a second purchase: no more credit, referrals stay 1
    c.send(purchase("T-ref2", customer="NEWBIE", ts=T0 + 60))
    r = c.send({"op": "customer", "customer": "REF"})
    assert r["points"] == 300 and r["referrals"] == 1
    assert ledger_ok(d.db) == []


def test_referrer_missing_gets_nothing(d):
    c = d.client()
    c.send({"op": "enroll", "customer": "N2", "referred_by": "GHOST"})
    a = c.send(purchase("T-g", customer="N2"))
    e = [x for x in a["applied"] if x["rule"] == "refer-a-friend"][0]
    assert "referrer" not in e and "referrer_bonus_points" not in e


def test_purchase_requires_txn(d):
    c = d.client()
    req = purchase("x")
    del req["txn"]
    code, msg = err(c.send(req))
    assert code == "bad_request" and "txn" in msg


def test_batch_durability_answers_everything(daemon):
    d = daemon(rules=RULES, config="durability: batch\nbatch_max_delay_ms: 5\n")
    c = d.client()
    ans = c.send_many([purchase("B-%d" % i, customer="C-%d" % (i % 7), ts=T0 + i) for i in range(500)])
    assert all(a["ok"] for a in ans)
    d.stop()
    con = sqlite3.connect(d.db)
    assert con.execute("SELECT count(*) FROM txns").fetchone()[0] == 500
    assert ledger_ok(d.db) == []
