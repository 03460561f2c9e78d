#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tests.h"
#include "../../hook/refline.h"
#include "../../util/util.h"

#define A "1111111111111111111111111111111111111111"
#define B "2222222222222222222222222222222222222222"
#define Z "0000000000000000000000000000000000000000"

static int parse(struct ref_update *u, const char *line, struct err *e)
{
	return refline_parse(u, line, strlen(line), e);
}

static void check_bad(const char *line, const char *want_in_msg)
{
	struct ref_update u;
	struct err e;

	e.msg[0] = '\0';
	if (CHECK(parse(&u, line, &e) < 0))
		CHECK(strstr(e.msg, want_in_msg) != NULL);
	else
		ref_update_release(&u);
}

void test_refline(void)
{
	struct ref_update u;
	struct err e;

	if (CHECK(parse(&u, A " " B " refs/heads/main", &e) == 0)) {
		CHECK_STR(u.old_hex, A);
		CHECK_STR(u.new_hex, B);
		CHECK_STR(u.ref, "refs/heads/main");
		CHECK(!u.created && !u.deleted);
		ref_update_release(&u);
	}
	if (CHECK(parse(&u, Z " " B " refs/heads/new", &e) == 0)) {
		CHECK(u.created && !u.deleted);
		ref_update_release(&u);
	}
	if (CHECK(parse(&u, A " " Z " refs/heads/old", &e) == 0)) {
		CHECK(!u.created && u.deleted);
		ref_update_release(&u);
	}
	check_bad("", "expected");
	check_bad("garbage", "expected");
	check_bad(A " " B, "expected");
	check_bad(A " " B " ", "missing ref");
	check_bad(A " " B " main", "refs/");
	check_bad(A " " B " refs/heads/a b", "space");
	check_bad(A " " B " refs/heads/main\r", "control");
	check_bad(A "  " B " refs/heads/main", "expected");
	check_bad("1111111111111111111111111111111111111111111111111111111111111111 "
		  "2222222222222222222222222222222222222222222222222222222222222222 "
		  "refs/heads/main", "SHA-256");
	check_bad("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA " B " refs/heads/x",
		  "expected");
	check_bad(Z " " Z " refs/heads/main", "zeros");
	CHECK(refline_is_zero(Z));
	CHECK(!refline_is_zero(A));
}
