"""tests/blackbox/test_ops_refund.py — refunds and tiers through the real
daemon (protocol.md `refund` and "Edge cases, decided"; rules.md "Tiers,
exactly" and "Customer history"): partial, full, over-refund, unknown
SKU, duplicate SKUs, the worked example (307 points, 2700/10700 -> 77),
the completing refund taking exactly what remains, redeemed points
restored, referrer credit taken back, keep_days grace and the fallback
when the purchase that lifted the customer is refunded."""
import sqlite3

import pytest

from test_ops_purchase import ITEMS, RULES, T0, err, ledger_ok, purchase

DAY = 86400


@pytest.fixture
def d(daemon):
    return daemon(rules=RULES)


def refund(txn, orig, items=None, ts=T0 + 3600, **kw):
    r = {"op": "refund", "txn": txn, "original_txn": orig, "ts": ts}
    if items is not None:
        r["items"] = items
    r.update(kw)
    return r


def cust(c, cid="C-1"):
    return c.send({"op": "customer", "customer": cid})


def test_worked_example_partial_then_rest(d):
    c = d.client()
    assert c.send(purchase("T-88"))["points"]["earned"] == 307
    a = c.send(refund("R-1", "T-88", [{"sku": "LATTE", "qty": 1}]))
    # one LATTE: 5400 / 2 = 2700; round_half_up(307 x 2700 / 10700) = 77
    assert a["ok"] and a["txn"] == "R-1" and a["refunded_net"] == 2700
    assert a["points"] == {"reversed": 77, "restored": 0, "balance": 230}
    p = cust(c)
    # spend 10700 - round_half_up(10700 x 2700/10700) = 8000
    assert p["lifetime_spend"] == 8000 and p["spend_12m"] == 8000
    assert p["purchase_count"] == 1  # refunds leave the count alone
    # the rest without items: LATTE's last unit 2700 + MUFFIN 5300 = 8000; takes 307 - 77 = 230
    b = c.send(refund("R-2", "T-88"))
    assert b["refunded_net"] == 8000 and b["points"]["reversed"] == 230 and b["points"]["balance"] == 0
    p = cust(c)
    assert p["lifetime_spend"] == 0 and p["spend_12m"] == 0 and p["points"] == 0
    # nothing remains
    code, msg = err(c.send(refund("R-3", "T-88")))
    assert code == "bad_request" and "T-88" in msg
    code, msg = err(c.send(refund("R-4", "T-88", [{"sku": "MUFFIN", "qty": 1}])))
    assert code == "bad_request" and msg.startswith("items[0].qty")
    assert ledger_ok(d.db) == []


def test_over_refund_and_unknown_sku(d):
    c = d.client()
    c.send(purchase("T-1"))
    code, msg = err(c.send(refund("R-1", "T-1", [{"sku": "LATTE", "qty": 3}])))
    assert code == "bad_request" and msg.startswith("items[0].qty")
    code, msg = err(c.send(refund("R-1", "T-1", [{"sku": "MUFFIN", "qty": 1}, {"sku": "TEA", "qty": 1}])))
    assert code == "bad_request" and msg.startswith("items[1].sku")
    code, msg = err(c.send(refund("R-1", "T-1", [{"sku": "LATTE", "qty": 1}, {"sku": "LATTE", "qty": 2}])))
    assert code == "bad_request" and msg.startswith("items[1].qty")
    # none of these changed anything, and R-1 is still free
    assert cust(c)["points"] == 307
    assert c.send(refund("R-1", "T-1", [{"sku": "MUFFIN", "qty": 1}]))["ok"]
    code, _ = err(c.send(refund("R-9", "NOPE")))
    assert code == "not_found"


def test_partial_units_floor_and_last_unit_takes_the_rest(d):
    c = d.client()
    # 3 x 333 = 999: floor(999 x 1 / 3) = 333 each
    c.send(purchase("T-3", items=[{"sku": "B", "qty": 3, "price": 333}]))
    nets = [c.send(refund("R-%d" % i, "T-3", [{"sku": "B", "qty": 1}]))["refunded_net"] for i in range(3)]
    assert nets == [333, 333, 333]
    # an uneven net: a coffee line of 3 x 333 less 10%
    c.send(purchase("T-5", items=[{"sku": "K", "category": "coffee", "qty": 3, "price": 333}], customer="C-3"))
    # net = 999 - round_half_up(99.9) = 999 - 100 = 899
    a = c.send(refund("R-5a", "T-5", [{"sku": "K", "qty": 1}]))
    assert a["refunded_net"] == 299      # floor(899 / 3)
    a = c.send(refund("R-5b", "T-5", [{"sku": "K", "qty": 1}]))
    assert a["refunded_net"] == 299
    a = c.send(refund("R-5c", "T-5", [{"sku": "K", "qty": 1}]))
    assert a["refunded_net"] == 301      # the last unit takes 899 - 598


def test_duplicate_skus_take_units_in_request_order(d):
    c = d.client()
    items = [{"sku": "A", "qty": 2, "price": 100}, {"sku": "B", "qty": 1, "price": 50},
             {"sku": "A", "qty": 3, "price": 90}]
    a = c.send(purchase("T-d", items=items))
    assert a["ok"]
    # 3 of A: line 0's two units (200) then 1 of line 2's three: floor(270/3) = 90
    r = c.send(refund("R-d", "T-d", [{"sku": "A", "qty": 3}]))
    assert r["refunded_net"] == 290
    code, _ = err(c.send(refund("R-d2", "T-d", [{"sku": "A", "qty": 3}])))
    assert code == "bad_request"
    assert c.send(refund("R-d3", "T-d", [{"sku": "A", "qty": 2}]))["refunded_net"] == 180


def test_redeemed_points_restored_in_proportion(d):
    c = d.client()
    c.send({"op": "enroll", "customer": "C-1"})
    c.send({"op": "adjust", "txn": "A-1", "customer": "C-1", "points": 1000, "reason": "seed"})
    # 100 points = 2500 off 10700 -> total 8200; earned 82 + 200 welcome = 282
    a = c.send(purchase("T-r", redeem_points=100))
    assert a["total"] == 8200 and a["points"]["earned"] == 282 and a["points"]["balance"] == 1182
    r = c.send(refund("R-r", "T-r", [{"sku": "LATTE", "qty": 1}]))
    # share 2700 / 10700: reversed round_half_up(282 x 0.2523) = 71, restored round(100 x 0.2523) = 25
    assert r["points"] == {"reversed": 71, "restored": 25, "balance": 1182 - 71 + 25}
    # spend taken back: round_half_up(8200 x 2700 / 10700) = 2069
    assert cust(c)["lifetime_spend"] == 8200 - 2069
    r2 = c.send(refund("R-r2", "T-r"))
    assert r2["points"] == {"reversed": 282 - 71, "restored": 75, "balance": 1000}
    assert cust(c)["lifetime_spend"] == 0
    assert ledger_ok(d.db) == []


def test_referrer_credit_taken_back_by_the_completing_refund(d):
    c = d.client()
    c.send({"op": "enroll", "customer": "REF"})
    c.send({"op": "enroll", "customer": "N", "referred_by": "REF"})
    c.send(purchase("T-n", customer="N"))
    assert cust(c, "REF")["points"] == 300
    c.send(refund("R-n1", "T-n", [{"sku": "LATTE", "qty": 1}]))
    assert cust(c, "REF")["points"] == 300  # a partial refund leaves it
    c.send(refund("R-n2", "T-n"))
    assert cust(c, "REF")["points"] == 0
    assert ledger_ok(d.db) == []


def test_refund_replay_and_conflict(d):
    c = d.client()
    c.send(purchase("T-1"))
    a = c.send(refund("R-1", "T-1", [{"sku": "LATTE", "qty": 1}], id="x"))
    b = c.send(refund("R-1", "T-1", [{"sku": "LATTE", "qty": 1}], id="y"))
    assert b["replayed"] is True and b["id"] == "y"
    assert {k: v for k, v in b.items() if k not in ("id", "replayed")} == \
        {k: v for k, v in a.items() if k != "id"}
    code, _ = err(c.send(refund("R-1", "T-1", [{"sku": "MUFFIN", "qty": 1}])))
    assert code == "conflict"
    assert cust(c)["points"] == 307 - 77


def test_tier_up_then_refund_of_the_lifting_purchase_falls_back(d):
    c = d.client()
    a = c.send(purchase("T-up"))
    assert a["tier"]["after"] == "silver"
    assert cust(c)["tier"] == "silver"
    # 8000 left < 10000, and T-up lifted the customer: the grace goes with it
    r = c.send(refund("R-up", "T-up", [{"sku": "LATTE", "qty": 1}]))
    assert r["tier"] == {"before": "silver", "after": "bronze", "changed": True}
    assert cust(c)["tier"] == "bronze"


def test_keep_days_grace_survives_other_refunds(d):
    c = d.client()
    small = [{"sku": "S", "qty": 1, "price": 8000}]
    c.send(purchase("P1", items=small, ts=T0))                       # 8000: bronze
    a = c.send(purchase("P2", items=[{"sku": "S", "qty": 1, "price": 3000}], ts=T0 + 60))
    assert a["tier"] == {"before": "bronze", "after": "silver", "changed": True}  # 11000, lifted by P2
    # refunding P1 (not the lifting purchase): 3000 no longer qualifies, but the
    # grace of 30 days from P2's commit keeps silver
    r = c.send(refund("R-P1", "P1", ts=T0 + 120))
    assert r["tier"] == {"before": "silver", "after": "silver", "changed": False}
    # within keep_days: still silver; after: bronze (quotes see the tier at their ts)
    q = c.send({"op": "quote", "customer": "C-1", "items": small, "ts": T0 + 29 * 86400})
    assert q["tier"]["before"] == "silver"
    q = c.send({"op": "quote", "customer": "C-1", "items": [{"sku": "S", "qty": 1, "price": 1}],
                "ts": T0 + 60 + 30 * 86400 + 1})
    assert q["tier"]["before"] == "bronze"


def test_refund_of_forgotten_customers_purchase_uses_the_anonymous_ledger(d):
    c = d.client()
    c.send(purchase("T-f"))
    f = c.send({"op": "forget", "customer": "C-1"})
    assert f["ok"]
    anon = f["anonymous_id"]
    r = c.send(refund("R-f", "T-f", [{"sku": "LATTE", "qty": 1}]))
    assert r["ok"] and r["customer"] == anon and r["points"]["reversed"] == 77
    assert r["points"]["balance"] == 230
    con = sqlite3.connect(d.db)
    assert con.execute("SELECT sum(points) FROM ledger WHERE customer = ?", (anon,)).fetchone()[0] == 230


def test_customer_tier_since_after_the_tier_lapsed(d):
    import datetime
    import time
    c = d.client()
    ts0 = int(time.time()) - 400 * DAY
    a = c.send(purchase("T-old", ts=ts0))
    assert a["tier"]["after"] == "silver"
    p = cust(c)
    # silver qualified on spend until the purchase left spend_12m at
    # ts0 + 365 d (the 30-day grace counts from ts0, long over): bronze since then
    assert p["tier"] == "bronze" and p["spend_12m"] == 0
    ist = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
    want = datetime.datetime.fromtimestamp(ts0 + 365 * DAY, ist).isoformat()
    assert p["tier_since"] == want
