#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tests.h"
#include "../../hook/report.h"
#include "../../hook/run.h"
#include "../../purge/batch.h"
#include "../../purge/reply.h"

static void parse(struct cf_reply *r, long status, const char *body)
{
	cf_reply_parse(r, status, body, strlen(body));
}

/*
 * Answers built to mislead or to flood: a redirect whose body says
 * success, and a refusal with thousands of errors.
 */
static void test_reply_limits(void)
{
	struct cf_reply r;
	struct strbuf sb = STRBUF_INIT, body = STRBUF_INIT;
	size_t i;

	/* A 307 is a redirect that is not followed, whatever its body. */
	parse(&r, 307, "{\"success\":true,\"errors\":[],\"result\":"
		       "{\"id\":\"x\"}}");
	CHECK(!r.success && r.is_json);
	r.location = xstrdup("https://elsewhere.example/\x1b[2J");
	cf_reply_describe(&sb, &r);
	CHECK_STR(sb.buf, "HTTP 307: a redirect to 'https://elsewhere."
		  "example/?[2J', which is not followed; api_url must name "
		  "the API itself");
	strbuf_release(&sb);
	cf_reply_release(&r);
	CHECK(r.location == NULL);
	parse(&r, 301, "<html>moved</html>");
	cf_reply_describe(&sb, &r);
	CHECK_STR(sb.buf, "HTTP 301: a redirect, which is not followed; "
		  "api_url must name the API itself");
	strbuf_release(&sb);
	cf_reply_release(&r);

	/* 12,000 errors: the first CF_REPLY_MAX_ERRORS kept, the rest counted. */
	strbuf_addstr(&body, "{\"success\":false,\"errors\":[");
	for (i = 0; i < 12000; i++)
		strbuf_addf(&body, "%s{\"code\":%zu,\"message\":\"bad\"}",
			    i ? "," : "", 1000 + i);
	strbuf_addstr(&body, "]}");
	cf_reply_parse(&r, 400, body.buf, body.len);
	CHECK_INT(r.n_errors, CF_REPLY_MAX_ERRORS);
	CHECK_INT(r.n_more_errors, 12000 - CF_REPLY_MAX_ERRORS);
	CHECK_INT(r.errors[9].code, 1009);
	cf_reply_describe(&sb, &r);
	CHECK(strstr(sb.buf, "error 1009: bad; and 11990 more errors") != NULL);
	CHECK(strstr(sb.buf, "error 1010") == NULL);
	CHECK(sb.len < 400);
	strbuf_release(&sb);
	cf_reply_release(&r);
	CHECK(r.n_more_errors == 0);
	strbuf_release(&body);
}

/*
 * Kept here beside the answers it goes with: a files array is all strings
 * or all objects, as Cloudflare's schema says, through the spool too.
 */
static void test_files_forms(void)
{
	static const char mixed[] = "{\"files\":[\"https://example.com/a\","
		"{\"url\":\"https://example.com/a\",\"headers\":{\"X-D\":"
		"\"m\"}},\"https://example.com/b\"]}";
	static const char objects[] = "{\"files\":[{\"url\":"
		"\"https://example.com/a\"},{\"url\":\"https://example.com/a\","
		"\"headers\":{\"X-D\":\"m\"}},{\"url\":"
		"\"https://example.com/b\"}]}";
	static const char strings[] = "{\"files\":[\"https://example.com/a\","
		"\"https://example.com/b\"]}";
	cJSON *body = cJSON_Parse(mixed);
	struct batch b, lo, hi, again;
	struct err e;
	char *text;

	/* A mixed array, as older versions spooled it, is read as objects. */
	if (CHECK_INT(batch_from_body(&b, body, &e), 0)) {
		text = batch_body_text(&b);
		CHECK_STR(text, objects);
		free(text);
		/* Halves keep the one form, and read back the same. */
		batch_split(&b, &lo, &hi);
		text = batch_body_text(&hi);
		CHECK_STR(text, "{\"files\":[{\"url\":\"https://example.com/a\","
			  "\"headers\":{\"X-D\":\"m\"}},{\"url\":"
			  "\"https://example.com/b\"}]}");
		cJSON_Delete(body);
		body = cJSON_Parse(text);
		free(text);
		if (CHECK_INT(batch_from_body(&again, body, &e), 0)) {
			CHECK_INT(batch_size(&again), 2);
			batch_release(&again);
		}
		batch_release(&lo);
		batch_release(&hi);
		batch_release(&b);
	}
	cJSON_Delete(body);

	/* All strings stay strings. */
	body = cJSON_Parse(strings);
	if (CHECK_INT(batch_from_body(&b, body, &e), 0)) {
		text = batch_body_text(&b);
		CHECK_STR(text, strings);
		free(text);
		batch_release(&b);
	}
	cJSON_Delete(body);
}

static size_t count_of(const char *text, const char *needle)
{
	size_t n = 0;

	while ((text = strstr(text, needle)) != NULL) {
		n++;
		text++;
	}
	return n;
}

static void add_outcome(struct run *r, const char *url, const char *why)
{
	struct batch b;
	struct send_outcome *o;

	memset(&b, 0, sizeof(b));
	b.kind = PURGE_FILES;
	b.items = cJSON_CreateArray();
	cJSON_AddItemToArray(b.items, cJSON_CreateString(url));
	batch_list_push(&r->batches, &b);
	r->outcomes = xrealloc(r->outcomes, r->batches.n * sizeof(*r->outcomes));
	o = &r->outcomes[r->batches.n - 1];
	memset(o, 0, sizeof(*o));
	o->attempts = 1;
	o->n_items = o->n_spooled = 1;
	strvec_push(&o->failures, why);
	strvec_push(&o->spool_files, "/srv/spool/new.json");
}

/*
 * How the summary reads what the answers made of a run, on a run built by
 * hand: the spool's batch that could not be spooled again, whose old file
 * stays, and identical reasons from many batches.
 */
static void test_summary_counts(void)
{
	struct run_opts opts = RUN_OPTS_INIT;
	struct run r;
	struct spool_entry *en;
	struct send_outcome *o;
	char *text = NULL;
	size_t len = 0, i;
	FILE *f;

	run_init(&r, &opts);
	r.sent = 1;
	r.spool_dir = xstrdup("/srv/spool");
	r.spooled.v = xcalloc(1, sizeof(*r.spooled.v));
	r.spooled.n = r.spooled.alloc = 1;
	en = &r.spooled.v[0];
	en->fd = -1;
	en->path = xstrdup("/srv/spool/old.json");
	en->batch.kind = PURGE_FILES;
	en->batch.items = cJSON_CreateArray();
	r.spool_outcomes = xcalloc(1, sizeof(*r.spool_outcomes));
	o = &r.spool_outcomes[0];
	o->attempts = 2;
	o->n_items = o->n_lost = 3;
	strvec_push(&o->failures, "HTTP 500; and cannot write the spool");
	for (i = 0; i < 40; i++)
		add_outcome(&r, "https://example.com/a", "the run's deadline "
			    "passed");

	f = open_memstream(&text, &len);
	if (!CHECK(f != NULL)) {
		run_release(&r);
		return;
	}
	report_summary(stdout, f, &r);
	fclose(f);
	/* The 3 items of the old file are kept, not lost. */
	CHECK(strstr(text, "cf-purge-hook: not purged yet: 43 items kept in "
		      "'/srv/spool'") != NULL);
	CHECK(strstr(text, "NOT PURGED") == NULL);
	/* One line for 40 identical reasons. */
	CHECK_INT(count_of(text, "not sent: the run's deadline passed"), 1);
	CHECK(strstr(text, "cf-purge-hook: not sent: the run's deadline "
		      "passed (40 times)\n") != NULL);
	/* This push's requests apart from the spool's. */
	CHECK(strstr(text, "cf-purge-hook: purged 0 of 40 items in 40 "
		      "requests, ") != NULL);
	CHECK(strstr(text, "cf-purge-hook: resent 0 of 1 requests spooled by "
		      "earlier runs: 0 of 3 items purged (2 attempts)\n") != NULL);
	free(text);

	/* What this push could not spool is lost, and said so. */
	r.outcomes[0].n_spooled = 0;
	r.outcomes[0].n_lost = 1;
	text = NULL;
	f = open_memstream(&text, &len);
	if (CHECK(f != NULL)) {
		report_summary(stdout, f, &r);
		fclose(f);
		CHECK(strstr(text, "NOT PURGED and not kept: 1 item (see "
			      "above)") != NULL);
		CHECK(strstr(text, "not purged yet: 42 items kept") != NULL);
		free(text);
	}
	run_release(&r);
}

void test_reply(void)
{
	struct cf_reply r;
	struct strbuf sb = STRBUF_INIT;

	parse(&r, 200, "{\"success\":true,\"errors\":[],\"messages\":[],"
		       "\"result\":{\"id\":\"9a7806061c88ada191ed06f989cc3dac\"}}");
	CHECK(r.success && r.is_json);
	CHECK_STR(r.id, "9a7806061c88ada191ed06f989cc3dac");
	CHECK_INT(r.n_errors, 0);
	cf_reply_release(&r);

	parse(&r, 403, "{\"success\":false,\"errors\":[{\"code\":10000,"
		       "\"message\":\"Authentication error\"}],\"messages\":[],"
		       "\"result\":null}");
	CHECK(!r.success && r.is_json);
	if (CHECK_INT(r.n_errors, 1)) {
		CHECK_INT(r.errors[0].code, 10000);
		CHECK_STR(r.errors[0].message, "Authentication error");
	}
	cf_reply_describe(&sb, &r);
	CHECK_STR(sb.buf, "HTTP 403: error 10000: Authentication error");
	strbuf_release(&sb);
	cf_reply_release(&r);

	/* success true with an error status is still a failure. */
	parse(&r, 500, "{\"success\":true,\"errors\":[]}");
	CHECK(!r.success);
	cf_reply_release(&r);

	parse(&r, 502, "<html>Bad gateway</html>");
	CHECK(!r.success && !r.is_json);
	cf_reply_describe(&sb, &r);
	CHECK_STR(sb.buf, "HTTP 502: the answer is not a Cloudflare API reply");
	strbuf_release(&sb);
	cf_reply_release(&r);

	/* Odd shapes never crash and never count as success. */
	parse(&r, 200, "[1,2]");
	CHECK(!r.success && !r.is_json);
	cf_reply_release(&r);
	parse(&r, 200, "{\"success\":\"yes\"}");
	CHECK(!r.success && !r.is_json);
	cf_reply_release(&r);
	parse(&r, 400, "{\"success\":false,\"errors\":[{\"code\":1e300},"
		       "{\"message\":\"a\\nb\"},7],\"result\":{\"id\":5}}");
	CHECK(!r.success && r.is_json);
	CHECK_INT(r.n_errors, 3);
	CHECK(r.id == NULL);
	cf_reply_describe(&sb, &r);
	CHECK_STR(sb.buf, "HTTP 400: error 0: ; error 0: a?b; error 0: ");
	strbuf_release(&sb);
	cf_reply_release(&r);
	parse(&r, 400, "{\"success\":false,\"errors\":[]}");
	cf_reply_describe(&sb, &r);
	CHECK_STR(sb.buf, "HTTP 400: \"success\" is false, with no error");
	strbuf_release(&sb);
	cf_reply_release(&r);

	test_reply_limits();
	test_files_forms();
	test_summary_counts();
}
