#!/bin/sh
# t4-delivery.sh: what Cloudflare finally receives is what was planned,
# whatever goes wrong on the way. For each fault the stand-in API can
# script (429, 5xx, a dropped connection, a slow reply, a reply that is not
# JSON, a refused item, a lower limit, no API at all), and for a machine
# without libcurl, the accepted requests are compared with the dry run's,
# the spool files are read field by field, `retry` must empty the spool,
# and the token must appear nowhere. Then the limits of retrying (retries,
# deadline), the other ways of sending (mode, variant, zone_name), check
# --online, concurrent retries and connection reuse.

. "$(dirname "$0")/lib.sh"
REPO=$TRASH/repo
SPOOL=$REPO/.git/cf-purge-hook-spool
CONFIG=$REPO/.git/cf-purge-hook.ini
ZONE2=0123456789abcdef0123456789abcdef
FAST='backoff = 0.01'
BAD_TOKEN=not-the-token-$$
# Timing checks allow this much more when the program runs under a tool.
SLACK=0
[ -n "$CFPH_WRAP" ] && SLACK=10

# --- Helpers -------------------------------------------------------------
# Case bodies chain their steps with && (a step that fails ends the case
# either way) and end with a check. The stand-in is (re)started between
# cases, in this shell, never inside a case: `expect` runs cases in a
# subshell, and lib.sh must keep the stand-in's pid to stop it.

# The Python that `python3` runs, called directly: a version manager's
# shim (pyenv's) can cost more than half a second a call, and this script
# calls Python often. lib.sh's calls (the stand-in, `requests`) find it
# first on PATH too.
PY=$(python3 -c 'import sys; print(sys.executable)')
PATH=$(dirname "$PY"):$PATH

# restart [STAND-IN OPTIONS...]: a new stand-in (a fresh log), the spool
# kept; the config follows the new port and keeps only backoff = 0.01.
restart() {
	start_stub "$@"
	write_config "$CONFIG" "[cloudflare]
$FAST"
}

# run NAME ARGS...: runs the program (in the repository, which it finds
# from the current directory, as a person would); keeps standard
# output, standard error and the exit status as $TRASH/NAME.out, NAME.err
# and NAME.status. Always succeeds: `exited` checks the status.
run() {
	run_name=$1
	shift
	if cfph "$@" >"$TRASH/$run_name.out" 2>"$TRASH/$run_name.err"; then
		echo 0 >"$TRASH/$run_name.status"
	else
		echo $? >"$TRASH/$run_name.status"
	fi
}

# plan RANGE [FILE]: the dry run's --json output for RANGE with the
# current config, in FILE (default $TRASH/plan.json).
plan() {
	cfph -C "$REPO" --dry-run --json range "$1" >"${2:-$TRASH/plan.json}"
}

# spooled "N files, M items" ATTEMPTS LAST_ERROR_RE [OUT]: the spool holds
# that many files and items, each file checked field by field against
# $TRASH/plan.json (see t4/check.py spool).
spooled() {
	if check spool "$SPOOL" "$ZONE" "$TRASH/plan.json" "$2" "$3" ${4:+"$4"} \
		>"$TRASH/spool.txt"; then
		cat "$TRASH/spool.txt"
		grep -qx "$1" "$TRASH/spool.txt"
	else
		cat "$TRASH/spool.txt"
		return 1
	fi
}

spool_empty() {
	test -z "$(ls -A "$SPOOL" 2>/dev/null)"
}

# no_token: the API token is in no file of the test folder: no output
# kept, not the stand-in's log, no spool file. Call it while the spool
# is full.
no_token() {
	! grep -rlF -e "$TOKEN" "$TRASH"
}

# wait_log N: waits (3 s at most) until the stand-in logged N purge
# requests; a reply delayed on purpose is logged only when it is sent.
wait_log() {
	wait_i=0
	while [ "$(grep -c '/purge_cache"' "$TRASH/stub.log")" -lt "$1" ] &&
		[ $wait_i -lt 30 ]; do
		sleep 0.1
		wait_i=$((wait_i + 1))
	done
}

# seconds_below FILE LIMIT: the run's --json "seconds" is below LIMIT
# (plus $SLACK under a tool).
seconds_below() {
	check json "$1" 'j["seconds"] < float(limit) + float(slack)' \
		limit="$2" slack="$SLACK"
}

# --- The repository: commits changing 3, 30 and 65 served files ---------
git init -q "$REPO"
cd "$REPO" || exit 1
mkdir public
echo base >public/keep.html
commit_all base
C0=$(git rev-parse HEAD)
for n in 1 2 3; do echo "$n" >"public/p$n.html"; done
commit_all three
C1=$(git rev-parse HEAD)
n=1
while [ $n -le 30 ]; do echo "$n" >"public/f$(printf %02d $n).html"; n=$((n + 1)); done
commit_all thirty
C2=$(git rev-parse HEAD)
n=1
while [ $n -le 65 ]; do echo "$n" >"public/g$(printf %02d $n).html"; n=$((n + 1)); done
commit_all sixty-five
C3=$(git rev-parse HEAD)
THREE=$C0..$C1
THIRTY=$C1..$C2
THIRTY_THREE=$C0..$C2
SIXTY_FIVE=$C2..$C3

# --- Each scripted fault, met three times with retries = 1 --------------
# The 3-URL push tries twice, meeting the fault both times, so it spools
# its one batch and exits 1; `retry` meets the fault once more, retries,
# is confirmed, and empties the spool.

# with_fault STEP: the stand-in with a script of STEP three times.
with_fault() {
	printf '[%s, %s, %s]\n' "$1" "$1" "$1" >"$TRASH/script.json"
	fresh "$FAST
retries = 1
timeout = 0.5" --script "$TRASH/script.json"
}

# fault_cycle LAST_ERROR_RE: the checks described above; the spool file's
# last_error must match LAST_ERROR_RE.
fault_cycle() {
	plan "$THREE" &&
	run first --json range "$THREE" &&
	exited first 1 &&
	grep -F "cf-purge-hook: purged 0 of 3 items in 1 request (2 attempts)" "$TRASH/first.err" &&
	grep -F "cf-purge-hook: not purged yet: 3 items kept in '$SPOOL'; the next push sends them, or now: cf-purge-hook -C '$REPO/.git/' retry" "$TRASH/first.err" &&
	check json "$TRASH/first.out" '[(r["outcome"]["status"], r["outcome"]["attempts"], r["outcome"]["purged"]) for r in j["requests"]] == [("spooled", 2, 0)] and j["requests"][0]["outcome"]["errors"] and j["attempts"] == 2' &&
	spooled "1 files, 3 items" 2 "$1" "$TRASH/first.out" &&
	no_token &&
	run again --json retry &&
	exited again 0 &&
	grep -F "cf-purge-hook: resent 1 of 1 requests spooled by earlier runs" "$TRASH/again.err" &&
	check json "$TRASH/again.out" 'j["requests"] == [] and [(s["outcome"]["status"], s["outcome"]["attempts"]) for s in j["spooled_earlier"]] == [("purged", 2)]' &&
	spool_empty &&
	wait_log 4 &&
	check log "$TRASH/stub.log" 'len(P) == 4 and len([e for e in P if "fault" in e]) == 3' &&
	check received "$TRASH/stub.log" --plan "$TRASH/plan.json" &&
	no_token
}

with_fault '{"status": 429, "retry_after": 1}'
expect '429 with Retry-After: resent, spooled after the retries, retry empties the spool' '
	fault_cycle "^HTTP 429: error 971: "
'
expect '429 with Retry-After 1: each resend came at least 1 s after the 429' '
	check log "$TRASH/stub.log" "[e[\"status\"] for e in P] == [429, 429, 429, 200] and P[1][\"time\"] - P[0][\"time\"] >= 1 and P[3][\"time\"] - P[2][\"time\"] >= 1"
'

with_fault '{"status": 500}'
expect 'HTTP 500: resent, spooled after the retries, retry empties the spool' '
	fault_cycle "^HTTP 500: error 10001: Internal Server Error$"
'

with_fault '{"status": 502}'
expect 'HTTP 502 with an HTML body: resent, spooled after the retries, retry empties the spool' '
	fault_cycle "^HTTP 502\\b"
'

with_fault '{"status": 503}'
expect 'HTTP 503: resent, spooled after the retries, retry empties the spool' '
	fault_cycle "^HTTP 503: error 10001: Service Unavailable$"
'

with_fault '{"drop": true}'
expect 'a dropped connection: resent, spooled after the retries, retry empties the spool' '
	fault_cycle "^cannot reach .http://127\\.0\\.0\\.1:[0-9]+/client/v4/zones/$ZONE/purge_cache.: "
'

with_fault '{"delay_ms": 1500}'
expect 'a reply slower than timeout = 0.5: resent, spooled after the retries, retry empties the spool' '
	fault_cycle "^cannot reach .*timed out"
'
expect 'a reply slower than the timeout: the run gave up after 2 x 0.5 s, not 2 x 1.5 s' '
	seconds_below "$TRASH/first.out" 1.4
'

with_fault '{"non_json": true}'
expect 'HTTP 200 that is not JSON: not taken as success; resent, spooled, retry empties the spool' '
	fault_cycle "^HTTP 200\\b"
'

# --- Answers that refuse part of a batch ---------------------------------
fresh "$FAST" --refuse-item https://example.com/p2.html
expect 'success false for one item of a 3-URL batch: halved down to that item; the others arrive; it is reported with code and message; exit 1; nothing spooled' '
	plan "$THREE" &&
	run refused --json range "$THREE" &&
	exited refused 1 &&
	grep -Fx "cf-purge-hook: refused by Cloudflare: HTTP 400: error 1014: Invalid file: https://example.com/p2.html: https://example.com/p2.html" "$TRASH/refused.err" &&
	grep -F "cf-purge-hook: purged 2 of 3 items in " "$TRASH/refused.err" &&
	check json "$TRASH/refused.out" "[(r[\"outcome\"][\"status\"], r[\"outcome\"][\"purged\"], len(r[\"outcome\"][\"ids\"]), r[\"outcome\"][\"spool_files\"]) for r in j[\"requests\"]] == [(\"partial\", 2, 2, [])] and [re.search(\"error 1014: .*p2.html\", x) is not None for x in j[\"requests\"][0][\"outcome\"][\"refused\"]] == [True]" &&
	check received "$TRASH/stub.log" --plan "$TRASH/plan.json" --except https://example.com/p2.html &&
	check log "$TRASH/stub.log" "[e[\"body\"][\"files\"] for e in P if e[\"status\"] == 400][-1] == [\"https://example.com/p2.html\"]" &&
	spool_empty &&
	no_token
'

printf '[{"success_false": true, "http_status": 200, "code": 1234, "message": "Try fewer"}]\n' >"$TRASH/script.json"
fresh "$FAST" --script "$TRASH/script.json"
expect 'HTTP 200 with success false on a 3-URL batch: halved, both halves resent and accepted; exit 0' '
	plan "$THREE" &&
	run halved --json range "$THREE" &&
	exited halved 0 &&
	check log "$TRASH/stub.log" "len(P) == 3 and (P[0][\"status\"], P[0][\"success\"]) == (200, False) and sorted(P[1][\"body\"][\"files\"] + P[2][\"body\"][\"files\"]) == sorted(P[0][\"body\"][\"files\"]) and min(len(P[1][\"body\"][\"files\"]), len(P[2][\"body\"][\"files\"])) >= 1" &&
	check received "$TRASH/stub.log" --plan "$TRASH/plan.json" --once &&
	spool_empty
'

for status in 413 422; do
	printf '[{"status": %s}]\n' "$status" >"$TRASH/script.json"
	fresh "$FAST" --script "$TRASH/script.json"
	expect "HTTP $status on a 3-URL batch: halved, both halves resent and accepted; exit 0" '
		plan "$THREE" &&
		run halved --json range "$THREE" &&
		exited halved 0 &&
		grep -F "cf-purge-hook: purged 3 URLs in 1 request (3 attempts), " "$TRASH/halved.err" &&
		check log "$TRASH/stub.log" "[len(e[\"body\"][\"files\"]) for e in P] in ([3, 1, 2], [3, 2, 1])" &&
		check received "$TRASH/stub.log" --plan "$TRASH/plan.json" --once &&
		spool_empty
	'
done

fresh "$FAST
files_per_request = 30" --files-limit 7
expect 'a lower limit than configured (7 files, files_per_request = 30): each of 30 URLs arrives exactly once, in accepted requests of 7 or fewer; exit 0' '
	plan "$THIRTY" &&
	check json "$TRASH/plan.json" "[len(r[\"body\"][\"files\"]) for r in j[\"requests\"]] == [30]" &&
	run limit --json range "$THIRTY" &&
	exited limit 0 &&
	n=$(requests | wc -l) &&
	grep -F "cf-purge-hook: purged 30 URLs in 1 request ($n attempts), " "$TRASH/limit.err" &&
	check json "$TRASH/limit.out" "j[\"attempts\"] == int(n) and j[\"requests\"][0][\"outcome\"][\"attempts\"] == int(n)" n="$n" &&
	check received "$TRASH/stub.log" --plan "$TRASH/plan.json" --once &&
	check log "$TRASH/stub.log" "all(len(e[\"body\"][\"files\"]) <= 7 for e in P if e[\"status\"] == 200) and P[0][\"status\"] == 400" &&
	spool_empty
'

# --- No API at all, then the API comes back --------------------------------
# A stand-in started and stopped: its port is known to be free.
fresh "$FAST"
stop_stub
write_config "$TRASH/down.ini" "[cloudflare]
$FAST
retries = 1"
expect 'an API not listening: the first batch uses its retries, the second is kept without trying, exit 1, an early notice, the message names the command to resend' '
	plan "$THIRTY_THREE" &&
	run down --json -c "$TRASH/down.ini" range "$THIRTY_THREE" &&
	exited down 1 &&
	grep -F "cf-purge-hook: not sent: cannot reach '"'"'$API_URL/zones/$ZONE/purge_cache'"'"'" "$TRASH/down.err" &&
	grep -F "cf-purge-hook: not purged yet: 33 items kept in '"'"'$SPOOL'"'"'; the next push sends them, or now: cf-purge-hook -C '"'"'$REPO/.git/'"'"' -c '"'"'$TRASH/down.ini'"'"' retry" "$TRASH/down.err" &&
	check json "$TRASH/down.out" "[(r[\"outcome\"][\"status\"], r[\"outcome\"][\"attempts\"]) for r in j[\"requests\"]] == [(\"spooled\", 2), (\"spooled\", 0)]" &&
	grep -F "cf-purge-hook: Cloudflare is not answering as it should; retrying for up to" "$TRASH/down.err" &&
	spooled "2 files, 33 items" - "cannot reach .http://127\\.0\\.0\\.1:[0-9]+/client/v4/zones/$ZONE/purge_cache.: " "$TRASH/down.out" &&
	no_token
'

start_stub
write_config "$TRASH/down.ini" "[cloudflare]
$FAST
retries = 1"
expect 'the API back: the command the message named empties the spool and every URL arrives' '
	resend=$(sed -n "s/.*; the next push sends them, or now: cf-purge-hook //p" "$TRASH/down.err") &&
	test -n "$resend" &&
	eval "run up --json $resend" &&
	exited up 0 &&
	grep -F "cf-purge-hook: resent 2 of 2 requests spooled by earlier runs" "$TRASH/up.err" &&
	check json "$TRASH/up.out" "sorted(s[\"outcome\"][\"status\"] for s in j[\"spooled_earlier\"]) == [\"purged\", \"purged\"] and sorted(s[\"file\"] for s in j[\"spooled_earlier\"]) == sorted(f for r in json.load(open(down))[\"requests\"] for f in r[\"outcome\"][\"spool_files\"])" down="$TRASH/down.out" &&
	spool_empty &&
	check received "$TRASH/stub.log" --plan "$TRASH/plan.json" --once &&
	no_token
'

# --- No libcurl on the machine ------------------------------------------------
# libcurl is loaded only to send (purge/libcurl.c). nolibcurl.so, preloaded,
# makes that load fail as on a machine without the libcurl4 package; ASan
# must then be told that it is not the first library.
cc -shared -fPIC -o "$TRASH/nolibcurl.so" "$ROOT/tests/blackbox/t4/nolibcurl.c"
without_curl() {
	(export LD_PRELOAD="$TRASH/nolibcurl.so" \
		ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"; "$@")
}

fresh "$FAST"
expect 'without libcurl, a dry run and check need nothing from it: exit 0' '
	without_curl cfph -C "$REPO" --dry-run range "$THREE" >"$TRASH/nc-dry.out" &&
	grep -F "https://example.com/p1.html" "$TRASH/nc-dry.out" &&
	without_curl cfph -C "$REPO" check
'

expect 'without libcurl, a push sends nothing and spools its batch with the reason, exit 1; with libcurl back, retry sends it' '
	plan "$THREE" &&
	without_curl run nocurl --json range "$THREE" &&
	exited nocurl 1 &&
	grep -F "cf-purge-hook: cannot load libcurl ('"'"'libcurl.so.4'"'"'): " "$TRASH/nocurl.err" &&
	grep -F "cf-purge-hook: not purged yet: 3 items kept in '"'"'$SPOOL'"'"'" "$TRASH/nocurl.err" &&
	check log "$TRASH/stub.log" "len(L) == 0" &&
	spooled "1 files, 3 items" 0 "^cannot load libcurl [(].libcurl[.]so[.]4.[)]: .*cannot open shared object file" "$TRASH/nocurl.out" &&
	run back retry &&
	exited back 0 &&
	spool_empty &&
	check received "$TRASH/stub.log" --plan "$TRASH/plan.json" --once
'

fresh "$FAST"
expect 'without libcurl4 but with the GnuTLS build git depends on, a push is sent through it' '
	plan "$THREE" &&
	NOLIBCURL=libcurl.so.4 without_curl run gnutls --json range "$THREE" &&
	exited gnutls 0 &&
	spool_empty &&
	check received "$TRASH/stub.log" --plan "$TRASH/plan.json" --once
'

# --- Refused credentials ------------------------------------------------------
fresh "$FAST"
expect 'refused credentials (403) stop the sending: one request, all 3 batches of a 65-URL push spooled' '
	plan "$SIXTY_FIVE" "$TRASH/plan65.json" && cp "$TRASH/plan65.json" "$TRASH/plan.json" &&
	CF_API_TOKEN=$BAD_TOKEN run denied --json range "$SIXTY_FIVE" &&
	exited denied 1 &&
	grep -F "cf-purge-hook: not sent: Cloudflare refused the credentials or the zone: HTTP 403: error 10000: Authentication error" "$TRASH/denied.err" &&
	check log "$TRASH/stub.log" "[e[\"status\"] for e in L] == [403]" &&
	check json "$TRASH/denied.out" "[r[\"outcome\"][\"status\"] for r in j[\"requests\"]] == [\"spooled\"] * 3" &&
	spooled "3 files, 65 items" - "HTTP 403: error 10000: Authentication error" "$TRASH/denied.out" &&
	! grep -rlF -e "$BAD_TOKEN" "$TRASH" &&
	no_token
'

expect 'the next range run sends its own batch first, so an old entry cannot starve it, then the spool' '
	plan "$THREE" &&
	run after --json range "$THREE" &&
	exited after 0 &&
	grep -F "cf-purge-hook: resent 3 of 3 requests spooled by earlier runs" "$TRASH/after.err" &&
	check log "$TRASH/stub.log" "[e[\"status\"] for e in L] == [403, 200, 200, 200, 200] and L[1][\"body\"][\"files\"] == [\"https://example.com/p%d.html\" % n for n in (1, 2, 3)]" &&
	check received "$TRASH/stub.log" --plan "$TRASH/plan65.json" --plan "$TRASH/plan.json" --once &&
	spool_empty
'

printf '[{"status": 401}]\n' >"$TRASH/script.json"
fresh "$FAST" --script "$TRASH/script.json"
expect 'a 401 stops the sending too: one request, all 3 batches spooled' '
	plan "$SIXTY_FIVE" &&
	run unauthorized --json range "$SIXTY_FIVE" &&
	exited unauthorized 1 &&
	grep -F "cf-purge-hook: not sent: Cloudflare refused the credentials or the zone: HTTP 401" "$TRASH/unauthorized.err" &&
	check log "$TRASH/stub.log" "[e[\"status\"] for e in L] == [401]" &&
	spooled "3 files, 65 items" - "HTTP 401" "$TRASH/unauthorized.out" &&
	no_token
'

# --- The limits of retrying ---------------------------------------------------
printf '[{"status": 500, "repeat": 10}]\n' >"$TRASH/script.json"
fresh "backoff = 0.2
retries = 2" --script "$TRASH/script.json"
expect 'retries exhausted (500 ten times, retries = 2, backoff = 0.2): 3 attempts with growing waits, spooled with attempts 3 and last_error HTTP 500' '
	plan "$THREE" &&
	run exhausted --json range "$THREE" &&
	exited exhausted 1 &&
	check log "$TRASH/stub.log" "[e[\"status\"] for e in P] == [500, 500, 500] and P[1][\"time\"] - P[0][\"time\"] >= 0.1 and P[2][\"time\"] - P[1][\"time\"] >= 0.2" &&
	check json "$TRASH/exhausted.out" "[(r[\"outcome\"][\"status\"], r[\"outcome\"][\"attempts\"]) for r in j[\"requests\"]] == [(\"spooled\", 3)]" &&
	spooled "1 files, 3 items" 3 "^HTTP 500: error 10001: Internal Server Error$" "$TRASH/exhausted.out" &&
	ls "$SPOOL" >"$TRASH/spooled-first.name" &&
	cp "$SPOOL"/* "$TRASH/spooled-first.json" &&
	no_token
'

expect 'a retry that fails again rewrites its journal file in place, keeps first_planned and counts the attempts' '
	run again --json retry &&
	exited again 1 &&
	grep -F "cf-purge-hook: resent 0 of 1 requests spooled by earlier runs" "$TRASH/again.err" &&
	check log "$TRASH/stub.log" "[e[\"status\"] for e in P] == [500] * 6" &&
	spooled "1 files, 3 items" - "^HTTP 500: " "$TRASH/again.out" &&
	new=$(ls "$SPOOL") && old=$(cat "$TRASH/spooled-first.name") &&
	test "$new" = "$old" &&
	check json "$SPOOL/$new" "j[\"first_planned\"] == json.load(open(first))[\"first_planned\"] and j[\"attempts\"] > 3" first="$TRASH/spooled-first.json"
'

restart
expect 'retry then empties that spool, and the URLs arrive' '
	run emptied --json retry &&
	exited emptied 0 &&
	spool_empty &&
	check received "$TRASH/stub.log" --plan "$TRASH/plan.json"
'

fresh "$FAST
deadline = 1" --latency-ms 800
expect 'the deadline (deadline = 1, replies taking 0.8 s, 3 batches): the run stops at 1 s, not when the batch in flight is answered (1.6 s); it spools what was not confirmed and loses nothing' '
	plan "$SIXTY_FIVE" &&
	t0=$(date +%s.%N) &&
	run deadline --json range "$SIXTY_FIVE" &&
	t1=$(date +%s.%N) &&
	exited deadline 1 &&
	awk "BEGIN { exit !($t1 - $t0 < 1.5 + $SLACK) }" &&
	seconds_below "$TRASH/deadline.out" 1.15 &&
	grep -F "cf-purge-hook: not sent: the run'"'"'s deadline passed" "$TRASH/deadline.err" &&
	check json "$TRASH/deadline.out" "set(r[\"outcome\"][\"status\"] for r in j[\"requests\"]) <= {\"purged\", \"spooled\"} and \"spooled\" in [r[\"outcome\"][\"status\"] for r in j[\"requests\"]]" &&
	spooled "[1-3] files, [0-9]* items" - "deadline|timed out" "$TRASH/deadline.out" &&
	check covered "$TRASH/plan.json" "$SPOOL" "$TRASH/stub.log" &&
	no_token
'

# Wait for the reply the deadline cut short, then keep the log.
wait_log 2
cp "$TRASH/stub.log" "$TRASH/deadline.log"
restart
expect 'after the deadline, retry sends the rest: every URL of the push was accepted' '
	run rest --json retry &&
	exited rest 0 &&
	grep "cf-purge-hook: resent \([0-9]\) of \1 requests spooled by earlier runs" "$TRASH/rest.err" &&
	spool_empty &&
	check received "$TRASH/deadline.log" "$TRASH/stub.log" --plan "$TRASH/plan.json"
'

# --- Other ways of sending ------------------------------------------------------
fresh "$FAST
mode = invalidate"
expect 'mode = invalidate posts to /zones/ID/invalidate_cache and never to purge_cache' '
	plan "$THREE" &&
	run inval --json range "$THREE" &&
	exited inval 0 &&
	grep -F "cf-purge-hook: purged 3 URLs in 1 request, " "$TRASH/inval.err" &&
	check log "$TRASH/stub.log" "[(e[\"method\"], e[\"path\"]) for e in L] == [(\"POST\", \"/client/v4/zones/\" + zone + \"/invalidate_cache\")]" zone="$ZONE" &&
	check received "$TRASH/stub.log" --plan "$TRASH/plan.json" --once
'

fresh "$FAST
[site]
variant = Accept-Encoding: br; X-Device: mobile
variant = Accept-Language: fr"
expect '[site] variant: each URL is sent plain (as {url}: no mixed arrays) and once per variant with its headers' '
	plan "$THREE" &&
	check json "$TRASH/plan.json" "sorted(json.dumps(i, sort_keys=True) for r in j[\"requests\"] for i in r[\"body\"][\"files\"]) == sorted(json.dumps(x, sort_keys=True) for u in [\"https://example.com/p%d.html\" % n for n in (1, 2, 3)] for x in ({\"url\": u}, {\"url\": u, \"headers\": {\"Accept-Encoding\": \"br\", \"X-Device\": \"mobile\"}}, {\"url\": u, \"headers\": {\"Accept-Language\": \"fr\"}}))" &&
	run variant --json range "$THREE" &&
	exited variant 0 &&
	check received "$TRASH/stub.log" --plan "$TRASH/plan.json" --once
'

fresh "$FAST
zone_name = example.com" --zone-name "example.com=$ZONE2"
sed -i '/^zone_id = /d' "$CONFIG"
expect 'zone_name = example.com: GET /zones?name=example.com, then the purge goes to the zone id found' '
	plan "$THREE" &&
	run zname --json range "$THREE" &&
	exited zname 0 &&
	check log "$TRASH/stub.log" "[(e[\"method\"], e[\"path\"], e[\"query\"]) for e in L] == [(\"GET\", \"/client/v4/zones\", \"name=example.com\"), (\"POST\", \"/client/v4/zones/\" + zone + \"/purge_cache\", \"\")]" zone="$ZONE2" &&
	check received "$TRASH/stub.log" --plan "$TRASH/plan.json" --once
'

expect 'check --online with zone_name: the token is verified and the zone looked up by name' '
	clear_log &&
	run online check --online &&
	exited online 0 &&
	grep "the credentials and the zone work$" "$TRASH/online.err" "$TRASH/online.out" &&
	check log "$TRASH/stub.log" "sorted((e[\"method\"], e[\"path\"], e[\"query\"]) for e in L) == [(\"GET\", \"/client/v4/user/tokens/verify\", \"\"), (\"GET\", \"/client/v4/zones\", \"name=example.com\")]"
'

# --- check --online -------------------------------------------------------------
fresh "$FAST"
expect 'check --online with a good token: exit 0, the credentials and the zone work, nothing purged' '
	run online check --online &&
	exited online 0 &&
	grep "the credentials and the zone work$" "$TRASH/online.err" "$TRASH/online.out" &&
	check log "$TRASH/stub.log" "sorted((e[\"method\"], e[\"path\"]) for e in L) == [(\"GET\", \"/client/v4/user/tokens/verify\"), (\"GET\", \"/client/v4/zones/\" + zone)]" zone="$ZONE" &&
	no_token
'

expect 'check --online with a bad token: exit 1, the token and the zone each reported' '
	clear_log &&
	CF_API_TOKEN=$BAD_TOKEN run offline check --online &&
	exited offline 1 &&
	grep -F "cf-purge-hook: the API token: HTTP 401: error 1000: Invalid API Token" "$TRASH/offline.err" &&
	grep -F "cf-purge-hook: zone $ZONE: HTTP 403: error 10000: Authentication error" "$TRASH/offline.err" &&
	! grep "work$" "$TRASH/offline.err" "$TRASH/offline.out" &&
	check log "$TRASH/stub.log" "all(e[\"method\"] == \"GET\" and not e[\"auth_ok\"] for e in L) and len(L) == 2" &&
	! grep -rlF -e "$BAD_TOKEN" "$TRASH"
'

# --- Two retries at once ------------------------------------------------------
fresh "$FAST
retries = 1"
stop_stub
expect 'concurrent retries, setup: a 65-URL push with no API spools 3 batches' '
	plan "$SIXTY_FIVE" &&
	run down65 --json range "$SIXTY_FIVE" &&
	exited down65 1 &&
	spooled "3 files, 65 items" - "cannot reach " "$TRASH/down65.out"
'

restart --latency-ms 300
expect 'two retry runs at once on the same spool: each batch is sent exactly once, the spool ends empty' '
	{ run r1 --json retry & p1=$!; run r2 --json retry & p2=$!; wait $p1 $p2; } &&
	exited r1 0 && exited r2 0 &&
	spool_empty &&
	check log "$TRASH/stub.log" "len(P) == 3" &&
	check received "$TRASH/stub.log" --plan "$TRASH/plan.json" --once &&
	"$PY" -c "import json, sys; n = sum(len(json.load(open(f))[\"spooled_earlier\"]) for f in sys.argv[1:]); sys.exit(n != 3)" "$TRASH/r1.out" "$TRASH/r2.out"
'

# --- One connection ---------------------------------------------------------------
fresh "$FAST"
expect 'a 65-URL push without faults: 3 requests on one connection, each URL once' '
	plan "$SIXTY_FIVE" &&
	run many --json range "$SIXTY_FIVE" &&
	exited many 0 &&
	grep -F "cf-purge-hook: purged 65 URLs in 3 requests, " "$TRASH/many.err" &&
	check log "$TRASH/stub.log" "len(P) == 3" &&
	test "$(requests --connections)" = 1 &&
	check received "$TRASH/stub.log" --plan "$TRASH/plan.json" --once
'

expect 'the token appears in no output, log or spool file left by any case' '
	no_token
'

finish
