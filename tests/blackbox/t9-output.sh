#!/bin/sh
# t9-output.sh: what the program writes is true, readable and cheap.
# Standard output under --json is one JSON document, in CI jobs too; the
# requests fit Cloudflare's schema; credentials cannot forge headers;
# nothing from a pushed file or a server reaches the terminal raw; a
# flood of errors or of changed paths costs a few write(2) calls, not one
# per byte; each failure says what really happened; and the summary
# counts this push, the spool and the attempts apart.

. "$(dirname "$0")/lib.sh"
REPO=$TRASH/repo
SPOOL=$REPO/.git/cf-purge-hook-spool
CONFIG=$REPO/.git/cf-purge-hook.ini
FAST='backoff = 0.01'
ESC=$(printf '\033')

PY=$(python3 -c 'import sys; print(sys.executable)')
PATH=$(dirname "$PY"):$PATH

# The machine running the tests may itself be a CI job.
unset GITHUB_ACTIONS GITHUB_EVENT_NAME GITHUB_EVENT_PATH GITHUB_STEP_SUMMARY \
	GITHUB_REF GITLAB_CI CI_COMMIT_BEFORE_SHA CI_COMMIT_SHA \
	CI_COMMIT_BRANCH CI_MERGE_REQUEST_DIFF_BASE_SHA \
	CI_MERGE_REQUEST_SOURCE_BRANCH_NAME CI_MERGE_REQUEST_TARGET_BRANCH_NAME \
	CI_PIPELINE_SOURCE GIT_PUSH_OPTION_COUNT

# --- Helpers -------------------------------------------------------------

# run NAME ARGS...: runs the program in the repository; keeps standard
# output, standard error and the exit status as $TRASH/NAME.out, .err
# and .status.
run() {
	run_name=$1
	shift
	if (cd "$REPO" && cfph "$@") >"$TRASH/$run_name.out" \
		2>"$TRASH/$run_name.err"; then
		echo 0 >"$TRASH/$run_name.status"
	else
		echo $? >"$TRASH/$run_name.status"
	fi
}

# json FILE EXPR: FILE is one JSON document (json.tool reads it) and the
# Python expression EXPR holds for it, as j.
json() {
	"$PY" -m json.tool "$1" >/dev/null &&
	"$PY" -c 'import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(not eval(sys.argv[2]))' "$1" "$2"
}

# log EXPR: EXPR holds for P, the purge requests the stand-in logged.
log() {
	"$PY" -c 'import json, sys
P = [json.loads(l) for l in open(sys.argv[1]) if "/purge_cache" in l]
sys.exit(not eval(sys.argv[2]))' "$TRASH/stub.log" "$1"
}

# writes NAME ARGS...: like run, under strace; prints how many write(2)
# calls went to standard error. strace is not everywhere, and counting
# means nothing under valgrind: then "skip".
writes() {
	if [ -n "$CFPH_WRAP" ] || ! command -v strace >/dev/null 2>&1 ||
		! strace -f -qq -e trace=write -o /dev/null true 2>/dev/null; then
		echo skip
		return 0
	fi
	writes_name=$1
	shift
	# LeakSanitizer cannot run under ptrace: a SANITIZE=1 build counts
	# its writes without it.
	if (cd "$REPO" && ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -qq -e trace=write \
		-o "$TRASH/$writes_name.trace" "$CFPH" "$@") \
		>"$TRASH/$writes_name.out" 2>"$TRASH/$writes_name.err"; then
		echo 0 >"$TRASH/$writes_name.status"
	else
		echo $? >"$TRASH/$writes_name.status"
	fi
	grep -c 'write(2,' "$TRASH/$writes_name.trace" || true
}

# fewer COUNT LIMIT: COUNT (from writes) is below LIMIT, or was skipped.
fewer() {
	[ "$1" = skip ] && echo "strace unavailable or under a tool: not counted" && return 0
	echo "$1 write(2) calls to standard error"
	[ "$1" -lt "$2" ]
}

no_token() {
	! grep -rlF -e "$TOKEN" "$TRASH"
}

# --- The repository ------------------------------------------------------
git init -q "$REPO"
cd "$REPO" || exit 1
mkdir public
echo base >public/keep.html
commit_all base
C0=$(git rev-parse HEAD)
for n in 1 2 3 4; do echo "$n" >"public/p$n.html"; done
commit_all four
C1=$(git rev-parse HEAD)
for n in 1 2 3 4; do echo "$n" >"public/q$n.html"; done
commit_all four-more
C2=$(git rev-parse HEAD)
for n in 1 2 3 4 5 6 7 8; do echo "$n" >"public/r$n.html"; done
commit_all eight
C3=$(git rev-parse HEAD)
# Many changed paths for -v: 5,000 are plenty to count writes per path.
mkdir public/many
"$PY" -c 'import sys
for i in range(5000):
    open("public/many/f%04d.html" % i, "w").write("%d\n" % i)'
commit_all many
C4=$(git rev-parse HEAD)
cd "$TRASH" || exit 1

# --- 1. --json in CI jobs: standard output is the JSON document alone ---

gitlab() {
	export GITLAB_CI=true CI_COMMIT_BEFORE_SHA="$C0" CI_COMMIT_SHA="$C1" \
		CI_COMMIT_BRANCH=main
}

github() {
	cat >"$TRASH/event.json" <<EOJ
{"ref": "refs/heads/main", "before": "$C0", "after": "$C1",
 "created": false, "deleted": false, "forced": false}
EOJ
	export GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push \
		GITHUB_EVENT_PATH="$TRASH/event.json" \
		GITHUB_STEP_SUMMARY="$TRASH/summary.md"
}

fresh "$FAST"
expect 'ci --dry-run --json on GitLab: stdout is one JSON document; the section and the plan go to stderr' '
	(gitlab && run gl -c "$CONFIG" ci --dry-run --json) &&
	exited gl 0 &&
	"$PY" -m json.tool <"$TRASH/gl.out" >/dev/null &&
	json "$TRASH/gl.out" "len(j[\"requests\"]) == 1" &&
	! grep -q section_ "$TRASH/gl.out" &&
	grep -q "section_start:[0-9]*:cf_purge_hook" "$TRASH/gl.err" &&
	grep -q "^planned $ZONE: {\"files\":" "$TRASH/gl.err" &&
	grep -q "section_end:" "$TRASH/gl.err"
'

expect 'ci --json on GitLab, sending: stdout is still JSON alone' '
	clear_log &&
	(gitlab && run gls -c "$CONFIG" ci --json) &&
	exited gls 0 &&
	json "$TRASH/gls.out" "j[\"requests\"][0][\"outcome\"][\"status\"] == \"purged\"" &&
	grep -q "^purged $ZONE: " "$TRASH/gls.err"
'

expect 'ci without --json on GitLab: the section stays on stdout, as before' '
	(gitlab && run glt -c "$CONFIG" ci --dry-run) &&
	exited glt 0 &&
	grep -q "section_start:" "$TRASH/glt.out"
'

fresh "$FAST" --refuse-item https://example.com/p2.html
expect 'ci --json on GitHub with a refused item: stdout is JSON alone, ::error:: lines on stderr' '
	(github && run gh -c "$CONFIG" ci --json) &&
	exited gh 1 &&
	json "$TRASH/gh.out" "j[\"this_run\"][\"refused\"] == 1" &&
	! grep -q "::error::" "$TRASH/gh.out" &&
	grep -q "^::error::cf-purge-hook: refused by Cloudflare: HTTP 400: error 1014: .*p2.html" "$TRASH/gh.err"
'

expect 'ci without --json on GitHub: the ::error:: lines stay on stdout, as before' '
	(github && run ght -c "$CONFIG" ci) &&
	exited ght 1 &&
	grep -q "^::error::cf-purge-hook: refused by Cloudflare: " "$TRASH/ght.out"
'

# --- 2. [site] variant: each request's files are of one form -------------

fresh "$FAST" --strict-files
cat >>"$CONFIG" <<EOC
[site]
variant = Accept-Language: fr
EOC
expect 'the stand-in with --strict-files refuses a files array mixing strings and objects' '
	port=$(cat "$TRASH/port") &&
	code "$PY" -c "import json, sys, urllib.request, urllib.error
body = json.dumps({\"files\": [\"https://example.com/a\", {\"url\": \"https://example.com/a\", \"headers\": {\"X\": \"y\"}}]}).encode()
req = urllib.request.Request(\"http://127.0.0.1:$port/client/v4/zones/$ZONE/purge_cache\", body, {\"Authorization\": \"Bearer $TOKEN\", \"Content-Type\": \"application/json\"})
try:
    urllib.request.urlopen(req)
except urllib.error.HTTPError as e:
    sys.exit(0 if e.code == 400 else 1)
sys.exit(1)" &&
	test "$CODE" = 0
'

expect 'variant = ...: the plain URL goes as {"url"}, so every request is all objects, and a strict schema accepts it' '
	clear_log &&
	run var --json range "$C0..$C1" &&
	exited var 0 &&
	log "len(P) == 1 and P[0][\"status\"] == 200 and all(isinstance(i, dict) for i in P[0][\"body\"][\"files\"])" &&
	log "sorted(i[\"url\"] for i in P[0][\"body\"][\"files\"] if \"headers\" not in i) == [\"https://example.com/p%d.html\" % n for n in (1, 2, 3, 4)]" &&
	log "len(P[0][\"body\"][\"files\"]) == 8"
'

expect 'a mixed array spooled by an older version is resent as all objects, and accepted' '
	clear_log &&
	mkdir -p "$SPOOL" &&
	cat >"$SPOOL/old-mixed.json" <<EOJ &&
{"version": 1, "zone_id": "$ZONE", "first_planned": "2024-01-01T00:00:00Z", "attempts": 1, "last_error": "old", "body": {"files": ["https://example.com/p1.html", {"url": "https://example.com/p1.html", "headers": {"Accept-Language": "fr"}}]}}
EOJ
	run old retry &&
	cat "$TRASH/old.err" &&
	exited old 0 &&
	log "len(P) == 1 and P[0][\"status\"] == 200 and P[0][\"body\"][\"files\"][0] == {\"url\": \"https://example.com/p1.html\"}" &&
	test -z "$(ls -A "$SPOOL")"
'

# --- 3. Credentials with control characters ------------------------------

fresh "$FAST"
expect 'a token with CR LF is refused before any request, without printing it' '
	clear_log &&
	evil=$(printf "%s\r\nX-Injected: 1" "$TOKEN") &&
	(CF_API_TOKEN=$evil && export CF_API_TOKEN && run crlf range "$C0..$C1") &&
	exited crlf 1 &&
	grep -q "cf-purge-hook: the API token contains a control character" "$TRASH/crlf.err" &&
	! grep -q "X-Injected" "$TRASH/crlf.err" &&
	log "len(P) == 0" &&
	no_token
'

# --- 4. Control characters from a pushed tree config ----------------------

expect 'control characters in a pushed tree config reach no message raw' '
	cd "$REPO" &&
	printf "[map \"public/**\"]\nbad\033]0;owned\007key = 1\n" >.cf-purge-hook.ini &&
	commit_all "tree config" &&
	cd "$TRASH" &&
	write_config "$CONFIG" "[cloudflare]
$FAST
[hook]
tree_config = .cf-purge-hook.ini" &&
	run tree --dry-run range HEAD~1..HEAD &&
	cat "$TRASH/tree.err" &&
	grep -q "bad?\]0;owned?key" "$TRASH/tree.err" &&
	! grep -q "$ESC" "$TRASH/tree.err" &&
	! grep -q "$(printf "\007")" "$TRASH/tree.err"
'

expect 'control characters in the config file reach no message raw either' '
	printf "[cloudflare]\nzone_id = $ZONE\nx\033[31my = 1\n" >"$TRASH/bad.ini" &&
	run badini -c "$TRASH/bad.ini" check &&
	exited badini 2 &&
	cat "$TRASH/badini.err" &&
	grep -q "x?\[31my" "$TRASH/badini.err" &&
	! grep -q "$ESC" "$TRASH/badini.err"
'

# --- 5. A flood of errors in each refusal ----------------------------------

printf '[{"success_false": true, "code": 1000, "n_errors": 12000, "message": "Hostile error text that goes on", "repeat": 15}]\n' >"$TRASH/flood.json"
fresh "$FAST" --script "$TRASH/flood.json"
expect '400s with 12,000 errors each on 8 URLs: each refusal once, 10 errors and a count, a few writes' '
	n=$(writes flood range "$C2..$C3") &&
	if [ "$n" = skip ]; then run flood range "$C2..$C3"; fi &&
	exited flood 1 &&
	test "$(grep -c "refused by Cloudflare: " "$TRASH/flood.err")" = 8 &&
	grep -q "error 1009: Hostile error text that goes on; and 11990 more errors: https://example.com/r1.html$" "$TRASH/flood.err" &&
	! grep -q "error 1010" "$TRASH/flood.err" &&
	test "$(wc -c <"$TRASH/flood.err")" -lt 20000 &&
	fewer "$n" 20
'

# --- 6. -v on many changed paths --------------------------------------------

fresh "$FAST"
expect '-v on 5,000 changed paths: every path listed, in a few writes' '
	n=$(writes many -v --dry-run range "$C3..$C4") &&
	if [ "$n" = skip ]; then run many -v --dry-run range "$C3..$C4"; fi &&
	exited many 0 &&
	test "$(grep -c "^cf-purge-hook:   added public/many/f" "$TRASH/many.err")" = 5000 &&
	grep -n "changed paths" "$TRASH/many.err" | head -1 | grep -q "^1:" &&
	tail -1 "$TRASH/many.err" | grep -q "dry run: would purge" &&
	fewer "$n" 30
'

# --- 7. Messages that say what happened -------------------------------------

printf '[{"redirect": 307, "location": "https://elsewhere.example/client/v4"}]\n' >"$TRASH/redirect.json"
fresh "$FAST" --script "$TRASH/redirect.json"
expect 'a 307 whose body says success: a redirect that is not followed, not "success is false"' '
	run redirect range "$C0..$C1" &&
	exited redirect 1 &&
	grep -q "HTTP 307: a redirect to .https://elsewhere.example/client/v4., which is not followed" "$TRASH/redirect.err" &&
	! grep -q "is false" "$TRASH/redirect.err"
'

printf '[{"big_body": 5000000}]\n' >"$TRASH/big.json"
fresh "$FAST
retries = 0" --script "$TRASH/big.json"
expect 'a reply over the 4 MiB cap says so, not "Failure writing output"' '
	run big range "$C0..$C1" &&
	exited big 1 &&
	grep -q "is larger than 4 MiB" "$TRASH/big.err" &&
	! grep -q "Failure writing" "$TRASH/big.err"
'

printf '[{"big_header": 200000}]\n' >"$TRASH/hdr.json"
fresh "$FAST
retries = 0" --script "$TRASH/hdr.json"
expect 'a 200 KB header says the header was too large, not "Out of memory" alone' '
	run hdr range "$C0..$C1" &&
	exited hdr 1 &&
	cat "$TRASH/hdr.err" &&
	grep -q "has a header too large for libcurl" "$TRASH/hdr.err"
'

fresh "$FAST
files_per_request = 1"
expect 'identical "not sent" reasons of many requests make one line with a count' '
	(CF_API_TOKEN=wrong-token && export CF_API_TOKEN && run same range "$C0..$C1") &&
	exited same 1 &&
	test "$(grep -c "not sent: " "$TRASH/same.err")" = 1 &&
	grep -q "not sent: Cloudflare refused the credentials or the zone: HTTP 403: error 10000: Authentication error (4 times)$" "$TRASH/same.err" &&
	grep -q "not purged yet: 4 items kept in" "$TRASH/same.err"
'

# --- 8. Truthful summaries --------------------------------------------------

expect 'this push, the spool and the attempts are counted apart (the 4 one-URL spool files go out merged, 2 a request)' '
	clear_log &&
	write_config "$CONFIG" "[cloudflare]
$FAST
files_per_request = 2" &&
	run both --json range "$C1..$C2" &&
	exited both 0 &&
	cat "$TRASH/both.err" &&
	grep -q "^cf-purge-hook: purged 4 URLs in 2 requests, " "$TRASH/both.err" &&
	grep -q "^cf-purge-hook: resent 2 of 2 requests spooled by earlier runs: 4 of 4 items purged$" "$TRASH/both.err" &&
	json "$TRASH/both.out" "j[\"attempts\"] == 4 and j[\"this_run\"] == {\"requests\": 2, \"attempts\": 2, \"items\": 4, \"purged\": 4, \"refused\": 0, \"kept\": 0, \"lost\": 0} and j[\"earlier_runs\"][\"requests\"] == 2 and j[\"earlier_runs\"][\"resent\"] == 2 and j[\"earlier_runs\"][\"purged\"] == 4" &&
	no_token
'

printf '[{"status": 500}]\n' >"$TRASH/once.json"
fresh "$FAST" --script "$TRASH/once.json"
expect 'a retried request: "in 1 request (2 attempts)", not "in 2 requests"' '
	run retried range "$C0..$C1" &&
	exited retried 0 &&
	grep -q "^cf-purge-hook: purged 4 URLs in 1 request (2 attempts), " "$TRASH/retried.err"
'

# --- 9. Progress on long runs -----------------------------------------------
# Eight one-URL requests at a quarter of a second each: two seconds, past
# the first second in which nothing is said. script(1) gives the run a
# terminal, where the line is rewritten in place.
fresh "$FAST
files_per_request = 1" --latency-ms 250
expect 'a slow send on a terminal says how far it has come, rewriting one line, then "done"' '
	(cd "$REPO" && script -qec "$CFPH_WRAP $CFPH range $C2..$C3" /dev/null) \
		>"$TRASH/tty.out" 2>&1 &&
	tr "\\r" "\\n" <"$TRASH/tty.out" >"$TRASH/tty.lines" &&
	cat "$TRASH/tty.lines" &&
	grep -q "^cf-purge-hook: sending: [1-7] of 8 requests *\$" "$TRASH/tty.lines" &&
	grep -q "^cf-purge-hook: sending: 8 of 8 requests, done\$" "$TRASH/tty.lines" &&
	grep -q "^cf-purge-hook: purged 8 URLs in 8 requests" "$TRASH/tty.lines"
'

expect 'under --json, or --quiet, or without a terminal, a slow send says nothing of its progress' '
	(cd "$REPO" && script -qec "$CFPH_WRAP $CFPH --json range $C2..$C3" /dev/null) \
		>"$TRASH/ttyj.out" 2>&1 &&
	! grep -q "sending:" "$TRASH/ttyj.out" &&
	(cd "$REPO" && script -qec "$CFPH_WRAP $CFPH --quiet range $C2..$C3" /dev/null) \
		>"$TRASH/ttyq.out" 2>&1 &&
	! grep -q "sending:" "$TRASH/ttyq.out" &&
	run notty range "$C2..$C3" && exited notty 0 &&
	! grep -q "sending:" "$TRASH/notty.err"
'

finish
