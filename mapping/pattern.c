#include "pattern.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * A pattern compiles to a list of tokens, which is read as a small
 * nondeterministic automaton whose states are the positions between
 * tokens (0 is the start, ntok accepts). Matching keeps the set of states
 * the text read so far can lead to, so it never backtracks: the cost is
 * one pass over the path, with work proportional to the number of tokens
 * per byte. Empty moves only go forward, so one sweep in increasing order
 * closes a set over them.
 */
enum tok_kind {
	TOK_BYTE,	/* one given byte */
	TOK_ANY,	/* '?': one byte other than '/' */
	TOK_CLASS,	/* '[...]': one byte in a set that never holds '/' */
	TOK_STAR,	/* '*': zero or more bytes other than '/' */
	TOK_ANYSTAR,	/* the special "**": zero or more of any byte */
	TOK_SKIP	/* no byte; may jump ahead by arg tokens */
};

struct tok {
	enum tok_kind kind;
	unsigned char byte;	/* for TOK_BYTE */
	size_t arg;		/* class index, or TOK_SKIP's distance */
};

struct class {
	unsigned char bits[256 / 8];
};

struct pattern {
	char *text;		/* as written */
	int negated;		/* leading '!' */
	int must_be_dir;	/* trailing '/' */
	int basename_only;	/* no other '/': match each name alone */
	struct tok *tok;
	size_t ntok, tok_alloc;
	struct class *cls;
	size_t ncls;
	/*
	 * The longest run of literal bytes that every match must contain: a
	 * path without it cannot match, which a search rules out far faster
	 * than the matcher (most paths meet most patterns only this way).
	 */
	char *needle;
	size_t needle_len;
	/*
	 * For a pattern anchored at the top, how many of its first bytes are
	 * literal: every path it matches starts with them (they are the
	 * first needle_len bytes of needle when anchor is set).
	 */
	int anchor;
};

static void add_tok(struct pattern *p, enum tok_kind kind, unsigned char byte,
		    size_t arg)
{
	if (p->ntok == p->tok_alloc) {
		p->tok_alloc = p->tok_alloc ? p->tok_alloc * 2 : 16;
		p->tok = xrealloc(p->tok, p->tok_alloc * sizeof(*p->tok));
	}
	p->tok[p->ntok].kind = kind;
	p->tok[p->ntok].byte = byte;
	p->tok[p->ntok].arg = arg;
	p->ntok++;
}

static void class_set(struct class *c, unsigned b)
{
	c->bits[b >> 3] |= (unsigned char)(1u << (b & 7));
}

static int class_has(const struct class *c, unsigned char b)
{
	return (c->bits[b >> 3] >> (b & 7)) & 1;
}

/*
 * The POSIX classes, for ASCII only, as git's wildmatch has them: bytes
 * from 0x80 up belong to none. Note that git's "space" is its own
 * isspace(), which leaves out '\v' and '\f'.
 */
static int posix_class(struct class *c, const char *name, size_t len)
{
	static const char *const names[] = {
		"alnum", "alpha", "blank", "cntrl", "digit", "graph",
		"lower", "print", "punct", "space", "upper", "xdigit"
	};
	size_t which;
	unsigned b;

	for (which = 0; which < sizeof(names) / sizeof(names[0]); which++)
		if (strlen(names[which]) == len &&
		    !memcmp(names[which], name, len))
			break;
	if (which == sizeof(names) / sizeof(names[0]))
		return -1;

	for (b = 0; b < 128; b++) {
		int digit = b >= '0' && b <= '9';
		int upper = b >= 'A' && b <= 'Z';
		int lower = b >= 'a' && b <= 'z';
		int graph = b > ' ' && b < 127;
		int in;

		switch (which) {
		case 0: in = digit || upper || lower; break;
		case 1: in = upper || lower; break;
		case 2: in = b == ' ' || b == '\t'; break;
		case 3: in = b < ' ' || b == 127; break;
		case 4: in = digit; break;
		case 5: in = graph; break;
		case 6: in = lower; break;
		case 7: in = graph || b == ' '; break;
		case 8: in = graph && !digit && !upper && !lower; break;
		case 9: in = b == ' ' || b == '\t' || b == '\n' || b == '\r';
			break;
		case 10: in = upper; break;
		default: in = digit || (b >= 'A' && b <= 'F') ||
			     (b >= 'a' && b <= 'f'); break;
		}
		if (in)
			class_set(c, b);
	}
	return 0;
}

/*
 * Compiles the bracket expression that starts at s[*i] == '[' and leaves
 * *i just past its ']'. Inside, a leading '!' or '^' negates; a ']' right
 * after that is a member; a backslash makes the next byte a member; "x-y"
 * is a range unless the '-' comes first, last, or right after a range or
 * a class; "[:name:]" is a POSIX class, and "[:" without a ":]" before the
 * next ']' is just a '['. These are the rules git's wildmatch follows.
 */
static int compile_class(struct pattern *p, const char *s, size_t len,
			 size_t *i, struct err *e)
{
	struct class c;
	size_t j = *i + 1, k;
	int negate = 0, first = 1, have_prev = 0;
	unsigned char prev = 0, hi;
	unsigned b;

	memset(&c, 0, sizeof(c));
	if (j < len && (s[j] == '!' || s[j] == '^')) {
		negate = 1;
		j++;
	}
	for (;; first = 0) {
		if (j >= len)
			return err_set(e, "'[' has no closing ']' (write '\\[' "
				       "for a literal '[')");
		if (s[j] == ']' && !first)
			break;
		if (s[j] == '\\') {
			if (j + 1 >= len)
				return err_set(e, "'[' has no closing ']' (write "
					       "'\\[' for a literal '[')");
			prev = (unsigned char)s[j + 1];
			class_set(&c, prev);
			have_prev = 1;
			j += 2;
		} else if (s[j] == '-' && have_prev && j + 1 < len &&
			   s[j + 1] != ']') {
			k = j + 1;
			if (s[k] == '\\' && ++k >= len)
				return err_set(e, "'[' has no closing ']' (write "
					       "'\\[' for a literal '[')");
			hi = (unsigned char)s[k];
			for (b = prev; b <= hi; b++)
				class_set(&c, b);
			have_prev = 0;
			j = k + 1;
		} else if (s[j] == '[' && j + 1 < len && s[j + 1] == ':') {
			const char *close = memchr(s + j + 2, ']', len - j - 2);

			if (!close)
				return err_set(e, "'[' has no closing ']' (write "
					       "'\\[' for a literal '[')");
			k = (size_t)(close - s);
			if (k > j + 2 && s[k - 1] == ':') {
				if (posix_class(&c, s + j + 2, k - j - 3) < 0)
					return err_set(e, "unknown character "
						       "class '%.*s'",
						       (int)(k - j + 1), s + j);
				have_prev = 0;
				j = k + 1;
			} else {
				prev = '[';
				class_set(&c, prev);
				have_prev = 1;
				j++;
			}
		} else {
			prev = (unsigned char)s[j];
			class_set(&c, prev);
			have_prev = 1;
			j++;
		}
	}
	if (negate)
		for (b = 0; b < sizeof(c.bits); b++)
			c.bits[b] = (unsigned char)~c.bits[b];
	/* Git never lets a bracket expression match '/'. */
	c.bits['/' >> 3] &= (unsigned char)~(1u << ('/' & 7));

	p->cls = xrealloc(p->cls, (p->ncls + 1) * sizeof(*p->cls));
	p->cls[p->ncls] = c;
	add_tok(p, TOK_CLASS, 0, p->ncls++);
	*i = j + 1;
	return 0;
}

/*
 * Compiles a run of stars at s[*i]. (Below, "**" stands for that run, as
 * a star after a slash cannot be written inside a C comment.) One star,
 * or a run that does not fill a whole name, is an ordinary '*'. A run
 * that fills a whole name may match across slashes: at the end of the
 * pattern ("a/" + "**") it matches anything, and before a slash ("**" +
 * "/b", or "a/" + "**" + "/b") it matches nothing or anything that ends
 * in a slash, which is to say zero or more leading directories.
 *
 * git compares the pattern's literal prefix (up to the first of "*?[\")
 * on its own and hands only the rest to wildmatch, which then takes a
 * "**" right after that prefix to stand at the start of a name. So, a
 * quirk gitignore(5) does not describe, "a" + "**" + "/b" matches "ab",
 * "a/b" and "ax/y/b" in git, and "a/b" + "**" matches "a/bc/d" itself,
 * not only through its directory "a/bc". git_start is where that rest
 * begins; honouring it keeps our verdicts equal to git's. Before an
 * escaped slash ("**" + "\/") the run also matches across slashes, but
 * git then skips the empty match, so we do too.
 */
static void compile_stars(struct pattern *p, const char *s, size_t len,
			  size_t *i, size_t git_start)
{
	size_t start = *i, end = *i;

	while (end < len && s[end] == '*')
		end++;
	*i = end;
	if (end - start < 2 || p->basename_only ||
	    !(start == git_start || s[start - 1] == '/')) {
		add_tok(p, TOK_STAR, 0, 0);
		return;
	}
	if (end == len) {
		add_tok(p, TOK_ANYSTAR, 0, 0);
	} else if (s[end] == '/') {
		add_tok(p, TOK_SKIP, 0, 3);
		add_tok(p, TOK_ANYSTAR, 0, 0);
		add_tok(p, TOK_BYTE, '/', 0);
		*i = end + 1;
	} else if (s[end] == '\\' && end + 1 < len && s[end + 1] == '/') {
		add_tok(p, TOK_ANYSTAR, 0, 0);
	} else {
		add_tok(p, TOK_STAR, 0, 0);
	}
}

/*
 * Finds p->needle: the longest run of TOK_BYTE tokens that every match
 * goes through: none that a TOK_SKIP may jump over, and no skip landing
 * inside the run (which would let a match hold only its tail).
 */
static void find_needle(struct pattern *p)
{
	/* 1: a skip lands here; 2: a skip may jump over this token. */
	unsigned char *mark = xcalloc(p->ntok + 1, 1);
	size_t i, k, start = 0, best = 0, best_start = 0, run = 0;

	for (i = 0; i < p->ntok; i++) {
		if (p->tok[i].kind != TOK_SKIP)
			continue;
		for (k = i + 1; k < i + p->tok[i].arg && k < p->ntok; k++)
			mark[k] |= 2;
		if (i + p->tok[i].arg <= p->ntok)
			mark[i + p->tok[i].arg] |= 1;
	}
	for (i = 0; i < p->ntok; i++) {
		int lit = p->tok[i].kind == TOK_BYTE && !(mark[i] & 2);

		if (!lit || (run && (mark[i] & 1)))
			run = 0;
		if (!lit)
			continue;
		if (!run)
			start = i;
		run++;
		if (run > best) {
			best = run;
			best_start = start;
		}
	}
	free(mark);
	if (!best)
		return;
	p->needle = xmalloc(best);
	for (i = 0; i < best; i++)
		p->needle[i] = (char)p->tok[best_start + i].byte;
	p->needle_len = best;
	/*
	 * An anchored pattern matches the path (or one of its leading
	 * folders) from its first byte: when the run is the pattern's start,
	 * the path must start with it, which one comparison decides.
	 */
	p->anchor = !p->basename_only && best_start == 0;
}

/* 0 when path (len bytes) lacks p's needle and so cannot match. */
static int may_match(const struct pattern *p, const char *path, size_t len)
{
	const char *s = path, *end = path + len;
	size_t n = p->needle_len;

	if (!n)
		return 1;
	if (p->anchor)
		return len >= n && !memcmp(path, p->needle, n);
	while ((size_t)(end - s) >= n) {
		s = memchr(s, (unsigned char)p->needle[0],
			   (size_t)(end - s) - n + 1);
		if (!s)
			return 0;
		if (!memcmp(s, p->needle, n))
			return 1;
		s++;
	}
	return 0;
}

int pattern_compile(struct pattern **out, const char *text, struct err *e)
{
	struct pattern *p;
	const char *s = text;
	size_t len, i, git_start;

	if (!text || !*text)
		return err_set(e, "empty pattern");
	if (*text == '#')
		return err_set(e, "a leading '#' makes a comment in gitignore "
			       "(write '\\#' for a literal '#')");

	p = xcalloc(1, sizeof(*p));
	p->text = xstrdup(text);
	if (*s == '!') {
		p->negated = 1;
		s++;
	}
	len = strlen(s);
	if (len && s[len - 1] == '/') {
		p->must_be_dir = 1;
		len--;
	}
	/* As in git, a slash escaped with a backslash still anchors. */
	p->basename_only = !memchr(s, '/', len);
	if (len && *s == '/') {
		s++;
		len--;
	}
	if (!len) {
		pattern_free(p);
		return err_set(e, "nothing to match after '!' and '/'");
	}

	git_start = strcspn(s, "*?[\\");
	for (i = 0; i < len;) {
		switch (s[i]) {
		case '\\':
			if (i + 1 >= len) {
				pattern_free(p);
				return err_set(e, "trailing backslash (write "
					       "'\\\\' for a literal backslash)");
			}
			add_tok(p, TOK_BYTE, (unsigned char)s[i + 1], 0);
			i += 2;
			break;
		case '?':
			add_tok(p, TOK_ANY, 0, 0);
			i++;
			break;
		case '[':
			if (compile_class(p, s, len, &i, e) < 0) {
				pattern_free(p);
				return -1;
			}
			break;
		case '*':
			compile_stars(p, s, len, &i, git_start);
			break;
		default:
			add_tok(p, TOK_BYTE, (unsigned char)s[i], 0);
			i++;
			break;
		}
	}
	find_needle(p);
	*out = p;
	return 0;
}

/*
 * The state sets of one match, ntok + 1 flags each, kept on the stack for
 * all but very long patterns. cur is zero outside [lo, end) and next is
 * all zero between steps, so a step only visits the live span: a literal
 * pattern costs the same per byte whatever its length.
 */
struct run {
	unsigned char *cur, *next;
	size_t lo, end;
	unsigned char *heap;
	unsigned char local[2 * 128];
};

static void run_init(struct run *r, const struct pattern *p)
{
	size_t n = p->ntok + 1;

	r->heap = NULL;
	if (2 * n <= sizeof(r->local))
		r->cur = r->local;
	else
		r->cur = r->heap = xmalloc(2 * n);
	r->next = r->cur + n;
	memset(r->cur, 0, 2 * n);
	r->lo = r->end = 0;
}

static void run_release(struct run *r)
{
	free(r->heap);
}

/*
 * Adds to set every state that empty moves reach from the states in
 * [lo, *end), widening *end to cover them.
 */
static void closure(const struct pattern *p, unsigned char *set, size_t lo,
		    size_t *end)
{
	size_t i, to;

	for (i = lo; i < *end && i < p->ntok; i++) {
		if (!set[i])
			continue;
		to = 0;
		switch (p->tok[i].kind) {
		case TOK_STAR:
		case TOK_ANYSTAR:
			to = i + 1;
			break;
		case TOK_SKIP:
			set[i + 1] = 1;
			to = i + p->tok[i].arg;
			break;
		case TOK_BYTE:
		case TOK_ANY:
		case TOK_CLASS:
			break;
		}
		if (to) {
			set[to] = 1;
			if (to + 1 > *end)
				*end = to + 1;
		}
	}
}

static void run_start(const struct pattern *p, struct run *r)
{
	memset(r->cur + r->lo, 0, r->end - r->lo);
	r->cur[0] = 1;
	r->lo = 0;
	r->end = 1;
	closure(p, r->cur, 0, &r->end);
}

/* Reads byte c; returns 0 when no state is left, so nothing can match. */
static int run_step(const struct pattern *p, struct run *r, unsigned char c)
{
	unsigned char *t;
	size_t i, lo = SIZE_MAX, end = 0;

	for (i = r->lo; i < r->end && i < p->ntok; i++) {
		const struct tok *k = &p->tok[i];
		size_t to = SIZE_MAX;

		if (!r->cur[i])
			continue;
		switch (k->kind) {
		case TOK_BYTE:
			if (c == k->byte)
				to = i + 1;
			break;
		case TOK_ANY:
			if (c != '/')
				to = i + 1;
			break;
		case TOK_CLASS:
			if (class_has(&p->cls[k->arg], c))
				to = i + 1;
			break;
		case TOK_STAR:
			if (c != '/')
				to = i;
			break;
		case TOK_ANYSTAR:
			to = i;
			break;
		case TOK_SKIP:
			break;
		}
		if (to != SIZE_MAX) {
			r->next[to] = 1;
			if (to < lo)
				lo = to;
			if (to + 1 > end)
				end = to + 1;
		}
	}
	if (lo == SIZE_MAX)
		lo = end = 0;
	else
		closure(p, r->next, lo, &end);
	memset(r->cur + r->lo, 0, r->end - r->lo);
	t = r->cur;
	r->cur = r->next;
	r->next = t;
	r->lo = lo;
	r->end = end;
	return end > lo;
}

static int run_accepts(const struct pattern *p, const struct run *r)
{
	return r->cur[p->ntok];
}

/*
 * Finds which levels of path p matches by itself, as git would when it
 * reaches each one: level k, for k below the number of slashes, is the
 * leading directory that ends at the k-th slash; the last level is the
 * whole path. Sets hit[k] for each, unless hit is NULL; returns 1 when
 * there is at least one (and, without hit, stops at the first).
 */
static int match_levels(const struct pattern *p, const char *path, size_t len,
			int is_dir, unsigned char *hit)
{
	struct run r;
	size_t i, level = 0;
	int found = 0, alive = 1;

	run_init(&r, p);
	run_start(p, &r);
	for (i = 0;; i++) {
		int end = i == len;

		if (end || path[i] == '/') {
			if (alive && run_accepts(p, &r) &&
			    (!end || is_dir || !p->must_be_dir)) {
				found = 1;
				if (!hit)
					break;
				hit[level] = 1;
			}
			if (end)
				break;
			level++;
			if (p->basename_only) {
				/* Each name is matched alone, without its slash. */
				run_start(p, &r);
				alive = 1;
				continue;
			}
		}
		if (alive)
			alive = run_step(p, &r, (unsigned char)path[i]);
		else if (!p->basename_only)
			break;
	}
	run_release(&r);
	return found;
}

/*
 * Skips leading slashes and takes a trailing one off, which then means a
 * directory. Returns the length of what is left of *path.
 */
static size_t tidy_path(const char **path, int *is_dir)
{
	size_t len;

	while (**path == '/')
		(*path)++;
	len = strlen(*path);
	if (len && (*path)[len - 1] == '/') {
		len--;
		*is_dir = 1;
	}
	return len;
}

int pattern_match(const struct pattern *p, const char *path, int is_dir)
{
	size_t len = tidy_path(&path, &is_dir);

	if (!len || !may_match(p, path, len))
		return 0;
	return match_levels(p, path, len, is_dir, NULL);
}

int pattern_negated(const struct pattern *p)
{
	return p->negated;
}

const char *pattern_text(const struct pattern *p)
{
	return p->text;
}

void pattern_free(struct pattern *p)
{
	if (!p)
		return;
	free(p->text);
	free(p->needle);
	free(p->tok);
	free(p->cls);
	free(p);
}

int pattern_list_add(struct pattern_list *l, const char *text, struct err *e)
{
	struct pattern *p;

	if (pattern_compile(&p, text, e) < 0)
		return -1;
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 8;
		l->v = xrealloc(l->v, l->alloc * sizeof(*l->v));
	}
	l->v[l->n++] = p;
	return 0;
}

/*
 * What git does, read from "git check-ignore --no-index -v" (git 2.39):
 * it walks the leading directories from the top, and at each one the
 * last pattern that matches that directory decides. The first directory
 * so excluded excludes the path, and -v then names that directory's
 * pattern: with "a/" then "!a/b", both "a/b" and "a/b/c" are reported as
 * excluded by "a/", although "!a/b" matches "a/b" itself. A directory
 * whose last match is a '!' pattern is simply not excluded, and the walk
 * goes on. Only when no leading directory is excluded does the last
 * pattern matching the path itself decide. Note also that -v prints a
 * path whose deciding pattern starts with '!', and check-ignore then exits
 * 0, although the path is not ignored; without -v such paths are not
 * printed.
 *
 * Each level's deciding pattern is found in one pass per pattern over the
 * path, so the cost stays linear in the path length.
 */
int pattern_list_match(const struct pattern_list *l, const char *path,
		       int is_dir)
{
	size_t len, levels = 1, i, j, *last;
	unsigned char *hit;
	int excluded = 0;

	len = tidy_path(&path, &is_dir);
	if (!len || !l->n)
		return 0;
	for (i = 0; i < len; i++)
		if (path[i] == '/')
			levels++;

	last = xmalloc(levels * sizeof(*last));
	hit = xmalloc(levels);
	for (i = 0; i < levels; i++)
		last[i] = SIZE_MAX;
	for (j = 0; j < l->n; j++) {
		if (!may_match(l->v[j], path, len))
			continue;
		memset(hit, 0, levels);
		if (!match_levels(l->v[j], path, len, is_dir, hit))
			continue;
		for (i = 0; i < levels; i++)
			if (hit[i])
				last[i] = j;
	}
	for (i = 0; i < levels; i++) {
		if (last[i] != SIZE_MAX && !l->v[last[i]]->negated) {
			excluded = 1;
			break;
		}
	}
	free(hit);
	free(last);
	return excluded;
}

void pattern_list_clear(struct pattern_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		pattern_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}
