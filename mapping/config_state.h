/*
 * The [state] section: what `dir DIR` compares a folder with
 * (hook/dirstate.h). Private to the INI loader (mapping/config*.c).
 */
#ifndef CFPH_CONFIG_STATE_H
#define CFPH_CONFIG_STATE_H

struct reader;

/*
 * Reads one [state] key into r->c; a problem goes to r->c->errors with
 * the line, an unknown key being one.
 */
void config_state_key(struct reader *r, const char *key, const char *v);

#endif
