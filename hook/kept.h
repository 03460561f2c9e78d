/*
 * Kept pushes in a run: the hook keeps its push (hook/keep.h) with what
 * its push option asks, and a later hook or retry adds the pushes that
 * earlier runs kept to its own ranges, so that their purge is planned with
 * its own and the files go once that purge is in the spool.
 */
#ifndef CFPH_KEPT_H
#define CFPH_KEPT_H

#include "keep.h"
#include "run.h"

/*
 * Keeps the len bytes of post-receive lines of this push in k, with a
 * first line when its push option asks for purge=everything; nothing
 * when it asks for purge=skip or purge=dry-run, or when len is 0.
 * Returns 0, or -1 with e set when the file cannot be written.
 */
int kept_write_push(struct keep *k, const char *lines, size_t len,
		    struct err *e);

/*
 * Claims the pushes earlier runs kept in k and adds each as ranges of r
 * (with its purge=everything, if it asked), noting each in notes. A kept
 * push that is not git's input, or names a commit the repository does not
 * hold, is moved aside and noted in problems. Then makes r delete every
 * push k holds once run_send has written all of r's batches to the spool.
 */
void kept_add_to_run(struct run *r, struct keep *k, struct strvec *notes,
		     struct strvec *problems);

/*
 * Takes the kept pushes out of r again: the ranges from index from on
 * (those kept_add_to_run added) are dropped, and r no longer deletes the
 * pushes after run_send, so that they stay kept for a later run. For a
 * run that finds it must not purge them yet (the site does not show them).
 */
void kept_hold(struct run *r, size_t from);

#endif
