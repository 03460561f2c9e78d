/*
 * The symbolic links of a tree, read from git's index instead of from the
 * tree's folders. A fresh clone or checkout (every CI job) writes an index
 * that lists each file of the checked-out tree with its mode, and a cache
 * of the trees it makes up (the index's TREE extension). When that cache
 * names the very tree a run needs, the index's mode-120000 entries are
 * that tree's links: one pass over one file, whatever the size of the
 * site, instead of reading every folder below [site] root.
 *
 * Only the index's own file is read (no libgit2 index object, which would
 * sort and copy every entry). The index is trusted only when its format
 * is one this reader knows through and through: versions 2 to 4, SHA-1,
 * no split index, no sparse folders and no unmerged entries.
 */
#ifndef CFPH_INDEXLINKS_H
#define CFPH_INDEXLINKS_H

#include <git2.h>

#include "../util/util.h"

/*
 * When repo has a work tree whose index's cached top tree is tree_id,
 * appends to out, as pairs of strings, the path and the text of every
 * symbolic link below the folder under ("" for the whole tree), in tree
 * order, as diff_links() (hook/diff.h) would, and returns 1. Returns 0,
 * appending nothing, when the index cannot say (a bare repository, no
 * index, another tree, a format this reader does not trust): the caller
 * then reads the tree. Returns -1 with e set when the index names a link
 * whose blob cannot be read.
 */
int indexlinks_read(struct strvec *out, git_repository *repo,
		    const git_oid *tree_id, const char *under,
		    struct err *e);

/*
 * The parser behind indexlinks_read(), for tests: reads the index file's
 * len bytes at buf (untrusted: any bytes are safe) and, when it is one
 * this reader trusts and its cached top tree is tree_id, appends to found
 * pairs of each link's path below under and its blob id in hex, and
 * returns 1. Otherwise returns 0 and appends nothing. Reads nothing else.
 */
int indexlinks_parse(struct strvec *found, const unsigned char *buf,
		     size_t len, const git_oid *tree_id, const char *under);

#endif
