# tests/local.mk — what the test tree shares: the TAP header, the fuzz
# target list (each layer adds its targets to FUZZ_TARGETS under FUZZING),
# and the POS session the demo replays.
EXTRA_DIST += tests/unit/tap.h examples/pos-client bench/bench-memory.sh

# `make fuzz` in a build configured with CC=clang --enable-fuzzing builds
# every libFuzzer target; tools/test.sh runs each for a bounded time.
fuzz: $(FUZZ_TARGETS)
.PHONY: fuzz
if FUZZING
FUZZ_TARGETS += tests/fuzz/fuzz-expr tests/fuzz/fuzz-decode
endif

# fuzz targets of rules/ and engine/ parsers (fuzz helper)
include tests/fuzz/local.mk
