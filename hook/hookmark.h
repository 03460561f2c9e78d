/*
 * The purge marker of the repository the hook runs in:
 * refs/cf-purge-hook/heads/<branch> names the commit through which every
 * push to <branch> has been purged, or durably kept for a later run (its
 * requests in the spool, or the push itself in cf-purge-hook-pushes). It
 * moves when a run lets go of a push's kept copy, which is exactly when
 * nothing of that push can be lost any more.
 *
 * So a push that no run ever kept (a hook killed in its first
 * milliseconds, before it could write anything) leaves the marker behind
 * its branch. The next push to that branch notices that the commit it
 * starts from is not the marker, and purges from the marker; `retry` does
 * the same for every branch whose marker is behind its tip. A purge is
 * then done twice at worst, never lost. (The ci command keeps the same
 * ref on the job's remote, with git: hook/marker.h.)
 *
 * A branch with no marker yet gets one after its first purge, or from
 * install (hookmark_start()); before that, nothing is inferred.
 */
#ifndef CFPH_HOOKMARK_H
#define CFPH_HOOKMARK_H

#include "run.h"

/*
 * For each branch that r's ranges update (a wanted branch under
 * refs/heads/): when its marker is behind the commit the ranges start
 * from, and not at or past it, adds a range from the marker to that
 * commit (tree to tree, as a force push), with a note. With to_tips set
 * (retry), does the same for every other branch that has a marker, up to
 * the branch's tip. Ranges already in r (kept pushes) count: a kept push
 * that starts at the marker leaves no gap. Gap ranges are marked (gap
 * set) so that waiting for the site looks at the pushed commits, not at
 * where a gap ends. With [site] served_dir nothing is added: the served
 * folder is compared with its own state, the record of what was purged
 * from it. Either way it notes where each branch's marker is to move
 * (r->mark_ends), before the served folder's range replaces the
 * branches' own. Returns how many ranges were added.
 */
size_t hookmark_add_gaps(struct run *r, int to_tips);

/*
 * Moves the marker of each branch r's ranges update to where the ranges
 * end (or deletes it, for a deleted branch), never backwards: a marker
 * already at or past that commit stays. Call it once the ranges' purges
 * are sent or kept (when the kept pushes are let go). A failure is only
 * noted in r->plan.notes: the next run purges from the old marker, which
 * costs a purge again, never one less.
 */
void hookmark_advance(struct run *r);

/*
 * For install: gives each branch (under refs/heads/) of r->repo that has no
 * marker one at its tip, made with r->modes, so that even the first push
 * to it after install is covered (a hook killed before it kept that push
 * leaves the marker behind, and the next run purges from it). A marker
 * already there stays. Returns how many were set, or -1 with e set when
 * one could not be (those set before stay).
 */
int hookmark_start(struct run *r, struct err *e);

#endif
