#!/bin/sh
# t20-full.sh: full disks. A state folder on a full filesystem does not
# stop the purge: it is sent, the state is left as it was (so the next run
# purges the change again), and the run says so. A spool on a full
# filesystem is named as such, never as the reason a request was not sent,
# and a run whose next run purges again does not ask for a purge by hand.
# The full filesystem is a 64 KiB tmpfs, mounted for this suite (root
# only; the suite is skipped otherwise).

. "$(dirname "$0")/lib.sh"
CONFIG=$TRASH/site.ini
MNT=$TRASH/mnt
STATE=$MNT/state
SPOOL=$TRASH/spool

mkdir -p "$MNT"
if [ "$(id -u)" != 0 ] ||
	! mount -t tmpfs -o size=64k tmpfs "$MNT" 2>"$TRASH/mount.err"; then
	skip "full disks" "cannot mount a small tmpfs (needs root: $(cat "$TRASH/mount.err" 2>/dev/null))"
	finish
	exit
fi
unmount() {
	umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || :
}
trap 'unmount; cleanup' EXIT

# fill: takes every block left on the tmpfs.
fill() {
	dd if=/dev/zero of="$MNT/fill.$1" bs=1k count=128 2>/dev/null || :
	test "$(df -P "$MNT" | awk "NR == 2 { print \$4 }")" = 0
}

# site DIR: a few files.
site() {
	mkdir -p "$1/blog"
	for n in 1 2 3 4 5 6; do printf "%s\n" "$n" >"$1/p$n.html"; done
	printf "post\n" >"$1/blog/index.html"
}

start_stub

# --- [state] dir on a full disk -------------------------------------------

expect 'state: a first run on a full state disk purges everything, records nothing, exits 1 and says the next run purges everything again' '
	dir_ini "$CONFIG" && site "$TRASH/w1" && mkdir -p "$STATE" &&
	fill 1 && clear_log &&
	code cfph -c "$CONFIG" dir "$TRASH/w1" 2>"$TRASH/err" &&
	cat "$TRASH/err" && test "$CODE" = 1 &&
	test "$(requests)" = "200 $ZONE purge_everything true" &&
	grep -F "cf-purge-hook: purged everything in 1 request" "$TRASH/err" &&
	grep -F "cf-purge-hook: cannot record this run in the state '"'"'$STATE'"'"': failed to write out file: No space left on device; the purge was sent and the state is left as it was, so the next run purges everything again" "$TRASH/err" &&
	test -z "$(ls "$STATE/sites" | grep -v "\\.stat")"
'

expect 'state: with room again the next run records; then, the disk full, a change is purged, the record stays, and the next run purges it again' '
	rm -f "$MNT"/fill.* && rm -rf "$STATE" && clear_log &&
	cfph -q -c "$CONFIG" dir "$TRASH/w1" &&
	rec=$(ls "$STATE"/sites/* | grep -v "\\.stat\$") && cp "$rec" "$TRASH/rec.before" &&
	fill 2 &&
	printf "changed\n" >"$TRASH/w1/p3.html" && printf "new\n" >"$TRASH/w1/blog/new.html" &&
	clear_log &&
	code cfph -c "$CONFIG" dir "$TRASH/w1" 2>"$TRASH/err" &&
	cat "$TRASH/err" && test "$CODE" = 1 &&
	test "$(requests)" = "200 $ZONE files https://example.com/blog/new.html https://example.com/p3.html" &&
	grep -F "cf-purge-hook: cannot record this run in the state '"'"'$STATE'"'"': cannot write object " "$TRASH/err" &&
	grep -F "No space left on device; the purge was sent and the state is left as it was, so the next run purges this change again" "$TRASH/err" &&
	cmp "$rec" "$TRASH/rec.before" &&
	rm -f "$MNT"/fill.* && clear_log &&
	cfph -q -c "$CONFIG" dir "$TRASH/w1" &&
	test "$(requests)" = "200 $ZONE files https://example.com/blog/new.html https://example.com/p3.html" &&
	clear_log && cfph -q -c "$CONFIG" dir "$TRASH/w1" && test -z "$(requests)"
'

# A full ext4 disk refuses mkdir (a full tmpfs does not): a first run
# whose state folder cannot even be made. ext4 in a loop-mounted file, no
# blocks reserved for root, filled.
E4=$TRASH/e4
if command -v mkfs.ext4 >/dev/null 2>&1 && truncate -s 1M "$TRASH/e4.img" &&
	mkfs.ext4 -q -m 0 "$TRASH/e4.img" 2>/dev/null && mkdir -p "$E4" &&
	mount -o loop "$TRASH/e4.img" "$E4" 2>"$TRASH/mount.err"; then
	expect 'state: a first run whose state folder a full ext4 disk will not make purges everything, records nothing, exits 1 and says the next run purges everything again' '
		dd if=/dev/zero of="$E4/fill" bs=1k count=2048 2>/dev/null || :
		! mkdir "$E4/probe" 2>/dev/null &&
		STATE=$E4/state dir_ini "$TRASH/e4.ini" && clear_log &&
		code cfph -c "$TRASH/e4.ini" dir "$TRASH/w1" 2>"$TRASH/err" &&
		cat "$TRASH/err" && test "$CODE" = 1 &&
		test "$(requests)" = "200 $ZONE purge_everything true" &&
		grep -F "cf-purge-hook: cannot record this run in the state '"'"'$E4/state'"'"': cannot create the state folder '"'"'$E4/state'"'"': No space left on device; the purge was sent and the state is left as it was, so the next run purges everything again" "$TRASH/err" &&
		test ! -e "$E4/state"
	'
	umount "$E4" 2>/dev/null || umount -l "$E4"
else
	skip "a full ext4 disk" "cannot mount an ext4 file system from a loop file here: $(cat "$TRASH/mount.err" 2>/dev/null)"
fi

# --- The spool on a full disk -----------------------------------------------

expect 'spool: full, the API up: the request is sent, the spool is named as the problem (spool_errors in --json), never "not sent", and the run exits 0' '
	rm -rf "$MNT/state" "$MNT"/fill.* && SPOOL=$MNT/spool && STATE=$TRASH/state &&
	dir_ini "$CONFIG" && mkdir -p "$SPOOL" && site "$TRASH/w2" && fill 3 &&
	clear_log &&
	code cfph --json -c "$CONFIG" dir "$TRASH/w2" >"$TRASH/out.json" 2>"$TRASH/err" &&
	cat "$TRASH/err" && test "$CODE" = 0 &&
	test "$(requests)" = "200 $ZONE purge_everything true" &&
	check json "$TRASH/out.json" "[r[\"outcome\"][\"status\"] for r in j[\"requests\"]] == [\"purged\"] and j[\"requests\"][0][\"outcome\"][\"errors\"] == [] and \"No space left on device\" in j[\"requests\"][0][\"outcome\"][\"spool_errors\"][0]" &&
	grep -F "cf-purge-hook: not kept in the spool: cannot write '"'"'$SPOOL/" "$TRASH/err" &&
	! grep -F "not sent" "$TRASH/err" && ! grep -F "by hand" "$TRASH/err"
'

printf '[{"status": 503, "repeat": 50}]\n' >"$TRASH/script.json"
expect 'spool: full, the API down: dir says the next run purges again (the state stays), not "purge them by hand", and it does' '
	SPOOL=$MNT/spool && STATE=$TRASH/state &&
	start_stub --script "$TRASH/script.json" && dir_ini "$CONFIG" &&
	printf "changed\n" >"$TRASH/w2/p1.html" &&
	code cfph -c "$CONFIG" dir "$TRASH/w2" 2>"$TRASH/err" &&
	cat "$TRASH/err" && test "$CODE" = 1 &&
	grep -F "cf-purge-hook: not sent: HTTP 503" "$TRASH/err" &&
	grep -F "cf-purge-hook: not purged yet: 1 item not sent and not in the spool; the state is left as it was, so the next run purges them again" "$TRASH/err" &&
	! grep -F "by hand" "$TRASH/err" && ! grep -F "not sent: cannot write" "$TRASH/err" &&
	start_stub && dir_ini "$CONFIG" &&
	cfph -q -c "$CONFIG" dir "$TRASH/w2" &&
	test "$(requests)" = "200 $ZONE files https://example.com/p1.html"
'

expect 'spool: full, the API down, a push: the push is kept and the next push purges it; no "not sent" for the spool' '
	rm -f "$MNT"/fill.* && rm -rf "$MNT/spool" && mkdir "$MNT/spool" && fill 4 &&
	git init -q --bare "$TRASH/b.git" && ln -s "$CFPH" "$TRASH/b.git/hooks/post-receive" &&
	printf "[cloudflare]\nzone_id = $ZONE\napi_url = $API_URL\nspool_dir = $MNT/spool\nretries = 0\n[site]\nbase_url = https://example.com\n" >"$TRASH/b.git/cf-purge-hook.ini" &&
	git init -q "$TRASH/r" && cd "$TRASH/r" && echo a >a.html && commit_all a &&
	git push -q "$TRASH/b.git" HEAD:main 2>/dev/null &&
	start_stub --script "$TRASH/script.json" &&
	sed -i "s|^api_url = .*|api_url = $API_URL|" "$TRASH/b.git/cf-purge-hook.ini" &&
	echo b >a.html && commit_all b &&
	git push "$TRASH/b.git" HEAD:main 2>"$TRASH/err" && cat "$TRASH/err" &&
	grep -F "remote: cf-purge-hook: not kept in the spool: cannot write" "$TRASH/err" &&
	grep -F "remote: cf-purge-hook: not purged yet: 1 item not sent and not in the spool; the push itself is kept" "$TRASH/err" &&
	! grep -F "by hand" "$TRASH/err" && ! grep -F "not sent: cannot write" "$TRASH/err" &&
	start_stub && sed -i "s|^api_url = .*|api_url = $API_URL|" "$TRASH/b.git/cf-purge-hook.ini" &&
	echo c >b.html && commit_all c &&
	git push -q "$TRASH/b.git" HEAD:main 2>"$TRASH/err2" && cat "$TRASH/err2" &&
	test "$(requests)" = "200 $ZONE files https://example.com/a.html https://example.com/b.html"
'

finish
