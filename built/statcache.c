#include "statcache.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * The header: the magic line, then the raw ids of the top tree the walk
 * that wrote the file made and of the digest of its links (zeros until
 * the writer commits). Version 1 had no ids: its files read as foreign.
 */
#define MAGIC "cf-purge-hook stat 2\n"
#define MAGIC_LEN (sizeof(MAGIC) - 1)
#define HEADER_LEN (MAGIC_LEN + 2 * GIT_OID_RAWSZ)

/* One record on disk: the fixed fields, then the path and a NUL. */
struct disk_entry {
	uint64_t size, ino, dev;
	int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
	uint32_t mode, path_len;
	unsigned char id[GIT_OID_RAWSZ];
};

void statcache_stat_from(struct statcache_stat *out, const struct stat *st)
{
	out->size = (uint64_t)st->st_size;
	out->ino = (uint64_t)st->st_ino;
	out->dev = (uint64_t)st->st_dev;
	out->mtime_s = st->st_mtim.tv_sec;
	out->mtime_ns = st->st_mtim.tv_nsec;
	out->ctime_s = st->st_ctim.tv_sec;
	out->ctime_ns = st->st_ctim.tv_nsec;
	out->mode = (uint32_t)st->st_mode;
}

/*
 * The size of the whole record at p (at most left bytes), or 0 when
 * what is left is not one.
 */
static size_t record_size(const char *p, size_t left)
{
	struct disk_entry de;

	if (left < sizeof(de))
		return 0;
	memcpy(&de, p, sizeof(de));
	if (de.path_len >= left - sizeof(de) ||
	    p[sizeof(de) + de.path_len] != '\0' ||
	    memchr(p + sizeof(de), '\0', de.path_len))
		return 0;
	return sizeof(de) + de.path_len + 1;
}

static const char *record_path(const struct statcache *c, size_t i)
{
	return c->buf + c->offsets[i] + sizeof(struct disk_entry);
}

void statcache_read(struct statcache *c, const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW);
	struct stat st;
	size_t have = 0, k, alloc = 0;
	ssize_t got;

	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size < HEADER_LEN)
		goto out;
	c->buf = xmalloc((size_t)st.st_size);
	while (have < (size_t)st.st_size &&
	       (got = read(fd, c->buf + have, (size_t)st.st_size - have)) > 0)
		have += (size_t)got;
	if (have != (size_t)st.st_size || memcmp(c->buf, MAGIC, MAGIC_LEN))
		goto drop;
	c->written = st.st_mtim;
	git_oid_fromraw(&c->top, (const unsigned char *)c->buf + MAGIC_LEN);
	git_oid_fromraw(&c->links, (const unsigned char *)c->buf + MAGIC_LEN +
			GIT_OID_RAWSZ);
	c->len = HEADER_LEN;
	while ((k = record_size(c->buf + c->len, have - c->len))) {
		if (c->n == alloc) {
			alloc = alloc ? 2 * alloc : 1024;
			c->offsets = xrealloc(c->offsets,
					      alloc * sizeof(*c->offsets));
		}
		c->offsets[c->n++] = c->len;
		c->len += k;
		/* Out of order: not this program's; the lookups need it. */
		if (c->n > 1 && strcmp(record_path(c, c->n - 2),
				       record_path(c, c->n - 1)) >= 0)
			goto drop;
	}
	goto out;
drop:
	statcache_release(c);
out:
	close(fd);
}

size_t statcache_find(const struct statcache *c, size_t *cursor,
		      const char *path)
{
	while (*cursor < c->n) {
		int cmp = strcmp(record_path(c, *cursor), path);

		if (cmp > 0)
			return 0;
		if (!cmp)
			return ++*cursor;
		++*cursor;
	}
	return 0;
}

const unsigned char *statcache_vouch(const struct statcache *c, size_t found,
				     const struct statcache_stat *now,
				     size_t *end, size_t *next)
{
	struct disk_entry de;
	size_t i = found - 1;
	const char *p;

	if (!found || found > c->n)
		return NULL;
	p = c->buf + c->offsets[i];
	memcpy(&de, p, sizeof(de));
	if (now->size != de.size || now->ino != de.ino ||
	    now->dev != de.dev || now->mtime_s != de.mtime_s ||
	    now->mtime_ns != de.mtime_ns || now->ctime_s != de.ctime_s ||
	    now->ctime_ns != de.ctime_ns || now->mode != de.mode)
		return NULL;
	/* Racy: changed within the timestamp the cache was written in. */
	if (now->mtime_s > c->written.tv_sec ||
	    (now->mtime_s == c->written.tv_sec &&
	     now->mtime_ns >= c->written.tv_nsec))
		return NULL;
	*end = c->offsets[i] + sizeof(de) + de.path_len + 1;
	*next = found;
	return (const unsigned char *)p + offsetof(struct disk_entry, id);
}

const char *statcache_records(const struct statcache *c, size_t *len,
			      size_t end)
{
	*len = end > HEADER_LEN ? end - HEADER_LEN : 0;
	return c->buf ? c->buf + HEADER_LEN : "";
}

void statcache_release(struct statcache *c)
{
	free(c->buf);
	free(c->offsets);
	memset(c, 0, sizeof(*c));
}

int statcache_writer_open(struct statcache_writer *w, const char *path,
			  struct err *e)
{
	static const unsigned char zeros[2 * GIT_OID_RAWSZ];
	int fd;

	w->path = xstrdup(path);
	w->tmp = xasprintf("%s.%ld", path, (long)getpid());
	/* A name that exists (a link planted there, say) is not followed. */
	unlink(w->tmp);
	fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0666);
	if (fd < 0 || !(w->f = fdopen(fd, "wb"))) {
		err_set(e, "cannot write '%s': %s", w->tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(w->tmp);
		w->tmp = NULL;
		return -1;
	}
	fputs(MAGIC, w->f);
	/* The ids' place, filled in by statcache_writer_commit(). */
	fwrite(zeros, 1, sizeof(zeros), w->f);
	return 0;
}

void statcache_writer_copy(struct statcache_writer *w, const char *records,
			   size_t len)
{
	if (w->f && len)
		fwrite(records, 1, len, w->f);
}

void statcache_writer_add(struct statcache_writer *w, const char *path,
			  const struct statcache_stat *st, const git_oid *id)
{
	struct disk_entry de;

	if (!w->f)
		return;
	memset(&de, 0, sizeof(de));
	de.size = st->size;
	de.ino = st->ino;
	de.dev = st->dev;
	de.mtime_s = st->mtime_s;
	de.mtime_ns = st->mtime_ns;
	de.ctime_s = st->ctime_s;
	de.ctime_ns = st->ctime_ns;
	de.mode = st->mode;
	de.path_len = (uint32_t)strlen(path);
	memcpy(de.id, id->id, GIT_OID_RAWSZ);
	fwrite(&de, sizeof(de), 1, w->f);
	fwrite(path, 1, de.path_len + 1, w->f);
}

int statcache_writer_commit(struct statcache_writer *w, const git_oid *top,
			    const git_oid *links, struct err *e)
{
	FILE *f = w->f;
	int ok;

	if (!f)
		return 0;
	w->f = NULL;
	/* The ids are known only now: they go in the header's place. */
	if (fseek(f, (long)MAGIC_LEN, SEEK_SET) == 0) {
		fwrite(top->id, 1, GIT_OID_RAWSZ, f);
		fwrite(links->id, 1, GIT_OID_RAWSZ, f);
	}
	ok = !ferror(f);
	if (fclose(f) != 0 || !ok || rename(w->tmp, w->path) < 0) {
		err_set(e, "cannot write '%s': %s", w->path, strerror(errno));
		unlink(w->tmp);
		return -1;
	}
	free(w->tmp);
	w->tmp = NULL;
	return 0;
}

void statcache_writer_release(struct statcache_writer *w)
{
	if (w->f) {
		fclose(w->f);
		unlink(w->tmp);
	}
	free(w->path);
	free(w->tmp);
	memset(w, 0, sizeof(*w));
}
