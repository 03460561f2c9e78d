/*
 * The pure part of verify: what one answer of the edge says about one URL,
 * given what was deployed there. No network, no repository: the caller
 * hands in the blob ids it expects and what the edge answered.
 */
#ifndef CFPH_VERDICT_H
#define CFPH_VERDICT_H

#include <stddef.h>

#include <git2.h>

enum verdict {
	VERDICT_UNCHECKED,	/* not requested (the deadline, a dry run) */
	VERDICT_FRESH,		/* the deployed content, or the right status */
	VERDICT_STALE,		/* the old content, or a copy older than the
				   purge */
	VERDICT_OTHER,		/* neither: reported, never failed */
	VERDICT_MISSING,	/* 404/410 for a file that exists, or 200
				   for one that was deleted */
	VERDICT_ERROR		/* no answer: connection, TLS, timeout */
};

/* What a URL should serve, from the range or the built folders. */
struct verify_expect {
	int has_new;		/* the file exists after the change */
	git_oid new_id;		/* its blob; set when known_new */
	int known_new;		/* new_id is the URL's whole body */
	git_oid old_id;		/* the blob before; set when known_old */
	int known_old;
};

/* What the edge answered to one GET. */
struct verify_answer {
	long status;		/* 0: no answer */
	int hashed;		/* body_id holds the decoded body's blob id */
	git_oid body_id;
	int cache_hit;		/* cf-cache-status: HIT */
	double age;		/* the Age header in seconds; -1 without */
};

/*
 * The verdict of answer a for a URL that should serve x. compare_status
 * (compare = status) judges by the status alone. since_purge is how many
 * seconds ago the purge was sent, or negative when unknown (an on-demand
 * verify): a HIT whose Age is longer than that (with a second's slack
 * for rounding) was stored before the purge, and is stale unless its
 * body is the new content.
 */
enum verdict verdict_of(const struct verify_expect *x,
			const struct verify_answer *a, int compare_status,
			double since_purge);

/*
 * Sets *out to the blob id that git gives the len bytes at body (git
 * hash-object: SHA-1 of "blob <len>\0" and the bytes). Returns 0, or -1
 * when libgit2 fails.
 */
int verdict_body_id(git_oid *out, const void *body, size_t len);

/* "fresh", "stale", "other", "missing", "error" or "unchecked". */
const char *verdict_name(enum verdict v);

#endif
