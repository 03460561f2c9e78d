/*
 * The spool read defensively (spool_parse, spool_take) and the journal
 * settling a request after it was sent (journal_settle) or resending
 * earlier runs' files (journal_resend), on a spool in a folder made with
 * mkdtemp.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tests.h"
#include "../../purge/journal.h"
#include "../../purge/spool.h"

#define ID_A "0123456789abcdef0123456789abcdef"
#define ID_B "9a7806061c88ada191ed06f989cc3dac"
#define ID_UNKNOWN "ffffffffffffffffffffffffffffffff"

static struct strvec ids = STRVEC_INIT;

static struct spool_rules rules_for_test(void)
{
	struct spool_rules r;

	if (!ids.n) {
		strvec_push(&ids, ID_A);
		strvec_push(&ids, ID_B);
	}
	r.zone_ids = &ids;
	r.max_files = 3;
	r.max_items = 2;
	r.zones_incomplete = 0;
	return r;
}

static int is_empty(const struct batch *b)
{
	return !b->items && !b->zone_id && !b->zone_name && !b->last_error &&
	       !b->attempts && !b->first_planned;
}

/*
 * spool_parse of text with r; on a refusal, checks that the message holds
 * want and that nothing was left in the batch. Returns the result.
 */
static int parse_with(const char *text, const struct spool_rules *r,
		      const char *want)
{
	struct batch b;
	struct err e;
	int rc;

	e.msg[0] = '\0';
	rc = spool_parse(&b, text, strlen(text), r, &e);
	if (rc < 0) {
		CHECK(is_empty(&b));
		if (want && !CHECK(strstr(e.msg, want) != NULL))
			fprintf(stderr, "  message: %s\n  want: %s\n", e.msg,
				want);
	}
	if (rc == 0)
		batch_release(&b);
	return rc;
}

static int parse(const char *text, const char *want)
{
	struct spool_rules r = rules_for_test();

	return parse_with(text, &r, want);
}

/* A spool file of zone ID_A with this body. */
static int parse_body(const char *body, const char *want)
{
	char *text = xasprintf("{\"version\":1,\"zone_id\":\"" ID_A
			       "\",\"body\":%s}", body);
	int rc = parse(text, want);

	free(text);
	return rc;
}

static void test_parse_accepts(void)
{
	struct spool_rules r = rules_for_test();
	struct batch b;
	struct err e;
	const char *text =
		"{\"version\":1,\"zone_id\":\"" ID_B "\","
		"\"zone_name\":\"example.com\",\"body\":{\"files\":["
		"\"https://example.com/a\",{\"url\":\"http://example.com/b\","
		"\"headers\":{\"CF-Device-Type\":\"mobile\"}}]},"
		"\"first_planned\":\"2025-11-24T16:00:00Z\",\"attempts\":3,"
		"\"last_error\":\"HTTP 503\"}trailing bytes past len";

	CHECK_INT(spool_parse(&b, text, strlen(text) -
			      strlen("trailing bytes past len"), &r, &e), 0);
	CHECK_INT(b.kind, PURGE_FILES);
	CHECK_INT(batch_size(&b), 2);
	CHECK_STR(b.zone_id, ID_B);
	CHECK_STR(b.zone_name, "example.com");
	CHECK_INT((long long)b.first_planned, 1764000000);
	CHECK_INT(b.attempts, 3);
	CHECK_STR(b.last_error, "HTTP 503");
	batch_release(&b);

	/* len counts: the same text cut short is not JSON. */
	CHECK_INT(spool_parse(&b, text, 40, &r, &e), -1);
	CHECK(is_empty(&b));

	/* Only a zone name, and the other kinds. */
	CHECK_INT(parse("{\"version\":1,\"zone_id\":null,\"zone_name\":"
			"\"example.com\",\"body\":{\"tags\":[\"a\",\"b\"]}}",
			NULL), 0);
	CHECK_INT(parse("{\"version\":1,\"zone_name\":\"www.example-2.com\","
			"\"body\":{\"hosts\":[\"www.example.com\"]}}", NULL), 0);
	CHECK_INT(parse_body("{\"prefixes\":[\"example.com/blog/\"]}", NULL),
		  0);
	/* A time out of range is unknown, not carried into year 10007. */
	text = "{\"version\":1,\"zone_id\":\"" ID_A "\",\"body\":{\"tags\":"
	       "[\"a\"]},\"first_planned\":\"9999-99-99T99:99:99Z\"}";
	if (CHECK_INT(spool_parse(&b, text, strlen(text), &r, &e), 0)) {
		CHECK(b.first_planned == 0);
		batch_release(&b);
	}
}

static void test_parse_refuses(void)
{
	struct spool_rules r = rules_for_test();

	CHECK_INT(parse("[1]", "not a JSON object"), -1);
	CHECK_INT(parse("{\"version\":1,\"zone_id\":\"" ID_A "\",\"body\":"
			"{\"tags\":[\"a\"]},\"token\":\"secret\"}",
			"unknown key 'token'"), -1);
	CHECK_INT(parse("{\"version\":2,\"zone_id\":\"" ID_A "\",\"body\":"
			"{\"tags\":[\"a\"]}}", "not version 1"), -1);
	CHECK_INT(parse("{\"version\":\"1\",\"zone_id\":\"" ID_A "\",\"body\":"
			"{\"tags\":[\"a\"]}}", "not version 1"), -1);
	CHECK_INT(parse("{\"zone_id\":\"" ID_A "\",\"body\":{\"tags\":[\"a\"]}}",
			"not version 1"), -1);

	/* Zone ids. */
	CHECK_INT(parse("{\"version\":1,\"zone_id\":\"../../../etc/passwd\","
			"\"body\":{\"tags\":[\"a\"]}}", "not 32 hex digits"),
		  -1);
	CHECK_INT(parse("{\"version\":1,\"zone_id\":"
			"\"0123456789ABCDEF0123456789ABCDEF\","
			"\"body\":{\"tags\":[\"a\"]}}", "not 32 hex digits"),
		  -1);
	CHECK_INT(parse("{\"version\":1,\"zone_id\":\"" ID_A "0\","
			"\"body\":{\"tags\":[\"a\"]}}", "not 32 hex digits"),
		  -1);
	CHECK_INT(parse("{\"version\":1,\"zone_id\":7,"
			"\"body\":{\"tags\":[\"a\"]}}",
			"zone_id is not a string"), -1);
	CHECK_INT(parse("{\"version\":1,\"zone_id\":\"" ID_UNKNOWN "\","
			"\"body\":{\"tags\":[\"a\"]}}",
			"zone " ID_UNKNOWN " is not in the configuration"), -1);
	r.zones_incomplete = 1;
	CHECK_INT(parse_with("{\"version\":1,\"zone_id\":\"" ID_UNKNOWN "\","
			     "\"body\":{\"tags\":[\"a\"]}}", &r, NULL), -2);
	/* zones_incomplete leaves only unknown ids for later. */
	CHECK_INT(parse_with("{\"version\":1,\"zone_id\":\"" ID_A "\","
			     "\"body\":{\"tags\":[\"a\"]}}", &r, NULL), 0);
	CHECK_INT(parse_with("{\"version\":1,\"zone_id\":\"../x\","
			     "\"body\":{\"tags\":[\"a\"]}}", &r, NULL), -1);
	r.zones_incomplete = 0;
	r.zone_ids = NULL;
	CHECK_INT(parse_with("{\"version\":1,\"zone_id\":\"" ID_A "\","
			     "\"body\":{\"tags\":[\"a\"]}}", &r,
			     "not in the configuration"), -1);

	/* Zone names. */
	CHECK_INT(parse("{\"version\":1,\"zone_name\":\"../evil\","
			"\"body\":{\"tags\":[\"a\"]}}", "not a host name"), -1);
	CHECK_INT(parse("{\"version\":1,\"zone_name\":\"-x.example.com\","
			"\"body\":{\"tags\":[\"a\"]}}", "not a host name"), -1);
	CHECK_INT(parse("{\"version\":1,\"zone_name\":\"\","
			"\"body\":{\"tags\":[\"a\"]}}", "not a host name"), -1);
	CHECK_INT(parse("{\"version\":1,\"zone_id\":\"" ID_A "\","
			"\"zone_name\":\"a b\",\"body\":{\"tags\":[\"a\"]}}",
			"not a host name"), -1);
	CHECK_INT(parse("{\"version\":1,\"zone_name\":null,"
			"\"body\":{\"tags\":[\"a\"]}}",
			"zone_name is not a string"), -1);
	CHECK_INT(parse("{\"version\":1,\"zone_id\":null,"
			"\"body\":{\"tags\":[\"a\"]}}",
			"no zone_id or zone_name"), -1);
	CHECK_INT(parse("{\"version\":1,\"body\":{\"tags\":[\"a\"]}}",
			"no zone_id or zone_name"), -1);
}

static void test_parse_items(void)
{
	/* Files: http(s) URLs, or {url, headers}. */
	CHECK_INT(parse_body("{\"files\":[\"example.com/a\"]}",
			     "item 1 of 'files'"), -1);
	CHECK_INT(parse_body("{\"files\":[\"ftp://example.com/a\"]}",
			     "item 1 of 'files'"), -1);
	CHECK_INT(parse_body("{\"files\":[\"https://example.com/a\","
			     "\"https://example.com/a b\"]}",
			     "item 2 of 'files'"), -1);
	CHECK_INT(parse_body("{\"files\":[\"https://example.com/\\u0001\"]}",
			     "item 1 of 'files'"), -1);
	CHECK_INT(parse_body("{\"files\":[7]}", "item 1 of 'files'"), -1);
	CHECK_INT(parse_body("{\"files\":[[\"https://example.com/\"]]}",
			     "item 1 of 'files'"), -1);
	CHECK_INT(parse_body("{\"files\":[{\"headers\":{}}]}",
			     "item 1 of 'files'"), -1);
	CHECK_INT(parse_body("{\"files\":[{\"url\":\"https://example.com/\","
			     "\"method\":\"GET\"}]}", "item 1 of 'files'"), -1);
	CHECK_INT(parse_body("{\"files\":[{\"url\":\"https://example.com/\","
			     "\"headers\":{\"X\":\"a\\r\\nHost: evil\"}}]}",
			     "item 1 of 'files'"), -1);
	CHECK_INT(parse_body("{\"files\":[{\"url\":\"https://example.com/\","
			     "\"headers\":{\"X: y\":\"a\"}}]}",
			     "item 1 of 'files'"), -1);
	CHECK_INT(parse_body("{\"files\":[{\"url\":\"https://example.com/\","
			     "\"headers\":{\"X\":1}}]}", "item 1 of 'files'"),
		  -1);
	CHECK_INT(parse_body("{\"files\":[{\"url\":\"https://example.com/\","
			     "\"headers\":\"X: 1\"}]}", "item 1 of 'files'"),
		  -1);
	CHECK_INT(parse_body("{\"files\":[{\"url\":\"https://example.com/\","
			     "\"headers\":{\"X\":\"1\"}}]}", NULL), 0);

	/* The other kinds: strings without spaces or control characters. */
	CHECK_INT(parse_body("{\"prefixes\":[\"example.com/a b\"]}",
			     "item 1 of 'prefixes'"), -1);
	CHECK_INT(parse_body("{\"prefixes\":[null]}", "item 1 of 'prefixes'"),
		  -1);
	CHECK_INT(parse_body("{\"tags\":[\"a\",\"b\\u007f\"]}",
			     "item 2 of 'tags'"), -1);
	CHECK_INT(parse_body("{\"tags\":[{\"tag\":\"a\"}]}",
			     "item 1 of 'tags'"), -1);
	CHECK_INT(parse_body("{\"hosts\":[\"\"]}", "item 1 of 'hosts'"), -1);
	CHECK_INT(parse_body("{\"hosts\":[\"a\\tb\"]}", "item 1 of 'hosts'"),
		  -1);

	/* Bodies: one kind, a non-empty array. */
	CHECK_INT(parse_body("{\"tags\":[]}", "not a non-empty array"), -1);
	CHECK_INT(parse_body("{\"tags\":\"a\"}", "not a non-empty array"), -1);
	CHECK_INT(parse_body("{\"tags\":[\"a\"],\"hosts\":[\"b\"]}",
			     "not an object with one key"), -1);
	CHECK_INT(parse_body("{\"urls\":[\"https://example.com/\"]}",
			     "has no files"), -1);
	CHECK_INT(parse("{\"version\":1,\"zone_id\":\"" ID_A "\"}",
			"not an object with one key"), -1);

	/* The rules' limits: 3 files, 2 of the others. */
	CHECK_INT(parse_body("{\"files\":[\"https://a.example/1\","
			     "\"https://a.example/2\",\"https://a.example/3\"]}",
			     NULL), 0);
	CHECK_INT(parse_body("{\"files\":[\"https://a.example/1\","
			     "\"https://a.example/2\",\"https://a.example/3\","
			     "\"https://a.example/4\"]}",
			     "4 items in one request, more than 3"), -1);
	CHECK_INT(parse_body("{\"tags\":[\"a\",\"b\"]}", NULL), 0);
	CHECK_INT(parse_body("{\"tags\":[\"a\",\"b\",\"c\"]}",
			     "3 items in one request, more than 2"), -1);
	CHECK_INT(parse_body("{\"hosts\":[\"a\",\"b\",\"c\"]}",
			     "3 items in one request, more than 2"), -1);

	/* purge_everything: true alone. */
	{
		struct spool_rules r = rules_for_test();
		struct batch b;
		struct err e;
		const char *t = "{\"version\":1,\"zone_id\":\"" ID_A "\","
				"\"body\":{\"purge_everything\":true}}";

		if (CHECK_INT(spool_parse(&b, t, strlen(t), &r, &e), 0)) {
			CHECK_INT(b.kind, PURGE_EVERYTHING);
			CHECK(b.items == NULL);
			batch_release(&b);
		}
	}
	CHECK_INT(parse_body("{\"purge_everything\":false}",
			     "purge_everything is not true"), -1);
	CHECK_INT(parse_body("{\"purge_everything\":1}",
			     "purge_everything is not true"), -1);
	CHECK_INT(parse_body("{\"purge_everything\":true,\"tags\":[\"a\"]}",
			     "not an object with one key"), -1);
}

/* A batch of zone ID_A with n items: "https://example.com/N", or "tN". */
static void make_batch(struct batch *b, enum purge_kind kind, int n)
{
	int i;

	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->zone_id = xstrdup(ID_A);
	b->first_planned = 1764000000;
	if (kind == PURGE_EVERYTHING)
		return;
	b->items = need(cJSON_CreateArray());
	for (i = 0; i < n; i++) {
		char *s = kind == PURGE_FILES ?
			  xasprintf("https://example.com/%d", i) :
			  xasprintf("t%d", i);

		cJSON_AddItemToArray(b->items, need(cJSON_CreateString(s)));
		free(s);
	}
}

/* Deletes the files of the folder dir (not below), then dir itself. */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		char *p;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
}

static size_t count_files(const struct spool *s)
{
	struct strvec names = STRVEC_INIT;
	struct err e;
	size_t n = 0;

	if (spool_list(&names, s, &e) == 0)
		n = names.n;
	strvec_clear(&names);
	return n;
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Reads the spool file at path back with the test's rules. */
static int read_back(struct spool_entry *en, struct spool *s,
		     const char *path)
{
	struct spool_rules r = rules_for_test();
	struct err e;

	r.max_files = r.max_items = 100;
	return spool_take(en, s, strrchr(path, '/') + 1, &r, &e);
}

static void test_settle(struct spool *s)
{
	struct send_outcome o = SEND_OUTCOME_INIT;
	struct spool_entry en;
	struct batch sent, part, rest;
	struct spool unusable = SPOOL_INIT;
	struct err e;
	char *paths[2] = { NULL, NULL };
	size_t i;

	/* Everything confirmed: the file is deleted. */
	make_batch(&sent, PURGE_FILES, 3);
	CHECK_INT(spool_write(s, &sent, &paths[0], &e), 0);
	CHECK(exists(paths[0]));
	journal_settle(s, paths, 1, &sent, &o);
	CHECK(!exists(paths[0]));
	CHECK_INT(count_files(s), 0);
	CHECK_INT(o.n_spooled, 0);
	CHECK_INT(o.n_lost, 0);
	CHECK_INT(o.spool_files.n, 0);
	CHECK_INT(o.failures.n, 0);
	send_outcome_release(&o);
	free(paths[0]);

	/* Nothing confirmed: the one file is rewritten in place. */
	CHECK_INT(spool_write(s, &sent, &paths[0], &e), 0);
	o = (struct send_outcome)SEND_OUTCOME_INIT;
	batch_copy(&part, &sent);
	part.attempts = 4;
	part.last_error = xstrdup("HTTP 503: error 0: unavailable");
	batch_list_push(&o.left, &part);
	journal_settle(s, paths, 1, &sent, &o);
	CHECK(exists(paths[0]));
	CHECK_INT(count_files(s), 1);
	CHECK_INT(o.n_spooled, 3);
	CHECK_INT(o.n_lost, 0);
	if (CHECK_INT(o.spool_files.n, 1))
		CHECK_STR(o.spool_files.v[0], paths[0]);
	if (CHECK_INT(o.failures.n, 1))
		CHECK_STR(o.failures.v[0], "HTTP 503: error 0: unavailable");
	if (CHECK_INT(read_back(&en, s, paths[0]), 1)) {
		CHECK_INT(en.batch.attempts, 4);
		CHECK_STR(en.batch.last_error,
			  "HTTP 503: error 0: unavailable");
		CHECK(cJSON_Compare(en.batch.items, sent.items, 1));
		spool_entry_release(&en);
	}
	send_outcome_release(&o);

	/*
	 * A partial remainder, from two files: new files hold what is left,
	 * and the old ones are deleted.
	 */
	CHECK_INT(spool_write(s, &sent, &paths[1], &e), 0);
	CHECK_INT(count_files(s), 2);
	o = (struct send_outcome)SEND_OUTCOME_INIT;
	batch_split(&sent, &part, &rest);
	batch_release(&rest);
	part.last_error = xstrdup("HTTP 400: error 1234: refused");
	batch_list_push(&o.left, &part);
	journal_settle(s, paths, 2, &sent, &o);
	CHECK(!exists(paths[0]));
	CHECK(!exists(paths[1]));
	CHECK_INT(count_files(s), 1);
	CHECK_INT(o.n_spooled, 1);
	if (CHECK_INT(o.spool_files.n, 1) &&
	    CHECK(strcmp(o.spool_files.v[0], paths[0]) &&
		  strcmp(o.spool_files.v[0], paths[1])) &&
	    CHECK_INT(read_back(&en, s, o.spool_files.v[0]), 1)) {
		CHECK_INT(batch_size(&en.batch), 1);
		CHECK_STR(cJSON_GetArrayItem(en.batch.items, 0)->valuestring,
			  "https://example.com/0");
		CHECK_STR(en.batch.last_error, "HTTP 400: error 1234: refused");
		spool_entry_release(&en);
	}
	for (i = 0; i < o.spool_files.n; i++)
		unlink(o.spool_files.v[i]);
	send_outcome_release(&o);
	free(paths[0]);
	free(paths[1]);

	/*
	 * One file whose request came back in two parts is not rewritten in
	 * place: each part gets a new file.
	 */
	CHECK_INT(spool_write(s, &sent, &paths[0], &e), 0);
	o = (struct send_outcome)SEND_OUTCOME_INIT;
	batch_split(&sent, &part, &rest);
	batch_list_push(&o.left, &part);
	batch_list_push(&o.left, &rest);
	journal_settle(s, paths, 1, &sent, &o);
	CHECK(!exists(paths[0]));
	CHECK_INT(count_files(s), 2);
	CHECK_INT(o.n_spooled, 3);
	CHECK_INT(o.spool_files.n, 2);
	CHECK_INT(o.failures.n, 2);
	for (i = 0; i < o.spool_files.n; i++)
		unlink(o.spool_files.v[i]);
	send_outcome_release(&o);
	free(paths[0]);

	/* No journal file and no usable spool: what is left is lost. */
	o = (struct send_outcome)SEND_OUTCOME_INIT;
	batch_copy(&part, &sent);
	batch_list_push(&o.left, &part);
	journal_settle(&unusable, NULL, 0, &sent, &o);
	CHECK_INT(o.n_lost, 3);
	CHECK_INT(o.n_spooled, 0);
	CHECK_INT(o.spool_files.n, 0);
	CHECK_INT(count_files(s), 0);
	send_outcome_release(&o);

	/* With a journal file but an unusable spool, the file keeps it. */
	CHECK_INT(spool_write(s, &sent, &paths[0], &e), 0);
	o = (struct send_outcome)SEND_OUTCOME_INIT;
	batch_copy(&part, &sent);
	batch_list_push(&o.left, &part);
	journal_settle(&unusable, paths, 1, &sent, &o);
	CHECK(exists(paths[0]));
	CHECK_INT(o.n_lost, 0);
	CHECK_INT(o.n_spooled, 3);
	if (CHECK_INT(o.spool_files.n, 1))
		CHECK_STR(o.spool_files.v[0], paths[0]);
	unlink(paths[0]);
	send_outcome_release(&o);
	free(paths[0]);
	batch_release(&sent);
}

/*
 * A resend after sending stopped (here a sender with no client and a stop
 * reason, as after a 401 or a spent deadline): the files it does not
 * attempt stay exactly as they were, the same inode and modification
 * time, not merged into a new file, and the outcomes report each of them
 * kept.
 */
static void test_resend_stopped(struct spool *s)
{
	struct spool_rules r = rules_for_test();
	struct spool_claim claim = SPOOL_CLAIM_INIT;
	struct send_outcome *outcomes = NULL;
	struct sender sender;
	struct config c;
	struct batch b;
	struct stat before[3], after;
	char *paths[3] = { NULL, NULL, NULL };
	struct err e;
	size_t i, kept = 0, named = 0, covered = 0;

	r.max_files = r.max_items = 100;
	config_init(&c);
	sender_init(&sender, NULL, &c, mono_now() + 60, "stopped for the test");
	make_batch(&b, PURGE_FILES, 2);
	CHECK_INT(spool_write(s, &b, &paths[0], &e), 0);
	CHECK_INT(spool_write(s, &b, &paths[1], &e), 0);
	batch_release(&b);
	make_batch(&b, PURGE_TAGS, 1);
	CHECK_INT(spool_write(s, &b, &paths[2], &e), 0);
	batch_release(&b);
	for (i = 0; i < 3; i++)
		CHECK(paths[i] && stat(paths[i], &before[i]) == 0);

	journal_resend(s, &r, NULL, NULL, &covered, &sender, NULL, NULL, &claim,
		       &outcomes);
	CHECK_INT(covered, 0);
	/* One request for the two files of URLs, one for the tag. */
	CHECK_INT(claim.n, 2);
	for (i = 0; i < claim.n; i++) {
		CHECK_INT(outcomes[i].attempts, 0);
		CHECK_INT(outcomes[i].n_lost, 0);
		kept += outcomes[i].n_spooled;
		named += outcomes[i].spool_files.n;
	}
	CHECK_INT(kept, 3);
	CHECK_INT(named, 3);
	CHECK_INT(count_files(s), 3);
	for (i = 0; i < 3; i++) {
		if (!CHECK(paths[i] && stat(paths[i], &after) == 0))
			continue;
		CHECK(after.st_ino == before[i].st_ino);
		CHECK(after.st_mtim.tv_sec == before[i].st_mtim.tv_sec &&
		      after.st_mtim.tv_nsec == before[i].st_mtim.tv_nsec);
	}

	for (i = 0; i < claim.n; i++)
		send_outcome_release(&outcomes[i]);
	free(outcomes);
	spool_claim_release(&claim);
	sender_release(&sender);
	config_release(&c);
	for (i = 0; i < 3; i++) {
		if (paths[i])
			unlink(paths[i]);
		free(paths[i]);
	}
}

/* Writes len bytes of text to dir/name; returns the path (caller frees). */
static char *put_file(const char *dir, const char *name, const char *text,
		      size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK(write(fd, text, len) == (ssize_t)len);
		close(fd);
	}
	return path;
}

/* spool_take of name: returns its result, and checks what a refusal says. */
static int take(struct spool *s, const char *name, const char *want)
{
	struct spool_rules r = rules_for_test();
	struct spool_entry en;
	struct err e;
	int rc;

	e.msg[0] = '\0';
	rc = spool_take(&en, s, name, &r, &e);
	if (rc == 1) {
		CHECK(en.fd >= 0);
		spool_entry_release(&en);
	} else {
		CHECK(en.path == NULL);
	}
	if (rc < 0 && want && !CHECK(strstr(e.msg, want) != NULL))
		fprintf(stderr, "  message: %s\n  want: %s\n", e.msg, want);
	return rc;
}

/*
 * journal_resend leaves out what this run's own batches covered: a file
 * holding nothing else is deleted unsent, and one holding more still
 * goes out (here: is kept untried, the sender being stopped) with all it
 * held; a batch of another zone or kind is not covered by the same text.
 */
static void test_resend_covered(struct spool *s)
{
	struct spool_rules r = rules_for_test();
	struct spool_claim claim = SPOOL_CLAIM_INIT;
	struct send_outcome *outcomes = NULL;
	struct strvec covered = STRVEC_INIT;
	struct sender sender;
	struct config c;
	struct batch b, mine;
	char *paths[3] = { NULL, NULL, NULL };
	struct err e;
	size_t i, n_covered = 0;

	r.max_files = r.max_items = 100;
	config_init(&c);
	sender_init(&sender, NULL, &c, mono_now() + 60, "stopped for the test");
	/* This run sent URLs 0 and 1, and tag t0. */
	make_batch(&mine, PURGE_FILES, 2);
	journal_cover(&covered, &mine);
	batch_release(&mine);
	make_batch(&mine, PURGE_TAGS, 1);
	journal_cover(&covered, &mine);
	batch_release(&mine);
	strvec_sort_unique(&covered);
	/* The backlog: URLs 0 and 1; URL 0 to 2 of another zone; tags 0, 1. */
	make_batch(&b, PURGE_FILES, 2);
	CHECK_INT(spool_write(s, &b, &paths[0], &e), 0);
	batch_release(&b);
	make_batch(&b, PURGE_FILES, 3);
	free(b.zone_id);
	b.zone_id = xstrdup(ID_B);
	CHECK_INT(spool_write(s, &b, &paths[1], &e), 0);
	batch_release(&b);
	make_batch(&b, PURGE_TAGS, 2);
	CHECK_INT(spool_write(s, &b, &paths[2], &e), 0);
	batch_release(&b);

	journal_resend(s, &r, NULL, &covered, &n_covered, &sender, NULL, NULL,
		       &claim, &outcomes);
	/* Tag t0 stays counted out: its file is kept untried, t0 and all. */
	CHECK_INT(n_covered, 2);
	CHECK(!exists(paths[0]));
	CHECK(exists(paths[1]));
	CHECK(exists(paths[2]));
	/* Zone B's three URLs, and tag t1 alone. */
	CHECK_INT(claim.n, 2);
	for (i = 0; i < claim.n; i++) {
		const struct batch *got = &claim.v[i].batch;

		if (got->kind == PURGE_TAGS) {
			CHECK_INT(batch_size(got), 1);
			CHECK_STR(cJSON_GetArrayItem(got->items, 0)->valuestring,
				  "t1");
		} else {
			CHECK_INT(batch_size(got), 3);
			CHECK_STR(got->zone_id, ID_B);
		}
	}

	for (i = 0; i < claim.n; i++)
		send_outcome_release(&outcomes[i]);
	free(outcomes);
	spool_claim_release(&claim);
	sender_release(&sender);
	config_release(&c);
	strvec_clear(&covered);
	for (i = 0; i < 3; i++) {
		if (paths[i])
			unlink(paths[i]);
		free(paths[i]);
	}
}

static void test_take(struct spool *s)
{
	static const char good[] =
		"{\"version\":1,\"zone_id\":\"" ID_A "\","
		"\"body\":{\"tags\":[\"a\"]}}";
	char *path, *fifo, *link, *big;
	struct strbuf sb = STRBUF_INIT;

	/* The file the others stand in for is taken. */
	path = put_file(s->dir, "good.json", good, strlen(good));
	CHECK_INT(take(s, "good.json", NULL), 1);
	CHECK_INT(take(s, "missing.json", NULL), 0);

	/*
	 * A FIFO would block a reader until a writer came: it is refused at
	 * once. The alarm ends the tests if it blocks after all.
	 */
	fifo = xasprintf("%s/fifo.json", s->dir);
	if (CHECK(mkfifo(fifo, 0600) == 0)) {
		alarm(10);
		CHECK_INT(take(s, "fifo.json", "not a regular file"), -1);
		alarm(0);
	}

	/* A symbolic link, even to a good file, is not followed. */
	link = xasprintf("%s/link.json", s->dir);
	if (CHECK(symlink(path, link) == 0))
		CHECK_INT(take(s, "link.json", "a symbolic link"), -1);

	/* A good file, padded with white space past the limit. */
	strbuf_addstr(&sb, good);
	while (sb.len <= SPOOL_MAX_FILE)
		strbuf_addch(&sb, ' ');
	big = put_file(s->dir, "big.json", sb.buf, sb.len);
	CHECK_INT(take(s, "big.json", "larger than"), -1);
	/* The same text at the limit is still read. */
	if (CHECK(truncate(big, SPOOL_MAX_FILE) == 0))
		CHECK_INT(take(s, "big.json", NULL), 1);

	/* Others may write it: refused, however good its text. */
	if (CHECK(chmod(path, 0602) == 0))
		CHECK_INT(take(s, "good.json", "any user may write it"), -1);

	unlink(path);
	unlink(fifo);
	unlink(link);
	unlink(big);
	free(path);
	free(fifo);
	free(link);
	free(big);
	strbuf_release(&sb);
}

void test_spool(void)
{
	const struct file_modes modes = FILE_MODES_PRIVATE;
	char tmpl[] = "/tmp/cfph-unit-spool-XXXXXX";
	struct spool s = SPOOL_INIT;
	struct err e;

	test_parse_accepts();
	test_parse_refuses();
	test_parse_items();

	if (!CHECK(mkdtemp(tmpl) != NULL))
		return;
	if (CHECK_INT(spool_open(&s, tmpl, &modes, &e), 0)) {
		test_settle(&s);
		test_resend_stopped(&s);
		test_resend_covered(&s);
		test_take(&s);
		spool_close(&s);
	}
	remove_dir(tmpl);
	CHECK(!exists(tmpl));
	strvec_clear(&ids);
}
