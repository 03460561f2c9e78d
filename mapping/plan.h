/*
 * A purge plan: the set of items one run must purge, deduplicated and with
 * nothing that another item already covers. purge/batch.h divides it into
 * requests.
 *
 * Items are kept exactly as they will be sent: files as absolute URLs,
 * prefixes and hosts without a scheme, tags as written.
 */
#ifndef CFPH_PLAN_H
#define CFPH_PLAN_H

#include <stddef.h>

#include "../util/util.h"

enum purge_kind {
	PURGE_FILES,
	PURGE_PREFIXES,
	PURGE_TAGS,
	PURGE_HOSTS,
	PURGE_EVERYTHING
};

struct plan {
	struct strvec files;
	struct strvec prefixes;
	struct strvec tags;
	struct strvec hosts;
	int everything;
	/* What plan_collapse and plan_cap did, and why, for the summary. */
	struct strvec notes;
	/*
	 * Tags, hosts and prefixes come again and again (every page of a
	 * folder adds the folder's tag): a hash set of what each list holds
	 * keeps each one once as it is added. Borrowed strings; internal.
	 */
	struct plan_set {
		const char **slot;
		size_t cap, n;
	} seen[3];
};

#define PLAN_INIT { STRVEC_INIT, STRVEC_INIT, STRVEC_INIT, STRVEC_INIT, 0, \
		    STRVEC_INIT, { { NULL, 0, 0 }, { NULL, 0, 0 }, \
				   { NULL, 0, 0 } } }

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

/*
 * Replaces the URLs of every folder (on one host) that holds more than
 * threshold of them with the folder's prefix, then finishes the plan
 * again. A prefix deeper than Cloudflare's 31 slashes is cut back to a
 * shallower folder. Each collapse is noted in p->notes.
 */
void plan_collapse(struct plan *p, size_t threshold);

/*
 * When the plan holds more than max_urls URLs: with fail set, returns -1
 * with e set; otherwise purges everything instead, noting why. Returns 0
 * when the plan is within the limit or was replaced.
 */
int plan_cap(struct plan *p, size_t max_urls, int fail, struct err *e);

/*
 * Keeps the prefixes, tags and hosts of p within max, for a plan whose
 * rules came from a pushed tree (0: no limit): the deepest prefixes are
 * cut back to their parent folders, which purges more and never less,
 * until the plan fits or every prefix is one folder below its host or at
 * the folder of a base in bases (the [site] base_url list, may be NULL),
 * never above it: a pushed tree's prefixes stay within its site. Then,
 * with may_everything set, the plan purges everything; without it, the
 * site instead: every prefix within a base, and every tag and host, are
 * replaced by each base as a prefix (a base without a path by its host).
 * Each step is noted in p->notes.
 */
void plan_cap_items(struct plan *p, size_t max, const struct strvec *bases,
		    int may_everything);

/* 1 when the plan purges nothing. */
int plan_empty(const struct plan *p);

void plan_release(struct plan *p);

/* "files", "prefixes", "tags", "hosts" or "purge_everything". */
const char *purge_kind_key(enum purge_kind k);

#endif
