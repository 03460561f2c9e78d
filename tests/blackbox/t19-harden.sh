#!/bin/sh
# t19-harden.sh: what `dir DIR` writes or trusts that another account
# could turn (issue 19): the manifest's temporary file and a link at the
# manifest's own path are never written through; a state folder another
# account may write is refused with the fix; in a group-shared repository
# the state follows core.sharedRepository; a hostile live manifest is a
# missing state.

. "$(dirname "$0")/lib.sh"
CONFIG=$TRASH/site.ini
STATE=$TRASH/state
SPOOL=$TRASH/spool
cd "$TRASH" || exit 1

# site DIR: a small built site in DIR.
site() {
	mkdir -p "$1/blog" "$1/img"
	printf "home\n" >"$1/index.html"
	printf "post\n" >"$1/blog/index.html"
	printf "png\n" >"$1/img/a.png"
}

start_stub

# --- The manifest is never written through a link -------------------------

expect 'manifest: links planted for the next pids and at the manifest itself are never written through' '
	dir_ini "$CONFIG" "" "manifest = .m" &&
	rm -rf "$STATE" "$TRASH/w1" && site "$TRASH/w1" &&
	printf "secret\n" >"$TRASH/outside" && chmod 600 "$TRASH/outside" &&
	python3 -c "import os, sys
for p in range(os.getpid() + 1, os.getpid() + 400):
    os.symlink(sys.argv[1], sys.argv[2] + str(p))" "$TRASH/outside" "$TRASH/w1/.m." &&
	ln -s "$TRASH/outside" "$TRASH/w1/.m" &&
	cfph -q -c "$CONFIG" dir "$TRASH/w1" &&
	test "$(cat "$TRASH/outside")" = secret &&
	test ! -L "$TRASH/w1/.m" &&
	head -n 1 "$TRASH/w1/.m" | grep -q "^cf-purge-hook manifest 1 "
'


# --- A state folder another account may change is refused -----------------

expect 'state: a state folder any user may write (777) is refused with the fix, and nothing is purged' '
	dir_ini "$CONFIG" &&
	rm -rf "$STATE" "$TRASH/w2" && site "$TRASH/w2" &&
	mkdir "$STATE" && chmod 777 "$STATE" &&
	clear_log &&
	code cfph -c "$CONFIG" dir "$TRASH/w2" 2>"$TRASH/err" &&
	test "$CODE" != 0 &&
	grep -q "may be written by any user (mode 777).*chmod -R o-w" "$TRASH/err" &&
	test -z "$(requests)" &&
	test ! -e "$STATE/sites"
'

if [ "$(id -u)" = 0 ]; then
	expect 'state: a state folder, or a record, owned by nobody is refused with the fix' '
		dir_ini "$CONFIG" &&
		rm -rf "$STATE" && mkdir "$STATE" && chown nobody "$STATE" &&
		clear_log &&
		code cfph -c "$CONFIG" dir "$TRASH/w2" 2>"$TRASH/err" &&
		test "$CODE" != 0 &&
		grep -q "belongs to another user (uid $(id -u nobody))" "$TRASH/err" &&
		test -z "$(requests)" &&
		rm -rf "$STATE" &&
		cfph -q -c "$CONFIG" dir "$TRASH/w2" &&
		rec=$(ls "$STATE"/sites/* | grep -v "\.stat\$") &&
		chown nobody "$rec" &&
		code cfph -c "$CONFIG" dir "$TRASH/w2" 2>"$TRASH/err" &&
		test "$CODE" != 0 &&
		grep -q "belongs to another user" "$TRASH/err" &&
		chown root "$rec" && chown nobody "$rec.stat" &&
		code cfph -c "$CONFIG" dir "$TRASH/w2" 2>"$TRASH/err" &&
		test "$CODE" != 0 &&
		grep -q "$rec.stat. belongs to another user" "$TRASH/err"
	'
else
	skip 'state: a state folder owned by nobody' 'not run as root'
fi

expect 'state: a record that is a symbolic link is refused, never followed' '
	dir_ini "$CONFIG" &&
	rm -rf "$STATE" && cfph -q -c "$CONFIG" dir "$TRASH/w2" &&
	rec=$(ls "$STATE"/sites/* | grep -v "\.stat\$") &&
	mv "$rec" "$TRASH/elsewhere" && ln -s "$TRASH/elsewhere" "$rec" &&
	code cfph -c "$CONFIG" dir "$TRASH/w2" 2>"$TRASH/err" &&
	test "$CODE" != 0 &&
	grep -q "is a symbolic link" "$TRASH/err"
'

# --- In a group-shared repository, the state is the group's ---------------

# shared_ini FILE: a config for dir with the state in the repository's
# default place and the default spool.
shared_ini() {
	cat >"$1" <<EOC
[cloudflare]
zone_id = $ZONE
api_url = $API_URL
retries = 0
deadline = 5

[site]
base_url = https://example.com
EOC
}

expect 'state: in a repository with core.sharedRepository = group, the state folder and its files are the group'"'"'s' '
	rm -rf "$TRASH/sh.git" "$TRASH/w3" && site "$TRASH/w3" &&
	git init -q --bare --shared=group "$TRASH/sh.git" &&
	shared_ini "$TRASH/sh.git/cf-purge-hook.ini" &&
	(cd "$TRASH/sh.git" && umask 022 && cfph -q dir "$TRASH/w3") &&
	S=$TRASH/sh.git/cf-purge-hook-state &&
	test "$(stat -c %a "$S")" = 2770 &&
	test "$(stat -c %a "$S/sites")" = 2770 &&
	test "$(stat -c %a "$S/objects")" = 2770 &&
	for f in "$S"/sites/*; do test "$(stat -c %a "$f")" = 660 || exit 1; done &&
	test "$(stat -c %a "$S/lock")" = 660 &&
	find "$S/objects" -mindepth 1 -type d | while read -r d; do
		test "$(stat -c %a "$d")" = 2770 || { echo "$d"; exit 1; }; done
'

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && [ -d "$TRASH/sh.git/cf-purge-hook-state" ]; then
	expect 'state: a second user in the shared group records too, and its next run settles' '
		chmod 711 "$TRASH" && chgrp -R users "$TRASH/sh.git" "$TRASH/w3" &&
		chmod -R g+w "$TRASH/w3" && chmod 644 "$TRASH/sh.git/cf-purge-hook.ini" &&
		mkdir -p "$TRASH/peer" && git config --file "$TRASH/peer/.gitconfig" safe.directory "$TRASH/sh.git" &&
		chmod -R a+rX "$TRASH/peer" &&
		printf "v2\n" >"$TRASH/w3/index.html" &&
		clear_log &&
		(cd "$TRASH/sh.git" && umask 022 && HOME=$TRASH/peer setpriv --reuid=nobody --regid=users \
			--groups=users "$CFPH" -q dir "$TRASH/w3") &&
		test "$(requests | wc -l)" = 1 &&
		requests | grep -q "index.html" &&
		clear_log &&
		(cd "$TRASH/sh.git" && HOME=$TRASH/peer setpriv --reuid=nobody --regid=users \
			--groups=users "$CFPH" -q dir "$TRASH/w3") &&
		test -z "$(requests)"
	'
fi


# --- A live manifest that cannot be used is a missing state ----------------

# serve DIR [REDIRECT]: a static web server on DIR (the live site), whose
# /redirect answers 302 to REDIRECT; sets LIVE_URL and LIVE_PID.
serve() {
	rm -f "$TRASH/live-port"
	python3 - "$1" "$TRASH/live-port" "${2:-}" 2>/dev/null <<'PY' &
import functools, http.server, sys
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_GET(self):
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", sys.argv[3])
            self.end_headers()
            return
        super().do_GET()
h = functools.partial(H, directory=sys.argv[1])
s = http.server.HTTPServer(("127.0.0.1", 0), h)
open(sys.argv[2], "w").write(str(s.server_port))
s.serve_forever()
PY
	LIVE_PID=$!
	while [ ! -s "$TRASH/live-port" ]; do sleep 0.05; done
	LIVE_URL=http://127.0.0.1:$(cat "$TRASH/live-port")
}

# ci_ini FILE URL: a config for dir with no state folder and the live
# manifest at URL.
ci_ini() {
	dir_ini "$1" "" "manifest = .m
manifest_url = $2" && sed -i "/^dir = /d" "$1"
}

mkdir -p "$TRASH/live"
python3 -c "
import sys
sys.stdout.write('cf-purge-hook manifest 1 ' + '0' * 40 + '\n')
sys.stdout.write('100644 ' + 'e' * 40 + ' ' + 'a/' * 200000 + 'x\n')" >"$TRASH/live/deep.m"
rm -rf "$TRASH/good" && site "$TRASH/good"
serve "$TRASH/good"
GOOD_URL=$LIVE_URL
GOOD_PID=$LIVE_PID
serve "$TRASH/live" "$GOOD_URL/.m"

expect 'manifest_url: a manifest with a path 200,000 folders deep is a missing state: everything is purged, nothing crashes' '
	test "$(wc -c <"$TRASH/live/deep.m")" -gt 400000 &&
	ci_ini "$TRASH/ci.ini" "$LIVE_URL/deep.m" &&
	clear_log &&
	code cfph -c "$TRASH/ci.ini" dir "$TRASH/w2" 2>"$TRASH/err" &&
	test "$CODE" = 0 &&
	grep -q "purging everything: cannot use the live manifest.*more than 4096 folders deep" "$TRASH/err" &&
	test "$(requests)" = "200 $ZONE purge_everything true"
'

expect 'manifest_url: a redirect is not followed, even to a good manifest: everything is purged' '
	ci_ini "$TRASH/ci.ini" "$GOOD_URL/.m" &&
	cfph -q -c "$TRASH/ci.ini" dir "$TRASH/good" &&
	test -s "$TRASH/good/.m" &&
	clear_log && cfph -c "$TRASH/ci.ini" dir "$TRASH/good" &&
	test -z "$(requests)" &&
	ci_ini "$TRASH/ci.ini" "$LIVE_URL/redirect" &&
	clear_log && cfph -c "$TRASH/ci.ini" dir "$TRASH/good" 2>"$TRASH/err" &&
	grep -q "HTTP 302: a redirect, which is not followed" "$TRASH/err" &&
	test "$(requests)" = "200 $ZONE purge_everything true"
'
kill "$LIVE_PID" "$GOOD_PID" 2>/dev/null
wait "$LIVE_PID" "$GOOD_PID" 2>/dev/null

expect 'manifest_url: plain http to a host other than loopback is refused by check' '
	ci_ini "$TRASH/ci.ini" "http://example.com/.m" &&
	code cfph -c "$TRASH/ci.ini" check 2>"$TRASH/err" &&
	test "$CODE" != 0 &&
	grep -q "manifest_url.*uses http:// on a host other than loopback" "$TRASH/err" &&
	ci_ini "$TRASH/ci.ini" "https://example.com/.m" &&
	cfph -q -c "$TRASH/ci.ini" check
'


# --- Where the state is --------------------------------------------------

expect 'state: a symbolic link current -> releases/N finds its state across three releases' '
	dir_ini "$CONFIG" && rm -rf "$STATE" "$TRASH/rel" && mkdir -p "$TRASH/rel/releases" &&
	site "$TRASH/rel/releases/1" &&
	ln -s releases/1 "$TRASH/rel/current" &&
	cfph -q -c "$CONFIG" dir "$TRASH/rel/current" &&
	cp -a "$TRASH/rel/releases/1" "$TRASH/rel/releases/2" &&
	printf "v2\n" >"$TRASH/rel/releases/2/index.html" &&
	ln -sfn releases/2 "$TRASH/rel/current" &&
	clear_log && cfph -q -c "$CONFIG" dir "$TRASH/rel/current" &&
	test "$(requests | wc -l)" = 1 && requests | grep -q "https://example.com/" &&
	! requests | grep -q purge_everything &&
	cp -a "$TRASH/rel/releases/2" "$TRASH/rel/releases/3" &&
	printf "v3\n" >"$TRASH/rel/releases/3/blog/index.html" &&
	ln -sfn releases/3 "$TRASH/rel/current" &&
	clear_log && (cd "$TRASH/rel" && cfph -q -c "$CONFIG" dir current/) &&
	requests | grep -q "https://example.com/blog/" &&
	! requests | grep -q purge_everything &&
	clear_log && (cd "$TRASH/rel" && cfph -q -c "$CONFIG" dir .//current/.) &&
	test -z "$(requests)" &&
	test "$(ls "$STATE/sites" | grep -vc "\.")" = 1
'

expect 'state: a [state] dir inside DIR is refused with the fix, nothing purged or created' '
	rm -rf "$TRASH/w5" && site "$TRASH/w5" &&
	dir_ini "$CONFIG" && sed -i "s|^dir = .*|dir = $TRASH/w5/.state|" "$CONFIG" &&
	clear_log &&
	code cfph -c "$CONFIG" dir "$TRASH/w5" 2>"$TRASH/err" &&
	test "$CODE" != 0 &&
	grep -q "is inside the folder .*set \[state\] dir to a folder outside" "$TRASH/err" &&
	test ! -e "$TRASH/w5/.state" && test -z "$(requests)" &&
	ln -s "$TRASH/w5" "$TRASH/w5link" &&
	sed -i "s|^dir = .*|dir = $TRASH/w5link/sub/.state|" "$CONFIG" &&
	mkdir "$TRASH/w5/sub" &&
	code cfph -c "$CONFIG" dir "$TRASH/w5" 2>"$TRASH/err" &&
	test "$CODE" != 0 && test ! -e "$TRASH/w5/sub/.state"
'


expect 'state: dir without [state] dir keeps its state beside the config, never in the repository the shell is in' '
	rm -rf "$TRASH/c13" "$TRASH/other" "$TRASH/w6" && mkdir "$TRASH/c13" && site "$TRASH/w6" &&
	shared_ini "$TRASH/c13/site.ini" &&
	sed -i "s|^retries = 0|&\nspool_dir = $SPOOL|" "$TRASH/c13/site.ini" &&
	git init -q "$TRASH/other" &&
	(cd "$TRASH/other" && cfph -q -c ../c13/site.ini dir "$TRASH/w6") &&
	test -d "$TRASH/c13/cf-purge-hook-state/sites" &&
	test ! -e "$TRASH/other/.git/cf-purge-hook-state" &&
	clear_log &&
	(cd / && cfph -q -c "$TRASH/c13/site.ini" dir "$TRASH/w6") &&
	test -z "$(requests)"
'


expect 'state: dir without [state] dir or spool_dir, run inside an unrelated repository, keeps its spool and lock beside the config too' '
	rm -rf "$TRASH/c13b" "$TRASH/other2" "$TRASH/w7" && mkdir "$TRASH/c13b" && site "$TRASH/w7" &&
	shared_ini "$TRASH/c13b/site.ini" &&
	sed -i "s|^api_url = .*|api_url = http://127.0.0.1:9/client/v4|" "$TRASH/c13b/site.ini" &&
	git init -q --shared=0660 "$TRASH/other2" &&
	(cd "$TRASH/other2" && code cfph -c ../c13b/site.ini dir "$TRASH/w7" 2>"$TRASH/err"; test "$CODE" = 1) && cat "$TRASH/err" &&
	S=$TRASH/c13b/cf-purge-hook-state &&
	ls "$S/spool" | grep -q "\.json\$" &&
	test -e "$S/lock" &&
	test "$(stat -c %a "$S")" = 700 &&
	grep -F "not purged yet: 1 item kept in '"'"'$S/spool'"'"'; the next run with this configuration sends them, or now: cf-purge-hook -c '"'"'../c13b/site.ini'"'"' dir '"'"'$TRASH/w7'"'"'" "$TRASH/err" &&
	test -z "$(ls -A "$TRASH/other2/.git" | grep cf-purge-hook)" &&
	sed -i "s|^api_url = .*|api_url = $API_URL|" "$TRASH/c13b/site.ini" && clear_log &&
	(cd "$TRASH/other2" && cfph -q -c ../c13b/site.ini dir "$TRASH/w7") &&
	test "$(requests)" = "200 $ZONE purge_everything true" &&
	test -z "$(ls "$S/spool" | grep "\.json\$")"
'


# --- served_dir needs a wait ----------------------------------------------

expect 'served_dir: without [hook] delay or wait_url, check refuses it with the fix; with delay = 0 or wait_url it passes' '
	write_config "$TRASH/sd.ini" &&
	sed -i "s|^\[site\]|[site]\nserved_dir = $TRASH/w2|" "$TRASH/sd.ini" &&
	code cfph -c "$TRASH/sd.ini" check 2>"$TRASH/err" &&
	test "$CODE" != 0 &&
	grep -q "served_dir. in \[site\] needs \[hook\] wait_url or delay.*set wait_url" "$TRASH/err" &&
	cp "$TRASH/sd.ini" "$TRASH/sd2.ini" &&
	printf "[hook]\ndelay = 0\n" >>"$TRASH/sd2.ini" &&
	cfph -q -c "$TRASH/sd2.ini" check &&
	printf "[hook]\nwait_url = https://example.com/version.txt\n" >>"$TRASH/sd.ini" &&
	cfph -q -c "$TRASH/sd.ini" check
'


# --- A killed run's temporary files ---------------------------------------

expect 'temporaries: a killed run'"'"'s record and stat-cache temporaries older than an hour go at the next run, younger ones stay' '
	dir_ini "$CONFIG" && rm -rf "$STATE" && cfph -q -c "$CONFIG" dir "$TRASH/w2" &&
	rec=$(ls "$STATE"/sites/* | grep -v "\.stat\$") &&
	for t in "$rec.stat.99991" "$rec.99992"; do echo x >"$t"; touch -d "2 hours ago" "$t"; done &&
	echo x >"$rec.stat.99993" &&
	cfph -q -c "$CONFIG" dir "$TRASH/w2" &&
	test ! -e "$rec.stat.99991" && test ! -e "$rec.99992" &&
	test -e "$rec.stat.99993" && test -e "$rec" && test -e "$rec.stat"
'

expect 'temporaries: a killed run'"'"'s spool temporary older than an hour goes at the next run that sends, and at one with nothing to send' '
	dir_ini "$CONFIG" && mkdir -p "$SPOOL" &&
	echo x >"$SPOOL/old.json.tmp" && touch -d "2 hours ago" "$SPOOL/old.json.tmp" &&
	printf "v9\n" >"$TRASH/w2/index.html" &&
	cfph -q -c "$CONFIG" dir "$TRASH/w2" &&
	test ! -e "$SPOOL/old.json.tmp" &&
	echo x >"$SPOOL/old.json.tmp" && touch -d "2 hours ago" "$SPOOL/old.json.tmp" &&
	cfph -q -c "$CONFIG" dir "$TRASH/w2" &&
	test ! -e "$SPOOL/old.json.tmp"
'


# --- Messages ---------------------------------------------------------------

expect 'messages: a manifest naming another tree prints both ids; a first run under -v does not speak of a last run' '
	rm -rf "$TRASH/w7" "$TRASH/live7" && site "$TRASH/w7" && mkdir "$TRASH/live7" &&
	dir_ini "$CONFIG" "" "manifest = .m" && rm -rf "$STATE" &&
	cfph -q -c "$CONFIG" dir "$TRASH/w7" &&
	sed "1s/[0-9a-f]\{40\}\$/$(printf %040d 0)/" "$TRASH/w7/.m" >"$TRASH/live7/.m" &&
	serve "$TRASH/live7" &&
	ci_ini "$TRASH/ci.ini" "$LIVE_URL/.m" &&
	cfph -c "$TRASH/ci.ini" dir "$TRASH/w7" --dry-run 2>"$TRASH/err";
	kill "$LIVE_PID"; wait "$LIVE_PID" 2>/dev/null || true;
	grep -q "its files make tree [0-9a-f]\{40\}, not the $(printf %040d 0) it names" "$TRASH/err" &&
	! grep -q "make tree $(printf %040d 0)" "$TRASH/err" &&
	rm -rf "$STATE" &&
	cfph -v -c "$CONFIG" dir "$TRASH/w7" --dry-run 2>"$TRASH/err" &&
	grep -q "read all 3 files" "$TRASH/err" &&
	! grep -q "unchanged since the last run" "$TRASH/err"
'

expect 'messages: collapse_threshold and max_urls out of range say their limits' '
	write_config "$TRASH/p.ini" "[plan]
collapse_threshold = 10000000
max_urls = 1000000000" &&
	code cfph -c "$TRASH/p.ini" check 2>"$TRASH/err" &&
	test "$CODE" != 0 &&
	grep -q "collapse_threshold. in \[plan\] must be a number from 0 to 1000000 " "$TRASH/err" &&
	grep -q "max_urls. in \[plan\] must be a number from 0 to 100000000 " "$TRASH/err"
'

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	expect 'messages: a state folder this user cannot read is "cannot read", with what to do, not "cannot create"' '
		rm -rf "$TRASH/st8" && mkdir "$TRASH/st8" && chown nobody "$TRASH/st8" && chmod 000 "$TRASH/st8" &&
		dir_ini "$TRASH/n.ini" && sed -i "s|^dir = .*|dir = $TRASH/st8|" "$TRASH/n.ini" &&
		chmod 644 "$TRASH/n.ini" && chmod 711 "$TRASH" && chmod -R a+rX "$TRASH/w7" &&
		code env HOME=/ setpriv --reuid=nobody --regid=nogroup --clear-groups \
			"$CFPH" -c "$TRASH/n.ini" dir "$TRASH/w7" --dry-run 2>"$TRASH/err" &&
		test "$CODE" != 0 &&
		grep -q "cannot read the state folder .*give this user access" "$TRASH/err" &&
		! grep -q "cannot create" "$TRASH/err"
	'
fi


expect 'messages: dir --json names its folders, the state, and why everything is purged' '
	dir_ini "$CONFIG" && rm -rf "$STATE" &&
	cfph -c "$CONFIG" dir "$TRASH/w7" --dry-run --json >"$TRASH/out" 2>/dev/null &&
	python3 - "$TRASH/out" "$TRASH/w7" "$STATE" <<PY &&
import json, sys
d = json.load(open(sys.argv[1]))["dir"]
assert d["folder"] == sys.argv[2], d
assert d["old_folder"] is None, d
assert d["state"] == sys.argv[3], d
assert "no state yet" in d["purge_everything"], d
PY
	cfph -c "$CONFIG" dir "$TRASH/w2" "$TRASH/w7" --dry-run --json >"$TRASH/out" 2>/dev/null &&
	python3 - "$TRASH/out" "$TRASH/w2" "$TRASH/w7" <<PY
import json, sys
d = json.load(open(sys.argv[1]))["dir"]
assert d == {"folder": sys.argv[3], "old_folder": sys.argv[2], "state": None, "purge_everything": None}, d
PY
'


expect 'messages: under -v a name that is not UTF-8 is shown as \xNN, never raw; valid UTF-8 stays as it is' '
	rm -rf "$TRASH/w9" && cp -a "$TRASH/w2" "$TRASH/w9" &&
	printf "x\n" >"$TRASH/w9/caf$(printf "\\351").html" &&
	printf "x\n" >"$TRASH/w9/caf$(printf "\\303\\251")2.html" &&
	cfph -v -c "$CONFIG" dir "$TRASH/w2" "$TRASH/w9" --dry-run 2>"$TRASH/err" &&
	grep -q "added caf.xE9\.html" "$TRASH/err" &&
	! grep -q "$(printf "caf\\351")" "$TRASH/err" &&
	grep -q "$(printf "caf\\303\\251")2.html" "$TRASH/err"
'


if [ "$(id -u)" = 0 ]; then
	expect 'messages: another user'"'"'s state lock outside any repository is named as such, exit 2, not blamed on core.sharedRepository' '
		dir_ini "$CONFIG" && rm -rf "$STATE" &&
		(cd / && cfph -q -c "$CONFIG" dir "$TRASH/w2") &&
		chown nobody "$STATE/lock" &&
		code sh -c "cd / && \"$CFPH\" -c \"$CONFIG\" dir \"$TRASH/w2\"" 2>"$TRASH/err" &&
		test "$CODE" = 2 &&
		grep -q "the state .*/lock. belongs to another user" "$TRASH/err" &&
		! grep -q "sharedRepository" "$TRASH/err"
	'
fi


expect 'messages: a dir run with nothing to purge does not blame [site] root, which dir does not use' '
	dir_ini "$CONFIG" "" "[ignore]
paths = index.html" && rm -rf "$STATE" "$TRASH/w10" && site "$TRASH/w10" &&
	cfph -q -c "$CONFIG" dir "$TRASH/w10" &&
	cfph -c "$CONFIG" dir "$TRASH/w10" 2>"$TRASH/err" &&
	grep -q "nothing to purge: nothing changed in the folder" "$TRASH/err" &&
	printf "v2\n" >"$TRASH/w10/index.html" &&
	cfph -c "$CONFIG" dir "$TRASH/w10" 2>"$TRASH/err" &&
	grep -q "nothing to purge: 1 changed path, each left out by \[ignore\]" "$TRASH/err" &&
	! grep -q "site\] root" "$TRASH/err"
'


expect 'temporaries: a killed run'"'"'s manifest temporary in DIR, older than an hour, goes before the walk and is never purged as site content' '
	dir_ini "$CONFIG" "" "manifest = .m" && rm -rf "$STATE" "$TRASH/w11" && site "$TRASH/w11" &&
	cfph -q -c "$CONFIG" dir "$TRASH/w11" &&
	cp "$TRASH/w11/.m" "$TRASH/w11/.m.99994" && touch -d "2 hours ago" "$TRASH/w11/.m.99994" &&
	clear_log &&
	cfph -c "$CONFIG" dir "$TRASH/w11" 2>"$TRASH/err" &&
	test ! -e "$TRASH/w11/.m.99994" &&
	test -z "$(requests)"
'


expect 'state: in a group-shared repository the manifest written into DIR keeps the user'"'"'s umask, for the web server to read' '
	rm -rf "$TRASH/sh2.git" "$TRASH/w12" && site "$TRASH/w12" &&
	git init -q --bare --shared=group "$TRASH/sh2.git" &&
	shared_ini "$TRASH/sh2.git/cf-purge-hook.ini" &&
	printf "[state]\nmanifest = .m\n" >>"$TRASH/sh2.git/cf-purge-hook.ini" &&
	(cd "$TRASH/sh2.git" && umask 022 && cfph -q dir "$TRASH/w12") &&
	test "$(stat -c %a "$TRASH/w12/.m")" = 644 &&
	test "$(stat -c %a "$TRASH/sh2.git/cf-purge-hook-state")" = 2770
'

stop_stub
finish
