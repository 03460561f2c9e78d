/*
 * The [ci] section: how the ci command keeps its purge marker and what a
 * failed purge does to the job (hook/marker.h). Private to the INI loader
 * (mapping/config*.c).
 */
#ifndef CFPH_CONFIG_CI_H
#define CFPH_CONFIG_CI_H

struct reader;

/*
 * Reads one [ci] key into r->c; a problem goes to r->c->errors with the
 * line, an unknown key being one.
 */
void config_ci_key(struct reader *r, const char *key, const char *v);

#endif
