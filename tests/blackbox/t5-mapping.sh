#!/bin/sh
# t5-mapping.sh: what the mapping rules turn paths into, and how the plan
# shapes it. Four parts:
#
#   - the example configs (examples/*.ini) pass `check`, and `explain` on
#     their representative paths prints exactly examples/expected/NAME.explain;
#   - data-driven cases (tests/mapping/CASE.ini, .paths, .expected): the
#     `after planning:` part of explain, one case each;
#   - real pushes into a bare repository whose post-receive is the program,
#     checked at the stand-in API: collapse, max_urls, zones, tree_config;
#   - every kind of configuration error that `check` reports.
#
# The expected files were written from the rules (README.md, the example
# config), not copied from the program's output.
#
# `expect` runs its body as the condition of an `if`, where the shell
# ignores set -e: every body chains its steps with && and ends with a check.

. "$(dirname "$0")/lib.sh"

Z2=1b0c2f1f6d1a4e9c8b7a6f5e4d3c2b1a
MAPPING=$ROOT/tests/mapping

# explain_paths CONFIG PATHS-FILE: `explain` with the lines of PATHS-FILE
# (which may hold spaces and other odd characters) as its arguments.
explain_paths() {
	ep_config=$1
	ep_file=$2
	set --
	while IFS= read -r ep_line; do
		set -- "$@" "$ep_line"
	done <"$ep_file"
	cfph -c "$ep_config" explain "$@"
}

# --- The example configs -------------------------------------------------

# check_valid NAME SUMMARY: `check` on examples/NAME.ini (named as run from
# the repository's top) exits 0 and prints one line, and nothing else.
check_valid() {
	(cd "$ROOT" && cfph -c "examples/$1.ini" check) \
		>"$TRASH/out" 2>"$TRASH/err" &&
	test ! -s "$TRASH/err" &&
	echo "cf-purge-hook: 'examples/$1.ini' is valid: $2" >"$TRASH/want" &&
	diff -u "$TRASH/want" "$TRASH/out"
}

expect 'check: examples/public-site.ini is valid' '
	check_valid public-site "zone $ZONE, public at https://example.com and more, 1 [map] section, 3 [ignore] patterns, 0 more zones"
'
expect 'check: examples/hugo.ini is valid' '
	check_valid hugo "zone $ZONE, static at https://example.com, 8 [map] sections, 3 [ignore] patterns, 0 more zones"
'
expect 'check: examples/jekyll.ini is valid' '
	check_valid jekyll "zone $ZONE, the top at https://example.com, 6 [map] sections, 5 [ignore] patterns, 0 more zones"
'
expect 'check: examples/two-zones.ini is valid' '
	check_valid two-zones "zone $ZONE, public at https://example.com and more, 2 [map] sections, 2 [ignore] patterns, 1 more zone"
'

for name in public-site hugo jekyll two-zones; do
	expect "explain: examples/$name.ini on examples/expected/$name.paths" '
		test -s "$ROOT/examples/expected/$name.paths" &&
		(cd "$ROOT" && explain_paths "examples/$name.ini" \
			"examples/expected/$name.paths") >"$TRASH/out" &&
		diff -u "$ROOT/examples/expected/$name.explain" "$TRASH/out"
	'
done

# --- Data-driven cases -----------------------------------------------------

ncases=0
for ini in "$MAPPING"/*.ini; do
	mcase=${ini%.ini}
	ncases=$((ncases + 1))
	expect "mapping: $(basename "$mcase")" '
		test -f "$mcase.paths" && test -f "$mcase.expected" &&
		explain_paths "$mcase.ini" "$mcase.paths" >"$TRASH/out" &&
		sed -n "/^after planning: /,\$p" "$TRASH/out" >"$TRASH/actual" &&
		diff -u "$mcase.expected" "$TRASH/actual"
	'
done

expect 'mapping: the data-driven cases are all there' '
	test "$ncases" -ge 20
'

expect 'explain: overlapping [map] sections all apply, in file order' '
	explain_paths "$MAPPING/overlap.ini" "$MAPPING/overlap.paths" \
		>"$TRASH/out" &&
	m="(overlap.ini line" &&
	sed "s|$MAPPING/||" "$TRASH/out" | sed -n "1,/^x.css\$/p" \
		>"$TRASH/actual" &&
	cat >"$TRASH/want" <<EOT &&
blog/a.html
  [site] root '"'"'public'"'"': not below it
  [map "*.html"] $m 9): tags html
  [map "blog/**"] $m 12): tags blog
  [map "blog/*.html"] $m 15): tags blog-pages
  [map "blog/*.html"] $m 15): tags html
blog/2024/b.html
  [site] root '"'"'public'"'"': not below it
  [map "*.html"] $m 9): tags html
  [map "blog/**"] $m 12): tags blog
  [map "/blog/2024/**"] $m 18): tags y2024
x.css
EOT
	diff -u "$TRASH/want" "$TRASH/actual"
'

expect 'explain: a path that purges nothing says so' '
	cfph -c "$MAPPING/gitlink.ini" explain src/main.c other/ >"$TRASH/out" &&
	cat >"$TRASH/want" <<EOT &&
src/main.c
  [site] root '"'"'public'"'"': not below it
  nothing matches: purges nothing
other (submodule)
  [site] root '"'"'public'"'"': not below it
  nothing matches: purges nothing
after planning: nothing in 0 requests
EOT
	diff -u "$TRASH/want" "$TRASH/out"
'

expect 'explain: works outside any repository' '
	mkdir -p "$TRASH/norepo" &&
	(cd "$TRASH/norepo" && ! git rev-parse --git-dir 2>/dev/null &&
	 cfph -c "$ROOT/examples/two-zones.ini" explain assets/img/a.png) \
		>"$TRASH/out" &&
	grep -x "  zone $Z2: {\"files\":\[\"https://static.example.net/img/a.png\"\]}" "$TRASH/out"
'

expect 'explain: fallback = fail past max_urls fails, naming the numbers' '
	cat >"$TRASH/fail.ini" <<EOT &&
[cloudflare]
zone_id = $ZONE

[site]
base_url = https://example.com

[plan]
max_urls = 2
fallback = fail
EOT
	code cfph -c "$TRASH/fail.ini" explain a b c >"$TRASH/out" 2>"$TRASH/err"
	test "$CODE" = 1 &&
	grep "cf-purge-hook: 3 URLs is more than \[plan\] max_urls = 2 and fallback = fail: purged nothing" "$TRASH/err" &&
	! grep "purge_everything" "$TRASH/out"
'

# --- Real pushes, checked at the stand-in ----------------------------------

start_stub --zone "$Z2" || exit 1
DEPLOY=$TRASH/deploy.git
SITE=$TRASH/site
make_bare "$DEPLOY"
git init -q "$SITE"
cd "$SITE" || exit 1
git remote add origin "$DEPLOY"
mkdir -p public/docs public/img layouts assets content
echo home >public/index.html
echo base >layouts/base.html
commit_all "first deploy"
git push -q origin main 2>/dev/null

# server_config [EXTRA]: the deploy repository's config (write_config's,
# with EXTRA appended).
server_config() {
	write_config "$DEPLOY/cf-purge-hook.ini" "$@"
}

# push: pushes main with an empty log, keeping what the pusher saw.
push() {
	clear_log &&
	git push origin main 2>"$TRASH/push.err"
}

expect 'push: more than collapse_threshold URLs of a folder reach the API as its prefix' '
	server_config "[plan]
collapse_threshold = 3" &&
	for f in a b c d e; do echo "$f" >"public/docs/$f.html"; done &&
	echo x >public/img/x.png &&
	commit_all collapse && push &&
	requests >"$TRASH/actual" &&
	cat >"$TRASH/want" <<EOT &&
200 $ZONE files https://example.com/img/x.png
200 $ZONE prefixes example.com/docs/
EOT
	diff -u "$TRASH/want" "$TRASH/actual" &&
	grep "^remote: cf-purge-hook: collapsed 5 URLs into the prefix example.com/docs/ (more than collapse_threshold = 3)" "$TRASH/push.err"
'

expect 'range --dry-run --json: the collapse note is in "notes"' '
	cfph -c "$DEPLOY/cf-purge-hook.ini" range HEAD~1..HEAD --dry-run --json \
		>"$TRASH/out" 2>"$TRASH/err" &&
	python3 - "$TRASH/out" "$ZONE" <<"PY"
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    out = json.load(f)
zone = sys.argv[2]
want_notes = ["collapsed 5 URLs into the prefix example.com/docs/ "
              "(more than collapse_threshold = 3)"]
want_requests = [
    {"zone_id": zone, "body": {"files": ["https://example.com/img/x.png"]}},
    {"zone_id": zone, "body": {"prefixes": ["example.com/docs/"]}},
]
if out.get("notes") != want_notes:
    sys.exit("notes: %r" % out.get("notes"))
if out["requests"] != want_requests:
    sys.exit("requests: %r" % out["requests"])
if len(out["changes"]) != 6:
    sys.exit("changes: %r" % out["changes"])
PY
'

expect 'push: more than max_urls URLs purge everything once (fallback = everything)' '
	server_config "[plan]
max_urls = 3" &&
	for f in a b c d; do echo "$f" >"public/$f.html"; done &&
	commit_all many && push &&
	test "$(requests)" = "200 $ZONE purge_everything true" &&
	grep "^remote: cf-purge-hook: purging everything: 4 URLs is more than \[plan\] max_urls = 3 (fallback = everything)" "$TRASH/push.err"
'

expect 'range: more than max_urls with fallback = fail exits 1 and sends nothing' '
	server_config "[plan]
max_urls = 3
fallback = fail" &&
	for f in a b c d; do echo "$f$f" >"public/$f.html"; done &&
	commit_all "too many" && clear_log &&
	code cfph -c "$DEPLOY/cf-purge-hook.ini" range HEAD~1..HEAD \
		>"$TRASH/out" 2>"$TRASH/err"
	test "$CODE" = 1 &&
	grep "cf-purge-hook: 4 URLs is more than \[plan\] max_urls = 3 and fallback = fail: purged nothing" "$TRASH/err" &&
	test -z "$(requests)" &&
	test -z "$(ls "$SITE/.git/cf-purge-hook-spool" 2>/dev/null)"
'
expect 'push: a push whose plan fails (fallback = fail) is kept for the next push, and the pusher is told' '
	clear_log && push &&
	test -z "$(requests)" &&
	grep "^remote: cf-purge-hook: the push is kept in .*cf-purge-hook-pushes/" "$TRASH/push.err"
'

expect 'push: each zone receives its own URLs, and every zone the tags; the kept push is planned with it' '
	server_config "[zone \"static.example.net\"]
zone_id = $Z2

[map \"assets/**\"]
strip = assets/
url = https://static.example.net/{path}" &&
	echo a >public/a.html && echo b >assets/b.png &&
	echo base2 >layouts/base.html &&
	commit_all zones && push &&
	requests | sort >"$TRASH/actual" &&
	sort >"$TRASH/want" <<EOT &&
200 $ZONE files https://example.com/a.html https://example.com/b.html https://example.com/c.html https://example.com/d.html
200 $ZONE tags html
200 $Z2 files https://static.example.net/b.png
200 $Z2 tags html
EOT
	diff -u "$TRASH/want" "$TRASH/actual" &&
	grep "^remote: cf-purge-hook: purging a push kept by an earlier run" "$TRASH/push.err"
'

TREE_CFG="[hook]
tree_config = .cf-purge-hook.ini"

expect 'push: tree_config set but no such file in the commit maps as usual' '
	server_config "$TREE_CFG" &&
	echo c >content/a.md && echo p >public/p.html &&
	commit_all "no tree config" && push &&
	test "$(requests)" = "200 $ZONE files https://example.com/p.html" &&
	! grep "cannot read" "$TRASH/push.err"
'

expect 'push: [map], [ignore] and pretty_urls from the pushed .cf-purge-hook.ini apply' '
	printf "%s\n" "[map \"content/**\"]" "tags = content" "" "[site]" \
		"pretty_urls = true" "[ignore]" "paths = public/secret.html" \
		>.cf-purge-hook.ini &&
	commit_all "tree config" && git push -q origin main 2>/dev/null &&
	echo c2 >content/a.md && echo p2 >public/p.html &&
	echo s >public/secret.html &&
	commit_all "content" && push &&
	requests >"$TRASH/actual" &&
	cat >"$TRASH/want" <<EOT &&
200 $ZONE files https://example.com/p https://example.com/p.html
200 $ZONE tags content
EOT
	diff -u "$TRASH/want" "$TRASH/actual" &&
	! grep "cannot read" "$TRASH/push.err"
'

# A modified page was cached under what the old commit's rules gave it,
# and will be under what the pushed commit's rules give it: both go.
expect 'push: a modified page maps by the pushed tree file and by the old one' '
	printf "%s\n" "[map \"content/**\"]" "tags = content2" \
		>.cf-purge-hook.ini &&
	echo c3 >content/a.md &&
	commit_all "new tags" && push &&
	test "$(requests)" = "200 $ZONE tags content content2"
'

expect 'push: a page added under the same tree file maps by it alone' '
	echo c >content/new.md &&
	commit_all "same tags" && push &&
	test "$(requests)" = "200 $ZONE tags content2"
'

expect 'push: a tree file that starts with a UTF-8 byte-order mark is read' '
	printf "\357\273\277%s\n" "[map \"content/**\"]" >.cf-purge-hook.ini &&
	echo "tags = bom" >>.cf-purge-hook.ini &&
	echo c3b >content/bom.md &&
	commit_all "tree config with a BOM" && push &&
	cat "$TRASH/push.err" &&
	test "$(requests)" = "200 $ZONE tags bom"
'

expect 'push: a forbidden [cloudflare] in the tree file is shown on remote: and left out; the rest applies' '
	printf "%s\n" "[map \"content/**\"]" "tags = content" "" "[cloudflare]" \
		"zone_id = $Z2" >.cf-purge-hook.ini &&
	echo c4 >content/c4.md &&
	commit_all "forbidden section" && push &&
	short=$(git rev-parse --short=7 HEAD) &&
	cat "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: .$short:.cf-purge-hook.ini.: line 4: \[cloudflare\] cannot come from the pushed tree .*; left out, the rest of the file applies" "$TRASH/push.err" &&
	! grep "purging everything" "$TRASH/push.err" &&
	test "$(requests)" = "200 $ZONE tags content"
'

expect 'range: every forbidden section and key of the tree file, with lines; exit 1, no purge of everything' '
	cat >.cf-purge-hook.ini <<EOT &&
[map "content/**"]
tags = content
hosts = example.com
[site]
pretty_urls = true
base_url = https://evil.example
[cloudflare]
zone_id = $Z2
[zone "x.example.com"]
zone_id = $Z2
[plan]
max_urls = 1
[hook]
branches = evil
EOT
	echo c5 >content/a.md &&
	commit_all "many forbidden" && clear_log &&
	short=$(git rev-parse --short=7 HEAD) &&
	code cfph -c "$DEPLOY/cf-purge-hook.ini" range HEAD~1..HEAD \
		>"$TRASH/out" 2>"$TRASH/err"
	cat "$TRASH/err"
	test "$CODE" = 1 &&
	for l in 3 6 7 9 11 13; do
		grep "cf-purge-hook: .$short:.cf-purge-hook.ini.: line $l: .*; left out, the rest of the file applies" "$TRASH/err" || exit 1
	done &&
	test "$(grep -c ".$short:.cf-purge-hook.ini.: line" "$TRASH/err")" = 6 &&
	grep "line 3: .hosts. in \[map \"content/\*\*\"\] cannot come from the pushed tree: the server.s \[hook\] tree_may_purge does not list hosts" "$TRASH/err" &&
	grep "line 6: .base_url. in \[site\] cannot come from the pushed tree" "$TRASH/err" &&
	test "$(requests)" = "200 $ZONE tags content"
'

expect 'push: the tree may not purge everything, nor prefixes or urls outside the site; the rest applies' '
	cat >.cf-purge-hook.ini <<EOT &&
[map "content/**"]
tags = content
everything = true
prefixes = example.com/blog/, other.example/, example.com.evil.example/
url = https://other.example/{path}
[map "docs/**"]
strip = docs/
prefixes = exam{path}
url = https://exam{path}
EOT
	mkdir -p docs/ple.org docs/ple.com &&
	echo d >docs/ple.org/x && echo d >docs/ple.com/y &&
	echo c6 >content/a.md &&
	commit_all "wide tree config" && push &&
	short=$(git rev-parse --short=7 HEAD) &&
	cat "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: .$short:.cf-purge-hook.ini.: line 3: .everything. in \[map \"content/\*\*\"\] cannot come from the pushed tree: the server.s \[hook\] tree_may_purge does not list everything; left out" "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: .$short:.cf-purge-hook.ini.: line 4: prefix .other.example/. in \[map \"content/\*\*\"\] is outside the server.s \[site\] base_url" "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: .$short:.cf-purge-hook.ini.: line 4: prefix .example.com.evil.example/. in" "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: .$short:.cf-purge-hook.ini.: line 5: url .https://other.example/{path}. in" "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: .$short:.cf-purge-hook.ini.: line 6: \[map \"docs/\*\*\"\] prefix .example.org/x. is outside the server.s \[site\] base_url" "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: .$short:.cf-purge-hook.ini.: line 6: \[map \"docs/\*\*\"\] url .https://example.org/x. is outside" "$TRASH/push.err" &&
	! grep "purging everything" "$TRASH/push.err" &&
	requests | sort >"$TRASH/actual" &&
	sort >"$TRASH/want" <<EOT &&
200 $ZONE prefixes example.com/blog/ example.com/y
200 $ZONE tags content
EOT
	diff -u "$TRASH/want" "$TRASH/actual"
'

expect 'push: [hook] tree_may_purge widens what the tree may purge' '
	server_config "$TREE_CFG
tree_may_purge = tags, hosts, everything" &&
	cat >.cf-purge-hook.ini <<EOT &&
[map "content/**"]
hosts = example.com
prefixes = example.com/blog/
EOT
	echo c7 >content/c7.md &&
	commit_all "hosts allowed" && push &&
	short=$(git rev-parse --short=7 HEAD) &&
	cat "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: .$short:.cf-purge-hook.ini.: line 3: .prefixes. in \[map \"content/\*\*\"\] cannot come from the pushed tree: the server.s \[hook\] tree_may_purge does not list prefixes; left out" "$TRASH/push.err" &&
	test "$(requests)" = "200 $ZONE hosts example.com" &&
	printf "%s\n" "[map \"content/**\"]" "everything = true" >.cf-purge-hook.ini &&
	echo c8 >content/c8.md &&
	commit_all "everything allowed" && push &&
	! grep "cannot come from" "$TRASH/push.err" &&
	test "$(requests)" = "200 $ZONE purge_everything true" &&
	server_config "$TREE_CFG"
'

# A pushed file is written by whoever may push: broken, it must not be
# able to empty the caches (every zone's, on every push).
TWO_ZONES="$TREE_CFG
tree_may_purge = urls
[zone \"static.example.net\"]
zone_id = $Z2"

expect 'push: a broken tree file (an unknown key) purges what the server maps, never everything, in no zone' '
	server_config "$TWO_ZONES" &&
	printf "%s\n" "[map \"content/**\"]" "tgas = content" >.cf-purge-hook.ini &&
	echo c9 >content/a.md && echo p9 >public/p.html &&
	commit_all "typo" && push &&
	short=$(git rev-parse --short=7 HEAD) &&
	cat "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: cannot read .$short:.cf-purge-hook.ini.: line 2: unknown key .tgas." "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: the pushed .\.cf-purge-hook\.ini. is broken: its rules were left out" "$TRASH/push.err" &&
	! grep "purging everything" "$TRASH/push.err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/p.html"
'

expect 'push: after a broken tree file, the next push maps by its own file, and the old broken one is not held against it' '
	printf "%s\n" "[map \"content/**\"]" "url = {base}/c/{stem}/" >.cf-purge-hook.ini &&
	echo c10 >content/a.md &&
	commit_all "fixed" && push &&
	cat "$TRASH/push.err" &&
	! grep "cannot read" "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: the old commit.s .\.cf-purge-hook\.ini. is broken" "$TRASH/push.err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/c/a/"
'

expect 'push: a tree file with a line over 198 characters says so; the new side maps with the server, the old with the old file' '
	printf "%s\n" "[map \"content/**\"]" "url = {base}/$(printf "%0250d" 0)/" >.cf-purge-hook.ini &&
	echo c11 >content/a.md && echo p11 >public/p.html &&
	commit_all "long line" && push &&
	short=$(git rev-parse --short=7 HEAD) &&
	cat "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: cannot read .$short:.cf-purge-hook.ini.: line 2: line longer than 198 characters" "$TRASH/push.err" &&
	! grep "purging everything" "$TRASH/push.err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/c/a/ https://example.com/p.html"
'

expect 'push: dot segments and encoded dots or slashes in the tree file are refused with their lines; HTTPS:// is a scheme' '
	cat >"$DEPLOY/cf-purge-hook.ini" <<EOT &&
[cloudflare]
zone_id = $ZONE
api_url = $API_URL
[site]
base_url = https://example.com/blog
root = public
[hook]
tree_config = .cf-purge-hook.ini
tree_may_purge = urls, prefixes
EOT
	cat >.cf-purge-hook.ini <<EOT &&
[map "content/**"]
url = {base}/../shop/x
url = https://example.com/blog/../shop/cart
prefixes = example.com/blog/%2e%2e/shop/
prefixes = example.com/blog/..%2fshop/
url = https://example.com/blog/.\\./x
url = HTTPS://Example.com/blog/ok/{stem}
EOT
	echo c12 >content/a.md &&
	commit_all "dots" && push &&
	short=$(git rev-parse --short=7 HEAD) &&
	cat "$TRASH/push.err" &&
	for l in 2 3 4 5 6; do
		grep "^remote: cf-purge-hook: .$short:.cf-purge-hook.ini.: line $l: .* has a .\.. or .\.\.. segment, or an encoded" "$TRASH/push.err" || exit 1
	done &&
	! grep "purging everything" "$TRASH/push.err" &&
	test "$(requests)" = "200 $ZONE files https://Example.com/blog/ok/a" &&
	server_config "$TREE_CFG"
'
git push -q origin main 2>/dev/null

expect 'push: more prefixes from the pushed tree than tree_max_items are cut back to their folders, never dropped' '
	server_config "$TREE_CFG
tree_max_items = 5" &&
	printf "%s\n" "[map \"content/**\"]" "prefixes = {base}/{dir}/{stem}/" >.cf-purge-hook.ini &&
	commit_all "prefix per page" && git push -q origin main 2>/dev/null &&
	mkdir -p content/d1 content/d2 content/d3 &&
	for d in d1 d2 d3; do for n in 1 2 3 4; do echo "$d$n" >content/$d/p$n.md; done; done &&
	commit_all "twelve pages" && push &&
	cat "$TRASH/push.err" &&
	test "$(requests)" = "200 $ZONE prefixes example.com/content/d1/ example.com/content/d2/ example.com/content/d3/" &&
	grep "^remote: cf-purge-hook: 12 prefixes, tags and hosts from the pushed tree.s rules were more than \[hook\] tree_max_items = 5: prefixes cut back to their parent folders, 3 left" "$TRASH/push.err" &&
	server_config "$TREE_CFG"
'

expect 'push: a pushed tree over tree_max_items without everything allowed purges its site (base_url as a prefix), never everything, never above base_url, in no other zone' '
	cat >"$DEPLOY/cf-purge-hook.ini" <<EOT &&
[cloudflare]
zone_id = $ZONE
api_url = $API_URL
[site]
base_url = https://example.com/blog/en
root = public
[hook]
tree_config = .cf-purge-hook.ini
tree_may_purge = urls, prefixes, tags
tree_max_items = 2
[zone "static.example.net"]
zone_id = $Z2
EOT
	printf "%s\n" "[map \"content/**\"]" "prefixes = example.com/blog/en/x/a/, example.com/blog/en/y/b/" "tags = t1, t2" >.cf-purge-hook.ini &&
	echo c13 >content/a.md &&
	commit_all "four items" && push &&
	cat "$TRASH/push.err" &&
	grep "^remote: cf-purge-hook: purging the whole site: [0-9]* prefixes, tags and hosts from the pushed tree.s rules are more than \[hook\] tree_max_items = 2, even with each prefix cut back to one folder, and \[hook\] tree_may_purge does not list everything" "$TRASH/push.err" &&
	! grep "purging everything" "$TRASH/push.err" &&
	test "$(requests)" = "200 $ZONE prefixes example.com/blog/en/" &&
	server_config "$TREE_CFG"
'

expect 'push: a deleted page is purged at the URL the old tree file gave it, not the new one' '
	printf "%s\n" "[map \"content/*.md\"]" "url = {base}/posts/{stem}/" \
		>.cf-purge-hook.ini &&
	echo x >content/x.md && echo y >content/y.md &&
	commit_all "posts" && git push -q origin main 2>/dev/null &&
	git rm -q content/x.md && echo y2 >content/y.md &&
	printf "%s\n" "[map \"content/*.md\"]" \
		"url = {base}/articles/{stem}/" >.cf-purge-hook.ini &&
	commit_all "posts become articles" && push &&
	requests >"$TRASH/actual" &&
	echo "200 $ZONE files https://example.com/articles/y/ https://example.com/posts/x/ https://example.com/posts/y/" >"$TRASH/want" &&
	diff -u "$TRASH/want" "$TRASH/actual"
'

expect 'push: deleting the tree file and a page together maps the page by the deleted file' '
	git rm -q .cf-purge-hook.ini content/y.md &&
	commit_all "no tree config again" && push &&
	test "$(requests)" = "200 $ZONE files https://example.com/articles/y/" &&
	! grep "cannot read" "$TRASH/push.err"
'
stop_stub

# --- Every configuration error that check reports --------------------------

# bad_config TEXT: $TRASH/bad.ini holds a valid config with TEXT in the
# middle (TEXT starts on line 8), then runs check on it.
bad_config() {
	cat >"$TRASH/bad.ini" <<EOT
[cloudflare]
zone_id = $ZONE

[site]
base_url = https://example.com
root = public

$1
EOT
	code cfph -c "$TRASH/bad.ini" check >"$TRASH/out" 2>"$TRASH/err"
	echo "$CODE" >"$TRASH/status"
}

# reports LINE MESSAGE...: check exited 2, printed nothing on stdout, and
# said "cannot read '.../bad.ini': line LINE: MESSAGE" (a grep pattern),
# for each pair.
reports() {
	cat "$TRASH/out" "$TRASH/err"
	test "$(cat "$TRASH/status")" = 2 && test ! -s "$TRASH/out" &&
	while [ $# -gt 1 ]; do
		grep "^cf-purge-hook: cannot read .$TRASH/bad.ini.: line $1: $2" "$TRASH/err" || return 1
		shift 2
	done
}

expect 'check: the baseline config of these cases is valid' '
	bad_config "" && test "$(cat "$TRASH/status")" = 0 &&
	grep "is valid" "$TRASH/out"
'

expect 'check: unknown key' '
	bad_config "[plan]
colapse_threshold = 3" &&
	reports 9 "unknown key .colapse_threshold. in \[plan\]"
'

expect 'check: unknown section' '
	bad_config "[maps \"x\"]
tags = a" &&
	reports 8 "unknown section \[maps \"x\"\]"
'

expect 'check: bad pattern' '
	bad_config "[map \"a/[b\"]
tags = a" &&
	reports 8 "pattern .a/\[b.: "
'

expect 'check: unknown template variable, with its line' '
	bad_config "[map \"x/**\"]
url = {base}/{path}
url = {base}/{pth}
prefixes = example.com/{dri}/" &&
	reports 10 "unknown variable .{pth}. in template .{base}/{pth}." \
		11 "unknown variable .{dri}. in template .example.com/{dri}/."
'

expect 'check: url template that is not absolute' '
	bad_config "[map \"x/**\"]
url = /x/{path}" &&
	reports 9 "url ./x/{path}. in \[map \"x/\*\*\"\] must start with {base}, https:// or http://"
'

expect 'check: url template with no host after its scheme, or a variable for one' '
	bad_config "[map \"x/**\"]
url = https:///cdn.example.org/{name}
url = https://{dir}/{name}" &&
	reports 9 "url .https:///cdn.example.org/{name}. in \[map \"x/\*\*\"\] must name a host after its scheme" \
		10 "url .https://{dir}/{name}. in \[map \"x/\*\*\"\] must name a host after its scheme"
'

expect 'check: url template with {base} not at its start' '
	bad_config "[map \"x/**\"]
url = x{base}/y" &&
	reports 9 "url .x{base}/y. in \[map \"x/\*\*\"\] must start with {base}, https:// or http://"
'

expect 'check: base_url that is not absolute' '
	cat >"$TRASH/bad.ini" <<EOT &&
[cloudflare]
zone_id = $ZONE
[site]
base_url = https://example.com, example.org
EOT
	code cfph -c "$TRASH/bad.ini" check >"$TRASH/out" 2>"$TRASH/err"
	echo "$CODE" >"$TRASH/status" &&
	reports 4 ".base_url. in \[site\]: .example.org.: not an absolute http:// or https:// URL"
'

expect 'check: zone_id in [cloudflare] that is not 32 hex digits' '
	cat >"$TRASH/bad.ini" <<EOT &&
[cloudflare]
zone_id = 023e105f4ecef8ad9ca31a8372d0c35
[site]
base_url = https://example.com
EOT
	code cfph -c "$TRASH/bad.ini" check >"$TRASH/out" 2>"$TRASH/err"
	echo "$CODE" >"$TRASH/status" &&
	reports 2 ".zone_id. in \[cloudflare\] must be 32 lowercase hex digits"
'

expect 'check: zone_id in [zone] that is not 32 hex digits' '
	bad_config "[zone \"static.example.net\"]
zone_id = 1B0C2F1F6D1A4E9C8B7A6F5E4D3C2B1A" &&
	reports 9 ".zone_id. in \[zone \"static.example.net\"\] must be 32 lowercase hex digits"
'

expect 'check: zone_id and zone_name both set' '
	cat >"$TRASH/bad.ini" <<EOT &&
[cloudflare]
zone_id = $ZONE
zone_name = example.com
[site]
base_url = https://example.com
EOT
	code cfph -c "$TRASH/bad.ini" check >"$TRASH/out" 2>"$TRASH/err"
	echo "$CODE" >"$TRASH/status" &&
	reports "[0-9]*" ".*zone_id.*zone_name"
'

expect 'check: email without api_key_env' '
	cat >"$TRASH/bad.ini" <<EOT &&
[cloudflare]
zone_id = $ZONE
email = admin@example.com
[site]
base_url = https://example.com
EOT
	code cfph -c "$TRASH/bad.ini" check >"$TRASH/out" 2>"$TRASH/err"
	echo "$CODE" >"$TRASH/status" &&
	reports "[0-9]*" ".*email.*api_key_env"
'

expect 'check: bad fallback' '
	bad_config "[plan]
fallback = sometimes" &&
	reports 9 ".fallback. in \[plan\] must be .everything. or .fail., not .sometimes."
'

expect 'check: [map] pattern starting with !' '
	bad_config "[map \"!drafts/**\"]
tags = a" &&
	reports 8 "\[map \"!drafts/\*\*\"\]: a \[map\] pattern cannot start with .!."
'

expect 'check: duplicate [zone]' '
	bad_config "[zone \"static.example.net\"]
zone_id = $Z2
[zone \"static.example.net\"]
zone_id = $Z2" &&
	reports 10 "\[zone \"static.example.net\"\] repeats the section of line 8"
'

expect 'check: every problem of one file is reported together' '
	cat >"$TRASH/bad.ini" <<EOT &&
[cloudflare]
zone_id = 023E105F4ECEF8AD9CA31A8372D0C353
colour = blue
[site]
base_url = https://example.com, example.org
[sitee]
[map "a/[b"]
[map "x/**"]
url = {base}/{pth}
url = /x/{path}
[map "!y/**"]
[zone "static.example.net"]
zone_id = 1234
[zone "static.example.net"]
[plan]
fallback = sometimes
EOT
	code cfph -c "$TRASH/bad.ini" check >"$TRASH/out" 2>"$TRASH/err"
	echo "$CODE" >"$TRASH/status" &&
	reports 2 ".zone_id. in \[cloudflare\]" 3 "unknown key .colour." \
		5 ".base_url. in \[site\]: .example.org." \
		6 "unknown section \[sitee\]" 7 "pattern .a/\[b." \
		9 "unknown variable .{pth}." 10 "url ./x/{path}." \
		11 "\[map \"!y/\*\*\"\]" 13 ".zone_id. in \[zone" \
		14 "\[zone \"static.example.net\"\] repeats" \
		16 ".fallback. in \[plan\]" &&
	test "$(wc -l <"$TRASH/err")" = 11
'

finish
