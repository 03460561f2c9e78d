#include "map.h"
#include "pattern.h"
#include "urlenc.h"

#include <string.h>

void map_file_url(struct strbuf *out, const char *base_url, const char *rel)
{
	strbuf_addstr(out, base_url);
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

static size_t add_site_urls(struct plan *plan, const struct config *c,
			    const char *rel, int is_gitlink)
{
	struct strbuf sb = STRBUF_INIT;
	const char *slash = strrchr(rel, '/');
	const char *name = slash ? slash + 1 : rel;
	size_t added = 0;

	if (is_gitlink) {
		/*
		 * A submodule's content is unknown here, so everything below
		 * its folder goes, sent as a prefix: no scheme, as Cloudflare
		 * requires.
		 */
		const char *base = strstr(c->base_url, "://") + 3;

		strbuf_addstr(&sb, base);
		strbuf_addch(&sb, '/');
		if (*rel) {
			urlenc_path(&sb, rel, strlen(rel));
			strbuf_addch(&sb, '/');
		}
		plan_add(plan, PURGE_PREFIXES, strbuf_str(&sb));
		strbuf_release(&sb);
		return 1;
	}

	map_file_url(&sb, c->base_url, rel);
	plan_add(plan, PURGE_FILES, strbuf_str(&sb));
	added++;

	if (*c->index && !strcmp(name, c->index)) {
		strbuf_setlen(&sb, 0);
		strbuf_addstr(&sb, c->base_url);
		strbuf_addch(&sb, '/');
		urlenc_path(&sb, rel, (size_t)(name - rel));
		plan_add(plan, PURGE_FILES, strbuf_str(&sb));
		added++;
	}
	strbuf_release(&sb);
	return added;
}

size_t map_path(struct plan *plan, const struct config *c, const char *path,
		int is_gitlink)
{
	const char *rel;
	size_t added = 0, i, j;

	if (pattern_list_match(&c->ignore, path, is_gitlink))
		return 0;
	rel = below_root(c, path, is_gitlink);
	if (rel)
		added += add_site_urls(plan, c, rel, is_gitlink);
	for (i = 0; i < c->n_maps; i++) {
		const struct map_rule *m = &c->maps[i];

		if (!pattern_match(m->pattern, path, is_gitlink))
			continue;
		for (j = 0; j < m->tags.n; j++)
			plan_add(plan, PURGE_TAGS, m->tags.v[j]);
		for (j = 0; j < m->prefixes.n; j++)
			plan_add(plan, PURGE_PREFIXES, m->prefixes.v[j]);
		for (j = 0; j < m->hosts.n; j++)
			plan_add(plan, PURGE_HOSTS, m->hosts.v[j]);
		if (m->everything)
			plan_add(plan, PURGE_EVERYTHING, NULL);
		added += m->tags.n + m->prefixes.n + m->hosts.n +
			 (m->everything ? 1 : 0);
	}
	return added;
}

size_t map_changes(struct plan *plan, const struct config *c,
		   const struct change_list *changes)
{
	size_t added = 0, i;

	for (i = 0; i < changes->n; i++) {
		const struct change *ch = &changes->v[i];

		if (ch->mode_only)
			continue;
		if (ch->old_path)
			added += map_path(plan, c, ch->old_path,
					  ch->old_mode == CHANGE_MODE_GITLINK);
		/*
		 * A type change between a file and a submodule purges both
		 * what the file was and what the submodule is.
		 */
		if (ch->status == CHANGE_TYPECHANGE &&
		    (ch->old_mode == CHANGE_MODE_GITLINK) !=
			    (ch->new_mode == CHANGE_MODE_GITLINK))
			added += map_path(plan, c, ch->path,
					  ch->old_mode == CHANGE_MODE_GITLINK);
		added += map_path(plan, c, ch->path,
				  ch->status == CHANGE_DELETED
					  ? ch->old_mode == CHANGE_MODE_GITLINK
					  : ch->new_mode == CHANGE_MODE_GITLINK);
	}
	return added;
}
