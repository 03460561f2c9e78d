#include "report.h"
#include "report_plan.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PREFIX "cf-purge-hook: "

static cJSON *ranges_json(const struct run *r)
{
	cJSON *arr = need(cJSON_CreateArray());
	size_t i;

	for (i = 0; i < r->n_ranges; i++) {
		const struct range *rg = &r->ranges[i];
		cJSON *o = need(cJSON_CreateObject());

		if (rg->ref)
			need(cJSON_AddStringToObject(o, "ref", rg->ref));
		else
			need(cJSON_AddNullToObject(o, "ref"));
		if (*rg->old_hex)
			need(cJSON_AddStringToObject(o, "old", rg->old_hex));
		else
			need(cJSON_AddNullToObject(o, "old"));
		if (*rg->new_hex)
			need(cJSON_AddStringToObject(o, "new", rg->new_hex));
		else
			need(cJSON_AddNullToObject(o, "new"));
		need(cJSON_AddStringToObject(o, "action",
			rg->action == RANGE_PURGE ? "purge" :
			rg->action == RANGE_EVERYTHING ? "everything" :
			rg->action == RANGE_SKIP_CREATED ? "skip-created" :
			rg->action == RANGE_SKIP_DELETED ? "skip-deleted" :
			rg->action == RANGE_SKIP_BRANCH ? "skip-branch" :
			"skip-not-branch"));
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* U+FFFD, the replacement character, in UTF-8. */
#define REPLACEMENT "\xef\xbf\xbd"

/*
 * The length of the UTF-8 sequence at s (1 to 4 bytes), or 0 when s does
 * not start a valid one: a stray continuation byte, a sequence cut short,
 * an overlong form, a surrogate or a code point above U+10FFFF.
 */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	/* The second byte's range rules out what the first cannot. */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/*
 * Writes the UTF-8 sequence at s, or U+FFFD when s does not start a valid
 * one, and returns how many bytes of s that was (at least 1; s is not at
 * its end).
 */
static size_t put_char(FILE *f, const char *s)
{
	size_t n = utf8_len((const unsigned char *)s);

	if (!n) {
		fputs(REPLACEMENT, f);
		return 1;
	}
	fwrite(s, 1, n, f);
	return n;
}

/*
 * Writes s, with each byte that is not part of a valid UTF-8 sequence
 * written as U+FFFD, the replacement character. JSON text is UTF-8, and
 * git file names and ref names need not be; cJSON copies such bytes as
 * they are. Every byte of JSON's own syntax is ASCII, so the replacement
 * leaves the structure alone, and the output always parses. (URLs stay
 * exact: they are percent-encoded byte by byte.)
 */
static void put_utf8(FILE *f, const char *s)
{
	while (*s) {
		const char *run = s;
		size_t n;

		/* Valid text goes out in one piece, up to a stray byte. */
		while (*s && (n = utf8_len((const unsigned char *)s)))
			s += n;
		fwrite(run, 1, (size_t)(s - run), f);
		if (*s)
			s += put_char(f, s);
	}
}

/* Writes s as a JSON string, escaped the way cJSON escapes, with what is
 * not UTF-8 replaced as put_utf8() replaces it. */
static void put_json_string(FILE *f, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	putc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x80) {
			s += put_char(f, s) - 1;
			continue;
		}
		switch (c) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (c < 0x20) {
				fputs("\\u00", f);
				putc(hex[c >> 4], f);
				putc(hex[c & 15], f);
			} else {
				putc(c, f);
			}
		}
	}
	putc('"', f);
}

/*
 * The changes are written one by one rather than built as one cJSON tree:
 * a push of 100,000 files would otherwise hold 100,000 objects at once.
 */
static void put_changes(FILE *f, const struct run *r)
{
	size_t i;

	fputs("\"changes\":[", f);
	for (i = 0; i < r->changes.n; i++) {
		const struct change *c = &r->changes.v[i];

		fputs(i ? ",{\"status\":" : "{\"status\":", f);
		put_json_string(f, change_status_name(c->status));
		if (c->old_path) {
			fputs(",\"old_path\":", f);
			put_json_string(f, c->old_path);
		}
		fputs(",\"path\":", f);
		put_json_string(f, c->path);
		if (c->mode_only)
			fputs(",\"mode_only\":true", f);
		putc('}', f);
	}
	putc(']', f);
}

/* Writes ,"key":value and frees value. */
static void put_member(FILE *f, const char *key, cJSON *value)
{
	char *text = need(cJSON_PrintUnformatted(value));

	fprintf(f, ",\"%s\":", key);
	put_utf8(f, text);
	free(text);
	cJSON_Delete(value);
}

static cJSON *strings_json(const struct strvec *sv)
{
	cJSON *arr = need(cJSON_CreateArray());
	size_t i;

	for (i = 0; i < sv->n; i++)
		cJSON_AddItemToArray(arr, need(cJSON_CreateString(sv->v[i])));
	return arr;
}

static const char *outcome_status(const struct send_outcome *o)
{
	if (o->n_sent == o->n_items)
		return "purged";
	if (o->n_lost)
		return "lost";
	if (o->n_refused == o->n_items)
		return "refused";
	if (o->n_spooled == o->n_items)
		return "spooled";
	return "partial";
}

static cJSON *outcome_json(const struct send_outcome *o)
{
	cJSON *j = need(cJSON_CreateObject());

	need(cJSON_AddStringToObject(j, "status", outcome_status(o)));
	need(cJSON_AddNumberToObject(j, "attempts", o->attempts));
	need(cJSON_AddNumberToObject(j, "items", (double)o->n_items));
	need(cJSON_AddNumberToObject(j, "purged", (double)o->n_sent));
	cJSON_AddItemToObject(j, "ids", strings_json(&o->ids));
	cJSON_AddItemToObject(j, "refused", strings_json(&o->refusals));
	cJSON_AddItemToObject(j, "errors", strings_json(&o->failures));
	cJSON_AddItemToObject(j, "spool_files", strings_json(&o->spool_files));
	return j;
}

static cJSON *batch_json(const struct batch *b, const struct send_outcome *o)
{
	cJSON *j = need(cJSON_CreateObject());

	if (b->zone_id)
		need(cJSON_AddStringToObject(j, "zone_id", b->zone_id));
	else
		need(cJSON_AddNullToObject(j, "zone_id"));
	if (b->zone_name)
		need(cJSON_AddStringToObject(j, "zone_name", b->zone_name));
	cJSON_AddItemToObject(j, "body", batch_body(b));
	if (o)
		cJSON_AddItemToObject(j, "outcome", outcome_json(o));
	return j;
}

static void put_requests(FILE *f, const struct run *r)
{
	size_t i;

	fputs(",\"requests\":[", f);
	for (i = 0; i < r->batches.n; i++) {
		cJSON *j = batch_json(&r->batches.v[i],
				      r->outcomes ? &r->outcomes[i] : NULL);
		char *text = need(cJSON_PrintUnformatted(j));

		if (i)
			putc(',', f);
		put_utf8(f, text);
		free(text);
		cJSON_Delete(j);
	}
	putc(']', f);
}

static cJSON *spool_json(const struct run *r)
{
	cJSON *arr = need(cJSON_CreateArray());
	size_t i;

	for (i = 0; i < r->spooled.n; i++) {
		cJSON *j = batch_json(&r->spooled.v[i].batch,
				      r->spool_outcomes ? &r->spool_outcomes[i]
							: NULL);

		need(cJSON_AddStringToObject(j, "file", r->spooled.v[i].path));
		cJSON_AddItemToArray(arr, j);
	}
	return arr;
}

int report_json(FILE *out, const struct run *r)
{
	cJSON *ranges = ranges_json(r);
	char *text = need(cJSON_PrintUnformatted(ranges));

	fputs("{\"ranges\":", out);
	put_utf8(out, text);
	putc(',', out);
	free(text);
	cJSON_Delete(ranges);
	put_changes(out, r);
	put_requests(out, r);
	if (r->plan.notes.n)
		put_member(out, "notes", strings_json(&r->plan.notes));
	if (r->fold.prefixes || r->fold.everything)
		put_member(out, "planner", report_plan_json(r));
	if (r->tree_errors.n)
		put_member(out, "config_errors", strings_json(&r->tree_errors));
	if (r->sent) {
		struct run_totals t;

		run_totals(r, &t);
		put_member(out, "spooled_earlier", spool_json(r));
		put_member(out, "attempts", need(cJSON_CreateNumber(
						    (double)t.attempts)));
		put_member(out, "seconds", need(cJSON_CreateNumber(r->seconds)));
		if (r->send_error)
			put_member(out, "error",
				   need(cJSON_CreateString(r->send_error)));
	}
	fputs("}\n", out);
	return ferror(out) || fflush(out) != 0 ? -1 : 0;
}

/*
 * Writes s with every control character replaced, so that a file name
 * with a newline or an escape sequence cannot forge a line on the pushing
 * user's terminal.
 */
static void put_safe(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		fputc(c < 0x20 || c == 0x7f ? '?' : c, f);
	}
}

static const char *short_hex(const char *hex, char *buf)
{
	if (!*hex)
		return "0000000";
	memcpy(buf, hex, 7);
	buf[7] = '\0';
	return buf;
}

void report_ranges(FILE *err, const struct run *r)
{
	size_t i;

	if (r->opts.quiet)
		return;
	for (i = 0; i < r->n_ranges; i++) {
		const struct range *rg = &r->ranges[i];
		const char *name = rg->ref ? rg->ref : "range";
		char a[8], b[8];

		if (rg->action == RANGE_PURGE && !r->opts.verbose)
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

static void add_count(struct strbuf *sb, size_t n, const char *one,
		      const char *many)
{
	if (!n)
		return;
	if (sb->len)
		strbuf_addstr(sb, ", ");
	strbuf_addf(sb, "%zu %s", n, n == 1 ? one : many);
}

void report_plan_counts(struct strbuf *sb, const struct plan *p)
{
	if (p->everything) {
		strbuf_addstr(sb, "everything");
		return;
	}
	add_count(sb, p->files.n, "URL", "URLs");
	add_count(sb, p->prefixes.n, "prefix", "prefixes");
	add_count(sb, p->tags.n, "tag", "tags");
	add_count(sb, p->hosts.n, "host", "hosts");
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

static void print_list(FILE *err, const char *lead, const struct strvec *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++) {
		fprintf(err, PREFIX "%s", lead);
		put_safe(err, sv->v[i]);
		fputc('\n', err);
	}
}

static void report_outcome_problems(FILE *err, const struct run *r,
				    const struct send_outcome *o)
{
	print_list(err, "refused by Cloudflare: ", &o->refusals);
	if (o->n_spooled || o->n_lost) {
		size_t i;
		struct strvec seen = STRVEC_INIT;

		/* One line per distinct reason, not per half of a batch. */
		for (i = 0; i < o->failures.n; i++)
			if (!r->send_error ||
			    strcmp(o->failures.v[i], r->send_error))
				strvec_push(&seen, o->failures.v[i]);
		strvec_sort_unique(&seen);
		print_list(err, "not sent: ", &seen);
		strvec_clear(&seen);
	}
}

void report_summary(FILE *out, FILE *err, const struct run *r)
{
	struct strbuf sb = STRBUF_INIT, kept = STRBUF_INIT;
	struct run_totals t;
	size_t i, n = r->batches.n;

	report_plan_summary(&sb, r);
	if (!r->opts.quiet)
		for (i = 0; i < r->plan.notes.n; i++) {
			fputs(PREFIX, err);
			put_safe(err, r->plan.notes.v[i]);
			fputc('\n', err);
		}
	report_plan_lines(err, r);
	report_plan_kept(&kept, r);
	if (r->opts.dry_run) {
		if (!r->opts.json)
			for (i = 0; i < n; i++) {
				const struct batch *b = &r->batches.v[i];
				char *body = batch_body_text(b);

				fprintf(out, "POST /zones/%s/%s %s\n",
					b->zone_id ? b->zone_id : b->zone_name,
					r->config.mode == MODE_INVALIDATE ?
					"invalidate_cache" : "purge_cache",
					body);
				free(body);
			}
		if (!r->opts.quiet) {
			if (n)
				fprintf(err, PREFIX "dry run: would purge %s "
					"in %zu %s%s\n", sb.buf, n,
					n == 1 ? "request" : "requests",
					strbuf_str(&kept));
			else
				fputs(PREFIX "dry run: nothing to purge\n", err);
		}
		strbuf_release(&sb);
		strbuf_release(&kept);
		return;
	}
	if (!r->sent) {
		strbuf_release(&sb);
		strbuf_release(&kept);
		return;
	}
	run_totals(r, &t);
	if (!n && !r->spooled.n) {
		int diffed = 0;

		for (i = 0; i < r->n_ranges; i++)
			diffed |= r->ranges[i].action == RANGE_PURGE;
		if (diffed && !r->opts.quiet)
			fprintf(err, PREFIX "nothing to purge: %zu "
				"changed %s, not served under [site] "
				"root nor matched by [map]\n",
				r->changes.n,
				r->changes.n == 1 ? "path" : "paths");
	}
	/* The summary first: it is what the person pushing reads. */
	if (!r->opts.quiet && t.batches && !t.refused && !t.spooled &&
	    !t.lost && n) {
		fprintf(err, PREFIX "purged %s in %zu %s, %.1f s%s\n", sb.buf,
			t.attempts, t.attempts == 1 ? "request" : "requests",
			r->seconds, strbuf_str(&kept));
		if (r->opts.verbose)
			report_items(err, r);
	} else if (t.refused || t.spooled || t.lost) {
		fprintf(err, PREFIX "purged %zu of %zu items in %zu %s, "
			"%.1f s\n", t.sent, t.sent + t.refused + t.spooled +
			t.lost, t.attempts,
			t.attempts == 1 ? "request" : "requests", r->seconds);
	}
	if (!r->opts.quiet && r->spooled.n) {
		size_t sent = 0;

		for (i = 0; i < r->spooled.n; i++)
			sent += r->spool_outcomes[i].n_sent ==
				r->spool_outcomes[i].n_items;
		fprintf(err, PREFIX "resent %zu of %zu requests spooled by "
			"earlier runs\n", sent, r->spooled.n);
	}
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
	for (i = 0; i < r->spooled.n; i++)
		report_outcome_problems(err, r, &r->spool_outcomes[i]);
	for (i = 0; i < n; i++)
		report_outcome_problems(err, r, &r->outcomes[i]);
	if (t.refused)
		fprintf(err, PREFIX "not purged: %zu %s refused by Cloudflare "
			"(see above); fix the configuration that produced "
			"%s\n", t.refused, t.refused == 1 ? "item" : "items",
			t.refused == 1 ? "it" : "them");
	if (t.spooled) {
		fprintf(err, PREFIX "not purged yet: %zu %s kept in '",
			t.spooled, t.spooled == 1 ? "item" : "items");
		put_safe(err, r->spool_dir ? r->spool_dir : "");
		fputs("'; the next push sends them, or now: cf-purge-hook", err);
		if (r->repo) {
			fputs(" -C '", err);
			put_safe(err, git_repository_path(r->repo));
			fputc('\'', err);
		}
		if (r->opts.config_path) {
			fputs(" -c '", err);
			put_safe(err, r->opts.config_path);
			fputc('\'', err);
		}
		fputs(" retry\n", err);
	}
	if (t.lost)
		fprintf(err, PREFIX "NOT PURGED and not kept: %zu %s (see "
			"above); purge them by hand\n", t.lost,
			t.lost == 1 ? "item" : "items");
	strbuf_release(&sb);
	strbuf_release(&kept);
}

/* GitHub's workflow commands need %, CR and LF escaped. */
static void put_gh(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '%')
			fputs("%25", f);
		else if (*s == '\r')
			fputs("%0D", f);
		else if (*s == '\n')
			fputs("%0A", f);
		else
			fputc((unsigned char)*s < 0x20 ? '?' : *s, f);
	}
}

/* Markdown table cells: no '|' and no line breaks. */
static void put_md(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '|')
			fputs("\\|", f);
		else
			fputc(c < 0x20 ? ' ' : c, f);
	}
}

static void gh_errors(FILE *out, const struct send_outcome *o)
{
	size_t i;

	for (i = 0; i < o->refusals.n; i++) {
		fputs("::error::cf-purge-hook: refused by Cloudflare: ", out);
		put_gh(out, o->refusals.v[i]);
		fputc('\n', out);
	}
	for (i = 0; i < o->failures.n; i++) {
		fputs("::error::cf-purge-hook: not sent: ", out);
		put_gh(out, o->failures.v[i]);
		fputc('\n', out);
	}
}

static void md_row(FILE *f, size_t n, const struct batch *b,
		   const struct send_outcome *o, int dry_run)
{
	struct strbuf what = STRBUF_INIT;

	batch_describe(&what, b);
	fprintf(f, "| %zu | %s | ", n, b->zone_id ? b->zone_id :
		b->zone_name ? b->zone_name : "?");
	put_md(f, what.buf);
	fputs(" | ", f);
	if (dry_run || !o) {
		fputs("planned (dry run)", f);
	} else {
		size_t i;

		fputs(outcome_status(o), f);
		for (i = 0; i < o->refusals.n; i++) {
			fputs("; refused: ", f);
			put_md(f, o->refusals.v[i]);
		}
		if (o->n_spooled)
			fputs("; kept in the spool", f);
	}
	fputs(" |\n", f);
	strbuf_release(&what);
}

static void github_summary(const struct run *r, int status)
{
	const char *path = getenv("GITHUB_STEP_SUMMARY");
	struct strbuf counts = STRBUF_INIT;
	FILE *f;
	size_t i;

	if (!path || !*path)
		return;
	f = fopen(path, "a");
	if (!f) {
		fprintf(stderr, PREFIX "cannot write the step summary '%s'\n",
			path);
		return;
	}
	report_plan_counts(&counts, &r->plan);
	fprintf(f, "### cf-purge-hook%s\n\n", r->opts.dry_run ? " (dry run)" : "");
	for (i = 0; i < r->n_ranges; i++) {
		const struct range *rg = &r->ranges[i];

		fprintf(f, "Range `%.7s..%.7s` of `", rg->old_hex, rg->new_hex);
		put_md(f, rg->ref ? rg->ref : "");
		fprintf(f, "`: %zu changed paths.\n\n", rg->n_changes);
	}
	for (i = 0; i < r->plan.notes.n; i++) {
		fputs("- ", f);
		put_md(f, r->plan.notes.v[i]);
		fputc('\n', f);
	}
	if (r->plan_error) {
		fputs("**Not purged:** ", f);
		put_md(f, r->plan_error);
		fputs("\n\n", f);
	}
	if (!r->batches.n && !r->plan_error) {
		fputs("Nothing to purge.\n", f);
	} else if (r->batches.n) {
		fprintf(f, "%s: %s.\n\n", r->opts.dry_run ? "Would purge" :
			status == 0 ? "Purged" : "Not everything was purged of",
			counts.len ? counts.buf : "nothing");
		fputs("| # | Zone | Items | Result |\n|---|---|---|---|\n", f);
		for (i = 0; i < r->batches.n; i++)
			md_row(f, i + 1, &r->batches.v[i],
			       r->outcomes ? &r->outcomes[i] : NULL,
			       r->opts.dry_run);
	}
	fputc('\n', f);
	fclose(f);
	strbuf_release(&counts);
}

void report_ci(FILE *out, const struct run *r, int status)
{
	size_t i;

	if (r->ci == RUN_CI_GITHUB) {
		github_summary(r, status);
		if (r->plan_error) {
			fputs("::error::cf-purge-hook: ", out);
			put_gh(out, r->plan_error);
			fputc('\n', out);
		}
		if (r->send_error) {
			fputs("::error::cf-purge-hook: ", out);
			put_gh(out, r->send_error);
			fputc('\n', out);
		}
		for (i = 0; r->outcomes && i < r->batches.n; i++)
			gh_errors(out, &r->outcomes[i]);
		for (i = 0; r->spool_outcomes && i < r->spooled.n; i++)
			gh_errors(out, &r->spool_outcomes[i]);
	} else if (r->ci == RUN_CI_GITLAB && r->batches.n) {
		long now = (long)time(NULL);

		fprintf(out, "\033[0Ksection_start:%ld:cf_purge_hook"
			"[collapsed=true]\r\033[0Kcf-purge-hook: %zu %s\n",
			now, r->batches.n,
			r->batches.n == 1 ? "request" : "requests");
		for (i = 0; i < r->batches.n; i++) {
			char *body = batch_body_text(&r->batches.v[i]);
			const struct send_outcome *o =
				r->outcomes ? &r->outcomes[i] : NULL;

			fprintf(out, "%s %s: ", o ? outcome_status(o) :
				"planned", r->batches.v[i].zone_id ?
				r->batches.v[i].zone_id : "?");
			put_safe(out, body);
			fputc('\n', out);
			free(body);
		}
		fprintf(out, "\033[0Ksection_end:%ld:cf_purge_hook\r\033[0K\n",
			(long)time(NULL));
	}
	fflush(out);
}
