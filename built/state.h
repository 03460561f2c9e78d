/*
 * What `dir DIR` compares a folder with: the tree recorded by the last
 * successful run for that folder. The state folder ([state] dir) holds a
 * bare git object folder of trees only (objects/, written by
 * dirtree_keep()) and, for each folder, a small file naming its last
 * tree (sites/<id>, where id hashes the folder's absolute path as given,
 * symbolic links not resolved: a `current -> releases/N` folder keeps
 * one state across releases).
 *
 * A run holds the state folder's lock (dirstate_lock(): the file lock in
 * it) from before it reads the record until after it writes the new one,
 * so that runs on one state folder, for one folder or several, never
 * interleave; a dry run, which writes nothing, goes without. Under that
 * lock, after a record is written, built/prune.h removes the objects
 * no record reaches any more (the file pruned says when it last did).
 */
#ifndef CFPH_BUILT_STATE_H
#define CFPH_BUILT_STATE_H

/*
 * NEEDSWORK: a version of this program from before the lock does not
 * take it. Its run refreshes the times of the trees it builds, so a
 * prune racing it keeps them for DIRPRUNE_GRACE (built/prune.h); one
 * that takes longer than that between building its tree and recording
 * it could record a tree whose old subtree the prune removed. Its next
 * run then finds the tree incomplete and purges everything, as when
 * the state is missing (hook/run.c, dir_state_broken()).
 */

#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include <git2.h>

#include "../util/util.h"

struct dirstate {
	char *dir;		/* owned; the state folder */
	char *objects;		/* owned; dir/objects */
	char *record;		/* owned; the file naming the folder's tree */
	char *site;		/* owned; the folder, absolute, as given
				   (dirstate_key()) */
	struct file_modes modes;	/* what the state's files are made with */
	struct stat top;	/* the state folder, as dirstate_open() found it */
	int full;		/* dirstate_open() failed: a full disk refused
				   to make one of its folders */
};

#define DIRSTATE_INIT { NULL, NULL, NULL, NULL, { 0600, 0700 }, { 0 }, 0 }

/*
 * Creates the state folder (and its sites/ and objects/) when missing,
 * with modes (hook/shared.h: core.sharedRepository), and names the record
 * of the folder site (which must exist). What is there already is checked
 * as the spool is: the state folder, sites/, objects/ and the record must
 * not be symbolic links nor writable by any user, and must be this user's
 * (or, in a group-shared repository, the state folder's group's), since
 * whoever can change a record can hide a change from the purge. Returns
 * 0, or -1 with e set saying what to run; dirstate_release() is needed
 * either way.
 */
int dirstate_open(struct dirstate *s, const char *state_dir,
		  const char *site, const struct file_modes *modes,
		  struct err *e);

/*
 * The key of the folder site: its absolute path as given (relative to
 * the working folder when relative), symbolic links and ".." not
 * resolved, "." segments, doubled and trailing '/'s dropped. Returns it (owned by the
 * caller), or NULL with errno set when the working folder is unknown.
 */
char *dirstate_key(const char *site);

/*
 * The checks of dirstate_open() for one more path in the state folder
 * (the stat cache beside a record): 0 when it is missing or may be
 * trusted, else -1 with e set.
 */
int dirstate_check(const struct dirstate *s, const char *path,
		   struct err *e);

/*
 * Reads the tree recorded for the folder into *out and checks that store
 * holds it. Returns 1 then; 0 when there is no record yet, or it cannot
 * be used (not this program's format, another folder's, a tree the store
 * lacks), with *why (owned by the caller) saying which.
 */
int dirstate_read(git_oid *out, char **why, const struct dirstate *s,
		  git_odb *store);

/*
 * Reads the tree the record named before the last one (the record's
 * ".prev" beside it, which dirstate_write() keeps) into *out, with the
 * checks of dirstate_read(): the build before the one recorded, for
 * `verify --dir` to tell an old body once `dir` has recorded the new one.
 * Returns 1, or 0 when there is none that can be used.
 */
int dirstate_read_previous(git_oid *out, const struct dirstate *s,
			   git_odb *store);

/*
 * Replaces the record with tree, atomically and durably (written to a
 * temporary file, synced, renamed). The record it replaces, when it names
 * another tree, is kept as the record's ".prev" (a hard link made before
 * the rename, so that a crash leaves the record whole). Returns 0, or -1
 * with e set; a ".prev" that cannot be kept is no error.
 */
int dirstate_write(const struct dirstate *s, const git_oid *tree,
		   struct err *e);

/*
 * Takes the state folder's lock (the file lock in it) with lock_take()
 * (util/lock.h): files made with modes, waiting at most timeout seconds
 * for another run that holds it, saying so first to notice (unless
 * NULL). Returns the descriptor that holds the lock (the caller closes it
 * to let go); LOCK_TAKE_TIMEOUT with e set when another run held it
 * longer than timeout or a signal came while waiting; or -1 with e set
 * when the lock cannot be made or is not to be trusted (dirstate_open()'s
 * checks). The caller must then neither read nor write the state.
 */
int dirstate_lock(const struct dirstate *s, const struct file_modes *modes,
		  double timeout, FILE *notice, struct err *e);

/*
 * Reads the tree named by the record file path, whichever folder it is
 * for (built/prune.h reads every record). Returns 1 with *out set; 0
 * when there is no such file; -1 with e set when it cannot be read or is
 * not this program's format.
 */
int dirstate_record_tree(git_oid *out, const char *path, struct err *e);

/*
 * How old, in seconds, a temporary file in the state may be before it is
 * taken for a killed run's: a live run writes its record's at once, and
 * its stat cache's as its walk goes.
 */
#define DIRSTATE_STALE 3600

/*
 * Removes from sites/ the temporary files of records and stat caches
 * ("<id>.<pid>", "<id>.stat.<pid>") that have not changed for
 * DIRSTATE_STALE seconds before now: those of a killed run. Call it with
 * the lock held. Returns how many it removed.
 */
size_t dirstate_sweep(const struct dirstate *s, time_t now);

void dirstate_release(struct dirstate *s);

#endif
