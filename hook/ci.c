#include "ci.h"
#include "ci_output.h"
#include "verify_cmd.h"

#include <cjson/cJSON.h>
#include <errno.h>
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
		return err_set(e, "cannot read the GitHub event file '%s': %s",
			       path, strerror(errno));
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

/* The branch a ref names, or NULL when it names none. */
static const char *branch_of(const char *ref)
{
	return !strncmp(ref, "refs/heads/", 11) && ref[11] ? ref + 11 :
	       NULL;
}

/* Sets ev->line, ev->branch and the trigger from a ref and two ids. */
static void set_push(struct ci_event *ev, const char *old, const char *new,
		     const char *ref)
{
	const char *branch = branch_of(ref);

	ev->line = xasprintf("%s %s %s", old, new, ref);
	ev->branch = xstrdup(branch ? branch : "");
	if (strcmp(old, ZEROS))
		memcpy(ev->before, old, 41);
	if (strcmp(new, ZEROS))
		memcpy(ev->sha, new, 41);
	if (!branch)
		ev->trigger = CI_TRIGGER_TAG;
	else if (!strcmp(new, ZEROS))
		ev->trigger = CI_TRIGGER_DELETED;
	else if (!strcmp(old, ZEROS))
		ev->trigger = CI_TRIGGER_CREATED;
	else
		ev->trigger = CI_TRIGGER_PUSH;
}

/* A manual or scheduled job: the commit checked out, on its branch. */
static int set_manual(struct ci_event *ev, const char *sha, const char *ref,
		      const char *sha_name, struct err *e)
{
	if (!is_hex40(sha))
		return err_set(e, "%s is not a 40-digit commit id", sha_name);
	ev->trigger = branch_of(ref) ? CI_TRIGGER_MANUAL : CI_TRIGGER_TAG;
	ev->branch = xstrdup(branch_of(ref) ? branch_of(ref) : "");
	memcpy(ev->sha, sha, 41);
	ev->line = xasprintf("%s %s %s", ZEROS, sha, ref);
	return 0;
}

static const char *json_string(const cJSON *obj, const char *a, const char *b)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, a);

	if (b)
		j = cJSON_GetObjectItemCaseSensitive(j, b);
	return cJSON_IsString(j) ? j->valuestring : NULL;
}

static int github(struct ci_event *ev, struct err *e)
{
	const char *name = getenv("GITHUB_EVENT_NAME");
	const char *path = getenv("GITHUB_EVENT_PATH");
	const char *ref_env = getenv("GITHUB_REF");
	const char *sha_env = getenv("GITHUB_SHA");
	struct strbuf sb = STRBUF_INIT;
	cJSON *root = NULL;
	const cJSON *before, *after, *ref, *created, *deleted, *forced;
	int rc = -1;

	ev->kind = CI_GITHUB;
	ev->source = xstrdup(name ? name : "(unset)");
	if (name && (!strcmp(name, "workflow_dispatch") ||
		     !strcmp(name, "schedule") ||
		     !strcmp(name, "repository_dispatch")))
		return set_manual(ev, sha_env, ref_env ? ref_env : "",
				  "GITHUB_SHA", e);
	if (!name || (strcmp(name, "push") && strcmp(name, "pull_request") &&
		      strcmp(name, "pull_request_target")))
		return err_set(e, "the GitHub event is '%s', which 'ci' does "
			       "not know (it knows push, pull_request, "
			       "workflow_dispatch, schedule and "
			       "repository_dispatch); use 'cf-purge-hook "
			       "range OLD..NEW'", name ? name : "(unset)");
	if (!path || !*path)
		return err_set(e, "GITHUB_EVENT_PATH is not set");
	if (read_file(&sb, path, e) < 0)
		goto out;
	root = cJSON_ParseWithLength(sb.buf, sb.len);
	if (strcmp(name, "push")) {
		/*
		 * A pull request: the plan of merging it into its base
		 * branch. GITHUB_SHA is the merge commit actions/checkout
		 * checks out; the head commit stands in without it.
		 */
		const char *base_sha, *base_ref, *head_sha;

		base_sha = json_string(cJSON_GetObjectItemCaseSensitive(root,
				       "pull_request"), "base", "sha");
		base_ref = json_string(cJSON_GetObjectItemCaseSensitive(root,
				       "pull_request"), "base", "ref");
		head_sha = json_string(cJSON_GetObjectItemCaseSensitive(root,
				       "pull_request"), "head", "sha");
		if (!is_hex40(base_sha) || !base_ref) {
			err_set(e, "the GitHub event file '%s' has no "
				"pull_request.base.sha and .ref", path);
			goto out;
		}
		if (!is_hex40(sha_env))
			sha_env = head_sha;
		if (!is_hex40(sha_env)) {
			err_set(e, "neither GITHUB_SHA nor the event file "
				"names the pull request's commit");
			goto out;
		}
		ev->trigger = CI_TRIGGER_REVIEW;
		ev->dry_run_only = 1;
		ev->branch = xstrdup(base_ref);
		ev->line = xasprintf("%s %s refs/heads/%s", base_sha, sha_env,
				     base_ref);
		memcpy(ev->before, base_sha, 41);
		memcpy(ev->sha, sha_env, 41);
		rc = 0;
		goto out;
	}
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
	set_push(ev, cJSON_IsTrue(created) ? ZEROS : before->valuestring,
		 cJSON_IsTrue(deleted) ? ZEROS : after->valuestring,
		 cJSON_IsString(ref) ? ref->valuestring : ref_env);
	rc = 0;
out:
	cJSON_Delete(root);
	strbuf_release(&sb);
	return rc;
}

/* GitLab's pipeline sources that run without a push. */
static int gitlab_manual(const char *source)
{
	static const char *const manual[] = { "web", "schedule", "api",
					       "trigger", "pipeline", "chat",
					       "parent_pipeline", NULL };
	size_t i;

	for (i = 0; source && manual[i]; i++)
		if (!strcmp(source, manual[i]))
			return 1;
	return 0;
}

static int gitlab(struct ci_event *ev, struct err *e)
{
	const char *before = getenv("CI_COMMIT_BEFORE_SHA");
	const char *sha = getenv("CI_COMMIT_SHA");
	const char *branch = getenv("CI_COMMIT_BRANCH");
	const char *tag = getenv("CI_COMMIT_TAG");
	const char *source = getenv("CI_PIPELINE_SOURCE");
	const char *mr_iid = getenv("CI_MERGE_REQUEST_IID");
	const char *mr_base = getenv("CI_MERGE_REQUEST_DIFF_BASE_SHA");
	const char *mr_branch = getenv("CI_MERGE_REQUEST_TARGET_BRANCH_NAME");
	char *ref;

	ev->kind = CI_GITLAB;
	ev->source = xstrdup(source && *source ? source : "push");
	if (!is_hex40(sha))
		return err_set(e, "CI_COMMIT_SHA is not a 40-digit commit id");
	if ((mr_base && *mr_base) || (mr_iid && *mr_iid)) {
		/*
		 * A merge-request pipeline runs before anything is deployed:
		 * it may show the plan, never purge. The plan is that of the
		 * target branch, where the change will be deployed.
		 */
		if (!is_hex40(mr_base))
			return err_set(e, "CI_MERGE_REQUEST_DIFF_BASE_SHA is not "
				       "a 40-digit commit id");
		ev->trigger = CI_TRIGGER_REVIEW;
		ev->dry_run_only = 1;
		ev->branch = xstrdup(mr_branch && *mr_branch ? mr_branch :
				     "merge-request");
		ev->line = xasprintf("%s %s refs/heads/%s", mr_base, sha,
				     ev->branch);
		memcpy(ev->before, mr_base, 41);
		memcpy(ev->sha, sha, 41);
		return 0;
	}
	if (tag && *tag) {
		ref = xasprintf("refs/tags/%s", tag);
		set_push(ev, ZEROS, sha, ref);
		free(ref);
		return 0;
	}
	if (!branch || !*branch)
		return err_set(e, "CI_COMMIT_BRANCH is not set, and this is no "
			       "tag or merge-request pipeline; use "
			       "'cf-purge-hook range OLD..NEW'");
	ref = xasprintf("refs/heads/%s", branch);
	if (gitlab_manual(source)) {
		int rc = set_manual(ev, sha, ref, "CI_COMMIT_SHA", e);

		free(ref);
		return rc;
	}
	if (!before || !*before)
		before = ZEROS;
	if (!is_hex40(before)) {
		free(ref);
		return err_set(e, "CI_COMMIT_BEFORE_SHA is not a 40-digit "
			       "commit id");
	}
	set_push(ev, before, sha, ref);
	free(ref);
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
	free(ev->branch);
	free(ev->source);
	memset(ev, 0, sizeof(*ev));
}

const char *ci_trigger_name(enum ci_trigger t)
{
	switch (t) {
	case CI_TRIGGER_PUSH: return "push";
	case CI_TRIGGER_CREATED: return "new branch";
	case CI_TRIGGER_DELETED: return "branch deletion";
	case CI_TRIGGER_TAG: return "tag";
	case CI_TRIGGER_MANUAL: return "manual or scheduled";
	case CI_TRIGGER_REVIEW: return "pull or merge request";
	}
	return "?";
}

/* --- What the job shows ------------------------------------------------ */

static void gh_errors(FILE *out, const char *lead, const struct strvec *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++) {
		fprintf(out, "::error::cf-purge-hook: %s", lead);
		ci_put_gh(out, sv->v[i]);
		fputc('\n', out);
	}
}

static void md_row(FILE *f, size_t n, const struct batch *b,
		   const struct send_outcome *o, int dry_run, int spool_dies)
{
	struct strbuf what = STRBUF_INIT;

	batch_describe(&what, b);
	fprintf(f, "| %zu | %s | ", n, b->zone_id ? b->zone_id :
		b->zone_name ? b->zone_name : "?");
	ci_put_md(f, what.buf);
	fputs(" | ", f);
	if (dry_run || !o) {
		fputs("planned (dry run)", f);
	} else {
		const char *st = report_outcome_status(o, 0);
		size_t i;

		/* In a job, "spooled" would promise what the job cannot. */
		fputs(spool_dies && !strcmp(st, "spooled") ? "not sent" : st,
		      f);
		for (i = 0; i < o->refusals.n; i++) {
			fputs("; refused: ", f);
			ci_put_md(f, o->refusals.v[i]);
		}
		if (o->n_spooled && !spool_dies)
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
		ci_put_md(f, rg->ref ? rg->ref : "");
		if (rg->action == RANGE_EVERYTHING)
			fputs("`: purges everything.\n\n", f);
		else
			fprintf(f, "`: %zu changed paths.\n\n", rg->n_changes);
	}
	for (i = 0; i < r->plan.notes.n; i++) {
		fputs("- ", f);
		ci_put_md(f, r->plan.notes.v[i]);
		fputc('\n', f);
	}
	/* A paragraph after a list needs a blank line, or it joins the list. */
	if (r->plan.notes.n)
		fputc('\n', f);
	if (r->plan_error) {
		fputs("**Not purged:** ", f);
		ci_put_md(f, r->plan_error);
		fputs("\n\n", f);
	}
	/*
	 * A run can fail with every request confirmed (a wait_url time-out):
	 * the heading then says what the rows say.
	 */
	for (i = 0; status != 0 && r->outcomes && i < r->batches.n; i++)
		if (r->outcomes[i].n_sent != r->outcomes[i].n_items)
			break;
	if (status != 0 && r->outcomes && i == r->batches.n)
		status = 0;
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
			       r->opts.dry_run, r->spool_dies);
	}
	fputc('\n', f);
	verify_markdown(f, r);
	fclose(f);
	strbuf_release(&counts);
}

static void github_report(FILE *out, const struct run *r, int status)
{
	struct strvec refused = STRVEC_INIT, failed = STRVEC_INIT;

	github_summary(r, status);
	if (r->plan_error) {
		fputs("::error::cf-purge-hook: ", out);
		ci_put_gh(out, r->plan_error);
		fputc('\n', out);
	}
	if (r->send_error) {
		fputs("::error::cf-purge-hook: ", out);
		ci_put_gh(out, r->send_error);
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
