#!/bin/sh
# Runs every test suite and ends with one line "N passed, N failed" that
# adds up the suites' own counts. A suite that ends without such a line
# counts as one failure. `make test` runs this after building.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

total_passed=0
total_failed=0
out=$(mktemp)
# Sanitizer reports of every run (the hook's included, whose stderr only
# git sees) land here; a build with SANITIZE=1 must leave none.
SAN_LOGS=$(mktemp -d)
trap 'rm -rf "$out" "$SAN_LOGS"' EXIT
export ASAN_OPTIONS="log_path=$SAN_LOGS/asan:detect_leaks=1"
export UBSAN_OPTIONS="log_path=$SAN_LOGS/ubsan:print_stacktrace=1"

suite() {
	name=$1
	shift
	echo "== $name"
	"$@" >"$out" 2>&1
	status=$?
	cat "$out"
	line=$(grep -E '(^|: )[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	p=$(echo "$line" | sed -nE 's/.*(^|: )([0-9]+) passed, ([0-9]+) failed.*/\2/p')
	f=$(echo "$line" | sed -nE 's/.*(^|: )([0-9]+) passed, ([0-9]+) failed.*/\3/p')
	if [ -z "$p" ]; then
		echo "$name: ended without a count (exit status $status)"
		p=0
		f=1
	elif [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "$name: exit status $status"
		f=1
	fi
	total_passed=$((total_passed + p))
	total_failed=$((total_failed + f))
}

suite unit tests/unit/unit
suite stand-in bash tests/cfstub_selftest.sh
suite patterns bash tests/pattern_vs_git.sh
for t in tests/blackbox/t*.sh; do
	suite "$(basename "$t")" sh "$t"
done

echo "== sanitizer reports"
if [ -n "$(ls "$SAN_LOGS")" ]; then
	cat "$SAN_LOGS"/*
	echo "not ok - sanitizer reports above"
	total_failed=$((total_failed + 1))
else
	echo "ok - no sanitizer report from any run"
	total_passed=$((total_passed + 1))
fi

echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
