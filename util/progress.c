#include "progress.h"
#include "util.h"

#include <unistd.h>

/* Seconds before the first line, and between lines. */
#define QUIET_START 1.0
#define TTY_EVERY 0.25
#define LOG_EVERY 5.0
/* progress_add() calls between looks at the clock, for a fast step. */
#define CALLS_PER_LOOK 64
/* A known total below this is of slow items: every call looks. */
#define SLOW_TOTAL 4096

void progress_start(struct progress *p, FILE *out, const char *what,
		    const char *unit, size_t total)
{
	struct progress init = PROGRESS_INIT;

	*p = init;
	p->out = out;
	p->what = what;
	p->unit = unit;
	p->total = total;
	p->stride = total && total < SLOW_TOTAL ? 1 : CALLS_PER_LOOK;
	p->tty = out && isatty(fileno(out));
	p->next = mono_now() + QUIET_START;
}

/* 12345678 as "12,345,678". */
static void put_count(FILE *f, size_t n)
{
	if (n >= 1000) {
		put_count(f, n / 1000);
		fprintf(f, ",%03zu", n % 1000);
	} else {
		fprintf(f, "%zu", n);
	}
}

static void show(struct progress *p, int done)
{
	FILE *f = p->out;

	fprintf(f, "%scf-purge-hook: %s: ", p->tty ? "\r" : "", p->what);
	put_count(f, p->n);
	if (p->total) {
		fputs(" of ", f);
		put_count(f, p->total);
	}
	fprintf(f, " %s%s", p->unit, done ? ", done" : "");
	/* On a terminal the line is rewritten until the step ends. */
	if (!p->tty || done)
		fputc('\n', f);
	fflush(f);
	p->shown = 1;
}

void progress_add(struct progress *p, size_t n)
{
	double now;

	p->n += n;
	if (!p->out || ++p->calls < p->stride)
		return;
	p->calls = 0;
	now = mono_now();
	if (now < p->next)
		return;
	show(p, 0);
	p->next = now + (p->tty ? TTY_EVERY : LOG_EVERY);
}

void progress_end(struct progress *p)
{
	if (p->out && p->shown)
		show(p, 1);
	p->out = NULL;
}
