#include "indexlinks.h"
#include "../util/git.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The index's layout (git's Documentation/gitformat-index.txt): a 12-byte
 * header ("DIRC", version, entry count), the entries sorted by path, the
 * extensions (a 4-byte signature, a 4-byte size, the data), and a
 * checksum of everything before it. An entry is 40 bytes of stat data,
 * its 4-byte mode at offset 24, the 20-byte object id at 40, 2 bytes of
 * flags at 60 (and 2 more in versions 3 and 4 when the extended flag is
 * set), then the path: NUL-terminated and padded with NULs to a multiple
 * of 8 bytes in versions 2 and 3; in version 4 a varint saying how many
 * bytes of the previous path to drop, then the rest, NUL-terminated.
 */
#define HEADER_SIZE 12
#define ENTRY_FIXED 62
#define CHECKSUM_SIZE GIT_OID_RAWSZ
#define FLAG_EXTENDED 0x4000u
#define FLAG_STAGE 0x3000u
#define MODE_LINK 0120000u
#define MODE_DIR 0040000u
#define MODE_FILE 0100000u
#ifdef MAP_POPULATE
#define POPULATE MAP_POPULATE
#else
#define POPULATE 0
#endif
/* Larger indexes are not read: the tree is walked instead. */
#define INDEX_MAX ((size_t)1 << 31)

struct cursor {
	const unsigned char *p, *end;
};

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Git's offset varint (version 4): each continuation adds one. */
static int varint(size_t *out, struct cursor *c)
{
	size_t v;
	unsigned char b;

	if (c->p >= c->end)
		return -1;
	b = *c->p++;
	v = b & 0x7f;
	while (b & 0x80) {
		if (c->p >= c->end || v > (SIZE_MAX >> 8))
			return -1;
		b = *c->p++;
		v = ((v + 1) << 7) | (b & 0x7f);
	}
	*out = v;
	return 0;
}

/*
 * Finds the TREE extension's first record, the top folder, and copies its
 * id to out. Returns 0, or -1 when the extensions hold no valid top tree,
 * or something this reader must not ignore: a split index ("link"), whose
 * entries live in another file, or a sparse index ("sdir").
 */
static int top_tree(git_oid *out, struct cursor c)
{
	int found = -1;

	while ((size_t)(c.end - c.p) >= 8) {
		const unsigned char *sig = c.p;
		uint32_t size = be32(c.p + 4);
		const unsigned char *data = c.p + 8, *nl;

		if (size > (size_t)(c.end - data))
			return -1;
		if (!memcmp(sig, "link", 4) || !memcmp(sig, "sdir", 4))
			return -1;
		/* The top folder's record: "", NUL, "<entries> <subtrees>\n"
		 * and its id; -1 entries mean the cache is invalid. */
		if (!memcmp(sig, "TREE", 4) && size > 1 && data[0] == '\0' &&
		    (nl = memchr(data, '\n', size)) && data[1] != '-' &&
		    (size_t)(data + size - (nl + 1)) >= GIT_OID_RAWSZ) {
			git_oid_fromraw(out, nl + 1);
			found = 0;
		}
		c.p = data + size;
	}
	return found;
}

static int below(const char *path, size_t len, const char *under,
		 size_t ulen)
{
	return !ulen || (len > ulen && !memcmp(path, under, ulen) &&
			 path[ulen] == '/');
}

/*
 * Steps over the plain entries of a version 2 or 3 index from p, at most
 * *left of them, and returns the first entry that is not plain, with
 * *left lowered by those stepped over. A plain entry (stage 0, no
 * extended flags, a regular file, its path's NUL where the flags' length
 * says) says nothing this reader needs, and as this loop runs once per
 * file of the site it reads no more than that: two bytes of flags, one of
 * mode and the NUL. It stops short of the last 4 kB before end, where an
 * entry might not fit; the caller's checked loop reads those. A path of
 * 0xfff bytes or more has a byte other than NUL at 0xfff, and stops it.
 */
#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)0)
#endif
#define PLAIN_MAX (ENTRY_FIXED + 0xfffu + 8)
static const unsigned char *skip_plain(const unsigned char *p,
				       const unsigned char *end,
				       uint32_t *left)
{
	const unsigned char *safe;
	uint32_t n = *left;

	if ((size_t)(end - p) <= PLAIN_MAX)
		return p;
	safe = end - PLAIN_MAX;
	while (n && p < safe) {
		unsigned flags = (unsigned)p[60] << 8 | p[61];
		size_t len = flags & 0xfffu;

		PREFETCH(p + 1024);
		if ((flags & (FLAG_EXTENDED | FLAG_STAGE)) |
		    ((unsigned)p[26] >> 4 ^ (MODE_FILE >> 12)) |
		    p[ENTRY_FIXED + len])
			break;
		p += (ENTRY_FIXED + 8 + len) & ~(size_t)7;
		n--;
	}
	*left = n;
	return p;
}

/*
 * Walks the n entries at c, appending the links below under as pairs of
 * path and object id (as hex, replaced by the text afterwards). Leaves c
 * after the last entry. Returns 0, or -1 when an entry is malformed or
 * makes the index untrustworthy (unmerged, or a sparse folder).
 */
static int scan(struct strvec *found, struct cursor *c, uint32_t version,
		uint32_t n, const char *under)
{
	struct strbuf path = STRBUF_INIT;
	size_t ulen = strlen(under);
	uint32_t i;
	int rc = -1;

	for (i = 0; i < n; i++) {
		const unsigned char *e, *name, *nul;
		uint32_t mode;
		unsigned flags;
		size_t fixed = ENTRY_FIXED, name_len;

		if (version != 4) {
			uint32_t left = n - i;

			c->p = skip_plain(c->p, c->end, &left);
			if (!left)
				break;
			i = n - left;
		}
		e = c->p;
		if ((size_t)(c->end - e) < ENTRY_FIXED)
			goto out;
		mode = be32(e + 24) & 0170000u;
		flags = (unsigned)e[60] << 8 | e[61];
		if (flags & FLAG_EXTENDED) {
			if (version < 3)
				goto out;
			fixed += 2;
		}
		if ((flags & FLAG_STAGE) || mode == MODE_DIR ||
		    (size_t)(c->end - e) < fixed)
			goto out;
		c->p = e + fixed;
		if (version == 4) {
			size_t drop;

			/* Every path is needed to make the next one. */
			if (varint(&drop, c) < 0 || drop > path.len)
				goto out;
			strbuf_setlen(&path, path.len - drop);
			name = c->p;
			nul = memchr(name, '\0', (size_t)(c->end - name));
			if (!nul)
				goto out;
			strbuf_add(&path, name, (size_t)(nul - name));
			c->p = nul + 1;
			name = (const unsigned char *)path.buf;
			name_len = path.len;
		} else {
			/*
			 * The path is in place. Its length is in the flags
			 * unless it is 0xfff or more; the entry is padded
			 * with 1 to 8 NULs to a multiple of 8 bytes.
			 */
			name = c->p;
			name_len = flags & 0xfffu;
			if (name_len == 0xfffu || name_len >=
			    (size_t)(c->end - name) || name[name_len]) {
				nul = memchr(name, '\0',
					     (size_t)(c->end - name));
				if (!nul)
					goto out;
				name_len = (size_t)(nul - name);
			}
			fixed = (fixed + name_len + 8) & ~(size_t)7;
			if (fixed > (size_t)(c->end - e))
				goto out;
			c->p = e + fixed;
		}
		if (mode == MODE_LINK &&
		    below((const char *)name, name_len, under, ulen)) {
			char hex[GIT_OID_HEXSZ + 1];
			git_oid id;

			git_oid_fromraw(&id, e + 40);
			git_oid_tostr(hex, sizeof(hex), &id);
			strvec_push_owned(found, xstrndup((const char *)name,
							  name_len));
			strvec_push(found, hex);
		}
	}
	rc = 0;
out:
	strbuf_release(&path);
	return rc;
}

int indexlinks_parse(struct strvec *found, const unsigned char *buf,
		     size_t len, const git_oid *tree_id, const char *under)
{
	struct cursor c;
	git_oid top;
	uint32_t version, n;
	size_t first = found->n;

	if (len < HEADER_SIZE + CHECKSUM_SIZE)
		return 0;
	c.p = buf;
	c.end = buf + len - CHECKSUM_SIZE;
	version = be32(c.p + 4);
	n = be32(c.p + 8);
	if (memcmp(c.p, "DIRC", 4) || version < 2 || version > 4)
		return 0;
	c.p += HEADER_SIZE;
	/* The entries are trusted only once the cache names the tree. */
	if (scan(found, &c, version, n, under) < 0 ||
	    top_tree(&top, c) < 0 || !git_oid_equal(&top, tree_id)) {
		while (found->n > first)
			free(found->v[--found->n]);
		return 0;
	}
	return 1;
}

/*
 * Reads the links of the index at path when its top tree is tree_id.
 * Returns 1 with found holding pairs of path and blob id, or 0.
 */
static int read_index(struct strvec *found, const char *path,
		      const git_oid *tree_id, const char *under)
{
	struct stat st;
	void *map;
	int fd, ok;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size < HEADER_SIZE + CHECKSUM_SIZE ||
	    (uint64_t)st.st_size > INDEX_MAX) {
		close(fd);
		return 0;
	}
	/* Every page is read: mapping them at once spares a fault each. */
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | POPULATE,
		   fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return 0;
	ok = indexlinks_parse(found, map, (size_t)st.st_size, tree_id, under);
	munmap(map, (size_t)st.st_size);
	return ok;
}

int indexlinks_read(struct strvec *out, git_repository *repo,
		    const git_oid *tree_id, const char *under,
		    struct err *e)
{
	struct strvec found = STRVEC_INIT;
	git_odb *odb = NULL;
	char *path;
	size_t i, first = out->n;
	int rc = 0;

	/* Another index than the repository's own says nothing of HEAD. */
	if (git_repository_is_bare(repo) || !git_repository_path(repo) ||
	    getenv("GIT_INDEX_FILE"))
		return 0;
	path = xasprintf("%sindex", git_repository_path(repo));
	if (!read_index(&found, path, tree_id, under))
		goto out;
	if (found.n && git_repository_odb(&odb, repo) < 0) {
		rc = err_set(e, "cannot open the object database: %s",
			     git_message());
		goto out;
	}
	for (i = 0; i + 1 < found.n; i += 2) {
		git_odb_object *obj = NULL;
		git_oid id;

		if (git_oid_fromstr(&id, found.v[i + 1]) < 0 ||
		    git_odb_read(&obj, odb, &id) < 0) {
			rc = err_set(e, "cannot read the symbolic link '%s': "
				     "%s", found.v[i], git_message());
			/* Nothing half-appended stays behind. */
			while (out->n > first)
				free(out->v[--out->n]);
			goto out;
		}
		strvec_push(out, found.v[i]);
		strvec_push_owned(out, xstrndup(git_odb_object_data(obj),
						git_odb_object_size(obj)));
		git_odb_object_free(obj);
	}
	rc = 1;
out:
	git_odb_free(odb);
	strvec_clear(&found);
	free(path);
	return rc;
}
