#!/bin/sh
# t20-verify.sh: verify and warm against a stand-in for Cloudflare's edge
# (tests/edgestub.py, over HTTPS with a certificate made here) that shares
# its cache keys with the stand-in API (tests/cfstub.py --cache): a purge
# sent to the API makes the edge fetch the page again from its origin, a
# folder that the cases deploy by hand. The edge can be told to keep an
# old copy after a purge, and the origin can lag behind the push.

. "$(dirname "$0")/lib.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

REPO=$TRASH/deploy.git
WORK=$TRASH/site
ORIGIN=$TRASH/origin
CACHE=$TRASH/cache
SPOOL=$TRASH/spool
EDGE_PID=

if ! openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=example.com \
	-addext "subjectAltName=DNS:example.com,DNS:elsewhere.example" -keyout "$TRASH/key.pem" \
	-out "$TRASH/cert.pem" >"$TRASH/openssl.out" 2>&1; then
	skip "t20-verify" "openssl cannot make a certificate: $(head -n 1 "$TRASH/openssl.out")"
	finish
	exit
fi

: >"$CACHE"
start_stub --cache "$CACHE" || exit 1

# The edge, on the same cache keys, serving $ORIGIN over HTTPS.
mkdir -p "$ORIGIN"
python3 "$ROOT/tests/edgestub.py" --port-file "$TRASH/edge.port" \
	--origin "$ORIGIN" --cache "$CACHE" --log "$TRASH/edge.log" \
	--tls-cert "$TRASH/cert.pem" --tls-key "$TRASH/key.pem" \
	2>"$TRASH/edge.err" &
EDGE_PID=$!
i=0
while [ ! -s "$TRASH/edge.port" ]; do
	i=$((i + 1))
	if [ $i -gt 200 ]; then
		echo "the edge stand-in did not start:" >&2
		cat "$TRASH/edge.err" >&2
		exit 1
	fi
	sleep 0.05
done
EDGE_PORT=$(cat "$TRASH/edge.port")
EDGE=http://127.0.0.1:$EDGE_PORT
trap 'kill $EDGE_PID 2>/dev/null; cleanup' EXIT

# edge_post PATH JSON: tells the edge how to misbehave (plain HTTP would
# not do: the edge speaks TLS only, with the test's certificate).
edge_post() {
	curl -sS --noproxy '*' --max-time 10 --cacert "$TRASH/cert.pem" \
		--connect-to "example.com:443:127.0.0.1:$EDGE_PORT" \
		-H 'Content-Type: application/json' -d "$2" \
		"https://example.com$1" >/dev/null
}

# get URL: what a visitor gets, through the edge.
get() {
	curl -sS --noproxy '*' --max-time 10 --cacert "$TRASH/cert.pem" \
		--connect-to "example.com:443:127.0.0.1:$EDGE_PORT" "$1"
}

# edge_gets URL: how many GETs of URL reached the edge since clear_edge.
edge_gets() {
	python3 - "$TRASH/edge.log" "$1" <<'PY'
import json, sys
n = 0
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        r = json.loads(line)
        if r["method"] == "GET" and r["url"] == sys.argv[2]:
            n += 1
print(n)
PY
}

clear_edge() {
	: >"$TRASH/edge.log"
}

# config [VERIFY_LINES [TAIL]]: the deploy repository's config, verifying
# through the edge after each purge ($AFTER: true), waiting $RETRY_AFTER
# (1) seconds before a second purge; VERIFY_LINES go into [verify], TAIL
# at the end.
config() {
	write_config "$REPO/cf-purge-hook.ini" "[cloudflare]
spool_dir = $SPOOL
retries = 0

[verify]
after_purge = ${AFTER:-true}
connect_to = 127.0.0.1:$EDGE_PORT
ca_bundle = $TRASH/cert.pem
retry_after = ${RETRY_AFTER:-1}
${1:-}
${2:-}"
}

# run ARGS...: the program on the work tree's history with the deploy
# repository's config (the cases that need the exit status).
run() {
	cfph -C "$WORK" -c "$REPO/cf-purge-hook.ini" "$@"
}

# deploy: the origin serves the work tree's public/ now.
deploy() {
	rm -rf "$ORIGIN.new" && cp -R "$WORK/public" "$ORIGIN.new" &&
	rm -rf "$ORIGIN"/* && cp -R "$ORIGIN.new"/. "$ORIGIN"/
}

make_bare "$REPO"
config
git init -q "$WORK"
cd "$WORK" || exit 1
git remote add origin "$REPO"
mkdir -p public/blog
echo '<p>home 1</p>' >public/index.html
echo '<p>post 1</p>' >public/blog/post.html
echo 'body { color: red }' >public/style.css
echo '<p>old page</p>' >public/old.html
commit_all "first deploy"
git push -q origin main 2>/dev/null
deploy
# Visitors have the site in the edge's cache.
for u in / index.html blog/post.html style.css old.html; do
	get "https://example.com/$u" >/dev/null
done

expect 'a clean deploy verifies fresh on remote: lines' '
	echo "<p>home 2</p>" >public/index.html &&
	echo "body { color: blue }" >public/style.css &&
	commit_all "second" && deploy && clear_edge &&
	git push origin main 2>"$TRASH/push.err" && cat "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: verified 3 URLs: 3 fresh *$" "$TRASH/push.err" &&
	test "$(edge_gets https://example.com/index.html)" = 1 &&
	test "$(get https://example.com/index.html)" = "<p>home 2</p>"
'

expect 'before the purge the edge did serve the old page (the check can fail)' '
	echo "<p>home 3</p>" >public/index.html && commit_all "third" &&
	deploy && test "$(get https://example.com/index.html)" = "<p>home 2</p>" &&
	git push -q origin main 2>"$TRASH/push.err" &&
	grep "verified 2 URLs: 2 fresh" "$TRASH/push.err"
'

expect 'the token reaches no edge request, and no Authorization header does' '
	! grep -F "$TOKEN" "$TRASH/edge.log" &&
	! grep -i "\"authorization\"\|\"cookie\"\|x-auth" "$TRASH/edge.log" &&
	! grep -F "$TOKEN" "$TRASH/push.err"
'

expect 'a stale URL is purged again, then verifies fresh' '
	edge_post /__edge/stale "{\"urls\": [\"https://example.com/blog/post.html\"], \"times\": 1}" &&
	echo "<p>post 2</p>" >public/blog/post.html && commit_all "post 2" &&
	deploy && clear_log &&
	OLD=$(git rev-parse HEAD~) NEW=$(git rev-parse HEAD) &&
	git push origin main 2>"$TRASH/push.err" &&
	grep "verified 1 URL: 1 fresh (1 purged a second time)" "$TRASH/push.err" &&
	requests >"$TRASH/actual" &&
	printf "200 %s files https://example.com/blog/post.html\n" "$ZONE" >"$TRASH/one" &&
	cat "$TRASH/one" "$TRASH/one" >"$TRASH/expect" &&
	diff -u "$TRASH/expect" "$TRASH/actual"
'
edge_post /__edge/reset '{}'

expect 'a URL that stays stale fails the run with the edge headers' '
	edge_post /__edge/stale "{\"urls\": [\"https://example.com/blog/post.html\"]}" &&
	echo "<p>post 3</p>" >public/blog/post.html && commit_all "post 3" &&
	deploy &&
	code run range HEAD~..HEAD 2>"$TRASH/err" &&
	cat "$TRASH/err" && test "$CODE" = 1 &&
	grep "STALE after a second purge: .https://example.com/blog/post.html. still serves the old .public/blog/post.html. (HTTP 200, cf-cache-status HIT, age [0-9]*, cf-ray [0-9a-f]*-TST)" "$TRASH/err" &&
	grep "verified 1 URL: 1 stale (1 purged a second time)" "$TRASH/err"
'

expect '--json has each URL with its verdict and headers' '
	code run --json range HEAD~..HEAD >"$TRASH/out.json" 2>/dev/null &&
	test "$CODE" = 1 &&
	python3 - "$TRASH/out.json" <<PY
import json, sys
v = json.load(open(sys.argv[1]))["verify"]
u = v["urls"][0]
assert u["url"] == "https://example.com/blog/post.html", u
assert u["verdict"] == "stale" and u["cf_cache_status"] == "HIT", u
assert u["cf_ray"].endswith("-TST") and u["purged_again"], u
assert v["counts"]["stale"] == 1, v
PY
'

expect 'a hook with a URL that stays stale ends within push_deadline' '
	RETRY_AFTER=20 config "" "[hook]
push_deadline = 4" &&
	echo "<p>post 4</p>" >public/blog/post.html && commit_all "post 4" &&
	deploy && start=$(date +%s) &&
	git push origin main 2>"$TRASH/push.err" &&
	end=$(date +%s) && cat "$TRASH/push.err" &&
	test $((end - start)) -le 6 &&
	grep "no time is left before the run.s deadline to purge the 1 stale URL again" "$TRASH/push.err" &&
	grep "STALE: .https://example.com/blog/post.html." "$TRASH/push.err"
'
edge_post /__edge/reset '{}'
config

expect 'an origin that serves the old build is not deployed; the purge is kept, and retry delivers it' '
	echo "<p>home 4</p>" >public/index.html && commit_all "home 4" &&
	rm -rf "$SPOOL" &&
	code run range HEAD~..HEAD 2>"$TRASH/err" &&
	cat "$TRASH/err" && test "$CODE" = 1 &&
	grep "not deployed: .https://example.com/index.html. is stale and the origin itself still serves the old .public/index.html. (a deploy problem, not a cache one); the purge is kept in .$SPOOL." "$TRASH/err" &&
	test "$(ls "$SPOOL" | grep -c json)" = 1 &&
	deploy && clear_log &&
	run retry 2>"$TRASH/retry.err" &&
	requests | grep -F "https://example.com/index.html" &&
	test "$(ls "$SPOOL" | grep -c json)" = 0 &&
	run verify HEAD~..HEAD 2>"$TRASH/verify.err" &&
	grep "verified 2 URLs: 2 fresh" "$TRASH/verify.err"
'

expect 'a wrong [map] template is reported as missing' '
	config "" "[map \"public/blog/*.html\"]
url = {base}/posts/{name}" &&
	echo "<p>post 5</p>" >public/blog/post.html && commit_all "post 5" &&
	deploy &&
	code run range HEAD~..HEAD 2>"$TRASH/err" &&
	cat "$TRASH/err" && test "$CODE" = 1 &&
	grep "missing: .https://example.com/posts/post.html. answers 404, but .public/blog/post.html. exists" "$TRASH/err" &&
	grep "verified 2 URLs: 1 fresh, 1 missing" "$TRASH/err"
'
config

expect 'the [map] rules of a pushed tree_config are verified too' '
	config "" "[hook]
tree_config = .cf-purge-hook.ini" &&
	printf "%s\n" "[map \"public/blog/*.html\"]" "url = {base}/posts/{name}" >.cf-purge-hook.ini &&
	echo "<p>post 5b</p>" >public/blog/post.html && commit_all "tree map" &&
	deploy &&
	code run range HEAD~..HEAD 2>"$TRASH/err" &&
	cat "$TRASH/err" && test "$CODE" = 1 &&
	grep "missing: .https://example.com/posts/post.html. answers 404, but .public/blog/post.html. exists" "$TRASH/err" &&
	grep "verified 2 URLs: 1 fresh, 1 missing" "$TRASH/err"
'
git rm -q .cf-purge-hook.ini && commit_all "no tree map" >/dev/null
config

expect 'a deleted page that is gone from the edge verifies fresh' '
	git rm -q public/old.html && commit_all "drop old" && deploy &&
	test "$(get https://example.com/old.html)" = "<p>old page</p>" &&
	run range HEAD~..HEAD 2>"$TRASH/err" &&
	grep "verified 1 URL: 1 fresh" "$TRASH/err"
'

expect 'an edge that rewrites pages is other (not a failure); compare = status checks the status only' '
	edge_post /__edge/rewrite "{\"suffix\": \"<!-- edge -->\"}" &&
	echo "<p>home 5</p>" >public/index.html && commit_all "home 5" && deploy &&
	run range HEAD~..HEAD 2>"$TRASH/err" &&
	grep "verified 2 URLs: 2 other" "$TRASH/err" &&
	grep "set \[verify\] compare = status" "$TRASH/err" &&
	config "compare = status" &&
	run range HEAD~..HEAD 2>"$TRASH/err" &&
	grep "verified 2 URLs: 2 fresh" "$TRASH/err"
'
edge_post /__edge/reset '{}'
config

expect '--dry-run sends nothing to the edge, verify --dry-run neither' '
	clear_edge &&
	run --dry-run range HEAD~2..HEAD 2>"$TRASH/err" &&
	run --dry-run verify HEAD~2..HEAD 2>"$TRASH/err2" &&
	grep "dry run: would verify 3 URLs" "$TRASH/err2" &&
	test ! -s "$TRASH/edge.log"
'

expect 'warm requests each purged URL once, and [warm] urls' '
	AFTER=false config "" "[warm]
after_purge = true
urls = https://example.com/style.css" &&
	echo "<p>home 6</p>" >public/index.html &&
	echo "<p>post 6</p>" >public/blog/post.html && commit_all "six" && deploy &&
	clear_edge &&
	git push origin main 2>"$TRASH/push.err" && cat "$TRASH/push.err" &&
	grep "warmed 4 of 4 URLs" "$TRASH/push.err" &&
	! grep "verified" "$TRASH/push.err" &&
	for u in https://example.com/ https://example.com/index.html https://example.com/blog/post.html https://example.com/style.css; do
		test "$(edge_gets $u)" = 1 || { echo "$u: $(edge_gets $u) GETs"; exit 1; }
	done &&
	test "$(get https://example.com/blog/post.html)" = "<p>post 6</p>"
'
config

expect 'a GitHub job summary gets a table of the verdicts' '
	echo "<p>home 7</p>" >public/index.html && commit_all "seven" && deploy &&
	printf "{\"ref\": \"refs/heads/main\", \"before\": \"%s\", \"after\": \"%s\", \"created\": false, \"deleted\": false, \"forced\": false, \"commits\": [], \"repository\": {\"full_name\": \"o/site\", \"default_branch\": \"main\"}}" \
		"$(git rev-parse HEAD~)" "$(git rev-parse HEAD)" >"$TRASH/event.json" &&
	config "" "[ci]
marker = false" && : >"$TRASH/summary" &&
	env GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push \
		GITHUB_EVENT_PATH="$TRASH/event.json" GITHUB_REF=refs/heads/main \
		GITHUB_SHA="$(git rev-parse HEAD)" GITHUB_STEP_SUMMARY="$TRASH/summary" \
		GITHUB_OUTPUT="$TRASH/output" $CFPH_WRAP "$CFPH" \
		-c "$REPO/cf-purge-hook.ini" ci >"$TRASH/out" 2>"$TRASH/err" &&
	cat "$TRASH/summary" &&
	grep "^Verified 2 URLs: 2 fresh.$" "$TRASH/summary" &&
	grep -F "| https://example.com/index.html | fresh | 200 | MISS |  | " "$TRASH/summary"
'
config

expect 'rate spaces the requests; concurrency = 1 keeps one connection' '
	config "rate = 2
concurrency = 1" && clear_edge &&
	run verify "$(git rev-list --max-parents=0 HEAD)..HEAD" 2>"$TRASH/err" &&
	grep "verified 5 URLs: 5 fresh" "$TRASH/err" &&
	python3 - "$TRASH/edge.log" <<PY
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
assert len(rs) == 5, rs
# From the second on: the time of the first at the edge includes the TLS
# handshake (slow under valgrind), which the rest, on its connection, skip.
t = [r["time"] for r in rs]
assert t[-1] - t[1] >= 1.3, "requests 2 to 5 at 2 a second took %.2f s" % (t[-1] - t[1])
assert len({r["connection"] for r in rs}) == 1, [r["connection"] for r in rs]
PY
'
config

expect 'a redirect within the host is followed (a folder without its slash)' '
	mkdir -p public/docs && echo "<p>docs</p>" >public/docs/index.html &&
	commit_all "docs" && deploy &&
	config "" "[site]
pretty_urls = true" && clear_edge &&
	run range HEAD~..HEAD 2>"$TRASH/err" &&
	grep "verified 3 URLs: 3 fresh" "$TRASH/err" &&
	grep "\"path\": \"/docs\"" "$TRASH/edge.log" | grep -q "\"status\": 301"
'
config

# The certificate names elsewhere.example too, and connect_to sends every
# host to the edge: a redirect followed there would be served and logged.
expect 'a redirect to another host is not followed, and says so' '
	edge_post /__edge/redirect "{\"url\": \"https://example.com/style.css\", \"location\": \"https://elsewhere.example/x\", \"status\": 301}" &&
	clear_edge &&
	run verify "$(git rev-list --max-parents=0 HEAD)..HEAD" 2>"$TRASH/err" &&
	cat "$TRASH/err" &&
	grep "other: .https://example.com/style.css. serves neither the old nor the new .public/style.css. (HTTP 301, cf-cache-status DYNAMIC, cf-ray [0-9a-f]*-TST): redirects to .https://elsewhere.example/x., another host: not followed" "$TRASH/err" &&
	test "$(edge_gets https://example.com/style.css)" = 1 &&
	! grep -F elsewhere.example "$TRASH/edge.log" &&
	test "$(curl -sS --noproxy "*" --cacert "$TRASH/cert.pem" -o /dev/null -w "%{http_code}" \
		--connect-to "elsewhere.example:443:127.0.0.1:$EDGE_PORT" https://elsewhere.example/x)" = 404 &&
	grep -F "https://elsewhere.example/x" "$TRASH/edge.log"
'
edge_post /__edge/reset '{}'

expect 'a purge of everything (a created branch) verifies the files of its tree, stale ones too' '
	config "" "[hook]
branches = main, live
on_create = everything" &&
	test "$(get https://example.com/index.html)" = "<p>home 7</p>" &&
	edge_post /__edge/stale "{\"urls\": [\"https://example.com/index.html\"], \"times\": 1, \"age\": 600}" &&
	echo "<p>home 8</p>" >public/index.html && commit_all "home 8" && deploy &&
	clear_edge &&
	git push origin HEAD:refs/heads/live 2>"$TRASH/push.err" && cat "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: verified 6 URLs: 6 fresh (1 purged a second time) *$" "$TRASH/push.err" &&
	test "$(edge_gets https://example.com/index.html)" = 2 &&
	test "$(edge_gets https://example.com/style.css)" = 1 &&
	test "$(edge_gets https://example.com/docs/index.html)" = 1 &&
	git push -q origin main 2>/dev/null
'
edge_post /__edge/reset '{}'
config

expect 'verify --dir checks every file of a built folder' '
	code cfph -c "$REPO/cf-purge-hook.ini" verify --dir "$ORIGIN" 2>"$TRASH/err" &&
	cat "$TRASH/err" && test "$CODE" = 0 &&
	grep "verified 6 URLs: 6 fresh" "$TRASH/err"
'

expect 'verify --dir finds a stale body by the tree that dir recorded, and records nothing' '
	cfph -c "$REPO/cf-purge-hook.ini" dir "$ORIGIN" 2>"$TRASH/err" &&
	cat "$TRASH/err" &&
	test "$(get https://example.com/blog/post.html)" = "<p>post 6</p>" &&
	edge_post /__edge/stale "{\"urls\": [\"https://example.com/blog/post.html\"]}" &&
	echo "<p>post 9</p>" >"$ORIGIN/blog/post.html" &&
	code cfph -c "$REPO/cf-purge-hook.ini" verify --dir "$ORIGIN" 2>"$TRASH/err" &&
	cat "$TRASH/err" && test "$CODE" = 1 &&
	grep "STALE after a second purge: .https://example.com/blog/post.html. still serves the old .blog/post.html." "$TRASH/err" &&
	grep "verified 6 URLs: 5 fresh, 1 stale (1 purged a second time)" "$TRASH/err" &&
	edge_post /__edge/reset "{}" && clear_log &&
	cfph -c "$REPO/cf-purge-hook.ini" dir "$ORIGIN" 2>"$TRASH/err" &&
	requests | grep -F "https://example.com/blog/post.html"
'
edge_post /__edge/reset '{}'

expect 'dir with after_purge finds a stale body by the tree its state had' '
	test "$(get https://example.com/blog/post.html)" = "<p>post 9</p>" &&
	edge_post /__edge/stale "{\"urls\": [\"https://example.com/blog/post.html\"]}" &&
	echo "<p>post 10</p>" >"$ORIGIN/blog/post.html" &&
	code cfph -c "$REPO/cf-purge-hook.ini" dir "$ORIGIN" 2>"$TRASH/err" &&
	cat "$TRASH/err" && test "$CODE" = 1 &&
	grep "STALE after a second purge: .https://example.com/blog/post.html. still serves the old .blog/post.html." "$TRASH/err"
'
edge_post /__edge/reset '{}'

expect 'verify --dir after dir has recorded the build finds a stale body by the build recorded before it' '
	AFTER=false config &&
	echo "<p>post 11</p>" >"$ORIGIN/blog/post.html" &&
	cfph -q -c "$REPO/cf-purge-hook.ini" dir "$ORIGIN" &&
	test "$(get https://example.com/blog/post.html)" = "<p>post 11</p>" &&
	edge_post /__edge/stale "{\"urls\": [\"https://example.com/blog/post.html\"]}" &&
	echo "<p>post 12</p>" >"$ORIGIN/blog/post.html" &&
	cfph -q -c "$REPO/cf-purge-hook.ini" dir "$ORIGIN" &&
	code cfph -c "$REPO/cf-purge-hook.ini" verify --dir "$ORIGIN" 2>"$TRASH/err" &&
	cat "$TRASH/err" && test "$CODE" = 1 &&
	grep "STALE after a second purge: .https://example.com/blog/post.html. still serves the old .blog/post.html." "$TRASH/err" &&
	edge_post /__edge/reset "{}" &&
	code cfph -c "$REPO/cf-purge-hook.ini" verify --dir "$ORIGIN" 2>"$TRASH/err" &&
	cat "$TRASH/err" && test "$CODE" = 0 &&
	grep "verified 6 URLs: 6 fresh" "$TRASH/err"
'
edge_post /__edge/reset '{}'
config

expect '[verify] and [warm] keys are checked' '
	printf "[cloudflare]\nzone_id = %s\n[site]\nbase_url = https://example.com\n[verify]\nconnect_to = nohost\nconcurrency = 0\n[warm]\nurls = ftp://x\nnope = 1\n" "$ZONE" >"$TRASH/bad.ini" &&
	code cfph -c "$TRASH/bad.ini" check 2>"$TRASH/err" &&
	test "$CODE" = 2 &&
	grep "line 6: .connect_to. in \[verify\] must be HOST:PORT" "$TRASH/err" &&
	grep "line 7: .concurrency. in \[verify\]" "$TRASH/err" &&
	grep "line 9: .urls. in \[warm\]: .ftp://x." "$TRASH/err" &&
	grep "line 10: unknown key .nope. in \[warm\]" "$TRASH/err"
'

finish
