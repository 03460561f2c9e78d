/*
 * Patterns that select repository paths, with the matching rules of a
 * .gitignore file at the top of the repository (gitignore(5)), so that a
 * rule in the configuration means what the same line would mean to git.
 *
 * Matching is bytewise: '?' matches one byte, not one UTF-8 character, and
 * case always matters, as with git's default core.ignoreCase=false. A
 * match takes time proportional to the path length times the pattern
 * length, whatever the pattern, and no recursion.
 */
#ifndef CFPH_PATTERN_H
#define CFPH_PATTERN_H

#include <stddef.h>

#include "../util/util.h"

/* One compiled pattern; opaque. */
struct pattern;

/*
 * Compiles one pattern as it would be written on a line of a gitignore
 * file. The caller has already removed surrounding white space; a space
 * left at either end is part of the name. On success returns 0 and sets
 * *out to a pattern that the caller frees with pattern_free(). Returns -1
 * with e set, and *out left alone, when the pattern is empty, would be a
 * comment (leading '#'; write "\#"), is nothing but '!' and slashes, ends
 * with a lone backslash, has a '[' without its ']', or names an unknown
 * class such as "[:alhpa:]". Git would silently match nothing with each
 * of these; here they are errors because a rule that matches nothing
 * purges nothing.
 */
int pattern_compile(struct pattern **out, const char *text, struct err *e);

/*
 * Returns 1 when p matches path, 0 otherwise. path is relative to the top
 * of the repository and uses '/' between names (leading slashes are
 * skipped; a trailing slash is taken to mean is_dir). is_dir says whether
 * path itself is a directory; every leading directory of path is one.
 *
 * A pattern matches a path when it matches the path itself or any of its
 * leading directories, since git excludes everything below an excluded
 * directory: "build/" matches "build/x/y.o". A leading '!' is not applied
 * here: "!a" matches "a" exactly as "a" does (see pattern_negated()).
 */
int pattern_match(const struct pattern *p, const char *path, int is_dir);

/*
 * The same verdict as pattern_match(), always found by running the
 * pattern's automaton, without the shortcuts pattern_match() takes for
 * simple patterns ("*.css", "index.html", "a/" + "**"). For tests, which
 * compare the two; nothing else needs it.
 */
int pattern_match_automaton(const struct pattern *p, const char *path,
			    int is_dir);

/* Returns 1 when the pattern was written with a leading '!', else 0. */
int pattern_negated(const struct pattern *p);

/* The text given to pattern_compile(), owned by p and valid until
 * pattern_free(p). */
const char *pattern_text(const struct pattern *p);

/* Frees p and everything it owns; p may be NULL. */
void pattern_free(struct pattern *p);

/*
 * An ordered list of patterns read like one .gitignore file at the top of
 * the repository: for each path the last pattern that matches decides,
 * and a pattern with '!' re-includes what an earlier one excluded. The
 * list owns its patterns.
 */
struct pattern_list {
	struct pattern **v;
	size_t n, alloc;
};

#define PATTERN_LIST_INIT { NULL, 0, 0 }

/*
 * Compiles text as pattern_compile() does and appends it. Returns 0, or
 * -1 with e set and the list unchanged.
 */
int pattern_list_add(struct pattern_list *l, const char *text, struct err *e);

/*
 * Returns 1 when the list excludes path, 0 otherwise (an empty list
 * excludes nothing); path and is_dir are as for pattern_match().
 *
 * As in git, a path below an excluded directory stays excluded whatever
 * later patterns say about the path itself: with "a/" then "!a/b", the
 * path "a/b" is excluded. The verdict agrees with
 * "git check-ignore --no-index" for the same lines in .gitignore.
 */
int pattern_list_match(const struct pattern_list *l, const char *path,
		       int is_dir);

/* Frees every pattern and leaves the list empty and reusable. */
void pattern_list_clear(struct pattern_list *l);

/*
 * Several patterns asked about the same paths: a set finds which of them
 * match a path with one pass over the path, plus the work of the few
 * patterns whose literal part the path holds, where asking each pattern
 * in turn costs one pass per pattern. For a caller with many paths and
 * many patterns, such as the mapping of a big push.
 */
struct pattern_set;

/*
 * Returns a new set of the n patterns v[0..n), which the caller frees
 * with pattern_set_free(). The set borrows the patterns: they must stay
 * valid, and unchanged, until the set is freed; the array v is copied and
 * may go at once. Never returns NULL.
 */
struct pattern_set *pattern_set_new(const struct pattern *const *v, size_t n);

/*
 * Writes to hits, in increasing order, the index in v of every pattern
 * that matches path, and returns how many; hits must have room for n
 * indices. Each verdict is pattern_match()'s for that pattern (a leading
 * '!' is not applied). The set keeps scratch space, so one set serves one
 * thread at a time.
 */
size_t pattern_set_match(struct pattern_set *s, const char *path, int is_dir,
			 size_t *hits);

/* The number of patterns in s (n of pattern_set_new()). */
size_t pattern_set_size(const struct pattern_set *s);

/* Frees s, but not its patterns; s may be NULL. */
void pattern_set_free(struct pattern_set *s);

#endif
