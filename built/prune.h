/*
 * Pruning of a state folder's object store (built/state.h): the trees
 * and link blobs of earlier runs that no record in sites/ reaches any
 * more are removed, as `git prune` removes unreachable loose objects.
 * The caller holds the state folder's lock (dirstate_lock()).
 *
 * What is kept: everything a record reaches, for every folder of the
 * state folder; every loose object younger than DIRPRUNE_GRACE, and
 * everything such an object reaches (building a tree refreshes the time
 * of each tree it finds in the store, as git_odb_write does, so a young
 * tree's subtrees are young too; but a run of another version, or a
 * store copied without its times, need not keep that promise); and
 * anything that is not a loose object (packs, temporary files). When a
 * record cannot be read, or a tree a record reaches cannot be, nothing
 * is removed: what it reaches is unknown.
 */
#ifndef CFPH_BUILT_PRUNE_H
#define CFPH_BUILT_PRUNE_H

#include <git2.h>

#include "../util/util.h"

/*
 * Seconds: a loose object younger than this is kept, as git gc's prune
 * expiry keeps one, so that a run that does not hold the lock (another
 * version of this program) can still use what it has just written.
 */
#define DIRPRUNE_GRACE 3600
/* Seconds between two prunes of one state folder (see dirprune_due()). */
#define DIRPRUNE_INTERVAL 3600

struct dirprune_stats {
	size_t loose;		/* loose objects found */
	size_t reached;		/* objects kept as reached (records, young) */
	size_t removed;		/* loose objects removed */
};

/*
 * Whether pruning state_dir is worth it now: 1 when its last prune (the
 * modification time of state_dir/pruned) is DIRPRUNE_INTERVAL or more
 * ago, or there was none; else 0. Marking reads every tree the records
 * reach, about what building the folder's tree costs; at most once an
 * hour, runs close together pay for it once, and the store holds at most
 * what the records reach plus about two hours of runs.
 */
int dirprune_due(const char *state_dir);

/*
 * Removes from state_dir/objects the loose objects older than
 * DIRPRUNE_GRACE that neither a record in state_dir/sites nor a younger
 * object reaches, reading trees through store (the same objects folder),
 * then marks the prune done (state_dir/pruned). Returns 0 with *out set;
 * -1 with e set and nothing removed when a record or a tree cannot be
 * read; -1 with e set when an object could not be removed (the others
 * were, and *out counts them). Either way the run that called it has
 * succeeded: the caller reports e as a warning.
 */
int dirprune_run(struct dirprune_stats *out, const char *state_dir,
		 git_odb *store, struct err *e);

#endif
