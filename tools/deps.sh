#!/bin/sh
# tools/deps.sh — install what building (and, with --test, testing) loyaltyd
# needs on Debian 12, with apt-get; through sudo when not root. Does nothing
# when every package is already there.
set -e
pkgs="gcc make autoconf automake pkg-config tzdata python3
      libyaml-dev libyajl-dev libevent-dev liblua5.4-dev libsqlite3-dev
      libxxhash-dev libgsl-dev"
if [ "${1:-}" = --test ]; then
	# pytest for the black-box tests, clang for the fuzz targets, valgrind
	# for the leak check, chromium to render the experiment report, sqlite3
	# to inspect stores by hand when a test fails, python3-xxhash to check the
	# experiment assignment against an independent implementation,
	# libjansson-dev for the shared kit's floor_eval (bench/bench-rules.sh)
	pkgs="$pkgs python3-pytest python3-xxhash clang libclang-rt-14-dev valgrind chromium sqlite3
	      libjansson-dev"
fi
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "tools/deps.sh: installing$missing" >&2
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
