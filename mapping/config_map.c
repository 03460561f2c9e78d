/*
 * The [map "PATTERN"] sections, with their keys url, prefixes, tags,
 * hosts, everything and strip; the [ignore] section and its paths; and
 * the [plan] section: collapse_threshold, collapse_waste, max_urls and
 * fallback. Whether the pushed tree may set a key is config_tree.c's to
 * say.
 */
#include "config_map.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_parse.h"
#include "config_tree.h"

/* Parses 'map "PATTERN"' and starts a new rule. */
void config_map_start(struct reader *r)
{
	const char *s = r->section + 3;
	const char *open, *close;
	struct map_rule *m;
	struct err e;
	char *text;

	while (*s == ' ' || *s == '\t')
		s++;
	open = s;
	close = strrchr(s, '"');
	if (*open != '"' || close == open || close[1] != '\0') {
		add_error(r, r->section_line, "section [%s] must be written "
			  "[map \"PATTERN\"]", r->section);
		return;
	}
	text = xstrndup(open + 1, (size_t)(close - open - 1));
	if (text[0] == '!') {
		add_error(r, r->section_line, "[%s]: a [map] pattern cannot "
			  "start with '!'; use [ignore] to leave paths out",
			  r->section);
		free(text);
		return;
	}
	r->c->maps = xrealloc(r->c->maps,
			      (r->c->n_maps + 1) * sizeof(*r->c->maps));
	m = &r->c->maps[r->c->n_maps];
	memset(m, 0, sizeof(*m));
	m->line = r->section_line;
	m->source = r->c->sources.v[r->c->sources.n - 1];
	m->from_tree = r->tree;
	if (pattern_compile(&m->pattern, text, &e) < 0) {
		add_error(r, r->section_line, "pattern '%s': %s", text, e.msg);
		free(text);
		return;
	}
	free(text);
	r->c->n_maps++;
	r->map = m;
}

static void add_template_text(struct reader *r, struct template ***v,
			      size_t *n, const char *text, int is_url)
{
	struct template *t;
	struct err e;

	if (template_compile(&t, text, &e) < 0) {
		add_error(r, r->line, "%s", e.msg);
		return;
	}
	if (is_url && strncmp(text, "{base}", 6) &&
	    strncmp(text, "https://", 8) && strncmp(text, "http://", 7)) {
		add_error(r, r->line, "url '%s' in [%s] must start with "
			  "{base}, https:// or http://", text, r->section);
		template_free(t);
		return;
	}
	if (is_url && strncmp(text, "{base}", 6)) {
		const char *h = strstr(text, "://") + 3;

		/*
		 * "https:///x" names no host, and "https://{dir}/x" none
		 * for a file at the top: nothing Cloudflare could purge.
		 */
		if (!*h || strchr("/:?#{", *h)) {
			add_error(r, r->line, "url '%s' in [%s] must name a "
				  "host after its scheme", text, r->section);
			template_free(t);
			return;
		}
	}
	if (!is_url && strncmp(text, "{base}", 6)) {
		const char *h = strstr(text, "://");

		h = h ? h + 3 : text;
		if (!*h || *h == '/' || *h == '{' || *h == ':') {
			add_error(r, r->line, "prefix '%s' in [%s] must start "
				  "with {base} or a host name", text,
				  r->section);
			template_free(t);
			return;
		}
	}
	if (!is_url && strpbrk(text, "?#")) {
		add_error(r, r->line, "prefix '%s' in [%s] must be a host "
			  "and path without a query string", text, r->section);
		template_free(t);
		return;
	}
	if (r->tree && !config_tree_within_site(r, text, is_url)) {
		template_free(t);
		return;
	}
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = t;
}

/*
 * Adds a url or prefix template. A scheme is read without regard to case
 * (HTTPS:// is https://) and kept in lowercase, as a browser sends it.
 */
static void add_template(struct reader *r, struct template ***v, size_t *n,
			 const char *text, int is_url)
{
	size_t colon = strcspn(text, ":/{");
	char *lower = NULL;

	if (!strncmp(text + colon, "://", 3) &&
	    ((colon == 5 && !strncasecmp(text, "https", 5)) ||
	     (colon == 4 && !strncasecmp(text, "http", 4)))) {
		size_t i;

		lower = xstrdup(text);
		for (i = 0; i < colon; i++)
			lower[i] = (char)tolower((unsigned char)lower[i]);
		text = lower;
	}
	add_template_text(r, v, n, text, is_url);
	free(lower);
}

void config_map_key(struct reader *r, const char *key, const char *v)
{
	struct map_rule *m = r->map;
	size_t i, first;

	if (r->tree && !config_tree_may_purge(r, key, v))
		return;
	if (!strcmp(key, "tags")) {
		first = m->tags.n;
		split_list(&m->tags, v);
		for (i = first; i < m->tags.n; i++)
			if (strpbrk(m->tags.v[i], " \t"))
				add_error(r, r->line, "tag '%s' in [%s] "
					  "contains white space", m->tags.v[i],
					  r->section);
	} else if (!strcmp(key, "url")) {
		add_template(r, &m->urls, &m->n_urls, v, 1);
	} else if (!strcmp(key, "prefixes")) {
		struct strvec items = STRVEC_INIT;

		split_list(&items, v);
		for (i = 0; i < items.n; i++)
			add_template(r, &m->prefixes, &m->n_prefixes,
				     items.v[i], 0);
		strvec_clear(&items);
	} else if (!strcmp(key, "strip")) {
		if (m->strip)
			add_error(r, r->line, "'strip' in [%s] is set twice",
				  r->section);
		free(m->strip);
		m->strip = xstrdup(v);
	} else if (!strcmp(key, "hosts")) {
		first = m->hosts.n;
		split_list(&m->hosts, v);
		for (i = first; i < m->hosts.n; i++)
			if (strpbrk(m->hosts.v[i], "/:?# \t"))
				add_error(r, r->line, "host '%s' in [%s] must "
					  "be a bare host name", m->hosts.v[i],
					  r->section);
	} else if (!strcmp(key, "everything")) {
		if (parse_bool(v, &m->everything) < 0)
			add_error(r, r->line, "'everything' in [%s] must be "
				  "true or false", r->section);
	} else {
		add_error(r, r->line, "unknown key '%s' in [%s]", key,
			  r->section);
	}
}

void config_ignore_key(struct reader *r, const char *key, const char *v)
{
	struct strvec items = STRVEC_INIT;
	struct err e;
	size_t i;

	if (strcmp(key, "paths")) {
		add_error(r, r->line, "unknown key '%s' in [ignore]", key);
		return;
	}
	split_list(&items, v);
	for (i = 0; i < items.n; i++)
		if (pattern_list_add(&r->c->ignore, items.v[i], &e) < 0)
			add_error(r, r->line, "pattern '%s' in [ignore]: %s",
				  items.v[i], e.msg);
	strvec_clear(&items);
}

void config_plan_key(struct reader *r, const char *key, const char *v)
{
	struct config *c = r->c;

	if (!strcmp(key, "collapse_threshold")) {
		if (parse_long(v, 0, 1000000, &c->collapse_threshold) < 0)
			add_error(r, r->line, "'collapse_threshold' in [plan] "
				  "must be a number from 0 to 1000000 (0 turns it "
				  "off)");
	} else if (!strcmp(key, "collapse_waste")) {
		char *num = xstrdup(v);
		size_t len = strlen(num);

		if (len && num[len - 1] == '%')
			num[len - 1] = '\0';
		if (parse_long(trim(num), 0, 100, &c->collapse_waste) < 0)
			add_error(r, r->line, "'collapse_waste' in [plan] must "
				  "be a percentage from 0%% to 100%%");
		free(num);
	} else if (!strcmp(key, "max_urls")) {
		if (parse_long(v, 0, 100000000, &c->max_urls) < 0)
			add_error(r, r->line, "'max_urls' in [plan] must be a "
				  "number from 0 to 100000000 (0 turns the cap "
				  "off)");
	} else if (!strcmp(key, "fallback")) {
		if (!strcmp(v, "everything"))
			c->fallback = FALLBACK_EVERYTHING;
		else if (!strcmp(v, "fail"))
			c->fallback = FALLBACK_FAIL;
		else
			add_error(r, r->line, "'fallback' in [plan] must be "
				  "'everything' or 'fail', not '%s'", v);
	} else {
		add_error(r, r->line, "unknown key '%s' in [plan]", key);
	}
}
