"""tests/blackbox/conftest.py — fixtures that run the real ./loyaltyd.

The daemon is started from the build directory (LOYALTYD_BUILD, else the
top_builddir that `make check` exports, else the current directory) on a
socket and SQLite file in a fresh temporary directory, with a rule program
and optional config YAML text, and is stopped with SIGTERM at the end of
the test, which must make it exit 0. Its stderr is kept in a file and shown
when a test fails. LOYALTYD_VALGRIND=1 runs it under valgrind and fails the
test on memory errors or leaks (valgrind's exit status 99).

Also a tiny TAP reporter: when LOYALTYD_TAP is set to a file name, every
test appends "ok N - nodeid" or "not ok N - nodeid" to it
(tests/blackbox/run.sh turns that into the TAP `make check` reads).

Helpers by name:
  daemon(rules=..., config=..., args=[...], start=True) -> Daemon
  Daemon.client() -> Client; Daemon.stop(); Daemon.hup(); Daemon.stderr
  Client.send(obj_or_raw_line) -> dict; .send_many([...]) -> [dict];
  Client.raw(bytes); .recv() -> dict; .recv_line() -> bytes; .closed()
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("top_srcdir") or os.path.normpath(os.path.join(HERE, "..", ".."))


def builddir():
    for d in (os.environ.get("LOYALTYD_BUILD"), os.environ.get("top_builddir"), os.getcwd()):
        if d and os.path.exists(os.path.join(d, "loyaltyd")):
            return os.path.abspath(d)
    pytest.exit("cannot find ./loyaltyd: set LOYALTYD_BUILD to the build directory", 2)


VALGRIND = os.environ.get("LOYALTYD_VALGRIND") == "1"
START_TIMEOUT = 60.0 if VALGRIND else 10.0
IO_TIMEOUT = 60.0 if VALGRIND else 10.0

# A small program every protocol test can rely on: one discount, one
# points rule, two tiers. Tests that need other rules pass their own text.
BASIC_RULES = """\
program: blackbox
currency: INR
timezone: UTC
points:
  value: 25
tiers:
  - name: bronze
  - name: silver
    qualify: spend_12m >= 500000
rules:
  - name: base-earn
    points: net // 100
  - name: coffee-promo
    when: any_item(item.category == "coffee")
    discount: {percent: 10, items: item.category == "coffee"}
"""


class Client:
    """One connection. Answers are read line by line and parsed as JSON."""

    def __init__(self, path, timeout=IO_TIMEOUT):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""

    @staticmethod
    def encode(req):
        if isinstance(req, bytes):
            line = req
        elif isinstance(req, str):
            line = req.encode()
        else:
            line = json.dumps(req, separators=(",", ":")).encode()
        return line if line.endswith(b"\n") else line + b"\n"

    def raw(self, data):
        self.sock.sendall(data)

    def recv_line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed by the daemon; unread: %r" % self.buf[:200])
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def recv(self):
        line = self.recv_line()
        try:
            return json.loads(line)
        except ValueError:
            raise AssertionError("answer is not JSON: %r" % line[:500])

    def send(self, req):
        self.raw(self.encode(req))
        return self.recv()

    def send_many(self, reqs):
        """Pipelined: everything is written before the first answer is read
        (from a thread, so a large batch cannot deadlock on full buffers)."""
        import threading
        data = b"".join(self.encode(r) for r in reqs)
        err = []

        def writer():
            try:
                self.sock.sendall(data)
            except OSError as e:
                err.append(e)
        t = threading.Thread(target=writer)
        t.start()
        out = [self.recv() for _ in reqs]
        t.join()
        if err:
            raise err[0]
        return out

    def closed(self, timeout=IO_TIMEOUT):
        """True when the daemon closes the connection (after any unread data)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True

    def shutdown_write(self):
        self.sock.shutdown(socket.SHUT_WR)

    def close(self):
        self.sock.close()


class Daemon:
    def __init__(self, rules=BASIC_RULES, config=None, args=(), start=True, rules_dir=None):
        self.dir = tempfile.mkdtemp(prefix="loyaltyd-bb-")
        os.chmod(self.dir, 0o755)  # clients under another uid reach the socket
        self.socket = os.path.join(self.dir, "loyaltyd.sock")
        self.db = os.path.join(self.dir, "loyalty.db")
        if rules_dir:
            self.rules = rules_dir
        else:
            self.rules = os.path.join(self.dir, "rules")
            os.mkdir(self.rules)
            self.write_rules(rules)
        self.config_path = None
        if config is not None:
            self.config_path = os.path.join(self.dir, "config.yaml")
            with open(self.config_path, "w") as f:
                f.write(config)
        self.args = list(args)
        self.errpath = os.path.join(self.dir, "stderr.txt")
        self.proc = None
        self.clients = []
        if start:
            self.start()

    def write_rules(self, text, name="program.yaml"):
        """Replace the program (for reload tests): files are written whole."""
        tmp = os.path.join(self.rules, "." + name + ".tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, os.path.join(self.rules, name))

    def command(self):
        cmd = [os.path.join(builddir(), "loyaltyd"), "--rules", self.rules,
               "--socket", self.socket, "--db", self.db]
        if self.config_path:
            cmd += ["--config", self.config_path]
        cmd += self.args
        if VALGRIND:
            cmd = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
                   "--show-leak-kinds=definite,indirect",
                   "--errors-for-leak-kinds=definite,indirect"] + cmd
        return cmd

    def spawn(self):
        self.errf = open(self.errpath, "wb")
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                     stdout=self.errf, stderr=self.errf, cwd=self.dir)

    def start(self):
        self.spawn()
        deadline = time.time() + START_TIMEOUT
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("loyaltyd exited with %d at start:\n%s" % (self.proc.returncode, self.stderr))
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.socket)
                s.close()
                return self
            except OSError:
                time.sleep(0.02)
        raise AssertionError("loyaltyd did not open its socket in %ss:\n%s" % (START_TIMEOUT, self.stderr))

    def wait(self, timeout=START_TIMEOUT):
        """For daemons expected to exit by themselves: the exit status."""
        if self.proc is None:
            self.spawn()
        return self.proc.wait(timeout=timeout)

    @property
    def stderr(self):
        try:
            with open(self.errpath, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def client(self, timeout=IO_TIMEOUT):
        c = Client(self.socket, timeout)
        self.clients.append(c)
        return c

    def hup(self):
        self.proc.send_signal(signal.SIGHUP)

    def stop(self, expect=0, sig=signal.SIGTERM):
        if self.proc is None or self.proc.returncode is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("loyaltyd did not exit after signal %d:\n%s" % (sig, self.stderr))
        if expect is not None:
            assert rc == expect, "loyaltyd exit status %d (want %d)%s:\n%s" % (
                rc, expect, " — valgrind found errors" if VALGRIND and rc == 99 else "", self.stderr)
        return rc

    def cleanup(self):
        for c in self.clients:
            c.close()
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def daemon(request):
    """Factory: daemon(rules=TEXT, config=YAML, args=[...], start=True)."""
    made = []

    def make(**kw):
        d = Daemon(**kw)
        made.append(d)
        return d
    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    try:
        for d in made:
            if d.proc is not None and d.proc.returncode is None:
                for c in d.clients:
                    c.close()
                d.stop()
    finally:
        if failed:
            for d in made:
                sys.stderr.write("---- loyaltyd stderr (%s) ----\n%s\n" % (d.dir, d.stderr))
        for d in made:
            d.cleanup()


@pytest.fixture
def served(daemon):
    """A daemon on BASIC_RULES, already started."""
    return daemon()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


_tap_n = [0]


def pytest_runtest_logreport(report):
    path = os.environ.get("LOYALTYD_TAP")
    if not path:
        return
    # one TAP line per test: its call phase, or its setup when that failed
    # or skipped, or its teardown when that failed
    line = None
    if report.when == "setup" and not report.passed:
        line = ("ok %d - %s # SKIP" if report.skipped else "not ok %d - %s (setup)")
    elif report.when == "call":
        line = "ok %d - %s" if report.passed else (
            "ok %d - %s # SKIP" if report.skipped else "not ok %d - %s")
    elif report.when == "teardown" and report.failed:
        line = "not ok %d - %s (teardown)"
    if line:
        _tap_n[0] += 1
        with open(path, "a") as f:
            f.write(line % (_tap_n[0], report.nodeid) + "\n")
