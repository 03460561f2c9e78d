#include "spool.h"

#include <ctype.h>
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

#define SPOOL_SUFFIX ".json"
#define REJECTED "rejected"

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

/*
 * Gives a file or folder this program made the spool's permissions, which
 * the umask may have narrowed, and, when root made it, the owner of the
 * folder it is in, so that the repository's users can still use it.
 */
static void adjust(int fd, const struct spool *s, mode_t mode)
{
	/* Best effort: spool_take's checks decide what may be read. */
	if (geteuid() == 0 && s->uid != 0 && fchown(fd, s->uid, s->gid) < 0)
		mode &= 0700;
	if (fchmod(fd, mode) < 0)
		return;
}

static int make_dir(const char *dir, const struct file_modes *m,
		    struct err *e)
{
	char *copy = xstrdup(dir), *p;
	struct stat st;

	for (p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, m->dir & 0777) < 0 && errno != EEXIST) {
			err_set(e, "cannot create '%s': %s", copy,
				strerror(errno));
			free(copy);
			return -1;
		}
		*p = '/';
	}
	free(copy);
	if (mkdir(dir, m->dir & 0777) == 0) {
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		char *parent = xstrdup(dir), *slash = strrchr(parent, '/');

		if (slash && slash != parent)
			*slash = '\0';
		/*
		 * Root makes it for the owner of the folder it is in; what
		 * fails here is found by spool_open's checks.
		 */
		if (fd >= 0) {
			if (geteuid() == 0 && stat(parent, &st) == 0 &&
			    st.st_uid != 0)
				(void)!fchown(fd, st.st_uid, st.st_gid);
			(void)!fchmod(fd, m->dir);
			close(fd);
		}
		free(parent);
		return 0;
	}
	if (errno != EEXIST)
		return err_set(e, "cannot create '%s': %s", dir,
			       strerror(errno));
	return 0;
}

int spool_open(struct spool *s, const char *dir,
	       const struct file_modes *modes, struct err *e)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (dir[0] != '/')
		return err_set(e, "the spool '%s' is not an absolute path",
			       dir);
	if (make_dir(dir, modes, e) < 0)
		return -1;
	if (stat(dir, &st) < 0)
		return err_set(e, "cannot read the spool '%s': %s", dir,
			       strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(e, "the spool '%s' is not a folder", dir);
	if (st.st_mode & S_IWOTH)
		return err_set(e, "the spool '%s' may be written by any user "
			       "(mode %03o), so its files cannot be trusted; "
			       "run: chmod o-w '%s'", dir,
			       (unsigned)(st.st_mode & 0777), dir);
	if (st.st_uid != geteuid() && geteuid() != 0 &&
	    !((st.st_mode & S_IWGRP) && user_in_group(st.st_gid)))
		return err_set(e, "the spool '%s' belongs to another user "
			       "(uid %ld); run this program as that user",
			       dir, (long)st.st_uid);
	s->dir = xstrdup(dir);
	s->modes = *modes;
	s->uid = st.st_uid;
	s->gid = st.st_gid;
	return 0;
}

void spool_close(struct spool *s)
{
	free(s->dir);
	memset(s, 0, sizeof(*s));
}

static void iso_time(char *buf, size_t len, double t)
{
	time_t secs = (time_t)t;
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * The time iso_time wrote, or 0 (unknown). Fields out of their range are
 * refused: timegm would carry them over, into a year iso_time cannot
 * write in four digits (9999-99-99 is in year 10007), so that the time
 * would change each time the file is rewritten.
 */
static double parse_iso_time(const char *s)
{
	struct tm tm;
	char z = 0;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 ||
	    z != 'Z')
		return 0;
	if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 ||
	    tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour < 0 ||
	    tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 ||
	    tm.tm_sec < 0 || tm.tm_sec > 59)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (double)timegm(&tm);
}

static char *spool_text(const struct batch *b)
{
	cJSON *o = need(cJSON_CreateObject());
	char when[32];
	char *text;

	need(cJSON_AddNumberToObject(o, "version", 1));
	if (b->zone_id)
		need(cJSON_AddStringToObject(o, "zone_id", b->zone_id));
	else
		need(cJSON_AddNullToObject(o, "zone_id"));
	if (b->zone_name)
		need(cJSON_AddStringToObject(o, "zone_name", b->zone_name));
	cJSON_AddItemToObject(o, "body", batch_body(b));
	iso_time(when, sizeof(when), b->first_planned);
	need(cJSON_AddStringToObject(o, "first_planned", when));
	need(cJSON_AddNumberToObject(o, "attempts", b->attempts));
	if (b->last_error)
		need(cJSON_AddStringToObject(o, "last_error", b->last_error));
	else
		need(cJSON_AddNullToObject(o, "last_error"));
	text = need(cJSON_Print(o));
	cJSON_Delete(o);
	return text;
}

/* Writes text to path through a temporary file, fsync and rename. */
static int write_atomic(const struct spool *s, const char *path,
			const char *text, struct err *e)
{
	char *tmp = xasprintf("%s.tmp", path);
	size_t len = strlen(text), done = 0;
	int fd, dfd, rc = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  s->modes.file & 0777);
	if (fd < 0) {
		err_set(e, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	adjust(fd, s, s->modes.file & 0777);
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err_set(e, "cannot write '%s': %s", tmp,
				strerror(n < 0 ? errno : EIO));
			close(fd);
			unlink(tmp);
			goto out;
		}
		done += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		err_set(e, "cannot write '%s': %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		err_set(e, "cannot rename '%s': %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	/* The rename itself must reach the disk too. */
	dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

int spool_write(struct spool *s, const struct batch *b, char **path_out,
		struct err *e)
{
	static unsigned seq;
	struct timespec ts;
	char *path, *text;
	int rc;

	if (path_out)
		*path_out = NULL;
	clock_gettime(CLOCK_REALTIME, &ts);
	/*
	 * Names sort by when the batch was first planned, so that the oldest
	 * is resent first, also when a part of it is written again later.
	 */
	if (b->first_planned >= 1 && b->first_planned < (double)ts.tv_sec)
		ts.tv_sec = (time_t)b->first_planned;
	path = xasprintf("%s/%lld.%09ld-%ld-%u%s", s->dir,
			 (long long)ts.tv_sec, ts.tv_nsec, (long)getpid(),
			 seq++, SPOOL_SUFFIX);
	text = spool_text(b);
	rc = write_atomic(s, path, text, e);
	free(text);
	if (rc == 0 && path_out)
		*path_out = path;
	else
		free(path);
	return rc;
}

int spool_rewrite(struct spool *s, const char *path, const struct batch *b,
		  struct err *e)
{
	char *text = spool_text(b);
	int rc = write_atomic(s, path, text, e);

	free(text);
	return rc;
}

int spool_remove(const char *path, struct err *e)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return err_set(e, "cannot delete '%s': %s", path,
			       strerror(errno));
	return 0;
}

/*
 * Deletes a temporary file that a killed run left behind: one that has
 * not changed for an hour is no write in progress.
 */
static void drop_stale(const struct spool *s, const char *name)
{
	char *path = xasprintf("%s/%s", s->dir, name);
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_mtime < time(NULL) - 3600)
		unlink(path);
	free(path);
}

int spool_list(struct strvec *names, const struct spool *s, struct err *e)
{
	struct dirent *de;
	DIR *d = opendir(s->dir);

	if (!d) {
		if (errno == ENOENT)
			return 0;
		return err_set(e, "cannot read the spool '%s': %s", s->dir,
			       strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (ends_with(de->d_name, SPOOL_SUFFIX))
			strvec_push(names, de->d_name);
		else if (ends_with(de->d_name, SPOOL_SUFFIX ".tmp"))
			drop_stale(s, de->d_name);
	}
	closedir(d);
	strvec_sort_unique(names);
	return 0;
}

size_t spool_count(const struct spool *s)
{
	struct strvec names = STRVEC_INIT;
	struct err e;
	size_t n = 0;

	if (s->dir && spool_list(&names, s, &e) == 0)
		n = names.n;
	strvec_clear(&names);
	return n;
}

int spool_zone_id_ok(const char *s)
{
	size_t i;

	for (i = 0; i < 32; i++)
		if (!isxdigit((unsigned char)s[i]) ||
		    isupper((unsigned char)s[i]))
			return 0;
	return s[32] == '\0';
}

/* A host name as a zone is called: letters, digits, '-' and dots. */
static int zone_name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n > 253 || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '.')
			return 0;
	return 1;
}

/* Whether text is a string an item may hold: printable, without spaces. */
static int item_text_ok(const cJSON *v, size_t max)
{
	const unsigned char *p;

	if (!cJSON_IsString(v) || !*v->valuestring ||
	    strlen(v->valuestring) > max)
		return 0;
	for (p = (const unsigned char *)v->valuestring; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

static int url_ok(const cJSON *v)
{
	return item_text_ok(v, 32768) &&
	       (!strncmp(v->valuestring, "https://", 8) ||
		!strncmp(v->valuestring, "http://", 7));
}

/* A files item: a URL, or {"url": URL, "headers": {name: value}}. */
static int file_item_ok(const cJSON *it)
{
	const cJSON *k;

	if (cJSON_IsString(it))
		return url_ok(it);
	if (!cJSON_IsObject(it))
		return 0;
	cJSON_ArrayForEach(k, it) {
		if (!strcmp(k->string, "url")) {
			if (!url_ok(k))
				return 0;
		} else if (!strcmp(k->string, "headers")) {
			const cJSON *h;

			if (!cJSON_IsObject(k))
				return 0;
			cJSON_ArrayForEach(h, k)
				if (!cJSON_IsString(h) ||
				    strpbrk(h->valuestring, "\r\n") ||
				    strpbrk(h->string, "\r\n: "))
					return 0;
		} else {
			return 0;
		}
	}
	return cJSON_IsString(cJSON_GetObjectItemCaseSensitive(it, "url"));
}

/* Checks that b's items are what this program writes. */
static int items_ok(const struct batch *b, const struct spool_rules *rules,
		    struct err *e)
{
	const cJSON *it;
	long n = 0, max;

	if (b->kind == PURGE_EVERYTHING)
		return 0;
	max = b->kind == PURGE_FILES ? rules->max_files : rules->max_items;
	cJSON_ArrayForEach(it, b->items) {
		int ok = b->kind == PURGE_FILES ? file_item_ok(it) :
			 item_text_ok(it, 32768);

		if (!ok)
			return err_set(e, "item %ld of '%s' is not one this "
				       "program writes", n + 1,
				       purge_kind_key(b->kind));
		n++;
	}
	if (max > 0 && n > max)
		return err_set(e, "%ld items in one request, more than %ld", n,
			       max);
	return 0;
}

static int zone_known(const char *id, const struct spool_rules *rules)
{
	size_t i;

	for (i = 0; rules->zone_ids && i < rules->zone_ids->n; i++)
		if (!strcmp(rules->zone_ids->v[i], id))
			return 1;
	return 0;
}

int spool_parse(struct batch *b, const char *text, size_t len,
		const struct spool_rules *rules, struct err *e)
{
	static const char *const keys[] = {
		"version", "zone_id", "zone_name", "body", "first_planned",
		"attempts", "last_error"
	};
	cJSON *root = cJSON_ParseWithLength(text, len), *v;
	int rc = -1;	/* -2: left for a later run */

	memset(b, 0, sizeof(*b));
	if (!cJSON_IsObject(root)) {
		err_set(e, "not a JSON object");
		goto out;
	}
	cJSON_ArrayForEach(v, root) {
		size_t i;

		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strcmp(v->string, keys[i]))
				break;
		if (i == sizeof(keys) / sizeof(keys[0])) {
			err_set(e, "unknown key '%.40s'", v->string);
			goto out;
		}
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (!cJSON_IsNumber(v) || v->valuedouble != 1) {
		err_set(e, "not version 1 of the spool format");
		goto out;
	}
	if (batch_from_body(b, cJSON_GetObjectItemCaseSensitive(root, "body"),
			    e) < 0)
		goto out;
	if (items_ok(b, rules, e) < 0)
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(root, "zone_id");
	if (cJSON_IsString(v)) {
		if (!spool_zone_id_ok(v->valuestring)) {
			err_set(e, "the zone id is not 32 hex digits");
			goto out;
		}
		if (!zone_known(v->valuestring, rules)) {
			err_set(e, "zone %s is not in the configuration",
				v->valuestring);
			if (rules->zones_incomplete)
				rc = -2;
			goto out;
		}
		b->zone_id = xstrdup(v->valuestring);
	} else if (v && !cJSON_IsNull(v)) {
		err_set(e, "zone_id is not a string");
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "zone_name");
	if (cJSON_IsString(v)) {
		if (!zone_name_ok(v->valuestring)) {
			err_set(e, "the zone name is not a host name");
			goto out;
		}
		b->zone_name = xstrdup(v->valuestring);
	} else if (v) {
		err_set(e, "zone_name is not a string");
		goto out;
	}
	if (!b->zone_id && !b->zone_name) {
		err_set(e, "no zone_id or zone_name");
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "first_planned");
	if (cJSON_IsString(v))
		b->first_planned = parse_iso_time(v->valuestring);
	v = cJSON_GetObjectItemCaseSensitive(root, "attempts");
	if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e6)
		b->attempts = (int)v->valuedouble;
	v = cJSON_GetObjectItemCaseSensitive(root, "last_error");
	if (cJSON_IsString(v)) {
		/* xstrndup copies n bytes: it is no strndup. */
		size_t n = strlen(v->valuestring);

		b->last_error = xstrndup(v->valuestring, n < 1024 ? n : 1024);
	}
	rc = 0;
out:
	if (rc < 0)
		batch_release(b);
	cJSON_Delete(root);
	return rc;
}

/* Whether the file described by st is one this program may have made. */
static int owner_ok(const struct spool *s, const struct stat *st,
		    struct err *e)
{
	if (st->st_mode & S_IWOTH)
		return err_set(e, "any user may write it");
	if (st->st_uid == geteuid() || st->st_uid == s->uid)
		return 0;
	if ((s->modes.file & S_IWGRP) && st->st_gid == s->gid)
		return 0;
	return err_set(e, "it belongs to another user (uid %ld)",
		       (long)st->st_uid);
}

/* Fills in e with the problem of a file that must not be used. */
static int bad(struct err *e, const char *path, const struct err *why)
{
	return err_set(e, "'%s' is not a spool file of this program: %s",
		       path, why->msg);
}

int spool_take(struct spool_entry *en, struct spool *s, const char *name,
	       const struct spool_rules *rules, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	struct stat a, b;
	struct err why;
	char chunk[8192];
	ssize_t n;
	int fd;

	memset(en, 0, sizeof(*en));
	en->fd = -1;
	en->path = xasprintf("%s/%s", s->dir, name);
	fd = open(en->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		  O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			goto gone;
		if (errno != ELOOP) {
			/* Too many files open, a permission: not its fault. */
			err_set(&why, "%s", strerror(errno));
			goto later;
		}
		err_set(&why, "a symbolic link");
		goto refuse;
	}
	if (fstat(fd, &a) < 0 || !S_ISREG(a.st_mode)) {
		err_set(&why, "not a regular file");
		goto refuse;
	}
	if (owner_ok(s, &a, &why) < 0)
		goto refuse;
	if (a.st_size > SPOOL_MAX_FILE) {
		err_set(&why, "larger than %d bytes", SPOOL_MAX_FILE);
		goto refuse;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK || errno == EINTR)
			goto gone;
		err_set(&why, "cannot lock it: %s", strerror(errno));
		goto later;
	}
	/*
	 * Another run may have sent and deleted the file, or replaced it,
	 * between our open and our lock: only the file still at path counts.
	 */
	if (lstat(en->path, &b) < 0 || a.st_ino != b.st_ino ||
	    a.st_dev != b.st_dev)
		goto gone;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		strbuf_add(&sb, chunk, (size_t)n);
		if (sb.len > SPOOL_MAX_FILE) {
			err_set(&why, "larger than %d bytes", SPOOL_MAX_FILE);
			goto refuse;
		}
	}
	if (n < 0) {
		err_set(&why, "%s", strerror(errno));
		goto later;
	}
	switch (spool_parse(&en->batch, sb.buf, sb.len, rules, &why)) {
	case 0:
		break;
	case -2:
		goto gone;
	default:
		goto refuse;
	}
	strbuf_release(&sb);
	en->fd = fd;
	return 1;
gone:
	if (fd >= 0)
		close(fd);
	strbuf_release(&sb);
	free(en->path);
	en->path = NULL;
	return 0;
later:
	if (fd >= 0)
		close(fd);
	strbuf_release(&sb);
	err_set(e, "cannot read '%s' now, so it stays for a later run: %s",
		en->path, why.msg);
	free(en->path);
	en->path = NULL;
	return -3;
refuse:
	if (fd >= 0)
		close(fd);
	strbuf_release(&sb);
	bad(e, en->path, &why);
	free(en->path);
	en->path = NULL;
	return -1;
}

void spool_entry_release(struct spool_entry *en)
{
	if (en->fd >= 0)
		close(en->fd);
	free(en->path);
	batch_release(&en->batch);
	memset(en, 0, sizeof(*en));
	en->fd = -1;
}

int spool_reject(struct spool *s, const char *name, char **moved_to,
		 struct err *e)
{
	char *dir = xasprintf("%s/%s", s->dir, REJECTED);
	char *from = xasprintf("%s/%s", s->dir, name);
	char *to = xasprintf("%s/%s", dir, name);
	int rc = 0;

	*moved_to = NULL;
	if (mkdir(dir, s->modes.dir & 0777) < 0 && errno != EEXIST)
		rc = err_set(e, "cannot create '%s': %s", dir, strerror(errno));
	else if (rename(from, to) < 0)
		rc = err_set(e, "cannot move '%s' aside: %s", from,
			     strerror(errno));
	if (rc == 0)
		*moved_to = to;
	else
		free(to);
	free(from);
	free(dir);
	return rc;
}
