/*
 * A compact list of a built folder's files, written into the folder so
 * that it is deployed with the site ([state] manifest), and read back
 * from the live site at the next run ([state] manifest_url) as the old
 * side of `dir DIR` where no state survives between runs (CI).
 *
 * The format is this program's own, one line per file below a first line
 * "cf-purge-hook manifest 1 <tree id>":
 *
 *     <mode> <blob id> <path>               (100644 or 100755)
 *     <mode> <blob id> <path>\t<target>     (120000, a symbolic link)
 *
 * with '\\', '\n' and '\t' in paths and targets written as "\\\\", "\\n"
 * and "\\t". What is read back came from the network: every path must be
 * a plain relative path (no empty, "." or ".." segment), every mode one
 * of the three, every link's target must hash to its id, and the trees
 * built from the list must give the id of the first line.
 */
#ifndef CFPH_BUILT_MANIFEST_H
#define CFPH_BUILT_MANIFEST_H

#include <time.h>

#include <git2.h>

#include "../util/util.h"

/*
 * Writes the manifest of the tree id (read from odb, link targets
 * included) to path, through a new temporary file beside it (made with
 * O_EXCL and O_NOFOLLOW: a link or a file planted there is never written
 * through) and a rename, which replaces a link at path rather than
 * following it. Returns 0, or -1 with e set.
 */
int manifest_write(const char *path, git_odb *odb, const git_oid *id,
		   struct err *e);

/*
 * Removes the temporary files of manifest_write() for path ("<path>.<pid>"
 * and "<path>.<pid>.<n>", regular files only) that have not changed for
 * an hour before now: a killed run's, which the walk would otherwise take
 * as site content. Returns how many it removed.
 */
size_t manifest_sweep(const char *path, time_t now);

/*
 * Builds the trees the len bytes at buf list into odb and sets *out to
 * the top one. Returns 0, or -1 with *why (owned by the caller) saying
 * why the text is not a manifest this program can trust.
 */
int manifest_parse(git_oid *out, char **why, git_odb *odb, const char *buf,
		   size_t len);

/*
 * Fetches url past any cache (a query string of its own and
 * Cache-Control: no-cache), at most timeout seconds and 64 MiB, into
 * out. Returns 0 on HTTP 200, or -1 with *why (owned by the caller).
 */
int manifest_fetch(struct strbuf *out, char **why, const char *url,
		   double timeout);

#endif
