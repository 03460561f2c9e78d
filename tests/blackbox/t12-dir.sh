#!/bin/sh
# t12-dir.sh: `dir OLD NEW` and `dir DIR` on folders of files: the trees
# are git's own, the state of `dir DIR` (the first run, a rebuild, no
# change, a killed run, the spool), the manifest, the hook with [site]
# served_dir and the pushes it keeps, purged from the served folder by
# retry and by the next push; and bad input. The real Hugo and Jekyll
# builds are in slow/t12-builds.sh (make test-all).

. "$(dirname "$0")/lib.sh"
CONFIG=$TRASH/site.ini
STATE=$TRASH/state
SPOOL=$TRASH/spool
# Outside any repository: the state must not default to a git directory.
cd "$TRASH" || exit 1

dir_config() {
	dir_ini "$CONFIG" "root = public" "${1:-}"
}

# --- The trees are git's own --------------------------------------------

SITE=$TRASH/site
mkdir -p "$SITE/blog/deep/er" "$SITE/empty" "$SITE/img"
printf 'home\n' >"$SITE/index.html"
printf 'a b\n' >"$SITE/blog/a b.html"
printf 'idx\n' >"$SITE/blog/index.html"
printf 'deep\n' >"$SITE/blog/deep/er/x.html"
printf 'run\n' >"$SITE/img/run.sh" && chmod +x "$SITE/img/run.sh"
ln -s index.html "$SITE/latest.html"

expect 'the tree of a folder is the one git writes for it (git add -A; git write-tree)' '
	dir_config &&
	cp -a "$SITE" "$TRASH/site2" && rm -rf "$TRASH/site2/blog/deep" &&
	cfph -c "$CONFIG" dir "$SITE" "$TRASH/site2" --dry-run --json >"$TRASH/out" &&
	git init -q --bare "$TRASH/g" &&
	GIT_DIR="$TRASH/g" GIT_WORK_TREE="$SITE" git add -A &&
	old=$(GIT_DIR="$TRASH/g" git write-tree) &&
	rm -f "$TRASH/g/index" &&
	GIT_DIR="$TRASH/g" GIT_WORK_TREE="$TRASH/site2" git add -A &&
	new=$(GIT_DIR="$TRASH/g" git write-tree) &&
	grep -q "\"old\":\"$old\",\"new\":\"$new\"" "$TRASH/out" &&
	rm -rf "$TRASH/site2"
'

expect 'a folder URL, a space and a link: DIR/blog/a b.html is base_url/blog/a%20b.html, [site] root does not apply' '
	dir_config &&
	cp -a "$SITE" "$TRASH/site2" &&
	printf "changed\n" >"$TRASH/site2/blog/a b.html" &&
	printf "changed\n" >"$TRASH/site2/index.html" &&
	cfph -c "$CONFIG" dir "$SITE" "$TRASH/site2" --dry-run --json >"$TRASH/out" &&
	python3 - "$TRASH/out" <<PY
import json, sys
d = json.load(open(sys.argv[1]))
files = d["requests"][0]["body"]["files"]
want = ["https://example.com/", "https://example.com/blog/a%20b.html",
        "https://example.com/index.html", "https://example.com/latest.html"]
assert sorted(files) == want, files
assert sorted(c["path"] for c in d["changes"]) == ["blog/a b.html", "index.html"], d["changes"]
PY
	rm -rf "$TRASH/site2"
'

expect '[map] and [ignore] patterns match paths below DIR' '
	dir_config "[map \"blog/**\"]
tags = blog
[ignore]
paths = img/**" &&
	cp -a "$SITE" "$TRASH/site2" &&
	printf "x\n" >"$TRASH/site2/blog/deep/er/x.html" &&
	printf "y\n" >"$TRASH/site2/img/run.sh" &&
	cfph -c "$CONFIG" dir "$SITE" "$TRASH/site2" --dry-run >"$TRASH/out" &&
	grep -q "\"tags\":\\[\"blog\"\\]" "$TRASH/out" &&
	grep -q "blog/deep/er/x.html" "$TRASH/out" &&
	! grep -q "run.sh" "$TRASH/out" &&
	rm -rf "$TRASH/site2"
'

expect 'the planner: a rebuilt folder of 300 files is purged by its prefix, the rest of the site stays cached' '
	dir_config &&
	mkdir -p "$TRASH/p1/docs/v3" "$TRASH/p1/other" &&
	for i in $(seq 1 300); do echo $i >"$TRASH/p1/docs/v3/p$i.html"; done &&
	for i in $(seq 1 200); do echo $i >"$TRASH/p1/other/y$i.html"; done &&
	cp -a "$TRASH/p1" "$TRASH/p2" &&
	for i in $(seq 1 300); do echo x$i >"$TRASH/p2/docs/v3/p$i.html"; done &&
	cfph -c "$CONFIG" dir "$TRASH/p1" "$TRASH/p2" --dry-run >"$TRASH/out" &&
	grep -qx "POST /zones/$ZONE/purge_cache {\"prefixes\":\[\"example.com/docs/\"\]}" "$TRASH/out"
'

# --- State ----------------------------------------------------------------

start_stub
dir_config
expect 'state: nothing changed sends no request; one changed file purges it alone' '
	rm -rf "$STATE" "$TRASH/www" && cp -a "$SITE" "$TRASH/www" &&
	cfph -q -c "$CONFIG" dir "$TRASH/www" &&
	clear_log &&
	cfph -c "$CONFIG" dir "$TRASH/www" &&
	test -z "$(requests)" &&
	printf "new\n" >"$TRASH/www/blog/deep/er/x.html" &&
	cfph -c "$CONFIG" dir "$TRASH/www" &&
	test "$(requests)" = "200 $ZONE files https://example.com/blog/deep/er/x.html"
'

expect 'stat cache: an unchanged run reads no file; a changed one reads only that file, even with its size and mtime kept' '
	sleep 0.05 &&
	cfph -q -c "$CONFIG" dir "$TRASH/www" &&
	clear_log &&
	cfph -v -c "$CONFIG" dir "$TRASH/www" 2>"$TRASH/err" &&
	grep -q "read 0 of 6 files in" "$TRASH/err" &&
	test -z "$(requests)" &&
	touch -r "$TRASH/www/blog/deep/er/x.html" "$TRASH/mtime" &&
	printf "wen\n" >"$TRASH/www/blog/deep/er/x.html" &&
	touch -r "$TRASH/mtime" "$TRASH/www/blog/deep/er/x.html" &&
	cfph -v -c "$CONFIG" dir "$TRASH/www" 2>"$TRASH/err" &&
	grep -q "read 1 of 6 files in" "$TRASH/err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/blog/deep/er/x.html"
'

expect 'state: [state] on_missing = fail refuses to run without a state, and sends nothing' '
	dir_config "on_missing = fail" &&
	rm -rf "$STATE" && clear_log &&
	code cfph -c "$CONFIG" dir "$TRASH/www" 2>"$TRASH/err" &&
	test "$CODE" = 2 &&
	grep -q "no state yet for" "$TRASH/err" &&
	grep -q "on_missing = fail" "$TRASH/err" &&
	test -z "$(requests)"
'

expect 'state: a dry run does not advance the state' '
	dir_config &&
	cfph -q -c "$CONFIG" dir "$TRASH/www" &&
	printf "dry\n" >"$TRASH/www/index.html" &&
	cfph -q -c "$CONFIG" dir "$TRASH/www" --dry-run &&
	clear_log &&
	cfph -c "$CONFIG" dir "$TRASH/www" &&
	requests | grep -q "https://example.com/index.html"
'
stop_stub

start_stub --latency-ms 4000
dir_config
expect 'state: a run killed while it sends does not advance the state; the next run purges the change again' '
	cfph -q -c "$CONFIG" dir "$TRASH/www" || true
	record=$(ls "$STATE/sites/" | grep -vE "\.(stat|prev)$") &&
	cp "$STATE/sites/$record" "$TRASH/record.before" &&
	printf "killed\n" >"$TRASH/www/blog/index.html" &&
	{ cfph -q -c "$CONFIG" dir "$TRASH/www" & pid=$!; } &&
	i=0 && while ! ls "$SPOOL" 2>/dev/null | grep -q "\.json$" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done &&
	sleep 0.5 && kill -9 $pid && { wait $pid || true; } &&
	cmp "$STATE/sites/$record" "$TRASH/record.before" &&
	ls "$SPOOL" | grep -q . &&
	stop_stub && start_stub && dir_config &&
	cfph -c "$CONFIG" dir "$TRASH/www" &&
	requests | grep "^200 $ZONE files" | grep -q "https://example.com/blog/index.html" &&
	! cmp -s "$STATE/sites/$record" "$TRASH/record.before"
'
stop_stub

API_URL=http://127.0.0.1:9/client/v4
expect 'state: with Cloudflare unreachable the purge waits in the spool and the state advances; the next run sends it' '
	dir_config &&
	rm -rf "$SPOOL" &&
	printf "spooled\n" >"$TRASH/www/img/run.sh" &&
	code cfph -c "$CONFIG" dir "$TRASH/www" 2>"$TRASH/err" &&
	test "$CODE" = 1 &&
	ls "$SPOOL" | grep -q . &&
	start_stub && dir_config &&
	cfph -c "$CONFIG" dir "$TRASH/www" &&
	test "$(requests)" = "200 $ZONE files https://example.com/img/run.sh" &&
	clear_log &&
	cfph -c "$CONFIG" dir "$TRASH/www" &&
	test -z "$(requests)"
'
stop_stub

expect 'state: inside a repository the state defaults to <git dir>/cf-purge-hook-state' '
	git init -q "$TRASH/repo" &&
	cat >"$TRASH/repo/.git/cf-purge-hook.ini" <<EOC &&
[cloudflare]
zone_id = $ZONE
[site]
base_url = https://example.com
EOC
	(cd "$TRASH/repo" && cfph dir "$TRASH/www" --dry-run) &&
	test -d "$TRASH/repo/.git/cf-purge-hook-state/objects"
'

# --- The manifest, for CI without a state of its own ----------------------

# serve DIR: a static web server on DIR (the live site); sets LIVE_URL.
serve() {
	rm -f "$TRASH/live-port"
	python3 - "$1" "$TRASH/live-port" 2>/dev/null <<'PY' &
import functools, http.server, sys
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
h.func.log_message = lambda *a: None
s = http.server.HTTPServer(("127.0.0.1", 0), h)
open(sys.argv[2], "w").write(str(s.server_port))
s.serve_forever()
PY
	LIVE_PID=$!
	while [ ! -s "$TRASH/live-port" ]; do sleep 0.05; done
	LIVE_URL=http://127.0.0.1:$(cat "$TRASH/live-port")
}

start_stub
expect 'manifest: dir DIR writes it into DIR, and leaves it out of the tree it compares' '
	dir_config "manifest = .cf-purge-hook.manifest" &&
	rm -rf "$STATE" "$TRASH/m1" && cp -a "$SITE" "$TRASH/m1" &&
	cfph -q -c "$CONFIG" dir "$TRASH/m1" &&
	head -n 1 "$TRASH/m1/.cf-purge-hook.manifest" | grep -q "^cf-purge-hook manifest 1 [0-9a-f]\{40\}\$" &&
	grep -q "^120000 [0-9a-f]* latest.html	index.html\$" "$TRASH/m1/.cf-purge-hook.manifest" &&
	clear_log &&
	cfph -c "$CONFIG" dir "$TRASH/m1" &&
	test -z "$(requests)"
'

if [ -s "$TRASH/m1/.cf-purge-hook.manifest" ]; then
	cp -a "$TRASH/m1" "$TRASH/live"
	serve "$TRASH/live"
	expect 'manifest: without a state, the live manifest is the old side: the purge is exactly what differs from the live site' '
		sed "/^dir = /d" "$CONFIG" >"$TRASH/ci.ini" &&
		printf "manifest_url = %s/.cf-purge-hook.manifest\n" "$LIVE_URL" >>"$TRASH/ci.ini" &&
		cp -a "$SITE" "$TRASH/m2" &&
		printf "v2\n" >"$TRASH/m2/blog/index.html" &&
		printf "new\n" >"$TRASH/m2/img/new.png" &&
		want_urls "$TRASH/live" "$TRASH/m2" "$TRASH/want" &&
		sed -i "/manifest/d" "$TRASH/want" &&
		rm -rf "$STATE" &&
		clear_log &&
		cfph -c "$TRASH/ci.ini" dir "$TRASH/m2" &&
		same_urls "$TRASH/want" &&
		test "$(wc -l <"$TRASH/want")" = 3 &&
		test -s "$TRASH/m2/.cf-purge-hook.manifest" &&
		test ! -e "$STATE"
	'
	expect 'manifest: anything else at the URL (a page, a missing file, a path outside the site, a wrong tree id) is a missing state' '
		for bad in index.html nope.manifest; do
			sed "s|^manifest_url = .*|manifest_url = $LIVE_URL/$bad|" "$TRASH/ci.ini" >"$TRASH/bad.ini" &&
			clear_log &&
			cfph -c "$TRASH/bad.ini" dir "$TRASH/m2" 2>"$TRASH/err" &&
			grep -q "purging everything: cannot use the live manifest" "$TRASH/err" &&
			test "$(requests)" = "200 $ZONE purge_everything true" || exit 1
		done &&
		m=$TRASH/live/.cf-purge-hook.manifest &&
		cp "$m" "$TRASH/good.manifest" &&
		sed -i "s| index.html\$| ../../etc/passwd|" "$m" &&
		code cfph -c "$TRASH/ci.ini" dir "$TRASH/m2" --dry-run 2>"$TRASH/err" &&
		grep -q "names a path outside the site" "$TRASH/err" &&
		cp "$TRASH/good.manifest" "$m" &&
		sed -i "s|^\(100644 \)[0-9a-f]*\( index.html\)\$|\1$(printf %040d 0)\2|" "$m" &&
		cfph -c "$TRASH/ci.ini" dir "$TRASH/m2" --dry-run 2>"$TRASH/err" &&
		grep -q "not the [0-9a-f]* it names" "$TRASH/err" &&
		cp "$TRASH/good.manifest" "$m"
	'
	kill "$LIVE_PID" 2>/dev/null; wait "$LIVE_PID" 2>/dev/null
fi
stop_stub

# --- The hook with [site] served_dir --------------------------------------

start_stub
expect 'hook: with [site] served_dir a push purges what changed in the served folder, not the commit diff' '
	make_bare "$TRASH/deploy.git" &&
	sed -i "s|^\\[site\\]|[hook]\\ndelay = 0\\n[site]\\nserved_dir = $TRASH/served|" \
		"$TRASH/deploy.git/cf-purge-hook.ini" &&
	grep -c "^served_dir" "$TRASH/deploy.git/cf-purge-hook.ini" | grep -qx 1 &&
	cp -a "$SITE" "$TRASH/served" &&
	git init -q "$TRASH/work" && cd "$TRASH/work" &&
	mkdir public && echo one >public/a.html && commit_all one &&
	git remote add origin "$TRASH/deploy.git" &&
	git push -q origin main 2>"$TRASH/err" &&
	grep -q "not purged: a new branch" "$TRASH/err" &&
	test ! -d "$TRASH/deploy.git/cf-purge-hook-state" &&
	echo one-b >public/a.html && commit_all one-b &&
	clear_log &&
	git push -q origin main 2>"$TRASH/err" &&
	grep -q "purging everything: no state yet for" "$TRASH/err" &&
	test "$(requests)" = "200 $ZONE purge_everything true" &&
	test -d "$TRASH/deploy.git/cf-purge-hook-state/objects" &&
	echo two >public/a.html && commit_all two &&
	printf "rebuilt\n" >"$TRASH/served/blog/a b.html" &&
	clear_log &&
	git push -q origin main 2>"$TRASH/err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/blog/a%20b.html" &&
	echo three >public/a.html && commit_all three &&
	clear_log &&
	git push -q origin main 2>"$TRASH/err" &&
	test -z "$(requests)"
'
stop_stub

# --- Kept pushes with [site] served_dir ----------------------------------

# served_repo NAME: a bare repository $TRASH/NAME.git whose config has
# served_dir = $TRASH/NAME-www (a copy of $SITE, already purged once so
# that its state exists), [map "layouts/**"] tags = html, and a clone
# $TRASH/NAME-work whose pushes have been purged. Needs the stand-in up.
served_repo() {
	sr_git=$TRASH/$1.git
	sr_www=$TRASH/$1-www
	make_bare "$sr_git" &&
	sed -i "s|^\\[site\\]|[hook]\\ndelay = 0\\n[site]\\nserved_dir = $sr_www|" \
		"$sr_git/cf-purge-hook.ini" &&
	printf "[cloudflare]\nretries = 0\n" >>"$sr_git/cf-purge-hook.ini" &&
	cp "$sr_git/cf-purge-hook.ini" "$sr_git/good.ini" &&
	cp -a "$SITE" "$sr_www" &&
	git init -q "$TRASH/$1-work" &&
	(cd "$TRASH/$1-work" &&
	 mkdir public layouts && echo one >public/a.html &&
	 echo base >layouts/base.html && commit_all one &&
	 git remote add origin "$sr_git" &&
	 git push -q origin main 2>/dev/null &&
	 echo one-b >public/a.html && commit_all one-b &&
	 git push -q origin main 2>/dev/null) &&
	test -d "$sr_git/cf-purge-hook-state/objects"
}

# keep_a_push NAME: with a broken config, a push that changes a page and
# a layout (whose diff would purge public/a.html and the tag html) is
# kept; the config is then left broken.
keep_a_push() {
	sed -i "s|^\\[site\\]|[site]\\nbsae_url = x|" "$TRASH/$1.git/cf-purge-hook.ini" &&
	(cd "$TRASH/$1-work" &&
	 echo two >public/a.html && echo base2 >layouts/base.html &&
	 commit_all two && git push origin main 2>"$TRASH/push.err") &&
	grep -q "remote: cf-purge-hook: .*unknown key .bsae_url. in \[site\]" "$TRASH/push.err" &&
	grep -q "remote: cf-purge-hook: the push is kept in" "$TRASH/push.err" &&
	ls "$TRASH/$1.git/cf-purge-hook-pushes" | grep -q "\.push$"
}

# rebuild NAME: the served folder is built again (a page changed, one
# added, one removed); $TRASH/want holds the URLs that differ.
rebuild() {
	rm -rf "$TRASH/before" && cp -a "$TRASH/$1-www" "$TRASH/before" &&
	printf "rebuilt\n" >"$TRASH/$1-www/blog/a b.html" &&
	mkdir -p "$TRASH/$1-www/news" &&
	printf "news\n" >"$TRASH/$1-www/news/index.html" &&
	rm "$TRASH/$1-www/img/run.sh" &&
	want_urls "$TRASH/before" "$TRASH/$1-www" "$TRASH/want" &&
	test "$(wc -l <"$TRASH/want")" = 4
}

# no_kept NAME: no push is kept any more.
no_kept() {
	test -z "$(ls "$TRASH/$1.git/cf-purge-hook-pushes" | grep "\.push$" || true)"
}

start_stub
expect 'served_dir: a push kept by a broken config is purged by retry from the served folder, exactly what changed there, and is gone' '
	served_repo sk &&
	keep_a_push sk &&
	rebuild sk &&
	cp "$TRASH/sk.git/good.ini" "$TRASH/sk.git/cf-purge-hook.ini" &&
	clear_log &&
	cfph -C "$TRASH/sk.git" retry 2>"$TRASH/err" &&
	cat "$TRASH/err" &&
	grep -q "purging a push kept by an earlier run" "$TRASH/err" &&
	same_urls "$TRASH/want" &&
	test "$(requests | grep -vc " files ")" = 0 &&
	! requests | grep -q "a.html" &&
	no_kept sk &&
	clear_log &&
	cfph -C "$TRASH/sk.git" retry &&
	test -z "$(requests)" &&
	(cd "$TRASH/sk-work" && echo three >public/a.html && commit_all three &&
	 git push -q origin main 2>/dev/null) &&
	test -z "$(requests)"
'

expect 'served_dir: with Cloudflare down at retry, the folder purge is spooled, the state advances and the kept push goes; the next retry sends exactly the spool' '
	served_repo sd &&
	keep_a_push sd &&
	rebuild sd &&
	sed "s|^api_url = .*|api_url = http://127.0.0.1:9/client/v4|" \
		"$TRASH/sd.git/good.ini" >"$TRASH/sd.git/cf-purge-hook.ini" &&
	clear_log &&
	code cfph -C "$TRASH/sd.git" retry 2>"$TRASH/err" &&
	cat "$TRASH/err" && test "$CODE" = 1 &&
	no_kept sd &&
	ls "$TRASH/sd.git/cf-purge-hook-spool" | grep -q . &&
	cp "$TRASH/sd.git/good.ini" "$TRASH/sd.git/cf-purge-hook.ini" &&
	cfph -C "$TRASH/sd.git" retry &&
	same_urls "$TRASH/want" &&
	test "$(requests | grep -vc " files ")" = 0
'

expect 'served_dir: a folder that cannot be read at retry keeps the push and sends nothing from it; once it is back, retry purges it' '
	served_repo sf &&
	keep_a_push sf &&
	rebuild sf &&
	cp "$TRASH/sf.git/good.ini" "$TRASH/sf.git/cf-purge-hook.ini" &&
	mv "$TRASH/sf-www" "$TRASH/sf-away" &&
	clear_log &&
	code cfph -C "$TRASH/sf.git" retry 2>"$TRASH/err" &&
	cat "$TRASH/err" && test "$CODE" != 0 &&
	grep -q "cannot read the folder" "$TRASH/err" &&
	test -z "$(requests)" &&
	ls "$TRASH/sf.git/cf-purge-hook-pushes" | grep -q "\.push$" &&
	mv "$TRASH/sf-away" "$TRASH/sf-www" &&
	cfph -C "$TRASH/sf.git" retry &&
	same_urls "$TRASH/want" &&
	no_kept sf
'

# The live site: a page that names the commit it was built from.
mkdir -p "$TRASH/live-wait"
serve "$TRASH/live-wait"
expect 'served_dir: the next push purges a kept push from the served folder too, and waits for its own commit, not the kept one' '
	served_repo sn &&
	keep_a_push sn &&
	rebuild sn &&
	cp "$TRASH/sn.git/good.ini" "$TRASH/sn.git/cf-purge-hook.ini" &&
	printf "[hook]\nwait_url = %s/version.txt\nwait_timeout = 3\n" "$LIVE_URL" \
		>>"$TRASH/sn.git/cf-purge-hook.ini" &&
	cd "$TRASH/sn-work" &&
	echo three >public/a.html && commit_all three &&
	git rev-parse HEAD >"$TRASH/live-wait/version.txt" &&
	clear_log &&
	git push origin main 2>"$TRASH/err" &&
	cat "$TRASH/err" &&
	grep -q "purging a push kept by an earlier run" "$TRASH/err" &&
	grep -q "waiting until .* shows $(git rev-parse --short=7 HEAD)" "$TRASH/err" &&
	! grep -q "did not show" "$TRASH/err" &&
	same_urls "$TRASH/want" &&
	test "$(requests | grep -vc " files ")" = 0 &&
	no_kept sn
'

expect 'served_dir: retry when the site does not show the kept push yet sends nothing from the folder and keeps the push; once it does, retry purges it' '
	served_repo sb &&
	keep_a_push sb &&
	kept_commit=$(git -C "$TRASH/sb.git" rev-parse main) &&
	rebuild sb &&
	cp "$TRASH/sb.git/good.ini" "$TRASH/sb.git/cf-purge-hook.ini" &&
	printf "[hook]\nwait_url = %s/version.txt\nwait_timeout = 2\n" "$LIVE_URL" \
		>>"$TRASH/sb.git/cf-purge-hook.ini" &&
	echo 0000000 >"$TRASH/live-wait/version.txt" &&
	clear_log &&
	code timeout 20 "$CFPH" -C "$TRASH/sb.git" retry 2>"$TRASH/err" &&
	cat "$TRASH/err" && test "$CODE" = 1 &&
	grep -q "does not show $(echo "$kept_commit" | cut -c1-7) yet" "$TRASH/err" &&
	test -z "$(requests)" &&
	ls "$TRASH/sb.git/cf-purge-hook-pushes" | grep -q "\.push$" &&
	echo "$kept_commit" >"$TRASH/live-wait/version.txt" &&
	cfph -C "$TRASH/sb.git" retry 2>"$TRASH/err" &&
	same_urls "$TRASH/want" &&
	no_kept sb
'
kill "$LIVE_PID" 2>/dev/null; wait "$LIVE_PID" 2>/dev/null
stop_stub

# --- Bad input --------------------------------------------------------------

expect 'bad input: a missing DIR, or a file, is an error with exit status 2' '
	dir_config &&
	code cfph -c "$CONFIG" dir "$TRASH/nope" 2>"$TRASH/err" &&
	test "$CODE" = 2 && grep -q "cannot read the folder .*nope.*No such file" "$TRASH/err" &&
	code cfph -c "$CONFIG" dir "$CONFIG" "$TRASH/www" 2>"$TRASH/err" &&
	test "$CODE" = 2 && grep -q "not a folder" "$TRASH/err" &&
	code cfph -c "$CONFIG" dir a b c 2>"$TRASH/err" &&
	test "$CODE" = 2 && grep -q "takes DIR, or OLD NEW" "$TRASH/err"
'

expect 'bad input: [state] keys are checked, with their line' '
	dir_config "on_missing = maybe
manifest = ../x
colour = blue" &&
	code cfph -c "$CONFIG" dir "$TRASH/www" 2>"$TRASH/err" &&
	test "$CODE" = 2 &&
	grep -q "line 14: .on_missing. in \[state\] must be .everything. or .fail., not .maybe." "$TRASH/err" &&
	grep -q "line 15: .manifest. in \[state\] must be a file path inside the folder" "$TRASH/err" &&
	grep -q "line 16: unknown key .colour. in \[state\]" "$TRASH/err" &&
	dir_config
'

expect 'without a repository and without [state] dir, the state is kept beside the config' '
	grep -v "^dir = " "$CONFIG" >"$TRASH/nostate.ini" &&
	rm -rf "$TRASH/cf-purge-hook-state" &&
	(cd / && cfph -q -c "$TRASH/nostate.ini" dir "$TRASH/www" --dry-run) &&
	test -d "$TRASH/cf-purge-hook-state/sites" &&
	rm -rf "$TRASH/cf-purge-hook-state"
'

expect 'bad input: sockets and FIFOs are skipped with a note; a file name that is not UTF-8 is purged by its exact bytes' '
	cp -a "$SITE" "$TRASH/odd" &&
	mkfifo "$TRASH/odd/fifo" &&
	python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$TRASH/odd/sock" &&
	printf "x\n" >"$TRASH/odd/caf$(printf "\\351").html" &&
	cfph -c "$CONFIG" dir "$SITE" "$TRASH/odd" --dry-run --json >"$TRASH/out" 2>"$TRASH/err" &&
	grep -q "skipped .fifo.: it is a FIFO" "$TRASH/err" &&
	grep -q "skipped .sock.: it is a socket" "$TRASH/err" &&
	python3 - "$TRASH/out" <<PY
import json, sys
d = json.load(open(sys.argv[1]))
assert [c["path"] for c in d["changes"]] == ["caf\ufffd.html"], d["changes"]
assert d["requests"][0]["body"]["files"] == ["https://example.com/caf%E9.html"], d
PY
'

expect 'bad input: a link leading out of DIR is named by its target, never followed' '
	cp -a "$SITE" "$TRASH/out1" && cp -a "$SITE" "$TRASH/out2" &&
	ln -s /etc/passwd "$TRASH/out1/leak.html" &&
	ln -s /etc/passwd "$TRASH/out2/leak.html" &&
	ln -s ../../.. "$TRASH/out2/up" &&
	cfph -c "$CONFIG" dir "$TRASH/out1" "$TRASH/out2" --dry-run --json >"$TRASH/out" &&
	python3 - "$TRASH/out" <<PY
import json, sys
d = json.load(open(sys.argv[1]))
assert [c["path"] for c in d["changes"]] == ["up"], d["changes"]
assert d["requests"][0]["body"]["files"] == ["https://example.com/up"], d
PY
'

# Unreadable entries: root reads everything, so run as nobody then.
as_user() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		"$@"
	fi
}
# nobody runs a copy of the program: the clone may lie in a folder that
# only its owner may enter (/root).
if [ "$(id -u)" = 0 ] && ! command -v setpriv >/dev/null 2>&1; then
	echo "ok - # SKIP unreadable files: running as root without setpriv"
elif [ "$(id -u)" = 0 ] && ! copy_for_others; then
	echo "ok - # SKIP unreadable files: nobody cannot reach $CFPH (is ${TMPDIR:-/tmp} closed to other users?)"
else
	chmod 755 "$TRASH"
	expect 'bad input: an unreadable file is named, purged, and never skipped; an unreadable folder stops the run' '
		cp -a "$SITE" "$TRASH/u1" && cp -a "$SITE" "$TRASH/u2" &&
		chmod -R a+rX "$TRASH/u1" "$TRASH/u2" && chmod a+r "$CONFIG" &&
		chmod 000 "$TRASH/u2/blog/index.html" &&
		as_user "$CFPH" -c "$CONFIG" dir "$TRASH/u1" "$TRASH/u2" --dry-run --json \
			>"$TRASH/out" 2>"$TRASH/err" &&
		grep -q "cannot read .blog/index.html.: Permission denied; purging it as changed" "$TRASH/err" &&
		grep -q "https://example.com/blog/index.html" "$TRASH/out" &&
		grep -q "https://example.com/blog/\"" "$TRASH/out" &&
		chmod 000 "$TRASH/u2/blog/deep" &&
		code as_user "$CFPH" -c "$CONFIG" dir "$TRASH/u1" "$TRASH/u2" --dry-run \
			2>"$TRASH/err" &&
		test "$CODE" = 2 &&
		grep -q "cannot read the folder .*blog/deep.*Permission denied" "$TRASH/err" &&
		chmod 755 "$TRASH/u2/blog/deep"
	'
fi

finish
