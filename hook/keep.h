/*
 * Kept pushes: before anything else can fail, the hook writes the
 * post-receive lines git gave it to a file of its own, and deletes that
 * file once the push's purge is planned and written to the spool. A push
 * whose purge could not be planned (a broken or unreadable config, a run
 * killed or timed out while it waited) is thus kept, and the next push or
 * 'retry' plans and sends it with the configuration of that time.
 *
 * The files live in <git dir>/cf-purge-hook-pushes, whatever the config
 * says, since the config may be what is broken. Each one is held with an
 * exclusive lock by the run that works on it, and read as the spool is
 * read: regular files of this user (or the shared group), bounded, never
 * through a symbolic link.
 */
#ifndef CFPH_KEEP_H
#define CFPH_KEEP_H

#include <time.h>

#include "../util/util.h"

struct keep {
	char *dir;		/* owned; NULL until keep_open */
	struct file_modes modes;
	uid_t uid;		/* the folder's owner and group */
	gid_t gid;
	struct strvec paths;	/* the files this run holds */
	int *fds;		/* their locks, parallel to paths */
};

#define KEEP_INIT { NULL, FILE_MODES_PRIVATE, 0, 0, STRVEC_INIT, NULL }

/*
 * Uses the folder cf-purge-hook-pushes in git_dir (which ends with '/'),
 * creating it when missing. Returns 0, or -1 with e set.
 */
int keep_open(struct keep *k, const char *git_dir,
	      const struct file_modes *modes, struct err *e);

/*
 * Writes len bytes of post-receive lines to a new file (fsync'd) and holds
 * it. Returns 0, or -1 with e set.
 */
int keep_write(struct keep *k, const char *lines, size_t len, struct err *e);

/*
 * Claims every kept file that no other run holds, oldest first, appending
 * each one's path to k->paths and its contents to contents (in the same
 * order, from index first = the old k->paths.n). A file that must not be
 * used is moved aside into the folder "rejected" and its problem appended
 * to problems.
 */
void keep_claim(struct keep *k, struct strvec *contents,
		struct strvec *problems);

/*
 * Moves the held file k->paths.v[i] aside into "rejected" and lets go of
 * it; appends the problem, with why, to problems.
 */
void keep_reject(struct keep *k, size_t i, const char *why,
		 struct strvec *problems);

/* Deletes every file held: their purges are in the spool now. */
void keep_done(struct keep *k);

/* 1 when k still holds a kept push (keep_done has not deleted it). */
int keep_held(const struct keep *k);

/*
 * When the newest file k still holds was written (its mtime), or 0 when
 * it holds none.
 */
time_t keep_newest(const struct keep *k);

/* Lets go of every file held (they stay) and frees k. */
void keep_release(struct keep *k);

#endif
