/*
 * The [site] section: base_url, pretty_urls, query_variants, root,
 * served_dir, variant and index. And the [zone "HOSTNAME"] sections with
 * their one key, zone_id, with config_zone_index(), which looks a host up
 * among them.
 */
#include "config_site.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "config_parse.h"

/*
 * Reads "Header: value; Header: value" into its normal form. Returns NULL
 * (and reports) when it does not parse.
 */
static char *parse_variant(struct reader *r, const char *v)
{
	struct strbuf out = STRBUF_INIT;
	char *copy = xstrdup(v), *part, *save = NULL;
	int ok = 1, n = 0;

	for (part = strtok_r(copy, ";", &save); part && ok;
	     part = strtok_r(NULL, ";", &save)) {
		char *colon = strchr(part, ':');
		char *name, *value;
		const char *q;

		if (!*trim(part))
			continue;
		if (!colon) {
			ok = 0;
			break;
		}
		*colon = '\0';
		name = trim(part);
		value = trim(colon + 1);
		for (q = name; *q; q++)
			if (!isalnum((unsigned char)*q) && *q != '-' && *q != '_')
				ok = 0;
		if (!*name || !*value || strpbrk(value, "\r\n"))
			ok = 0;
		if (ok)
			strbuf_addf(&out, "%s%s: %s", n++ ? "; " : "", name, value);
	}
	free(copy);
	if (!ok || !n) {
		add_error(r, r->line, "'variant' in [site] must be written "
			  "'Header: value; Other-Header: value'");
		strbuf_release(&out);
		return NULL;
	}
	return strbuf_detach(&out);
}

void config_site_key(struct reader *r, const char *key, const char *v)
{
	struct config *c = r->c;

	if (!strcmp(key, "base_url")) {
		struct strvec items = STRVEC_INIT;
		size_t i;

		if (!split_list(&items, v))
			add_error(r, r->line, "'base_url' in [site] is empty");
		for (i = 0; i < items.n; i++) {
			const char *why = url_problem(items.v[i]);

			if (why)
				add_error(r, r->line, "'base_url' in [site]: "
					  "'%s': %s", items.v[i], why);
			strvec_push_owned(&c->base_urls,
					  strip_trailing_slashes(items.v[i]));
		}
		strvec_clear(&items);
	} else if (!strcmp(key, "pretty_urls")) {
		if (parse_bool(v, &c->pretty_urls) < 0)
			add_error(r, r->line, "'pretty_urls' in [site] must be "
				  "true or false");
	} else if (!strcmp(key, "query_variants")) {
		if (parse_bool(v, &c->query_variants) < 0)
			add_error(r, r->line, "'query_variants' in [site] must "
				  "be true or false");
	} else if (!strcmp(key, "root")) {
		char *root = strip_trailing_slashes(v);
		if (root[0] == '/' || !strcmp(root, "..") ||
		    !strncmp(root, "../", 3) || strstr(root, "/../") ||
		    strstr(root, "//") ||
		    (strlen(root) >= 3 && !strcmp(root + strlen(root) - 3, "/..")))
			add_error(r, r->line, "'root' in [site] must be a "
				  "folder inside the repository, written "
				  "without a leading '/' or '..'");
		free(c->root);
		c->root = root;
	} else if (!strcmp(key, "served_dir")) {
		if (v[0] != '/')
			add_error(r, r->line, "'served_dir' in [site] must be "
				  "an absolute path");
		set_string(&c->served_dir, v);
	} else if (!strcmp(key, "variant")) {
		char *norm = parse_variant(r, v);

		if (norm)
			strvec_push_owned(&c->variants, norm);
	} else if (!strcmp(key, "index")) {
		if (strchr(v, '/'))
			add_error(r, r->line, "'index' in [site] must be a "
				  "file name without '/'");
		set_string(&c->index, v);
	} else {
		add_error(r, r->line, "unknown key '%s' in [site]", key);
	}
}

/* Parses 'zone "HOST"' and starts a new zone rule. */
void config_zone_start(struct reader *r)
{
	const char *s = r->section + 4;
	const char *close;
	struct zone_rule *z;
	size_t i;
	char *host;

	while (*s == ' ' || *s == '\t')
		s++;
	close = strrchr(s, '"');
	if (*s != '"' || close == s || close[1] != '\0' || close == s + 1) {
		add_error(r, r->line, "section [%s] must be written "
			  "[zone \"HOSTNAME\"]", r->section);
		return;
	}
	host = xstrndup(s + 1, (size_t)(close - s - 1));
	if (strpbrk(host, "/:?# \t")) {
		add_error(r, r->line, "[%s]: '%s' is not a host name",
			  r->section, host);
		free(host);
		return;
	}
	for (i = 0; i < r->c->n_zones; i++)
		if (!strcmp(r->c->zones[i].host, host)) {
			add_error(r, r->line, "[%s] repeats the section of "
				  "line %d", r->section, r->c->zones[i].line);
			free(host);
			return;
		}
	r->c->zones = xrealloc(r->c->zones,
			       (r->c->n_zones + 1) * sizeof(*r->c->zones));
	z = &r->c->zones[r->c->n_zones++];
	z->host = host;
	z->zone_id = NULL;
	z->line = r->line;
	r->zone = z;
}

void config_zone_key(struct reader *r, const char *key, const char *v)
{
	if (strcmp(key, "zone_id")) {
		add_error(r, r->line, "unknown key '%s' in [%s]", key,
			  r->section);
		return;
	}
	if (!is_hex32(v))
		add_error(r, r->line, "'zone_id' in [%s] must be 32 lowercase "
			  "hex digits", r->section);
	set_string(&r->zone->zone_id, v);
}

size_t config_zone_index(const struct config *c, const char *host,
			 size_t len)
{
	size_t i;

	for (i = 0; i < c->n_zones; i++)
		if (strlen(c->zones[i].host) == len &&
		    !strncmp(c->zones[i].host, host, len))
			return i + 1;
	return 0;
}

void config_site_finish(struct reader *r)
{
	struct config *c = r->c;
	size_t i;

	if (!c->base_urls.n)
		add_error(r, 0, "'base_url' is missing from [site]");
	/*
	 * Without a wait the hook would read the folder before the build
	 * writes it, record it as purged, and leave the build's change to
	 * an unrelated later push. Refused rather than kept until the folder
	 * shows the commit: nothing in a folder says which commit it was
	 * built from, and wait_url is how a site says so.
	 */
	if (c->served_dir && !c->wait_url && !c->delay_set)
		add_error(r, 0, "'served_dir' in [site] needs [hook] wait_url "
			  "or delay: without either, the hook reads the folder "
			  "before the build writes it, and the build's change "
			  "waits for a later push; set wait_url to a page that "
			  "shows the pushed commit, or delay to the build's "
			  "time in seconds (0 when the folder is built before "
			  "the hook runs)");
	for (i = 0; i < c->n_zones; i++)
		if (!c->zones[i].zone_id)
			add_error(r, c->zones[i].line, "[zone \"%s\"] has no "
				  "'zone_id'", c->zones[i].host);
}
