#!/bin/sh
# t13-state.sh: the state folder of `dir DIR` ([state] dir) shared by
# runs. Its lock: two runs at once take turns, the second purging only
# what changed after the first; a lock held too long ends the run with an
# error, nothing purged and the record unchanged; a dry run does not wait;
# a hook with [site] served_dir takes it too. Its pruning: after many runs
# objects/ holds exactly what the records reach plus what is younger than
# the grace period (file times are set back with touch -d to age them);
# it keeps what another folder's record reaches, and what a young object
# reaches; a record it cannot read stops it.

. "$(dirname "$0")/lib.sh"
CONFIG=$TRASH/site.ini
STATE=$TRASH/state
SPOOL=$TRASH/spool
WWW=$TRASH/www
cd "$TRASH" || exit 1

DIR_DEADLINE=20
dir_config() {
	dir_ini "$CONFIG" "" "
[hook]
lock_timeout = ${LOCK_TIMEOUT:-20}"
}

# A repository only to read the state's objects with git itself.
git init -q --bare "$TRASH/reader"
sgit() {
	GIT_DIR="$TRASH/reader" GIT_OBJECT_DIRECTORY="$STATE/objects" git "$@"
}

# record_of DIR: the file in sites/ whose record names DIR (as given:
# links in its path are not resolved).
record_of() {
	grep -lx "$(cd "$1" && pwd -L)" "$STATE"/sites/* | grep -vE "\.(stat|prev)$"
}

# tree_of RECORD: the tree a record names (its second line).
tree_of() {
	sed -n 2p "$1"
}

# reach TREE: the objects the state keeps for TREE: it, the trees below
# it and the blobs of its links; one id a line.
reach() {
	echo "$1"
	sgit ls-tree -r -t "$1" | awk '$2 == "tree" || $1 == "120000" { print $3 }'
}

# reach_all: what every record in sites/ reaches, and the record before
# each (<id>.prev, kept for verify --dir), sorted.
reach_all() {
	for f in "$STATE"/sites/*; do
		case $(basename "$f") in
		*.prev) ;;
		*.*) continue ;;
		esac
		reach "$(tree_of "$f")"
	done | sort -u
}

# loose: the loose objects in objects/, sorted.
loose() {
	(cd "$STATE/objects" && find . -type f -path "./??/*") |
		sed "s|^\./\(..\)/|\1|" | sort
}

# age [OBJECTS] [STAMP]: sets back by two hours the times of every loose
# object (OBJECTS = 1) and of the last prune (STAMP = 1).
age() {
	if [ "$1" = 1 ]; then
		find "$STATE/objects" -type f -path "*/??/*" \
			-exec touch -d "2 hours ago" {} +
	fi
	if [ "$2" = 1 ] && [ -e "$STATE/pruned" ]; then
		touch -d "2 hours ago" "$STATE/pruned"
	fi
}

# tree_now DIR: the tree git writes for DIR.
tree_now() {
	rm -rf "$TRASH/g" && git init -q --bare "$TRASH/g" &&
	GIT_DIR="$TRASH/g" GIT_WORK_TREE="$1" git add -A &&
	GIT_DIR="$TRASH/g" git write-tree
}

# held: waits until someone holds the state's lock (at most 10 s).
held() {
	# Read from /proc/locks, not by trying the lock: a try that takes it
	# for a moment can make the run being watched wait, and say so.
	if [ -r /proc/locks ]; then
		i=0
		until [ -f "$STATE/lock" ] && held_key=$(python3 -c 'import os, sys; st = os.stat(sys.argv[1]); print("%02x:%02x:%d" % (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino))' "$STATE/lock") &&
			grep -q " $held_key " /proc/locks; do
			i=$((i + 1))
			[ $i -gt 200 ] && return 1
			sleep 0.05
		done
		return 0
	fi
	i=0
	while flock -n "$STATE/lock" true; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.05
	done
	return 0
}

# a_site DIR: a small site with folders, an index, and a link.
a_site() {
	rm -rf "$1"
	mkdir -p "$1/blog/2024" "$1/img" "$1/docs/v1"
	printf 'home\n' >"$1/index.html"
	printf 'blog\n' >"$1/blog/index.html"
	printf 'post\n' >"$1/blog/2024/post.html"
	printf 'png\n' >"$1/img/a.png"
	printf 'doc\n' >"$1/docs/v1/index.html"
	ln -s index.html "$1/latest.html"
}

if ! command -v flock >/dev/null 2>&1; then
	echo "ok - # SKIP flock(1) is missing"
	finish
	exit
fi

# --- The lock ---------------------------------------------------------------

start_stub --latency-ms 1500
dir_config
a_site "$WWW"
expect 'lock: a second run waits for the first, then purges only what changed after the first; the record is the last folder state' '
	cfph -q -c "$CONFIG" dir "$WWW" &&
	rm -rf "$SPOOL" && clear_log &&
	printf "first\n" >"$WWW/blog/2024/post.html" &&
	{ cfph -c "$CONFIG" dir "$WWW" 2>"$TRASH/first.err" & first=$!; } &&
	held &&
	i=0 && while ! ls "$SPOOL" 2>/dev/null | grep -q .; do
		i=$((i + 1)); test $i -lt 200; sleep 0.05; done &&
	printf "second\n" >"$WWW/img/a.png" &&
	cfph -c "$CONFIG" dir "$WWW" 2>"$TRASH/second.err" &&
	wait $first &&
	grep -q "another run holds the lock .*state/lock.*waiting for it" "$TRASH/second.err" &&
	! grep -q "waiting for it" "$TRASH/first.err" &&
	requests >"$TRASH/got" &&
	cat "$TRASH/got" &&
	test "$(sed -n 1p "$TRASH/got")" = "200 $ZONE files https://example.com/blog/2024/post.html" &&
	test "$(sed -n 2p "$TRASH/got")" = "200 $ZONE files https://example.com/img/a.png" &&
	test "$(wc -l <"$TRASH/got")" = 2 &&
	test "$(tree_of "$(record_of "$WWW")")" = "$(tree_now "$WWW")"
'
stop_stub

start_stub
LOCK_TIMEOUT=1 dir_config
expect 'lock: held past [hook] lock_timeout, the run fails with a clear message, purges nothing and keeps the record; the next run purges the change' '
	rec=$(record_of "$WWW") && cp "$rec" "$TRASH/record.before" &&
	printf "timeout\n" >"$WWW/docs/v1/index.html" &&
	{ flock -o "$STATE/lock" sleep 30 & holder=$!; } &&
	held &&
	clear_log &&
	start=$(date +%s) &&
	code cfph -c "$CONFIG" dir "$WWW" 2>"$TRASH/err" &&
	end=$(date +%s) &&
	kill $holder && { wait $holder || true; } &&
	cat "$TRASH/err" &&
	test "$CODE" = 1 &&
	test $((end - start)) -lt 10 &&
	grep -q "cf-purge-hook: another run still holds the lock .*state/lock. after 1 s; nothing was purged and the state is unchanged" "$TRASH/err" &&
	test -z "$(requests)" &&
	cmp "$rec" "$TRASH/record.before" &&
	cfph -c "$CONFIG" dir "$WWW" &&
	test "$(requests)" = "200 $ZONE files https://example.com/docs/v1/ https://example.com/docs/v1/index.html" &&
	! cmp -s "$rec" "$TRASH/record.before"
'

expect 'lock: a dry run reads the state without waiting for the lock' '
	printf "dry\n" >"$WWW/index.html" &&
	{ flock -o "$STATE/lock" sleep 30 & holder=$!; } &&
	held &&
	code cfph -c "$CONFIG" dir "$WWW" --dry-run >"$TRASH/out" 2>"$TRASH/err" &&
	kill $holder && { wait $holder || true; } &&
	test "$CODE" = 0 &&
	! grep -q "lock" "$TRASH/err" &&
	grep -q "https://example.com/index.html" "$TRASH/out"
'

expect 'lock: a hook with [site] served_dir takes it too, and a push it cannot wait for leaves the state alone' '
	make_bare "$TRASH/deploy.git" &&
	sed -i "s|^\\[site\\]|[hook]\\nlock_timeout = 1\\ndelay = 0\\n[site]\\nserved_dir = $TRASH/served|" \
		"$TRASH/deploy.git/cf-purge-hook.ini" &&
	a_site "$TRASH/served" &&
	git init -q "$TRASH/work" && cd "$TRASH/work" &&
	mkdir public && echo one >public/a.html && commit_all one &&
	git remote add origin "$TRASH/deploy.git" &&
	git push -q origin main 2>"$TRASH/err" &&
	echo two >public/a.html && commit_all two &&
	git push -q origin main 2>"$TRASH/err" &&
	hstate="$TRASH/deploy.git/cf-purge-hook-state" &&
	test -f "$hstate/lock" &&
	cp -r "$hstate/sites" "$TRASH/sites.before" &&
	printf "rebuilt\n" >"$TRASH/served/img/a.png" &&
	echo three >public/a.html && commit_all three &&
	{ flock -o "$hstate/lock" sleep 30 & holder=$!; } &&
	i=0 && while flock -n "$hstate/lock" true; do
		i=$((i + 1)); test $i -lt 200; sleep 0.05; done &&
	clear_log &&
	git push -q origin main 2>"$TRASH/err" &&
	kill $holder && { wait $holder || true; } &&
	cat "$TRASH/err" &&
	grep -q "another run still holds the lock .*cf-purge-hook-state/lock. after 1 s" "$TRASH/err" &&
	test -z "$(requests)" &&
	diff -r "$TRASH/sites.before" "$hstate/sites" &&
	echo four >public/a.html && commit_all four &&
	git push -q origin main 2>"$TRASH/err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/img/a.png"
'
cd "$TRASH" || exit 1
stop_stub

# --- Pruning ----------------------------------------------------------------

start_stub
dir_config

# change N: run N of many, each changing a file in a new folder and an old
# one, so that each leaves trees behind that no record reaches.
change() {
	mkdir -p "$WWW/runs/r$1/deep"
	printf "%s\n" "$1" >"$WWW/runs/r$1/deep/p.html"
	printf "%s\n" "$1" >"$WWW/blog/2024/post.html"
	ln -sf "runs/r$1/deep/p.html" "$WWW/newest.html"
	cfph -q -c "$CONFIG" dir "$WWW"
}

expect 'prune: young objects are kept however unreachable; then the prune waits an hour; then objects/ holds exactly what the records reach' '
	rm -rf "$STATE" && a_site "$WWW" &&
	for n in 1 2 3 4 5 6 7 8; do change $n; done &&
	loose >"$TRASH/before" && reach_all >"$TRASH/reached" &&
	test "$(wc -l <"$TRASH/before")" -gt "$(($(wc -l <"$TRASH/reached") + 10))" &&
	age 0 1 &&
	change 9 &&
	loose >"$TRASH/after" &&
	test -z "$(comm -23 "$TRASH/before" "$TRASH/after")" &&
	age 1 0 &&
	change 10 &&
	loose >"$TRASH/after" &&
	test -z "$(comm -23 "$TRASH/before" "$TRASH/after")" &&
	age 1 1 &&
	change 11 &&
	loose >"$TRASH/after" && reach_all >"$TRASH/reached" &&
	diff -u "$TRASH/reached" "$TRASH/after" &&
	test "$(wc -l <"$TRASH/after")" -lt "$(wc -l <"$TRASH/before")" &&
	grep -q "removed" "$STATE/pruned" &&
	clear_log &&
	printf "after\n" >"$WWW/img/a.png" &&
	cfph -c "$CONFIG" dir "$WWW" &&
	test "$(requests)" = "200 $ZONE files https://example.com/img/a.png"
'

# Each run refreshes the times of the trees it builds (git_odb_write
# does), so here the times are set by hand: a young tree no record names
# any more, whose subtree is old.
expect 'prune: an old tree that only a young tree reaches is kept with it' '
	rm -rf "$STATE" && a_site "$WWW" &&
	mkdir -p "$WWW/gone/below" && echo g >"$WWW/gone/below/g.html" &&
	cfph -q -c "$CONFIG" dir "$WWW" &&
	first=$(tree_of "$(record_of "$WWW")") &&
	echo home2 >"$WWW/index.html" &&
	cfph -q -c "$CONFIG" dir "$WWW" &&
	young=$(tree_of "$(record_of "$WWW")") &&
	rm -rf "$WWW/gone" &&
	cfph -q -c "$CONFIG" dir "$WWW" &&
	age 1 1 &&
	touch "$STATE/objects/$(echo $young | cut -c1-2)/$(echo $young | cut -c3-)" &&
	echo home3 >"$WWW/index.html" &&
	cfph -q -c "$CONFIG" dir "$WWW" &&
	! sgit cat-file -e "$first" &&
	for id in $(reach "$young"); do sgit cat-file -e "$id"; done &&
	sgit ls-tree -r "$young" | grep -q "gone/below/g.html"
'

expect 'prune: what another folder'"'"'s record reaches is never removed' '
	rm -rf "$STATE" && a_site "$WWW" && a_site "$TRASH/other" &&
	mkdir -p "$TRASH/other/only/here" && echo o >"$TRASH/other/only/here/o.html" &&
	ln -s only/here/o.html "$TRASH/other/o.html" &&
	cfph -q -c "$CONFIG" dir "$TRASH/other" &&
	for n in 1 2 3 4; do change $n; done &&
	age 1 1 &&
	change 5 &&
	other=$(tree_of "$(record_of "$TRASH/other")") &&
	reach "$other" | sort >"$TRASH/other.reach" &&
	test "$(wc -l <"$TRASH/other.reach")" -ge 6 &&
	loose >"$TRASH/after" &&
	test -z "$(comm -23 "$TRASH/other.reach" "$TRASH/after")" &&
	reach_all >"$TRASH/reached" &&
	diff -u "$TRASH/reached" "$TRASH/after" &&
	clear_log &&
	echo o2 >"$TRASH/other/only/here/o.html" &&
	cfph -c "$CONFIG" dir "$TRASH/other" &&
	test "$(requests)" = "200 $ZONE files https://example.com/o.html https://example.com/only/here/o.html"
'

expect 'prune: a record it cannot read stops it, with a warning, and the run still succeeds' '
	rm -rf "$STATE" && a_site "$WWW" && a_site "$TRASH/other" &&
	cfph -q -c "$CONFIG" dir "$TRASH/other" &&
	for n in 1 2 3 4; do change $n; done &&
	bad=$(record_of "$TRASH/other") &&
	printf "garbage\n" >"$bad" &&
	age 1 1 &&
	loose >"$TRASH/before" &&
	mkdir -p "$WWW/runs/r5" && echo 5 >"$WWW/runs/r5/p.html" &&
	code cfph -c "$CONFIG" dir "$WWW" 2>"$TRASH/err" &&
	cat "$TRASH/err" &&
	test "$CODE" = 0 &&
	grep -q "cf-purge-hook: warning: cannot prune .*objects.: cannot read the state .*sites/[0-9a-f]*.: not this program.s format" "$TRASH/err" &&
	grep -q "nothing was removed" "$TRASH/err" &&
	loose >"$TRASH/after" &&
	test -z "$(comm -23 "$TRASH/before" "$TRASH/after")" &&
	rm "$bad" &&
	age 1 1 &&
	echo 6 >"$WWW/runs/r5/p.html" &&
	cfph -q -c "$CONFIG" dir "$WWW" &&
	loose >"$TRASH/after" &&
	test "$(wc -l <"$TRASH/after")" -lt "$(wc -l <"$TRASH/before")"
'
stop_stub

finish
