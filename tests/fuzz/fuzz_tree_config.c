/*
 * libFuzzer target for a pushed [hook] tree_config file against the
 * server's [hook] tree_may_purge: whatever a pusher writes there, nothing
 * outside the site may come out of mapping, planning and batching.
 *
 * Input: SELECT TREE. SELECT (one byte) picks the server's configuration,
 * which is fixed otherwise: base_url https://example.com/blog/en (two
 * folders deep, so that cutting prefixes back must stop there), a second
 * [zone "shop.example.net"] that belongs to another site, tree_config,
 * and
 *   bits 0-4  tree_may_purge: urls, prefixes, tags, hosts, everything
 *             (none when no bit is set);
 *   bits 5-6  tree_max_items: 0 (no cap), 2, 30 or 300;
 *   bit 7     a second base_url, https://www.example.com/blog.
 * TREE is the pushed file, loaded with config_load_tree() over that
 * configuration as the hook loads it. When it loads, fixed paths, the
 * paths of its comment lines ";path P" and the text of each [map] pattern
 * (each only when it is a path git could hold) are mapped, and the plan
 * is finished, capped by tree_max_items and divided into batches as the
 * hook does. A broken file is left out whole by the hook (hook/run.c,
 * load_range_configs()), so only a loaded one is mapped.
 *
 * Checked, on the plan and on every batch: each URL is http(s) on the
 * host example.com with a path that is /blog/en or below it (or
 * www.example.com and /blog, with the second base_url), hosts in any
 * case, and holds no "." or ".."
 * segment, no '\\' and no %2e, %2f or %5c; each prefix is the same
 * without a scheme; files and prefixes go to the site's own zone only;
 * tags, hosts and purge_everything appear only when tree_may_purge lists
 * them, and prefixes only when it lists prefixes, or when tree_max_items
 * made the plan purge the whole site (plan_cap_items()): then the only
 * prefixes are the bases' folders.
 *
 * NEEDSWORK: tags, when allowed, go to every zone of the configuration
 * (purge/batch.h), the second one included, as the server's own tags do;
 * the check accepts that, since a tag names no host.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../mapping/config.h"
#include "../../mapping/map.h"
#include "../../mapping/plan.h"
#include "../../purge/batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

#define SITE_ZONE "023e105f4ecef8ad9ca31a8372d0c353"
#define OTHER_ZONE "0123456789abcdef0123456789abcdef"

static const char *const paths[] = {
	"index.html",
	"a.html",
	"public/index.html",
	"public/a b#c.html",
	"public/blog/index.html",
	"blog/post.html",
	"caf\xc3\xa9/x?y%z.html",
	"layouts/base.html",
	"content/posts/a.md",
	"shop/cart.html",
	".cf-purge-hook.ini",
	"src/x/y/z.md",
};

static const char *const may_words[] = {
	"urls", "prefixes", "tags", "hosts", "everything"
};

/*
 * Whether p is a path git could hold in a tree (what a diff names),
 * without '%' or '\\': the server's own rules purge such a name as
 * %25 or %5C, which the check below cannot tell from an encoded '/'.
 */
static int git_path_ok(const char *p)
{
	const char *seg = p;

	if (!*p || *p == '/' || strpbrk(p, "%\\"))
		return 0;
	for (;;) {
		size_t n = strcspn(seg, "/");

		if (!n || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.') ||
		    (n == 4 && !strncasecmp(seg, ".git", 4)))
			return 0;
		if (!seg[n])
			return 1;
		seg += n + 1;
	}
}

/*
 * Whether the host-and-path s (no scheme) is within the site: the host is
 * example.com with a path that is /blog/en or below it, or, when two is
 * set, www.example.com and /blog; hosts in any case, with no port or
 * user; no dot segment, no backslash and no encoded '.', '/' or '\\'.
 */
static int within(const char *s, int two)
{
	size_t host = strcspn(s, "/?#"), n, i, blen;
	const char *path = s + host, *seg, *base;

	if (host == 11 && !strncasecmp(s, "example.com", 11))
		base = "/blog/en";
	else if (two && host == 15 && !strncasecmp(s, "www.example.com", 15))
		base = "/blog";
	else
		return 0;
	blen = strlen(base);
	if (strncmp(path, base, blen) ||
	    (path[blen] && !strchr("/?#", path[blen])))
		return 0;
	n = strcspn(path, "?#");
	for (i = 0; i < n; i++) {
		if (path[i] == '\\')
			return 0;
		if (path[i] == '%' && i + 2 < n + 1 &&
		    (!strncasecmp(path + i, "%2e", 3) ||
		     !strncasecmp(path + i, "%2f", 3) ||
		     !strncasecmp(path + i, "%5c", 3)))
			return 0;
	}
	for (seg = path; seg < path + n;) {
		size_t len;

		if (*seg == '/') {
			seg++;
			continue;
		}
		len = strcspn(seg, "/?#");
		if ((len == 1 && seg[0] == '.') ||
		    (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		seg += len;
	}
	return 1;
}

static int url_within(const char *u, int two)
{
	if (!strncasecmp(u, "https://", 8))
		return within(u + 8, two);
	if (!strncasecmp(u, "http://", 7))
		return within(u + 7, two);
	return 0;
}

/* Whether p's only prefixes are the bases' folders: the whole site. */
static int site_only(const struct plan *p, int two)
{
	size_t i;

	for (i = 0; i < p->prefixes.n; i++)
		if (strcmp(p->prefixes.v[i], "example.com/blog/en/") &&
		    (!two || strcmp(p->prefixes.v[i], "www.example.com/blog/")))
			return 0;
	return 1;
}

static void check_plan(const struct plan *p, unsigned may, int two)
{
	size_t i;

	CHECK(!p->everything || (may & TREE_MAY_EVERYTHING));
	CHECK(!p->hosts.n || (may & TREE_MAY_HOSTS));
	CHECK(!p->tags.n || (may & TREE_MAY_TAGS));
	CHECK(!p->prefixes.n || (may & TREE_MAY_PREFIXES) || site_only(p, two));
	for (i = 0; i < p->files.n; i++)
		CHECK(url_within(p->files.v[i], two));
	for (i = 0; i < p->prefixes.n; i++)
		CHECK(within(p->prefixes.v[i], two));
}

/* A file item of a batch: a URL, or {"url": URL, "headers": ...}. */
static const char *file_url(const cJSON *it)
{
	if (cJSON_IsString(it))
		return it->valuestring;
	it = cJSON_GetObjectItemCaseSensitive(it, "url");
	return cJSON_IsString(it) ? it->valuestring : NULL;
}

static void check_batches(const struct plan *p, const struct config *c,
			  unsigned may, int two)
{
	struct batch_list bl = BATCH_LIST_INIT;
	size_t i;

	batches_from_plan(&bl, p, c, c->zone_id, c->zone_name, 0.0);
	for (i = 0; i < bl.n; i++) {
		const struct batch *b = &bl.v[i];
		const cJSON *it;

		CHECK(b->zone_id);
		switch (b->kind) {
		case PURGE_EVERYTHING:
			CHECK(may & TREE_MAY_EVERYTHING);
			break;
		case PURGE_FILES:
			CHECK(!strcmp(b->zone_id, SITE_ZONE));
			cJSON_ArrayForEach(it, b->items) {
				const char *u = file_url(it);

				CHECK(u && url_within(u, two));
			}
			break;
		case PURGE_PREFIXES:
			CHECK(!strcmp(b->zone_id, SITE_ZONE));
			cJSON_ArrayForEach(it, b->items)
				CHECK(cJSON_IsString(it) &&
				      within(it->valuestring, two));
			break;
		case PURGE_TAGS:
			CHECK(may & TREE_MAY_TAGS);
			break;
		case PURGE_HOSTS:
			CHECK(may & TREE_MAY_HOSTS);
			break;
		}
	}
	batch_list_clear(&bl);
}

/* Maps the paths of the comment lines ";path P" of buf. */
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
		if (linelen > 6 && !memcmp(start, ";path ", 6)) {
			char *path = xstrndup(start + 6, linelen - 6);

			if (strlen(path) == linelen - 6 && git_path_ok(path))
				map_path(plan, c, path, 0, NULL);
			free(path);
			n++;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long max_items[] = { 0, 2, 30, 300 };
	struct config c;
	struct plan plan = PLAN_INIT;
	struct strbuf server = STRBUF_INIT, may_text = STRBUF_INIT;
	unsigned may = 0, sel;
	int two, rc;
	size_t i;

	if (!size)
		return 0;
	sel = data[0];
	two = (sel & 0x80) != 0;
	for (i = 0; i < 5; i++)
		if (sel & (1u << i)) {
			if (may_text.len)
				strbuf_addstr(&may_text, ", ");
			strbuf_addstr(&may_text, may_words[i]);
			may |= 1u << i;
		}
	strbuf_addf(&server,
		    "[cloudflare]\nzone_id = " SITE_ZONE "\n"
		    "[site]\nbase_url = https://example.com/blog/en%s\n"
		    "[hook]\ntree_config = .cf-purge-hook.ini\n"
		    "tree_may_purge = %s\ntree_max_items = %ld\n"
		    "[zone \"shop.example.net\"]\nzone_id = " OTHER_ZONE "\n",
		    two ? ", https://www.example.com/blog" : "",
		    may_text.len ? may_text.buf : "none",
		    max_items[(sel >> 5) & 3]);

	config_init(&c);
	rc = config_load_buffer(&c, "server.ini", server.buf, server.len);
	CHECK(rc == 0);
	CHECK(c.tree_may_purge == may);
	rc = config_load_tree(&c, "tree.ini", (const char *)data + 1,
			      size - 1);
	CHECK(rc == 0 || rc == -1);
	CHECK((rc == 0) == (c.errors.n == 0));
	if (rc == 0) {
		for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
			map_path(&plan, &c, paths[i], 0, NULL);
		for (i = 0; i < c.n_maps; i++) {
			const char *t = pattern_text(c.maps[i].pattern);

			if (git_path_ok(t))
				map_path(&plan, &c, t, 0, NULL);
		}
		map_comment_paths(&plan, &c, (const char *)data + 1,
				  size - 1);
		check_plan(&plan, may, two);
		/* As the hook finishes a plan with a tree's rules. */
		plan_finish(&plan);
		plan_cap_items(&plan, (size_t)c.tree_max_items, &c.base_urls,
			       c.tree_may_purge & TREE_MAY_EVERYTHING);
		check_plan(&plan, may, two);
		check_batches(&plan, &c, may, two);
	}
	plan_release(&plan);
	config_release(&c);
	strbuf_release(&server);
	strbuf_release(&may_text);
	return 0;
}
