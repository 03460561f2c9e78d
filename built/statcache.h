/*
 * What `dir DIR` knows of a folder's files from its last run: for each
 * regular file, the stat fields git's index keeps (size, mtime, ctime,
 * inode, mode) and its blob id, so that a second run hashes only the
 * files whose stat changed. It is only a cache: a file that cannot be
 * read, or is not this program's, is an empty cache.
 *
 * The file lists the files in the order of their paths (strcmp), which is
 * the order a walk of git trees visits them (built/tree.c): a run
 * writes the next one as it walks, and leaves it alone when every record
 * still holds.
 *
 * git's racy-timestamp rule applies: a file whose mtime is not older
 * than the cache file's own mtime may have changed within the same
 * timestamp after it was hashed, so it is hashed again.
 */
#ifndef CFPH_BUILT_STATCACHE_H
#define CFPH_BUILT_STATCACHE_H

#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include <git2.h>

#include "../util/util.h"

/* The fields of struct stat the cache compares, in less than half its
 * size: a walk keeps one for every file it holds. */
struct statcache_stat {
	uint64_t size, ino, dev;
	int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
	uint32_t mode;
};

void statcache_stat_from(struct statcache_stat *out, const struct stat *st);

/* The cache of the last run. */
struct statcache {
	char *buf;		/* owned; the whole file */
	size_t len;		/* the bytes of buf up to its last whole record */
	size_t *offsets;	/* owned; where each record starts in buf */
	size_t n;		/* its records */
	struct timespec written;	/* the cache file's mtime */
	/*
	 * The top tree the walk that wrote the file made, and the digest of
	 * the symbolic links it found (built/tree.c): when every record
	 * still holds and the links are the same, the folder's tree is top
	 * without being made again. Zeros when the writer did not say.
	 */
	git_oid top, links;
};

#define STATCACHE_INIT { NULL, 0, NULL, 0, { 0, 0 }, { { 0 } }, { { 0 } } }

/*
 * Reads the cache at path; a missing or foreign file, or one whose paths
 * are not in order, leaves c empty, and a file cut short keeps its whole
 * records.
 */
void statcache_read(struct statcache *c, const char *path);

/*
 * The number (plus one) of the record for path, searched from *cursor
 * on, or 0 when c holds none; *cursor moves past every record before
 * path. Paths asked in increasing strcmp order, as a walk visits them,
 * are found by one pass over the cache: no search, whatever the number
 * of files in a folder. Start with *cursor = 0.
 */
size_t statcache_find(const struct statcache *c, size_t *cursor,
		      const char *path);

/*
 * The blob id that record number found - 1 (statcache_find()) holds when
 * st still matches it and the record is not racy; NULL when the file
 * must be hashed. On a match *end is the byte offset just after the
 * record and *next is found, so that a writer can copy the records up to
 * there (statcache_writer_copy()). The id points into c and stays valid
 * until statcache_release(). Safe to call from several threads.
 */
const unsigned char *statcache_vouch(const struct statcache *c, size_t found,
				     const struct statcache_stat *st,
				     size_t *end, size_t *next);

/* The bytes of c's records before offset end, as a writer copies them. */
const char *statcache_records(const struct statcache *c, size_t *len,
			      size_t end);

void statcache_release(struct statcache *c);

/* A new cache, written as the walk goes, then renamed into place. */
struct statcache_writer {
	FILE *f;		/* owned; NULL until opened, or after a failure */
	char *path, *tmp;	/* owned */
};

#define STATCACHE_WRITER_INIT { NULL, NULL, NULL }

/*
 * Starts a cache to replace path, in a temporary file beside it. Returns
 * 0, or -1 with e set (the writer then ignores what it is given).
 */
int statcache_writer_open(struct statcache_writer *w, const char *path,
			  struct err *e);

/* Appends records read from another cache (statcache_records()). */
void statcache_writer_copy(struct statcache_writer *w, const char *records,
			   size_t len);

/* Appends one record; paths must come in increasing strcmp order. */
void statcache_writer_add(struct statcache_writer *w, const char *path,
			  const struct statcache_stat *st, const git_oid *id);

/*
 * Records top and links (see struct statcache) in the new cache's header
 * and renames it into place. Returns 0, or -1 with e set (the temporary
 * file is removed then). Without a successful open, returns 0 and does
 * nothing.
 */
int statcache_writer_commit(struct statcache_writer *w, const git_oid *top,
			    const git_oid *links, struct err *e);

/* Drops an uncommitted cache and frees w; safe after a commit. */
void statcache_writer_release(struct statcache_writer *w);

#endif
