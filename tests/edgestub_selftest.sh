#!/usr/bin/env bash
# Self-test for tests/edgestub.py, the local stand-in for Cloudflare's edge,
# together with tests/cfstub.py (the stand-in API): both share one cache-key
# file, so a purge sent to cfstub with curl must change what the edge serves.
#
# Prints one line per check and "N passed, N failed" last; exits non-zero on
# any failure.  Needs bash, curl, python3 and openssl (for the HTTPS checks,
# with a self-signed certificate made here).  Usage: tests/edgestub_selftest.sh

set -u

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/edgestub-selftest.XXXXXX")
pids=()

cleanup() {
    local pid
    for pid in "${pids[@]}" ${PYQ_PID:-}; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

TOKEN='edge-s3cr3t-T0ken'
ZONE=023e105f4ecef8ad9ca31a8372d0c353
HOST=www.example.com
SITE=$tmp/site
OLD=$tmp/old
CACHE=$tmp/cache

passed=0
failed=0

check() {   # check DESCRIPTION COMMAND...  (passes when COMMAND succeeds)
    local desc=$1
    shift
    if "$@"; then
        passed=$((passed + 1)); echo "ok   - $desc"
    else
        failed=$((failed + 1)); echo "FAIL - $desc"
    fi
}

# wait_port NAME: waits for $tmp/NAME.port and prints the port.
wait_port() {
    local i
    for i in $(seq 100); do
        [ -s "$tmp/$1.port" ] && break
        sleep 0.05
    done
    cat "$tmp/$1.port" 2>/dev/null
}

# start_edge NAME ARGS...: an edge stand-in on the shared cache; sets $pid.
start_edge() {
    local name=$1
    shift
    python3 "$here/edgestub.py" --port-file "$tmp/$name.port" --origin "$SITE" \
        --cache "$CACHE" --log "$tmp/$name.log" "$@" 2>"$tmp/$name.err" &
    pid=$!
    pids+=("$pid")
}

# get PATH [curl args]: GET http://$HOST/PATH through the edge; the body goes
# to $tmp/body, the headers to $tmp/headers, the status to $status.
get() {
    local path=$1
    shift
    status=$(curl -sS --noproxy '*' --max-time 10 -o "$tmp/body" -D "$tmp/headers" \
                  -w '%{http_code}' --connect-to "$HOST:80:127.0.0.1:$EDGE" \
                  "$@" "http://$HOST$path" 2>"$tmp/curl.err")
}

# header NAME: the value of a response header of the last get.
header() {
    sed -n "s/^$1: *//Ip" "$tmp/headers" | tr -d '\r' | tail -n 1
}
body() { cat "$tmp/body"; }
# seen: "STATUS CACHE-STATUS BODY" of the last get, for one comparison.
seen() { printf '%s %s %s' "$status" "$(header cf-cache-status)" "$(body)"; }

# purge JSON: a purge_cache request to cfstub, as cf-purge-hook sends it.
purge() {
    curl -sS --noproxy '*' --max-time 10 -o "$tmp/purge.out" -w '%{http_code}' \
        -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        --data-binary "$1" "$API/zones/$ZONE/purge_cache"
}

# control NAME JSON: a control request to the edge; prints the HTTP status.
control() {
    curl -sS --noproxy '*' --max-time 10 -o "$tmp/control.out" -w '%{http_code}' \
        -H 'Content-Type: application/json' --data-binary "$2" \
        "http://127.0.0.1:$EDGE/__edge/$1"
}

# One Python process answers every JSON question: "KIND<TAB>FILE<TAB>EXPR"
# lines, one answer line each.  KIND "json" binds the file's JSON to d;
# KIND "log" binds the file's lines, parsed, to the list L.
coproc PYQ {
    python3 -u -c '
import json, sys
for line in sys.stdin:
    kind, path, expr = line.rstrip("\n").split("\t", 2)
    try:
        if kind == "log":
            L = [json.loads(l) for l in open(path)]
        else:
            d = json.load(open(path))
        out = eval(expr)
    except Exception as e:
        out = "ERROR: %r" % e
    print(str(out).replace("\n", " "), flush=True)
'
}
ask() {
    printf '%s\t%s\t%s\n' "$1" "$2" "$3" >&"${PYQ[1]}"
    local reply
    IFS= read -r reply <&"${PYQ[0]}"
    printf '%s\n' "$reply"
}
edgelog() { ask log "$tmp/edge.log" "$1"; }   # a Python expression over L

is() { [ "$1" = "$2" ]; }   # is ACTUAL EXPECTED

# ---------------------------------------------------------------------------
mkdir -p "$SITE/blog" "$SITE/docs" "$OLD"
echo 'home v1' >"$SITE/index.html"
echo 'body{color:red}' >"$SITE/a.css"
echo 'post a v1' >"$SITE/blog/a.html"
echo 'post b v1' >"$SITE/blog/b.html"
echo 'about v1' >"$SITE/about.html"
echo 'docs v1' >"$SITE/docs/index.html"
echo 'home OLD' >"$OLD/index.html"
: >"$CACHE"

python3 "$here/cfstub.py" --port-file "$tmp/api.port" --log "$tmp/api.log" \
    --token "$TOKEN" --zone "$ZONE" --cache "$CACHE" 2>"$tmp/api.err" &
pids+=("$!")
start_edge edge
edge_pid=$pid
API="http://127.0.0.1:$(wait_port api)/client/v4"
EDGE=$(wait_port edge)
check "port file holds a port number" bash -c '[[ "$1" =~ ^[0-9]+$ ]]' _ "$EDGE"

# MISS, then HIT.
get /about.html
check "first request: 200 MISS with the origin's body" is "$(seen)" "200 MISS about v1"
check "MISS: no age header" is "$(header age)" ""
check "cf-ray is 16 hex digits and -TST" bash -c '[[ "$1" =~ ^[0-9a-f]{16}-TST$ ]]' _ "$(header cf-ray)"
check "content-type from the extension, vary: Accept-Encoding" \
    is "$(header content-type)/$(header vary)" "text/html; charset=utf-8/Accept-Encoding"
check "content-length is the body's length" is "$(header content-length)" "$(wc -c <"$tmp/body" | tr -d ' ')"
check "the key is added to the shared file" grep -qxF "https://$HOST/about.html" "$CACHE"
get /about.html
check "second request: 200 HIT, same body" is "$(seen)" "200 HIT about v1"
check "HIT: age is a number of seconds" bash -c '[[ "$1" =~ ^[0-9]+$ ]]' _ "$(header age)"
get /a.css
check "a.css: text/css" is "$(header content-type)" "text/css; charset=utf-8"
get /docs
check "a folder without a slash: 301 to /docs/" is "$status $(header location)" "301 /docs/"
get /docs/
check "a path ending in /: the folder's index.html" is "$(seen)" "200 MISS docs v1"
curl -sS --noproxy '*' -I -o /dev/null -D "$tmp/headers" --connect-to "$HOST:80:127.0.0.1:$EDGE" "http://$HOST/about.html"
check "HEAD: HIT with the GET's content-length" \
    is "$(header cf-cache-status) $(header content-length)" "HIT 9"

# A file purge through cfstub.
echo 'about v2' >"$SITE/about.html"
get /about.html
check "origin changed, no purge yet: still the cached copy" is "$(seen)" "200 HIT about v1"
check "file purge: cfstub answers 200" is "$(purge "{\"files\":[\"https://$HOST/about.html\"]}")" 200
check "file purge removed the key from the shared file" bash -c '! grep -qxF "$1" "$2"' _ "https://$HOST/about.html" "$CACHE"
check "file purge left the other keys" grep -qxF "https://$HOST/a.css" "$CACHE"
get /about.html
check "after the file purge: MISS with the new content" is "$(seen)" "200 MISS about v2"
get /about.html
check "then HIT with the new content" is "$(seen)" "200 HIT about v2"
get /a.css
check "a file the purge did not cover stays a HIT" is "$status $(header cf-cache-status)" "200 HIT"

# Query strings: a separate key, covered by a prefix purge.
get '/a.css?v=2'
check "a query string is its own key: MISS" is "$status $(header cf-cache-status)" "200 MISS"
check "its key holds the query string" grep -qxF "https://$HOST/a.css?v=2" "$CACHE"

# A prefix purge.
get /blog/a.html; get /blog/b.html
echo 'post a v2' >"$SITE/blog/a.html"
echo 'post b v2' >"$SITE/blog/b.html"
echo 'about v3' >"$SITE/about.html"
echo 'body{color:blue}' >"$SITE/a.css"
check "prefix purge: cfstub answers 200" is "$(purge "{\"prefixes\":[\"$HOST/blog/\"]}")" 200
get /blog/a.html
check "prefix purge: /blog/a.html is a MISS with the new content" is "$(seen)" "200 MISS post a v2"
get /blog/b.html
check "prefix purge: /blog/b.html is a MISS with the new content" is "$(seen)" "200 MISS post b v2"
get /about.html
check "prefix purge: /about.html (outside it) stays a HIT" is "$(seen)" "200 HIT about v2"
check "prefix purge www.example.com/a.css covers ?v=2" is "$(purge "{\"prefixes\":[\"$HOST/a.css\"]}")" 200
get '/a.css?v=2'
check "after it: /a.css?v=2 is a MISS" is "$(seen)" "200 MISS body{color:blue}"

# purge_everything.
check "purge_everything: cfstub answers 200" is "$(purge '{"purge_everything":true}')" 200
check "purge_everything emptied the shared file" is "$(wc -l <"$CACHE" | tr -d ' ')" 0
get /about.html
check "after purge_everything: MISS with the new content" is "$(seen)" "200 MISS about v3"
get /blog/a.html
check "after purge_everything: every URL is a MISS" is "$status $(header cf-cache-status)" "200 MISS"

# 404s are cached until purged.
get /new.html
check "a missing file: 404 MISS" is "$status $(header cf-cache-status)" "404 MISS"
echo 'new page' >"$SITE/new.html"
get /new.html
check "the file appears at the origin: still 404, a HIT" is "$status $(header cf-cache-status)" "404 HIT"
purge "{\"files\":[\"https://$HOST/new.html\"]}" >/dev/null
get /new.html
check "after a purge: 200 MISS with the page" is "$(seen)" "200 MISS new page"

# Stale rule: a purge that does not take, for two requests.
get /index.html
sleep 1.1
echo 'home v2' >"$SITE/index.html"
check "stale rule: control answers 200 {\"ok\": true}" \
    is "$(control stale "{\"urls\":[\"https://$HOST/index.html\"],\"times\":2}") $(cat "$tmp/control.out")" \
    '200 {"ok": true}'
get /index.html
check "stale rule before any purge: a plain HIT" is "$(seen)" "200 HIT home v1"
purge "{\"files\":[\"https://$HOST/index.html\"]}" >/dev/null
get /index.html
check "stale after the purge (1 of 2): HIT with the old copy" is "$(seen)" "200 HIT home v1"
check "stale HIT: the age counts from when the copy was stored" bash -c '[ "$1" -ge 1 ]' _ "$(header age)"
check "stale serve recorded as such" is "$(edgelog 'L[-1]["stale"], L[-1]["cf_cache_status"]')" "(True, 'HIT')"
get /index.html
check "stale after the purge (2 of 2): HIT with the old copy" is "$(seen)" "200 HIT home v1"
get /index.html
check "stale serves used up: MISS with the new content" is "$(seen)" "200 MISS home v2"
get /index.html
check "then a plain HIT with the new content" is "$(seen)" "200 HIT home v2"

# A stale rule with an age: the old copy looks older than it is.
echo 'aged v1' >"$SITE/aged.html"
get /aged.html
echo 'aged v2' >"$SITE/aged.html"
control stale "{\"urls\":[\"https://$HOST/aged.html\"],\"times\":1,\"age\":600}" >/dev/null
purge "{\"files\":[\"https://$HOST/aged.html\"]}" >/dev/null
get /aged.html
check "stale rule with age 600: the old copy, age 600 or more" \
    bash -c '[ "$1" = "200 HIT aged v1" ] && [ "$2" -ge 600 ] && [ "$2" -lt 700 ]' _ "$(seen)" "$(header age)"
get /aged.html
check "then a MISS with the new content, no age" is "$(seen)/$(header age)" "200 MISS aged v2/"
get /aged.html
check "and a HIT with its real age" bash -c '[ "$1" -lt 600 ]' _ "$(header age)"

# Stale for ever, until reset.
echo 'home v3' >"$SITE/index.html"
control stale "{\"urls\":[\"https://$HOST/index.html\"]}" >/dev/null
purge "{\"files\":[\"https://$HOST/index.html\"]}" >/dev/null
get /index.html; get /index.html; get /index.html
check "stale without times: the old copy a third time" is "$(seen)" "200 HIT home v2"
check "reset: 200" is "$(control reset '{}')" 200
get /index.html
check "after reset: MISS with the new content" is "$(seen)" "200 MISS home v3"

# Origin switch: an origin that is not deployed yet.
check "origin switch: 200" is "$(control origin "{\"dir\":\"$OLD\"}")" 200
get /index.html
check "origin switch keeps what is cached" is "$(seen)" "200 HIT home v3"
purge "{\"files\":[\"https://$HOST/index.html\"]}" >/dev/null
get /index.html
check "after a purge the old origin's content is cached" is "$(seen)" "200 MISS home OLD"
check "origin switch to a missing folder: 400" is "$(control origin "{\"dir\":\"$tmp/nowhere\"}")" 400
control origin "{\"dir\":\"$SITE\"}" >/dev/null
purge "{\"files\":[\"https://$HOST/index.html\"]}" >/dev/null
get /index.html
check "origin switched back: the deployed content" is "$(seen)" "200 MISS home v3"

# Rewrite.
check "rewrite: 200" is "$(control rewrite '{"suffix":"<!-- edge -->"}')" 200
get /index.html
check "rewrite: the suffix on an HTML body (a HIT too)" is "$(seen)" "200 HIT home v3
<!-- edge -->"
get /a.css
check "rewrite: a CSS body is left alone" is "$(body)" "body{color:blue}"
control rewrite '{"suffix":null}' >/dev/null
get /index.html
check "rewrite stopped: the body as stored" is "$(seen)" "200 HIT home v3"
control rewrite '{"suffix":"<!-- x -->"}' >/dev/null
control reset '{}' >/dev/null
get /index.html
check "reset forgets the rewrite" is "$(body)" "home v3"

# Redirect.
check "redirect: 200" is "$(control redirect "{\"url\":\"https://$HOST/a.css\",\"location\":\"https://elsewhere.example/x\",\"status\":301}")" 200
get /a.css
check "redirect: the status, Location, DYNAMIC, no body" \
    is "$status $(header location) $(header cf-cache-status) [$(body)]" "301 https://elsewhere.example/x DYNAMIC []"
check "redirect: logged with its status" is "$(edgelog 'L[-1]["status"], L[-1]["cf_cache_status"]')" "(301, 'DYNAMIC')"
check "redirect with a bad status: 400" is "$(control redirect "{\"url\":\"https://$HOST/a.css\",\"location\":\"/\",\"status\":200}")" 400
control redirect "{\"url\":\"https://$HOST/a.css\",\"location\":null}" >/dev/null
get /a.css
check "redirect stopped: the page again" is "$status $(body)" "200 body{color:blue}"
control redirect "{\"url\":\"https://$HOST/a.css\",\"location\":\"/x\"}" >/dev/null
control reset '{}' >/dev/null
get /a.css
check "reset forgets the redirect" is "$status" 200

# Compression.
get /index.html -H 'Accept-Encoding: gzip, deflate, br'
check "Accept-Encoding gzip: content-encoding gzip" is "$(header content-encoding)" gzip
check "the gzip body decodes to the page" is "$(gzip -dc <"$tmp/body")" "home v3"
check "gzip: content-length is the compressed length" is "$(header content-length)" "$(wc -c <"$tmp/body" | tr -d ' ')"
check "gzip: logged" is "$(edgelog 'L[-1]["content_encoding"], L[-1]["headers"]["accept-encoding"]')" "('gzip', 'gzip, deflate, br')"
get /index.html -H 'Accept-Encoding: br'
check "br only: sent as it is" is "$(header content-encoding)/$(body)" "/home v3"
get /index.html -H 'Accept-Encoding: gzip;q=0, identity'
check "gzip;q=0: sent as it is" is "$(header content-encoding)/$(body)" "/home v3"
get /index.html --compressed
check "curl --compressed: decoded body, HIT" is "$(seen)" "200 HIT home v3"

# Credentials never reach a record.
get /about.html -H "Authorization: Bearer $TOKEN" -H 'X-Auth-Key: c2547eb745079dac9320b6' \
    -H 'X-Auth-Email: ops@example.com'
check "a request with credentials is served" is "$status" 200
curl -sS --noproxy '*' -o "$tmp/requests.json" "http://127.0.0.1:$EDGE/__edge/requests"
check "the edge's log never holds the token" bash -c '! grep -qF -- "$1" "$2"' _ "$TOKEN" "$tmp/edge.log"
check "/__edge/requests never holds the token" bash -c '! grep -qF -- "$1" "$2"' _ "$TOKEN" "$tmp/requests.json"
check "nor the X-Auth-Key" bash -c '! grep -qF c2547eb745079dac9320b6 "$1" "$2"' _ "$tmp/edge.log" "$tmp/requests.json"
check "records have no authorization or x-auth-* header" \
    is "$(edgelog 'sorted(L[-1]["headers"])')" "['accept', 'host', 'user-agent']"
check "cfstub's log never holds the token either" bash -c '! grep -qF -- "$1" "$2"' _ "$TOKEN" "$tmp/api.log"
check "/__edge/requests and the log hold the same records" \
    is "$(ask json "$tmp/requests.json" 'len(d), d[-1]["url"]')" "$(edgelog 'len(L), L[-1]["url"]')"
check "records have the documented keys" \
    is "$(edgelog 'all(set(r) == {"time","method","url","path","query","headers","status","cf_cache_status","content_encoding","stale","connection"} for r in L)')" True
check "control requests are not recorded" is "$(edgelog 'any("__edge" in r["path"] for r in L)')" False

# Keep-alive.
curl -sS --noproxy '*' -o /dev/null -o /dev/null --connect-to "$HOST:80:127.0.0.1:$EDGE" \
    "http://$HOST/about.html" "http://$HOST/a.css"
check "keep-alive: two URLs of one curl share a connection" \
    is "$(edgelog 'L[-1]["connection"] == L[-2]["connection"], L[-1]["url"]')" "(True, 'https://$HOST/a.css')"

# A request line with an absolute URL, as a client sends to a proxy.
status=$(curl -sS --noproxy '' --max-time 10 -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' \
    --proxy "http://127.0.0.1:$EDGE" "http://$HOST/about.html")
check "absolute URL through the edge as a proxy: the same key, HIT" is "$(seen)" "200 HIT about v3"

# Other methods and bad control requests.
status=$(curl -sS --noproxy '*' -o /dev/null -w '%{http_code}' -X POST --data x \
    --connect-to "$HOST:80:127.0.0.1:$EDGE" "http://$HOST/about.html")
check "POST to the site: 405" is "$status" 405
check "control with a body that is not JSON: 400" is "$(control stale 'nope')" 400
check "stale with a bad times: 400" is "$(control stale '{"urls":[],"times":"x"}')" 400
check "an unknown control: 404" is "$(control nosuch '{}')" 404

# The shared file under load: edge adds and cfstub purges at the same time
# lose no key (both lock FILE.lock around their read-modify-write).
purge '{"purge_everything":true}' >/dev/null
args=()
for i in $(seq 40); do
    echo "page $i" >"$SITE/p$i.html"
    args+=(-o /dev/null "http://$HOST/p$i.html")
done
( for i in $(seq 15); do purge "{\"prefixes\":[\"$HOST/blog/\"]}" >/dev/null; done ) &
purger=$!
curl -sS --noproxy '*' --parallel --parallel-max 8 --connect-to "$HOST:80:127.0.0.1:$EDGE" \
    "${args[@]}" 2>"$tmp/parallel.err"
wait "$purger"
check "40 parallel misses during 15 purges: all 40 keys in the file" \
    is "$(grep -c "^https://$HOST/p[0-9]*\.html$" "$CACHE")" 40

# HTTPS with a self-signed certificate made now.
if openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=$HOST" \
        -addext "subjectAltName=DNS:$HOST,DNS:example.com" \
        -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >"$tmp/openssl.out" 2>&1; then
    start_edge tls --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem"
    TLS=$(wait_port tls)
    status=$(curl -sS --noproxy '*' --max-time 10 --cacert "$tmp/cert.pem" -o "$tmp/body" \
        -D "$tmp/headers" -w '%{http_code}' --connect-to "$HOST:443:127.0.0.1:$TLS" \
        "https://$HOST/about.html" 2>"$tmp/curl.err")
    check "HTTPS with the test CA: 200 MISS (its own cache), the page" is "$(seen)" "200 MISS about v3"
    check "HTTPS edge shares the key file: the key is there" grep -qxF "https://$HOST/about.html" "$CACHE"
    curl -sS --noproxy '*' --max-time 10 -o /dev/null --connect-to "$HOST:443:127.0.0.1:$TLS" \
        "https://$HOST/about.html" 2>/dev/null
    check "HTTPS without the test CA: curl refuses the certificate (exit 60)" is "$?" 60
    status=$(curl -sS --noproxy '*' --max-time 10 --cacert "$tmp/cert.pem" -o "$tmp/body" \
        -D "$tmp/headers" -w '%{http_code}' --connect-to "$HOST:443:127.0.0.1:$TLS" \
        "https://$HOST/about.html" 2>"$tmp/curl.err")
    check "HTTPS after a refused handshake: still serving, HIT" is "$(seen)" "200 HIT about v3"
else
    echo "ok   - # SKIP HTTPS: openssl could not make a certificate: $(head -n 1 "$tmp/openssl.out")"
fi

kill -TERM "$edge_pid"
wait "$edge_pid"
check "SIGTERM: clean exit (status 0)" is "$?" 0
check "nothing on the edges' stderr" bash -c '! [ -s "$1" ] && ! [ -s "$2" ]' _ "$tmp/edge.err" "$tmp/tls.err"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
