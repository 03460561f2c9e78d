#include "hookmark.h"
#include "marker.h"
#include "../util/git.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARK_PREFIX "refs/cf-purge-hook/"

/* Whether rg's branch takes part: a wanted branch under refs/heads/. */
static int marked(const struct range *rg)
{
	return rg->ref && !strncmp(rg->ref, "refs/heads/", 11) &&
	       rg->action != RANGE_SKIP_BRANCH &&
	       rg->action != RANGE_SKIP_NOT_BRANCH;
}

/* refs/heads/main -> refs/cf-purge-hook/heads/main; the caller frees. */
static char *mark_name(const char *ref)
{
	return xasprintf(MARK_PREFIX "%s", ref + 5);
}

/* The marker of ref into hex; 1 when there is one, else 0. */
static int mark_get(char hex[GIT_OID_HEXSZ + 1], git_repository *repo,
		    const char *ref)
{
	char *name = mark_name(ref);
	git_oid id;
	int rc = git_reference_name_to_id(&id, repo, name) == 0;

	if (rc)
		git_oid_tostr(hex, GIT_OID_HEXSZ + 1, &id);
	free(name);
	return rc;
}

/*
 * Where the chain of ranges [0, n) of ref starts (an old commit that no
 * other of them ends at) or ends (a new commit that no other starts
 * from), into out; "" for a deletion's end. Returns 0 when ref has no
 * range, or a start when it was created (nothing to infer then).
 */
static int chain(char out[GIT_OID_HEXSZ + 1], const struct run *r, size_t n,
		 const char *ref, int end)
{
	size_t i, j;
	int found = 0;

	for (i = 0; i < n; i++) {
		const struct range *a = &r->ranges[i];
		const char *mine = end ? a->new_hex : a->old_hex;

		if (!marked(a) || strcmp(a->ref, ref))
			continue;
		if (!end && !*mine)
			return 0;
		for (j = 0; j < n; j++) {
			const struct range *b = &r->ranges[j];
			const char *other = end ? b->old_hex : b->new_hex;

			if (j != i && marked(b) && !strcmp(b->ref, ref) &&
			    *mine && !strcmp(mine, other))
				break;
		}
		if (j == n) {
			memcpy(out, mine, GIT_OID_HEXSZ + 1);
			found = 1;
		}
	}
	return found;
}

/* Adds the range from the marker at mark to from, of ref. */
static void add_gap(struct run *r, const char *ref, const char *mark,
		    const char *from)
{
	struct range *rg;

	r->ranges = xrealloc(r->ranges, (r->n_ranges + 1) * sizeof(*r->ranges));
	rg = &r->ranges[r->n_ranges++];
	memset(rg, 0, sizeof(*rg));
	rg->ref = xstrdup(ref);
	memcpy(rg->old_hex, mark, GIT_OID_HEXSZ + 1);
	memcpy(rg->new_hex, from, GIT_OID_HEXSZ + 1);
	rg->action = RANGE_PURGE;
	rg->gap = 1;
	strvec_pushf(&r->plan.notes, "purging %.7s..%.7s of %s too: the "
		     "purge marker says no run purged or kept it (a run "
		     "stopped before it could)", mark, from, ref + 11);
}

/* The gap of ref before the commit from, if any. */
static size_t gap(struct run *r, const char *ref, const char *from)
{
	char mark[GIT_OID_HEXSZ + 1];

	if (!mark_get(mark, r->repo, ref) || !strcmp(mark, from) ||
	    marker_is_at_or_past(r->repo, mark, from))
		return 0;
	if (!marker_have_commit(r->repo, mark) || !marker_have_commit(r->repo, from)) {
		strvec_pushf(&r->plan.notes, "warning: the purge marker of %s "
			     "names %.7s, which is not in the repository; "
			     "nothing before %.7s is inferred", ref + 11, mark,
			     from);
		return 0;
	}
	add_gap(r, ref, mark, from);
	return 1;
}

static int seen_before(const struct run *r, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (marked(&r->ranges[j]) &&
		    !strcmp(r->ranges[j].ref, r->ranges[i].ref))
			return 1;
	return 0;
}

/* retry: every other marked branch, up to its tip. */
static size_t gaps_to_tips(struct run *r, size_t n)
{
	git_reference_iterator *it = NULL;
	git_reference *mref;
	size_t added = 0, i;

	if (git_reference_iterator_glob_new(&it, r->repo,
					    MARK_PREFIX "heads/*") < 0)
		return 0;
	while (git_reference_next(&mref, it) == 0) {
		char *ref = xasprintf("refs/%s", git_reference_name(mref) +
				      strlen(MARK_PREFIX));
		git_oid id;

		for (i = 0; i < n; i++)
			if (marked(&r->ranges[i]) &&
			    !strcmp(r->ranges[i].ref, ref))
				break;
		if (i == n && config_branch_wanted(&r->config, ref + 11) &&
		    git_reference_name_to_id(&id, r->repo, ref) == 0) {
			char tip[GIT_OID_HEXSZ + 1];

			git_oid_tostr(tip, sizeof(tip), &id);
			added += gap(r, ref, tip);
		}
		free(ref);
		git_reference_free(mref);
	}
	git_reference_iterator_free(it);
	return added;
}

/* Where each marked branch's chain of ranges ends, into r->mark_ends. */
static void take_ends(struct run *r)
{
	size_t i;

	strvec_clear(&r->mark_ends);
	for (i = 0; i < r->n_ranges; i++) {
		const char *ref = r->ranges[i].ref;
		char end[GIT_OID_HEXSZ + 1];

		if (!marked(&r->ranges[i]) || seen_before(r, i) ||
		    !chain(end, r, r->n_ranges, ref, 1))
			continue;
		strvec_push(&r->mark_ends, ref);
		strvec_push(&r->mark_ends, end);
	}
}

size_t hookmark_add_gaps(struct run *r, int to_tips)
{
	size_t n = r->n_ranges, i, added = 0;
	char start[GIT_OID_HEXSZ + 1];

	if (!r->repo)
		return 0;
	/*
	 * A served folder is compared with its own state, the record of
	 * what was purged from it: a gap in the commits changes nothing.
	 */
	if (r->config.served_dir) {
		take_ends(r);
		return 0;
	}
	for (i = 0; i < n; i++) {
		const char *ref = r->ranges[i].ref;

		if (!marked(&r->ranges[i]) || seen_before(r, i) ||
		    !chain(start, r, n, ref, 0))
			continue;
		added += gap(r, ref, start);
	}
	if (to_tips)
		added += gaps_to_tips(r, n);
	take_ends(r);
	return added;
}

/*
 * A "<ref>.lock" that a run killed while it moved the marker left behind
 * would stop every later move. Runs that move markers hold the hook's
 * lock, so while this one does, such a file is nobody's: it goes.
 */
static void drop_stale_lock(const struct run *r, const char *name)
{
	char *lock;

	if (!r->holds_lock)
		return;
	lock = xasprintf("%s%s.lock", git_repository_path(r->repo), name);
	unlink(lock);
	free(lock);
}

void hookmark_advance(struct run *r)
{
	mode_t old_umask;
	size_t i;

	if (!r->repo)
		return;
	if (!r->mark_ends.n)
		take_ends(r);
	/*
	 * In a shared repository the marker's folders and files must be
	 * writable by the group, as git's own refs are: every pusher moves
	 * it. libgit2 creates them with the umask's modes, so the umask lets
	 * through what core.sharedRepository grants (and nothing is taken
	 * away: a server reading the repository as another user, such as
	 * git daemon, must still read the marker as it reads git's refs).
	 */
	old_umask = umask(0);
	umask(old_umask & ~(r->modes.dir & 0777));
	for (i = 0; i + 1 < r->mark_ends.n; i += 2) {
		const char *ref = r->mark_ends.v[i], *end = r->mark_ends.v[i + 1];
		char mark[GIT_OID_HEXSZ + 1];
		char *name = mark_name(ref);
		git_reference *out = NULL;
		git_oid id;

		drop_stale_lock(r, name);
		if (!*end) {
			/* A deleted branch: its marker goes with it. */
			if (git_reference_lookup(&out, r->repo, name) == 0)
				git_reference_delete(out);
		} else if (!(mark_get(mark, r->repo, ref) &&
			     marker_is_at_or_past(r->repo, mark, end)) &&
			   (git_oid_fromstr(&id, end) < 0 ||
			    git_reference_create(&out, r->repo, name, &id, 1,
						 "cf-purge-hook: purged") < 0)) {
			strvec_pushf(&r->plan.notes, "warning: cannot move the "
				     "purge marker '%s': %s; the next run "
				     "purges from where it is", name,
				     git_message());
		}
		git_reference_free(out);
		free(name);
	}
	umask(old_umask);
}

int hookmark_start(struct run *r, struct err *e)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	mode_t old_umask;
	int set = 0;

	if (git_reference_iterator_glob_new(&it, r->repo, "refs/heads/*") < 0)
		return err_set(e, "cannot list the branches: %s",
			       git_message());
	/* As hookmark_advance(): the group's, in a shared repository. */
	old_umask = umask(0);
	umask(old_umask & ~(r->modes.dir & 0777));
	while (git_reference_next(&ref, it) == 0) {
		const char *name = git_reference_name(ref);
		char *mname = mark_name(name);
		git_reference *out = NULL;
		git_oid id;

		/* A symbolic ref has no commit of its own: its target counts. */
		if (git_reference_type(ref) == GIT_REFERENCE_DIRECT &&
		    git_reference_name_to_id(&id, r->repo, mname) < 0) {
			if (git_reference_create(&out, r->repo, mname,
						 git_reference_target(ref), 0,
						 "cf-purge-hook: install") < 0) {
				err_set(e, "cannot set the purge marker '%s': "
					"%s", mname, git_message());
				set = -1;
			} else {
				set++;
			}
			git_reference_free(out);
		}
		free(mname);
		git_reference_free(ref);
		if (set < 0)
			break;
	}
	umask(old_umask);
	git_reference_iterator_free(it);
	return set;
}
