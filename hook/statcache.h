/*
 * What `dir DIR` knows of a folder's files from its last run: for each
 * regular file, the stat fields git's index keeps (size, mtime, ctime,
 * inode, mode) and its blob id, so that a second run hashes only the
 * files whose stat changed. It is only a cache: a file that cannot be
 * read, or is not this program's, is an empty cache.
 *
 * git's racy-timestamp rule applies: a file whose mtime is not older
 * than the cache file's own mtime may have changed within the same
 * timestamp after it was hashed, so it is hashed again.
 */
#ifndef CFPH_STATCACHE_H
#define CFPH_STATCACHE_H

#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include <git2.h>

#include "../mapping/util.h"

/* The fields of struct stat the cache compares, in less than half its
 * size: a walk keeps one for every file. */
struct statcache_stat {
	uint64_t size, ino, dev;
	int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
	uint32_t mode;
};

void statcache_stat_from(struct statcache_stat *out, const struct stat *st);

struct statcache_entry {
	char *path;		/* owned; below the folder */
	struct statcache_stat st;
	unsigned char id[GIT_OID_RAWSZ];
};

struct statcache {
	struct statcache_entry *v;	/* sorted by path once read */
	size_t n, alloc;
	struct timespec written;	/* the cache file's mtime */
};

#define STATCACHE_INIT { NULL, 0, 0, { 0, 0 } }

/* Reads the cache at path; a missing or foreign file leaves c empty. */
void statcache_read(struct statcache *c, const char *path);

/*
 * The blob id recorded for path when st still matches it and the entry
 * is not racy; NULL when the file must be hashed. The pointer stays
 * valid until statcache_release(). Safe to call from several threads.
 */
const unsigned char *statcache_lookup(const struct statcache *c,
				      const char *path,
				      const struct statcache_stat *st);

/* Appends an entry; copies path. */
void statcache_add(struct statcache *c, const char *path,
		   const struct statcache_stat *st, const git_oid *id);

/*
 * Writes c (sorted here) to path, through a temporary file and a rename.
 * Returns 0, or -1 with e set.
 */
int statcache_write(struct statcache *c, const char *path, struct err *e);

void statcache_release(struct statcache *c);

#endif
