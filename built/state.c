#include "state.h"
#include "../util/lock.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORD_MAGIC "cf-purge-hook dir state 1\n"
#define RECORD_MAX 8192

/*
 * Makes the folder path with modes when missing (the umask narrows
 * mkdir's mode, so it is set again on what this run made). Returns 0, or
 * -1 with e set.
 */
static int make_folder(const char *path, const struct file_modes *modes,
		       int *full, struct err *e)
{
	int fd, rc;

	if (mkdir(path, modes->dir & 0777) < 0) {
		struct stat st;
		int why = errno;

		if (why == EEXIST)
			return 0;
		/* One that is there but out of reach is no creation problem. */
		if (stat(path, &st) == 0 || errno != ENOENT)
			return err_set(e, "cannot read the state folder '%s': "
				       "%s; give this user access to it, or "
				       "run this program as its owner", path,
				       strerror(stat(path, &st) == 0 ? why :
						errno));
		*full = why == ENOSPC || why == EDQUOT;
		return err_set(e, "cannot create the state folder '%s': %s",
			       path, strerror(why));
	}
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		       O_CLOEXEC)) < 0)
		return err_set(e, "cannot read the state folder '%s': %s",
			       path, strerror(errno));
	rc = file_modes_fix(fd, path, modes, e);
	close(fd);
	return rc;
}

/*
 * Whether what st describes (at path, of the state folder dir whose own
 * description is top) may be trusted, as the spool's files are: no link,
 * not writable by others, and this user's, the state folder owner's, or
 * in a group-shared repository the state folder's group's. Returns 0, or
 * -1 with e set saying so and what to run.
 */
static int trusted(const struct stat *st, const struct stat *top,
		   const char *path, const char *dir,
		   const struct file_modes *modes, struct err *e)
{
	int shared = (modes->file & S_IWGRP) != 0;

	if (S_ISLNK(st->st_mode))
		return err_set(e, "the state '%s' is a symbolic link, which "
			       "this program does not follow; remove it: rm "
			       "'%s'", path, path);
	if (st->st_mode & S_IWOTH)
		return err_set(e, "the state '%s' may be written by any user "
			       "(mode %03o), so it cannot be trusted; run: "
			       "chmod -R o-w '%s'", path,
			       (unsigned)(st->st_mode & 0777), dir);
	if (st->st_uid == geteuid())
		return 0;
	if (st != top && st->st_uid == top->st_uid && top->st_uid == geteuid())
		return 0;
	if (shared && st->st_gid == top->st_gid && user_in_group(top->st_gid) &&
	    (top->st_mode & S_IWGRP))
		return 0;
	return err_set(e, "the state '%s' belongs to another user (uid %ld), "
		       "who could change what it records; run this program "
		       "as that user, or remove the state folder '%s' to "
		       "start afresh", path, (long)st->st_uid, dir);
}

/* lstat() and trusted() for path in the state folder; a missing file is fine. */
static int check_path(const struct dirstate *s, const char *path,
		      struct err *e)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return err_set(e, "cannot read the state '%s': %s", path,
			       strerror(errno));
	}
	return trusted(&st, &s->top, path, s->dir, &s->modes, e);
}

int dirstate_check(const struct dirstate *s, const char *path,
		   struct err *e)
{
	return check_path(s, path, e);
}

char *dirstate_key(const char *site)
{
	char cwd[PATH_MAX];
	char *key, *r, *w;
	size_t n;

	if (site[0] == '/')
		key = xstrdup(site);
	else if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	else
		key = xasprintf("%s/%s", strcmp(cwd, "/") ? cwd : "", site);
	/* "a//b", "a/./b" and "a/b/." are one folder, written one way. */
	for (r = w = key; *r; ) {
		if (r[0] == '/' && (r[1] == '/' ||
				    (r[1] == '.' && (r[2] == '/' || !r[2])))) {
			r += r[1] == '/' ? 1 : 2;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
	n = strlen(key);
	while (n > 1 && key[n - 1] == '/')
		key[--n] = '\0';
	if (!n)
		strcpy(key, "/");
	return key;
}

int dirstate_open(struct dirstate *s, const char *state_dir,
		  const char *site, const struct file_modes *modes,
		  struct err *e)
{
	char *real, *sites;
	struct stat st;
	git_oid key;
	int rc = -1;

	if (stat(site, &st) < 0 || !(real = dirstate_key(site)))
		return err_set(e, "cannot read the folder '%s': %s", site,
			       strerror(errno));
	s->site = real;
	s->modes = *modes;
	s->dir = xstrdup(state_dir);
	s->objects = xasprintf("%s/objects", state_dir);
	sites = xasprintf("%s/sites", state_dir);
	if (make_folder(state_dir, modes, &s->full, e) < 0)
		goto out;
	if (lstat(state_dir, &s->top) < 0) {
		err_set(e, "cannot read the state folder '%s': %s", state_dir,
			strerror(errno));
		goto out;
	}
	if (!S_ISLNK(s->top.st_mode) && !S_ISDIR(s->top.st_mode)) {
		err_set(e, "the state folder '%s' is not a folder", state_dir);
		goto out;
	}
	if (trusted(&s->top, &s->top, state_dir, state_dir, modes, e) < 0 ||
	    make_folder(sites, modes, &s->full, e) < 0 ||
	    make_folder(s->objects, modes, &s->full, e) < 0 ||
	    check_path(s, sites, e) < 0 || check_path(s, s->objects, e) < 0)
		goto out;
	git_odb_hash(&key, real, strlen(real), GIT_OBJECT_BLOB);
	s->record = xasprintf("%s/%s", sites, git_oid_tostr_s(&key));
	if (check_path(s, s->record, e) < 0)
		goto out;
	rc = 0;
out:
	free(sites);
	return rc;
}

int dirstate_lock(const struct dirstate *s, const struct file_modes *modes,
		  double timeout, FILE *notice, struct err *e)
{
	char *path = xasprintf("%s/lock", s->dir);
	int fd;

	/*
	 * Another user's lock is named as the state's other files are,
	 * rather than blamed on core.sharedRepository, which a state outside
	 * any repository does not have.
	 */
	if (check_path(s, path, e) < 0) {
		free(path);
		return -1;
	}
	fd = lock_take(path, modes, timeout, notice, e);

	if (fd == LOCK_TAKE_TIMEOUT) {
		char *why = xstrdup(e->msg);

		/*
		 * The record stays as it was, so the next run purges what
		 * this one would have, too.
		 */
		err_set(e, "%s; nothing was purged and the state is unchanged%s",
			why, cfph_interrupted ? "" : ": run again once the "
			"other run is done, or raise [hook] lock_timeout");
		free(why);
	}
	free(path);
	return fd == LOCK_TAKE_TIMEOUT ? LOCK_TAKE_TIMEOUT : fd < 0 ? -1 : fd;
}

/*
 * 1 when name is a temporary file of this program in sites/: a record's
 * "<id>.<pid>" or a stat cache's "<id>.stat.<pid>" (built/statcache.c).
 */
static int temporary_name(const char *name)
{
	const char *p = name;
	size_t i;

	for (i = 0; i < GIT_OID_HEXSZ; i++)
		if (!isxdigit((unsigned char)p[i]))
			return 0;
	p += GIT_OID_HEXSZ;
	if (!strncmp(p, ".stat", 5))
		p += 5;
	if (*p++ != '.' || !isdigit((unsigned char)*p))
		return 0;
	while (isdigit((unsigned char)*p))
		p++;
	return *p == '\0';
}

size_t dirstate_sweep(const struct dirstate *s, time_t now)
{
	char *sites = xasprintf("%s/sites", s->dir);
	DIR *d = opendir(sites);
	struct dirent *de;
	size_t n = 0;

	while (d && (de = readdir(d)) != NULL) {
		struct stat st;

		if (!temporary_name(de->d_name))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) &&
		    st.st_mtime < now - DIRSTATE_STALE &&
		    unlinkat(dirfd(d), de->d_name, 0) == 0)
			n++;
	}
	if (d)
		closedir(d);
	free(sites);
	return n;
}

void dirstate_release(struct dirstate *s)
{
	free(s->dir);
	free(s->objects);
	free(s->record);
	free(s->site);
	memset(s, 0, sizeof(*s));
}

/*
 * Reads the record file path: "<magic><tree hex>\n<folder>\n". Returns 1
 * with *tree set and folder (of size bytes) holding the folder it names;
 * 0 when there is no such file; -1 with *why set (owned by the caller)
 * when it cannot be read or is not this program's format.
 */
static int parse_record(git_oid *tree, char *folder, size_t size,
			char **why, const char *path)
{
	char buf[RECORD_MAX + 1];
	size_t n, magic = strlen(RECORD_MAGIC);
	FILE *f = fopen(path, "rb");
	char *nl;

	if (!f && errno == ENOENT)
		return 0;
	if (!f) {
		*why = xasprintf("cannot read the state '%s': %s", path,
				 strerror(errno));
		return -1;
	}
	n = fread(buf, 1, RECORD_MAX, f);
	if (ferror(f)) {
		*why = xasprintf("cannot read the state '%s': %s", path,
				 strerror(errno));
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[n] = '\0';
	if (n < magic + GIT_OID_HEXSZ + 1 || memcmp(buf, RECORD_MAGIC, magic) ||
	    buf[magic + GIT_OID_HEXSZ] != '\n' ||
	    git_oid_fromstrn(tree, buf + magic, GIT_OID_HEXSZ) < 0 ||
	    !(nl = strchr(buf + magic + GIT_OID_HEXSZ + 1, '\n')) ||
	    (size_t)(nl - (buf + magic + GIT_OID_HEXSZ + 1)) >= size) {
		*why = xasprintf("cannot read the state '%s': not this "
				 "program's format", path);
		return -1;
	}
	*nl = '\0';
	strcpy(folder, buf + magic + GIT_OID_HEXSZ + 1);
	return 1;
}

int dirstate_read(git_oid *out, char **why, const struct dirstate *s,
		  git_odb *store)
{
	char folder[RECORD_MAX + 1];
	int rc;

	*why = NULL;
	rc = parse_record(out, folder, sizeof(folder), why, s->record);
	if (rc <= 0) {
		if (rc == 0)
			*why = xasprintf("no state yet for '%s' in '%s'",
					 s->site, s->dir);
		return 0;
	}
	if (strcmp(folder, s->site)) {
		*why = xasprintf("cannot read the state '%s': it names "
				 "another folder", s->record);
		return 0;
	}
	if (!git_odb_exists(store, out)) {
		*why = xasprintf("cannot read the state '%s': its tree %s is "
				 "not in '%s'", s->record,
				 git_oid_tostr_s(out), s->objects);
		return 0;
	}
	return 1;
}

int dirstate_read_previous(git_oid *out, const struct dirstate *s,
			   git_odb *store)
{
	char folder[RECORD_MAX + 1], *why = NULL, *prev;
	struct err e;
	int rc;

	prev = xasprintf("%s.prev", s->record);
	/* Whoever could plant it could hide a stale page: trusted as the record. */
	rc = check_path(s, prev, &e) < 0 ? -1 :
	     parse_record(out, folder, sizeof(folder), &why, prev);
	free(why);
	free(prev);
	return rc > 0 && !strcmp(folder, s->site) && git_odb_exists(store, out);
}

int dirstate_record_tree(git_oid *out, const char *path, struct err *e)
{
	char folder[RECORD_MAX + 1], *why = NULL;
	int rc = parse_record(out, folder, sizeof(folder), &why, path);

	if (rc < 0) {
		err_set(e, "%s", why);
		free(why);
	}
	return rc;
}

/*
 * Keeps the record as "<record>.prev" when it names another tree than
 * tree: a hard link, so that the record itself is never missing.
 */
static void keep_previous(const struct dirstate *s, const git_oid *tree)
{
	char folder[RECORD_MAX + 1], *why = NULL, *prev;
	git_oid old;

	if (parse_record(&old, folder, sizeof(folder), &why, s->record) <= 0 ||
	    git_oid_equal(&old, tree)) {
		free(why);
		return;
	}
	prev = xasprintf("%s.prev", s->record);
	if ((unlink(prev) == 0 || errno == ENOENT) &&
	    link(s->record, prev) < 0)
		unlink(prev);
	free(prev);
}

int dirstate_write(const struct dirstate *s, const git_oid *tree,
		   struct err *e)
{
	char *tmp = xasprintf("%s.%ld", s->record, (long)getpid()), *sites;
	char *text = xasprintf(RECORD_MAGIC "%s\n%s\n", git_oid_tostr_s(tree),
			       s->site);
	size_t len = strlen(text);
	int fd;
	int rc = -1;

	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0666);
	if (fd < 0) {
		err_set(e, "cannot write the state '%s': %s", tmp,
			strerror(errno));
		goto out;
	}
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		err_set(e, "cannot write the state '%s': %s", tmp,
			strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (file_modes_fix(fd, tmp, &s->modes, e) < 0) {
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	keep_previous(s, tree);
	if (rename(tmp, s->record) < 0) {
		err_set(e, "cannot write the state '%s': %s", s->record,
			strerror(errno));
		unlink(tmp);
		goto out;
	}
	/* The rename itself must survive a crash. */
	sites = xasprintf("%s/sites", s->dir);
	fd = open(sites, O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(sites);
	rc = 0;
out:
	free(text);
	free(tmp);
	return rc;
}
