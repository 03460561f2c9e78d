/*
 * How far a long step has come, on standard error, for the person who
 * waits for it: a first `dir` run over 200,000 files, or a push with
 * thousands of requests to send. On a terminal, one line rewritten in
 * place a few times a second; elsewhere (a hook, whose standard error git
 * shows as "remote:" lines beside its own progress), a line every few
 * seconds. Nothing is written in a step's first second, so short runs say
 * nothing more than before. The caller decides whether there is anyone to
 * tell (never under --json or --quiet) by giving a stream or NULL.
 */
#ifndef CFPH_PROGRESS_H
#define CFPH_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

struct progress {
	FILE *out;		/* borrowed; NULL: say nothing */
	const char *what;	/* borrowed: "reading 'public'" */
	const char *unit;	/* borrowed: "files" */
	size_t total;		/* 0 when not known */
	size_t n;
	unsigned calls;		/* progress_add() calls since the last look
				   at the clock */
	unsigned stride;	/* calls between looks: 1 for slow steps */
	int tty;
	int shown;		/* a line was written */
	double next;		/* monotonic time of the next line */
};

#define PROGRESS_INIT { NULL, NULL, NULL, 0, 0, 0, 1, 0, 0, 0 }

/*
 * Starts a step named what, counting unit (both borrowed until
 * progress_end()), out of total (0 when unknown), told on out (NULL for
 * nobody).
 */
void progress_start(struct progress *p, FILE *out, const char *what,
		    const char *unit, size_t total);

/*
 * Adds n done. Cheap: for a step of unknown or large total it looks at
 * the clock once every 64 calls; for a small known total (requests to
 * send), at every call.
 */
void progress_add(struct progress *p, size_t n);

/*
 * Ends the step: when a line was written, a last one with the count and
 * "done" (on a terminal, ending the rewritten line). Safe to call twice.
 */
void progress_end(struct progress *p);

#endif
