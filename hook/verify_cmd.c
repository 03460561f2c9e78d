#include "verify_cmd.h"
#include "ci_output.h"
#include "dir.h"
#include "report.h"
#include "../built/built.h"
#include "../mapping/map.h"
#include "../util/git.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * The most URLs one run checks. A push that changes more is checked on a
 * sample spread evenly over it: the point is to catch a purge that did
 * not take, not to load the site.
 */
#define VERIFY_MAX_URLS 500

/* The tree of the commit or tree hex in repo, or NULL for "". */
static int tree_of(git_tree **out, git_repository *repo, const char *hex,
		   struct err *e)
{
	git_object *obj = NULL;
	git_oid oid;
	int rc;

	*out = NULL;
	if (!*hex)
		return 0;
	if (git_oid_fromstr(&oid, hex) < 0 ||
	    git_object_lookup(&obj, repo, &oid, GIT_OBJECT_ANY) < 0)
		return err_set(e, "cannot verify: cannot read %s: %s", hex,
			       git_message());
	rc = git_object_peel((git_object **)out, obj, GIT_OBJECT_TREE);
	git_object_free(obj);
	if (rc < 0)
		return err_set(e, "cannot verify: cannot read the tree of %s: "
			       "%s", hex, git_message());
	return 0;
}

/*
 * Sets *id to the blob at path in t and returns 1; 0 when there is none
 * or it is a symbolic link (whose blob is the link's text, while the web
 * server serves what it points to).
 */
static int blob_at(git_oid *id, git_tree *t, const char *path)
{
	git_tree_entry *te = NULL;
	int found;

	if (!t || git_tree_entry_bypath(&te, t, path) < 0)
		return 0;
	found = git_tree_entry_type(te) == GIT_OBJECT_BLOB &&
		git_tree_entry_filemode(te) != GIT_FILEMODE_LINK;
	if (found)
		git_oid_cpy(id, git_tree_entry_id(te));
	git_tree_entry_free(te);
	return found;
}

/*
 * Adds the URLs path is served at. Those of [site] (the file's own URL,
 * its folder's, the page without ".html") serve the file itself, and
 * are compared with its blobs; those of [map] templates serve something
 * made from it, and are judged by their status alone. c is the new
 * commit's configuration: with [hook] tree_config, its pushed layer's
 * [map] rules add URLs too.
 */
static void add_urls(struct verify_list *l, const struct config *c,
		     const char *path, const struct verify_expect *x)
{
	struct config site_only = *c;
	struct plan own = PLAN_INIT, all = PLAN_INIT;
	struct verify_expect by_status = *x;
	size_t i;

	site_only.n_maps = 0;
	map_path(&own, &site_only, path, 0, NULL);
	map_path(&all, c, path, 0, NULL);
	for (i = 0; i < own.files.n; i++)
		verify_list_add(l, own.files.v[i], path, x);
	by_status.known_new = by_status.known_old = 0;
	for (i = 0; i < all.files.n; i++)
		verify_list_add(l, all.files.v[i], path, &by_status);
	plan_release(&own);
	plan_release(&all);
}

/* Keeps at most max items of l, spread evenly; notes how many. */
static void sample(struct verify_list *l, size_t max, struct strvec *notes)
{
	size_t i, n = l->n;

	if (n <= max)
		return;
	/*
	 * The i-th kept item comes from i * n / max, which grows faster
	 * than i: a swap never moves an item that is still to be chosen.
	 */
	for (i = 0; i < max; i++) {
		size_t from = i * n / max;
		struct verify_item tmp = l->v[i];

		l->v[i] = l->v[from];
		l->v[from] = tmp;
	}
	for (i = max; i < n; i++) {
		free(l->v[i].url);
		free(l->v[i].path);
	}
	l->n = max;
	strvec_pushf(notes, "verify checks %zu of the %zu URLs, spread over "
		     "the changes", max, n);
}

/* What add_file() needs while git_tree_walk() runs. */
struct tree_walk {
	struct verify_list *l;
	const struct config *config;
	git_tree *old_tree;	/* may be NULL */
	size_t files;
};

/*
 * Adds the URLs of each file of a tree, expected to serve its blob, and
 * its old blob where the old tree has the path: a range that purged
 * everything has no diff to tell what changed.
 */
static int add_file(const char *root, const git_tree_entry *te, void *data)
{
	struct tree_walk *w = data;
	struct verify_expect x;
	char *path;

	if (git_tree_entry_type(te) != GIT_OBJECT_BLOB ||
	    git_tree_entry_filemode(te) == GIT_FILEMODE_LINK)
		return 0;
	path = xasprintf("%s%s", root, git_tree_entry_name(te));
	memset(&x, 0, sizeof(x));
	x.has_new = x.known_new = 1;
	git_oid_cpy(&x.new_id, git_tree_entry_id(te));
	x.known_old = blob_at(&x.old_id, w->old_tree, path);
	add_urls(w->l, w->config, path, &x);
	w->files++;
	free(path);
	return 0;
}

/*
 * The URLs of every file of the new tree of rg, with the old tree's blobs
 * where it has them (an old side that cannot be read is left out: a base
 * commit missing from the clone is why some ranges purge everything).
 */
static int add_whole_tree(struct verify_list *l, const struct config *c,
			  git_repository *repo, const struct range *rg,
			  struct err *e)
{
	struct tree_walk w = { l, c, NULL, 0 };
	git_tree *new_tree = NULL;
	struct err ignored;
	int rc;

	if (tree_of(&new_tree, repo, rg->new_hex, e) < 0)
		return -1;
	if (!new_tree)
		return 0;
	if (tree_of(&w.old_tree, repo, rg->old_hex, &ignored) < 0)
		w.old_tree = NULL;
	rc = git_tree_walk(new_tree, GIT_TREEWALK_PRE, add_file, &w);
	git_tree_free(w.old_tree);
	git_tree_free(new_tree);
	if (rc < 0)
		return err_set(e, "cannot verify: cannot read the tree of "
			       "%s: %s", rg->new_hex, git_message());
	return 0;
}

int verify_collect(struct verify_list *l, struct run *r, size_t max,
		   struct strvec *notes, struct err *e)
{
	git_repository *repo = r->dir ? built_repo(r->dir) : r->repo;
	size_t i, k;
	int everything = 0;

	for (i = 0; i < r->n_ranges; i++) {
		const struct range *rg = &r->ranges[i];
		git_tree *old_tree = NULL, *new_tree = NULL;
		struct config tc;
		const struct config *cfg = &r->config;
		int layered = 0;

		if ((rg->action == RANGE_EVERYTHING || r->verify_whole ||
		     (rg->action == RANGE_PURGE && rg->n_changes)) &&
		    run_tree_config(r, rg, &tc) == 0) {
			cfg = &tc;
			layered = 1;
		}
		if (rg->action == RANGE_EVERYTHING || r->verify_whole) {
			int rc = add_whole_tree(l, cfg, repo, rg, e);

			if (layered)
				config_release(&tc);
			if (rc < 0)
				return -1;
			if (rg->action == RANGE_EVERYTHING)
				everything = 1;
			continue;
		}
		if (rg->action != RANGE_PURGE || !rg->n_changes)
			continue;
		if (tree_of(&old_tree, repo, rg->old_hex, e) < 0 ||
		    tree_of(&new_tree, repo, rg->new_hex, e) < 0) {
			git_tree_free(old_tree);
			if (layered)
				config_release(&tc);
			return -1;
		}
		/*
		 * NEEDSWORK: a deleted path's URLs come from the new commit's
		 * rules, while the old commit's layer named what it served.
		 */
		for (k = rg->first_change;
		     k < rg->first_change + rg->n_changes; k++) {
			const struct change *c = &r->changes.v[k];
			struct verify_expect x;

			if (c->new_mode == CHANGE_MODE_GITLINK ||
			    c->old_mode == CHANGE_MODE_GITLINK)
				continue;
			memset(&x, 0, sizeof(x));
			if (c->status == CHANGE_DELETED) {
				x.known_old = blob_at(&x.old_id, old_tree,
						      c->path);
				add_urls(l, cfg, c->path, &x);
				continue;
			}
			x.has_new = 1;
			x.known_new = blob_at(&x.new_id, new_tree, c->path);
			if (c->status != CHANGE_RENAMED && c->status !=
			    CHANGE_ADDED)
				x.known_old = blob_at(&x.old_id, old_tree,
						      c->path);
			add_urls(l, cfg, c->path, &x);
			if (c->status == CHANGE_RENAMED && c->old_path) {
				memset(&x, 0, sizeof(x));
				x.known_old = blob_at(&x.old_id, old_tree,
						      c->old_path);
				add_urls(l, cfg, c->old_path, &x);
			}
		}
		git_tree_free(old_tree);
		git_tree_free(new_tree);
		if (layered)
			config_release(&tc);
	}
	verify_list_dedupe(l);
	sample(l, max, notes);
	if (everything && !l->n)
		strvec_push(notes, "a range purged everything, and its tree "
			    "has no file served at a URL to verify");
	return 0;
}

/* Adds the URL of each stale item that matches not_deployed to p. */
static size_t plan_stale(struct plan *p, const struct verify_list *l,
			 int not_deployed)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++)
		if (l->v[i].verdict == VERDICT_STALE &&
		    l->v[i].not_deployed == not_deployed) {
			plan_add(p, PURGE_FILES, l->v[i].url);
			n++;
		}
	plan_finish(p);
	return n;
}

/*
 * Checks every URL; then keeps the purge of what the origin does not
 * serve yet, and purges again, after [verify] retry_after, what is stale
 * at the edge alone, and checks that again.
 */
static void check(struct run *r, struct verify_result *v, double deadline,
		  double purged_at)
{
	struct verify_opts o = { &r->config, deadline, purged_at };
	struct plan keep = PLAN_INIT, again = PLAN_INIT;
	struct err e;
	size_t i, n_again;
	int found;

	if (!v->items.n)
		return;
	if (verify_check(&v->items, 0, &o, &e) < 0) {
		strvec_push(&v->problems, e.msg);
		return;
	}
	v->checked = 1;
	found = verify_origin(&v->items, &o, &e);
	if (found < 0) {
		strvec_push(&v->problems, e.msg);
		return;
	}
	/*
	 * Purging again is no use while the origin serves the old build:
	 * the edge would store it again. The purge is kept in the spool, so
	 * that 'retry' sends it once the deploy is live.
	 */
	if (found && plan_stale(&keep, &v->items, 1)) {
		if (run_send_more(r, &keep, 1, deadline, &v->problems) == 0)
			v->kept = (size_t)found;
	}
	n_again = plan_stale(&again, &v->items, 0);
	if (n_again && mono_now() + r->config.verify_retry_after + 1 >=
	    deadline) {
		strvec_pushf(&v->notes, "no time is left before the run's "
			     "deadline to purge the %zu stale %s again",
			     n_again, n_again == 1 ? "URL" : "URLs");
	} else if (n_again) {
		sleep_seconds(r->config.verify_retry_after);
		o.since_purge_at = (double)time(NULL);
		if (run_send_more(r, &again, 0, deadline, &v->problems) == 0) {
			for (i = 0; i < v->items.n; i++)
				if (v->items.v[i].verdict == VERDICT_STALE &&
				    !v->items.v[i].not_deployed)
					v->items.v[i].purged_again = 1;
			v->purged_again = n_again;
		}
		if (verify_check(&v->items, 1, &o, &e) < 0)
			strvec_push(&v->problems, e.msg);
	}
	plan_release(&keep);
	plan_release(&again);
}

/* Requests the fresh (or, unchecked, every live) URL and [warm] urls. */
static void warm(struct run *r, struct verify_result *v, double deadline)
{
	struct verify_opts o = { &r->config, deadline, 0 };
	struct strvec urls = STRVEC_INIT;
	struct err e;
	size_t i;

	for (i = 0; i < v->items.n; i++) {
		const struct verify_item *it = &v->items.v[i];

		if (v->checked ? it->verdict == VERDICT_FRESH :
		    it->expect.has_new)
			strvec_push(&urls, it->url);
	}
	for (i = 0; i < r->config.warm_urls.n; i++)
		strvec_push(&urls, r->config.warm_urls.v[i]);
	strvec_sort_unique(&urls);
	v->warm_requested = urls.n;
	if (verify_warm(&urls, &o, &v->warmed, &v->warm_failed, &e) < 0)
		strvec_push(&v->problems, e.msg);
	strvec_clear(&urls);
}

/* The exit status that v calls for. */
static int status_of(const struct verify_result *v)
{
	size_t counts[6], i;

	if (v->problems.n)
		return RUN_FAILED;
	verify_count(&v->items, counts);
	if (counts[VERDICT_STALE] || counts[VERDICT_MISSING] ||
	    counts[VERDICT_ERROR])
		return RUN_FAILED;
	for (i = 0; i < v->items.n; i++)
		if (v->items.v[i].not_deployed)
			return RUN_FAILED;
	return RUN_OK;
}

static struct verify_result *result_new(struct run *r)
{
	verify_result_free(r->verify);
	r->verify = xcalloc(1, sizeof(*r->verify));
	return r->verify;
}

int verify_after_send(struct run *r)
{
	struct verify_result *v;
	struct err e;
	double deadline = r->send_deadline;
	size_t i;

	if (r->opts.dry_run || !r->sent ||
	    (!r->config.verify_after_purge && !r->config.warm_after_purge))
		return RUN_OK;
	v = result_new(r);
	/*
	 * What Cloudflare did not confirm was not purged: the edge would
	 * only be found stale, and the run fails for it already.
	 */
	for (i = 0; i < r->batches.n; i++)
		if (r->outcomes[i].n_sent != r->outcomes[i].n_items) {
			strvec_push(&v->notes, "not verified: the purge was not "
				    "confirmed");
			return RUN_OK;
		}
	if (verify_collect(&v->items, r, VERIFY_MAX_URLS, &v->notes, &e) < 0) {
		strvec_push(&v->problems, e.msg);
		return RUN_FAILED;
	}
	if (r->config.verify_after_purge)
		check(r, v, deadline, r->sent_at);
	if (r->config.warm_after_purge)
		warm(r, v, deadline);
	return status_of(v);
}

int verify_on_demand(struct run *r)
{
	struct verify_result *v;
	struct err e;

	if (run_plan(r, &e) < 0) {
		report_error(stderr, e.msg);
		return RUN_FAILED;
	}
	v = result_new(r);
	v->on_demand = 1;
	if (verify_collect(&v->items, r, VERIFY_MAX_URLS, &v->notes, &e) < 0) {
		report_error(stderr, e.msg);
		return RUN_FAILED;
	}
	/* A dry run says what it would request, and requests nothing. */
	if (r->opts.dry_run)
		return RUN_OK;
	check(r, v, mono_now() + r->config.deadline, 0);
	return status_of(v);
}

/* "12 fresh, 1 stale" into sb, the verdicts in a fixed order. */
static void add_counts(struct strbuf *sb, const struct verify_list *l)
{
	static const enum verdict order[] = {
		VERDICT_FRESH, VERDICT_STALE, VERDICT_MISSING, VERDICT_OTHER,
		VERDICT_ERROR, VERDICT_UNCHECKED
	};
	size_t counts[6], i;
	int any = 0;

	verify_count(l, counts);
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!counts[order[i]])
			continue;
		strbuf_addf(sb, "%s%zu %s", any ? ", " : "", counts[order[i]],
			    order[i] == VERDICT_ERROR ? "unanswered" :
			    verdict_name(order[i]));
		any = 1;
	}
}

/* " (cf-cache-status HIT, age 120, cf-ray 8f...)" for it's headers. */
static void add_headers(struct strbuf *sb, const struct verify_item *it)
{
	strbuf_addf(sb, " (HTTP %ld", it->status);
	strbuf_addf(sb, ", cf-cache-status %s", it->cache_status ?
		    it->cache_status : "none");
	if (it->age)
		strbuf_addf(sb, ", age %s", it->age);
	if (it->cf_ray)
		strbuf_addf(sb, ", cf-ray %s", it->cf_ray);
	strbuf_addch(sb, ')');
}

/* The line that explains one item that is not fresh, or "" for none. */
static void explain_item(struct strbuf *sb, const struct verify_item *it,
			 const struct run *r)
{
	const char *path = it->path ? it->path : "?";

	if (it->not_deployed) {
		strbuf_addf(sb, "not deployed: '%s' is stale and the origin "
			    "itself still serves the old '%s' (a deploy "
			    "problem, not a cache one); ", it->url, path);
		/* A CI job's spool goes with it: the marker keeps it. */
		if (r->spool_dies && r->owed_by)
			strbuf_addstr(sb, r->owed_by);
		else if (r->spool_dies)
			strbuf_addstr(sb, "re-run the job once the new build "
				      "is live");
		else
			strbuf_addf(sb, "the purge is kept in '%s': once the "
				    "new build is live, run 'cf-purge-hook "
				    "retry'", r->spool_dir ? r->spool_dir :
				    "the spool");
		return;
	}
	switch (it->verdict) {
	case VERDICT_STALE:
		strbuf_addf(sb, "STALE%s: '%s' still serves the old '%s'",
			    it->purged_again ? " after a second purge" : "",
			    it->url, path);
		add_headers(sb, it);
		break;
	case VERDICT_MISSING:
		if (it->expect.has_new)
			strbuf_addf(sb, "missing: '%s' answers %ld, but '%s' "
				    "exists: check [site] and the [map] rules "
				    "that name it", it->url, it->status, path);
		else
			strbuf_addf(sb, "missing: '%s' answers %ld, but '%s' "
				    "was deleted: check [site] and the [map] "
				    "rules that name it", it->url, it->status,
				    path);
		add_headers(sb, it);
		break;
	case VERDICT_ERROR:
		strbuf_addf(sb, "cannot verify '%s': %s", it->url,
			    it->detail ? it->detail : "no answer");
		break;
	case VERDICT_OTHER:
		strbuf_addf(sb, "other: '%s' serves neither the old nor the "
			    "new '%s'", it->url, path);
		add_headers(sb, it);
		if (it->detail)
			strbuf_addf(sb, ": %s", it->detail);
		strbuf_addstr(sb, "; if the origin or the edge changes pages, "
			      "set [verify] compare = status");
		break;
	default:
		break;
	}
}

void verify_report(FILE *err, const struct run *r)
{
	const struct verify_result *v = r->verify;
	struct strbuf sb = STRBUF_INIT, line = STRBUF_INIT;
	size_t i;

	if (!v)
		return;
	for (i = 0; !r->opts.quiet && i < v->notes.n; i++)
		strbuf_addf(&sb, "%s\n", v->notes.v[i]);
	if (r->opts.dry_run && v->on_demand) {
		strbuf_addf(&sb, "dry run: would verify %zu %s\n", v->items.n,
			    v->items.n == 1 ? "URL" : "URLs");
		for (i = 0; r->opts.verbose && i < v->items.n; i++)
			strbuf_addf(&sb, "  %s\n", v->items.v[i].url);
	}
	if (v->checked && (!r->opts.quiet || status_of(v) != RUN_OK)) {
		strbuf_addf(&sb, "verified %zu %s: ", v->items.n,
			    v->items.n == 1 ? "URL" : "URLs");
		add_counts(&sb, &v->items);
		if (v->purged_again)
			strbuf_addf(&sb, " (%zu purged a second time)",
				    v->purged_again);
		strbuf_addch(&sb, '\n');
	}
	for (i = 0; i < v->items.n; i++) {
		strbuf_setlen(&line, 0);
		explain_item(&line, &v->items.v[i], r);
		if (line.len)
			strbuf_addf(&sb, "%s\n", line.buf);
		else if (r->opts.verbose && v->checked)
			strbuf_addf(&sb, "  %s '%s'\n",
				    verdict_name(v->items.v[i].verdict),
				    v->items.v[i].url);
	}
	for (i = 0; i < v->problems.n; i++)
		strbuf_addf(&sb, "%s\n", v->problems.v[i]);
	if (v->warm_requested && !r->opts.quiet)
		strbuf_addf(&sb, "warmed %zu of %zu %s\n", v->warmed,
			    v->warm_requested, v->warm_requested == 1 ?
			    "URL" : "URLs");
	for (i = 0; i < v->warm_failed.n; i++)
		strbuf_addf(&sb, "%s\n", v->warm_failed.v[i]);
	/* One message per line, each through the sanitiser. */
	{
		char *p = sb.buf, *nl;

		while (sb.len && (nl = strchr(p, '\n'))) {
			*nl = '\0';
			report_error(err, p);
			p = nl + 1;
		}
	}
	strbuf_release(&sb);
	strbuf_release(&line);
}

static void add_string(cJSON *o, const char *key, const char *v)
{
	if (v)
		need(cJSON_AddStringToObject(o, key, v));
	else
		need(cJSON_AddNullToObject(o, key));
}

cJSON *verify_json(const struct run *r)
{
	const struct verify_result *v = r->verify;
	cJSON *j, *arr, *counts;
	size_t c[6], i;

	if (!v)
		return NULL;
	j = need(cJSON_CreateObject());
	need(cJSON_AddBoolToObject(j, "checked", v->checked));
	verify_count(&v->items, c);
	counts = need(cJSON_AddObjectToObject(j, "counts"));
	for (i = VERDICT_FRESH; i <= VERDICT_ERROR; i++)
		need(cJSON_AddNumberToObject(counts,
					     verdict_name((enum verdict)i),
					     (double)c[i]));
	need(cJSON_AddNumberToObject(j, "purged_again",
				     (double)v->purged_again));
	need(cJSON_AddNumberToObject(j, "kept", (double)v->kept));
	arr = need(cJSON_AddArrayToObject(j, "urls"));
	for (i = 0; i < v->items.n; i++) {
		const struct verify_item *it = &v->items.v[i];
		cJSON *o = need(cJSON_CreateObject());

		need(cJSON_AddStringToObject(o, "url", it->url));
		add_string(o, "path", it->path);
		need(cJSON_AddStringToObject(o, "verdict",
					     verdict_name(it->verdict)));
		need(cJSON_AddNumberToObject(o, "status", (double)it->status));
		add_string(o, "cf_cache_status", it->cache_status);
		add_string(o, "age", it->age);
		add_string(o, "cf_ray", it->cf_ray);
		need(cJSON_AddBoolToObject(o, "purged_again",
					   it->purged_again));
		need(cJSON_AddBoolToObject(o, "not_deployed",
					   it->not_deployed));
		add_string(o, "detail", it->detail);
		cJSON_AddItemToArray(arr, o);
	}
	if (v->warm_requested || r->config.warm_after_purge) {
		cJSON *w = need(cJSON_AddObjectToObject(j, "warm"));

		need(cJSON_AddNumberToObject(w, "requested",
					     (double)v->warm_requested));
		need(cJSON_AddNumberToObject(w, "answered",
					     (double)v->warmed));
	}
	arr = need(cJSON_AddArrayToObject(j, "problems"));
	for (i = 0; i < v->problems.n; i++)
		cJSON_AddItemToArray(arr, need(cJSON_CreateString(
					v->problems.v[i])));
	return j;
}

void verify_markdown(FILE *f, const struct run *r)
{
	const struct verify_result *v = r->verify;
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	if (!v || !v->checked)
		return;
	add_counts(&sb, &v->items);
	fprintf(f, "Verified %zu URLs: ", v->items.n);
	ci_put_md(f, sb.buf);
	fputs(".\n\n| URL | Verdict | Status | cf-cache-status | Age | "
	      "cf-ray |\n|---|---|---|---|---|---|\n", f);
	for (i = 0; i < v->items.n; i++) {
		const struct verify_item *it = &v->items.v[i];

		fputs("| ", f);
		ci_put_md(f, it->url);
		fprintf(f, " | %s%s | %ld | ", it->not_deployed ?
			"not deployed" : verdict_name(it->verdict),
			it->purged_again ? " (purged again)" : "", it->status);
		ci_put_md(f, it->cache_status ? it->cache_status : "");
		fputs(" | ", f);
		ci_put_md(f, it->age ? it->age : "");
		fputs(" | ", f);
		ci_put_md(f, it->cf_ray ? it->cf_ray : "");
		fputs(" |\n", f);
	}
	fputc('\n', f);
	strbuf_release(&sb);
}

int verify_add_dir(struct run *r, const char *dir, struct err *e)
{
	const char *tmp = getenv("TMPDIR");
	char *empty;
	int rc;

	r->verify_whole = 1;
	rc = dir_verify(r, dir, e);
	if (rc <= 0)
		return rc;
	/* No tree recorded for dir: its files have no old side. */
	empty = xasprintf("%s/cf-purge-hook-verify.XXXXXX",
			  tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(empty)) {
		rc = err_set(e, "cannot make an empty folder '%s': %s", empty,
			     strerror(errno));
		free(empty);
		return rc;
	}
	rc = dir_compare(r, empty, dir, e);
	rmdir(empty);
	free(empty);
	/* The range is every file of dir, not a change since a state. */
	r->dir_old = NULL;
	return rc;
}
