#include "diff.h"

#include <string.h>

/*
 * Trees are read as raw objects from the object database and their
 * entries parsed as the walk reaches them, as git's tree walker does:
 * git_tree_lookup() would first parse every entry of each tree into an
 * array, which costs more than the comparison that follows.
 */
struct walk {
	git_odb *odb;
	struct change_list *out;
	struct strbuf path;
	struct err *e;
};

/* One entry of a tree; name and id point into the tree's object. */
struct entry {
	unsigned mode;		/* canonical, as git compares it */
	const char *name;
	size_t name_len;
	const unsigned char *id;	/* GIT_OID_RAWSZ bytes */
};

/* A tree being read: the rest of its object, from p to end. */
struct tree {
	git_odb_object *obj;	/* NULL for the empty tree */
	const unsigned char *p, *end;
};

#define MODE_TREE 0040000

static const char *where(const struct walk *w)
{
	return w->path.len ? strbuf_str(&w->path) : "(top)";
}

static int git_fail(struct walk *w)
{
	const git_error *ge = git_error_last();

	return err_set(w->e, "cannot read tree '%s': %s", where(w),
		       ge ? ge->message : "unknown libgit2 error");
}

/*
 * The mode git compares: a regular file is 100644 or 100755 by its
 * owner's execute bit, and any mode that is not a file, a link or a
 * folder is a submodule, as git's canon_mode() has it.
 */
static unsigned canon_mode(unsigned mode)
{
	switch (mode & 0170000) {
	case 0100000:
		return mode & 0100 ? CHANGE_MODE_EXEC : CHANGE_MODE_FILE;
	case CHANGE_MODE_LINK:
		return CHANGE_MODE_LINK;
	case MODE_TREE:
		return MODE_TREE;
	default:
		return CHANGE_MODE_GITLINK;
	}
}

/* Opens the tree with the given id (NULL: the empty tree). */
static int tree_open(struct walk *w, struct tree *t, const git_oid *id)
{
	t->obj = NULL;
	t->p = t->end = NULL;
	if (!id)
		return 0;
	if (git_odb_read(&t->obj, w->odb, id) < 0)
		return git_fail(w);
	if (git_odb_object_type(t->obj) != GIT_OBJECT_TREE)
		return err_set(w->e, "cannot read tree '%s': object %s is a "
			       "%s, not a tree", where(w),
			       git_oid_tostr_s(id),
			       git_object_type2string(
				       git_odb_object_type(t->obj)));
	t->p = git_odb_object_data(t->obj);
	t->end = t->p + git_odb_object_size(t->obj);
	return 0;
}

static void tree_close(struct tree *t)
{
	git_odb_object_free(t->obj);
	t->obj = NULL;
}

/*
 * Reads the next entry of t into *e: "MODE NAME\0ID", with the mode in
 * octal digits and the id in GIT_OID_RAWSZ bytes. Returns 1, 0 at the
 * end of the tree, or -1 with the error set when the entry is malformed.
 */
static int tree_next(struct walk *w, struct tree *t, struct entry *e)
{
	const unsigned char *p = t->p, *nul;
	unsigned mode = 0;

	if (p == t->end)
		return 0;
	/* Leading zeros are allowed, as git allows them; no mode has more
	 * than seven significant digits. */
	while (p < t->end && *p >= '0' && *p <= '7') {
		if (mode > 07777777)
			goto bad;
		mode = mode * 8 + (unsigned)(*p++ - '0');
	}
	if (p == t->p || p == t->end || *p != ' ')
		goto bad;
	p++;
	nul = memchr(p, '\0', (size_t)(t->end - p));
	if (!nul || nul == p || (size_t)(t->end - nul - 1) < GIT_OID_RAWSZ)
		goto bad;
	e->mode = canon_mode(mode);
	e->name = (const char *)p;
	e->name_len = (size_t)(nul - p);
	e->id = nul + 1;
	t->p = nul + 1 + GIT_OID_RAWSZ;
	return 1;
bad:
	return err_set(w->e, "cannot read tree '%s': malformed entry at "
		       "byte %zu of object %s; run 'git fsck'", where(w),
		       (size_t)(t->p - (const unsigned char *)
				       git_odb_object_data(t->obj)),
		       git_oid_tostr_s(git_odb_object_id(t->obj)));
}

/* The byte at i of an entry's name, as git's tree order reads it. */
static unsigned char name_byte(const struct entry *e, size_t i)
{
	if (i < e->name_len)
		return (unsigned char)e->name[i];
	return e->mode == MODE_TREE ? '/' : 0;
}

/*
 * Compares two entries in the order git sorts a tree: by name, with a
 * folder's name read as if it ended in '/'. A file "a" and a folder "a"
 * are therefore different entries, as they are to git.
 */
static int entry_cmp(const struct entry *a, const struct entry *b)
{
	size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
	int c = memcmp(a->name, b->name, n);

	if (c)
		return c;
	/* The shorter name goes on with its '/' (a folder) or its end. */
	return (int)name_byte(a, n) - (int)name_byte(b, n);
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

static int walk_trees(struct walk *w, const git_oid *a, const git_oid *b);

/* Reports every file in one entry, recursing into a folder. */
static int walk_one_side(struct walk *w, const struct entry *te, int added)
{
	git_oid id;

	if (te->mode != MODE_TREE) {
		change_list_add(w->out, added ? CHANGE_ADDED : CHANGE_DELETED,
				strbuf_str(&w->path), NULL,
				added ? 0 : te->mode, added ? te->mode : 0, 0);
		return 0;
	}
	git_oid_fromraw(&id, te->id);
	return added ? walk_trees(w, NULL, &id) : walk_trees(w, &id, NULL);
}

static int walk_both(struct walk *w, const struct entry *ta,
		     const struct entry *tb)
{
	int same_id = !memcmp(ta->id, tb->id, GIT_OID_RAWSZ);
	git_oid ia, ib;

	if (same_id && ta->mode == tb->mode)
		return 0;
	if (ta->mode != MODE_TREE) {
		/* Both are files, links or submodules, as the order implies. */
		int same_kind = mode_kind(ta->mode) == mode_kind(tb->mode);

		change_list_add(w->out,
				same_kind ? CHANGE_MODIFIED : CHANGE_TYPECHANGE,
				strbuf_str(&w->path), NULL, ta->mode, tb->mode,
				same_kind && same_id);
		return 0;
	}
	git_oid_fromraw(&ia, ta->id);
	git_oid_fromraw(&ib, tb->id);
	return walk_trees(w, &ia, &ib);
}

static int walk_trees(struct walk *w, const git_oid *a_id, const git_oid *b_id)
{
	struct tree a, b;
	struct entry ea, eb;
	size_t base = w->path.len;
	int rc, ha = 0, hb = 0;

	b.obj = NULL;
	if ((rc = tree_open(w, &a, a_id)) < 0 ||
	    (rc = tree_open(w, &b, b_id)) < 0)
		goto out;
	if ((ha = tree_next(w, &a, &ea)) < 0 ||
	    (hb = tree_next(w, &b, &eb)) < 0) {
		rc = -1;
		goto out;
	}
	while (ha || hb) {
		int c = !ha ? 1 : !hb ? -1 : entry_cmp(&ea, &eb);
		const struct entry *name = c <= 0 ? &ea : &eb;

		if (base)
			strbuf_addch(&w->path, '/');
		strbuf_add(&w->path, name->name, name->name_len);
		if (c < 0)
			rc = walk_one_side(w, &ea, 0);
		else if (c > 0)
			rc = walk_one_side(w, &eb, 1);
		else
			rc = walk_both(w, &ea, &eb);
		strbuf_setlen(&w->path, base);
		if (rc < 0)
			goto out;
		if ((c <= 0 && (ha = tree_next(w, &a, &ea)) < 0) ||
		    (c >= 0 && (hb = tree_next(w, &b, &eb)) < 0)) {
			rc = -1;
			goto out;
		}
	}
out:
	tree_close(&b);
	tree_close(&a);
	return rc;
}

int diff_trees(struct change_list *out, git_repository *repo,
	       const git_tree *old_tree, const git_tree *new_tree,
	       struct err *e)
{
	struct walk w;
	int rc;

	w.out = out;
	w.e = e;
	strbuf_init(&w.path);
	if (old_tree && new_tree &&
	    git_oid_equal(git_tree_id(old_tree), git_tree_id(new_tree)))
		return 0;
	if (git_repository_odb(&w.odb, repo) < 0)
		return git_fail(&w);
	rc = walk_trees(&w, old_tree ? git_tree_id(old_tree) : NULL,
			new_tree ? git_tree_id(new_tree) : NULL);
	git_odb_free(w.odb);
	strbuf_release(&w.path);
	return rc;
}
