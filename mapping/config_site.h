/*
 * The [site] section and the [zone "HOSTNAME"] sections: the URLs the
 * site is served at, how paths become URLs, and which hosts purge in a
 * zone of their own. Private to the INI loader (mapping/config*.c).
 */
#ifndef CFPH_CONFIG_SITE_H
#define CFPH_CONFIG_SITE_H

struct reader;

/*
 * Reads one [site] key into r->c; a problem goes to r->c->errors with the
 * line, an unknown key being one. The pushed tree's [site] keys other
 * than pretty_urls never come here (config_tree.h).
 */
void config_site_key(struct reader *r, const char *key, const char *v);

/*
 * Starts the zone rule of the header r->section, 'zone "HOST"', and makes
 * it r->zone; a malformed or repeated header is an error and leaves
 * r->zone NULL.
 */
void config_zone_start(struct reader *r);

/* Reads one key of the [zone] section r->zone. */
void config_zone_key(struct reader *r, const char *key, const char *v);

/*
 * Once the whole file is read: reports a missing base_url and each [zone]
 * without a zone_id.
 */
void config_site_finish(struct reader *r);

#endif
