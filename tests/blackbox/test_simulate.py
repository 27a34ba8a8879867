"""tests/blackbox/test_simulate.py — `loyaltyctl simulate`, the offline
what-if: on the coffee-club workload its sums equal the sums over a real
loyaltyd's answers to the same lines; `--compare` gives the hand-computed
difference of one changed percent; a bad line is reported by its number
and the rest is still evaluated."""
import json
import os
import subprocess
import sys

import pytest

from conftest import BASIC_RULES, SRCDIR, builddir

BENCH = os.environ.get("LOYALTYD_BENCH") or os.path.normpath(
    os.path.join(SRCDIR, "..", "shared", "bench"))


def simulate(*args):
    p = subprocess.run([os.path.join(builddir(), "loyaltyctl"), "simulate"] + list(args),
                       capture_output=True, text=True, timeout=300)
    return p


def simulate_json(*args):
    p = simulate(*(list(args) + ["--json"]))
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout), p.stderr


def _daemon_sums(c, lines):
    """The summary simulate should print, summed over the daemon's answers."""
    want = dict(purchases=0, subtotal=0, discount_total=0, redeemed_value=0, total=0,
                earned=0, redeemed=0, tier_changes=0, coupons_accepted=0, warnings=0)
    rules = {}
    balances = {}
    nenroll = 0
    for i in range(0, len(lines), 2000):
        chunk = lines[i:i + 2000]
        for line, a in zip(chunk, c.send_many(chunk)):
            assert a["ok"], a
            if b'"op":"enroll"' in line:
                nenroll += 1
                continue
            want["purchases"] += 1
            for k in ("subtotal", "discount_total", "redeemed_value", "total"):
                want[k] += a[k]
            want["earned"] += a["points"]["earned"]
            want["redeemed"] += a["points"]["redeemed"]
            want["tier_changes"] += a["tier"]["changed"]
            want["coupons_accepted"] += sum(1 for x in a["coupons"] if x["accepted"])
            want["warnings"] += len(a["warnings"])
            balances[a["customer"]] = a["points"]["balance"]
            for ap in a["applied"]:
                r = rules.setdefault(ap["rule"], [0, 0, 0])
                r[0] += 1
                r[1] += ap.get("discount", 0)
                r[2] += ap.get("points", 0) + ap.get("bonus_points", 0)
    return want, rules, balances, nenroll


def _workload(tmp_path):
    gen = os.path.join(BENCH, "gen_purchases.py")
    C, E, P = (str(tmp_path / x) for x in ("C.ndjson", "E.ndjson", "P.ndjson"))
    subprocess.run([sys.executable, gen, "--seed", "42", "--n", "3000", "--fresh",
                    "--customers", C, "--enroll", E, "--out", P], check=True)
    with open(E, "rb") as f:
        enrolls = f.read().splitlines()
    with open(P, "rb") as f:
        purchases = f.read().splitlines()
    return enrolls, purchases


def _write_lines(path, lines):
    with open(path, "wb") as f:
        f.write(b"".join(x + b"\n" for x in lines))


def _have_bench():
    return all(os.path.exists(os.path.join(BENCH, f)) for f in
               ("gen_purchases.py", "coffee-club/program.yaml"))


@pytest.mark.skipif(not _have_bench(), reason="no shared/bench (set LOYALTYD_BENCH)")
def test_sums_equal_the_daemons_answers(daemon, tmp_path):
    enrolls, purchases = _workload(tmp_path)
    lines = enrolls + purchases  # enroll lines first, as `cat E P`
    inp = str(tmp_path / "input.ndjson")
    _write_lines(inp, lines)
    d = daemon(rules_dir=os.path.join(BENCH, "coffee-club"))
    want, rules, balances, nenroll = _daemon_sums(d.client(timeout=120), lines)

    got, err = simulate_json("--rules", os.path.join(BENCH, "coffee-club", "program.yaml"),
                             "--input", inp)
    assert err == ""
    s = got["rules"]
    assert got["bad_lines"] == 0 and got["lines"] == len(lines)
    assert s["enrolls"] == nenroll and s["refused"] == 0 and s["skipped"] == 0
    for k, v in want.items():
        assert s[k] == v, k
    # the workload exercises discounts, points and tiers at all
    assert want["discount_total"] > 0 and want["earned"] > 0 and want["tier_changes"] > 0
    # every balance is earned − redeemed (no referrals here): the sums agree
    assert sum(balances.values()) == s["earned"] - s["redeemed"]
    have = {k: [v["fires"], v["discount"], v["points"]] for k, v in s["rules"].items() if v["fires"]}
    assert have == rules


@pytest.mark.skipif(not _have_bench(), reason="no shared/bench (set LOYALTYD_BENCH)")
def test_customers_from_an_export_continue_where_the_store_stopped(daemon, tmp_path):
    # the daemon takes the first half, its store is exported, and both go
    # on with the second half: simulate from the export gives the daemon's sums
    enrolls, purchases = _workload(tmp_path)
    half = len(purchases) // 2
    d = daemon(rules_dir=os.path.join(BENCH, "coffee-club"))
    _daemon_sums(d.client(timeout=120), enrolls + purchases[:half])
    d.stop()
    dump = str(tmp_path / "dump.ndjson")
    p = subprocess.run([os.path.join(builddir(), "loyaltyctl"), "--db", d.db, "export", dump],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    d.start()
    want, rules, _, _ = _daemon_sums(d.client(timeout=120), purchases[half:])
    inp = str(tmp_path / "rest.ndjson")
    _write_lines(inp, purchases[half:])
    prog = os.path.join(BENCH, "coffee-club", "program.yaml")
    got, err = simulate_json("--rules", prog, "--customers", dump, "--input", inp)
    assert err == ""
    for k, v in want.items():
        assert got["rules"][k] == v, k
    assert want["redeemed"] > 0 or want["tier_changes"] > 0
    have = {k: [v["fires"], v["discount"], v["points"]] for k, v in got["rules"]["rules"].items() if v["fires"]}
    assert have == rules
    # without the customers the same lines give other sums: the seed matters
    cold, _ = simulate_json("--rules", prog, "--input", inp)
    assert cold["rules"]["earned"] != want["earned"]
    # a bad customer line stops the run, by its number
    with open(dump) as f:
        first = f.readline()
    bad = str(tmp_path / "bad.ndjson")
    with open(bad, "w") as f:
        f.write(first + '{"customer":"Z","points":"many"}\n')
    p = simulate("--rules", prog, "--customers", bad, "--input", inp)
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr == bad + ":2: points must be an integer within -1000000000000..1000000000000\n"


PROMO20 = BASIC_RULES.replace("{percent: 10,", "{percent: 20,")
T0 = 1790000000


def _tiny_input(path):
    reqs = [
        # coffee 10000 + tea 5000: coffee-promo takes 10% (20%) of the coffee line
        {"op": "purchase", "txn": "s1", "customer": "A", "ts": T0,
         "items": [{"sku": "LATTE", "category": "coffee", "qty": 1, "price": 10000},
                   {"sku": "CHAI", "category": "tea", "qty": 1, "price": 5000}]},
        # tea alone: no promotion in either program
        {"op": "purchase", "txn": "s2", "customer": "B", "ts": T0 + 60,
         "items": [{"sku": "CHAI", "category": "tea", "qty": 1, "price": 3000}]},
        # two coffees at 2500: one line of net 5000
        {"op": "purchase", "txn": "s3", "customer": "A", "ts": T0 + 120,
         "items": [{"sku": "ESPRESSO", "category": "coffee", "qty": 2, "price": 2500}]},
    ]
    with open(path, "w") as f:
        for r in reqs:
            f.write(json.dumps(r) + "\n")


def test_compare_gives_the_hand_computed_difference(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(BASIC_RULES)
    b.write_text(PROMO20)
    inp = str(tmp_path / "in.ndjson")
    _tiny_input(inp)
    got, err = simulate_json("--rules", str(a), "--compare", str(b), "--input", inp)
    assert err == ""
    A, B, D = got["rules"], got["compare"], got["difference"]
    # 10%: s1 discount 1000 (10% of 10000), total 14000, points 14000 // 100 = 140
    #      s2 discount 0, total 3000, points 30
    #      s3 discount 500 (10% of 5000), total 4500, points 45
    #      → discount 1500, total 21500, earned 215
    # 20%: s1 2000, 13000, 130; s2 0, 3000, 30; s3 1000, 4000, 40
    #      → discount 3000, total 20000, earned 200
    assert (A["discount_total"], A["total"], A["earned"]) == (1500, 21500, 215)
    assert (B["discount_total"], B["total"], B["earned"]) == (3000, 20000, 200)
    assert (D["discount_total"], D["total"], D["earned"]) == (1500, -1500, -15)
    assert D["subtotal"] == 0 and A["subtotal"] == 23000
    assert A["rules"]["coffee-promo"] == {"fires": 2, "discount": 1500, "points": 0}
    assert B["rules"]["coffee-promo"] == {"fires": 2, "discount": 3000, "points": 0}
    # s1 and s3 differ in total and in points; s2 in neither
    assert (got["purchases_compared"], got["different_total"], got["different_points"]) == (3, 2, 2)
    # the text form says the same for a terminal
    t = simulate("--rules", str(a), "--compare", str(b), "--input", inp)
    assert t.returncode == 0, t.stderr
    assert "different total: 2, different points: 2 (of 3)" in t.stdout
    assert [ln.split() for ln in t.stdout.splitlines() if ln.split()[:1] == ["discount_total"]] \
        == [["discount_total", "1500", "3000", "+1500"]]


def test_bad_line_is_reported_and_the_rest_evaluated(tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text(BASIC_RULES)
    inp = str(tmp_path / "in.ndjson")
    _tiny_input(inp)
    with open(inp) as f:
        good = f.read().splitlines()
    bad = ['{"op":"purchase","txn":"x1","customer":"A","ts":%d,"items":[{"sku":"X","qty":1,"price":"ten"}]}' % T0,
           '{"op":"purchase","txn":"x2","customer":"A","items":[{"sku":"X","qty":1,"price":10}]}',
           'not json',
           '{"op":"ping"}']
    with open(inp, "w") as f:
        f.write("\n".join([good[0], bad[0], good[1], bad[1], bad[2], bad[3], good[2]]) + "\n")
        # s1 again: the daemon replays it (nothing counted twice); s2's txn
        # with other content: a conflict, reported
        f.write(good[0] + "\n" + good[1].replace("3000", "3001") + "\n")
    got, err = simulate_json("--rules", str(a), "--input", inp)
    errs = err.splitlines()
    assert len(errs) == 4, err
    assert errs[3] == inp + ":9: txn s2 was already used by a purchase with different content"
    assert errs[0].startswith(inp + ":2: bad_request: "), err
    assert "price" in errs[0]
    assert errs[1] == inp + ":4: ts is required: a simulation has no clock"
    assert errs[2].startswith(inp + ":5: bad_json: ")
    s = got["rules"]
    assert got["lines"] == 9 and got["bad_lines"] == 4
    assert s["purchases"] == 3 and s["skipped"] == 1 and s["refused"] == 2 and s["replayed"] == 1
    assert (s["total"], s["earned"]) == (21500, 215)
