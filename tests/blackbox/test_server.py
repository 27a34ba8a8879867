"""tests/blackbox/test_server.py — the daemon's command line, config
extensions (tcp_listen), and loyaltyctl against a running daemon."""
import json
import os
import socket
import subprocess
import time

import pytest

from conftest import BASIC_RULES, VALGRIND, builddir

PING = {"op": "ping"}


def ctl(d, *args, stdin=None):
    cmd = [os.path.join(builddir(), "loyaltyctl"), "--socket", d.socket] + list(args)
    return subprocess.run(cmd, input=stdin, capture_output=True, timeout=60)


def test_help_and_version():
    exe = os.path.join(builddir(), "loyaltyd")
    out = subprocess.run([exe, "--version"], capture_output=True)
    assert out.returncode == 0 and out.stdout.startswith(b"loyaltyd ")
    out = subprocess.run([exe, "--help"], capture_output=True)
    assert out.returncode == 0 and b"--rules" in out.stdout
    out = subprocess.run([exe, "--bogus"], capture_output=True)
    assert out.returncode == 2
    out = subprocess.run([exe, "--socket", "/tmp/x.sock"], capture_output=True)
    assert out.returncode == 2 and b"--rules" in out.stderr


def test_flags_override_config(daemon):
    d = daemon(config="socket: /nonexistent/dir/x.sock\nmax_line_bytes: 64\n")
    # --socket (given by the fixture) won over the config's socket
    c = d.client()
    assert c.send(PING)["ok"]
    # the config's other keys still apply
    a = c.send('{"op":"ping","id":"' + "x" * 80 + '"}')
    assert a["error"]["code"] == "too_large"


def test_rules_from_config(daemon):
    d = daemon(start=False)
    d.config_path = os.path.join(d.dir, "c.yaml")
    with open(d.config_path, "w") as f:
        f.write("rules: %s\n" % d.rules)
    d.command_orig = d.command
    d.command = lambda: [a for a in d.command_orig() if a not in ("--rules", d.rules)]
    d.start()
    assert d.client().send(PING)["ok"]


def test_pidfile(daemon):
    d = daemon(start=False)
    pidfile = os.path.join(d.dir, "pid")
    d.args = ["--pidfile", pidfile]
    d.start()
    with open(pidfile) as f:
        assert int(f.read()) == d.proc.pid
    d.stop()
    assert not os.path.exists(pidfile)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_tcp_listen_loopback(daemon):
    port = free_port()
    d = daemon(config='tcp_listen: "127.0.0.1:%d"\n' % port)
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b'{"op":"ping","id":"tcp"}\n{"op":"reload"}\n')
    buf = b""
    while buf.count(b"\n") < 2:
        buf += s.recv(65536)
    a, b = [json.loads(l) for l in buf.splitlines()]
    assert a["ok"] and a["id"] == "tcp"
    # no peer credentials over TCP: admin ops are refused
    assert b["error"]["code"] == "forbidden"
    s.close()


def test_tcp_listen_refuses_non_loopback(daemon):
    d = daemon(config='tcp_listen: "0.0.0.0:%d"\n' % free_port(), start=False)
    assert d.wait() == 1
    assert "not a loopback address" in d.stderr


def test_ctl_ping_stats_reload_customer(served):
    out = ctl(served, "ping")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["ok"] is True
    out = ctl(served, "stats")
    assert out.returncode == 0 and "requests" in json.loads(out.stdout)
    out = ctl(served, "reload")
    assert out.returncode == 0 and json.loads(out.stdout)["ok"]
    out = ctl(served, "customer", "nobody")
    assert out.returncode == 1
    assert json.loads(out.stdout)["error"]["code"] == "not_found"
    assert b"not_found" in out.stderr


def test_ctl_reload_broken_prints_positions(served):
    served.write_rules(BASIC_RULES + "  - name: broken\n    when: (((\n")
    out = ctl(served, "reload")
    assert out.returncode == 1
    assert b"bad_rules" in out.stderr
    assert b"program.yaml:" in out.stderr


def test_ctl_send_pipelined(served):
    lines = b"".join(b'{"op":"ping","id":%d}\n' % i for i in range(500))
    out = ctl(served, "send", stdin=lines)
    assert out.returncode == 0, out.stderr
    ids = [json.loads(l)["id"] for l in out.stdout.splitlines()]
    assert ids == list(range(500))


def test_ctl_check(tmp_path):
    exe = os.path.join(builddir(), "loyaltyctl")
    good = tmp_path / "good.yaml"
    good.write_text(BASIC_RULES)
    out = subprocess.run([exe, "check", str(good)], capture_output=True)
    assert out.returncode == 0, out.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("program: x\nrules:\n  - name: a\n    when: (((\n    points: 1\n")
    out = subprocess.run([exe, "check", str(bad)], capture_output=True)
    assert out.returncode == 1
    assert out.stderr.decode().startswith(str(bad) + ":") or b"bad.yaml:" in out.stderr


def test_ctl_cannot_connect(tmp_path):
    exe = os.path.join(builddir(), "loyaltyctl")
    out = subprocess.run([exe, "--socket", str(tmp_path / "none.sock"), "ping"], capture_output=True)
    assert out.returncode == 1 and b"cannot connect" in out.stderr


def test_sigterm_with_batch_durability_answers_deferred(daemon):
    d = daemon(config="durability: batch\nbatch_max_delay_ms: 50\n")
    c = d.client()
    reqs = [{"op": "purchase", "txn": "B%d" % i, "customer": "C%d" % (i % 5),
             "items": [{"sku": "X", "category": "coffee", "qty": 1, "price": 500}]} for i in range(200)]
    c.raw(b"".join((json.dumps(r) + "\n").encode() for r in reqs))
    first = c.recv()
    assert first["ok"], first
    d.proc.send_signal(15)
    n = 1
    try:
        while True:
            assert c.recv()["ok"]
            n += 1
    except EOFError:
        pass
    assert d.proc.wait(timeout=30) == 0, d.stderr
    d.proc = None
    d.start()
    total = sum(d.client().send({"op": "customer", "customer": "C%d" % k}).get("purchase_count", 0) for k in range(5))
    assert total == n


def test_client_hangs_up_with_requests_in_flight(served):
    for _ in range(5):
        c = served.client()
        c.raw(b"".join(b'{"op":"purchase","txn":"H%d-%f","customer":"C1","items":[{"sku":"A","qty":1,"price":1}]}\n'
                       % (i, time.time()) for i in range(100)))
        c.close()
    assert served.client().send(PING)["ok"]


@pytest.mark.skipif(VALGRIND, reason="valgrind needs descriptors of its own")
def test_out_of_descriptors_keeps_serving(daemon):
    """With few file descriptors, connections past the limit wait (accept
    pauses instead of spinning); once some close, the daemon serves again."""
    d = daemon(start=False, config="max_connections: 1000\n")
    orig = d.command
    d.command = lambda: ["prlimit", "--nofile=40"] + orig()
    d.start()
    time.sleep(0.2)
    held = []
    for _ in range(60):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(5)
        s.connect(d.socket)  # the kernel queues what the daemon cannot accept
        held.append(s)
    time.sleep(0.5)
    for s in held:
        s.close()
    time.sleep(0.5)
    c = d.client()
    assert c.send(PING)["ok"]
    assert "pausing new connections" in d.stderr


def test_ctl_send_survives_the_daemon_closing(daemon):
    d = daemon(config="max_line_bytes: 100\n")
    data = b'{"op":"ping","id":1}\n' + b"x" * 200 + b"\n" + b'{"op":"ping"}\n' * 200000
    out = ctl(d, "send", stdin=data)
    lines = out.stdout.splitlines()
    assert json.loads(lines[0])["id"] == 1
    assert json.loads(lines[1])["error"]["code"] == "too_large"
    assert len(lines) == 2


LUA_PROGRAM = BASIC_RULES
LUA_RULES = """
rule {
  name = "boom",
  when = function(ctx) return ctx.nonexistent.field end,
  bonus_points = 1,
}
rule {
  name = "spin",
  when = function(ctx) while true do end end,
  bonus_points = 1,
}
"""


def test_stats_fires_rule_errors_and_lua_failures(daemon):
    d = daemon(config="lua: {instructions: 10000}\n")
    d.write_rules(LUA_RULES, name="zz.lua")
    c = d.client()
    assert c.send({"op": "reload"})["ok"]
    basket = {"customer": "C1", "items": [{"sku": "L", "category": "coffee", "qty": 1, "price": 10000}]}
    q = c.send(dict(basket, op="quote"))
    assert q["ok"], q
    assert {w["rule"] for w in q["warnings"]} == {"boom", "spin"}
    p = c.send(dict(basket, op="purchase", txn="T1"))
    assert p["ok"], p
    s = c.send({"op": "stats"})
    # fires and rule_errors count the committed purchase only, not the quote
    assert s["fires"] == {"base-earn": 1, "coffee-promo": 1}
    assert s["rule_errors"] == 2
    # the sandbox saw both the quote's and the purchase's failures
    assert s["lua_failures"]["instructions"] == 2
    assert s["lua_failures"]["error"] == 2
    assert c.send(dict(basket, op="purchase", txn="T1"))["replayed"] is True
    assert c.send({"op": "stats"})["fires"] == {"base-earn": 1, "coffee-promo": 1}


COMPILED_LUA_RULES = """
rule {
  name = "regulars",
  when = function(ctx) return ctx.customer.purchase_count >= 1 end,
  discount = { percent = 5 },
}
"""


def test_compiled_lua_rule_raises_as_lua_does(daemon):
    """A Lua rule compiled into an expression (loyaltyctl check says so)
    still raises where Lua raises: ctx.customer is nil for an anonymous
    basket, so the rule gets a warning and stats count a Lua failure; a
    customer's basket gets the rule's answer."""
    d = daemon()
    d.write_rules(COMPILED_LUA_RULES, name="zz.lua")
    check = ctl(d, "check", d.rules)
    assert b"1 of 1 Lua functions compiled into expressions" in check.stdout, check.stdout
    c = d.client()
    assert c.send({"op": "reload"})["ok"]
    items = [{"sku": "L", "category": "coffee", "qty": 1, "price": 10000}]
    q = c.send({"op": "quote", "items": items})
    assert q["ok"], q
    assert [w["rule"] for w in q["warnings"]] == ["regulars"]
    assert c.send({"op": "stats"})["lua_failures"]["error"] == 1
    # a customer with one purchase: the rule fires on the next basket
    assert c.send({"op": "purchase", "customer": "C9", "txn": "T1", "items": items})["ok"]
    q = c.send({"op": "quote", "customer": "C9", "items": items})
    assert q["ok"] and not q.get("warnings"), q
    assert "regulars" in [a["rule"] for a in q["applied"]], q


def test_metrics_listen(daemon):
    import urllib.error
    import urllib.request
    port = free_port()
    d = daemon(config='metrics_listen: "127.0.0.1:%d"\n' % port)
    c = d.client()
    c.send(PING)
    c.send({"op": "purchase", "txn": "M1", "customer": "C1",
            "items": [{"sku": "L", "category": "coffee", "qty": 1, "price": 10000}]})
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read().decode()
    assert 'loyaltyd_requests_total{op="ping",outcome="ok"} 1\n' in text
    assert 'loyaltyd_requests_total{op="purchase",outcome="ok"} 1\n' in text
    assert 'loyaltyd_rule_fires_total{rule="coffee-promo"} 1\n' in text
    assert "# TYPE loyaltyd_connections_open gauge\n" in text
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen("http://127.0.0.1:%d/other" % port, timeout=10)
    assert e.value.code == 404


def test_metrics_listen_refuses_non_loopback(daemon):
    d = daemon(config='metrics_listen: "0.0.0.0:%d"\n' % free_port(), start=False)
    assert d.wait() == 1
    assert "metrics_listen: 0.0.0.0" in d.stderr and "not a loopback address" in d.stderr
