/*
 * The one place that turns libgit2's last error into words, for every
 * stage that reads git objects (the push engine in hook/, the built-output
 * engine). Kept apart from util.h so that the stages that never touch
 * libgit2 (mapping/, purge/) do not include it.
 */
#ifndef CFPH_GIT_H
#define CFPH_GIT_H

/*
 * Returns the message of libgit2's last error on this thread, or
 * "unknown libgit2 error" when it has none. The string belongs to
 * libgit2 and stays valid until the next libgit2 call on this thread:
 * copy it (err_set() does) before calling libgit2 again.
 */
const char *git_message(void);

#endif
