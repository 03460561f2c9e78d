#!/bin/sh
# t11-planner.sh: big deploys without Purge Everything (issue 11). A
# versioned-docs site (tests/blackbox/t11/docsgen.py says what each deploy
# changes) is pushed deploy by deploy into a bare repository whose
# post-receive is the program, and each plan is checked exactly at the
# stand-in API: folder prefixes where the collateral is at most 10%, URLs
# elsewhere, purge everything past 90% of the site; then the budget rule,
# several bases with zones, [map] prefixes and tags, and [map] everything.
#
# The expected plans were worked out from the rules (README.md, "Big
# deploys"), not copied from the program's output.

. "$(dirname "$0")/lib.sh"

Z2=1b0c2f1f6d1a4e9c8b7a6f5e4d3c2b1a
start_stub --zone "$Z2" || exit 1
DEPLOY=$TRASH/deploy.git
SITE=$TRASH/site
make_bare "$DEPLOY"
git init -q "$SITE"
cd "$SITE" || exit 1
python3 "$ROOT/tests/blackbox/t11/docsgen.py" | git fast-import --quiet ||
	exit 1
git remote add origin "$DEPLOY"
# The first deploy creates the branch (on_create = skip: nothing purged).
git push -q origin d0:refs/heads/main 2>/dev/null

# deploy N: pushes deploy dN with an empty log, keeping what the pusher saw.
deploy() {
	clear_log &&
	git push origin "d$1:refs/heads/main" 2>"$TRASH/push.err"
}

# want: the requests expected, on standard input, against what arrived.
want() {
	cat >"$TRASH/want" &&
	requests >"$TRASH/actual" &&
	diff -u "$TRASH/want" "$TRASH/actual"
}

# range_run CONFIG-EXTRA RANGE [ARGS...]: the range command with the
# deploy repository's config plus CONFIG-EXTRA, to the stand-in.
range_run() {
	write_config "$TRASH/extra.ini" "$1" &&
	rr_range=$2 && shift 2 &&
	clear_log &&
	cfph -c "$TRASH/extra.ini" range "$rr_range" "$@" \
		>"$TRASH/out" 2>"$TRASH/err"
}

expect 'd1: 4,503 of 4,504 files changed, more than 90%: purge everything' '
	deploy 1 &&
	want <<EOT &&
200 $ZONE purge_everything true
EOT
	grep "^remote: cf-purge-hook: purging everything: 4,503 of the site.s 4,504 files changed, more than 90%" "$TRASH/push.err"
'

expect 'd2: a release adds v3/ and rewrites latest/: two prefixes, no other version touched' '
	deploy 2 &&
	want <<EOT &&
200 $ZONE prefixes example.com/latest/ example.com/v3/
EOT
	grep "^remote: cf-purge-hook: purged 2 prefixes (3,002 changed of 3,002 files under them) in 1 request, [0-9.]* s; 3,003 cached files kept *$" "$TRASH/push.err" &&
	! grep "as a prefix" "$TRASH/push.err"
'

expect 'd2 --dry-run: each prefix with its folder, files, changed and collateral, and the totals' '
	cfph -c "$DEPLOY/cf-purge-hook.ini" range d1..d2 --dry-run \
		>"$TRASH/out" 2>"$TRASH/err" &&
	cat >"$TRASH/want" <<EOT &&
cf-purge-hook: folder '"'"'latest/'"'"' as a prefix: 1,501 changed of 1,501 files, collateral 0 (at most 10%)
cf-purge-hook: folder '"'"'v3/'"'"' as a prefix: 1,501 changed of 1,501 files, collateral 0 (at most 10%)
cf-purge-hook: planned 2 folders over 3,002 files (collateral 0), 0 changed files as URLs, 1 request; purging everything would purge 6,005 files
cf-purge-hook: dry run: would purge 2 prefixes (3,002 changed of 3,002 files under them) in 1 request; 3,003 cached files kept
EOT
	diff -u "$TRASH/want" "$TRASH/err" &&
	test "$(cat "$TRASH/out")" = "POST /zones/$ZONE/purge_cache {\"prefixes\":[\"example.com/latest/\",\"example.com/v3/\"]}"
'

expect 'd2 --json: "planner" holds each folder and the totals' '
	cfph -c "$DEPLOY/cf-purge-hook.ini" range d1..d2 --dry-run --json \
		>"$TRASH/out" 2>"$TRASH/err" &&
	python3 - "$TRASH/out" <<"PY"
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    got = json.load(f)["planner"]
want = {
    "collapse_waste": 10, "everything": False,
    "folders": [
        {"folder": "latest/", "prefixes": ["example.com/latest/"],
         "files": 1501, "changed": 1501, "collateral": 0},
        {"folder": "v3/", "prefixes": ["example.com/v3/"],
         "files": 1501, "changed": 1501, "collateral": 0},
    ],
    "files_covered": 3002, "collateral": 0, "changed_as_urls": 0,
    "requests": 1, "seconds_estimated": 0, "everything_would_purge": 6005,
}
if got != want:
    sys.exit("planner: %r" % got)
PY
'

expect 'd3: a hotfix of 3 pages: their URLs only' '
	deploy 3 &&
	want <<EOT &&
200 $ZONE files https://example.com/latest/s03/p10.html https://example.com/latest/s03/p20.html https://example.com/latest/s03/p30.html
EOT
	! grep "as a prefix" "$TRASH/push.err"
'

expect 'd4: a rebuild of v2/: that prefix alone' '
	deploy 4 &&
	want <<EOT
200 $ZONE prefixes example.com/v2/
EOT
'

expect 'd5: 40% of v2/ changed, scattered: 600 URLs in 20 requests, no prefix' '
	deploy 5 &&
	requests >"$TRASH/actual" &&
	test "$(grep -c "^200 $ZONE files " "$TRASH/actual")" = 20 &&
	test "$(wc -l <"$TRASH/actual")" = 20 &&
	test "$(tr " " "\n" <"$TRASH/actual" | grep -c "^https://example.com/v2/s[0-9][0-9]/p[0-3][0-9].html$")" = 600
'

expect 'd6: v1/ renamed to archive/v1/: the old and the new folder as prefixes' '
	deploy 6 &&
	want <<EOT
200 $ZONE prefixes example.com/archive/ example.com/v1/
EOT
'

expect 'budget: 600 URLs at 10 a second do not fit 30 s; collateral grows to 70% and v2/ becomes a prefix' '
	range_run "[cloudflare]
urls_per_second = 10
deadline = 30" d4..d5 -v &&
	want <<EOT &&
200 $ZONE prefixes example.com/v2/
EOT
	grep "^cf-purge-hook: allowed collateral up to 70% so that the purge fits the deadline of 30 s (at 10% it would take 59 s)" "$TRASH/err" &&
	grep "^cf-purge-hook: folder .v2/. as a prefix: 600 changed of 1,501 files, collateral 901 (at most 70%)" "$TRASH/err"
'

expect 'budget: when nothing fits the deadline, purge everything and say why' '
	range_run "[cloudflare]
urls_per_second = 0.01
deadline = 60" d2..d3 &&
	want <<EOT &&
200 $ZONE purge_everything true
EOT
	grep "^cf-purge-hook: purging everything: no plan fits the deadline of 60 s" "$TRASH/err"
'

expect 'max_urls is off by default; set, it still caps (fallback = everything)' '
	range_run "" d4..d5 &&
	! grep -q purge_everything "$TRASH/stub.log" &&
	range_run "[plan]
max_urls = 500" d4..d5 &&
	want <<EOT
200 $ZONE purge_everything true
EOT
'

expect 'collapse_threshold set replaces the collateral rule' '
	range_run "[plan]
collapse_threshold = 2000" d3..d4 &&
	requests >"$TRASH/actual" &&
	! grep prefixes "$TRASH/actual" &&
	test "$(wc -l <"$TRASH/actual")" = 51
'

expect 'collapse_waste = 0% keeps only folders where every file changed' '
	range_run "[plan]
collapse_waste = 0%" d5..d6 &&
	want <<EOT
200 $ZONE prefixes example.com/archive/ example.com/v1/
EOT
'

expect 'several bases in two zones, [map] prefixes and tags together' '
	range_run "[site]
base_url = https://example.com, https://docs.example.net

[map \"public/v3/**\"]
tags = v3
prefixes = {base}/search/v3/

[zone \"docs.example.net\"]
zone_id = $Z2" d1..d2 &&
	want <<EOT
200 $ZONE prefixes example.com/latest/ example.com/search/v3/ example.com/v3/
200 $ZONE tags v3
200 $Z2 prefixes docs.example.net/latest/ docs.example.net/search/v3/ docs.example.net/v3/
200 $Z2 tags v3
EOT
'

expect 'everything = true from a [map] section still wins' '
	range_run "[map \"public/v2/s07/p07.html\"]
everything = true" d4..d5 &&
	want <<EOT
200 $ZONE purge_everything true
EOT
'

expect 'explain in the repository: says which folder becomes a prefix, and why' '
	git ls-tree -r --name-only HEAD public/v2 >"$TRASH/paths" &&
	test "$(wc -l <"$TRASH/paths")" = 1501 &&
	write_config "$TRASH/explain.ini" &&
	cfph -c "$TRASH/explain.ini" explain $(cat "$TRASH/paths") \
		>"$TRASH/out" 2>"$TRASH/err" &&
	sed -n "/^after planning: /,\$p" "$TRASH/out" >"$TRASH/actual" &&
	cat >"$TRASH/want" <<EOT &&
after planning: 1 prefix in 1 request
  folder '"'"'v2/'"'"' as a prefix: 1,501 changed of 1,501 files, collateral 0 (at most 10%) in HEAD'"'"'s tree
  zone $ZONE: {"prefixes":["example.com/v2/"]}
EOT
	diff -u "$TRASH/want" "$TRASH/actual"
'

# --- [site] query_variants, against a model of the cache ------------------
# The stand-in keeps the cached URLs in a file and removes what each purge
# covers, as Cloudflare documents it (tests/cfstub.py --cache).

start_stub --zone "$Z2" --cache "$TRASH/cache" || exit 1

# cache_holds URL...: the stand-in's cache holds these, one a line.
cache_holds() {
	printf "%s\n" "$@" >"$TRASH/cache"
}

expect 'query_variants: a hotfix purges each page by its URL as a prefix, which covers its query strings' '
	cache_holds https://example.com/latest/s03/p10.html \
		"https://example.com/latest/s03/p10.html?v=3" \
		"https://example.com/latest/s03/p20.html?utm=x&v=2" \
		"https://example.com/latest/s03/p11.html?v=3" \
		https://example.com/latest/s03/p30.html.bak.html &&
	range_run "[site]
query_variants = true" d2..d3 &&
	want <<EOT &&
200 $ZONE prefixes example.com/latest/s03/p10.html example.com/latest/s03/p20.html example.com/latest/s03/p30.html
EOT
	printf "%s\n" "https://example.com/latest/s03/p11.html?v=3" >"$TRASH/want" &&
	diff -u "$TRASH/want" "$TRASH/cache"
'

expect 'without query_variants, URLs leave the query-string variants cached' '
	cache_holds https://example.com/latest/s03/p10.html \
		"https://example.com/latest/s03/p10.html?v=3" &&
	range_run "" d2..d3 &&
	printf "%s\n" "https://example.com/latest/s03/p10.html?v=3" >"$TRASH/want" &&
	diff -u "$TRASH/want" "$TRASH/cache"
'

expect 'query_variants: the page prefixes fold into a folder prefix the planner chooses' '
	cache_holds "https://example.com/v2/s07/p07.html?v=1" \
		"https://example.com/v1/s07/p07.html?v=1" &&
	range_run "[site]
query_variants = true" d3..d4 &&
	want <<EOT &&
200 $ZONE prefixes example.com/v2/
EOT
	printf "%s\n" "https://example.com/v1/s07/p07.html?v=1" >"$TRASH/want" &&
	diff -u "$TRASH/want" "$TRASH/cache"
'

expect 'query_variants: 600 page prefixes go from the prefix budget, 30 a request' '
	range_run "[site]
query_variants = true" d4..d5 &&
	requests >"$TRASH/actual" &&
	test "$(grep -c "^200 $ZONE prefixes " "$TRASH/actual")" = 20 &&
	test "$(wc -l <"$TRASH/actual")" = 20
'

expect 'query_variants: past the budget for prefixes (5 a minute on Free), collateral grows instead' '
	range_run "[site]
query_variants = true
[cloudflare]
burst = 5
deadline = 30" d4..d5 -v &&
	want <<EOT &&
200 $ZONE prefixes example.com/v2/
EOT
	grep "^cf-purge-hook: allowed collateral up to 70% so that the purge fits the deadline of 30 s" "$TRASH/err"
'

finish
