#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tests.h"
#include "../../mapping/links.h"
#include "../../util/util.h"

/* links_resolve(path, text, root) is want (NULL: not followed). */
static void check_resolve(const char *path, const char *text,
			  const char *root, const char *want)
{
	char *got = links_resolve(path, text, root);

	if (want)
		CHECK_STR(got ? got : "(null)", want);
	else
		CHECK_STR(got ? got : "(null)", "(null)");
	free(got);
}

static const char *path_at(const struct change_list *l, size_t i)
{
	return i < l->n ? l->v[i].path : "(none)";
}

void test_links(void)
{
	struct link_list links = LINK_LIST_INIT;
	struct change_list ch = CHANGE_LIST_INIT;

	check_resolve("public/latest.html", "v3.html", "public",
		      "public/v3.html");
	check_resolve("public/a/b.html", "../c.html", "public",
		      "public/c.html");
	check_resolve("public/a/b", ".//./x//y/", "public", "public/a/x/y");
	check_resolve("public/up", "..", "public", NULL);
	check_resolve("public/up", "../src", "public", NULL);
	check_resolve("public/here", ".", "public", "public");
	check_resolve("public/abs", "/etc/passwd", "public", NULL);
	check_resolve("top", "../../x", "", NULL);
	check_resolve("a/top", "..", "", "");
	check_resolve("public/x", "", "public", NULL);
	check_resolve("publicity/x", "y", "public", NULL);

	link_list_add(&links, "public/latest.html",
		      xstrdup("public/v3.html"), 0);
	link_list_add(&links, "public/current", xstrdup("public/v3"), 1);
	link_list_add(&links, "public/chain.html",
		      xstrdup("public/latest.html"), 0);
	change_list_add(&ch, CHANGE_ADDED, "public/v3.html", NULL, 0,
			CHANGE_MODE_FILE, 0);
	change_list_add(&ch, CHANGE_DELETED, "public/v3/a.html", NULL,
			CHANGE_MODE_FILE, 0, 0);
	change_list_add(&ch, CHANGE_ADDED, "public/v3x/a.html", NULL, 0,
			CHANGE_MODE_FILE, 0);
	change_list_add(&ch, CHANGE_ADDED, "public/current", NULL, 0,
			CHANGE_MODE_LINK, 0);
	CHECK(links_expand(&ch, &links) == 4);
	CHECK_STR(path_at(&ch, 4), "public/latest.html");
	CHECK_STR(path_at(&ch, 5), "public/current/a.html");
	CHECK(ch.n > 5 && ch.v[5].status == CHANGE_DELETED &&
	      ch.v[5].old_mode == CHANGE_MODE_FILE);
	CHECK_STR(path_at(&ch, 6), "public/current");
	CHECK(ch.n > 6 && ch.v[6].new_mode == CHANGE_MODE_GITLINK);
	CHECK_STR(path_at(&ch, 7), "public/chain.html");
	change_list_clear(&ch);
	link_list_clear(&links);

	/* A link to its own folder: followed LINKS_MAX_HOPS times. */
	link_list_add(&links, "public/loop", xstrdup("public"), 1);
	change_list_add(&ch, CHANGE_ADDED, "public/a.html", NULL, 0,
			CHANGE_MODE_FILE, 0);
	CHECK(links_expand(&ch, &links) == LINKS_MAX_HOPS);
	CHECK_STR(path_at(&ch, 2), "public/loop/loop/a.html");
	change_list_clear(&ch);
	link_list_clear(&links);
}
