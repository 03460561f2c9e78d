#!/bin/sh
# Runs the black-box tests once more with every run of the program under
# valgrind memcheck, then checks that no run had an error or a leak. Ends
# with "N passed, N failed" like the other suites: the suites' own cases,
# and one for the logs. TEST_JOBS suites run at a time (default: cores).
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

# The core black-box suites, JOBS at a time (tests/run.sh). Not the slow
# ones: t8's hooks run as other users (git, www-data, gitd), who cannot
# write valgrind's logs here, and under servers whose timeouts valgrind's
# slowness would trip; the kill loop and the Hugo and Jekyll builds take
# many minutes more under valgrind, for code that t10-journal and t12-dir
# run under it already (and `make test-all SANITIZE=1` runs both suites
# under AddressSanitizer).
#
# Under valgrind the core suites took 20 minutes on two cores shared with
# other builds, more than CI's whole budget, so by default five are left
# out too, whose code the sanitizer pass runs whole and the unit tests and
# fuzz targets reach directly: t1 (diffs of ranges; 6 minutes alone), t5
# (mapping: fuzz_config, fuzz_pattern), t6 (deploy waits and detach,
# mostly sleeping), t7 (the CI examples and the action's steps, which run
# the same `ci` command that t15 runs under valgrind; 4 minutes alone)
# and t11 (the planner, unit-tested). VALGRIND_SUITES=all runs every core
# suite.
left_out=
if [ "${VALGRIND_SUITES:-}" != all ]; then
	left_out="t1-range.sh t5-mapping.sh t6-deploy.sh t7-examples.sh t11-planner.sh"
	echo "# not under valgrind: tests/blackbox/slow/, and $left_out (VALGRIND_SUITES=all runs these)"
else
	echo "# not under valgrind: tests/blackbox/slow/"
fi
skip=
for t in $left_out; do
	skip="$skip --skip $t"
done
# shellcheck disable=SC2086
bash tests/run.sh ${TEST_JOBS:+-j "$TEST_JOBS"} --blackbox $skip core \
	>"$logs/out" 2>&1
cat "$logs/out"
line=$(tail -n 1 "$logs/out")
passed=$(echo "$line" | sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\1/p')
failed=$(echo "$line" | sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\2/p')
if [ -z "$passed" ]; then
	passed=0
	failed=1
fi

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
