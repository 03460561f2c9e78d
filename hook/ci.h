/*
 * The ci command: where the range to purge comes from on a CI runner.
 * GitHub Actions describes a push in the JSON file at GITHUB_EVENT_PATH;
 * GitLab CI in CI_COMMIT_BEFORE_SHA, CI_COMMIT_SHA and CI_COMMIT_BRANCH.
 */
#ifndef CFPH_CI_H
#define CFPH_CI_H

#include "../mapping/util.h"

enum ci_kind {
	CI_GITHUB,
	CI_GITLAB
};

struct ci_event {
	enum ci_kind kind;
	char *line;		/* owned: "<old> <new> <ref>", as a hook reads */
	char before[41];	/* "" when the branch was created */
	int forced;		/* GitHub says the push was forced */
	int dry_run_only;	/* a merge-request pipeline: plan, never purge */
};

/*
 * Reads the environment of a GitHub Actions or GitLab CI job into *ev,
 * released with ci_event_release. Returns 0, or -1 with e saying what is
 * missing, or that this is no CI job (then 'range' is the way).
 */
int ci_detect(struct ci_event *ev, struct err *e);

void ci_event_release(struct ci_event *ev);

/* The advice for a base commit missing from the clone, for ev's CI. */
const char *ci_fetch_advice(const struct ci_event *ev);

#endif
