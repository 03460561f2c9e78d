#!/bin/sh
# t20-verify-nginx.sh: verify through a real caching proxy, nginx's
# proxy_cache in front of a folder (tests/blackbox/edge-nginx.sh), with
# each purge the stand-in API receives applied to nginx's cache before the
# API answers (cfstub --on-purge). A push that the origin serves verifies
# fresh; a cache entry that a purge does not remove stays stale, is purged
# a second time, and fails the run with nginx's headers.
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

make_bare "$REPO"
write_config "$REPO/cf-purge-hook.ini" "[cloudflare]
spool_dir = $SPOOL
retries = 0

[verify]
after_purge = true
connect_to = 127.0.0.1:$EDGE_NGINX_TLS_PORT
ca_bundle = $EDGE_NGINX_CERT
retry_after = 1"
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

expect 'the token is in no nginx log' '
	! grep -rF "$TOKEN" "$EDGE_NGINX_LOG" "$TRASH/err" "$TRASH/push.err"
'

finish
