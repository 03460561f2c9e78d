/*
 * libFuzzer target for purge/reply.c: Cloudflare's v4 envelope read with
 * cJSON, and the one-line account of a failure that the hook prints to
 * the person pushing. The first two input bytes are the HTTP status (big
 * endian, 0 to 65535); the rest is the body. The account must be one line
 * with no control character, since Cloudflare's text reaches a terminal.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../purge/reply.h"
#include "../../util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cf_reply r;
	struct strbuf sb = STRBUF_INIT;
	char head[32];
	long status;
	size_t i;

	if (size < 2)
		return 0;
	status = (long)data[0] << 8 | data[1];

	cf_reply_parse(&r, status, (const char *)data + 2, size - 2);
	CHECK(r.http_status == status);
	CHECK(r.success == 0 || r.success == 1);
	CHECK(r.is_json == 0 || r.is_json == 1);
	if (r.success)
		CHECK(r.is_json && status >= 200 && status < 300);
	if (!r.is_json)
		CHECK(!r.success && r.n_errors == 0 && r.id == NULL &&
		      r.result == NULL);
	CHECK((r.n_errors == 0) == (r.errors == NULL));
	for (i = 0; i < r.n_errors; i++)
		CHECK(r.errors[i].message != NULL);

	cf_reply_describe(&sb, &r);
	CHECK(sb.buf != NULL && sb.len == strlen(sb.buf));
	snprintf(head, sizeof(head), "HTTP %ld", status);
	CHECK(strncmp(sb.buf, head, strlen(head)) == 0);
	for (i = 0; i < sb.len; i++) {
		unsigned char c = (unsigned char)sb.buf[i];
		CHECK(c >= 0x20 && c != 0x7f);
	}
	strbuf_release(&sb);

	cf_reply_release(&r);
	CHECK(r.errors == NULL && r.id == NULL && r.n_errors == 0 &&
	      r.result == NULL);
	return 0;
}
