/*
 * A folder of built files (a site as it is served) turned into git tree
 * objects, so that two builds are compared by the same tree walk as two
 * commits (hook/diff.h). Each file is named by its blob id as `git
 * hash-object` computes it (no filters), a symbolic link by the id of
 * its target's text; links are never followed. The trees, and the blobs
 * of link targets, go to an object store of their own (in memory, or the
 * state's store; see enum dirtree_sink), never to the user's repository;
 * file contents are hashed and never stored.
 */
#ifndef CFPH_BUILT_TREE_H
#define CFPH_BUILT_TREE_H

#include <stdio.h>

#include <git2.h>

#include "../util/util.h"

struct statcache;

/* Where dirtree_build() puts the trees it makes. */
enum dirtree_sink {
	DIRTREE_MEMORY,		/* the in-memory store: they are compared next */
	DIRTREE_STORE,		/* straight into the state's store: nothing is
				   compared, and memory stays flat */
	DIRTREE_HASH		/* nowhere: only the top tree's id is wanted */
};

struct dirtree {
	git_odb *odb;		/* owned; the in-memory store, over store */
	git_repository *repo;	/* owned; wraps odb; has no git directory */
	git_odb *store;		/* owned; the state's objects, or NULL */
	/*
	 * What the user must hear, each a complete message without the
	 * program's prefix: entries skipped (sockets, FIFOs, devices) and
	 * files that could not be read (which are purged).
	 */
	struct strvec notes;
	size_t files;		/* regular files and links seen */
	size_t hashed;		/* files whose contents were read */
	size_t unreadable;	/* files that could not be read */
	size_t skipped;		/* sockets, FIFOs, devices */
	int threads;		/* hashing threads; 2 unless set before build */
	enum dirtree_sink sink;	/* DIRTREE_MEMORY unless set before build */
	/*
	 * Borrowed, may be NULL (built/statcache.h): a file whose stat
	 * cache_old still vouches for is not read again.
	 */
	const struct statcache *cache_old;
	/*
	 * Borrowed, may be NULL: where the walk writes the next cache. When
	 * cache_old vouched for every file and held no other, the file is
	 * left as it was.
	 */
	const char *cache_path;
	/* Borrowed, may be NULL: a path below the folder left out of its
	 * tree (the manifest this program writes there). */
	const char *skip;
	/* Borrowed, may be NULL: where the walk says how far it has come,
	 * when it takes more than a second (util/progress.h). */
	FILE *progress;
	/*
	 * Owned, NULL unless set by the walk: why the state's store could
	 * not be written (a full disk) when sink was DIRTREE_STORE. The walk
	 * then only hashed the rest (sink is DIRTREE_HASH), so the top
	 * tree's id is right but the store does not hold it whole: the
	 * caller must not record it.
	 */
	char *store_error;
	/*
	 * Borrowed, may be NULL: the tree the state records for the folder.
	 * When cache_old vouches for every file, holds no other, says it
	 * was written by a walk that made this very tree, and the links are
	 * the ones that walk found, the top tree is not made again: its id
	 * is this one, an object the store already holds.
	 */
	const git_oid *recorded;
};

#define DIRTREE_INIT { NULL, NULL, NULL, STRVEC_INIT, 0, 0, 0, 0, 2, \
		       DIRTREE_MEMORY, NULL, NULL, NULL, NULL, NULL, NULL }

/*
 * Creates the in-memory object store. With objects_dir (a bare git
 * objects folder, created when missing), its objects can be read too, so
 * that a tree recorded by an earlier run can be compared, and
 * dirtree_keep() copies new trees into it. Returns 0, or -1 with e set;
 * dirtree_release() is needed either way.
 */
int dirtree_open(struct dirtree *d, const char *objects_dir, struct err *e);

/*
 * Hashes every file below the folder dir and puts the trees where d->sink
 * says; *out is the id of dir's tree. Empty folders are left out, as git
 * leaves them out. A file that cannot be read gets an id of its own that
 * matches nothing (so that it is purged) and a note; a socket, FIFO or
 * device is skipped with a note. The walk holds the entries of the
 * folders it is in and a bounded window of files being hashed, never the
 * whole folder: its memory does not grow with the number of files.
 * Returns 0, or -1 with e set when dir is not a folder or a folder below
 * it cannot be read (never purge less than what changed: a folder whose
 * files are unknown stops the run). A new stat cache that cannot be
 * written is only a note: it costs the next run time.
 */
int dirtree_build(git_oid *out, struct dirtree *d, const char *dir,
		  struct err *e);

/*
 * Copies the tree id, every tree below it and the blobs of its links into
 * the store given to dirtree_open(), children before parents, so that a
 * tree found in the store is always complete. Returns 0, or -1 with e set.
 */
int dirtree_keep(struct dirtree *d, const git_oid *id, struct err *e);

void dirtree_release(struct dirtree *d);

#endif
