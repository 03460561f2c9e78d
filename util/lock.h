/*
 * The file lock that keeps two runs apart: the hook's lock beside the
 * repository (pushes close together, a retry from cron) and a state
 * folder's lock (built/state.h). Kept on the ground floor so that both
 * stages that take a lock share one, and one wording of its messages.
 */
#ifndef CFPH_LOCK_H
#define CFPH_LOCK_H

#include <stdio.h>

#include "util.h"

/* What lock_take returns when another run held the lock too long. */
#define LOCK_TAKE_TIMEOUT (-2)

/*
 * Takes an exclusive lock on path, created when missing with modes->file
 * (struct file_modes, util.h), waiting at most timeout seconds for another
 * run that holds it; when it has to wait, it first writes one line saying
 * so to notice (unless NULL), since a push that hangs silently looks
 * broken. Returns the descriptor that holds the lock, which the caller
 * owns: closing it lets go of the lock (exit closes it too);
 * LOCK_TAKE_TIMEOUT with e set when the other run held it longer than
 * timeout, or a signal (cfph_interrupted) came while waiting (the caller
 * should keep its purge for later); or -1 with e set. A symbolic link or
 * anything but a regular file at path is refused.
 */
int lock_take(const char *path, const struct file_modes *modes,
	      double timeout, FILE *notice, struct err *e);

#endif
