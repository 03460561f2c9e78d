#include "dirtree.h"
#include "statcache.h"

#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MODE_TREE 040000u
#define MODE_FILE 0100644u
#define MODE_EXEC 0100755u
#define MODE_LINK 0120000u

/* One entry of a folder, in git's tree order within its folder. */
struct entry {
	char *name;		/* owned */
	unsigned mode;
	size_t parent;		/* the folder that holds it */
	size_t folder;		/* for a folder: its own index */
	git_oid id;
	char *error;		/* owned; why a file could not be read */
	struct statcache_stat st;	/* for the stat cache */
};

struct folder {
	char *path;		/* owned; below the top, "" for the top */
	size_t first, n;	/* its entries in walk.entries */
	git_oid id;
	int empty;		/* holds no file at any depth */
};

struct walk {
	struct dirtree *d;
	const char *top;
	struct entry *entries;
	size_t n_entries, alloc_entries;
	struct folder *folders;
	size_t n_folders, alloc_folders;
	size_t *jobs;		/* the entries whose contents are hashed */
	size_t n_jobs;
	size_t n_regular;	/* regular files */
	atomic_size_t next;
};

static const char *git_message(void)
{
	const git_error *ge = git_error_last();

	return ge && ge->message ? ge->message : "unknown libgit2 error";
}

static int mkdirs(const char *path)
{
	char *p = xstrdup(path), *s;
	int rc = 0;

	for (s = p + 1; rc == 0 && *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0777) < 0 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (rc == 0 && mkdir(p, 0777) < 0 && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}

int dirtree_open(struct dirtree *d, const char *objects_dir, struct err *e)
{
	git_odb_backend *mem = NULL, *loose = NULL;

	if (git_odb_new(&d->odb) < 0)
		return err_set(e, "cannot create an object store: %s",
			       git_message());
	if (objects_dir) {
		if (mkdirs(objects_dir) < 0)
			return err_set(e, "cannot create '%s': %s",
				       objects_dir, strerror(errno));
		if (git_odb_open(&d->store, objects_dir) < 0 ||
		    git_odb_backend_loose(&loose, objects_dir, -1, 0, 0, 0) < 0)
			return err_set(e, "cannot open the object store '%s': "
				       "%s", objects_dir, git_message());
		if (git_odb_add_backend(d->odb, loose, 1) < 0) {
			loose->free(loose);
			return err_set(e, "cannot open the object store '%s': "
				       "%s", objects_dir, git_message());
		}
	}
	/* Higher priority: every write goes to memory. */
	if (git_mempack_new(&mem) < 0)
		return err_set(e, "cannot create an object store: %s",
			       git_message());
	if (git_odb_add_backend(d->odb, mem, 2) < 0) {
		mem->free(mem);
		return err_set(e, "cannot create an object store: %s",
			       git_message());
	}
	if (git_repository_wrap_odb(&d->repo, d->odb) < 0)
		return err_set(e, "cannot create an object store: %s",
			       git_message());
	return 0;
}

void dirtree_release(struct dirtree *d)
{
	git_repository_free(d->repo);
	git_odb_free(d->odb);
	git_odb_free(d->store);
	strvec_clear(&d->notes);
	d->repo = NULL;
	d->odb = d->store = NULL;
}

/* git's order: a folder's name compares as if it ended in '/'. */
static int git_order(const char *a, int a_tree, const char *b, int b_tree)
{
	size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;
	int c = memcmp(a, b, n);
	unsigned ca, cb;

	if (c)
		return c;
	/* A name holds no NUL: a[n] is 0 exactly where a ends. */
	ca = (unsigned char)a[n];
	cb = (unsigned char)b[n];
	if (!ca && a_tree)
		ca = '/';
	if (!cb && b_tree)
		cb = '/';
	return ca < cb ? -1 : ca > cb;
}

static int entry_cmp(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;

	return git_order(a->name, a->mode == MODE_TREE, b->name,
			 b->mode == MODE_TREE);
}

static char *full_path(const struct walk *w, size_t folder, const char *name)
{
	const char *rel = w->folders[folder].path;

	return xasprintf("%s/%s%s%s", w->top, rel, *rel ? "/" : "", name);
}

/* Without printf: this runs once or twice for every file. */
static char *rel_path(const struct walk *w, size_t folder, const char *name)
{
	const char *rel = w->folders[folder].path;
	size_t a = strlen(rel), b = strlen(name);
	char *s = xmalloc(a + b + 2), *p = s;

	if (a) {
		memcpy(p, rel, a);
		p += a;
		*p++ = '/';
	}
	memcpy(p, name, b + 1);
	return s;
}

/* An id that matches no content: the file is purged whatever it holds. */
static void unique_id(git_oid *out, const char *path)
{
	static unsigned long counter;
	struct timespec ts;
	char *s;

	clock_gettime(CLOCK_REALTIME, &ts);
	s = xasprintf("cf-purge-hook unreadable %s %ld %lld.%09ld %lu", path,
		      (long)getpid(), (long long)ts.tv_sec, ts.tv_nsec,
		      ++counter);
	git_odb_hash(out, s, strlen(s), GIT_OBJECT_BLOB);
	free(s);
}

static const char *odd_kind(mode_t m)
{
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	return "of an unknown type";
}

static void add_entry(struct walk *w, size_t parent, const char *name,
		      unsigned mode, const struct stat *st)
{
	struct entry *en;

	if (w->n_entries == w->alloc_entries) {
		w->alloc_entries = w->alloc_entries ? 2 * w->alloc_entries : 256;
		w->entries = xrealloc(w->entries, w->alloc_entries *
				      sizeof(*w->entries));
	}
	en = &w->entries[w->n_entries++];
	memset(en, 0, sizeof(*en));
	en->name = xstrdup(name);
	en->mode = mode;
	en->parent = parent;
	statcache_stat_from(&en->st, st);
}

static size_t add_folder(struct walk *w, char *path)
{
	struct folder *f;

	if (w->n_folders == w->alloc_folders) {
		w->alloc_folders = w->alloc_folders ? 2 * w->alloc_folders : 64;
		w->folders = xrealloc(w->folders, w->alloc_folders *
				      sizeof(*w->folders));
	}
	f = &w->folders[w->n_folders];
	memset(f, 0, sizeof(*f));
	f->path = path;
	return w->n_folders++;
}

/* A link is named by its target's text, which the store keeps. */
static void read_link(struct walk *w, struct entry *en, int dfd)
{
	char buf[4096];
	ssize_t n = readlinkat(dfd, en->name, buf, sizeof(buf));
	char *rel;

	if (n >= 0 && (size_t)n < sizeof(buf) &&
	    git_odb_write(&en->id, w->d->odb, buf, (size_t)n,
			  GIT_OBJECT_BLOB) == 0)
		return;
	rel = rel_path(w, en->parent, en->name);
	en->error = xstrdup(n < 0 ? strerror(errno) : (size_t)n >= sizeof(buf)
			    ? "its target is too long" : git_message());
	unique_id(&en->id, rel);
	free(rel);
}

/*
 * Reads folder i: its entries, sorted, go to the end of w->entries, and
 * its subfolders to the end of w->folders, to be read in turn.
 */
static int read_folder(struct walk *w, size_t i, struct err *e)
{
	char *path = full_path(w, i, "");
	DIR *dir = opendir(path);
	struct dirent *de;
	const char *skip = NULL;
	size_t first = w->n_entries, k;
	int dfd;

	/* full_path() ends in '/' for the folder itself. */
	if (!dir) {
		err_set(e, "cannot read the folder '%s': %s", path,
			strerror(errno));
		free(path);
		return -1;
	}
	dfd = dirfd(dir);
	if (w->d->skip) {
		const char *slash = strrchr(w->d->skip, '/');
		size_t n = slash ? (size_t)(slash - w->d->skip) : 0;
		const char *fp = w->folders[i].path;

		if (strlen(fp) == n && !strncmp(fp, w->d->skip, n))
			skip = slash ? slash + 1 : w->d->skip;
	}
	errno = 0;
	while ((de = readdir(dir))) {
		struct stat st;
		char *rel;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (skip && !strcmp(de->d_name, skip)))
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			err_set(e, "cannot read '%s%s': %s", path, de->d_name,
				strerror(errno));
			closedir(dir);
			free(path);
			return -1;
		}
		if (S_ISREG(st.st_mode))
			add_entry(w, i, de->d_name, (st.st_mode & S_IXUSR) ?
				  MODE_EXEC : MODE_FILE, &st);
		else if (S_ISLNK(st.st_mode))
			add_entry(w, i, de->d_name, MODE_LINK, &st);
		else if (S_ISDIR(st.st_mode))
			add_entry(w, i, de->d_name, MODE_TREE, &st);
		else {
			rel = rel_path(w, i, de->d_name);
			strvec_pushf(&w->d->notes, "skipped '%s': it is %s, "
				     "not a file a web server serves", rel,
				     odd_kind(st.st_mode));
			free(rel);
			w->d->skipped++;
		}
		errno = 0;
	}
	if (errno) {
		err_set(e, "cannot read the folder '%s': %s", path,
			strerror(errno));
		closedir(dir);
		free(path);
		return -1;
	}
	w->folders[i].first = first;
	w->folders[i].n = w->n_entries - first;
	qsort(w->entries + first, w->n_entries - first, sizeof(*w->entries),
	      entry_cmp);
	for (k = first; k < w->n_entries; k++) {
		struct entry *en = &w->entries[k];

		if (en->mode == MODE_TREE) {
			en->folder = add_folder(w, rel_path(w, i, en->name));
		} else if (en->mode == MODE_LINK) {
			read_link(w, en, dfd);
			w->d->files++;
		} else {
			w->d->files++;
		}
	}
	closedir(dir);
	free(path);
	return 0;
}

static void *hash_worker(void *arg)
{
	struct walk *w = arg;
	size_t j;

	while ((j = atomic_fetch_add(&w->next, 1)) < w->n_jobs) {
		struct entry *en = &w->entries[w->jobs[j]];
		char *path = full_path(w, en->parent, en->name);

		if (git_odb_hashfile(&en->id, path, GIT_OBJECT_BLOB) < 0) {
			/* libgit2 words EACCES as "is locked": ask again. */
			int fd = open(path, O_RDONLY | O_NOFOLLOW);

			en->error = xstrdup(fd < 0 ? strerror(errno) :
					    git_message());
			if (fd >= 0)
				close(fd);
		}
		free(path);
	}
	return NULL;
}

/* Hashes the files' contents, on d->threads threads. */
static void hash_files(struct walk *w)
{
	pthread_t tid[8];
	size_t i, started = 0;
	int n = w->d->threads < 1 ? 1 : w->d->threads > 8 ? 8 :
		w->d->threads;

	w->jobs = xcalloc(w->n_entries + 1, sizeof(*w->jobs));
	for (i = 0; i < w->n_entries; i++) {
		struct entry *en = &w->entries[i];

		if (en->mode != MODE_FILE && en->mode != MODE_EXEC)
			continue;
		w->n_regular++;
		if (w->d->cache_old) {
			char *rel = rel_path(w, en->parent, en->name);
			const unsigned char *known =
				statcache_lookup(w->d->cache_old, rel, &en->st);

			free(rel);
			if (known) {
				git_oid_fromraw(&en->id, known);
				continue;
			}
		}
		w->jobs[w->n_jobs++] = i;
	}
	atomic_store(&w->next, 0);
	if ((size_t)n > w->n_jobs / 64 + 1)
		n = (int)(w->n_jobs / 64 + 1);
	for (i = 1; i < (size_t)n; i++)
		if (pthread_create(&tid[started], NULL, hash_worker, w) == 0)
			started++;
	hash_worker(w);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	w->d->hashed += w->n_jobs;
}

/* Reports the files that could not be read and gives each its own id. */
static void note_unreadable(struct walk *w)
{
	size_t i;

	for (i = 0; i < w->n_entries; i++) {
		struct entry *en = &w->entries[i];
		char *rel;

		if (!en->error)
			continue;
		rel = rel_path(w, en->parent, en->name);
		if (en->mode != MODE_LINK)
			unique_id(&en->id, rel);
		strvec_pushf(&w->d->notes, "cannot read '%s': %s; purging it "
			     "as changed", rel, en->error);
		w->d->unreadable++;
		free(rel);
	}
}

/* Writes the trees, each folder after the folders below it. */
static int write_trees(struct walk *w, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, k;

	for (i = w->n_folders; i-- > 0;) {
		struct folder *f = &w->folders[i];

		strbuf_setlen(&sb, 0);
		for (k = f->first; k < f->first + f->n; k++) {
			const struct entry *en = &w->entries[k];
			const git_oid *id = &en->id;

			if (en->mode == MODE_TREE) {
				if (w->folders[en->folder].empty)
					continue;
				id = &w->folders[en->folder].id;
			}
			strbuf_addf(&sb, "%o %s", en->mode, en->name);
			strbuf_add(&sb, "", 1);
			strbuf_add(&sb, id->id, GIT_OID_RAWSZ);
		}
		f->empty = sb.len == 0;
		if (f->empty && i)
			continue;
		if (git_odb_write(&f->id, w->d->odb, sb.buf ? sb.buf : "",
				  sb.len, GIT_OBJECT_TREE) < 0) {
			strbuf_release(&sb);
			return err_set(e, "cannot write a tree for '%s': %s",
				       f->path, git_message());
		}
	}
	strbuf_release(&sb);
	return 0;
}

int dirtree_build(git_oid *out, struct dirtree *d, const char *dir,
		  struct err *e)
{
	struct walk w;
	struct stat st;
	size_t i;
	int rc = -1;

	if (stat(dir, &st) < 0)
		return err_set(e, "cannot read the folder '%s': %s", dir,
			       strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(e, "cannot read the folder '%s': not a folder",
			       dir);
	memset(&w, 0, sizeof(w));
	w.d = d;
	w.top = dir;
	add_folder(&w, xstrdup(""));
	for (i = 0; i < w.n_folders; i++)
		if (read_folder(&w, i, e) < 0)
			goto out;
	hash_files(&w);
	note_unreadable(&w);
	/*
	 * Every file vouched for by the cache, and as many as it holds: the
	 * cache would be written again unchanged, which on a large folder
	 * costs as much as the rest of the run.
	 */
	d->cache_same = d->cache_old && !w.n_jobs &&
			w.n_regular == d->cache_old->n;
	for (i = 0; d->cache_new && !d->cache_same && i < w.n_entries; i++) {
		struct entry *en = &w.entries[i];
		char *rel;

		if ((en->mode != MODE_FILE && en->mode != MODE_EXEC) ||
		    en->error)
			continue;
		rel = rel_path(&w, en->parent, en->name);
		statcache_add(d->cache_new, rel, &en->st, &en->id);
		free(rel);
	}
	if (write_trees(&w, e) < 0)
		goto out;
	git_oid_cpy(out, &w.folders[0].id);
	rc = 0;
out:
	for (i = 0; i < w.n_entries; i++) {
		free(w.entries[i].name);
		free(w.entries[i].error);
	}
	for (i = 0; i < w.n_folders; i++)
		free(w.folders[i].path);
	free(w.entries);
	free(w.folders);
	free(w.jobs);
	return rc;
}

/* Copies one object from the in-memory store into the state's. */
static int copy_object(struct dirtree *d, const git_oid *id, struct err *e)
{
	git_odb_object *obj = NULL;
	git_oid written;
	int rc;

	if (git_odb_read(&obj, d->odb, id) < 0)
		return err_set(e, "cannot read object %s: %s",
			       git_oid_tostr_s(id), git_message());
	rc = git_odb_write(&written, d->store, git_odb_object_data(obj),
			   git_odb_object_size(obj), git_odb_object_type(obj));
	git_odb_object_free(obj);
	if (rc < 0)
		return err_set(e, "cannot write object %s: %s",
			       git_oid_tostr_s(id), git_message());
	return 0;
}

int dirtree_keep(struct dirtree *d, const git_oid *id, struct err *e)
{
	git_odb_object *obj = NULL;
	const char *p, *end;
	int rc = -1;

	if (!d->store)
		return err_set(e, "no object store to keep the tree in");
	if (git_odb_exists(d->store, id))
		return 0;
	if (git_odb_read(&obj, d->odb, id) < 0)
		return err_set(e, "cannot read tree %s: %s",
			       git_oid_tostr_s(id), git_message());
	p = git_odb_object_data(obj);
	end = p + git_odb_object_size(obj);
	while (p < end) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		unsigned mode = (unsigned)strtoul(p, NULL, 8);
		git_oid child;

		if (!nul || end - nul - 1 < GIT_OID_RAWSZ) {
			err_set(e, "tree %s is malformed", git_oid_tostr_s(id));
			goto out;
		}
		git_oid_fromraw(&child, (const unsigned char *)nul + 1);
		p = nul + 1 + GIT_OID_RAWSZ;
		if (mode == MODE_TREE && dirtree_keep(d, &child, e) < 0)
			goto out;
		if (mode == MODE_LINK && !git_odb_exists(d->store, &child) &&
		    copy_object(d, &child, e) < 0)
			goto out;
	}
	rc = copy_object(d, id, e);
out:
	git_odb_object_free(obj);
	return rc;
}
