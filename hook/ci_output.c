#include "ci_output.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* GitHub's workflow commands need %, CR and LF escaped. */
void ci_put_gh(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '%')
			fputs("%25", f);
		else if (*s == '\r')
			fputs("%0D", f);
		else if (*s == '\n')
			fputs("%0A", f);
		else
			fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s,
			      f);
	}
}

/* Markdown table cells: no '|' and no line breaks. */
void ci_put_md(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '|')
			fputs("\\|", f);
		else
			fputc(c < 0x20 ? ' ' : c, f);
	}
}

const char *ci_status_name(enum ci_status s)
{
	switch (s) {
	case CI_STATUS_PURGED: return "purged";
	case CI_STATUS_NOTHING: return "nothing";
	case CI_STATUS_SKIPPED: return "skipped";
	case CI_STATUS_REFUSED: return "refused";
	case CI_STATUS_FAILED: return "failed";
	case CI_STATUS_DRY_RUN: return "dry-run";
	}
	return "?";
}

static FILE *open_env_file(const char *var)
{
	const char *path = getenv(var);
	FILE *f;

	if (!path || !*path)
		return NULL;
	f = fopen(path, "a");
	if (!f) {
		fprintf(stderr, "cf-purge-hook: cannot write %s '", var);
		report_put_safe(stderr, path);
		fputs("'\n", stderr);
	}
	return f;
}

void ci_output_write(enum ci_status status, const struct run *r,
		     const char *marker)
{
	size_t n[PURGE_EVERYTHING + 1] = { 0 }, requests = 0, i;
	FILE *f = open_env_file("GITHUB_OUTPUT");

	if (!f)
		return;
	/*
	 * What was purged: the items of the requests Cloudflare confirmed
	 * (all of them in a dry run, which counts what it would send).
	 */
	for (i = 0; r && i < r->batches.n; i++) {
		const struct batch *b = &r->batches.v[i];
		const struct send_outcome *o = r->outcomes ? &r->outcomes[i] :
					       NULL;

		if (!r->opts.dry_run && (!o || o->n_sent != o->n_items))
			continue;
		requests++;
		n[b->kind] += b->items ? (size_t)cJSON_GetArraySize(b->items) :
			      1;
	}
	fprintf(f, "status=%s\nurls=%zu\nprefixes=%zu\ntags=%zu\nhosts=%zu\n"
		"requests=%zu\nmarker=%s\n", ci_status_name(status),
		n[PURGE_FILES], n[PURGE_PREFIXES], n[PURGE_TAGS],
		n[PURGE_HOSTS], requests, marker ? marker : "");
	fclose(f);
}

static void summary(const char *lead, const char *text)
{
	FILE *f = open_env_file("GITHUB_STEP_SUMMARY");

	if (!f)
		return;
	fprintf(f, "%s", lead);
	ci_put_md(f, text);
	fputs("\n\n", f);
	fclose(f);
}

void ci_output_early(FILE *out, int github, int json, enum ci_status status,
		     const char *reason, const char *marker, int quiet)
{
	int refused = status == CI_STATUS_REFUSED;

	if (!quiet)
		report_error(stderr, reason);
	if (github) {
		FILE *f = open_env_file("GITHUB_STEP_SUMMARY");

		if (f) {
			fprintf(f, "### cf-purge-hook\n\n**%s:** ",
				refused ? "Refused, nothing purged" :
				status == CI_STATUS_SKIPPED ? "Skipped" :
				"Nothing to purge");
			ci_put_md(f, reason);
			fputs("\n\n", f);
			fclose(f);
		}
		if (refused) {
			fputs("::error::cf-purge-hook: ", out);
			ci_put_gh(out, reason);
			fputc('\n', out);
			fflush(out);
		}
	}
	if (json) {
		cJSON *o = need(cJSON_CreateObject());
		char *text;

		need(cJSON_AddStringToObject(o, "status",
					     ci_status_name(status)));
		need(cJSON_AddStringToObject(o, refused ? "error" : "reason",
					     reason));
		if (marker && *marker)
			need(cJSON_AddStringToObject(o, "marker", marker));
		text = need(cJSON_PrintUnformatted(o));
		printf("%s\n", text);
		fflush(stdout);
		free(text);
		cJSON_Delete(o);
	}
}

void ci_output_warnings(FILE *out, int github, const struct strvec *w,
			int where)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		if (where & CI_WARN_LOG) {
			char *line = xasprintf("warning: %s", w->v[i]);

			report_error(stderr, line);
			free(line);
		}
		if (github && (where & CI_WARN_LOG)) {
			fputs("::warning::cf-purge-hook: ", out);
			ci_put_gh(out, w->v[i]);
			fputc('\n', out);
		}
		if (github && (where & CI_WARN_SUMMARY))
			summary("**Warning:** ", w->v[i]);
	}
	fflush(out);
}

void ci_output_marker_line(int github, const struct ci_state *st)
{
	char *text;

	if (!github || !st->use_marker || !st->marker_ok)
		return;
	text = *st->marker.hex ?
	       xasprintf("Purge marker `%s` at `%.12s`.", st->marker.ref,
			 st->marker.hex) :
	       xasprintf("Purge marker `%s`: none yet.", st->marker.ref);
	summary("", text);
	free(text);
}
