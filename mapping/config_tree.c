/*
 * The layer of configuration that a push brings, and the server's keys
 * that govern it: [hook] tree_config, tree_may_purge and tree_max_items;
 * which sections and [site] keys the pushed tree may hold, which [map]
 * keys it may set, and whether its urls and prefixes stay within a [site]
 * base_url, with config_within_site(), which mapping/map.c asks again of
 * each expanded URL. What the tree may not set is refused here; reading
 * what it may set is left to the files of those sections.
 */
#include "config_tree.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_parse.h"

int config_tree_hook_key(struct reader *r, const char *key, const char *v)
{
	struct config *c = r->c;

	if (!strcmp(key, "tree_config")) {
		if (!*v || v[0] == '/' || strstr(v, ".."))
			add_error(r, r->line, "'tree_config' in [hook] must be "
				  "a path inside the repository");
		set_string(&c->tree_config, v);
	} else if (!strcmp(key, "tree_may_purge")) {
		struct strvec items = STRVEC_INIT;
		size_t i;

		c->tree_may_purge = 0;
		split_list(&items, v);
		for (i = 0; i < items.n; i++) {
			const char *w = items.v[i];

			if (!strcmp(w, "urls"))
				c->tree_may_purge |= TREE_MAY_URLS;
			else if (!strcmp(w, "prefixes"))
				c->tree_may_purge |= TREE_MAY_PREFIXES;
			else if (!strcmp(w, "tags"))
				c->tree_may_purge |= TREE_MAY_TAGS;
			else if (!strcmp(w, "hosts"))
				c->tree_may_purge |= TREE_MAY_HOSTS;
			else if (!strcmp(w, "everything"))
				c->tree_may_purge |= TREE_MAY_EVERYTHING;
			else if (strcmp(w, "none") || items.n > 1)
				add_error(r, r->line, "'tree_may_purge' in "
					  "[hook] takes urls, prefixes, tags, "
					  "hosts and everything, or none alone, "
					  "not '%s'", w);
		}
		if (!items.n)
			add_error(r, r->line, "'tree_may_purge' in [hook] is "
				  "empty; write none to allow nothing");
		strvec_clear(&items);
	} else if (!strcmp(key, "tree_max_items")) {
		if (parse_long(v, 0, 1000000, &c->tree_max_items) < 0)
			add_error(r, r->line, "'tree_max_items' in [hook] must "
				  "be a number from 0 to 1000000");
	} else {
		return 0;
	}
	return 1;
}

int config_tree_section(struct reader *r, const char *s)
{
	if (is_map_section(s) || !strcmp(s, "ignore") || !strcmp(s, "site"))
		return 1;
	/* The keys of either are skipped: the caller reads none. */
	if (!strcmp(s, "cloudflare") || !strcmp(s, "hook") ||
	    !strcmp(s, "plan") || !strcmp(s, "state") || !strcmp(s, "ci") ||
	    is_zone_section(s))
		add_refused(r, r->line, "[%s] cannot come from the pushed tree "
			    "(only [map], [ignore] and [site] pretty_urls can); "
			    "set it in the server's configuration", s);
	else
		add_error(r, r->line, "unknown section [%s]", s);
	return 0;
}

void config_tree_site_key(struct reader *r, const char *key)
{
	if (!strcmp(key, "base_url") || !strcmp(key, "root") ||
	    !strcmp(key, "index") || !strcmp(key, "variant"))
		add_refused(r, r->line, "'%s' in [site] cannot come from the "
			    "pushed tree (only pretty_urls can)", key);
	else
		add_error(r, r->line, "unknown key '%s' in [site]", key);
}

/* The tree_may_purge word for each [map] key that purges, or NULL. */
static const char *purge_word(const char *key, unsigned *bit)
{
	static const struct {
		const char *key, *word;
		unsigned bit;
	} words[] = {
		{ "url", "urls", TREE_MAY_URLS },
		{ "prefixes", "prefixes", TREE_MAY_PREFIXES },
		{ "tags", "tags", TREE_MAY_TAGS },
		{ "hosts", "hosts", TREE_MAY_HOSTS },
		{ "everything", "everything", TREE_MAY_EVERYTHING },
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (!strcmp(key, words[i].key)) {
			*bit = words[i].bit;
			return words[i].word;
		}
	return NULL;
}

int config_tree_may_purge(struct reader *r, const char *key, const char *v)
{
	const char *word;
	unsigned bit = 0;
	int no = 1;

	word = purge_word(key, &bit);
	/* "everything = false" purges nothing, so it needs no permission. */
	if (word && !(r->c->tree_may_purge & bit) &&
	    !(bit == TREE_MAY_EVERYTHING && parse_bool(v, &no) == 0 && !no)) {
		add_refused(r, r->line, "'%s' in [%s] cannot come from the "
			    "pushed tree: the server's [hook] tree_may_purge "
			    "does not list %s", key, r->section, word);
		return 0;
	}
	return 1;
}

/* What follows "scheme://", or s itself when it has no scheme. */
static const char *skip_scheme(const char *s)
{
	const char *p = strstr(s, "://");

	return p && (size_t)(p - s) + 1 == strcspn(s, "/") ? p + 3 : s;
}

/*
 * Compares the n bytes at s with base + "/" (base without a scheme): 1
 * when they agree, the host part without regard to case. When whole is
 * set, s is a complete value and must be base itself or lie below it.
 */
static int agrees_with_base(const char *s, size_t n, const char *base,
			    int whole)
{
	size_t blen = strlen(base), host = strcspn(base, "/"), i;

	for (i = 0; i < n && i <= blen; i++) {
		char want = i < blen ? base[i] : '/';
		char got = s[i];

		if (i < host) {
			want = (char)tolower((unsigned char)want);
			got = (char)tolower((unsigned char)got);
		}
		if (got != want)
			return 0;
	}
	return !whole || n >= blen;
}

/*
 * 1 when the path of s (a URL or a prefix, after its scheme and host) has
 * a "." or ".." segment, or an encoded '.', '/' or '\\', or a '\\': what a
 * server or Cloudflare may resolve to a place outside the folder the text
 * seems to name (https://example.com/blog/../shop/). A pushed tree's
 * items with such a path are not compared with base_url but refused.
 */
static int dot_segments(const char *s)
{
	const char *p = skip_scheme(s), *seg;
	size_t n;

	p += strcspn(p, "/?#");
	n = strcspn(p, "?#");
	for (seg = p; seg < p + n; seg++) {
		if (*seg == '\\')
			return 1;
		if (*seg == '%' && seg + 2 < p + n &&
		    (!strncasecmp(seg, "%2e", 3) ||
		     !strncasecmp(seg, "%2f", 3) ||
		     !strncasecmp(seg, "%5c", 3)))
			return 1;
	}
	while (n) {
		size_t len;

		if (*p == '/') {
			p++;
			n--;
			continue;
		}
		len = strcspn(p, "/");
		len = len < n ? len : n;
		if ((len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return 1;
		p += len;
		n -= len;
	}
	return 0;
}

int config_within_site(const struct config *c, const char *value)
{
	const char *s = skip_scheme(value);
	size_t i;

	if (dot_segments(value))
		return 0;
	for (i = 0; i < c->base_urls.n; i++)
		if (agrees_with_base(s, strlen(s),
				     skip_scheme(c->base_urls.v[i]), 1))
			return 1;
	return 0;
}

/*
 * For a url or prefix template from the pushed tree: 0 when the text
 * before its first placeholder already leaves every [site] base_url, so
 * that no expansion can stay within the site. {base} is always within.
 */
static int may_stay_within_site(const struct config *c, const char *text)
{
	const char *s = skip_scheme(text);
	size_t n = strcspn(s, "{"), i;

	if (!strncmp(text, "{base}", 6))
		return 1;
	for (i = 0; i < c->base_urls.n; i++)
		if (agrees_with_base(s, n, skip_scheme(c->base_urls.v[i]),
				     !s[n]))
			return 1;
	return 0;
}

/* text with each {placeholder} written as "x", for dot_segments(). */
static char *placeholders_as_x(const char *text)
{
	char *out = xmalloc(strlen(text) + 1), *o = out;

	while (*text) {
		const char *end = *text == '{' ? strchr(text, '}') : NULL;

		if (end) {
			*o++ = 'x';
			text = end + 1;
		} else {
			*o++ = *text++;
		}
	}
	*o = '\0';
	return out;
}

int config_tree_within_site(struct reader *r, const char *text, int is_url)
{
	char *flat = placeholders_as_x(text);
	int dots = dot_segments(flat);

	free(flat);
	if (dots) {
		add_refused(r, r->line, "%s '%s' in [%s] has a '.' or '..' "
			    "segment, or an encoded '.', '/' or '\\', and the "
			    "pushed tree may purge only its own site",
			    is_url ? "url" : "prefix", text, r->section);
		return 0;
	}
	if (may_stay_within_site(r->c, text))
		return 1;
	add_refused(r, r->line, "%s '%s' in [%s] is outside the server's "
		    "[site] base_url, and the pushed tree may purge only its "
		    "own site", is_url ? "url" : "prefix", text, r->section);
	return 0;
}
