#!/bin/sh
# dirbench.sh: the figures of issue 12 for `dir`, side by side with git
# (dirbench.py says what is measured and how). bench.sh runs them after
# its other items; this runs them alone:
#
#   sh tests/bench/dirbench.sh
#   DIR_BENCH_FILES=10000 DIR_BENCH_SIZE=2000 sh tests/bench/dirbench.sh
#   CFPH=/path/to/cf-purge-hook DIR_BENCH_RUNS=9 sh tests/bench/dirbench.sh
#   DIR_BENCH_FILES=0 DIR_BENCH_SMALL_FILES=50000 sh tests/bench/dirbench.sh
#
# Issue 20's rows follow: DIR_BENCH_SMALL_FILES (default 200,000, the
# issue's site; about a minute to generate) files of 0.2-3 kB in
# DIR_BENCH_SMALL_FOLDERS (default one per 50 files: 4,000), and
# DIR_BENCH_FLAT_FILES (default 43,010) in one folder; 0 skips either.
# DIR_BENCH_FILES=0 runs only these rows. strace, when installed, counts
# the system calls per file of a first run.
#
# The defaults, 100,000 files of about 10,000 bytes (about 1 GB, and a
# second build of hard links), take a few minutes. The exit status is 1
# when something failed to run or `dir OLD NEW` and git diff --no-index
# disagree on what differs, 2 when the benchmark cannot start.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
BENCH_NAME=dirbench
. "$HERE/common.sh"

bench_need git python3
bench_start

echo "cf-purge-hook dir benchmark"
echo "  program:   $CFPH"
echo "             $("$CFPH" --version 2>&1 | head -n 1)"
echo "  machine:   $(uname -sm), $(getconf _NPROCESSORS_ONLN 2>/dev/null) CPUs," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo "  tools:     $(git --version), $(python3 --version 2>&1)"
echo
python3 -u "$HERE/dirbench.py" --tmp "$TMP/dir" --cfph "$TMP/cf-purge-hook"
