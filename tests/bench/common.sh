# common.sh: the opening that bench.sh and dirbench.sh share. Each sets
# HERE (this folder) and BENCH_NAME (the name that starts its messages and
# its temporary folder's), then sources this file, which sets ROOT and
# CFPH (the program to measure, made absolute) and defines die,
# bench_need and bench_start. POSIX sh.

ROOT=$(cd "$HERE/../.." && pwd)
CFPH=${CFPH:-$ROOT/cf-purge-hook}
case $CFPH in
/*) ;;
*) CFPH=$(pwd)/$CFPH ;;
esac

die() {
	echo "$BENCH_NAME: $*" >&2
	exit 2
}

# bench_need TOOL...: dies unless the program is built and every TOOL is
# on the PATH.
bench_need() {
	[ -x "$CFPH" ] ||
		die "no program at '$CFPH'; run 'make' first, or set CFPH"
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 ||
			die "'$tool' is missing; it is needed to run the benchmark"
	done
}

# bench_start: makes the temporary folder TMP, removed at exit, and puts
# in it a copy of the program, so that a rebuild while the benchmark runs
# changes nothing, and a private git setup, so that the machine's own
# configuration (a global diff.renames, say) changes neither git's work
# nor libgit2's.
bench_start() {
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/cfph-$BENCH_NAME.XXXXXX") ||
		die "cannot create a temporary folder"
	trap 'rm -rf "$TMP"' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	cp "$CFPH" "$TMP/cf-purge-hook" || die "cannot copy '$CFPH'"

	export HOME="$TMP/home"
	mkdir -p "$HOME"
	export GIT_CONFIG_NOSYSTEM=1
	unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE CF_PURGE_HOOK_CONFIG \
		CF_API_TOKEN
}
