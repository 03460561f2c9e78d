#include "client.h"

#include "libcurl.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#ifndef CFPH_VERSION
#define CFPH_VERSION "0.1.0"
#endif

/* Answers larger than this are not Cloudflare's and are cut off. */
#define MAX_REPLY (4 * 1024 * 1024)

/* libcurl's code for a header too large, from 8.6 on; the library is
 * loaded at run time, so it may be newer than the headers built with. */
#ifndef CURLE_TOO_LARGE
#define CURLE_TOO_LARGE ((CURLcode)100)
#endif

struct cf_client {
	const struct libcurl *lc;
	CURL *curl;
	char *api_url;
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
};

struct exchange {
	const struct libcurl *lc;
	struct strbuf body;
	double retry_after;
	char *location;		/* owned; the Location header, or NULL */
	int too_large;		/* the answer passed MAX_REPLY */
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *user)
{
	struct exchange *x = user;
	size_t n = size * nmemb;

	if (x->body.len + n > MAX_REPLY) {
		x->too_large = 1;
		return 0;
	}
	strbuf_add(&x->body, ptr, n);
	return n;
}

/* Keeps the Location header, for the message about a redirect. */
static void read_location(struct exchange *x, const char *ptr, size_t n)
{
	static const char name[] = "location:";
	char *v, *t;

	if (n <= sizeof(name) || strncasecmp(ptr, name, sizeof(name) - 1))
		return;
	v = xstrndup(ptr + sizeof(name) - 1, n - (sizeof(name) - 1));
	t = trim(v);
	t[strcspn(t, "\r\n")] = '\0';
	free(x->location);
	x->location = xstrdup(t);
	free(v);
}

/* Reads Retry-After, as seconds or as an HTTP date, and Location. */
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *user)
{
	struct exchange *x = user;
	size_t n = size * nmemb;
	static const char name[] = "retry-after:";

	read_location(x, ptr, n);

	if (n > sizeof(name) && !strncasecmp(ptr, name, sizeof(name) - 1)) {
		char *v = xstrndup(ptr + sizeof(name) - 1,
				   n - (sizeof(name) - 1));
		char *t = trim(v), *end;
		double secs;

		t[strcspn(t, "\r\n")] = '\0';
		secs = strtod(t, &end);
		if (end != t && !*end && secs >= 0) {
			x->retry_after = secs;
		} else {
			time_t when = x->lc->getdate(t, NULL);
			if (when > 0)
				x->retry_after = difftime(when, time(NULL));
		}
		if (x->retry_after > 3600)
			x->retry_after = 3600;
		free(v);
	}
	return n;
}

/* Appends "name: value" to the list, wiping the temporary copy. */
static struct curl_slist *add_secret(const struct libcurl *lc,
				     struct curl_slist *h, const char *name,
				     const char *value)
{
	struct strbuf sb = STRBUF_INIT;
	struct curl_slist *r;

	strbuf_addf(&sb, "%s: %s", name, value);
	r = lc->slist_append(h, sb.buf);
	wipe_string(sb.buf);
	strbuf_release(&sb);
	if (!r)
		lc->slist_free_all(h);
	return r;
}

/* 1 when s holds a control character (CR and LF among them). */
static int has_control(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

int cf_client_new(struct cf_client **out, const char *api_url,
		  const struct cf_auth *auth, const char *ca_bundle,
		  struct err *e)
{
	const struct libcurl *lc;
	struct cf_client *c;
	struct curl_slist *h = NULL;

	*out = NULL;
	/*
	 * A line break in a credential would end its header and start
	 * another one of the credential's choosing. The value itself is a
	 * secret, so the message names only which one it is.
	 */
	if (has_control(auth->token))
		return err_set(e, "the API token contains a control character");
	if (has_control(auth->email))
		return err_set(e, "the e-mail address contains a control "
			       "character");
	if (has_control(auth->key))
		return err_set(e, "the API key contains a control character");
	if (libcurl_load(&lc, e) < 0)
		return -1;
	c = xcalloc(1, sizeof(*c));
	c->lc = lc;
	c->curl = lc->easy_init();
	if (!c->curl) {
		free(c);
		return err_set(e, "cannot initialise libcurl");
	}
	c->api_url = xstrdup(api_url);

	if (auth->token) {
		struct strbuf v = STRBUF_INIT;

		strbuf_addf(&v, "Bearer %s", auth->token);
		h = add_secret(lc, NULL, "Authorization", v.buf);
		wipe_string(v.buf);
		strbuf_release(&v);
	} else {
		h = add_secret(lc, NULL, "X-Auth-Email", auth->email);
		if (h)
			h = add_secret(lc, h, "X-Auth-Key", auth->key);
	}
	if (h)
		h = lc->slist_append(h, "Content-Type: application/json");
	if (h)
		h = lc->slist_append(h, "Accept: application/json");
	if (!h) {
		cf_client_free(c);
		return err_set(e, "out of memory");
	}
	c->headers = h;

	c->lc->easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
	c->lc->easy_setopt(c->curl, CURLOPT_USERAGENT,
			 "cf-purge-hook/" CFPH_VERSION);
	c->lc->easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	c->lc->easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	c->lc->easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
	c->lc->easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	c->lc->easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	c->lc->easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	c->lc->easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	c->lc->easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
	c->lc->easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
	if (ca_bundle)
		c->lc->easy_setopt(c->curl, CURLOPT_CAINFO, ca_bundle);
	*out = c;
	return 0;
}

int cf_client_call(struct cf_client *c, const char *path, const char *body,
		   double timeout, struct cf_reply *reply, struct err *e)
{
	struct strbuf url = STRBUF_INIT;
	struct exchange x;
	long status = 0, ms;
	CURLcode rc;

	memset(reply, 0, sizeof(*reply));
	memset(&x, 0, sizeof(x));
	strbuf_init(&x.body);
	x.lc = c->lc;
	x.retry_after = -1;
	strbuf_addf(&url, "%s/%s", c->api_url, path);
	c->errbuf[0] = '\0';
	ms = timeout < 0.001 ? 1 : (long)(timeout * 1000);
	c->lc->easy_setopt(c->curl, CURLOPT_URL, url.buf);
	c->lc->easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, ms);
	if (ms < 10000)
		c->lc->easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, ms);
	if (body) {
		c->lc->easy_setopt(c->curl, CURLOPT_POST, 1L);
		c->lc->easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
		c->lc->easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE,
				 (long)strlen(body));
	} else {
		c->lc->easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	}
	c->lc->easy_setopt(c->curl, CURLOPT_WRITEDATA, &x);
	c->lc->easy_setopt(c->curl, CURLOPT_HEADERDATA, &x);
	rc = c->lc->easy_perform(c->curl);
	if (rc != CURLE_OK) {
		if (x.too_large)
			err_set(e, "the answer from '%s' is larger than %d MiB, "
				"more than any Cloudflare answer; not read",
				url.buf, MAX_REPLY >> 20);
		else if (rc == CURLE_OUT_OF_MEMORY || rc == CURLE_TOO_LARGE)
			/*
			 * libcurl refuses a header line over 100 KB this way
			 * (CURLE_TOO_LARGE since 8.6); a real lack of memory
			 * would have stopped this program long before.
			 */
			err_set(e, "the answer from '%s' has a header too "
				"large for libcurl (a line over 100 KB, or "
				"over 300 KB in all); not read", url.buf);
		else
			err_set(e, "cannot reach '%s': %s", url.buf,
				c->errbuf[0] ? c->errbuf :
				c->lc->easy_strerror(rc));
		strbuf_release(&url);
		strbuf_release(&x.body);
		free(x.location);
		return -1;
	}
	c->lc->easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	cf_reply_parse(reply, status, strbuf_str(&x.body), x.body.len);
	reply->retry_after = x.retry_after;
	reply->location = x.location;
	strbuf_release(&url);
	strbuf_release(&x.body);
	return 0;
}

void cf_client_free(struct cf_client *c)
{
	struct curl_slist *h;

	if (!c)
		return;
	for (h = c->headers; h; h = h->next)
		wipe_string(h->data);
	c->lc->slist_free_all(c->headers);
	if (c->curl)
		c->lc->easy_cleanup(c->curl);
	free(c->api_url);
	free(c);
}
