/*
 * The [hook] section, but for its tree_* keys (config_tree.h): which
 * pushes the hook acts on, and when and how it runs. Private to the INI
 * loader (mapping/config*.c), except for config_branch_wanted(), which
 * config.h declares.
 */
#ifndef CFPH_CONFIG_HOOK_H
#define CFPH_CONFIG_HOOK_H

struct reader;

/*
 * Reads one [hook] key into r->c; a problem goes to r->c->errors with the
 * line, an unknown key being one. The first 'branches' replaces the
 * default list and later ones add to it.
 */
void config_hook_key(struct reader *r, const char *key, const char *v);

/*
 * Once the server's config is read: a warning in r->c->warnings when a
 * hook in the foreground may hold a push longer than the documented web
 * servers wait for it (CONFIG_SERVER_TIMEOUT).
 */
void config_hook_finish(struct reader *r);

#endif
