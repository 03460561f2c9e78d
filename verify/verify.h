/*
 * Verify: after a purge, ask the edge for each URL the changed files are
 * served at, and tell whether it serves what was deployed (verdict.h).
 * The caller (hook/verify_cmd.c) collects the URLs with what each should
 * serve, and decides what to purge again; this module only requests and
 * judges, and never prints.
 *
 * What it takes from the rest: the [verify] values of a configuration,
 * read during each call; libcurl through verify/fetch.h. It never
 * includes anything of hook/ or built/.
 */
#ifndef CFPH_VERIFY_H
#define CFPH_VERIFY_H

#include <stddef.h>

#include "verdict.h"
#include "../mapping/config.h"
#include "../util/util.h"

/* One URL to check, and what the latest check found. */
struct verify_item {
	char *url;		/* owned */
	char *path;		/* owned; the changed path it serves */
	struct verify_expect expect;
	enum verdict verdict;
	long status;		/* the latest answer's; 0: none */
	char *cache_status;	/* owned, or NULL: the latest answer's */
	char *age;		/* owned, or NULL */
	char *cf_ray;		/* owned, or NULL */
	char *detail;		/* owned, or NULL: an error, a redirect */
	int purged_again;	/* found stale, and purged once more */
	int not_deployed;	/* the origin itself serves the old content */
	int checks;		/* how many times it was requested */
	size_t seq;		/* the order of adding, for dedupe */
};

struct verify_list {
	struct verify_item *v;
	size_t n, alloc;
};

#define VERIFY_LIST_INIT { NULL, 0, 0 }

/*
 * Appends url (copied) with what it should serve; path may be NULL. A URL
 * may be added more than once: verify_list_dedupe() keeps the first.
 */
void verify_list_add(struct verify_list *l, const char *url,
		     const char *path, const struct verify_expect *x);

/*
 * Drops every item whose URL an earlier item has, keeping the order of
 * the rest; O(n log n), for the tens of thousands of URLs a large push
 * may have.
 */
void verify_list_dedupe(struct verify_list *l);
void verify_list_clear(struct verify_list *l);

/* What a check needs besides the URLs. */
struct verify_opts {
	const struct config *config;	/* borrowed: [verify], timeout */
	double deadline;	/* monotonic: nothing is requested past it */
	double since_purge_at;	/* wall-clock time of the purge, or 0 */
};

/*
 * With only_stale set, requests only the items whose latest verdict is
 * stale and whose origin is not known to be behind (the check after a
 * second purge); otherwise every item. Sets each requested item's verdict and headers.
 * Returns 0, or -1 with e set when nothing could be requested (libcurl
 * missing); items not requested in time are VERDICT_ERROR with a detail.
 */
int verify_check(struct verify_list *l, int only_stale,
		 const struct verify_opts *o, struct err *e);

/*
 * For each stale item: requests its URL with a query string that no
 * cache holds (a key of its own, which the edge must fetch from the
 * origin). When that answer is the old content too, the origin is not
 * serving the deploy yet: the item's not_deployed is set. Returns the
 * number of such items, or -1 with e set as verify_check.
 */
int verify_origin(struct verify_list *l, const struct verify_opts *o,
		  struct err *e);

/*
 * Requests each of the n URLs once, bounded as the checks are, keeping
 * nothing of the answers but whether one came: the warm-up after a purge.
 * Adds to *ok the URLs answered with 2xx or 3xx and appends one message
 * to failed for each other. Returns 0, or -1 with e set as verify_check.
 */
int verify_warm(const struct strvec *urls, const struct verify_opts *o,
		size_t *ok, struct strvec *failed, struct err *e);

/* Counts of each verdict, indexed by enum verdict. */
void verify_count(const struct verify_list *l, size_t counts[6]);

/*
 * What verify and warm did in one run (hook/verify_cmd.c fills it; the
 * run owns it as r->verify).
 */
struct verify_result {
	struct verify_list items;
	int checked;		/* the URLs were requested */
	int on_demand;		/* the verify command: no purge came before */
	size_t purged_again;	/* stale URLs purged a second time */
	size_t kept;		/* stale URLs whose purge was kept for retry
				   (the origin is not deployed) */
	size_t warm_requested, warmed;
	struct strvec warm_failed;
	struct strvec notes;	/* for the person: what was left out, why */
	struct strvec problems;	/* the second purge's failures */
};

/* Frees v and all it holds; NULL is fine. */
void verify_result_free(struct verify_result *v);

#endif
