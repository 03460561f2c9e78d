#!/bin/sh
# The nginx edge of tests/blackbox/edge-nginx.sh on its own: a real
# proxy_cache in front of a folder, and real purge requests sent with curl
# to the stand-in API (tests/cfstub.py), applied to nginx's cache from
# cfstub's log or, with cfstub's --on-purge, before cfstub answers.
#
# Needs nginx and its njs module (installed when missing and root); the
# suite is skipped, with the reason, when they cannot be had.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/blackbox/edge-nginx.sh"

HOST=www.example.com
SITE=$TRASH/site
OLD=$TRASH/old
trap 'edge_nginx_stop; cleanup' EXIT

mkdir -p "$SITE/blog" "$SITE/docs" "$OLD"
echo 'home v1' >"$SITE/index.html"
echo 'post a v1' >"$SITE/blog/a.html"
echo 'post b v1' >"$SITE/blog/b.html"
echo 'about v1' >"$SITE/about.html"
echo 'body{color:red}' >"$SITE/a.css"
echo 'home OLD' >"$OLD/index.html"

edge_nginx_start "$SITE" "$HOST"
rc=$?
if [ "$rc" = 2 ]; then
	skip "nginx edge" "$EDGE_NGINX_WHY"
	finish
	exit
fi
expect "edge_nginx_start: nginx runs (${EDGE_NGINX_WHY:-ok})" "test $rc = 0"
[ "$rc" = 0 ] || { cat "$TRASH/edge-nginx/error.log" 2>/dev/null; finish; exit 1; }

# get PATH [CURL ARGS]: GET http://$HOST/PATH through nginx; body in
# $TRASH/body, headers in $TRASH/headers.
get() {
	p=$1
	shift
	curl -sS --noproxy '*' --max-time 10 -o "$TRASH/body" -D "$TRASH/headers" \
		--connect-to "$HOST:80:127.0.0.1:$EDGE_NGINX_PORT" "$@" "http://$HOST$p"
}
# header NAME: a header of the last answer.
header() {
	sed -n "s/^$1: *//Ip" "$TRASH/headers" | tr -d '\r' | tail -n 1
}
# seen: "STATUS CACHE-STATUS BODY" of the last answer.
seen() {
	printf '%s %s %s' "$(head -n 1 "$TRASH/headers" | cut -d ' ' -f 2)" \
		"$(header cf-cache-status)" "$(cat "$TRASH/body")"
}
# purge JSON: a purge request to the stand-in API, as the program sends it.
purge() {
	curl -sS --noproxy '*' --max-time 30 -o "$TRASH/purge.out" -w '%{http_code}\n' \
		-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
		--data-binary "$1" "$API_URL/zones/$ZONE/purge_cache"
}

start_stub || exit 1

expect 'MISS, then HIT with an age, a cf-ray and vary' '
	get /about.html
	test "$(seen)" = "200 MISS about v1"
	test -z "$(header age)"
	get /about.html
	test "$(seen)" = "200 HIT about v1"
	test "$(header age)" -ge 0
	header cf-ray | grep -Eq "^[0-9a-f]{16}-TST$"
	test "$(header vary)" = Accept-Encoding
	grep -q "^GET https://$HOST/about.html 200 HIT$" "$EDGE_NGINX_LOG"
'

expect 'the age counts from when the copy was stored' '
	sleep 1.2
	get /about.html
	test "$(header cf-cache-status)" = HIT
	test "$(header age)" -ge 1
'

expect 'a file purge sent to cfstub, applied from its log: MISS with the new content' '
	echo "about v2" >"$SITE/about.html"
	get /a.css
	get /about.html
	test "$(seen)" = "200 HIT about v1"
	test "$(purge "{\"files\":[\"https://$HOST/about.html\"]}")" = 200
	get /about.html
	test "$(seen)" = "200 HIT about v1"
	test "$(edge_nginx_apply_purges "$TRASH/stub.log")" = "https://$HOST/about.html"
	get /about.html
	test "$(seen)" = "200 MISS about v2"
	get /about.html
	test "$(seen)" = "200 HIT about v2"
	get /a.css
	test "$(header cf-cache-status)" = HIT
'

expect 'applying the same log again removes nothing cached after its purges' '
	test -z "$(edge_nginx_apply_purges "$TRASH/stub.log")"
	get /about.html
	test "$(seen)" = "200 HIT about v2"
'

expect 'a prefix purge: the URLs under it and no other' '
	get /blog/a.html; get /blog/b.html; get "/blog/a.html?x=1"
	echo "post a v2" >"$SITE/blog/a.html"
	echo "about v3" >"$SITE/about.html"
	test "$(purge "{\"prefixes\":[\"$HOST/blog/\"]}")" = 200
	test "$(edge_nginx_apply_purges "$TRASH/stub.log" | tr "\n" " ")" = \
		"https://$HOST/blog/a.html https://$HOST/blog/a.html?x=1 https://$HOST/blog/b.html "
	get /blog/a.html
	test "$(seen)" = "200 MISS post a v2"
	get /about.html
	test "$(seen)" = "200 HIT about v2"
'

expect 'purge_everything empties the cache' '
	test "$(purge "{\"purge_everything\":true}")" = 200
	edge_nginx_apply_purges "$TRASH/stub.log" >"$TRASH/removed"
	grep -qx "https://$HOST/about.html" "$TRASH/removed"
	grep -qx "https://$HOST/a.css" "$TRASH/removed"
	get /about.html
	test "$(seen)" = "200 MISS about v3"
'

expect 'a 404 is cached until purged' '
	get /new.html
	test "$(header cf-cache-status)" = MISS
	grep -q "^HTTP/1.1 404" "$TRASH/headers"
	echo "new page" >"$SITE/new.html"
	get /new.html
	grep -q "^HTTP/1.1 404" "$TRASH/headers"
	test "$(header cf-cache-status)" = HIT
	purge "{\"files\":[\"https://$HOST/new.html\"]}" >/dev/null
	edge_nginx_apply_purges "$TRASH/stub.log" >/dev/null
	get /new.html
	test "$(seen)" = "200 MISS new page"
'

expect 'gzip when the client asks, the page when decoded' '
	get /index.html -H "Accept-Encoding: gzip"
	test "$(header content-encoding)" = gzip
	test "$(gzip -dc <"$TRASH/body")" = "home v1"
	get /index.html
	test "$(seen)" = "200 HIT home v1"
	test -z "$(header content-encoding)"
'

# Synchronous: cfstub applies each purge before it answers.
start_stub --on-purge "$EDGE_NGINX_ON_PURGE" || exit 1

expect 'cfstub --on-purge: the purge is applied before the answer' '
	echo "home v2" >"$SITE/index.html"
	get /index.html
	test "$(seen)" = "200 HIT home v1"
	test "$(purge "{\"files\":[\"https://$HOST/index.html\"]}")" = 200
	get /index.html
	test "$(seen)" = "200 MISS home v2"
	! test -s "$TRASH/stub.err"
'

expect 'edge_nginx_keep: a purge that did not take keeps the old copy' '
	echo "home v3" >"$SITE/index.html"
	edge_nginx_keep "https://$HOST/index.html"
	purge "{\"prefixes\":[\"$HOST/\"]}" >/dev/null
	get /index.html
	test "$(seen)" = "200 HIT home v2"
	edge_nginx_keep
	purge "{\"files\":[\"https://$HOST/index.html\"]}" >/dev/null
	get /index.html
	test "$(seen)" = "200 MISS home v3"
'

expect 'edge_nginx_origin: an origin not deployed yet is what gets cached' '
	edge_nginx_origin "$OLD"
	get /index.html
	test "$(seen)" = "200 HIT home v3"
	purge "{\"files\":[\"https://$HOST/index.html\"]}" >/dev/null
	get /index.html
	test "$(seen)" = "200 MISS home OLD"
	edge_nginx_origin "$SITE"
	purge "{\"files\":[\"https://$HOST/index.html\"]}" >/dev/null
	get /index.html
	test "$(seen)" = "200 MISS home v3"
'

if [ -n "$EDGE_NGINX_TLS_PORT" ]; then
	expect 'HTTPS with the harness certificate, the same cache' '
		curl -sS --noproxy "*" --max-time 10 --cacert "$EDGE_NGINX_CERT" \
			-o "$TRASH/body" -D "$TRASH/headers" \
			--connect-to "$HOST:443:127.0.0.1:$EDGE_NGINX_TLS_PORT" "https://$HOST/index.html"
		test "$(seen)" = "200 HIT home v3"
		code curl -sS --noproxy "*" --max-time 10 -o /dev/null \
			--connect-to "$HOST:443:127.0.0.1:$EDGE_NGINX_TLS_PORT" "https://$HOST/index.html"
		test "$CODE" = 60
	'
else
	skip "nginx edge over HTTPS" "openssl could not make a certificate"
fi

expect 'the token is in no log' '
	! grep -rqF -- "$TOKEN" "$TRASH/stub.log" "$EDGE_NGINX_DIR"
'

expect 'edge_nginx_stop ends nginx' '
	pid=$(cat "$EDGE_NGINX_DIR/nginx.pid")
	edge_nginx_stop
	! edge_nginx_alive "$pid"
	! curl -s --noproxy "*" --max-time 5 -o /dev/null "http://127.0.0.1:$EDGE_NGINX_PORT/"
'

finish
