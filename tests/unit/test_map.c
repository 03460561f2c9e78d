#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tests.h"
#include "../../mapping/map.h"

/* Maps paths (each a file unless it ends in '@', a submodule) and returns
 * the finished plan's items joined with spaces, kind first. */
static char *items(const char *ini, const char *const *paths)
{
	struct config c;
	struct plan p = PLAN_INIT;
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	config_init(&c);
	if (!CHECK(config_load_buffer(&c, "m.ini", ini, strlen(ini)) == 0)) {
		for (i = 0; i < c.errors.n; i++)
			fprintf(stderr, "  %s\n", c.errors.v[i]);
		config_release(&c);
		return xstrdup("(config error)");
	}
	for (; *paths; paths++) {
		size_t n = strlen(*paths);
		int gitlink = n && (*paths)[n - 1] == '@';
		char *path = xstrndup(*paths, gitlink ? n - 1 : n);

		map_path(&p, &c, path, gitlink, NULL);
		free(path);
	}
	plan_finish(&p);
	if (p.everything)
		strbuf_addstr(&sb, "everything ");
	for (i = 0; i < p.files.n; i++)
		strbuf_addf(&sb, "F:%s ", p.files.v[i]);
	for (i = 0; i < p.prefixes.n; i++)
		strbuf_addf(&sb, "P:%s ", p.prefixes.v[i]);
	for (i = 0; i < p.tags.n; i++)
		strbuf_addf(&sb, "T:%s ", p.tags.v[i]);
	for (i = 0; i < p.hosts.n; i++)
		strbuf_addf(&sb, "H:%s ", p.hosts.v[i]);
	if (sb.len)
		strbuf_setlen(&sb, sb.len - 1);
	plan_release(&p);
	config_release(&c);
	return strbuf_detach(&sb);
}

#define HEAD \
	"[cloudflare]\nzone_id = 023e105f4ecef8ad9ca31a8372d0c353\n" \
	"[site]\nbase_url = https://example.com\nroot = public\n"

static void check_map(const char *ini, const char *const *paths,
		      const char *want)
{
	char *got = items(ini, paths);

	CHECK_STR(got, want);
	free(got);
}

void test_map(void)
{
	{
		const char *p[] = { "public/hash#tag.html", "public/a&b.html", NULL };
		check_map(HEAD, p, "F:https://example.com/a&b.html "
			  "F:https://example.com/hash%23tag.html");
	}
	{
		const char *p[] = { "public/index.html", "public/blog/post-1/index.html", NULL };
		check_map(HEAD, p, "F:https://example.com/ "
			  "F:https://example.com/blog/post-1/ "
			  "F:https://example.com/blog/post-1/index.html "
			  "F:https://example.com/index.html");
	}
	{
		/* Outside root, not mapped: nothing. "publicity" is not under "public". */
		const char *p[] = { "src/app.c", "publicity/x.html", "public", NULL };
		check_map(HEAD, p, "");
	}
	{
		const char *p[] = { "public/vendor/lib@", "public/vendor/lib/x.js", NULL };
		check_map(HEAD, p, "P:example.com/vendor/lib/");
	}
	{
		const char *p[] = { "public@", NULL };
		check_map(HEAD, p, "P:example.com/");
	}
	{
		const char *p[] = { "layouts/base.html", "public/README.md",
				    "public/.github/x", "public/a.html", NULL };
		check_map(HEAD "[map \"layouts/**\"]\ntags = html\n"
			  "[map \"*.html\"]\ntags = page\nhosts = www.example.com\n"
			  "[ignore]\npaths = README.md, .github/\n", p,
			  "F:https://example.com/a.html T:html T:page "
			  "H:www.example.com");
	}
	{
		const char *p[] = { "public/a b/\xc3\xbc.html", "index.html", NULL };
		check_map("[cloudflare]\nzone_id = 023e105f4ecef8ad9ca31a8372d0c353\n"
			  "[site]\nbase_url = https://example.com/docs/\nindex =\n",
			  p, "F:https://example.com/docs/index.html "
			  "F:https://example.com/docs/public/a%20b/%C3%BC.html");
	}
	{
		const char *p[] = { "config/site.toml", "public/a.html", NULL };
		check_map(HEAD "[map \"config/**\"]\neverything = true\n", p,
			  "everything");
	}
}
