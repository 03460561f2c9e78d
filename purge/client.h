/*
 * An HTTP client for Cloudflare's API v4 over libcurl. One client holds one
 * libcurl handle, so that every request of a run reuses one connection.
 * TLS verification is always on, redirects are never followed (so that
 * credentials never go to another host), and only http and https are
 * spoken.
 */
#ifndef CFPH_CLIENT_H
#define CFPH_CLIENT_H

#include "../util/util.h"
#include "reply.h"

struct cf_client;

/* Credentials: a token, or the legacy e-mail and global API key. */
struct cf_auth {
	const char *token;
	const char *email;
	const char *key;
};

/*
 * Returns a client in *out for the API at api_url, loading and
 * initialising libcurl first when this is its first use in the process
 * (see libcurl.h). The credentials are copied into request headers that
 * cf_client_free wipes; they are never printed. ca_bundle may be NULL for
 * the system's certificates. Returns 0, or -1 with e set, and *out NULL,
 * when libcurl cannot be loaded or a handle cannot be made: then nothing
 * can be sent in this run, and the caller spools what it meant to send.
 */
int cf_client_new(struct cf_client **out, const char *api_url,
		  const struct cf_auth *auth, const char *ca_bundle,
		  struct err *e);

/*
 * POSTs the JSON body to {api_url}/{path} (path such as
 * "zones/ID/purge_cache"), or GETs it when body is NULL, waiting at most
 * timeout seconds. Reads the answer into *reply (released by the caller
 * with cf_reply_release). Returns 0 when an answer arrived, whatever it
 * says; -1 with e set when none did (connection refused or dropped, a
 * timeout, a TLS failure).
 */
int cf_client_call(struct cf_client *c, const char *path, const char *body,
		   double timeout, struct cf_reply *reply, struct err *e);

void cf_client_free(struct cf_client *c);

#endif
