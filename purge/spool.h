/*
 * The spool: a journal of purge requests that this program owns. Each
 * request is written here (one JSON file per batch, atomically: a
 * temporary file, fsync, rename) before its first attempt, and deleted
 * once Cloudflare confirms it, so that no failure and no kill loses it.
 *
 * The spool is read defensively: a file is used only when it is a regular
 * file owned by this user (or, in a shared repository, by the
 * repository's group), that others cannot write, of bounded size, and
 * whose contents are what spool_write writes: a known zone, and a body
 * with only the keys and item types a purge request has. Anything else is
 * moved aside into the folder "rejected" and reported, never sent.
 * Credentials are never written here.
 */
#ifndef CFPH_SPOOL_H
#define CFPH_SPOOL_H

#include <sys/types.h>

#include "batch.h"

/* A spool file larger than this is not one of ours. */
#define SPOOL_MAX_FILE (4 * 1024 * 1024)

struct spool {
	char *dir;			/* owned; absolute */
	struct file_modes modes;
	uid_t uid;			/* the folder's owner and group: */
	gid_t gid;			/* files root writes get them too */
};

#define SPOOL_INIT { NULL, FILE_MODES_PRIVATE, 0, 0 }

/*
 * Uses dir, an absolute path, as the spool: creates it with modes->dir
 * when missing, and refuses a folder that is not a real folder, that
 * belongs to another user (root may use any user's), or that others may
 * write. Returns 0, or -1 with e set; s is then unusable.
 */
int spool_open(struct spool *s, const char *dir,
	       const struct file_modes *modes, struct err *e);
void spool_close(struct spool *s);

/*
 * Writes b to a new file and returns its path in *path_out (the caller
 * frees it) when path_out is not NULL. The file is on disk (fsync'd, and
 * its name too) when this returns 0; -1 with e set otherwise.
 */
int spool_write(struct spool *s, const struct batch *b, char **path_out,
		struct err *e);

/* Replaces the file at path with b, atomically. Returns 0, or -1 with e set
 * (the old file then stays). */
int spool_rewrite(struct spool *s, const char *path, const struct batch *b,
		  struct err *e);

/* Deletes the file at path. Returns 0 (also when it is gone), or -1. */
int spool_remove(const char *path, struct err *e);

/* The names (not paths) of the files in the spool, oldest first. */
int spool_list(struct strvec *names, const struct spool *s, struct err *e);

/* What a spool file may name: the zones of this configuration. */
struct spool_rules {
	const struct strvec *zone_ids;	/* 32 hex digits each */
	long max_files;			/* most files per request */
	long max_items;			/* most tags, prefixes or hosts */
	/*
	 * The id of the config's zone_name is not known yet (the lookup
	 * failed): a file naming a zone id that is not in zone_ids is then
	 * left for a later run instead of being refused.
	 */
	int zones_incomplete;
};

/* A spooled batch whose file this process holds the lock of. */
struct spool_entry {
	char *path;		/* owned */
	int fd;			/* holds the lock; -1 once let go */
	struct batch batch;
};

/*
 * Opens, checks, locks and reads the spool file called name. Returns 1 with
 * *en filled (release it with spool_entry_release); 0 when another run
 * holds it, it is gone, or it is left for later (zones_incomplete); -3
 * with e set when it cannot be read now (too many files open, a
 * permission, a failed read or lock), which the caller reports and leaves
 * in place; or -1 with e set when the file must not be used, which the
 * caller moves aside with spool_reject. Opening never blocks (a FIFO is
 * refused) and never follows a symbolic link.
 */
int spool_take(struct spool_entry *en, struct spool *s, const char *name,
	       const struct spool_rules *rules, struct err *e);

/*
 * Parses and checks the len bytes of a spool file's text into b: only the
 * keys spool_write writes, version 1, a zone id of 32 hex digits that
 * rules names (or only a zone name that is a host name: the caller then
 * looks its id up and must check it too), a body of one kind
 * whose items are what this program sends, within the rules' sizes.
 * Returns 0; -2 when the zone id is unknown but rules->zones_incomplete
 * (the file is left for a later run); -1 with e set when the text must
 * not be used. b is filled only on 0 (release it with batch_release).
 */
int spool_parse(struct batch *b, const char *text, size_t len,
		const struct spool_rules *rules, struct err *e);

/* Lets go of the lock and frees the entry; the file stays. */
void spool_entry_release(struct spool_entry *en);

/*
 * Moves the file called name into the folder "rejected" of the spool
 * (created when missing), where nothing reads it, and returns its new path
 * in *moved_to (the caller frees it). Returns 0, or -1 with e set.
 */
int spool_reject(struct spool *s, const char *name, char **moved_to,
		 struct err *e);

/* The number of files in the spool that hold spooled batches. */
size_t spool_count(const struct spool *s);

/* Whether s is a zone id as Cloudflare writes them: 32 lowercase hex. */
int spool_zone_id_ok(const char *s);

#endif
