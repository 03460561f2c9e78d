/*
 * The pure parts of verify: the blob id of a body, the verdict of an
 * answer, the same-origin rule for redirects, and the parsing of
 * [verify] connect_to.
 */
#include <string.h>

#include <git2.h>

#include "check.h"
#include "tests.h"
#include "../../mapping/config_verify.h"
#include "../../verify/fetch.h"
#include "../../verify/verdict.h"
#include "../../verify/verify.h"

static void oid_of(git_oid *id, const char *s)
{
	verdict_body_id(id, s, strlen(s));
}

static void test_body_id(void)
{
	git_oid id;
	char hex[GIT_OID_HEXSZ + 1];

	/* What `printf 'hello\n' | git hash-object --stdin` prints. */
	CHECK_INT(verdict_body_id(&id, "hello\n", 6), 0);
	git_oid_tostr(hex, sizeof(hex), &id);
	CHECK_STR(hex, "ce013625030ba8dba906f756967f9e9ca394464a");
	/* The empty blob, git's well-known id; a NULL body is allowed. */
	CHECK_INT(verdict_body_id(&id, NULL, 0), 0);
	git_oid_tostr(hex, sizeof(hex), &id);
	CHECK_STR(hex, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
}

static void test_verdicts(void)
{
	struct verify_expect x;
	struct verify_answer a;

	memset(&x, 0, sizeof(x));
	x.has_new = x.known_new = x.known_old = 1;
	oid_of(&x.new_id, "new\n");
	oid_of(&x.old_id, "old\n");
	memset(&a, 0, sizeof(a));
	a.status = 200;
	a.hashed = 1;
	a.age = -1;

	oid_of(&a.body_id, "new\n");
	CHECK_INT(verdict_of(&x, &a, 0, 5), VERDICT_FRESH);
	oid_of(&a.body_id, "old\n");
	CHECK_INT(verdict_of(&x, &a, 0, 5), VERDICT_STALE);
	/* compare = status: the old body passes on its status. */
	CHECK_INT(verdict_of(&x, &a, 1, 5), VERDICT_FRESH);
	oid_of(&a.body_id, "new\n<!-- edge -->");
	CHECK_INT(verdict_of(&x, &a, 0, 5), VERDICT_OTHER);

	/*
	 * A HIT older than the purge is stale, unless its body is the new
	 * content: by status alone, with another body, or a 404 kept.
	 */
	oid_of(&a.body_id, "new\n");
	a.cache_hit = 1;
	a.age = 30;
	CHECK_INT(verdict_of(&x, &a, 0, 5), VERDICT_FRESH);
	CHECK_INT(verdict_of(&x, &a, 1, 5), VERDICT_STALE);
	oid_of(&a.body_id, "new\n<!-- edge -->");
	CHECK_INT(verdict_of(&x, &a, 0, 5), VERDICT_STALE);
	a.status = 404;
	CHECK_INT(verdict_of(&x, &a, 0, 5), VERDICT_STALE);
	a.status = 200;
	oid_of(&a.body_id, "new\n");
	/* Stored after the purge (a second's slack), or no purge known. */
	CHECK_INT(verdict_of(&x, &a, 0, 29.5), VERDICT_FRESH);
	CHECK_INT(verdict_of(&x, &a, 0, -1), VERDICT_FRESH);
	a.cache_hit = 0;
	CHECK_INT(verdict_of(&x, &a, 0, 5), VERDICT_FRESH);

	/* A file that exists: 404 and 410 are missing; 5xx is other. */
	a.status = 404;
	CHECK_INT(verdict_of(&x, &a, 0, 5), VERDICT_MISSING);
	a.status = 410;
	CHECK_INT(verdict_of(&x, &a, 1, 5), VERDICT_MISSING);
	a.status = 503;
	CHECK_INT(verdict_of(&x, &a, 0, 5), VERDICT_OTHER);
	a.status = 301;
	CHECK_INT(verdict_of(&x, &a, 0, 5), VERDICT_OTHER);
	a.status = 0;
	CHECK_INT(verdict_of(&x, &a, 0, 5), VERDICT_ERROR);

	/* A [map] template's URL: its status alone. */
	x.known_new = x.known_old = 0;
	a.status = 200;
	CHECK_INT(verdict_of(&x, &a, 0, 5), VERDICT_FRESH);

	/* A deleted file: gone is fresh, its old body stale, 200 missing. */
	memset(&x, 0, sizeof(x));
	x.known_old = 1;
	oid_of(&x.old_id, "old\n");
	a.status = 404;
	CHECK_INT(verdict_of(&x, &a, 0, 5), VERDICT_FRESH);
	a.status = 200;
	oid_of(&a.body_id, "old\n");
	CHECK_INT(verdict_of(&x, &a, 0, 5), VERDICT_STALE);
	oid_of(&a.body_id, "a listing page\n");
	CHECK_INT(verdict_of(&x, &a, 0, 5), VERDICT_MISSING);

	CHECK_STR(verdict_name(VERDICT_FRESH), "fresh");
	CHECK_STR(verdict_name(VERDICT_MISSING), "missing");
}

static void test_same_origin(void)
{
	CHECK(fetch_same_origin("https://example.com/a/",
				"https://EXAMPLE.com/b?x"));
	CHECK(fetch_same_origin("https://example.com", "https://example.com/"));
	CHECK(!fetch_same_origin("https://example.com/a",
				 "https://example.com.evil.net/a"));
	CHECK(!fetch_same_origin("https://example.com/a",
				 "http://example.com/a"));
	CHECK(!fetch_same_origin("https://example.com/a",
				 "https://example.com:8443/a"));
	CHECK(!fetch_same_origin("https://example.com/a", "/a"));
	CHECK(!fetch_same_origin("https://example.com@evil.net/",
				 "https://example.com/"));
}

static void test_connect_to(void)
{
	size_t n = 0;
	long port = 0;

	CHECK_INT(config_split_host_port("127.0.0.1:8443", &n, &port), 0);
	CHECK_INT(n, 9);
	CHECK_INT(port, 8443);
	CHECK_INT(config_split_host_port("edge.example.net:443", &n, &port), 0);
	CHECK_INT(n, 16);
	CHECK_INT(config_split_host_port("[::1]:443", &n, &port), 0);
	CHECK_INT(n, 5);
	CHECK_INT(port, 443);
	CHECK_INT(config_split_host_port("127.0.0.1", &n, &port), -1);
	CHECK_INT(config_split_host_port(":443", &n, &port), -1);
	CHECK_INT(config_split_host_port("host:", &n, &port), -1);
	CHECK_INT(config_split_host_port("host:0", &n, &port), -1);
	CHECK_INT(config_split_host_port("host:65536", &n, &port), -1);
	CHECK_INT(config_split_host_port("host:-1", &n, &port), -1);
	CHECK_INT(config_split_host_port("host:44x", &n, &port), -1);
	CHECK_INT(config_split_host_port("ho st:443", &n, &port), -1);
	CHECK_INT(config_split_host_port("::1:443", &n, &port), -1);
	CHECK_INT(config_split_host_port("[::g]:443", &n, &port), -1);
	CHECK_INT(config_split_host_port("a:b:443", &n, &port), -1);
}

/* The first item of a URL wins, and the order of the rest stays. */
static void test_dedupe(void)
{
	struct verify_list l = VERIFY_LIST_INIT;
	struct verify_expect site, by_status;

	memset(&site, 0, sizeof(site));
	site.has_new = site.known_new = 1;
	by_status = site;
	by_status.known_new = 0;
	verify_list_add(&l, "https://e.com/z", "z", &site);
	verify_list_add(&l, "https://e.com/a", "a", &site);
	verify_list_add(&l, "https://e.com/z", "t", &by_status);
	verify_list_add(&l, "https://e.com/m", "m", &by_status);
	verify_list_add(&l, "https://e.com/a", "t", &by_status);
	verify_list_dedupe(&l);
	if (CHECK_INT(l.n, 3)) {
		CHECK_STR(l.v[0].url, "https://e.com/z");
		CHECK_STR(l.v[0].path, "z");
		CHECK(l.v[0].expect.known_new);
		CHECK_STR(l.v[1].url, "https://e.com/a");
		CHECK(l.v[1].expect.known_new);
		CHECK_STR(l.v[2].url, "https://e.com/m");
	}
	verify_list_clear(&l);
	CHECK_INT(l.n, 0);
}

void test_verify(void)
{
	test_dedupe();
	test_body_id();
	test_verdicts();
	test_same_origin();
	test_connect_to();
}
