#include "run.h"
#include "count.h"
#include "diff.h"
#include "refline.h"
#include "symlinks.h"
#include "../built/built.h"
#include "../verify/verify.h"
#include "../mapping/links.h"
#include "../mapping/map.h"
#include "../util/git.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

FILE *run_progress(const struct run *r)
{
	if (r->opts.json || r->opts.quiet)
		return NULL;
	return r->deploy || isatty(STDERR_FILENO) ? stderr : NULL;
}

void run_init(struct run *r, const struct run_opts *opts)
{
	memset(r, 0, sizeof(*r));
	r->opts = *opts;
	config_init(&r->config);
	r->modes.file = 0600;
	r->modes.dir = 0700;
}

void run_release(struct run *r)
{
	size_t i;

	for (i = 0; i < r->n_ranges; i++)
		free(r->ranges[i].ref);
	free(r->ranges);
	if (r->outcomes)
		for (i = 0; i < r->batches.n; i++)
			send_outcome_release(&r->outcomes[i]);
	free(r->outcomes);
	if (r->spool_outcomes)
		for (i = 0; i < r->spooled.n; i++)
			send_outcome_release(&r->spool_outcomes[i]);
	free(r->spool_outcomes);
	spool_claim_release(&r->spooled);
	batch_list_clear(&r->batches);
	fold_release(&r->fold);
	plan_release(&r->plan);
	change_list_clear(&r->changes);
	config_release(&r->config);
	git_repository_free(r->repo);
	free(r->spool_dir);
	spool_close(&r->spool);
	free(r->zone_id);
	free(r->send_error);
	strvec_clear(&r->tree_errors);
	strvec_clear(&r->mark_ends);
	strvec_clear(&r->zone_cache);
	free(r->plan_error);
	built_free(r->dir);
	free(r->config_home);
	verify_result_free(r->verify);
	memset(r, 0, sizeof(*r));
}

int run_open_repo(struct run *r, struct err *e)
{
	int rc;

	if (r->opts.repo_path)
		rc = git_repository_open_ext(&r->repo, r->opts.repo_path, 0,
					     NULL);
	else
		rc = git_repository_open_ext(&r->repo, NULL,
					     GIT_REPOSITORY_OPEN_FROM_ENV, NULL);
	if (rc < 0)
		return err_set(e, "cannot open the repository '%s': %s",
			       r->opts.repo_path ? r->opts.repo_path :
			       getenv("GIT_DIR") ? getenv("GIT_DIR") : ".",
			       git_message());
	return 0;
}

/* The absolute folder of the file path (owned by the caller). */
static char *folder_of(const char *path)
{
	char *abs = realpath(path, NULL), *slash;

	if (!abs)
		abs = xstrdup(path);
	slash = strrchr(abs, '/');
	if (!slash) {
		free(abs);
		return xstrdup(".");
	}
	slash[slash == abs] = '\0';
	return abs;
}

int run_load_config(struct run *r, struct err *e)
{
	const char *path = r->opts.config_path;
	char *owned = NULL;
	int rc;

	if (!path && getenv("CF_PURGE_HOOK_CONFIG") &&
	    *getenv("CF_PURGE_HOOK_CONFIG"))
		path = getenv("CF_PURGE_HOOK_CONFIG");
	if (!path && r->repo)
		path = owned = xasprintf("%scf-purge-hook.ini",
					 git_repository_path(r->repo));
	if (!path) {
		free(owned);
		return err_set(e, "no configuration: give '-c FILE' or set "
			       "CF_PURGE_HOOK_CONFIG");
	}
	rc = config_load_file(&r->config, path);
	r->config_loaded = 1;
	free(r->config_home);
	r->config_home = folder_of(path);
	free(owned);
	if (rc < 0)
		return err_set(e, "%s", r->config.errors.n ?
			       r->config.errors.v[0] : "invalid configuration");
	return 0;
}

static struct range *new_range(struct run *r)
{
	struct range *rg;

	r->ranges = xrealloc(r->ranges, (r->n_ranges + 1) * sizeof(*r->ranges));
	rg = &r->ranges[r->n_ranges++];
	memset(rg, 0, sizeof(*rg));
	return rg;
}

static enum range_action hook_action(const struct run *r,
				     const struct ref_update *u)
{
	const char *branch;

	if (strncmp(u->ref, "refs/heads/", 11))
		return RANGE_SKIP_NOT_BRANCH;
	branch = u->ref + 11;
	if (!config_branch_wanted(&r->config, branch))
		return RANGE_SKIP_BRANCH;
	if (u->deleted)
		return RANGE_SKIP_DELETED;
	if (u->created)
		return r->config.on_create == ON_CREATE_EVERYTHING ?
			       RANGE_EVERYTHING : RANGE_SKIP_CREATED;
	return RANGE_PURGE;
}

int run_add_hook_input(struct run *r, const char *buf, size_t len,
		       struct err *e)
{
	size_t pos = 0, first = r->n_ranges;
	int line = 0;
	struct err le;

	while (pos < len) {
		const char *start = buf + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) : len - pos;
		struct ref_update u;
		struct range *rg;

		pos += n + (nl ? 1 : 0);
		line++;
		if (refline_parse(&u, start, n, &le) < 0) {
			while (r->n_ranges > first)
				free(r->ranges[--r->n_ranges].ref);
			return err_set(e, "malformed hook input: line %d: %s",
				       line, le.msg);
		}
		rg = new_range(r);
		rg->ref = u.ref;
		if (!u.created)
			memcpy(rg->old_hex, u.old_hex, sizeof(rg->old_hex));
		if (!u.deleted)
			memcpy(rg->new_hex, u.new_hex, sizeof(rg->new_hex));
		rg->action = hook_action(r, &u);
	}
	if (r->n_ranges == first)
		return err_set(e, "malformed hook input: no '<old-id> <new-id> "
			       "<ref>' lines on standard input; to purge by "
			       "hand, use 'cf-purge-hook range OLD..NEW'");
	return 0;
}

int run_check_base(struct run *r, struct range *rg, struct err *e)
{
	git_oid oid;
	git_object *obj = NULL;

	if (rg->action != RANGE_PURGE)
		return 0;
	if (git_oid_fromstr(&oid, rg->old_hex) == 0 &&
	    git_object_lookup(&obj, r->repo, &oid, GIT_OBJECT_COMMIT) == 0) {
		git_object_free(obj);
		return 0;
	}
	if (r->config.missing_base_everything) {
		rg->action = RANGE_EVERYTHING;
		strvec_pushf(&r->plan.notes, "purging everything: the base "
			     "commit %.7s is not in this clone "
			     "(on_missing_base = everything)", rg->old_hex);
		return 0;
	}
	return err_set(e, "the base commit %s is not in this clone", rg->old_hex);
}

/* Resolves a revision to the commit (or tree) it names, as hex. */
static int resolve(struct run *r, char *hex, const char *rev, struct err *e)
{
	git_object *obj = NULL, *peeled = NULL;
	int rc;

	if (git_revparse_single(&obj, r->repo, rev) < 0)
		return err_set(e, "unknown revision '%s': %s", rev,
			       git_message());
	rc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
	if (rc == GIT_EINVALIDSPEC || rc == GIT_EPEEL || rc == GIT_ENOTFOUND)
		rc = git_object_peel(&peeled, obj, GIT_OBJECT_TREE);
	git_object_free(obj);
	if (rc < 0)
		return err_set(e, "revision '%s' names no commit or tree: %s",
			       rev, git_message());
	git_oid_tostr(hex, GIT_OID_HEXSZ + 1, git_object_id(peeled));
	git_object_free(peeled);
	return 0;
}

int run_add_range(struct run *r, const char *old_rev, const char *new_rev,
		  struct err *e)
{
	char old_hex[GIT_OID_HEXSZ + 1], new_hex[GIT_OID_HEXSZ + 1];
	struct range *rg;

	if (resolve(r, old_hex, old_rev, e) < 0 ||
	    resolve(r, new_hex, new_rev, e) < 0)
		return -1;
	rg = new_range(r);
	memcpy(rg->old_hex, old_hex, sizeof(old_hex));
	memcpy(rg->new_hex, new_hex, sizeof(new_hex));
	rg->action = RANGE_PURGE;
	return 0;
}

void run_add_tree_range(struct run *r, const git_oid *old,
			const git_oid *new_tree)
{
	struct range *rg = new_range(r);

	if (old)
		git_oid_tostr(rg->old_hex, sizeof(rg->old_hex), old);
	git_oid_tostr(rg->new_hex, sizeof(rg->new_hex), new_tree);
	rg->action = old ? RANGE_PURGE : RANGE_EVERYTHING;
}

/* Where the ranges' trees are read: the dir command's own store. */
static git_repository *trees_repo(const struct run *r)
{
	return r->dir ? built_repo(r->dir) : r->repo;
}

/* Looks up the tree of the commit (or the tree) with id hex. */
static int tree_of(git_tree **out, struct run *r, const char *hex,
		   const char *ref, struct err *e)
{
	git_oid oid;
	git_object *obj = NULL;
	int rc;

	*out = NULL;
	if (git_oid_fromstr(&oid, hex) < 0 ||
	    git_object_lookup(&obj, trees_repo(r), &oid, GIT_OBJECT_ANY) < 0)
		return err_set(e, "cannot read commit %s%s%s: %s", hex,
			       ref ? " of " : "", ref ? ref : "",
			       git_message());
	rc = git_object_peel((git_object **)out, obj, GIT_OBJECT_TREE);
	git_object_free(obj);
	if (rc < 0)
		return err_set(e, "cannot read the tree of %s: %s", hex,
			       git_message());
	return 0;
}

static int diff_range(struct run *r, struct range *rg, struct err *e)
{
	git_tree *old_tree = NULL, *new_tree = NULL;
	int rc = -1;

	rg->first_change = r->changes.n;
	/*
	 * The same tree on both sides (`dir DIR` when nothing changed):
	 * nothing differs, and a large folder's tree is not read back from
	 * the store to learn it.
	 */
	if (rg->old_hex[0] && !strcmp(rg->old_hex, rg->new_hex)) {
		rg->n_changes = 0;
		return 0;
	}
	if (tree_of(&old_tree, r, rg->old_hex, rg->ref, e) < 0 ||
	    tree_of(&new_tree, r, rg->new_hex, rg->ref, e) < 0)
		goto out;
	if (diff_trees(&r->changes, &r->plan.notes, trees_repo(r), old_tree,
		       new_tree, e) < 0)
		goto out;
	rc = 0;
out:
	rg->n_changes = r->changes.n - rg->first_change;
	git_tree_free(new_tree);
	git_tree_free(old_tree);
	return rc;
}

/*
 * After rg's diff failed in `dir DIR`: its old tree is the state's, and a
 * tree below it is missing or unreadable (a store damaged by hand, or a
 * run of an older version racing a prune). Treated as a missing state:
 * with on_missing = everything the range purges everything and says why
 * (returns 0); otherwise, and outside `dir DIR`, returns -1 with e kept
 * or completed.
 */
static int dir_state_broken(struct run *r, struct range *rg, struct err *e)
{
	char *why;

	if (!r->dir || !built_state_dir(r->dir))
		return -1;
	change_list_truncate(&r->changes, rg->first_change);
	rg->n_changes = 0;
	why = xasprintf("the state's tree for this folder cannot be read "
			"whole (%s)", e->msg);
	if (r->config.state_missing_fail) {
		err_set(e, "%s; nothing was purged ([state] on_missing = "
			"fail): purge by hand, or set on_missing = everything "
			"for one run", why);
		free(why);
		return -1;
	}
	strvec_pushf(&r->plan.notes, "purging everything: %s ([state] "
		     "on_missing = everything)", why);
	free(why);
	rg->action = RANGE_EVERYTHING;
	plan_add(&r->plan, PURGE_EVERYTHING, NULL);
	return 0;
}

/* Pushed config files larger than this are refused. */
#define MAX_TREE_CONFIG (64 * 1024)

/*
 * Loads r->config's file again and adds the layer from the commit (or
 * tree) hex into *tc, and sets *id to the layer's blob. Returns 1 when the
 * tree has no such file (tc is then unused), 2 when the file's blob is
 * *same (tc unused: the caller has that layer already), 0 when tc holds
 * the combined config, -1 when the layer is broken (its problems are in
 * r->tree_errors; tc is released). Keys the tree may not set are noted in
 * r->tree_errors when report_refused is set: the old commit's were
 * reported when it was pushed, and are only left out again.
 */
static int load_tree_config(struct run *r, const char *hex, const char *ref,
			    struct config *tc, git_oid *id,
			    const git_oid *same, int report_refused)
{
	const char *name = r->config.tree_config;
	git_tree *tree = NULL;
	git_tree_entry *te = NULL;
	git_blob *blob = NULL;
	struct err e;
	char *label = NULL;
	size_t i;
	int rc = -1;

	if (tree_of(&tree, r, hex, ref, &e) < 0) {
		strvec_push(&r->tree_errors, e.msg);
		return -1;
	}
	if (git_tree_entry_bypath(&te, tree, name) < 0) {
		git_tree_free(tree);
		return 1;
	}
	git_oid_cpy(id, git_tree_entry_id(te));
	label = xasprintf("%.7s:%s", hex, name);
	if (git_tree_entry_filemode(te) != GIT_FILEMODE_BLOB &&
	    git_tree_entry_filemode(te) != GIT_FILEMODE_BLOB_EXECUTABLE) {
		strvec_pushf(&r->tree_errors, "cannot read '%s': not a "
			     "regular file", label);
		goto out;
	}
	if (same && git_oid_equal(id, same)) {
		rc = 2;
		goto out;
	}
	if (git_blob_lookup(&blob, r->repo, git_tree_entry_id(te)) < 0) {
		strvec_pushf(&r->tree_errors, "cannot read '%s': %s", label,
			     git_message());
		goto out;
	}
	if (git_blob_rawsize(blob) > MAX_TREE_CONFIG) {
		strvec_pushf(&r->tree_errors, "cannot read '%s': larger than "
			     "%d bytes", label, MAX_TREE_CONFIG);
		goto out;
	}
	config_init(tc);
	if (config_load_file(tc, r->config.path) < 0 ||
	    config_load_tree(tc, label, git_blob_rawcontent(blob),
			     (size_t)git_blob_rawsize(blob)) < 0) {
		for (i = 0; i < tc->errors.n; i++)
			strvec_push(&r->tree_errors, tc->errors.v[i]);
		for (i = 0; i < tc->refused.n; i++)
			strvec_push(&r->tree_errors, tc->refused.v[i]);
		config_release(tc);
		goto out;
	}
	/*
	 * What the tree may not set was left out: the run fails so that the
	 * pusher sees it, but the rest of the layer maps the changes.
	 */
	for (i = 0; report_refused && i < tc->refused.n; i++)
		strvec_push(&r->tree_errors, tc->refused.v[i]);
	rc = 0;
out:
	free(label);
	git_blob_free(blob);
	git_tree_entry_free(te);
	git_tree_free(tree);
	return rc;
}

int run_tree_config(struct run *r, const struct range *rg,
		    struct config *tc)
{
	size_t mark = r->tree_errors.n;
	git_oid id;
	int rc;

	if (!r->config.tree_config || !*rg->new_hex)
		return 1;
	rc = load_tree_config(r, rg->new_hex, rg->ref, tc, &id, NULL, 0);
	/* The plan reported the layer's problems already. */
	while (r->tree_errors.n > mark)
		free(r->tree_errors.v[--r->tree_errors.n]);
	return rc == 0 ? 0 : 1;
}

/* The seconds run_send may spend sending, as it reckons them. */
static double send_seconds(const struct run *r)
{
	if (r->deploy && r->ci == RUN_CI_NONE && !r->detached &&
	    r->config.push_deadline < r->config.deadline)
		return r->config.push_deadline;
	return r->config.deadline;
}

/*
 * Folder prefixes for the one range that was diffed (mapping/fold.h).
 * NEEDSWORK: a push of several branches at once keeps its URLs, since
 * each range has a tree of its own to count in.
 */
static int fold_ranges(struct run *r, struct err *e)
{
	const struct range *one = NULL;
	struct change_list slice = CHANGE_LIST_INIT;
	size_t i;

	for (i = 0; i < r->n_ranges; i++) {
		if (r->ranges[i].action != RANGE_PURGE ||
		    !r->ranges[i].n_changes)
			continue;
		if (one)
			return 0;
		one = &r->ranges[i];
	}
	if (!one || !trees_repo(r))
		return 0;
	slice.v = r->changes.v + one->first_change;
	slice.n = one->n_changes;
	return count_fold(&r->fold, &r->plan, trees_repo(r), &r->config, &slice,
			  one->new_hex, send_seconds(r), e);
}

/* Folder prefixes (or collapse), max_urls, then the batches. */
static int finish_plan(struct run *r, struct err *e)
{
	plan_finish(&r->plan);
	if (r->config.collapse_threshold)
		plan_collapse(&r->plan, (size_t)r->config.collapse_threshold);
	else if (fold_ranges(r, e) < 0)
		return -1;
	/* Whoever can push must not flood the requests or the spool. */
	if (r->tree_rules)
		plan_cap_items(&r->plan, (size_t)r->config.tree_max_items,
			       &r->config.base_urls,
			       r->config.tree_may_purge & TREE_MAY_EVERYTHING);
	if (r->config.max_urls &&
	    plan_cap(&r->plan, (size_t)r->config.max_urls,
		     r->config.fallback == FALLBACK_FAIL, e) < 0)
		return -1;
	batches_from_plan(&r->batches, &r->plan, &r->config, r->config.zone_id,
			  r->config.zone_name, (double)time(NULL));
	return 0;
}

/* 1 when some change lies below [site] root, where links are served. */
static int changes_below_root(const struct config *c,
			      const struct change_list *changes)
{
	size_t n = strlen(c->root), i;

	if (!n)
		return changes->n > 0;
	for (i = 0; i < changes->n; i++) {
		const char *p = changes->v[i].path;

		if (!strncmp(p, c->root, n) && p[n] == '/')
			return 1;
	}
	return 0;
}

/*
 * Reads the symbolic links below [site] root of rg's two commits
 * (hook/symlinks.h), when a change lies below it. Returns 0, or -1 with
 * e set.
 */
static int load_links(struct run *r, const struct range *rg,
		      const struct change_list *changes,
		      const struct config *old_c, const struct config *new_c,
		      struct link_list *old_links, struct link_list *new_links,
		      struct err *e)
{
	git_tree *old_tree = NULL, *new_tree = NULL;
	int rc = -1;

	if (!changes_below_root(old_c, changes) &&
	    !changes_below_root(new_c, changes))
		return 0;
	if (tree_of(&old_tree, r, rg->old_hex, rg->ref, e) == 0 &&
	    tree_of(&new_tree, r, rg->new_hex, rg->ref, e) == 0)
		rc = symlinks_load(old_links, new_links, trees_repo(r), old_tree,
				   new_tree, old_c->root, new_c->root,
				   changes, e);
	git_tree_free(new_tree);
	git_tree_free(old_tree);
	return rc;
}

/*
 * Adds to one side's changes the paths its links serve them at. Returns
 * 0, or -1 after noting that the run purges everything.
 */
static int follow_links(struct run *r, struct change_list *side,
			const struct link_list *links)
{
	if (!links->n || links_expand(side, links) >= 0)
		return 0;
	plan_add(&r->plan, PURGE_EVERYTHING, NULL);
	strvec_pushf(&r->plan.notes, "purging everything: the symbolic links "
		     "below [site] root serve the changes at more than %d "
		     "paths", LINKS_MAX_PATHS);
	return -1;
}

/*
 * Maps each change's old side (a deleted path, the path a rename or a
 * modification had) by old_c and its new side by new_c: a page is purged
 * at the URLs the rules of its own commit gave it. Each side also purges
 * the paths its commit's symbolic links serve the changes at.
 */
static void map_sides(struct run *r, const struct config *old_c,
		      const struct config *new_c,
		      const struct change_list *changes,
		      const struct link_list *old_links,
		      const struct link_list *new_links)
{
	struct change_list olds = CHANGE_LIST_INIT, news = CHANGE_LIST_INIT;
	size_t i;

	for (i = 0; i < changes->n; i++) {
		const struct change *ch = &changes->v[i];

		if (ch->mode_only)
			continue;
		if (ch->status != CHANGE_ADDED)
			change_list_add(&olds, CHANGE_DELETED, ch->old_path ?
					ch->old_path : ch->path, NULL,
					ch->old_mode, 0, 0);
		if (ch->status != CHANGE_DELETED)
			change_list_add(&news, CHANGE_ADDED, ch->path, NULL, 0,
					ch->new_mode, 0);
	}
	if (follow_links(r, &olds, old_links) == 0 &&
	    follow_links(r, &news, new_links) == 0) {
		map_changes(&r->plan, old_c, &olds);
		map_changes(&r->plan, new_c, &news);
	}
	change_list_clear(&olds);
	change_list_clear(&news);
}

/* The configs one range's two commits map with, by [hook] tree_config. */
struct range_configs {
	struct config old_tc, new_tc;
	int old_layer, new_layer;	/* load_tree_config()'s return */
};

/*
 * Loads the tree config layers of rg's old and new commits. A broken
 * layer is left out, never widened into a purge of everything: a pushed
 * file is written by whoever may push, and must not be able to empty
 * every zone's cache on every push. A broken pushed file is reported (the
 * run fails, so that the pusher sees why), and the new side maps with the
 * server's own rules; a broken old file was reported when it was pushed,
 * so the old side maps as the new side does, and only a note says so.
 */
static void load_range_configs(struct run *r, const struct range *rg,
			       struct range_configs *rc)
{
	git_oid new_id, old_id;
	size_t mark;

	rc->old_layer = rc->new_layer = 1;
	if (!r->config.tree_config)
		return;
	rc->new_layer = load_tree_config(r, rg->new_hex, rg->ref,
					 &rc->new_tc, &new_id, NULL, 1);
	if (rc->new_layer < 0)
		strvec_pushf(&r->plan.notes, "the pushed '%s' is broken: its "
			     "rules were left out, and the changes map with "
			     "the server's own", r->config.tree_config);
	mark = r->tree_errors.n;
	rc->old_layer = load_tree_config(r, rg->old_hex, rg->ref, &rc->old_tc,
					 &old_id, rc->new_layer == 0 ?
					 &new_id : NULL, 0);
	if (rc->old_layer < 0) {
		while (r->tree_errors.n > mark)
			free(r->tree_errors.v[--r->tree_errors.n]);
		strvec_pushf(&r->plan.notes, "the old commit's '%s' is broken: "
			     "what it served maps as the pushed commit's does",
			     r->config.tree_config);
		rc->old_layer = 2;
	}
}

int run_plan(struct run *r, struct err *e)
{
	size_t i;

	for (i = 0; i < r->n_ranges; i++) {
		struct range *rg = &r->ranges[i];
		struct change_list one = CHANGE_LIST_INIT;
		struct range_configs rc;
		const struct config *old_c, *new_c;
		struct link_list old_links = LINK_LIST_INIT;
		struct link_list new_links = LINK_LIST_INIT;
		int failed = 0;

		if (rg->action == RANGE_EVERYTHING)
			plan_add(&r->plan, PURGE_EVERYTHING, NULL);
		if (rg->action != RANGE_PURGE)
			continue;
		if (diff_range(r, rg, e) < 0 && dir_state_broken(r, rg, e) < 0)
			return -1;
		if (rg->action != RANGE_PURGE)
			continue;
		one.v = r->changes.v + rg->first_change;
		one.n = rg->n_changes;
		if (!one.n)
			continue;
		load_range_configs(r, rg, &rc);
		r->tree_rules |= rc.new_layer == 0 || rc.old_layer == 0;
		new_c = rc.new_layer == 0 ? &rc.new_tc : &r->config;
		old_c = rc.old_layer == 0 ? &rc.old_tc :
			rc.old_layer == 2 ? new_c : &r->config;
		if (load_links(r, rg, &one, old_c, new_c, &old_links,
			       &new_links, e) < 0)
			failed = 1;
		else if (old_c == new_c && !old_links.n && !new_links.n)
			map_changes(&r->plan, new_c, &one);
		else
			map_sides(r, old_c, new_c, &one, &old_links,
				  &new_links);
		link_list_clear(&old_links);
		link_list_clear(&new_links);
		if (rc.old_layer == 0)
			config_release(&rc.old_tc);
		if (rc.new_layer == 0)
			config_release(&rc.new_tc);
		if (failed)
			return -1;
	}
	return finish_plan(r, e);
}

/*
 * explain in a repository: the paths weighed as if they had changed in
 * HEAD's tree, so that explain says which folders would become prefixes
 * and why. Without a repository or a HEAD, paths stay URLs.
 */
static int fold_explained(struct run *r, int n, char **paths, struct err *e)
{
	struct change_list cl = CHANGE_LIST_INIT;
	git_object *head = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	int rc;

	if (!r->repo || r->config.collapse_threshold ||
	    git_revparse_single(&head, r->repo, "HEAD") < 0)
		return 0;
	git_oid_tostr(hex, sizeof(hex), git_object_id(head));
	git_object_free(head);
	for (i = 0; i < (size_t)n; i++)
		change_list_add(&cl, CHANGE_MODIFIED, paths[i], NULL,
				CHANGE_MODE_FILE, CHANGE_MODE_FILE, 0);
	plan_finish(&r->plan);
	rc = count_fold(&r->fold, &r->plan, r->repo, &r->config, &cl, hex,
			send_seconds(r), e);
	for (i = 0; rc == 0 && i < r->fold.n; i++) {
		if (!r->fold.v[i].prefix)
			continue;
		strbuf_setlen(&sb, 0);
		fold_describe(&sb, &r->fold, &r->fold.v[i]);
		strbuf_addstr(&sb, " in HEAD's tree");
		strvec_push(&r->plan.notes, strbuf_str(&sb));
	}
	strbuf_release(&sb);
	change_list_clear(&cl);
	return rc;
}

/*
 * explain in a repository: the paths that HEAD's symbolic links below
 * [site] root serve path at too, each with what it purges. Nothing when
 * there is no repository, no HEAD, or no such link.
 */
static void explain_links(struct run *r, const char *path, int gitlink,
			  struct strvec *out)
{
	struct change_list one = CHANGE_LIST_INIT;
	struct link_list none = LINK_LIST_INIT, links = LINK_LIST_INIT;
	git_object *head = NULL;
	struct err e;

	if (!r->repo || git_revparse_single(&head, r->repo, "HEAD^{tree}") < 0)
		return;
	change_list_add(&one, CHANGE_ADDED, path, NULL, 0, gitlink ?
			CHANGE_MODE_GITLINK : CHANGE_MODE_FILE, 0);
	if (symlinks_load(&none, &links, r->repo, (git_tree *)head,
			  (git_tree *)head, r->config.root, r->config.root,
			  &one, &e) == 0 && links.n &&
	    links_expand(&one, &links) > 0) {
		size_t k;

		for (k = 1; k < one.n; k++) {
			int dir = one.v[k].new_mode == CHANGE_MODE_GITLINK;

			strvec_pushf(out, "served at '%s%s' too, through a "
				     "symbolic link in HEAD", one.v[k].path,
				     dir ? "/" : "");
			map_path(&r->plan, &r->config, one.v[k].path, dir,
				 out);
		}
	}
	link_list_clear(&none);
	link_list_clear(&links);
	change_list_clear(&one);
	git_object_free(head);
}

int run_explain(struct run *r, int n, char **paths, struct strvec *out,
		struct err *e)
{
	int i;

	for (i = 0; i < n; i++) {
		size_t len = strlen(paths[i]);
		int gitlink = len > 1 && paths[i][len - 1] == '/';
		char *path = xstrndup(paths[i], gitlink ? len - 1 : len);
		size_t first = out->n, k;

		strvec_pushf(out, "%s%s", path, gitlink ? " (submodule)" : "");
		if (!map_path(&r->plan, &r->config, path, gitlink, out) &&
		    !pattern_list_match(&r->config.ignore, path, gitlink))
			strvec_push(out, "nothing matches: purges nothing");
		explain_links(r, path, gitlink, out);
		for (k = first + 1; k < out->n; k++) {
			char *line = xasprintf("  %s", out->v[k]);

			free(out->v[k]);
			out->v[k] = line;
		}
		free(path);
	}
	if (fold_explained(r, n, paths, e) < 0)
		return -1;
	return finish_plan(r, e);
}
