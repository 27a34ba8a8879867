"""tests/blackbox/test_ops_durability.py — what `always` promises: a
purchase answered is in the file. The daemon is SIGKILLed in the middle of
a pipelined purchase load; after a restart every acknowledged purchase is
in the store (and replays as such), and every balance equals its ledger.
Also the coffee-club workload through the daemon against the reference
evaluator's digest (shared/bench/coffee_ref.py)."""
import os
import signal
import sqlite3
import subprocess
import sys
import threading

import pytest

from conftest import SRCDIR, Client
from test_ops_purchase import RULES, T0, ledger_ok, purchase

# the shared benchmark kit stands beside the checkout (../shared/bench), as
# in CI; LOYALTYD_BENCH names another copy
BENCH = os.environ.get("LOYALTYD_BENCH") or os.path.normpath(
    os.path.join(SRCDIR, "..", "shared", "bench"))


@pytest.mark.parametrize("durability", ["always", "batch"])
def test_kill_9_keeps_every_acknowledged_purchase(daemon, durability):
    d = daemon(rules=RULES, config="durability: %s\nbatch_max_delay_ms: 3\n" % durability)
    c = d.client()
    n = 3000
    reqs = [purchase("K-%05d" % i, customer="C-%d" % (i % 50), ts=T0 + i,
                     redeem_points=1 if i % 7 == 0 and i > 100 else None) for i in range(n)]
    for r in reqs:
        if r["redeem_points"] is None:
            del r["redeem_points"]
    data = b"".join(Client.encode(r) for r in reqs)
    threading.Thread(target=lambda: _send_quietly(c, data), daemon=True).start()
    acked = []
    try:
        while len(acked) < 700:
            a = c.recv()
            if a.get("ok"):
                acked.append(a["txn"])
    finally:
        os.kill(d.proc.pid, signal.SIGKILL)
        d.proc.wait()
    # answers already in the socket were acknowledged too
    try:
        while True:
            a = c.recv()
            if a.get("ok"):
                acked.append(a["txn"])
    except (EOFError, OSError):
        pass
    assert len(acked) >= 700
    con = sqlite3.connect(d.db)
    stored = {t for (t,) in con.execute("SELECT txn FROM txns")}
    con.close()
    missing = [t for t in acked if t not in stored]
    assert missing == []
    assert ledger_ok(d.db) == []
    d.start()
    c2 = d.client()
    i = int(acked[-1][2:])
    again = c2.send(reqs[i])
    assert again.get("replayed") is True
    # every stored purchase is whole: a customer's purchase_count equals its txns
    con = sqlite3.connect(d.db)
    rows = con.execute("SELECT c.id, c.purchase_count, (SELECT count(*) FROM txns t WHERE t.customer = c.id)"
                       " FROM customers c").fetchall()
    assert all(pc == nt for _, pc, nt in rows), rows


def _send_quietly(c, data):
    try:
        c.raw(data)
    except OSError:
        pass


def _have_bench():
    return all(os.path.exists(os.path.join(BENCH, f)) for f in
               ("gen_purchases.py", "coffee_ref.py", "coffee-club/program.yaml"))


@pytest.mark.skipif(not _have_bench(), reason="no shared/bench (set LOYALTYD_BENCH)")
@pytest.mark.parametrize("config", [None, "durability: batch\ncache_mb: 1\n"],
                         ids=["always", "batch-tiny-cache"])
def test_coffee_club_digest_matches_the_reference(daemon, tmp_path, config):
    # the second run keeps ~3,000 of 100,000 customers in memory: eviction
    # and reloading under load must not change one answer
    gen = os.path.join(BENCH, "gen_purchases.py")
    ref = os.path.join(BENCH, "coffee_ref.py")
    C, E, P = (str(tmp_path / x) for x in ("C.ndjson", "E.ndjson", "P.ndjson"))
    subprocess.run([sys.executable, gen, "--seed", "42", "--n", "5000", "--fresh",
                    "--customers", C, "--enroll", E, "--out", P], check=True)
    d = daemon(rules_dir=os.path.join(BENCH, "coffee-club"), config=config)
    c = d.client(timeout=120)
    with open(E, "rb") as f:
        enrolls = f.read().splitlines()
    for i in range(0, len(enrolls), 5000):
        ans = c.send_many(enrolls[i:i + 5000])
        assert all(a["ok"] for a in ans), [a for a in ans if not a["ok"]][:3]
    with open(P, "rb") as f:
        purchases = f.read().splitlines()
    got = str(tmp_path / "got.ndjson")
    with open(got, "wb") as out:
        for i in range(0, len(purchases), 1000):
            chunk = purchases[i:i + 1000]
            c.raw(b"".join(line + b"\n" for line in chunk))
            for _ in chunk:
                out.write(c.recv_line() + b"\n")
    want = subprocess.run([sys.executable, ref, "eval", "--customers", C, "--purchases", P],
                          check=True, capture_output=True, text=True).stdout.strip()
    have = subprocess.run([sys.executable, ref, "digest", got],
                          check=True, capture_output=True, text=True).stdout.strip()
    assert have == want
    assert ledger_ok(d.db) == []


def test_unavailable_when_the_store_cannot_be_written(daemon):
    # another process holds the write lock past the store's busy timeout (200 ms)
    d = daemon(rules=RULES)
    c = d.client(timeout=30)
    assert c.send(purchase("U-0", customer="U"))["ok"]
    con = sqlite3.connect(d.db, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    try:
        a = c.send(purchase("U-1", customer="U", ts=T0 + 60))
        assert a["ok"] is False and a["error"]["code"] == "unavailable", a
        # reads still work
        assert c.send({"op": "customer", "customer": "U"})["purchase_count"] == 1
    finally:
        con.execute("ROLLBACK")
        con.close()
    # the failed purchase had no effect, and its txn is free
    assert c.send({"op": "customer", "customer": "U"})["points"] == 307
    b = c.send(purchase("U-1", customer="U", ts=T0 + 60))
    assert b["ok"] and "replayed" not in b
    assert c.send({"op": "customer", "customer": "U"})["purchase_count"] == 2
    assert ledger_ok(d.db) == []
