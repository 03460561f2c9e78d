/*
 * The layer of configuration that a push brings ([hook] tree_config):
 * the server's keys that govern it, and what that layer may set. Anyone
 * who can push can change the file, so it may hold only [map], [ignore]
 * and [site] pretty_urls, its [map] rules may purge only the kinds that
 * [hook] tree_may_purge lists, and its urls and prefixes must stay within
 * a [site] base_url. What it may not set is refused (left out, with a
 * message in c->refused) rather than an error. Private to the INI loader
 * (mapping/config*.c), except for config_within_site(), which config.h
 * declares.
 */
#ifndef CFPH_CONFIG_TREE_H
#define CFPH_CONFIG_TREE_H

struct reader;

/*
 * Reads the [hook] keys of the server's configuration that govern the
 * pushed tree: tree_config, tree_may_purge and tree_max_items. Returns 1
 * when key is one of them, else 0 and leaves it to config_hook_key().
 */
int config_tree_hook_key(struct reader *r, const char *key, const char *v);

/*
 * For a section header s of the pushed tree: returns 1 when the tree may
 * hold the section, so that its keys are read, else 0, after noting it in
 * c->refused (a section the server's file could hold) or c->errors (an
 * unknown one).
 */
int config_tree_section(struct reader *r, const char *s);

/*
 * For a [site] key of the pushed tree other than pretty_urls: refuses it
 * when the server's file could hold it, else reports it unknown.
 */
void config_tree_site_key(struct reader *r, const char *key);

/*
 * For a key of a [map] section read from the pushed tree (r->tree set):
 * returns 1 when the tree may set it, else 0 after noting it in
 * c->refused. Only the keys that purge (url, prefixes, tags, hosts,
 * everything) need [hook] tree_may_purge to list their kind;
 * "everything = false" purges nothing and needs no permission.
 */
int config_tree_may_purge(struct reader *r, const char *key, const char *v);

/*
 * For a url (is_url set) or prefix template of the pushed tree: returns 1
 * when some expansion of text may stay within a [site] base_url, else 0
 * after noting it in c->refused.
 */
int config_tree_within_site(struct reader *r, const char *text, int is_url);

#endif
