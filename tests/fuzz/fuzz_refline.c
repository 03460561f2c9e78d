/*
 * libFuzzer target for hook/refline.c: the "<old> <new> <ref>" lines that
 * git writes to a post-receive hook. The input is parsed whole, then split
 * at each LF and parsed line by line, as run_add_hook_input() does. Every
 * line that parses must satisfy the promises of refline.h; a failure must
 * leave a message and nothing to free (the hook frees nothing then).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../hook/refline.h"
#include "../../util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static int is_lower_hex_id(const char *s)
{
	size_t i;

	for (i = 0; i < REFLINE_HEXSZ; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[REFLINE_HEXSZ] == '\0';
}

static int all_zeros(const char *s)
{
	return strspn(s, "0") == REFLINE_HEXSZ;
}

static void parse_one(const char *line, size_t len)
{
	struct ref_update u;
	struct err e;
	size_t i, reflen;

	memset(&e, 0, sizeof(e));
	if (refline_parse(&u, line, len, &e) < 0) {
		CHECK(e.msg[0] != '\0');
		CHECK(memchr(e.msg, '\0', sizeof(e.msg)) != NULL);
		/* The hook does not release a failed update: nothing may be
		 * left to free. */
		CHECK(u.ref == NULL);
		return;
	}

	CHECK(is_lower_hex_id(u.old_hex));
	CHECK(is_lower_hex_id(u.new_hex));
	CHECK(u.ref != NULL);
	CHECK(strncmp(u.ref, "refs/", 5) == 0);
	reflen = strlen(u.ref);
	/* The line is exactly "<40 hex> <40 hex> <ref>". */
	CHECK(len == 2 * (REFLINE_HEXSZ + 1) + reflen);
	CHECK(memcmp(line, u.old_hex, REFLINE_HEXSZ) == 0);
	CHECK(line[REFLINE_HEXSZ] == ' ');
	CHECK(memcmp(line + REFLINE_HEXSZ + 1, u.new_hex, REFLINE_HEXSZ) == 0);
	CHECK(line[2 * REFLINE_HEXSZ + 1] == ' ');
	CHECK(memcmp(line + 2 * (REFLINE_HEXSZ + 1), u.ref, reflen) == 0);
	for (i = 0; i < reflen; i++) {
		unsigned char c = (unsigned char)u.ref[i];
		CHECK(c > ' ' && c != 0x7f);
	}

	CHECK(u.created == all_zeros(u.old_hex));
	CHECK(u.deleted == all_zeros(u.new_hex));
	CHECK(u.created == refline_is_zero(u.old_hex));
	CHECK(u.deleted == refline_is_zero(u.new_hex));
	CHECK(!(u.created && u.deleted));

	ref_update_release(&u);
	CHECK(u.ref == NULL);
	/* Releasing twice must be harmless. */
	ref_update_release(&u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t pos = 0;

	parse_one(buf, size);

	/* Line by line, as the hook reads its standard input. */
	while (pos < size) {
		const char *start = buf + pos;
		const char *nl = memchr(start, '\n', size - pos);
		size_t n = nl ? (size_t)(nl - start) : size - pos;

		parse_one(start, n);
		pos += n + (nl ? 1 : 0);
	}
	return 0;
}
