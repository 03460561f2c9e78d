/*
 * The sections that say what a change purges: [map "PATTERN"] rules,
 * [ignore], and [plan], which says how the planner may fold what they
 * produce. Private to the INI loader (mapping/config*.c).
 */
#ifndef CFPH_CONFIG_MAP_H
#define CFPH_CONFIG_MAP_H

struct reader;

/*
 * Starts the rule of the header r->section, 'map "PATTERN"', appends it
 * to r->c->maps and makes it r->map; a malformed header or pattern is an
 * error and leaves r->map NULL.
 */
void config_map_start(struct reader *r);

/*
 * Reads one key of the [map] rule r->map. A key read from the pushed
 * tree that it may not set is refused (config_tree.h), not read.
 */
void config_map_key(struct reader *r, const char *key, const char *v);

/* Reads one [ignore] key, paths, into r->c->ignore. */
void config_ignore_key(struct reader *r, const char *key, const char *v);

/* Reads one [plan] key into r->c. */
void config_plan_key(struct reader *r, const char *key, const char *v);

#endif
