#include "live.h"
#include "deploy.h"
#include "dir.h"
#include "kept.h"
#include "report.h"

#include <stdarg.h>
#include <stdlib.h>

/* How long retry looks at wait_url, at most: a check, not a wait. */
#define LIVE_RETRY_CHECK 10.0

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

static int purges(const struct range *rg)
{
	return rg->action == RANGE_PURGE || rg->action == RANGE_EVERYTHING;
}

/*
 * The commit wait_url must show: the newest one of the push's own ranges
 * that purge, else (no own range purges, or retry) of the kept ones.
 * Kept pushes are older than the push that runs: waiting for one of them
 * would wait for a page that has moved on. NULL when no range purges.
 */
static const char *newest_commit(const struct run *r, const struct live *lv)
{
	const char *own = NULL, *any = NULL;
	size_t i;

	for (i = 0; i < r->n_ranges; i++) {
		/* A marker's gap ends where a push or a kept one starts. */
		if (!purges(&r->ranges[i]) || !*r->ranges[i].new_hex ||
		    r->ranges[i].gap)
			continue;
		any = r->ranges[i].new_hex;
		if (i < lv->n_own)
			own = any;
	}
	return own ? own : any;
}

/* [hook] delay, then wait_url for the whole wait_timeout. */
static int wait_push(struct run *r, const struct live *lv, FILE *err)
{
	const char *commit;
	struct err e;

	if (r->config.delay > 0) {
		if (!r->opts.quiet)
			say(err, "waiting %.0f s before purging ([hook] delay)",
			    r->config.delay);
		sleep_seconds(r->config.delay);
	}
	if (!r->config.wait_url || !(commit = newest_commit(r, lv)))
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

/*
 * retry: what is left of [hook] delay since the newest kept push, then a
 * short look at wait_url. Returns 0 when the site shows the newest kept
 * commit (or nothing says how to tell), -1 after saying why when not.
 */
static int check_kept(struct run *r, const struct live *lv, FILE *err)
{
	double left = r->config.delay - difftime(time(NULL), lv->kept_at);
	double timeout = r->config.wait_timeout < LIVE_RETRY_CHECK ?
			 r->config.wait_timeout : LIVE_RETRY_CHECK;
	const char *commit;
	struct err e;

	if (lv->kept_at && left > 0) {
		if (!r->opts.quiet)
			say(err, "waiting %.0f s before purging ([hook] delay "
			    "since the kept push)", left);
		sleep_seconds(left);
	}
	if (!r->config.wait_url || !(commit = newest_commit(r, lv)))
		return 0;
	if (!r->opts.quiet)
		say(err, "checking that '%s' shows %.7s", r->config.wait_url,
		    commit);
	if (deploy_wait_url(r->config.wait_url, commit, timeout, &e) < 0) {
		say(err, "%s; the site does not show %.7s yet, so its kept "
		    "push stays for the next push or 'cf-purge-hook retry'",
		    e.msg, commit);
		return -1;
	}
	return 0;
}

/* The ranges that purge give way to the served folder's changes. */
static int use_served(struct run *r, FILE *err)
{
	struct err e;
	size_t i, kept = 0;

	for (i = 0; i < r->n_ranges; i++) {
		if (r->ranges[i].action == RANGE_PURGE) {
			free(r->ranges[i].ref);
			continue;
		}
		r->ranges[kept++] = r->ranges[i];
	}
	r->n_ranges = kept;
	if (dir_since(r, r->config.served_dir, &e) < 0) {
		report_error(err, e.msg);
		return LIVE_UNREADABLE;
	}
	return LIVE_READY;
}

int live_prepare(struct run *r, const struct live *lv, int *wait_failed,
		 FILE *err)
{
	int diff = 0, any = 0, served;
	size_t i;

	for (i = 0; i < r->n_ranges; i++) {
		diff |= r->ranges[i].action == RANGE_PURGE;
		any |= purges(&r->ranges[i]);
	}
	served = diff && r->config.served_dir && r->ci == RUN_CI_NONE;
	if (lv->kind == LIVE_KEPT && any) {
		if (check_kept(r, lv, err) < 0) {
			/* The spool is still resent; the kept pushes wait. */
			kept_hold(r, lv->n_own);
			*wait_failed = 1;
			return LIVE_READY;
		}
		return served ? use_served(r, err) : LIVE_READY;
	}
	if (lv->kind == LIVE_PUSH && served) {
		if (wait_push(r, lv, err) < 0)
			*wait_failed = 1;
		return use_served(r, err);
	}
	return LIVE_LATER;
}

int live_wait(struct run *r, const struct live *lv, FILE *err)
{
	if (lv->kind != LIVE_PUSH || !r->batches.n)
		return 0;
	return wait_push(r, lv, err);
}
