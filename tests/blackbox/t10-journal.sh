#!/bin/sh
# t10-journal.sh: the spool is a journal the program owns. A batch is on
# disk before its first attempt, so a kill at any moment loses nothing and
# `retry` then delivers every item; a push whose purge cannot be planned is
# kept; files in the spool that the program did not write are moved aside,
# never sent, and never block the rest; a large spool is resent in merged
# requests within a small descriptor limit.

. "$(dirname "$0")/lib.sh"
REPO=$TRASH/repo
SPOOL=$REPO/.git/cf-purge-hook-spool
CONFIG=$REPO/.git/cf-purge-hook.ini
ZONE2=0123456789abcdef0123456789abcdef
PY=$(python3 -c 'import sys; print(sys.executable)')
FAST='backoff = 0.01'

# plan RANGE: the dry run's JSON plan of RANGE, in $TRASH/plan.json.
plan() {
	cfph --dry-run --json range "$1" >"$TRASH/plan.json"
}

spool_files() {
	ls "$SPOOL" 2>/dev/null | grep -c '\.json$' || true
}

# wait_requests N: waits (5 s at most) for N purge requests in the log.
wait_requests() {
	wait_i=0
	while [ "$(grep -c '/purge_cache"' "$TRASH/stub.log")" -lt "$1" ] &&
		[ $wait_i -lt 50 ]; do
		sleep 0.1
		wait_i=$((wait_i + 1))
	done
	[ "$(grep -c '/purge_cache"' "$TRASH/stub.log")" -ge "$1" ]
}

git init -q "$REPO"
cd "$REPO" || exit 1
mkdir public
echo base >public/keep.html
commit_all base
C0=$(git rev-parse HEAD)
n=1
while [ $n -le 65 ]; do echo "$n" >"public/g$(printf %02d $n).html"; n=$((n + 1)); done
commit_all sixty-five
C1=$(git rev-parse HEAD)
RANGE=$C0..$C1

# --- Kills ----------------------------------------------------------------
printf '[{"status": 502, "repeat": 50}]\n' >"$TRASH/script.json"
fresh "backoff = 3
retries = 5" --script "$TRASH/script.json"
expect 'kill -9 during the backoff after a 502: the journal holds all 3 batches; retry then delivers every URL once' '
	plan "$RANGE" &&
	{ $CFPH_WRAP "$CFPH" range "$RANGE" >/dev/null 2>&1 & pid=$!; } &&
	wait_requests 1 && kill -9 $pid && { wait $pid || true; } &&
	test "$(spool_files)" = 3 &&
	check spool "$SPOOL" "$ZONE" "$TRASH/plan.json" - ".*" >/dev/null &&
	cp "$TRASH/stub.log" "$TRASH/killed.log"
'
start_stub
write_config "$CONFIG" "[cloudflare]
$FAST"
expect 'kill -9 during the backoff: retry empties the spool and every planned URL arrives exactly once' '
	cfph retry 2>"$TRASH/retry.err" &&
	test "$(spool_files)" = 0 &&
	check received "$TRASH/stub.log" --plan "$TRASH/plan.json" --once
'

printf '[{"status": 502, "repeat": 50}]\n' >"$TRASH/script.json"
fresh "backoff = 5
retries = 5" --script "$TRASH/script.json"
# "At once": within 2 s (whole seconds), 6 under valgrind, whose exit
# (the leak check) takes seconds of its own, more with two suites at once
# (4 s failed twice in .ci/run's valgrind step, never alone); a run that
# did not stop would go on through 5 retries of at least 3 s each.
expect 'SIGTERM during the backoff: the run stops at once, says so, exits 1, and keeps every batch' '
	{ $CFPH_WRAP "$CFPH" --json range "$RANGE" >"$TRASH/term.out" 2>"$TRASH/term.err" & pid=$!; } &&
	wait_requests 1 && start=$(date +%s) && kill -TERM $pid &&
	code wait $pid && took=$(( $(date +%s) - start )) &&
	cat "$TRASH/term.err" && echo "exit $CODE after $took s" &&
	test "$CODE" = 1 &&
	limit=2 && { [ -z "$CFPH_WRAP" ] || limit=6; } &&
	test "$took" -le $limit &&
	grep -F "cf-purge-hook: interrupted by a signal" "$TRASH/term.err" &&
	test "$(spool_files)" = 3
'
start_stub
write_config "$CONFIG" "[cloudflare]
$FAST"
expect 'after SIGTERM, retry delivers every URL exactly once' '
	cfph retry 2>"$TRASH/retry.err" &&
	test "$(spool_files)" = 0 &&
	check received "$TRASH/stub.log" --plan "$TRASH/plan.json" --once
'

# The moment between a push's journal and letting go of its kept copy, made
# by hand: the spool holds the push's batches (a run with the API down)
# and the push is kept again. retry plans the push anew and sends it; the
# backlog's copies of the same URLs are not sent a second time, and their
# files go.
expect 'a push both kept and in the spool (killed between the two): retry sends each URL once and empties both' '
	rm -rf "$SPOOL" "$REPO/.git/cf-purge-hook-pushes" &&
	stop_stub &&
	API_URL=http://127.0.0.1:9/client/v4 write_config "$CONFIG" "[cloudflare]
retries = 0" &&
	code sh -c "echo \"$C0 $C1 refs/heads/main\" | GIT_DIR=\"$REPO/.git\" $CFPH_WRAP \"$CFPH\" hook" 2>/dev/null &&
	test "$(spool_files)" = 3 &&
	test -z "$(ls "$REPO/.git/cf-purge-hook-pushes" | grep push || true)" &&
	echo "$C0 $C1 refs/heads/main" >"$REPO/.git/cf-purge-hook-pushes/1700000000.000000000-1-1.push" &&
	plan "$RANGE" &&
	start_stub &&
	write_config "$CONFIG" "[cloudflare]
$FAST" &&
	cfph retry 2>"$TRASH/retry.err" &&
	test "$(spool_files)" = 0 &&
	test -z "$(ls "$REPO/.git/cf-purge-hook-pushes" | grep push || true)" &&
	check received "$TRASH/stub.log" --plan "$TRASH/plan.json" --once &&
	grep -F "cf-purge-hook: 65 items spooled by earlier runs were purged by this run'"'"'s own requests" "$TRASH/retry.err"
'

# The kills at every stage of a hook run, at 24 moments and more, are in
# slow/t10-kills.sh (make test-all).

# --- Kept pushes ----------------------------------------------------------
BARE=$TRASH/kept.git
git init -q --bare "$BARE"
ln -s "$CFPH" "$BARE/hooks/post-receive"
start_stub
expect 'a push with a broken config is kept; once the config is fixed, retry purges exactly that push' '
	printf "[cloudflare]\nzone_idd = x\n" >"$BARE/cf-purge-hook.ini" &&
	git push -q "$BARE" "$C0:refs/heads/main" 2>/dev/null &&
	git push "$BARE" "$C1:refs/heads/main" 2>"$TRASH/push.err" &&
	grep -F "remote: cf-purge-hook: the push is kept in" "$TRASH/push.err" &&
	test "$(ls "$BARE/cf-purge-hook-pushes" | grep -c push)" -ge 1 &&
	write_config "$BARE/cf-purge-hook.ini" "[cloudflare]
$FAST" &&
	clear_log &&
	cfph -C "$BARE" retry 2>"$TRASH/kept-retry.err" &&
	grep -F "purging a push kept by an earlier run" "$TRASH/kept-retry.err" &&
	test -z "$(ls "$BARE/cf-purge-hook-pushes" | grep push || true)" &&
	check received "$TRASH/stub.log" --plan "$TRASH/plan.json" --once
'

expect 'a kept push naming a commit that is not in the repository is moved aside with a message, and does not block the next run' '
	printf "%s %s refs/heads/main\n" 1111111111111111111111111111111111111111 2222222222222222222222222222222222222222 >"$BARE/cf-purge-hook-pushes/1.push" &&
	cfph -C "$BARE" retry 2>"$TRASH/bad-kept.err" &&
	grep -F "is not a push this program kept: a commit it names is not in the repository; moved it to" "$TRASH/bad-kept.err" &&
	test -e "$BARE/cf-purge-hook-pushes/rejected/1.push"
'

# --- Files the program did not write ------------------------------------------
fresh "$FAST"
expect 'foreign spool files (a zone path, an unknown zone, a FIFO, a link to /dev/zero, extra keys) are moved aside, never sent, and the good one goes out' '
	mkdir -p "$SPOOL" &&
	printf "{\"version\": 1, \"zone_id\": \"../../../somewhere/else?x=\", \"body\": {\"purge_everything\": true}, \"first_planned\": \"2026-01-01T00:00:00Z\", \"attempts\": 0, \"last_error\": null}" >"$SPOOL/1.json" &&
	printf "{\"version\": 1, \"zone_id\": \"ffffffffffffffffffffffffffffffff\", \"body\": {\"purge_everything\": true}, \"first_planned\": \"2026-01-01T00:00:00Z\", \"attempts\": 0, \"last_error\": null}" >"$SPOOL/2.json" &&
	mkfifo "$SPOOL/3.json" &&
	ln -s /dev/zero "$SPOOL/4.json" &&
	printf "{\"version\": 1, \"zone_id\": \"$ZONE\", \"body\": {\"files\": [\"https://example.com/x\"]}, \"evil\": 1, \"first_planned\": \"2026-01-01T00:00:00Z\", \"attempts\": 0, \"last_error\": null}" >"$SPOOL/5.json" &&
	printf "{\"version\": 1, \"zone_id\": \"$ZONE\", \"body\": {\"files\": [\"https://example.com/good.html\"]}, \"first_planned\": \"2026-01-01T00:00:00Z\", \"attempts\": 0, \"last_error\": null}" >"$SPOOL/6.json" &&
	code timeout 20 "$CFPH" retry 2>"$TRASH/foreign.err" && test "$CODE" = 1 &&
	for f in 1 2 3 4 5; do grep -F "$SPOOL/$f.json" "$TRASH/foreign.err" >/dev/null || exit 1; test -e "$SPOOL/rejected/$f.json" || test -L "$SPOOL/rejected/$f.json" || exit 1; done &&
	check log "$TRASH/stub.log" "len(P) == 1 and P[0][\"body\"] == {\"files\": [\"https://example.com/good.html\"]} and all(\"$ZONE\" in e[\"path\"] for e in L)" &&
	test "$(spool_files)" = 0
'

expect 'a spool file owned by another user is moved aside, never sent' '
	id nobody >/dev/null 2>&1 && test "$(id -u)" = 0 || { echo "skip: needs root and the user nobody"; exit 0; }
	printf "{\"version\": 1, \"zone_id\": \"$ZONE\", \"body\": {\"purge_everything\": true}, \"first_planned\": \"2026-01-01T00:00:00Z\", \"attempts\": 0, \"last_error\": null}" >"$SPOOL/7.json" &&
	chown nobody "$SPOOL/7.json" && clear_log &&
	code "$CFPH" retry 2>"$TRASH/nobody.err" && test "$CODE" = 1 &&
	grep -F "it belongs to another user" "$TRASH/nobody.err" &&
	test -e "$SPOOL/rejected/7.json" &&
	check log "$TRASH/stub.log" "len(P) == 0"
'

expect 'a spool folder that any user may write is refused with the fix, and the purge still goes out' '
	mkdir -p "$TRASH/ww" && chmod 777 "$TRASH/ww" && clear_log &&
	write_config "$CONFIG" "[cloudflare]
$FAST
spool_dir = $TRASH/ww" &&
	code cfph range "$RANGE" 2>"$TRASH/ww.err" && test "$CODE" = 1 &&
	grep -F "may be written by any user" "$TRASH/ww.err" &&
	grep -F "chmod o-w" "$TRASH/ww.err" &&
	check received "$TRASH/stub.log" --plan "$TRASH/plan.json" --once
'

# --- Relative spool_dir ---------------------------------------------------------
stop_stub
expect 'a relative spool_dir is taken from the git directory: the hook and a retry run from elsewhere find the same files' '
	write_config "$CONFIG" "[cloudflare]
$FAST
retries = 0
spool_dir = rel-spool" &&
	code cfph range "$RANGE" 2>"$TRASH/rel.err" && test "$CODE" = 1 &&
	test "$(ls "$REPO/.git/rel-spool" | grep -c json)" = 3 &&
	grep -F "$REPO/.git/rel-spool" "$TRASH/rel.err" &&
	start_stub && write_config "$CONFIG" "[cloudflare]
$FAST
spool_dir = rel-spool" &&
	(cd / && "$CFPH" -C "$REPO" retry 2>"$TRASH/rel2.err") &&
	test "$(ls "$REPO/.git/rel-spool" | grep -c json || true)" = 0
'

# --- A stale zone, and a spool larger than the descriptor limit -----------------
fresh "$FAST"
expect 'a spooled request refused (403) for one zone blocks neither the push own batches nor the other zone' '
	write_config "$CONFIG" "[cloudflare]
$FAST
[zone \"static.example.net\"]
zone_id = $ZONE2" &&
	mkdir -p "$SPOOL" &&
	printf "{\"version\": 1, \"zone_id\": \"$ZONE2\", \"body\": {\"files\": [\"https://static.example.net/a.css\"]}, \"first_planned\": \"2026-01-01T00:00:00Z\", \"attempts\": 0, \"last_error\": null}" >"$SPOOL/0001.json" &&
	printf "{\"version\": 1, \"zone_id\": \"$ZONE\", \"body\": {\"files\": [\"https://example.com/old.html\"]}, \"first_planned\": \"2026-01-01T00:00:00Z\", \"attempts\": 0, \"last_error\": null}" >"$SPOOL/0002.json" &&
	plan "$RANGE" &&
	code cfph --json range "$RANGE" >"$TRASH/stale.out" 2>"$TRASH/stale.err" && test "$CODE" = 1 &&
	check json "$TRASH/stale.out" "[r[\"outcome\"][\"status\"] for r in j[\"requests\"]] == [\"purged\"] * 3" &&
	check log "$TRASH/stub.log" "any(e[\"body\"] == {\"files\": [\"https://example.com/old.html\"]} and e[\"status\"] == 200 for e in P)" &&
	test "$(spool_files)" = 1 && grep -F "$ZONE2" "$SPOOL"/*.json
'

# --- A stop leaves the backlog as it is ------------------------------------
# backlog_stat: the name, inode and modification time (to the nanosecond)
# of each of the four backlog files the next case writes.
backlog_stat() {
	stat -c '%n %i %y' "$SPOOL"/000[1-4].json
}

printf '[{"status": 401, "code": 10000, "message": "Invalid API Token"}]\n' >"$TRASH/script.json"
fresh "$FAST" --script "$TRASH/script.json"
expect 'after a 401 stops the run, the backlog it did not attempt is left as it was (same inode and mtime, no merge), is reported kept, and goes out with the next retry' '
	mkdir -p "$SPOOL" &&
	for n in 1 2 3; do printf "{\"version\": 1, \"zone_id\": \"$ZONE\", \"body\": {\"files\": [\"https://example.com/backlog$n.html\"]}, \"first_planned\": \"2026-01-01T00:00:00Z\", \"attempts\": 1, \"last_error\": \"x\"}" >"$SPOOL/000$n.json"; done &&
	printf "{\"version\": 1, \"zone_id\": \"$ZONE\", \"body\": {\"tags\": [\"backlog\"]}, \"first_planned\": \"2026-01-01T00:00:00Z\", \"attempts\": 1, \"last_error\": \"x\"}" >"$SPOOL/0004.json" &&
	backlog_stat >"$TRASH/backlog.before" && sleep 0.02 &&
	code cfph --json range "$RANGE" >"$TRASH/stop.out" 2>"$TRASH/stop.err" &&
	cat "$TRASH/stop.err" && test "$CODE" = 1 &&
	backlog_stat >"$TRASH/backlog.after" &&
	diff "$TRASH/backlog.before" "$TRASH/backlog.after" &&
	check log "$TRASH/stub.log" "len(P) == 1 and P[0][\"status\"] == 401" &&
	check json "$TRASH/stop.out" "j[\"earlier_runs\"][\"kept\"] == 4 and j[\"earlier_runs\"][\"attempts\"] == 0 and [r[\"outcome\"][\"status\"] for r in j[\"spooled_earlier\"]] == [\"spooled\"] * 2 and sorted(f for r in j[\"spooled_earlier\"] for f in r[\"outcome\"][\"spool_files\"]) == [d + \"/000%d.json\" % n for n in (1, 2, 3, 4)]" d="$SPOOL" &&
	grep -F "cf-purge-hook: not purged yet: 69 items kept in" "$TRASH/stop.err" &&
	start_stub && write_config "$CONFIG" "[cloudflare]
$FAST" &&
	cfph retry 2>"$TRASH/stop-retry.err" &&
	test "$(spool_files)" = 0 &&
	check log "$TRASH/stub.log" "sorted(i for e in P if e[\"status\"] == 200 for k in (\"files\", \"tags\") for i in e[\"body\"].get(k, [])) == sorted([\"backlog\"] + [\"https://example.com/backlog%d.html\" % n for n in (1, 2, 3)] + [\"https://example.com/g%02d.html\" % n for n in range(1, 66)])"
'

fresh "$FAST"
expect '1,100 spool files under ulimit -n 200: retry merges them into 37 requests, every URL once, the spool ends empty' '
	mkdir -p "$SPOOL" &&
	"$PY" -c "
import json, sys
for i in range(1100):
    with open(sys.argv[1] + \"/%05d.json\" % i, \"w\") as f:
        json.dump({\"version\": 1, \"zone_id\": sys.argv[2], \"body\": {\"files\": [\"https://example.com/s%d.html\" % i]}, \"first_planned\": \"2026-01-01T00:00:00Z\", \"attempts\": 1, \"last_error\": \"x\"}, f)
" "$SPOOL" "$ZONE" &&
	(ulimit -n 200 && "$CFPH" retry 2>"$TRASH/big.err") &&
	test "$(spool_files)" = 0 &&
	check log "$TRASH/stub.log" "len(P) == 37 and sorted(u for e in P for u in e[\"body\"][\"files\"]) == sorted(\"https://example.com/s%d.html\" % i for i in range(1100))"
'

# spool_1100: 1,100 spool files of one URL each, as 1,100 pushes kept
# while the API was down would leave them.
spool_1100() {
	mkdir -p "$SPOOL" &&
	"$PY" -c "
import json, sys
for i in range(1100):
    with open(sys.argv[1] + \"/%05d.json\" % i, \"w\") as f:
        json.dump({\"version\": 1, \"zone_id\": sys.argv[2], \"body\": {\"files\": [\"https://example.com/s%d.html\" % i]}, \"first_planned\": \"2026-01-01T00:00:00Z\", \"attempts\": 1, \"last_error\": \"x\"}, f)
" "$SPOOL" "$ZONE"
}

# Cloudflare takes 30 URLs a request: 1,100 URLs need 37 requests, whatever
# the limit of open files (66 leaves a few dozen free; 24 fewer than 30).
for lim in 66 24; do
fresh "$FAST"
expect "1,100 spool files under ulimit -n $lim: retry still merges them into 37 requests, every URL once, the spool ends empty" '
	spool_1100 &&
	(ulimit -n '$lim' && "$CFPH" retry 2>"$TRASH/low.err") &&
	cat "$TRASH/low.err" &&
	grep -F "resent 37 of 37 requests spooled by earlier runs: 1100 of 1100 items purged" "$TRASH/low.err" &&
	test "$(spool_files)" = 0 &&
	check log "$TRASH/stub.log" "len(P) == 37 and sorted(u for e in P for u in e[\"body\"][\"files\"]) == sorted(\"https://example.com/s%d.html\" % i for i in range(1100))"
'
done

printf '[{"status": 401, "code": 10000, "message": "Invalid API Token"}]\n' >"$TRASH/script.json"
fresh "$FAST" --script "$TRASH/script.json"
expect '1,100 spool files under ulimit -n 24 and a 401: one request is tried, nothing is lost, and the files after it stay as they were' '
	spool_1100 && ls "$SPOOL" >"$TRASH/names.before" &&
	code sh -c "ulimit -n 24 && exec \"\$1\" retry" sh "$CFPH" 2>"$TRASH/low401.err" &&
	cat "$TRASH/low401.err" && test "$CODE" = 1 &&
	check log "$TRASH/stub.log" "len(P) == 1 and len(P[0][\"body\"][\"files\"]) == 30" &&
	ls "$SPOOL" | grep "\.json\$" >"$TRASH/names.after" &&
	test "$(grep -c "^0" "$TRASH/names.after")" = 1070 &&
	test "$(sed -n 1p "$TRASH/names.after" | cut -c1-5)" = 00030 &&
	cat "$SPOOL"/*.json | "$PY" -c "
import json, sys
text = sys.stdin.read()
urls = set()
dec = json.JSONDecoder()
i = 0
while i < len(text):
    while i < len(text) and text[i].isspace():
        i += 1
    if i == len(text):
        break
    o, i = dec.raw_decode(text, i)
    urls.update(o[\"body\"][\"files\"])
assert urls == set(\"https://example.com/s%d.html\" % i for i in range(1100)), len(urls)
"
'

fresh "$FAST" --zone-name "example.com=$ZONE"
expect 'a batch spooled with only a zone name goes out once the config names the zone by id: the name is looked up' '
	mkdir -p "$SPOOL" &&
	printf "{\"version\": 1, \"zone_id\": null, \"zone_name\": \"example.com\", \"body\": {\"files\": [\"https://example.com/by-name.html\"]}, \"first_planned\": \"2026-01-01T00:00:00Z\", \"attempts\": 2, \"last_error\": \"x\"}" >"$SPOOL/0001.json" &&
	{ cfph retry 2>"$TRASH/byname.err"; code=$?; cat "$TRASH/byname.err"; test $code = 0; } &&
	check log "$TRASH/stub.log" "[e[\"method\"] for e in L] == [\"GET\", \"POST\"] and \"name=example.com\" in L[0][\"query\"] and P[0][\"body\"] == {\"files\": [\"https://example.com/by-name.html\"]} and \"$ZONE\" in P[0][\"path\"]" &&
	test "$(spool_files)" = 0
'

fresh "$FAST" --zone-name "example.com=$ZONE" --zone-name "other.example=$ZONE2"
expect 'a spool file naming only a zone that the config does not name is moved aside: the token is never sent to it' '
	mkdir -p "$SPOOL" &&
	printf "{\"version\": 1, \"zone_id\": null, \"zone_name\": \"other.example\", \"body\": {\"purge_everything\": true}, \"first_planned\": \"2026-01-01T00:00:00Z\", \"attempts\": 0, \"last_error\": null}" >"$SPOOL/0001.json" &&
	code cfph retry 2>"$TRASH/other.err" && cat "$TRASH/other.err" && test "$CODE" = 1 &&
	grep -F "is not sent: zone '"'"'other.example'"'"' is $ZONE2, which the configuration does not name; moved it to" "$TRASH/other.err" &&
	test -e "$SPOOL/rejected/0001.json" &&
	check log "$TRASH/stub.log" "len(P) == 0"
'

fresh "$FAST"
BARE3=$TRASH/opts.git
expect 'a push kept with purge=everything is purged whole by retry, as its pusher asked' '
	rm -rf "$BARE3" && git init -q --bare "$BARE3" &&
	ln -s "$CFPH" "$BARE3/hooks/post-receive" &&
	git -C "$BARE3" config receive.advertisePushOptions true &&
	write_config "$BARE3/cf-purge-hook.ini" "[cloudflare]
$FAST
[hook]
lock_timeout = 1" &&
	git push -q "$BARE3" "$C0:refs/heads/main" 2>/dev/null && clear_log &&
	lock_file "$BARE3/cf-purge-hook.lock" &&
	git push -o purge=everything "$BARE3" "$C1:refs/heads/main" 2>"$TRASH/opt.err" &&
	grep "remote: cf-purge-hook: the push is kept in" "$TRASH/opt.err" &&
	unlock_file &&
	cfph -C "$BARE3" retry 2>"$TRASH/opt-retry.err" &&
	cat "$TRASH/opt-retry.err" &&
	grep "purging a push kept by an earlier run .*: everything, as its push option asked" "$TRASH/opt-retry.err" &&
	check log "$TRASH/stub.log" "[e[\"body\"] for e in P] == [{\"purge_everything\": True}]"
'

expect 'a hook run with --dry-run keeps no push' '
	rm -rf "$REPO/.git/cf-purge-hook-pushes" &&
	echo "$C0 $C1 refs/heads/main" | GIT_DIR="$REPO/.git" "$CFPH" --dry-run hook >/dev/null 2>&1 &&
	test -z "$(ls "$REPO/.git/cf-purge-hook-pushes" 2>/dev/null | grep push || true)"
'

expect 'a spool that cannot be written: the purge is still sent, and the push itself stays kept until it is' '
	rm -rf "$BARE3" && git init -q --bare "$BARE3" &&
	ln -s "$CFPH" "$BARE3/hooks/post-receive" &&
	API_URL=http://127.0.0.1:9/client/v4 write_config "$BARE3/cf-purge-hook.ini" "[cloudflare]
$FAST
retries = 0
spool_dir = /proc/no-such-spool" &&
	git push -q "$BARE3" "$C0:refs/heads/main" 2>/dev/null &&
	git push "$BARE3" "$C1:refs/heads/main" 2>"$TRASH/nospool.err" &&
	cat "$TRASH/nospool.err" &&
	grep "remote: cf-purge-hook: not purged yet: 65 items not sent and not in the spool; the push itself is kept" "$TRASH/nospool.err" &&
	! grep "NOT PURGED" "$TRASH/nospool.err" &&
	grep "remote: cf-purge-hook: the push is kept in" "$TRASH/nospool.err" &&
	test "$(ls "$BARE3/cf-purge-hook-pushes" | grep -c "\.push$")" = 1 &&
	write_config "$BARE3/cf-purge-hook.ini" "[cloudflare]
$FAST" && clear_log &&
	cfph -C "$BARE3" retry 2>"$TRASH/nospool-retry.err" &&
	check received "$TRASH/stub.log" --plan "$TRASH/plan.json" --once &&
	test -z "$(ls "$BARE3/cf-purge-hook-pushes" | grep push || true)"
'

fresh "$FAST
[hook]
lock_timeout = 1"
expect 'retry takes the hook lock: while a push holds it, retry sends nothing, says why and exits 1' '
	mkdir -p "$SPOOL" &&
	printf "{\"version\": 1, \"zone_id\": \"$ZONE\", \"body\": {\"files\": [\"https://example.com/held.html\"]}, \"first_planned\": \"2026-01-01T00:00:00Z\", \"attempts\": 0, \"last_error\": null}" >"$SPOOL/0001.json" &&
	lock_file "$REPO/.git/cf-purge-hook.lock" &&
	code cfph retry 2>"$TRASH/held.err" && cat "$TRASH/held.err" && test "$CODE" = 1 &&
	grep "another run still holds the lock" "$TRASH/held.err" &&
	check log "$TRASH/stub.log" "len(P) == 0" &&
	unlock_file &&
	cfph retry 2>/dev/null &&
	check log "$TRASH/stub.log" "len(P) == 1" && test "$(spool_files)" = 0
'

expect 'a spool that cannot be written, the API up: the purge goes out and the kept push goes too, so nothing is sent twice' '
	rm -rf "$BARE3" && git init -q --bare "$BARE3" &&
	ln -s "$CFPH" "$BARE3/hooks/post-receive" &&
	write_config "$BARE3/cf-purge-hook.ini" "[cloudflare]
$FAST
spool_dir = /proc/no-such-spool" &&
	git push -q "$BARE3" "$C0:refs/heads/main" 2>/dev/null && clear_log &&
	git push "$BARE3" "$C1:refs/heads/main" 2>"$TRASH/nospool2.err" &&
	cat "$TRASH/nospool2.err" &&
	check received "$TRASH/stub.log" --plan "$TRASH/plan.json" --once &&
	test -z "$(ls "$BARE3/cf-purge-hook-pushes" | grep push || true)" &&
	! grep "the push is kept" "$TRASH/nospool2.err"
'

# --- Every way a push can fail, then fixed --------------------------------
# One property over each failure: after the cause is fixed, `retry` (or
# the next push) purges exactly what the failed push should have purged,
# and nothing twice. Each mode pushes C0..C1 (65 URLs) to a fresh bare
# repository whose post-receive is the program. The stand-in keeps running;
# "the API is down" is a config that sends to a closed port.
PROP=$TRASH/prop.git
ptoken=$TOKEN

# prop_setup: a fresh bare repository at C0 with a working config.
prop_setup() {
	rm -rf "$PROP" &&
	git init -q --bare "$PROP" &&
	ln -s "$CFPH" "$PROP/hooks/post-receive" &&
	write_config "$PROP/cf-purge-hook.ini" "[cloudflare]
$FAST
retries = 1" &&
	git push -q "$PROP" "$C0:refs/heads/main" 2>/dev/null &&
	clear_log
}

# kill_holder DIR: kills (-9) every process that holds a file in DIR open,
# as the run that keeps a push holds its file. Waits for one to come (30 s
# at most: a run under valgrind starts slowly), and fails if none does.
kill_holder() {
	kh_n=0
	while :; do
		kh_found=
		for kh in /proc/[0-9]*; do
			if ls -l "$kh/fd" 2>/dev/null | grep -qF "$1/"; then
				kill -9 "${kh#/proc/}" 2>/dev/null && kh_found=1
			fi
		done
		[ -n "$kh_found" ] && return 0
		kh_n=$((kh_n + 1))
		[ "$kh_n" -lt 300 ] || return 1
		sleep 0.1
	done
}

# wait_kept DIR: waits until a push is kept in DIR (30 s at most).
wait_kept() {
	wk_n=0
	until ls "$1" 2>/dev/null | grep -q "\.push$"; do
		wk_n=$((wk_n + 1))
		[ "$wk_n" -lt 300 ] || return 1
		sleep 0.1
	done
}

# prop_fixed: the cause is fixed; retry; exactly the plan arrived, once,
# counting what the failed run may have sent; nothing is left kept.
prop_fixed() {
	rm -rf "$PROP/cf-purge-hook.ini" &&
	write_config "$PROP/cf-purge-hook.ini" "[cloudflare]
$FAST" &&
	CF_API_TOKEN=$ptoken "$CFPH" -C "$PROP" retry 2>"$TRASH/prop-retry.err" &&
	cat "$TRASH/prop-retry.err" &&
	check received "$TRASH/stub.log" --plan "$TRASH/plan.json" --once &&
	test -z "$(ls "$PROP/cf-purge-hook-spool" 2>/dev/null | grep json || true)" &&
	test -z "$(ls "$PROP/cf-purge-hook-pushes" 2>/dev/null | grep push || true)"
}

(cd "$REPO" && plan "$RANGE")
start_stub
for mode in broken-config unreadable-config api-down refused-token no-token killed-waiting killed-detached lock-held bad-push-option; do
	prop_setup
	expect "property: $mode, then fixed: retry purges exactly the push, once" '
		case $mode in
		broken-config)
			printf "[cloudflare]\nzone_idd = x\n" >"$PROP/cf-purge-hook.ini" ;;
		unreadable-config)
			rm "$PROP/cf-purge-hook.ini" && mkdir "$PROP/cf-purge-hook.ini" ;;
		api-down)
			API_URL=http://127.0.0.1:9/client/v4 write_config "$PROP/cf-purge-hook.ini" "[cloudflare]
$FAST" ;;
		refused-token)
			export CF_API_TOKEN=wrong-$$ ;;
		no-token)
			unset CF_API_TOKEN ;;
		killed-waiting)
			write_config "$PROP/cf-purge-hook.ini" "[hook]
delay = 30" ;;
		killed-detached)
			write_config "$PROP/cf-purge-hook.ini" "[hook]
detach = true
delay = 30
log_file = $TRASH/prop.log" ;;
		lock-held)
			write_config "$PROP/cf-purge-hook.ini" "[hook]
lock_timeout = 1" &&
			lock_file "$PROP/cf-purge-hook.lock" ;;
		bad-push-option)
			git -C "$PROP" config receive.advertisePushOptions true ;;
		esac
		case $mode in
		killed-waiting)
			git -C "$PROP" fetch -q "$REPO" "$C1" &&
			{ echo "$C0 $C1 refs/heads/main" | GIT_DIR="$PROP" $CFPH_WRAP "$CFPH" hook >/dev/null 2>&1 & pid=$!; } &&
			wait_kept "$PROP/cf-purge-hook-pushes" &&
			kill -9 $pid && { wait $pid || true; } ;;
		killed-detached)
			git push -q "$PROP" "$C1:refs/heads/main" 2>"$TRASH/prop-push.err" &&
			kill_holder "$PROP/cf-purge-hook-pushes" ;;
		lock-held)
			git push "$PROP" "$C1:refs/heads/main" 2>"$TRASH/prop-push.err" &&
			cat "$TRASH/prop-push.err" &&
			grep "remote: cf-purge-hook: the push is kept in" "$TRASH/prop-push.err" &&
			unlock_file ;;
		bad-push-option)
			git push -o purge=bogus "$PROP" "$C1:refs/heads/main" 2>"$TRASH/prop-push.err" &&
			cat "$TRASH/prop-push.err" &&
			grep "remote: cf-purge-hook: warning: unknown push option" "$TRASH/prop-push.err" ;;
		*)
			git push "$PROP" "$C1:refs/heads/main" 2>"$TRASH/prop-push.err" || true &&
			cat "$TRASH/prop-push.err" ;;
		esac
		export CF_API_TOKEN=$ptoken &&
		prop_fixed
	'
	export CF_API_TOKEN=$ptoken
done

# --- The log of a detached run ------------------------------------------------
BARE2=$TRASH/log.git
git init -q --bare "$BARE2"
ln -s "$CFPH" "$BARE2/hooks/post-receive"
expect 'a log_file that is a symbolic link is refused: nothing is appended to its target, and the purge runs in the foreground' '
	echo "root owned" >"$TRASH/victim" &&
	ln -s "$TRASH/victim" "$TRASH/link.log" &&
	write_config "$BARE2/cf-purge-hook.ini" "[cloudflare]
$FAST
[hook]
detach = true
log_file = $TRASH/link.log" &&
	git push -q "$BARE2" "$C0:refs/heads/main" 2>/dev/null &&
	clear_log &&
	git push "$BARE2" "$C1:refs/heads/main" 2>"$TRASH/log-push.err" &&
	cat "$TRASH/log-push.err" &&
	grep "remote: cf-purge-hook: cannot open the log .*: it is a symbolic link" "$TRASH/log-push.err" &&
	grep "remote: cf-purge-hook: purging now instead, in the foreground" "$TRASH/log-push.err" &&
	test "$(cat "$TRASH/victim")" = "root owned" &&
	check received "$TRASH/stub.log" --plan "$TRASH/plan.json" --once
'

finish
