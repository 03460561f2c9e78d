/*
 * libFuzzer target for mapping/config*.c: the strict INI loader, driven
 * through inih by its own line reader, with the compilers of the [map]
 * and [ignore] patterns and of the url and prefixes templates.
 *
 * Input: MAIN [NUL TREE]. MAIN is loaded with config_load_buffer(); when it
 * loads, TREE (if any) is added with config_load_tree(), as the layer a
 * push brings with [hook] tree_config. When both load, a few fixed paths,
 * the text of each [map] pattern read as a path, and the paths named by
 * comment lines ";path P" (a file) or ";link P" (a submodule) in either
 * part go through mapping, planning (finish, collapse, cap, as the hook
 * does) and the division into request batches, which must keep the
 * promises of config.h, map.h, plan.h and purge/batch.h; above all,
 * planning must never purge less than the mapping asked for.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../mapping/config.h"
#include "../../mapping/map.h"
#include "../../mapping/plan.h"
#include "../../purge/batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

/* Cloudflare refuses prefixes with more slashes than this. */
#define MAX_PREFIX_SLASHES 31

static const char *const paths[] = {
	"index.html",
	"a.html",
	"public/index.html",
	"public/a b#c.html",
	"public/blog/index.html",
	"public/blog/post.html",
	"public/caf\xc3\xa9/x?y%z.html",
	"layouts/base.html",
	"layouts/partials/head.html",
	"README.md",
	"Makefile",
	".github/workflows/ci.yml",
	"static/css/site.css",
	"src/x/y/z.md",
};

/* Paths mapped as submodules: their folder's prefix is purged. */
static const char *const gitlinks[] = {
	"public",
	"public/vendor/lib",
	"themes/t",
};

static int is_sorted_unique(const struct strvec *sv)
{
	size_t i;

	for (i = 1; i < sv->n; i++)
		if (strcmp(sv->v[i - 1], sv->v[i]) >= 0)
			return 0;
	return 1;
}

static int has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static int is_http_url(const char *s)
{
	return has_prefix(s, "https://") || has_prefix(s, "http://");
}

static size_t count_char(const char *s, char c)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

/*
 * The items of one kind over all batches, checking each batch: its size,
 * that it names a zone, and that the body it would send reads back the
 * same.
 */
static size_t sent(const struct batch_list *bl, enum purge_kind kind,
		   size_t max)
{
	size_t i, total = 0;

	for (i = 0; i < bl->n; i++) {
		const struct batch *b = &bl->v[i];
		struct batch back;
		struct err e;
		cJSON *body;
		char *text, *text_back;

		if (b->kind != kind)
			continue;
		CHECK(b->zone_id || b->zone_name);
		CHECK(batch_size(b) >= 1 && batch_size(b) <= max);
		total += batch_size(b);

		body = batch_body(b);
		CHECK(batch_from_body(&back, body, &e) == 0);
		CHECK(back.kind == b->kind);
		text = batch_body_text(b);
		text_back = batch_body_text(&back);
		CHECK(!strcmp(text, text_back));
		free(text);
		free(text_back);
		batch_release(&back);
		cJSON_Delete(body);
	}
	return total;
}

static void check_config(const struct config *c)
{
	size_t i;

	CHECK(c->errors.n == 0);
	CHECK(!c->zone_id != !c->zone_name);
	CHECK(!c->zone_id || strlen(c->zone_id) == 32);
	CHECK(c->base_urls.n >= 1);
	for (i = 0; i < c->base_urls.n; i++) {
		const char *b = c->base_urls.v[i];

		CHECK(is_http_url(b) && b[strlen(b) - 1] != '/');
	}
	CHECK(c->api_url && c->root && c->index);
	CHECK(!c->email == !c->api_key_env);
	CHECK(!*c->root || c->root[strlen(c->root) - 1] != '/');
	CHECK(c->files_per_request >= 1 &&
	      c->files_per_request <= CONFIG_MAX_FILES_PER_REQUEST);
	CHECK(c->items_per_request >= 1 &&
	      c->items_per_request <= CONFIG_MAX_ITEMS_PER_REQUEST);
	CHECK(c->max_urls >= 0);	/* 0: no cap, the default */
	CHECK(c->tree_max_items >= 0);
	for (i = 0; i < c->variants.n; i++)
		CHECK(strstr(c->variants.v[i], ": ") != NULL);
	CHECK(c->branches.n >= 1);
	for (i = 0; i < c->n_maps; i++)
		CHECK(c->maps[i].pattern != NULL);
	for (i = 0; i < c->n_zones; i++) {
		const struct zone_rule *z = &c->zones[i];

		CHECK(*z->host && z->zone_id && strlen(z->zone_id) == 32);
		CHECK(config_zone_index(c, z->host, strlen(z->host)) == i + 1);
	}
}

static size_t plan_items(const struct plan *p)
{
	return p->files.n + p->prefixes.n + p->tags.n + p->hosts.n;
}

/*
 * map_path, checking the count it returns against what it added and, when
 * explain is given, that the explanation is whole lines.
 */
static void map_one(struct plan *plan, const struct config *c,
		    const char *path, int is_gitlink, int explain)
{
	struct strvec why = STRVEC_INIT;
	size_t before = plan_items(plan), added, i;
	int everything = plan->everything;

	added = map_path(plan, c, path, is_gitlink, explain ? &why : NULL);
	/*
	 * The plan keeps each tag, host and prefix once, and purge_everything
	 * is a flag: it may grow by less than map_path added, never by more.
	 */
	CHECK(added >= plan_items(plan) - before);
	if (plan->everything != everything)
		CHECK(added > plan_items(plan) - before);
	for (i = 0; i < why.n; i++)
		CHECK(*why.v[i] && !strchr(why.v[i], '\n'));
	strvec_clear(&why);
}

/* The paths of the comment lines ";path P" and ";link P". */
static void map_comment_paths(struct plan *plan, const struct config *c,
			      const char *buf, size_t len)
{
	size_t pos = 0;
	int n = 0;

	while (pos < len && n < 16) {
		const char *start = buf + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t linelen = nl ? (size_t)(nl - start) : len - pos;

		pos += linelen + (nl ? 1 : 0);
		if (linelen > 6 && (!memcmp(start, ";path ", 6) ||
				    !memcmp(start, ";link ", 6))) {
			char *path = xstrndup(start + 6, linelen - 6);

			map_one(plan, c, path, start[1] == 'l', 1);
			free(path);
			n++;
		}
	}
}

static void check_items(const struct plan *plan)
{
	size_t i;

	/* Files are absolute URLs; prefixes and hosts have no scheme. */
	for (i = 0; i < plan->files.n; i++)
		CHECK(is_http_url(plan->files.v[i]));
	for (i = 0; i < plan->prefixes.n; i++) {
		const char *p = plan->prefixes.v[i];

		CHECK(*p && *p != '/');
		CHECK(count_char(p, '/') <= MAX_PREFIX_SLASHES);
	}
	for (i = 0; i < plan->hosts.n; i++)
		CHECK(*plan->hosts.v[i] && !strchr(plan->hosts.v[i], '/'));
	for (i = 0; i < plan->tags.n; i++)
		CHECK(*plan->tags.v[i]);
}

static void check_sorted(const struct plan *plan)
{
	CHECK(is_sorted_unique(&plan->files));
	CHECK(is_sorted_unique(&plan->prefixes));
	CHECK(is_sorted_unique(&plan->tags));
	CHECK(is_sorted_unique(&plan->hosts));
}

/* The item without "scheme://", as plan.c reads it. */
static const char *no_scheme(const char *s)
{
	const char *p = strstr(s, "://");

	return p ? p + 3 : s;
}

static int in_list(const struct strvec *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return 1;
	return 0;
}

/*
 * 1 when the plan purges the scheme-less s through a host or a prefix,
 * read narrowly as plan.h does: a prefix covers whole path segments.
 */
static int covered(const struct plan *p, const char *s)
{
	size_t i, n;

	for (i = 0; i < p->hosts.n; i++) {
		n = strlen(p->hosts.v[i]);
		if (!strncmp(s, p->hosts.v[i], n) && (!s[n] || s[n] == '/'))
			return 1;
	}
	for (i = 0; i < p->prefixes.n; i++) {
		const char *pre = p->prefixes.v[i];

		n = strlen(pre);
		if (n && !strncmp(s, pre, n) &&
		    (!s[n] || s[n] == '/' || pre[n - 1] == '/'))
			return 1;
	}
	return 0;
}

/*
 * Checks that planning (finish, collapse, the caps) never purges less than was
 * asked for in before: each item is still there, or purged by a host, a
 * prefix, or everything.
 */
static void check_never_less(const struct plan *before, const struct plan *p)
{
	size_t i;

	if (p->everything)
		return;
	for (i = 0; i < before->files.n; i++) {
		const char *f = before->files.v[i];

		CHECK(in_list(&p->files, f) || covered(p, no_scheme(f)));
	}
	for (i = 0; i < before->prefixes.n; i++) {
		const char *pre = before->prefixes.v[i];

		CHECK(in_list(&p->prefixes, pre) || covered(p, pre));
	}
	for (i = 0; i < before->tags.n; i++)
		CHECK(in_list(&p->tags, before->tags.v[i]));
	for (i = 0; i < before->hosts.n; i++)
		CHECK(in_list(&p->hosts, before->hosts.v[i]));
}

static void copy_plan(struct plan *dst, const struct plan *src)
{
	size_t i;

	for (i = 0; i < src->files.n; i++)
		strvec_push(&dst->files, src->files.v[i]);
	for (i = 0; i < src->prefixes.n; i++)
		strvec_push(&dst->prefixes, src->prefixes.v[i]);
	for (i = 0; i < src->tags.n; i++)
		strvec_push(&dst->tags, src->tags.v[i]);
	for (i = 0; i < src->hosts.n; i++)
		strvec_push(&dst->hosts, src->hosts.v[i]);
	dst->everything = src->everything;
}

static void check_batches(const struct plan *plan, const struct config *c)
{
	struct batch_list bl = BATCH_LIST_INIT;
	size_t items = (size_t)c->items_per_request, zones = 1 + c->n_zones;

	batches_from_plan(&bl, plan, c, c->zone_id, c->zone_name, 0.0);
	if (plan->everything) {
		size_t i;

		/* purge_everything goes to every zone, alone. */
		CHECK(bl.n == zones);
		for (i = 0; i < bl.n; i++)
			CHECK(bl.v[i].kind == PURGE_EVERYTHING &&
			      bl.v[i].items == NULL &&
			      batch_size(&bl.v[i]) == 1);
	} else {
		CHECK(plan_empty(plan) == (bl.n == 0));
		/*
		 * Files, prefixes and hosts go to the one zone of their host;
		 * each URL once plain and once per variant. Tags go to every
		 * zone.
		 */
		CHECK(sent(&bl, PURGE_FILES, (size_t)c->files_per_request) ==
		      plan->files.n * (1 + c->variants.n));
		CHECK(sent(&bl, PURGE_PREFIXES, items) == plan->prefixes.n);
		CHECK(sent(&bl, PURGE_TAGS, items) == plan->tags.n * zones);
		CHECK(sent(&bl, PURGE_HOSTS, items) == plan->hosts.n);
	}
	/* The request of a batch that Cloudflare refused is split in two. */
	if (bl.n && bl.v[0].items && batch_size(&bl.v[0]) >= 2) {
		struct batch lo, hi;

		batch_split(&bl.v[0], &lo, &hi);
		CHECK(batch_size(&lo) + batch_size(&hi) == batch_size(&bl.v[0]));
		CHECK(batch_size(&lo) >= 1 && batch_size(&hi) >= 1);
		batch_release(&lo);
		batch_release(&hi);
	}
	batch_list_clear(&bl);
}

static void map_and_plan(const struct config *c, const char *buf, size_t len)
{
	struct plan plan = PLAN_INIT, asked = PLAN_INIT;
	struct err e;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		map_one(&plan, c, paths[i], 0, 0);
	for (i = 0; i < sizeof(gitlinks) / sizeof(gitlinks[0]); i++)
		map_one(&plan, c, gitlinks[i], 1, 0);
	for (i = 0; i < c->n_maps; i++) {
		const char *t = pattern_text(c->maps[i].pattern);

		map_one(&plan, c, t, 0, 1);
		map_one(&plan, c, t, 1, 0);
	}
	if (*c->root) {
		map_one(&plan, c, c->root, 1, 0);
		/* index is a name without '/', so this is a file in root. */
		if (*c->index) {
			char *p = xasprintf("%s/%s", c->root, c->index);
			map_one(&plan, c, p, 0, 0);
			free(p);
		}
	}
	map_comment_paths(&plan, c, buf, len);
	check_items(&plan);

	/* As the hook finishes a plan: finish, collapse, cap. */
	copy_plan(&asked, &plan);
	plan_finish(&plan);
	check_sorted(&plan);
	check_never_less(&asked, &plan);
	plan_collapse(&plan, (size_t)c->collapse_threshold);
	check_sorted(&plan);
	check_items(&plan);
	check_never_less(&asked, &plan);
	/* The cap on what a pushed tree's rules add: cut back, never less. */
	plan_cap_items(&plan, (size_t)c->tree_max_items, &c->base_urls,
		       c->tree_may_purge & TREE_MAY_EVERYTHING);
	check_sorted(&plan);
	check_items(&plan);
	/*
	 * Without everything, a plan over the cap purges the site instead,
	 * which is less than its tags and hosts may have purged outside it.
	 */
	if (c->tree_may_purge & TREE_MAY_EVERYTHING)
		check_never_less(&asked, &plan);
	CHECK(plan.everything || !c->tree_max_items ||
	      !(c->tree_may_purge & TREE_MAY_EVERYTHING) ||
	      plan.prefixes.n + plan.tags.n + plan.hosts.n <=
	      (size_t)c->tree_max_items);
	memset(&e, 0, sizeof(e));
	/* As finish_plan does: max_urls caps only when it is set. */
	rc = c->max_urls ? plan_cap(&plan, (size_t)c->max_urls,
				    c->fallback == FALLBACK_FAIL, &e) : 0;
	if (rc < 0) {
		CHECK(rc == -1 && c->fallback == FALLBACK_FAIL && e.msg[0]);
	} else {
		CHECK(rc == 0);
		CHECK(plan.everything || !c->max_urls ||
		      plan.files.n <= (size_t)c->max_urls);
		check_sorted(&plan);
		check_batches(&plan, c);
	}
	plan_release(&asked);
	plan_release(&plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	const char *nul = memchr(buf, '\0', size);
	size_t main_len = nul ? (size_t)(nul - buf) : size;
	struct config c;
	int rc;
	size_t i;

	config_init(&c);
	rc = config_load_buffer(&c, "fuzz.ini", buf, main_len);
	CHECK(rc == 0 || rc == -1);
	CHECK((rc == 0) == (c.errors.n == 0));
	for (i = 0; i < c.errors.n; i++)
		CHECK(has_prefix(c.errors.v[i], "cannot read 'fuzz.ini': "));
	if (rc == 0 && nul) {
		rc = config_load_tree(&c, "tree.ini", nul + 1,
				      size - main_len - 1);
		CHECK(rc == 0 || rc == -1);
		CHECK((rc == 0) == (c.errors.n == 0));
		for (i = 0; i < c.errors.n; i++)
			CHECK(has_prefix(c.errors.v[i],
					 "cannot read 'tree.ini': "));
	}
	if (rc == 0) {
		check_config(&c);
		map_and_plan(&c, buf, size);
		config_branch_wanted(&c, "main");
		config_branch_wanted(&c, "feature/x");
	}
	config_release(&c);
	return 0;
}
