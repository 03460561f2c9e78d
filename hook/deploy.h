/*
 * What the hook does around a deploy: push options from the person
 * pushing, waiting until the new version is live before purging, and
 * detaching from the push. The lock that serialises pushes close together
 * is util/lock.h.
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
