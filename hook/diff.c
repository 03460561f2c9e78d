#include "diff.h"

#include <string.h>

struct walk {
	git_repository *repo;
	struct change_list *out;
	struct strbuf path;
	struct err *e;
};

static int git_fail(struct walk *w, const char *what)
{
	const git_error *ge = git_error_last();

	return err_set(w->e, "cannot read %s '%s': %s", what,
		       w->path.len ? strbuf_str(&w->path) : "(top)",
		       ge ? ge->message : "unknown libgit2 error");
}

static int is_tree(const git_tree_entry *te)
{
	return git_tree_entry_filemode(te) == GIT_FILEMODE_TREE;
}

/* The byte at i of a name of len bytes, as git's tree order reads it. */
static unsigned char name_byte(const char *name, size_t len, size_t i,
			       int tree)
{
	if (i < len)
		return (unsigned char)name[i];
	return tree ? '/' : 0;
}

/*
 * Compares two entries in the order git sorts a tree: by name, with a
 * folder's name read as if it ended in '/'. A file "a" and a folder "a"
 * are therefore different entries, as they are to git.
 */
static int entry_cmp(const git_tree_entry *a, const git_tree_entry *b)
{
	const char *na = git_tree_entry_name(a), *nb = git_tree_entry_name(b);
	size_t la = strlen(na), lb = strlen(nb);
	size_t n = la < lb ? la : lb;
	int c = memcmp(na, nb, n);

	if (c)
		return c;
	/* The shorter name goes on with its '/' (a folder) or its end. */
	return (int)name_byte(na, la, n, is_tree(a)) -
	       (int)name_byte(nb, lb, n, is_tree(b));
}

/* The kind of thing a mode names: a link, a submodule or a file. */
static int mode_kind(unsigned mode)
{
	if (mode == CHANGE_MODE_LINK)
		return 1;
	if (mode == CHANGE_MODE_GITLINK)
		return 2;
	return 0;
}

static int walk_trees(struct walk *w, const git_tree *a, const git_tree *b);

/* Reports every file in one entry, recursing into a folder. */
static int walk_one_side(struct walk *w, const git_tree_entry *te,
			 int added)
{
	git_tree *sub = NULL;
	int rc;

	if (!is_tree(te)) {
		unsigned mode = (unsigned)git_tree_entry_filemode(te);

		change_list_add(w->out, added ? CHANGE_ADDED : CHANGE_DELETED,
				strbuf_str(&w->path), NULL, added ? 0 : mode,
				added ? mode : 0, 0);
		return 0;
	}
	if (git_tree_lookup(&sub, w->repo, git_tree_entry_id(te)) < 0)
		return git_fail(w, "tree");
	rc = added ? walk_trees(w, NULL, sub) : walk_trees(w, sub, NULL);
	git_tree_free(sub);
	return rc;
}

static int walk_both(struct walk *w, const git_tree_entry *ta,
		     const git_tree_entry *tb)
{
	unsigned ma = (unsigned)git_tree_entry_filemode(ta);
	unsigned mb = (unsigned)git_tree_entry_filemode(tb);
	int same_id = git_oid_equal(git_tree_entry_id(ta),
				    git_tree_entry_id(tb));
	git_tree *sa = NULL, *sb = NULL;
	int rc = 0;

	if (same_id && ma == mb)
		return 0;
	if (!is_tree(ta)) {
		/* Both are files, links or submodules, as the order implies. */
		int same_kind = mode_kind(ma) == mode_kind(mb);

		change_list_add(w->out,
				same_kind ? CHANGE_MODIFIED : CHANGE_TYPECHANGE,
				strbuf_str(&w->path), NULL, ma, mb,
				same_kind && same_id);
		return 0;
	}
	if (git_tree_lookup(&sa, w->repo, git_tree_entry_id(ta)) < 0 ||
	    git_tree_lookup(&sb, w->repo, git_tree_entry_id(tb)) < 0)
		rc = git_fail(w, "tree");
	else
		rc = walk_trees(w, sa, sb);
	git_tree_free(sa);
	git_tree_free(sb);
	return rc;
}

static int walk_trees(struct walk *w, const git_tree *a, const git_tree *b)
{
	size_t na = a ? git_tree_entrycount(a) : 0;
	size_t nb = b ? git_tree_entrycount(b) : 0;
	size_t i = 0, j = 0, base = w->path.len;
	int rc = 0;

	while (rc == 0 && (i < na || j < nb)) {
		const git_tree_entry *ta = i < na ? git_tree_entry_byindex(a, i) : NULL;
		const git_tree_entry *tb = j < nb ? git_tree_entry_byindex(b, j) : NULL;
		int c = !ta ? 1 : !tb ? -1 : entry_cmp(ta, tb);
		const git_tree_entry *name = c <= 0 ? ta : tb;

		if (base)
			strbuf_addch(&w->path, '/');
		strbuf_addstr(&w->path, git_tree_entry_name(name));
		if (c < 0) {
			rc = walk_one_side(w, ta, 0);
			i++;
		} else if (c > 0) {
			rc = walk_one_side(w, tb, 1);
			j++;
		} else {
			rc = walk_both(w, ta, tb);
			i++;
			j++;
		}
		strbuf_setlen(&w->path, base);
	}
	return rc;
}

int diff_trees(struct change_list *out, git_repository *repo,
	       const git_tree *old_tree, const git_tree *new_tree,
	       struct err *e)
{
	struct walk w;
	int rc;

	w.repo = repo;
	w.out = out;
	w.e = e;
	strbuf_init(&w.path);
	if (old_tree && new_tree &&
	    git_oid_equal(git_tree_id(old_tree), git_tree_id(new_tree)))
		rc = 0;
	else
		rc = walk_trees(&w, old_tree, new_tree);
	strbuf_release(&w.path);
	return rc;
}
