#include "built.h"
#include "manifest.h"
#include "prune.h"
#include "state.h"
#include "statcache.h"
#include "tree.h"
#include "../util/lock.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct built {
	struct built_opts opts;
	struct dirtree trees;
	struct dirstate state;
	struct statcache cache_old;
	char *cache;		/* owned; where the stat cache is, or NULL */
	int has_state;		/* dir DIR with [state] dir */
	int lock_fd;		/* the state folder's lock while held, or -1 */
	int umask_set;		/* umask was widened for a shared state */
	mode_t umask_old;
	char *since;		/* owned; DIR of dir DIR */
	char *manifest;		/* owned; [state] manifest, or NULL */
	char *everything;	/* owned; why the range purges everything */
	int found;		/* the old side was known */
	char *unrecordable;	/* owned; why the state could not even be
				   made (a full disk), or NULL */
	git_oid new_tree;
	git_oid recorded;	/* the state's tree, for trees.recorded */
};

struct built *built_new(const struct built_opts *opts)
{
	struct built *b = xcalloc(1, sizeof(*b));
	struct dirtree init = DIRTREE_INIT;
	struct dirstate sinit = DIRSTATE_INIT;
	struct statcache cinit = STATCACHE_INIT;

	b->opts = *opts;
	b->trees = init;
	b->trees.progress = opts->progress;
	b->state = sinit;
	b->cache_old = cinit;
	b->lock_fd = -1;
	return b;
}

git_repository *built_repo(const struct built *b)
{
	return b->trees.repo;
}

const char *built_everything(const struct built *b)
{
	return b->everything;
}

const char *built_state_dir(const struct built *b)
{
	return b->has_state ? b->state.dir : NULL;
}

void built_free(struct built *b)
{
	if (!b)
		return;
	dirtree_release(&b->trees);
	dirstate_release(&b->state);
	statcache_release(&b->cache_old);
	free(b->cache);
	if (b->lock_fd >= 0)
		close(b->lock_fd);
	if (b->umask_set)
		umask(b->umask_old);
	free(b->since);
	free(b->manifest);
	free(b->everything);
	free(b->unrecordable);
	free(b);
}

/* The manifest this program writes into the folder is no part of it. */
static void built_skip_manifest(struct built *b, const struct config *cfg)
{
	free(b->manifest);
	b->manifest = cfg->manifest ? xstrdup(cfg->manifest) : NULL;
	b->trees.skip = b->manifest;
}

static void built_take_notes(struct strvec *notes, const struct dirtree *t)
{
	size_t i;

	for (i = 0; i < t->notes.n; i++)
		strvec_push(notes, t->notes.v[i]);
}

int built_compare(struct built_range *out, struct built *b,
		  const struct config *cfg, const char *old_dir,
		  const char *new_dir, struct strvec *notes, struct err *e)
{
	built_skip_manifest(b, cfg);
	if (dirtree_open(&b->trees, NULL, e) < 0 ||
	    dirtree_build(&out->old_tree, &b->trees, old_dir, e) < 0 ||
	    dirtree_build(&b->new_tree, &b->trees, new_dir, e) < 0)
		return -1;
	built_take_notes(notes, &b->trees);
	out->has_old = 1;
	out->new_tree = b->new_tree;
	return 0;
}

/*
 * [state] dir, or cf-purge-hook-state, in the opts' state_home, else in
 * the git directory; relative to the same.
 */
static char *built_state_place(const struct built *b, const struct config *cfg,
			       git_repository *repo, struct err *e)
{
	const char *dir = cfg->state_dir, *home = b->opts.state_home;
	char *s;

	if (dir && dir[0] == '/')
		s = xstrdup(dir);
	else if (!dir && home && cfg->manifest_url) {
		/* The live manifest is the record: CI keeps no state. */
		err_set(e, "no [state] dir");
		return NULL;
	} else if (!home && !repo) {
		err_set(e, "no state for 'dir': set [state] dir to an absolute "
			"path or run inside a repository");
		return NULL;
	} else if (home)
		s = xasprintf("%s/%s", home, dir ? dir :
			      "cf-purge-hook-state");
	else if (dir)
		s = xasprintf("%s%s", git_repository_path(repo), dir);
	else
		s = xasprintf("%scf-purge-hook-state",
			      git_repository_path(repo));
	while (strlen(s) > 1 && s[strlen(s) - 1] == '/')
		s[strlen(s) - 1] = '\0';
	return s;
}

/*
 * 1 when the state folder sdir (which may not exist yet) is dir or below
 * it, links resolved: the walk would take the state's own files as site
 * content, purge them and never settle.
 */
static int built_state_inside(const char *sdir, const char *dir)
{
	char *rdir = realpath(dir, NULL), *rs = realpath(sdir, NULL);
	int inside = 0;

	if (!rs) {
		char *parent = xstrdup(sdir), *slash = strrchr(parent, '/');
		char *rp;

		if (slash && slash != parent)
			*slash = '\0';
		if (slash && (rp = realpath(parent, NULL))) {
			rs = xasprintf("%s/%s", rp, slash + 1);
			free(rp);
		}
		free(parent);
	}
	if (rdir && rs) {
		size_t n = strlen(rdir);

		inside = !strncmp(rs, rdir, n) &&
			 (rs[n] == '/' || rs[n] == '\0' || !strcmp(rdir, "/"));
	}
	free(rdir);
	free(rs);
	return inside;
}

/*
 * The old side from the live manifest ([state] manifest_url). Returns 1
 * with *old set, or 0 with *why (replaced) saying why it cannot be used.
 */
static int built_live_manifest(git_oid *old, char **why,
			       const struct config *cfg, struct built *b)
{
	struct strbuf body = STRBUF_INIT;
	const char *url = cfg->manifest_url;
	char *reason = NULL;
	int ok;

	ok = manifest_fetch(&body, &reason, url, cfg->timeout) == 0 &&
	     manifest_parse(old, &reason, b->trees.odb, body.buf ? body.buf :
			    "", body.len) == 0;
	strbuf_release(&body);
	if (ok)
		return 1;
	free(*why);
	*why = xasprintf("cannot use the live manifest '%s': %s", url, reason);
	free(reason);
	return 0;
}

int built_since(struct built_range *out, struct built *b,
		const struct config *cfg, git_repository *repo,
		const struct file_modes *modes, const char *dir,
		struct strvec *notes, struct err *e)
{
	struct stat st;
	char *sdir = NULL, *why = NULL;
	int rc = -1, found = 0;

	b->since = xstrdup(dir);
	built_skip_manifest(b, cfg);
	/* A missing folder must not leave a state folder behind. */
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return dirtree_build(&out->old_tree, &b->trees, dir, e);
	/* With a live manifest, CI needs no state of its own. */
	if (!(sdir = built_state_place(b, cfg, repo, e)) && !cfg->manifest_url)
		return -1;
	b->has_state = sdir != NULL;
	if (b->has_state && built_state_inside(sdir, dir)) {
		err_set(e, "the state folder '%s' is inside the folder '%s', "
			"which would serve it and purge its files on every run; "
			"set [state] dir to a folder outside '%s'", sdir, dir,
			dir);
		goto out;
	}
	/*
	 * In a group-shared repository, what libgit2 and the stat cache
	 * create in the state (object folders and files, the cache's
	 * temporary file) must be the group's too, as git's own objects
	 * are: the umask is set to what core.sharedRepository gives until
	 * built_free().
	 */
	if (b->has_state && (modes->file & 0070)) {
		b->umask_old = umask(0777 & ~(modes->dir & 0777));
		b->umask_set = 1;
	}
	if (b->has_state && dirstate_open(&b->state, sdir, dir, modes, e) < 0) {
		if (!b->state.full)
			goto out;
		/*
		 * A full disk that refuses to make the state's folders (ext4
		 * refuses mkdir once its blocks are gone) must not stop the
		 * purge: the run goes on as one without a state, purges as a
		 * first run does, and says at the end that nothing was
		 * recorded (built_write_record()).
		 */
		b->unrecordable = xstrdup(e->msg);
		b->has_state = 0;
	}
	/*
	 * Held until the new record is written (built_record()), so that
	 * no other run reads or replaces a record, or prunes, meanwhile. A
	 * dry run writes nothing and goes without: it must never make a
	 * real run wait, and at worst a prune removes a tree it is reading,
	 * which stops the dry run only.
	 */
	if (b->has_state && !b->opts.dry_run &&
	    (b->lock_fd = dirstate_lock(&b->state, modes, cfg->lock_timeout,
					b->opts.notice, e)) < 0) {
		/* Only a wait that ran out is "busy"; a broken lock is an error. */
		rc = b->lock_fd == LOCK_TAKE_TIMEOUT ? BUILT_BUSY : -1;
		b->lock_fd = -1;
		goto out;
	}
	/* A killed run's temporary files go once no live run could own them. */
	if (b->lock_fd >= 0)
		dirstate_sweep(&b->state, time(NULL));
	if (b->has_state && dirtree_open(&b->trees, b->state.objects, e) < 0)
		goto out;
	if (!b->has_state && dirtree_open(&b->trees, NULL, e) < 0)
		goto out;
	/* The old side first: it says where the new trees go. */
	if (b->has_state) {
		found = dirstate_read(&out->old_tree, &why, &b->state,
				      b->trees.store);
		/* The stat cache may vouch for it (built/tree.h). */
		if (found) {
			git_oid_cpy(&b->recorded, &out->old_tree);
			b->trees.recorded = &b->recorded;
		}
	} else if (b->unrecordable) {
		why = xstrdup(b->unrecordable);
	} else {
		why = xstrdup("no state ([state] dir)");
	}
	if (!found && cfg->manifest_url)
		found = built_live_manifest(&out->old_tree, &why, cfg, b);
	if (!found && cfg->state_missing_fail) {
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
		b->trees.sink = DIRTREE_MEMORY;
	else if (b->opts.dry_run)
		b->trees.sink = DIRTREE_HASH;
	else
		b->trees.sink = b->has_state ? DIRTREE_STORE : DIRTREE_MEMORY;
	if (b->has_state) {
		b->cache = xasprintf("%s.stat", b->state.record);
		if (dirstate_check(&b->state, b->cache, e) < 0)
			goto out;
		statcache_read(&b->cache_old, b->cache);
		b->trees.cache_old = &b->cache_old;
		/* A dry run writes no cache. */
		if (!b->opts.dry_run)
			b->trees.cache_path = b->cache;
	}
	if (b->manifest && !b->opts.dry_run) {
		char *m = xasprintf("%s/%s", dir, b->manifest);

		manifest_sweep(m, time(NULL));
		free(m);
	}
	if (dirtree_build(&b->new_tree, &b->trees, dir, e) < 0)
		goto out;
	built_take_notes(notes, &b->trees);
	if (b->opts.verbose && b->trees.hashed < b->trees.files)
		strvec_pushf(notes, "read %zu of %zu files in '%s' "
			     "(the rest unchanged since the last run)",
			     b->trees.hashed, b->trees.files, dir);
	else if (b->opts.verbose)
		strvec_pushf(notes, "read all %zu files in '%s'",
			     b->trees.files, dir);
	if (!found) {
		b->everything = xasprintf("%s ([state] on_missing = "
					  "everything)", why);
		strvec_pushf(notes, "purging everything: %s", b->everything);
	}
	if (found && b->opts.previous && b->has_state &&
	    git_oid_equal(&out->old_tree, &b->new_tree) &&
	    dirstate_read_previous(&out->old_tree, &b->state, b->trees.store))
		strvec_pushf(notes, "'%s' is the build the state records: the "
			     "old side is the build recorded before it", dir);
	b->found = found;
	out->has_old = found;
	out->new_tree = b->new_tree;
	rc = 0;
out:
	free(why);
	free(sdir);
	return rc;
}

/*
 * Removes the objects no record reaches any more, at most once an hour
 * (built/prune.h). The purge is done: a failure is only a warning.
 */
static void built_prune(struct built *b, struct strvec *notes)
{
	struct dirprune_stats st;
	struct err e;

	if (!dirprune_due(b->state.dir))
		return;
	if (dirprune_run(&st, b->state.dir, b->trees.store, &e) < 0)
		strvec_pushf(notes, "warning: %s", e.msg);
	else if (b->opts.verbose)
		strvec_pushf(notes, "pruned the state '%s': removed "
			     "%zu of %zu objects", b->state.dir, st.removed,
			     st.loose);
}

/*
 * The message of a record that could not be written (a full disk): the
 * purge is sent, and the old record stays, so that the next run purges
 * this change again rather than miss it.
 */
static int built_unrecorded(struct built *b, const char *why, struct err *e)
{
	return err_set(e, "cannot record this run in the state '%s': %s; the "
		       "purge was sent and the state is left as it was, so "
		       "the next run purges %s again", b->state.dir, why,
		       b->found ? "this change" : "everything");
}

static int built_write_record(struct built *b, struct err *e)
{
	struct err why;
	char *path;
	int rc;

	if (b->unrecordable)
		return built_unrecorded(b, b->unrecordable, e);
	/* The walk could not fill the store: the tree is not whole there. */
	if (b->trees.store_error)
		return built_unrecorded(b, b->trees.store_error, e);
	if (b->has_state &&
	    (dirtree_keep(&b->trees, &b->new_tree, &why) < 0 ||
	     dirstate_write(&b->state, &b->new_tree, &why) < 0))
		return built_unrecorded(b, why.msg, e);
	if (!b->manifest)
		return 1;
	/*
	 * The manifest is site content, for the web server to read: made
	 * with the user's own umask, not the shared state's.
	 */
	if (b->umask_set) {
		umask(b->umask_old);
		b->umask_set = 0;
	}
	path = xasprintf("%s/%s", b->since, b->manifest);
	rc = manifest_write(path, b->trees.odb, &b->new_tree, e);
	free(path);
	return rc < 0 ? -1 : 1;
}

int built_record(struct built *b, int confirmed, struct strvec *notes,
		 struct err *e)
{
	int rc = 0;

	if (b->since && confirmed)
		rc = built_write_record(b, e);
	if (rc > 0 && b->has_state)
		built_prune(b, notes);
	if (b->lock_fd >= 0) {
		close(b->lock_fd);
		b->lock_fd = -1;
	}
	return rc;
}
