#include "shared.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/util.h"
#include "../util/git.h"

static void set_modes(struct file_modes *out, mode_t file)
{
	out->file = file;
	/* Folders: x wherever there is r, as git's adjust_shared_perm. */
	out->dir = file | ((file & 0444) >> 2);
	if (file & 0070)
		out->dir |= S_ISGID;
}

int shared_modes_read(struct file_modes *out, git_repository *repo,
		      struct err *e)
{
	static const struct file_modes private_modes = FILE_MODES_PRIVATE;
	git_config *cfg = NULL;
	const char *v;
	char *end;
	long n;
	int b, rc = 0;

	*out = private_modes;
	if (git_repository_config_snapshot(&cfg, repo) < 0)
		return err_set(e, "cannot read the repository's config: %s",
			       git_message());
	if (git_config_get_string(&v, cfg, "core.sharedrepository") < 0)
		goto out;	/* Unset: private. */
	if (!strcasecmp(v, "umask") || !strcasecmp(v, "false"))
		goto out;
	if (!strcasecmp(v, "group") || !strcasecmp(v, "true")) {
		set_modes(out, 0660);
		goto out;
	}
	if (!strcasecmp(v, "all") || !strcasecmp(v, "world") ||
	    !strcasecmp(v, "everybody")) {
		set_modes(out, 0664);
		goto out;
	}
	errno = 0;
	n = strtol(v, &end, 8);
	if (*v && !*end && !errno) {
		if (n == 0)
			goto out;
		if (n == 1 || n == 2) {
			set_modes(out, n == 1 ? 0660 : 0664);
			goto out;
		}
		if (n < 0 || n > 07777 || (n & 0600) != 0600) {
			rc = err_set(e, "core.sharedRepository '%.20s' "
				     "does not give the owner read and write "
				     "access, as git requires", v);
			goto out;
		}
		/* As git: the x bits are for folders only. */
		set_modes(out, (mode_t)(n & 0666));
		goto out;
	}
	if (git_config_parse_bool(&b, v) == 0) {
		if (b)
			set_modes(out, 0660);
		goto out;
	}
	rc = err_set(e, "core.sharedRepository '%.40s' is none of false, "
		     "umask, group, true, all, world, everybody or an octal "
		     "mode", v);
out:
	git_config_free(cfg);
	return rc;
}
