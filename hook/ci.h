/*
 * The ci command: what started the job on a CI runner, and what the job
 * shows besides the summary. GitHub Actions names the event in
 * GITHUB_EVENT_NAME and describes it in the JSON file at
 * GITHUB_EVENT_PATH; GitLab CI in CI_PIPELINE_SOURCE, CI_COMMIT_BEFORE_SHA,
 * CI_COMMIT_SHA, CI_COMMIT_BRANCH, CI_COMMIT_TAG and the
 * CI_MERGE_REQUEST_* variables. Where the range starts (the purge marker)
 * is hook/ci_base.h's.
 */
#ifndef CFPH_CI_H
#define CFPH_CI_H

#include <stdio.h>

#include "../util/util.h"

struct run;

enum ci_kind {
	CI_GITHUB,
	CI_GITLAB
};

/* What started the job; each is handled the same on both CIs. */
enum ci_trigger {
	CI_TRIGGER_PUSH,	/* a push to an existing branch */
	CI_TRIGGER_CREATED,	/* a push that created the branch */
	CI_TRIGGER_DELETED,	/* a push that deleted the branch */
	CI_TRIGGER_TAG,		/* a tag: nothing is deployed, skipped */
	CI_TRIGGER_MANUAL,	/* manual, scheduled, web, api, trigger */
	CI_TRIGGER_REVIEW	/* pull or merge request: plan only */
};

struct ci_event {
	enum ci_kind kind;
	enum ci_trigger trigger;
	char *line;		/* owned: "<old> <new> <ref>", as a hook reads */
	char *branch;		/* owned; the branch deployed (for a review,
				   the target); "" for a tag */
	char *source;		/* owned; the CI's name for the event */
	char before[41];	/* "" when the branch was created or unknown */
	char sha[41];		/* the commit the job runs for; "" deleted */
	int forced;		/* GitHub says the push was forced */
	int dry_run_only;	/* a merge-request pipeline: plan, never purge */
};

/* A word for the trigger, as the summary and the outputs name it. */
const char *ci_trigger_name(enum ci_trigger t);

/*
 * Reads the environment of a GitHub Actions or GitLab CI job into *ev,
 * released with ci_event_release. Returns 0, or -1 with e saying what is
 * missing, or that this is no CI job (then 'range' is the way).
 */
int ci_detect(struct ci_event *ev, struct err *e);

void ci_event_release(struct ci_event *ev);

/*
 * What a CI job shows besides the summary, for r->ci: on GitHub Actions,
 * a Markdown table appended to $GITHUB_STEP_SUMMARY and one "::error::"
 * line on out per distinct failure (with a count when it repeats); on
 * GitLab CI, the requests in a collapsed log section. status is the run's
 * exit status. The text is written to out in one piece, then flushed.
 * Under --json, out must be standard error: standard output then holds
 * the JSON document alone.
 */
void ci_report(FILE *out, const struct run *r, int status);


#endif
