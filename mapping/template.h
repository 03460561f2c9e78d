/*
 * URL templates of [map] sections: text with the variables {base} (each
 * [site] base_url in turn), {path} (the repository path, after the
 * section's strip), {dir} (its folder, no trailing slash, empty at the
 * top), {name}, {stem} (the name without its last extension) and {ext}
 * (that extension, without the dot). Path variables are percent-encoded as
 * a browser requests them. After the expansion, every run of slashes
 * collapses to one: those an empty variable leaves, and any in the text,
 * the base or the path. Only a "scheme://" within the first 16 bytes
 * keeps its two slashes.
 */
#ifndef CFPH_TEMPLATE_H
#define CFPH_TEMPLATE_H

#include "../util/util.h"

struct template;

/*
 * Compiles text. Returns 0 and sets *out (freed with template_free), or -1
 * with e naming an unknown variable or an unclosed '{'.
 */
int template_compile(struct template **out, const char *text, struct err *e);

/* 1 when the template uses {base}: it then yields one item per base. */
int template_uses_base(const struct template *t);

/* The text given to template_compile, valid until template_free. */
const char *template_text(const struct template *t);

/*
 * Appends the expansion for base (a base_url without a trailing slash;
 * ignored unless the template uses it) and path to out.
 */
void template_expand(struct strbuf *out, const struct template *t,
		     const char *base, const char *path);

void template_free(struct template *t);

#endif
