# Shared by the black-box tests: each t*.sh sources this file, runs its
# cases with `expect`, and ends with `finish`. Every case runs the real
# program against real git repositories in a fresh temporary folder, and
# talks HTTP to the stand-in API (tests/cfstub.py) on 127.0.0.1.

set -u
# The clone's top folder: the suites are in tests/blackbox/ (the core) or
# tests/blackbox/slow/ (make test-all).
ROOT=$(cd "$(dirname "$0")" && while [ ! -f tests/blackbox/lib.sh ] &&
	[ "$(pwd)" != / ]; do cd ..; done && pwd)
CFPH=${CFPH:-$ROOT/cf-purge-hook}
# CFPH_WRAP runs the program under a tool, such as valgrind.
CFPH_WRAP=${CFPH_WRAP:-}
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/cfph-test.XXXXXX")
ZONE=023e105f4ecef8ad9ca31a8372d0c353
TOKEN=test-token-$$-do-not-print
STUB_PID=
passed=0
failed=0

cleanup() {
	stop_stub
	# A stand-in started inside a case (a subshell) outlives it: end
	# each one still running from this test's folder.
	if [ -f "$TRASH/stub.pids" ]; then
		while read -r pid; do
			tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" |
				grep -qF -- "--port-file $TRASH/port " &&
				kill "$pid" 2>/dev/null
		done <"$TRASH/stub.pids"
	fi
	rm -rf "$TRASH"
}
trap cleanup EXIT
# So that cleanup runs when the runner ends a suite.
trap 'exit 130' INT
trap 'exit 143' TERM

# A private git setup, so that the machine's own does not matter.
export HOME="$TRASH/home"
mkdir -p "$HOME"
export GIT_CONFIG_NOSYSTEM=1
unset GIT_DIR GIT_WORK_TREE CF_PURGE_HOOK_CONFIG CF_API_TOKEN
git config --global user.name "Test User"
git config --global user.email "test@example.com"
git config --global init.defaultBranch main
git config --global protocol.file.allow always
git config --global advice.detachedHead false
export CF_API_TOKEN="$TOKEN"

# The program, run the way the tests run it (maybe under CFPH_WRAP).
cfph() {
	$CFPH_WRAP "$CFPH" "$@"
}

# lock_file FILE [SECONDS]: another run holding FILE's lock (flock), in
# the background, for SECONDS (30) at most; returns once it is held.
# unlock_file lets go of it at once, so that no case waits out a fixed
# holder.
lock_file() {
	flock "$1" sleep "${2:-30}" &
	LOCK_HOLDER=$!
	lf_i=0
	while flock -n "$1" true; do
		lf_i=$((lf_i + 1))
		[ "$lf_i" -lt 200 ] || return 1
		sleep 0.05
	done
}
unlock_file() {
	pkill -P "$LOCK_HOLDER" 2>/dev/null || :
	wait "$LOCK_HOLDER" 2>/dev/null || :
}

# copy_for_others: copies the program into $TRASH/bin (modes 755) and
# points CFPH there, for the suites that run it as other users: a clone in
# a folder only its owner may enter (/root is 700 on Debian) keeps them
# out of the built program. $TRASH becomes 755 too. Fails when another
# user still could not reach the copy (TMPDIR itself closed).
copy_for_others() {
	chmod 755 "$TRASH" &&
	mkdir -p "$TRASH/bin" && chmod 755 "$TRASH/bin" &&
	cp "$CFPH" "$TRASH/bin/cf-purge-hook" &&
	chmod 755 "$TRASH/bin/cf-purge-hook" || return 1
	CFPH=$TRASH/bin/cf-purge-hook
	if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			test -x "$CFPH" 2>/dev/null
	fi
}

# expect DESCRIPTION COMMANDS: runs COMMANDS with `set -e` in a subshell
# and counts the case as passed when they succeed. The subshell must not
# run as the condition of an `if` (or of && or ||): the shell ignores
# `set -e` there, and a failing step in the middle would go unnoticed.
# To check a command's exit status, use `code CMD...; test "$CODE" = 2`.
expect() {
	desc=$1
	(set -e; eval "$2") >"$TRASH/case.log" 2>&1
	if [ $? -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok - $desc"
	else
		failed=$((failed + 1))
		echo "not ok - $desc"
		sed 's/^/#   /' "$TRASH/case.log"
	fi
}

# code CMD...: runs CMD, whatever its exit status, and leaves that status
# in CODE; for use inside `expect`, where a failing command ends the case.
code() {
	set +e
	"$@"
	CODE=$?
	set -e
}

finish() {
	echo "$(basename "$0"): $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# skip WHAT WHY: a case that cannot run on this machine, shown the way TAP
# shows a skip and counted in neither total.
skip() {
	echo "ok - # SKIP $1: $2"
}

# start_stub [ARGS...]: starts the stand-in API with a fresh log and sets
# API_URL. ARGS go to tests/cfstub.py (--files-limit, --script, ...).
start_stub() {
	stop_stub
	rm -f "$TRASH/port"
	: >"$TRASH/stub.log"
	python3 "$ROOT/tests/cfstub.py" --port-file "$TRASH/port" \
		--log "$TRASH/stub.log" --token "$TOKEN" --zone "$ZONE" "$@" \
		2>"$TRASH/stub.err" &
	STUB_PID=$!
	echo "$STUB_PID" >>"$TRASH/stub.pids"
	i=0
	while [ ! -s "$TRASH/port" ]; do
		i=$((i + 1))
		if [ $i -gt 200 ]; then
			echo "stand-in API did not start:" >&2
			cat "$TRASH/stub.err" >&2
			return 1
		fi
		sleep 0.05
	done
	API_URL="http://127.0.0.1:$(cat "$TRASH/port")/client/v4"
}

stop_stub() {
	if [ -n "$STUB_PID" ]; then
		kill "$STUB_PID" 2>/dev/null
		wait "$STUB_PID" 2>/dev/null
		STUB_PID=
	fi
}

# check ARGS...: the checks of tests/blackbox/t4/check.py (its docstring
# lists them) on the stand-in's log, plans, spool files and JSON output.
check() {
	"${PY:-python3}" -I -S "$ROOT/tests/blackbox/t4/check.py" "$@"
}

# fresh EXTRA [STAND-IN OPTIONS...]: an empty $SPOOL, a new stand-in with
# these options, and $CONFIG sending to it, with EXTRA appended in a
# [cloudflare] section.
fresh() {
	fresh_extra=$1
	shift
	rm -rf "$SPOOL"
	start_stub "$@"
	write_config "$CONFIG" "[cloudflare]
$fresh_extra"
}

# exited NAME STATUS: the run NAME (whose status a suite's run() left in
# $TRASH/NAME.status, its standard error in NAME.err) exited with STATUS.
exited() {
	exited_status=$(cat "$TRASH/$1.status")
	[ "$exited_status" = "$2" ] && return 0
	echo "$1: exit status $exited_status, not $2; its standard error:"
	cat "$TRASH/$1.err"
	return 1
}

# Empties the stand-in's record of requests.
clear_log() {
	: >"$TRASH/stub.log"
}

# Prints what reached the stand-in, one request a line:
# "STATUS ZONE KIND ITEM ITEM ...", in arrival order.
requests() {
	python3 "$ROOT/tests/blackbox/requests.py" "$TRASH/stub.log" "$@"
}

# write_config FILE [EXTRA]: a config for a site served from public/ at
# https://example.com, sending to the stand-in; EXTRA is appended.
write_config() {
	cat >"$1" <<EOC
[cloudflare]
zone_id = $ZONE
api_url = ${API_URL:-http://127.0.0.1:9/client/v4}

[site]
base_url = https://example.com
root = public

[map "layouts/**"]
tags = html

[ignore]
paths = README.md, .github/**
EOC
	if [ $# -gt 1 ]; then
		printf '%s\n' "$2" >>"$1"
	fi
}

# dir_ini FILE [SITE_LINE [TAIL]]: a config for the dir command in FILE:
# the stand-in API at $API_URL (else nothing listening), $SPOOL, no
# retries, a deadline of $DIR_DEADLINE seconds (5), [state] dir = $STATE;
# SITE_LINE goes into [site], TAIL (lines, or sections) at the end.
dir_ini() {
	cat >"$1" <<EOC
[cloudflare]
zone_id = $ZONE
api_url = ${API_URL:-http://127.0.0.1:9/client/v4}
spool_dir = $SPOOL
retries = 0
deadline = ${DIR_DEADLINE:-5}

[site]
base_url = https://example.com
${2:-}

[state]
dir = $STATE
EOC
	if [ -n "${3:-}" ]; then
		printf '%s\n' "$3" >>"$1"
	fi
}

# want_urls OLD NEW OUT (the dir suites): the URLs of the files that differ between the
# folders OLD and NEW (content, kind, or on one side only), one a line,
# sorted; an index.html adds its folder's URL.
want_urls() {
	python3 - "$1" "$2" >"$3" <<'PY'
import hashlib, os, sys
from urllib.parse import quote

def scan(top):
    out = {}
    for d, dirs, files in os.walk(top):
        for n in dirs + files:
            p = os.path.join(d, n)
            rel = os.path.relpath(p, top)
            if os.path.islink(p):
                out[rel] = "link:" + os.readlink(p)
            elif os.path.isfile(p):
                with open(p, "rb") as f:
                    out[rel] = hashlib.sha1(f.read()).hexdigest()
    return out

a, b = scan(sys.argv[1]), scan(sys.argv[2])
urls = set()
for p in set(a) | set(b):
    if a.get(p) == b.get(p):
        continue
    urls.add("https://example.com/" + quote(p, safe="/"))
    if os.path.basename(p) == "index.html":
        d = os.path.dirname(p)
        urls.add("https://example.com/" + (quote(d, safe="/") + "/" if d else ""))
for u in sorted(urls):
    print(u)
PY
}

# got_urls OUT: the URLs that reached the stand-in, one a line, sorted.
got_urls() {
	requests | awk '$3 == "files" { for (i = 4; i <= NF; i++) print $i }' |
		sort >"$1"
}

# same_urls WANT: what reached the stand-in is exactly WANT, and not empty.
same_urls() {
	got_urls "$TRASH/got" &&
	test -s "$1" &&
	if ! diff -u "$1" "$TRASH/got"; then return 1; fi
}

# make_bare DIR: a bare deploy repository whose post-receive is this
# program (a symbolic link, as the README says), with its config.
make_bare() {
	git init -q --bare "$1"
	ln -s "$CFPH" "$1/hooks/post-receive"
	write_config "$1/cf-purge-hook.ini"
}

# When CFPH_WRAP is set the hook must run under it too: a small script
# stands in for the symbolic link.
if [ -n "$CFPH_WRAP" ]; then
	make_bare() {
		git init -q --bare "$1"
		cat >"$1/hooks/post-receive" <<EOS
#!/bin/sh
exec $CFPH_WRAP "$CFPH" hook
EOS
		chmod +x "$1/hooks/post-receive"
		write_config "$1/cf-purge-hook.ini"
	}
fi

# commit_all MESSAGE: commits everything in the current work tree.
commit_all() {
	git add -A && git commit -q -m "$1"
}

# program_in DIR: DIR/cf-purge-hook runs the program the way the tests
# run it (under CFPH_WRAP too), for scripts that find it by name or path.
program_in() {
	mkdir -p "$1"
	if [ -n "$CFPH_WRAP" ]; then
		printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$CFPH_WRAP" "$CFPH" \
			>"$1/cf-purge-hook"
		chmod +x "$1/cf-purge-hook"
	else
		ln -sf "$CFPH" "$1/cf-purge-hook"
	fi
}

# run_action DIR ARGS...: runs the steps of this project's action.yml
# (tests/blackbox/actionrun.py, ARGS for it) as GITHUB_ACTION_PATH=DIR,
# a copy of the action whose cf-purge-hook is the program under test.
run_action() {
	run_action_dir=$1
	shift
	mkdir -p "$run_action_dir"
	cp "$ROOT/action.yml" "$run_action_dir/action.yml"
	program_in "$run_action_dir"
	GITHUB_ACTION_PATH=$run_action_dir python3 \
		"$ROOT/tests/blackbox/actionrun.py" "$run_action_dir/action.yml" "$@"
}
