#include "tree.h"
#include "statcache.h"
#include "../util/git.h"
#include "../util/progress.h"

#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
	int empty;		/* a folder that holds no file at any depth */
	git_oid id;
	char *error;		/* owned; why a file could not be read */
	struct statcache_stat st;	/* for the stat cache */
};

/*
 * A folder being walked, or waiting for its files' ids. It is freed once
 * its tree is made: the walk holds the folders it is in and those with
 * files in the window, never the whole folder.
 */
struct frame {
	struct frame *parent;	/* NULL for the top */
	size_t in_parent;	/* its entry in the parent */
	char *path;		/* owned; below the top, "" for the top */
	struct entry *entries;	/* owned; sorted */
	size_t n, next;		/* its entries, and the next to walk */
	size_t pending;		/* its files in the window, and folders
				   below it whose trees are not made yet */
	int walked;		/* every entry was walked */
	struct frame *prev_live, *next_live;
};

enum { SLOT_TODO, SLOT_TAKEN, SLOT_DONE };

/* A file in the window, in walk order. */
struct slot {
	struct frame *f;
	size_t k;		/* its entry in f */
	int state;
	int hashed;		/* its contents were read */
	int same;		/* the old cache vouched for it, and its record
				   ends at old_end and is number old_next - 1 */
	size_t old_end, old_next;
};

/*
 * The files between the walk and their retirement: enough to keep both
 * cores hashing, few enough that memory stays flat.
 */
#define WINDOW 512

struct walk {
	struct dirtree *d;
	const char *top;
	struct err *e;
	struct progress progress;	/* files retired, for the person */
	struct frame *live;	/* every frame not yet freed */
	git_oid top_id;
	int error;		/* a tree could not be made; e says why */
	/*
	 * The window: slots head..tail-1 in walk order; from take on, none
	 * was handed to a thread yet. The lock guards head, tail, take, the
	 * slots' states and stop; the frames are the walking thread's.
	 */
	struct slot window[WINDOW];
	size_t head, tail, take;
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	pthread_t tid[8];
	int started, stop;
	/* The next stat cache; see retire(). */
	struct statcache_writer cache;
	int cache_started;
	int same;
	size_t retired, same_end;
	struct strbuf rel, tree;	/* scratch */
};

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

static int entry_cmp(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;

	return git_order(a->name, a->mode == MODE_TREE, b->name,
			 b->mode == MODE_TREE);
}

/* Stores (or only hashes) an object where the walk's sink says. */
static int put_object(struct walk *w, git_oid *id, const void *data,
		      size_t len, git_object_t type)
{
	switch (w->d->sink) {
	case DIRTREE_HASH:
		return git_odb_hash(id, data, len, type);
	case DIRTREE_STORE:
		if (w->d->store)
			return git_odb_write(id, w->d->store, data, len, type);
		break;
	case DIRTREE_MEMORY:
		break;
	}
	return git_odb_write(id, w->d->odb, data, len, type);
}

static char *full_path(const struct walk *w, const struct frame *f,
		       const char *name)
{
	const char *rel = f->path;

	return xasprintf("%s/%s%s%s", w->top, rel, *rel ? "/" : "", name);
}

/* f's path joined with name, in a buffer the next call reuses. */
static const char *rel_path(struct walk *w, const struct frame *f,
			    const char *name)
{
	strbuf_setlen(&w->rel, 0);
	if (*f->path) {
		strbuf_addstr(&w->rel, f->path);
		strbuf_addch(&w->rel, '/');
	}
	strbuf_addstr(&w->rel, name);
	return w->rel.buf;
}

static struct frame *frame_new(struct walk *w, struct frame *parent,
			       size_t in_parent, char *path)
{
	struct frame *f = xcalloc(1, sizeof(*f));

	f->parent = parent;
	f->in_parent = in_parent;
	f->path = path;
	f->next_live = w->live;
	if (w->live)
		w->live->prev_live = f;
	w->live = f;
	return f;
}

static void frame_free(struct walk *w, struct frame *f)
{
	size_t i;

	if (f->prev_live)
		f->prev_live->next_live = f->next_live;
	else
		w->live = f->next_live;
	if (f->next_live)
		f->next_live->prev_live = f->prev_live;
	for (i = 0; i < f->n; i++) {
		free(f->entries[i].name);
		free(f->entries[i].error);
	}
	free(f->entries);
	free(f->path);
	free(f);
}

static struct entry *add_entry(struct frame *f, size_t *alloc,
			       const char *name, unsigned mode)
{
	struct entry *en;

	if (f->n == *alloc) {
		*alloc = *alloc ? 2 * *alloc : 16;
		f->entries = xrealloc(f->entries, *alloc * sizeof(*f->entries));
	}
	en = &f->entries[f->n++];
	memset(en, 0, sizeof(*en));
	en->name = xstrdup(name);
	en->mode = mode;
	return en;
}

/*
 * The kind of a folder's entry, from readdir() when the file system says
 * (as most do), else from its stat: S_IFREG, S_IFDIR and so on, or 0 with
 * errno set when it cannot be read.
 */
static mode_t entry_kind(int dfd, const struct dirent *de)
{
	struct stat st;

	switch (de->d_type) {
	case DT_REG:
		return S_IFREG;
	case DT_DIR:
		return S_IFDIR;
	case DT_LNK:
		return S_IFLNK;
	case DT_FIFO:
		return S_IFIFO;
	case DT_SOCK:
		return S_IFSOCK;
	case DT_CHR:
		return S_IFCHR;
	case DT_BLK:
		return S_IFBLK;
	default:
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return 0;
		return st.st_mode & S_IFMT;
	}
}

/* A link is named by its target's text, which the store keeps. */
static void read_link(struct walk *w, struct frame *f, struct entry *en,
		      int dfd)
{
	char buf[4096];
	ssize_t n = readlinkat(dfd, en->name, buf, sizeof(buf));

	if (n >= 0 && (size_t)n < sizeof(buf) &&
	    put_object(w, &en->id, buf, (size_t)n, GIT_OBJECT_BLOB) == 0)
		return;
	en->error = xstrdup(n < 0 ? strerror(errno) : (size_t)n >= sizeof(buf)
			    ? "its target is too long" : git_message());
	unique_id(&en->id, rel_path(w, f, en->name));
}

/* The name read_folder() leaves out in f: the manifest, when it is there. */
static const char *skipped_name(const struct walk *w, const struct frame *f)
{
	const char *skip = w->d->skip, *slash;
	size_t n;

	if (!skip)
		return NULL;
	slash = strrchr(skip, '/');
	n = slash ? (size_t)(slash - skip) : 0;
	if (strlen(f->path) == n && !strncmp(f->path, skip, n))
		return slash ? slash + 1 : skip;
	return NULL;
}

/* Reads folder f's entries, sorted in git's order, and its links. */
static int read_folder(struct walk *w, struct frame *f, struct err *e)
{
	char *path = full_path(w, f, "");
	DIR *dir = opendir(path);
	const char *skip = skipped_name(w, f);
	struct dirent *de;
	size_t alloc = 0, k;
	int dfd;

	/* full_path() ends in '/' for the folder itself. */
	if (!dir) {
		err_set(e, "cannot read the folder '%s': %s", path,
			strerror(errno));
		free(path);
		return -1;
	}
	dfd = dirfd(dir);
	errno = 0;
	/*
	 * Only the names and kinds: the threads that hash the files take
	 * their stat too, so that both cores share the stat calls.
	 */
	while ((de = readdir(dir))) {
		mode_t kind;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (skip && !strcmp(de->d_name, skip)))
			continue;
		if (!(kind = entry_kind(dfd, de)) && errno == ENOENT) {
			/* Gone since readdir(): as if it had not been there. */
			errno = 0;
			continue;
		}
		if (!kind) {
			err_set(e, "cannot read '%s%s': %s", path, de->d_name,
				strerror(errno));
			closedir(dir);
			free(path);
			return -1;
		}
		if (S_ISREG(kind))
			add_entry(f, &alloc, de->d_name, MODE_FILE);
		else if (S_ISLNK(kind))
			add_entry(f, &alloc, de->d_name, MODE_LINK);
		else if (S_ISDIR(kind))
			add_entry(f, &alloc, de->d_name, MODE_TREE);
		else {
			strvec_pushf(&w->d->notes, "skipped '%s': it is %s, "
				     "not a file a web server serves",
				     rel_path(w, f, de->d_name), odd_kind(kind));
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
	if (f->n)
		qsort(f->entries, f->n, sizeof(*f->entries), entry_cmp);
	for (k = 0; k < f->n; k++) {
		struct entry *en = &f->entries[k];

		if (en->mode == MODE_TREE)
			continue;
		w->d->files++;
		if (en->mode != MODE_LINK)
			continue;
		read_link(w, f, en, dfd);
		if (en->error) {
			strvec_pushf(&w->d->notes, "cannot read '%s': %s; "
				     "purging it as changed",
				     rel_path(w, f, en->name), en->error);
			w->d->unreadable++;
		}
	}
	closedir(dir);
	free(path);
	return 0;
}

/* A tree entry's mode as git writes it, and the space after it. */
static const char *mode_text(unsigned mode)
{
	switch (mode) {
	case MODE_TREE:
		return "40000 ";
	case MODE_EXEC:
		return "100755 ";
	case MODE_LINK:
		return "120000 ";
	default:
		return "100644 ";
	}
}

/*
 * Makes the tree of every folder whose entries all have their ids,
 * from f up: each folder's tree is made after those of the folders
 * below it, and the folder is freed.
 */
static void close_frames(struct walk *w, struct frame *f)
{
	while (f && f->walked && !f->pending && !w->error) {
		struct frame *parent = f->parent;
		git_oid id;
		size_t k;

		strbuf_setlen(&w->tree, 0);
		for (k = 0; k < f->n; k++) {
			const struct entry *en = &f->entries[k];

			if (en->mode == MODE_TREE && en->empty)
				continue;
			strbuf_addstr(&w->tree, mode_text(en->mode));
			strbuf_addstr(&w->tree, en->name);
			strbuf_add(&w->tree, "", 1);
			strbuf_add(&w->tree, en->id.id, GIT_OID_RAWSZ);
		}
		if (parent && !w->tree.len) {
			parent->entries[f->in_parent].empty = 1;
		} else if (put_object(w, &id, w->tree.len ? w->tree.buf : "",
				      w->tree.len, GIT_OBJECT_TREE) < 0) {
			err_set(w->e, "cannot write a tree for '%s': %s",
				f->path, git_message());
			w->error = 1;
			return;
		} else if (parent) {
			git_oid_cpy(&parent->entries[f->in_parent].id, &id);
		} else {
			git_oid_cpy(&w->top_id, &id);
		}
		if (parent)
			parent->pending--;
		frame_free(w, f);
		f = parent;
	}
}

/*
 * Starts the next stat cache once a file differs from the old one: the
 * old records that matched so far are copied as they are. A cache that
 * cannot be written is only a note.
 */
static void start_cache(struct walk *w)
{
	const struct statcache *old = w->d->cache_old;
	struct err e;

	w->same = 0;
	w->cache_started = 1;
	if (statcache_writer_open(&w->cache, w->d->cache_path, &e) < 0) {
		strvec_pushf(&w->d->notes, "%s; the next run reads every file "
			     "again", e.msg);
		return;
	}
	if (old && w->same_end) {
		size_t len = 0;
		const char *records = statcache_records(old, &len,
							w->same_end);

		statcache_writer_copy(&w->cache, records, len);
	}
}

/*
 * Retires a file whose id is known, in walk order: reports it when it
 * could not be read, records it in the next stat cache, and closes its
 * folder when it was the last thing the folder waited for. As long as
 * every file so far is one the old cache vouched for, in the old cache's
 * order, nothing is written: the old records are copied once a file
 * differs, and an unchanged folder leaves the cache file alone.
 */
static void retire(struct walk *w, struct slot *s)
{
	struct entry *en = &s->f->entries[s->k];

	if (s->hashed)
		w->d->hashed++;
	if (en->error) {
		const char *rel = rel_path(w, s->f, en->name);

		unique_id(&en->id, rel);
		strvec_pushf(&w->d->notes, "cannot read '%s': %s; purging it "
			     "as changed", rel, en->error);
		w->d->unreadable++;
	}
	if (w->same && s->same && s->old_next == w->retired + 1) {
		w->same_end = s->old_end;
	} else if (w->d->cache_path) {
		if (w->same || !w->cache_started)
			start_cache(w);
		if (!en->error)
			statcache_writer_add(&w->cache,
					     rel_path(w, s->f, en->name),
					     &en->st, &en->id);
	} else {
		w->same = 0;
	}
	w->retired++;
	progress_add(&w->progress, 1);
	s->f->pending--;
	close_frames(w, s->f);
}

/* The next file no thread has taken, or NULL. Called with the lock held. */
static struct slot *take_job(struct walk *w)
{
	while (w->take < w->tail) {
		struct slot *s = &w->window[w->take++ % WINDOW];

		if (s->state == SLOT_TODO) {
			s->state = SLOT_TAKEN;
			return s;
		}
	}
	return NULL;
}

static int same_stat(const struct statcache_stat *a,
		     const struct statcache_stat *b)
{
	return a->size == b->size && a->ino == b->ino && a->dev == b->dev &&
	       a->mtime_s == b->mtime_s && a->mtime_ns == b->mtime_ns &&
	       a->ctime_s == b->ctime_s && a->ctime_ns == b->ctime_ns &&
	       a->mode == b->mode;
}

/*
 * Takes a file's stat and its id: from the old cache when it vouches for
 * the stat, else by hashing the contents. A file whose stat changes while
 * it is read (libgit2 fails on one cut short) is read again, so that the
 * id and the stat the cache records belong together; one that never holds
 * still is purged, and so is one that stopped being a file (a link made
 * meanwhile is never followed). Runs on any thread: it touches only the
 * slot and its entry.
 *
 * NEEDSWORK: git_odb_hashfile() opens the path again. A file swapped for
 * a FIFO between the lstat() and that open blocks the thread until
 * something writes to the FIFO (only someone who can write the folder
 * can do that; the run then ends at a kill, and the state is not
 * advanced). libgit2 1.5 hashes no open descriptor; hashing from our own
 * O_NONBLOCK|O_NOFOLLOW descriptor would need the file read whole first.
 */
static void process_file(const struct walk *w, struct slot *s)
{
	struct entry *en = &s->f->entries[s->k];
	char *path = full_path(w, s->f, en->name);
	const char *rel = path + strlen(w->top) + 1;
	const unsigned char *known;
	struct statcache_stat now;
	struct stat st;
	int tries, hashed;

	if (lstat(path, &st) < 0) {
		en->error = xstrdup(strerror(errno));
		goto out;
	}
	for (tries = 0;; tries++) {
		if (!S_ISREG(st.st_mode)) {
			en->error = xstrdup("it is no longer a file");
			break;
		}
		statcache_stat_from(&en->st, &st);
		en->mode = (st.st_mode & S_IXUSR) ? MODE_EXEC : MODE_FILE;
		if (!tries && w->d->cache_old &&
		    (known = statcache_lookup(w->d->cache_old, rel, &en->st,
					      &s->old_end, &s->old_next))) {
			git_oid_fromraw(&en->id, known);
			s->same = 1;
			break;
		}
		if (tries == 3) {
			en->error = xstrdup("it kept changing while it was "
					    "read");
			break;
		}
		s->hashed = 1;
		hashed = git_odb_hashfile(&en->id, path, GIT_OBJECT_BLOB) == 0;
		if (lstat(path, &st) < 0) {
			en->error = xstrdup(strerror(errno));
			break;
		}
		statcache_stat_from(&now, &st);
		if (!S_ISREG(st.st_mode) || !same_stat(&now, &en->st))
			continue;
		if (!hashed) {
			/* libgit2 words EACCES as "is locked": ask again. */
			int fd = open(path, O_RDONLY | O_NOFOLLOW);

			en->error = xstrdup(fd < 0 ? strerror(errno) :
					    git_message());
			if (fd >= 0)
				close(fd);
		}
		break;
	}
out:
	free(path);
}

static void *hash_worker(void *arg)
{
	struct walk *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct slot *s = take_job(w);

		if (s) {
			pthread_mutex_unlock(&w->lock);
			process_file(w, s);
			pthread_mutex_lock(&w->lock);
			s->state = SLOT_DONE;
			pthread_cond_signal(&w->done);
			continue;
		}
		if (w->stop)
			break;
		pthread_cond_wait(&w->work, &w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/*
 * Makes progress on a full (or, at the end, any) window, with the lock
 * held: retires the files at its head whose ids are known, or else hashes
 * one itself, or else waits for a thread to finish one.
 */
static void make_room(struct walk *w)
{
	struct slot *s;
	size_t n = 0;

	while (w->head + n < w->tail &&
	       w->window[(w->head + n) % WINDOW].state == SLOT_DONE)
		n++;
	if (n) {
		size_t i;

		pthread_mutex_unlock(&w->lock);
		for (i = 0; i < n; i++)
			retire(w, &w->window[(w->head + i) % WINDOW]);
		pthread_mutex_lock(&w->lock);
		w->head += n;
	} else if ((s = take_job(w))) {
		pthread_mutex_unlock(&w->lock);
		process_file(w, s);
		pthread_mutex_lock(&w->lock);
		s->state = SLOT_DONE;
	} else {
		pthread_cond_wait(&w->done, &w->lock);
	}
}

/* One thread walks, and hashes when the window is full; the rest hash. */
static void start_threads(struct walk *w)
{
	int n = w->d->threads < 1 ? 1 : w->d->threads > 8 ? 8 :
		w->d->threads;

	while (w->started < n - 1 && pthread_create(&w->tid[w->started], NULL,
						    hash_worker, w) == 0)
		w->started++;
}

/* Puts file k of f in the window, for a thread to take its stat and id. */
static void dispatch(struct walk *w, struct frame *f, size_t k)
{
	struct slot *s;

	pthread_mutex_lock(&w->lock);
	while (w->tail - w->head == WINDOW)
		make_room(w);
	s = &w->window[w->tail % WINDOW];
	memset(s, 0, sizeof(*s));
	s->f = f;
	s->k = k;
	s->state = SLOT_TODO;
	w->tail++;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
	f->pending++;
}

/* Walks every folder, depth first, in git's order. Returns 0 or -1. */
static int walk_folders(struct walk *w, struct frame *top, struct err *e)
{
	struct frame **stack = NULL;
	size_t n = 0, alloc = 0;
	int rc = 0;

	if (read_folder(w, top, e) < 0)
		return -1;
	stack = xmalloc(sizeof(*stack));
	alloc = 1;
	stack[n++] = top;
	while (n && !w->error) {
		struct frame *f = stack[n - 1], *child;
		struct entry *en;

		if (f->next == f->n) {
			f->walked = 1;
			n--;
			close_frames(w, f);
			continue;
		}
		en = &f->entries[f->next];
		if (en->mode == MODE_TREE) {
			child = frame_new(w, f, f->next,
					  xstrdup(rel_path(w, f, en->name)));
			f->pending++;
			f->next++;
			if (read_folder(w, child, e) < 0) {
				rc = -1;
				break;
			}
			if (n == alloc) {
				alloc *= 2;
				stack = xrealloc(stack, alloc * sizeof(*stack));
			}
			stack[n++] = child;
		} else if (en->mode == MODE_FILE || en->mode == MODE_EXEC) {
			dispatch(w, f, f->next++);
		} else {
			f->next++;
		}
	}
	free(stack);
	return w->error ? -1 : rc;
}

/* Hashes what is left in the window and retires it; stops the threads. */
static void drain(struct walk *w)
{
	int i;

	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_broadcast(&w->work);
	while (w->head < w->tail)
		make_room(w);
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < w->started; i++)
		pthread_join(w->tid[i], NULL);
}

/* The stat cache after a whole walk: left alone, or written in full. */
static void finish_cache(struct walk *w)
{
	const struct statcache *old = w->d->cache_old;
	struct err e;

	/* Every file vouched for, and no other record: left as it was. */
	if (!w->d->cache_path || (w->same && old && w->retired == old->n))
		return;
	if (!w->cache_started || w->same)
		start_cache(w);
	if (statcache_writer_commit(&w->cache, &e) < 0)
		strvec_pushf(&w->d->notes, "%s; the next run reads every file "
			     "again", e.msg);
}

int dirtree_build(git_oid *out, struct dirtree *d, const char *dir,
		  struct err *e)
{
	struct walk *w;
	struct frame *top;
	struct stat st;
	char *what;
	int rc;

	if (stat(dir, &st) < 0)
		return err_set(e, "cannot read the folder '%s': %s", dir,
			       strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(e, "cannot read the folder '%s': not a folder",
			       dir);
	w = xcalloc(1, sizeof(*w));
	w->d = d;
	w->top = dir;
	w->e = e;
	w->same = d->cache_old && d->cache_old->n;
	strbuf_init(&w->rel);
	strbuf_init(&w->tree);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->done, NULL);
	top = frame_new(w, NULL, 0, xstrdup(""));
	what = xasprintf("reading '%s'", dir);
	progress_start(&w->progress, d->progress, what, "files", 0);
	start_threads(w);
	rc = walk_folders(w, top, e);
	/* The threads may hold files of the frames: let them finish. */
	drain(w);
	progress_end(&w->progress);
	free(what);
	if (rc == 0 && !w->error) {
		finish_cache(w);
		git_oid_cpy(out, &w->top_id);
	}
	rc = rc < 0 || w->error ? -1 : 0;
	while (w->live)
		frame_free(w, w->live);
	statcache_writer_release(&w->cache);
	pthread_cond_destroy(&w->done);
	pthread_cond_destroy(&w->work);
	pthread_mutex_destroy(&w->lock);
	strbuf_release(&w->tree);
	strbuf_release(&w->rel);
	free(w);
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
