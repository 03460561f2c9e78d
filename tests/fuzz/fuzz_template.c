/*
 * libFuzzer target for mapping/template.c: the URL templates of [map]
 * sections, compiled from the text of a url or prefixes key and expanded
 * for each base_url and changed path.
 *
 * Input: TEXT [NUL PATH [NUL BASE]]. TEXT is compiled; when it compiles,
 * it is expanded for PATH (default DEFAULT_PATH) and BASE (default
 * DEFAULT_BASE, trailing slashes removed, as template.h asks of a
 * base_url). PATH may hold any byte but NUL: after a section's strip it
 * may start with a slash.
 *
 * Besides the sanitizers, the target checks what template.h (and util.h,
 * for struct err) promises:
 * - compiling fails exactly when a '{' opens no known variable (unknown
 *   name, or no '}'), and then the message is set and names the unknown
 *   variable; on success the message is left alone;
 * - template_text() gives back the text, which outlives the caller's copy;
 * - template_uses_base() is 1 exactly when the text holds {base}, and a
 *   template without it ignores the base;
 * - the expansion is the template's text with each variable replaced by
 *   its value (path values percent-encoded by urlenc_path()), except that
 *   runs of slashes may be shorter, never gone;
 * - a run of slashes with an empty variable inside is one slash, after the
 *   "scheme://" when the output starts with one, anywhere when the output
 *   holds no "://"; the "//" of a leading http:// or https:// stays;
 * - a byte that a URL cannot hold as it is (space, control, '?', '#',
 *   non-ASCII) comes from the text or the base, never from the path;
 * - expanding appends: what the buffer held stays, and the same inputs
 *   append the same bytes again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../mapping/template.h"
#include "../../mapping/urlenc.h"
#include "../../util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

#define DEFAULT_PATH "docs/caf\xc3\xa9 menu/#1.tar.gz"
#define DEFAULT_BASE "https://example.com"
#define OTHER_BASE "http://other.invalid/x"

/* Beyond this, an error message may be cut short by struct err. */
#define MAX_CHECKED_TEXT 400

enum var { V_TEXT, V_BASE, V_PATH, V_DIR, V_NAME, V_STEM, V_EXT };

static const char *const var_names[] = {
	"", "base", "path", "dir", "name", "stem", "ext",
};

/* One piece of a template: literal text, or a variable. */
struct piece {
	enum var var;
	const char *text;	/* V_TEXT: into the template's text */
	size_t len;
};

/* A template read the way template.h describes it. */
struct reading {
	struct piece *v;
	size_t n;
	int ok;
	const char *bad;	/* when !ok: the '{' at fault */
	size_t bad_len;		/* through its '}', or 0 when there is none */
};

static void add_piece(struct reading *r, enum var var, const char *text,
		      size_t len)
{
	r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
	r->v[r->n].var = var;
	r->v[r->n].text = text;
	r->v[r->n].len = len;
	r->n++;
}

/*
 * Splits text into pieces. A '{' always opens a variable that runs to the
 * next '}'; a '}' on its own is plain text.
 */
static void read_template(struct reading *r, const char *text)
{
	size_t i = 0, start = 0;

	memset(r, 0, sizeof(*r));
	r->ok = 1;
	while (text[i]) {
		size_t j, k;

		if (text[i] != '{') {
			i++;
			continue;
		}
		if (i > start)
			add_piece(r, V_TEXT, text + start, i - start);
		for (j = i + 1; text[j] && text[j] != '}'; j++)
			;
		if (!text[j]) {
			r->ok = 0;
			r->bad = text + i;
			return;
		}
		for (k = V_BASE; k <= V_EXT; k++)
			if (strlen(var_names[k]) == j - i - 1 &&
			    !memcmp(text + i + 1, var_names[k], j - i - 1))
				break;
		if (k > V_EXT) {
			r->ok = 0;
			r->bad = text + i;
			r->bad_len = j - i + 1;
			return;
		}
		add_piece(r, (enum var)k, NULL, 0);
		i = start = j + 1;
	}
	if (i > start)
		add_piece(r, V_TEXT, text + start, i - start);
}

/*
 * The values of the path variables. A name that starts with a dot may be
 * read two ways (".hidden" as a stem, or as an empty stem and the
 * extension "hidden"; "..a" likewise); template.h does not say which, so
 * the caller tries both through whole_dotted.
 */
struct values {
	const char *dir;
	size_t dir_len;
	const char *name;
	size_t stem_len;
	const char *ext;	/* NULL when the name has no extension */
};

static void path_values(struct values *v, const char *path, int whole_dotted)
{
	const char *slash = strrchr(path, '/');
	const char *dot;

	v->dir = path;
	v->dir_len = slash ? (size_t)(slash - path) : 0;
	v->name = slash ? slash + 1 : path;
	dot = strrchr(v->name, '.');
	if (!dot || (whole_dotted && v->name[0] == '.')) {
		v->stem_len = strlen(v->name);
		v->ext = NULL;
	} else {
		v->stem_len = (size_t)(dot - v->name);
		v->ext = dot + 1;
	}
}

/*
 * The expansion before any slash is collapsed: the pieces laid end to
 * end. empty[] gets the offset of each variable whose value is empty.
 */
static void lay_out(struct strbuf *raw, size_t **empty, size_t *n_empty,
		    const struct reading *r, const char *base,
		    const struct values *v, const char *path)
{
	size_t i;

	*n_empty = 0;
	for (i = 0; i < r->n; i++) {
		size_t before = raw->len;

		switch (r->v[i].var) {
		case V_TEXT:
			strbuf_add(raw, r->v[i].text, r->v[i].len);
			break;
		case V_BASE:
			strbuf_addstr(raw, base);
			break;
		case V_PATH:
			urlenc_path(raw, path, strlen(path));
			break;
		case V_DIR:
			urlenc_path(raw, v->dir, v->dir_len);
			break;
		case V_NAME:
			urlenc_path(raw, v->name, strlen(v->name));
			break;
		case V_STEM:
			urlenc_path(raw, v->name, v->stem_len);
			break;
		case V_EXT:
			if (v->ext)
				urlenc_path(raw, v->ext, strlen(v->ext));
			break;
		}
		if (r->v[i].var != V_TEXT && raw->len == before) {
			*empty = xrealloc(*empty, (*n_empty + 1) *
					  sizeof(**empty));
			(*empty)[(*n_empty)++] = before;
		}
	}
}

static int is_scheme_char(char c, int first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	return !first && ((c >= '0' && c <= '9') || c == '+' || c == '-' ||
			  c == '.');
}

/*
 * Where the promise about slashes is checked in s: after "scheme://" when
 * s starts with one (RFC 3986 scheme), all of s when it holds no "://",
 * nowhere (SIZE_MAX) when it holds one elsewhere.
 */
static size_t slash_region(const char *s)
{
	const char *sep = strstr(s, "://");
	const char *p;

	if (!sep)
		return 0;
	for (p = s; p < sep; p++)
		if (!is_scheme_char(*p, p == s))
			return SIZE_MAX;
	return p == s ? SIZE_MAX : (size_t)(sep - s) + 3;
}

/*
 * 1 when out (the expansion) is raw with some runs of slashes made
 * shorter but not removed, and every run of raw with an empty variable
 * strictly inside it is a single slash in out from offset region on.
 */
static int matches(const char *out, size_t out_len, const struct strbuf *raw,
		   const size_t *empty, size_t n_empty, size_t region)
{
	size_t i = 0, j = 0, k;

	while (i < raw->len) {
		size_t a = 0, b = 0, run_out = j;
		int left_by_empty = 0;

		if (raw->buf[i] != '/') {
			if (j >= out_len || out[j] != raw->buf[i])
				return 0;
			i++;
			j++;
			continue;
		}
		while (i + a < raw->len && raw->buf[i + a] == '/')
			a++;
		while (j + b < out_len && out[j + b] == '/')
			b++;
		if (b < 1 || b > a)
			return 0;
		for (k = 0; k < n_empty; k++)
			if (empty[k] > i && empty[k] < i + a)
				left_by_empty = 1;
		if (left_by_empty && run_out >= region && b != 1)
			return 0;
		i += a;
		j += b;
	}
	return j == out_len;
}

/* Checks one expansion of t against what the reading of its text says. */
static void check_expansion(const struct strbuf *out, const char *text,
			    const struct reading *r, const char *base,
			    const char *path)
{
	struct strbuf raw = STRBUF_INIT;
	size_t *empty = NULL, n_empty, region, i;
	struct values v;
	int ok = 0, way;

	CHECK(out->buf != NULL && out->buf[out->len] == '\0');
	CHECK(strlen(out->buf) == out->len);
	region = slash_region(out->buf);
	for (way = 0; way < 2 && !ok; way++) {
		path_values(&v, path, way);
		strbuf_setlen(&raw, 0);
		lay_out(&raw, &empty, &n_empty, r, base, &v, path);
		ok = matches(out->buf, out->len, &raw, empty, n_empty, region);
	}
	CHECK(ok);

	/*
	 * The "//" of an http(s) URL is left by no variable, so it stays.
	 * Only these two schemes are checked: the loader allows no other for
	 * url templates (config_map.c) and base_url (config_site.c), and
	 * template.c takes only a "://" in the first 16 bytes for a scheme's,
	 * so a longer scheme loses one.
	 */
	for (i = 0; i < 2; i++) {
		const char *scheme = i ? "https://" : "http://";

		if (!strncmp(strbuf_str(&raw), scheme, strlen(scheme)))
			CHECK(!strncmp(out->buf, scheme, strlen(scheme)));
	}

	/*
	 * Said without urlenc.c: a byte that a URL cannot hold as it is
	 * (space, control, '?', '#', non-ASCII...) comes from the text or
	 * the base, never from the path.
	 */
	for (i = 0; i < out->len; i++) {
		char c = out->buf[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') ||
		    strchr("-._~/!$&'()*+,;=:@%", c))
			continue;
		CHECK(strchr(text, c) || strchr(base, c));
	}
	strbuf_release(&raw);
	free(empty);
}

static void check_compiled(const struct template *t, const char *text,
			   const struct reading *r, const char *base,
			   const char *path)
{
	struct strbuf first = STRBUF_INIT, sb;
	static const char held[] = "held/";
	const char *used_base = template_uses_base(t) ? base : "";

	CHECK(template_uses_base(t) == (strstr(text, "{base}") != NULL));

	/* From STRBUF_INIT, as map.c's callers do. */
	template_expand(&first, t, base, path);
	check_expansion(&first, text, r, used_base, path);

	/*
	 * Expanding appends: the text held (which ends in a slash, to catch
	 * a collapse reaching back into it) stays, and the same inputs give
	 * the same bytes twice.
	 */
	strbuf_init(&sb);
	strbuf_addstr(&sb, held);
	template_expand(&sb, t, base, path);
	template_expand(&sb, t, base, path);
	CHECK(sb.len == sizeof(held) - 1 + 2 * first.len);
	CHECK(!memcmp(sb.buf, held, sizeof(held) - 1));
	CHECK(!memcmp(sb.buf + sizeof(held) - 1, first.buf, first.len));
	CHECK(!memcmp(sb.buf + sizeof(held) - 1 + first.len, first.buf,
		      first.len));

	/* Without {base}, the base is ignored. */
	if (!template_uses_base(t)) {
		strbuf_setlen(&sb, 0);
		template_expand(&sb, t, OTHER_BASE, path);
		CHECK(sb.len == first.len && !memcmp(sb.buf, first.buf,
						     first.len));
	}
	strbuf_release(&sb);
	strbuf_release(&first);
}

/*
 * Field i of the input (fields end at a NUL), as a new string; dflt when
 * the input has fewer fields.
 */
static char *field(const uint8_t *data, size_t size, size_t i,
		   const char *dflt)
{
	const uint8_t *p = data, *end = data + size, *nul;

	for (; i > 0; i--) {
		nul = memchr(p, '\0', (size_t)(end - p));
		if (!nul)
			return xstrdup(dflt);
		p = nul + 1;
	}
	nul = memchr(p, '\0', (size_t)(end - p));
	return xstrndup((const char *)p, nul ? (size_t)(nul - p) :
			(size_t)(end - p));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *path, *base, *copy;
	struct template *t = NULL;
	struct reading r;
	struct err e, untouched;
	size_t n;
	int rc;

	text = field(data, size, 0, "");
	path = field(data, size, 1, DEFAULT_PATH);
	base = field(data, size, 2, DEFAULT_BASE);
	n = strlen(base);
	while (n && base[n - 1] == '/')
		base[--n] = '\0';

	read_template(&r, text);

	/* Compile from a copy that is gone before the template is used. */
	copy = xstrdup(text);
	memset(e.msg, 'E', sizeof(e.msg));
	memcpy(&untouched, &e, sizeof(e));
	rc = template_compile(&t, copy, &e);
	memset(copy, 'x', strlen(copy));
	free(copy);

	CHECK(rc == 0 || rc == -1);
	CHECK((rc == 0) == r.ok);
	if (rc == 0) {
		CHECK(t != NULL);
		CHECK(!memcmp(&e, &untouched, sizeof(e)));
		check_compiled(t, text, &r, base, path);
		CHECK(!strcmp(template_text(t), text));
		template_free(t);
	} else {
		CHECK(memchr(e.msg, '\0', sizeof(e.msg)) != NULL);
		CHECK(e.msg[0] != '\0');
		if (r.bad_len && strlen(text) + r.bad_len < MAX_CHECKED_TEXT) {
			char *named = xstrndup(r.bad, r.bad_len);

			CHECK(strstr(e.msg, named) != NULL);
			free(named);
		}
	}
	free(r.v);
	free(text);
	free(path);
	free(base);
	return 0;
}
