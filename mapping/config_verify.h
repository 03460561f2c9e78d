/*
 * The [verify] and [warm] sections: whether and how the edge is checked
 * and warmed after a purge (verify/verify.h). Private to the INI loader
 * (mapping/config*.c), less config_split_host_port, which the unit tests
 * and verify/fetch.c use too.
 */
#ifndef CFPH_CONFIG_VERIFY_H
#define CFPH_CONFIG_VERIFY_H

#include <stddef.h>

struct reader;
struct config;

/* Sets the defaults of both sections; called by config_init(). */
void config_verify_init(struct config *c);

/*
 * Reads one [verify] or [warm] key into r->c; a problem goes to
 * r->c->errors with the line, an unknown key being one.
 */
void config_verify_key(struct reader *r, const char *key, const char *v);
void config_warm_key(struct reader *r, const char *key, const char *v);

/*
 * Splits "HOST:PORT" (HOST a name, an IPv4 address or a bracketed IPv6
 * address such as "[::1]") at its last colon. On success returns 0 with
 * the host's length in *host_len (brackets included) and the port, 1 to
 * 65535, in *port. Returns -1 when v is not of that form.
 */
int config_split_host_port(const char *v, size_t *host_len, long *port);

#endif
