#!/bin/sh
# Static checks: the program and its unit tests built by clang with every
# warning of the Makefile as an error (gcc does the same in `make test`
# under CI=true), then cppcheck over the sources. cppcheck and clang are
# installed from Debian's packages when missing and run as root. Prints
# one line per check and ends with "N passed, N failed". Leaves the tree
# cleaned of objects.
set -u
cd "$(dirname "$0")/.." || exit 1

passed=0
failed=0
result() {	# status, description
	if [ "$1" -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok - $2"
	else
		failed=$((failed + 1))
		echo "not ok - $2"
	fi
}

missing=""
command -v clang >/dev/null 2>&1 || missing="$missing clang"
command -v cppcheck >/dev/null 2>&1 || missing="$missing cppcheck"
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "cf-purge-hook: installing:$missing"
		# shellcheck disable=SC2086
		{ apt-get install -y -qq $missing ||
			{ apt-get update -qq &&
			  apt-get install -y -qq $missing; }; } >/dev/null 2>&1
	fi
fi

make clean >/dev/null
log=$(mktemp "${TMPDIR:-/tmp}/cfph-lint.XXXXXX") || exit 1
make -j2 CC=clang CI=true all tests/unit/unit >"$log" 2>&1
status=$?
[ "$status" -eq 0 ] || grep -E "error|warning" "$log" | head -n 20
result "$status" "clang -Wall -Wextra -Werror builds the program and its unit tests"
make clean >/dev/null

cppcheck -q --std=c11 --enable=warning,style,performance,portability \
	--inline-suppr --error-exitcode=1 -D_POSIX_C_SOURCE=200809L \
	util hook built mapping purge verify >"$log" 2>&1
status=$?
cat "$log"
result "$status" "cppcheck finds nothing in util/, hook/, built/, mapping/, purge/ and verify/"
rm -f "$log"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
