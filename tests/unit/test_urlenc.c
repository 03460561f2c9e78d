#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tests.h"
#include "../../mapping/urlenc.h"
#include "../../util/util.h"

static void check_enc(const char *in, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	urlenc_path(&sb, in, strlen(in));
	CHECK_STR(strbuf_str(&sb), want);
	strbuf_release(&sb);
}

/*
 * Every byte, including NUL inside the length, against the set the header
 * names, so that a table that drifts from it fails here.
 */
static void check_every_byte(void)
{
	static const char kept[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"abcdefghijklmnopqrstuvwxyz0123456789-._~/!$&'()*+,;=:@";
	int c;

	for (c = 0; c < 256; c++) {
		struct strbuf sb = STRBUF_INIT;
		char in = (char)c, want[4];

		if (c && strchr(kept, c))
			snprintf(want, sizeof(want), "%c", c);
		else
			snprintf(want, sizeof(want), "%%%02X", (unsigned)c);
		urlenc_path(&sb, &in, 1);
		CHECK_STR(strbuf_str(&sb), want);
		strbuf_release(&sb);
	}
}

void test_urlenc(void)
{
	check_every_byte();
	check_enc("a/b.html", "a/b.html");
	check_enc("hash#tag.html", "hash%23tag.html");
	check_enc("a&b.html", "a&b.html");
	check_enc("q?.html", "q%3F.html");
	check_enc("100%.html", "100%25.html");
	check_enc("with space.html", "with%20space.html");
	check_enc("tab\there", "tab%09here");
	check_enc("new\nline", "new%0Aline");
	check_enc("caf\xc3\xa9.html", "caf%C3%A9.html");
	check_enc("-._~!$&'()*+,;=:@", "-._~!$&'()*+,;=:@");
	check_enc("\"<>\\^`{|}[]", "%22%3C%3E%5C%5E%60%7B%7C%7D%5B%5D");
	check_enc("\x7f\x01", "%7F%01");
	check_enc("", "");
}
