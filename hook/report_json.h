/*
 * The --json output: the whole run as one JSON object on standard output,
 * for scripts and CI jobs. Kept apart from report.c, which words the same
 * run for the person pushing; both count outcomes with report_tally().
 */
#ifndef CFPH_REPORT_JSON_H
#define CFPH_REPORT_JSON_H

#include <stdio.h>

#include "run.h"

/*
 * Writes the run to out as one JSON object and a newline: "ranges",
 * "changes", "requests" (each with "zone_id" and "body", and "outcome"
 * once sent), "notes", "config_errors" and "planner" when there are any,
 * and, once the run sent, "spooled_earlier", "attempts", "this_run",
 * "earlier_runs", "seconds" and "error" (when sending stopped). Text that
 * is not valid UTF-8 (git paths and refs need not be) has each stray byte
 * written as U+FFFD, so the output always parses. The object is built in
 * memory and written in pieces of about 64 KiB; nothing is kept after it
 * returns, and r is only read. Returns 0, or -1 when out could not be
 * written or flushed.
 */
int report_json(FILE *out, const struct run *r);

#endif
