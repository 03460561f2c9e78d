/*
 * The spool: purge requests that could not be sent, kept on disk until
 * Cloudflare confirms them. One JSON file per batch, written atomically
 * (temporary file, fsync, rename). A run claims a file with an exclusive
 * lock before sending it, so that two runs at once never send or delete
 * the same file twice. Credentials are never written here.
 */
#ifndef CFPH_SPOOL_H
#define CFPH_SPOOL_H

#include "batch.h"

/*
 * Writes b to a new file in dir (created, mode 0700, when missing) and
 * returns its path in *path_out (the caller frees it) when path_out is not
 * NULL. Returns 0, or -1 with e set.
 */
int spool_write(const char *dir, const struct batch *b, char **path_out,
		struct err *e);

/* A spooled batch that this process holds the lock of. */
struct spool_entry {
	char *path;		/* owned */
	int fd;			/* holds the lock until spool_entry_release */
	struct batch batch;
};

struct spool_claim {
	struct spool_entry *v;
	size_t n;
	size_t alloc;
	struct strvec problems;	/* files that could not be read, with why */
};

#define SPOOL_CLAIM_INIT { NULL, 0, 0, STRVEC_INIT }

/*
 * Claims every spooled batch in dir that no other process holds, oldest
 * first. A missing dir is an empty spool. A file that does not parse is
 * left in place and named in out->problems. Returns 0, or -1 with e set
 * when dir cannot be read.
 */
int spool_claim(struct spool_claim *out, const char *dir, struct err *e);

/*
 * Deletes the entry's file (Cloudflare confirmed it, or it was replaced by
 * new files) and drops the lock. Returns 0, or -1 with e set.
 */
int spool_entry_done(struct spool_entry *en, struct err *e);

/*
 * Rewrites the entry's file with its batch (new attempts, last error) and
 * drops the lock, after which the entry must not be used again. Returns 0,
 * or -1 with e set (the old file then stays).
 */
int spool_entry_update(struct spool_entry *en, struct err *e);

/* Releases every entry still held (their files stay) and the list. */
void spool_claim_release(struct spool_claim *c);

/* The number of files in dir that hold spooled batches. */
size_t spool_count(const char *dir);

#endif
