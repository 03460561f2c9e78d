#include "symlinks.h"
#include "diff.h"
#include "indexlinks.h"
#include "../util/git.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The cache: one line "cf-purge-hook links 1 TREE ROOT", then
 * "PATH\0TEXT\0" for each link below ROOT in the tree TREE. */
#define CACHE_NAME "cf-purge-hook-links"
#define CACHE_MAGIC "cf-purge-hook links 1 "
#define CACHE_MAX (16 * 1024 * 1024)

static int below(const char *path, const char *root)
{
	size_t n = strlen(root);

	return !n || (!strncmp(path, root, n) && path[n] == '/');
}

/* The id of the folder root in tree; 0, or -1 when it is not a folder. */
static int root_id(git_oid *out, git_tree *tree, const char *root)
{
	git_tree_entry *te = NULL;
	int rc = -1;

	if (!*root) {
		git_oid_cpy(out, git_tree_id(tree));
		return 0;
	}
	if (git_tree_entry_bypath(&te, tree, root) == 0 &&
	    git_tree_entry_type(te) == GIT_OBJECT_TREE) {
		git_oid_cpy(out, git_tree_entry_id(te));
		rc = 0;
	}
	git_tree_entry_free(te);
	return rc;
}

/* NULL for a repository without a git directory: the trees that
 * built/tree.h builds from a folder live in memory only. */
static char *cache_path(git_repository *repo)
{
	if (!git_repository_path(repo))
		return NULL;
	return xasprintf("%s%s", git_repository_path(repo), CACHE_NAME);
}

/*
 * Reads the cache into raw when it holds the links of the folder id with
 * root. Returns 1 then, 0 when it does not (no file, another folder, or
 * a file this program did not write).
 */
static int cache_read(struct strvec *raw, git_repository *repo,
		      const git_oid *id, const char *root)
{
	char *path = cache_path(repo), *key;
	struct strbuf sb = STRBUF_INIT;
	char buf[8192];
	size_t n, klen, first = raw->n;
	FILE *f = path ? fopen(path, "rb") : NULL;
	int hit = 0;

	free(path);
	if (!f)
		return 0;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && sb.len < CACHE_MAX)
		strbuf_add(&sb, buf, n);
	fclose(f);
	key = xasprintf(CACHE_MAGIC "%s %s\n", git_oid_tostr_s(id), root);
	klen = strlen(key);
	if (sb.len >= klen && !memcmp(sb.buf, key, klen)) {
		size_t pos = klen;

		/* Every string ends in a NUL, and they come in pairs. */
		hit = 1;
		while (hit && pos < sb.len) {
			const char *end = memchr(sb.buf + pos, '\0',
						 sb.len - pos);

			if (end) {
				strvec_push(raw, sb.buf + pos);
				pos = (size_t)(end - sb.buf) + 1;
			} else {
				hit = 0;
			}
		}
		if ((raw->n - first) % 2)
			hit = 0;
	}
	if (!hit)
		while (raw->n > first)
			free(raw->v[--raw->n]);
	free(key);
	strbuf_release(&sb);
	return hit;
}

/* Replaces the cache with raw, the links of the folder id with root. */
static void cache_write(git_repository *repo, const git_oid *id,
			const char *root, const struct strvec *raw)
{
	char *path = cache_path(repo);
	char *tmp;
	FILE *f;
	size_t i;
	int ok;

	if (!path)
		return;
	tmp = xasprintf("%s.%ld", path, (long)getpid());
	f = fopen(tmp, "wb");

	/* Only a cache: a failure costs the next run time, nothing else. */
	if (!f)
		goto out;
	fprintf(f, CACHE_MAGIC "%s %s\n", git_oid_tostr_s(id), root);
	for (i = 0; i < raw->n; i++)
		fwrite(raw->v[i], 1, strlen(raw->v[i]) + 1, f);
	ok = !ferror(f);
	if (fclose(f) != 0 || !ok || rename(tmp, path) < 0)
		unlink(tmp);
out:
	free(tmp);
	free(path);
}

/*
 * The links (pairs of path and text, below root) of the "to" side, from
 * those of the "from" side and the changes between them: the two differ
 * only where a change has a link on either side, so the "to" tree is
 * read only there. to_new says the "to" side is the changes' new side.
 */
static int derive(struct strvec *to_raw, git_repository *repo,
		  git_tree *to_tree, const char *root,
		  const struct change_list *changes,
		  const struct strvec *from_raw, int to_new, struct err *e)
{
	size_t i, j;

	for (i = 0; i + 1 < from_raw->n; i += 2) {
		for (j = 0; j < changes->n; j++) {
			const struct change *ch = &changes->v[j];
			unsigned from_mode = to_new ? ch->old_mode :
					     ch->new_mode;

			if (from_mode == CHANGE_MODE_LINK &&
			    !strcmp(ch->path, from_raw->v[i]))
				break;
		}
		if (j == changes->n) {
			strvec_push(to_raw, from_raw->v[i]);
			strvec_push(to_raw, from_raw->v[i + 1]);
		}
	}
	for (j = 0; j < changes->n; j++) {
		const struct change *ch = &changes->v[j];
		git_tree_entry *te = NULL;
		git_blob *blob = NULL;

		if ((to_new ? ch->new_mode : ch->old_mode) !=
		    CHANGE_MODE_LINK || !below(ch->path, root))
			continue;
		if (git_tree_entry_bypath(&te, to_tree, ch->path) < 0 ||
		    git_blob_lookup(&blob, repo, git_tree_entry_id(te)) < 0) {
			git_tree_entry_free(te);
			return err_set(e, "cannot read the symbolic link '%s': "
				       "%s", ch->path, git_message());
		}
		strvec_push(to_raw, ch->path);
		strvec_push_owned(to_raw, xstrndup(git_blob_rawcontent(blob),
				  (size_t)git_blob_rawsize(blob)));
		git_blob_free(blob);
		git_tree_entry_free(te);
	}
	return 0;
}

/* Adds to links the pairs of raw that a server of root follows. */
static void resolve(struct link_list *links, git_tree *tree,
		    const char *root, const struct strvec *raw)
{
	size_t i;

	for (i = 0; i + 1 < raw->n; i += 2) {
		git_tree_entry *te = NULL;
		char *target;
		int is_dir = 1;

		if (!below(raw->v[i], root))
			continue;
		target = links_resolve(raw->v[i], raw->v[i + 1], root);
		if (!target)
			continue;
		if (*target) {
			is_dir = git_tree_entry_bypath(&te, tree, target) == 0 &&
				 git_tree_entry_type(te) == GIT_OBJECT_TREE;
			git_tree_entry_free(te);
		}
		link_list_add(links, raw->v[i], target, is_dir);
	}
}

/*
 * The links of the new side: from the cache when it holds the new root
 * or the old one (then updated by the changes), else from git's index
 * when it holds the new tree, else by reading the whole root folder. *from_old is set when old_raw was filled from the cache.
 */
static int new_side(struct strvec *new_raw, struct strvec *old_raw,
		    int *from_old, git_repository *repo, git_tree *old_tree,
		    git_tree *new_tree, const char *root,
		    const struct change_list *changes, struct err *e)
{
	git_oid new_id, old_id;

	*from_old = 0;
	if (root_id(&new_id, new_tree, root) < 0)
		return 0;
	if (cache_read(new_raw, repo, &new_id, root))
		return 0;
	if (root_id(&old_id, old_tree, root) == 0 &&
	    cache_read(old_raw, repo, &old_id, root)) {
		*from_old = 1;
		if (derive(new_raw, repo, new_tree, root, changes, old_raw, 1,
			   e) < 0)
			return -1;
	} else {
		/* A clone checked out at the new commit (a CI job) lists
		 * them in its index; else every folder below root is read. */
		int rc = indexlinks_read(new_raw, repo, git_tree_id(new_tree),
					 root, e);

		if (rc < 0 || (!rc && diff_links(new_raw, repo, new_tree, root,
						 e) < 0))
			return -1;
	}
	cache_write(repo, &new_id, root, new_raw);
	return 0;
}

int symlinks_load(struct link_list *old_links, struct link_list *new_links,
		  git_repository *repo, git_tree *old_tree,
		  git_tree *new_tree, const char *old_root,
		  const char *new_root, const struct change_list *changes,
		  struct err *e)
{
	struct strvec old_raw = STRVEC_INIT, new_raw = STRVEC_INIT;
	int rc = -1, from_old;

	if (new_side(&new_raw, &old_raw, &from_old, repo, old_tree, new_tree,
		     new_root, changes, e) < 0)
		goto out;
	if (strcmp(old_root, new_root)) {
		strvec_clear(&old_raw);
		if (diff_links(&old_raw, repo, old_tree, old_root, e) < 0)
			goto out;
	} else if (!from_old &&
		   derive(&old_raw, repo, old_tree, old_root, changes,
			  &new_raw, 0, e) < 0) {
		goto out;
	}
	resolve(old_links, old_tree, old_root, &old_raw);
	resolve(new_links, new_tree, new_root, &new_raw);
	rc = 0;
out:
	strvec_clear(&old_raw);
	strvec_clear(&new_raw);
	return rc;
}
