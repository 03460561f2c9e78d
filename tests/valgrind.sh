#!/bin/sh
# Runs the black-box tests once more with every run of the program under
# valgrind memcheck, then checks that no run had an error or a leak. Ends
# with "N passed, N failed" like the other suites.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

if ! command -v valgrind >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		apt-get install -y -qq --no-install-recommends valgrind >/dev/null ||
			{ apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
	else
		echo "valgrind: not installed; run: sudo apt-get install valgrind" >&2
		echo "0 passed, 1 failed"
		exit 1
	fi
fi
make -s all >/dev/null || exit 1

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
export CFPH_WRAP="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 --log-file=$logs/vg.%p.log"

passed=0
failed=0
for t in tests/blackbox/t*.sh; do
	# t8's hooks run as other users (git, www-data, gitd), who cannot
	# write valgrind's logs here, and under servers whose timeouts
	# valgrind's slowness would trip.
	if [ "$(basename "$t")" = t8-servers.sh ]; then
		echo "# skipped t8-servers.sh under valgrind: its hooks run as other users and under server timeouts"
		continue
	fi
	if sh "$t" >"$logs/out" 2>&1; then
		passed=$((passed + 1))
		echo "ok - $(basename "$t") under valgrind"
	else
		failed=$((failed + 1))
		echo "not ok - $(basename "$t") under valgrind"
		grep -v '^ok' "$logs/out" | sed 's/^/#   /'
	fi
done

runs=$(ls "$logs"/vg.*.log 2>/dev/null | wc -l)
bad=0
for f in "$logs"/vg.*.log; do
	[ -s "$f" ] || continue
	bad=$((bad + 1))
	sed 's/^/#   /' "$f"
done
if [ "$runs" -gt 0 ] && [ "$bad" -eq 0 ]; then
	passed=$((passed + 1))
	echo "ok - $runs runs of the program, no memcheck error and no leak"
else
	failed=$((failed + 1))
	echo "not ok - $bad of $runs valgrind logs report problems"
fi
echo "valgrind: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
