#include "report.h"
#include "../purge/body.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "cf-purge-hook: "

static void *need(void *p)
{
	if (!p) {
		fputs(PREFIX "out of memory\n", stderr);
		abort();
	}
	return p;
}

static cJSON *ranges_json(const struct run *r)
{
	cJSON *arr = need(cJSON_CreateArray());
	size_t i;

	for (i = 0; i < r->n_ranges; i++) {
		const struct range *rg = &r->ranges[i];
		cJSON *o = need(cJSON_CreateObject());

		if (rg->ref)
			need(cJSON_AddStringToObject(o, "ref", rg->ref));
		else
			need(cJSON_AddNullToObject(o, "ref"));
		if (*rg->old_hex)
			need(cJSON_AddStringToObject(o, "old", rg->old_hex));
		else
			need(cJSON_AddNullToObject(o, "old"));
		if (*rg->new_hex)
			need(cJSON_AddStringToObject(o, "new", rg->new_hex));
		else
			need(cJSON_AddNullToObject(o, "new"));
		need(cJSON_AddStringToObject(o, "action",
			rg->action == RANGE_PURGE ? "purge" :
			rg->action == RANGE_EVERYTHING ? "everything" :
			rg->action == RANGE_SKIP_CREATED ? "skip-created" :
			rg->action == RANGE_SKIP_DELETED ? "skip-deleted" :
			rg->action == RANGE_SKIP_BRANCH ? "skip-branch" :
			"skip-not-branch"));
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static cJSON *changes_json(const struct run *r)
{
	cJSON *arr = need(cJSON_CreateArray());
	size_t i;

	for (i = 0; i < r->changes.n; i++) {
		const struct change *c = &r->changes.v[i];
		cJSON *o = need(cJSON_CreateObject());

		need(cJSON_AddStringToObject(o, "status",
					     change_status_name(c->status)));
		if (c->old_path)
			need(cJSON_AddStringToObject(o, "old_path", c->old_path));
		need(cJSON_AddStringToObject(o, "path", c->path));
		if (c->mode_only)
			need(cJSON_AddTrueToObject(o, "mode_only"));
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static cJSON *outcome_json(const struct outcome *o)
{
	cJSON *j = need(cJSON_CreateObject());
	cJSON *errs;
	size_t i;

	if (!o->sent) {
		need(cJSON_AddFalseToObject(j, "success"));
		need(cJSON_AddStringToObject(j, "error",
			o->transport_error ? o->transport_error : "not sent"));
		return j;
	}
	need(cJSON_AddBoolToObject(j, "success", o->reply.success));
	need(cJSON_AddNumberToObject(j, "http_status",
				     (double)o->reply.http_status));
	if (o->reply.id)
		need(cJSON_AddStringToObject(j, "id", o->reply.id));
	errs = need(cJSON_AddArrayToObject(j, "errors"));
	for (i = 0; i < o->reply.n_errors; i++) {
		cJSON *e = need(cJSON_CreateObject());

		need(cJSON_AddNumberToObject(e, "code",
					     (double)o->reply.errors[i].code));
		need(cJSON_AddStringToObject(e, "message",
					     o->reply.errors[i].message));
		cJSON_AddItemToArray(errs, e);
	}
	if (!o->reply.is_json)
		need(cJSON_AddStringToObject(j, "error",
				"the answer is not a Cloudflare API reply"));
	return j;
}

static cJSON *requests_json(const struct run *r)
{
	cJSON *arr = need(cJSON_CreateArray());
	size_t i;

	for (i = 0; i < r->requests.n; i++) {
		const struct request *q = &r->requests.v[i];
		cJSON *o = need(cJSON_CreateObject());

		need(cJSON_AddStringToObject(o, "zone_id",
					     q->zone_id ? q->zone_id : ""));
		cJSON_AddItemToObject(o, "body", body_json(q));
		if (r->outcomes)
			cJSON_AddItemToObject(o, "outcome",
					      outcome_json(&r->outcomes[i]));
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

int report_json(FILE *out, const struct run *r)
{
	cJSON *root = need(cJSON_CreateObject());
	char *text;
	int rc = 0;

	cJSON_AddItemToObject(root, "ranges", ranges_json(r));
	cJSON_AddItemToObject(root, "changes", changes_json(r));
	cJSON_AddItemToObject(root, "requests", requests_json(r));
	if (!r->opts.dry_run && r->outcomes)
		need(cJSON_AddNumberToObject(root, "failed",
					     (double)r->n_failed));
	text = need(cJSON_PrintUnformatted(root));
	if (fprintf(out, "%s\n", text) < 0 || fflush(out) != 0)
		rc = -1;
	free(text);
	cJSON_Delete(root);
	return rc;
}

/*
 * Writes s with every control character replaced, so that a file name
 * with a newline or an escape sequence cannot forge a line on the pushing
 * user's terminal.
 */
static void put_safe(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		fputc(c < 0x20 || c == 0x7f ? '?' : c, f);
	}
}

static const char *short_hex(const char *hex, char *buf)
{
	if (!*hex)
		return "0000000";
	memcpy(buf, hex, 7);
	buf[7] = '\0';
	return buf;
}

void report_ranges(FILE *err, const struct run *r)
{
	size_t i;

	if (r->opts.quiet)
		return;
	for (i = 0; i < r->n_ranges; i++) {
		const struct range *rg = &r->ranges[i];
		const char *name = rg->ref ? rg->ref : "range";
		char a[8], b[8];

		if (rg->action == RANGE_PURGE && !r->opts.verbose)
			continue;
		fputs(PREFIX, err);
		put_safe(err, name);
		switch (rg->action) {
		case RANGE_PURGE:
			fprintf(err, " %s..%s: %zu changed %s\n",
				short_hex(rg->old_hex, a),
				short_hex(rg->new_hex, b), rg->n_changes,
				rg->n_changes == 1 ? "path" : "paths");
			break;
		case RANGE_EVERYTHING:
			fputs(": new branch: purging everything "
			      "(on_create = everything)\n", err);
			break;
		case RANGE_SKIP_CREATED:
			fputs(": not purged: a new branch (on_create = skip; "
			      "set it to 'everything' to purge on creation)\n",
			      err);
			break;
		case RANGE_SKIP_DELETED:
			fputs(": not purged: the branch was deleted\n", err);
			break;
		case RANGE_SKIP_BRANCH: {
			size_t k;

			fputs(": not purged: the branch is not in [hook] "
			      "branches (", err);
			for (k = 0; k < r->config.branches.n; k++) {
				if (k)
					fputs(", ", err);
				put_safe(err, r->config.branches.v[k]);
			}
			fputs(")\n", err);
			break;
		}
		case RANGE_SKIP_NOT_BRANCH:
			fputs(": not purged: not a branch\n", err);
			break;
		}
		if (r->opts.verbose && rg->action == RANGE_PURGE) {
			size_t k;

			for (k = 0; k < rg->n_changes; k++) {
				const struct change *c =
					&r->changes.v[rg->first_change + k];

				fprintf(err, PREFIX "  %s ",
					change_status_name(c->status));
				put_safe(err, c->path);
				fputs(c->mode_only ? " (mode only)\n" : "\n", err);
			}
		}
	}
}

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

static void request_counts(struct strbuf *sb, const struct request *q)
{
	switch (q->kind) {
	case PURGE_FILES:
		add_count(sb, q->n, "URL", "URLs");
		break;
	case PURGE_PREFIXES:
		add_count(sb, q->n, "prefix", "prefixes");
		break;
	case PURGE_TAGS:
		add_count(sb, q->n, "tag", "tags");
		break;
	case PURGE_HOSTS:
		add_count(sb, q->n, "host", "hosts");
		break;
	case PURGE_EVERYTHING:
		strbuf_addstr(sb, "everything");
		break;
	}
}

static void report_items(FILE *err, const struct run *r)
{
	size_t i, k;

	for (i = 0; i < r->requests.n; i++) {
		const struct request *q = &r->requests.v[i];

		if (q->kind == PURGE_EVERYTHING) {
			fputs(PREFIX "  everything\n", err);
			continue;
		}
		for (k = 0; k < q->n; k++) {
			fprintf(err, PREFIX "  %s ", purge_kind_key(q->kind));
			put_safe(err, q->items[k]);
			fputc('\n', err);
		}
	}
}

void report_summary(FILE *out, FILE *err, const struct run *r)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, n = r->requests.n;
	const char *reqs = n == 1 ? "request" : "requests";

	report_plan_counts(&sb, &r->plan);
	if (r->opts.dry_run) {
		if (!r->opts.json)
			for (i = 0; i < n; i++) {
				char *body = body_text(&r->requests.v[i]);
				fprintf(out, "POST /zones/%s/purge_cache %s\n",
					r->requests.v[i].zone_id, body);
				free(body);
			}
		if (!r->opts.quiet) {
			if (n)
				fprintf(err, PREFIX "dry run: would purge %s "
					"in %zu %s\n", sb.buf, n, reqs);
			else
				fputs(PREFIX "dry run: nothing to purge\n", err);
		}
		strbuf_release(&sb);
		return;
	}
	if (!n) {
		if (!r->opts.quiet) {
			int diffed = 0;

			for (i = 0; i < r->n_ranges; i++)
				diffed |= r->ranges[i].action == RANGE_PURGE;
			if (diffed)
				fprintf(err, PREFIX "nothing to purge: %zu "
					"changed %s, not served under [site] "
					"root nor matched by [map]\n",
					r->changes.n,
					r->changes.n == 1 ? "path" : "paths");
		}
		strbuf_release(&sb);
		return;
	}
	if (!r->outcomes) {
		strbuf_release(&sb);
		return;
	}
	for (i = 0; i < n; i++) {
		const struct outcome *o = &r->outcomes[i];
		struct strbuf what = STRBUF_INIT;

		if (o->sent && o->reply.success)
			continue;
		request_counts(&what, &r->requests.v[i]);
		fprintf(err, PREFIX "request %zu of %zu (%s) failed: ", i + 1,
			n, what.buf);
		strbuf_release(&what);
		if (!o->sent) {
			put_safe(err, o->transport_error ? o->transport_error :
				 "not sent");
		} else {
			struct strbuf d = STRBUF_INIT;

			cf_reply_describe(&d, &o->reply);
			put_safe(err, d.buf);
			strbuf_release(&d);
		}
		fputc('\n', err);
	}
	if (r->n_failed) {
		fprintf(err, PREFIX "not purged: %zu of %zu requests failed; "
			"the pages they name may be stale until purged\n",
			r->n_failed, n);
	} else if (!r->opts.quiet) {
		fprintf(err, PREFIX "purged %s in %zu %s (%.1f s)\n", sb.buf, n,
			reqs, r->seconds);
		if (r->opts.verbose)
			report_items(err, r);
	}
	strbuf_release(&sb);
}
