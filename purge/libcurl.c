#include "libcurl.h"

#include <dlfcn.h>
#include <string.h>

/*
 * CURLOPT_PROTOCOLS_STR, which keeps every request to http and https,
 * came with 7.85.0. An older libcurl would ignore it without a word, so it
 * is refused instead.
 */
#define MIN_VERSION_NUM 0x075500
#define MIN_VERSION "7.85.0"

static struct libcurl api;
static int loaded;		/* api is filled in and curl_global_init done */

/*
 * The names libcurl 4 goes by, tried in turn: Debian's libcurl4 (built
 * with OpenSSL), which building this program installs, then
 * libcurl3-gnutls, which git itself depends on and so is on every Debian
 * git server. Both have the same interface.
 */
static const char *const sonames[] = { LIBCURL_SONAME, "libcurl-gnutls.so.4" };

/*
 * Each pointer in struct libcurl must have the type of the function it
 * will hold, as <curl/curl.h> declares it; a mismatch stops the build.
 * _Generic does not evaluate its operand, so naming libcurl's functions
 * here does not link the program against libcurl.
 */
#define SAME_TYPE(field, function) \
	_Static_assert(_Generic(&function, __typeof__(api.field): 1, \
				default: 0), \
		       "struct libcurl: '" #field "' is not typed as " #function)

SAME_TYPE(easy_init, curl_easy_init);
SAME_TYPE(easy_setopt, curl_easy_setopt);
SAME_TYPE(easy_perform, curl_easy_perform);
SAME_TYPE(easy_getinfo, curl_easy_getinfo);
SAME_TYPE(easy_cleanup, curl_easy_cleanup);
SAME_TYPE(easy_strerror, curl_easy_strerror);
SAME_TYPE(slist_append, curl_slist_append);
SAME_TYPE(slist_free_all, curl_slist_free_all);
SAME_TYPE(getdate, curl_getdate);
SAME_TYPE(global_init, curl_global_init);
SAME_TYPE(global_cleanup, curl_global_cleanup);
SAME_TYPE(version_info, curl_version_info);
SAME_TYPE(multi_init, curl_multi_init);
SAME_TYPE(multi_add_handle, curl_multi_add_handle);
SAME_TYPE(multi_remove_handle, curl_multi_remove_handle);
SAME_TYPE(multi_perform, curl_multi_perform);
SAME_TYPE(multi_poll, curl_multi_poll);
SAME_TYPE(multi_info_read, curl_multi_info_read);
SAME_TYPE(multi_cleanup, curl_multi_cleanup);
SAME_TYPE(easy_header, curl_easy_header);

/*
 * Stores the address of the function name in *slot. POSIX's dlsym()
 * returns a function's address as a void pointer and specifies that it
 * can be stored through a void ** that points to a function pointer.
 */
static int resolve(void *handle, const char *name, void **slot,
		   struct err *e)
{
	const char *why;

	dlerror();
	*slot = dlsym(handle, name);
	if (*slot)
		return 0;
	why = dlerror();
	return err_set(e, "cannot use libcurl: %s",
		       why ? why : "a function is missing");
}

static int resolve_all(void *h, struct libcurl *a, struct err *e)
{
	if (resolve(h, "curl_easy_init", (void **)&a->easy_init, e) < 0 ||
	    resolve(h, "curl_easy_setopt", (void **)&a->easy_setopt, e) < 0 ||
	    resolve(h, "curl_easy_perform", (void **)&a->easy_perform, e) < 0 ||
	    resolve(h, "curl_easy_getinfo", (void **)&a->easy_getinfo, e) < 0 ||
	    resolve(h, "curl_easy_cleanup", (void **)&a->easy_cleanup, e) < 0 ||
	    resolve(h, "curl_easy_strerror", (void **)&a->easy_strerror,
		    e) < 0 ||
	    resolve(h, "curl_slist_append", (void **)&a->slist_append, e) < 0 ||
	    resolve(h, "curl_slist_free_all", (void **)&a->slist_free_all,
		    e) < 0 ||
	    resolve(h, "curl_getdate", (void **)&a->getdate, e) < 0 ||
	    resolve(h, "curl_global_init", (void **)&a->global_init, e) < 0 ||
	    resolve(h, "curl_global_cleanup", (void **)&a->global_cleanup,
		    e) < 0 ||
	    resolve(h, "curl_version_info", (void **)&a->version_info, e) < 0 ||
	    resolve(h, "curl_multi_init", (void **)&a->multi_init, e) < 0 ||
	    resolve(h, "curl_multi_add_handle", (void **)&a->multi_add_handle,
		    e) < 0 ||
	    resolve(h, "curl_multi_remove_handle",
		    (void **)&a->multi_remove_handle, e) < 0 ||
	    resolve(h, "curl_multi_perform", (void **)&a->multi_perform,
		    e) < 0 ||
	    resolve(h, "curl_multi_poll", (void **)&a->multi_poll, e) < 0 ||
	    resolve(h, "curl_multi_info_read", (void **)&a->multi_info_read,
		    e) < 0 ||
	    resolve(h, "curl_multi_cleanup", (void **)&a->multi_cleanup,
		    e) < 0 ||
	    resolve(h, "curl_easy_header", (void **)&a->easy_header, e) < 0)
		return -1;
	return 0;
}

int libcurl_load(const struct libcurl **out, struct err *e)
{
	struct libcurl a;
	const curl_version_info_data *v;
	const char *name = NULL;
	CURLcode rc;
	void *h = NULL;
	size_t i;

	*out = NULL;
	if (loaded) {
		*out = &api;
		return 0;
	}
	/*
	 * A second dlopen() of a library already open only counts one more
	 * reference, so trying again after a failure below costs nothing.
	 * The handle is never closed: libcurl and the TLS library under it
	 * keep global state until the process ends.
	 */
	for (i = 0; i < sizeof(sonames) / sizeof(sonames[0]); i++) {
		const char *why;

		name = sonames[i];
		h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
		if (h)
			break;
		/* The first name's reason is the one to report. */
		why = dlerror();
		if (i == 0)
			err_set(e, "cannot load libcurl ('%s'): %s; install it "
				"(Debian: libcurl4)", name,
				why ? why : "dlopen failed");
	}
	if (!h)
		return -1;
	memset(&a, 0, sizeof(a));
	if (resolve_all(h, &a, e) < 0)
		return -1;
	v = a.version_info(CURLVERSION_NOW);
	if (!v || v->version_num < MIN_VERSION_NUM)
		return err_set(e, "cannot use libcurl %s ('%s'): this program "
			       "needs %s or later", v ? v->version : "?",
			       name, MIN_VERSION);
	rc = a.global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK)
		return err_set(e, "cannot initialise libcurl: %s",
			       a.easy_strerror(rc));
	api = a;
	loaded = 1;
	*out = &api;
	return 0;
}

void libcurl_release(void)
{
	if (loaded)
		api.global_cleanup();
	loaded = 0;
}
