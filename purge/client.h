/*
 * An HTTP client for Cloudflare's API v4 over libcurl. One client holds one
 * libcurl handle, so that every request of a run reuses one connection.
 * TLS verification is always on, redirects are never followed, and only
 * http and https are spoken.
 */
#ifndef CFPH_CLIENT_H
#define CFPH_CLIENT_H

#include "../mapping/util.h"
#include "reply.h"

struct cf_client;

/*
 * Initialises libcurl (once per process) and returns a client in *out for
 * the API at api_url. token is copied into a request header and wiped from
 * the client's memory by cf_client_free; it is never printed. Returns 0, or
 * -1 with e set.
 */
int cf_client_new(struct cf_client **out, const char *api_url,
		  const char *token, long timeout_seconds, struct err *e);

/*
 * POSTs the JSON body to {api_url}/zones/{zone_id}/purge_cache and reads
 * the answer into *reply (released by the caller with cf_reply_release).
 * Returns 0 when an answer arrived, whatever it says; -1 with e set when
 * none did (connection refused, timeout, TLS failure).
 */
int cf_client_purge(struct cf_client *c, const char *zone_id,
		    const char *body, struct cf_reply *reply, struct err *e);

void cf_client_free(struct cf_client *c);

/* Releases libcurl's global state; call once at exit when a client was made. */
void cf_client_global_cleanup(void);

#endif
