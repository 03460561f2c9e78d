#!/usr/bin/env bash
# Self-test for tests/cfstub.py, the local stand-in for Cloudflare's API.
#
# Starts the stand-in in a temporary directory, talks to it with curl and
# checks the HTTP statuses, the JSON answers and the JSON log.  Prints one
# line per check and "N passed, N failed" last; exits non-zero on any failure.
# Needs bash, curl and python3.  Usage: tests/cfstub_selftest.sh

set -u

here=$(cd "$(dirname "$0")" && pwd)
stub="$here/cfstub.py"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cfstub-selftest.XXXXXX")
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

TOKEN='s3cr3t-T0ken_xyz'
ZONE=023e105f4ecef8ad9ca31a8372d0c353
ZONE2=353c0d2738a13ac9d5fce4ba8f501e32
OTHER_ZONE=ffffffffffffffffffffffffffffffff
EMAIL='ops@example.com'
APIKEY='c2547eb745079dac9320b638f5e225cf483cc'

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

# start_stub NAME ARGS...: start a stand-in, wait for its port file, and set
# $base (the api_url), $log and $pid.
start_stub() {
    local name=$1
    shift
    log="$tmp/$name.log"
    python3 "$stub" --port-file "$tmp/$name.port" --log "$log" "$@" \
        2>"$tmp/$name.err" &
    pid=$!
    pids+=("$pid")
    local i
    for i in $(seq 100); do
        [ -s "$tmp/$name.port" ] && break
        sleep 0.05
    done
    base="http://127.0.0.1:$(cat "$tmp/$name.port" 2>/dev/null)/client/v4"
}

# req ARGS...: run curl; the body goes to $tmp/body, the headers to
# $tmp/headers, the HTTP status to $status and curl's exit code to $curl_rc.
req() {
    status=$(curl -sS --noproxy '*' --max-time 10 -o "$tmp/body" \
                  -D "$tmp/headers" -w '%{http_code}' "$@" 2>"$tmp/curl.err")
    curl_rc=$?
}

# purge ZONE JSON [extra curl args]: a POST purge_cache with the good token.
purge() {
    local zone=$1 data=$2
    shift 2
    req -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        --data-binary "$data" "$@" "$base/zones/$zone/purge_cache"
}

# One Python process answers every JSON question (starting Python for each
# check would be slow): it reads "KIND<TAB>FILE<TAB>EXPR" lines and prints one
# line per question.  KIND "json" binds the file's JSON to d; KIND "log" binds
# the log's lines, parsed, to the list L.
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
js() { ask json "$1" "$2"; }     # js FILE EXPR: a Python expression over d
logq() { ask log "$log" "$1"; }  # logq EXPR: a Python expression over L

is() { [ "$1" = "$2" ]; }                 # is ACTUAL EXPECTED
body_is() { is "$(js "$tmp/body" "$1")" "$2"; }
log_is() { is "$(logq "$1")" "$2"; }

urls() {   # urls N: a JSON list of N file URLs
    local i sep="" out="["
    for ((i = 0; i < $1; i++)); do
        out+="$sep\"https://www.example.com/p/$i.html\""
        sep=","
    done
    printf '%s]\n' "$out"
}

# ---------------------------------------------------------------------------
start_stub main --token "$TOKEN" --zone "$ZONE" --zone "$ZONE2" \
    --zone-name example.com="$ZONE" --email "$EMAIL" --api-key "$APIKEY"
main_pid=$pid
check "port file holds a port number and a newline" \
    bash -c '[[ "$(cat "$1")" =~ ^[0-9]+$ ]] && [ "$(tail -c 1 "$1" | od -An -c | tr -d " ")" = "\\n" ]' _ "$tmp/main.port"

# Good token, files as strings and as url+headers objects.
purge "$ZONE" '{"files":["https://www.example.com/a.css",{"url":"http://www.example.com/b.js","headers":{"CF-IPCountry":"US"}}]}'
check "good token: HTTP 200" is "$status" 200
check "good token: success true, empty errors" body_is 'd["success"] and d["errors"] == [] and d["messages"] == []' True
check "good token: result.id is 32 hex" body_is '__import__("re").fullmatch("[0-9a-f]{32}", d["result"]["id"]) is not None' True
check "good token: Content-Type application/json" grep -qi '^content-type: application/json' "$tmp/headers"
check "log: auth_ok, parsed body, status, success" \
    log_is 'L[-1]["auth_ok"], L[-1]["body"]["files"][0], L[-1]["raw_body"], L[-1]["status"], L[-1]["success"], L[-1]["method"], L[-1]["path"]' \
    "(True, 'https://www.example.com/a.css', None, 200, True, 'POST', '/client/v4/zones/$ZONE/purge_cache')"
first_id=$(js "$tmp/body" 'd["result"]["id"]')
purge "$ZONE2" '{"files":["https://www.example.com/a.css"]}'
second_id=$(js "$tmp/body" 'd["result"]["id"]')
check "second zone accepted, fresh purge id" \
    bash -c '[ "$1" = 200 ] && [ -n "$2" ] && [ "$2" != "$3" ]' _ "$status" "$second_id" "$first_id"

req -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    --data-binary '{"tags":["a-tag"]}' "$base/zones/$ZONE/invalidate_cache"
check "invalidate_cache: HTTP 200 success" is "$status/$(js "$tmp/body" 'd["success"]')" "200/True"

# Authentication failures.
req -H 'Authorization: Bearer wrong-token-value' -H 'Content-Type: application/json' \
    --data-binary '{"purge_everything":true}' "$base/zones/$ZONE/purge_cache"
check "bad token: HTTP 403 code 10000" is "$status/$(js "$tmp/body" 'd["errors"][0]["code"]')" "403/10000"
check "bad token: log auth_ok false, status 403" log_is 'L[-1]["auth_ok"], L[-1]["status"], L[-1]["success"]' "(False, 403, False)"

req -H 'Content-Type: application/json' --data-binary '{"purge_everything":true}' \
    "$base/zones/$ZONE/purge_cache"
check "missing token: HTTP 400 code 9106" is "$status/$(js "$tmp/body" 'd["errors"][0]["code"]')" "400/9106"

req -H 'Authorization: Token abc' -H 'Content-Type: application/json' \
    --data-binary '{"purge_everything":true}' "$base/zones/$ZONE/purge_cache"
check "malformed Authorization: HTTP 400 code 6003/6111" \
    is "$status/$(js "$tmp/body" 'd["errors"][0]["code"], d["errors"][0]["error_chain"][0]["code"]')" "400/(6003, 6111)"

req -H "X-Auth-Email: $EMAIL" -H "X-Auth-Key: $APIKEY" -H 'Content-Type: application/json' \
    --data-binary '{"purge_everything":true}' "$base/zones/$ZONE/purge_cache"
check "legacy X-Auth-Email + X-Auth-Key: HTTP 200" is "$status" 200
req -H "X-Auth-Email: $EMAIL" -H 'X-Auth-Key: not-the-key' -H 'Content-Type: application/json' \
    --data-binary '{"purge_everything":true}' "$base/zones/$ZONE/purge_cache"
check "legacy pair with a wrong key: HTTP 403" is "$status/$(js "$tmp/body" 'd["success"]')" "403/False"

# Zones.
purge "$OTHER_ZONE" '{"purge_everything":true}'
check "unknown zone: HTTP 403 code 10000" is "$status/$(js "$tmp/body" 'd["errors"][0]["code"]')" "403/10000"
check "unknown zone: log auth_ok true" log_is 'L[-1]["auth_ok"]' True
purge "not-a-zone-id" '{"purge_everything":true}'
check "malformed zone id: HTTP 400 codes 7003+7000" \
    is "$status/$(js "$tmp/body" '[e["code"] for e in d["errors"]]')" "400/[7003, 7000]"

# Body rules.
purge "$ZONE" "{\"files\":$(urls 31)}"
check "31 files: HTTP 400, success false" is "$status/$(js "$tmp/body" 'd["success"]')" "400/False"
check "31 files: log holds the 31 parsed URLs" log_is 'len(L[-1]["body"]["files"]), L[-1]["status"]' "(31, 400)"
purge "$ZONE" "{\"files\":$(urls 30)}"
check "30 files: HTTP 200" is "$status" 200

purge "$ZONE" '{"files":["https://www.example.com/a"],"tags":["x"]}'
check "mixed kinds: HTTP 400 code 1012" is "$status/$(js "$tmp/body" 'd["errors"][0]["code"]')" "400/1012"
purge "$ZONE" '{"flies":["https://www.example.com/a"]}'
check "unknown key: HTTP 400 code 1012" is "$status/$(js "$tmp/body" 'd["errors"][0]["code"]')" "400/1012"
purge "$ZONE" '{"files":[]}'
check "empty files list: HTTP 400" is "$status" 400
purge "$ZONE" '{"files":["/relative/path.html"]}'
check "relative file URL: HTTP 400" is "$status" 400

purge "$ZONE" '{"prefixes":["https://www.example.com/foo"]}'
check "prefix with a scheme: HTTP 400" is "$status/$(js "$tmp/body" 'd["success"]')" "400/False"
purge "$ZONE" '{"prefixes":["www.example.com/foo?x=1"]}'
check "prefix with a query string: HTTP 400" is "$status" 400
purge "$ZONE" '{"prefixes":["www.example.com/foo","images.example.com/bar/baz"]}'
check "good prefixes: HTTP 200" is "$status" 200
purge "$ZONE" '{"hosts":["www.example.com","images.example.com"]}'
check "good hosts: HTTP 200" is "$status" 200
purge "$ZONE" '{"hosts":["www.example.com/path"]}'
check "host with a path: HTTP 400" is "$status" 400

purge "$ZONE" '{"purge_everything":true}'
check "purge_everything true: HTTP 200 success" is "$status/$(js "$tmp/body" 'd["success"]')" "200/True"
purge "$ZONE" '{"purge_everything":false}'
check "purge_everything false: HTTP 400" is "$status" 400

req -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    --data-binary 'files=not-json' "$base/zones/$ZONE/purge_cache"
check "malformed JSON: HTTP 400 code 6007" is "$status/$(js "$tmp/body" 'd["errors"][0]["code"]')" "400/6007"
check "malformed JSON: log raw_body set, body null" log_is 'L[-1]["raw_body"], L[-1]["body"]' "('files=not-json', None)"
req -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/plain' \
    --data-binary '{"purge_everything":true}' "$base/zones/$ZONE/purge_cache"
check "wrong Content-Type: HTTP 400 code 6003" is "$status/$(js "$tmp/body" 'd["errors"][0]["code"]')" "400/6003"
check "log: content_type recorded" log_is 'L[-1]["content_type"]' "text/plain"

# Zone lookup and token verification.
req -H "Authorization: Bearer $TOKEN" "$base/zones?name=example.com"
check "zones?name=example.com: the configured zone" \
    is "$status/$(js "$tmp/body" '[(z["id"], z["name"]) for z in d["result"]], d["result_info"]["count"]')" \
    "200/([('$ZONE', 'example.com')], 1)"
check "log: query string recorded" log_is 'L[-1]["query"]' "name=example.com"
req -H "Authorization: Bearer $TOKEN" "$base/zones?name=unknown.example"
check "zones?name=unknown: empty list" is "$status/$(js "$tmp/body" 'd["success"], d["result"]')" "200/(True, [])"
req -H 'Authorization: Bearer wrong-token-value' "$base/zones?name=example.com"
check "zones with a bad token: HTTP 403" is "$status" 403

req -H "Authorization: Bearer $TOKEN" "$base/user/tokens/verify"
check "tokens/verify good token: active" is "$status/$(js "$tmp/body" 'd["success"], d["result"]["status"]')" "200/(True, 'active')"
req -H 'Authorization: Bearer wrong-token-value' "$base/user/tokens/verify"
check "tokens/verify bad token: HTTP 401 code 1000" is "$status/$(js "$tmp/body" 'd["errors"][0]["code"]')" "401/1000"
req "$base/user/tokens/verify"
check "tokens/verify no token: HTTP 400" is "$status/$(js "$tmp/body" 'd["success"]')" "400/False"

req -H "Authorization: Bearer $TOKEN" "$base/no/such/route"
check "unknown route: HTTP 404, Cloudflare JSON error" \
    is "$status/$(js "$tmp/body" 'd["success"], [e["code"] for e in d["errors"]]')" "404/(False, [7003, 7000])"
req -X DELETE -H "Authorization: Bearer $TOKEN" "$base/zones/$ZONE/purge_cache"
check "DELETE purge_cache: HTTP 404, logged" is "$status/$(logq 'L[-1]["method"]')" "404/DELETE"

# Keep-alive: two URLs in one curl command share a connection.
count_before=$(logq 'len(L)')
curl -sS --noproxy '*' --max-time 10 -o /dev/null -o /dev/null \
    -H "Authorization: Bearer $TOKEN" \
    "$base/user/tokens/verify" "$base/zones?name=example.com"
check "keep-alive: both requests logged" log_is 'len(L)' "$((count_before + 2))"
check "keep-alive: one connection id for both" log_is 'L[-1]["connection"] == L[-2]["connection"]' True
req -H "Authorization: Bearer $TOKEN" "$base/user/tokens/verify"
check "a new curl process gets a new connection id" log_is 'L[-1]["connection"] != L[-2]["connection"]' True

# Secrets never reach the log.
check "log never holds the token" bash -c '! grep -qF -- "$1" "$2"' _ "$TOKEN" "$log"
check "log never holds a refused token" bash -c '! grep -qF -- "wrong-token-value" "$1"' _ "$log"
check "log never holds the API key" bash -c '! grep -qF -- "$1" "$2"' _ "$APIKEY" "$log"
check "log: every line has the documented keys" \
    log_is 'all({"method","path","query","auth_ok","content_type","body","raw_body","status","success","errors","connection"} <= set(r) for r in L)' True

kill -TERM "$main_pid"
wait "$main_pid"
check "SIGTERM: clean exit (status 0)" is "$?" 0

# ---------------------------------------------------------------------------
# Scripted faults.
cat >"$tmp/script.json" <<'EOF'
[
  {"status": 429, "retry_after": 2},
  {"drop": true},
  {"status": 502},
  {"status": 503},
  {"non_json": true},
  {"success_false": true, "code": 1234, "message": "scripted no"},
  {"delay_ms": 300},
  {"ok": true, "repeat": 2}
]
EOF
start_stub faults --token "$TOKEN" --script "$tmp/script.json"

req -H "Authorization: Bearer $TOKEN" "$base/user/tokens/verify"
check "script: a request that is not a purge takes no step" \
    is "$status/$(logq '"fault" in L[-1]')" "200/False"

purge "$ZONE" '{"purge_everything":true}'
check "script 429: HTTP 429" is "$status" 429
check "script 429: Retry-After: 2" grep -qi '^retry-after: 2' "$tmp/headers"
check "script 429: rate-limit code 971" body_is 'd["success"], d["errors"][0]["code"]' "(False, 971)"
check "script 429: fault in the log" log_is 'L[-1]["fault"], L[-1]["status"]' "({'status': 429, 'retry_after': 2}, 429)"

purge "$ZONE" '{"purge_everything":true}'
check "script drop: curl gets an empty reply (exit 52)" is "$curl_rc" 52
check "script drop: logged, status null" log_is 'L[-1]["fault"], L[-1]["status"]' "({'drop': True}, None)"

purge "$ZONE" '{"purge_everything":true}'
check "script 502: HTTP 502 with an HTML body" \
    bash -c '[ "$1" = 502 ] && grep -qi "^content-type: text/html" "$2" && grep -q "502 Bad Gateway" "$3"' _ "$status" "$tmp/headers" "$tmp/body"
purge "$ZONE" '{"purge_everything":true}'
check "script 503: HTTP 503 with a JSON envelope" is "$status/$(js "$tmp/body" 'd["success"]')" "503/False"
purge "$ZONE" '{"purge_everything":true}'
check "script non_json: HTTP 200 text/html" \
    bash -c '[ "$1" = 200 ] && grep -qi "^content-type: text/html" "$2"' _ "$status" "$tmp/headers"
purge "$ZONE" '{"purge_everything":true}'
check "script success_false: HTTP 400, code 1234" \
    is "$status/$(js "$tmp/body" 'd["success"], d["errors"]')" "400/(False, [{'code': 1234, 'message': 'scripted no'}])"

start_ms=$(date +%s%3N)
purge "$ZONE" '{"purge_everything":true}'
elapsed=$(( $(date +%s%3N) - start_ms ))
check "script delay_ms 300: normal answer after >= 300 ms" \
    bash -c '[ "$1" = 200 ] && [ "$2" -ge 300 ]' _ "$status" "$elapsed"
purge "$ZONE" '{"purge_everything":true}'
check "script ok (repeat 2) #1: HTTP 200, fault logged" is "$status/$(logq 'L[-1]["fault"]')" "200/{'ok': True, 'repeat': 2}"
purge "$ZONE" '{"purge_everything":true}'
check "script ok (repeat 2) #2: HTTP 200" is "$status" 200
purge "$ZONE" '{"purge_everything":true}'
check "script used up: normal answer, no fault key" is "$status/$(logq '"fault" in L[-1]')" "200/False"
check "script: exactly the 9 expanded steps were applied" log_is 'sum("fault" in r for r in L)' 9

# --on-purge: a command that gets the purge body, is done before the answer,
# and sees no CF_API* variable.
CF_API_TOKEN=$TOKEN start_stub onpurge --token "$TOKEN" \
    --on-purge "sh -c 'sleep 0.3; env >\"\$1\"; cat >\"\$2\"' on-purge $tmp/onpurge.env $tmp/onpurge.json"
purge "$ZONE" '{"prefixes":["www.example.com/blog/"]}'
check "--on-purge: done before the answer, with the body on stdin" \
    is "$status/$(js "$tmp/onpurge.json" 'd')" "200/{'prefixes': ['www.example.com/blog/']}"
check "--on-purge: no CF_API_TOKEN in its environment" \
    bash -c '[ -s "$1" ] && ! grep -q "^CF_API" "$1"' _ "$tmp/onpurge.env"
rm -f "$tmp/onpurge.json"
purge "$ZONE" '{"files":[]}'
check "--on-purge: not run for a refused purge" bash -c '[ "$1" = 400 ] && [ ! -e "$2" ]' _ "$status" "$tmp/onpurge.json"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
