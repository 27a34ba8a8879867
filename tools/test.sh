#!/bin/sh
# tools/test.sh — the whole test suite, as README's second command and CI run
# it: installs what it needs, then
#   1. builds with warnings as errors and runs `make check` (unit tests and
#      black-box tests against the real daemon);
#   2. the same under AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. the black-box suite again with the daemon under valgrind (leaks fail);
#   4. every fuzz target for a bounded time (clang, libFuzzer);
#   5. `make distcheck`.
# Each test case counts once; the last line is "N passed, M failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tools/deps.sh --test || { echo "0 passed, 1 failed"; exit 1; }
./autogen.sh >/dev/null 2>&1 || { echo "autogen failed"; echo "0 passed, 1 failed"; exit 1; }

out="$top/build/test"
rm -rf "$out"; mkdir -p "$out"
jobs=$(nproc 2>/dev/null || echo 2)
extra=0          # failures outside make check (a build, a fuzzer, distcheck)
extra_pass=0
note() { printf '\n=== %s ===\n' "$*"; }
step_ok()   { extra_pass=$((extra_pass + 1)); echo "PASS: $*"; }
step_fail() { extra=$((extra + 1)); echo "FAIL: $*"; }

# build DIR CONFIGURE-ARGS...: configure and build in DIR, then make check
check_in() {
	dir=$1; shift
	mkdir -p "$dir"
	( cd "$dir" && "$top/configure" --enable-werror "$@" >configure.out 2>&1 ) \
		|| { cat "$dir/configure.out"; step_fail "configure $*"; return 1; }
	make -C "$dir" -j"$jobs" >"$dir/build.out" 2>&1 \
		|| { tail -50 "$dir/build.out"; step_fail "build $*"; return 1; }
	make -C "$dir" -j"$jobs" check >"$dir/check.out" 2>&1
	grep -a -E '^(FAIL|ERROR|XPASS):' "$dir/check.out" || true
	grep -a -E '^# (TOTAL|PASS|FAIL|ERROR|SKIP):' "$dir/check.out" || true
	for log in $(find "$dir" -name '*.log' -path '*tests*' | sort); do
		grep -q -E '^(not ok|Bail out)' "$log" 2>/dev/null && { echo "--- $log"; grep -E -B2 -A12 '^(not ok|Bail out)' "$log" | head -80; }
	done
	return 0
}

note "build (-Werror) and make check"
check_in "$out/plain"
note "make check under ASan+UBSan"
ASAN_OPTIONS=detect_leaks=1 check_in "$out/sanitizers" --enable-sanitizers

note "black-box tests with the daemon under valgrind"
if [ -x "$out/plain/loyaltyd" ]; then
	( cd "$out/plain" && LOYALTYD_VALGRIND=1 make check TESTS=tests/blackbox/run.sh \
		TEST_SUITE_LOG=valgrind-suite.log >"$out/valgrind.out" 2>&1 ) \
		&& step_ok "black-box under valgrind" \
		|| { tail -40 "$out/valgrind.out"; step_fail "black-box under valgrind"; }
fi

note "fuzz targets (bounded)"
if command -v clang >/dev/null 2>&1; then
	fz="$out/fuzz"; mkdir -p "$fz"
	if ( cd "$fz" && CC=clang "$top/configure" --enable-fuzzing >configure.out 2>&1 \
		&& make -j"$jobs" fuzz >build.out 2>&1 ); then
		for f in "$fz"/tests/fuzz/fuzz-*; do
			[ -x "$f" ] || continue
			name=$(basename "$f")
			corpus="$top/tests/fuzz/corpus-${name#fuzz-}"
			work=$(mktemp -d); [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
			dict="$top/tests/fuzz/${name#fuzz-}.dict"
			[ -f "$dict" ] && dict="-dict=$dict" || dict=""
			# -timeout: one input running 10 s is a hang, not a slow case
			if "$f" -max_total_time="${FUZZ_SECONDS:-60}" -max_len=4096 -rss_limit_mb=2048 \
				-timeout=10 $dict "$work" >"$fz/$name.out" 2>&1; then
				step_ok "$name ($(grep -o 'Done [0-9]* runs' "$fz/$name.out" | tail -1))"
			else
				tail -30 "$fz/$name.out"; step_fail "$name"
			fi
			rm -rf "$work"
		done
	else
		tail -30 "$fz/build.out" 2>/dev/null; step_fail "fuzz build"
	fi
fi

note "make distcheck"
if make -C "$out/plain" distcheck >"$out/distcheck.out" 2>&1; then
	step_ok "make distcheck"
else
	tail -40 "$out/distcheck.out"; step_fail "make distcheck"
fi

# Count every test case that the TAP driver recorded, in both check runs.
passed=$(cat $(find "$out/plain" "$out/sanitizers" -name '*.trs' 2>/dev/null) /dev/null \
	| grep -c -E '^:test-result: (PASS|XFAIL)')
failed=$(cat $(find "$out/plain" "$out/sanitizers" -name '*.trs' 2>/dev/null) /dev/null \
	| grep -c -E '^:test-result: (FAIL|XPASS|ERROR)')
skipped=$(cat $(find "$out/plain" "$out/sanitizers" -name '*.trs' 2>/dev/null) /dev/null \
	| grep -c -E '^:test-result: SKIP')
passed=$((passed + extra_pass)); failed=$((failed + extra))
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
