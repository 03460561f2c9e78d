/*
 * libcurl, loaded when something is about to be sent. Most runs never
 * touch the network (a dry run, check, explain, a push with nothing to
 * purge), and linking libcurl would have them load and relocate some thirty
 * libraries it needs (TLS, HTTP/2, SSH, LDAP, Kerberos...) for nothing: a
 * third of the start-up time. So libcurl is opened with dlopen() on first
 * use, and its functions are called through the table below.
 *
 * Only <curl/curl.h> is needed at build time, for the types; each pointer
 * is checked against libcurl's own prototype when libcurl.c is compiled.
 */
#ifndef CFPH_LIBCURL_H
#define CFPH_LIBCURL_H

#include <curl/curl.h>
#include <time.h>

#include "../util/util.h"

/*
 * The shared library opened: the run-time name of libcurl 4. When it is
 * missing, Debian's GnuTLS build (libcurl-gnutls.so.4) is tried next.
 */
#define LIBCURL_SONAME "libcurl.so.4"

/*
 * The functions this program uses, named as in libcurl without "curl_".
 * Called through these pointers, easy_setopt() and easy_getinfo() lose
 * the argument checks that <curl/curl.h> gives the real functions under
 * gcc: each value must have exactly the type the option documents (a
 * long, not an int; a char *; a function pointer of the callback's type).
 */
struct libcurl {
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *curl);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *curl);
	const char *(*easy_strerror)(CURLcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *list,
					   const char *data);
	void (*slist_free_all)(struct curl_slist *list);
	time_t (*getdate)(const char *p, const time_t *unused);
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	curl_version_info_data *(*version_info)(CURLversion stamp);
	/* The multi interface and header access, for verify/fetch.c. */
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_add_handle)(CURLM *multi, CURL *curl);
	CURLMcode (*multi_remove_handle)(CURLM *multi, CURL *curl);
	CURLMcode (*multi_perform)(CURLM *multi, int *running);
	CURLMcode (*multi_poll)(CURLM *multi, struct curl_waitfd extra[],
				unsigned int n_extra, int timeout_ms,
				int *numfds);
	CURLMsg *(*multi_info_read)(CURLM *multi, int *msgs_in_queue);
	CURLMcode (*multi_cleanup)(CURLM *multi);
	CURLHcode (*easy_header)(CURL *curl, const char *name, size_t index,
				 unsigned int origin, int request,
				 struct curl_header **hout);
};

/*
 * Loads libcurl and initialises it (curl_global_init), the first time it
 * is called; later calls return the same table at once. On success,
 * returns 0 with *out pointing to the table, which stays valid until the
 * process ends (libcurl is never unloaded). Returns -1 with e set and *out
 * NULL when libcurl cannot be loaded (by either name), lacks a function,
 * is older than this program needs, or fails to initialise; a later call
 * tries again.
 *
 * Not thread-safe: the table and the flag saying it is loaded are plain
 * statics. Call it from one thread.
 */
int libcurl_load(const struct libcurl **out, struct err *e);

/*
 * Releases libcurl's global state (curl_global_cleanup) if libcurl_load
 * initialised it, and does nothing otherwise. Call once, at exit, after
 * every handle is cleaned up.
 */
void libcurl_release(void);

#endif
