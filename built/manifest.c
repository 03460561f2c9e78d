#include "manifest.h"
#include "../purge/libcurl.h"
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

#define MAGIC "cf-purge-hook manifest 1 "
#define MAX_MANIFEST (64u * 1024 * 1024)
#define MODE_TREE 040000u
#define MODE_LINK 0120000u
/*
 * How many folders deep a manifest's path may go. build() keeps its own
 * stack, so depth costs no C stack there, but the tree of one path of
 * 200,000 folders (only 400 KB of manifest) would still be 200,000 trees
 * for every later tree walk; a real site's paths are far shallower
 * (PATH_MAX allows 2,048 folders).
 */
#define MAX_DEPTH 4096

static void put_escaped(struct strbuf *sb, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\\')
			strbuf_addstr(sb, "\\\\");
		else if (s[i] == '\n')
			strbuf_addstr(sb, "\\n");
		else if (s[i] == '\t')
			strbuf_addstr(sb, "\\t");
		else
			strbuf_addch(sb, s[i]);
	}
}

/* Appends the lines of tree id, whose path is prefix. */
static int list_tree(struct strbuf *sb, struct strbuf *prefix, git_odb *odb,
		     const git_oid *id, struct err *e)
{
	git_odb_object *obj = NULL;
	const char *p, *end;
	int rc = -1;

	if (git_odb_read(&obj, odb, id) < 0)
		return err_set(e, "cannot read tree %s: %s",
			       git_oid_tostr_s(id), git_message());
	p = git_odb_object_data(obj);
	end = p + git_odb_object_size(obj);
	while (p < end) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		unsigned mode = (unsigned)strtoul(p, NULL, 8);
		size_t keep = prefix->len;
		git_oid child;

		if (!sp || !nul || sp > nul || end - nul - 1 < GIT_OID_RAWSZ) {
			err_set(e, "tree %s is malformed", git_oid_tostr_s(id));
			goto out;
		}
		git_oid_fromraw(&child, (const unsigned char *)nul + 1);
		if (prefix->len)
			strbuf_addch(prefix, '/');
		strbuf_add(prefix, sp + 1, (size_t)(nul - sp - 1));
		if (mode == MODE_TREE) {
			if (list_tree(sb, prefix, odb, &child, e) < 0)
				goto out;
		} else {
			git_odb_object *link = NULL;

			strbuf_addf(sb, "%o %s ", mode, git_oid_tostr_s(&child));
			put_escaped(sb, prefix->buf, prefix->len);
			if (mode == MODE_LINK) {
				if (git_odb_read(&link, odb, &child) < 0) {
					err_set(e, "cannot read link '%s': %s",
						prefix->buf, git_message());
					goto out;
				}
				strbuf_addch(sb, '\t');
				put_escaped(sb, git_odb_object_data(link),
					    git_odb_object_size(link));
				git_odb_object_free(link);
			}
			strbuf_addch(sb, '\n');
		}
		strbuf_setlen(prefix, keep);
		p = nul + 1 + GIT_OID_RAWSZ;
	}
	rc = 0;
out:
	git_odb_object_free(obj);
	return rc;
}

/*
 * Creates a new temporary file beside path: never through a link or over
 * a file that is there already, since whoever may write the served folder
 * (the deploy user, the web server) could have planted either for the
 * next pids. Returns the descriptor with *tmp set (owned by the caller),
 * or -1 with errno set.
 */
static int manifest_create(char **tmp, const char *path)
{
	unsigned i;
	int fd = -1;

	for (i = 0; i < 100 && fd < 0; i++) {
		*tmp = i ? xasprintf("%s.%ld.%u", path, (long)getpid(), i) :
			   xasprintf("%s.%ld", path, (long)getpid());
		fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			  O_CLOEXEC, 0666);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return -1;
		free(*tmp);
		*tmp = NULL;
	}
	errno = EEXIST;
	return -1;
}

/* 1 when name is base followed by ".<pid>" or ".<pid>.<n>". */
static int temporary_of(const char *name, const char *base)
{
	size_t n = strlen(base), dots = 0;
	const char *p = name + n;

	if (strncmp(name, base, n) || *p != '.')
		return 0;
	while (*p == '.' && dots < 2) {
		p++;
		dots++;
		if (*p < '0' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

size_t manifest_sweep(const char *path, time_t now)
{
	char *folder = xstrdup(path), *slash = strrchr(folder, '/');
	const char *base = slash ? slash + 1 : path;
	struct dirent *de;
	size_t removed = 0;
	DIR *d;

	if (slash)
		*slash = '\0';
	d = opendir(slash ? (*folder ? folder : "/") : ".");
	while (d && (de = readdir(d)) != NULL) {
		struct stat st;

		if (temporary_of(de->d_name, base) &&
		    fstatat(dirfd(d), de->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_mtime < now - 3600 &&
		    unlinkat(dirfd(d), de->d_name, 0) == 0)
			removed++;
	}
	if (d)
		closedir(d);
	free(folder);
	return removed;
}

int manifest_write(const char *path, git_odb *odb, const git_oid *id,
		   struct err *e)
{
	struct strbuf sb = STRBUF_INIT, prefix = STRBUF_INIT;
	char *tmp = NULL;
	size_t done = 0;
	int rc = -1, fd;

	strbuf_addf(&sb, MAGIC "%s\n", git_oid_tostr_s(id));
	if (list_tree(&sb, &prefix, odb, id, e) < 0)
		goto out;
	if ((fd = manifest_create(&tmp, path)) < 0) {
		err_set(e, "cannot write the manifest '%s': %s", path,
			strerror(errno));
		goto out;
	}
	while (done < sb.len) {
		ssize_t w = write(fd, sb.buf + done, sb.len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	/*
	 * rename() replaces a link at path itself, and never writes
	 * through it.
	 */
	if (done < sb.len) {
		err_set(e, "cannot write the manifest '%s': %s", tmp,
			strerror(errno ? errno : EIO));
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) != 0 || rename(tmp, path) < 0) {
		err_set(e, "cannot write the manifest '%s': %s", path,
			strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	strbuf_release(&sb);
	strbuf_release(&prefix);
	free(tmp);
	return rc;
}

struct line {
	char *path;		/* owned, unescaped */
	unsigned mode;
	git_oid id;
};

static int unescape(struct strbuf *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] != '\\') {
			if (s[i] == '\0')
				return -1;
			strbuf_addch(out, s[i]);
			continue;
		}
		if (++i == n)
			return -1;
		if (s[i] == '\\')
			strbuf_addch(out, '\\');
		else if (s[i] == 'n')
			strbuf_addch(out, '\n');
		else if (s[i] == 't')
			strbuf_addch(out, '\t');
		else
			return -1;
	}
	return 0;
}

/* A plain relative path: no empty, "." or ".." segment. */
static int plain_path(const char *p)
{
	const char *seg = p;

	if (!*p)
		return 0;
	for (;;) {
		const char *slash = strchr(seg, '/');
		size_t n = slash ? (size_t)(slash - seg) : strlen(seg);

		if (!n || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		if (!slash)
			return 1;
		seg = slash + 1;
	}
}

/* 1 when the path p has more than max folders above its file. */
static int depth_over(const char *p, size_t max)
{
	size_t n = 0;

	for (; *p; p++)
		if (*p == '/' && ++n > max)
			return 1;
	return 0;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct line *)a)->path,
		      ((const struct line *)b)->path);
}

/* git's order: a folder's name compares as if it ended in '/'. */
static int git_order(const char *a, size_t la, int a_tree, const char *b,
		     size_t lb, int b_tree)
{
	int c = memcmp(a, b, la < lb ? la : lb);
	unsigned ca = a_tree ? '/' : 0, cb = b_tree ? '/' : 0;

	if (c)
		return c;
	/* The shorter name ends first: its next byte is '/' or nothing. */
	if (la > lb)
		ca = (unsigned char)a[lb];
	else if (lb > la)
		cb = (unsigned char)b[la];
	return ca < cb ? -1 : ca > cb;
}

struct child {
	const char *name;	/* borrowed from a line's path */
	size_t len;
	unsigned mode;
	git_oid id;
};

static int child_cmp(const void *x, const void *y)
{
	const struct child *a = x, *b = y;

	return git_order(a->name, a->len, a->mode == MODE_TREE, b->name,
			 b->len, b->mode == MODE_TREE);
}

/* A folder whose tree build() has yet to write. */
struct folder {
	const char *opener;	/* borrowed: the first line's path in it */
	size_t plen;		/* bytes of opener naming it, with its '/' */
	struct child *kids;	/* owned */
	size_t n, alloc;
};

static void add_kid(struct folder *f, const char *name, size_t len,
		    unsigned mode, const git_oid *id)
{
	struct child *c;

	if (f->n == f->alloc) {
		f->alloc = f->alloc ? 2 * f->alloc : 8;
		f->kids = xrealloc(f->kids, f->alloc * sizeof(*f->kids));
	}
	c = &f->kids[f->n++];
	c->name = name;
	c->len = len;
	c->mode = mode;
	c->id = *id;
}

/* Writes the tree of f's children, in git's order, and sets *out. */
static int write_folder(git_oid *out, char **why, git_odb *odb,
			struct folder *f)
{
	struct strbuf sb = STRBUF_INIT;
	size_t k;
	int rc = -1;

	if (f->n)
		qsort(f->kids, f->n, sizeof(*f->kids), child_cmp);
	for (k = 0; k < f->n; k++) {
		const struct child *c = &f->kids[k];

		if (k && c->len == c[-1].len &&
		    !memcmp(c->name, c[-1].name, c->len)) {
			*why = xasprintf("'%.*s' is listed twice, or as a file "
					 "and a folder", (int)c->len, c->name);
			goto out;
		}
		strbuf_addf(&sb, "%o ", c->mode);
		strbuf_add(&sb, c->name, c->len);
		strbuf_add(&sb, "", 1);
		strbuf_add(&sb, c->id.id, GIT_OID_RAWSZ);
	}
	if (git_odb_write(out, odb, sb.buf ? sb.buf : "", sb.len,
			  GIT_OBJECT_TREE) < 0) {
		*why = xasprintf("cannot write a tree: %s", git_message());
		goto out;
	}
	rc = 0;
out:
	strbuf_release(&sb);
	return rc;
}

/*
 * Writes the trees of the n lines of v, sorted by strcmp, and sets *out to
 * the top one. Sorted so, the lines of each folder are next to each
 * other: the folders open along the current path are kept on a stack of
 * their own (not the C stack, which a path of many folders would
 * overflow), and each is written, and handed to its parent as a child,
 * once the lines leave it.
 */
static int build(git_oid *out, char **why, git_odb *odb,
		 const struct line *v, size_t n)
{
	struct folder *st = xcalloc(1, sizeof(*st));
	size_t depth = 1, alloc = 1, i;
	git_oid id;
	int rc = -1;

	st[0].opener = "";
	for (i = 0; i <= n; i++) {
		const char *p = i < n ? v[i].path : NULL, *name, *slash;

		/* Close the folders this line is not in (all, at the end). */
		while (depth > 1 && (!p || strncmp(p, st[depth - 1].opener,
						   st[depth - 1].plen))) {
			struct folder *f = &st[depth - 1], *up = &st[depth - 2];

			if (write_folder(&id, why, odb, f) < 0)
				goto out;
			add_kid(up, f->opener + up->plen,
				f->plen - up->plen - 1, MODE_TREE, &id);
			free(f->kids);
			memset(f, 0, sizeof(*f));
			depth--;
		}
		if (!p)
			break;
		/* Open the folders below the current one that it is in. */
		name = p + st[depth - 1].plen;
		while ((slash = strchr(name, '/')) != NULL) {
			if (depth == alloc) {
				alloc *= 2;
				st = xrealloc(st, alloc * sizeof(*st));
			}
			memset(&st[depth], 0, sizeof(*st));
			st[depth].opener = p;
			st[depth].plen = (size_t)(slash - p) + 1;
			depth++;
			name = slash + 1;
		}
		add_kid(&st[depth - 1], name, strlen(name), v[i].mode,
			&v[i].id);
	}
	rc = write_folder(out, why, odb, &st[0]);
out:
	for (i = 0; i < depth; i++)
		free(st[i].kids);
	free(st);
	return rc;
}

int manifest_parse(git_oid *out, char **why, git_odb *odb, const char *buf,
		   size_t len)
{
	const char *p, *end = buf + len, *nl;
	struct line *v = NULL;
	size_t n = 0, alloc = 0, i, magic = strlen(MAGIC);
	struct strbuf path = STRBUF_INIT, target = STRBUF_INIT;
	git_oid top;
	int rc = -1;

	*why = NULL;
	if (len < magic + GIT_OID_HEXSZ + 1 || memcmp(buf, MAGIC, magic) ||
	    buf[magic + GIT_OID_HEXSZ] != '\n' ||
	    git_oid_fromstrn(&top, buf + magic, GIT_OID_HEXSZ) < 0) {
		*why = xstrdup("not this program's manifest");
		return -1;
	}
	p = buf + magic + GIT_OID_HEXSZ + 1;
	for (; p < end; p = nl + 1) {
		const char *sp1, *sp2, *tab;
		unsigned long mode;
		char *stop;
		struct line *l;

		if (!(nl = memchr(p, '\n', (size_t)(end - p)))) {
			*why = xstrdup("its last line is cut short");
			goto out;
		}
		mode = strtoul(p, &stop, 8);
		sp1 = stop;
		sp2 = sp1 + 1 + GIT_OID_HEXSZ;
		if (sp1 >= nl || *sp1 != ' ' || sp2 >= nl || *sp2 != ' ' ||
		    (mode != 0100644 && mode != 0100755 && mode != MODE_LINK)) {
			*why = xasprintf("line %zu is malformed", n + 2);
			goto out;
		}
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 256;
			v = xrealloc(v, alloc * sizeof(*v));
		}
		l = &v[n];
		l->mode = (unsigned)mode;
		tab = memchr(sp2 + 1, '\t', (size_t)(nl - sp2 - 1));
		strbuf_setlen(&path, 0);
		strbuf_setlen(&target, 0);
		if (git_oid_fromstrn(&l->id, sp1 + 1, GIT_OID_HEXSZ) < 0 ||
		    unescape(&path, sp2 + 1, (size_t)((tab ? tab : nl) -
						      sp2 - 1)) < 0 ||
		    !path.len || !plain_path(path.buf) ||
		    (mode == MODE_LINK) != !!tab ||
		    (tab && unescape(&target, tab + 1,
				     (size_t)(nl - tab - 1)) < 0)) {
			*why = xasprintf("line %zu is malformed, or names a "
					 "path outside the site", n + 2);
			goto out;
		}
		if (depth_over(path.buf, MAX_DEPTH)) {
			*why = xasprintf("line %zu names a path more than %d "
					 "folders deep", n + 2, MAX_DEPTH);
			goto out;
		}
		if (tab) {
			git_oid got;

			if (git_odb_write(&got, odb, target.buf ? target.buf :
					  "", target.len, GIT_OBJECT_BLOB) < 0 ||
			    !git_oid_equal(&got, &l->id)) {
				*why = xasprintf("line %zu: the link's target "
						 "does not match its id", n + 2);
				goto out;
			}
		}
		l->path = xstrdup(path.buf);
		n++;
	}
	if (n)
		qsort(v, n, sizeof(*v), by_path);
	if (build(out, why, odb, v, n) < 0)
		goto out;
	if (!git_oid_equal(out, &top)) {
		char made[GIT_OID_HEXSZ + 1], named[GIT_OID_HEXSZ + 1];

		/* git_oid_tostr_s() has one buffer: two calls would print one id. */
		git_oid_tostr(made, sizeof(made), out);
		git_oid_tostr(named, sizeof(named), &top);
		*why = xasprintf("its files make tree %s, not the %s it names",
				 made, named);
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(v[i].path);
	free(v);
	strbuf_release(&path);
	strbuf_release(&target);
	return rc;
}

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
	struct strbuf *sb = arg;

	if (sb->len + size * n > MAX_MANIFEST)
		return 0;
	strbuf_add(sb, data, size * n);
	return size * n;
}

int manifest_fetch(struct strbuf *out, char **why, const char *url,
		   double timeout)
{
	const struct libcurl *lc;
	struct curl_slist *headers = NULL;
	struct timespec ts;
	struct err e;
	char *busted;
	long status = 0;
	CURLcode rc;
	CURL *curl;

	*why = NULL;
	if (libcurl_load(&lc, &e) < 0) {
		*why = xstrdup(e.msg);
		return -1;
	}
	if (!(curl = lc->easy_init())) {
		*why = xstrdup("cannot initialise libcurl");
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	busted = xasprintf("%s%ccf-purge-hook=%lld%09ld", url,
			   strchr(url, '?') ? '&' : '?', (long long)ts.tv_sec,
			   ts.tv_nsec);
	headers = lc->slist_append(NULL, "Cache-Control: no-cache");
	headers = lc->slist_append(headers, "Pragma: no-cache");
	lc->easy_setopt(curl, CURLOPT_URL, busted);
	lc->easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	lc->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	/*
	 * No redirect is followed: a redirect to another host would make
	 * that host's text the old side of the site ([state] manifest_url
	 * is https, or http on loopback, mapping/config_state.c).
	 */
	lc->easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	lc->easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	lc->easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	lc->easy_setopt(curl, CURLOPT_WRITEDATA, out);
	lc->easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
	rc = lc->easy_perform(curl);
	lc->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK)
		*why = xasprintf("cannot fetch it: %s", lc->easy_strerror(rc));
	else if (status >= 300 && status < 400)
		*why = xasprintf("HTTP %ld: a redirect, which is not followed; "
				 "set manifest_url to where the manifest is",
				 status);
	else if (status != 200)
		*why = xasprintf("HTTP %ld", status);
	lc->easy_cleanup(curl);
	lc->slist_free_all(headers);
	free(busted);
	return *why ? -1 : 0;
}
