# bench/local.mk — benchmarks are built by `make` but never run by
# `make check`: each prints its figures and ratios when run by hand.
# issue 4's evaluation figure against the shared kit's floor_eval, same run
EXTRA_DIST += bench/bench-rules.sh
# issue 6: Lua rules against YAML and the shared kit's plain-Lua peer, same run
EXTRA_DIST += bench/bench-lua.sh
