/*
 * The [cloudflare] section: where the purges go and how fast they may be
 * sent. Private to the INI loader (mapping/config*.c).
 */
#ifndef CFPH_CONFIG_CLOUDFLARE_H
#define CFPH_CONFIG_CLOUDFLARE_H

struct reader;

/*
 * Reads one [cloudflare] key into r->c; a problem goes to r->c->errors
 * with the line, an unknown key being one.
 */
void config_cloudflare_key(struct reader *r, const char *key, const char *v);

/*
 * Once the whole file is read: sets the limits the file left out from
 * its plan's (Free's without one), warns in r->c->warnings about limits
 * above what Cloudflare documents, and reports keys that are missing or
 * do not go together.
 */
void config_cloudflare_finish(struct reader *r);

#endif
