#include "spool.h"

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

static int make_dir(const char *dir, struct err *e)
{
	char *copy = xstrdup(dir), *p;

	for (p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0700) < 0 && errno != EEXIST) {
			err_set(e, "cannot create '%s': %s", copy,
				strerror(errno));
			free(copy);
			return -1;
		}
		*p = '/';
	}
	free(copy);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return err_set(e, "cannot create '%s': %s", dir,
			       strerror(errno));
	return 0;
}

static void iso_time(char *buf, size_t len, double t)
{
	time_t secs = (time_t)t;
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static double parse_iso_time(const char *s)
{
	struct tm tm;
	char z = 0;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 ||
	    z != 'Z')
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
static int write_atomic(const char *dir, const char *path, const char *text,
			struct err *e)
{
	char *tmp = xasprintf("%s.tmp", path);
	size_t len = strlen(text), done = 0;
	int fd, dfd, rc = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err_set(e, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
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
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

int spool_write(const char *dir, const struct batch *b, char **path_out,
		struct err *e)
{
	static unsigned seq;
	struct timespec ts;
	char *path, *text;
	int rc;

	if (path_out)
		*path_out = NULL;
	if (make_dir(dir, e) < 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* Names sort by time, so that the oldest batch is resent first. */
	path = xasprintf("%s/%lld.%09ld-%ld-%u%s", dir, (long long)ts.tv_sec,
			 ts.tv_nsec, (long)getpid(), seq++, SPOOL_SUFFIX);
	text = spool_text(b);
	rc = write_atomic(dir, path, text, e);
	free(text);
	if (rc == 0 && path_out)
		*path_out = path;
	else
		free(path);
	return rc;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

/* Reads and parses the locked file into en->batch. */
static int load_entry(struct spool_entry *en, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	char chunk[8192];
	ssize_t n;
	cJSON *root = NULL, *v;
	int rc = -1;

	while ((n = read(en->fd, chunk, sizeof(chunk))) > 0)
		strbuf_add(&sb, chunk, (size_t)n);
	if (n < 0) {
		err_set(e, "%s", strerror(errno));
		goto out;
	}
	root = cJSON_ParseWithLength(sb.buf, sb.len);
	if (!cJSON_IsObject(root)) {
		err_set(e, "not a JSON object");
		goto out;
	}
	if (batch_from_body(&en->batch,
			    cJSON_GetObjectItemCaseSensitive(root, "body"), e) < 0)
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(root, "zone_id");
	if (cJSON_IsString(v))
		en->batch.zone_id = xstrdup(v->valuestring);
	v = cJSON_GetObjectItemCaseSensitive(root, "zone_name");
	if (cJSON_IsString(v))
		en->batch.zone_name = xstrdup(v->valuestring);
	if (!en->batch.zone_id && !en->batch.zone_name) {
		err_set(e, "no zone_id or zone_name");
		batch_release(&en->batch);
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "first_planned");
	if (cJSON_IsString(v))
		en->batch.first_planned = parse_iso_time(v->valuestring);
	v = cJSON_GetObjectItemCaseSensitive(root, "attempts");
	if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e6)
		en->batch.attempts = (int)v->valuedouble;
	v = cJSON_GetObjectItemCaseSensitive(root, "last_error");
	if (cJSON_IsString(v))
		en->batch.last_error = xstrdup(v->valuestring);
	rc = 0;
out:
	cJSON_Delete(root);
	strbuf_release(&sb);
	return rc;
}

/*
 * Opens and locks path. Returns 1 when this process now holds it, 0 when
 * another process does or the file is gone, -1 on an error.
 */
static int lock_file(const char *path, int *fd_out)
{
	struct stat a, b;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*fd_out = -1;
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return errno == EWOULDBLOCK ? 0 : -1;
	}
	/*
	 * Another run may have sent and deleted the file between our open
	 * and our lock: only the file still at path counts.
	 */
	if (fstat(fd, &a) < 0 || stat(path, &b) < 0 || a.st_ino != b.st_ino ||
	    a.st_dev != b.st_dev) {
		close(fd);
		return 0;
	}
	*fd_out = fd;
	return 1;
}

int spool_claim(struct spool_claim *out, const char *dir, struct err *e)
{
	struct strvec names = STRVEC_INIT;
	struct dirent *de;
	DIR *d;
	size_t i;

	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return err_set(e, "cannot read the spool '%s': %s", dir,
			       strerror(errno));
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && ends_with(de->d_name, SPOOL_SUFFIX))
			strvec_push(&names, de->d_name);
	closedir(d);
	strvec_sort_unique(&names);

	for (i = 0; i < names.n; i++) {
		struct spool_entry en;
		struct err le;
		int got;

		memset(&en, 0, sizeof(en));
		en.path = xasprintf("%s/%s", dir, names.v[i]);
		got = lock_file(en.path, &en.fd);
		if (got <= 0) {
			if (got < 0)
				strvec_pushf(&out->problems, "cannot open "
					     "'%s': %s", en.path,
					     strerror(errno));
			free(en.path);
			continue;
		}
		if (load_entry(&en, &le) < 0) {
			strvec_pushf(&out->problems, "cannot read '%s': %s",
				     en.path, le.msg);
			close(en.fd);
			free(en.path);
			continue;
		}
		if (out->n == out->alloc) {
			out->alloc = out->alloc ? out->alloc * 2 : 8;
			out->v = xrealloc(out->v, out->alloc * sizeof(*out->v));
		}
		out->v[out->n++] = en;
	}
	strvec_clear(&names);
	return 0;
}

int spool_entry_done(struct spool_entry *en, struct err *e)
{
	int rc = 0;

	if (en->fd < 0)
		return 0;
	if (unlink(en->path) < 0 && errno != ENOENT)
		rc = err_set(e, "cannot delete '%s': %s", en->path,
			     strerror(errno));
	close(en->fd);
	en->fd = -1;
	return rc;
}

int spool_entry_update(struct spool_entry *en, struct err *e)
{
	char *text = spool_text(&en->batch);
	char *dir = xstrdup(en->path);
	char *slash = strrchr(dir, '/');
	int rc;

	if (slash)
		*slash = '\0';
	/*
	 * The new file replaces the locked one, whose lock stays with the old
	 * inode: from here on another run may claim the new file, so this run
	 * lets go of the entry at once.
	 */
	rc = write_atomic(slash ? dir : ".", en->path, text, e);
	close(en->fd);
	en->fd = -1;
	free(text);
	free(dir);
	return rc;
}

void spool_claim_release(struct spool_claim *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (c->v[i].fd >= 0)
			close(c->v[i].fd);
		free(c->v[i].path);
		batch_release(&c->v[i].batch);
	}
	free(c->v);
	strvec_clear(&c->problems);
	memset(c, 0, sizeof(*c));
}

size_t spool_count(const char *dir)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && ends_with(de->d_name, SPOOL_SUFFIX))
			n++;
	closedir(d);
	return n;
}
