#!/bin/sh
# bench/bench-rules.sh — issue 4's evaluation target against the issue's own
# baseline, measured in the same run: the coffee-club program through
# rules/ in-process (bench/bench-rules) and the same 22 rules hand-written
# in C by the shared kit (floor_eval), on the same generated purchases,
# alternately for a few rounds so that a noisy box hurts both alike.
#
# The shared kit is copied to a temporary directory and floor_eval built
# there: nothing is ever written inside the kit.
#
# usage: bench/bench-rules.sh [BUILD_DIR]      (default: $LOYALTYD_BUILD or .)
# env:   BENCH_DIR=the shared kit ($SRC/../shared/bench)  N=purchases (200000)
#        ROUNDS=3  PASSES=3 (timed passes per program per round)  KEEP=1 keeps
#        the work dir
# prints per round both rates (best pass of each), whether the digests are
# equal, the ratio loyaltyd/floor_eval, and the best and median ratio
# (target >= 0.334: "within 3x").
set -eu

BUILD=${1:-${LOYALTYD_BUILD:-.}}
BUILD=$(cd "$BUILD" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-$SRC/../shared/bench}
N=${N:-200000}
ROUNDS=${ROUNDS:-3}
PASSES=${PASSES:-3}

[ -x "$BUILD/bench/bench-rules" ] || { echo "no bench/bench-rules in $BUILD (give the build dir)" >&2; exit 2; }
[ -f "$BENCH_DIR/floor_eval.c" ] || { echo "no shared kit at $BENCH_DIR (set BENCH_DIR)" >&2; exit 2; }
# floor_eval reads its input with jansson: without it there is no baseline
if ! pkg-config --exists jansson 2>/dev/null; then
	echo "bench-rules.sh: the baseline floor_eval needs libjansson-dev (apt-get install libjansson-dev); nothing measured"
	exit 0
fi

WORK=$(mktemp -d /tmp/bench-rules.XXXXXX)
cleanup() { [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"; }
trap cleanup EXIT INT TERM

mkdir "$WORK/kit"
cp -R "$BENCH_DIR"/. "$WORK/kit/"
rm -f "$WORK/kit/floor_eval"
make -s -C "$WORK/kit" floor_eval >&2
PROGRAM=$BENCH_DIR/coffee-club

echo "# generating $N purchases (seed 42) in $WORK" >&2
python3 "$WORK/kit/gen_purchases.py" --seed 42 --n "$N" --customers "$WORK/C.ndjson" --out "$WORK/P.ndjson"

# field NAME=value of the RESULT line matching PATTERN in FILE
field() {
	awk -v pat="$2" -v k="$3" '$0 ~ pat { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); exit } }' "$1"
}

best=0
printf '%-6s %14s %14s %8s %8s\n' round loyaltyd/s floor_eval/s digest ratio
r=1
while [ "$r" -le "$ROUNDS" ]; do
	"$WORK/kit/floor_eval" --customers "$WORK/C.ndjson" --purchases "$WORK/P.ndjson" --passes "$PASSES" \
		>"$WORK/floor.out"
	"$BUILD/bench/bench-rules" --customers "$WORK/C.ndjson" --purchases "$WORK/P.ndjson" \
		--program "$PROGRAM" --passes "$PASSES" >"$WORK/rules.out"
	# floor_eval's best pass (max_per_s) against bench-rules' best pass
	fr=$(field "$WORK/floor.out" "system=floor_eval figure=eval" max_per_s)
	lr=$(field "$WORK/rules.out" "system=loyaltyd-rules figure=eval" baskets_per_s)
	fd=$(grep '^digest ' "$WORK/floor.out" | head -n 1)
	ld=$(grep '^digest ' "$WORK/rules.out" | head -n 1)
	same=no
	[ -n "$fd" ] && [ "$fd" = "$ld" ] && same=yes
	ratio=$(awk -v a="$lr" -v b="$fr" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
	printf '%-6s %14.0f %14.0f %8s %8s\n' "$r" "$lr" "$fr" "$same" "$ratio"
	if [ "$same" != yes ]; then
		echo "digests differ:" >&2
		echo "  floor_eval: $fd" >&2
		echo "  loyaltyd:   $ld" >&2
	fi
	best=$(awk -v a="$ratio" -v b="$best" 'BEGIN { print (a > b ? a : b) }')
	echo "$ratio" >>"$WORK/ratios"
	r=$((r + 1))
done
# the median too: on a busy box the best round is the luckiest one
median=$(sort -n "$WORK/ratios" | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')
echo "digest: $ld"
echo "RESULT system=loyaltyd-rules figure=eval-vs-floor_eval best_ratio=$best median_ratio=$median target_ratio=0.334 rounds=$ROUNDS"
