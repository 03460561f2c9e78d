/*
 * libFuzzer target for mapping/urlenc.c and map_file_url(): the encoding
 * of repository paths into the URL paths that Cloudflare's cache keys on.
 * The output may hold only what urlenc.h lists (unreserved characters,
 * '/', the sub-delimiters, ':', '@' and %XX with uppercase hex), and
 * decoding it must give back the input byte for byte, NULs included.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../mapping/map.h"
#include "../../mapping/urlenc.h"
#include "../../util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static int kept(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("-._~/!$&'()*+,;=:@", c) != NULL);
}

static int upper_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Checks that enc (len bytes) is a valid encoding of in (n bytes). */
static void check_encoding(const char *enc, size_t len, const uint8_t *in,
			   size_t n)
{
	size_t i = 0, j = 0;

	while (i < len) {
		unsigned char c = (unsigned char)enc[i];

		CHECK(j < n);
		if (c == '%') {
			int hi, lo;

			CHECK(i + 2 < len);
			hi = upper_hex((unsigned char)enc[i + 1]);
			lo = upper_hex((unsigned char)enc[i + 2]);
			CHECK(hi >= 0 && lo >= 0);
			CHECK(in[j] == (unsigned char)(hi << 4 | lo));
			/* What may stay as it is must not be encoded. */
			CHECK(!kept(in[j]));
			i += 3;
		} else {
			CHECK(kept(c));
			CHECK(in[j] == c);
			i++;
		}
		j++;
	}
	CHECK(j == n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char base[] = "https://example.com";
	struct strbuf sb = STRBUF_INIT;
	struct strbuf url;
	char *rel;
	size_t rel_len;

	/* From STRBUF_INIT, as callers that never call strbuf_init do. */
	urlenc_path(&sb, (const char *)data, size);
	CHECK(sb.buf != NULL && sb.buf[sb.len] == '\0');
	CHECK(sb.len >= size && sb.len <= 3 * size);
	check_encoding(sb.buf, sb.len, data, size);

	/* Appending keeps what the buffer held. */
	strbuf_setlen(&sb, 0);
	strbuf_addstr(&sb, "x");
	urlenc_path(&sb, (const char *)data, size);
	CHECK(sb.buf[0] == 'x');
	check_encoding(sb.buf + 1, sb.len - 1, data, size);
	strbuf_release(&sb);

	/* map_file_url reads rel as a C string: up to the first NUL. */
	rel = xstrndup((const char *)data, size);
	rel_len = strlen(rel);
	strbuf_init(&url);
	map_file_url(&url, base, rel);
	CHECK(url.len >= sizeof(base));
	CHECK(memcmp(url.buf, base, sizeof(base) - 1) == 0);
	CHECK(url.buf[sizeof(base) - 1] == '/');
	check_encoding(url.buf + sizeof(base), url.len - sizeof(base),
		       (const uint8_t *)rel, rel_len);
	/* No byte of the URL can end it early or start a query or fragment. */
	CHECK(strlen(url.buf) == url.len);
	CHECK(strpbrk(url.buf, "?# \"<>\\^`{|}") == NULL);
	strbuf_release(&url);
	free(rel);
	return 0;
}
