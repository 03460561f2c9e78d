#include "verdict.h"

#include <git2/odb.h>

int verdict_body_id(git_oid *out, const void *body, size_t len)
{
	/* libgit2 refuses a NULL buffer even for an empty body. */
	static const char none[1];

	return git_odb_hash(out, len ? body : none, len, GIT_OBJECT_BLOB) < 0 ?
	       -1 : 0;
}

enum verdict verdict_of(const struct verify_expect *x,
			const struct verify_answer *a, int compare_status,
			double since_purge)
{
	int ok = a->status >= 200 && a->status < 300;
	int gone = a->status == 404 || a->status == 410;
	int is_old = a->hashed && x->known_old &&
		     git_oid_equal(&a->body_id, &x->old_id);
	/*
	 * A copy stored before the purge: the purge did not reach it. Only
	 * a HIT tells that (a MISS came from the origin just now). It is the
	 * evidence wherever the body cannot tell: a body that is the new
	 * content is what visitors should see, however old the copy.
	 */
	int hit_old = a->cache_hit && since_purge >= 0 &&
		      a->age > since_purge + 1;

	if (!a->status)
		return VERDICT_ERROR;
	if (!x->has_new) {
		if (gone)
			return VERDICT_FRESH;
		if (ok && !compare_status && is_old)
			return VERDICT_STALE;
		if (hit_old)
			return VERDICT_STALE;
		return ok ? VERDICT_MISSING : VERDICT_OTHER;
	}
	if (hit_old && (gone || !ok || compare_status || !x->known_new ||
			!a->hashed || !git_oid_equal(&a->body_id, &x->new_id)))
		return VERDICT_STALE;
	if (gone)
		return VERDICT_MISSING;
	if (!ok)
		return VERDICT_OTHER;
	if (compare_status || !x->known_new)
		return VERDICT_FRESH;
	if (a->hashed && git_oid_equal(&a->body_id, &x->new_id))
		return VERDICT_FRESH;
	return is_old ? VERDICT_STALE : VERDICT_OTHER;
}

const char *verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_FRESH:
		return "fresh";
	case VERDICT_STALE:
		return "stale";
	case VERDICT_OTHER:
		return "other";
	case VERDICT_MISSING:
		return "missing";
	case VERDICT_ERROR:
		return "error";
	case VERDICT_UNCHECKED:
		break;
	}
	return "unchecked";
}
