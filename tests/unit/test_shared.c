#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "tests.h"
#include "../../hook/shared.h"

/*
 * Sets core.sharedRepository to value (NULL: unset) in repo and checks
 * what shared_modes_read makes of it: the modes, or an error (want_file
 * 0) that names the value.
 */
static void check_modes(git_repository *repo, const char *value,
			mode_t want_file, mode_t want_dir)
{
	struct file_modes m;
	git_config *cfg;
	struct err e;
	int rc;

	if (!CHECK(git_repository_config(&cfg, repo) == 0))
		return;
	if (value)
		CHECK(git_config_set_string(cfg, "core.sharedRepository",
					    value) == 0);
	else
		git_config_delete_entry(cfg, "core.sharedRepository");
	git_config_free(cfg);

	e.msg[0] = '\0';
	rc = shared_modes_read(&m, repo, &e);
	if (!want_file) {
		if (CHECK(rc < 0))
			CHECK(strstr(e.msg, value) != NULL);
		CHECK_INT(m.file, 0600);
		CHECK_INT(m.dir, 0700);
		return;
	}
	if (!CHECK(rc == 0)) {
		fprintf(stderr, "  core.sharedRepository '%s': %s\n",
			value ? value : "(unset)", e.msg);
		return;
	}
	CHECK_INT(m.file, want_file);
	CHECK_INT(m.dir, want_dir);
}

void test_shared(void)
{
	char dir[] = "/tmp/cfph-unit-shared.XXXXXX";
	git_repository *repo = NULL;
	char *cmd;

	if (!CHECK(mkdtemp(dir) != NULL))
		return;
	git_libgit2_init();
	if (CHECK(git_repository_init(&repo, dir, 1) == 0)) {
		check_modes(repo, NULL, 0600, 0700);
		check_modes(repo, "false", 0600, 0700);
		check_modes(repo, "umask", 0600, 0700);
		check_modes(repo, "0", 0600, 0700);
		check_modes(repo, "group", 0660, 02770);
		check_modes(repo, "true", 0660, 02770);
		check_modes(repo, "1", 0660, 02770);
		check_modes(repo, "yes", 0660, 02770);
		check_modes(repo, "all", 0664, 02775);
		check_modes(repo, "world", 0664, 02775);
		check_modes(repo, "everybody", 0664, 02775);
		check_modes(repo, "2", 0664, 02775);
		check_modes(repo, "0640", 0640, 02750);
		check_modes(repo, "0660", 0660, 02770);
		check_modes(repo, "0600", 0600, 0700);
		check_modes(repo, "0755", 0644, 02755);
		check_modes(repo, "0440", 0, 0);
		check_modes(repo, "sometimes", 0, 0);
	}
	git_repository_free(repo);
	git_libgit2_shutdown();
	cmd = xasprintf("rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
	free(cmd);
}
