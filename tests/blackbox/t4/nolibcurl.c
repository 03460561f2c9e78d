/*
 * Preloaded (LD_PRELOAD) by t4-delivery.sh to play a machine without
 * libcurl: dlopen() of each name listed in $NOLIBCURL (space-separated;
 * by default both names the program tries, libcurl.so.4 and
 * libcurl-gnutls.so.4) fails with the message the dynamic loader gives for
 * a library that is not installed. Every other dlopen() goes to the real
 * one.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

static int blocked(const char *file)
{
	const char *list = getenv("NOLIBCURL"), *s;
	size_t n = strlen(file);

	if (!list)
		list = "libcurl.so.4 libcurl-gnutls.so.4";
	for (s = list; (s = strstr(s, file)); s += n)
		if ((s == list || s[-1] == ' ') && (!s[n] || s[n] == ' '))
			return 1;
	return 0;
}

void *dlopen(const char *file, int mode)
{
	void *(*real)(const char *, int);

	*(void **)&real = dlsym(RTLD_NEXT, "dlopen");
	if (file && *file && blocked(file))
		file = "/nonexistent/libcurl.so.4";
	return real(file, mode);
}
