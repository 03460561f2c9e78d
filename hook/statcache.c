#include "statcache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC "cf-purge-hook stat 1\n"

/* One entry on disk: the fixed fields, then the path and a NUL. */
struct disk_entry {
	uint64_t size, ino, dev;
	int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
	uint32_t mode, path_len;
	unsigned char id[GIT_OID_RAWSZ];
};

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct statcache_entry *)a)->path,
		      ((const struct statcache_entry *)b)->path);
}

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

void statcache_add(struct statcache *c, const char *path,
		   const struct statcache_stat *st, const git_oid *id)
{
	struct statcache_entry *en;

	if (c->n == c->alloc) {
		c->alloc = c->alloc ? 2 * c->alloc : 256;
		c->v = xrealloc(c->v, c->alloc * sizeof(*c->v));
	}
	en = &c->v[c->n++];
	en->path = xstrdup(path);
	en->st = *st;
	memcpy(en->id, id->id, GIT_OID_RAWSZ);
}

void statcache_read(struct statcache *c, const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW);
	struct stat st;
	char *buf = NULL, *p, *end;
	size_t magic = strlen(MAGIC);
	ssize_t got;
	size_t have = 0, i;

	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size < magic)
		goto out;
	buf = xmalloc((size_t)st.st_size);
	while (have < (size_t)st.st_size &&
	       (got = read(fd, buf + have, (size_t)st.st_size - have)) > 0)
		have += (size_t)got;
	if (have != (size_t)st.st_size || memcmp(buf, MAGIC, magic))
		goto out;
	c->written = st.st_mtim;
	p = buf + magic;
	end = buf + have;
	while ((size_t)(end - p) >= sizeof(struct disk_entry)) {
		struct disk_entry de;
		struct statcache_entry *en;

		memcpy(&de, p, sizeof(de));
		p += sizeof(de);
		if ((size_t)(end - p) < (size_t)de.path_len + 1 ||
		    p[de.path_len] != '\0')
			break;
		if (c->n == c->alloc) {
			c->alloc = c->alloc ? 2 * c->alloc : 256;
			c->v = xrealloc(c->v, c->alloc * sizeof(*c->v));
		}
		en = &c->v[c->n++];
		en->path = xstrndup(p, de.path_len);
		en->st.size = de.size;
		en->st.ino = de.ino;
		en->st.dev = de.dev;
		en->st.mtime_s = de.mtime_s;
		en->st.mtime_ns = de.mtime_ns;
		en->st.ctime_s = de.ctime_s;
		en->st.ctime_ns = de.ctime_ns;
		en->st.mode = de.mode;
		memcpy(en->id, de.id, GIT_OID_RAWSZ);
		p += de.path_len + 1;
	}
	/* Written sorted; sorted again only when it is not. */
	for (i = 1; i < c->n; i++)
		if (strcmp(c->v[i - 1].path, c->v[i].path) > 0) {
			qsort(c->v, c->n, sizeof(*c->v), by_path);
			break;
		}
out:
	free(buf);
	close(fd);
}

const unsigned char *statcache_lookup(const struct statcache *c,
				      const char *path,
				      const struct statcache_stat *now)
{
	struct statcache_entry key, *en;

	if (!c->n)
		return NULL;
	memset(&key, 0, sizeof(key));
	key.path = (char *)path;
	en = bsearch(&key, c->v, c->n, sizeof(*c->v), by_path);
	if (!en)
		return NULL;
	if (now->size != en->st.size || now->ino != en->st.ino ||
	    now->dev != en->st.dev || now->mtime_s != en->st.mtime_s ||
	    now->mtime_ns != en->st.mtime_ns ||
	    now->ctime_s != en->st.ctime_s ||
	    now->ctime_ns != en->st.ctime_ns || now->mode != en->st.mode)
		return NULL;
	/* Racy: changed within the timestamp the cache was written in. */
	if (now->mtime_s > c->written.tv_sec ||
	    (now->mtime_s == c->written.tv_sec &&
	     now->mtime_ns >= c->written.tv_nsec))
		return NULL;
	return en->id;
}

int statcache_write(struct statcache *c, const char *path, struct err *e)
{
	char *tmp = xasprintf("%s.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "wb");
	size_t i;
	int ok;

	if (!f) {
		err_set(e, "cannot write '%s': %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	qsort(c->v, c->n, sizeof(*c->v), by_path);
	fputs(MAGIC, f);
	for (i = 0; i < c->n; i++) {
		const struct statcache_entry *en = &c->v[i];
		struct disk_entry de;

		memset(&de, 0, sizeof(de));
		de.size = en->st.size;
		de.ino = en->st.ino;
		de.dev = en->st.dev;
		de.mtime_s = en->st.mtime_s;
		de.mtime_ns = en->st.mtime_ns;
		de.ctime_s = en->st.ctime_s;
		de.ctime_ns = en->st.ctime_ns;
		de.mode = en->st.mode;
		de.path_len = (uint32_t)strlen(en->path);
		memcpy(de.id, en->id, GIT_OID_RAWSZ);
		fwrite(&de, sizeof(de), 1, f);
		fwrite(en->path, 1, de.path_len + 1, f);
	}
	ok = !ferror(f);
	if (fclose(f) != 0 || !ok || rename(tmp, path) < 0) {
		err_set(e, "cannot write '%s': %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

void statcache_release(struct statcache *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->v[i].path);
	free(c->v);
	memset(c, 0, sizeof(*c));
}
