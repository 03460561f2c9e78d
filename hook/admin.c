#include "admin.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The git directory without its trailing slash, as people write it. */
static char *repo_dir(const struct run *r)
{
	char *path = xstrdup(git_repository_path(r->repo));
	size_t len = strlen(path);

	if (len > 1 && path[len - 1] == '/')
		path[len - 1] = '\0';
	return path;
}

char *admin_owner(const struct run *r)
{
	struct passwd *pw;
	struct stat st;
	char *path;
	int ok;

	if (!r->repo)
		return NULL;
	path = repo_dir(r);
	ok = stat(path, &st) == 0;
	free(path);
	if (!ok)
		return NULL;
	pw = getpwuid(st.st_uid);
	return pw ? xstrdup(pw->pw_name) : xasprintf("%u", (unsigned)st.st_uid);
}

char *admin_sudo(const struct run *r)
{
	struct passwd *pw;
	struct stat st;
	const char *sudo_user = getenv("SUDO_USER");
	char *owner = admin_owner(r), *path, *out;
	int other;

	if (!owner)
		return xstrdup("");
	path = repo_dir(r);
	other = stat(path, &st) == 0 && st.st_uid != geteuid();
	free(path);
	/* sudo -u git cf-purge-hook install: the reader is SUDO_USER. */
	if (sudo_user && *sudo_user && strcmp(sudo_user, owner))
		other = 1;
	/*
	 * A hook for a push that came over the network: sshd sets
	 * SSH_CONNECTION, CGI (git http-backend) and git daemon set
	 * REMOTE_ADDR. Whoever acts on the remote: lines logs in as himself,
	 * not as the server's user.
	 */
	if (r->deploy && r->ci == RUN_CI_NONE &&
	    (getenv("SSH_CONNECTION") || getenv("REMOTE_ADDR")))
		other = 1;
	/* A numeric owner is what sudo -u takes as #UID. */
	pw = getpwnam(owner);
	out = !other ? xstrdup("") : pw ? xasprintf("sudo -u %s ", owner) :
	      xasprintf("sudo -u '#%s' ", owner);
	free(owner);
	return out;
}

char *admin_command(const struct run *r, const char *command)
{
	struct strbuf sb = STRBUF_INIT;
	char *sudo = admin_sudo(r);

	strbuf_addstr(&sb, sudo);
	strbuf_addstr(&sb, "cf-purge-hook");
	if (r->repo) {
		strbuf_addstr(&sb, " -C ");
		strbuf_add_sh_quoted(&sb, git_repository_path(r->repo));
	}
	if (r->opts.config_path) {
		strbuf_addstr(&sb, " -c ");
		strbuf_add_sh_quoted(&sb, r->opts.config_path);
	}
	strbuf_addch(&sb, ' ');
	strbuf_addstr(&sb, command);
	free(sudo);
	return strbuf_detach(&sb);
}
