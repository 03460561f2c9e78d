/*
 * The built-output engine: what differs between two folders of built
 * files (`dir OLD NEW`), or what changed in one folder since the last
 * successful run for it (`dir DIR`, and a hook's [site] served_dir).
 * Each folder becomes git trees (built/tree.h); the caller then walks,
 * maps, plans and sends the range between two trees as it does a range
 * between two commits.
 *
 * What it takes from the rest of the program: the configuration's values
 * (struct config: [state] dir, on_missing, manifest and manifest_url,
 * [hook] lock_timeout, [cloudflare] timeout for the live manifest), read
 * during each call and never kept; a repository, or NULL, whose git
 * directory is the default place of the state; the file modes for the
 * state's lock; the run's flags (struct built_opts); and a list of notes
 * to append to. It never includes anything of hook/.
 *
 * What it gives back: the repository that holds the trees (built_repo());
 * the old tree's id, or none, with a note saying why the range is then
 * to purge everything; the new tree's id; notes for the person running
 * it (entries skipped, files unreadable, with --verbose how many files
 * were read); and, after sending, a record step (built_record()) that
 * makes the new tree the folder's state once the caller says each
 * request was confirmed or spooled.
 *
 * The folder is the site as served: its top is [site] base_url, so the
 * caller must not apply [site] root, and [map] and [ignore] patterns
 * match paths below the folder; [hook] tree_config does not apply either.
 *
 * The engine's files, each with the prefix of its functions:
 *   built/built.c      built_      this face: one run's trees, state, record
 *   built/tree.c       dirtree_    a folder hashed into git trees
 *   built/statcache.c  statcache_  the stat cache that spares reading files
 *   built/state.c      dirstate_   the state folder: records and its lock
 *   built/prune.c      dirprune_   removing objects no record reaches
 *   built/manifest.c   manifest_   the manifest written into the folder
 * Calls go one way: hook/ -> built/ -> purge/ (libcurl, for the live
 * manifest) and util/.
 */
#ifndef CFPH_BUILT_H
#define CFPH_BUILT_H

#include <stdio.h>

#include <git2.h>

#include "../mapping/config.h"
#include "../util/util.h"

/* The run's flags, copied by built_new(). */
struct built_opts {
	int dry_run;	/* take no lock, write no state, cache or manifest */
	int verbose;	/* a note says how many files were read, and what
			   a prune removed */
	FILE *notice;	/* where a wait for the state's lock is said first
			   (stderr, or NULL for --quiet); borrowed */
	FILE *progress;	/* where a long walk says how far it has come
			   (util/progress.h), or NULL; borrowed */
	const char *state_home;	/* where the default state is, and what a
				   relative [state] dir is relative to,
				   instead of the repository's git directory
				   (the dir command: its config's folder);
				   NULL for the git directory; borrowed */
	int previous;	/* built_since(): when the folder is the tree the
			   state records, the old side is the tree recorded
			   before it, if the state still has it (verify
			   --dir, after dir recorded this build) */
};

#define BUILT_OPTS_INIT { 0, 0, NULL, NULL, NULL, 0 }

/* What built_compare() and built_since() give back. */
struct built_range {
	git_oid old_tree;	/* set when has_old */
	int has_old;		/* 0: the range purges everything, and a note
				   said why */
	git_oid new_tree;
};

struct built;

/*
 * Returns a new engine (never NULL), for one call of built_compare() or
 * built_since(); the caller frees it with built_free(), whatever that
 * call returned.
 */
struct built *built_new(const struct built_opts *opts);

/*
 * Builds the trees of old_dir and new_dir into out (has_old set) and
 * appends the walk's notes to notes. Records nothing. Returns 0, or -1
 * with e set: a folder missing, not a folder, or with a folder below it
 * that cannot be read.
 */
int built_compare(struct built_range *out, struct built *b,
		  const struct config *cfg, const char *old_dir,
		  const char *new_dir, struct strvec *notes, struct err *e);

/*
 * Builds the tree of dir into out->new_tree, and the old side from the
 * tree recorded by the last successful run for dir ([state] dir: cfg's
 * state_dir, absolute or relative to the opts' state_home, else to repo's
 * git directory; by default cf-purge-hook-state there), else from the live manifest ([state]
 * manifest_url, built/manifest.h). Without either: with [state]
 * on_missing = everything (the default) has_old is 0 and a note says
 * why; with fail, -1 and e say why. The stat cache kept beside the record
 * spares reading unchanged files. An engine that is not a dry run first
 * takes the state folder's lock (built/state.h) with modes, waiting up to
 * [hook] lock_timeout, and holds it until built_record() or built_free().
 * Notes go to notes, in this order: the walk's, the count of files read
 * (verbose), why everything is purged. Returns 0; -1 with e set (dir
 * missing, not a folder or unreadable, no place for the state and no
 * manifest_url, no old tree with on_missing = fail, a state or lock not
 * to be trusted, or a lock that cannot be made); or BUILT_BUSY with e set
 * when another run held the lock too long (nothing was read or recorded,
 * and the next run purges the change).
 */
#define BUILT_BUSY (-2)
int built_since(struct built_range *out, struct built *b,
		const struct config *cfg, git_repository *repo,
		const struct file_modes *modes, const char *dir,
		struct strvec *notes, struct err *e);

/*
 * After sending. With confirmed set (the caller's word that this was no
 * dry run, that it sent, and that each of its requests was confirmed or
 * is in the spool), after built_since() only: records the folder's new
 * tree as the state, and writes [state] manifest (as cfg had it) into the
 * folder. After a record, it prunes the state's store when that is due
 * (built/prune.h; a failure there is only a note in notes), then lets go
 * of the lock, recorded or not. Returns 1 when it recorded, 0 when it had
 * not to, -1 with e set on failure.
 */
int built_record(struct built *b, int confirmed, struct strvec *notes,
		 struct err *e);

/*
 * The repository holding the trees of the range, which has no git
 * directory; valid until built_free(). NULL when built_compare() or
 * built_since() failed before it could be made.
 */
git_repository *built_repo(const struct built *b);

/*
 * Why built_since()'s range purges everything (has_old 0), or NULL; valid
 * until built_free().
 */
const char *built_everything(const struct built *b);

/* The state folder of built_since(), else NULL; valid until built_free(). */
const char *built_state_dir(const struct built *b);

/* Lets go of the lock if still held, and frees b (which may be NULL). */
void built_free(struct built *b);

#endif
