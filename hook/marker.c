#include "marker.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util/git.h"

/* git's output larger than this is cut: only its last line is shown. */
#define MAX_GIT_OUTPUT (256 * 1024)

/*
 * Runs git with argv (argv[0] is "git") in repo's git directory, its
 * standard output and error together in *out. Returns git's exit status,
 * or -1 when it could not be run at all (out then says why).
 */
static int run_git(git_repository *repo, const char *const *argv,
		   struct strbuf *out)
{
	const char *dir = git_repository_path(repo);
	int fds[2], status;
	char chunk[4096];
	ssize_t n;
	pid_t pid;

	strbuf_setlen(out, 0);
	if (pipe(fds) < 0) {
		strbuf_addf(out, "cannot run git: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		strbuf_addf(out, "cannot run git: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null >= 0)
			dup2(null, STDIN_FILENO);
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		/*
		 * A missing credential fails; nobody is there to type one.
		 * An HTTP remote that stalls for a minute fails too.
		 * NEEDSWORK: an SSH remote that stalls holds the job until
		 * the CI's own time-out.
		 */
		setenv("GIT_TERMINAL_PROMPT", "0", 1);
		setenv("GIT_HTTP_LOW_SPEED_LIMIT", "1", 0);
		setenv("GIT_HTTP_LOW_SPEED_TIME", "60", 0);
		if (chdir(dir) < 0)
			_exit(127);
		execvp("git", (char *const *)argv);
		fprintf(stderr, "cannot run git: %s\n", strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (out->len < MAX_GIT_OUTPUT)
			strbuf_add(out, chunk, (size_t)n);
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The last non-empty line of git's output, for a message. */
static void last_line(char *dst, size_t size, const struct strbuf *out)
{
	const char *s = strbuf_str(out), *end = s + out->len, *start;

	while (end > s && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	start = end;
	while (start > s && start[-1] != '\n')
		start--;
	if (start == end) {
		snprintf(dst, size, "git said nothing");
		return;
	}
	snprintf(dst, size, "%.*s", (int)(end - start), start);
}

static int git_failed(struct err *e, const char *what,
		      const struct strbuf *out)
{
	char line[512];

	last_line(line, sizeof(line), out);
	return err_set(e, "%s: %s", what, line);
}

void marker_init(struct marker *m, git_repository *repo, const char *branch)
{
	git_config *cfg = NULL;
	git_buf buf = GIT_BUF_INIT, url = GIT_BUF_INIT;
	char *key = xasprintf("branch.%s.remote", branch);
	int have_cfg;

	memset(m, 0, sizeof(*m));
	m->repo = repo;
	m->ref = xasprintf("refs/cf-purge-hook/heads/%s", branch);
	have_cfg = git_repository_config_snapshot(&cfg, repo) == 0;
	/*
	 * "origin" is found by its URL in the config: libgit2 1.5's
	 * git_remote_lookup() leaks the regular expression data it matches
	 * the config with.
	 */
	if (have_cfg && git_config_get_string_buf(&buf, cfg, key) == 0 &&
	    buf.size && strcmp(buf.ptr, "."))
		m->remote = xstrdup(buf.ptr);
	else if (have_cfg && git_config_get_string_buf(&url, cfg,
						      "remote.origin.url") == 0)
		m->remote = xstrdup("origin");
	/* Never an option to git, whatever the config says. */
	if (m->remote && m->remote[0] == '-') {
		free(m->remote);
		m->remote = NULL;
	}
	git_buf_dispose(&url);
	git_buf_dispose(&buf);
	git_config_free(cfg);
	free(key);
}

void marker_release(struct marker *m)
{
	free(m->remote);
	free(m->ref);
	memset(m, 0, sizeof(*m));
}

int marker_have_commit(git_repository *repo, const char *hex)
{
	git_oid oid;
	git_commit *c = NULL;

	if (!hex || !*hex || git_oid_fromstr(&oid, hex) < 0 ||
	    git_commit_lookup(&c, repo, &oid) < 0)
		return 0;
	git_commit_free(c);
	return 1;
}

int marker_is_at_or_past(git_repository *repo, const char *hex,
			 const char *ancestor)
{
	git_oid a, b;
	int rc;

	if (!strcmp(hex, ancestor))
		return 1;
	if (git_oid_fromstr(&a, hex) < 0 || git_oid_fromstr(&b, ancestor) < 0)
		return 0;
	/*
	 * libgit2 before 1.7 knows no shallow clones: its walk fails at
	 * the first parent the clone lacks (and 1.5 leaks on that path), so
	 * a shallow clone asks git itself, which stops there.
	 */
	if (!git_repository_is_shallow(repo)) {
		rc = git_graph_descendant_of(repo, &a, &b);
		if (rc >= 0)
			return rc == 1;
	}
	{
		const char *argv[] = { "git", "merge-base", "--is-ancestor",
				       ancestor, hex, NULL };
		struct strbuf out = STRBUF_INIT;

		rc = run_git(repo, argv, &out);
		strbuf_release(&out);
	}
	return rc == 0;
}

int marker_fetch_commit(git_repository *repo, const char *remote,
			const char *hex, struct err *e)
{
	const char *argv[] = { "git", "fetch", "--quiet", "--no-tags",
			       "--depth=1", remote, hex, NULL };
	struct strbuf out = STRBUF_INIT;
	int rc = 0;

	if (run_git(repo, argv, &out) != 0 || !marker_have_commit(repo, hex))
		rc = git_failed(e, "git fetch failed", &out);
	strbuf_release(&out);
	return rc;
}

/* Sets the local ref to hex, so that the clone shows the marker too. */
static void set_local(struct marker *m, const char *hex)
{
	git_reference *ref = NULL;
	git_oid oid;

	if (git_oid_fromstr(&oid, hex) == 0 &&
	    git_reference_create(&ref, m->repo, m->ref, &oid, 1,
				 "cf-purge-hook: marker") == 0)
		git_reference_free(ref);
}

/* ls-remote: m->hex is the remote's value, "" when it has no marker. */
static int ask_remote(struct marker *m, struct err *e)
{
	const char *argv[] = { "git", "ls-remote", "--refs", m->remote, m->ref,
			       NULL };
	struct strbuf out = STRBUF_INIT;
	const char *s;
	size_t len = strlen(m->ref);
	int rc = 0;

	m->hex[0] = '\0';
	if (run_git(m->repo, argv, &out) != 0) {
		rc = git_failed(e, "cannot read the purge marker", &out);
		goto out;
	}
	for (s = strbuf_str(&out); *s; s = strchr(s, '\n') ? strchr(s, '\n') + 1 :
	     s + strlen(s)) {
		if (strspn(s, "0123456789abcdef") == GIT_OID_HEXSZ &&
		    s[GIT_OID_HEXSZ] == '\t' &&
		    !strncmp(s + GIT_OID_HEXSZ + 1, m->ref, len) &&
		    (s[GIT_OID_HEXSZ + 1 + len] == '\n' ||
		     !s[GIT_OID_HEXSZ + 1 + len])) {
			memcpy(m->hex, s, GIT_OID_HEXSZ);
			m->hex[GIT_OID_HEXSZ] = '\0';
		}
	}
out:
	strbuf_release(&out);
	return rc;
}

int marker_read(struct marker *m, const char *known_old, struct err *e)
{
	struct strbuf out = STRBUF_INIT;
	char *spec;
	int rc = 0;

	m->read = 0;
	if (!m->remote)
		return err_set(e, "cannot read the purge marker: the clone has "
			       "no remote 'origin'");
	if (ask_remote(m, e) < 0)
		return -1;
	m->read = 1;
	if (!*m->hex || marker_have_commit(m->repo, m->hex)) {
		if (*m->hex)
			set_local(m, m->hex);
		return 0;
	}
	/*
	 * A marker that is the event's before is older than HEAD: its
	 * commit alone is enough to diff against. Any other may be newer
	 * (an older job finishing last): fetching its history down to what
	 * the clone has shows whether HEAD is below it, and costs only the
	 * commits between when it is.
	 * NEEDSWORK: a marker far behind HEAD in a shallow clone then
	 * fetches that marker's whole history.
	 */
	spec = xasprintf("+%s:%s", m->ref, m->ref);
	{
		const char *deep[] = { "git", "fetch", "--quiet", "--no-tags",
				       m->remote, spec, NULL };
		const char *shallow[] = { "git", "fetch", "--quiet",
					  "--no-tags", "--depth=1", m->remote,
					  spec, NULL };
		int old = known_old && !strcmp(known_old, m->hex);

		if (run_git(m->repo, old ? shallow : deep, &out) != 0 ||
		    !marker_have_commit(m->repo, m->hex)) {
			m->read = 0;
			rc = git_failed(e, "cannot fetch the purge marker",
					&out);
		}
	}
	free(spec);
	strbuf_release(&out);
	return rc;
}

/* One compare-and-swap: 0 done, 1 the lease failed, -1 another error. */
static int swap(struct marker *m, const char *hex, struct err *e)
{
	char *lease = xasprintf("--force-with-lease=%s:%s", m->ref, m->hex);
	char *spec = xasprintf("%s:%s", hex, m->ref);
	const char *argv[] = { "git", "push", "--porcelain", "--quiet",
			       "--no-verify", lease, m->remote, spec, NULL };
	struct strbuf out = STRBUF_INIT;
	int rc = 0;

	if (run_git(m->repo, argv, &out) != 0) {
		if (strstr(strbuf_str(&out), "stale info") ||
		    strstr(strbuf_str(&out), "[rejected]"))
			rc = 1;
		else
			rc = git_failed(e, "cannot write the purge marker",
					&out);
	}
	free(lease);
	free(spec);
	strbuf_release(&out);
	return rc;
}

int marker_write(struct marker *m, const char *hex, struct err *e)
{
	int tries;

	if (!m->remote)
		return err_set(e, "cannot write the purge marker: the clone "
			       "has no remote 'origin'");
	for (tries = 0; tries < 3; tries++) {
		int rc;

		if (*m->hex && marker_have_commit(m->repo, m->hex) &&
		    marker_is_at_or_past(m->repo, m->hex, hex))
			return strcmp(m->hex, hex) ? 1 : 0;
		rc = swap(m, hex, e);
		if (rc <= 0) {
			if (rc == 0) {
				memcpy(m->hex, hex, sizeof(m->hex));
				set_local(m, hex);
			}
			return rc;
		}
		/* It moved since it was read: where to? */
		if (marker_read(m, NULL, e) < 0)
			return -1;
		if (*m->hex && !marker_is_at_or_past(m->repo, m->hex, hex) &&
		    !marker_is_at_or_past(m->repo, hex, m->hex))
			return err_set(e, "the purge marker moved to %.12s, "
				       "which is neither before nor after "
				       "%.12s; it stays there", m->hex, hex);
	}
	return err_set(e, "the purge marker kept moving while this run tried "
		       "to move it; it stays at %.12s", m->hex);
}
