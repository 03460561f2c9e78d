/*
 * What the planner's folder prefixes cost (mapping/fold.h), for the
 * summary, -v, --dry-run and --json. Kept apart from report.c, which
 * calls these; nothing here calls report.c.
 */
#ifndef CFPH_REPORT_PLAN_H
#define CFPH_REPORT_PLAN_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "run.h"

/* Appends "3 URLs, 1 tag" (or "everything") for a plan. */
void report_plan_counts(struct strbuf *sb, const struct plan *p);

/*
 * Appends what the plan purges, as report_plan_counts() does, with the
 * folder prefixes first and what they cover: "2 prefixes (13,969 changed
 * of 13,980 files under them), 12 URLs".
 */
void report_plan_summary(struct strbuf *sb, const struct run *r);

/*
 * Appends "; 58,000 cached files kept" (the site's files that neither a
 * prefix nor a URL purges) when the planner chose prefixes; else nothing.
 */
void report_plan_kept(struct strbuf *sb, const struct run *r);

/*
 * Under -v or --dry-run (not --quiet), writes one line per folder prefix
 * (its folder, files covered, how many changed, collateral) and one line
 * of totals, each with the "cf-purge-hook: " prefix.
 */
void report_plan_lines(FILE *err, const struct run *r);

/*
 * The planner's choices as a JSON object for --json, or NULL when it
 * chose neither a prefix nor to purge everything. The caller owns it.
 */
cJSON *report_plan_json(const struct run *r);

#endif
