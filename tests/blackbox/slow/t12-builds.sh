#!/bin/sh
# t12-builds.sh: `dir OLD NEW` and `dir DIR` on real Hugo and Jekyll
# sites (installed with apt-get when missing, as root): a site is built, a
# post edited and one added, and the site built again; what reaches the
# stand-in API must be exactly the URLs of the output files that differ
# between the two builds, as a comparison of the two folders made here
# (python) finds them. Split from t12-dir.sh for make test-all: installing
# and running the generators is the slow part.

. "$(dirname "$0")/../lib.sh"
CONFIG=$TRASH/site.ini
STATE=$TRASH/state
SPOOL=$TRASH/spool
# Outside any repository: the state must not default to a git directory.
cd "$TRASH" || exit 1

dir_config() {
	dir_ini "$CONFIG" "root = public" "${1:-}"
}

# --- Real Hugo and Jekyll builds ----------------------------------------

have_hugo() {
	command -v hugo >/dev/null 2>&1 ||
	{ [ "$(id -u)" = 0 ] && apt-get install -y hugo >/dev/null 2>&1; }
}
have_jekyll() {
	command -v jekyll >/dev/null 2>&1 ||
	{ [ "$(id -u)" = 0 ] && apt-get install -y jekyll >/dev/null 2>&1; }
}

hugo_site() {
	s=$TRASH/hugo-src
	mkdir -p "$s/content/posts" "$s/layouts/_default"
	printf 'baseURL = "https://example.com/"\ntitle = "t"\n' >"$s/config.toml"
	printf '<!doctype html><html><body>{{ block "main" . }}{{ end }}</body></html>\n' \
		>"$s/layouts/_default/baseof.html"
	printf '{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}{{ end }}\n' \
		>"$s/layouts/_default/single.html"
	printf '{{ define "main" }}{{ range .Pages }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}{{ end }}\n' \
		>"$s/layouts/_default/list.html"
	cp "$s/layouts/_default/list.html" "$s/layouts/index.html"
	for i in 1 2 3 4 5; do
		printf -- '---\ntitle: Post %s\ndate: 2024-01-0%s\ntags: [t%s]\n---\nText %s\n' \
			$i $i $i $i >"$s/content/posts/p$i.md"
	done
	printf -- '---\ntitle: About\n---\nabout\n' >"$s/content/about.md"
}

if have_hugo; then
	start_stub
	dir_config
	hugo_site
	expect 'hugo: dir OLD NEW purges exactly the output files that differ after one post is edited and one added' '
		(cd "$TRASH/hugo-src" && hugo --quiet -d "$TRASH/hugo1") &&
		printf -- "---\ntitle: Post 2\ndate: 2024-01-02\ntags: [t2]\n---\nText 2, edited\n" \
			>"$TRASH/hugo-src/content/posts/p2.md" &&
		printf -- "---\ntitle: Post 6\ndate: 2024-01-06\n---\nText 6\n" \
			>"$TRASH/hugo-src/content/posts/p6.md" &&
		(cd "$TRASH/hugo-src" && hugo --quiet -d "$TRASH/hugo2") &&
		want_urls "$TRASH/hugo1" "$TRASH/hugo2" "$TRASH/want" &&
		grep -qx "https://example.com/posts/p2/" "$TRASH/want" &&
		grep -qx "https://example.com/posts/p6/index.html" "$TRASH/want" &&
		clear_log &&
		cfph -c "$CONFIG" dir "$TRASH/hugo1" "$TRASH/hugo2" &&
		same_urls "$TRASH/want"
	'
	expect 'hugo: dir DIR with state: the first run purges everything and says why, the rebuild purges exactly what differs' '
		rm -rf "$STATE" "$TRASH/www" && cp -a "$TRASH/hugo1" "$TRASH/www" &&
		clear_log &&
		cfph -c "$CONFIG" dir "$TRASH/www" 2>"$TRASH/err" &&
		grep -q "purging everything: no state yet for" "$TRASH/err" &&
		test "$(requests)" = "200 $ZONE purge_everything true" &&
		rm -rf "$TRASH/www" && cp -a "$TRASH/hugo2" "$TRASH/www" &&
		clear_log &&
		cfph -c "$CONFIG" dir "$TRASH/www" &&
		same_urls "$TRASH/want" &&
		clear_log &&
		cfph -c "$CONFIG" dir "$TRASH/www" &&
		test -z "$(requests)"
	'
	stop_stub
else
	echo "ok - # SKIP hugo cannot be installed"
fi

jekyll_site() {
	s=$TRASH/jekyll-src
	mkdir -p "$s/_posts" "$s/_layouts"
	printf 'title: t\nurl: https://example.com\n' >"$s/_config.yml"
	printf '<html><body>{{ content }}</body></html>\n' >"$s/_layouts/default.html"
	for i in 1 2 3 4; do
		printf -- '---\nlayout: default\ntitle: Post %s\n---\nText %s\n' $i $i \
			>"$s/_posts/2024-01-0$i-post-$i.md"
	done
	printf -- '---\nlayout: default\n---\n{%% for p in site.posts %%}<a href="{{ p.url }}">{{ p.title }}</a>{%% endfor %%}\n' \
		>"$s/index.html"
	printf 'body { color: red }\n' >"$s/style.css"
}

if have_jekyll; then
	start_stub
	dir_config
	jekyll_site
	expect 'jekyll: dir OLD NEW and dir DIR purge exactly the output files that differ after one post is edited and one added' '
		(cd "$TRASH/jekyll-src" && jekyll build -q -d "$TRASH/jek1") &&
		printf -- "---\nlayout: default\ntitle: Post 3\n---\nText 3, edited\n" \
			>"$TRASH/jekyll-src/_posts/2024-01-03-post-3.md" &&
		printf -- "---\nlayout: default\ntitle: Post 5\n---\nText 5\n" \
			>"$TRASH/jekyll-src/_posts/2024-01-05-post-5.md" &&
		(cd "$TRASH/jekyll-src" && jekyll build -q -d "$TRASH/jek2") &&
		want_urls "$TRASH/jek1" "$TRASH/jek2" "$TRASH/want" &&
		grep -qx "https://example.com/2024/01/03/post-3.html" "$TRASH/want" &&
		grep -qx "https://example.com/2024/01/05/post-5.html" "$TRASH/want" &&
		clear_log &&
		cfph -c "$CONFIG" dir "$TRASH/jek1" "$TRASH/jek2" &&
		same_urls "$TRASH/want" &&
		rm -rf "$STATE" "$TRASH/www" && cp -a "$TRASH/jek1" "$TRASH/www" &&
		cfph -q -c "$CONFIG" dir "$TRASH/www" &&
		rm -rf "$TRASH/www" && cp -a "$TRASH/jek2" "$TRASH/www" &&
		clear_log &&
		cfph -c "$CONFIG" dir "$TRASH/www" &&
		same_urls "$TRASH/want"
	'
	stop_stub
else
	echo "ok - # SKIP jekyll cannot be installed"
fi

finish
