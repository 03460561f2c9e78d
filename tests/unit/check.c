#include "check.h"

#include <stdio.h>
#include <string.h>

int check_passed;
int check_failed;

int check_true(int cond, const char *expr, const char *file, int line)
{
	if (cond) {
		check_passed++;
		return 1;
	}
	check_failed++;
	fprintf(stderr, "FAIL %s:%d: %s\n", file, line, expr);
	return 0;
}

int check_streq(const char *got, const char *want, const char *expr,
		const char *file, int line)
{
	if (got && want && strcmp(got, want) == 0) {
		check_passed++;
		return 1;
	}
	if (!got && !want) {
		check_passed++;
		return 1;
	}
	check_failed++;
	fprintf(stderr, "FAIL %s:%d: %s\n  got:  %s%s%s\n  want: %s%s%s\n",
		file, line, expr, got ? "'" : "", got ? got : "(null)",
		got ? "'" : "", want ? "'" : "", want ? want : "(null)",
		want ? "'" : "");
	return 0;
}

int check_inteq(long long got, long long want, const char *expr,
		const char *file, int line)
{
	if (got == want) {
		check_passed++;
		return 1;
	}
	check_failed++;
	fprintf(stderr, "FAIL %s:%d: %s\n  got:  %lld\n  want: %lld\n", file,
		line, expr, got, want);
	return 0;
}
