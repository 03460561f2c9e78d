#!/bin/sh
# t6-deploy.sh: the hook where deploys happen. `install` into bare
# repositories of each layout (plain git, Gitea, GitLab) and a real push
# through what it wrote; push options (-o purge=...); deploy ordering
# ([hook] wait_url, wait_timeout, delay) against a local page that flips
# from the old commit id to the new one; detach = true with a slow API;
# two pushes at once, serialised by the lock; and `ci` as GitHub Actions
# and GitLab CI run it, in real clones (full, shallow, missing the base).
#
# `expect` runs its body inside `if`, where the shell ignores set -e, so
# every body chains its steps with && and ends with a check. Stand-ins are
# started between cases, in this shell, never inside a case.

. "$(dirname "$0")/lib.sh"
T6=$ROOT/tests/blackbox/t6
# The Python that `python3` runs, called directly: a version manager's
# shim (pyenv's) can cost more than half a second a call, and lib.sh's
# `requests` and the stand-ins run Python often.
PY=$(python3 -c 'import sys; print(sys.executable)')
PATH=$(dirname "$PY"):$PATH
# Timing checks allow this much more when the program runs under a tool.
SLACK=0
[ -n "$CFPH_WRAP" ] && SLACK=10
ZEROS=0000000000000000000000000000000000000000
# The path install must write into its hooks: the program, symbolic links
# in its folder resolved.
BIN=$(cd "$(dirname "$CFPH")" && pwd -P)/$(basename "$CFPH")

# The machine running the tests may itself be a CI job: none of its
# variables may leak into the cases.
unset GITHUB_ACTIONS GITHUB_EVENT_NAME GITHUB_EVENT_PATH GITHUB_STEP_SUMMARY \
	GITHUB_REF GITLAB_CI CI_COMMIT_BEFORE_SHA CI_COMMIT_SHA \
	CI_COMMIT_BRANCH CI_MERGE_REQUEST_DIFF_BASE_SHA \
	CI_MERGE_REQUEST_SOURCE_BRANCH_NAME CI_MERGE_REQUEST_TARGET_BRANCH_NAME \
	CI_PIPELINE_SOURCE GIT_PUSH_OPTION_COUNT

# --- Helpers -------------------------------------------------------------

now() {
	"$PY" -c 'import time; print("%.6f" % time.time())'
}

# holds EXPR: true when the awk expression EXPR (numbers) holds.
holds() {
	awk "BEGIN { exit !($1) }"
}

# stub_times: the "time" of every request the stand-in logged, in order.
stub_times() {
	"$PY" -c 'import json, sys
for line in open(sys.argv[1]):
    if line.strip():
        print(json.loads(line)["time"])' "$TRASH/stub.log"
}

# wait_until SECONDS CHECK: evaluates CHECK every 0.1 s until it holds.
wait_until() {
	wu_n=$(($1 * 10))
	while ! eval "$2"; do
		wu_n=$((wu_n - 1))
		[ "$wu_n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# change FILE: commits a new content for public/FILE in the current work
# tree.
change() {
	echo "$1 after $(git rev-parse HEAD)" >"public/$1" && commit_all "change $1"
}

# new_bare NAME [EXTRA]: a bare repository whose post-receive is this
# program, its config with EXTRA, and main created there by a push of the
# site's HEAD (which purges nothing).
new_bare() {
	make_bare "$TRASH/$1"
	write_config "$TRASH/$1/cf-purge-hook.ini" "${2:-}"
	git push -q "$TRASH/$1" HEAD:refs/heads/main 2>/dev/null
}

# status_is N: the exit status kept in $TRASH/status is N.
status_is() {
	test "$(cat "$TRASH/status")" = "$1"
}

# The deploy page for wait_url: tests/blackbox/t6/page.py serves
# $PAGE/before until the time in $PAGE/flip_at, then $PAGE/after, and logs
# every request in $PAGE/log.
PAGE=$TRASH/page
PAGE_PID=
mkdir -p "$PAGE"
"$PY" "$T6/page.py" --port-file "$TRASH/page.port" --dir "$PAGE" \
	2>"$TRASH/page.err" &
PAGE_PID=$!
trap 'kill "$PAGE_PID" 2>/dev/null; cleanup' EXIT
i=0
while [ ! -s "$TRASH/page.port" ]; do
	i=$((i + 1))
	if [ $i -gt 200 ]; then
		echo "the deploy page did not start:" >&2
		cat "$TRASH/page.err" >&2
		exit 1
	fi
	sleep 0.05
done
PAGE_URL="http://127.0.0.1:$(cat "$TRASH/page.port")/version.html"

# page_set BEFORE AFTER FLIP_IN: the page shows BEFORE, then AFTER from
# FLIP_IN seconds from now ("never": no flip); its log starts empty.
page_set() {
	printf '%s\n' "$1" >"$PAGE/before"
	printf '%s\n' "$2" >"$PAGE/after"
	if [ "$3" = never ]; then
		rm -f "$PAGE/flip_at"
	else
		"$PY" -c 'import sys, time; print("%.6f" % (time.time() + float(sys.argv[1])))' \
			"$3" >"$PAGE/flip_at"
	fi
	: >"$PAGE/log"
}

start_stub || exit 1

# The site: public/ is served; FIRST creates the branch, SECOND changes
# one page.
git init -q "$TRASH/site"
cd "$TRASH/site" || exit 1
mkdir public
echo home >public/index.html
echo a >public/a.html
echo b >public/b.html
commit_all first
FIRST=$(git rev-parse HEAD)
echo a2 >public/a.html
commit_all second
SECOND=$(git rev-parse HEAD)
ONE_URL="200 $ZONE files https://example.com/a.html"

# --- install -------------------------------------------------------------

PLAIN=$TRASH/plain.git
git init -q --bare "$PLAIN"

expect 'install into a plain bare repository writes hooks/post-receive that execs this program' '
	cfph -C "$PLAIN" install >"$TRASH/out" 2>&1 &&
	cat "$TRASH/out" &&
	grep "installed .*/plain.git/hooks/post-receive'"'"'" "$TRASH/out" &&
	test -x "$PLAIN/hooks/post-receive" &&
	test "$(head -n 1 "$PLAIN/hooks/post-receive")" = "#!/bin/sh" &&
	grep -qxF "# Written by cf-purge-hook install." "$PLAIN/hooks/post-receive" &&
	grep -qxF "exec '"'"'$BIN'"'"' hook" "$PLAIN/hooks/post-receive" &&
	sh -n "$PLAIN/hooks/post-receive"
'

expect 'install writes a commented starting config that check rejects until zone_id and base_url are filled in' '
	grep "wrote a starting config" "$TRASH/out" &&
	grep -q "^;" "$PLAIN/cf-purge-hook.ini" &&
	{ cfph -C "$PLAIN" check >"$TRASH/out" 2>&1; echo $? >"$TRASH/status"; } &&
	cat "$TRASH/out" &&
	status_is 2 &&
	grep "zone_id" "$TRASH/out" &&
	grep "base_url" "$TRASH/out" &&
	write_config "$PLAIN/cf-purge-hook.ini" &&
	cfph -C "$PLAIN" check
'

expect 'install names the token route in the starting config (variable, else file), says how to make the file and run check and retry; --config-only writes no hook' '
	TOK=$TRASH/tok.git && git init -q --bare "$TOK" &&
	(unset SUDO_USER; cfph -C "$TOK" install --token-file "$TRASH/etc/token") >"$TRASH/out" 2>&1 &&
	cat "$TRASH/out" &&
	grep -qx "api_token_env = CF_API_TOKEN" "$TOK/cf-purge-hook.ini" &&
	grep -qx "api_token_file = $TRASH/etc/token" "$TOK/cf-purge-hook.ini" &&
	me=$(id -un) && grp=$(id -gn) &&
	grep -F "else from '"'"'$TRASH/etc/token'"'"'; make that file as root, readable by '"'"'$me'"'"' alone: install -d -m 755 '"'"'$TRASH/etc'"'"' && install -m 600 -o '"'"'$me'"'"' -g '"'"'$grp'"'"' /dev/null '"'"'$TRASH/etc/token'"'"'" "$TRASH/out" &&
	grep -F "then, as the user the hook runs as: cf-purge-hook -C '"'"'$TOK/'"'"' check --online; a purge that was kept is sent with: cf-purge-hook -C '"'"'$TOK/'"'"' retry" "$TRASH/out" &&
	(SUDO_USER=someone-else; export SUDO_USER; rm "$TOK/cf-purge-hook.ini"; cfph -C "$TOK" install) >"$TRASH/out" 2>&1 &&
	grep -qx "api_token_file = /etc/cf-purge-hook/token" "$TOK/cf-purge-hook.ini" &&
	grep -F "then run: sudo -u $me cf-purge-hook -C '"'"'$TOK/'"'"' check" "$TRASH/out" &&
	grep -F "is sent with: sudo -u $me cf-purge-hook -C '"'"'$TOK/'"'"' retry" "$TRASH/out" &&
	CONLY=$TRASH/conly.git && git init -q --bare "$CONLY" &&
	cfph -C "$CONLY" install --config-only >"$TRASH/out" 2>&1 &&
	test ! -e "$CONLY/hooks/post-receive" && ! grep "installed" "$TRASH/out" &&
	grep -qx "api_token_file = /etc/cf-purge-hook/token" "$CONLY/cf-purge-hook.ini" &&
	code cfph -C "$TOK" install --token-file relative/token 2>"$TRASH/err"; test "$CODE" = 1 &&
	grep "takes an absolute path" "$TRASH/err" &&
	code cfph -C "$TOK" check --token-file /x 2>"$TRASH/err"; test "$CODE" = 2 &&
	grep "\-\-token-file goes with .install. only" "$TRASH/err"
'

expect 'a real git push purges through the installed post-receive' '
	clear_log &&
	git push -q "$PLAIN" "$FIRST:refs/heads/main" 2>/dev/null &&
	test -z "$(requests)" &&
	git push "$PLAIN" "$SECOND:refs/heads/main" 2>"$TRASH/push.err" &&
	cat "$TRASH/push.err" &&
	test "$(requests)" = "$ONE_URL" &&
	grep "^remote: cf-purge-hook: purged 1 URL in 1 request" "$TRASH/push.err"
'

expect 'install over its own hook works again and leaves an existing config alone' '
	cp "$PLAIN/cf-purge-hook.ini" "$TRASH/config.before" &&
	cfph -C "$PLAIN" install >"$TRASH/out" 2>&1 &&
	cat "$TRASH/out" &&
	cmp "$TRASH/config.before" "$PLAIN/cf-purge-hook.ini" &&
	grep "left as it is" "$TRASH/out" &&
	! grep "wrote a starting config" "$TRASH/out" &&
	grep -qxF "exec '"'"'$BIN'"'"' hook" "$PLAIN/hooks/post-receive"
'

FOREIGN=$TRASH/foreign.git
git init -q --bare "$FOREIGN"
printf '#!/bin/sh\necho the site owner wrote this\n' >"$FOREIGN/hooks/post-receive"
chmod +x "$FOREIGN/hooks/post-receive"
cp "$FOREIGN/hooks/post-receive" "$TRASH/foreign.orig"

expect 'install refuses to overwrite a post-receive it did not write, naming it, --force and how to chain' '
	{ cfph -C "$FOREIGN" install >"$TRASH/out" 2>&1; echo $? >"$TRASH/status"; } &&
	cat "$TRASH/out" &&
	status_is 1 &&
	grep "foreign.git/hooks/post-receive'"'"'" "$TRASH/out" &&
	grep -e "--force" "$TRASH/out" &&
	grep "cf-purge-hook hook" "$TRASH/out" &&
	cmp "$TRASH/foreign.orig" "$FOREIGN/hooks/post-receive"
'

expect 'install --force replaces a post-receive it did not write' '
	cfph -C "$FOREIGN" install --force >"$TRASH/out" 2>&1 &&
	cat "$TRASH/out" &&
	grep -qxF "# Written by cf-purge-hook install." "$FOREIGN/hooks/post-receive" &&
	grep -qxF "exec '"'"'$BIN'"'"' hook" "$FOREIGN/hooks/post-receive" &&
	! grep "the site owner" "$FOREIGN/hooks/post-receive"
'

LINKED=$TRASH/linked.git
git init -q --bare "$LINKED"
cp "$CFPH" "$TRASH/program-copy"
ln -s "$TRASH/program-copy" "$LINKED/hooks/post-receive"

expect 'install --force over a symbolic link replaces the link, never the program it points to' '
	cfph -C "$LINKED" install --force >"$TRASH/out" 2>&1 &&
	cat "$TRASH/out" &&
	test ! -L "$LINKED/hooks/post-receive" &&
	grep -qxF "# Written by cf-purge-hook install." "$LINKED/hooks/post-receive" &&
	cmp "$CFPH" "$TRASH/program-copy"
'

GITEA=$TRASH/gitea.git
git init -q --bare "$GITEA"
mkdir "$GITEA/hooks/post-receive.d"
GITEA_HOOK=$GITEA/hooks/post-receive.d/cf-purge-hook

expect 'install with hooks/post-receive.d/ (Gitea) writes hooks/post-receive.d/cf-purge-hook' '
	cfph -C "$GITEA" install >"$TRASH/out" 2>&1 &&
	cat "$TRASH/out" &&
	grep "gitea.git/hooks/post-receive.d/cf-purge-hook'"'"'" "$TRASH/out" &&
	test -x "$GITEA_HOOK" &&
	test ! -e "$GITEA/hooks/post-receive" &&
	grep -qxF "# Written by cf-purge-hook install." "$GITEA_HOOK" &&
	grep -qxF "exec '"'"'$BIN'"'"' hook" "$GITEA_HOOK" &&
	test -s "$GITEA/cf-purge-hook.ini" &&
	grep -q "^;" "$GITEA/cf-purge-hook.ini"
'

expect 'the Gitea hook, run the way Gitea runs it, purges the pushed range' '
	write_config "$GITEA/cf-purge-hook.ini" &&
	git push -q "$GITEA" "$SECOND:refs/heads/main" 2>/dev/null &&
	clear_log &&
	printf "%s %s refs/heads/main\n" "$FIRST" "$SECOND" |
		GIT_DIR="$GITEA" "$GITEA_HOOK" 2>"$TRASH/err" &&
	cat "$TRASH/err" &&
	test "$(requests)" = "$ONE_URL"
'

GITLAB=$TRASH/gitlab.git
git init -q --bare "$GITLAB"
mkdir "$GITLAB/custom_hooks"
GITLAB_HOOK=$GITLAB/custom_hooks/post-receive.d/cf-purge-hook

expect 'install with custom_hooks/ (GitLab) writes custom_hooks/post-receive.d/cf-purge-hook' '
	cfph -C "$GITLAB" install >"$TRASH/out" 2>&1 &&
	cat "$TRASH/out" &&
	grep "gitlab.git/custom_hooks/post-receive.d/cf-purge-hook'"'"'" "$TRASH/out" &&
	test -x "$GITLAB_HOOK" &&
	test ! -e "$GITLAB/hooks/post-receive" &&
	grep -qxF "# Written by cf-purge-hook install." "$GITLAB_HOOK" &&
	grep -qxF "exec '"'"'$BIN'"'"' hook" "$GITLAB_HOOK" &&
	test -s "$GITLAB/cf-purge-hook.ini"
'

expect 'the GitLab hook, run the way GitLab runs it, purges the pushed range' '
	write_config "$GITLAB/cf-purge-hook.ini" &&
	git push -q "$GITLAB" "$SECOND:refs/heads/main" 2>/dev/null &&
	clear_log &&
	printf "%s %s refs/heads/main\n" "$FIRST" "$SECOND" |
		GIT_DIR="$GITLAB" "$GITLAB_HOOK" 2>"$TRASH/err" &&
	cat "$TRASH/err" &&
	test "$(requests)" = "$ONE_URL"
'

# --- Push options --------------------------------------------------------

OPTS=$TRASH/opts.git
new_bare opts.git
git -C "$OPTS" config receive.advertisePushOptions true

expect 'git push -o purge=skip purges nothing and says so' '
	clear_log &&
	change a.html &&
	git push -o purge=skip "$OPTS" HEAD:main 2>"$TRASH/push.err" &&
	cat "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: push option purge=skip: purging nothing" "$TRASH/push.err" &&
	test -z "$(requests)"
'

expect 'git push -o purge=everything sends one purge_everything and says so' '
	clear_log &&
	change b.html &&
	git push -o purge=everything "$OPTS" HEAD:main 2>"$TRASH/push.err" &&
	cat "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: push option purge=everything: purging everything" "$TRASH/push.err" &&
	test "$(requests)" = "200 $ZONE purge_everything true"
'

expect 'purge=everything on an existing branch does not call it a new branch' '
	! grep "new branch" "$TRASH/push.err" &&
	! grep "on_create = everything" "$TRASH/push.err"
'

expect 'git push -o purge=dry-run shows the plan on remote: lines and sends nothing' '
	clear_log &&
	change c.html &&
	git push -o purge=dry-run "$OPTS" HEAD:main 2>"$TRASH/push.err" &&
	cat "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: push option purge=dry-run" "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: dry run: would purge 1 URL in 1 request" "$TRASH/push.err" &&
	grep "^remote: .*https://example.com/c.html" "$TRASH/push.err" &&
	test -z "$(requests)"
'

expect 'git push -o purge=bogus warns, names the option, and purges as usual' '
	clear_log &&
	change d.html &&
	git push -o purge=bogus "$OPTS" HEAD:main 2>"$TRASH/push.err" &&
	cat "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: warning: unknown push option .purge=bogus." "$TRASH/push.err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/d.html"
'

expect 'push options other than purge= are left alone' '
	clear_log &&
	change e.html &&
	git push -o ci.skip "$OPTS" HEAD:main 2>"$TRASH/push.err" &&
	cat "$TRASH/push.err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/e.html"
'

# --- Deploy ordering: wait_url, wait_timeout, delay ----------------------

WAIT=$TRASH/wait.git
new_bare wait.git

# Under valgrind (CFPH_WRAP) the hook takes seconds to start and to make
# its first request: the page flips later, and the whole wait is measured
# from a first poll that came late.
if [ -n "$CFPH_WRAP" ]; then
	FLIP_DELAY=8
	WAIT_FLOOR=1
else
	FLIP_DELAY=1.2
	WAIT_FLOOR=1.95
fi

expect 'wait_url: no purge until the page shows the pushed commit, then the purge' '
	OLD=$(git rev-parse HEAD) &&
	change w1.html &&
	NEW=$(git rev-parse HEAD) &&
	write_config "$WAIT/cf-purge-hook.ini" "[hook]
wait_url = $PAGE_URL
wait_timeout = 10" &&
	page_set "<p>version $OLD</p>" "<p>version $(printf %.9s "$NEW")</p>" "$FLIP_DELAY" &&
	clear_log &&
	git push "$WAIT" HEAD:main 2>"$TRASH/push.err" &&
	cat "$TRASH/push.err" "$PAGE/log" "$PAGE/flip_at" && stub_times &&
	test "$(requests)" = "200 $ZONE files https://example.com/w1.html" &&
	grep "^remote: cf-purge-hook: waiting until '"'"'$PAGE_URL'"'"' shows $(printf %.7s "$NEW")" "$TRASH/push.err" &&
	grep -q " before$" "$PAGE/log" &&
	grep -q " after$" "$PAGE/log" &&
	holds "$(stub_times) >= $(cat "$PAGE/flip_at")" &&
	! grep "purging anyway" "$TRASH/push.err"
'

expect 'wait_timeout: a page that never shows the commit: a warning, then the purge anyway' '
	change w2.html &&
	write_config "$WAIT/cf-purge-hook.ini" "[hook]
wait_url = $PAGE_URL
wait_timeout = 2" &&
	page_set "<p>version $(git rev-parse HEAD~1)</p>" "" never &&
	clear_log &&
	git push "$WAIT" HEAD:main 2>"$TRASH/push.err" &&
	cat "$TRASH/push.err" "$PAGE/log" && stub_times &&
	test "$(requests)" = "200 $ZONE files https://example.com/w2.html" &&
	grep "^remote: cf-purge-hook: .*did not show commit" "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: .*purging anyway" "$TRASH/push.err" &&
	grep -q " before$" "$PAGE/log"
'

expect 'wait_timeout: the hook waits the whole wait_timeout before purging anyway' '
	FIRST_POLL=$(head -n 1 "$PAGE/log" | cut -d " " -f 1) &&
	echo "first poll $FIRST_POLL, purge $(stub_times)" &&
	holds "$(stub_times) >= $FIRST_POLL + $WAIT_FLOOR"
'

expect 'wait_url: an abbreviation shorter than 7 hex digits does not count' '
	change w3.html &&
	write_config "$WAIT/cf-purge-hook.ini" "[hook]
wait_url = $PAGE_URL
wait_timeout = 1" &&
	page_set "<p>version $(git rev-parse --short=6 HEAD)</p>" "" never &&
	clear_log &&
	git push "$WAIT" HEAD:main 2>"$TRASH/push.err" &&
	cat "$TRASH/push.err" &&
	grep "did not show commit" "$TRASH/push.err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/w3.html"
'

expect 'range by hand does not wait for wait_url' '
	OLD=$(git rev-parse HEAD) &&
	change w4.html &&
	NEW=$(git rev-parse HEAD) &&
	git push -q "$WAIT" HEAD:refs/heads/elsewhere 2>/dev/null &&
	write_config "$WAIT/cf-purge-hook.ini" "[hook]
wait_url = $PAGE_URL
wait_timeout = 5" &&
	page_set "nothing here" "" never &&
	clear_log &&
	T0=$(now) &&
	cfph -C "$WAIT" range "$OLD..$NEW" 2>"$TRASH/err" &&
	T1=$(now) &&
	git -C "$WAIT" update-ref refs/heads/main "$NEW" &&
	git -C "$WAIT" update-ref refs/cf-purge-hook/heads/main "$NEW" &&
	cat "$TRASH/err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/w4.html" &&
	test ! -s "$PAGE/log" &&
	! grep "waiting" "$TRASH/err" &&
	holds "$T1 - $T0 < 2 + $SLACK"
'

expect 'delay = 1: the purge comes at least 1 s after the push started' '
	change w5.html &&
	write_config "$WAIT/cf-purge-hook.ini" "[hook]
delay = 1" &&
	clear_log &&
	T0=$(now) &&
	git push "$WAIT" HEAD:main 2>"$TRASH/push.err" &&
	cat "$TRASH/push.err" && echo "push at $T0, purge at $(stub_times)" &&
	test "$(requests)" = "200 $ZONE files https://example.com/w5.html" &&
	grep "^remote: cf-purge-hook: waiting 1 s" "$TRASH/push.err" &&
	holds "$(stub_times) >= $T0 + 1"
'

# --- detach = true -------------------------------------------------------

# A slow API: a purge that did not detach would hold the push 2 s.
start_stub --latency-ms 2000 || exit 1
DET=$TRASH/detach.git
new_bare detach.git "[hook]
detach = true
log_file = $TRASH/detach.log"

expect 'detach = true: the push returns at once and names the log' '
	change d1.html &&
	clear_log &&
	T0=$(now) &&
	git push "$DET" HEAD:main 2>"$TRASH/push.err" &&
	T1=$(now) &&
	test -z "$(requests)" &&
	cat "$TRASH/push.err" && echo "the push took $T0 .. $T1" &&
	grep "^remote: cf-purge-hook: purging in the background; the log is '"'"'$TRASH/detach.log'"'"'" "$TRASH/push.err" &&
	holds "$T1 - $T0 < 1 + $SLACK"
'

expect 'detach = true: the purge arrives afterwards' '
	wait_until 10 "test -n \"\$(requests)\"" &&
	test "$(requests)" = "200 $ZONE files https://example.com/d1.html"
'

expect 'detach = true: the log file holds the detached run, then its summary' '
	wait_until 5 "grep -q \"purged 1 URL\" \"$TRASH/detach.log\"" &&
	cat "$TRASH/detach.log" &&
	grep -n "detached run for 1 ref" "$TRASH/detach.log" | tail -n 1 | cut -d: -f1 >"$TRASH/l1" &&
	grep -n "cf-purge-hook: purged 1 URL in 1 request" "$TRASH/detach.log" | cut -d: -f1 >"$TRASH/l2" &&
	test -s "$TRASH/l1" && test -s "$TRASH/l2" &&
	holds "$(cat "$TRASH/l1") < $(cat "$TRASH/l2")"
'

start_stub || exit 1

expect 'detach = true without log_file logs to <git dir>/cf-purge-hook.log' '
	write_config "$DET/cf-purge-hook.ini" "[hook]
detach = true" &&
	change d2.html &&
	clear_log &&
	git push "$DET" HEAD:main 2>"$TRASH/push.err" &&
	cat "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: purging in the background; the log is '"'"'.*/detach.git/cf-purge-hook.log'"'"'" "$TRASH/push.err" &&
	wait_until 10 "grep -q \"purged 1 URL\" \"$DET/cf-purge-hook.log\" 2>/dev/null" &&
	grep "detached run for 1 ref" "$DET/cf-purge-hook.log" &&
	test "$(requests)" = "200 $ZONE files https://example.com/d2.html"
'

# --- Two pushes at once: the lock ----------------------------------------

LOCK=$TRASH/lock.git
new_bare lock.git "[hook]
branches = main, other"
git push -q "$LOCK" HEAD:refs/heads/other 2>/dev/null
git clone -q "$LOCK" "$TRASH/c1" 2>/dev/null
git clone -q -b other "$LOCK" "$TRASH/c2" 2>/dev/null

expect 'a push waits while another run holds <git dir>/cf-purge-hook.lock' '
	{ cd "$TRASH/c1" && change l1.html &&
		rm -f "$TRASH/held" "$TRASH/released" || exit 1; }
	"$PY" -c "import fcntl, sys, time
f = open(sys.argv[1], \"a\")
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[2], \"w\").close()
time.sleep(1.5)
open(sys.argv[3], \"w\").write(\"%.6f\" % time.time())
" "$LOCK/cf-purge-hook.lock" "$TRASH/held" "$TRASH/released" &
	wait_until 5 "test -e \"$TRASH/held\"" &&
	clear_log &&
	git push -q origin main 2>"$TRASH/push.err" &&
	wait &&
	cat "$TRASH/push.err" && echo "released $(cat "$TRASH/released"), purge $(stub_times)" &&
	test "$(requests)" = "200 $ZONE files https://example.com/l1.html" &&
	holds "$(stub_times) >= $(cat "$TRASH/released")"
'

# A slow API, so that the two pushes overlap.
start_stub --latency-ms 700 || exit 1
write_config "$LOCK/cf-purge-hook.ini" "[hook]
branches = main, other"

expect 'two pushes at once: both purges arrive' '
	{ (cd "$TRASH/c1" && change l2.html) &&
		(cd "$TRASH/c2" && change l3.html) && clear_log || exit 1; }
	(cd "$TRASH/c1" && git push -q origin main 2>"$TRASH/push1.err") &
	(cd "$TRASH/c2" && git push -q origin other 2>"$TRASH/push2.err") &
	wait &&
	cat "$TRASH/push1.err" "$TRASH/push2.err" &&
	requests | sort >"$TRASH/actual" &&
	printf "%s\n" "200 $ZONE files https://example.com/l2.html" \
		"200 $ZONE files https://example.com/l3.html" >"$TRASH/expect" &&
	diff -u "$TRASH/expect" "$TRASH/actual" &&
	grep "purged 1 URL" "$TRASH/push1.err" &&
	grep "purged 1 URL" "$TRASH/push2.err"
'

expect 'two pushes at once: the second purge is sent only once the first was answered' '
	stub_times >"$TRASH/times" &&
	cat "$TRASH/times" &&
	holds "$(sed -n 2p "$TRASH/times") - $(sed -n 1p "$TRASH/times") >= 0.6" &&
	test -f "$LOCK/cf-purge-hook.lock"
'

# --- ci: GitHub Actions and GitLab CI ------------------------------------

start_stub || exit 1
SRC=$TRASH/ci-src
git init -q "$SRC"
cd "$SRC" || exit 1
mkdir public
echo a >public/a.html
echo b >public/b.html
echo r >README.md
commit_all c0
C0=$(git rev-parse HEAD)
echo b2 >public/b.html
commit_all c1
C1=$(git rev-parse HEAD)
# A commit that a force push will drop: it never reaches the clones.
git checkout -q -b dropped
echo gone >public/gone.html
commit_all dropped
DROPPED=$(git rev-parse HEAD)
git checkout -q main
git branch -q -D dropped
# Gone for good, as after the forge's garbage collection: no fetch finds it.
git reflog expire --expire=now --all && git gc -q --prune=now
echo a2 >public/a.html
mkdir public/blog
echo post >public/blog/index.html
echo r2 >README.md
commit_all c2
C2=$(git rev-parse HEAD)
C2_URLS="200 $ZONE files https://example.com/a.html https://example.com/blog/ https://example.com/blog/index.html"

CLONE=$TRASH/ci-clone
SHALLOW=$TRASH/ci-shallow
git clone -q "file://$SRC" "$CLONE" 2>/dev/null
git clone -q --depth 1 "file://$SRC" "$SHALLOW" 2>/dev/null
cd "$TRASH" || exit 1
CI_INI=$TRASH/ci.ini
# These cases play the event alone: the purge marker, which would carry
# what one case purged into the next, has its own suite (t15-ci.sh).
write_config "$CI_INI" "[ci]
marker = false"
write_config "$TRASH/ci-create.ini" "[hook]
on_create = everything
[ci]
marker = false"
write_config "$TRASH/ci-missing.ini" "[hook]
on_missing_base = everything
[ci]
marker = false"

# gh_event FILE REF BEFORE AFTER CREATED FORCED: a push event as GitHub
# writes it to GITHUB_EVENT_PATH.
gh_event() {
	cat >"$1" <<EOJ
{"ref": "$2", "before": "$3", "after": "$4",
 "created": $5, "deleted": false, "forced": $6,
 "base_ref": null, "compare": "https://github.com/o/site/compare/x...y",
 "commits": [], "head_commit": {"id": "$4", "message": "deploy"},
 "repository": {"full_name": "o/site", "default_branch": "main"},
 "pusher": {"name": "someone"}}
EOJ
}

# run_ci DIR CONFIG [VAR=VALUE...]: runs `ci` in the clone DIR with the
# variables given, keeping stdout, stderr and the status in $TRASH.
run_ci() {
	rc_dir=$1 rc_config=$2
	shift 2
	(cd "$rc_dir" && env "$@" $CFPH_WRAP "$CFPH" -c "$rc_config" ci) \
		>"$TRASH/out" 2>"$TRASH/err"
	echo $? >"$TRASH/status"
	echo "status $(cat "$TRASH/status"); stdout:"
	cat "$TRASH/out"
	echo "stderr:"
	cat "$TRASH/err"
}

# gh DIR CONFIG EVENT_FILE [VAR=VALUE...]: run_ci as a GitHub Actions push job.
gh() {
	gh_dir=$1 gh_config=$2 gh_file=$3
	shift 3
	run_ci "$gh_dir" "$gh_config" GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push \
		GITHUB_EVENT_PATH="$gh_file" GITHUB_STEP_SUMMARY="$TRASH/summary.md" "$@"
}

expect 'ci on GitHub: a push purges the URLs of its range and writes the step summary table' '
	gh_event "$TRASH/event.json" refs/heads/main "$C1" "$C2" false false &&
	rm -f "$TRASH/summary.md" && clear_log &&
	gh "$CLONE" "$CI_INI" "$TRASH/event.json" &&
	status_is 0 &&
	test "$(requests)" = "$C2_URLS" &&
	cat "$TRASH/summary.md" &&
	grep -qxF "| # | Zone | Items | Result |" "$TRASH/summary.md" &&
	grep -q "^| 1 | $ZONE | .* | purged |$" "$TRASH/summary.md"
'

expect 'ci on GitHub: a created branch purges nothing with on_create = skip' '
	gh_event "$TRASH/event.json" refs/heads/main "$ZEROS" "$C2" true false &&
	clear_log &&
	gh "$CLONE" "$CI_INI" "$TRASH/event.json" &&
	status_is 0 &&
	grep "new branch" "$TRASH/err" &&
	test -z "$(requests)"
'

expect 'ci on GitHub: a created branch purges everything with on_create = everything' '
	gh_event "$TRASH/event.json" refs/heads/main "$ZEROS" "$C2" true false &&
	clear_log &&
	gh "$CLONE" "$TRASH/ci-create.ini" "$TRASH/event.json" &&
	status_is 0 &&
	test "$(requests)" = "200 $ZONE purge_everything true"
'

expect 'ci on GitHub: a forced push whose old tip is gone from the remote fails, naming the fetch it tried' '
	gh_event "$TRASH/event.json" refs/heads/main "$DROPPED" "$C2" false true &&
	clear_log &&
	gh "$CLONE" "$CI_INI" "$TRASH/event.json" &&
	status_is 2 &&
	grep "is not in this clone" "$TRASH/err" &&
	grep "git fetch --no-tags --depth=1 origin $DROPPED" "$TRASH/err" &&
	grep "the push was forced" "$TRASH/err" &&
	grep "on_missing_base = everything" "$TRASH/err" &&
	test -z "$(requests)"
'

expect 'ci on GitHub: a shallow clone without the base commit fetches it and purges exactly' '
	gh_event "$TRASH/event.json" refs/heads/main "$C1" "$C2" false false &&
	clear_log &&
	! git -C "$SHALLOW" cat-file -e "$C1" &&
	gh "$SHALLOW" "$CI_INI" "$TRASH/event.json" &&
	status_is 0 &&
	grep "fetched the base commit" "$TRASH/err" &&
	test "$(requests)" = "$C2_URLS"
'

expect 'ci on GitHub: on_missing_base = everything purges everything when the base cannot be fetched' '
	gh_event "$TRASH/event.json" refs/heads/main "$DROPPED" "$C2" false true &&
	clear_log &&
	gh "$SHALLOW" "$TRASH/ci-missing.ini" "$TRASH/event.json" &&
	status_is 0 &&
	test "$(requests)" = "200 $ZONE purge_everything true"
'

expect 'ci on GitHub: a branch not in [hook] branches purges nothing' '
	gh_event "$TRASH/event.json" refs/heads/feature "$C1" "$C2" false false &&
	clear_log &&
	gh "$CLONE" "$CI_INI" "$TRASH/event.json" &&
	status_is 0 &&
	grep "not in \[hook\] branches" "$TRASH/err" &&
	test -z "$(requests)"
'

expect 'ci on GitHub: a refusal by the API gives ::error:: lines on stdout and exit 1' '
	gh_event "$TRASH/event.json" refs/heads/main "$C1" "$C2" false false &&
	clear_log &&
	gh "$CLONE" "$CI_INI" "$TRASH/event.json" CF_API_TOKEN=wrong-token-$$ &&
	status_is 1 &&
	grep "^::error::" "$TRASH/out" &&
	! grep "wrong-token" "$TRASH/out" "$TRASH/err" "$TRASH/summary.md"
'
rm -rf "$CLONE/.git/cf-purge-hook-spool"

expect 'ci on GitHub: a pull_request event shows the plan of merging it, sends nothing, exit 0' '
	clear_log &&
	printf "{\"pull_request\": {\"base\": {\"ref\": \"main\", \"sha\": \"%s\"}, \"head\": {\"ref\": \"feature\", \"sha\": \"%s\"}}}" \
		"$C1" "$C2" >"$TRASH/pr.json" &&
	gh "$CLONE" "$CI_INI" "$TRASH/pr.json" GITHUB_EVENT_NAME=pull_request GITHUB_SHA="$C2" &&
	status_is 0 &&
	grep "showing the plan only" "$TRASH/err" &&
	grep "would purge 3 URLs" "$TRASH/err" &&
	test -z "$(requests)"
'

expect 'ci on GitLab: a push purges its range inside a collapsed section' '
	clear_log &&
	run_ci "$CLONE" "$CI_INI" GITLAB_CI=true CI_COMMIT_BEFORE_SHA="$C1" \
		CI_COMMIT_SHA="$C2" CI_COMMIT_BRANCH=main &&
	status_is 0 &&
	test "$(requests)" = "$C2_URLS" &&
	grep -n "section_start:" "$TRASH/out" | cut -d: -f1 >"$TRASH/l1" &&
	grep -n "section_end:" "$TRASH/out" | cut -d: -f1 >"$TRASH/l2" &&
	test -s "$TRASH/l1" && test -s "$TRASH/l2" &&
	holds "$(cat "$TRASH/l1") < $(cat "$TRASH/l2")"
'

expect 'ci on GitLab: CI_COMMIT_BEFORE_SHA of zeros is a created branch (on_create)' '
	clear_log &&
	run_ci "$CLONE" "$CI_INI" GITLAB_CI=true CI_COMMIT_BEFORE_SHA="$ZEROS" \
		CI_COMMIT_SHA="$C2" CI_COMMIT_BRANCH=main &&
	status_is 0 &&
	test -z "$(requests)" &&
	run_ci "$CLONE" "$TRASH/ci-create.ini" GITLAB_CI=true \
		CI_COMMIT_BEFORE_SHA="$ZEROS" CI_COMMIT_SHA="$C2" CI_COMMIT_BRANCH=main &&
	status_is 0 &&
	test "$(requests)" = "200 $ZONE purge_everything true"
'

expect 'ci on GitLab: a base missing from a shallow clone is fetched, and the range purged exactly' '
	rm -rf "$SHALLOW" && git clone -q --depth 1 "file://$SRC" "$SHALLOW" 2>/dev/null &&
	clear_log &&
	run_ci "$SHALLOW" "$CI_INI" GITLAB_CI=true CI_COMMIT_BEFORE_SHA="$C1" \
		CI_COMMIT_SHA="$C2" CI_COMMIT_BRANCH=main &&
	status_is 0 &&
	test "$(requests)" = "$C2_URLS"
'

expect 'ci on GitLab: a merge-request pipeline sends nothing, even without --dry-run' '
	clear_log &&
	run_ci "$CLONE" "$CI_INI" GITLAB_CI=true CI_PIPELINE_SOURCE=merge_request_event \
		CI_COMMIT_BEFORE_SHA="$ZEROS" CI_COMMIT_SHA="$C2" \
		CI_MERGE_REQUEST_DIFF_BASE_SHA="$C1" \
		CI_MERGE_REQUEST_SOURCE_BRANCH_NAME=feature \
		CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main &&
	status_is 0 &&
	grep "merge-request pipeline" "$TRASH/err" &&
	test -z "$(requests)"
'

expect 'ci on GitLab: the merge request plan is what merging it into main would purge' '
	cat "$TRASH/out" "$TRASH/err" >"$TRASH/all" &&
	grep "would purge 3 URLs" "$TRASH/all" &&
	grep "https://example.com/blog/index.html" "$TRASH/all"
'

expect 'ci with neither GitHub Actions nor GitLab CI is refused, pointing to range' '
	clear_log &&
	run_ci "$CLONE" "$CI_INI" &&
	status_is 2 &&
	grep "range" "$TRASH/err" &&
	test -z "$(requests)"
'

finish
