/*
 * The dir command on the run's side: purge what differs between two
 * folders of built files (`dir OLD NEW`), or what changed in one folder
 * since the last successful run for it (`dir DIR`, and a hook's [site]
 * served_dir). The built-output engine (built/built.h) builds the trees
 * with r's config, repository, file modes and flags; r->dir holds it
 * until run_release(); its notes go to r->plan.notes; this file adds the
 * range between its trees to r (run_add_tree_range()), which run.c then
 * diffs, maps and plans as a range between commits. The folder is the
 * site as served, so r's [site] root and [hook] tree_config are cleared
 * first. Calls go one way: main.c and live.c -> dir.c -> run.c, built/.
 */
#ifndef CFPH_DIR_H
#define CFPH_DIR_H

#include "run.h"
#include "../built/built.h"

/*
 * Builds the trees of old_dir and new_dir; records nothing. Returns 0, or
 * -1 with e set (RUN_USAGE: a folder missing, not a folder, or with a
 * folder below it that cannot be read).
 */
int dir_compare(struct run *r, const char *old_dir, const char *new_dir,
		struct err *e);

/*
 * Compares dir with its state, as built_since() says; unless a dry run,
 * the state's lock is held until dir_record() or run_release(). Returns
 * 0; -1 with e set (RUN_USAGE); or BUILT_BUSY with e set when the lock
 * could not be had (RUN_FAILED: nothing was read or recorded, and the
 * next run purges the change).
 */
int dir_since(struct run *r, const char *dir, struct err *e);

/*
 * dir_since() for the dir command: without an absolute [state] dir, the
 * state is kept beside the config file (r->config_home), never in
 * whichever repository the shell happens to be in; with the repository's
 * own config (<git dir>/cf-purge-hook.ini) that is the git directory,
 * as for the hook.
 */
int dir_command(struct run *r, const char *dir, struct err *e);

/*
 * For the dir command, before anything is made with r->repo: closes the
 * repository the shell happens to be in (r->repo becomes NULL) when it is
 * not the site's, that is when the config is named (-c or
 * CF_PURGE_HOOK_CONFIG) and is not that repository's own
 * <git dir>/cf-purge-hook.ini, and no -C named it. The spool and the
 * lock then go beside the state, and neither its modes nor its HEAD
 * count. Returns 1 when it closed it, else 0.
 */
int dir_drop_unrelated_repo(struct run *r);

/*
 * dir_command() for `verify --dir DIR`: the state's tree (the folder as
 * the last successful `dir DIR` recorded it) is the old side, so that an
 * edge still serving an old body is found stale; when DIR is that very
 * tree (dir has recorded this build already), the tree recorded before
 * it is, as long as the state keeps it. Takes no lock and
 * records nothing (as a dry run). Returns 0; 1, having added nothing,
 * when there is no state's tree for dir (the caller compares dir with
 * an empty folder instead); or -1 with e set (RUN_USAGE).
 */
int dir_verify(struct run *r, const char *dir, struct err *e);

/*
 * After run_send(): records the folder's new tree as the state, and
 * writes [state] manifest into the folder (built_record()), when each of
 * this run's requests was confirmed or is in the spool; a dry run, `dir
 * OLD NEW`, a run that did not send and a run with a lost request record
 * nothing. In a CI job (CI, GITHUB_ACTIONS or GITLAB_CI is "true"), whose
 * spool goes with it, a run without [state] dir writes the manifest only
 * when every request was confirmed. Lets go of the state's lock either way. Returns 1 when it
 * recorded, 0 when it had not to (or r->dir is NULL), -1 with e set on
 * failure (RUN_FAILED).
 */
int dir_record(struct run *r, struct err *e);

#endif
