/*
 * The counts behind the planner's folder prefixes (mapping/fold.h), read
 * from a pushed tree: how many files a folder holds, reading only as much
 * of the tree as the answer needs.
 */
#ifndef CFPH_COUNT_H
#define CFPH_COUNT_H

#include <git2.h>

#include "../mapping/change.h"
#include "../mapping/config.h"
#include "../mapping/fold.h"
#include "../mapping/plan.h"

/*
 * Weighs folder prefixes for the changes of one range against the tree of
 * new_hex (a commit or a tree), and adds those the planner chooses to
 * plan, which must be finished already (fold_plan() says how). f receives
 * what was chosen, for the summary; the caller releases it with
 * fold_release(). deadline is the seconds the run may spend sending.
 * Only folders with many changes are counted, and a count stops once it
 * knows enough, so a one-file push reads no more of the tree than the
 * diff did. Returns 0, or -1 with e set when the tree cannot be read
 * (plan is then unchanged).
 */
int count_fold(struct fold *f, struct plan *plan, git_repository *repo,
	       const struct config *c, const struct change_list *changes,
	       const char *new_hex, double deadline, struct err *e);

#endif
