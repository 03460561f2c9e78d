/*
 * Folder prefixes chosen from what the trees hold. For each folder of the
 * site that holds changed files, the planner weighs the folder's prefix
 * (one request that purges every file below it, changed or not) against
 * the URLs of its changed files: the files a prefix purges without need
 * are its collateral. Pure: the counts of files come from a callback, so
 * that this module knows nothing of git.
 *
 * The rules, in order (README.md, "Big deploys"):
 *
 *   - When more than 90% of the site's files changed (and at least
 *     FOLD_MIN_CHANGED), purge everything.
 *   - Top down, a folder holding at least FOLD_MIN_CHANGED changed files
 *     becomes a prefix when its collateral is at most [plan]
 *     collapse_waste percent of the files it covers (the files of the old
 *     and new trees together); its subfolders are then not looked at.
 *   - When the plan would not fit within the run's deadline at the
 *     account plan's rates, the waste allowed grows by 10 points at a
 *     time (folders with the least collateral per file come first) up to
 *     90%; when nothing fits, purge everything.
 *
 * Counting stops as soon as a folder is known to hold too many files for
 * the waste allowed, so a small change never reads a whole tree.
 */
#ifndef CFPH_FOLD_H
#define CFPH_FOLD_H

#include <stddef.h>

#include "config.h"
#include "plan.h"
#include "../util/util.h"

/*
 * A folder with fewer changed files than this stays URLs: they take a few
 * requests from the generous URL budget, while a prefix takes one from
 * the scarce budget of the other kinds (5 a minute on Free) and purges
 * what did not change.
 */
#define FOLD_MIN_CHANGED 100

/* Cloudflare refuses prefixes with more slashes than this. */
#define FOLD_MAX_SLASHES 31

struct fold_dir {
	char *path;		/* below [site] root, no trailing '/'; "" the top */
	size_t parent;		/* index of the parent; the top's is 0 */
	size_t changed;		/* changed files at any depth below */
	size_t deleted;		/* of those, the ones only the old tree holds */
	size_t counted;		/* files of the new tree below, as far as counted */
	int exact;		/* counted is the whole count */
	int has_count;		/* counted was asked for at all */
	int prefix;		/* chosen as a prefix */
};

/*
 * Counts the files (anything but a folder) of the new tree below dir, a
 * folder below [site] root ("" for the root itself). May stop once more
 * than limit are found: sets *n to the count, which is then limit + 1 or
 * more. A folder the new tree does not hold has 0 files. Returns 0, or -1
 * with e set.
 */
typedef int (*fold_count_fn)(void *ctx, const char *dir, size_t limit,
			     size_t *n, struct err *e);

struct fold {
	struct fold_dir *v;	/* folders in path order, parents first */
	size_t n, alloc;
	struct strvec paths;	/* changed files below root, "D" or "M" + path */
	fold_count_fn count;
	void *count_ctx;

	/* What fold_plan chose, for the summary. */
	unsigned waste;		/* the collapse_waste percent finally allowed */
	int everything;		/* the fold chose to purge everything */
	size_t prefixes;	/* folders chosen */
	size_t covered;		/* files under them, old and new trees */
	size_t covered_changed;	/* of which changed */
	size_t site_files;	/* files of the site, when known */
	int site_known;
	double seconds;		/* the plan's estimated sending time */
};

#define FOLD_INIT { NULL, 0, 0, STRVEC_INIT, NULL, NULL, 0, 0, 0, 0, 0, 0, \
		    0, 0 }

/*
 * Adds a changed file, rel being its path below [site] root; deleted says
 * that only the old tree holds it. The same path twice counts once.
 */
void fold_add(struct fold *f, const char *rel, int deleted);

/*
 * Chooses prefixes for the changed files added, as the header says, and
 * adds them to p on every [site] base_url (or turns p into purge
 * everything, noting why in p->notes); then finishes p again. The
 * folders chosen keep prefix set in f->v, and f's totals are filled in
 * (the site's files counted in full only when a prefix was chosen).
 * deadline is the seconds the run may spend sending. Does nothing when p
 * purges everything already. Returns 0, or -1 with e set when counting
 * failed (p is then unchanged).
 */
int fold_plan(struct fold *f, struct plan *p, const struct config *c,
	      double deadline, struct err *e);

/*
 * The seconds sending p takes at c's rates: URLs (one per variant) beyond
 * one second's worth at urls_per_second, and requests of the other kinds
 * beyond the burst at requests_per_second, for every zone.
 */
double fold_plan_seconds(const struct plan *p, const struct config *c);

/*
 * Appends a line on the chosen folder d of f: "folder 'v3/' as a prefix:
 * 1,501 changed of 1,501 files, collateral 0 (at most 10%)".
 */
void fold_describe(struct strbuf *sb, const struct fold *f,
		   const struct fold_dir *d);

/* Appends n with a comma between thousands: "13,969". */
void fold_add_count(struct strbuf *sb, size_t n);

/* The files d covers in the old and new trees together (once counted). */
size_t fold_dir_files(const struct fold_dir *d);

/* The folder's prefix on base (a [site] base_url): "host/dir/". Owned. */
char *fold_prefix(const char *base, const char *dir);

void fold_release(struct fold *f);

#endif
