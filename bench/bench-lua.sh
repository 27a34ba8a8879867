#!/bin/sh
# bench/bench-lua.sh — issue 6's speed targets on the shared workload, in
# one run: the coffee-club rules in YAML (examples/coffee-club) and in Lua
# (examples/coffee-club-lua) evaluated by bench/bench-rules on the same
# generated purchases — the Lua twice: as loaded (its functions compiled
# into expressions, doc/lua.md) and with --lua-no-compile (every function
# called in the sandbox) — and the shared kit's plain-Lua peer (lua_eval: the
# same rules as one Lua function, every basket copied into Lua tables),
# alternately for a few rounds so that a noisy box hurts all three alike.
#
# The shared kit is copied to a temporary directory and lua_eval built
# there: nothing is ever written inside the kit. Without the kit (or
# without libjansson-dev, which lua_eval reads its input with) the peer is
# skipped and the YAML/Lua ratio is still measured.
#
# usage: bench/bench-lua.sh [BUILD_DIR]      (default: $LOYALTYD_BUILD or .)
# env:   BENCH_DIR=the shared kit ($SRC/../shared/bench)  N=purchases (20000)
#        ROUNDS=3  PASSES=3 (timed passes per program per round)  KEEP=1
# prints per round the rates (best pass of each), whether the four digests
# are equal, Lua/YAML (target >= 0.25), Lua/peer (target >= 5) and the
# sandbox-only Lua's rate over YAML's.
set -eu

BUILD=${1:-${LOYALTYD_BUILD:-.}}
BUILD=$(cd "$BUILD" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-$SRC/../shared/bench}
N=${N:-20000}
ROUNDS=${ROUNDS:-3}
PASSES=${PASSES:-3}

[ -x "$BUILD/bench/bench-rules" ] || { echo "no bench/bench-rules in $BUILD (give the build dir)" >&2; exit 2; }
[ -f "$BENCH_DIR/gen_purchases.py" ] || { echo "no shared kit at $BENCH_DIR (set BENCH_DIR)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/bench-lua.XXXXXX)
cleanup() { [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"; }
trap cleanup EXIT INT TERM

mkdir "$WORK/kit"
cp -R "$BENCH_DIR"/. "$WORK/kit/"
PEER=
if [ -f "$WORK/kit/lua_eval.c" ] && pkg-config --exists jansson 2>/dev/null; then
	rm -f "$WORK/kit/lua_eval"
	if make -s -C "$WORK/kit" lua_eval >&2; then
		PEER=$WORK/kit/lua_eval
	fi
fi
[ -n "$PEER" ] || echo "bench-lua.sh: no plain-Lua peer (needs the kit's lua_eval.c and libjansson-dev); YAML/Lua only" >&2

echo "# generating $N purchases (seed 42) in $WORK" >&2
python3 "$WORK/kit/gen_purchases.py" --seed 42 --n "$N" --customers "$WORK/C.ndjson" --out "$WORK/P.ndjson"

# field NAME=value of the RESULT line matching PATTERN in FILE
field() {
	awk -v pat="$2" -v k="$3" '$0 ~ pat { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); exit } }' "$1"
}
rules() { # PROGRAM_DIR OUT [--lua-no-compile]
	"$BUILD/bench/bench-rules" --customers "$WORK/C.ndjson" --purchases "$WORK/P.ndjson" \
		--program "$1" --passes "$PASSES" ${3:-} >"$2"
}

bestly=0
bestpl=0
printf '%-6s %12s %12s %12s %12s %8s %9s %9s %9s\n' round yaml/s lua/s sandbox/s peer/s digest lua/yaml lua/peer sbx/yaml
r=1
while [ "$r" -le "$ROUNDS" ]; do
	rules "$SRC/examples/coffee-club" "$WORK/yaml.out"
	rules "$SRC/examples/coffee-club-lua" "$WORK/lua.out"
	# the same Lua with every function called in the sandbox, not compiled
	rules "$SRC/examples/coffee-club-lua" "$WORK/sandbox.out" --lua-no-compile
	pr=0
	if [ -n "$PEER" ]; then
		(cd "$WORK/kit" && ./lua_eval --customers "$WORK/C.ndjson" --purchases "$WORK/P.ndjson" \
			--passes "$PASSES") >"$WORK/peer.out" 2>"$WORK/peer.err"
		# the peer's best pass, as for ours
		pr=$(field "$WORK/peer.out" "system=lua54 figure=eval" max_per_s)
	fi
	yr=$(field "$WORK/yaml.out" "system=loyaltyd-rules figure=eval" baskets_per_s)
	lr=$(field "$WORK/lua.out" "system=loyaltyd-rules figure=eval" baskets_per_s)
	sr=$(field "$WORK/sandbox.out" "system=loyaltyd-rules figure=eval" baskets_per_s)
	yd=$(grep '^digest ' "$WORK/yaml.out" | head -n 1)
	ld=$(grep '^digest ' "$WORK/lua.out" | head -n 1)
	sd=$(grep '^digest ' "$WORK/sandbox.out" | head -n 1)
	same=no
	[ -n "$yd" ] && [ "$yd" = "$ld" ] && [ "$sd" = "$ld" ] && same=yes
	if [ -n "$PEER" ] && [ "$same" = yes ]; then
		pd=$(grep '^digest ' "$WORK/peer.out" | head -n 1)
		[ "$pd" = "$ld" ] || same=no-peer
	fi
	ly=$(awk -v a="$lr" -v b="$yr" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
	pl=$(awk -v a="$lr" -v b="$pr" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
	sy=$(awk -v a="$sr" -v b="$yr" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
	printf '%-6s %12.0f %12.0f %12.0f %12.0f %8s %9s %9s %9s\n' "$r" "$yr" "$lr" "$sr" "$pr" "$same" "$ly" "$pl" "$sy"
	[ "$same" = yes ] || { echo "digests differ:"; grep -h '^digest ' "$WORK"/*.out; } >&2
	bestly=$(awk -v a="$ly" -v b="$bestly" 'BEGIN { print (a > b ? a : b) }')
	bestpl=$(awk -v a="$pl" -v b="$bestpl" 'BEGIN { print (a > b ? a : b) }')
	r=$((r + 1))
done
echo "digest: $ld"
echo "RESULT system=loyaltyd-lua figure=eval-vs-yaml best_ratio=$bestly target_ratio=0.25 rounds=$ROUNDS"
[ -z "$PEER" ] || echo "RESULT system=loyaltyd-lua figure=eval-vs-plain-lua best_ratio=$bestpl target_ratio=5 rounds=$ROUNDS"
