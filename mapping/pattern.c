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

/*
 * Most patterns in a real configuration have one of a few shapes that a
 * comparison or two decides, without running the automaton: git's own
 * matcher has similar shortcuts. For each of these the literal bytes are
 * exactly the pattern's needle.
 */
enum shape {
	SHAPE_GENERAL,	/* anything else: the automaton decides */
	SHAPE_LITERAL,	/* no wildcard: "index.html", "/a/b.txt" */
	SHAPE_ENDSWITH,	/* one name, a star, then literal bytes: "*.css" */
	SHAPE_PREFIX,	/* with a slash, literal bytes then a final "**" */
	SHAPE_ANYDIR	/* "**" and a slash, then literal bytes */
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
	 * The pattern's other literal runs of two bytes or more, each ended
	 * by a NUL, in also_size bytes (NULL and 0 when there are none).
	 * Every match holds them too: checked before the automaton runs,
	 * they turn away most paths that hold the needle by chance, as
	 * ".html" of "p1*.html" in every page.
	 */
	char *also;
	size_t also_size;
	/*
	 * 1 when the needle is the pattern's first bytes and the pattern is
	 * anchored at the top: every path it matches then starts with the
	 * needle, rather than merely holding it.
	 */
	int anchor;
	enum shape shape;
	/*
	 * The automaton again, for patterns of at most 63 tokens, with its
	 * state set as the bits of one word (state i is bit i): adv[c] holds
	 * the tokens that byte c moves past, star and anystar the tokens
	 * that stay on their state for a byte (star never for '/'), eps those
	 * with an empty move to the next token, and skip the TOK_SKIPs with
	 * their empty move SKIP_ARG tokens on. A step is then a few word
	 * operations instead of a visit to each live state. adv is NULL for
	 * longer patterns, which the state array handles.
	 */
	uint64_t *adv;
	uint64_t star, anystar, eps, skip;
};

/* The only distance compile_stars() gives a TOK_SKIP. */
#define SKIP_ARG 3

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
		add_tok(p, TOK_SKIP, 0, SKIP_ARG);
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
 * Finds the runs of TOK_BYTE tokens that every match goes through: none
 * that a TOK_SKIP may jump over, and no skip landing inside a run (which
 * would let a match hold only its tail). The longest (the first of them)
 * becomes p->needle, and the others of two bytes or more p->also.
 */
static void find_needle(struct pattern *p)
{
	/* 1: a skip lands here; 2: a skip may jump over this token. */
	unsigned char *mark = xcalloc(p->ntok + 1, 1);
	/* The runs as [start, start + len); there are at most as many runs
	 * as tokens. */
	size_t *starts = xcalloc(p->ntok + 1, sizeof(*starts));
	size_t *lens = xcalloc(p->ntok + 1, sizeof(*lens));
	size_t nruns = 0, i, k, r, best = 0, best_start = 0;
	struct strbuf also = STRBUF_INIT;

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

		if (!lit)
			continue;
		if (!nruns || (mark[i] & 1) ||
		    starts[nruns - 1] + lens[nruns - 1] != i)
			starts[nruns++] = i;
		lens[nruns - 1]++;
	}
	for (r = 0; r < nruns; r++) {
		if (lens[r] > best) {
			best = lens[r];
			best_start = starts[r];
		}
	}
	for (r = 0; r < nruns; r++) {
		if (starts[r] == best_start || lens[r] < 2)
			continue;
		for (i = starts[r]; i < starts[r] + lens[r]; i++)
			strbuf_addch(&also, (char)p->tok[i].byte);
		strbuf_addch(&also, '\0');
	}
	free(lens);
	free(starts);
	free(mark);
	if (also.len) {
		p->also_size = also.len;
		p->also = strbuf_detach(&also);
	}
	strbuf_release(&also);
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

/*
 * Sets p->shape. Each shape is a run of literal tokens [first, last) with
 * at most a star before it or a "**" around it; the run must then be the
 * whole needle, which the shape's test compares with the path.
 */
static void find_shape(struct pattern *p)
{
	const struct tok *t = p->tok;
	size_t n = p->ntok, first = 0, last = n, i;
	enum shape shape;

	if (!p->basename_only && n >= 4 && t[0].kind == TOK_SKIP &&
	    t[0].arg == SKIP_ARG && t[1].kind == TOK_ANYSTAR &&
	    t[2].kind == TOK_BYTE && t[2].byte == '/') {
		shape = SHAPE_ANYDIR;
		first = 3;
	} else if (p->basename_only && n >= 2 && t[0].kind == TOK_STAR) {
		shape = SHAPE_ENDSWITH;
		first = 1;
	} else if (!p->basename_only && n >= 2 &&
		   t[n - 1].kind == TOK_ANYSTAR) {
		shape = SHAPE_PREFIX;
		last = n - 1;
	} else {
		shape = SHAPE_LITERAL;
	}
	p->shape = SHAPE_GENERAL;
	if (last <= first || p->needle_len != last - first)
		return;
	for (i = first; i < last; i++)
		if (t[i].kind != TOK_BYTE)
			return;
	p->shape = shape;
}

/* Fills in p->adv and the other masks when p has at most 63 tokens. */
static void find_bits(struct pattern *p)
{
	size_t i;
	unsigned c;

	if (p->ntok > 63)
		return;
	p->adv = xcalloc(256, sizeof(*p->adv));
	for (i = 0; i < p->ntok; i++) {
		const struct tok *t = &p->tok[i];
		uint64_t bit = (uint64_t)1 << i;

		switch (t->kind) {
		case TOK_BYTE:
			p->adv[t->byte] |= bit;
			break;
		case TOK_ANY:
			for (c = 0; c < 256; c++)
				if (c != '/')
					p->adv[c] |= bit;
			break;
		case TOK_CLASS:
			for (c = 0; c < 256; c++)
				if (class_has(&p->cls[t->arg], (unsigned char)c))
					p->adv[c] |= bit;
			break;
		case TOK_STAR:
			p->star |= bit;
			p->eps |= bit;
			break;
		case TOK_ANYSTAR:
			p->anystar |= bit;
			p->eps |= bit;
			break;
		case TOK_SKIP:
			p->skip |= bit;
			p->eps |= bit;
			break;
		}
	}
}

/* 1 when the len bytes at path hold the n bytes of lit (n > 0). */
static int holds(const char *path, size_t len, const char *lit, size_t n)
{
	const char *s = path, *end = path + len;

	while ((size_t)(end - s) >= n) {
		s = memchr(s, (unsigned char)lit[0], (size_t)(end - s) - n + 1);
		if (!s)
			return 0;
		if (!memcmp(s, lit, n))
			return 1;
		s++;
	}
	return 0;
}

/* 0 when path (len bytes) lacks p's needle and so cannot match. */
static int may_match(const struct pattern *p, const char *path, size_t len)
{
	size_t n = p->needle_len;

	if (!n)
		return 1;
	if (p->anchor)
		return len >= n && !memcmp(path, p->needle, n);
	return holds(path, len, p->needle, n);
}

/* 0 when path (len bytes) lacks one of p's other literal runs. */
static int may_match_also(const struct pattern *p, const char *path,
			  size_t len)
{
	const char *run = p->also, *end;

	if (!run)
		return 1;
	for (end = run + p->also_size; run < end;) {
		size_t n = strlen(run);

		if (!holds(path, len, run, n))
			return 0;
		run += n + 1;
	}
	return 1;
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
	find_shape(p);
	find_bits(p);
	*out = p;
	return 0;
}

/*
 * The state sets of one match, ntok + 1 flags each, kept on the stack for
 * all but very long patterns. cur is zero outside [lo, end) and next is
 * all zero between steps, so a step only visits the live span: a literal
 * pattern costs the same per byte whatever its length.
 */
struct nfa {
	unsigned char *cur, *next;
	size_t lo, end;
	unsigned char *heap;
	unsigned char local[2 * 128];
};

static void nfa_init(struct nfa *r, const struct pattern *p)
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

static void nfa_release(struct nfa *r)
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

static void nfa_start(const struct pattern *p, struct nfa *r)
{
	memset(r->cur + r->lo, 0, r->end - r->lo);
	r->cur[0] = 1;
	r->lo = 0;
	r->end = 1;
	closure(p, r->cur, 0, &r->end);
}

/* Reads byte c; returns 0 when no state is left, so nothing can match. */
static int nfa_step(const struct pattern *p, struct nfa *r, unsigned char c)
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

static int nfa_accepts(const struct pattern *p, const struct nfa *r)
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
static int match_levels_nfa(const struct pattern *p, const char *path,
			    size_t len, int is_dir, unsigned char *hit)
{
	struct nfa r;
	size_t i, level = 0;
	int found = 0, alive = 1;

	nfa_init(&r, p);
	nfa_start(p, &r);
	for (i = 0;; i++) {
		int end = i == len;

		if (end || path[i] == '/') {
			if (alive && nfa_accepts(p, &r) &&
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
				nfa_start(p, &r);
				alive = 1;
				continue;
			}
		}
		if (alive)
			alive = nfa_step(p, &r, (unsigned char)path[i]);
		else if (!p->basename_only)
			break;
	}
	nfa_release(&r);
	return found;
}

/* Adds to the state set x every state that empty moves reach from it. */
static uint64_t bits_closure(const struct pattern *p, uint64_t x)
{
	for (;;) {
		uint64_t y = x | (x & p->eps) << 1 | (x & p->skip) << SKIP_ARG;

		if (y == x)
			return x;
		x = y;
	}
}

/* match_levels_nfa() with the state set in one word; p->adv is set. */
static int match_levels_bits(const struct pattern *p, const char *path,
			     size_t len, int is_dir, unsigned char *hit)
{
	const uint64_t start = bits_closure(p, 1);
	const uint64_t accept = (uint64_t)1 << p->ntok;
	uint64_t cur = start;
	size_t i, level = 0;
	int found = 0;

	for (i = 0;; i++) {
		unsigned char c;
		int end = i == len;

		if (end || path[i] == '/') {
			if ((cur & accept) &&
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
				cur = start;
				continue;
			}
		}
		if (!cur) {
			if (!p->basename_only)
				break;
			continue;
		}
		c = (unsigned char)path[i];
		cur = bits_closure(p, (cur & p->adv[c]) << 1 |
				      (cur & (p->anystar |
					      (c == '/' ? 0 : p->star))));
	}
	return found;
}

static int match_levels(const struct pattern *p, const char *path, size_t len,
			int is_dir, unsigned char *hit)
{
	if (p->adv)
		return match_levels_bits(p, path, len, is_dir, hit);
	return match_levels_nfa(p, path, len, is_dir, hit);
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

/*
 * The test of p's shape, which must not be SHAPE_GENERAL, on a tidy path
 * of len > 0 bytes. Its verdict is the automaton's: some level of the
 * path (each leading folder, then the path itself when it may be a match
 * by must_be_dir) matches the pattern.
 */
static int match_shape(const struct pattern *p, const char *path, size_t len,
		       int is_dir)
{
	const char *lit = p->needle, *slash;
	size_t n = p->needle_len, start, end;
	int last_ok = !p->must_be_dir || is_dir;

	switch (p->shape) {
	case SHAPE_LITERAL:
		if (!p->basename_only)
			return len >= n && !memcmp(path, lit, n) &&
			       (len == n ? last_ok : path[n] == '/');
		/* A name equal to lit, as ENDSWITH compares a name's end. */
		/* fall through */
	case SHAPE_ENDSWITH:
		for (start = 0;; start = end + 1) {
			slash = memchr(path + start, '/', len - start);
			end = slash ? (size_t)(slash - path) : len;
			if (end == len && !last_ok)
				return 0;
			if (end - start >= n &&
			    (p->shape == SHAPE_ENDSWITH || end - start == n) &&
			    !memcmp(path + end - n, lit, n))
				return 1;
			if (end == len)
				return 0;
		}
	case SHAPE_PREFIX:
		/* Every level from the n-th byte on starts with lit. */
		if (len < n || memcmp(path, lit, n))
			return 0;
		return last_ok || memchr(path + n, '/', len - n) != NULL;
	case SHAPE_ANYDIR:
		/* A level that is lit, or ends with a slash and lit. */
		for (start = 0;; start = end + 1) {
			slash = memchr(path + start, '/', len - start);
			end = slash ? (size_t)(slash - path) : len;
			if (end >= n && !memcmp(path + end - n, lit, n) &&
			    (end == n || path[end - n - 1] == '/') &&
			    (end < len || last_ok))
				return 1;
			if (end == len)
				return 0;
		}
	case SHAPE_GENERAL:
		break;
	}
	return may_match_also(p, path, len) &&
	       match_levels(p, path, len, is_dir, NULL);
}

int pattern_match(const struct pattern *p, const char *path, int is_dir)
{
	size_t len = tidy_path(&path, &is_dir);

	if (!len || !may_match(p, path, len))
		return 0;
	return match_shape(p, path, len, is_dir);
}

int pattern_match_automaton(const struct pattern *p, const char *path,
			    int is_dir)
{
	size_t len = tidy_path(&path, &is_dir);

	return len && match_levels_nfa(p, path, len, is_dir, NULL);
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
	free(p->also);
	free(p->tok);
	free(p->cls);
	free(p->adv);
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
		if (!may_match(l->v[j], path, len) ||
		    !may_match_also(l->v[j], path, len))
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

/*
 * A pattern set finds, in one pass over a path, which patterns' needles
 * it holds: the needles make an Aho-Corasick automaton, kept as a full
 * table of moves (state by byte class) so that each byte costs one load.
 * Bytes that are in no needle share class 0, which always leads back to
 * the start. Only the patterns whose needle was seen (and those without
 * a needle) then run their own test.
 */
#define NO_STATE UINT32_MAX
#define SET_MAX_MOVES ((size_t)1 << 22)

struct pattern_set {
	const struct pattern **v;
	size_t n;
	uint16_t cls[256];
	size_t ncls;
	uint32_t *move;		/* nstates * ncls */
	uint32_t *report;	/* per state: itself or the nearest state on
				   its failure chain where a needle ends */
	uint32_t *up;		/* report of the state's failure state */
	uint32_t *out;		/* per state: first pattern whose needle ends
				   there, or NO_STATE */
	uint32_t *out_next;	/* per pattern: the next one in that list */
	uint64_t *always;	/* patterns without a needle */
	uint64_t *cand;		/* scratch: the candidates of one path */
	size_t words;
};

struct pattern_set *pattern_set_new(const struct pattern *const *v, size_t n)
{
	struct pattern_set *s = xcalloc(1, sizeof(*s));
	uint32_t *fail, *queue, nstates = 1, head = 0, tail = 0, st, c;
	size_t i, j, cap = 1;

	s->n = n;
	s->v = xcalloc(n ? n : 1, sizeof(*s->v));
	s->words = n / 64 + 1;
	s->always = xcalloc(s->words, sizeof(*s->always));
	s->cand = xcalloc(s->words, sizeof(*s->cand));
	s->out_next = xcalloc(n ? n : 1, sizeof(*s->out_next));
	s->ncls = 1;
	for (i = 0; i < n; i++) {
		s->v[i] = v[i];
		cap += v[i]->needle_len;
		for (j = 0; j < v[i]->needle_len; j++) {
			unsigned char b = (unsigned char)v[i]->needle[j];

			if (!s->cls[b])
				s->cls[b] = (uint16_t)s->ncls++;
		}
	}
	/*
	 * Far beyond any real configuration (thousands of long patterns),
	 * the table would outgrow the caches and then memory: every pattern
	 * then runs on every path, as without a set.
	 */
	if (cap * s->ncls > SET_MAX_MOVES) {
		cap = 1;
		for (i = 0; i < n; i++)
			s->always[i / 64] |= (uint64_t)1 << (i % 64);
	}

	/* The trie of the needles; NO_STATE marks a move not yet known. */
	s->move = xmalloc(cap * s->ncls * sizeof(*s->move));
	for (i = 0; i < cap * s->ncls; i++)
		s->move[i] = NO_STATE;
	s->out = xmalloc(cap * sizeof(*s->out));
	for (i = 0; i < cap; i++)
		s->out[i] = NO_STATE;
	for (i = 0; i < n; i++) {
		const struct pattern *p = v[i];

		if (!p->needle_len || cap == 1) {
			s->always[i / 64] |= (uint64_t)1 << (i % 64);
			continue;
		}
		st = 0;
		for (j = 0; j < p->needle_len; j++) {
			uint32_t *m = &s->move[st * s->ncls +
					       s->cls[(unsigned char)p->needle[j]]];

			if (*m == NO_STATE)
				*m = nstates++;
			st = *m;
		}
		s->out_next[i] = s->out[st];
		s->out[st] = (uint32_t)i;
	}

	/*
	 * Breadth first, so that a state's failure state is complete before
	 * the state's own missing moves are copied from it.
	 */
	fail = xcalloc(nstates, sizeof(*fail));
	queue = xmalloc(nstates * sizeof(*queue));
	s->report = xmalloc(nstates * sizeof(*s->report));
	s->up = xmalloc(nstates * sizeof(*s->up));
	s->report[0] = s->up[0] = NO_STATE;
	s->move[0] = 0;
	for (c = 1; c < s->ncls; c++) {
		uint32_t *m = &s->move[c];

		if (*m == NO_STATE) {
			*m = 0;
		} else {
			fail[*m] = 0;
			queue[tail++] = *m;
		}
	}
	while (head < tail) {
		st = queue[head++];
		s->up[st] = s->report[fail[st]];
		s->report[st] = s->out[st] != NO_STATE ? st : s->up[st];
		s->move[st * s->ncls] = 0;
		for (c = 1; c < s->ncls; c++) {
			uint32_t *m = &s->move[st * s->ncls + c];
			uint32_t via_fail = s->move[fail[st] * s->ncls + c];

			if (*m == NO_STATE) {
				*m = via_fail;
			} else {
				fail[*m] = via_fail;
				queue[tail++] = *m;
			}
		}
	}
	free(queue);
	free(fail);
	return s;
}

size_t pattern_set_match(struct pattern_set *s, const char *path, int is_dir,
			 size_t *hits)
{
	size_t len = tidy_path(&path, &is_dir), i, w, nhits = 0;
	uint32_t st = 0, t, k;

	if (!len || !s->n)
		return 0;
	memcpy(s->cand, s->always, s->words * sizeof(*s->cand));
	for (i = 0; i < len; i++) {
		st = s->move[st * s->ncls + s->cls[(unsigned char)path[i]]];
		for (t = s->report[st]; t != NO_STATE; t = s->up[t])
			for (k = s->out[t]; k != NO_STATE; k = s->out_next[k])
				/* An anchored needle counts only at the start. */
				if (!s->v[k]->anchor ||
				    i + 1 == s->v[k]->needle_len)
					s->cand[k / 64] |= (uint64_t)1
							   << (k % 64);
	}
	for (w = 0; w < s->words; w++) {
		uint64_t word = s->cand[w];

		for (i = w * 64; word; word >>= 1, i++)
			if ((word & 1) &&
			    match_shape(s->v[i], path, len, is_dir))
				hits[nhits++] = i;
	}
	return nhits;
}

size_t pattern_set_size(const struct pattern_set *s)
{
	return s->n;
}

void pattern_set_free(struct pattern_set *s)
{
	if (!s)
		return;
	free(s->v);
	free(s->move);
	free(s->report);
	free(s->up);
	free(s->out);
	free(s->out_next);
	free(s->always);
	free(s->cand);
	free(s);
}
