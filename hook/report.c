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
 * The JSON output is built in a buffer and written in pieces of about
 * this size: a push of 100,000 files writes several megabytes, and stdio's
 * locked putc() per byte cost more than the rest of the writing.
 */
#define OUT_CHUNK 65536

struct out {
	FILE *f;
	struct strbuf sb;
};

static void out_flush(struct out *o)
{
	fwrite(o->sb.buf, 1, o->sb.len, o->f);
	strbuf_setlen(&o->sb, 0);
}

/* Writes what is buffered once there is enough of it. */
static void out_step(struct out *o)
{
	if (o->sb.len >= OUT_CHUNK)
		out_flush(o);
}

/*
 * Appends s, with each byte that is not part of a valid UTF-8 sequence
 * written as U+FFFD, the replacement character. JSON text is UTF-8, and
 * git file names and ref names need not be; cJSON copies such bytes as
 * they are. Every byte of JSON's own syntax is ASCII, so the replacement
 * leaves the structure alone, and the output always parses. (URLs stay
 * exact: they are percent-encoded byte by byte.)
 */
static void add_utf8(struct strbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		const unsigned char *run = p;
		size_t n;

		/* Valid text goes out in one piece, up to a stray byte. */
		for (;;) {
			if (*p && *p < 0x80)
				p++;
			else if (*p && (n = utf8_len(p)))
				p += n;
			else
				break;
		}
		strbuf_add(sb, run, (size_t)(p - run));
		if (*p) {
			strbuf_add(sb, REPLACEMENT, 3);
			p++;
		}
	}
}

/*
 * 1 for an ASCII byte that a JSON string holds as it is: not a control
 * character, '"' or '\\'. A table, since every byte of every path and
 * URL of the output is looked up here.
 */
static const unsigned char json_plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/*  !"#$%&'()*+,-./ */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,	/* P-Z [\]^_ */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* p-z {|}~ DEL */
};

/*
 * Appends s as a JSON string, escaped the way cJSON escapes, with what is
 * not UTF-8 replaced as add_utf8() replaces it: the same bytes as
 * cJSON_PrintUnformatted() followed by add_utf8(), without the tree.
 */
static void add_json_string(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	strbuf_addch(sb, '"');
	for (;;) {
		const unsigned char *run = p;
		size_t n;

		for (;;) {
			if (json_plain[*p])
				p++;
			else if (*p >= 0x80 && (n = utf8_len(p)))
				p += n;
			else
				break;
		}
		strbuf_add(sb, run, (size_t)(p - run));
		if (!*p)
			break;
		switch (*p) {
		case '"':
			strbuf_add(sb, "\\\"", 2);
			break;
		case '\\':
			strbuf_add(sb, "\\\\", 2);
			break;
		case '\b':
			strbuf_add(sb, "\\b", 2);
			break;
		case '\f':
			strbuf_add(sb, "\\f", 2);
			break;
		case '\n':
			strbuf_add(sb, "\\n", 2);
			break;
		case '\r':
			strbuf_add(sb, "\\r", 2);
			break;
		case '\t':
			strbuf_add(sb, "\\t", 2);
			break;
		default:
			if (*p < 0x20) {
				char u[6] = { '\\', 'u', '0', '0',
					      hex[*p >> 4], hex[*p & 15] };

				strbuf_add(sb, u, sizeof(u));
			} else {
				strbuf_add(sb, REPLACEMENT, 3);
			}
		}
		p++;
	}
	strbuf_addch(sb, '"');
}

/* Appends value as cJSON prints it, with its UTF-8 made valid. */
static void add_cjson_text(struct strbuf *sb, const cJSON *value)
{
	char *text = need(cJSON_PrintUnformatted(value));

	add_utf8(sb, text);
	free(text);
}

/* add_cjson_text(), then frees value. */
static void add_cjson(struct strbuf *sb, cJSON *value)
{
	add_cjson_text(sb, value);
	cJSON_Delete(value);
}

/*
 * The changes are written one by one rather than built as one cJSON tree:
 * a push of 100,000 files would otherwise hold 100,000 objects at once.
 */
static void put_changes(struct out *o, const struct run *r)
{
	struct strbuf *sb = &o->sb;
	size_t i;

	strbuf_addstr(sb, "\"changes\":[");
	for (i = 0; i < r->changes.n; i++) {
		const struct change *c = &r->changes.v[i];

		strbuf_addstr(sb, i ? ",{\"status\":" : "{\"status\":");
		add_json_string(sb, change_status_name(c->status));
		if (c->old_path) {
			strbuf_addstr(sb, ",\"old_path\":");
			add_json_string(sb, c->old_path);
		}
		strbuf_addstr(sb, ",\"path\":");
		add_json_string(sb, c->path);
		if (c->mode_only)
			strbuf_addstr(sb, ",\"mode_only\":true");
		strbuf_addch(sb, '}');
		out_step(o);
	}
	strbuf_addch(sb, ']');
}

/* Appends ,"key":value and frees value. */
static void put_member(struct out *o, const char *key, cJSON *value)
{
	strbuf_addch(&o->sb, ',');
	add_json_string(&o->sb, key);
	strbuf_addch(&o->sb, ':');
	add_cjson(&o->sb, value);
	out_step(o);
}

static cJSON *strings_json(const struct strvec *sv)
{
	cJSON *arr = need(cJSON_CreateArray());
	size_t i;

	for (i = 0; i < sv->n; i++)
		cJSON_AddItemToArray(arr, need(cJSON_CreateString(sv->v[i])));
	return arr;
}

/*
 * earlier is 1 for a batch resent from the spool: what could not be
 * spooled again is not lost, since its old spool file then stays.
 */
static const char *outcome_status(const struct send_outcome *o, int earlier)
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

const char *report_outcome_status(const struct send_outcome *o, int earlier)
{
	return outcome_status(o, earlier);
}

static cJSON *outcome_json(const struct send_outcome *o, int earlier)
{
	cJSON *j = need(cJSON_CreateObject());

	need(cJSON_AddStringToObject(j, "status", outcome_status(o, earlier)));
	need(cJSON_AddNumberToObject(j, "attempts", o->attempts));
	need(cJSON_AddNumberToObject(j, "items", (double)o->n_items));
	need(cJSON_AddNumberToObject(j, "purged", (double)o->n_sent));
	cJSON_AddItemToObject(j, "ids", strings_json(&o->ids));
	cJSON_AddItemToObject(j, "refused", strings_json(&o->refusals));
	cJSON_AddItemToObject(j, "errors", strings_json(&o->failures));
	cJSON_AddItemToObject(j, "spool_files", strings_json(&o->spool_files));
	return j;
}

static cJSON *batch_json(const struct batch *b, const struct send_outcome *o,
			 int earlier)
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
		cJSON_AddItemToObject(j, "outcome", outcome_json(o, earlier));
	return j;
}

/*
 * Appends what batch_json() would print for b, without building the
 * tree: the request body's strings are written straight from the batch,
 * and only an item that is not a string (a URL with headers) and the
 * outcome go through cJSON. The bytes are the same.
 */
static void add_request(struct strbuf *sb, const struct batch *b,
			const struct send_outcome *o)
{
	strbuf_addstr(sb, "{\"zone_id\":");
	if (b->zone_id)
		add_json_string(sb, b->zone_id);
	else
		strbuf_addstr(sb, "null");
	if (b->zone_name) {
		strbuf_addstr(sb, ",\"zone_name\":");
		add_json_string(sb, b->zone_name);
	}
	strbuf_addstr(sb, ",\"body\":{");
	if (b->kind == PURGE_EVERYTHING) {
		strbuf_addstr(sb, "\"purge_everything\":true");
	} else {
		const cJSON *item;

		add_json_string(sb, purge_kind_key(b->kind));
		strbuf_addstr(sb, ":[");
		cJSON_ArrayForEach(item, b->items) {
			if (item != b->items->child)
				strbuf_addch(sb, ',');
			if (cJSON_IsString(item) && item->valuestring)
				add_json_string(sb, item->valuestring);
			else
				add_cjson_text(sb, item);
		}
		strbuf_addch(sb, ']');
	}
	strbuf_addch(sb, '}');
	if (o) {
		strbuf_addstr(sb, ",\"outcome\":");
		add_cjson(sb, outcome_json(o, 0));
	}
	strbuf_addch(sb, '}');
}

static void put_requests(struct out *o, const struct run *r)
{
	size_t i;

	strbuf_addstr(&o->sb, ",\"requests\":[");
	for (i = 0; i < r->batches.n; i++) {
		if (i)
			strbuf_addch(&o->sb, ',');
		add_request(&o->sb, &r->batches.v[i],
			    r->outcomes ? &r->outcomes[i] : NULL);
		out_step(o);
	}
	strbuf_addch(&o->sb, ']');
}

/* Totals over one set of outcomes: this run's batches, or the spool's. */
struct tally {
	size_t requests;	/* batches */
	size_t done;		/* batches purged whole */
	size_t attempts;	/* HTTP requests made */
	size_t sent, refused, spooled, lost;
};

static void tally(struct tally *t, const struct send_outcome *o, size_t n)
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

static size_t tally_items(const struct tally *t)
{
	return t->sent + t->refused + t->spooled + t->lost;
}

/*
 * {"requests", "attempts", "items", "purged", "refused", "kept", "lost"}.
 * For the spool's batches (earlier), what could not be spooled again is
 * kept all the same: its old file stays.
 */
static cJSON *tally_json(const struct tally *t, int earlier)
{
	cJSON *j = need(cJSON_CreateObject());

	need(cJSON_AddNumberToObject(j, "requests", (double)t->requests));
	if (earlier)
		need(cJSON_AddNumberToObject(j, "resent", (double)t->done));
	need(cJSON_AddNumberToObject(j, "attempts", (double)t->attempts));
	need(cJSON_AddNumberToObject(j, "items", (double)tally_items(t)));
	need(cJSON_AddNumberToObject(j, "purged", (double)t->sent));
	need(cJSON_AddNumberToObject(j, "refused", (double)t->refused));
	need(cJSON_AddNumberToObject(j, "kept", (double)(t->spooled +
						(earlier ? t->lost : 0))));
	need(cJSON_AddNumberToObject(j, "lost", (double)(earlier ? 0 :
								 t->lost)));
	return j;
}

static cJSON *spool_json(const struct run *r)
{
	cJSON *arr = need(cJSON_CreateArray());
	size_t i;

	for (i = 0; i < r->spooled.n; i++) {
		cJSON *j = batch_json(&r->spooled.v[i].batch,
				      r->spool_outcomes ? &r->spool_outcomes[i]
							: NULL, 1);

		need(cJSON_AddStringToObject(j, "file", r->spooled.v[i].path));
		cJSON_AddItemToArray(arr, j);
	}
	return arr;
}

int report_json(FILE *f, const struct run *r)
{
	struct out o;

	o.f = f;
	strbuf_init(&o.sb);
	strbuf_addstr(&o.sb, "{\"ranges\":");
	add_cjson(&o.sb, ranges_json(r));
	strbuf_addch(&o.sb, ',');
	put_changes(&o, r);
	put_requests(&o, r);
	if (r->plan.notes.n)
		put_member(&o, "notes", strings_json(&r->plan.notes));
	if (r->tree_errors.n)
		put_member(&o, "config_errors", strings_json(&r->tree_errors));
	if (r->fold.prefixes || r->fold.everything)
		put_member(&o, "planner", report_plan_json(r));
	if (r->sent) {
		struct run_totals t;

		struct tally now, before;

		run_totals(r, &t);
		tally(&now, r->outcomes, r->batches.n);
		tally(&before, r->spool_outcomes, r->spooled.n);
		put_member(&o, "spooled_earlier", spool_json(r));
		put_member(&o, "attempts", need(cJSON_CreateNumber(
						    (double)t.attempts)));
		put_member(&o, "this_run", tally_json(&now, 0));
		put_member(&o, "earlier_runs", tally_json(&before, 1));
		put_member(&o, "seconds", need(cJSON_CreateNumber(r->seconds)));
		if (r->send_error)
			put_member(&o, "error",
				   need(cJSON_CreateString(r->send_error)));
	}
	strbuf_addstr(&o.sb, "}\n");
	out_flush(&o);
	strbuf_release(&o.sb);
	return ferror(f) || fflush(f) != 0 ? -1 : 0;
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

/* The refusals, and the reasons for what was not sent (less send_error,
 * which is said once on its own), of every outcome of the run. */
static void collect_problems(struct line_set *refused, struct line_set *failed,
			     const struct run *r)
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
		}
	line_group(refused);
	line_group(failed);
}

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

	collect_problems(&rl, &fl, r);
	push_grouped(refused, &rl);
	push_grouped(failed, &fl);
	line_set_release(&rl);
	line_set_release(&fl);
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
	fprintf(err, PREFIX "not purged yet: %zu %s kept in '", kept,
		kept == 1 ? "item" : "items");
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

/*
 * What was sent, in three parts the person pushing can tell apart: this
 * push's requests (r->outcomes), the spool's requests from earlier runs
 * (r->spool_outcomes), and the HTTP attempts each took, retries and
 * halves included.
 */
static void sent_summary(FILE *err, const struct run *r, const char *counts,
			 const char *cached_kept)
{
	struct tally now, before;
	struct line_set refused = { NULL, 0, 0 }, failed = { NULL, 0, 0 };
	size_t i, n = r->batches.n, kept, not_purged;

	tally(&now, r->outcomes, n);
	tally(&before, r->spool_outcomes, r->spooled.n);
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
			tally_items(&now));
		put_requests_attempts(err, n, now.attempts);
		fprintf(err, ", %.1f s\n", r->seconds);
	}
	if (r->spooled.n && (!r->opts.quiet || before.done < before.requests)) {
		fprintf(err, PREFIX "resent %zu of %zu requests spooled by "
			"earlier runs: %zu of %zu items purged", before.done,
			before.requests, before.sent, tally_items(&before));
		if (before.attempts != before.requests)
			fprintf(err, " (%zu %s)", before.attempts,
				before.attempts == 1 ? "attempt" : "attempts");
		fputc('\n', err);
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
	collect_problems(&refused, &failed, r);
	print_grouped(err, "refused by Cloudflare: ", &refused);
	print_grouped(err, "not sent: ", &failed);
	line_set_release(&refused);
	line_set_release(&failed);
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
	if (kept)
		put_retry_advice(err, r, kept);
	if (now.lost && r->push_kept)
		fprintf(err, PREFIX "not purged yet: %zu %s not sent and not "
			"in the spool; the push itself is kept, and the next "
			"push or 'cf-purge-hook retry' plans them again\n",
			now.lost, now.lost == 1 ? "item" : "items");
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
