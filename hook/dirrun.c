#include "dirrun.h"
#include "dirprune.h"
#include "dirstate.h"
#include "dirtree.h"
#include "manifest.h"
#include "run.h"
#include "statcache.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct dirrun {
	struct dirtree trees;
	struct dirstate state;
	struct statcache cache_old;
	char *cache;		/* owned; where the stat cache is, or NULL */
	int has_state;		/* dir DIR with [state] dir */
	int lock_fd;		/* the state folder's lock while held, or -1 */
	char *since;		/* owned; DIR of dir DIR */
	git_oid new_tree;
};

git_repository *dirrun_repo(const struct dirrun *d)
{
	return d->trees.repo;
}

const char *dirrun_state_dir(const struct dirrun *d)
{
	return d->has_state ? d->state.dir : NULL;
}

void dirrun_free(struct dirrun *d)
{
	if (!d)
		return;
	dirtree_release(&d->trees);
	dirstate_release(&d->state);
	statcache_release(&d->cache_old);
	free(d->cache);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	free(d->since);
	free(d);
}

/* The folder is what is served at base_url; see the header. */
static struct dirrun *start(struct run *r)
{
	struct dirrun *d = xcalloc(1, sizeof(*d));
	struct dirtree init = DIRTREE_INIT;

	d->trees = init;
	d->lock_fd = -1;
	free(r->config.root);
	r->config.root = xstrdup("");
	free(r->config.tree_config);
	r->config.tree_config = NULL;
	r->dir = d;
	return d;
}

static void take_notes(struct run *r, struct dirtree *t, size_t from)
{
	size_t i;

	for (i = from; i < t->notes.n; i++)
		strvec_push(&r->plan.notes, t->notes.v[i]);
}

int dirrun_compare(struct run *r, const char *old_dir, const char *new_dir,
		   struct err *e)
{
	struct dirrun *d = start(r);
	git_oid old_tree;

	d->trees.skip = r->config.manifest;
	if (dirtree_open(&d->trees, NULL, e) < 0 ||
	    dirtree_build(&old_tree, &d->trees, old_dir, e) < 0 ||
	    dirtree_build(&d->new_tree, &d->trees, new_dir, e) < 0)
		return -1;
	take_notes(r, &d->trees, 0);
	run_add_tree_range(r, &old_tree, &d->new_tree);
	return 0;
}

/* [state] dir, or <git dir>/cf-purge-hook-state; relative to the git dir. */
static char *state_dir(struct run *r, struct err *e)
{
	const char *dir = r->config.state_dir;
	char *s;

	if (dir && dir[0] == '/')
		s = xstrdup(dir);
	else if (!r->repo) {
		err_set(e, "no state for 'dir': set [state] dir to an absolute "
			"path or run inside a repository");
		return NULL;
	} else if (dir)
		s = xasprintf("%s%s", git_repository_path(r->repo), dir);
	else
		s = xasprintf("%scf-purge-hook-state",
			      git_repository_path(r->repo));
	while (strlen(s) > 1 && s[strlen(s) - 1] == '/')
		s[strlen(s) - 1] = '\0';
	return s;
}

/*
 * The old side from the live manifest ([state] manifest_url). Returns 1
 * with *old set, or 0 with *why (replaced) saying why it cannot be used.
 */
static int live_manifest(git_oid *old, char **why, struct run *r,
			 struct dirrun *d)
{
	struct strbuf body = STRBUF_INIT;
	const char *url = r->config.manifest_url;
	char *reason = NULL;
	int ok;

	ok = manifest_fetch(&body, &reason, url, r->config.timeout) == 0 &&
	     manifest_parse(old, &reason, d->trees.odb, body.buf ? body.buf :
			    "", body.len) == 0;
	strbuf_release(&body);
	if (ok)
		return 1;
	free(*why);
	*why = xasprintf("cannot use the live manifest '%s': %s", url, reason);
	free(reason);
	return 0;
}

int dirrun_since(struct run *r, const char *dir, struct err *e)
{
	struct dirrun *d = start(r);
	struct dirstate init = DIRSTATE_INIT;
	struct statcache cinit = STATCACHE_INIT;
	struct stat st;
	char *sdir = NULL, *why = NULL;
	git_oid old_tree;
	int rc = -1, found = 0;

	d->state = init;
	d->cache_old = cinit;
	d->since = xstrdup(dir);
	d->trees.skip = r->config.manifest;
	/* A missing folder must not leave a state folder behind. */
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return dirtree_build(&old_tree, &d->trees, dir, e);
	/* With a live manifest, CI needs no state of its own. */
	if (!(sdir = state_dir(r, e)) && !r->config.manifest_url)
		return -1;
	d->has_state = sdir != NULL;
	if (d->has_state && dirstate_open(&d->state, sdir, dir, e) < 0)
		goto out;
	/*
	 * Held until the new record is written (dirrun_record()), so that
	 * no other run reads or replaces a record, or prunes, meanwhile. A
	 * dry run writes nothing and goes without: it must never make a
	 * real run wait, and at worst a prune removes a tree it is reading,
	 * which stops the dry run only.
	 */
	if (d->has_state && !r->opts.dry_run &&
	    (d->lock_fd = dirstate_lock(&d->state, &r->modes,
					r->config.lock_timeout,
					r->opts.quiet ? NULL : stderr, e)) < 0) {
		rc = DIRRUN_BUSY;
		goto out;
	}
	if (d->has_state && dirtree_open(&d->trees, d->state.objects, e) < 0)
		goto out;
	if (!d->has_state && dirtree_open(&d->trees, NULL, e) < 0)
		goto out;
	/* The old side first: it says where the new trees go. */
	if (d->has_state)
		found = dirstate_read(&old_tree, &why, &d->state,
				      d->trees.store);
	else
		why = xstrdup("no state ([state] dir)");
	if (!found && r->config.manifest_url)
		found = live_manifest(&old_tree, &why, r, d);
	if (!found && r->config.state_missing_fail) {
		err_set(e, "%s; nothing was purged ([state] on_missing = fail): "
			"purge by hand, or set on_missing = everything for one "
			"run", why);
		goto out;
	}
	/*
	 * Compared next: in memory. Only recorded: straight into the store,
	 * so that a first run's memory does not grow with the folder. A
	 * dry run that compares nothing needs only the top tree's id.
	 */
	if (found)
		d->trees.sink = DIRTREE_MEMORY;
	else if (r->opts.dry_run)
		d->trees.sink = DIRTREE_HASH;
	else
		d->trees.sink = d->has_state ? DIRTREE_STORE : DIRTREE_MEMORY;
	if (d->has_state) {
		d->cache = xasprintf("%s.stat", d->state.record);
		statcache_read(&d->cache_old, d->cache);
		d->trees.cache_old = &d->cache_old;
		/* A dry run writes no cache. */
		if (!r->opts.dry_run)
			d->trees.cache_path = d->cache;
	}
	if (dirtree_build(&d->new_tree, &d->trees, dir, e) < 0)
		goto out;
	take_notes(r, &d->trees, 0);
	if (r->opts.verbose)
		strvec_pushf(&r->plan.notes, "read %zu of %zu files in '%s' "
			     "(the rest unchanged since the last run)",
			     d->trees.hashed, d->trees.files, dir);
	if (found) {
		run_add_tree_range(r, &old_tree, &d->new_tree);
	} else {
		strvec_pushf(&r->plan.notes, "purging everything: %s "
			     "([state] on_missing = everything)", why);
		run_add_tree_range(r, NULL, &d->new_tree);
	}
	rc = 0;
out:
	free(why);
	free(sdir);
	return rc;
}

/*
 * Removes the objects no record reaches any more, at most once an hour
 * (hook/dirprune.h). The purge is done: a failure is only a warning.
 */
static void prune(struct run *r, struct dirrun *d)
{
	struct dirprune_stats st;
	struct err e;

	if (!dirprune_due(d->state.dir))
		return;
	if (dirprune_run(&st, d->state.dir, d->trees.store, &e) < 0)
		strvec_pushf(&r->plan.notes, "warning: %s", e.msg);
	else if (r->opts.verbose)
		strvec_pushf(&r->plan.notes, "pruned the state '%s': removed "
			     "%zu of %zu objects", d->state.dir, st.removed,
			     st.loose);
}

/*
 * A CI job: its spool goes with it. With the manifest as the only record,
 * a manifest written over spooled items would hide them from every later
 * job once the build is deployed.
 */
static int in_ci(const struct run *r)
{
	const char *v;

	if (r->spool_dies)
		return 1;
	return ((v = getenv("CI")) && !strcmp(v, "true")) ||
	       ((v = getenv("GITHUB_ACTIONS")) && !strcmp(v, "true")) ||
	       ((v = getenv("GITLAB_CI")) && !strcmp(v, "true"));
}

static int record(struct run *r, struct dirrun *d, struct err *e)
{
	char *path;
	size_t i;
	int rc;

	if (!d->since || r->opts.dry_run || !r->sent)
		return 0;
	for (i = 0; i < r->batches.n; i++)
		if (r->outcomes[i].n_lost ||
		    (!d->has_state && in_ci(r) &&
		     r->outcomes[i].n_sent != r->outcomes[i].n_items))
			return 0;
	if (d->has_state &&
	    (dirtree_keep(&d->trees, &d->new_tree, e) < 0 ||
	     dirstate_write(&d->state, &d->new_tree, e) < 0))
		return -1;
	if (!r->config.manifest)
		return 1;
	path = xasprintf("%s/%s", d->since, r->config.manifest);
	rc = manifest_write(path, d->trees.odb, &d->new_tree, e);
	free(path);
	return rc < 0 ? -1 : 1;
}

int dirrun_record(struct run *r, struct err *e)
{
	struct dirrun *d = r->dir;
	int rc;

	if (!d)
		return 0;
	rc = record(r, d, e);
	if (rc > 0 && d->has_state)
		prune(r, d);
	if (d->lock_fd >= 0) {
		close(d->lock_fd);
		d->lock_fd = -1;
	}
	return rc;
}
