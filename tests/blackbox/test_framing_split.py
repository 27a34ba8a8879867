"""tests/blackbox/test_framing_split.py — NDJSON framing does not depend on
how the bytes arrive. The daemon reads lines lying whole in its input in
place and the rest through the buffer (engine/conn.c); the same stream of
quotes, pings, broken lines, CRLF, blank and whitespace-only lines and a
last line without a newline must get the same answers, in order, whether
it is written at once or cut at random byte boundaries (1 byte to 20 KB,
with pauses)."""
import json
import random
import socket
import time

from conftest import IO_TIMEOUT

QUOTE = {"op": "quote", "ts": "2026-03-02T09:30:00Z",
         "items": [{"sku": "LATTE", "category": "coffee", "qty": 2, "price": 25000},
                   {"sku": "CROISSANT", "category": "pastry", "qty": 1, "price": 18000}]}


def stream(seed):
    """The bytes, and per expected answer: the id it echoes (None for a
    line too broken to have one) and whether it must be ok."""
    rnd = random.Random(seed)
    data, expect = b"", []
    for i in range(300):
        end = rnd.choice([b"\n", b"\r\n", b"\n\n", b"\n \t\r\n"])
        kind = rnd.choice(["quote", "quote", "ping", "broken", "unknown"])
        if kind == "quote":
            q = dict(QUOTE, id=i)
            q["items"] = [dict(it, qty=rnd.randint(1, 5)) for it in QUOTE["items"]]
            data += json.dumps(q, separators=(",", ":")).encode() + end
            expect.append((i, True))
        elif kind == "ping":
            data += b'{"op":"ping","id":%d}' % i + end
            expect.append((i, True))
        elif kind == "broken":
            data += b'{"op":"ping","id":' + end  # cut short: bad_request, no id
            expect.append((None, False))
        else:
            data += b'{"op":"nope","id":%d}' % i + end
            expect.append((i, False))
    data += b'{"op":"ping","id":"last"}'  # no newline: answered at the end of input
    expect.append(("last", True))
    return data, expect


def exchange(path, data, pieces=None):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(IO_TIMEOUT)
    s.connect(path)
    if pieces is None:
        s.sendall(data)
    else:
        pos = 0
        while pos < len(data):
            n = pieces.choice([1, 2, 7, 100, 301, 1000, 4096, 20000])
            s.sendall(data[pos:pos + n])
            pos += n
            if pieces.random() < 0.05:
                time.sleep(0.002)
    s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    return out


def test_same_answers_however_the_bytes_arrive(served):
    path = served.socket
    for seed in (1, 2, 3):
        data, expect = stream(seed)
        whole = exchange(path, data)
        answers = [json.loads(l) for l in whole.split(b"\n") if l]
        assert len(answers) == len(expect), "seed %d: %d answers for %d requests" % (
            seed, len(answers), len(expect))
        for a, (rid, ok) in zip(answers, expect):
            assert a.get("id") == rid and a["ok"] is ok, (seed, a, rid, ok)
        for cut in range(3):
            split = exchange(path, data, random.Random(seed * 10 + cut))
            assert split == whole, "seed %d cut %d: answers differ" % (seed, cut)
