#include "fetch.h"

#include "../purge/libcurl.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef CFPH_VERSION
#define CFPH_VERSION "0.1.0"
#endif

/* One handle at work, and the request it serves. */
struct slot {
	CURL *curl;
	struct fetch_req *q;
	char errbuf[CURL_ERROR_SIZE];
};

void fetch_req_release(struct fetch_req *q)
{
	strbuf_release(&q->body);
	free(q->final_url);
	free(q->cache_status);
	free(q->age);
	free(q->cf_ray);
	free(q->location);
	free(q->error);
	q->final_url = q->cache_status = q->age = q->cf_ray = NULL;
	q->location = q->error = NULL;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *user)
{
	struct fetch_req *q = user;
	size_t n = size * nmemb;

	if (!q->keep_body)
		return n;
	if (q->body.len + n > FETCH_MAX_BODY) {
		q->truncated = 1;
		return n;
	}
	strbuf_add(&q->body, ptr, n);
	return n;
}

/* The length of "scheme://authority" at the start of url, or 0. */
static size_t origin_len(const char *url)
{
	const char *p = strstr(url, "://");

	if (!p || p == url)
		return 0;
	p += 3;
	return (size_t)(p - url) + strcspn(p, "/?#");
}

int fetch_same_origin(const char *a, const char *b)
{
	size_t na = origin_len(a), nb = origin_len(b);

	return na && na == nb && !strncasecmp(a, b, na);
}

/* A copy of the first value of header name in the last answer, or NULL. */
static char *header(const struct libcurl *lc, CURL *curl, const char *name)
{
	struct curl_header *h = NULL;

	if (lc->easy_header(curl, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK ||
	    !h || !h->value)
		return NULL;
	return xstrdup(h->value);
}

/*
 * Sets up s's handle for q's URL (or where a redirect points). Returns 0,
 * or -1 when libcurl refuses the URL.
 */
static int prepare(const struct libcurl *lc, struct slot *s,
		   const struct fetch_opts *o, struct curl_slist *connect_to,
		   const char *url)
{
	double left = o->deadline - mono_now();
	double t = left < o->timeout ? left : o->timeout;
	long ms = t > 0.001 ? (long)(t * 1000) : 1;

	s->errbuf[0] = '\0';
	if (lc->easy_setopt(s->curl, CURLOPT_URL, url) != CURLE_OK)
		return -1;
	lc->easy_setopt(s->curl, CURLOPT_TIMEOUT_MS, ms);
	lc->easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT_MS, ms < 10000 ?
			ms : 10000L);
	lc->easy_setopt(s->curl, CURLOPT_HTTPGET, 1L);
	lc->easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	/*
	 * Redirects are looked at one by one (fetch_all), so that none
	 * leads to another host.
	 */
	lc->easy_setopt(s->curl, CURLOPT_FOLLOWLOCATION, 0L);
	lc->easy_setopt(s->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	lc->easy_setopt(s->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	lc->easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	/* "" asks for every encoding this libcurl decodes, as browsers do. */
	lc->easy_setopt(s->curl, CURLOPT_ACCEPT_ENCODING, "");
	lc->easy_setopt(s->curl, CURLOPT_USERAGENT,
			"cf-purge-hook/" CFPH_VERSION " (verify)");
	lc->easy_setopt(s->curl, CURLOPT_ERRORBUFFER, s->errbuf);
	lc->easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, on_data);
	lc->easy_setopt(s->curl, CURLOPT_WRITEDATA, s->q);
	lc->easy_setopt(s->curl, CURLOPT_PRIVATE, (void *)s);
	if (connect_to)
		lc->easy_setopt(s->curl, CURLOPT_CONNECT_TO, connect_to);
	if (o->ca_bundle)
		lc->easy_setopt(s->curl, CURLOPT_CAINFO, o->ca_bundle);
	return 0;
}

/* Fills in q from the finished transfer of s; 1 when it must go on
 * (a redirect within the host), with the next URL in *next. */
static int finish(const struct libcurl *lc, struct slot *s, CURLcode rc,
		  char **next)
{
	struct fetch_req *q = s->q;
	char *redirect = NULL;
	long status = 0;

	*next = NULL;
	if (rc != CURLE_OK) {
		free(q->error);
		q->error = xstrdup(s->errbuf[0] ? s->errbuf :
				   lc->easy_strerror(rc));
		q->status = 0;
		return 0;
	}
	lc->easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
	q->status = status;
	free(q->cache_status);
	free(q->age);
	free(q->cf_ray);
	q->cache_status = header(lc, s->curl, "cf-cache-status");
	q->age = header(lc, s->curl, "age");
	q->cf_ray = header(lc, s->curl, "cf-ray");
	if (status < 300 || status > 399)
		return 0;
	lc->easy_getinfo(s->curl, CURLINFO_REDIRECT_URL, &redirect);
	free(q->location);
	q->location = redirect ? xstrdup(redirect) : NULL;
	if (!redirect || q->redirects >= FETCH_MAX_REDIRECTS ||
	    !fetch_same_origin(redirect, q->url))
		return 0;
	q->redirects++;
	*next = xstrdup(redirect);
	return 1;
}

/* The slist for CURLOPT_CONNECT_TO: every host and port goes to HOST:PORT. */
static struct curl_slist *connect_list(const struct libcurl *lc,
				       const char *to)
{
	struct curl_slist *l;
	char *entry;

	if (!to)
		return NULL;
	entry = xasprintf("::%s", to);
	l = lc->slist_append(NULL, entry);
	free(entry);
	return l;
}

int fetch_all(struct fetch_req *v, size_t n, const struct fetch_opts *o,
	      struct err *e)
{
	const struct libcurl *lc;
	struct curl_slist *to;
	struct slot *slots;
	CURLM *multi;
	size_t next = 0, i, width;
	double gap = o->rate > 0 ? 1.0 / o->rate : 0, next_start;
	int active = 0;

	for (i = 0; i < n; i++) {
		strbuf_init(&v[i].body);
		v[i].status = 0;
		v[i].truncated = 0;
		v[i].redirects = 0;
		v[i].final_url = v[i].cache_status = v[i].age = NULL;
		v[i].cf_ray = v[i].location = v[i].error = NULL;
	}
	if (!n)
		return 0;
	if (libcurl_load(&lc, e) < 0)
		return -1;
	multi = lc->multi_init();
	if (!multi)
		return err_set(e, "cannot make a libcurl multi handle");
	width = o->concurrency > 0 ? (size_t)o->concurrency : 1;
	if (width > n)
		width = n;
	slots = xcalloc(width, sizeof(*slots));
	to = connect_list(lc, o->connect_to);
	next_start = mono_now();

	for (;;) {
		CURLMsg *msg;
		int queued, running = 0, numfds = 0;
		double now = mono_now(), wait;
		int stop = now >= o->deadline || cfph_interrupted;

		/* Start what the concurrency and the rate allow. */
		for (i = 0; !stop && i < width && next < n; i++) {
			struct slot *s = &slots[i];

			if (s->q || now < next_start)
				continue;
			if (!s->curl)
				s->curl = lc->easy_init();
			if (!s->curl) {
				v[next++].error = xstrdup("cannot make a "
							  "libcurl handle");
				continue;
			}
			s->q = &v[next++];
			if (prepare(lc, s, o, to, s->q->url) < 0) {
				s->q->error = xstrdup("libcurl refused the "
						      "URL");
				s->q = NULL;
				continue;
			}
			lc->multi_add_handle(multi, s->curl);
			active++;
			/*
			 * Spaced from this start, not from when it was due:
			 * a start that came late (a slow transfer before it
			 * at concurrency 1) must not let the next ones
			 * catch up in a burst above the rate.
			 */
			next_start = now + gap;
		}
		if (!active && (next >= n || stop))
			break;
		if (stop) {
			/* What is in flight is given up, and said so. */
			for (i = 0; i < width; i++) {
				if (!slots[i].q)
					continue;
				lc->multi_remove_handle(multi, slots[i].curl);
				free(slots[i].q->error);
				slots[i].q->error = xstrdup(cfph_interrupted ?
					"interrupted by a signal" :
					"the run's deadline passed");
				slots[i].q->status = 0;
				slots[i].q = NULL;
			}
			active = 0;
			continue;
		}
		lc->multi_perform(multi, &running);
		while ((msg = lc->multi_info_read(multi, &queued))) {
			struct slot *s = NULL;
			char *redirect;

			if (msg->msg != CURLMSG_DONE)
				continue;
			lc->easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
					 (char **)&s);
			lc->multi_remove_handle(multi, s->curl);
			if (finish(lc, s, msg->data.result, &redirect)) {
				struct fetch_req *q = s->q;

				strbuf_setlen(&q->body, 0);
				q->truncated = 0;
				free(q->final_url);
				q->final_url = redirect;
				if (prepare(lc, s, o, to, redirect) == 0) {
					lc->multi_add_handle(multi, s->curl);
					continue;
				}
			}
			s->q = NULL;
			active--;
		}
		/*
		 * Wait for the transfers, or until the rate lets the next
		 * request start, whichever comes first; never past the
		 * deadline, and never long, so that a signal is seen soon.
		 */
		now = mono_now();
		wait = 0.1;
		if (next < n && active < (int)width && next_start - now < wait)
			wait = next_start - now;
		if (o->deadline - now < wait)
			wait = o->deadline - now;
		if (wait > 0.001 && active)
			lc->multi_poll(multi, NULL, 0, (int)(wait * 1000) + 1,
				       &numfds);
		else if (wait > 0.001)
			sleep_seconds(wait);
	}
	/* What was never started is said so too. */
	for (; next < n; next++)
		if (!v[next].error)
			v[next].error = xstrdup(cfph_interrupted ?
				"interrupted by a signal" :
				"the run's deadline passed");
	for (i = 0; i < width; i++)
		if (slots[i].curl)
			lc->easy_cleanup(slots[i].curl);
	free(slots);
	if (to)
		lc->slist_free_all(to);
	lc->multi_cleanup(multi);
	return 0;
}
