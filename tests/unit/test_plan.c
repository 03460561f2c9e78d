#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tests.h"
#include "../../mapping/plan.h"

#define ZONE "023e105f4ecef8ad9ca31a8372d0c353"

void test_plan(void)
{
	struct plan p = PLAN_INIT;
	struct request_list rl = REQUEST_LIST_INIT;
	char url[64];
	size_t i;

	/* Duplicates go; what a prefix or host covers goes. */
	plan_add(&p, PURGE_FILES, "https://example.com/a.html");
	plan_add(&p, PURGE_FILES, "https://example.com/a.html");
	plan_add(&p, PURGE_FILES, "https://example.com/vendor/x.js");
	plan_add(&p, PURGE_FILES, "https://example.com/vendor");
	plan_add(&p, PURGE_FILES, "https://example.com/vendorz/y.js");
	plan_add(&p, PURGE_FILES, "https://assets.example.com/logo.png");
	plan_add(&p, PURGE_PREFIXES, "example.com/vendor/");
	plan_add(&p, PURGE_PREFIXES, "example.com/vendor/deep/");
	plan_add(&p, PURGE_PREFIXES, "example.com/docs");
	plan_add(&p, PURGE_FILES, "https://example.com/docs/");
	plan_add(&p, PURGE_FILES, "https://example.com/docsy.html");
	plan_add(&p, PURGE_HOSTS, "assets.example.com");
	plan_add(&p, PURGE_PREFIXES, "assets.example.com/img/");
	plan_add(&p, PURGE_TAGS, "b");
	plan_add(&p, PURGE_TAGS, "a");
	plan_add(&p, PURGE_TAGS, "b");
	plan_finish(&p);
	if (CHECK_INT(p.files.n, 4)) {
		CHECK_STR(p.files.v[0], "https://example.com/a.html");
		CHECK_STR(p.files.v[1], "https://example.com/docsy.html");
		CHECK_STR(p.files.v[2], "https://example.com/vendor");
		CHECK_STR(p.files.v[3], "https://example.com/vendorz/y.js");
	}
	if (CHECK_INT(p.prefixes.n, 2)) {
		CHECK_STR(p.prefixes.v[0], "example.com/docs");
		CHECK_STR(p.prefixes.v[1], "example.com/vendor/");
	}
	CHECK_INT(p.tags.n, 2);
	CHECK_STR(p.tags.v[0], "a");
	plan_requests(&rl, &p, ZONE, 30);
	if (CHECK_INT(rl.n, 4)) {
		CHECK_INT(rl.v[0].kind, PURGE_FILES);
		CHECK_INT(rl.v[1].kind, PURGE_PREFIXES);
		CHECK_INT(rl.v[2].kind, PURGE_TAGS);
		CHECK_INT(rl.v[3].kind, PURGE_HOSTS);
		CHECK_STR(rl.v[0].zone_id, ZONE);
	}
	request_list_clear(&rl);
	plan_release(&p);

	/* Batches respect the per-request limits. */
	for (i = 0; i < 65; i++) {
		snprintf(url, sizeof(url), "https://example.com/%03zu", i);
		plan_add(&p, PURGE_FILES, url);
	}
	for (i = 0; i < 31; i++) {
		snprintf(url, sizeof(url), "tag%02zu", i);
		plan_add(&p, PURGE_TAGS, url);
	}
	plan_finish(&p);
	plan_requests(&rl, &p, ZONE, 30);
	if (CHECK_INT(rl.n, 5)) {
		CHECK_INT(rl.v[0].n, 30);
		CHECK_INT(rl.v[1].n, 30);
		CHECK_INT(rl.v[2].n, 5);
		CHECK_STR(rl.v[2].items[4], "https://example.com/064");
		CHECK_INT(rl.v[3].n, 30);
		CHECK_INT(rl.v[4].n, 1);
	}
	request_list_clear(&rl);
	plan_requests(&rl, &p, ZONE, 500);
	CHECK_INT(rl.n, 3);
	request_list_clear(&rl);

	/* Everything alone, once. */
	plan_add(&p, PURGE_EVERYTHING, NULL);
	plan_finish(&p);
	CHECK(p.files.n == 0 && p.tags.n == 0);
	plan_requests(&rl, &p, ZONE, 30);
	if (CHECK_INT(rl.n, 1))
		CHECK_INT(rl.v[0].kind, PURGE_EVERYTHING);
	request_list_clear(&rl);
	plan_release(&p);
	CHECK(plan_empty(&p));
}
