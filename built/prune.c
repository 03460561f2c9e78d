#include "prune.h"
#include "state.h"
#include "../util/git.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The modes dirtree_keep() stores: only trees and link blobs are kept. */
#define MODE_TREE 0040000
#define MODE_LINK 0120000

/* A set of object ids: open addressing, never more than half full. */
struct oidset {
	git_oid *v;
	unsigned char *used;
	size_t cap, n;
};

static size_t slot(const struct oidset *s, const git_oid *id)
{
	size_t h;

	/* An object id is a hash already: its first bytes will do. */
	memcpy(&h, id->id, sizeof(h));
	h &= s->cap - 1;
	while (s->used[h] && git_oid_cmp(&s->v[h], id))
		h = (h + 1) & (s->cap - 1);
	return h;
}

static int oidset_has(const struct oidset *s, const git_oid *id)
{
	return s->cap && s->used[slot(s, id)];
}

/* Returns 1 when id was added, 0 when it was in the set already. */
static int oidset_add(struct oidset *s, const git_oid *id)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		struct oidset big = { NULL, NULL, s->cap ? 2 * s->cap : 1024,
				      0 };

		big.v = xcalloc(big.cap, sizeof(*big.v));
		big.used = xcalloc(big.cap, 1);
		for (i = 0; i < s->cap; i++)
			if (s->used[i])
				oidset_add(&big, &s->v[i]);
		free(s->v);
		free(s->used);
		*s = big;
	}
	i = slot(s, id);
	if (s->used[i])
		return 0;
	s->used[i] = 1;
	git_oid_cpy(&s->v[i], id);
	s->n++;
	return 1;
}

static void oidset_free(struct oidset *s)
{
	free(s->v);
	free(s->used);
}

static int is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == '\0';
}

/* Whether name is "<40 hex digits>.prev". */
static int is_record_prev(const char *name)
{
	char hex[GIT_OID_HEXSZ + 1];

	if (strlen(name) != GIT_OID_HEXSZ + 5 ||
	    strcmp(name + GIT_OID_HEXSZ, ".prev"))
		return 0;
	memcpy(hex, name, GIT_OID_HEXSZ);
	hex[GIT_OID_HEXSZ] = '\0';
	return is_hex(hex, GIT_OID_HEXSZ);
}

/*
 * Marks id and, when it is a tree, everything below it that the store
 * keeps. strict (a record's tree): any tree that cannot be read is an
 * error. Otherwise (a young object's) a missing one is left out: there
 * is nothing of it to keep.
 */
static int mark(struct oidset *set, git_odb *store, const git_oid *id,
		int strict, struct err *e)
{
	git_odb_object *obj = NULL;
	const char *p, *end;
	int error, rc = -1;

	if (!oidset_add(set, id))
		return 0;
	if ((error = git_odb_read(&obj, store, id)) < 0) {
		if (error == GIT_ENOTFOUND && !strict)
			return 0;
		return err_set(e, "cannot read tree %s: %s",
			       git_oid_tostr_s(id), git_message());
	}
	if (git_odb_object_type(obj) != GIT_OBJECT_TREE) {
		if (strict)
			err_set(e, "%s is not a tree", git_oid_tostr_s(id));
		else
			rc = 0;
		goto out;
	}
	p = git_odb_object_data(obj);
	end = p + git_odb_object_size(obj);
	while (p < end) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		unsigned long mode;
		git_oid child;

		if (!nul || end - nul - 1 < GIT_OID_RAWSZ) {
			err_set(e, "tree %s is malformed", git_oid_tostr_s(id));
			goto out;
		}
		mode = strtoul(p, NULL, 8);
		git_oid_fromraw(&child, (const unsigned char *)nul + 1);
		p = nul + 1 + GIT_OID_RAWSZ;
		if (mode == MODE_TREE &&
		    mark(set, store, &child, strict, e) < 0)
			goto out;
		if (mode == MODE_LINK)
			oidset_add(set, &child);
	}
	rc = 0;
out:
	git_odb_object_free(obj);
	return rc;
}

/* Marks the tree of every record in state_dir/sites. */
static int mark_records(struct oidset *set, const char *state_dir,
			git_odb *store, struct err *e)
{
	char *sites = xasprintf("%s/sites", state_dir);
	DIR *d = opendir(sites);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		err_set(e, "cannot read '%s': %s", sites, strerror(errno));
		free(sites);
		return -1;
	}
	while (rc == 0 && (de = readdir(d))) {
		char *path;
		git_oid tree;
		struct err why;

		/*
		 * Records and the ones before them (<id>.prev, for verify
		 * --dir) only: not <id>.stat, nor a record being written.
		 */
		if (!is_hex(de->d_name, GIT_OID_HEXSZ) &&
		    !is_record_prev(de->d_name))
			continue;
		path = xasprintf("%s/%s", sites, de->d_name);
		rc = dirstate_record_tree(&tree, path, &why);
		if (rc < 0)
			err_set(e, "%s (delete it, or run dir for its folder, "
				"to prune again)", why.msg);
		else if (rc > 0 && (rc = mark(set, store, &tree, 1, &why)) < 0)
			err_set(e, "the state '%s' names tree %s: %s", path,
				git_oid_tostr_s(&tree), why.msg);
		else
			rc = 0;
		free(path);
	}
	closedir(d);
	free(sites);
	return rc;
}

struct loose {
	git_oid id;
	time_t mtime;
};

/* Lists the loose objects of objects (objects/xx/<38 hex digits>). */
static int list_loose(struct loose **out, size_t *n, const char *objects,
		      struct err *e)
{
	DIR *top = opendir(objects), *d;
	struct dirent *de, *f;
	size_t alloc = 0;

	*out = NULL;
	*n = 0;
	if (!top)
		return err_set(e, "cannot read '%s': %s", objects,
			       strerror(errno));
	while ((de = readdir(top))) {
		char *sub, hex[GIT_OID_HEXSZ];
		struct stat st;

		if (!is_hex(de->d_name, 2))
			continue;
		sub = xasprintf("%s/%s", objects, de->d_name);
		d = opendir(sub);
		free(sub);
		if (!d)
			continue;
		memcpy(hex, de->d_name, 2);
		while ((f = readdir(d))) {
			if (!is_hex(f->d_name, GIT_OID_HEXSZ - 2) ||
			    fstatat(dirfd(d), f->d_name, &st,
				    AT_SYMLINK_NOFOLLOW) < 0 ||
			    !S_ISREG(st.st_mode))
				continue;
			if (*n == alloc) {
				alloc = alloc ? 2 * alloc : 256;
				*out = xrealloc(*out, alloc * sizeof(**out));
			}
			memcpy(hex + 2, f->d_name, GIT_OID_HEXSZ - 2);
			git_oid_fromstrn(&(*out)[*n].id, hex, GIT_OID_HEXSZ);
			(*out)[(*n)++].mtime = st.st_mtime;
		}
		closedir(d);
	}
	closedir(top);
	return 0;
}

int dirprune_due(const char *state_dir)
{
	char *path = xasprintf("%s/pruned", state_dir);
	struct stat st;
	int due = stat(path, &st) < 0 ||
		  st.st_mtime <= time(NULL) - DIRPRUNE_INTERVAL;

	free(path);
	return due;
}

/* Remembers when the last prune was (its mtime) and what it did. */
static int stamp(const char *state_dir, const struct dirprune_stats *st,
		 struct err *e)
{
	char *path = xasprintf("%s/pruned", state_dir);
	char *text = xasprintf("kept %zu, removed %zu of %zu loose objects\n",
			       st->loose - st->removed, st->removed, st->loose);
	size_t len = strlen(text);
	int fd, rc = 0;

	/* Made anew: another user's file in a shared folder can go. */
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0666);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		rc = err_set(e, "cannot write '%s': %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(text);
	free(path);
	return rc;
}

int dirprune_run(struct dirprune_stats *out, const char *state_dir,
		 git_odb *store, struct err *e)
{
	char *objects = xasprintf("%s/objects", state_dir);
	struct oidset set = { NULL, NULL, 0, 0 };
	struct loose *v = NULL;
	time_t old = time(NULL) - DIRPRUNE_GRACE;
	size_t i, n = 0;
	struct err why;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (mark_records(&set, state_dir, store, &why) < 0 ||
	    list_loose(&v, &n, objects, &why) < 0)
		goto fail;
	for (i = 0; i < n; i++)
		if (v[i].mtime > old && mark(&set, store, &v[i].id, 0,
					     &why) < 0)
			goto fail;
	out->loose = n;
	out->reached = set.n;
	rc = 0;
	for (i = 0; i < n; i++) {
		char hex[GIT_OID_HEXSZ + 1], *path;

		if (v[i].mtime > old || oidset_has(&set, &v[i].id))
			continue;
		git_oid_tostr(hex, sizeof(hex), &v[i].id);
		path = xasprintf("%s/%.2s/%s", objects, hex, hex + 2);
		if (unlink(path) == 0)
			out->removed++;
		else if (errno != ENOENT && rc == 0)
			rc = err_set(e, "cannot prune '%s': cannot remove '%s': "
				     "%s", objects, path, strerror(errno));
		free(path);
	}
	if (rc == 0)
		rc = stamp(state_dir, out, e);
	goto out;
fail:
	err_set(e, "cannot prune '%s': %s; nothing was removed", objects,
		why.msg);
	/*
	 * Stamped all the same: marking reads every tree, and a record that
	 * cannot be read would otherwise make every run pay for it again.
	 */
	stamp(state_dir, out, &why);
out:
	free(v);
	oidset_free(&set);
	free(objects);
	return rc;
}
