#include "refline.h"
#include "../util/util.h"

#include <stdlib.h>
#include <string.h>

static size_t hex_run(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && ((s[n] >= '0' && s[n] <= '9') ||
			   (s[n] >= 'a' && s[n] <= 'f')))
		n++;
	return n;
}

int refline_is_zero(const char *hex)
{
	size_t i;

	for (i = 0; i < REFLINE_HEXSZ; i++)
		if (hex[i] != '0')
			return 0;
	return hex[i] == '\0';
}

static int parse_id(char *out, const char *s, size_t len, size_t *used,
		    const char *which, struct err *e)
{
	size_t n = hex_run(s, len);

	if (n == 64)
		return err_set(e, "%s id has 64 hex digits (a SHA-256 "
			       "repository); this build's libgit2 supports "
			       "only SHA-1 repositories", which);
	if (n != REFLINE_HEXSZ || n >= len || s[n] != ' ')
		return err_set(e, "expected '<old-id> <new-id> <ref>' with "
			       "40-digit lowercase hex ids");
	memcpy(out, s, n);
	out[n] = '\0';
	*used = n + 1;
	return 0;
}

int refline_parse(struct ref_update *out, const char *line, size_t len,
		  struct err *e)
{
	size_t used, i;
	const char *ref;
	size_t reflen;

	memset(out, 0, sizeof(*out));
	if (parse_id(out->old_hex, line, len, &used, "old", e) < 0)
		return -1;
	line += used;
	len -= used;
	if (parse_id(out->new_hex, line, len, &used, "new", e) < 0)
		return -1;
	ref = line + used;
	reflen = len - used;
	if (reflen == 0)
		return err_set(e, "missing ref name after the two ids");
	for (i = 0; i < reflen; i++) {
		unsigned char c = (unsigned char)ref[i];
		if (c <= ' ' || c == 0x7f)
			return err_set(e, "ref name contains a space or "
				       "control character");
	}
	if (reflen < 5 || memcmp(ref, "refs/", 5) != 0)
		return err_set(e, "ref name does not start with 'refs/'");
	out->ref = xstrndup(ref, reflen);
	out->created = refline_is_zero(out->old_hex);
	out->deleted = refline_is_zero(out->new_hex);
	if (out->created && out->deleted) {
		ref_update_release(out);
		return err_set(e, "both ids are all zeros");
	}
	return 0;
}

void ref_update_release(struct ref_update *u)
{
	free(u->ref);
	u->ref = NULL;
}
