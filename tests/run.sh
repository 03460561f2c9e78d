#!/bin/bash
# Runs the test suites and ends with one line "N passed, N failed" that
# adds up the suites' own counts. A suite that ends without such a line
# counts as one failure. `make test` runs the core, `make test-all` all:
#
#   tests/run.sh [-j JOBS] [--blackbox] [--skip SUITE]... [core|all|slow]
#
# core: the unit tests, the two stand-ins' self-tests, the patterns against
# git, and tests/blackbox/t*.sh (git, python3 and the stand-in only). slow:
# tests/blackbox/slow/t*.sh (real servers, site generators, kill loops).
# all: both. Suites run JOBS at a time (default: the number of cores, or
# $TEST_JOBS); each one's output is held back and printed whole when it
# ends, so suites finish in any order. The line before the count says how
# long the whole run took. --blackbox leaves out all but tests/blackbox/
# (tests/valgrind.sh runs those under valgrind); --skip leaves out a suite
# by the name it is shown with (slow/t8-servers.sh), with a line saying so.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

jobs=${TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}
what=core
blackbox_only=
skip=
while [ $# -gt 0 ]; do
	case $1 in
	-j) jobs=$2; shift 2 ;;
	-j*) jobs=${1#-j}; shift ;;
	--blackbox) blackbox_only=1; shift ;;
	--skip) skip="$skip $2"; shift 2 ;;
	core|all|slow) what=$1; shift ;;
	*) echo "usage: tests/run.sh [-j JOBS] [--blackbox] [--skip SUITE]... [core|all|slow]" >&2; exit 2 ;;
	esac
done
case $jobs in
''|*[!0-9]*|0) echo "cf-purge-hook: -j needs a number of jobs, not '$jobs'" >&2; exit 2 ;;
esac

total_passed=0
total_failed=0
started=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/cfph-run.XXXXXX") || exit 1
# Sanitizer reports of every run (the hook's included, whose stderr only
# git sees) land here; a build with SANITIZE=1 must leave none.
SAN_LOGS=$work/san
mkdir "$SAN_LOGS"
pids=
stop() {
	for entry in $pids; do
		kill -TERM -- "-${entry%%:*}" 2>/dev/null
	done
	rm -rf "$work"
}
trap stop EXIT
trap 'exit 130' INT TERM
export ASAN_OPTIONS="log_path=$SAN_LOGS/asan:detect_leaks=1"
export UBSAN_OPTIONS="log_path=$SAN_LOGS/ubsan:print_stacktrace=1"

# The suites, the longest first so that the last one to start is short:
# NAME COMMAND... a line.
list() {
	if [ "$what" != core ]; then
		for t in tests/blackbox/slow/t*.sh; do
			[ -f "$t" ] && echo "slow/$(basename "$t") sh $t"
		done
	fi
	[ "$what" = slow ] && return
	# Measured the longest of the core; the rest in name order.
	long="t12-dir.sh t10-journal.sh t1-range.sh t6-deploy.sh t4-delivery.sh"
	for t in $long; do
		[ -f "tests/blackbox/$t" ] && echo "$t sh tests/blackbox/$t"
	done
	for t in tests/blackbox/t*.sh; do
		case " $long " in *" $(basename "$t") "*) continue ;; esac
		echo "$(basename "$t") sh $t"
	done
	[ -n "$blackbox_only" ] && return
	echo "patterns bash tests/pattern_vs_git.sh"
	echo "stand-in bash tests/cfstub_selftest.sh"
	echo "edge-stand-in bash tests/edgestub_selftest.sh"
	echo "unit tests/unit/unit"
}

# The suites of list(), less those named by --skip.
suites() {
	list | while read -r name cmd; do
		case " $skip " in
		*" $name "*) echo "# skipped $name (--skip)" >>"$work/skipped" ;;
		*) echo "$name $cmd" ;;
		esac
	done
}

# report NAME: prints what suite NAME printed, and adds its count.
report() {
	name=$1
	out=$work/$name.out
	status=$(cat "$work/$name.rc")
	took=$(cat "$work/$name.took")
	echo "== $name (${took} s)"
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

# reap: reports every suite that has ended since the last call; leaves
# the ones still running in $pids and their number in $running.
reap() {
	left=
	running=0
	for entry in $pids; do
		pid=${entry%%:*}
		name=${entry#*:}
		if [ -f "$work/$name.rc" ]; then
			wait "$pid" 2>/dev/null
			report "$name"
		else
			left="$left $entry"
			running=$((running + 1))
		fi
	done
	pids=$left
}

suites >"$work/list"
[ -f "$work/skipped" ] && cat "$work/skipped"
running=0
while read -r name cmd; do
	mkdir -p "$work/$(dirname "$name")"
	# Each suite in its own process group (set -m), so that an
	# interrupted run can end it with whatever it started.
	set -m
	(
		s=$(date +%s)
		# shellcheck disable=SC2086
		$cmd >"$work/$name.out" 2>&1 </dev/null
		rc=$?
		echo $(($(date +%s) - s)) >"$work/$name.took"
		echo "$rc" >"$work/$name.rc"
	) &
	set +m
	pids="$pids $!:$name"
	running=$((running + 1))
	while [ "$running" -ge "$jobs" ]; do
		sleep 0.2
		reap
	done
done <"$work/list"
while [ -n "$pids" ]; do
	sleep 0.2
	reap
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

echo "# $what: $(($(date +%s) - started)) s, $jobs suites at a time"
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
