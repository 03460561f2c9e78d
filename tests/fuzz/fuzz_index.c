/*
 * libFuzzer target for hook/indexlinks.c: git's index file as the parser
 * reads it, straight from a clone's .git/index. The input is untrusted
 * bytes; the top tree the run needs is taken from the input's last 20
 * bytes (the checksum's place), so that inputs whose TREE extension names
 * it reach the accepting path. What is promised: no crash or read out of
 * bounds; 0 leaves found as it was; 1 adds pairs of a path below the
 * folder asked for and a 40-digit object id.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../hook/indexlinks.h"
#include "../../util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static void one(const uint8_t *data, size_t size, const git_oid *top,
		const char *under)
{
	struct strvec found = STRVEC_INIT;
	size_t i, ulen = strlen(under);
	int rc;

	strvec_push(&found, "before");
	rc = indexlinks_parse(&found, data, size, top, under);
	CHECK(rc == 0 || rc == 1);
	if (rc == 0)
		CHECK(found.n == 1);
	CHECK((found.n - 1) % 2 == 0);
	for (i = 1; i + 1 < found.n; i += 2) {
		CHECK(!ulen || (!strncmp(found.v[i], under, ulen) &&
				found.v[i][ulen] == '/'));
		CHECK(strlen(found.v[i + 1]) == GIT_OID_HEXSZ);
	}
	strvec_clear(&found);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	git_oid top;

	memset(&top, 0, sizeof(top));
	if (size >= GIT_OID_RAWSZ)
		git_oid_fromraw(&top, data + size - GIT_OID_RAWSZ);
	one(data, size, &top, "");
	one(data, size, &top, "public");
	return 0;
}
