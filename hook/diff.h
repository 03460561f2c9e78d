/*
 * What changed between two trees, found the way git's own tree diff finds
 * it: both trees' entries are walked in order and a subtree is read only
 * when its id differs, so the cost follows the size of the change rather
 * than the size of the repository. Trees are read through libgit2's
 * object database and parsed in place, entry by entry.
 */
#ifndef CFPH_DIFF_H
#define CFPH_DIFF_H

#include <git2.h>

#include "../mapping/change.h"
#include "../util/util.h"

/*
 * Appends to out every path that differs between the trees old_tree and
 * new_tree (either may be NULL for an empty tree), as `git diff
 * --no-renames` reports them, in the same order: added, deleted, modified
 * (with mode_only set when only the file mode changed) and typechange
 * between a regular file, a symbolic link and a submodule. A file that
 * becomes a folder is the file deleted and the folder's files added. Any
 * depth of folders works: the walk keeps its place on the heap.
 *
 * A changed entry named "." or "..", or holding a '/', which only a tree
 * made by hand can hold and git refuses to check out, is left out with
 * everything below it, and a message naming its path is appended to
 * refused: no path handed on ever holds such a segment.
 *
 * Returns 0, or -1 with e set when a tree cannot be read: libgit2 cannot
 * read the object, an entry that is a folder names an object that is not
 * a tree, or a tree object is malformed. out may then already hold the
 * changes found before the error; the caller should not act on a partial
 * list.
 */
int diff_trees(struct change_list *out, struct strvec *refused,
	       git_repository *repo, const git_tree *old_tree,
	       const git_tree *new_tree, struct err *e);

/*
 * Appends to out, as pairs of strings, the path and the text of every
 * symbolic link in tree below the folder under ("" for the whole tree),
 * in tree order. Names diff_trees() skips are skipped here too. This
 * reads every folder below under: its cost follows the size of that part
 * of the tree, not the size of a change. Returns 0 (also when under is
 * not a folder of tree), or -1 with e set when a tree or a link cannot be
 * read.
 */
int diff_links(struct strvec *out, git_repository *repo,
	       const git_tree *tree, const char *under, struct err *e);

#endif
