#include "dir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The folder is what is served at base_url; see dir.h. */
static struct built *start_built(struct run *r, const char *state_home,
				 int dry_run, int previous)
{
	struct built_opts o = BUILT_OPTS_INIT;

	o.state_home = state_home;
	o.dry_run = dry_run;
	o.previous = previous;
	o.verbose = r->opts.verbose;
	o.notice = r->opts.quiet ? NULL : stderr;
	o.progress = run_progress(r);
	free(r->config.root);
	r->config.root = xstrdup("");
	free(r->config.tree_config);
	r->config.tree_config = NULL;
	r->dir = built_new(&o);
	return r->dir;
}

static void add_built_range(struct run *r, const struct built_range *br)
{
	run_add_tree_range(r, br->has_old ? &br->old_tree : NULL,
			   &br->new_tree);
}

int dir_compare(struct run *r, const char *old_dir, const char *new_dir,
		struct err *e)
{
	struct built *b = start_built(r, NULL, r->opts.dry_run, 0);
	struct built_range br;

	r->dir_old = old_dir;
	r->dir_new = new_dir;
	if (built_compare(&br, b, &r->config, old_dir, new_dir,
			  &r->plan.notes, e) < 0)
		return -1;
	add_built_range(r, &br);
	return 0;
}

static int since(struct run *r, const char *dir, const char *state_home,
		 int dry_run, struct err *e)
{
	struct built *b = start_built(r, state_home, dry_run, 0);
	struct built_range br;
	int rc = built_since(&br, b, &r->config, r->repo, &r->modes, dir,
			     &r->plan.notes, e);

	if (rc < 0)
		return rc;
	add_built_range(r, &br);
	return 0;
}

int dir_since(struct run *r, const char *dir, struct err *e)
{
	return since(r, dir, NULL, r->opts.dry_run, e);
}

int dir_command(struct run *r, const char *dir, struct err *e)
{
	r->dir_new = dir;
	return since(r, dir, r->config_home, r->opts.dry_run, e);
}

int dir_verify(struct run *r, const char *dir, struct err *e)
{
	struct built *b;
	struct built_range br;
	int rc;

	r->dir_new = dir;
	r->config.state_missing_fail = 0;
	b = start_built(r, r->config_home, 1, 1);
	rc = built_since(&br, b, &r->config, r->repo, &r->modes, dir,
			 &r->plan.notes, e);
	if (rc < 0)
		return rc;
	/* A dry run without an old tree keeps only the new tree's id. */
	if (!br.has_old) {
		built_free(b);
		r->dir = NULL;
		return 1;
	}
	add_built_range(r, &br);
	return 0;
}

int dir_drop_unrelated_repo(struct run *r)
{
	const char *config = r->opts.config_path;
	char *real, *gitdir, *slash;
	int related;

	if (!config && getenv("CF_PURGE_HOOK_CONFIG") &&
	    *getenv("CF_PURGE_HOOK_CONFIG"))
		config = getenv("CF_PURGE_HOOK_CONFIG");
	if (!r->repo || r->opts.repo_path || !config)
		return 0;
	/* The config's folder, links resolved, against the git directory. */
	real = realpath(config, NULL);
	gitdir = realpath(git_repository_path(r->repo), NULL);
	slash = real ? strrchr(real, '/') : NULL;
	if (slash)
		*slash = '\0';
	related = slash && gitdir && !strcmp(real, gitdir);
	free(real);
	free(gitdir);
	if (related)
		return 0;
	git_repository_free(r->repo);
	r->repo = NULL;
	return 1;
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

int dir_record(struct run *r, struct err *e)
{
	int confirmed = !r->opts.dry_run && r->sent;
	int spool_dies;
	size_t i;

	if (!r->dir)
		return 0;
	/* Without a state folder, in CI, only what Cloudflare confirmed. */
	spool_dies = !built_state_dir(r->dir) && in_ci(r);
	for (i = 0; confirmed && i < r->batches.n; i++)
		if (r->outcomes[i].n_lost ||
		    (spool_dies &&
		     r->outcomes[i].n_sent != r->outcomes[i].n_items))
			confirmed = 0;
	return built_record(r->dir, confirmed, &r->plan.notes, e);
}
