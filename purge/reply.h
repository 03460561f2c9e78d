/*
 * Cloudflare's answers: the v4 envelope {"success", "errors", "messages",
 * "result"} read into plain C data.
 */
#ifndef CFPH_REPLY_H
#define CFPH_REPLY_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "../util/util.h"

struct cf_message {
	long code;
	char *message;		/* owned */
};

/*
 * The most errors kept from one answer. Cloudflare sends one or two; a
 * hostile or broken server may send thousands, and each refused item
 * would repeat them all in the messages.
 */
#define CF_REPLY_MAX_ERRORS 10

struct cf_reply {
	long http_status;
	int success;		/* "success": true and a 2xx status */
	int is_json;		/* the body was a Cloudflare envelope */
	char *id;		/* owned; result.id, or NULL */
	struct cf_message *errors;	/* owned; the first CF_REPLY_MAX_ERRORS */
	size_t n_errors;
	double retry_after;	/* seconds from Retry-After, or -1 */
	cJSON *result;		/* owned; "result", for callers that need more */
	size_t n_more_errors;	/* errors past CF_REPLY_MAX_ERRORS, not kept */
	char *location;		/* owned; a redirect's Location, or NULL */
};

#define CF_REPLY_INIT { 0, 0, 0, NULL, NULL, 0, -1, NULL, 0, NULL }

/*
 * Reads the len bytes of body that came with http_status. Never fails: a
 * body that is not a Cloudflare envelope leaves is_json at 0 and success
 * at 0. Only a 2xx status can be a success: a redirect whose body says
 * "success": true is not one. The caller releases r with cf_reply_release
 * (which also frees location, should the caller set it).
 */
void cf_reply_parse(struct cf_reply *r, long http_status, const char *body,
		    size_t len);

void cf_reply_release(struct cf_reply *r);

/*
 * Appends a one-line account of why r is a failure, e.g.
 * "HTTP 403: error 10000: Authentication error", with "; and 12 more
 * errors" for those not kept, or for a 3xx status that it is a redirect,
 * which is never followed. Control characters in Cloudflare's messages
 * (and in a Location) are replaced, so the line is safe to print.
 */
void cf_reply_describe(struct strbuf *out, const struct cf_reply *r);

#endif
