/*
 * libFuzzer target for built/manifest.c: the manifest fetched from the
 * live site ([state] manifest_url), untrusted bytes from the network. The
 * trees it builds go to an in-memory object store, emptied after each
 * input. What is promised: no crash, read out of bounds, leak or deep
 * recursion (a path of many folders is refused before the tree build);
 * -1 comes with a reason; 0 comes with no reason and the tree id that the
 * manifest's first line names.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>

#include "../../built/manifest.h"
#include "../../util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)
#define MAGIC "cf-purge-hook manifest 1 "

static git_odb *odb;
static git_odb_backend *mem;

static void setup(void)
{
	git_libgit2_init();
	CHECK(git_odb_new(&odb) == 0);
	CHECK(git_mempack_new(&mem) == 0);
	CHECK(git_odb_add_backend(odb, mem, 1) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *why = (char *)"unset";
	git_oid out, named;
	int rc;

	if (!odb)
		setup();
	rc = manifest_parse(&out, &why, odb, (const char *)data, size);
	CHECK(rc == 0 || rc == -1);
	if (rc < 0) {
		CHECK(why != NULL && *why);
	} else {
		CHECK(why == NULL);
		CHECK(size > strlen(MAGIC) + GIT_OID_HEXSZ);
		CHECK(git_oid_fromstrn(&named, (const char *)data +
				       strlen(MAGIC), GIT_OID_HEXSZ) == 0);
		CHECK(git_oid_equal(&out, &named));
	}
	free(why == (char *)"unset" ? NULL : why);
	git_mempack_reset(mem);
	return 0;
}
