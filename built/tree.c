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
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
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
	size_t len;		/* strlen(name) */
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
	/*
	 * Owned, or -1: the folder, open, so that its entries are reached
	 * by openat() and fstatat() with no path to resolve (however deep
	 * the folder lies). Closed once it is walked and none of its files
	 * is in the window, and reopened from its parent if the walk had to
	 * give it up (see shed_fds()).
	 */
	int dfd;
	size_t files;		/* its files in the window */
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
	size_t old;		/* its record in the old cache plus one, or 0 */
	int same;		/* the old cache vouched for it, and its record
				   ends at old_end and is number old_next - 1 */
	size_t old_end, old_next;
};

/*
 * The files between the walk and their retirement: enough to keep both
 * cores hashing, few enough that memory stays flat.
 */
#define WINDOW 512

/* The files that wait in the window before a sleeping thread is woken. */
#define BATCH 32

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
	/*
	 * Threads waiting for work, and whether the walking thread waits
	 * for a file to be done: a wake-up is sent only to a thread that
	 * sleeps. An unchanged file costs one stat, less than a thread's
	 * wake-up, so work is handed out in batches (see dispatch()).
	 */
	int idle, waiting;
	/* The next stat cache; see retire(). */
	struct statcache_writer cache;
	int cache_started;
	int same;
	size_t retired, same_end;
	size_t cursor;		/* where the old cache is read (dispatch()) */
	int fds, fd_budget;	/* the frames' open folders, and how many
				   may be open at once */
	struct strbuf rel, tree;	/* scratch */
	/*
	 * The symbolic links found, in walk order: each one's path, a NUL,
	 * and its id (or a byte of 1 when it cannot be read); their digest,
	 * once every folder is read, goes in the stat cache's header.
	 */
	struct strbuf links;
	git_oid links_id;
	int links_done;
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
	free(d->store_error);
	d->store_error = NULL;
	d->repo = NULL;
	d->odb = d->store = NULL;
}

/* git's order: a folder's name compares as if it ended in '/'. */
static int git_order(const char *a, size_t la, int a_tree, const char *b,
		     size_t lb, int b_tree)
{
	size_t n = la < lb ? la : lb;
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

/*
 * A name's place in git's order, as far as its first 8 bytes tell: the
 * name as git compares it (with '/' after a folder's), then NULs, read
 * big-endian. Two keys that differ order their names as git_order()
 * does, since a name holds no NUL; equal keys need git_order().
 */
struct sort_key {
	uint64_t key;
	size_t k;
};

static uint64_t order_key(const struct entry *en)
{
	unsigned char b[8] = { 0 };
	size_t n = en->len < 8 ? en->len : 8, i;
	uint64_t key = 0;

	memcpy(b, en->name, n);
	if (en->len < 8 && en->mode == MODE_TREE)
		b[en->len] = '/';
	for (i = 0; i < 8; i++)
		key = key << 8 | b[i];
	return key;
}

static int key_before(const struct entry *entries, const struct sort_key *a,
		      const struct sort_key *b)
{
	const struct entry *x, *y;

	if (a->key != b->key)
		return a->key < b->key;
	x = &entries[a->k];
	y = &entries[b->k];
	return git_order(x->name, x->len, x->mode == MODE_TREE, y->name,
			 y->len, y->mode == MODE_TREE) < 0;
}

/*
 * Sorts a folder's n entries in git's order. A large folder (one of
 * 43,000 files, say) is most of a run's sorting: so each name's first 8
 * bytes are compared as one number, most comparisons end there, and a
 * bottom-up merge sort moves 16-byte keys rather than the entries, which
 * are put in place once at the end.
 */
static void sort_entries(struct entry *entries, size_t n)
{
	struct sort_key *a, *b, *t;
	struct entry *sorted;
	size_t i, width;

	if (n < 2)
		return;
	a = xmalloc(n * sizeof(*a));
	b = xmalloc(n * sizeof(*b));
	for (i = 0; i < n; i++) {
		a[i].key = order_key(&entries[i]);
		a[i].k = i;
	}
	for (width = 1; width < n; width *= 2) {
		for (i = 0; i < n; i += 2 * width) {
			size_t l = i, mid = i + width < n ? i + width : n;
			size_t r = mid, end = i + 2 * width < n ? i + 2 * width
							      : n, o = i;

			while (l < mid && r < end)
				b[o++] = key_before(entries, &a[r], &a[l]) ?
					 a[r++] : a[l++];
			while (l < mid)
				b[o++] = a[l++];
			while (r < end)
				b[o++] = a[r++];
		}
		t = a;
		a = b;
		b = t;
	}
	sorted = xmalloc(n * sizeof(*sorted));
	for (i = 0; i < n; i++)
		sorted[i] = entries[a[i].k];
	memcpy(entries, sorted, n * sizeof(*sorted));
	free(sorted);
	free(a);
	free(b);
}

/* Stores (or only hashes) an object where the walk's sink says. */
static int put_object(struct walk *w, git_oid *id, const void *data,
		      size_t len, git_object_t type)
{
	switch (w->d->sink) {
	case DIRTREE_HASH:
		return git_odb_hash(id, data, len, type);
	case DIRTREE_STORE:
		if (!w->d->store)
			break;
		if (git_odb_write(id, w->d->store, data, len, type) == 0)
			return 0;
		/*
		 * A full disk must not stop the purge: the ids are the same
		 * hashed, and a store written children first holds no tree
		 * whose children it lacks. The caller records nothing.
		 */
		w->d->store_error = xstrdup(git_message());
		w->d->sink = DIRTREE_HASH;
		return git_odb_hash(id, data, len, type);
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
	f->dfd = -1;
	f->next_live = w->live;
	if (w->live)
		w->live->prev_live = f;
	w->live = f;
	return f;
}

static void frame_close(struct walk *w, struct frame *f)
{
	if (f->dfd >= 0) {
		close(f->dfd);
		f->dfd = -1;
		w->fds--;
	}
}

static void frame_free(struct walk *w, struct frame *f)
{
	size_t i;

	frame_close(w, f);
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
	en->len = strlen(name);
	en->name = xstrndup(name, en->len);
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

/* Opens folder name in the folder at dfd; never follows a link. */
static int open_folder(int dfd, const char *name)
{
	return openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		      O_CLOEXEC);
}

/*
 * f's folder, open: reopened from its nearest open ancestor when the walk
 * gave it up, one folder at a time (no path is ever longer than a name),
 * keeping none of the folders between open. Returns the descriptor, or -1
 * with errno set. Only the walking thread calls it.
 */
static int frame_fd(struct walk *w, struct frame *f)
{
	struct frame *g = f, *c;

	while (g && g->dfd < 0)
		g = g->parent;
	if (!g) {
		errno = EBADF;
		return -1;
	}
	while (g != f) {
		for (c = f; c->parent != g; c = c->parent)
			;
		c->dfd = open_folder(g->dfd, g->entries[c->in_parent].name);
		if (c->dfd < 0)
			return -1;
		w->fds++;
		if (g->parent && !g->files)
			frame_close(w, g);
		g = c;
	}
	return f->dfd;
}

/* Reads folder f's entries, sorted in git's order, and its links. */
static int read_folder(struct walk *w, struct frame *f, struct err *e)
{
	char *path = full_path(w, f, "");
	DIR *dir = NULL;
	const char *skip = skipped_name(w, f);
	struct dirent *de;
	size_t alloc = 0, k;
	int dfd = -1, pfd;

	/*
	 * Two descriptors of the folder: readdir() reads through one and
	 * closes it, the walk keeps the other for the files' openat().
	 */
	if (f->parent && (pfd = frame_fd(w, f->parent)) >= 0 &&
	    (f->dfd = open_folder(pfd, f->parent->entries[f->in_parent].name))
	    >= 0)
		w->fds++;
	if (f->dfd < 0 || (dfd = fcntl(f->dfd, F_DUPFD_CLOEXEC, 0)) < 0 ||
	    !(dir = fdopendir(dfd))) {
		/* full_path() ends in '/' for the folder itself. */
		err_set(e, "cannot read the folder '%s': %s", path,
			strerror(errno));
		if (dfd >= 0)
			close(dfd);
		free(path);
		return -1;
	}
	errno = 0;
	/*
	 * Only the names and kinds: the threads that hash the files take
	 * their one stat each, so that both cores share the stat calls.
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
	sort_entries(f->entries, f->n);
	for (k = 0; k < f->n; k++) {
		struct entry *en = &f->entries[k];

		if (en->mode == MODE_TREE)
			continue;
		w->d->files++;
		if (en->mode != MODE_LINK)
			continue;
		read_link(w, f, en, dfd);
		strbuf_addstr(&w->links, rel_path(w, f, en->name));
		strbuf_add(&w->links, "", 1);
		if (en->error)
			strbuf_add(&w->links, "\1", 1);
		else
			strbuf_add(&w->links, en->id.id, GIT_OID_RAWSZ);
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

/* The digest of the links found (see struct walk), once all are. */
static const git_oid *links_digest(struct walk *w)
{
	if (!w->links_done &&
	    git_odb_hash(&w->links_id, w->links.len ? w->links.buf : "",
			 w->links.len, GIT_OBJECT_BLOB) == 0)
		w->links_done = 1;
	return w->links_done ? &w->links_id : NULL;
}

/*
 * 1 when the stat cache vouches for the top tree: every file is the one
 * its record describes, in the records' order, and there is no other
 * record (retire()); the links are those of the walk that wrote the
 * cache; and that walk's top tree is the one the state records, so its
 * object is in the store. The top tree (2 MB for a folder of 43,000
 * files) is then neither written out nor hashed.
 */
static int top_vouched(struct walk *w)
{
	const struct statcache *old = w->d->cache_old;
	const git_oid *links;

	return w->same && old && w->retired == old->n && w->d->recorded &&
	       !git_oid_is_zero(&old->top) &&
	       git_oid_equal(&old->top, w->d->recorded) && w->d->store &&
	       git_odb_exists(w->d->store, w->d->recorded) &&
	       (links = links_digest(w)) && git_oid_equal(&old->links, links);
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

		if (!parent && top_vouched(w)) {
			git_oid_cpy(&w->top_id, &w->d->cache_old->top);
			frame_free(w, f);
			return;
		}
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
	if (!--s->f->files && s->f->next == s->f->n)
		frame_close(w, s->f);
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

/* Files larger than this are hashed by libgit2 from their descriptor,
 * not read whole into memory. */
#define READ_WHOLE (32u << 20)

/*
 * Hashes the regular file open at fd, whose stat st was taken from fd.
 * A file up to READ_WHOLE bytes is read with one read() of one byte more
 * than its size, which sees the end of the file without a second call;
 * a larger one is hashed through /proc/self/fd (the same file, whatever
 * happened to its name), else read whole. Returns 0, 1 when the file is
 * not the size its stat says (it changed: ask again), or -1 with
 * en->error set.
 */
static int hash_open_file(struct entry *en, int fd, const struct stat *st)
{
	char small[16384], *buf;
	size_t size = (size_t)st->st_size, have = 0;
	struct stat now;
	int rc = 0;

	if (size > READ_WHOLE) {
		char proc[64];

		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (git_odb_hashfile(&en->id, proc, GIT_OBJECT_BLOB) == 0) {
			if (fstat(fd, &now) < 0) {
				en->error = xstrdup(strerror(errno));
				return -1;
			}
			return now.st_size != st->st_size ||
			       now.st_mtim.tv_sec != st->st_mtim.tv_sec ||
			       now.st_mtim.tv_nsec != st->st_mtim.tv_nsec;
		}
	}
	buf = size < sizeof(small) ? small : xmalloc(size + 1);
	for (;;) {
		ssize_t got = read(fd, buf + have, size + 1 - have);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			en->error = xstrdup(strerror(errno));
			rc = -1;
			break;
		}
		have += (size_t)got;
		/* A short read at the size the stat gave is the end. */
		if (!got || have >= size)
			break;
	}
	if (rc == 0 && have != size)
		rc = 1;
	if (rc == 0 && git_odb_hash(&en->id, buf, size, GIT_OBJECT_BLOB) < 0) {
		en->error = xstrdup(git_message());
		rc = -1;
	}
	if (buf != small)
		free(buf);
	return rc;
}

/*
 * Opens file en of the folder at dfd and takes its stat from the open
 * file: O_NOFOLLOW, so a link made meanwhile is never followed, and
 * O_NONBLOCK, so a FIFO swapped in since readdir() cannot block the
 * open; the fstat() then refuses anything but a regular file before a
 * byte is read. Returns as hash_open_file() does.
 */
static int hash_file(struct entry *en, int dfd)
{
	struct stat st;
	int fd = openat(dfd, en->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
			O_NOCTTY | O_CLOEXEC), rc;

	if (fd < 0) {
		en->error = xstrdup(errno == ELOOP ? "it is no longer a file" :
				    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		en->error = xstrdup(strerror(errno));
		rc = -1;
	} else if (!S_ISREG(st.st_mode)) {
		en->error = xstrdup("it is no longer a file");
		rc = -1;
	} else {
		statcache_stat_from(&en->st, &st);
		en->mode = (st.st_mode & S_IXUSR) ? MODE_EXEC : MODE_FILE;
		rc = hash_open_file(en, fd, &st);
	}
	close(fd);
	return rc;
}

/*
 * Takes a file's stat and its id: from the old cache when it vouches for
 * the stat, else by hashing the contents. One stat per file: fstatat()
 * alone when the old cache has a record to compare it with, else the
 * fstat() of the opened file (hash_file()). The stat recorded is the one
 * taken before the read: a file written to while it is read has another
 * stat by then, so the next run reads it again. A file whose size is not
 * its stat's is read again, up to three times; one that never holds
 * still is purged, and so is one that stopped being a file. Runs on any
 * thread: it touches only the slot, its entry and its folder's open
 * descriptor, which the walk keeps while the file is in the window.
 */
static void process_file(const struct walk *w, struct slot *s)
{
	struct entry *en = &s->f->entries[s->k];
	int dfd = s->f->dfd, tries;

	if (dfd < 0) {
		en->error = xstrdup("its folder cannot be opened");
		return;
	}
	if (s->old) {
		const unsigned char *known;
		struct stat st;

		if (fstatat(dfd, en->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			en->error = xstrdup(strerror(errno));
			return;
		}
		statcache_stat_from(&en->st, &st);
		if (S_ISREG(st.st_mode) &&
		    (known = statcache_vouch(w->d->cache_old, s->old, &en->st,
					     &s->old_end, &s->old_next))) {
			en->mode = (st.st_mode & S_IXUSR) ? MODE_EXEC :
				   MODE_FILE;
			git_oid_fromraw(&en->id, known);
			s->same = 1;
			return;
		}
	}
	s->hashed = 1;
	for (tries = 0; tries < 3; tries++)
		if (hash_file(en, dfd) <= 0)
			return;
	en->error = xstrdup("it kept changing while it was read");
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
			if (w->waiting)
				pthread_cond_signal(&w->done);
			continue;
		}
		if (w->stop)
			break;
		w->idle++;
		pthread_cond_wait(&w->work, &w->lock);
		w->idle--;
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
		/* The rest of the window is the sleeping threads' too. */
		if (w->idle && w->take < w->tail)
			pthread_cond_broadcast(&w->work);
		pthread_mutex_unlock(&w->lock);
		process_file(w, s);
		pthread_mutex_lock(&w->lock);
		s->state = SLOT_DONE;
	} else {
		w->waiting = 1;
		pthread_cond_wait(&w->done, &w->lock);
		w->waiting = 0;
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

/*
 * Puts file k of f in the window, for a thread to take its stat and id,
 * with its record in the old cache: the walk visits the files in the
 * cache's order, so one pass over the cache finds them all.
 */
static void dispatch(struct walk *w, struct frame *f, size_t k)
{
	struct slot *s;
	size_t old = 0;

	if (w->d->cache_old)
		old = statcache_find(w->d->cache_old, &w->cursor,
				     rel_path(w, f, f->entries[k].name));
	/*
	 * Its folder, open for the thread: reopened if it was given up, and
	 * counted first, so that retiring f's other files to make room
	 * cannot close it.
	 */
	f->pending++;
	f->files++;
	frame_fd(w, f);
	pthread_mutex_lock(&w->lock);
	while (w->tail - w->head == WINDOW)
		make_room(w);
	s = &w->window[w->tail % WINDOW];
	memset(s, 0, sizeof(*s));
	s->f = f;
	s->k = k;
	s->old = old;
	s->state = SLOT_TODO;
	w->tail++;
	if (w->idle && w->tail - w->take >= BATCH)
		pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
}

/* Hashes and retires every file in the window. */
static void empty_window(struct walk *w)
{
	pthread_mutex_lock(&w->lock);
	while (w->head < w->tail)
		make_room(w);
	pthread_mutex_unlock(&w->lock);
}

/*
 * Keeps the open folders within the budget: once the window is empty,
 * the only frames left are the folders the walk is in, and all but the
 * top and cur give their descriptors up (frame_fd() reopens them when
 * the walk comes back to one that still has entries to walk).
 */
static void shed_fds(struct walk *w, const struct frame *top,
		     const struct frame *cur)
{
	struct frame *f;

	empty_window(w);
	for (f = w->live; f; f = f->next_live)
		if (f != top && f != cur)
			frame_close(w, f);
}

/* How many folders the walk may hold open: half the descriptors a
 * process may have, leaving the rest to libgit2, curl and the threads. */
static int fd_budget(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY
	    || rl.rlim_cur > 8192)
		return 4096;
	return rl.rlim_cur > 32 ? (int)(rl.rlim_cur / 2) : 8;
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
			if (!f->files)
				frame_close(w, f);
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
			if (w->fds >= w->fd_budget)
				shed_fds(w, top, f);
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

	const git_oid *links = links_digest(w);

	if (!w->d->cache_path || !links)
		return;
	/*
	 * Every file vouched for, no other record, and the header names
	 * this walk's tree and links: left as it was.
	 */
	if (w->same && old && w->retired == old->n &&
	    git_oid_equal(&old->top, &w->top_id) &&
	    git_oid_equal(&old->links, links))
		return;
	if (!w->cache_started || w->same)
		start_cache(w);
	if (statcache_writer_commit(&w->cache, &w->top_id, links, &e) < 0)
		strvec_pushf(&w->d->notes, "%s; the next run reads every file "
			     "again", e.msg);
}

int dirtree_build(git_oid *out, struct dirtree *d, const char *dir,
		  struct err *e)
{
	struct walk *w;
	struct frame *top;
	char *what;
	int rc, fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return err_set(e, "cannot read the folder '%s': %s", dir,
			       errno == ENOTDIR ? "not a folder" :
			       strerror(errno));
	w = xcalloc(1, sizeof(*w));
	w->d = d;
	w->top = dir;
	w->e = e;
	w->same = d->cache_old && d->cache_old->n;
	strbuf_init(&w->rel);
	strbuf_init(&w->tree);
	strbuf_init(&w->links);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->done, NULL);
	top = frame_new(w, NULL, 0, xstrdup(""));
	top->dfd = fd;
	w->fds = 1;
	w->fd_budget = fd_budget();
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
	strbuf_release(&w->links);
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
