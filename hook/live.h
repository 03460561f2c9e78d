/*
 * The deploy step of a run, between reading the pushes and planning:
 * wait until the pushed version is live ([hook] delay, then [hook]
 * wait_url), and with [site] served_dir, purge what changed in the
 * served folder instead of what the push changed in the repository.
 * Lines for the person pushing go to err; the progress lines ("waiting
 * ...") only without --quiet. Nothing here decides the exit status.
 */
#ifndef CFPH_LIVE_H
#define CFPH_LIVE_H

#include <stdio.h>

#include "run.h"

/*
 * Waits as [hook] delay and wait_url say, when r is a deploy (a hook or
 * ci run) with something to purge: a batch, or served set (the served
 * folder is still to be read, so there is no batch yet). wait_url is
 * polled until the page names the newest commit of a range that purges.
 * Returns 0 once the site shows it, or when there was nothing to wait
 * for; -1 after writing a warning to err when it did not show it in
 * time: the caller purges anyway (late is better than never) and fails
 * the run, so that someone looks.
 */
int live_wait(struct run *r, int served, FILE *err);

/*
 * [site] served_dir in a hook: once the site is live (live_wait), the
 * ranges that purge give way to what changed in the served folder since
 * the last run (dirrun_since, hook/dirrun.h), which r->dir then holds.
 * Returns 1 when it waited and replaced them (*wait_failed set to 1 when
 * live_wait returned -1), 0 when nothing purges or served_dir is unset
 * (r is left as it was), -1 after writing to err why the folder could
 * not be read (the ranges that purged are gone: nothing must be sent).
 */
int live_served_ranges(struct run *r, int *wait_failed, FILE *err);

#endif
