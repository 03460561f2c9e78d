#include "map.h"
#include "pattern.h"
#include "template.h"
#include "urlenc.h"

#include <stdlib.h>
#include <string.h>

/* Cloudflare refuses prefixes with more slashes than this. */
#define MAX_PREFIX_SLASHES 31

void map_file_url(struct strbuf *out, const char *base, const char *rel)
{
	strbuf_addstr(out, base);
	strbuf_addch(out, '/');
	urlenc_path(out, rel, strlen(rel));
}

/*
 * The path below root, or NULL when path is not inside root. A submodule
 * at root itself is the whole site, and gets "".
 */
static const char *below_root(const struct config *c, const char *path,
			      int is_gitlink)
{
	size_t n = strlen(c->root);

	if (!n)
		return path;
	if (strncmp(path, c->root, n))
		return NULL;
	if (!path[n] && is_gitlink)
		return path + n;
	if (path[n] != '/' || !path[n + 1])
		return NULL;
	return path + n + 1;
}

/* Adds item and notes it for explain. */
static void add(struct plan *plan, enum purge_kind kind, const char *item,
		struct strvec *explain, const char *why)
{
	plan_add(plan, kind, item);
	if (explain && kind == PURGE_EVERYTHING)
		strvec_pushf(explain, "%s: everything", why);
	else if (explain)
		strvec_pushf(explain, "%s: %s %s", why, purge_kind_key(kind),
			     item);
}

/*
 * Turns a URL or scheme-less prefix into what Cloudflare takes as a
 * prefix: no scheme, and at most MAX_PREFIX_SLASHES slashes (a deeper one
 * is cut back to a shallower folder, which purges more, never less).
 */
static void add_prefix(struct plan *plan, const char *text,
		       struct strvec *explain, const char *why)
{
	const char *p = strstr(text, "://");
	char *s = xstrdup(p ? p + 3 : text);
	size_t i, slashes = 0;

	/* A template that expanded to no host cannot be sent; say so. */
	if (!*s || *s == '/') {
		if (explain)
			strvec_pushf(explain, "%s: prefix '%s' has no host: "
				     "skipped", why, text);
		free(s);
		return;
	}
	for (i = 0; s[i]; i++)
		if (s[i] == '/' && ++slashes == MAX_PREFIX_SLASHES) {
			s[i + 1] = '\0';
			break;
		}
	add(plan, PURGE_PREFIXES, s, explain, why);
	free(s);
}

/* sb is scratch space, reused from one path to the next. */
static size_t add_site_urls(struct plan *plan, const struct config *c,
			    const char *rel, int is_gitlink,
			    struct strvec *explain, struct strbuf *sb)
{
	struct strbuf why = STRBUF_INIT;
	const char *slash = strrchr(rel, '/');
	const char *name = slash ? slash + 1 : rel;
	size_t added = 0, b;

	/* Only explain reads the reason: skip building it otherwise. */
	if (explain)
		strbuf_addf(&why, "[site] root '%s'", *c->root ? c->root : "");
	for (b = 0; b < c->base_urls.n; b++) {
		const char *base = c->base_urls.v[b];

		strbuf_setlen(sb, 0);
		if (is_gitlink) {
			/*
			 * A submodule's content is unknown here, so everything
			 * below its folder goes.
			 */
			strbuf_addstr(sb, base);
			strbuf_addch(sb, '/');
			if (*rel) {
				urlenc_path(sb, rel, strlen(rel));
				strbuf_addch(sb, '/');
			}
			add_prefix(plan, sb->buf, explain, why.buf);
			added++;
			continue;
		}
		map_file_url(sb, base, rel);
		add(plan, PURGE_FILES, sb->buf, explain, why.buf);
		added++;
		/*
		 * The URL as a prefix also purges it with any query string
		 * ("page.html?v=3"); plan_finish drops the URL it covers.
		 * NEEDSWORK: a folder's URL ("dir/") and a page without
		 * ".html" stay URLs, since as prefixes they would purge the
		 * whole folder.
		 */
		if (c->query_variants)
			add_prefix(plan, sb->buf, explain, why.buf);
		if (c->pretty_urls) {
			const char *dot = strrchr(name, '.');

			if (dot && dot > name && (!strcmp(dot, ".html") ||
						  !strcmp(dot, ".htm")) &&
			    strcmp(name, c->index)) {
				strbuf_setlen(sb, sb->len - strlen(dot));
				add(plan, PURGE_FILES, sb->buf, explain, why.buf);
				added++;
			}
		}
		if (*c->index && !strcmp(name, c->index)) {
			strbuf_setlen(sb, 0);
			strbuf_addstr(sb, base);
			strbuf_addch(sb, '/');
			urlenc_path(sb, rel, (size_t)(name - rel));
			add(plan, PURGE_FILES, sb->buf, explain, why.buf);
			added++;
			if (c->pretty_urls && name > rel) {
				strbuf_setlen(sb, sb->len - 1);
				add(plan, PURGE_FILES, sb->buf, explain,
				    why.buf);
				added++;
			}
		}
	}
	strbuf_release(&why);
	return added;
}

/*
 * Notes, once per item, that a rule from the pushed tree expanded to a URL
 * or prefix outside the site, which is left out. The loader refused what
 * it could tell from the template; this is what only the path shows.
 */
static void note_outside(struct plan *plan, const struct map_rule *m,
			 enum purge_kind kind, const char *item,
			 struct strvec *explain, const char *why)
{
	char *note = xasprintf("'%s': line %d: [map \"%s\"] %s '%s' is "
			       "outside the server's [site] base_url, and the "
			       "pushed tree may purge only its own site; left "
			       "out", m->source, m->line,
			       pattern_text(m->pattern),
			       kind == PURGE_PREFIXES ? "prefix" : "url", item);
	size_t i;

	if (explain)
		strvec_pushf(explain, "%s: %s '%s' is outside [site] "
			     "base_url: left out", why,
			     kind == PURGE_PREFIXES ? "prefix" : "url", item);
	for (i = 0; i < plan->notes.n; i++)
		if (!strcmp(plan->notes.v[i], note))
			break;
	if (i < plan->notes.n)
		free(note);
	else
		strvec_push_owned(&plan->notes, note);
}

/* Expands t for each base (or once) and adds the results as kind. */
static size_t add_template_items(struct plan *plan, const struct config *c,
				 const struct map_rule *m,
				 const struct template *t, const char *path,
				 enum purge_kind kind, struct strvec *explain,
				 const char *why)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = template_uses_base(t) ? c->base_urls.n : 1, b, added = 0;

	for (b = 0; b < n; b++) {
		strbuf_setlen(&sb, 0);
		template_expand(&sb, t, c->base_urls.n ? c->base_urls.v[b] : "",
				path);
		if (m->from_tree && !config_within_site(c, strbuf_str(&sb))) {
			note_outside(plan, m, kind, strbuf_str(&sb), explain,
				     why);
			continue;
		}
		added++;
		if (kind == PURGE_PREFIXES)
			add_prefix(plan, strbuf_str(&sb), explain, why);
		else
			add(plan, kind, strbuf_str(&sb), explain, why);
	}
	strbuf_release(&sb);
	return added;
}

static size_t apply_rule(struct plan *plan, const struct config *c,
			 const struct map_rule *m, const char *path,
			 struct strvec *explain)
{
	struct strbuf why = STRBUF_INIT;
	const char *spath = path;
	size_t added = 0, j;

	if (explain)
		strbuf_addf(&why, "[map \"%s\"] (%s line %d)",
			    pattern_text(m->pattern), m->source, m->line);
	if (m->strip && !strncmp(path, m->strip, strlen(m->strip)))
		spath = path + strlen(m->strip);
	for (j = 0; j < m->n_urls; j++)
		added += add_template_items(plan, c, m, m->urls[j], spath,
					    PURGE_FILES, explain, why.buf);
	for (j = 0; j < m->n_prefixes; j++)
		added += add_template_items(plan, c, m, m->prefixes[j], spath,
					    PURGE_PREFIXES, explain, why.buf);
	for (j = 0; j < m->tags.n; j++)
		add(plan, PURGE_TAGS, m->tags.v[j], explain, why.buf);
	for (j = 0; j < m->hosts.n; j++)
		add(plan, PURGE_HOSTS, m->hosts.v[j], explain, why.buf);
	added += m->tags.n + m->hosts.n;
	if (m->everything) {
		add(plan, PURGE_EVERYTHING, NULL, explain, why.buf);
		added++;
	}
	if (explain && !added)
		strvec_pushf(explain, "%s: matched, adds nothing", why.buf);
	strbuf_release(&why);
	return added;
}

/*
 * The [map] patterns of a config asked together (pattern.h's pattern_set,
 * over c->maps in order), with room for the indices of one path's hits.
 */
struct maps {
	struct pattern_set *set;
	size_t *hits;
	struct strbuf url;	/* add_site_urls()'s scratch space */
};

static void maps_init(struct maps *m, const struct config *c)
{
	const struct pattern **pats = xcalloc(c->n_maps + 1, sizeof(*pats));
	size_t i;

	for (i = 0; i < c->n_maps; i++)
		pats[i] = c->maps[i].pattern;
	m->set = pattern_set_new(pats, c->n_maps);
	m->hits = xcalloc(c->n_maps + 1, sizeof(*m->hits));
	strbuf_init(&m->url);
	/* The set keeps pointers to the patterns, not to this array. */
	free(pats);
}

static void maps_release(struct maps *m)
{
	pattern_set_free(m->set);
	free(m->hits);
	strbuf_release(&m->url);
}

/* map_path() with the patterns of c already gathered in m. */
static size_t map_one(struct plan *plan, const struct config *c,
		      struct maps *m, const char *path, int is_gitlink,
		      struct strvec *explain)
{
	const char *rel;
	size_t added = 0, i, nhits;

	if (pattern_list_match(&c->ignore, path, is_gitlink)) {
		if (explain)
			strvec_push(explain, "[ignore]: ignored, purges nothing");
		return 0;
	}
	rel = below_root(c, path, is_gitlink);
	if (rel)
		added += add_site_urls(plan, c, rel, is_gitlink, explain,
				       &m->url);
	else if (explain)
		strvec_pushf(explain, "[site] root '%s': not below it",
			     c->root);
	nhits = pattern_set_match(m->set, path, is_gitlink, m->hits);
	for (i = 0; i < nhits; i++) {
		const struct map_rule *rule = &c->maps[m->hits[i]];

		if (!pattern_negated(rule->pattern))
			added += apply_rule(plan, c, rule, path, explain);
	}
	return added;
}

size_t map_path(struct plan *plan, const struct config *c, const char *path,
		int is_gitlink, struct strvec *explain)
{
	struct maps m;
	size_t added;

	maps_init(&m, c);
	added = map_one(plan, c, &m, path, is_gitlink, explain);
	maps_release(&m);
	return added;
}

size_t map_changes(struct plan *plan, const struct config *c,
		   const struct change_list *changes)
{
	struct maps m;
	size_t added = 0, i;

	/*
	 * Asked one by one, the patterns would cost a pass over each path
	 * per pattern; the set finds a path's matches in about one pass.
	 */
	maps_init(&m, c);
	for (i = 0; i < changes->n; i++) {
		const struct change *ch = &changes->v[i];

		if (ch->mode_only)
			continue;
		if (ch->old_path)
			added += map_one(plan, c, &m, ch->old_path,
					 ch->old_mode == CHANGE_MODE_GITLINK,
					 NULL);
		/*
		 * A type change between a file and a submodule purges both
		 * what the file was and what the submodule is.
		 */
		if (ch->status == CHANGE_TYPECHANGE &&
		    (ch->old_mode == CHANGE_MODE_GITLINK) !=
			    (ch->new_mode == CHANGE_MODE_GITLINK))
			added += map_one(plan, c, &m, ch->path,
					 ch->old_mode == CHANGE_MODE_GITLINK,
					 NULL);
		added += map_one(plan, c, &m, ch->path,
				 ch->status == CHANGE_DELETED
					 ? ch->old_mode == CHANGE_MODE_GITLINK
					 : ch->new_mode == CHANGE_MODE_GITLINK,
				 NULL);
	}
	maps_release(&m);
	return added;
}
