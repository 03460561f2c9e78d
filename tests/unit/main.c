/*
 * Runs every unit test and ends with "N passed, N failed" for the checks.
 */
#include <stdio.h>

#include "check.h"
#include "tests.h"

int main(void)
{
	test_pattern();
	test_urlenc();
	test_refline();
	test_plan();
	test_plan_cap_items();
	test_map();
	test_config();
	test_reply();
	test_template();
	test_links();
	test_shared();
	test_spool();
	test_fold();
	test_verify();
	printf("unit: %d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}
