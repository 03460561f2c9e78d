#include "fold.h"
#include "urlenc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fold_add(struct fold *f, const char *rel, int deleted)
{
	size_t len = strlen(rel);
	char *s = xmalloc(len + 2);

	s[0] = deleted ? 'D' : 'M';
	memcpy(s + 1, rel, len + 1);
	strvec_push_owned(&f->paths, s);
}

static int cmp_path(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	int c = strcmp(x + 1, y + 1);

	return c ? c : strcmp(x, y);
}

static size_t dir_new(struct fold *f, const char *path, size_t len,
		      size_t parent)
{
	struct fold_dir *d;

	if (f->n == f->alloc) {
		f->alloc = f->alloc ? f->alloc * 2 : 64;
		f->v = xrealloc(f->v, f->alloc * sizeof(*f->v));
	}
	d = &f->v[f->n];
	memset(d, 0, sizeof(*d));
	d->path = xstrndup(path, len);
	d->parent = parent;
	return f->n++;
}

/*
 * Builds the folders from the sorted paths. The files of one folder are
 * next to each other in byte order (they share its path and a '/'), so
 * one pass with a stack of the current path's folders finds every folder
 * once, parents first.
 */
static void build(struct fold *f)
{
	size_t *stack, depth, i, k;
	const char *prev = NULL;

	qsort(f->paths.v, f->paths.n, sizeof(*f->paths.v), cmp_path);
	dir_new(f, "", 0, 0);
	stack = xcalloc(1, sizeof(*stack));
	depth = 1;
	for (i = 0; i < f->paths.n; i++) {
		const char *p = f->paths.v[i] + 1, *s;
		int deleted = f->paths.v[i][0] == 'D';

		if (prev && !strcmp(prev, p))
			continue;
		prev = p;
		k = 1;
		for (s = strchr(p, '/'); s; s = strchr(s + 1, '/'), k++) {
			size_t len = (size_t)(s - p);
			const char *have = k < depth ? f->v[stack[k]].path : NULL;

			if (have && strlen(have) == len && !memcmp(have, p, len))
				continue;
			stack = xrealloc(stack, (k + 1) * sizeof(*stack));
			stack[k] = dir_new(f, p, len, stack[k - 1]);
			depth = k + 1;
		}
		depth = k;
		for (k = 0; k < depth; k++) {
			f->v[stack[k]].changed++;
			f->v[stack[k]].deleted += (size_t)deleted;
		}
	}
	free(stack);
}

/* Makes sure d's count is exact, or known to be above limit. */
static int ensure_count(struct fold *f, struct fold_dir *d, size_t limit,
			struct err *e)
{
	size_t n = 0;

	if (d->has_count && (d->exact || d->counted > limit))
		return 0;
	if (f->count(f->count_ctx, d->path, limit, &n, e) < 0)
		return -1;
	d->counted = n;
	d->exact = n <= limit;
	d->has_count = 1;
	return 0;
}

size_t fold_dir_files(const struct fold_dir *d)
{
	size_t files = d->counted + d->deleted;

	/* A path named to explain may be missing from the tree. */
	return files > d->changed ? files : d->changed;
}

char *fold_prefix(const char *base, const char *dir)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = strstr(base, "://");

	strbuf_addstr(&sb, p ? p + 3 : base);
	strbuf_addch(&sb, '/');
	if (*dir) {
		urlenc_path(&sb, dir, strlen(dir));
		strbuf_addch(&sb, '/');
	}
	return strbuf_detach(&sb);
}

static size_t slashes(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '/';
	return n;
}

/* 1 when the folder's prefix is within Cloudflare's limit on every base. */
static int prefix_allowed(const struct config *c, const char *dir)
{
	size_t b;
	int ok = 1;

	for (b = 0; b < c->base_urls.n && ok; b++) {
		char *pre = fold_prefix(c->base_urls.v[b], dir);

		ok = slashes(pre) <= FOLD_MAX_SLASHES;
		free(pre);
	}
	return ok;
}

/*
 * 1 when d's collateral is at most pct percent of the files its prefix
 * covers: files - changed <= pct * files / 100, that is files <= changed *
 * 100 / (100 - pct). The count stops past that many.
 */
static int cheap(struct fold *f, struct fold_dir *d, unsigned pct,
		 const struct config *c, struct err *e, int *err)
{
	size_t most;

	if (d->changed < FOLD_MIN_CHANGED || !prefix_allowed(c, d->path))
		return 0;
	most = pct >= 100 ? SIZE_MAX / 2 : d->changed * 100 / (100 - pct);
	if (ensure_count(f, d, most - d->deleted, e) < 0) {
		*err = 1;
		return 0;
	}
	return d->exact;
}

/* Marks the folders that are prefixes at pct percent of waste, top down. */
static int choose(struct fold *f, unsigned pct, const struct config *c,
		  struct err *e)
{
	unsigned char *blocked = xcalloc(f->n, 1);
	size_t i;
	int err = 0;

	for (i = 0; i < f->n && !err; i++) {
		struct fold_dir *d = &f->v[i];

		d->prefix = 0;
		if (i && (blocked[d->parent] || f->v[d->parent].prefix)) {
			blocked[i] = 1;
			continue;
		}
		d->prefix = cheap(f, d, pct, c, e, &err);
		/* Too few changes here means too few in every subfolder. */
		if (!d->prefix && d->changed < FOLD_MIN_CHANGED)
			blocked[i] = 1;
	}
	free(blocked);
	return err ? -1 : 0;
}

static void add_prefixes(struct plan *p, const struct fold *f,
			 const struct config *c)
{
	size_t i, b;

	for (i = 0; i < f->n; i++) {
		if (!f->v[i].prefix)
			continue;
		for (b = 0; b < c->base_urls.n; b++) {
			char *pre = fold_prefix(c->base_urls.v[b],
						f->v[i].path);

			plan_add(p, PURGE_PREFIXES, pre);
			free(pre);
		}
	}
}

static void copy_list(struct plan *dst, enum purge_kind kind,
		      const struct strvec *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		plan_add(dst, kind, sv->v[i]);
}

/* The seconds p would take with the folders chosen in f. */
static double trial_seconds(const struct plan *p, const struct fold *f,
			    const struct config *c)
{
	struct plan t = PLAN_INIT;
	double s;

	copy_list(&t, PURGE_FILES, &p->files);
	copy_list(&t, PURGE_PREFIXES, &p->prefixes);
	copy_list(&t, PURGE_TAGS, &p->tags);
	copy_list(&t, PURGE_HOSTS, &p->hosts);
	add_prefixes(&t, f, c);
	plan_finish(&t);
	s = fold_plan_seconds(&t, c);
	plan_release(&t);
	return s;
}

static size_t in_zone(const struct strvec *sv, const struct config *c,
		      size_t zi)
{
	size_t i, n = 0;

	for (i = 0; i < sv->n; i++) {
		const char *s = strstr(sv->v[i], "://");

		s = s ? s + 3 : sv->v[i];
		n += config_zone_index(c, s, strcspn(s, "/:")) == zi;
	}
	return n;
}

static size_t per_request(size_t n, long most)
{
	size_t m = most > 0 ? (size_t)most : 1;

	return (n + m - 1) / m;
}

/* The URL items and the requests of the other kinds that p takes. */
static void plan_load(const struct plan *p, const struct config *c,
		      double *urls, double *reqs)
{
	size_t zi;

	*urls = (double)p->files.n * (double)(1 + c->variants.n);
	*reqs = 0;
	if (p->everything) {
		*urls = 0;
		*reqs = (double)(1 + c->n_zones);
		return;
	}
	for (zi = 0; zi <= c->n_zones; zi++)
		*reqs += (double)(per_request(in_zone(&p->prefixes, c, zi),
					      c->items_per_request) +
				  per_request(in_zone(&p->hosts, c, zi),
					      c->items_per_request) +
				  per_request(p->tags.n, c->items_per_request));
}

static double load_seconds(const struct config *c, double urls, double reqs)
{
	double cap = c->urls_per_second < 1 ? 1 : c->urls_per_second;
	double s = 0;

	if (urls > cap && c->urls_per_second > 0)
		s += (urls - cap) / c->urls_per_second;
	if (reqs > (double)c->burst && c->requests_per_second > 0)
		s += (reqs - (double)c->burst) / c->requests_per_second;
	return s;
}

double fold_plan_seconds(const struct plan *p, const struct config *c)
{
	double urls, reqs;

	plan_load(p, c, &urls, &reqs);
	return load_seconds(c, urls, reqs);
}

/*
 * At most the seconds p takes with the folders chosen in f: its URLs as
 * they are (a prefix only takes some away) and its requests plus those of
 * the new prefixes, rounded up in every zone. Cheap, so that the usual
 * plan that fits is never built twice.
 */
static double upper_seconds(const struct plan *p, const struct fold *f,
			    const struct config *c)
{
	double urls, reqs;
	size_t i, k = 0;

	plan_load(p, c, &urls, &reqs);
	for (i = 0; i < f->n; i++)
		k += (size_t)f->v[i].prefix;
	if (k)
		reqs += (double)(per_request(k * c->base_urls.n,
					     c->items_per_request) +
				 c->n_zones + 1);
	return load_seconds(c, urls, reqs);
}

/* Appends n with a comma between thousands: 13,969. */
static void add_num(struct strbuf *sb, size_t n)
{
	char digits[32];
	size_t len, i;

	len = (size_t)snprintf(digits, sizeof(digits), "%zu", n);
	for (i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			strbuf_addch(sb, ',');
		strbuf_addch(sb, digits[i]);
	}
}

void fold_add_count(struct strbuf *sb, size_t n)
{
	add_num(sb, n);
}

void fold_describe(struct strbuf *sb, const struct fold *f,
		   const struct fold_dir *d)
{
	size_t files = fold_dir_files(d);

	strbuf_addf(sb, "folder '%s%s' as a prefix: ", d->path,
		    *d->path ? "/" : "");
	add_num(sb, d->changed);
	strbuf_addstr(sb, " changed of ");
	add_num(sb, files);
	strbuf_addstr(sb, " files, collateral ");
	add_num(sb, files - d->changed);
	strbuf_addf(sb, " (at most %u%%)", f->waste);
}

/* Adds up what the prefixes chosen cover, and the site's files. */
static int total_choices(struct fold *f, struct err *e)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		const struct fold_dir *d = &f->v[i];

		if (!d->prefix)
			continue;
		f->prefixes++;
		f->covered += fold_dir_files(d);
		f->covered_changed += d->changed;
	}
	/*
	 * What purging everything would have cost, for the summary: a whole
	 * count of the site, paid only by deploys big enough for prefixes.
	 */
	if (!f->prefixes)
		return 0;
	if (ensure_count(f, &f->v[0], SIZE_MAX - 1, e) < 0)
		return -1;
	f->site_files = fold_dir_files(&f->v[0]);
	f->site_known = 1;
	return 0;
}

int fold_plan(struct fold *f, struct plan *p, const struct config *c,
	      double deadline, struct err *e)
{
	struct fold_dir *top;
	unsigned pct;
	double first_seconds = 0;

	if (p->everything || !f->paths.n || !c->base_urls.n)
		return 0;
	build(f);
	top = &f->v[0];
	f->waste = (unsigned)c->collapse_waste;

	/* Most of the site changed: one request instead of all of it. */
	if (top->changed >= FOLD_MIN_CHANGED) {
		if (ensure_count(f, top, top->changed * 10 / 9 - top->deleted,
				 e) < 0)
			return -1;
		if (top->exact && fold_dir_files(top) * 9 < top->changed * 10) {
			f->everything = 1;
			f->site_files = fold_dir_files(top);
			f->site_known = 1;
			struct strbuf sb = STRBUF_INIT;

			strbuf_addstr(&sb, "purging everything: ");
			add_num(&sb, top->changed);
			strbuf_addstr(&sb, " of the site's ");
			add_num(&sb, f->site_files);
			strbuf_addstr(&sb, " files changed, more than 90%");
			strvec_push_owned(&p->notes, strbuf_detach(&sb));
			plan_add(p, PURGE_EVERYTHING, NULL);
			plan_finish(p);
			return 0;
		}
	}

	for (pct = f->waste;; pct = pct < 90 ? (pct / 10 + 1) * 10 : 100) {
		if (choose(f, pct, c, e) < 0)
			return -1;
		f->seconds = deadline <= 0 ? 0 : upper_seconds(p, f, c);
		if (f->seconds > deadline)
			f->seconds = trial_seconds(p, f, c);
		if (pct == f->waste)
			first_seconds = f->seconds;
		if (deadline <= 0 || f->seconds <= deadline)
			break;
		if (pct >= 90) {
			f->everything = 1;
			f->seconds = fold_plan_seconds(p, c);
			strvec_pushf(&p->notes, "purging everything: no plan "
				     "fits the deadline of %.0f s at the "
				     "account plan's rates (the URLs alone "
				     "take %.0f s)", deadline,
				     fold_plan_seconds(p, c));
			plan_add(p, PURGE_EVERYTHING, NULL);
			plan_finish(p);
			return 0;
		}
	}
	if (pct != f->waste)
		strvec_pushf(&p->notes, "allowed collateral up to %u%% so that "
			     "the purge fits the deadline of %.0f s (at %u%% "
			     "it would take %.0f s)", pct, deadline, f->waste,
			     first_seconds);
	f->waste = pct;
	if (total_choices(f, e) < 0)
		return -1;
	add_prefixes(p, f, c);
	plan_finish(p);
	f->seconds = fold_plan_seconds(p, c);
	return 0;
}

void fold_release(struct fold *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->v[i].path);
	free(f->v);
	strvec_clear(&f->paths);
	memset(f, 0, sizeof(*f));
}
