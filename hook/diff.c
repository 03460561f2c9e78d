#include "diff.h"
#include "../util/git.h"

#include <stdlib.h>
#include <string.h>

/*
 * Trees are read as raw objects from the object database and their
 * entries parsed as the walk reaches them, as git's tree walker does:
 * git_tree_lookup() would first parse every entry of each tree into an
 * array, which costs more than the comparison that follows.
 */
struct frame;

struct walk {
	git_odb *odb;
	struct change_list *out;
	struct strvec *refused;
	struct strbuf path;
	struct err *e;
	/*
	 * The folders being compared, outermost first. The walk keeps them
	 * on the heap rather than recursing, so that a tree nested tens of
	 * thousands of folders deep (git accepts one) cannot overflow the
	 * stack of the hook.
	 */
	struct frame *stack;
	size_t depth, alloc;
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
	return err_set(w->e, "cannot read tree '%s': %s", where(w),
		       git_message());
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

/* Sets the error for a malformed entry at byte p of t; returns -1. */
static int tree_bad(struct walk *w, const struct tree *t)
{
	return err_set(w->e, "cannot read tree '%s': malformed entry at "
		       "byte %zu of object %s; run 'git fsck'", where(w),
		       (size_t)(t->p - (const unsigned char *)
			       git_odb_object_data(t->obj)),
		       git_oid_tostr_s(git_odb_object_id(t->obj)));
}

/*
 * Reads the next entry of t into *e: "MODE NAME\0ID", with the mode in
 * octal digits and the id in GIT_OID_RAWSZ bytes. Returns 1, 0 at the
 * end of the tree, or -1 with the error set when the entry is malformed.
 * Every entry of both trees of each changed folder passes here, so the
 * two modes nearly every entry has are recognised whole before digits
 * are read one by one.
 */
static int tree_next(struct walk *w, struct tree *t, struct entry *e)
{
	const unsigned char *p = t->p, *nul;
	size_t left = (size_t)(t->end - p);
	unsigned mode = 0;

	if (!left)
		return 0;
	if (left > 7 && !memcmp(p, "100644 ", 7)) {
		mode = CHANGE_MODE_FILE;
		p += 7;
	} else if (left > 6 && !memcmp(p, "40000 ", 6)) {
		mode = MODE_TREE;
		p += 6;
	} else {
		/* Leading zeros are allowed, as git allows them; no mode has
		 * more than seven significant digits. */
		while (p < t->end && *p >= '0' && *p <= '7') {
			if (mode > 07777777)
				return tree_bad(w, t);
			mode = mode * 8 + (unsigned)(*p++ - '0');
		}
		if (p == t->p || p == t->end || *p != ' ')
			return tree_bad(w, t);
		p++;
		mode = canon_mode(mode);
	}
	nul = memchr(p, '\0', (size_t)(t->end - p));
	if (!nul || nul == p || (size_t)(t->end - nul - 1) < GIT_OID_RAWSZ)
		return tree_bad(w, t);
	e->mode = mode;
	e->name = (const char *)p;
	e->name_len = (size_t)(nul - p);
	e->id = nul + 1;
	t->p = nul + 1 + GIT_OID_RAWSZ;
	return 1;
}

/*
 * The length of the entry at t->p when its mode is one of the two that
 * nearly every entry has and its name is not empty, else 0 (the entry is
 * then left to tree_next(), which checks it).
 */
static size_t plain_entry_len(const struct tree *t)
{
	const unsigned char *p = t->p, *nul;
	size_t left = (size_t)(t->end - p), mode_len;

	if (left > 7 && !memcmp(p, "100644 ", 7))
		mode_len = 7;
	else if (left > 6 && !memcmp(p, "40000 ", 6))
		mode_len = 6;
	else
		return 0;
	nul = memchr(p + mode_len, '\0', left - mode_len);
	if (!nul || nul == p + mode_len ||
	    (size_t)(t->end - nul - 1) < GIT_OID_RAWSZ)
		return 0;
	return (size_t)(nul - p) + 1 + GIT_OID_RAWSZ;
}

/*
 * Steps a and b past the entries at which both hold the same bytes: the
 * same mode, name and id, an entry that did not change. Most entries of
 * a changed folder did not, and comparing their bytes costs less than
 * reading them one side at a time.
 */
static void skip_same(struct tree *a, struct tree *b)
{
	size_t len;

	while ((len = plain_entry_len(a)) &&
	       (size_t)(b->end - b->p) >= len && !memcmp(a->p, b->p, len)) {
		a->p += len;
		b->p += len;
	}
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

/*
 * One folder being compared: its tree on each side (either may be the
 * empty tree) and the entry each side is at.
 */
struct frame {
	struct tree a, b;
	struct entry ea, eb;
	int ha, hb;		/* 1 while ea (eb) holds an entry */
	int step;		/* which sides to advance; STEP_NONE */
	size_t base;		/* the length of the folder's path */
};

#define STEP_NONE 2

/*
 * Starts comparing the folder at w->path: the trees a_id and b_id (either
 * NULL for the empty tree). The frame is on the stack even on failure, so
 * that the caller's clean-up closes what was opened.
 */
static int frame_push(struct walk *w, const git_oid *a_id,
		      const git_oid *b_id)
{
	struct frame *f;

	if (w->depth == w->alloc) {
		w->alloc = w->alloc ? 2 * w->alloc : 16;
		w->stack = xrealloc(w->stack, w->alloc * sizeof(*w->stack));
	}
	f = &w->stack[w->depth++];
	f->a.obj = f->b.obj = NULL;
	f->ha = f->hb = 0;
	f->step = STEP_NONE;
	f->base = w->path.len;
	if (tree_open(w, &f->a, a_id) < 0 || tree_open(w, &f->b, b_id) < 0)
		return -1;
	if (a_id && b_id)
		skip_same(&f->a, &f->b);
	if ((f->ha = tree_next(w, &f->a, &f->ea)) < 0 ||
	    (f->hb = tree_next(w, &f->b, &f->eb)) < 0)
		return -1;
	return 0;
}

static void frame_pop(struct walk *w)
{
	struct frame *f = &w->stack[--w->depth];

	tree_close(&f->b);
	tree_close(&f->a);
}

/*
 * A name that would put a "." or ".." segment into a path, or more than
 * one segment: only a tree made by hand holds one (git's fsck and
 * checkout refuse them), and a URL made from it would name another file.
 */
static int bad_name(const struct entry *te)
{
	if (te->name_len <= 2 && te->name[0] == '.' &&
	    (te->name_len == 1 || te->name[1] == '.'))
		return 1;
	return memchr(te->name, '/', te->name_len) != NULL;
}

static void refuse(struct walk *w, const struct entry *te)
{
	size_t base = w->path.len;

	if (base)
		strbuf_addch(&w->path, '/');
	strbuf_add(&w->path, te->name, te->name_len);
	strvec_pushf(w->refused, "skipped '%s'%s: a tree entry named '%.*s' "
		     "cannot be checked out, so no web server serves it; "
		     "'git fsck' reports the commit", strbuf_str(&w->path),
		     te->mode == MODE_TREE ? " and everything below it" : "",
		     (int)te->name_len, te->name);
	strbuf_setlen(&w->path, base);
}

/*
 * Compares the folders a_id and b_id, depth first and in tree order, so
 * that the changes come out in the order git's diff gives them. A folder
 * on one side only is read as if the other side held an empty one.
 */
static int walk(struct walk *w, const git_oid *a_id, const git_oid *b_id)
{
	int rc = frame_push(w, a_id, b_id);

	while (!rc && w->depth) {
		struct frame *f = &w->stack[w->depth - 1];
		const struct entry *te;
		const git_oid *pa = NULL, *pb = NULL;
		git_oid ia, ib;
		int c;

		if (f->step != STEP_NONE) {
			strbuf_setlen(&w->path, f->base);
			if (!f->step)
				skip_same(&f->a, &f->b);
			if ((f->step <= 0 &&
			     (f->ha = tree_next(w, &f->a, &f->ea)) < 0) ||
			    (f->step >= 0 &&
			     (f->hb = tree_next(w, &f->b, &f->eb)) < 0)) {
				rc = -1;
				break;
			}
			f->step = STEP_NONE;
		}
		if (!f->ha && !f->hb) {
			frame_pop(w);
			continue;
		}
		c = !f->ha ? 1 : !f->hb ? -1 : entry_cmp(&f->ea, &f->eb);
		c = c < 0 ? -1 : c > 0;
		f->step = c;
		te = c <= 0 ? &f->ea : &f->eb;
		if (!c && f->ea.mode == f->eb.mode &&
		    !memcmp(f->ea.id, f->eb.id, GIT_OID_RAWSZ))
			continue;
		if (bad_name(te)) {
			refuse(w, te);
			continue;
		}
		if (f->base)
			strbuf_addch(&w->path, '/');
		strbuf_add(&w->path, te->name, te->name_len);
		if (te->mode == MODE_TREE) {
			/* Both are folders when c is 0, as the order implies. */
			if (c <= 0) {
				git_oid_fromraw(&ia, f->ea.id);
				pa = &ia;
			}
			if (c >= 0) {
				git_oid_fromraw(&ib, f->eb.id);
				pb = &ib;
			}
			rc = frame_push(w, pa, pb);
		} else if (c) {
			change_list_add(w->out, c > 0 ? CHANGE_ADDED :
					CHANGE_DELETED, strbuf_str(&w->path),
					NULL, c > 0 ? 0 : te->mode,
					c > 0 ? te->mode : 0, 0);
		} else {
			/* Files, links or submodules, as the order implies. */
			int same_kind = mode_kind(f->ea.mode) ==
					mode_kind(f->eb.mode);

			change_list_add(w->out, same_kind ? CHANGE_MODIFIED :
					CHANGE_TYPECHANGE, strbuf_str(&w->path),
					NULL, f->ea.mode, f->eb.mode,
					same_kind && !memcmp(f->ea.id, f->eb.id,
							     GIT_OID_RAWSZ));
		}
	}
	while (w->depth)
		frame_pop(w);
	return rc;
}

int diff_trees(struct change_list *out, struct strvec *refused,
	       git_repository *repo, const git_tree *old_tree,
	       const git_tree *new_tree, struct err *e)
{
	struct walk w;
	int rc;

	memset(&w, 0, sizeof(w));
	w.out = out;
	w.refused = refused;
	w.e = e;
	strbuf_init(&w.path);
	if (old_tree && new_tree &&
	    git_oid_equal(git_tree_id(old_tree), git_tree_id(new_tree)))
		return 0;
	if (git_repository_odb(&w.odb, repo) < 0)
		return git_fail(&w);
	rc = walk(&w, old_tree ? git_tree_id(old_tree) : NULL,
		  new_tree ? git_tree_id(new_tree) : NULL);
	free(w.stack);
	git_odb_free(w.odb);
	strbuf_release(&w.path);
	return rc;
}

/*
 * The symbolic links of the folder at w->path (tree id), as pairs in out:
 * the link's path, then its text. Reads every folder below, one frame
 * each on the heap, as the diff does.
 */
static int list_links(struct walk *w, struct strvec *out, const git_oid *id)
{
	int rc = frame_push(w, id, NULL);

	while (!rc && w->depth) {
		struct frame *f = &w->stack[w->depth - 1];
		const struct entry *te = &f->ea;
		git_odb_object *obj = NULL;
		git_oid oid;

		if (f->step != STEP_NONE) {
			strbuf_setlen(&w->path, f->base);
			if ((f->ha = tree_next(w, &f->a, &f->ea)) < 0) {
				rc = -1;
				break;
			}
		}
		if (!f->ha) {
			frame_pop(w);
			continue;
		}
		f->step = -1;
		if ((te->mode != MODE_TREE && te->mode != CHANGE_MODE_LINK) ||
		    bad_name(te))
			continue;
		if (f->base)
			strbuf_addch(&w->path, '/');
		strbuf_add(&w->path, te->name, te->name_len);
		git_oid_fromraw(&oid, te->id);
		if (te->mode == MODE_TREE) {
			rc = frame_push(w, &oid, NULL);
			continue;
		}
		if (git_odb_read(&obj, w->odb, &oid) < 0) {
			rc = git_fail(w);
			break;
		}
		strvec_push(out, strbuf_str(&w->path));
		strvec_push_owned(out, xstrndup(git_odb_object_data(obj),
						git_odb_object_size(obj)));
		git_odb_object_free(obj);
	}
	while (w->depth)
		frame_pop(w);
	return rc;
}

int diff_links(struct strvec *out, git_repository *repo,
	       const git_tree *tree, const char *under, struct err *e)
{
	struct walk w;
	git_tree_entry *te = NULL;
	int rc = 0;

	memset(&w, 0, sizeof(w));
	w.e = e;
	strbuf_init(&w.path);
	if (*under) {
		if (git_tree_entry_bypath(&te, tree, under) < 0)
			return 0;
		if (git_tree_entry_type(te) != GIT_OBJECT_TREE) {
			git_tree_entry_free(te);
			return 0;
		}
		strbuf_addstr(&w.path, under);
	}
	if (git_repository_odb(&w.odb, repo) < 0) {
		rc = git_fail(&w);
		goto out;
	}
	rc = list_links(&w, out, te ? git_tree_entry_id(te) : git_tree_id(tree));
	free(w.stack);
	git_odb_free(w.odb);
out:
	git_tree_entry_free(te);
	strbuf_release(&w.path);
	return rc;
}
