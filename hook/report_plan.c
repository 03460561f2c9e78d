#include "report_plan.h"

#include <stdlib.h>
#include <string.h>

static void add_count(struct strbuf *sb, size_t n, const char *one,
		      const char *many)
{
	if (!n)
		return;
	if (sb->len)
		strbuf_addstr(sb, ", ");
	strbuf_addf(sb, "%zu %s", n, n == 1 ? one : many);
}

void report_plan_counts(struct strbuf *sb, const struct plan *p)
{
	if (p->everything) {
		strbuf_addstr(sb, "everything");
		return;
	}
	add_count(sb, p->files.n, "URL", "URLs");
	add_count(sb, p->prefixes.n, "prefix", "prefixes");
	add_count(sb, p->tags.n, "tag", "tags");
	add_count(sb, p->hosts.n, "host", "hosts");
}

#define PREFIX "cf-purge-hook: "

/* The changed files that no folder prefix covers: they went as URLs. */
static size_t outside(const struct fold *f)
{
	return f->n ? f->v[0].changed - f->covered_changed : 0;
}

void report_plan_summary(struct strbuf *sb, const struct run *r)
{
	const struct fold *f = &r->fold;
	const struct plan *p = &r->plan;
	struct plan rest = PLAN_INIT;

	if (!f->prefixes || p->everything) {
		report_plan_counts(sb, p);
		return;
	}
	strbuf_addf(sb, "%zu %s (", p->prefixes.n,
		    p->prefixes.n == 1 ? "prefix" : "prefixes");
	fold_add_count(sb, f->covered_changed);
	strbuf_addstr(sb, " changed of ");
	fold_add_count(sb, f->covered);
	strbuf_addstr(sb, " files under them)");
	/* The rest as report_plan_counts words it, borrowing the lists. */
	rest.files = p->files;
	rest.tags = p->tags;
	rest.hosts = p->hosts;
	if (rest.files.n || rest.tags.n || rest.hosts.n)
		strbuf_addstr(sb, ", ");
	report_plan_counts(sb, &rest);
}

void report_plan_kept(struct strbuf *sb, const struct run *r)
{
	const struct fold *f = &r->fold;
	size_t purged;

	if (!f->prefixes || !f->site_known || r->plan.everything)
		return;
	purged = f->covered + outside(f);
	strbuf_addstr(sb, "; ");
	fold_add_count(sb, f->site_files > purged ? f->site_files - purged : 0);
	strbuf_addstr(sb, " cached files kept");
}

/* Writes s with control characters replaced, as report.c does. */
static void put_safe(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		fputc(c < 0x20 || c == 0x7f ? '?' : c, f);
	}
}

void report_plan_lines(FILE *err, const struct run *r)
{
	const struct fold *f = &r->fold;
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	if (r->opts.quiet || !(r->opts.verbose || r->opts.dry_run) ||
	    !f->prefixes || r->plan.everything)
		return;
	for (i = 0; i < f->n; i++) {
		if (!f->v[i].prefix)
			continue;
		strbuf_setlen(&sb, 0);
		fold_describe(&sb, f, &f->v[i]);
		fputs(PREFIX, err);
		put_safe(err, strbuf_str(&sb));
		fputc('\n', err);
	}
	strbuf_setlen(&sb, 0);
	strbuf_addf(&sb, "planned %zu %s over ", f->prefixes,
		    f->prefixes == 1 ? "folder" : "folders");
	fold_add_count(&sb, f->covered);
	strbuf_addstr(&sb, " files (collateral ");
	fold_add_count(&sb, f->covered - f->covered_changed);
	strbuf_addstr(&sb, "), ");
	fold_add_count(&sb, outside(f));
	strbuf_addf(&sb, " changed files as URLs, %zu %s", r->batches.n,
		    r->batches.n == 1 ? "request" : "requests");
	if (f->site_known) {
		strbuf_addstr(&sb, "; purging everything would purge ");
		fold_add_count(&sb, f->site_files);
		strbuf_addstr(&sb, " files");
	}
	fputs(PREFIX, err);
	fputs(strbuf_str(&sb), err);
	fputc('\n', err);
	strbuf_release(&sb);
}

static void add_size(cJSON *o, const char *key, size_t n)
{
	need(cJSON_AddNumberToObject(o, key, (double)n));
}

cJSON *report_plan_json(const struct run *r)
{
	const struct fold *f = &r->fold;
	const struct config *c = &r->config;
	cJSON *o, *arr;
	size_t i, b;

	if (!f->prefixes && !f->everything)
		return NULL;
	o = need(cJSON_CreateObject());
	add_size(o, "collapse_waste", f->waste);
	need(cJSON_AddBoolToObject(o, "everything", f->everything));
	arr = need(cJSON_AddArrayToObject(o, "folders"));
	for (i = 0; i < f->n; i++) {
		const struct fold_dir *d = &f->v[i];
		cJSON *one, *pre;
		char *folder;

		if (!d->prefix)
			continue;
		one = need(cJSON_CreateObject());
		folder = xasprintf("%s%s", d->path, *d->path ? "/" : "");
		need(cJSON_AddStringToObject(one, "folder", folder));
		free(folder);
		pre = need(cJSON_AddArrayToObject(one, "prefixes"));
		for (b = 0; b < c->base_urls.n; b++) {
			char *s = fold_prefix(c->base_urls.v[b], d->path);

			cJSON_AddItemToArray(pre, need(cJSON_CreateString(s)));
			free(s);
		}
		add_size(one, "files", fold_dir_files(d));
		add_size(one, "changed", d->changed);
		add_size(one, "collateral", fold_dir_files(d) - d->changed);
		cJSON_AddItemToArray(arr, one);
	}
	add_size(o, "files_covered", f->covered);
	add_size(o, "collateral", f->covered - f->covered_changed);
	add_size(o, "changed_as_urls", outside(f));
	add_size(o, "requests", r->batches.n);
	need(cJSON_AddNumberToObject(o, "seconds_estimated", f->seconds));
	if (f->site_known)
		add_size(o, "everything_would_purge", f->site_files);
	return o;
}
