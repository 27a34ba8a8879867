# tests/local.mk — what the test tree shares: the TAP header, the fuzz
# target list (each layer adds its targets to FUZZ_TARGETS under FUZZING),
# and the POS session the demo replays.
EXTRA_DIST += tests/unit/tap.h examples/pos-client bench/bench-memory.sh

# Listed file by file: a directory in EXTRA_DIST is copied from the build
# tree when one of that name exists there, and the build tree's
# tests/blackbox holds only make check's logs.
EXTRA_DIST += tests/blackbox/conftest.py tests/blackbox/run.sh \
	tests/blackbox/test_examples.py tests/blackbox/test_experiments.py \
	tests/blackbox/test_ops_customer.py tests/blackbox/test_ops_durability.py \
	tests/blackbox/test_ops_import.py tests/blackbox/test_ops_purchase.py \
	tests/blackbox/test_ops_refund.py tests/blackbox/test_protocol.py \
	tests/blackbox/test_report_e2e.py tests/blackbox/test_report_html.py \
	tests/blackbox/test_server.py tests/blackbox/test_framing_split.py tests/blackbox/test_simulate.py

# `make fuzz` in a build configured with CC=clang --enable-fuzzing builds
# every libFuzzer target; tools/test.sh runs each for a bounded time.
fuzz: $(FUZZ_TARGETS)
.PHONY: fuzz
if FUZZING
FUZZ_TARGETS += tests/fuzz/fuzz-expr tests/fuzz/fuzz-decode
endif

# fuzz targets of rules/ and engine/ parsers (fuzz helper)
include tests/fuzz/local.mk
