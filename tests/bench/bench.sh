#!/bin/sh
# bench.sh: the benchmark behind `make bench`. POSIX sh, plus python3's
# standard library, git and a C compiler (and libgit2's headers, for the
# floor figures).
#
#   sh tests/bench/bench.sh
#   CFPH=/path/to/other/cf-purge-hook BENCH_RUNS=11 sh tests/bench/bench.sh
#   BENCH_ICOUNT=0 sh tests/bench/bench.sh     # no instruction counts
#   BENCH_DIR=0 sh tests/bench/bench.sh        # no dir figures
#   DIR_BENCH_FILES=10000 DIR_BENCH_SIZE=2000 sh tests/bench/bench.sh
#
# It builds its repositories in a temporary folder with git fast-import
# (genrepo.py says what they hold), compiles an empty C program and a
# libgit2 floor program (init and open the repository) to compare
# start-up with, and runs bench.py, which measures the program against git
# and prints each goal of the project's performance issues with its ratio
# and "meets" or "MISSES". The figures are ratios measured side by side in
# one run, so they hold on a loaded machine better than absolute times do;
# still, run it on a quiet one. When valgrind is installed, it then counts
# the instructions of the same commands once (callgrind), a figure the load
# does not change; that takes about half a minute more. The exit status is
# 1 only when something failed to run or the program and git disagree on
# what changed. Last come the figures of `dir` (issue 12, dirbench.py):
# on a generated folder of 100,000 files of about 10 kB (1 GB, and as much
# again in hard links), a few minutes more; DIR_BENCH_FILES and
# DIR_BENCH_SIZE make it smaller, BENCH_DIR=0 skips it, and
# dirbench.sh runs it alone.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
BENCH_NAME=bench
. "$HERE/common.sh"
CC=${CC:-cc}

bench_need git python3 "$CC"
bench_start

now() {
	python3 -c 'import time; print("%.3f" % time.monotonic())'
}

# gen NAME KIND: a bare repository NAME.git from `genrepo.py KIND`.
# glibc's default heap trimming makes git fast-import return and re-take
# memory with brk() for almost every blob (a minute instead of seconds for
# 100,000 files); a larger top pad and trim threshold avoid that. Other C
# libraries ignore the variable.
gen() {
	git init -q --bare "$TMP/$1.git" || return 1
	python3 "$HERE/genrepo.py" "$2" |
		GLIBC_TUNABLES=glibc.malloc.top_pad=67108864:glibc.malloc.trim_threshold=268435456 \
		git -C "$TMP/$1.git" fast-import --quiet --done || return 1
	git -C "$TMP/$1.git" symbolic-ref HEAD refs/heads/main
}

echo "cf-purge-hook benchmark"
echo "  program:   $CFPH"
echo "             $("$CFPH" --version 2>&1 | head -n 1)"
if git -C "$ROOT" rev-parse --short HEAD >/dev/null 2>&1; then
	dirty=$(git -C "$ROOT" status --porcelain --untracked-files=no | wc -l)
	echo "  source:    $(git -C "$ROOT" rev-parse --short HEAD)" \
		"($dirty files changed since)"
fi
echo "  machine:   $(uname -sm), $(getconf _NPROCESSORS_ONLN 2>/dev/null) CPUs," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo "  tools:     $(git --version), $(python3 --version 2>&1)," \
	"$("$CC" --version 2>/dev/null | head -n 1)"
echo "  runs:      ${BENCH_RUNS:-7} per command, three times as many for the short ones"
echo

start=$(now)
gen big big || die "cannot generate the 100,000-file repository"
gen small small || die "cannot generate the ten-file repository"
printf 'int main(void)\n{\n\treturn 0;\n}\n' >"$TMP/empty.c"
"$CC" -O2 -o "$TMP/empty" "$TMP/empty.c" ||
	die "cannot compile the empty C program with '$CC'"
# The libgit2 floor: what any program that reads a repository with
# libgit2 pays before its first object (the library's initialisation,
# which with Debian's build parses the system's CA bundle, and opening
# the repository). The marginal figures are measured above it.
cat >"$TMP/floor.c" <<'EOF_FLOOR'
#include <git2.h>

int main(int argc, char **argv)
{
	git_repository *repo = NULL;
	int rc = 1;

	if (argc == 2 && git_libgit2_init() >= 0) {
		rc = git_repository_open(&repo, argv[1]) < 0;
		git_repository_free(repo);
		git_libgit2_shutdown();
	}
	return rc;
}
EOF_FLOOR
floor_arg=
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
# shellcheck disable=SC2046
if "$CC" -O2 -o "$TMP/floor" "$TMP/floor.c" \
	$("$PKG_CONFIG" --cflags --libs libgit2 2>/dev/null) 2>"$TMP/floor.err"; then
	floor_arg="--floor $TMP/floor"
else
	echo "bench: cannot compile the libgit2 floor program (its figures are" \
		"left out): $(head -n 1 "$TMP/floor.err")" >&2
fi
echo "Repositories generated in $(python3 -c "print('%.1f' % ($(now) - $start))") s:" \
	"$(git -C "$TMP/big.git" count-objects -v | sed -n 's/^size-pack: //p') KB" \
	"of packed objects for the 100,000-file one"
echo

python3 -u "$HERE/bench.py" run --tmp "$TMP" --cfph "$TMP/cf-purge-hook" \
	--root "$ROOT" \
	--empty "$TMP/empty" $floor_arg
status=$?

# The planner's figures (issue 11): a versioned-docs history of about 400
# deploys, and plan.py.
echo
start_docs=$(now)
git init -q --bare "$TMP/docs.git" &&
	python3 "$HERE/gendocs.py" "$TMP/docs-stats.json" |
	GLIBC_TUNABLES=glibc.malloc.top_pad=67108864:glibc.malloc.trim_threshold=268435456 \
	git -C "$TMP/docs.git" fast-import --quiet --done ||
	die "cannot generate the versioned-docs repository"
echo "Versioned-docs history generated in" \
	"$(python3 -c "print('%.1f' % ($(now) - $start_docs))") s"
python3 -u "$HERE/plan.py" --tmp "$TMP" --cfph "$TMP/cf-purge-hook" ||
	status=1

# The figures of dir (issue 12). The repositories are no longer needed,
# so their disk space is given back first.
echo
if [ "${BENCH_DIR:-1}" = 0 ]; then
	echo "dir (issue 12): skipped (BENCH_DIR=0)"
else
	rm -rf "$TMP/big.git" "$TMP/small.git" "$TMP/docs.git"
	python3 -u "$HERE/dirbench.py" --tmp "$TMP/dir" \
		--cfph "$TMP/cf-purge-hook" || status=1
fi
echo "Whole benchmark: $(python3 -c "print('%.0f' % ($(now) - $start))") s"
exit $status
