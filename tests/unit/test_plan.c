#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tests.h"
#include "../../mapping/plan.h"
#include "../../mapping/config.h"
#include "../../purge/batch.h"

#define ZONE "023e105f4ecef8ad9ca31a8372d0c353"

void test_plan(void)
{
	struct plan p = PLAN_INIT;
	struct batch_list rl = BATCH_LIST_INIT;
	struct config c;
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
	config_init(&c);
	batches_from_plan(&rl, &p, &c, ZONE, NULL, 0);
	if (CHECK_INT(rl.n, 4)) {
		CHECK_INT(rl.v[0].kind, PURGE_FILES);
		CHECK_INT(rl.v[1].kind, PURGE_PREFIXES);
		CHECK_INT(rl.v[2].kind, PURGE_TAGS);
		CHECK_INT(rl.v[3].kind, PURGE_HOSTS);
		CHECK_STR(rl.v[0].zone_id, ZONE);
	}
	batch_list_clear(&rl);
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
	batches_from_plan(&rl, &p, &c, ZONE, NULL, 0);
	if (CHECK_INT(rl.n, 5)) {
		CHECK_INT(batch_size(&rl.v[0]), 30);
		CHECK_INT(batch_size(&rl.v[1]), 30);
		CHECK_INT(batch_size(&rl.v[2]), 5);
		CHECK_STR(cJSON_GetArrayItem(rl.v[2].items, 4)->valuestring,
			  "https://example.com/064");
		CHECK_INT(batch_size(&rl.v[3]), 30);
		CHECK_INT(batch_size(&rl.v[4]), 1);
	}
	batch_list_clear(&rl);
	c.files_per_request = 500;
	batches_from_plan(&rl, &p, &c, ZONE, NULL, 0);
	CHECK_INT(rl.n, 3);
	batch_list_clear(&rl);

	/* Variants: each URL once plain and once per variant, in one limit. */
	c.files_per_request = 4;
	strvec_push(&c.variants, "CF-Device-Type: mobile");
	strvec_push(&c.variants, "CF-Device-Type: tablet; Accept-Language: fr");
	{
		struct plan q = PLAN_INIT;

		plan_add(&q, PURGE_FILES, "https://example.com/a");
		plan_add(&q, PURGE_FILES, "https://example.com/b");
		plan_finish(&q);
		batches_from_plan(&rl, &q, &c, ZONE, NULL, 0);
		if (CHECK_INT(rl.n, 2)) {
			char *body = batch_body_text(&rl.v[0]);

			CHECK_STR(body, "{\"files\":[{\"url\":\"https://example.com/a\"},"
				  "{\"url\":\"https://example.com/a\",\"headers\":"
				  "{\"CF-Device-Type\":\"mobile\"}},"
				  "{\"url\":\"https://example.com/a\",\"headers\":"
				  "{\"CF-Device-Type\":\"tablet\","
				  "\"Accept-Language\":\"fr\"}},"
				  "{\"url\":\"https://example.com/b\"}]}");
			free(body);
			CHECK_INT(batch_size(&rl.v[1]), 2);
		}
		/* Splitting keeps every item, in order. */
		{
			struct batch lo, hi;

			batch_split(&rl.v[0], &lo, &hi);
			CHECK_INT(batch_size(&lo), 2);
			CHECK_INT(batch_size(&hi), 2);
			CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(
				  hi.items, 1), "url")->valuestring,
				  "https://example.com/b");
			batch_release(&lo);
			batch_release(&hi);
		}
		batch_list_clear(&rl);
		plan_release(&q);
	}
	config_release(&c);
	config_init(&c);

	/* Everything alone, once. */
	plan_add(&p, PURGE_EVERYTHING, NULL);
	plan_finish(&p);
	CHECK(p.files.n == 0 && p.tags.n == 0);
	batches_from_plan(&rl, &p, &c, ZONE, NULL, 0);
	if (CHECK_INT(rl.n, 1))
		CHECK_INT(rl.v[0].kind, PURGE_EVERYTHING);
	batch_list_clear(&rl);
	plan_release(&p);
	config_release(&c);
	CHECK(plan_empty(&p));
}

/*
 * plan_cap_items: prefixes from a pushed tree's rules are cut back to
 * their parents until the plan fits, never dropped; past one folder below
 * the host, the plan purges everything.
 */
void test_plan_cap_items(void)
{
	struct plan p = PLAN_INIT;
	struct strvec bases = STRVEC_INIT;
	char item[64];
	int i;

	/* 40 prefixes two folders deep, under 4 folders, and 2 tags. */
	for (i = 0; i < 40; i++) {
		snprintf(item, sizeof(item), "example.com/s%d/p%d/", i % 4, i);
		plan_add(&p, PURGE_PREFIXES, item);
	}
	plan_add(&p, PURGE_TAGS, "a");
	plan_add(&p, PURGE_TAGS, "b");
	plan_finish(&p);
	plan_cap_items(&p, 42, NULL, 1);
	CHECK_INT(p.prefixes.n, 40);	/* within the cap: untouched */
	CHECK_INT(p.notes.n, 0);
	plan_cap_items(&p, 10, NULL, 1);
	CHECK_INT(p.everything, 0);
	if (CHECK_INT(p.prefixes.n, 4)) {
		CHECK_STR(p.prefixes.v[0], "example.com/s0/");
		CHECK_STR(p.prefixes.v[3], "example.com/s3/");
	}
	CHECK_INT(p.tags.n, 2);
	CHECK_INT(p.notes.n, 1);
	/* One folder below the host is as far as prefixes are cut. */
	plan_cap_items(&p, 5, NULL, 1);
	CHECK_INT(p.everything, 1);
	CHECK_INT(p.prefixes.n, 0);
	CHECK_INT(p.notes.n, 2);
	plan_release(&p);

	/* 0 is no limit. */
	p = (struct plan)PLAN_INIT;
	for (i = 0; i < 5; i++) {
		snprintf(item, sizeof(item), "example.com/a/%d/", i);
		plan_add(&p, PURGE_PREFIXES, item);
	}
	plan_finish(&p);
	plan_cap_items(&p, 0, NULL, 1);
	CHECK_INT(p.prefixes.n, 5);
	plan_release(&p);

	/*
	 * With the site's bases, prefixes are never cut above a base's
	 * folder, and without everything the site is purged instead.
	 */
	p = (struct plan)PLAN_INIT;
	strvec_push(&bases, "https://example.com/blog/en");
	strvec_push(&bases, "https://www.example.com");
	for (i = 0; i < 6; i++) {
		snprintf(item, sizeof(item), "example.com/blog/en/%d/x/", i);
		plan_add(&p, PURGE_PREFIXES, item);
	}
	plan_add(&p, PURGE_PREFIXES, "other.example/a/b/");
	plan_add(&p, PURGE_TAGS, "t");
	plan_add(&p, PURGE_FILES, "https://example.com/blog/en/0/x/y.html");
	plan_finish(&p);
	plan_cap_items(&p, 2, &bases, 0);
	CHECK_INT(p.everything, 0);
	CHECK_INT(p.tags.n, 0);
	CHECK_INT(p.files.n, 0);
	if (CHECK_INT(p.prefixes.n, 2)) {
		CHECK_STR(p.prefixes.v[0], "example.com/blog/en/");
		CHECK_STR(p.prefixes.v[1], "other.example/a/");
	}
	if (CHECK_INT(p.hosts.n, 1))
		CHECK_STR(p.hosts.v[0], "www.example.com");
	plan_release(&p);

	/* Cut back to a base's folder, and no further: then everything. */
	p = (struct plan)PLAN_INIT;
	for (i = 0; i < 4; i++) {
		snprintf(item, sizeof(item), "example.com/blog/en/a/%d/", i);
		plan_add(&p, PURGE_PREFIXES, item);
	}
	plan_finish(&p);
	plan_cap_items(&p, 1, &bases, 1);
	if (CHECK_INT(p.prefixes.n, 1))
		CHECK_STR(p.prefixes.v[0], "example.com/blog/en/a/");
	plan_add(&p, PURGE_PREFIXES, "example.com/blog/en/b/");
	plan_finish(&p);
	plan_cap_items(&p, 1, &bases, 1);
	if (CHECK_INT(p.prefixes.n, 1))
		CHECK_STR(p.prefixes.v[0], "example.com/blog/en/");
	plan_add(&p, PURGE_TAGS, "t");
	plan_finish(&p);
	plan_cap_items(&p, 1, &bases, 1);
	CHECK_INT(p.everything, 1);
	plan_release(&p);
	strvec_clear(&bases);
}
