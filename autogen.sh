#!/bin/sh
# autogen.sh — generate ./configure from a fresh clone. tap-driver.sh comes
# from the installed automake (it is not vendored in the repository).
set -e
cd "$(dirname "$0")"
mkdir -p build-aux m4
autoreconf -fi
cp -f "$(automake --print-libdir)/tap-driver.sh" build-aux/tap-driver.sh
