#!/usr/bin/env python3
"""examples/pos-client/pos.py — what a till does: keep one connection to
loyaltyd open, quote the basket while the cashier scans, then commit it as a
purchase with an idempotency key, retrying on a broken connection with the
same txn (a retry never double-awards).

    pos.py SOCKET CUSTOMER SKU:CATEGORY:QTY:PRICE [...]
"""
import json
import socket
import sys
import time
import uuid


class Loyalty:
    def __init__(self, path):
        self.path = path
        self.sock = None
        self.buf = b""

    def _connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(self.path)
        self.buf = b""

    def call(self, req, retries=3):
        for attempt in range(retries):
            try:
                if self.sock is None:
                    self._connect()
                self.sock.sendall(json.dumps(req).encode() + b"\n")
                while b"\n" not in self.buf:
                    chunk = self.sock.recv(65536)
                    if not chunk:
                        raise ConnectionError("loyaltyd closed the connection")
                    self.buf += chunk
                line, self.buf = self.buf.split(b"\n", 1)
                return json.loads(line)
            except (OSError, ConnectionError):
                self.sock = None
                if attempt == retries - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))


def main(argv):
    if len(argv) < 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    lty = Loyalty(argv[1])
    items = []
    for spec in argv[3:]:
        sku, cat, qty, price = spec.split(":")
        items.append({"sku": sku, "category": cat, "qty": int(qty), "price": int(price)})
    basket = {"customer": argv[2], "channel": "store", "items": items}
    quote = lty.call(dict(basket, op="quote"))
    print("quote:   ", json.dumps(quote))
    if not quote.get("ok"):
        return 1
    txn = "POS-" + uuid.uuid4().hex[:12]
    done = lty.call(dict(basket, op="purchase", txn=txn))
    print("purchase:", json.dumps(done))
    return 0 if done.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
