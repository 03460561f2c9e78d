/*
 * The entry point of the INI loader: it reads a file line by line through
 * inih, knows the sections there are, and hands each key to the file of
 * its section, which reads and checks it:
 *
 *   [cloudflare]                        mapping/config_cloudflare.c
 *   [site], [zone "HOSTNAME"]           mapping/config_site.c
 *   [hook]                              mapping/config_hook.c
 *   [hook] tree_*, the pushed tree      mapping/config_tree.c
 *   [state]                             mapping/config_state.c
 *   [ci]                                mapping/config_ci.c
 *   [verify], [warm]                    mapping/config_verify.c
 *   [map "PATTERN"], [ignore], [plan]   mapping/config_map.c
 *
 * It owns what does not belong to one section: the defaults
 * (config_init), keys before any section, lines that do not parse, keys
 * set twice, and the release of a struct config. The helpers all of these
 * share are in mapping/config_parse.c.
 */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_cloudflare.h"
#include "config_hook.h"
#include "config_map.h"
#include "config_parse.h"
#include "config_site.h"
#include "config_state.h"
#include "config_ci.h"
#include "config_tree.h"
#include "config_verify.h"

/*
 * inih is driven through our own line reader, for three reasons. It counts
 * lines, so that the handler knows the line it is called for (Debian builds
 * inih without INI_HANDLER_LINENO). It keeps the whole text of each section
 * header, because inih truncates section names to 49 bytes and stops at the
 * first ']', while a [map "PATTERN"] header may be long or hold a ']'. And
 * it removes leading white space, which turns off inih's continuation lines:
 * with them, an indented "root = public" under "base_url = ..." would have
 * been read as a second base URL. The reader's state is struct reader
 * (config_parse.h).
 */

static void begin_section(struct reader *r);

static char *read_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	const char *start, *nl, *p;
	size_t linelen, keep;

	if (r->pos >= r->len)
		return NULL;
	start = r->buf + r->pos;
	nl = memchr(start, '\n', r->len - r->pos);
	linelen = nl ? (size_t)(nl - start) : r->len - r->pos;
	r->pos += linelen + (nl ? 1 : 0);
	r->line++;

	p = start;
	while (p < start + linelen && (*p == ' ' || *p == '\t'))
		p++;
	keep = linelen - (size_t)(p - start);
	if (keep && p[keep - 1] == '\r')
		keep--;
	if (memchr(p, '\0', keep)) {
		add_error(r, r->line, "NUL byte in line");
		keep = 0;
	}
	if (keep + 2 > (size_t)num) {
		add_error(r, r->line, "line longer than %d characters; "
			  "split a long list over several lines by repeating "
			  "its key", num - 2);
		keep = 0;
	}
	memcpy(str, p, keep);
	str[keep] = '\n';
	str[keep + 1] = '\0';

	if (keep && p[0] == '[') {
		const char *close = NULL, *q;

		for (q = p; q < p + keep; q++)
			if (*q == ']')
				close = q;
		char *s;

		free(r->section);
		s = xstrndup(p + 1, close ? (size_t)(close - p - 1) : keep - 1);
		r->section = xstrdup(trim(s));
		free(s);
		r->section_line = r->line;
		r->map = NULL;
		r->known = 0;
		if (close)
			begin_section(r);
		else
			add_error(r, r->line, "section header [%s has no "
				  "closing ']'", r->section);
	}
	return str;
}

/* Called by the reader for each section header, keys or not. */
static void begin_section(struct reader *r)
{
	const char *s = r->section;

	r->known = 0;
	r->zone = NULL;
	if (r->tree) {
		r->known = config_tree_section(r, s);
		if (r->known && is_map_section(s))
			config_map_start(r);
	} else if (!strcmp(s, "cloudflare") || !strcmp(s, "site") ||
		   !strcmp(s, "hook") || !strcmp(s, "ignore") ||
		   !strcmp(s, "plan") || !strcmp(s, "state") ||
		   !strcmp(s, "ci") || !strcmp(s, "verify") ||
		   !strcmp(s, "warm")) {
		r->known = 1;
	} else if (is_map_section(s)) {
		r->known = 1;
		config_map_start(r);
	} else if (is_zone_section(s)) {
		r->known = 1;
		config_zone_start(r);
	} else {
		add_error(r, r->line, "unknown section [%s]", s);
	}
}

static int handler(void *user, const char *inih_section, const char *key,
		   const char *value)
{
	struct reader *r = user;
	const char *section = r->section ? r->section : "";
	char *v = xstrdup(value ? value : "");
	const char *val = trim(v);

	(void)inih_section;
	if (!r->section) {
		add_error(r, r->line, "key '%s' comes before any [section]",
			  key);
	} else if (!r->known) {
		/* The section header was reported already. */
	} else if (!strcmp(section, "cloudflare")) {
		if (first_setting(r, section, key))
			config_cloudflare_key(r, key, val);
	} else if (!strcmp(section, "site") && r->tree &&
		   strcmp(key, "pretty_urls")) {
		config_tree_site_key(r, key);
	} else if (!strcmp(section, "site")) {
		if (!strcmp(key, "variant") || !strcmp(key, "base_url") ||
		    first_setting(r, section, key))
			config_site_key(r, key, val);
	} else if (!strcmp(section, "plan")) {
		if (first_setting(r, section, key))
			config_plan_key(r, key, val);
	} else if (!strcmp(section, "state")) {
		if (first_setting(r, section, key))
			config_state_key(r, key, val);
	} else if (!strcmp(section, "ci")) {
		if (first_setting(r, section, key))
			config_ci_key(r, key, val);
	} else if (!strcmp(section, "verify")) {
		if (first_setting(r, section, key))
			config_verify_key(r, key, val);
	} else if (!strcmp(section, "warm")) {
		if (first_setting(r, section, key))
			config_warm_key(r, key, val);
	} else if (r->zone) {
		if (first_setting(r, section, key))
			config_zone_key(r, key, val);
	} else if (!strcmp(section, "hook")) {
		if ((!strcmp(key, "branches") ||
		     first_setting(r, section, key)) &&
		    !config_tree_hook_key(r, key, val))
			config_hook_key(r, key, val);
	} else if (!strcmp(section, "ignore")) {
		config_ignore_key(r, key, val);
	} else if (r->map) {
		if (strcmp(key, "everything") || first_setting(r, section, key))
			config_map_key(r, key, val);
	} else if (is_zone_section(section) && !r->zone) {
		/* The section header was reported already. */
	}
	free(v);
	return 1;
}

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->api_url = xstrdup(CONFIG_DEFAULT_API_URL);
	c->api_token_env = xstrdup(CONFIG_DEFAULT_TOKEN_ENV);
	c->files_per_request = CONFIG_DEFAULT_FILES_PER_REQUEST;
	c->items_per_request = 30;
	c->retries = 5;
	c->timeout = 30;
	c->deadline = 120;
	c->backoff = 1;
	c->root = xstrdup("");
	config_verify_init(c);
	c->index = xstrdup("index.html");
	strvec_push(&c->branches, "main");
	strvec_push(&c->branches, "master");
	c->on_create = ON_CREATE_SKIP;
	/*
	 * No cap on URLs by default: the planner chooses folder prefixes
	 * where they purge little that did not change, and purges everything
	 * only when nothing else fits the deadline (mapping/fold.h).
	 */
	c->max_urls = 0;
	c->collapse_waste = 10;
	c->wait_timeout = 300;
	/*
	 * A hook holds the push while it sends: well under the 60 s
	 * (CONFIG_SERVER_TIMEOUT) after which the web servers of
	 * examples/servers.md give up on it, with room for git's own work
	 * and a short [hook] delay.
	 */
	c->push_deadline = 25;
	c->lock_timeout = 20;
	/* Ten requests of 30: within the Free plan's burst of 25. */
	c->tree_max_items = 300;
	c->fallback = FALLBACK_EVERYTHING;
	c->tree_may_purge = TREE_MAY_URLS | TREE_MAY_PREFIXES | TREE_MAY_TAGS;
}

static int has_error_on_line(const struct config *c, const char *name,
			     int line)
{
	char *needle = xasprintf("'%s': line %d: ", name, line);
	size_t i;
	int found = 0;

	for (i = 0; i < c->errors.n && !found; i++)
		found = strstr(c->errors.v[i], needle) != NULL;
	free(needle);
	return found;
}

static void load(struct config *c, const char *name, const char *buf,
		 size_t len, int tree)
{
	struct reader r;
	int rc;

	/*
	 * Editors on Windows may start a UTF-8 file with a byte-order mark;
	 * it is not part of the first line.
	 */
	if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) {
		buf += 3;
		len -= 3;
	}
	memset(&r, 0, sizeof(r));
	r.buf = buf;
	r.len = len;
	r.c = c;
	r.name = name;
	r.tree = tree;
	strvec_push(&c->sources, name);

	rc = ini_parse_stream(read_line, &r, handler, &r);
	if (rc > 0 && !has_error_on_line(c, name, rc))
		add_error(&r, rc, "expected '[section]' or 'key = value'");
	if (!tree) {
		config_cloudflare_finish(&r);
		config_site_finish(&r);
		config_hook_finish(&r);
	}
	free(r.section);
	strvec_clear(&r.seen);
}

int config_load_buffer(struct config *c, const char *name, const char *buf,
		       size_t len)
{
	free(c->path);
	c->path = xstrdup(name);
	load(c, name, buf, len, 0);
	return c->errors.n ? -1 : 0;
}

int config_load_tree(struct config *c, const char *name, const char *buf,
		     size_t len)
{
	size_t before = c->errors.n;

	load(c, name, buf, len, 1);
	return c->errors.n > before ? -1 : 0;
}

int config_load_file(struct config *c, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	char chunk[8192];
	FILE *f;
	size_t n;
	int rc;

	f = fopen(path, "rb");
	if (!f) {
		strvec_pushf(&c->errors, "cannot read '%s': %s", path,
			     strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		strbuf_add(&sb, chunk, n);
	if (ferror(f)) {
		strvec_pushf(&c->errors, "cannot read '%s': %s", path,
			     strerror(errno));
		fclose(f);
		strbuf_release(&sb);
		return -1;
	}
	fclose(f);
	rc = config_load_buffer(c, path, strbuf_str(&sb), sb.len);
	strbuf_release(&sb);
	return rc;
}

void config_release(struct config *c)
{
	size_t i;

	free(c->path);
	free(c->zone_id);
	free(c->zone_name);
	free(c->api_url);
	free(c->api_token_env);
	free(c->api_token_file);
	free(c->email);
	free(c->api_key_env);
	free(c->ca_bundle);
	free(c->spool_dir);
	free(c->state_dir);
	free(c->served_dir);
	free(c->manifest);
	free(c->manifest_url);
	strvec_clear(&c->variants);
	strvec_clear(&c->base_urls);
	free(c->root);
	free(c->index);
	strvec_clear(&c->branches);
	free(c->tree_config);
	free(c->wait_url);
	free(c->log_file);
	free(c->verify_connect_to);
	free(c->verify_ca_bundle);
	strvec_clear(&c->warm_urls);
	for (i = 0; i < c->n_maps; i++) {
		struct map_rule *m = &c->maps[i];
		size_t j;

		pattern_free(m->pattern);
		free(m->strip);
		for (j = 0; j < m->n_urls; j++)
			template_free(m->urls[j]);
		free(m->urls);
		for (j = 0; j < m->n_prefixes; j++)
			template_free(m->prefixes[j]);
		free(m->prefixes);
		strvec_clear(&m->tags);
		strvec_clear(&m->hosts);
	}
	free(c->maps);
	for (i = 0; i < c->n_zones; i++) {
		free(c->zones[i].host);
		free(c->zones[i].zone_id);
	}
	free(c->zones);
	strvec_clear(&c->sources);
	pattern_list_clear(&c->ignore);
	strvec_clear(&c->errors);
	strvec_clear(&c->warnings);
	strvec_clear(&c->refused);
	memset(c, 0, sizeof(*c));
}
