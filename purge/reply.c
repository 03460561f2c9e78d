#include "reply.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void add_error(struct cf_reply *r, long code, const char *message)
{
	if (r->n_errors == CF_REPLY_MAX_ERRORS) {
		r->n_more_errors++;
		return;
	}
	r->errors = xrealloc(r->errors, (r->n_errors + 1) * sizeof(*r->errors));
	r->errors[r->n_errors].code = code;
	r->errors[r->n_errors].message = xstrdup(message ? message : "");
	r->n_errors++;
}

void cf_reply_parse(struct cf_reply *r, long http_status, const char *body,
		    size_t len)
{
	cJSON *root, *success, *errors, *result, *item;

	memset(r, 0, sizeof(*r));
	r->http_status = http_status;
	r->retry_after = -1;
	root = cJSON_ParseWithLength(body, len);
	if (!root)
		return;
	success = cJSON_GetObjectItemCaseSensitive(root, "success");
	if (!cJSON_IsObject(root) || !cJSON_IsBool(success)) {
		cJSON_Delete(root);
		return;
	}
	r->is_json = 1;
	r->success = cJSON_IsTrue(success) && http_status >= 200 &&
		     http_status < 300;
	errors = cJSON_GetObjectItemCaseSensitive(root, "errors");
	if (!cJSON_IsArray(errors))
		errors = NULL;
	cJSON_ArrayForEach(item, errors) {
		cJSON *code = cJSON_GetObjectItemCaseSensitive(item, "code");
		cJSON *msg = cJSON_GetObjectItemCaseSensitive(item, "message");
		long c = 0;

		if (cJSON_IsNumber(code) && isfinite(code->valuedouble) &&
		    fabs(code->valuedouble) < 1e15)
			c = (long)code->valuedouble;
		add_error(r, c, cJSON_IsString(msg) ? msg->valuestring : NULL);
	}
	result = cJSON_GetObjectItemCaseSensitive(root, "result");
	item = cJSON_GetObjectItemCaseSensitive(result, "id");
	if (cJSON_IsString(item))
		r->id = xstrdup(item->valuestring);
	if (result)
		r->result = cJSON_DetachItemViaPointer(root, result);
	cJSON_Delete(root);
}

void cf_reply_release(struct cf_reply *r)
{
	size_t i;

	for (i = 0; i < r->n_errors; i++)
		free(r->errors[i].message);
	free(r->errors);
	free(r->id);
	free(r->location);
	cJSON_Delete(r->result);
	memset(r, 0, sizeof(*r));
}

static void add_printable(struct strbuf *out, const char *s, size_t max)
{
	size_t i;

	for (i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		strbuf_addch(out, c < 0x20 || c == 0x7f ? '?' : (char)c);
	}
	if (i == max && s[i])
		strbuf_addstr(out, "...");
}

void cf_reply_describe(struct strbuf *out, const struct cf_reply *r)
{
	size_t i;

	strbuf_addf(out, "HTTP %ld", r->http_status);
	/*
	 * Whatever its body says: a redirect is not followed, since the
	 * credentials must never go to another host.
	 */
	if (r->http_status >= 300 && r->http_status < 400) {
		strbuf_addstr(out, ": a redirect");
		if (r->location && *r->location) {
			strbuf_addstr(out, " to '");
			add_printable(out, r->location, 300);
			strbuf_addch(out, '\'');
		}
		strbuf_addstr(out, ", which is not followed; api_url must "
			      "name the API itself");
		return;
	}
	if (!r->is_json) {
		strbuf_addstr(out, ": the answer is not a Cloudflare API reply");
		return;
	}
	for (i = 0; i < r->n_errors; i++) {
		strbuf_addf(out, "%s error %ld: ", i ? ";" : ":",
			    r->errors[i].code);
		add_printable(out, r->errors[i].message, 300);
	}
	if (r->n_more_errors)
		strbuf_addf(out, "; and %zu more %s", r->n_more_errors,
			    r->n_more_errors == 1 ? "error" : "errors");
	if (!r->n_errors && !r->success)
		strbuf_addstr(out, ": \"success\" is false, with no error");
}
