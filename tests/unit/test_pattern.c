/*
 * Unit tests for mapping/pattern.c. Each expected verdict is what
 * "git check-ignore --no-index" says for the same pattern in a top-level
 * .gitignore; tests/pattern_vs_git.sh checks many more against git itself.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "tests.h"
#include "../../mapping/pattern.h"
#include "../../util/util.h"

void test_pattern(void);

/* Compiles text and matches it against path: 1 or 0, or -1 when text does
 * not compile. */
static int m(const char *text, const char *path, int is_dir)
{
	struct pattern *p = NULL;
	struct err e;
	int r;

	if (pattern_compile(&p, text, &e) < 0)
		return -1;
	r = pattern_match(p, path, is_dir);
	pattern_free(p);
	return r;
}

/* The same for a list whose patterns are the lines of lines. */
static int lm(const char *lines, const char *path, int is_dir)
{
	struct pattern_list l = PATTERN_LIST_INIT;
	struct err e;
	char *copy = xstrdup(lines), *s = copy, *nl;
	int r = 0;

	for (;; s = nl + 1) {
		nl = strchr(s, '\n');
		if (nl)
			*nl = '\0';
		if (pattern_list_add(&l, s, &e) < 0) {
			r = -1;
			break;
		}
		if (!nl)
			break;
	}
	if (r == 0)
		r = pattern_list_match(&l, path, is_dir);
	pattern_list_clear(&l);
	free(copy);
	return r;
}

/* Returns the error message for text, or "" when it compiles. */
static const char *compile_error(const char *text)
{
	static struct err e;
	struct pattern *p = NULL;

	memset(&e, 0, sizeof(e));
	if (pattern_compile(&p, text, &e) == 0) {
		pattern_free(p);
		return "";
	}
	CHECK(p == NULL);
	return e.msg;
}

static void compiling(void)
{
	struct pattern *p = NULL;
	struct err e;

	CHECK_STR(compile_error(""), "empty pattern");
	CHECK(strstr(compile_error("#tag"), "comment") != NULL);
	CHECK(strstr(compile_error("!"), "nothing to match") != NULL);
	CHECK(strstr(compile_error("/"), "nothing to match") != NULL);
	CHECK(strstr(compile_error("!/"), "nothing to match") != NULL);
	CHECK(strstr(compile_error("//"), "nothing to match") != NULL);
	CHECK(strstr(compile_error("a\\"), "trailing backslash") != NULL);
	CHECK(strstr(compile_error("[a"), "no closing ']'") != NULL);
	CHECK(strstr(compile_error("a[b"), "no closing ']'") != NULL);
	/* A ']' right after '[' or '[!' is a member, so these are open. */
	CHECK(strstr(compile_error("[]"), "no closing ']'") != NULL);
	CHECK(strstr(compile_error("[!]"), "no closing ']'") != NULL);
	CHECK(strstr(compile_error("[a\\"), "no closing ']'") != NULL);
	CHECK(strstr(compile_error("[a-\\"), "no closing ']'") != NULL);
	CHECK(strstr(compile_error("[[:alpha:]"), "no closing ']'") != NULL);
	CHECK(strstr(compile_error("[[:alhpa:]]"), "'[:alhpa:]'") != NULL);
	CHECK(strstr(compile_error("[[::]]"), "unknown character class")
	      != NULL);

	CHECK_STR(compile_error("\\#tag"), "");
	CHECK_STR(compile_error("a#b"), "");
	CHECK_STR(compile_error("[]]"), "");
	CHECK_STR(compile_error("[!]]"), "");
	CHECK_STR(compile_error("[[:]"), "");
	CHECK_STR(compile_error("a]b"), "");
	CHECK_STR(compile_error("[z-a]"), "");
	CHECK_STR(compile_error("a//b"), "");

	if (CHECK(pattern_compile(&p, "!/doc/*.html", &e) == 0)) {
		CHECK_STR(pattern_text(p), "!/doc/*.html");
		CHECK_INT(pattern_negated(p), 1);
		pattern_free(p);
	}
	if (CHECK(pattern_compile(&p, "\\!bang", &e) == 0)) {
		CHECK_STR(pattern_text(p), "\\!bang");
		CHECK_INT(pattern_negated(p), 0);
		pattern_free(p);
	}
	pattern_free(NULL);
}

static void wildcards(void)
{
	/* '*' and '?' stay within one name. */
	CHECK_INT(m("*.c", "foo.c", 0), 1);
	CHECK_INT(m("*.c", "foo.h", 0), 0);
	CHECK_INT(m("*.c", ".c", 0), 1);
	CHECK_INT(m("a/*c", "a/c", 0), 1);
	CHECK_INT(m("a/*c", "a/b/c", 0), 0);
	CHECK_INT(m("a/*", "a/b", 0), 1);
	CHECK_INT(m("a?c", "abc", 0), 1);
	CHECK_INT(m("a?c", "ac", 0), 0);
	CHECK_INT(m("x/a?c", "x/a/c", 0), 0);
	CHECK_INT(m("?", "ab", 0), 0);

	/* Bracket expressions. */
	CHECK_INT(m("[abc].txt", "b.txt", 0), 1);
	CHECK_INT(m("[abc].txt", "d.txt", 0), 0);
	CHECK_INT(m("[a-c]", "b", 0), 1);
	CHECK_INT(m("[a-c]", "d", 0), 0);
	CHECK_INT(m("[!a-c]", "d", 0), 1);
	CHECK_INT(m("[!a-c]", "b", 0), 0);
	CHECK_INT(m("[^a-c]", "d", 0), 1);
	CHECK_INT(m("[^a-c]", "a", 0), 0);
	CHECK_INT(m("[]]", "]", 0), 1);
	CHECK_INT(m("[]a]", "a", 0), 1);
	CHECK_INT(m("[!]]", "]", 0), 0);
	CHECK_INT(m("[!]]", "x", 0), 1);
	CHECK_INT(m("[a-]", "-", 0), 1);
	CHECK_INT(m("[-a]", "-", 0), 1);
	CHECK_INT(m("[-a]", "b", 0), 0);
	CHECK_INT(m("[\\]]", "]", 0), 1);
	CHECK_INT(m("[a\\-z]", "-", 0), 1);
	CHECK_INT(m("[a\\-z]", "b", 0), 0);
	CHECK_INT(m("[\\a-c]", "b", 0), 1);
	CHECK_INT(m("[a-\\c]", "b", 0), 1);
	CHECK_INT(m("[z-a]", "a", 0), 0);
	CHECK_INT(m("[z-a]", "m", 0), 0);
	/* After a range, '-' is a member again. */
	CHECK_INT(m("[a-c-e]", "-", 0), 1);
	CHECK_INT(m("[a-c-e]", "d", 0), 0);
	CHECK_INT(m("[a-c-e]", "e", 0), 1);
	/* No bracket expression matches '/', negated or not. */
	CHECK_INT(m("a[/]b", "a/b", 0), 0);
	CHECK_INT(m("a[!x]b", "a/b", 0), 0);

	/* POSIX classes, ASCII only. */
	CHECK_INT(m("[[:digit:]]", "5", 0), 1);
	CHECK_INT(m("[[:digit:]]", "a", 0), 0);
	CHECK_INT(m("[![:alpha:]]", "1", 0), 1);
	CHECK_INT(m("[![:alpha:]]", "Q", 0), 0);
	CHECK_INT(m("[[:upper:][:digit:]]x", "Ux", 0), 1);
	CHECK_INT(m("[[:upper:][:digit:]]x", "7x", 0), 1);
	CHECK_INT(m("[[:upper:][:digit:]]x", "ux", 0), 0);
	CHECK_INT(m("[[:xdigit:]]", "F", 0), 1);
	CHECK_INT(m("[[:xdigit:]]", "g", 0), 0);
	CHECK_INT(m("[[:punct:]]", "%", 0), 1);
	CHECK_INT(m("[[:punct:]]", "a", 0), 0);
	CHECK_INT(m("a[[:blank:]]b", "a\tb", 0), 1);
	CHECK_INT(m("a[[:space:]]b", "a b", 0), 1);
	/* git's isspace() leaves out vertical tab and form feed. */
	CHECK_INT(m("a[[:space:]]b", "a\vb", 0), 0);
	CHECK_INT(m("a[[:cntrl:]]b", "a\vb", 0), 1);
	CHECK_INT(m("[[:alpha:]]", "\xc3\xa9", 0), 0);
	/* "[:" without ":]" is a '[' and a ':'. */
	CHECK_INT(m("[[:]", "[", 0), 1);
	CHECK_INT(m("[[:]", ":", 0), 1);
	/* A '-' right after a class is a member. */
	CHECK_INT(m("[[:digit:]-z]", "-", 0), 1);
	CHECK_INT(m("[[:digit:]-z]", "m", 0), 0);

	/* Backslash escapes. */
	CHECK_INT(m("\\*", "*", 0), 1);
	CHECK_INT(m("\\*", "a", 0), 0);
	CHECK_INT(m("\\?", "?", 0), 1);
	CHECK_INT(m("\\?", "a", 0), 0);
	CHECK_INT(m("\\[a]", "[a]", 0), 1);
	CHECK_INT(m("\\[a]", "a", 0), 0);
	CHECK_INT(m("\\a\\b", "ab", 0), 1);
	CHECK_INT(m("\\\\", "\\", 0), 1);
}

static void anchoring(void)
{
	/* No slash: the name at any depth, and everything below it. */
	CHECK_INT(m("foo", "foo", 0), 1);
	CHECK_INT(m("foo", "a/foo", 0), 1);
	CHECK_INT(m("foo", "a/b/foo", 1), 1);
	CHECK_INT(m("foo", "foo/x", 0), 1);
	CHECK_INT(m("foo", "a/foo/x/y", 0), 1);
	CHECK_INT(m("foo", "foobar", 0), 0);
	CHECK_INT(m("foo", "xfoo", 0), 0);
	CHECK_INT(m("foo", "a/foo.c", 0), 0);

	/* A leading or middle slash anchors to the top. */
	CHECK_INT(m("/foo", "foo", 0), 1);
	CHECK_INT(m("/foo", "foo/x", 0), 1);
	CHECK_INT(m("/foo", "a/foo", 0), 0);
	CHECK_INT(m("a/b", "a/b", 0), 1);
	CHECK_INT(m("a/b", "a/b/c", 0), 1);
	CHECK_INT(m("a/b", "x/a/b", 0), 0);
	CHECK_INT(m("/*.c", "x.c", 0), 1);
	CHECK_INT(m("/*.c", "a/x.c", 0), 0);

	/* A trailing slash: directories only, or what is below one. */
	CHECK_INT(m("foo/", "foo", 1), 1);
	CHECK_INT(m("foo/", "foo", 0), 0);
	CHECK_INT(m("foo/", "a/foo", 1), 1);
	CHECK_INT(m("foo/", "a/foo", 0), 0);
	CHECK_INT(m("foo/", "foo/x", 0), 1);
	CHECK_INT(m("foo/", "a/foo/x", 0), 1);
	CHECK_INT(m("doc/frotz/", "doc/frotz", 1), 1);
	CHECK_INT(m("doc/frotz/", "doc/frotz/x.html", 0), 1);
	CHECK_INT(m("doc/frotz/", "a/doc/frotz", 1), 0);
	CHECK_INT(m("doc/frotz/", "doc/frotz", 0), 0);
	/* "foo//": one slash taken off, and the other anchors. */
	CHECK_INT(m("foo//", "foo", 1), 0);

	/* The path's own leading and trailing slashes. */
	CHECK_INT(m("foo/", "foo/", 0), 1);
	CHECK_INT(m("/foo", "/foo", 0), 1);
	CHECK_INT(m("*", "", 0), 0);
	CHECK_INT(m("*", "/", 0), 0);
}

static void globstars(void)
{
	/* Leading "**" + "/": in every directory. */
	CHECK_INT(m("**/foo", "foo", 0), 1);
	CHECK_INT(m("**/foo", "a/foo", 0), 1);
	CHECK_INT(m("**/foo", "a/b/foo", 0), 1);
	CHECK_INT(m("**/foo", "a/foo/x", 0), 1);
	CHECK_INT(m("**/foo", "afoo", 0), 0);
	CHECK_INT(m("**/foo", "foo2", 0), 0);
	CHECK_INT(m("**/a/b", "x/y/a/b", 0), 1);
	CHECK_INT(m("**/a/b", "a/x/b", 0), 0);
	CHECK_INT(m("**/b/", "x/b", 1), 1);
	CHECK_INT(m("**/b/", "x/b", 0), 0);

	/* Trailing "/" + "**": everything inside, not the directory. */
	CHECK_INT(m("abc/**", "abc", 1), 0);
	CHECK_INT(m("abc/**", "abc/x", 0), 1);
	CHECK_INT(m("abc/**", "abc/x/y", 0), 1);
	CHECK_INT(m("abc/**", "x/abc/y", 0), 0);
	CHECK_INT(m("a/**/", "a/x", 1), 1);
	CHECK_INT(m("a/**/", "a/x", 0), 0);
	CHECK_INT(m("a/**/", "a/x/y", 0), 1);

	/* "/" + "**" + "/": zero or more directories. */
	CHECK_INT(m("a/**/b", "a/b", 0), 1);
	CHECK_INT(m("a/**/b", "a/x/b", 0), 1);
	CHECK_INT(m("a/**/b", "a/x/y/b", 0), 1);
	CHECK_INT(m("a/**/b", "a/xb", 0), 0);
	CHECK_INT(m("a/**/b", "ab", 0), 0);
	CHECK_INT(m("a/**/b", "x/a/b", 0), 0);
	CHECK_INT(m("a/**/b/**/c", "a/b/c", 0), 1);
	CHECK_INT(m("a/**/b/**/c", "a/x/b/y/z/c", 0), 1);
	CHECK_INT(m("a/***/b", "a/x/y/b", 0), 1);

	/* Everything. */
	CHECK_INT(m("**", "x", 0), 1);
	CHECK_INT(m("**", "a/b/.c", 0), 1);
	CHECK_INT(m("/**", "a/b", 0), 1);

	/* Any other run of stars is one '*'. */
	CHECK_INT(m("a**b", "axxb", 0), 1);
	CHECK_INT(m("a**b", "a/b", 0), 0);
	CHECK_INT(m("x/a**b", "x/a/b", 0), 0);
	CHECK_INT(m("**foo", "a/xfoo", 0), 1);
	CHECK_INT(m("a/**b", "a/xb", 0), 1);
	CHECK_INT(m("a/**b", "a/x/b", 0), 0);
	CHECK_INT(m("foo***", "foo.c", 0), 1);

	/*
	 * git's quirk: stars right after the pattern's literal prefix act as
	 * if they began a name (see compile_stars() in pattern.c).
	 */
	CHECK_INT(m("a**/b", "ab", 0), 1);
	CHECK_INT(m("a**/b", "a/b", 0), 1);
	CHECK_INT(m("a**/b", "ax/y/b", 0), 1);
	CHECK_INT(m("a**/b", "x/ab", 0), 0);
	CHECK_INT(lm("a/bc/d\n!a/b**", "a/bc/d", 0), 0);
	CHECK_INT(lm("a/bc/d\n!a/b*", "a/bc/d", 0), 1);

	/* Before an escaped slash git tries no empty match. */
	CHECK_INT(m("a/**\\/b", "a/x/b", 0), 1);
	CHECK_INT(m("a/**\\/b", "a/b", 0), 0);
}

static void names(void)
{
	/* Dotfiles are not special. */
	CHECK_INT(m("*", ".env", 0), 1);
	CHECK_INT(m("?env", ".env", 0), 1);
	CHECK_INT(m(".*", "a/.hidden/x", 0), 1);
	CHECK_INT(m(".*", "a/b", 0), 0);
	CHECK_INT(m("*.env", ".env", 0), 1);

	/* Bytes, not characters: U+00E9 is two bytes. */
	CHECK_INT(m("\xc3\xa9", "x/\xc3\xa9", 0), 1);
	CHECK_INT(m("*\xc3\xa9*", "caf\xc3\xa9.txt", 0), 1);
	CHECK_INT(m("caf?.txt", "caf\xc3\xa9.txt", 0), 0);
	CHECK_INT(m("caf??.txt", "caf\xc3\xa9.txt", 0), 1);
	CHECK_INT(m("[\xc3\xa9]", "\xc3\xa9", 0), 0);
	CHECK_INT(m("[\xc3\xa9][\xc3\xa9]", "\xc3\xa9", 0), 1);
	CHECK_INT(m("\xff*", "\xff\xfe", 0), 1);
	CHECK_INT(m("[\x80-\xff]", "\xfe", 0), 1);
	CHECK_INT(m("[\x80-\xff]", "~", 0), 0);

	/* Spaces. */
	CHECK_INT(m("x y", "a/x y", 0), 1);
	CHECK_INT(m("x\\ y", "x y", 0), 1);
	CHECK_INT(m("x?y", "x y", 0), 1);
	CHECK_INT(m("*.txt\\ ", "a.txt ", 0), 1);
	CHECK_INT(m("*.txt\\ ", "a.txt", 0), 0);

	/* '#', '!', '%' and '?' as characters of names. */
	CHECK_INT(m("\\#tag", "#tag", 0), 1);
	CHECK_INT(m("a#b", "x/a#b", 0), 1);
	CHECK_INT(m("*#", "a#", 0), 1);
	CHECK_INT(m("\\!bang", "!bang", 0), 1);
	CHECK_INT(m("\\!bang", "bang", 0), 0);
	CHECK_INT(m("!bang", "bang", 0), 1);
	CHECK_INT(m("a!", "a!", 0), 1);
	CHECK_INT(m("%25.html", "%25.html", 0), 1);
	CHECK_INT(m("%25.html", "%.html", 0), 0);
	CHECK_INT(m("*%*", "100%", 0), 1);
	CHECK_INT(m("q\\?", "q?", 0), 1);
	CHECK_INT(m("q\\?", "qx", 0), 0);
	CHECK_INT(m("q?", "q?", 0), 1);

	/* Empty names in the path or the pattern are kept as they are. */
	CHECK_INT(m("b", "a//b", 0), 1);
	CHECK_INT(m("a/b", "a//b", 0), 0);
	CHECK_INT(m("a//b", "a//b", 0), 1);
	CHECK_INT(m("a//b", "a/b", 0), 0);
}

static void lists(void)
{
	struct pattern_list l = PATTERN_LIST_INIT;
	struct err e;

	CHECK_INT(pattern_list_match(&l, "a", 0), 0);

	/* The last match decides. */
	CHECK_INT(lm("*.txt\n!foo.txt", "a.txt", 0), 1);
	CHECK_INT(lm("*.txt\n!foo.txt", "foo.txt", 0), 0);
	CHECK_INT(lm("*.txt\n!foo.txt", "x/foo.txt", 0), 0);
	CHECK_INT(lm("!foo.txt\n*.txt", "foo.txt", 0), 1);
	CHECK_INT(lm("foo\n!foo\nfoo", "foo", 0), 1);
	CHECK_INT(lm("!a", "a", 0), 0);
	CHECK_INT(lm("!a", "b", 0), 0);

	/* Nothing below an excluded directory comes back. */
	CHECK_INT(lm("a/\n!a/b", "a/b", 0), 1);
	CHECK_INT(lm("a/\n!a/b", "a/b", 1), 1);
	CHECK_INT(lm("a/\n!a/b/c", "a/b/c", 0), 1);
	CHECK_INT(lm("a/\n!a/", "a/b", 0), 0);
	CHECK_INT(lm("build\n!build/keep.c", "build/keep.c", 0), 1);
	CHECK_INT(lm("a/b/\n!a/b/c", "a/b/c", 0), 1);
	/* Only the directory, not its contents, is re-included here. */
	CHECK_INT(lm("a/*\n!a/b", "a/b", 1), 0);
	CHECK_INT(lm("a/*\n!a/b", "a/b/c", 0), 0);
	CHECK_INT(lm("a/*\n!a/b", "a/c", 0), 1);
	CHECK_INT(lm("a/*\n!a/b", "a/c/d", 0), 1);

	/* The usual idioms. */
	CHECK_INT(lm("*\n!*/\n!*.txt", "x.txt", 0), 0);
	CHECK_INT(lm("*\n!*/\n!*.txt", "d/e/x.txt", 0), 0);
	CHECK_INT(lm("*\n!*/\n!*.txt", "d/x.c", 0), 1);
	CHECK_INT(lm("*\n!*/\n!*.txt", "d", 1), 0);
	CHECK_INT(lm("/*\n!/docs", "docs/x", 0), 0);
	CHECK_INT(lm("/*\n!/docs", "src/x", 0), 1);
	CHECK_INT(lm("/*\n!/docs", "docs", 1), 0);
	CHECK_INT(lm(".*\n!.env", "a/.env", 0), 0);
	CHECK_INT(lm(".*\n!.env", "a/.git", 1), 1);

	/* A failed add leaves the list alone; a cleared list is reusable. */
	CHECK_INT(pattern_list_add(&l, "*.o", &e), 0);
	CHECK_INT(pattern_list_add(&l, "[oops", &e), -1);
	CHECK_INT(l.n, 1);
	CHECK_INT(pattern_list_match(&l, "x/y.o", 0), 1);
	CHECK_INT(pattern_list_match(&l, "x/y.c", 0), 0);
	pattern_list_clear(&l);
	CHECK(l.v == NULL && l.n == 0);
	CHECK_INT(pattern_list_match(&l, "x/y.o", 0), 0);
	CHECK_INT(pattern_list_add(&l, "y.c", &e), 0);
	CHECK_INT(pattern_list_match(&l, "x/y.c", 0), 1);
	pattern_list_clear(&l);
}

/*
 * Patterns that make a backtracking matcher take exponential time. With
 * each of these a naive matcher would not finish; ours takes a fraction
 * of a millisecond, so a whole second (sanitizers included) means the
 * algorithm is wrong.
 */
static void bounded(void)
{
	struct pattern_list l = PATTERN_LIST_INIT;
	struct err e;
	size_t n = 4000, i;
	char *text = malloc(2 * n + 2), *path = malloc(2 * n + 2);
	clock_t start = clock();

	if (!CHECK(text && path))
		goto out;

	memset(path, 'a', n);
	path[n] = '\0';
	CHECK_INT(m("*a*a*a*a*a*a*a*a*a*a*a*a*b", path, 0), 0);
	CHECK_INT(m("a*a*a*a*a*a*a*a*a*a*a*a*b", path, 0), 0);
	path[n - 1] = 'b';
	CHECK_INT(m("*a*a*a*a*a*a*a*a*a*a*a*a*b", path, 0), 1);

	/* A path of n / 2 directories "a/a/.../a". */
	for (i = 0; i < n; i += 2) {
		path[i] = 'a';
		path[i + 1] = '/';
	}
	path[n - 1] = '\0';
	CHECK_INT(m("**/a/**/a/**/a/**/a/**/a/**/b", path, 0), 0);
	CHECK_INT(m("**/a/**/a/**/a/**/a/**/a/**/a", path, 0), 1);
	CHECK_INT(m("*a*a*a*a*a*a*a*b", path, 0), 0);
	CHECK_INT(pattern_list_add(&l, "**/a/**/a/**/a/**/a/**/b", &e), 0);
	CHECK_INT(pattern_list_add(&l, "!a", &e), 0);
	CHECK_INT(pattern_list_add(&l, "*a*a*a*a*a*a*a*b", &e), 0);
	CHECK_INT(pattern_list_match(&l, path, 0), 0);
	CHECK_INT(pattern_list_add(&l, "a/a/a/a/", &e), 0);
	CHECK_INT(pattern_list_match(&l, path, 0), 1);

	/* Patterns too long for the matcher's stack buffer. */
	memset(text, 'x', n);
	text[n] = '\0';
	memset(path, 'x', n);
	path[n] = '\0';
	CHECK_INT(m(text, path, 0), 1);
	path[n - 1] = '\0';
	CHECK_INT(m(text, path, 0), 0);
	/* 200 stars, each needing one more 'x' of the (n - 1)-byte path. */
	for (i = 0; i < 400; i += 2) {
		text[i] = '*';
		text[i + 1] = 'x';
	}
	text[400] = '\0';
	CHECK_INT(m(text, path, 0), 1);
	CHECK_INT(m(text, path + n - 1 - 200, 0), 1);
	CHECK_INT(m(text, path + n - 1 - 199, 0), 0);

	CHECK((double)(clock() - start) / CLOCKS_PER_SEC < 1.0);
out:
	pattern_list_clear(&l);
	free(text);
	free(path);
}

/*
 * The shapes pattern_match() decides without the automaton ("*.css",
 * literal names and paths, "dir/" + "**", "**" + "/name"), at the edges
 * where a shortcut could go wrong: names inside folders, folder-only
 * patterns, and partial names. Each verdict is also checked against the
 * plain automaton.
 */
static void shapes(void)
{
	static const struct {
		const char *text, *path;
		int is_dir, want;
	} cases[] = {
		{ "*.css", "a/b.css", 0, 1 },
		{ "*.css", ".css", 0, 1 },
		{ "*.css", "a.css/x", 0, 1 },
		{ "*.css", "a/b.cssx", 0, 0 },
		{ "*.css", "css", 0, 0 },
		{ "*.css/", "a.css", 0, 0 },
		{ "*.css/", "a.css", 1, 1 },
		{ "*.css/", "a.css/x", 0, 1 },
		{ "index.html", "index.html", 0, 1 },
		{ "index.html", "a/b/index.html", 0, 1 },
		{ "index.html", "a/xindex.html", 0, 0 },
		{ "index.html", "index.html/y", 0, 1 },
		{ "index.html", "index.htmlx", 0, 0 },
		{ "d/", "a/d", 0, 0 },
		{ "d/", "a/d", 1, 1 },
		{ "d/", "a/d/x", 0, 1 },
		{ "/a/b", "a/b", 0, 1 },
		{ "/a/b", "a/b/c", 0, 1 },
		{ "a/b", "a/bc", 0, 0 },
		{ "a/b", "x/a/b", 0, 0 },
		{ "a/b/", "a/b", 0, 0 },
		{ "a/b/", "a/b", 1, 1 },
		{ "a/b/", "a/b/c", 0, 1 },
		{ "public/**", "public/x", 0, 1 },
		{ "public/**", "public/x/y/z", 0, 1 },
		{ "public/**", "public", 1, 0 },
		{ "public/**", "publicx/y", 0, 0 },
		{ "public/**/", "public/x", 0, 0 },
		{ "public/**/", "public/x", 1, 1 },
		{ "public/**/", "public/x/y", 0, 1 },
		{ "**/img/i.png", "img/i.png", 0, 1 },
		{ "**/img/i.png", "a/b/img/i.png", 0, 1 },
		{ "**/img/i.png", "a/ximg/i.png", 0, 0 },
		{ "**/img/i.png", "img/i.png/z", 0, 1 },
		{ "**/img/i.png", "img/i.pngx", 0, 0 },
		{ "**/d/", "d", 0, 0 },
		{ "**/d/", "d", 1, 1 },
		{ "**/d/", "a/d/x", 0, 1 },
		{ "**/d/", "a/d", 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pattern *p = NULL;
		struct err e;

		if (!CHECK(pattern_compile(&p, cases[i].text, &e) == 0))
			continue;
		if (!CHECK_INT(pattern_match(p, cases[i].path,
					     cases[i].is_dir), cases[i].want))
			check_streq(cases[i].path, cases[i].text, "path, text",
				    __FILE__, __LINE__);
		CHECK_INT(pattern_match_automaton(p, cases[i].path,
						  cases[i].is_dir),
			  cases[i].want);
		pattern_free(p);
	}
}

/*
 * A pattern set says what each of its patterns says alone, in file
 * order: patterns sharing a needle, patterns without one, anchored ones
 * whose text also appears later in a path, and '!' patterns (which the
 * set reports like pattern_match(), leaving '!' to the caller).
 */
static void sets(void)
{
	static const char *const texts[] = {
		"*.css", "*", "/public/a/**", "public/", "c.css", "!b.css",
		"**/a/c.css", "p?.html", "a/", "*.css", "x/public/a/q",
		"[ab].css"
	};
	static const char *const paths[] = {
		"public/a/c.css", "x/public/a/q", "public/b.css", "c.css",
		"a", "a/", "public/p1.html", "//public/a/", "q", "",
		"public/a", "b.css"
	};
	enum { NT = sizeof(texts) / sizeof(texts[0]) };
	struct pattern *v[NT];
	struct pattern_set *set;
	size_t hits[NT], nhits, i, j, k;
	struct err e;

	for (i = 0; i < NT; i++)
		if (!CHECK(pattern_compile(&v[i], texts[i], &e) == 0))
			return;
	set = pattern_set_new((const struct pattern *const *)v, NT);
	CHECK_INT(pattern_set_size(set), NT);
	for (j = 0; j < sizeof(paths) / sizeof(paths[0]); j++) {
		int is_dir;

		for (is_dir = 0; is_dir < 2; is_dir++) {
			nhits = pattern_set_match(set, paths[j], is_dir, hits);
			for (i = 0, k = 0; i < NT; i++) {
				int in = k < nhits && hits[k] == i;

				if (!CHECK_INT(in, pattern_match(v[i], paths[j],
								 is_dir)))
					check_streq(paths[j], texts[i],
						    "path, pattern", __FILE__,
						    __LINE__);
				k += in;
			}
			CHECK_INT(k, nhits);
		}
	}
	/* Exact hits for one path: "*.css" twice, "*", the anchored
	 * folder, "public/", "c.css", "**" + "/a/c.css" and "a/" (its
	 * folder a); not "[ab].css". */
	nhits = pattern_set_match(set, "public/a/c.css", 0, hits);
	if (CHECK_INT(nhits, 8)) {
		CHECK_INT(hits[0], 0);
		CHECK_INT(hits[1], 1);
		CHECK_INT(hits[2], 2);
		CHECK_INT(hits[3], 3);
		CHECK_INT(hits[4], 4);
		CHECK_INT(hits[5], 6);
		CHECK_INT(hits[6], 8);
		CHECK_INT(hits[7], 9);
	}
	/* An anchored needle counts only at the start of the path. */
	nhits = pattern_set_match(set, "x/public/a/q", 0, hits);
	for (i = 0; i < nhits; i++)
		CHECK(hits[i] != 2);
	pattern_set_free(set);

	/* An empty set matches nothing. */
	set = pattern_set_new(NULL, 0);
	CHECK_INT(pattern_set_match(set, "a", 0, hits), 0);
	pattern_set_free(set);
	for (i = 0; i < NT; i++)
		pattern_free(v[i]);
}

void test_pattern(void)
{
	compiling();
	wildcards();
	anchoring();
	globstars();
	names();
	lists();
	bounded();
	shapes();
	sets();
}
