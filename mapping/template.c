#include "template.h"
#include "urlenc.h"

#include <stdlib.h>
#include <string.h>

enum tvar { T_TEXT, T_BASE, T_PATH, T_DIR, T_NAME, T_STEM, T_EXT };

struct tpart {
	enum tvar var;
	char *text;		/* T_TEXT only */
};

struct template {
	char *text;
	struct tpart *parts;
	size_t n;
	int uses_base;
};

static const struct {
	const char *name;
	enum tvar var;
} vars[] = {
	{ "base", T_BASE }, { "path", T_PATH }, { "dir", T_DIR },
	{ "name", T_NAME }, { "stem", T_STEM }, { "ext", T_EXT },
};

static void add_part(struct template *t, enum tvar var, const char *text,
		     size_t len)
{
	t->parts = xrealloc(t->parts, (t->n + 1) * sizeof(*t->parts));
	t->parts[t->n].var = var;
	t->parts[t->n].text = var == T_TEXT ? xstrndup(text, len) : NULL;
	t->n++;
}

int template_compile(struct template **out, const char *text, struct err *e)
{
	struct template *t = xcalloc(1, sizeof(*t));
	const char *p = text;

	t->text = xstrdup(text);
	while (*p) {
		const char *open = strchr(p, '{'), *close;
		size_t i;

		if (!open) {
			add_part(t, T_TEXT, p, strlen(p));
			break;
		}
		if (open > p)
			add_part(t, T_TEXT, p, (size_t)(open - p));
		close = strchr(open, '}');
		if (!close) {
			template_free(t);
			return err_set(e, "template '%s' has a '{' without its "
				       "'}'", text);
		}
		for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
			if (strlen(vars[i].name) == (size_t)(close - open - 1) &&
			    !strncmp(open + 1, vars[i].name,
				     (size_t)(close - open - 1)))
				break;
		if (i == sizeof(vars) / sizeof(vars[0])) {
			int len = (int)(close - open + 1);

			template_free(t);
			return err_set(e, "unknown variable '%.*s' in template "
				       "'%s' (known: {base} {path} {dir} "
				       "{name} {stem} {ext})", len, open, text);
		}
		add_part(t, vars[i].var, "", 0);
		if (vars[i].var == T_BASE)
			t->uses_base = 1;
		p = close + 1;
	}
	*out = t;
	return 0;
}

int template_uses_base(const struct template *t)
{
	return t->uses_base;
}

const char *template_text(const struct template *t)
{
	return t->text;
}

/* Appends len bytes of s, percent-encoded. */
static void enc(struct strbuf *sb, const char *s, size_t len)
{
	urlenc_path(sb, s, len);
}

/*
 * Collapses runs of '/' after the "scheme://" (or from the start, when
 * there is no scheme) into one.
 */
static void collapse_slashes(struct strbuf *sb, size_t from)
{
	char *s = sb->buf + from;
	char *scheme = strstr(s, "://");
	char *r, *w;

	if (scheme && (size_t)(scheme - s) < 16)
		s = scheme + 3;
	for (r = w = s; *r; r++) {
		if (*r == '/' && w > s && w[-1] == '/')
			continue;
		*w++ = *r;
	}
	*w = '\0';
	sb->len = (size_t)(w - sb->buf);
}

void template_expand(struct strbuf *out, const struct template *t,
		     const char *base, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	const char *dot = strrchr(name, '.');
	size_t from = out->len, i;

	/* collapse_slashes needs storage even when nothing is appended. */
	strbuf_grow(out, 0);
	/* A leading dot makes a hidden name, not an extension. */
	if (dot == name)
		dot = NULL;
	for (i = 0; i < t->n; i++) {
		switch (t->parts[i].var) {
		case T_TEXT:
			strbuf_addstr(out, t->parts[i].text);
			break;
		case T_BASE:
			strbuf_addstr(out, base ? base : "");
			break;
		case T_PATH:
			enc(out, path, strlen(path));
			break;
		case T_DIR:
			enc(out, path, slash ? (size_t)(slash - path) : 0);
			break;
		case T_NAME:
			enc(out, name, strlen(name));
			break;
		case T_STEM:
			enc(out, name, dot ? (size_t)(dot - name) : strlen(name));
			break;
		case T_EXT:
			if (dot)
				enc(out, dot + 1, strlen(dot + 1));
			break;
		}
	}
	collapse_slashes(out, from);
}

void template_free(struct template *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		free(t->parts[i].text);
	free(t->parts);
	free(t->text);
	free(t);
}
