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
 * at most timeout seconds. The name is percent-encoded into the query and
 * compared with Cloudflare's answer without regard to case. Returns 0 with
 * *id_out the zone's id (the caller frees it), or -1 with e set and
 * *id_out NULL; when Cloudflare refuses the lookup, e says that it needs
 * the Zone Read permission.
 */
int zone_lookup(char **id_out, struct cf_client *client, const char *name,
		double timeout, struct err *e);

/*
 * Verifies the credentials (GET /user/tokens/verify for a token) and the
 * access to every zone of c: [cloudflare]'s (looked up by name, or
 * GET /zones/{id}) and each [zone] section's (GET /zones/{id}). Each
 * problem is appended to problems, naming the zone and where it is set.
 * Returns 0 when all is well, -1 otherwise.
 */
int zone_check_online(struct cf_client *client, const struct config *c,
		      struct strvec *problems);

#endif
