#include "deploy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../purge/libcurl.h"

/* The most of a page that is searched for the commit id. */
#define MAX_PAGE (2 * 1024 * 1024)
/* The longest wait between two polls of wait_url. */
#define MAX_POLL_INTERVAL 15.0

int deploy_push_option(enum push_purge *out, struct err *warning)
{
	const char *count = getenv("GIT_PUSH_OPTION_COUNT");
	long n, i;
	int rc = 0;

	*out = PUSH_PURGE_DEFAULT;
	if (!count || !*count)
		return 0;
	n = strtol(count, NULL, 10);
	for (i = 0; i < n && i < 1000; i++) {
		char name[64];
		const char *v;

		snprintf(name, sizeof(name), "GIT_PUSH_OPTION_%ld", i);
		v = getenv(name);
		if (!v || strncmp(v, "purge=", 6))
			continue;
		v += 6;
		if (!strcmp(v, "skip"))
			*out = PUSH_PURGE_SKIP;
		else if (!strcmp(v, "everything"))
			*out = PUSH_PURGE_EVERYTHING;
		else if (!strcmp(v, "dry-run"))
			*out = PUSH_PURGE_DRY_RUN;
		else {
			err_set(warning, "unknown push option 'purge=%.40s' "
				"left out (use purge=skip, purge=everything or "
				"purge=dry-run)", v);
			rc = 1;
		}
	}
	return rc;
}

static size_t on_page(char *ptr, size_t size, size_t nmemb, void *user)
{
	struct strbuf *sb = user;
	size_t n = size * nmemb;

	if (sb->len + n > MAX_PAGE)
		return 0;
	strbuf_add(sb, ptr, n);
	return n;
}

static int is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/*
 * 1 when page holds a run of 7 to 40 hex digits that starts the commit
 * id: the full id or an abbreviation of it, as deploy pages print them.
 */
static int page_names(const char *page, size_t len, const char *commit)
{
	size_t i = 0;

	while (i < len) {
		size_t j = i;

		if (!is_hex((unsigned char)page[i])) {
			i++;
			continue;
		}
		while (j < len && is_hex((unsigned char)page[j]))
			j++;
		if (j - i >= 7 && j - i <= 40) {
			size_t k;

			for (k = 0; k < j - i; k++)
				if ((page[i + k] | 0x20) != commit[k])
					break;
			if (k == j - i)
				return 1;
		}
		i = j;
	}
	return 0;
}

int deploy_wait_url(const char *url, const char *commit, double timeout,
		    struct err *e)
{
	double start = mono_now(), interval = 0.5;
	char last[256] = "no answer yet";
	const struct libcurl *lc;
	CURL *curl;

	if (libcurl_load(&lc, e) < 0)
		return -1;
	if (!(curl = lc->easy_init()))
		return err_set(e, "cannot initialise libcurl");
	lc->easy_setopt(curl, CURLOPT_URL, url);
	lc->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	lc->easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
	lc->easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
	lc->easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	lc->easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	lc->easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_page);
	for (;;) {
		struct strbuf page = STRBUF_INIT;
		double left = timeout - (mono_now() - start);
		long status = 0;
		CURLcode rc;

		lc->easy_setopt(curl, CURLOPT_WRITEDATA, &page);
		lc->easy_setopt(curl, CURLOPT_TIMEOUT_MS,
				 (long)(1000 * (left < 10 ? (left > 0.1 ? left : 0.1)
						: 10)));
		rc = lc->easy_perform(curl);
		lc->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		if (rc == CURLE_OK && status >= 200 && status < 300 &&
		    page_names(page.buf ? page.buf : "", page.len, commit)) {
			strbuf_release(&page);
			lc->easy_cleanup(curl);
			return 0;
		}
		if (rc != CURLE_OK)
			snprintf(last, sizeof(last), "%s",
				 lc->easy_strerror(rc));
		else
			snprintf(last, sizeof(last), "HTTP %ld without the "
				 "commit id", status);
		strbuf_release(&page);
		left = timeout - (mono_now() - start);
		if (left <= 0.05 || cfph_interrupted)
			break;
		/* The last poll comes when the time is up, not before. */
		sleep_seconds(interval < left ? interval : left);
		interval = interval * 2 > MAX_POLL_INTERVAL ? MAX_POLL_INTERVAL
							    : interval * 2;
	}
	lc->easy_cleanup(curl);
	if (cfph_interrupted)
		return err_set(e, "interrupted by a signal while waiting for "
			       "'%s' to show commit %.7s", url, commit);
	return err_set(e, "'%s' did not show commit %.7s within %.0f s (last: "
		       "%s)", url, commit, timeout, last);
}

/* Whether the open log fd is one this program must not write to. */
static int log_unsafe(int fd, const struct file_modes *modes)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & S_IWOTH))
		return 1;
	if (st.st_uid == geteuid())
		return 0;
	return !((modes->file & S_IWGRP) && (st.st_mode & S_IWGRP) &&
		 user_in_group(st.st_gid));
}

int deploy_detach(const char *log_path, const struct file_modes *modes,
		  struct err *e)
{
	int log_fd, null_fd, status, pipe_fd[2];
	int child_errno = 0;
	pid_t pid;

	/*
	 * Never through a symbolic link, and only a regular file of this
	 * user (or, in a shared repository, of its group) that no other user
	 * may write: in a folder others can write, the log could otherwise be
	 * pointed at a file this user must not append to.
	 */
	log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW |
		      O_NONBLOCK | O_NOCTTY | O_CLOEXEC, modes->file);
	if (log_fd < 0)
		return err_set(e, "cannot open the log '%s': %s", log_path,
			       errno == ELOOP ? "it is a symbolic link" :
			       strerror(errno));
	if (log_unsafe(log_fd, modes)) {
		close(log_fd);
		return err_set(e, "cannot use the log '%s': not a regular file "
			       "of this user, or another user may write it; "
			       "remove it or set [hook] log_file", log_path);
	}
	if (file_modes_fix(log_fd, log_path, modes, e) < 0) {
		close(log_fd);
		return -1;
	}
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0) {
		close(log_fd);
		return err_set(e, "cannot open /dev/null: %s", strerror(errno));
	}
	/* The child says through this pipe why the second fork failed. */
	if (pipe(pipe_fd) < 0) {
		close(log_fd);
		close(null_fd);
		return err_set(e, "cannot make a pipe: %s", strerror(errno));
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err_set(e, "cannot fork: %s", strerror(errno));
		goto fail;
	}
	if (pid > 0) {
		ssize_t n;

		/*
		 * The child leaves as soon as the grandchild exists; its exit
		 * status says whether it does, so that a failed second fork
		 * is not taken for a run in the background.
		 */
		close(pipe_fd[1]);
		pipe_fd[1] = -1;
		while (waitpid(pid, &status, 0) < 0) {
			if (errno != EINTR) {
				err_set(e, "cannot wait for the child: %s",
					strerror(errno));
				goto fail;
			}
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			close(pipe_fd[0]);
			close(log_fd);
			close(null_fd);
			return 1;
		}
		do
			n = read(pipe_fd[0], &child_errno, sizeof(child_errno));
		while (n < 0 && errno == EINTR);
		if (n != (ssize_t)sizeof(child_errno))
			child_errno = 0;
		err_set(e, "cannot fork the run in the background: %s",
			child_errno ? strerror(child_errno) :
			"the child did not start it");
		goto fail;
	}
	/* The child: a session of its own, then a grandchild that stays. */
	close(pipe_fd[0]);
	setsid();
	pid = fork();
	if (pid != 0) {
		if (pid < 0) {
			child_errno = errno;
			if (write(pipe_fd[1], &child_errno,
				  sizeof(child_errno)) < 0)
				_exit(1);
		}
		_exit(pid < 0 ? 1 : 0);
	}
	close(pipe_fd[1]);
	dup2(null_fd, STDIN_FILENO);
	dup2(log_fd, STDOUT_FILENO);
	dup2(log_fd, STDERR_FILENO);
	close(null_fd);
	close(log_fd);
	return 0;
fail:
	close(pipe_fd[0]);
	if (pipe_fd[1] >= 0)
		close(pipe_fd[1]);
	close(log_fd);
	close(null_fd);
	return -1;
}
