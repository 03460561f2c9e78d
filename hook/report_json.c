#include "report_json.h"
#include "report.h"
#include "report_plan.h"
#include "verify_cmd.h"
#include "../built/built.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

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
			else if (*p && (n = utf8_seq_len(p)))
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
			else if (*p >= 0x80 && (n = utf8_seq_len(p)))
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


static cJSON *outcome_json(const struct send_outcome *o, int earlier)
{
	cJSON *j = need(cJSON_CreateObject());

	need(cJSON_AddStringToObject(j, "status",
				     report_outcome_status(o, earlier)));
	need(cJSON_AddNumberToObject(j, "attempts", o->attempts));
	need(cJSON_AddNumberToObject(j, "items", (double)o->n_items));
	need(cJSON_AddNumberToObject(j, "purged", (double)o->n_sent));
	cJSON_AddItemToObject(j, "ids", strings_json(&o->ids));
	cJSON_AddItemToObject(j, "refused", strings_json(&o->refusals));
	cJSON_AddItemToObject(j, "errors", strings_json(&o->failures));
	/* Why the spool could not take it: sent or not, see status. */
	cJSON_AddItemToObject(j, "spool_errors",
			      strings_json(&o->spool_errors));
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

/*
 * {"requests", "attempts", "items", "purged", "refused", "kept", "lost"}.
 * For the spool's batches (earlier), what could not be spooled again is
 * kept all the same: its old file stays.
 */
static cJSON *tally_json(const struct report_tally *t, int earlier)
{
	cJSON *j = need(cJSON_CreateObject());

	need(cJSON_AddNumberToObject(j, "requests", (double)t->requests));
	if (earlier)
		need(cJSON_AddNumberToObject(j, "resent", (double)t->done));
	need(cJSON_AddNumberToObject(j, "attempts", (double)t->attempts));
	need(cJSON_AddNumberToObject(j, "items",
				     (double)report_tally_items(t)));
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

/*
 * The dir command's folders: "folder" (DIR, or NEW), "old_folder" (OLD,
 * or null), "state" (the state folder, or null) and "purge_everything"
 * (why the range purges everything, or null).
 */
static cJSON *dir_json(const struct run *r)
{
	cJSON *j = need(cJSON_CreateObject());
	const char *state = r->dir ? built_state_dir(r->dir) : NULL;
	const char *why = r->dir ? built_everything(r->dir) : NULL;

	need(cJSON_AddStringToObject(j, "folder", r->dir_new));
	if (r->dir_old)
		need(cJSON_AddStringToObject(j, "old_folder", r->dir_old));
	else
		need(cJSON_AddNullToObject(j, "old_folder"));
	if (state)
		need(cJSON_AddStringToObject(j, "state", state));
	else
		need(cJSON_AddNullToObject(j, "state"));
	if (why)
		need(cJSON_AddStringToObject(j, "purge_everything", why));
	else
		need(cJSON_AddNullToObject(j, "purge_everything"));
	return j;
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
	if (r->dir_new)
		put_member(&o, "dir", dir_json(r));
	if (r->plan.notes.n)
		put_member(&o, "notes", strings_json(&r->plan.notes));
	if (r->tree_errors.n)
		put_member(&o, "config_errors", strings_json(&r->tree_errors));
	if (r->fold.prefixes || r->fold.everything)
		put_member(&o, "planner", report_plan_json(r));
	if (r->sent) {
		struct run_totals t;

		struct report_tally now, before;

		run_totals(r, &t);
		report_tally(&now, r->outcomes, r->batches.n);
		report_tally(&before, r->spool_outcomes, r->spooled.n);
		put_member(&o, "spooled_earlier", spool_json(r));
		put_member(&o, "attempts", need(cJSON_CreateNumber(
						    (double)t.attempts)));
		if (r->spool_dies && !r->owed_by) {
			/* A CI job's spool goes with it: lost, not kept. */
			now.lost += now.spooled;
			now.spooled = 0;
		} else if (r->spool_dies) {
			/* Owed to the next run by the purge marker. */
			now.spooled += now.lost;
			now.lost = 0;
		}
		put_member(&o, "this_run", tally_json(&now, 0));
		put_member(&o, "earlier_runs", tally_json(&before, 1));
		put_member(&o, "seconds", need(cJSON_CreateNumber(r->seconds)));
		if (r->send_error)
			put_member(&o, "error",
				   need(cJSON_CreateString(r->send_error)));
	}
	if (r->verify)
		put_member(&o, "verify", verify_json(r));
	strbuf_addstr(&o.sb, "}\n");
	out_flush(&o);
	strbuf_release(&o.sb);
	return ferror(f) || fflush(f) != 0 ? -1 : 0;
}
