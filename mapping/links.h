/*
 * Symbolic links inside the site: a web server that follows a link serves
 * the link's target at the link's URL too (latest.html -> v3.html, or a
 * folder current/ -> v3/), so a change to the target must purge the
 * link's URLs as well. This module holds the links of one tree, resolved
 * to the repository path they name, and turns a list of changed paths
 * into the paths the links also serve them at. Plain data: the hook stage
 * reads the links from git.
 */
#ifndef CFPH_LINKS_H
#define CFPH_LINKS_H

#include "change.h"

/* How many links in a row are followed: a loop must end somewhere. */
#define LINKS_MAX_HOPS 8

/* More added paths than this and links_expand gives up. */
#define LINKS_MAX_PATHS 100000

struct link {
	char *path;		/* owned; the link, a repository path */
	char *target;		/* owned; what it names, "" for the top */
	int is_dir;		/* the target is a folder of the same tree */
};

struct link_list {
	struct link *v;
	size_t n;
	size_t alloc;
};

#define LINK_LIST_INIT { NULL, 0, 0 }

/*
 * Resolves the link at path (a repository path) whose text is text, as a
 * web server would on a checkout: relative to the link's folder, with "."
 * and ".." segments and repeated slashes taken out. Returns the target as
 * a repository path (owned by the caller; "" for the top), or NULL when
 * the link is absolute, climbs out of the repository, or names something
 * outside root (a folder, "" for the whole repository): a server that
 * keeps to its root does not follow those.
 */
char *links_resolve(const char *path, const char *text, const char *root);

/* Appends a link; copies path and takes target (from links_resolve). */
void link_list_add(struct link_list *l, const char *path, char *target,
		   int is_dir);
void link_list_clear(struct link_list *l);

/*
 * Appends to changes, for each change whose path is a link's target or
 * lies below a folder link's target, the same change at the path the link
 * serves it at (with its status and modes), and for each change of a link
 * to a folder, the link's folder as a whole (as a submodule is: mode
 * CHANGE_MODE_GITLINK, which maps to a prefix). Added paths are looked at
 * again, up to LINKS_MAX_HOPS links in a row. Every change must be
 * one-sided: CHANGE_ADDED (new_mode set) or CHANGE_DELETED (old_mode
 * set). Returns the number of changes added, or -1 when more than
 * LINKS_MAX_PATHS would be (the list then holds some of them).
 */
long links_expand(struct change_list *changes, const struct link_list *links);

#endif
