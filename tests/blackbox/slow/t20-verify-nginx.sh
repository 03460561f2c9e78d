#!/bin/sh
# t20-verify-nginx.sh: verify through a real caching proxy, nginx's
# proxy_cache in front of a folder (tests/blackbox/edge-nginx.sh), with
# each purge the stand-in API receives applied to nginx's cache before the
# API answers (cfstub --on-purge). A push that the origin serves verifies
# fresh; a cache entry that a purge does not remove stays stale, is purged
# a second time, and fails the run with nginx's headers; an origin that
# still serves the old build is not deployed, and the purge is kept for
# retry; a wrong [map] template is missing; warm fills nginx's cache.
#
# Needs nginx and its njs module (the harness installs them as root) and
# openssl; skipped, with the reason, when they cannot be had.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/blackbox/edge-nginx.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

REPO=$TRASH/deploy.git
WORK=$TRASH/site
ORIGIN=$TRASH/origin
SPOOL=$TRASH/spool
trap 'edge_nginx_stop; cleanup' EXIT

mkdir -p "$ORIGIN"
edge_nginx_start "$ORIGIN" example.com
rc=$?
if [ "$rc" = 2 ]; then
	skip "nginx edge" "$EDGE_NGINX_WHY"
	finish
	exit
fi
if [ "$rc" != 0 ] || [ -z "$EDGE_NGINX_TLS_PORT" ]; then
	expect "the nginx edge starts, with HTTPS (${EDGE_NGINX_WHY:-no TLS port})" false
	finish
	exit 1
fi
start_stub --on-purge "$EDGE_NGINX_ON_PURGE" || exit 1

get() {
	curl -sS --noproxy '*' --max-time 10 --cacert "$EDGE_NGINX_CERT" \
		--connect-to "example.com:443:127.0.0.1:$EDGE_NGINX_TLS_PORT" "$1"
}

# run ARGS...: the program on the work tree's history, verifying through
# nginx.
run() {
	cfph -C "$WORK" -c "$REPO/cf-purge-hook.ini" "$@"
}

deploy() {
	rm -rf "$ORIGIN"/* && cp -R "$WORK/public"/. "$ORIGIN"/
}

# config [VERIFY_AFTER [EXTRA]]: the deploy repository's config, verify
# after the purge unless VERIFY_AFTER is false, and EXTRA appended.
config() {
	write_config "$REPO/cf-purge-hook.ini" "[cloudflare]
spool_dir = $SPOOL
retries = 0

[verify]
after_purge = ${1:-true}
connect_to = 127.0.0.1:$EDGE_NGINX_TLS_PORT
ca_bundle = $EDGE_NGINX_CERT
retry_after = 1
${2:-}"
}

# gets URL: how many GETs of URL nginx logged, and as what, "MISS" or
# "HIT" a line.
gets() {
	grep "^GET $1 " "$EDGE_NGINX_LOG" | awk '{ print $4 }'
}

make_bare "$REPO"
config
git init -q "$WORK"
cd "$WORK" || exit 1
git remote add origin "$REPO"
mkdir -p public/blog
echo '<p>home 1</p>' >public/index.html
echo '<p>post 1</p>' >public/blog/post.html
commit_all "first deploy"
git push -q origin main 2>/dev/null
deploy
get https://example.com/index.html >/dev/null
get https://example.com/blog/post.html >/dev/null

expect 'nginx serves the cached old page until the purge' '
	echo "<p>home 2</p>" >public/index.html &&
	echo "<p>post 2</p>" >public/blog/post.html &&
	commit_all "second" && deploy &&
	test "$(get https://example.com/index.html)" = "<p>home 1</p>"
'

expect 'a push the origin serves verifies fresh through nginx' '
	git push origin main 2>"$TRASH/push.err" && cat "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: verified 3 URLs: 3 fresh *$" "$TRASH/push.err" &&
	test "$(get https://example.com/index.html)" = "<p>home 2</p>"
'

expect 'an entry a purge leaves in nginx stays stale and fails the run' '
	edge_nginx_keep https://example.com/blog/post.html &&
	echo "<p>post 3</p>" >public/blog/post.html && commit_all "third" &&
	deploy &&
	code run range HEAD~..HEAD 2>"$TRASH/err" &&
	cat "$TRASH/err" && test "$CODE" = 1 &&
	grep "STALE after a second purge: .https://example.com/blog/post.html. still serves the old .public/blog/post.html. (HTTP 200, cf-cache-status HIT, age [0-9]*, cf-ray [0-9a-f]*-TST)" "$TRASH/err" &&
	test "$(requests | grep -c blog/post.html)" -ge 2
'

edge_nginx_keep

expect 'an origin that serves the old build is not deployed: the purge is kept, and once deployed retry delivers it and it verifies fresh' '
	echo "<p>home 4</p>" >public/index.html && commit_all "home 4" &&
	rm -rf "$SPOOL" &&
	code run range HEAD~..HEAD 2>"$TRASH/err" &&
	cat "$TRASH/err" && test "$CODE" = 1 &&
	grep "not deployed: .https://example.com/index.html. is stale and the origin itself still serves the old .public/index.html. (a deploy problem, not a cache one); the purge is kept in .$SPOOL." "$TRASH/err" &&
	test "$(ls "$SPOOL" | grep -c json)" = 1 &&
	deploy && clear_log &&
	run retry 2>"$TRASH/retry.err" && cat "$TRASH/retry.err" &&
	requests | grep -F "https://example.com/index.html" &&
	test "$(ls "$SPOOL" | grep -c json)" = 0 &&
	run verify HEAD~..HEAD 2>"$TRASH/verify.err" && cat "$TRASH/verify.err" &&
	grep "verified 2 URLs: 2 fresh" "$TRASH/verify.err" &&
	test "$(get https://example.com/index.html)" = "<p>home 4</p>"
'

expect 'a wrong [map] template is reported as missing through nginx' '
	config true "[map \"public/blog/*.html\"]
url = {base}/posts/{name}" &&
	echo "<p>post 5</p>" >public/blog/post.html && commit_all "post 5" &&
	deploy &&
	code run range HEAD~..HEAD 2>"$TRASH/err" &&
	cat "$TRASH/err" && test "$CODE" = 1 &&
	grep "missing: .https://example.com/posts/post.html. answers 404, but .public/blog/post.html. exists" "$TRASH/err"
'

expect 'warm requests each purged URL once through nginx, which then holds it' '
	config false "[warm]
after_purge = true" &&
	echo "<p>home 6</p>" >public/index.html &&
	echo "<p>post 6</p>" >public/blog/post.html && commit_all "six" && deploy &&
	: >"$EDGE_NGINX_LOG" &&
	git push origin main 2>"$TRASH/push.err" && cat "$TRASH/push.err" &&
	grep "warmed 3 of 3 URLs" "$TRASH/push.err" &&
	! grep "verified" "$TRASH/push.err" &&
	for u in https://example.com/ https://example.com/index.html https://example.com/blog/post.html; do
		test "$(gets $u)" = MISS || { echo "$u: $(gets $u)"; cat -A "$EDGE_NGINX_LOG"; exit 1; }
	done &&
	test "$(get https://example.com/blog/post.html)" = "<p>post 6</p>" &&
	test "$(gets https://example.com/blog/post.html | tail -n 1)" = HIT
'

expect 'the token is in no nginx log' '
	! grep -rF "$TOKEN" "$EDGE_NGINX_LOG" "$TRASH/err" "$TRASH/push.err"
'

finish
