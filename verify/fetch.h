/*
 * GETs many URLs of the site as a browser would, a few at a time, through
 * libcurl's multi interface (loaded at run time, purge/libcurl.h): the
 * body decoded as curl decodes gzip and br, the edge's cache headers
 * kept, nothing that identifies the API token or the person sent (no
 * Authorization, no cookie), TLS verified, and a redirect followed only
 * within its own scheme, host and port, at most FETCH_MAX_REDIRECTS
 * times. Nothing here prints.
 */
#ifndef CFPH_FETCH_H
#define CFPH_FETCH_H

#include <stddef.h>

#include "../util/util.h"

#define FETCH_MAX_REDIRECTS 3
/* A body longer than this is cut off, and not compared. */
#define FETCH_MAX_BODY (32u * 1024 * 1024)

/* One URL to GET, and what came back. */
struct fetch_req {
	const char *url;	/* borrowed; the URL asked for */
	int keep_body;		/* keep the decoded body in body */
	/* Filled in by fetch_all: */
	long status;		/* 0: no answer (see error) */
	struct strbuf body;
	int truncated;		/* the body passed FETCH_MAX_BODY */
	int redirects;		/* followed within the host */
	char *final_url;	/* owned, or NULL: the URL last requested,
				   when a redirect was followed */
	char *cache_status;	/* owned, or NULL: cf-cache-status */
	char *age;		/* owned, or NULL */
	char *cf_ray;		/* owned, or NULL */
	char *location;		/* owned, or NULL: a redirect not followed */
	char *error;		/* owned, or NULL: why there is no answer */
};

/* Releases what fetch_all filled in; url stays the caller's. */
void fetch_req_release(struct fetch_req *q);

struct fetch_opts {
	long concurrency;	/* requests in flight at once, at least 1 */
	double rate;		/* requests started per second at most */
	const char *connect_to;	/* "HOST:PORT", or NULL */
	const char *ca_bundle;	/* NULL: the system's certificates */
	double timeout;		/* seconds for one request */
	double deadline;	/* monotonic: nothing runs past it */
};

/*
 * Requests each of the n URLs at v and fills in its answer. A request
 * that is not finished when the deadline comes, or when a signal arrives
 * (cfph_interrupted), gets status 0 and an error saying so. Returns 0, or
 * -1 with e set when nothing could be requested at all (libcurl cannot
 * be loaded).
 */
int fetch_all(struct fetch_req *v, size_t n, const struct fetch_opts *o,
	      struct err *e);

/*
 * 1 when the absolute URLs a and b have the same scheme, host and port
 * (the host compared without regard to case), else 0.
 */
int fetch_same_origin(const char *a, const char *b);

#endif
