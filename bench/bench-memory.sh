#!/bin/sh
# bench/bench-memory.sh — resident memory of loyaltyd with 1,000,000 stored
# customers (issue 5: under cache_mb + 64 MiB). Imports N customers with
# `loyaltyctl import`, starts the daemon with the default cache_mb (256),
# reads every customer once with the `customer` op through the shared
# kit's loadgen, and prints the peak RSS against the bound.
#   bench/bench-memory.sh BUILDDIR [N]
set -eu
b=$(cd "${1:?usage: bench/bench-memory.sh BUILDDIR [N]}" && pwd)
n=${2:-1000000}
top=$(cd "$(dirname "$0")/.." && pwd)
kit=${BENCH_DIR:-$top/../shared/bench}
make -s -C "$kit" loadgen >/dev/null
w=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$w"' EXIT
pid=
python3 - "$w" "$n" <<'PY'
import json, random, sys
w, n = sys.argv[1], int(sys.argv[2])
random.seed(1)
with open(w + "/cust.ndjson", "w") as f, open(w + "/get.ndjson", "w") as g:
    for i in range(n):
        cid = "M%07d" % i
        f.write(json.dumps({"customer": cid, "tier": "bronze", "points": random.randint(0, 5000),
            "lifetime_spend": random.randint(0, 900000), "spend_12m": random.randint(0, 400000),
            "purchase_count": random.randint(1, 40), "last_purchase_at": "2026-10-01T10:00:00+05:30",
            "attrs": {"city": random.choice(["Pune", "Surat", "Delhi"]), "birth_month": random.randint(1, 12)}},
            separators=(",", ":")) + "\n")
        g.write('{"op":"customer","customer":"%s"}\n' % cid)
PY
start=$(date +%s.%N)
"$b/loyaltyctl" --db "$w/m.db" import "$w/cust.ndjson"
end=$(date +%s.%N)
echo "import: $n customers in $(awk "BEGIN {printf \"%.2f\", $end - $start}") s"
"$b/loyaltyd" --rules "$top/examples/coffee-club" --socket "$w/s" --db "$w/m.db" 2>"$w/d.log" &
pid=$!
while [ ! -S "$w/s" ]; do sleep 0.1; done
"$kit/loadgen" -s "$w/s" -f "$w/get.ndjson" -c 4 -p 16 -n "$n" | tail -1
hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
echo "peak RSS $((hwm / 1024)) MiB; bound cache_mb 256 + 64 = 320 MiB"
