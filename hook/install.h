/*
 * The install command: makes this program the post-receive hook of a
 * bare repository, in the layout the server uses, and writes a starting
 * configuration when there is none.
 */
#ifndef CFPH_INSTALL_H
#define CFPH_INSTALL_H

#include "../util/util.h"

/* The first line after "#!/bin/sh" of every hook this program writes. */
#define INSTALL_MARKER "# Written by cf-purge-hook install."

struct install_result {
	char *hook_path;	/* owned: the file written */
	const char *layout;	/* "plain git", "Gitea", "GitLab" */
	char *config_path;	/* owned: where the config goes */
	int wrote_config;	/* a starting config was written */
	int replaced;		/* an earlier hook was replaced */
};

/* Where the starting config says the token file is, unless told. */
#define INSTALL_TOKEN_FILE "/etc/cf-purge-hook/token"

/*
 * Installs into the git directory git_dir (with a trailing slash) a hook
 * that runs the program at self as 'self hook', and, when there is none,
 * a starting config whose [cloudflare] names CF_API_TOKEN and the
 * absolute path token_file. A post-receive that this program did not
 * write is left alone (returns -1 with e saying how to chain it) unless
 * force is set. With config_only, only the config is written (hook_path
 * and layout stay NULL). Returns 0, or -1 with e set.
 */
int install_hook(struct install_result *out, const char *git_dir,
		 const char *self, const char *token_file, int force,
		 int config_only, struct err *e);

void install_result_release(struct install_result *r);

#endif
