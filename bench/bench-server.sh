#!/bin/sh
# bench/bench-server.sh — loyaltyd's throughput and tail latency over its
# socket on the coffee-club workload, as ratios to the I/O floor measured
# in the same run (floor_echo: a libevent server answering a fixed line,
# no parsing, no rules, no store). Runs 1 conn x 1 deep and 4 conns x 16
# deep, for quote (pure evaluation) and purchase in each durability mode
# (always | batch | off: fsync per purchase, group commit, none), and
# open-loop runs at half the 4x16 rate just measured (the "-half" rows:
# their p99 is the tail latency at half of peak).
#
# usage: bench/bench-server.sh [BUILD_DIR]      (default: $LOYALTYD_BUILD or .)
# env:   N=purchases (default 50000)  DUR=seconds per quote/echo run (5)
#        BENCH_DIR=the shared kit ($SRC/../shared/bench, beside the source tree)  KEEP=1 keeps the work dir
set -eu

BUILD=${1:-${LOYALTYD_BUILD:-.}}
BUILD=$(cd "$BUILD" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-$SRC/../shared/bench}
N=${N:-50000}
DUR=${DUR:-5}
WORK=$(mktemp -d /tmp/bench-server.XXXXXX)
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

[ -x "$BUILD/loyaltyd" ] || { echo "no loyaltyd in $BUILD (give the build dir)" >&2; exit 2; }
# built in a copy: the shared kit is read-only to us
mkdir -p "$WORK/kit"
cp -R "$BENCH_DIR"/. "$WORK/kit/"
make -s -C "$WORK/kit" loadgen floor_echo >&2
LOADGEN=$WORK/kit/loadgen
RULES=$SRC/examples/coffee-club
[ -e "$RULES" ] || RULES=$BENCH_DIR/coffee-club/program.yaml

echo "# generating $N purchases (fresh customers) in $WORK" >&2
python3 "$BENCH_DIR/gen_purchases.py" --fresh --n "$N" --customers "$WORK/customers.ndjson" \
	--enroll "$WORK/enroll.ndjson" --out "$WORK/purchases.ndjson"
sed 's/"op":"purchase"/"op":"quote"/' "$WORK/purchases.ndjson" >"$WORK/quotes.ndjson"

wait_sock() {
	i=0
	while [ ! -S "$1" ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
	[ -S "$1" ] || { echo "no socket $1" >&2; exit 1; }
}

RESULTS=$WORK/results
: >"$RESULTS"
# lg LABEL SOCKET FILE C P [loadgen args...]
lg() {
	label=$1 sock=$2 file=$3 c=$4 p=$5
	shift 5
	out=$("$LOADGEN" -s "$sock" -f "$file" -c "$c" -p "$p" -l "$label" "$@") || {
		echo "loadgen failed for $label" >&2
		return 1
	}
	echo "$out" | grep '^RESULT' >>"$RESULTS"
	echo "$out" | grep '^RESULT' >&2
}

# ---- the floor ----
"$WORK/kit/floor_echo" "$WORK/echo.sock" 2>/dev/null &
ECHO=$!
PIDS="$PIDS $ECHO"
wait_sock "$WORK/echo.sock"
for cp in "1 1" "4 16"; do
	set -- $cp
	lg "echo-$1x$2" "$WORK/echo.sock" "$WORK/quotes.ndjson" "$1" "$2" -d "$DUR" -w 1
done
kill "$ECHO"

# ---- loyaltyd ----
start_daemon() {  # durability
	rm -f "$WORK/l.sock" "$WORK/l.db" "$WORK/l.db-wal" "$WORK/l.db-shm"
	printf 'durability: %s\nlog_level: warn\n' "$1" >"$WORK/l.yaml"
	"$BUILD/loyaltyd" --rules "$RULES" --socket "$WORK/l.sock" --db "$WORK/l.db" --config "$WORK/l.yaml" \
		2>>"$WORK/loyaltyd.log" &
	LPID=$!
	PIDS="$PIDS $LPID"
	wait_sock "$WORK/l.sock"
	# enroll everyone first (not timed)
	"$LOADGEN" -s "$WORK/l.sock" -f "$WORK/enroll.ndjson" -c 4 -p 64 -n "$(wc -l <"$WORK/enroll.ndjson")" \
		-l enroll --check >/dev/null
}
stop_daemon() {
	kill -TERM "$LPID"
	wait "$LPID" || echo "loyaltyd exited $? (see $WORK/loyaltyd.log)" >&2
}

start_daemon off
for cp in "1 1" "4 16"; do
	set -- $cp
	lg "quote-$1x$2" "$WORK/l.sock" "$WORK/quotes.ndjson" "$1" "$2" -d "$DUR" -w 1 --check
done
half=$(awk '/system=quote-4x16 /{ for (i = 1; i <= NF; i++) if ($i ~ /^rps=/) { sub("rps=", "", $i); print int($i / 2) } }' "$RESULTS")
[ "${half:-0}" -gt 0 ] && lg "quote-4x16-half" "$WORK/l.sock" "$WORK/quotes.ndjson" 4 16 -d "$DUR" -w 1 -r "$half" --check
stop_daemon

# purchases: each txn once (a repeated txn would be a cheap replay), so
# count-bounded runs over the first and second halves of the file
HALF=$((N / 2))
head -n "$HALF" "$WORK/purchases.ndjson" >"$WORK/p1.ndjson"
tail -n +"$((HALF + 1))" "$WORK/purchases.ndjson" >"$WORK/p2.ndjson"
for dur in always batch off; do
	start_daemon "$dur"
	n1=$HALF
	# a commit wait per purchase at 1x1 is slow: fewer requests keep the run short
	[ "$dur" != off ] && n1=$((HALF < 2000 ? HALF : 2000))
	lg "purchase-$dur-1x1" "$WORK/l.sock" "$WORK/p1.ndjson" 1 1 -n "$n1" --check
	lg "purchase-$dur-4x16" "$WORK/l.sock" "$WORK/p2.ndjson" 4 16 -n "$(wc -l <"$WORK/p2.ndjson")" --check
	# half of that rate, open loop, on the purchases 1x1 left unused
	rest=$((HALF - n1))
	half=$(awk -v s="purchase-$dur-4x16" '$0 ~ "system=" s " " { for (i = 1; i <= NF; i++) if ($i ~ /^rps=/) { sub("rps=", "", $i); print int($i / 2) } }' "$RESULTS")
	if [ "$rest" -gt 1000 ] && [ "${half:-0}" -gt 0 ]; then
		tail -n "$rest" "$WORK/p1.ndjson" >"$WORK/p3.ndjson"
		n3=$((half * 3 < rest ? half * 3 : rest))
		lg "purchase-$dur-4x16-half" "$WORK/l.sock" "$WORK/p3.ndjson" 4 16 -n "$n3" -r "$half" --check
	fi
	stop_daemon
done

# ---- summary: ratios to the echo floor at the same conns x depth ----
echo
printf '%-22s %10s %10s %12s %12s\n' run req/s p99_us "floor req/s" "rps/floor"
awk '
	{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	  key = v["conns"] "x" v["pipeline"]
	  if (v["system"] ~ /^echo-/) { floor[key] = v["rps"]; fp99[key] = v["p99_us"] }
	  else { n++; name[n] = v["system"]; rps[n] = v["rps"]; p99[n] = v["p99_us"]; k[n] = key; err[n] = v["errors"] } }
	END {
	  for (i = 1; i <= n; i++)
	    printf "%-22s %10d %10.1f %12d %11.1f%%%s\n", name[i], rps[i], p99[i], floor[k[i]],
	      (floor[k[i]] ? 100 * rps[i] / floor[k[i]] : 0), (err[i] > 0 ? "  (" err[i] " error answers)" : "")
	  for (key in floor) printf "%-22s %10d %10.1f\n", "echo floor " key, floor[key], fp99[key]
	}' "$RESULTS"
