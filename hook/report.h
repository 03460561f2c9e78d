/*
 * What a run tells its user: short lines on standard error for the person
 * pushing (a hook's standard error is what git shows them as "remote:"
 * lines), and, in report_json.h, one JSON object on standard output under
 * --json.
 * Every function here builds its lines in memory and writes them in one
 * piece, then flushes the stream, and every text that did not come from
 * this program (paths, refs, Cloudflare's messages) has its control
 * characters replaced.
 */
#ifndef CFPH_REPORT_H
#define CFPH_REPORT_H

#include <stdio.h>

#include "run.h"

/*
 * Writes "cf-purge-hook: " and msg as one line, with each control
 * character in msg written as '?', so that a message quoting a pushed
 * file or a server's answer cannot forge lines on the terminal.
 */
void report_error(FILE *err, const char *msg);

/* Writes one line per skipped range (and per diffed range when verbose). */
void report_ranges(FILE *err, const struct run *r);

/*
 * Writes the outcome: what would be or was purged, each failure with
 * Cloudflare's code and message (identical lines once, with a count), and
 * what was not purged. This push's requests, the spool's resent ones and
 * the HTTP attempts are counted apart. Under a dry run without --json,
 * each request body also goes to out, one per line.
 */
void report_summary(FILE *out, FILE *err, const struct run *r);

/*
 * The refusals and the reasons for what was not sent, over every outcome
 * of the run (less r->send_error, which is said on its own), appended to
 * refused and failed: each distinct line once, in the order first seen,
 * with " (N times)" when it came N times. Not yet sanitised.
 */
void report_problems(struct strvec *refused, struct strvec *failed,
		     const struct run *r);

/* "purged", "refused", "spooled", "lost", "partial"; for a batch resent
 * from the spool (earlier), "kept" rather than "lost": its file stays. */
const char *report_outcome_status(const struct send_outcome *o, int earlier);

/*
 * Totals over one set of outcomes: this run's batches (r->outcomes) or the
 * spool's (r->spool_outcomes). The summary and the JSON writer both count
 * with these, so that the lines and the numbers cannot disagree.
 */
struct report_tally {
	size_t requests;	/* batches */
	size_t done;		/* batches purged whole */
	size_t attempts;	/* HTTP requests made */
	size_t sent, refused, spooled, lost;
};

/* Fills t (all of it) from the n outcomes at o; o may be NULL (none). */
void report_tally(struct report_tally *t, const struct send_outcome *o,
		  size_t n);

/* Every item the tally counts: sent, refused, spooled or lost. */
size_t report_tally_items(const struct report_tally *t);

/* Writes s with each control character written as '?'. */
void report_put_safe(FILE *f, const char *s);

#endif
