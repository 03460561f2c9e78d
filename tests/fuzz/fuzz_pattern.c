/*
 * libFuzzer target for mapping/pattern.c: the gitignore-style compiler and
 * its automaton matcher.
 *
 * Input: PATTERNS SEP PATH. SEP is the first NUL byte, or, when there is
 * none, the first LF. PATH ends at the next NUL. The first line of
 * PATTERNS is compiled alone and matched against PATH; every line of
 * PATTERNS (several when SEP is a NUL) goes into one pattern_list.
 *
 * Besides the sanitizers, the target checks properties that hold for any
 * pattern: is_dir only widens a match; leading slashes of a path do not
 * matter; a list of one pattern agrees with that pattern; a literal
 * pattern matches its own text and what lies below it. It also compares
 * the matcher's shortcuts with the plain automaton: pattern_match() (which
 * takes shortcuts for simple shapes and a one-word state set for short
 * patterns) with pattern_match_automaton() for every pattern, on the path
 * and on each of its leading folders, and a pattern_set of every line
 * with each line's own pattern_match(). Matching must stay
 * linear (pattern.h promises path length times pattern length, without
 * recursion): run.sh gives libFuzzer a short -timeout, and each input
 * must finish within MAX_SECONDS even without it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../mapping/pattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

/*
 * Far above what a linear matcher needs for libFuzzer's inputs of a few
 * KiB (milliseconds), far below a backtracking blow-up.
 */
#define MAX_SECONDS 2.0

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 1 when text is a plain name or path that matches only itself. */
static int is_literal(const char *text)
{
	size_t len = strlen(text);

	return len && strcspn(text, "*?[\\") == len && text[0] != '!' &&
	       text[0] != '#' && text[0] != '/' && text[len - 1] != '/';
}

static void check_literal(const struct pattern *p, const char *text)
{
	char *below;

	CHECK(pattern_match(p, text, 0) == 1);
	CHECK(pattern_match(p, text, 1) == 1);
	/* Everything below a matched directory matches too. */
	below = xasprintf("%s/child", text);
	CHECK(pattern_match(p, below, 0) == 1);
	free(below);
	/* A pattern without a slash matches the name in any folder. */
	if (!strchr(text, '/')) {
		below = xasprintf("dir/%s", text);
		CHECK(pattern_match(p, below, 0) == 1);
		free(below);
	}
}

/*
 * pattern_match() agrees with the plain automaton on path and on each of
 * its leading folders (as files and as folders both).
 */
static void check_same(const struct pattern *p, const char *path)
{
	char *prefix = xstrdup(path);
	size_t i = strlen(prefix) + 1;

	while (i-- > 0) {
		if (prefix[i] != '/' && prefix[i] != '\0')
			continue;
		prefix[i] = '\0';
		CHECK(pattern_match(p, prefix, 0) ==
		      pattern_match_automaton(p, prefix, 0));
		CHECK(pattern_match(p, prefix, 1) ==
		      pattern_match_automaton(p, prefix, 1));
	}
	free(prefix);
}

static void check_one(const char *text, const char *path)
{
	struct pattern *p = NULL;
	struct pattern_list one = PATTERN_LIST_INIT;
	struct err e;
	int m0, m1, rc;
	char *slashed;

	memset(&e, 0, sizeof(e));
	rc = pattern_compile(&p, text, &e);
	if (rc < 0) {
		CHECK(rc == -1 && p == NULL && e.msg[0] != '\0');
		/* The list refuses what pattern_compile refuses. */
		CHECK(pattern_list_add(&one, text, &e) == -1 && one.n == 0);
		return;
	}
	CHECK(rc == 0 && p != NULL);
	CHECK(strcmp(pattern_text(p), text) == 0);
	CHECK(pattern_negated(p) == (text[0] == '!'));

	m0 = pattern_match(p, path, 0);
	m1 = pattern_match(p, path, 1);
	CHECK(m0 == 0 || m0 == 1);
	CHECK(m1 == 0 || m1 == 1);
	check_same(p, path);
	CHECK(!m0 || m1);	/* a directory matches whatever a file does */

	slashed = xasprintf("//%s", path);
	CHECK(pattern_match(p, slashed, 0) == m0);
	CHECK(pattern_match(p, slashed, 1) == m1);
	free(slashed);

	/* One pattern alone: the list excludes what it matches, unless '!'. */
	CHECK(pattern_list_add(&one, text, &e) == 0 && one.n == 1);
	CHECK(pattern_list_match(&one, path, 0) == (m0 && !pattern_negated(p)));
	CHECK(pattern_list_match(&one, path, 1) == (m1 && !pattern_negated(p)));
	pattern_list_clear(&one);
	CHECK(one.n == 0 && one.v == NULL);

	if (is_literal(text))
		check_literal(p, text);
	pattern_free(p);
}

/* A set of the list's patterns finds what each pattern alone does. */
static void check_set(const struct pattern_list *l, const char *path,
		      int is_dir)
{
	struct pattern_set *set;
	size_t *hits = xcalloc(l->n + 1, sizeof(*hits));
	size_t nhits, i, k = 0;

	set = pattern_set_new((const struct pattern *const *)l->v, l->n);
	CHECK(pattern_set_size(set) == l->n);
	nhits = pattern_set_match(set, path, is_dir, hits);
	CHECK(nhits <= l->n);
	for (i = 0; i < l->n; i++) {
		int in = k < nhits && hits[k] == i;

		CHECK(in == pattern_match(l->v[i], path, is_dir));
		k += in;
	}
	CHECK(k == nhits);	/* nothing else, and in increasing order */
	/* The set's scratch space carries nothing over to the next path. */
	CHECK(pattern_set_match(set, path, is_dir, hits) == nhits);
	pattern_set_free(set);
	free(hits);
}

static void check_list(const char *patterns, const char *path)
{
	struct pattern_list l = PATTERN_LIST_INIT;
	const char *s = patterns;
	struct err e;

	for (;;) {
		const char *nl = strchr(s, '\n');
		char *line = xstrndup(s, nl ? (size_t)(nl - s) : strlen(s));
		size_t before = l.n;

		if (pattern_list_add(&l, line, &e) < 0)
			CHECK(l.n == before);
		else
			CHECK(l.n == before + 1);
		free(line);
		if (!nl)
			break;
		s = nl + 1;
	}
	CHECK(pattern_list_match(&l, path, 0) <= 1);
	CHECK(pattern_list_match(&l, path, 1) <= 1);
	check_set(&l, path, 0);
	check_set(&l, path, 1);
	pattern_list_match(&l, "", 0);
	pattern_list_match(&l, "/", 0);
	pattern_list_clear(&l);
	/* Cleared lists are reusable. */
	CHECK(pattern_list_add(&l, "x", &e) == 0);
	pattern_list_clear(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	const char *sep = memchr(buf, '\0', size);
	char *patterns, *first, *path, *nl;
	double start = now();

	if (!sep)
		sep = memchr(buf, '\n', size);
	if (sep) {
		patterns = xstrndup(buf, (size_t)(sep - buf));
		/* As a C string, PATH ends at its first NUL, if any. */
		path = xstrndup(sep + 1, size - (size_t)(sep - buf) - 1);
	} else {
		patterns = xstrndup(buf, size);
		path = xstrdup("");
	}
	nl = strchr(patterns, '\n');
	first = xstrndup(patterns, nl ? (size_t)(nl - patterns)
				     : strlen(patterns));

	check_one(first, path);
	check_list(patterns, path);

	free(first);
	free(path);
	free(patterns);
	CHECK(now() - start < MAX_SECONDS);
	return 0;
}
