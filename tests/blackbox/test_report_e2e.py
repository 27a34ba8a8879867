"""tests/blackbox/test_report_e2e.py — the experiment report over a store
the real daemon wrote: purchases and refunds go through loyaltyd, then the
report's JSON must agree with what the daemon answered (each answer names
the customer's variant, discount, total and points; each refund its
refunded net and reversed points). This is what ties the report to the
store's actual schema and to exposure recording (rules.md "Experiments").

Uses the `daemon` fixture (conftest.py) and ./loyaltyctl.
"""
import json
import os
import subprocess

import pytest

from test_report_html import report_command

RULES = """\
program: report-e2e
currency: INR
timezone: UTC
points:
  value: 25
experiments:
  - name: promo
    salt: promo-2026
    variants: {control: 50, double: 50}
    start: 2026-11-01
rules:
  - name: base-earn
    points: net // 100
  - name: promo-discount
    experiment: promo
    variant: double
    discount: {percent: 10}
"""

T0 = 1793491200  # 2026-11-01 00:00 UTC
DAY = 86400


def items(price, qty=1):
    return [{"sku": "LATTE", "category": "coffee", "qty": qty, "price": price}]


def test_report_matches_the_daemons_answers(daemon, tmp_path):
    cmd = report_command()
    d = daemon(rules=RULES)
    c = d.client()
    want = {}  # variant -> figures summed from the answers

    def fig(v):
        return want.setdefault(v, {"customers": 0, "purchases": 0, "net": 0, "discount": 0,
                                   "points": 0, "repeaters": 0})
    n = 0
    # a purchase before the experiment starts: no exposure, not counted
    a = c.send({"op": "purchase", "txn": "early", "customer": "K0", "items": items(5000),
                "ts": T0 - 2 * DAY})
    assert a["ok"] and "promo" not in a.get("experiments", {}), a
    for k in range(40):
        cust = "K%d" % k
        count = 1 + k % 3
        variant = None
        for j in range(count):
            n += 1
            a = c.send({"op": "purchase", "txn": "P%d" % n, "customer": cust,
                        "items": items(1000 + 137 * k + 50 * j, 1 + j % 2), "ts": T0 + k * 3600 + j * DAY})
            assert a["ok"], a
            v = a["experiments"]["promo"]
            assert variant in (None, v), "a customer's variant changed"
            variant = v
            f = fig(v)
            f["purchases"] += 1
            f["net"] += a["total"]
            f["discount"] += a["discount_total"]
            f["points"] += a["points"]["earned"]
            if k % 7 == 3 and j == 0:  # refund the whole first purchase
                r = c.send({"op": "refund", "txn": "R%d" % n, "original_txn": "P%d" % n, "ts": a_ts(k, j) + 60})
                assert r["ok"], r
                f["net"] -= r["refunded_net"]
                f["points"] -= r["points"]["reversed"]
        fig(variant)["customers"] += 1
        if count >= 2:
            fig(variant)["repeaters"] += 1
    prog = tmp_path / "rules.yaml"
    prog.write_text(RULES)
    html = tmp_path / "report.html"
    args = cmd + ["--db", d.db, "experiments", "report", "promo", "--json", "--rules", str(prog)]
    # the usual case: the daemon is running and holds the store open
    live = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert live.returncode == 0, live.stderr
    d.stop()
    r = subprocess.run(args + ["--html", str(html)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert live.stdout == r.stdout, "every answered purchase is in the store the report reads"
    rep = json.loads(r.stdout)
    assert rep["experiment"] == "promo" and rep["customers"] == 40
    assert rep["control"] == "control" and rep["discount_recorded"] is True
    got = {v["name"]: v for v in rep["variants"]}
    assert set(got) == set(want) == {"control", "double"}
    for name, f in want.items():
        v = got[name]
        assert (v["customers"], v["purchases"]) == (f["customers"], f["purchases"]), name
        assert v["net_revenue"] == f["net"], name
        assert v["discount_cost"] == f["discount"], name
        assert v["points_issued"] == f["points"], name
        assert v["repeat_rate"]["repeaters"] == f["repeaters"], name
        assert v["revenue_per_customer"]["mean"] == pytest.approx(f["net"] / f["customers"])
        assert v["configured"] and v["weight"] == 50
    assert got["control"]["discount_cost"] == 0 and got["double"]["discount_cost"] > 0
    assert got["double"]["vs_control"]["revenue_per_customer"]["p"] is not None
    assert rep["srm"]["checked"] is True and rep["srm"]["weights_from"] == str(prog)
    # cumulative revenue ends at each variant's net revenue
    for name, series in rep["timeline"]["cumulative_net_revenue"].items():
        assert series[-1] == want[name]["net"]
    assert html.read_text().startswith("<!DOCTYPE html>")


def a_ts(k, j):
    return T0 + k * 3600 + j * DAY
