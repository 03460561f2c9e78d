/*
 * How an admin command (retry, check, install) is spelled for the person
 * who reads it: the hook runs as the server's user (git, www-data), and an
 * admin who reads its remote: lines or runs install through sudo must run
 * retry and check as that user too, or git's safe.directory check and the
 * token file's mode refuse them.
 */
#ifndef CFPH_ADMIN_H
#define CFPH_ADMIN_H

#include "run.h"

/*
 * The name of the user that owns the repository's git directory (its uid
 * in digits when it has no name), or NULL without a repository. The
 * caller frees it.
 */
char *admin_owner(const struct run *r);

/*
 * "sudo -u OWNER " when the one who reads the command is likely not the
 * repository's owner: this program runs as another user, or under sudo
 * from another user, or as a hook for a push from elsewhere (over SSH,
 * HTTP or git daemon, where the reader is an admin who logs in as
 * himself). Otherwise "". The caller frees it.
 */
char *admin_sudo(const struct run *r);

/*
 * The whole command line for command ("retry", "check --online"), with
 * admin_sudo() in front and -C and -c as this run has them. The caller
 * frees it.
 */
char *admin_command(const struct run *r, const char *command);

#endif
