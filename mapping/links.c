#include "links.h"
#include "../util/util.h"

#include <stdlib.h>
#include <string.h>

char *links_resolve(const char *path, const char *text, const char *root)
{
	struct strbuf sb = STRBUF_INIT;
	const char *slash = strrchr(path, '/'), *p = text;
	size_t n = strlen(root);

	if (*text == '/' || !*text)
		return NULL;
	if (slash)
		strbuf_add(&sb, path, (size_t)(slash - path));
	while (*p) {
		size_t len = strcspn(p, "/");

		if (len == 2 && p[0] == '.' && p[1] == '.') {
			char *up;

			if (!sb.len) {
				strbuf_release(&sb);
				return NULL;
			}
			up = strrchr(strbuf_str(&sb), '/');
			strbuf_setlen(&sb, up ? (size_t)(up - sb.buf) : 0);
		} else if (len && !(len == 1 && p[0] == '.')) {
			if (sb.len)
				strbuf_addch(&sb, '/');
			strbuf_add(&sb, p, len);
		}
		p += len;
		while (*p == '/')
			p++;
	}
	if (n && (strncmp(strbuf_str(&sb), root, n) ||
		  (sb.buf[n] && sb.buf[n] != '/'))) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb);
}

void link_list_add(struct link_list *l, const char *path, char *target,
		   int is_dir)
{
	struct link *k;

	if (l->n == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 16;
		l->v = xrealloc(l->v, l->alloc * sizeof(*l->v));
	}
	k = &l->v[l->n++];
	k->path = xstrdup(path);
	k->target = target;
	k->is_dir = is_dir;
}

void link_list_clear(struct link_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].target);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}

/* Adds ch again at path; the caller has checked the cap. */
static void add_at(struct change_list *changes, size_t i, const char *path,
		   unsigned mode)
{
	const struct change *ch = &changes->v[i];
	int deleted = ch->status == CHANGE_DELETED;

	change_list_add(changes, ch->status, path, NULL, deleted ? mode : 0,
			deleted ? 0 : mode, 0);
}

long links_expand(struct change_list *changes, const struct link_list *links)
{
	struct strbuf sb = STRBUF_INIT;
	size_t start = 0, end = changes->n, i, k;
	long added = 0;
	int hop;

	for (hop = 0; hop < LINKS_MAX_HOPS && start < end; hop++) {
		for (i = start; i < end; i++) {
			for (k = 0; k < links->n; k++) {
				const struct link *l = &links->v[k];
				const char *path = changes->v[i].path;
				unsigned mode = changes->v[i].status ==
					CHANGE_DELETED ? changes->v[i].old_mode :
					changes->v[i].new_mode;
				size_t n = strlen(l->target);

				strbuf_setlen(&sb, 0);
				if (!strcmp(path, l->path)) {
					/* The link itself: with a folder, all
					 * below it changes. */
					if (!l->is_dir || hop)
						continue;
					strbuf_addstr(&sb, l->path);
					mode = CHANGE_MODE_GITLINK;
				} else if (!strcmp(path, l->target)) {
					strbuf_addstr(&sb, l->path);
				} else if (!n || (!strncmp(path, l->target, n) &&
						  path[n] == '/')) {
					strbuf_addstr(&sb, l->path);
					strbuf_addch(&sb, '/');
					strbuf_addstr(&sb, path + n + (n > 0));
				} else {
					continue;
				}
				if (added == LINKS_MAX_PATHS) {
					strbuf_release(&sb);
					return -1;
				}
				add_at(changes, i, strbuf_str(&sb), mode);
				added++;
			}
		}
		start = end;
		end = changes->n;
	}
	strbuf_release(&sb);
	return added;
}
