#include "count.h"

#include <string.h>

struct counter {
	git_repository *repo;
	git_tree *tree;		/* the pushed commit's */
	const char *root;	/* [site] root */
	struct strbuf path;
};

static const char *git_message(void)
{
	const git_error *ge = git_error_last();

	return ge && ge->message ? ge->message : "unknown libgit2 error";
}

/* Adds the files below tree to *n, stopping once *n passes limit. */
static int count_tree(struct counter *ct, const git_tree *tree, size_t limit,
		      size_t *n, struct err *e)
{
	size_t i, entries = git_tree_entrycount(tree);

	for (i = 0; i < entries && *n <= limit; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(tree, i);
		git_tree *sub = NULL;
		int rc;

		if (git_tree_entry_type(te) != GIT_OBJECT_TREE) {
			(*n)++;
			continue;
		}
		if (git_tree_lookup(&sub, ct->repo, git_tree_entry_id(te)) < 0)
			return err_set(e, "cannot read the folder '%s' of the "
				       "pushed tree: %s", git_tree_entry_name(te),
				       git_message());
		rc = count_tree(ct, sub, limit, n, e);
		git_tree_free(sub);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* fold_count_fn: the files below root/dir in the pushed tree. */
static int count_dir(void *ctx, const char *dir, size_t limit, size_t *n,
		     struct err *e)
{
	struct counter *ct = ctx;
	git_tree_entry *te = NULL;
	git_tree *sub = NULL;
	int rc;

	*n = 0;
	strbuf_setlen(&ct->path, 0);
	strbuf_addstr(&ct->path, ct->root);
	if (*ct->root && *dir)
		strbuf_addch(&ct->path, '/');
	strbuf_addstr(&ct->path, dir);
	if (!ct->path.len)
		return count_tree(ct, ct->tree, limit, n, e);
	if (git_tree_entry_bypath(&te, ct->tree, strbuf_str(&ct->path)) < 0)
		return 0;	/* not in the new tree: no files */
	if (git_tree_entry_type(te) != GIT_OBJECT_TREE) {
		git_tree_entry_free(te);
		return 0;	/* a file now: nothing below the folder */
	}
	rc = git_tree_lookup(&sub, ct->repo, git_tree_entry_id(te));
	git_tree_entry_free(te);
	if (rc < 0)
		return err_set(e, "cannot read the folder '%s' of the pushed "
			       "tree: %s", strbuf_str(&ct->path), git_message());
	rc = count_tree(ct, sub, limit, n, e);
	git_tree_free(sub);
	return rc;
}

/* The path below root, or NULL when path is not inside it. */
static const char *below_root(const char *root, const char *path)
{
	size_t n = strlen(root);

	if (!n)
		return path;
	if (strncmp(path, root, n) || path[n] != '/' || !path[n + 1])
		return NULL;
	return path + n + 1;
}

int count_fold(struct fold *f, struct plan *plan, git_repository *repo,
	       const struct config *c, const struct change_list *changes,
	       const char *new_hex, double deadline, struct err *e)
{
	struct counter ct;
	git_object *obj = NULL;
	git_oid oid;
	size_t i;
	int rc;

	for (i = 0; i < changes->n; i++) {
		const struct change *ch = &changes->v[i];
		const char *rel = below_root(c->root, ch->path);
		int gitlink = (ch->status == CHANGE_DELETED ? ch->old_mode :
			       ch->new_mode) == CHANGE_MODE_GITLINK;

		if (ch->mode_only || !rel ||
		    pattern_list_match(&c->ignore, ch->path, gitlink))
			continue;
		fold_add(f, rel, ch->status == CHANGE_DELETED);
	}
	if (!f->paths.n || plan->everything)
		return 0;
	memset(&ct, 0, sizeof(ct));
	ct.repo = repo;
	ct.root = c->root;
	strbuf_init(&ct.path);
	if (git_oid_fromstr(&oid, new_hex) < 0 ||
	    git_object_lookup(&obj, repo, &oid, GIT_OBJECT_ANY) < 0 ||
	    git_object_peel((git_object **)&ct.tree, obj, GIT_OBJECT_TREE) < 0) {
		git_object_free(obj);
		return err_set(e, "cannot read the tree of %s: %s", new_hex,
			       git_message());
	}
	git_object_free(obj);
	f->count = count_dir;
	f->count_ctx = &ct;
	rc = fold_plan(f, plan, c, deadline, e);
	f->count = NULL;
	f->count_ctx = NULL;
	git_tree_free(ct.tree);
	strbuf_release(&ct.path);
	return rc;
}
