#include "client.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#ifndef CFPH_VERSION
#define CFPH_VERSION "0.1.0"
#endif

/* Answers larger than this are not Cloudflare's and are cut off. */
#define MAX_REPLY (1024 * 1024)

struct cf_client {
	CURL *curl;
	char *api_url;
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
};

static int global_done;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *user)
{
	struct strbuf *sb = user;
	size_t n = size * nmemb;

	if (sb->len + n > MAX_REPLY)
		return 0;
	strbuf_add(sb, ptr, n);
	return n;
}

/* Overwrites s in a way the compiler may not remove. */
static void wipe(char *s)
{
	volatile char *p = s;

	while (*p)
		*p++ = '\0';
}

int cf_client_new(struct cf_client **out, const char *api_url,
		  const char *token, long timeout_seconds, struct err *e)
{
	struct cf_client *c;
	struct strbuf auth = STRBUF_INIT;
	struct curl_slist *h;
	CURLcode rc;

	*out = NULL;
	if (!global_done) {
		rc = curl_global_init(CURL_GLOBAL_DEFAULT);
		if (rc != CURLE_OK)
			return err_set(e, "cannot initialise libcurl: %s",
				       curl_easy_strerror(rc));
		global_done = 1;
	}
	c = xcalloc(1, sizeof(*c));
	c->curl = curl_easy_init();
	if (!c->curl) {
		free(c);
		return err_set(e, "cannot initialise libcurl");
	}
	c->api_url = xstrdup(api_url);

	strbuf_addstr(&auth, "Authorization: Bearer ");
	strbuf_addstr(&auth, token);
	h = curl_slist_append(NULL, auth.buf);
	wipe(auth.buf);
	strbuf_release(&auth);
	if (h)
		h = curl_slist_append(h, "Content-Type: application/json");
	if (h)
		h = curl_slist_append(h, "Accept: application/json");
	if (!h) {
		cf_client_free(c);
		return err_set(e, "out of memory");
	}
	c->headers = h;

	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->curl, CURLOPT_USERAGENT,
			 "cf-purge-hook/" CFPH_VERSION);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, timeout_seconds);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
	*out = c;
	return 0;
}

int cf_client_purge(struct cf_client *c, const char *zone_id,
		    const char *body, struct cf_reply *reply, struct err *e)
{
	struct strbuf url = STRBUF_INIT, data = STRBUF_INIT;
	long status = 0;
	CURLcode rc;

	strbuf_addf(&url, "%s/zones/%s/purge_cache", c->api_url, zone_id);
	c->errbuf[0] = '\0';
	curl_easy_setopt(c->curl, CURLOPT_URL, url.buf);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &data);
	rc = curl_easy_perform(c->curl);
	if (rc != CURLE_OK) {
		err_set(e, "cannot reach '%s': %s", url.buf,
			c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
		strbuf_release(&url);
		strbuf_release(&data);
		return -1;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	cf_reply_parse(reply, status, strbuf_str(&data), data.len);
	strbuf_release(&url);
	strbuf_release(&data);
	return 0;
}

void cf_client_free(struct cf_client *c)
{
	struct curl_slist *h;

	if (!c)
		return;
	for (h = c->headers; h; h = h->next)
		wipe(h->data);
	curl_slist_free_all(c->headers);
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->api_url);
	free(c);
}

void cf_client_global_cleanup(void)
{
	if (global_done)
		curl_global_cleanup();
	global_done = 0;
}
