#include "ci_base.h"

#include <stdlib.h>
#include <string.h>

#define ZEROS "0000000000000000000000000000000000000000"

void ci_state_release(struct ci_state *st)
{
	marker_release(&st->marker);
	free(st->marker_problem);
	free(st->line);
	free(st->reason);
	free(st->owed);
	memset(st, 0, sizeof(*st));
}

const char *ci_marker_fix(const struct ci_event *ev)
{
	if (ev->kind == CI_GITHUB)
		return "give the job 'permissions: contents: write' (the "
		       "marker is the ref refs/cf-purge-hook/heads/<branch>), "
		       "or set [ci] marker = false";
	return "put a project access token with write_repository in the "
	       "remote's URL (the marker is the ref "
	       "refs/cf-purge-hook/heads/<branch>), or set [ci] marker = "
	       "false";
}

static int done(struct ci_state *st, enum ci_status status, char *reason)
{
	st->status = status;
	free(st->reason);
	st->reason = reason;
	return CI_DONE;
}

/* The marker cannot be used: say why once, and go on without it. */
static void unusable(struct ci_state *st, const struct err *e)
{
	st->marker_ok = 0;
	if (!st->marker_problem)
		st->marker_problem = xstrdup(e->msg);
}

/*
 * Fetches st->base when the clone lacks it. Returns 0, or -1 with e set
 * when it cannot be had and on_missing_base does not say what to do.
 */
static int fetch_base(struct ci_state *st, struct run *r,
		      const struct ci_event *ev, struct err *e)
{
	struct err fe;
	const char *remote = st->marker.remote;

	if (!*st->base || marker_have_commit(r->repo, st->base))
		return 0;
	if (remote && marker_fetch_commit(r->repo, remote, st->base, &fe) == 0) {
		strvec_pushf(&r->plan.notes, "fetched the base commit %.7s, "
			     "which this clone did not have", st->base);
		return 0;
	}
	if (r->config.missing_base_everything)
		return 0;	/* run_check_base says so, and purges all */
	if (!remote)
		return err_set(e, "the base commit %s is not in this clone, "
			       "which has no remote 'origin' to fetch it "
			       "from; or set [hook] on_missing_base = "
			       "everything", st->base);
	return err_set(e, "the base commit %s is not in this clone, and "
		       "'git fetch --no-tags --depth=1 %s %s' cannot fetch it "
		       "(%s)%s; fetch it before this step, or set [hook] "
		       "on_missing_base = everything", st->base, remote,
		       st->base, fe.msg, ev->forced ? "; the push was forced, "
		       "so it may be gone" : "");
}

int ci_base_prepare(struct ci_state *st, struct run *r,
		    const struct ci_event *ev, struct err *e)
{
	struct err me;
	const char *m;

	marker_init(&st->marker, r->repo, ev->branch);
	r->spool_dies = 1;
	if (ev->trigger == CI_TRIGGER_TAG)
		return done(st, CI_STATUS_SKIPPED, xasprintf("a tag (%s event): "
			    "tags deploy nothing, so nothing is purged",
			    ev->source));
	if (ev->trigger == CI_TRIGGER_DELETED)
		return done(st, CI_STATUS_SKIPPED, xasprintf("the branch '%s' "
			    "was deleted: nothing is purged", ev->branch));
	if (!config_branch_wanted(&r->config, ev->branch))
		return done(st, CI_STATUS_SKIPPED, xasprintf("the branch '%s' "
			    "is not in [hook] branches: nothing is purged",
			    ev->branch));
	if (ev->trigger == CI_TRIGGER_REVIEW) {
		/* A plan only: it neither reads nor moves the marker. */
		memcpy(st->base, ev->before, sizeof(st->base));
		st->line = xstrdup(ev->line);
		return fetch_base(st, r, ev, e) < 0 ? -1 : CI_GO;
	}
	st->use_marker = !r->config.ci_marker_off;
	if (st->use_marker && marker_read(&st->marker, ev->before, &me) == 0)
		st->marker_ok = 1;
	else if (st->use_marker)
		unusable(st, &me);
	m = st->marker.hex;
	if (st->marker_ok && *m) {
		if (!strcmp(m, ev->sha))
			return done(st, CI_STATUS_NOTHING, xasprintf("commit "
				    "%.12s was purged already (the purge "
				    "marker %s is at it): nothing to purge",
				    ev->sha, st->marker.ref));
		if (marker_is_at_or_past(r->repo, m, ev->sha))
			return done(st, CI_STATUS_NOTHING, xasprintf("a newer "
				    "deploy was purged through %.12s, which "
				    "comes after this job's commit %.12s (the "
				    "purge marker %s): nothing to purge",
				    m, ev->sha, st->marker.ref));
		memcpy(st->base, m, sizeof(st->base));
		if (strcmp(m, ev->before))
			strvec_pushf(&r->plan.notes, "purging from the purge "
				     "marker %.7s, through which everything "
				     "was confirmed, to %.7s", m, ev->sha);
	} else if (ev->trigger == CI_TRIGGER_MANUAL) {
		return done(st, CI_STATUS_NOTHING, xasprintf("a %s run purges "
			    "what the purge marker owes, and %s: nothing is "
			    "purged (never everything)", ev->source,
			    !st->use_marker ? "[ci] marker = false" :
			    st->marker_ok ? "the branch has no marker yet" :
			    "the marker cannot be read"));
	} else {
		memcpy(st->base, ev->before, sizeof(st->base));
		if (fetch_base(st, r, ev, e) < 0)
			return -1;
		/*
		 * The branch's first run records its base before sending,
		 * so that what it fails to purge is owed to the next run.
		 * (git push needs the commit here, hence after the fetch.)
		 */
		if (st->marker_ok && *st->base &&
		    marker_have_commit(r->repo, st->base) &&
		    marker_write(&st->marker, st->base, &me) < 0)
			unusable(st, &me);
	}
	/*
	 * Only a marker that exists owes anything: a new branch's first run
	 * records none, and what it fails to send is lost with the job.
	 */
	if (st->marker_ok && *st->marker.hex) {
		st->owed = xasprintf("the purge marker stays at %.12s, so the "
				     "next run of this job (a re-run, or the "
				     "next push) purges them", st->marker.hex);
		r->owed_by = st->owed;
	}
	if (fetch_base(st, r, ev, e) < 0)
		return -1;
	st->line = xasprintf("%s %s refs/heads/%s", *st->base ? st->base :
			     ZEROS, ev->sha, ev->branch);
	return CI_GO;
}

void ci_base_finish(struct ci_state *st, struct run *r,
		    const struct ci_event *ev, int rc,
		    struct strvec *warnings)
{
	struct err e;
	int w;

	if (r->opts.dry_run) {
		st->status = CI_STATUS_DRY_RUN;
		return;
	}
	if (rc != RUN_OK) {
		st->status = CI_STATUS_FAILED;
		return;
	}
	st->status = r->batches.n ? CI_STATUS_PURGED : CI_STATUS_NOTHING;
	if (!st->marker_ok)
		return;
	w = marker_write(&st->marker, ev->sha, &e);
	if (w < 0)
		strvec_pushf(warnings, "everything was purged, but %s; the "
			     "next run purges this range again; %s", e.msg,
			     ci_marker_fix(ev));
	else if (w == 1)
		strvec_pushf(warnings, "the purge marker was left at %.12s, "
			     "which a newer deploy moved past this job's "
			     "commit %.12s", st->marker.hex, ev->sha);
}
