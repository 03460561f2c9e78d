/*
 * Zones and credentials with Cloudflare, without purging: looking a zone
 * up by name (GET /zones?name=) and checking that the credentials and
 * every configured zone work (check --online).
 */
#ifndef CFPH_ZONE_H
#define CFPH_ZONE_H

#include "../mapping/config.h"
#include "../purge/client.h"

/*
 * Looks the zone called name up with the credentials of client, waiting
 * at most timeout seconds. Returns 0 with *id_out the zone's id (the
 * caller frees it), or -1 with e set and *id_out NULL.
 */
int zone_lookup(char **id_out, struct cf_client *client, const char *name,
		double timeout, struct err *e);

/*
 * Verifies the credentials (GET /user/tokens/verify for a token) and the
 * access to the zones of c. Each problem is appended to problems. Returns
 * 0 when all is well, -1 otherwise.
 */
int zone_check_online(struct cf_client *client, const struct config *c,
		      struct strvec *problems);

#endif
