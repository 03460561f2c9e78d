#include "keep.h"
#include "../purge/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KEEP_SUFFIX ".push"
/* Hook input larger than this is not git's (as in main.c). */
#define MAX_KEPT (64u * 1024 * 1024)

int keep_open(struct keep *k, const char *git_dir,
	      const struct file_modes *modes, struct err *e)
{
	struct spool folder;
	char *dir = xasprintf("%scf-purge-hook-pushes", git_dir);
	int rc;

	/*
	 * The same folder rules as the spool's: made with the repository's
	 * modes (and owner, when root makes it), refused when another user
	 * owns it or any user may write it.
	 */
	rc = spool_open(&folder, dir, modes, e);
	free(dir);
	if (rc < 0)
		return -1;
	k->dir = folder.dir;
	k->modes = *modes;
	k->uid = folder.uid;
	k->gid = folder.gid;
	return 0;
}

static void hold(struct keep *k, char *path, int fd)
{
	k->fds = xrealloc(k->fds, (k->paths.n + 1) * sizeof(*k->fds));
	k->fds[k->paths.n] = fd;
	strvec_push_owned(&k->paths, path);
}

int keep_write(struct keep *k, const char *lines, size_t len, struct err *e)
{
	static unsigned seq;
	struct timespec ts;
	char *path, *tmp;
	size_t done = 0;
	int fd, dfd;

	clock_gettime(CLOCK_REALTIME, &ts);
	path = xasprintf("%s/%lld.%09ld-%ld-%u%s", k->dir, (long long)ts.tv_sec,
			 ts.tv_nsec, (long)getpid(), seq++, KEEP_SUFFIX);
	tmp = xasprintf("%s.tmp", path);
	/*
	 * Written whole under a temporary name, then renamed: a kill leaves
	 * the complete file or none. The lock is taken first and stays with
	 * the file through the rename, so no other run claims it meanwhile.
	 */
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  k->modes.file & 0777);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		err_set(e, "cannot write '%s': %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(tmp);
		free(path);
		return -1;
	}
	if (geteuid() == 0 && k->uid != 0)
		(void)!fchown(fd, k->uid, k->gid);
	(void)!fchmod(fd, k->modes.file & 0777);
	while (done < len) {
		ssize_t n = write(fd, lines + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (done < len || fsync(fd) < 0 || rename(tmp, path) < 0) {
		err_set(e, "cannot write '%s': %s", tmp, strerror(errno));
		unlink(tmp);
		close(fd);
		free(tmp);
		free(path);
		return -1;
	}
	free(tmp);
	dfd = open(k->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	hold(k, path, fd);
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

static void move_aside(struct keep *k, const char *path, const char *why,
		       struct strvec *problems)
{
	char *dir = xasprintf("%s/rejected", k->dir);
	const char *base = strrchr(path, '/');
	char *to = xasprintf("%s%s", dir, base ? base : "/x");

	if ((mkdir(dir, k->modes.dir & 0777) < 0 && errno != EEXIST) ||
	    rename(path, to) < 0)
		strvec_pushf(problems, "'%s' is not a push this program kept: "
			     "%s; and it cannot be moved aside: %s", path, why,
			     strerror(errno));
	else
		strvec_pushf(problems, "'%s' is not a push this program kept: "
			     "%s; moved it to '%s'", path, why, to);
	free(to);
	free(dir);
}

/* Opens, checks and locks one kept file; 1 when held, 0 busy, -1 bad. */
static int take(struct keep *k, const char *path, struct strbuf *sb,
		int *fd_out, const char **why)
{
	struct stat a, b;
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		      O_CLOEXEC);

	*fd_out = -1;
	if (fd < 0) {
		*why = errno == ELOOP ? "a symbolic link" : strerror(errno);
		return errno == ENOENT ? 0 : -1;
	}
	if (fstat(fd, &a) < 0 || !S_ISREG(a.st_mode)) {
		*why = "not a regular file";
		goto bad;
	}
	if ((a.st_mode & S_IWOTH) ||
	    (a.st_uid != geteuid() && a.st_uid != k->uid &&
	     !((k->modes.file & S_IWGRP) && a.st_gid == k->gid))) {
		*why = "it belongs to another user, or any user may write it";
		goto bad;
	}
	if ((size_t)a.st_size > MAX_KEPT) {
		*why = "too large";
		goto bad;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || lstat(path, &b) < 0 ||
	    a.st_ino != b.st_ino) {
		close(fd);
		return 0;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 &&
	       sb->len + (size_t)n <= MAX_KEPT)
		strbuf_add(sb, chunk, (size_t)n);
	if (n != 0) {
		*why = "cannot be read";
		goto bad;
	}
	*fd_out = fd;
	return 1;
bad:
	close(fd);
	return -1;
}

/*
 * Deletes a temporary file that a killed run left: its writer holds its
 * lock until the rename, so one that can be locked is nobody's.
 */
static void drop_stale(struct keep *k, const char *name)
{
	char *path = xasprintf("%s/%s", k->dir, name);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
		unlink(path);
	if (fd >= 0)
		close(fd);
	free(path);
}

void keep_claim(struct keep *k, struct strvec *contents,
		struct strvec *problems)
{
	struct strvec names = STRVEC_INIT;
	struct dirent *de;
	size_t i, j;
	DIR *d;

	if (!k->dir || !(d = opendir(k->dir)))
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (ends_with(de->d_name, KEEP_SUFFIX))
			strvec_push(&names, de->d_name);
		else if (ends_with(de->d_name, KEEP_SUFFIX ".tmp"))
			drop_stale(k, de->d_name);
	}
	closedir(d);
	strvec_sort_unique(&names);
	for (i = 0; i < names.n; i++) {
		struct strbuf sb = STRBUF_INIT;
		char *path = xasprintf("%s/%s", k->dir, names.v[i]);
		const char *why = NULL;
		int fd, held = 0, got;

		for (j = 0; j < k->paths.n; j++)
			held |= !strcmp(k->paths.v[j], path);
		got = held ? 0 : take(k, path, &sb, &fd, &why);
		if (got > 0) {
			hold(k, path, fd);
			strvec_push(contents, strbuf_str(&sb));
			path = NULL;
		} else if (got < 0) {
			move_aside(k, path, why, problems);
		}
		free(path);
		strbuf_release(&sb);
	}
	strvec_clear(&names);
}

void keep_reject(struct keep *k, size_t i, const char *why,
		 struct strvec *problems)
{
	move_aside(k, k->paths.v[i], why, problems);
	if (k->fds[i] >= 0)
		close(k->fds[i]);
	k->fds[i] = -1;
}

void keep_done(struct keep *k)
{
	size_t i;

	for (i = 0; i < k->paths.n; i++) {
		if (k->fds[i] < 0)
			continue;
		unlink(k->paths.v[i]);
		close(k->fds[i]);
		k->fds[i] = -1;
	}
}

int keep_held(const struct keep *k)
{
	size_t i;

	for (i = 0; i < k->paths.n; i++)
		if (k->fds[i] >= 0)
			return 1;
	return 0;
}

time_t keep_newest(const struct keep *k)
{
	struct stat st;
	time_t newest = 0;
	size_t i;

	for (i = 0; i < k->paths.n; i++)
		if (k->fds[i] >= 0 && fstat(k->fds[i], &st) == 0 &&
		    st.st_mtime > newest)
			newest = st.st_mtime;
	return newest;
}

void keep_release(struct keep *k)
{
	size_t i;

	for (i = 0; i < k->paths.n; i++)
		if (k->fds[i] >= 0)
			close(k->fds[i]);
	free(k->fds);
	strvec_clear(&k->paths);
	free(k->dir);
	memset(k, 0, sizeof(*k));
}
