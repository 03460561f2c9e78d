/*
 * What a ci run leaves for the workflow besides its log: the step outputs
 * (GitHub's $GITHUB_OUTPUT: status, urls, prefixes, tags, hosts,
 * requests, marker), and, for runs that send nothing (a skip, a refusal,
 * nothing owed), the job summary, the annotations and the --json object
 * that ci_report and report_json give the runs that plan.
 */
#ifndef CFPH_CI_OUTPUT_H
#define CFPH_CI_OUTPUT_H

#include <stdio.h>

#include "ci_base.h"

/*
 * Writes s as one GitHub workflow command's text (%, CR and LF escaped),
 * or as one Markdown table cell or line (no '|', no line breaks).
 */
void ci_put_gh(FILE *f, const char *s);
void ci_put_md(FILE *f, const char *s);

/* "purged", "nothing", "skipped", "refused", "failed" or "dry-run". */
const char *ci_status_name(enum ci_status s);

/*
 * Appends the outputs to $GITHUB_OUTPUT when it is set (on any CI: a
 * GitLab job ignores it). r may be NULL (nothing planned); marker is the
 * marker's commit after the run, "" when there is none.
 */
void ci_output_write(enum ci_status status, const struct run *r,
		     const char *marker);

/*
 * A run that planned nothing: writes its reason to standard error (unless
 * quiet: a refusal printed already, or -q for a skip),
 * and on GitHub Actions appends it to the step summary and, for a
 * refusal, an "::error::" line to out; under json, one JSON object on
 * standard output ({"status", "reason"} or {"status", "error"}).
 */
void ci_output_early(FILE *out, int github, int json, enum ci_status status,
		     const char *reason, const char *marker, int quiet);

/*
 * Warnings of a run (the marker's problems). CI_WARN_LOG: each on
 * standard error with the usual prefix and, on GitHub Actions, as a
 * "::warning::" line on out. CI_WARN_SUMMARY: on GitHub Actions, in the
 * step summary (after the run's own part, so a warning found early is
 * logged at once and summarised at the end).
 */
enum { CI_WARN_LOG = 1, CI_WARN_SUMMARY = 2 };
void ci_output_warnings(FILE *out, int github, const struct strvec *w,
			int where);

/* On GitHub Actions, a line on the marker for the step summary. */
void ci_output_marker_line(int github, const struct ci_state *st);

#endif
