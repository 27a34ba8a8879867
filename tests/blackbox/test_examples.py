"""The examples a newcomer runs first: the POS session that tools/demo.sh
replays, and the little till client, against the real daemon on
examples/coffee-club."""
import json
import os
import subprocess
import sys

from conftest import SRCDIR

CLUB = os.path.join(SRCDIR, "examples", "coffee-club")
POS = os.path.join(SRCDIR, "examples", "pos-client")


def test_demo_session_answers(daemon):
    d = daemon(rules_dir=CLUB)
    with open(os.path.join(POS, "session.ndjson")) as f:
        reqs = [json.loads(line) for line in f if line.strip()]
    ans = {a["id"]: a for a in d.client().send_many(reqs)}
    assert all(ans[i]["ok"] for i in range(1, 9)), ans
    # C-1001 (birth month 11) buys 2 LATTE-M + 1 CROISSANT on Friday
    # 2026-11-20 10:15 IST with SAVE10: the birthday frees one latte (24000),
    # the pairing takes 10% of the croissant (1400), SAVE10 10% of what is
    # left (2400 + 1260 = 3660): 62000 - 29060 = 32940
    assert ans[4]["total"] == 32940 and ans[4]["discount_total"] == 29060
    assert ans[3]["points"] == ans[4]["points"], "quote and purchase agree"
    assert ans[5].get("replayed") is True
    assert {k: v for k, v in ans[5].items() if k not in ("id", "replayed")} == \
        {k: v for k, v in ans[4].items() if k != "id"}
    assert ans[6]["points"]["redeemed"] == 200 and ans[6]["redeemed_value"] == 5000
    assert ans[7]["refunded_net"] == [l for l in ans[6]["lines"] if l["sku"] == "MUG"][0]["net"]
    assert ans[8]["purchase_count"] == 2 and ans[8]["points"] == ans[7]["points"]["balance"]
    assert ans[9]["ok"] is False and ans[9]["error"]["code"] == "bad_request"
    assert "items[0].price" in ans[9]["error"]["message"]


def test_pos_client_quotes_then_purchases(daemon):
    d = daemon(rules_dir=CLUB)
    out = subprocess.run([sys.executable, os.path.join(POS, "pos.py"), d.socket, "C-7",
                          "LATTE-M:coffee:2:24000", "CROISSANT:pastry:1:14000"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    quote, purchase = [json.loads(l.split(":", 1)[1]) for l in out.stdout.splitlines()]
    assert quote["total"] == purchase["total"] == 60600
    assert purchase["txn"].startswith("POS-")
    c = d.client().send({"op": "customer", "customer": "C-7"})
    assert c["purchase_count"] == 1 and c["points"] == purchase["points"]["balance"]
