/*
 * Where a ci run starts from, and what it leaves for the next: the purge
 * marker (hook/marker.h) when the branch has one, else the event's
 * before; a base missing from a shallow clone is fetched; a marker at or
 * past the job's commit means nothing to purge. After sending, the marker
 * moves to the job's commit only when Cloudflare confirmed everything.
 */
#ifndef CFPH_CI_BASE_H
#define CFPH_CI_BASE_H

#include "ci.h"
#include "marker.h"
#include "run.h"

/* What the job reports as outputs: GITHUB_OUTPUT's status. */
enum ci_status {
	CI_STATUS_PURGED,
	CI_STATUS_NOTHING,
	CI_STATUS_SKIPPED,
	CI_STATUS_REFUSED,
	CI_STATUS_FAILED,
	CI_STATUS_DRY_RUN
};

struct ci_state {
	struct marker marker;
	int use_marker;		/* [ci] marker and a branch to mark */
	int marker_ok;		/* read, so it can be trusted and moved */
	char *marker_problem;	/* owned; why the marker cannot be used */
	char base[GIT_OID_HEXSZ + 1];	/* the old side; "" none */
	char *line;		/* owned: the hook line to plan */
	enum ci_status status;
	char *reason;		/* owned; why nothing is (or was) purged */
	char *owed;		/* owned; run.owed_by's text */
};

#define CI_STATE_INIT { MARKER_INIT, 0, 0, NULL, "", NULL, \
			CI_STATUS_NOTHING, NULL, NULL }

void ci_state_release(struct ci_state *st);

enum {
	CI_GO = 0,		/* st->line is the range to plan and send */
	CI_DONE = 1		/* nothing to send: st->status, st->reason */
};

/*
 * Decides the range of ev for r (repository open, config loaded): skips
 * tags, deleted branches and branches outside [hook] branches; reads the
 * marker and starts from it; records the event's before as the marker
 * when the branch has none yet; fetches a base missing from the clone.
 * Sets r->spool_dies and r->owed_by. Returns CI_GO, CI_DONE, or -1 with e
 * set (a refusal: the base cannot be had).
 */
int ci_base_prepare(struct ci_state *st, struct run *r,
		    const struct ci_event *ev, struct err *e);

/*
 * After plan_and_send returned rc: moves the marker to ev's commit when
 * every request was confirmed, and sets st->status. Problems are
 * appended to warnings.
 */
void ci_base_finish(struct ci_state *st, struct run *r,
		    const struct ci_event *ev, int rc,
		    struct strvec *warnings);

/* The advice for a marker that cannot be read or written, for ev's CI. */
const char *ci_marker_fix(const struct ci_event *ev);

#endif
