#include "plan.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static size_t str_hash(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static void set_clear(struct plan_set *set)
{
	free(set->slot);
	set->slot = NULL;
	set->cap = set->n = 0;
}

/* 1 when s was in the set already; otherwise adds it and returns 0. */
static int set_add(struct plan_set *set, const char *s)
{
	size_t i;

	if (set->n * 2 >= set->cap) {
		struct plan_set bigger;

		bigger.cap = set->cap ? set->cap * 2 : 64;
		bigger.n = 0;
		bigger.slot = xcalloc(bigger.cap, sizeof(*bigger.slot));
		for (i = 0; i < set->cap; i++)
			if (set->slot[i])
				set_add(&bigger, set->slot[i]);
		free(set->slot);
		*set = bigger;
	}
	for (i = str_hash(s) & (set->cap - 1); set->slot[i];
	     i = (i + 1) & (set->cap - 1))
		if (!strcmp(set->slot[i], s))
			return 1;
	set->slot[i] = s;
	set->n++;
	return 0;
}

/* Pushes item to sv unless set says sv holds it already. */
static void add_once(struct strvec *sv, struct plan_set *set,
		     const char *item)
{
	char *copy = xstrdup(item);

	if (set_add(set, copy)) {
		free(copy);
		return;
	}
	strvec_push_owned(sv, copy);
}

void plan_add(struct plan *p, enum purge_kind kind, const char *item)
{
	switch (kind) {
	case PURGE_FILES:
		strvec_push(&p->files, item);
		break;
	case PURGE_PREFIXES:
		add_once(&p->prefixes, &p->seen[0], item);
		break;
	case PURGE_TAGS:
		add_once(&p->tags, &p->seen[1], item);
		break;
	case PURGE_HOSTS:
		add_once(&p->hosts, &p->seen[2], item);
		break;
	case PURGE_EVERYTHING:
		p->everything = 1;
		break;
	}
}

static int sorted_has(const struct strvec *sv, const char *s, size_t len)
{
	size_t lo = 0, hi = sv->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strncmp(sv->v[mid], s, len);

		if (c == 0 && sv->v[mid][len] != '\0')
			c = 1;
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* The item without "http://" or "https://". */
static const char *strip_scheme(const char *s)
{
	const char *p = strstr(s, "://");

	return p ? p + 3 : s;
}

/*
 * 1 when a host or a prefix of the plan covers s, a scheme-less
 * "host/path". Both lists are sorted, so each candidate costs one binary
 * search: the host, and every leading part of s that ends just before or
 * just after a '/'. A prefix equal to s covers it only when allow_equal is
 * set, so that a prefix is never dropped for covering itself.
 */
static int covered(const struct plan *p, const char *s, int allow_equal)
{
	size_t len = strlen(s), i;

	if (sorted_has(&p->hosts, s, strcspn(s, "/")))
		return 1;
	for (i = 1; i < len; i++) {
		if (s[i] != '/')
			continue;
		if (sorted_has(&p->prefixes, s, i))
			return 1;
		if (i + 1 < len && sorted_has(&p->prefixes, s, i + 1))
			return 1;
	}
	return allow_equal && sorted_has(&p->prefixes, s, len);
}

/*
 * Drops the items of sv that the plan covers. All verdicts are taken
 * before anything is removed, because sv may be the list of prefixes that
 * the verdicts are read from.
 */
static void drop_covered(struct plan *p, struct strvec *sv, int is_url)
{
	unsigned char *drop;
	size_t i, j;

	/* Only a host or a prefix covers anything. */
	if (!p->hosts.n && !p->prefixes.n)
		return;
	drop = xcalloc(sv->n ? sv->n : 1, 1);
	for (i = 0; i < sv->n; i++)
		drop[i] = (unsigned char)covered(p, is_url ? strip_scheme(sv->v[i])
						       : sv->v[i], is_url);
	for (i = 0, j = 0; i < sv->n; i++) {
		if (drop[i])
			free(sv->v[i]);
		else
			sv->v[j++] = sv->v[i];
	}
	sv->n = j;
	free(drop);
}

void plan_finish(struct plan *p)
{
	/*
	 * Sorting and dropping free and move strings: the sets are for
	 * adding only, so they go; a later plan_add starts them anew (and
	 * sorting removes any duplicate that then slips in).
	 */
	set_clear(&p->seen[0]);
	set_clear(&p->seen[1]);
	set_clear(&p->seen[2]);
	strvec_sort_unique(&p->files);
	strvec_sort_unique(&p->prefixes);
	strvec_sort_unique(&p->tags);
	strvec_sort_unique(&p->hosts);
	if (p->everything) {
		strvec_clear(&p->files);
		strvec_clear(&p->prefixes);
		strvec_clear(&p->tags);
		strvec_clear(&p->hosts);
		return;
	}
	drop_covered(p, &p->files, 1);
	/* A covering prefix is shorter than what it covers, so it stays. */
	drop_covered(p, &p->prefixes, 0);
}

int plan_empty(const struct plan *p)
{
	return !p->everything && !p->files.n && !p->prefixes.n &&
	       !p->tags.n && !p->hosts.n;
}

/* The length of the scheme-less "host/folder/" part of a file URL. */
static size_t folder_len(const char *url)
{
	const char *s = strip_scheme(url);
	const char *slash = strrchr(s, '/');

	return slash ? (size_t)(slash - s) + 1 : 0;
}

struct folder_ref {
	const char *key;	/* scheme-less, points into a URL */
	size_t len;
};

static int cmp_folder(const void *a, const void *b)
{
	const struct folder_ref *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->key, y->key, n);

	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

void plan_collapse(struct plan *p, size_t threshold)
{
	struct folder_ref *refs;
	size_t i, j, n = p->files.n;

	if (!threshold || p->everything || n <= threshold)
		return;
	refs = xcalloc(n, sizeof(*refs));
	for (i = 0; i < n; i++) {
		refs[i].key = strip_scheme(p->files.v[i]);
		refs[i].len = folder_len(p->files.v[i]);
	}
	qsort(refs, n, sizeof(*refs), cmp_folder);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && !cmp_folder(&refs[i], &refs[j]); j++)
			;
		if (j - i > threshold && refs[i].len) {
			char *prefix = xstrndup(refs[i].key, refs[i].len);
			size_t k, slashes = 0;

			for (k = 0; prefix[k]; k++)
				if (prefix[k] == '/' && ++slashes == 31) {
					prefix[k + 1] = '\0';
					break;
				}
			strvec_pushf(&p->notes, "collapsed %zu URLs into the "
				     "prefix %s (more than collapse_threshold "
				     "= %zu)", j - i, prefix, threshold);
			strvec_push_owned(&p->prefixes, prefix);
		}
	}
	free(refs);
	plan_finish(p);
}

int plan_cap(struct plan *p, size_t max_urls, int fail, struct err *e)
{
	if (p->everything || p->files.n <= max_urls)
		return 0;
	if (fail)
		return err_set(e, "%zu URLs is more than [plan] max_urls = %zu "
			       "and fallback = fail: purged nothing; purge by "
			       "hand, or raise max_urls", p->files.n, max_urls);
	strvec_pushf(&p->notes, "purging everything: %zu URLs is more than "
		     "[plan] max_urls = %zu (fallback = everything)",
		     p->files.n, max_urls);
	plan_add(p, PURGE_EVERYTHING, NULL);
	plan_finish(p);
	return 0;
}

/*
 * Cuts a scheme-less prefix back to its parent folder, in place:
 * "example.com/a/b/" and "example.com/a/b" become "example.com/a/".
 * Returns 0 when it is already one folder below its host, or shallower.
 */
static int cut_to_parent(char *prefix)
{
	size_t n = strlen(prefix);
	char *end = n && prefix[n - 1] == '/' ? prefix + n - 1 : prefix + n;
	char *first = strchr(prefix, '/'), *slash = NULL, *c;

	for (c = prefix; c < end; c++)
		if (*c == '/')
			slash = c;
	if (!slash || slash == first)
		return 0;
	slash[1] = '\0';
	return 1;
}

static size_t items_of(const struct plan *p)
{
	return p->prefixes.n + p->tags.n + p->hosts.n;
}

/*
 * The folders of the bases, each as a prefix ("example.com/blog/"), or,
 * for a base without a path, its host ("example.com") in hosts.
 */
static void site_floors(struct strvec *prefixes, struct strvec *hosts,
			const struct strvec *bases)
{
	size_t i;

	for (i = 0; bases && i < bases->n; i++) {
		const char *b = bases->v[i], *s = strstr(b, "://");
		size_t n;

		s = s ? s + 3 : b;
		n = strlen(s);
		while (n && s[n - 1] == '/')
			n--;
		if (!memchr(s, '/', n))
			strvec_push_owned(hosts, xstrndup(s, n));
		else
			strvec_push_owned(prefixes, xasprintf("%.*s/", (int)n,
							      s));
	}
}

/* The floor (a prefix of floors) that prefix lies below, or NULL. */
static const char *floor_of(const char *prefix, const struct strvec *floors)
{
	size_t i;

	for (i = 0; i < floors->n; i++)
		if (!strncasecmp(prefix, floors->v[i], strlen(floors->v[i])))
			return floors->v[i];
	return NULL;
}

/* cut_to_parent(), but never above the floor prefix lies below. */
static int cut_within(char *prefix, const struct strvec *floors)
{
	const char *f = floor_of(prefix, floors);
	char *copy;
	int cut;

	if (!f)
		return cut_to_parent(prefix);
	copy = xstrdup(prefix);
	cut = cut_to_parent(copy) && strlen(copy) >= strlen(f);
	if (cut)
		strcpy(prefix, copy);
	free(copy);
	return cut;
}

/*
 * Replaces what a pushed tree may have added beyond the cap with the
 * site: every prefix below a floor, every tag and every host go, and each
 * floor is purged instead.
 */
static void purge_site(struct plan *p, const struct strvec *floors,
		       const struct strvec *hosts)
{
	struct strvec keep = STRVEC_INIT;
	size_t i;

	for (i = 0; i < p->prefixes.n; i++)
		if (!floor_of(p->prefixes.v[i], floors))
			strvec_push(&keep, p->prefixes.v[i]);
	strvec_clear(&p->prefixes);
	strvec_clear(&p->tags);
	strvec_clear(&p->hosts);
	set_clear(&p->seen[0]);
	set_clear(&p->seen[1]);
	set_clear(&p->seen[2]);
	for (i = 0; i < keep.n; i++)
		plan_add(p, PURGE_PREFIXES, keep.v[i]);
	for (i = 0; i < floors->n; i++)
		plan_add(p, PURGE_PREFIXES, floors->v[i]);
	for (i = 0; i < hosts->n; i++)
		plan_add(p, PURGE_HOSTS, hosts->v[i]);
	strvec_clear(&keep);
}

void plan_cap_items(struct plan *p, size_t max, const struct strvec *bases,
		    int may_everything)
{
	struct strvec floors = STRVEC_INIT, hosts = STRVEC_INIT;
	size_t before = items_of(p), i;
	int cut = 1;

	if (p->everything || !max || before <= max)
		return;
	site_floors(&floors, &hosts, bases);
	while (items_of(p) > max && cut) {
		size_t deepest = 0, depth;
		const char *c;

		/* The deepest prefixes that can still be cut. */
		for (i = 0; i < p->prefixes.n; i++) {
			char *copy = xstrdup(p->prefixes.v[i]);

			if (cut_within(copy, &floors)) {
				for (depth = 0, c = p->prefixes.v[i]; *c; c++)
					depth += *c == '/' && c[1];
				if (depth > deepest)
					deepest = depth;
			}
			free(copy);
		}
		cut = 0;
		for (i = 0; i < p->prefixes.n; i++) {
			for (depth = 0, c = p->prefixes.v[i]; *c; c++)
				depth += *c == '/' && c[1];
			if (depth == deepest)
				cut |= cut_within(p->prefixes.v[i], &floors);
		}
		/* plan_finish() keeps each once and drops what others cover. */
		plan_finish(p);
	}
	if (items_of(p) <= max) {
		strvec_pushf(&p->notes, "%zu prefixes, tags and hosts from the "
			     "pushed tree's rules were more than [hook] "
			     "tree_max_items = %zu: prefixes cut back to their "
			     "parent folders, %zu left", before, max,
			     items_of(p));
	} else if (may_everything || (!floors.n && !hosts.n)) {
		strvec_pushf(&p->notes, "purging everything: %zu prefixes, "
			     "tags and hosts from the pushed tree's rules are "
			     "more than [hook] tree_max_items = %zu, even with "
			     "each prefix cut back to one folder", before, max);
		plan_add(p, PURGE_EVERYTHING, NULL);
		plan_finish(p);
	} else {
		strvec_pushf(&p->notes, "purging the whole site: %zu prefixes, "
			     "tags and hosts from the pushed tree's rules are "
			     "more than [hook] tree_max_items = %zu, even with "
			     "each prefix cut back to one folder, and [hook] "
			     "tree_may_purge does not list everything", before,
			     max);
		purge_site(p, &floors, &hosts);
		plan_finish(p);
	}
	strvec_clear(&floors);
	strvec_clear(&hosts);
}

void plan_release(struct plan *p)
{
	set_clear(&p->seen[0]);
	set_clear(&p->seen[1]);
	set_clear(&p->seen[2]);
	strvec_clear(&p->notes);
	strvec_clear(&p->files);
	strvec_clear(&p->prefixes);
	strvec_clear(&p->tags);
	strvec_clear(&p->hosts);
	p->everything = 0;
}

const char *purge_kind_key(enum purge_kind k)
{
	switch (k) {
	case PURGE_FILES:
		return "files";
	case PURGE_PREFIXES:
		return "prefixes";
	case PURGE_TAGS:
		return "tags";
	case PURGE_HOSTS:
		return "hosts";
	case PURGE_EVERYTHING:
		return "purge_everything";
	}
	return "unknown";
}
