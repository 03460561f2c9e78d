/*
 * The deploy step of a run that purges pushes, between reading them and
 * sending: wait until the pushed version is live ([hook] delay, then
 * [hook] wait_url), and with [site] served_dir, purge what changed in the
 * served folder instead of what the pushes changed in the repository.
 * Lines for the person pushing go to err; the progress lines ("waiting
 * ...") only without --quiet. Nothing here decides the exit status.
 */
#ifndef CFPH_LIVE_H
#define CFPH_LIVE_H

#include <stdio.h>
#include <time.h>

#include "run.h"

/* Where a run's ranges come from, which decides how it waits. */
struct live {
	enum live_kind {
		LIVE_NONE,	/* range, dir: purged as asked, at once */
		LIVE_PUSH,	/* hook, ci: the push just made, then (in
				   a hook) the pushes earlier runs kept */
		LIVE_KEPT	/* retry: pushes earlier runs kept */
	} kind;
	/* LIVE_PUSH: ranges 0 to n_own are the push's own, kept ones after. */
	size_t n_own;
	/* LIVE_KEPT: when the newest kept push was written (keep_newest). */
	time_t kept_at;
};

#define LIVE_INIT { LIVE_NONE, 0, 0 }

/* What live_prepare returns. */
enum {
	LIVE_UNREADABLE = -1,	/* the served folder is unreadable */
	LIVE_LATER = 0,		/* nothing done yet: live_wait later */
	LIVE_READY = 1		/* waited (or had not to); ranges final */
};

/*
 * Before planning. A hook with [site] served_dir and a range that purges
 * (its own or a kept push's) waits as live_wait does, then replaces the
 * ranges that purge with what changed in the served folder since the
 * last run (dir_since, hook/dir.h), which r->dir then holds.
 *
 * retry (LIVE_KEPT) with a range that purges waits what is left of [hook]
 * delay since the newest kept push was written, then checks wait_url for
 * a short while only (at most 10 s, or wait_timeout when shorter): a
 * retry from cron must neither hold the lock for minutes nor, when the
 * site is behind, purge the folder before it is built and let go of the
 * push. When the site shows the newest kept commit (or wait_url is not
 * set), served_dir applies as in the hook.
 *
 * Returns LIVE_READY after waiting, with *wait_failed set to 1 when the
 * site did not show the commit in time: the hook then purges anyway (late
 * is better than never), retry has taken the kept pushes out of r
 * (kept_hold, hook/kept.h) after writing why to err, so that they stay
 * kept, and the run fails either way, so that someone looks. Returns
 * LIVE_LATER when there is nothing to do before planning;
 * LIVE_UNREADABLE after writing why to err, when the served folder
 * cannot be read (the ranges that purged are gone: nothing of r must be
 * sent, and kept pushes stay kept).
 */
int live_prepare(struct run *r, const struct live *lv, int *wait_failed,
		 FILE *err);

/*
 * After planning, when live_prepare returned LIVE_LATER: a hook or ci run
 * (LIVE_PUSH) with a batch to send waits as [hook] delay and wait_url say,
 * wait_url until the page names the newest commit of the push's own
 * ranges that purge. Returns 0 once the site shows it, or when there was
 * nothing to wait for; -1 after writing a warning to err when it did not
 * show it in time: the caller purges anyway and fails the run.
 */
int live_wait(struct run *r, const struct live *lv, FILE *err);

#endif
