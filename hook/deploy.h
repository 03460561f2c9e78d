/*
 * What the hook does around a deploy: push options from the person
 * pushing, a lock that serialises pushes close together, waiting until the
 * new version is live before purging, and detaching from the push.
 */
#ifndef CFPH_DEPLOY_H
#define CFPH_DEPLOY_H

#include <stdio.h>

#include "../util/util.h"

enum push_purge {
	PUSH_PURGE_DEFAULT,
	PUSH_PURGE_SKIP,	/* git push -o purge=skip */
	PUSH_PURGE_EVERYTHING,	/* git push -o purge=everything */
	PUSH_PURGE_DRY_RUN	/* git push -o purge=dry-run */
};

/*
 * Reads the push options git passes to the hook (GIT_PUSH_OPTION_COUNT,
 * GIT_PUSH_OPTION_<n>). Options other than purge=... are left alone.
 * Returns 0, or 1 with warning set when a purge= value it does not know
 * was left out: a typo in a push option must not cost the purge.
 */
int deploy_push_option(enum push_purge *out, struct err *warning);

/* What deploy_lock returns when another run held the lock too long. */
#define DEPLOY_LOCK_TIMEOUT (-2)

/*
 * Takes an exclusive lock on path, created when missing with modes->file
 * (see hook/shared.h), waiting at most timeout seconds for another run
 * that holds it; when it has to wait, it first writes one line saying so
 * to notice (unless NULL), since a push that hangs silently looks broken.
 * Returns the descriptor that holds the lock (closed at exit);
 * DEPLOY_LOCK_TIMEOUT with e set when the other run held it longer than
 * timeout, or a signal (cfph_interrupted) came while waiting (the caller
 * should keep its purge for later); or -1 with e set. A symbolic link or
 * anything but a regular file at path is refused.
 */
int deploy_lock(const char *path, const struct file_modes *modes,
		double timeout, FILE *notice, struct err *e);

/*
 * Polls url until its body contains commit (40 hex digits) in full or
 * abbreviated to 7 digits or more, waiting longer between polls each
 * time, for at most timeout seconds. Loads libcurl when this is its first
 * use (see purge/libcurl.h). Returns 0 once the page names the commit, or
 * -1 with e saying what the page showed last, or that libcurl cannot be
 * loaded.
 */
int deploy_wait_url(const char *url, const char *commit, double timeout,
		    struct err *e);

/*
 * Detaches: the caller's process returns 1 once a grandchild in its own
 * session exists (the caller should exit), and that grandchild, with
 * standard input from /dev/null and standard output and error appended to
 * log_path (created with modes->file), returns 0 and goes on. Returns -1
 * with e set when that cannot be done, including when the second fork
 * fails: then nothing runs in the background and the caller should do
 * the work itself.
 */
int deploy_detach(const char *log_path, const struct file_modes *modes,
		  struct err *e);

#endif
