#include "batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void batch_list_push(struct batch_list *l, struct batch *b)
{
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 8;
		l->v = xrealloc(l->v, l->alloc * sizeof(*l->v));
	}
	l->v[l->n++] = *b;
	memset(b, 0, sizeof(*b));
}

void batch_release(struct batch *b)
{
	cJSON_Delete(b->items);
	free(b->zone_id);
	free(b->zone_name);
	free(b->last_error);
	memset(b, 0, sizeof(*b));
}

void batch_list_clear(struct batch_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		batch_release(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}

static void start(struct batch *b, enum purge_kind kind, const char *zone_id,
		  const char *zone_name, double now)
{
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->items = kind == PURGE_EVERYTHING ? NULL : need(cJSON_CreateArray());
	b->zone_id = zone_id ? xstrdup(zone_id) : NULL;
	b->zone_name = zone_name ? xstrdup(zone_name) : NULL;
	b->first_planned = now;
}

/* Adds item to the batch being filled, starting a new one when full. */
static void add_item(struct batch_list *out, struct batch *cur, cJSON *item,
		     size_t max, const char *zone_id, const char *zone_name,
		     double now)
{
	if (cur->items && (size_t)cJSON_GetArraySize(cur->items) >= max) {
		enum purge_kind kind = cur->kind;

		batch_list_push(out, cur);
		start(cur, kind, zone_id, zone_name, now);
	}
	cJSON_AddItemToArray(cur->items, item);
}

static void flush(struct batch_list *out, struct batch *cur)
{
	if (cur->items && cJSON_GetArraySize(cur->items) > 0)
		batch_list_push(out, cur);
	else
		batch_release(cur);
}

/* {"url": url, "headers": {...}} for one variant "H: v; H: v". */
static cJSON *variant_item(const char *url, const char *variant)
{
	cJSON *o = need(cJSON_CreateObject());
	cJSON *h;
	const char *p = variant;

	need(cJSON_AddStringToObject(o, "url", url));
	h = need(cJSON_AddObjectToObject(o, "headers"));
	while (*p) {
		const char *colon = strchr(p, ':');
		const char *end = strstr(p, "; ");
		char *name, *value;

		if (!colon)
			break;
		if (!end)
			end = p + strlen(p);
		name = xstrndup(p, (size_t)(colon - p));
		value = xstrndup(colon + 2, (size_t)(end - colon - 2));
		need(cJSON_AddStringToObject(h, name, value));
		free(name);
		free(value);
		p = *end ? end + 2 : end;
	}
	return o;
}

/*
 * One URL with no headers. Cloudflare's schema has two forms of "files":
 * all strings, or all {"url", "headers"} objects, where both members may
 * be left out. A request never mixes them, so when [site] variants are
 * set, and objects carry their headers, the plain URL is {"url": url}
 * too: one request of one form, no more requests than before.
 */
static cJSON *plain_item(const char *url, int as_object)
{
	cJSON *o;

	if (!as_object)
		return need(cJSON_CreateString(url));
	o = need(cJSON_CreateObject());
	need(cJSON_AddStringToObject(o, "url", url));
	return o;
}

/*
 * Makes every item of a files array an object when any one is: spool
 * files written before the two forms were kept apart may mix them.
 */
static void one_form(cJSON *files)
{
	cJSON *it, *next;
	int any_object = 0;

	cJSON_ArrayForEach(it, files)
		any_object |= cJSON_IsObject(it);
	if (!any_object)
		return;
	for (it = files->child; it; it = next) {
		next = it->next;
		if (cJSON_IsString(it))
			cJSON_ReplaceItemViaPointer(files, it,
				plain_item(it->valuestring, 1));
	}
}

static void add_list(struct batch_list *out, const struct strvec *sv,
		     enum purge_kind kind, size_t max, const char *zone_id,
		     const char *zone_name, double now)
{
	struct batch cur;
	size_t i;

	start(&cur, kind, zone_id, zone_name, now);
	for (i = 0; i < sv->n; i++)
		add_item(out, &cur, need(cJSON_CreateString(sv->v[i])), max,
			 zone_id, zone_name, now);
	flush(out, &cur);
}

/* The host of a URL or scheme-less prefix, without a port. */
static const char *item_host(const char *item, size_t *len)
{
	const char *p = strstr(item, "://");

	p = p ? p + 3 : item;
	*len = strcspn(p, "/:");
	return p;
}

/* 1 when item's host goes to zone number zi (0 is [cloudflare]'s). */
static int in_zone(const struct config *c, const char *item, int is_host,
		   size_t zi)
{
	size_t len;
	const char *host = is_host ? item : item_host(item, &len);

	if (is_host)
		len = strlen(item);
	return config_zone_index(c, host, len) == zi;
}

/* The items of sv that go to zone zi, borrowed into out. */
static void pick(struct strvec *out, const struct strvec *sv,
		 const struct config *c, int is_host, size_t zi)
{
	size_t i;

	out->n = 0;
	for (i = 0; i < sv->n; i++)
		if (in_zone(c, sv->v[i], is_host, zi)) {
			if (out->n == out->alloc) {
				out->alloc = out->alloc ? out->alloc * 2 : 16;
				out->v = xrealloc(out->v,
						  out->alloc * sizeof(*out->v));
			}
			out->v[out->n++] = sv->v[i];
		}
}

static void zone_batches(struct batch_list *out, const struct plan *p,
			 const struct config *c, const char *zone_id,
			 const char *zone_name, size_t zi, double now)
{
	struct strvec files = STRVEC_INIT, prefixes = STRVEC_INIT,
		      hosts = STRVEC_INIT;
	struct batch cur;
	size_t i, j;

	if (p->everything) {
		start(&cur, PURGE_EVERYTHING, zone_id, zone_name, now);
		batch_list_push(out, &cur);
		return;
	}
	pick(&files, &p->files, c, 0, zi);
	pick(&prefixes, &p->prefixes, c, 0, zi);
	pick(&hosts, &p->hosts, c, 1, zi);
	start(&cur, PURGE_FILES, zone_id, zone_name, now);
	for (i = 0; i < files.n; i++) {
		add_item(out, &cur, plain_item(files.v[i], c->variants.n > 0),
			 (size_t)c->files_per_request, zone_id, zone_name, now);
		for (j = 0; j < c->variants.n; j++)
			add_item(out, &cur,
				 variant_item(files.v[i], c->variants.v[j]),
				 (size_t)c->files_per_request, zone_id,
				 zone_name, now);
	}
	flush(out, &cur);
	add_list(out, &prefixes, PURGE_PREFIXES, (size_t)c->items_per_request,
		 zone_id, zone_name, now);
	/* Tags are not tied to a host: every zone of the site gets them. */
	add_list(out, &p->tags, PURGE_TAGS, (size_t)c->items_per_request,
		 zone_id, zone_name, now);
	add_list(out, &hosts, PURGE_HOSTS, (size_t)c->items_per_request,
		 zone_id, zone_name, now);
	/* The strings are borrowed: free only the arrays. */
	free(files.v);
	free(prefixes.v);
	free(hosts.v);
}

void batches_from_plan(struct batch_list *out, const struct plan *p,
		       const struct config *c, const char *zone_id,
		       const char *zone_name, double now)
{
	size_t zi;

	zone_batches(out, p, c, zone_id, zone_name, 0, now);
	for (zi = 1; zi <= c->n_zones; zi++)
		zone_batches(out, p, c, c->zones[zi - 1].zone_id, NULL, zi,
			     now);
}

size_t batch_size(const struct batch *b)
{
	return b->items ? (size_t)cJSON_GetArraySize(b->items) : 1;
}

void batch_copy(struct batch *dst, const struct batch *src)
{
	*dst = *src;
	dst->items = src->items ? need(cJSON_Duplicate(src->items, 1)) : NULL;
	dst->zone_id = src->zone_id ? xstrdup(src->zone_id) : NULL;
	dst->zone_name = src->zone_name ? xstrdup(src->zone_name) : NULL;
	dst->last_error = src->last_error ? xstrdup(src->last_error) : NULL;
}

void batch_split(const struct batch *b, struct batch *lo, struct batch *hi)
{
	int n = cJSON_GetArraySize(b->items), half = n / 2, i;
	cJSON *item;

	batch_copy(lo, b);
	batch_copy(hi, b);
	cJSON_Delete(lo->items);
	cJSON_Delete(hi->items);
	lo->items = need(cJSON_CreateArray());
	hi->items = need(cJSON_CreateArray());
	i = 0;
	cJSON_ArrayForEach(item, b->items) {
		cJSON_AddItemToArray(i++ < half ? lo->items : hi->items,
				     need(cJSON_Duplicate(item, 1)));
	}
}

cJSON *batch_body(const struct batch *b)
{
	cJSON *obj = need(cJSON_CreateObject());

	if (b->kind == PURGE_EVERYTHING)
		need(cJSON_AddTrueToObject(obj, "purge_everything"));
	else
		cJSON_AddItemToObject(obj, purge_kind_key(b->kind),
				      need(cJSON_Duplicate(b->items, 1)));
	return obj;
}

char *batch_body_text(const struct batch *b)
{
	cJSON *obj = batch_body(b);
	char *s = need(cJSON_PrintUnformatted(obj));

	cJSON_Delete(obj);
	return s;
}

int batch_from_body(struct batch *b, const cJSON *body, struct err *e)
{
	static const enum purge_kind kinds[] = {
		PURGE_FILES, PURGE_PREFIXES, PURGE_TAGS, PURGE_HOSTS
	};
	const cJSON *v;
	size_t i;

	memset(b, 0, sizeof(*b));
	if (!cJSON_IsObject(body) || cJSON_GetArraySize(body) != 1)
		return err_set(e, "the body is not an object with one key");
	v = cJSON_GetObjectItemCaseSensitive(body, "purge_everything");
	if (v) {
		if (!cJSON_IsTrue(v))
			return err_set(e, "purge_everything is not true");
		b->kind = PURGE_EVERYTHING;
		return 0;
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		v = cJSON_GetObjectItemCaseSensitive(body,
						     purge_kind_key(kinds[i]));
		if (!v)
			continue;
		if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1)
			return err_set(e, "'%s' is not a non-empty array",
				       purge_kind_key(kinds[i]));
		b->kind = kinds[i];
		b->items = need(cJSON_Duplicate(v, 1));
		if (b->kind == PURGE_FILES)
			one_form(b->items);
		return 0;
	}
	return err_set(e, "the body has no files, prefixes, tags, hosts or "
		       "purge_everything");
}

void batch_describe(struct strbuf *sb, const struct batch *b)
{
	size_t n = batch_size(b);

	switch (b->kind) {
	case PURGE_FILES:
		strbuf_addf(sb, "%zu %s", n, n == 1 ? "URL" : "URLs");
		break;
	case PURGE_PREFIXES:
		strbuf_addf(sb, "%zu %s", n, n == 1 ? "prefix" : "prefixes");
		break;
	case PURGE_TAGS:
		strbuf_addf(sb, "%zu %s", n, n == 1 ? "tag" : "tags");
		break;
	case PURGE_HOSTS:
		strbuf_addf(sb, "%zu %s", n, n == 1 ? "host" : "hosts");
		break;
	case PURGE_EVERYTHING:
		strbuf_addstr(sb, "everything");
		break;
	}
}
