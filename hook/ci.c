#include "ci.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"
#include "report_plan.h"

#define ZEROS "0000000000000000000000000000000000000000"

/* Event files larger than this are not GitHub's push events. */
#define MAX_EVENT_FILE (16 * 1024 * 1024)

static int is_hex40(const char *s)
{
	size_t i;

	for (i = 0; s && s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s && i == 40;
}

static int read_file(struct strbuf *sb, const char *path, struct err *e)
{
	char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return err_set(e, "cannot read the GitHub event file '%s'",
			       path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (sb->len + n > MAX_EVENT_FILE) {
			fclose(f);
			return err_set(e, "the GitHub event file '%s' is too "
				       "large", path);
		}
		strbuf_add(sb, chunk, n);
	}
	fclose(f);
	return 0;
}

static int github(struct ci_event *ev, struct err *e)
{
	const char *name = getenv("GITHUB_EVENT_NAME");
	const char *path = getenv("GITHUB_EVENT_PATH");
	const char *ref_env = getenv("GITHUB_REF");
	struct strbuf sb = STRBUF_INIT;
	cJSON *root = NULL;
	const cJSON *before, *after, *ref, *created, *deleted, *forced;
	int rc = -1;

	ev->kind = CI_GITHUB;
	if (!name || strcmp(name, "push"))
		return err_set(e, "the GitHub event is '%s', not a push; "
			       "'ci' purges after pushes; for anything else "
			       "use 'cf-purge-hook range OLD..NEW'",
			       name ? name : "(unset)");
	if (!path || !*path)
		return err_set(e, "GITHUB_EVENT_PATH is not set");
	if (read_file(&sb, path, e) < 0)
		goto out;
	root = cJSON_ParseWithLength(sb.buf, sb.len);
	before = cJSON_GetObjectItemCaseSensitive(root, "before");
	after = cJSON_GetObjectItemCaseSensitive(root, "after");
	ref = cJSON_GetObjectItemCaseSensitive(root, "ref");
	created = cJSON_GetObjectItemCaseSensitive(root, "created");
	deleted = cJSON_GetObjectItemCaseSensitive(root, "deleted");
	forced = cJSON_GetObjectItemCaseSensitive(root, "forced");
	if (!cJSON_IsString(before) || !cJSON_IsString(after) ||
	    !is_hex40(before->valuestring) || !is_hex40(after->valuestring)) {
		err_set(e, "the GitHub event file '%s' has no 40-digit "
			"'before' and 'after'", path);
		goto out;
	}
	if (!cJSON_IsString(ref) && !(ref_env && *ref_env)) {
		err_set(e, "neither the event file nor GITHUB_REF names the "
			"branch");
		goto out;
	}
	ev->forced = cJSON_IsTrue(forced);
	ev->line = xasprintf("%s %s %s",
			     cJSON_IsTrue(created) ? ZEROS : before->valuestring,
			     cJSON_IsTrue(deleted) ? ZEROS : after->valuestring,
			     cJSON_IsString(ref) ? ref->valuestring : ref_env);
	if (!cJSON_IsTrue(created) && strcmp(before->valuestring, ZEROS))
		memcpy(ev->before, before->valuestring, 41);
	rc = 0;
out:
	cJSON_Delete(root);
	strbuf_release(&sb);
	return rc;
}

static int gitlab(struct ci_event *ev, struct err *e)
{
	const char *before = getenv("CI_COMMIT_BEFORE_SHA");
	const char *sha = getenv("CI_COMMIT_SHA");
	const char *branch = getenv("CI_COMMIT_BRANCH");
	const char *mr_base = getenv("CI_MERGE_REQUEST_DIFF_BASE_SHA");
	const char *mr_branch = getenv("CI_MERGE_REQUEST_TARGET_BRANCH_NAME");

	ev->kind = CI_GITLAB;
	if (!is_hex40(sha))
		return err_set(e, "CI_COMMIT_SHA is not a 40-digit commit id");
	if (mr_base && *mr_base) {
		/*
		 * A merge-request pipeline runs before anything is deployed:
		 * it may show the plan, never purge. The plan is that of the
		 * target branch, where the change will be deployed.
		 */
		if (!is_hex40(mr_base))
			return err_set(e, "CI_MERGE_REQUEST_DIFF_BASE_SHA is not "
				       "a 40-digit commit id");
		ev->dry_run_only = 1;
		ev->line = xasprintf("%s %s refs/heads/%s", mr_base, sha,
				     mr_branch && *mr_branch ? mr_branch :
				     "merge-request");
		memcpy(ev->before, mr_base, 41);
		return 0;
	}
	if (!branch || !*branch)
		return err_set(e, "CI_COMMIT_BRANCH is not set (a tag or "
			       "merge-request pipeline); 'ci' purges after "
			       "pushes to a branch; otherwise use "
			       "'cf-purge-hook range OLD..NEW'");
	if (!before || !*before)
		before = ZEROS;
	if (!is_hex40(before))
		return err_set(e, "CI_COMMIT_BEFORE_SHA is not a 40-digit "
			       "commit id");
	ev->line = xasprintf("%s %s refs/heads/%s", before, sha, branch);
	if (strcmp(before, ZEROS))
		memcpy(ev->before, before, 41);
	return 0;
}

int ci_detect(struct ci_event *ev, struct err *e)
{
	const char *gh = getenv("GITHUB_ACTIONS");
	const char *gl = getenv("GITLAB_CI");

	memset(ev, 0, sizeof(*ev));
	if (gh && !strcmp(gh, "true"))
		return github(ev, e);
	if (gl && !strcmp(gl, "true"))
		return gitlab(ev, e);
	return err_set(e, "'ci' knows GitHub Actions (GITHUB_ACTIONS=true) "
		       "and GitLab CI (GITLAB_CI=true), and finds neither; "
		       "use 'cf-purge-hook range OLD..NEW'");
}

void ci_event_release(struct ci_event *ev)
{
	free(ev->line);
	memset(ev, 0, sizeof(*ev));
}

const char *ci_fetch_advice(const struct ci_event *ev)
{
	if (ev->kind == CI_GITHUB)
		return "fetch more history: set 'fetch-depth: 0' (or 2) on "
		       "actions/checkout, or run 'git fetch --deepen=1' "
		       "before this step";
	return "fetch more history: set the variable 'GIT_DEPTH: 0' on the "
	       "job, or run 'git fetch --deepen=1' before this step";
}

/* --- What the job shows ------------------------------------------------ */

/* GitHub's workflow commands need %, CR and LF escaped. */
static void put_gh(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '%')
			fputs("%25", f);
		else if (*s == '\r')
			fputs("%0D", f);
		else if (*s == '\n')
			fputs("%0A", f);
		else
			fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s,
			      f);
	}
}

/* Markdown table cells: no '|' and no line breaks. */
static void put_md(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '|')
			fputs("\\|", f);
		else
			fputc(c < 0x20 ? ' ' : c, f);
	}
}

static void gh_errors(FILE *out, const char *lead, const struct strvec *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++) {
		fprintf(out, "::error::cf-purge-hook: %s", lead);
		put_gh(out, sv->v[i]);
		fputc('\n', out);
	}
}

static void md_row(FILE *f, size_t n, const struct batch *b,
		   const struct send_outcome *o, int dry_run)
{
	struct strbuf what = STRBUF_INIT;

	batch_describe(&what, b);
	fprintf(f, "| %zu | %s | ", n, b->zone_id ? b->zone_id :
		b->zone_name ? b->zone_name : "?");
	put_md(f, what.buf);
	fputs(" | ", f);
	if (dry_run || !o) {
		fputs("planned (dry run)", f);
	} else {
		size_t i;

		fputs(report_outcome_status(o, 0), f);
		for (i = 0; i < o->refusals.n; i++) {
			fputs("; refused: ", f);
			put_md(f, o->refusals.v[i]);
		}
		if (o->n_spooled)
			fputs("; kept in the spool", f);
	}
	fputs(" |\n", f);
	strbuf_release(&what);
}

static void github_summary(const struct run *r, int status)
{
	const char *path = getenv("GITHUB_STEP_SUMMARY");
	struct strbuf counts = STRBUF_INIT;
	FILE *f;
	size_t i;

	if (!path || !*path)
		return;
	f = fopen(path, "a");
	if (!f) {
		fputs("cf-purge-hook: cannot write the step summary '", stderr);
		report_put_safe(stderr, path);
		fputs("'\n", stderr);
		return;
	}
	report_plan_counts(&counts, &r->plan);
	fprintf(f, "### cf-purge-hook%s\n\n", r->opts.dry_run ? " (dry run)" : "");
	for (i = 0; i < r->n_ranges; i++) {
		const struct range *rg = &r->ranges[i];

		fprintf(f, "Range `%.7s..%.7s` of `", rg->old_hex, rg->new_hex);
		put_md(f, rg->ref ? rg->ref : "");
		fprintf(f, "`: %zu changed paths.\n\n", rg->n_changes);
	}
	for (i = 0; i < r->plan.notes.n; i++) {
		fputs("- ", f);
		put_md(f, r->plan.notes.v[i]);
		fputc('\n', f);
	}
	if (r->plan_error) {
		fputs("**Not purged:** ", f);
		put_md(f, r->plan_error);
		fputs("\n\n", f);
	}
	if (!r->batches.n && !r->plan_error) {
		fputs("Nothing to purge.\n", f);
	} else if (r->batches.n) {
		fprintf(f, "%s: %s.\n\n", r->opts.dry_run ? "Would purge" :
			status == 0 ? "Purged" : "Not everything was purged of",
			counts.len ? counts.buf : "nothing");
		fputs("| # | Zone | Items | Result |\n|---|---|---|---|\n", f);
		for (i = 0; i < r->batches.n; i++)
			md_row(f, i + 1, &r->batches.v[i],
			       r->outcomes ? &r->outcomes[i] : NULL,
			       r->opts.dry_run);
	}
	fputc('\n', f);
	fclose(f);
	strbuf_release(&counts);
}

static void github_report(FILE *out, const struct run *r, int status)
{
	struct strvec refused = STRVEC_INIT, failed = STRVEC_INIT;

	github_summary(r, status);
	if (r->plan_error) {
		fputs("::error::cf-purge-hook: ", out);
		put_gh(out, r->plan_error);
		fputc('\n', out);
	}
	if (r->send_error) {
		fputs("::error::cf-purge-hook: ", out);
		put_gh(out, r->send_error);
		fputc('\n', out);
	}
	report_problems(&refused, &failed, r);
	gh_errors(out, "refused by Cloudflare: ", &refused);
	gh_errors(out, "not sent: ", &failed);
	strvec_clear(&refused);
	strvec_clear(&failed);
}

static void gitlab_report(FILE *out, const struct run *r)
{
	size_t i;

	fprintf(out, "\033[0Ksection_start:%ld:cf_purge_hook"
		"[collapsed=true]\r\033[0Kcf-purge-hook: %zu %s\n",
		(long)time(NULL), r->batches.n,
		r->batches.n == 1 ? "request" : "requests");
	for (i = 0; i < r->batches.n; i++) {
		char *body = batch_body_text(&r->batches.v[i]);
		const struct send_outcome *o =
			r->outcomes ? &r->outcomes[i] : NULL;

		fprintf(out, "%s %s: ",
			o ? report_outcome_status(o, 0) : "planned",
			r->batches.v[i].zone_id ? r->batches.v[i].zone_id : "?");
		report_put_safe(out, body);
		fputc('\n', out);
		free(body);
	}
	fprintf(out, "\033[0Ksection_end:%ld:cf_purge_hook\r\033[0K\n",
		(long)time(NULL));
}

void ci_report(FILE *out, const struct run *r, int status)
{
	char *text = NULL;
	size_t len = 0;
	/* Built in memory and written in one piece, as report.c does. */
	FILE *f = open_memstream(&text, &len);

	if (!f)
		f = out;
	if (r->ci == RUN_CI_GITHUB)
		github_report(f, r, status);
	else if (r->ci == RUN_CI_GITLAB && r->batches.n)
		gitlab_report(f, r);
	if (f != out) {
		fclose(f);
		fwrite(text, 1, len, out);
		free(text);
	}
	fflush(out);
}
