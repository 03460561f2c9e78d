#include "report.h"
#include "admin.h"
#include "report_plan.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PREFIX "cf-purge-hook: "

const char *report_outcome_status(const struct send_outcome *o, int earlier)
{
	if (o->n_sent == o->n_items)
		return "purged";
	if (o->n_lost)
		return earlier ? "kept" : "lost";
	if (o->n_refused == o->n_items)
		return "refused";
	if (o->n_spooled == o->n_items)
		return "spooled";
	return "partial";
}

void report_tally(struct report_tally *t, const struct send_outcome *o,
		  size_t n)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	for (i = 0; o && i < n; i++) {
		t->requests++;
		t->done += o[i].n_sent == o[i].n_items;
		t->attempts += (size_t)o[i].attempts;
		t->sent += o[i].n_sent;
		t->refused += o[i].n_refused;
		t->spooled += o[i].n_spooled;
		t->lost += o[i].n_lost;
	}
}

size_t report_tally_items(const struct report_tally *t)
{
	return t->sent + t->refused + t->spooled + t->lost;
}

/*
 * Writes s with every control character replaced, so that a file name
 * with a newline or an escape sequence cannot forge a line on the pushing
 * user's terminal, and every byte that is not valid UTF-8 written as
 * \xNN, so that a name in another encoding reaches no terminal raw.
 */
static void put_safe(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = *p >= 0x80 ? utf8_seq_len(p) : 1;

		/*
		 * A byte that starts no UTF-8 sequence would reach the
		 * terminal raw: it is shown as \xNN, its exact value.
		 */
		if (!n) {
			fprintf(f, "\\x%02X", *p++);
			continue;
		}
		if (n == 1)
			fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
		else
			fwrite(p, 1, n, f);
		p += n;
	}
}

/*
 * A report is built in memory and written to its stream in one piece:
 * standard error is unbuffered, and a line written character by
 * character costs a write(2) a character (2.5 million of them for -v on
 * 100,000 paths). One piece also keeps a report whole when two runs write
 * to one log. When memory for the buffer cannot be had, the report goes
 * to the stream directly.
 */
struct report_buf {
	FILE *dest;
	FILE *mem;
	char *data;
	size_t len;
};

static FILE *buf_open(struct report_buf *b, FILE *dest)
{
	b->dest = dest;
	b->data = NULL;
	b->len = 0;
	b->mem = open_memstream(&b->data, &b->len);
	return b->mem ? b->mem : dest;
}

static void buf_close(struct report_buf *b)
{
	if (b->mem) {
		fclose(b->mem);
		if (b->len)
			fwrite(b->data, 1, b->len, b->dest);
		free(b->data);
	}
	fflush(b->dest);
}

void report_put_safe(FILE *f, const char *s)
{
	put_safe(f, s);
}

void report_error(FILE *err, const char *msg)
{
	struct report_buf b;
	FILE *f = buf_open(&b, err);

	fputs(PREFIX, f);
	put_safe(f, msg);
	fputc('\n', f);
	buf_close(&b);
}

static const char *short_hex(const char *hex, char *buf)
{
	if (!*hex)
		return "0000000";
	memcpy(buf, hex, 7);
	buf[7] = '\0';
	return buf;
}

static void put_ranges(FILE *err, const struct run *r)
{
	size_t i;

	for (i = 0; i < r->n_ranges; i++) {
		const struct range *rg = &r->ranges[i];
		const char *name = rg->ref ? rg->ref : r->dir ? "dir" : "range";
		char a[8], b[8];

		if (rg->action == RANGE_PURGE && !r->opts.verbose)
			continue;
		/* dir without a state: a note in the plan says why. */
		if (rg->action == RANGE_EVERYTHING && r->dir)
			continue;
		fputs(PREFIX, err);
		put_safe(err, name);
		switch (rg->action) {
		case RANGE_PURGE:
			fprintf(err, " %s..%s: %zu changed %s\n",
				short_hex(rg->old_hex, a),
				short_hex(rg->new_hex, b), rg->n_changes,
				rg->n_changes == 1 ? "path" : "paths");
			break;
		case RANGE_EVERYTHING:
			fputs(rg->by_push_option ? ": purging everything (push "
			      "option purge=everything)\n" : !*rg->old_hex ?
			      ": new branch: purging everything (on_create = "
			      "everything)\n" : ": purging everything (its base "
			      "commit is missing; on_missing_base = everything)\n",
			      err);
			break;
		case RANGE_SKIP_CREATED:
			fputs(": not purged: a new branch (on_create = skip; "
			      "set it to 'everything' to purge on creation)\n",
			      err);
			break;
		case RANGE_SKIP_DELETED:
			fputs(": not purged: the branch was deleted\n", err);
			break;
		case RANGE_SKIP_BRANCH: {
			size_t k;

			fputs(": not purged: the branch is not in [hook] "
			      "branches (", err);
			for (k = 0; k < r->config.branches.n; k++) {
				if (k)
					fputs(", ", err);
				put_safe(err, r->config.branches.v[k]);
			}
			fputs(")\n", err);
			break;
		}
		case RANGE_SKIP_NOT_BRANCH:
			fputs(": not purged: not a branch\n", err);
			break;
		}
		if (r->opts.verbose && rg->action == RANGE_PURGE) {
			size_t k;

			for (k = 0; k < rg->n_changes; k++) {
				const struct change *c =
					&r->changes.v[rg->first_change + k];

				fprintf(err, PREFIX "  %s ",
					change_status_name(c->status));
				put_safe(err, c->path);
				fputs(c->mode_only ? " (mode only)\n" : "\n", err);
			}
		}
	}
}

void report_ranges(FILE *err, const struct run *r)
{
	struct report_buf b;

	if (r->opts.quiet)
		return;
	put_ranges(buf_open(&b, err), r);
	buf_close(&b);
}

static void report_items(FILE *err, const struct run *r)
{
	size_t i;
	const cJSON *it;

	for (i = 0; i < r->batches.n; i++) {
		const struct batch *b = &r->batches.v[i];

		if (b->kind == PURGE_EVERYTHING) {
			fputs(PREFIX "  everything\n", err);
			continue;
		}
		cJSON_ArrayForEach(it, b->items) {
			fprintf(err, PREFIX "  %s ", purge_kind_key(b->kind));
			if (cJSON_IsString(it)) {
				put_safe(err, it->valuestring);
			} else {
				char *t = cJSON_PrintUnformatted(it);
				put_safe(err, t ? t : "?");
				free(t);
			}
			fputc('\n', err);
		}
	}
}

/*
 * Lines that may repeat by the thousand (one "not sent" per spooled
 * batch after a deadline), grouped: each distinct line once, in the
 * order first seen, with how many times it came.
 */
struct tally_line {
	const char *s;		/* borrowed */
	size_t first;		/* its first position */
	size_t n;
};

static int by_text(const void *a, const void *b)
{
	const struct tally_line *x = a, *y = b;
	int c = strcmp(x->s, y->s);

	return c ? c : x->first < y->first ? -1 : x->first > y->first;
}

static int by_first(const void *a, const void *b)
{
	const struct tally_line *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

struct line_set {
	struct tally_line *v;
	size_t n, alloc;
};

static void line_add(struct line_set *ls, const char *s)
{
	if (ls->n == ls->alloc) {
		ls->alloc = ls->alloc ? ls->alloc * 2 : 16;
		ls->v = xrealloc(ls->v, ls->alloc * sizeof(*ls->v));
	}
	ls->v[ls->n].s = s;
	ls->v[ls->n].first = ls->n;
	ls->v[ls->n].n = 1;
	ls->n++;
}

/* Merges identical lines, counting them, and restores the first order. */
static void line_group(struct line_set *ls)
{
	size_t i, k = 0;

	if (!ls->n)
		return;
	qsort(ls->v, ls->n, sizeof(*ls->v), by_text);
	for (i = 1; i < ls->n; i++) {
		if (!strcmp(ls->v[i].s, ls->v[k].s))
			ls->v[k].n++;
		else
			ls->v[++k] = ls->v[i];
	}
	ls->n = k + 1;
	qsort(ls->v, ls->n, sizeof(*ls->v), by_first);
}

static void line_set_release(struct line_set *ls)
{
	free(ls->v);
	memset(ls, 0, sizeof(*ls));
}

/* The refusals, the reasons for what was not sent (less send_error,
 * which is said once on its own), and why the spool could not take a
 * request (sent or not), of every outcome of the run. */
static void collect_problems(struct line_set *refused, struct line_set *failed,
			     struct line_set *unkept, const struct run *r)
{
	const struct send_outcome *sets[2];
	size_t counts[2], s, i, k;

	sets[0] = r->spool_outcomes;
	counts[0] = r->spooled.n;
	sets[1] = r->outcomes;
	counts[1] = r->batches.n;
	for (s = 0; s < 2; s++)
		for (i = 0; sets[s] && i < counts[s]; i++) {
			const struct send_outcome *o = &sets[s][i];

			for (k = 0; k < o->refusals.n; k++)
				line_add(refused, o->refusals.v[k]);
			for (k = 0; k < o->failures.n; k++)
				if (!r->send_error ||
				    strcmp(o->failures.v[k], r->send_error))
					line_add(failed, o->failures.v[k]);
			for (k = 0; k < o->spool_errors.n; k++)
				line_add(unkept, o->spool_errors.v[k]);
		}
	line_group(refused);
	line_group(failed);
	line_group(unkept);
}

/* What lead the spool's problems, which are no reason for not sending. */
#define UNKEPT_LEAD "not kept in the spool: "

static void print_grouped(FILE *err, const char *lead,
			  const struct line_set *ls)
{
	size_t i;

	for (i = 0; i < ls->n; i++) {
		fprintf(err, PREFIX "%s", lead);
		put_safe(err, ls->v[i].s);
		if (ls->v[i].n > 1)
			fprintf(err, " (%zu times)", ls->v[i].n);
		fputc('\n', err);
	}
}

static void push_grouped(struct strvec *out, const struct line_set *ls)
{
	size_t i;

	for (i = 0; i < ls->n; i++)
		if (ls->v[i].n > 1)
			strvec_pushf(out, "%s (%zu times)", ls->v[i].s,
				     ls->v[i].n);
		else
			strvec_push(out, ls->v[i].s);
}

void report_problems(struct strvec *refused, struct strvec *failed,
		     const struct run *r)
{
	struct line_set rl = { NULL, 0, 0 }, fl = { NULL, 0, 0 };
	struct line_set ul = { NULL, 0, 0 };
	size_t i, from;

	collect_problems(&rl, &fl, &ul, r);
	push_grouped(refused, &rl);
	push_grouped(failed, &fl);
	from = failed->n;
	push_grouped(failed, &ul);
	for (i = from; i < failed->n; i++) {
		char *s = xasprintf(UNKEPT_LEAD "%s", failed->v[i]);

		free(failed->v[i]);
		failed->v[i] = s;
	}
	line_set_release(&rl);
	line_set_release(&fl);
	line_set_release(&ul);
}

/* " in 1 request (3 attempts)": the attempts only when they differ. */
static void put_requests_attempts(FILE *err, size_t requests, size_t attempts)
{
	fprintf(err, " in %zu %s", requests,
		requests == 1 ? "request" : "requests");
	if (attempts != requests)
		fprintf(err, " (%zu %s)", attempts,
			attempts == 1 ? "attempt" : "attempts");
}

static void dry_run_summary(FILE *out, FILE *err, const struct run *r,
			    const char *counts, const char *kept)
{
	size_t n = r->batches.n;

	if (!r->opts.json) {
		size_t i;

		for (i = 0; i < n; i++) {
			const struct batch *b = &r->batches.v[i];
			char *body = batch_body_text(b);

			fprintf(out, "POST /zones/%s/%s %s\n",
				b->zone_id ? b->zone_id : b->zone_name,
				r->config.mode == MODE_INVALIDATE ?
				"invalidate_cache" : "purge_cache", body);
			free(body);
		}
	}
	if (r->opts.quiet)
		return;
	if (n)
		fprintf(err, PREFIX "dry run: would purge %s in %zu %s%s\n",
			counts, n, n == 1 ? "request" : "requests", kept);
	else
		fputs(PREFIX "dry run: nothing to purge\n", err);
}

static void put_retry_advice(FILE *err, const struct run *r, size_t kept)
{
	char *sudo;

	fprintf(err, PREFIX "not purged yet: %zu %s kept in '", kept,
		kept == 1 ? "item" : "items");
	put_safe(err, r->spool_dir ? r->spool_dir : "");
	/*
	 * Without a repository (dir) there is no push and retry cannot
	 * run: the next run with this configuration sends them.
	 */
	if (!r->repo) {
		fputs("'; the next run with this configuration sends them", err);
		if (r->dir_new && !r->dir_old) {
			fputs(", or now: cf-purge-hook", err);
			if (r->opts.config_path) {
				fputs(" -c '", err);
				put_safe(err, r->opts.config_path);
				fputc('\'', err);
			}
			fputs(" dir '", err);
			put_safe(err, r->dir_new);
			fputc('\'', err);
		}
		fputc('\n', err);
		return;
	}
	fputs("'; the next push sends them, or now: ", err);
	sudo = admin_sudo(r);
	put_safe(err, sudo);
	free(sudo);
	fputs("cf-purge-hook -C '", err);
	put_safe(err, git_repository_path(r->repo));
	fputc('\'', err);
	if (r->opts.config_path) {
		fputs(" -c '", err);
		put_safe(err, r->opts.config_path);
		fputc('\'', err);
	}
	fputs(" retry\n", err);
}

/*
 * What was sent, in three parts the person pushing can tell apart: this
 * push's requests (r->outcomes), the spool's requests from earlier runs
 * (r->spool_outcomes), and the HTTP attempts each took, retries and
 * halves included.
 */
static void sent_summary(FILE *err, const struct run *r, const char *counts,
			 const char *cached_kept)
{
	struct report_tally now, before;
	struct line_set refused = { NULL, 0, 0 }, failed = { NULL, 0, 0 };
	struct line_set unkept = { NULL, 0, 0 };
	size_t i, n = r->batches.n, kept, not_purged;

	report_tally(&now, r->outcomes, n);
	report_tally(&before, r->spool_outcomes, r->spooled.n);
	if (!n && !r->spooled.n) {
		int diffed = 0;

		for (i = 0; i < r->n_ranges; i++)
			diffed |= r->ranges[i].action == RANGE_PURGE;
		/* A built folder is the site as served: no [site] root. */
		if (diffed && !r->opts.quiet && r->dir && !r->changes.n)
			fputs(PREFIX "nothing to purge: nothing changed in "
			      "the folder\n", err);
		else if (diffed && !r->opts.quiet && r->dir)
			fprintf(err, PREFIX "nothing to purge: %zu "
				"changed %s, each left out by [ignore] or "
				"mapped to nothing by [map]\n", r->changes.n,
				r->changes.n == 1 ? "path" : "paths");
		else if (diffed && !r->opts.quiet)
			fprintf(err, PREFIX "nothing to purge: %zu "
				"changed %s, not served under [site] "
				"root nor matched by [map]\n",
				r->changes.n,
				r->changes.n == 1 ? "path" : "paths");
	}
	/* The summary first: it is what the person pushing reads. */
	if (n && !now.refused && !now.spooled && !now.lost) {
		if (!r->opts.quiet) {
			fprintf(err, PREFIX "purged %s", counts);
			put_requests_attempts(err, n, now.attempts);
			fprintf(err, ", %.1f s%s\n", r->seconds, cached_kept);
			if (r->opts.verbose)
				report_items(err, r);
		}
	} else if (n) {
		fprintf(err, PREFIX "purged %zu of %zu items", now.sent,
			report_tally_items(&now));
		put_requests_attempts(err, n, now.attempts);
		fprintf(err, ", %.1f s\n", r->seconds);
	}
	if (r->spooled.n && (!r->opts.quiet || before.done < before.requests)) {
		fprintf(err, PREFIX "resent %zu of %zu requests spooled by "
			"earlier runs: %zu of %zu items purged", before.done,
			before.requests, before.sent,
			report_tally_items(&before));
		if (before.attempts != before.requests)
			fprintf(err, " (%zu %s)", before.attempts,
				before.attempts == 1 ? "attempt" : "attempts");
		fputc('\n', err);
	}
	if (r->spool_covered && !r->opts.quiet)
		fprintf(err, PREFIX "%zu %s spooled by earlier runs %s "
			"purged by this run's own requests, and left the "
			"spool\n", r->spool_covered,
			r->spool_covered == 1 ? "item" : "items",
			r->spool_covered == 1 ? "was" : "were");
	if (r->send_error) {
		fputs(PREFIX, err);
		put_safe(err, r->send_error);
		fputc('\n', err);
	}
	for (i = 0; i < r->spooled.problems.n; i++) {
		fputs(PREFIX, err);
		put_safe(err, r->spooled.problems.v[i]);
		fputc('\n', err);
	}
	collect_problems(&refused, &failed, &unkept, r);
	print_grouped(err, "refused by Cloudflare: ", &refused);
	print_grouped(err, "not sent: ", &failed);
	print_grouped(err, UNKEPT_LEAD, &unkept);
	line_set_release(&refused);
	line_set_release(&failed);
	line_set_release(&unkept);
	not_purged = now.refused + before.refused;
	if (not_purged)
		fprintf(err, PREFIX "not purged: %zu %s refused by Cloudflare "
			"(see above); fix the configuration that produced "
			"%s\n", not_purged, not_purged == 1 ? "item" : "items",
			not_purged == 1 ? "it" : "them");
	/*
	 * A spooled batch that could not be spooled again keeps its old
	 * file: what it holds is kept, not lost.
	 */
	kept = now.spooled + before.spooled + before.lost;
	if (r->spool_dies) {
		/* The job's spool goes with the job: say what happens. */
		kept = before.spooled + before.lost;
		now.lost += now.spooled;
		now.spooled = 0;
	}
	if (kept)
		put_retry_advice(err, r, kept);
	if (now.lost && r->spool_dies && r->owed_by)
		fprintf(err, PREFIX "not purged: %zu %s; %s\n", now.lost,
			now.lost == 1 ? "item" : "items", r->owed_by);
	else if (now.lost && r->spool_dies)
		fprintf(err, PREFIX "NOT PURGED: %zu %s, and this job's spool "
			"goes with it; to purge them, re-run the job once "
			"Cloudflare answers, or let the purge marker keep them "
			"for the next run ([ci] marker = true, with write "
			"access to the repository)\n", now.lost,
			now.lost == 1 ? "item" : "items");
	else if (now.lost && r->push_kept)
		fprintf(err, PREFIX "not purged yet: %zu %s not sent and not "
			"in the spool; the push itself is kept, and the next "
			"push or 'cf-purge-hook retry' plans them again\n",
			now.lost, now.lost == 1 ? "item" : "items");
	else if (now.lost && r->dir && r->dir_new && !r->dir_old)
		/* dir DIR records nothing then (dir_record()). */
		fprintf(err, PREFIX "not purged yet: %zu %s not sent and not "
			"in the spool; the state is left as it was, so the "
			"next run purges them again\n", now.lost,
			now.lost == 1 ? "item" : "items");
	else if (now.lost)
		fprintf(err, PREFIX "NOT PURGED and not kept: %zu %s (see "
			"above); purge them by hand\n", now.lost,
			now.lost == 1 ? "item" : "items");
}

void report_summary(FILE *out, FILE *err, const struct run *r)
{
	struct strbuf sb = STRBUF_INIT, kept = STRBUF_INIT;
	struct report_buf b;
	FILE *f = buf_open(&b, err);

	report_plan_summary(&sb, r);
	report_plan_kept(&kept, r);
	if (!r->opts.quiet) {
		size_t i;

		for (i = 0; i < r->plan.notes.n; i++) {
			fputs(PREFIX, f);
			put_safe(f, r->plan.notes.v[i]);
			fputc('\n', f);
		}
	}
	report_plan_lines(f, r);
	if (r->opts.dry_run)
		dry_run_summary(out, f, r, sb.buf, strbuf_str(&kept));
	else if (r->sent)
		sent_summary(f, r, sb.buf, strbuf_str(&kept));
	buf_close(&b);
	strbuf_release(&sb);
	strbuf_release(&kept);
}
