/*
 * The symbolic links below [site] root of a range's two commits, read
 * from git for the mapping stage (mapping/links.h). Finding them in the
 * trees means reading every folder below the root, a cost that follows
 * the size of the site rather than the size of the change. So the links
 * of the last root folder read are kept in the git directory, in the file
 * cf-purge-hook-links, and the next push starts from them and reads only
 * the links its changes touch; and a clone checked out at the new commit
 * with no such file yet (every CI job) takes them from git's index
 * (hook/indexlinks.h), in one pass over one file.
 */
#ifndef CFPH_SYMLINKS_H
#define CFPH_SYMLINKS_H

#include <git2.h>

#include "../mapping/change.h"
#include "../mapping/links.h"
#include "../util/util.h"

/*
 * Adds to old_links and new_links the links that a web server serving
 * old_root (new_root) from old_tree (new_tree) follows: those below the
 * root whose target stays inside it. changes are what differs between
 * the two trees (diff_trees()). The cache file in the repository's git
 * directory is read and rewritten; a cache that cannot be written only
 * costs time on the next run. Returns 0, or -1 with e set when a tree or
 * a link cannot be read.
 */
int symlinks_load(struct link_list *old_links, struct link_list *new_links,
		  git_repository *repo, git_tree *old_tree,
		  git_tree *new_tree, const char *old_root,
		  const char *new_root, const struct change_list *changes,
		  struct err *e);

#endif
