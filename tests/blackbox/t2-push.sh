#!/bin/sh
# A real `git push` into a bare repository whose post-receive is this
# program; what reached the stand-in API is compared with what the push
# changed. Models: git's t5401-update-hooks.sh.
. "$(dirname "$0")/lib.sh"

start_stub || exit 1
make_bare "$TRASH/deploy.git"
git init -q "$TRASH/site"
cd "$TRASH/site" || exit 1
git remote add origin "$TRASH/deploy.git"
mkdir -p public/blog layouts
echo home >public/index.html
echo post >public/blog/index.html
echo style >public/style.css
echo base >layouts/base.html
echo readme >README.md
commit_all "first deploy"
FIRST=$(git rev-parse HEAD)

expect 'the first push of the deploy branch creates it and purges nothing' '
	git push -q origin main 2>"$TRASH/push.err" &&
	grep "refs/heads/main: not purged: a new branch" "$TRASH/push.err" &&
	test -z "$(requests)"
'

echo home2 >public/index.html
echo style2 >public/style.css
echo new >"public/a b#c.html"
git rm -q public/blog/index.html
echo base2 >layouts/base.html
echo readme2 >README.md
commit_all "second deploy"

expect 'a push purges exactly the changed URLs and tags' '
	clear_log &&
	git push origin main 2>"$TRASH/push.err" &&
	requests >"$TRASH/actual" &&
	cat >"$TRASH/expect" <<EOT &&
200 $ZONE files https://example.com/ https://example.com/a%20b%23c.html https://example.com/blog/ https://example.com/blog/index.html https://example.com/index.html https://example.com/style.css
200 $ZONE tags html
EOT
	diff -u "$TRASH/expect" "$TRASH/actual"
'

expect 'the person pushing sees the summary on remote: lines' '
	grep "^remote: cf-purge-hook: purged 6 URLs, 1 tag in 2 requests" "$TRASH/push.err"
'

expect 'one connection carries every request' '
	test "$(requests --connections)" = 1
'

expect 'the token appears in no output and not in the log' '
	! grep -r "$TOKEN" "$TRASH/push.err" "$TRASH/stub.log"
'

git checkout -q -b feature
echo feature >public/feature.html
commit_all "feature work"

expect 'a branch not in [hook] branches purges nothing and says so' '
	clear_log &&
	git push -q origin feature 2>"$TRASH/push.err" &&
	grep "refs/heads/feature: not purged: the branch is not in \[hook\] branches (main, master)" "$TRASH/push.err" &&
	test -z "$(requests)"
'

expect 'a deleted branch purges nothing and says so' '
	clear_log &&
	write_config "$TRASH/deploy.git/cf-purge-hook.ini" "[hook]
branches = main, feature" &&
	git push -q origin :feature 2>"$TRASH/push.err" &&
	grep "refs/heads/feature: not purged: the branch was deleted" "$TRASH/push.err" &&
	test -z "$(requests)"
'

expect 'a created branch purges everything with on_create = everything' '
	clear_log &&
	write_config "$TRASH/deploy.git/cf-purge-hook.ini" "[hook]
branches = main, feature
on_create = everything" &&
	git push -q origin feature 2>"$TRASH/push.err" &&
	grep "new branch: purging everything" "$TRASH/push.err" &&
	test "$(requests)" = "200 $ZONE purge_everything true"
'
write_config "$TRASH/deploy.git/cf-purge-hook.ini"

git checkout -q main
git reset -q --hard "$FIRST"
echo rewritten >public/style.css
commit_all "rewritten history"

expect 'a force push diffs the old tip against the new one directly' '
	clear_log &&
	git push -q -f origin main 2>"$TRASH/push.err" &&
	requests >"$TRASH/actual" &&
	cat >"$TRASH/expect" <<EOT &&
200 $ZONE files https://example.com/ https://example.com/a%20b%23c.html https://example.com/blog/ https://example.com/blog/index.html https://example.com/index.html https://example.com/style.css
200 $ZONE tags html
EOT
	diff -u "$TRASH/expect" "$TRASH/actual"
'

git checkout -q -b master
echo m >public/m.html
commit_all "on master"
git push -q origin master 2>/dev/null
echo m2 >public/m.html
commit_all "master again"
git checkout -q main
echo n >public/n.html
commit_all "on main"
git tag v1

expect 'several refs in one push are purged together, deduplicated, tags skipped' '
	clear_log &&
	git push -q origin main master v1 2>"$TRASH/push.err" &&
	requests >"$TRASH/actual" &&
	echo "200 $ZONE files https://example.com/m.html https://example.com/n.html" >"$TRASH/expect" &&
	diff -u "$TRASH/expect" "$TRASH/actual" &&
	grep "refs/tags/v1: not purged: not a branch" "$TRASH/push.err"
'

expect 'a push with nothing served purges nothing and says so' '
	clear_log &&
	echo again >README.md && commit_all readme &&
	git push -q origin main 2>"$TRASH/push.err" &&
	grep "nothing to purge: 1 changed path, not served under \[site\] root nor matched by \[map\]" "$TRASH/push.err" &&
	test -z "$(requests)"
'

expect 'refused credentials fail the hook with Cloudflare code and message, and spool' '
	clear_log &&
	echo z >public/z.html && commit_all z &&
	CF_API_TOKEN=wrong-token git push origin main 2>"$TRASH/push.err" &&
	grep "remote: cf-purge-hook: purged 0 of 1 items in 1 request" "$TRASH/push.err" &&
	grep "remote: cf-purge-hook: not sent: Cloudflare refused the credentials or the zone: HTTP 403: error 10000: Authentication error" "$TRASH/push.err" &&
	grep "remote: cf-purge-hook: not purged yet: 1 item kept in .*cf-purge-hook-spool" "$TRASH/push.err" &&
	test "$(ls "$TRASH/deploy.git/cf-purge-hook-spool" | wc -l)" = 1 &&
	! grep -r wrong-token "$TRASH/push.err" "$TRASH/deploy.git/cf-purge-hook-spool"
'

expect 'the next push sends the spool first, even when it purges nothing itself' '
	clear_log &&
	write_config "$TRASH/other.ini" "[hook]
branches = elsewhere" &&
	echo y >public/y.html && commit_all y &&
	CF_PURGE_HOOK_CONFIG="$TRASH/other.ini" git push -q origin main 2>"$TRASH/push.err" &&
	grep "not in \[hook\] branches (elsewhere)" "$TRASH/push.err" &&
	grep "resent 1 of 1 requests spooled by earlier runs" "$TRASH/push.err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/z.html" &&
	test "$(ls "$TRASH/deploy.git/cf-purge-hook-spool" | wc -l)" = 0
'

finish
