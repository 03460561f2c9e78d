#include "zone.h"

#include <stdlib.h>
#include <string.h>

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
	/* Zone names are host names; anything else was refused on load. */
	for (p = name; *p; p++)
		strbuf_addch(&path, *p);
	if (cf_client_call(client, path.buf, NULL, timeout, &reply, &ce) < 0) {
		strbuf_release(&path);
		return err_set(e, "cannot look up zone '%s': %s", name, ce.msg);
	}
	strbuf_release(&path);
	if (!reply.success) {
		cf_reply_describe(&d, &reply);
		err_set(e, "cannot look up zone '%s': %s", name, d.buf);
		strbuf_release(&d);
		cf_reply_release(&reply);
		return -1;
	}
	zone = cJSON_IsArray(reply.result) ? reply.result->child : NULL;
	for (; zone; zone = zone->next) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(zone, "id");
		const cJSON *zn = cJSON_GetObjectItemCaseSensitive(zone, "name");

		if (cJSON_IsString(id) && cJSON_IsString(zn) &&
		    !strcmp(zn->valuestring, name)) {
			*id_out = xstrdup(id->valuestring);
			break;
		}
	}
	cf_reply_release(&reply);
	if (!*id_out)
		return err_set(e, "zone '%s' is not among the zones these "
			       "credentials can see", name);
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

int zone_check_online(struct cf_client *client, const struct config *c,
		      struct strvec *problems)
{
	struct cf_reply reply;
	struct err e;
	size_t before = problems->n;

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
		char *path = xasprintf("zones/%s", c->zone_id);
		char *what = xasprintf("zone %s", c->zone_id);

		if (check_call(client, c, path, what, problems, &reply) == 0)
			cf_reply_release(&reply);
		free(path);
		free(what);
	}
	return problems->n > before ? -1 : 0;
}
