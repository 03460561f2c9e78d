#include "run.h"
#include "diff.h"
#include "refline.h"
#include "../mapping/map.h"
#include "../purge/body.h"
#include "../purge/client.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Seconds a single request may take before it counts as failed. */
#define REQUEST_TIMEOUT 30

static const char *git_message(void)
{
	const git_error *ge = git_error_last();

	return ge && ge->message ? ge->message : "unknown libgit2 error";
}

void run_init(struct run *r, const struct run_opts *opts)
{
	memset(r, 0, sizeof(*r));
	r->opts = *opts;
	config_init(&r->config);
}

void run_release(struct run *r)
{
	size_t i;

	for (i = 0; i < r->n_ranges; i++)
		free(r->ranges[i].ref);
	free(r->ranges);
	if (r->outcomes) {
		for (i = 0; i < r->requests.n; i++) {
			cf_reply_release(&r->outcomes[i].reply);
			free(r->outcomes[i].transport_error);
		}
		free(r->outcomes);
	}
	request_list_clear(&r->requests);
	plan_release(&r->plan);
	change_list_clear(&r->changes);
	config_release(&r->config);
	git_repository_free(r->repo);
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

/* Looks up the tree of the commit (or the tree) with id hex. */
static int tree_of(git_tree **out, struct run *r, const char *hex,
		   const char *ref, struct err *e)
{
	git_oid oid;
	git_object *obj = NULL;
	int rc;

	*out = NULL;
	if (git_oid_fromstr(&oid, hex) < 0 ||
	    git_object_lookup(&obj, r->repo, &oid, GIT_OBJECT_ANY) < 0)
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
	if (tree_of(&old_tree, r, rg->old_hex, rg->ref, e) < 0 ||
	    tree_of(&new_tree, r, rg->new_hex, rg->ref, e) < 0)
		goto out;
	if (diff_trees(&r->changes, r->repo, old_tree, new_tree, e) < 0)
		goto out;
	rc = 0;
out:
	rg->n_changes = r->changes.n - rg->first_change;
	git_tree_free(new_tree);
	git_tree_free(old_tree);
	return rc;
}

int run_plan(struct run *r, struct err *e)
{
	size_t i;

	for (i = 0; i < r->n_ranges; i++) {
		struct range *rg = &r->ranges[i];
		struct change_list one = CHANGE_LIST_INIT;

		if (rg->action == RANGE_EVERYTHING)
			plan_add(&r->plan, PURGE_EVERYTHING, NULL);
		if (rg->action != RANGE_PURGE)
			continue;
		if (diff_range(r, rg, e) < 0)
			return -1;
		one.v = r->changes.v + rg->first_change;
		one.n = rg->n_changes;
		map_changes(&r->plan, &r->config, &one);
	}
	plan_finish(&r->plan);
	plan_requests(&r->requests, &r->plan, r->config.zone_id,
		      (size_t)r->config.files_per_request);
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int run_send(struct run *r, struct err *e)
{
	const char *token;
	struct cf_client *client = NULL;
	double start = now();
	size_t i;

	r->outcomes = xcalloc(r->requests.n, sizeof(*r->outcomes));
	if (!r->requests.n)
		return 0;
	token = getenv(r->config.api_token_env);
	if (!token || !*token) {
		r->n_failed = r->requests.n;
		return err_set(e, "no API token: '%s' is not set in the "
			       "environment of this program; set it (see "
			       "[cloudflare] api_token_env in '%s')",
			       r->config.api_token_env, r->config.path);
	}
	if (cf_client_new(&client, r->config.api_url, token, REQUEST_TIMEOUT,
			  e) < 0) {
		r->n_failed = r->requests.n;
		return -1;
	}
	for (i = 0; i < r->requests.n; i++) {
		struct outcome *o = &r->outcomes[i];
		char *body = body_text(&r->requests.v[i]);
		struct err te;

		r->n_attempted++;
		if (cf_client_purge(client, r->requests.v[i].zone_id, body,
				    &o->reply, &te) < 0) {
			o->transport_error = xstrdup(te.msg);
			r->n_failed++;
		} else {
			o->sent = 1;
			if (!o->reply.success)
				r->n_failed++;
		}
		free(body);
	}
	cf_client_free(client);
	r->seconds = now() - start;
	if (r->n_failed)
		return err_set(e, "%zu of %zu purge requests failed",
			       r->n_failed, r->requests.n);
	return 0;
}
