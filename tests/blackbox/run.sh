#!/bin/sh
# tests/blackbox/run.sh — the black-box tests (pytest) as one TAP stream
# for `make check`: conftest.py writes one TAP line per test into a file,
# this prints them with the plan, and pytest's own report as comments.
# Needs a python3 with pytest: the one on PATH if it has it, else Debian's
# /usr/bin/python3 (python3-pytest).
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
LOYALTYD_BUILD=${LOYALTYD_BUILD:-${top_builddir:-$(pwd)}}
export LOYALTYD_BUILD

py=
for p in python3 /usr/bin/python3; do
	if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import pytest' 2>/dev/null; then
		py=$p
		break
	fi
done
if [ -z "$py" ]; then
	echo "1..0 # SKIP no python3 with pytest (apt-get install python3-pytest)"
	exit 0
fi
if [ ! -x "$LOYALTYD_BUILD/loyaltyd" ]; then
	echo "Bail out! no loyaltyd in $LOYALTYD_BUILD"
	exit 1
fi

tap=$(mktemp)
log=$(mktemp)
trap 'rm -f "$tap" "$log"' EXIT
LOYALTYD_TAP=$tap "$py" -m pytest -q -p no:cacheprovider -rfE "$@" "$srcdir/tests/blackbox" >"$log" 2>&1
rc=$?
n=$(wc -l <"$tap")
echo "1..$n"
cat "$tap"
sed 's/^/# /' "$log"
# pytest failing without any test line (collection error) must fail too
if [ "$rc" -ne 0 ] && ! grep -q '^not ok' "$tap"; then
	echo "not ok $((n + 1)) - pytest exited $rc"
fi
exit 0
