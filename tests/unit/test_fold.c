#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tests.h"
#include "../../mapping/config.h"
#include "../../mapping/fold.h"

#define CONFIG \
	"[cloudflare]\n" \
	"zone_id = 023e105f4ecef8ad9ca31a8372d0c353\n" \
	"[site]\n" \
	"base_url = https://example.com, https://b.example.net/docs\n"

/*
 * A new tree with folders a/ (1,000 files), b/ (500) and c d/ (200), and
 * how much each count asked for: the counter stops past the limit, as
 * hook/count.c does.
 */
struct fake {
	size_t asked;	/* files looked at, over every call */
};

static int fake_count(void *ctx, const char *dir, size_t limit, size_t *n,
		      struct err *e)
{
	struct fake *fk = ctx;
	size_t have;

	(void)e;
	if (!*dir)
		have = 1700;
	else if (!strcmp(dir, "a"))
		have = 1000;
	else if (!strcmp(dir, "b"))
		have = 500;
	else if (!strcmp(dir, "c d"))
		have = 200;
	else
		have = 0;
	*n = have > limit ? limit + 1 : have;
	fk->asked += *n;
	return 0;
}

/* Deep folders: 150 files from 30 levels down, a million above. */
static int deep_count(void *ctx, const char *dir, size_t limit, size_t *n,
		      struct err *e)
{
	size_t slashes = 0, have;

	(void)ctx;
	(void)e;
	for (; *dir; dir++)
		slashes += *dir == '/';
	have = slashes >= 29 ? 150 : 1000000;
	*n = have > limit ? limit + 1 : have;
	return 0;
}

static void load(struct config *c, const char *extra)
{
	char *text = xasprintf("%s%s", CONFIG, extra);

	config_init(c);
	CHECK(config_load_buffer(c, "t.ini", text, strlen(text)) == 0);
	free(text);
}

/* Adds n changed files a/fNNNN (or in dir) to f and their URLs to p. */
static void change(struct fold *f, struct plan *p, const char *dir,
		   size_t n, int deleted)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char *rel = xasprintf("%s/f%04zu", dir, i);
		char *url = xasprintf("https://example.com/%s", rel);

		fold_add(f, rel, deleted);
		plan_add(p, PURGE_FILES, url);
		free(url);
		free(rel);
	}
}

void test_fold(void)
{
	struct config c;
	struct fold f = FOLD_INIT;
	struct plan p = PLAN_INIT;
	struct fake fk = { 0 };
	struct err e;
	char *s;

	load(&c, "");
	CHECK_INT(c.collapse_waste, 10);
	CHECK_INT(c.max_urls, 0);

	/* a/: 950 of 1,000 changed (5% collateral); b/: 100 of 500. */
	f.count = fake_count;
	f.count_ctx = &fk;
	change(&f, &p, "a", 950, 0);
	change(&f, &p, "b", 100, 0);
	plan_finish(&p);
	CHECK(fold_plan(&f, &p, &c, 25, &e) == 0);
	CHECK_INT(p.everything, 0);
	CHECK_INT(p.files.n, 100);
	if (CHECK_INT(p.prefixes.n, 2)) {
		CHECK_STR(p.prefixes.v[0], "b.example.net/docs/a/");
		CHECK_STR(p.prefixes.v[1], "example.com/a/");
	}
	CHECK_INT(f.prefixes, 1);
	CHECK_INT(f.covered, 1000);
	CHECK_INT(f.covered_changed, 950);
	/*
	 * The counts stopped early: the top once past 1,166 (90% of it
	 * changed would be 1,050 of 1,166), b/ past 111; a/ in full, and
	 * then the whole site (1,700) for the summary, since a prefix was
	 * chosen.
	 */
	CHECK_INT(fk.asked, 1167 + 1000 + 112 + 1700);
	CHECK_INT(f.site_files, 1700);
	fold_release(&f);
	plan_release(&p);

	/* Fewer than FOLD_MIN_CHANGED: nothing is counted at all. */
	fk.asked = 0;
	f.count = fake_count;
	f.count_ctx = &fk;
	change(&f, &p, "c d", 99, 0);
	plan_finish(&p);
	CHECK(fold_plan(&f, &p, &c, 25, &e) == 0);
	CHECK_INT(p.prefixes.n, 0);
	CHECK_INT(fk.asked, 0);
	fold_release(&f);
	plan_release(&p);

	/* A deleted folder counts its deleted files; names are encoded. */
	f.count = fake_count;
	f.count_ctx = &fk;
	change(&f, &p, "gone", 150, 1);
	change(&f, &p, "c d", 190, 0);
	plan_finish(&p);
	CHECK(fold_plan(&f, &p, &c, 25, &e) == 0);
	if (CHECK_INT(p.prefixes.n, 4)) {
		CHECK_STR(p.prefixes.v[0], "b.example.net/docs/c%20d/");
		CHECK_STR(p.prefixes.v[2], "example.com/c%20d/");
		CHECK_STR(p.prefixes.v[3], "example.com/gone/");
	}
	fold_release(&f);
	plan_release(&p);
	config_release(&c);

	/* The budget: 1,050 URLs at 100 a second take 9.5 s. */
	load(&c, "[cloudflare]\nurls_per_second = 100\n");
	f.count = fake_count;
	f.count_ctx = &fk;
	change(&f, &p, "b", 300, 0);
	change(&f, &p, "a", 750, 0);
	plan_finish(&p);
	CHECK(fold_plan(&f, &p, &c, 5, &e) == 0);
	/* a/ at 25% collateral, then b/ at 40%: a/ alone fits at 30%. */
	CHECK_INT(f.waste, 30);
	CHECK_INT(p.files.n, 300);
	CHECK_INT(p.prefixes.n, 2);
	fold_release(&f);
	plan_release(&p);
	config_release(&c);

	/*
	 * Cloudflare takes at most 31 slashes in a prefix: 150 changed files
	 * 31 folders deep become the prefix of the folder 30 deep.
	 */
	{
		struct strbuf dir = STRBUF_INIT;
		size_t k, n;

		config_init(&c);
		s = xstrdup("[cloudflare]\nzone_id = "
			    "023e105f4ecef8ad9ca31a8372d0c353\n[site]\n"
			    "base_url = https://example.com\n");
		CHECK(config_load_buffer(&c, "t.ini", s, strlen(s)) == 0);
		free(s);
		for (k = 0; k < 31; k++)
			strbuf_addf(&dir, "%sd%zu", k ? "/" : "", k);
		f.count = deep_count;
		change(&f, &p, strbuf_str(&dir), 150, 0);
		plan_finish(&p);
		CHECK(fold_plan(&f, &p, &c, 25, &e) == 0);
		if (CHECK_INT(p.prefixes.n, 1)) {
			for (n = 0, k = 0; p.prefixes.v[0][k]; k++)
				n += p.prefixes.v[0][k] == '/';
			CHECK_INT(n, 31);
			CHECK(strstr(p.prefixes.v[0], "/d29/") != NULL);
			CHECK(strstr(p.prefixes.v[0], "/d30/") == NULL);
		}
		CHECK_INT(p.files.n, 0);
		fold_release(&f);
		plan_release(&p);
		config_release(&c);
		strbuf_release(&dir);
	}

	/* collapse_waste takes a percentage, with or without '%'. */
	load(&c, "[plan]\ncollapse_waste = 25%\n");
	CHECK_INT(c.collapse_waste, 25);
	config_release(&c);
	config_init(&c);
	s = xstrdup(CONFIG "[plan]\ncollapse_waste = 120%\n");
	CHECK(config_load_buffer(&c, "t.ini", s, strlen(s)) < 0);
	if (CHECK_INT(c.errors.n, 1))
		CHECK(strstr(c.errors.v[0], "line 6: 'collapse_waste' in [plan] "
			     "must be a percentage from 0% to 100%") != NULL);
	config_release(&c);
	free(s);

	s = fold_prefix("https://example.com", "");
	CHECK_STR(s, "example.com/");
	free(s);
}
