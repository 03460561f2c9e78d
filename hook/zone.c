#include "zone.h"
#include "../purge/spool.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * GET /zones answers only to tokens with the Zone / Zone / Read
 * permission; a token with Cache Purge alone may purge and read
 * GET /zones/{id}, but gets a refusal, or a list without the zone.
 */
#define NEEDS_ZONE_READ "; looking a zone up by name needs an API token " \
	"with the Zone / Zone / Read permission (Cache Purge alone is not " \
	"enough): add it, or set zone_id instead of zone_name"

/*
 * 1 when Cloudflare refused the request for its credentials or their
 * permissions: HTTP 401 or 403, or the codes it uses for them (10000
 * "Authentication error", 9109 "Unauthorized to access requested
 * resource"; the OpenAPI description lists no codes, these are the ones
 * seen in its answers and in tests/cfstub.py).
 */
static int lookup_refused(const struct cf_reply *reply)
{
	size_t i;

	if (reply->http_status == 401 || reply->http_status == 403)
		return 1;
	for (i = 0; i < reply->n_errors; i++)
		if (reply->errors[i].code == 10000 ||
		    reply->errors[i].code == 9109)
			return 1;
	return 0;
}

int zone_lookup(char **id_out, struct cf_client *client, const char *name,
		double timeout, struct err *e)
{
	struct strbuf path = STRBUF_INIT, d = STRBUF_INIT;
	struct cf_reply reply;
	const cJSON *zone;
	struct err ce;
	const char *p;

	*id_out = NULL;
	strbuf_addstr(&path, "zones?name=");
	/*
	 * The loader accepts host names only, but a name may also come from
	 * a spooled batch: every byte outside the unreserved set is encoded,
	 * so that no '&', '+', '#' or '%' can change what is asked.
	 */
	for (p = name; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == '_' || ch == '~')
			strbuf_addch(&path, (char)ch);
		else
			strbuf_addf(&path, "%%%02X", ch);
	}
	if (cf_client_call(client, path.buf, NULL, timeout, &reply, &ce) < 0) {
		strbuf_release(&path);
		return err_set(e, "cannot look up zone '%s': %s", name, ce.msg);
	}
	strbuf_release(&path);
	if (!reply.success) {
		cf_reply_describe(&d, &reply);
		err_set(e, "cannot look up zone '%s': %s%s", name, d.buf,
			lookup_refused(&reply) ? NEEDS_ZONE_READ : "");
		strbuf_release(&d);
		cf_reply_release(&reply);
		return -1;
	}
	zone = cJSON_IsArray(reply.result) ? reply.result->child : NULL;
	for (; zone; zone = zone->next) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(zone, "id");
		const cJSON *zn = cJSON_GetObjectItemCaseSensitive(zone, "name");

		/* An id goes into request paths: only 32 hex digits do. */
		if (cJSON_IsString(id) && cJSON_IsString(zn) &&
		    !strcasecmp(zn->valuestring, name) &&
		    spool_zone_id_ok(id->valuestring)) {
			*id_out = xstrdup(id->valuestring);
			break;
		}
	}
	cf_reply_release(&reply);
	if (!*id_out)
		return err_set(e, "zone '%s' is not among the zones these "
			       "credentials can see" NEEDS_ZONE_READ, name);
	return 0;
}

/* GETs path and appends a problem unless Cloudflare says success. */
static int check_call(struct cf_client *client, const struct config *c,
		      const char *path, const char *what,
		      struct strvec *problems, struct cf_reply *reply)
{
	struct err e;
	struct strbuf d = STRBUF_INIT;

	if (cf_client_call(client, path, NULL, c->timeout, reply, &e) < 0) {
		strvec_pushf(problems, "cannot check %s: %s", what, e.msg);
		return -1;
	}
	if (reply->success)
		return 0;
	cf_reply_describe(&d, reply);
	strvec_pushf(problems, "%s: %s", what, d.buf);
	strbuf_release(&d);
	cf_reply_release(reply);
	return -1;
}

/*
 * GET zones/{id}, naming where in the config the zone is set unless from
 * is NULL ([cloudflare]'s own zone).
 */
static void check_zone_id(struct cf_client *client, const struct config *c,
			  const char *id, const char *from,
			  struct strvec *problems)
{
	struct cf_reply reply;
	char *path = xasprintf("zones/%s", id);
	char *what = from ? xasprintf("zone %s (%s)", id, from) :
			    xasprintf("zone %s", id);

	if (check_call(client, c, path, what, problems, &reply) == 0)
		cf_reply_release(&reply);
	free(path);
	free(what);
}

int zone_check_online(struct cf_client *client, const struct config *c,
		      struct strvec *problems)
{
	struct cf_reply reply;
	struct err e;
	size_t before = problems->n, i;

	if (!c->email) {
		if (check_call(client, c, "user/tokens/verify",
			       "the API token", problems, &reply) == 0) {
			const cJSON *st = cJSON_GetObjectItemCaseSensitive(
				reply.result, "status");
			if (cJSON_IsString(st) &&
			    strcmp(st->valuestring, "active"))
				strvec_pushf(problems, "the API token is '%s', "
					     "not active", st->valuestring);
			cf_reply_release(&reply);
		}
	}
	if (c->zone_name) {
		char *id = NULL;

		if (zone_lookup(&id, client, c->zone_name, c->timeout, &e) < 0)
			strvec_push(problems, e.msg);
		free(id);
	} else {
		check_zone_id(client, c, c->zone_id, NULL, problems);
	}
	/* Each [zone] section's purges go to its own zone: check them all. */
	for (i = 0; i < c->n_zones; i++) {
		char *from = xasprintf("[zone \"%s\"] line %d",
				       c->zones[i].host, c->zones[i].line);

		check_zone_id(client, c, c->zones[i].zone_id, from, problems);
		free(from);
	}
	return problems->n > before ? -1 : 0;
}
