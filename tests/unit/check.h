/*
 * A minimal unit-test harness. Each test file defines one or more
 * functions `void test_NAME(void)` that call CHECK and friends; main.c runs
 * them. A failed check prints its file, line and expression and counts as
 * one failure; the run ends with "N passed, N failed" for the checks.
 */
#ifndef CFPH_CHECK_H
#define CFPH_CHECK_H

#include <stddef.h>

extern int check_passed;
extern int check_failed;

/* Both return cond, so a test can stop early when a check failed. */
int check_true(int cond, const char *expr, const char *file, int line);
int check_streq(const char *got, const char *want, const char *expr,
		const char *file, int line);
int check_inteq(long long got, long long want, const char *expr,
		const char *file, int line);

#define CHECK(cond) check_true(!!(cond), #cond, __FILE__, __LINE__)
#define CHECK_STR(got, want) \
	check_streq((got), (want), #got, __FILE__, __LINE__)
#define CHECK_INT(got, want) \
	check_inteq((long long)(got), (long long)(want), #got, __FILE__, __LINE__)

#endif
