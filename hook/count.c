#include "count.h"
#include "../util/git.h"

#include <stdlib.h>
#include <string.h>

/* The whole count of a subtree already read, by the subtree's id. */
struct memo {
	git_oid id;
	size_t files;
	int used;
};

struct counter {
	git_repository *repo;
	git_odb *odb;
	git_tree *tree;		/* the pushed commit's */
	const char *root;	/* [site] root */
	struct strbuf path;
	/*
	 * The planner counts a folder and then, when it is not cheap, its
	 * subfolders, and at the end maybe the whole site: subtrees counted
	 * in full are remembered so that none is read twice.
	 */
	struct memo *memo;
	size_t memo_cap, memo_n;
};

static size_t memo_slot(const struct counter *ct, const git_oid *id)
{
	size_t h = 0, i;

	for (i = 0; i < sizeof(h); i++)
		h = h << 8 | id->id[i];
	return h & (ct->memo_cap - 1);
}

static int memo_get(const struct counter *ct, const git_oid *id,
		    size_t *files)
{
	size_t i;

	if (!ct->memo_cap)
		return 0;
	for (i = memo_slot(ct, id); ct->memo[i].used;
	     i = (i + 1) & (ct->memo_cap - 1))
		if (git_oid_equal(&ct->memo[i].id, id)) {
			*files = ct->memo[i].files;
			return 1;
		}
	return 0;
}

static void memo_put(struct counter *ct, const git_oid *id, size_t files)
{
	size_t i;

	if (ct->memo_n * 2 >= ct->memo_cap) {
		struct memo *old = ct->memo;
		size_t old_cap = ct->memo_cap;

		ct->memo_cap = old_cap ? old_cap * 2 : 256;
		ct->memo = xcalloc(ct->memo_cap, sizeof(*ct->memo));
		ct->memo_n = 0;
		for (i = 0; i < old_cap; i++)
			if (old[i].used)
				memo_put(ct, &old[i].id, old[i].files);
		free(old);
	}
	for (i = memo_slot(ct, id); ct->memo[i].used;
	     i = (i + 1) & (ct->memo_cap - 1))
		if (git_oid_equal(&ct->memo[i].id, id))
			return;
	git_oid_cpy(&ct->memo[i].id, id);
	ct->memo[i].files = files;
	ct->memo[i].used = 1;
	ct->memo_n++;
}

/*
 * Counts the files below the tree with the given id into *n, stopping
 * once *n passes limit; a count that did not stop is remembered. The
 * tree is read as a raw object and its entries ("MODE NAME\0ID") scanned
 * in place, as hook/diff.c reads them: a folder's mode is 40000, and
 * anything else is one file.
 */
static int count_tree(struct counter *ct, const git_oid *id, size_t limit,
		      size_t *n, struct err *e)
{
	git_odb_object *obj = NULL;
	const unsigned char *p, *end;
	size_t mine = 0;
	int partial = 0, rc = 0;

	if (memo_get(ct, id, &mine)) {
		*n = mine;
		return 0;
	}
	if (git_odb_read(&obj, ct->odb, id) < 0)
		return err_set(e, "cannot read the tree %s in the pushed commit: "
			       "%s", git_oid_tostr_s(id), git_message());
	if (git_odb_object_type(obj) != GIT_OBJECT_TREE) {
		rc = err_set(e, "cannot read the tree %s in the pushed commit: "
			     "it is a %s", git_oid_tostr_s(id),
			     git_object_type2string(git_odb_object_type(obj)));
		goto out;
	}
	p = git_odb_object_data(obj);
	end = p + git_odb_object_size(obj);
	while (p < end && mine <= limit) {
		const unsigned char *sp = memchr(p, ' ', (size_t)(end - p));
		const unsigned char *nul = sp ? memchr(sp, '\0',
						     (size_t)(end - sp)) : NULL;
		unsigned mode = 0;
		size_t sub = 0;
		git_oid sub_id;

		if (!nul || (size_t)(end - nul - 1) < GIT_OID_RAWSZ) {
			rc = err_set(e, "cannot read the tree %s in the pushed "
				     "commit: malformed entry; run 'git fsck'",
				     git_oid_tostr_s(id));
			goto out;
		}
		/* The mode in octal; only a folder's is 040000. */
		for (; p < sp && mode <= 07777777; p++)
			mode = mode * 8 + (unsigned)(*p - '0');
		p = nul + 1 + GIT_OID_RAWSZ;
		if ((mode & 0170000) != 0040000) {
			mine++;
			continue;
		}
		git_oid_fromraw(&sub_id, nul + 1);
		if ((rc = count_tree(ct, &sub_id, limit - mine, &sub, e)) < 0)
			goto out;
		/* A subtree past its limit may have stopped short. */
		partial |= sub > limit - mine;
		mine += sub;
	}
	if (p == end && !partial)
		memo_put(ct, id, mine);
	*n = mine;
out:
	git_odb_object_free(obj);
	return rc;
}

/* fold_count_fn: the files below root/dir in the pushed tree. */
static int count_dir(void *ctx, const char *dir, size_t limit, size_t *n,
		     struct err *e)
{
	struct counter *ct = ctx;
	git_tree_entry *te = NULL;
	int rc;

	*n = 0;
	strbuf_setlen(&ct->path, 0);
	strbuf_addstr(&ct->path, ct->root);
	if (*ct->root && *dir)
		strbuf_addch(&ct->path, '/');
	strbuf_addstr(&ct->path, dir);
	if (!ct->path.len)
		return count_tree(ct, git_tree_id(ct->tree), limit, n, e);
	if (git_tree_entry_bypath(&te, ct->tree, strbuf_str(&ct->path)) < 0)
		return 0;	/* not in the new tree: no files */
	if (git_tree_entry_type(te) == GIT_OBJECT_TREE)
		rc = count_tree(ct, git_tree_entry_id(te), limit, n, e);
	else
		rc = 0;	/* a file now: nothing below the folder */
	git_tree_entry_free(te);
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
	if (git_repository_odb(&ct.odb, repo) < 0) {
		git_tree_free(ct.tree);
		return err_set(e, "cannot read the objects of the repository: %s",
			       git_message());
	}
	f->count = count_dir;
	f->count_ctx = &ct;
	rc = fold_plan(f, plan, c, deadline, e);
	f->count = NULL;
	f->count_ctx = NULL;
	git_odb_free(ct.odb);
	git_tree_free(ct.tree);
	strbuf_release(&ct.path);
	free(ct.memo);
	return rc;
}
