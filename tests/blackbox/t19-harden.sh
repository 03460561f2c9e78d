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

stop_stub
finish
