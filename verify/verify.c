#include "verify.h"
#include "fetch.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void verify_list_add(struct verify_list *l, const char *url,
		     const char *path, const struct verify_expect *x)
{
	struct verify_item *it;

	if (l->n == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 16;
		l->v = xrealloc(l->v, l->alloc * sizeof(*l->v));
	}
	it = &l->v[l->n++];
	memset(it, 0, sizeof(*it));
	it->url = xstrdup(url);
	it->path = path ? xstrdup(path) : NULL;
	it->expect = *x;
	it->seq = l->n - 1;
}

static int by_url_then_seq(const void *a, const void *b)
{
	const struct verify_item *x = a, *y = b;
	int c = strcmp(x->url, y->url);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int by_seq(const void *a, const void *b)
{
	const struct verify_item *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void verify_list_dedupe(struct verify_list *l)
{
	size_t i, kept = 0;

	if (l->n < 2)
		return;
	qsort(l->v, l->n, sizeof(*l->v), by_url_then_seq);
	for (i = 0; i < l->n; i++) {
		if (kept && !strcmp(l->v[kept - 1].url, l->v[i].url)) {
			free(l->v[i].url);
			free(l->v[i].path);
			continue;
		}
		l->v[kept++] = l->v[i];
	}
	l->n = kept;
	qsort(l->v, l->n, sizeof(*l->v), by_seq);
}

static void item_forget_answer(struct verify_item *it)
{
	free(it->cache_status);
	free(it->age);
	free(it->cf_ray);
	free(it->detail);
	it->cache_status = it->age = it->cf_ray = it->detail = NULL;
	it->status = 0;
}

void verify_list_clear(struct verify_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		item_forget_answer(&l->v[i]);
		free(l->v[i].url);
		free(l->v[i].path);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}

static void fetch_opts_from(struct fetch_opts *f, const struct verify_opts *o)
{
	const struct config *c = o->config;

	f->concurrency = c->verify_concurrency;
	f->rate = c->verify_rate;
	f->connect_to = c->verify_connect_to;
	f->ca_bundle = c->verify_ca_bundle ? c->verify_ca_bundle :
		       c->ca_bundle;
	f->timeout = c->timeout;
	f->deadline = o->deadline;
}

/* Parses an Age header: whole seconds; -1 when absent or not a number. */
static double parse_age(const char *s)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	v = strtod(s, &end);
	return *end || v < 0 ? -1 : v;
}

/* Judges the answer q for item it, taking q's headers. */
static void judge(struct verify_item *it, struct fetch_req *q,
		  const struct verify_opts *o)
{
	struct verify_answer a;
	double since = o->since_purge_at > 0 ?
		       (double)time(NULL) - o->since_purge_at : -1;

	item_forget_answer(it);
	it->checks++;
	memset(&a, 0, sizeof(a));
	a.status = q->status;
	a.age = parse_age(q->age);
	a.cache_hit = q->cache_status && !strcasecmp(q->cache_status, "HIT");
	if (q->status && !q->truncated &&
	    verdict_body_id(&a.body_id, q->body.buf, q->body.len) == 0)
		a.hashed = 1;
	it->verdict = verdict_of(&it->expect, &a,
				 o->config->verify_compare_status, since);
	it->status = q->status;
	it->cache_status = q->cache_status;
	it->age = q->age;
	it->cf_ray = q->cf_ray;
	q->cache_status = q->age = q->cf_ray = NULL;
	if (q->error)
		it->detail = xstrdup(q->error);
	else if (q->location && q->status >= 300 && q->status < 400)
		it->detail = xasprintf("redirects to '%s'%s", q->location,
				       fetch_same_origin(q->location, it->url) ?
				       "" : ", another host: not followed");
	else if (q->truncated)
		it->detail = xstrdup("the body is too large to compare");
}

int verify_check(struct verify_list *l, int only_stale,
		 const struct verify_opts *o, struct err *e)
{
	struct fetch_opts f;
	struct fetch_req *reqs;
	size_t *which, n = 0, i;
	int rc;

	reqs = xcalloc(l->n ? l->n : 1, sizeof(*reqs));
	which = xcalloc(l->n ? l->n : 1, sizeof(*which));
	for (i = 0; i < l->n; i++) {
		if (only_stale && (l->v[i].verdict != VERDICT_STALE ||
				   l->v[i].not_deployed))
			continue;
		reqs[n].url = l->v[i].url;
		reqs[n].keep_body = 1;
		which[n++] = i;
	}
	fetch_opts_from(&f, o);
	rc = fetch_all(reqs, n, &f, e);
	for (i = 0; i < n; i++) {
		if (rc == 0)
			judge(&l->v[which[i]], &reqs[i], o);
		fetch_req_release(&reqs[i]);
	}
	free(reqs);
	free(which);
	return rc;
}

int verify_origin(struct verify_list *l, const struct verify_opts *o,
		  struct err *e)
{
	struct fetch_opts f;
	struct fetch_req *reqs;
	struct strvec urls = STRVEC_INIT;
	size_t *which, n = 0, i;
	unsigned long tag = (unsigned long)time(NULL) ^
			    ((unsigned long)mono_now() << 8);
	int rc, found = 0;

	reqs = xcalloc(l->n ? l->n : 1, sizeof(*reqs));
	which = xcalloc(l->n ? l->n : 1, sizeof(*which));
	for (i = 0; i < l->n; i++) {
		const struct verify_item *it = &l->v[i];

		if (it->verdict != VERDICT_STALE || !it->expect.known_old)
			continue;
		/*
		 * A query string of our own makes a cache key that nothing
		 * holds, so the edge must ask the origin (Cloudflare's default
		 * cache key includes the query string).
		 */
		strvec_pushf(&urls, "%s%scfph-verify=%lx", it->url,
			     strchr(it->url, '?') ? "&" : "?", tag);
		reqs[n].keep_body = 1;
		which[n++] = i;
	}
	for (i = 0; i < n; i++)
		reqs[i].url = urls.v[i];
	fetch_opts_from(&f, o);
	rc = fetch_all(reqs, n, &f, e);
	for (i = 0; i < n; i++) {
		struct verify_item *it = &l->v[which[i]];
		git_oid id;

		if (rc == 0 && reqs[i].status >= 200 && reqs[i].status < 300 &&
		    !reqs[i].truncated &&
		    verdict_body_id(&id, reqs[i].body.buf,
				    reqs[i].body.len) == 0 &&
		    git_oid_equal(&id, &it->expect.old_id)) {
			it->not_deployed = 1;
			found++;
		}
		fetch_req_release(&reqs[i]);
	}
	free(reqs);
	free(which);
	strvec_clear(&urls);
	return rc < 0 ? -1 : found;
}

int verify_warm(const struct strvec *urls, const struct verify_opts *o,
		size_t *ok, struct strvec *failed, struct err *e)
{
	struct fetch_opts f;
	struct fetch_req *reqs = xcalloc(urls->n ? urls->n : 1, sizeof(*reqs));
	size_t i;
	int rc;

	for (i = 0; i < urls->n; i++)
		reqs[i].url = urls->v[i];
	fetch_opts_from(&f, o);
	rc = fetch_all(reqs, urls->n, &f, e);
	for (i = 0; i < urls->n; i++) {
		if (rc == 0 && reqs[i].status >= 200 && reqs[i].status < 400)
			(*ok)++;
		else if (rc == 0 && reqs[i].error)
			strvec_pushf(failed, "cannot warm '%s': %s",
				     urls->v[i], reqs[i].error);
		else if (rc == 0)
			strvec_pushf(failed, "cannot warm '%s': the edge "
				     "answered %ld", urls->v[i],
				     reqs[i].status);
		fetch_req_release(&reqs[i]);
	}
	free(reqs);
	return rc;
}

void verify_count(const struct verify_list *l, size_t counts[6])
{
	size_t i;

	memset(counts, 0, 6 * sizeof(*counts));
	for (i = 0; i < l->n; i++)
		counts[l->v[i].verdict]++;
}

void verify_result_free(struct verify_result *v)
{
	if (!v)
		return;
	verify_list_clear(&v->items);
	strvec_clear(&v->warm_failed);
	strvec_clear(&v->notes);
	strvec_clear(&v->problems);
	free(v);
}
