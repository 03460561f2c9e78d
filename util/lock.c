#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* How often a waiting run tries the lock again, in seconds. */
#define LOCK_POLL 0.1

int lock_take(const char *path, const struct file_modes *modes,
	      double timeout, FILE *notice, struct err *e)
{
	double start = mono_now();
	struct stat st;
	/*
	 * Never through a link, and a regular file only: its mode is
	 * changed below, which must never reach another file.
	 */
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
		      O_NOCTTY | O_CLOEXEC, modes->file);

	if (fd < 0)
		return err_set(e, "cannot open the lock '%s': %s%s", path,
			       errno == ELOOP ? "it is a symbolic link" :
			       strerror(errno), errno == EACCES ?
			       "; another user made it: give it the group "
			       "and mode core.sharedRepository asks for" : "");
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, "cannot use the lock '%s': not a regular "
			       "file", path);
	}
	/*
	 * The umask narrowed the mode given to open(); a second user of a
	 * shared repository must be able to open it too.
	 */
	if (file_modes_fix(fd, path, modes, e) < 0) {
		close(fd);
		return -1;
	}
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			err_set(e, "cannot lock '%s': %s", path,
				strerror(errno));
			close(fd);
			return -1;
		}
		if (mono_now() - start >= timeout || cfph_interrupted) {
			if (cfph_interrupted)
				err_set(e, "interrupted by a signal while "
					"waiting for the lock '%s'", path);
			else
				err_set(e, "another run still holds the lock "
					"'%s' after %.0f s", path, timeout);
			close(fd);
			return LOCK_TAKE_TIMEOUT;
		}
		if (notice) {
			fprintf(notice, "cf-purge-hook: another run holds the "
				"lock '%s'; waiting for it, at most %.0f s\n",
				path, timeout);
			fflush(notice);
			notice = NULL;
		}
		sleep_seconds(LOCK_POLL);
	}
}
