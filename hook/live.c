#include "live.h"
#include "deploy.h"
#include "dirrun.h"
#include "report.h"

#include <stdarg.h>
#include <stdlib.h>

/* report_error() of a formatted message. */
static void CFPH_PRINTF(2, 3) say(FILE *err, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	report_error(err, sb.buf);
	strbuf_release(&sb);
}

/*
 * On timeout the purge goes ahead anyway (late is better than never) and
 * the run fails, so that someone looks.
 */
int live_wait(struct run *r, int served, FILE *err)
{
	const char *commit = NULL;
	struct err e;
	size_t i;

	if ((!r->batches.n && !served) || !r->deploy)
		return 0;
	if (r->config.delay > 0) {
		if (!r->opts.quiet)
			say(err, "waiting %.0f s before purging ([hook] delay)",
			    r->config.delay);
		sleep_seconds(r->config.delay);
	}
	if (!r->config.wait_url)
		return 0;
	for (i = 0; i < r->n_ranges; i++)
		if ((r->ranges[i].action == RANGE_PURGE ||
		     r->ranges[i].action == RANGE_EVERYTHING) &&
		    *r->ranges[i].new_hex)
			commit = r->ranges[i].new_hex;
	if (!commit)
		return 0;
	if (!r->opts.quiet)
		say(err, "waiting until '%s' shows %.7s", r->config.wait_url,
		    commit);
	if (deploy_wait_url(r->config.wait_url, commit, r->config.wait_timeout,
			    &e) < 0) {
		say(err, "warning: %s; purging anyway", e.msg);
		return -1;
	}
	return 0;
}

int live_served_ranges(struct run *r, int *wait_failed, FILE *err)
{
	struct err e;
	size_t i, kept = 0;
	int any = 0;

	if (!r->deploy || r->ci != RUN_CI_NONE || !r->config.served_dir)
		return 0;
	for (i = 0; i < r->n_ranges; i++)
		if (r->ranges[i].action == RANGE_PURGE)
			any = 1;
	if (!any)
		return 0;
	if (live_wait(r, 1, err) < 0)
		*wait_failed = 1;
	for (i = 0; i < r->n_ranges; i++) {
		if (r->ranges[i].action == RANGE_PURGE) {
			free(r->ranges[i].ref);
			continue;
		}
		r->ranges[kept++] = r->ranges[i];
	}
	r->n_ranges = kept;
	if (dirrun_since(r, r->config.served_dir, &e) < 0) {
		report_error(err, e.msg);
		return -1;
	}
	return 1;
}
