#include "install.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The starting config. The token has two doors, so that the hook and an
 * admin's retry share one route: the variable a web server may set, else
 * a file that the hook's user can read, which the same user reads under
 * sudo, where the environment is gone.
 */
static char *starting_config(const char *token_file)
{
	return xasprintf(
	"; cf-purge-hook configuration, written by 'cf-purge-hook install'.\n"
	"; Every key is described in cf-purge-hook.ini.example and in\n"
	"; cf-purge-hook(1). Fill in zone_id and base_url, then run\n"
	"; 'cf-purge-hook check' in this folder.\n"
	"\n"
	"[cloudflare]\n"
	"; The zone's id: the zone's Overview page in Cloudflare's dashboard.\n"
	"; zone_id = 023e105f4ecef8ad9ca31a8372d0c353\n"
	"; The API token: from this environment variable when it is set,\n"
	"; else from this file, which the user the hook runs as reads (mode\n"
	"; 600, or 640 with a group that only the hook's users are in); admin\n"
	"; commands run as that user (sudo -u) read the same file.\n"
	"api_token_env = CF_API_TOKEN\n"
	"api_token_file = %s\n"
	"\n"
	"[site]\n"
	"; Where the site is served, and the folder of the repository that is\n"
	"; served there (empty: the top).\n"
	"; base_url = https://example.com\n"
	"root = public\n"
	"\n"
	"[hook]\n"
	"branches = main, master\n"
	"on_create = skip\n"
	"\n"
	"[ignore]\n"
	"paths = README.md, .github/**\n", token_file);
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* 1 when the file at path was written by this program. */
static int ours(const char *path)
{
	char buf[256];
	FILE *f = fopen(path, "r");
	size_t n;
	int found;

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	found = strstr(buf, INSTALL_MARKER) != NULL;
	return found;
}

static int write_file(const char *path, const char *text, mode_t mode,
		      struct err *e)
{
	char *tmp = xasprintf("%s.tmp%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	int rc = 0;

	if (!f) {
		rc = err_set(e, "cannot write '%s': %s", tmp, strerror(errno));
		free(tmp);
		return rc;
	}
	if (fputs(text, f) < 0 || fclose(f) != 0)
		rc = err_set(e, "cannot write '%s': %s", tmp, strerror(errno));
	else if (chmod(tmp, mode) < 0 || rename(tmp, path) < 0)
		rc = err_set(e, "cannot install '%s': %s", path,
			     strerror(errno));
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

int install_hook(struct install_result *out, const char *git_dir,
		 const char *self, const char *token_file, int force,
		 int config_only, struct err *e)
{
	struct strbuf script = STRBUF_INIT;
	char *dir, *config;
	struct stat st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (token_file[0] != '/' || strpbrk(token_file, "\r\n;#"))
		return err_set(e, "'--token-file' takes an absolute path "
			       "without line breaks, ';' or '#', not '%s'",
			       token_file);
	/*
	 * Gitolite installs the hooks of its repositories itself: there,
	 * only the config is wanted.
	 */
	if (config_only)
		goto config;
	dir = xasprintf("%scustom_hooks", git_dir);
	if (is_dir(dir)) {
		free(dir);
		dir = xasprintf("%scustom_hooks/post-receive.d", git_dir);
		out->layout = "GitLab server hooks";
	} else {
		free(dir);
		dir = xasprintf("%shooks/post-receive.d", git_dir);
		out->layout = is_dir(dir) ? "Gitea (post-receive.d)" : NULL;
	}
	if (out->layout) {
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			rc = err_set(e, "cannot create '%s': %s", dir,
				     strerror(errno));
			free(dir);
			return rc;
		}
		out->hook_path = xasprintf("%s/cf-purge-hook", dir);
	} else {
		out->layout = "plain git";
		out->hook_path = xasprintf("%shooks/post-receive", git_dir);
		free(dir);
		dir = xasprintf("%shooks", git_dir);
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			rc = err_set(e, "cannot create '%s': %s", dir,
				     strerror(errno));
			free(dir);
			return rc;
		}
	}
	free(dir);

	if (lstat(out->hook_path, &st) == 0) {
		if (!ours(out->hook_path) && !force)
			return err_set(e, "'%s' exists and was not written by "
				       "cf-purge-hook; to run both, rename it "
				       "to post-receive.old and write a "
				       "post-receive that runs it first, then "
				       "'cf-purge-hook hook', each with the same "
				       "standard input (examples/servers.md "
				       "shows one), or replace it with "
				       "'install --force'",
				       out->hook_path);
		out->replaced = 1;
		if (S_ISLNK(st.st_mode))
			unlink(out->hook_path);
	}
	strbuf_addstr(&script, "#!/bin/sh\n" INSTALL_MARKER "\n"
		      "# The API token: see [cloudflare] in "
		      "cf-purge-hook.ini.\nexec ");
	strbuf_add_sh_quoted(&script, self);
	strbuf_addstr(&script, " hook\n");
	rc = write_file(out->hook_path, script.buf, 0755, e);
	strbuf_release(&script);
	if (rc < 0)
		return -1;

config:
	out->config_path = xasprintf("%scf-purge-hook.ini", git_dir);
	if (access(out->config_path, F_OK) != 0) {
		config = starting_config(token_file);
		rc = write_file(out->config_path, config, 0644, e);
		free(config);
		if (rc < 0)
			return -1;
		out->wrote_config = 1;
	}
	return 0;
}

void install_result_release(struct install_result *r)
{
	free(r->hook_path);
	free(r->config_path);
	memset(r, 0, sizeof(*r));
}
