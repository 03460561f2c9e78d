#!/bin/sh
# t18-marker.sh: the purge marker of a server's repository
# (refs/cf-purge-hook/heads/<branch>, hook/hookmark.h). A push that no run
# ever kept (its hook killed before it wrote anything, or never run) is
# purged by the next push to the branch, or by `retry`; a marker ahead of
# a late run makes no range backwards; a deleted branch takes its marker.
# slow/t18-kills.sh kills hooks in their first milliseconds.
. "$(dirname "$0")/lib.sh"

. "$ROOT/tests/blackbox/marker-site.sh"

expect 'a purged push moves the marker to the pushed commit' '
	edit a.html && clear_log &&
	git push -q origin main 2>"$TRASH/push.err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/a.html" &&
	test "$(marker)" = "$(git rev-parse HEAD)"
'

expect 'a push whose hook never ran is purged by the next push, which says so' '
	edit lost.html && push_unhooked &&
	test "$(marker)" = "$(git rev-parse HEAD~1)" &&
	edit next.html && clear_log &&
	git push origin main 2>"$TRASH/push.err" &&
	cat "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: purging [0-9a-f]\{7\}\.\.[0-9a-f]\{7\} of main too: the purge marker says no run purged or kept it" "$TRASH/push.err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/lost.html https://example.com/next.html" &&
	test "$(marker)" = "$(git rev-parse HEAD)"
'

expect 'with no push after it, retry purges it, and the next push only its own' '
	edit lost2.html && push_unhooked && clear_log &&
	cfph -C "$BARE" retry 2>"$TRASH/retry.err" &&
	cat "$TRASH/retry.err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/lost2.html" &&
	test "$(marker)" = "$(git rev-parse HEAD)" &&
	edit after.html && clear_log &&
	git push -q origin main 2>/dev/null &&
	test "$(requests)" = "200 $ZONE files https://example.com/after.html"
'

expect 'a hook that runs after a newer purge moved the marker past it makes no range backwards' '
	OLD=$(git rev-parse HEAD) &&
	edit late.html && push_unhooked && NEW=$(git rev-parse HEAD) &&
	cfph -C "$BARE" retry 2>/dev/null && clear_log &&
	echo "$OLD $NEW refs/heads/main" |
		GIT_DIR="$BARE" $CFPH_WRAP "$CFPH" hook 2>"$TRASH/late.err" &&
	cat "$TRASH/late.err" &&
	! grep "purge marker says" "$TRASH/late.err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/late.html" &&
	test "$(marker)" = "$NEW"
'

expect 'a force push over a lost push purges from the marker, tree to tree' '
	BASE=$(git rev-parse HEAD) &&
	edit gone.html && push_unhooked &&
	git reset -q --hard "$BASE" && edit forced.html && clear_log &&
	git push -q -f origin main 2>"$TRASH/push.err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/forced.html https://example.com/gone.html" &&
	test "$(marker)" = "$(git rev-parse HEAD)"
'

expect 'purge=skip moves the marker too: what the pusher chose not to purge is owed to nobody' '
	edit skipped.html && clear_log &&
	git push -q -o purge=skip origin main 2>/dev/null &&
	test -z "$(requests)" &&
	test "$(marker)" = "$(git rev-parse HEAD)"
'

expect 'a push whose purge fails is kept in the spool: the marker moves, and the next push sends the spool once' '
	edit failed.html &&
	API_URL=http://127.0.0.1:9/client/v4 write_config "$BARE/cf-purge-hook.ini" "$FAST" &&
	git push -q origin main 2>/dev/null &&
	test "$(marker)" = "$(git rev-parse HEAD)" &&
	ls "$BARE/cf-purge-hook-spool" | grep -q "\.json\$" &&
	write_config "$BARE/cf-purge-hook.ini" "$FAST" &&
	edit fine.html &&
	git push -q origin main 2>"$TRASH/push.err" &&
	cat "$TRASH/push.err" &&
	! grep "purge marker says" "$TRASH/push.err" &&
	test "$(requests | tr " " "\n" | grep -c "failed.html")" = 1 &&
	test "$(requests | tr " " "\n" | grep -c "fine.html")" = 1 &&
	test "$(marker)" = "$(git rev-parse HEAD)"
'

expect 'a lock file left by a run killed while it moved the marker does not stop the next one' '
	mkdir -p "$BARE/refs/cf-purge-hook/heads" &&
	: >"$BARE/refs/cf-purge-hook/heads/main.lock" &&
	edit stale.html && clear_log &&
	git push -q origin main 2>"$TRASH/push.err" &&
	cat "$TRASH/push.err" &&
	! grep "cannot move the purge marker" "$TRASH/push.err" &&
	test ! -e "$BARE/refs/cf-purge-hook/heads/main.lock" &&
	test "$(marker)" = "$(git rev-parse HEAD)"
'

expect 'deleting a branch deletes its marker' '
	write_config "$BARE/cf-purge-hook.ini" "$FAST
[hook]
branches = main, side" &&
	git push -q origin main:refs/heads/side 2>/dev/null &&
	edit side.html && git push -q origin HEAD:refs/heads/side 2>/dev/null &&
	git -C "$BARE" rev-parse -q --verify refs/cf-purge-hook/heads/side &&
	git push -q origin :refs/heads/side 2>/dev/null &&
	! git -C "$BARE" rev-parse -q --verify refs/cf-purge-hook/heads/side &&
	write_config "$BARE/cf-purge-hook.ini" "$FAST"
'

expect 'install sets a marker at the tip of each branch that has none, so the first push after it, lost, is purged by the next' '
	I=$TRASH/inst.git && git init -q --bare "$I" &&
	git push -q "$I" main main:refs/heads/side 2>/dev/null &&
	git -C "$I" update-ref refs/cf-purge-hook/heads/side HEAD~1 &&
	cfph -C "$I" install >"$TRASH/inst.out" 2>&1 &&
	cat "$TRASH/inst.out" &&
	grep -F "cf-purge-hook: set the purge marker of 1 branch at its tip" "$TRASH/inst.out" &&
	test "$(git -C "$I" rev-parse refs/cf-purge-hook/heads/main)" = "$(git rev-parse HEAD)" &&
	test "$(git -C "$I" rev-parse refs/cf-purge-hook/heads/side)" = "$(git rev-parse HEAD~1)" &&
	write_config "$I/cf-purge-hook.ini" "$FAST" &&
	mv "$I/hooks/post-receive" "$TRASH/inst-hook" &&
	edit first-lost.html && git push -q "$I" main 2>/dev/null &&
	mv "$TRASH/inst-hook" "$I/hooks/post-receive" &&
	edit second.html && clear_log &&
	git push "$I" main 2>"$TRASH/push.err" &&
	cat "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: purging [0-9a-f]\{7\}\.\.[0-9a-f]\{7\} of main too: the purge marker says no run purged or kept it" "$TRASH/push.err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/first-lost.html https://example.com/second.html"
'

finish
