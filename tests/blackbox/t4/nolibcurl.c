/*
 * Preloaded (LD_PRELOAD) by t4-delivery.sh to play a machine without
 * libcurl: dlopen("libcurl.so.4") fails, with the message the dynamic
 * loader gives for a library that is not installed. Every other dlopen()
 * goes to the real one.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>

void *dlopen(const char *file, int mode)
{
	void *(*real)(const char *, int);

	*(void **)&real = dlsym(RTLD_NEXT, "dlopen");
	if (file && !strcmp(file, "libcurl.so.4"))
		file = "/nonexistent/libcurl.so.4";
	return real(file, mode);
}
