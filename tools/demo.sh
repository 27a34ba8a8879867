#!/bin/sh
# tools/demo.sh — README's first command: install what the build needs,
# build loyaltyd, start it on examples/coffee-club with a fresh SQLite store,
# replay a short POS session (examples/pos-client/session.ndjson) through
# `loyaltyctl send`, printing each request and its answer, then stop the
# daemon with SIGTERM and show that it exited cleanly.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tools/deps.sh
[ -x configure ] || ./autogen.sh >/dev/null 2>&1
b="$top/build/demo"
mkdir -p "$b"
[ -f "$b/Makefile" ] || ( cd "$b" && "$top/configure" >configure.out 2>&1 ) \
	|| { cat "$b/configure.out"; exit 1; }
make -C "$b" -j"$(nproc 2>/dev/null || echo 2)" loyaltyd loyaltyctl >"$b/build.out" 2>&1 \
	|| { tail -40 "$b/build.out"; exit 1; }

run=$(mktemp -d)
sock="$run/loyaltyd.sock"
"$b/loyaltyd" --rules examples/coffee-club --socket "$sock" --db "$run/demo.db" 2>"$run/loyaltyd.log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$run"' EXIT
i=0
until [ -S "$sock" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 $pid 2>/dev/null; then
		echo "loyaltyd did not start:"; cat "$run/loyaltyd.log"; exit 1
	fi
	sleep 0.1
done
echo "loyaltyd is running (pid $pid) on examples/coffee-club, socket $sock"
echo
while IFS= read -r line; do
	[ -n "$line" ] || continue
	echo "POS      > $line"
	printf '%s\n' "$line" | "$b/loyaltyctl" --socket "$sock" send | sed 's/^/loyaltyd < /'
	echo
done < examples/pos-client/session.ndjson
kill -TERM $pid
rc=0; wait $pid || rc=$?
trap 'rm -rf "$run"' EXIT
echo "loyaltyd stopped on SIGTERM with exit status $rc; its log:"
sed 's/^/  /' "$run/loyaltyd.log"
exit $rc
