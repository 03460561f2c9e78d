/*
 * The dir command: purge what differs between two folders of built files
 * (`dir OLD NEW`), or what changed in one folder since the last
 * successful run for it (`dir DIR`). Each folder becomes git trees
 * (hook/dirtree.h) and the run goes on as a range between two trees:
 * the same tree walk, mapping, planner, batches and spool as `range`.
 *
 * The folder is the site as served: its top is [site] base_url, so
 * [site] root does not apply, and [map] and [ignore] patterns match
 * paths below the folder. [hook] tree_config does not apply either.
 */
#ifndef CFPH_DIRRUN_H
#define CFPH_DIRRUN_H

#include <git2.h>

#include "../util/util.h"

struct run;
struct dirrun;

/*
 * Builds the trees of old_dir and new_dir and adds the range between
 * them to r. Returns 0, or -1 with e set (RUN_USAGE: a folder missing,
 * not a folder, or with a folder below it that cannot be read).
 */
int dirrun_compare(struct run *r, const char *old_dir, const char *new_dir,
		   struct err *e);

/*
 * Builds the tree of dir and adds the range from the tree recorded by the
 * last successful run for dir ([state] dir), else from the live manifest
 * ([state] manifest_url, hook/manifest.h). Without either: with [state]
 * on_missing = everything (the default) the range purges everything and
 * a note says why; with fail, -1 and e say why. The stat cache kept
 * beside the record spares reading unchanged files. A run that is not a
 * dry run first takes the state folder's lock (hook/dirstate.h), waiting
 * up to [hook] lock_timeout, and holds it until dirrun_record() or
 * dirrun_free(). Returns 0; -1 with e set (RUN_USAGE); or DIRRUN_BUSY
 * with e set when the lock could not be had (RUN_FAILED: nothing was
 * read or recorded, and the next run purges the change).
 */
#define DIRRUN_BUSY (-2)
int dirrun_since(struct run *r, const char *dir, struct err *e);

/*
 * After run_send(): records the folder's new tree as the state, and
 * writes [state] manifest into the folder, when each of this run's
 * requests was confirmed or is in the spool; a dry run, `dir OLD NEW`
 * and a run with a lost request record nothing. In a CI job (CI,
 * GITHUB_ACTIONS or GITLAB_CI is "true"), whose spool goes with it, a
 * run without [state] dir writes the manifest only when every request
 * was confirmed. After a record, it
 * prunes the state's store when that is due (hook/dirprune.h; a failure
 * there is only a note), then lets go of the lock. Returns 1 when it
 * recorded, 0 when it had not to, -1 with e set on failure.
 */
int dirrun_record(struct run *r, struct err *e);

/* The repository holding the trees; valid until dirrun_free(). */
git_repository *dirrun_repo(const struct dirrun *d);

/* The state folder of `dir DIR`, else NULL; valid until dirrun_free(). */
const char *dirrun_state_dir(const struct dirrun *d);

void dirrun_free(struct dirrun *d);

#endif
