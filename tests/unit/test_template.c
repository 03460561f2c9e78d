#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tests.h"
#include "../../mapping/template.h"

static void check_expand(const char *text, const char *base, const char *path,
			 const char *want)
{
	struct template *t;
	struct strbuf sb = STRBUF_INIT;
	struct err e;

	if (!CHECK(template_compile(&t, text, &e) == 0))
		return;
	template_expand(&sb, t, base, path);
	CHECK_STR(strbuf_str(&sb), want);
	strbuf_release(&sb);
	template_free(t);
}

static void check_bad(const char *text, const char *want)
{
	struct template *t = NULL;
	struct err e;

	e.msg[0] = '\0';
	if (CHECK(template_compile(&t, text, &e) < 0))
		CHECK(strstr(e.msg, want) != NULL);
	else
		template_free(t);
}

void test_template(void)
{
	const char *b = "https://example.com";
	struct template *t;
	struct err e;

	check_expand("{base}/{path}", b, "posts/a b.md",
		     "https://example.com/posts/a%20b.md");
	check_expand("{base}/{dir}/{stem}/", b, "posts/hello.md",
		     "https://example.com/posts/hello/");
	/* An empty {dir} leaves no double slash behind. */
	check_expand("{base}/{dir}/{stem}/", b, "hello.md",
		     "https://example.com/hello/");
	check_expand("{base}/{dir}/", b, "top.md", "https://example.com/");
	check_expand("{name}|{stem}|{ext}", b, "a/b/c.tar.gz",
		     "c.tar.gz|c.tar|gz");
	check_expand("{stem}.{ext}", b, "a/.hidden", ".hidden.");
	check_expand("{base}/{name}", b, "x/#1?.html",
		     "https://example.com/%231%3F.html");
	check_expand("{base}/{path}", b, "caf\xc3\xa9", "https://example.com/caf%C3%A9");
	check_expand("cdn.example.com//{dir}//x", b, "a/b", "cdn.example.com/a/x");
	check_expand("no variables", b, "p", "no variables");
	/* Nothing appended into an empty buffer (found by fuzz_config). */
	check_expand("{ext}", b, "Makefile", "");
	if (CHECK(template_compile(&t, "{base}/x", &e) == 0)) {
		CHECK(template_uses_base(t));
		CHECK_STR(template_text(t), "{base}/x");
		template_free(t);
	}
	if (CHECK(template_compile(&t, "https://x/{path}", &e) == 0)) {
		CHECK(!template_uses_base(t));
		template_free(t);
	}
	check_bad("{base}/{paht}", "unknown variable '{paht}'");
	check_bad("{base}/{path", "'{' without its '}'");
	check_bad("{}", "unknown variable '{}'");
}
