# bench/local.mk — benchmarks are built by `make` but never run by
# `make check`: each prints its figures and ratios when run by hand.
