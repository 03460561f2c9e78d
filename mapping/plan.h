/*
 * A purge plan: the set of items one run must purge, and its division into
 * the fewest Cloudflare requests that respect the per-request limits.
 *
 * Items are kept exactly as they will be sent: files as absolute URLs,
 * prefixes and hosts without a scheme, tags as written.
 */
#ifndef CFPH_PLAN_H
#define CFPH_PLAN_H

#include <stddef.h>

#include "util.h"

enum purge_kind {
	PURGE_FILES,
	PURGE_PREFIXES,
	PURGE_TAGS,
	PURGE_HOSTS,
	PURGE_EVERYTHING
};

/* Cloudflare's limit for tags, prefixes and hosts in one request. */
#define PLAN_MAX_OTHER_PER_REQUEST 30

struct plan {
	struct strvec files;
	struct strvec prefixes;
	struct strvec tags;
	struct strvec hosts;
	int everything;
	/* Filled by plan_finish: how many items it dropped as covered. */
	size_t dropped_covered;
};

#define PLAN_INIT { STRVEC_INIT, STRVEC_INIT, STRVEC_INIT, STRVEC_INIT, 0, 0 }

/* Adds a copy of item (ignored for PURGE_EVERYTHING). */
void plan_add(struct plan *p, enum purge_kind kind, const char *item);

/*
 * Sorts and deduplicates every list, then drops what another item already
 * purges: everything covers all; a host covers the files and prefixes on
 * it; a prefix covers the files and longer prefixes below it. A prefix is
 * taken to cover only whole path segments ("example.com/a" covers
 * ".../a/x" but not ".../ab"), the narrower reading, so that dropping an
 * item never purges less whichever reading Cloudflare applies.
 */
void plan_finish(struct plan *p);

/* 1 when the plan purges nothing. */
int plan_empty(const struct plan *p);

void plan_release(struct plan *p);

/* One request: one kind of key, items borrowed from the plan. */
struct request {
	enum purge_kind kind;
	const char *zone_id;	/* borrowed */
	char *const *items;	/* borrowed from the plan; NULL for everything */
	size_t n;
};

struct request_list {
	struct request *v;
	size_t n;
	size_t alloc;
};

#define REQUEST_LIST_INIT { NULL, 0, 0 }

/*
 * Splits a finished plan into requests: purge_everything alone when set,
 * otherwise files, prefixes, tags and hosts in that order, at most
 * files_per_request files and PLAN_MAX_OTHER_PER_REQUEST of the others in
 * each. The requests point into p, which must outlive them.
 */
void plan_requests(struct request_list *out, const struct plan *p,
		   const char *zone_id, size_t files_per_request);
void request_list_clear(struct request_list *l);

/* "files", "prefixes", "tags", "hosts" or "purge_everything". */
const char *purge_kind_key(enum purge_kind k);

#endif
