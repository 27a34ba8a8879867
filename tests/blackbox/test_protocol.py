"""tests/blackbox/test_protocol.py — the wire protocol as a client sees it
(protocol.md: framing, errors, id echo, pipelining, security, signals) and
the daemon's start-up errors (running.md). Exact codes and messages."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest

from conftest import BASIC_RULES, Client

PING = {"op": "ping"}


def err(ans):
    assert ans["ok"] is False, ans
    return ans["error"]["code"], ans["error"]["message"]


# ---- framing -------------------------------------------------------------

def test_ping(served):
    c = served.client()
    a = c.send(PING)
    assert a["ok"] is True and "id" not in a
    assert isinstance(a["version"], str) and isinstance(a["rules_version"], str)
    assert a["rules_version"]


def test_crlf_and_blank_lines_are_ignored(served):
    c = served.client()
    c.raw(b"\n   \n\t\r\n" + b'{"op":"ping","id":1}\r\n' + b"\r\n" + b'{"op":"ping","id":2}\n')
    assert c.recv()["id"] == 1
    assert c.recv()["id"] == 2


def test_line_split_across_writes(served):
    c = served.client()
    for b in b'{"op":"pi', b'ng","id":', b'"x"}', b"\n":
        c.raw(b)
        time.sleep(0.02)
    assert c.recv() == {"id": "x", "ok": True, **{k: v for k, v in c.send(PING).items() if k != "ok"}}


def test_last_line_without_newline_is_answered_at_eof(served):
    c = served.client()
    c.raw(b'{"op":"ping","id":7}')
    c.shutdown_write()
    assert c.recv()["id"] == 7
    assert c.closed()


def test_pipelining_1000_in_order(served):
    c = served.client()
    reqs = []
    for i in range(1000):
        reqs.append({"op": "ping", "id": i} if i % 3 else {"op": "nope", "id": i})
    answers = c.send_many(reqs)
    assert [a["id"] for a in answers] == list(range(1000))
    assert all(a["ok"] == (i % 3 != 0) for i, a in enumerate(answers))


def test_too_large_after_earlier_answers_then_close(daemon):
    d = daemon(config="max_line_bytes: 100\n")
    c = d.client()
    ok_line = b'{"op":"ping","id":"' + b"a" * (100 - 21) + b'"}'
    assert len(ok_line) == 100  # exactly the limit is fine
    c.raw(b'{"op":"ping","id":1}\n' + ok_line + b"\n" + b"x" * 101 + b"\n" + b'{"op":"ping","id":3}\n')
    assert c.recv()["id"] == 1
    assert c.recv()["ok"] is True
    a = c.recv()
    assert "id" not in a
    assert err(a)[0] == "too_large"
    assert c.closed()
    # the daemon is fine for others
    assert d.client().send(PING)["ok"]


def test_too_large_without_newline(daemon):
    d = daemon(config="max_line_bytes: 100\n")
    c = d.client()
    c.raw(b"{" + b" " * 150)
    assert err(c.recv())[0] == "too_large"
    assert c.closed()


def test_line_limit_counts_the_carriage_return(daemon):
    d = daemon(config="max_line_bytes: 64\n")
    c = d.client()
    line = b'{"op":"ping"}' + b" " * (64 - 13)
    assert len(line) == 64
    c.raw(line + b"\r\n")  # 65 bytes before \n
    assert err(c.recv())[0] == "too_large"


def test_garbage_bytes(served):
    c = served.client()
    for junk in (b"\x00\x01\x02", b"\xff\xfe{", b"{\"op\":\"ping\"", b"nul", b"{}}", b'{"op":"ping"} {}',
                 b'{"op":"\xc3\x28"}', b"[" * 100000 if False else b"[" * 1000):
        a = c.send(junk)
        assert err(a)[0] == "bad_json", (junk, a)
        assert "id" not in a
    assert c.send(PING)["ok"]


def test_not_an_object(served):
    c = served.client()
    for line in ("[]", "1", '"ping"', "null", "true", '[{"op":"ping"}]'):
        assert err(c.send(line)) == ("bad_json", "the request must be a JSON object"), line


def test_deep_nesting_is_bad_json(served):
    c = served.client()
    a = c.send('{"op":"ping","id":' + "[" * 40 + "]" * 40 + "}")
    assert err(a) == ("bad_json", "JSON nested deeper than 32 levels")
    a = c.send('{"op":"ping","id":' + "[" * 20 + "]" * 20 + "}")
    assert a["ok"] and a["id"] == json.loads("[" * 20 + "]" * 20)


# ---- op, id --------------------------------------------------------------

def test_op_missing_or_not_string(served):
    c = served.client()
    assert err(c.send({"id": 1})) == ("bad_request", "op is required")
    assert err(c.send({"op": 5})) == ("bad_request", "op must be a string")
    assert err(c.send({"op": None})) == ("bad_request", "op must be a string")
    assert err(c.send({"op": ["ping"]})) == ("bad_request", "op must be a string")


def test_unknown_op(served):
    c = served.client()
    a = c.send({"op": "fly", "id": "q"})
    assert a["id"] == "q"
    assert err(a) == ("unknown_op", 'unknown op "fly"')


@pytest.mark.parametrize("idv", [None, 0, -1.5e3, "", "T-1", [1, "a", None], {"a": {"b": [True, False]}}, "é\u2028\"\\"])
def test_id_echo(served, idv):
    a = served.client().send({"op": "ping", "id": idv})
    assert "id" in a and a["id"] == idv


def test_id_echo_on_errors(served):
    c = served.client()
    a = c.send({"id": {"k": [1]}, "op": "quote", "items": "no"})
    assert a["id"] == {"k": [1]}
    assert err(a) == ("bad_request", "items must be an array of 1 to 1000 lines")
    a = c.send('{"op":"ping","id":12345678901234567890123}')
    assert a["ok"] and a["id"] == 12345678901234567890123


def test_unknown_fields_become_warnings(served):
    c = served.client()
    a = c.send({"op": "ping", "colour": "red", "id": 1})
    assert a["ok"] and a["warnings"] == [{"field": "colour", "message": "unknown field, ignored"}]


# ---- bad_request messages ------------------------------------------------

BAD = [
    ({"op": "quote"}, "items is required"),
    ({"op": "quote", "items": []}, "items must be an array of 1 to 1000 lines"),
    ({"op": "quote", "items": [5]}, "items[0] must be an object"),
    ({"op": "quote", "items": [{"qty": 1, "price": 1}]}, "items[0].sku is required"),
    ({"op": "quote", "items": [{"sku": "A", "qty": 1, "price": 1}, {"sku": "B", "qty": 1, "price": 1},
                               {"sku": "C", "qty": 1, "price": -1}]},
     "items[2].price must be a non-negative integer of minor units"),
    ('{"op":"quote","items":[{"sku":"A","qty":1,"price":2.0}]}', "items[0].price must be a non-negative integer of minor units"),
    ('{"op":"quote","items":[{"sku":"A","qty":1,"price":2e0}]}', "items[0].price must be a non-negative integer of minor units"),
    ('{"op":"quote","items":[{"sku":"A","qty":1,"price":"2"}]}', "items[0].price must be a non-negative integer of minor units"),
    ({"op": "quote", "items": [{"sku": "A", "qty": 1, "price": 10**12 + 1}]}, "items[0].price must be at most 1000000000000 minor units"),
    ({"op": "quote", "items": [{"sku": "A", "qty": 0, "price": 1}]}, "items[0].qty must be an integer from 1 to 1000000"),
    ({"op": "quote", "items": [{"sku": "A", "qty": 1000001, "price": 1}]}, "items[0].qty must be an integer from 1 to 1000000"),
    ({"op": "quote", "items": [{"sku": 1, "qty": 1, "price": 1}]}, "items[0].sku must be a string"),
    ({"op": "quote", "items": [{"sku": "A", "qty": 1, "price": 1, "tags": "x"}]}, "items[0].tags must be an array of strings"),
    ({"op": "quote", "items": [{"sku": "A", "qty": 1, "price": 1}], "coupons": ["A", 3]}, "coupons[1] must be a string"),
    ({"op": "quote", "items": [{"sku": "A", "qty": 1, "price": 1}], "ts": "yesterday"},
     "ts must be an RFC 3339 time with an offset or an integer of Unix seconds"),
    ({"op": "quote", "items": [{"sku": "A", "qty": 1, "price": 1}], "ts": "2026-11-23T10:15:00"},
     "ts must be an RFC 3339 time with an offset or an integer of Unix seconds"),
    ({"op": "quote", "customer": "C1", "items": [{"sku": "A", "qty": 1, "price": 1}], "redeem_points": -1},
     "redeem_points must be an integer from 0 to 1000000000000"),
    ({"op": "quote", "items": [{"sku": "A", "qty": 1, "price": 1}], "attrs": []}, "attrs must be an object"),
    ({"op": "quote", "items": [{"sku": "A", "qty": 1000000, "price": 10**12}] * 10},
     "items: the subtotal overflows a 64-bit integer at items[9]"),
    ({"op": "purchase", "items": [{"sku": "A", "qty": 1, "price": 1}]}, "txn is required"),
    ({"op": "purchase", "txn": "", "items": [{"sku": "A", "qty": 1, "price": 1}]}, "txn must not be empty"),
    ({"op": "purchase", "txn": 5, "items": [{"sku": "A", "qty": 1, "price": 1}]}, "txn must be a string"),
    ({"op": "enroll"}, "customer is required"),
    ({"op": "customer", "customer": None}, "customer must be a string"),
    ({"op": "refund", "txn": "R"}, "original_txn is required"),
    ({"op": "refund", "txn": "R", "original_txn": "T", "items": [{"sku": "A"}]}, "items[0].qty is required"),
    ({"op": "adjust", "txn": "A", "customer": "C", "points": 10**12 + 1},
     "points must be an integer from -1000000000000 to 1000000000000"),
    ('{"op":"ping","id":1,"id":2}', "id is given twice"),
]


@pytest.mark.parametrize("req,message", BAD, ids=[m for _, m in BAD])
def test_bad_request_messages(served, req, message):
    a = served.client().send(req)
    assert err(a) == ("bad_request", message)


def test_quote_ts_forms_accepted(served):
    c = served.client()
    base = {"op": "quote", "items": [{"sku": "A", "qty": 1, "price": 100}]}
    for ts in (1793580000, "2026-11-23T10:15:00+05:30", "2026-11-23T04:45:00Z", "2026-11-23T04:45:00.123Z"):
        a = c.send(dict(base, ts=ts))
        assert a["ok"], (ts, a)


# ---- connections -----------------------------------------------------------

def test_max_connections_overloaded(daemon):
    d = daemon(config="max_connections: 2\n")
    time.sleep(0.2)  # the start-up probe's connection is gone
    a, b = d.client(), d.client()
    assert a.send(PING)["ok"] and b.send(PING)["ok"]
    extra = d.client()
    ans = extra.recv()
    assert err(ans)[0] == "overloaded" and "id" not in ans
    assert extra.closed()
    # the others are undisturbed
    assert a.send(PING)["ok"] and b.send(PING)["ok"]
    b.close()
    time.sleep(0.2)
    assert d.client().send(PING)["ok"]


def test_idle_timeout(daemon):
    d = daemon(config="idle_timeout_s: 1\n")
    c = d.client()
    assert c.send(PING)["ok"]
    t0 = time.time()
    assert c.closed(timeout=5)
    assert 0.5 < time.time() - t0 < 4


def test_no_idle_timeout_by_default(served):
    c = served.client()
    assert not c.closed(timeout=1.5)
    assert c.send(PING)["ok"]


def test_stalled_reader_does_not_grow_the_daemon(daemon):
    """A client that writes without reading: the daemon stops reading it
    once its unsent answers pass the bound; others still get answers."""
    d = daemon(config="max_output_bytes: 65536\n")
    c = d.client()
    c.sock.setblocking(False)
    line = b'{"op":"ping","id":"' + b"p" * 200 + b'"}\n'
    sent = 0
    t0 = time.time()
    while time.time() - t0 < 3:
        try:
            sent += c.sock.send(line * 100)
        except BlockingIOError:
            break
    assert sent < 64 * 1024 * 1024, "the daemon kept reading %d bytes" % sent
    assert d.client().send(PING)["ok"]


def test_socket_mode(daemon):
    d = daemon(config='socket_mode: "0600"\n')
    assert os.stat(d.socket).st_mode & 0o777 == 0o600
    d2 = daemon()
    assert os.stat(d2.socket).st_mode & 0o777 == 0o660


CLIENT_AS_NOBODY = r"""
import json, os, socket, sys
os.setgid(65534); os.setuid(65534)
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b'{"op":"reload","id":1}\n{"op":"forget","customer":"C1"}\n{"op":"adjust","txn":"A","customer":"C1","points":1}\n{"op":"ping"}\n')
buf = b""
while buf.count(b"\n") < 4:
    buf += s.recv(65536)
print(buf.decode(), end="")
"""


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to run a client as another uid")
def test_admin_ops_forbidden_for_other_uids(daemon):
    d = daemon(config='socket_mode: "0666"\n')
    out = subprocess.run([sys.executable, "-c", CLIENT_AS_NOBODY, d.socket], capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    answers = [json.loads(l) for l in out.stdout.decode().splitlines()]
    assert [a["ok"] for a in answers] == [False, False, False, True]
    assert answers[0]["id"] == 1
    for a, op in zip(answers, ("reload", "forget", "adjust")):
        assert err(a) == ("forbidden", "%s is an admin op and this peer is not an admin" % op)
    # the daemon's own uid may
    assert d.client().send({"op": "reload"})["ok"]


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to run a client as another uid")
def test_admin_uids_config(daemon):
    d = daemon(config='socket_mode: "0666"\nadmin_uids: [65534]\n')
    out = subprocess.run([sys.executable, "-c", CLIENT_AS_NOBODY, d.socket], capture_output=True, timeout=30)
    answers = [json.loads(l) for l in out.stdout.decode().splitlines()]
    assert answers[0]["ok"] is True, answers[0]


# ---- stats -----------------------------------------------------------------

def test_stats_counts(served):
    c = served.client()
    c.send(PING)
    c.send(PING)
    c.send({"op": "nope"})
    c.send({"op": "quote"})
    s = c.send({"op": "stats"})
    assert s["ok"]
    for k in ("version", "rules_version", "uptime_s", "requests", "fires", "rule_errors", "reloads", "connections"):
        assert k in s
    assert s["requests"]["ping"] == {"ok": 2, "error": 0}
    assert s["requests"]["quote"] == {"ok": 0, "error": 1}
    assert s["requests"]["invalid"]["error"] == 1
    assert s["reloads"] == {"ok": 0, "failed": 0}
    assert s["connections"]["open"] == 1 and s["connections"]["total"] >= 1


# ---- reload ------------------------------------------------------------------

def test_reload_good_and_broken(served):
    c = served.client()
    v1 = c.send(PING)["rules_version"]
    served.write_rules(BASIC_RULES.replace("net // 100", "net // 50"))
    a = c.send({"op": "reload", "id": "r"})
    assert a["ok"] and a["id"] == "r" and a["previous"] == v1
    v2 = a["rules_version"]
    assert v2 != v1 and c.send(PING)["rules_version"] == v2
    served.write_rules(BASIC_RULES + "  - name: broken\n    when: (((\n")
    a = c.send({"op": "reload"})
    assert err(a)[0] == "bad_rules"
    d = a["error"]["details"]
    assert d and all(set(e) == {"file", "line", "column", "message"} for e in d)
    assert d[0]["file"].endswith("program.yaml") and d[0]["line"] > 1
    assert c.send(PING)["rules_version"] == v2
    s = c.send({"op": "stats"})
    assert s["reloads"] == {"ok": 1, "failed": 1}


def test_sighup_reloads(served):
    c = served.client()
    v1 = c.send(PING)["rules_version"]
    served.write_rules(BASIC_RULES.replace("net // 100", "net // 25"))
    served.hup()
    for _ in range(200):
        if c.send(PING)["rules_version"] != v1:
            break
        time.sleep(0.02)
    assert c.send(PING)["rules_version"] != v1
    served.hup()
    served.hup()  # coalesced, harmless
    time.sleep(0.3)
    assert c.send({"op": "stats"})["reloads"]["failed"] == 0


# ---- signals and start-up --------------------------------------------------

def test_sigterm_answers_in_flight_then_exits_0(served):
    c = served.client()
    reqs = [{"op": "purchase", "txn": "T%d" % i, "customer": "C1",
             "items": [{"sku": "LATTE", "category": "coffee", "qty": 1, "price": 1000}]} for i in range(50)]
    c.raw(b"".join(Client.encode(r) for r in reqs))
    first = c.recv()
    assert first["ok"], first
    served.proc.send_signal(signal.SIGTERM)
    got = 1
    try:
        while True:
            a = c.recv()
            assert a["ok"], a
            got += 1
    except EOFError:
        pass
    assert served.proc.wait(timeout=30) == 0, served.stderr
    assert not os.path.exists(served.socket)
    # what was answered is durable
    d2 = served  # same db file: restart on it
    d2.proc = None
    d2.start()
    cust = d2.client().send({"op": "customer", "customer": "C1"})
    assert cust["ok"] and cust["purchase_count"] == got


def test_exit_2_on_bad_rules(daemon):
    d = daemon(rules="program: x\nrules:\n  - name: a\n    when: (((\n", start=False)
    assert d.wait() == 2
    assert re.search(r"program\.yaml:\d+:\d+: ", d.stderr), d.stderr
    assert not os.path.exists(d.socket)


def test_exit_2_on_bad_config(daemon):
    d = daemon(config="max_connections: 10\nfrobnicate: 1\n", start=False)
    assert d.wait() == 2
    assert "config.yaml:2:1: unknown key frobnicate" in d.stderr, d.stderr
    d = daemon(config="max_connections: lots\n", start=False)
    assert d.wait() == 2
    assert "config.yaml:1:18: max_connections must be an integer from 1 to 1000000" in d.stderr, d.stderr


def test_exit_2_on_postgresql_store(daemon):
    d = daemon(args=["--store", "postgresql://localhost/x"], start=False)
    assert d.wait() == 2
    assert "PostgreSQL store not built yet" in d.stderr


def test_stale_socket_file_is_replaced(daemon):
    d = daemon(start=False)
    s = socket.socket(socket.AF_UNIX)
    s.bind(d.socket)
    s.close()  # a socket file nobody listens on
    d.start()
    assert d.client().send(PING)["ok"]
