#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tests.h"
#include "../../purge/reply.h"

static void parse(struct cf_reply *r, long status, const char *body)
{
	cf_reply_parse(r, status, body, strlen(body));
}

void test_reply(void)
{
	struct cf_reply r;
	struct strbuf sb = STRBUF_INIT;

	parse(&r, 200, "{\"success\":true,\"errors\":[],\"messages\":[],"
		       "\"result\":{\"id\":\"9a7806061c88ada191ed06f989cc3dac\"}}");
	CHECK(r.success && r.is_json);
	CHECK_STR(r.id, "9a7806061c88ada191ed06f989cc3dac");
	CHECK_INT(r.n_errors, 0);
	cf_reply_release(&r);

	parse(&r, 403, "{\"success\":false,\"errors\":[{\"code\":10000,"
		       "\"message\":\"Authentication error\"}],\"messages\":[],"
		       "\"result\":null}");
	CHECK(!r.success && r.is_json);
	if (CHECK_INT(r.n_errors, 1)) {
		CHECK_INT(r.errors[0].code, 10000);
		CHECK_STR(r.errors[0].message, "Authentication error");
	}
	cf_reply_describe(&sb, &r);
	CHECK_STR(sb.buf, "HTTP 403: error 10000: Authentication error");
	strbuf_release(&sb);
	cf_reply_release(&r);

	/* success true with an error status is still a failure. */
	parse(&r, 500, "{\"success\":true,\"errors\":[]}");
	CHECK(!r.success);
	cf_reply_release(&r);

	parse(&r, 502, "<html>Bad gateway</html>");
	CHECK(!r.success && !r.is_json);
	cf_reply_describe(&sb, &r);
	CHECK_STR(sb.buf, "HTTP 502: the answer is not a Cloudflare API reply");
	strbuf_release(&sb);
	cf_reply_release(&r);

	/* Odd shapes never crash and never count as success. */
	parse(&r, 200, "[1,2]");
	CHECK(!r.success && !r.is_json);
	cf_reply_release(&r);
	parse(&r, 200, "{\"success\":\"yes\"}");
	CHECK(!r.success && !r.is_json);
	cf_reply_release(&r);
	parse(&r, 400, "{\"success\":false,\"errors\":[{\"code\":1e300},"
		       "{\"message\":\"a\\nb\"},7],\"result\":{\"id\":5}}");
	CHECK(!r.success && r.is_json);
	CHECK_INT(r.n_errors, 3);
	CHECK(r.id == NULL);
	cf_reply_describe(&sb, &r);
	CHECK_STR(sb.buf, "HTTP 400: error 0: ; error 0: a?b; error 0: ");
	strbuf_release(&sb);
	cf_reply_release(&r);
	parse(&r, 400, "{\"success\":false,\"errors\":[]}");
	cf_reply_describe(&sb, &r);
	CHECK_STR(sb.buf, "HTTP 400: \"success\" is false, with no error");
	strbuf_release(&sb);
	cf_reply_release(&r);
}
