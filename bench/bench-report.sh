#!/bin/sh
# bench/bench-report.sh — times `loyaltyctl experiments report` over a store
# of 1,000,000 purchases by 100,000 exposed customers (plus 100,000
# purchases by customers never exposed), against a baseline measured in the
# same run: sqlite3 reading every transaction once (the least any report
# over that store must do). Prints both times and their ratio; the target
# is a report under 5 s (doc/experiments-report.md).
#
# usage: bench/bench-report.sh [BUILDDIR]   (run from anywhere)
#   STORE=/path/x.db   where the generated store is kept (default
#                      /tmp/bench-report-1M.db; reused when present)
#   CUSTOMERS=100000 PURCHASES=1000000 RUNS=3
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
build=${1:-.}
store=${STORE:-/tmp/bench-report-1M.db}
customers=${CUSTOMERS:-100000}
purchases=${PURCHASES:-1000000}
runs=${RUNS:-3}

cmd="$build/loyaltyctl"
if ! "$cmd" experiments --help 2>/dev/null | grep -q 'experiments report'; then
	echo "bench-report: no $cmd with \`experiments report\` (build first; give BUILDDIR)" >&2
	exit 2
fi
command -v sqlite3 >/dev/null || { echo "bench-report: needs the sqlite3 command (apt-get install sqlite3)" >&2; exit 2; }

if [ ! -s "$store" ]; then
	echo "generating $store: $customers customers, $purchases purchases ..." >&2
	python3 "$here/bench-report.py" "$store" "$customers" "$purchases" "$src"
fi
prog=$(mktemp -d)
trap 'rm -rf "$prog"' EXIT
printf 'program: bench\nexperiments:\n  - name: bench-exp\n    variants: {control: 50, double: 50}\n' >"$prog/program.yaml"

# best of $runs wall-clock seconds of a command (stdout discarded)
best() {
	b=""
	i=0
	while [ $i -lt "$runs" ]; do
		s=$(date +%s.%N)
		"$@" >/dev/null
		e=$(date +%s.%N)
		b=$(awk -v s="$s" -v e="$e" -v b="$b" 'BEGIN { t = e - s; print (b == "" || t < b) ? t : b }')
		i=$((i + 1))
	done
	echo "$b"
}

# warm the page cache once so that both sides read from memory
cat "$store" >/dev/null
base=$(best sqlite3 "$store" "SELECT count(*), sum(total), sum(length(answer)) FROM txns")
text=$(best "$cmd" --db "$store" experiments report bench-exp --rules "$prog/program.yaml")
html=$(best "$cmd" --db "$store" experiments report bench-exp --rules "$prog/program.yaml" \
	--json --html "$prog/report.html")
n=$(sqlite3 "$store" "SELECT count(*) FROM txns WHERE op = 'purchase'")
printf 'store: %s (%s purchases)\n' "$store" "$n"
printf 'baseline (sqlite3 scan of txns): %.2f s\n' "$base"
printf 'report, text:                    %.2f s  (%.1fx baseline)\n' "$text" "$(awk -v a="$text" -v b="$base" 'BEGIN { print a / b }')"
printf 'report, json + html:             %.2f s  (%.1fx baseline)\n' "$html" "$(awk -v a="$html" -v b="$base" 'BEGIN { print a / b }')"
printf 'load average: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
