/*
 * The permissions of what the program creates beside a repository, read
 * from core.sharedRepository the way git reads it, so that a repository
 * pushed to by several users (SSH as git, HTTP as www-data) can share the
 * lock, the log and the spool as it shares its objects.
 */
#ifndef CFPH_SHARED_H
#define CFPH_SHARED_H

#include <git2.h>

#include "../util/util.h"

/*
 * Fills out from the repository's core.sharedRepository (all config
 * levels, as git does):
 *   unset, false, umask, 0         private: 0600 files, 0700 folders
 *   group, true, 1                 0660 files, 02770 folders
 *   all, world, everybody, 2       0664 files, 02775 folders
 *   an octal mode such as 0640     that mode for files (without x bits);
 *                                  for folders, x wherever there is r,
 *                                  and set-group-id when the group gets
 *                                  anything (02750 for 0640)
 * Returns 0, or -1 with e set (and out private) for a value git refuses
 * too: an octal mode that does not give the owner rw, or a word that is
 * none of the above. The caller should apply the modes with fchmod() or
 * chmod() (file_modes_fix(), util/util.h) after creating a file or
 * folder, since the umask narrows the mode given to open() and mkdir().
 */
int shared_modes_read(struct file_modes *out, git_repository *repo,
		      struct err *e);

#endif
