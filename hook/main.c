/*
 * cf-purge-hook: purges from Cloudflare's cache exactly what a git push
 * changed. This file parses the command line and decides the exit status;
 * the work is done by run.c and the three stages it calls.
 */
#include <curl/curlver.h>
#include <getopt.h>
#include <grp.h>
#include <stdarg.h>
#include <signal.h>
#include <git2.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "ci.h"
#include "ci_base.h"
#include "ci_output.h"
#include "deploy.h"
#include "dir.h"
#include "hookmark.h"
#include "install.h"
#include "live.h"
#include "keep.h"
#include "kept.h"
#include "report.h"
#include "report_plan.h"
#include "report_json.h"
#include "run.h"
#include "shared.h"
#include "verify_cmd.h"
#include "../util/lock.h"
#include "../purge/libcurl.h"

#ifndef CFPH_VERSION
#define CFPH_VERSION "0.1.0"
#endif

/* Hook input larger than this is not git's. */
#define MAX_HOOK_INPUT (64u * 1024 * 1024)

static const char usage_text[] =
	"usage: cf-purge-hook [options] hook\n"
	"       cf-purge-hook [options] range OLD..NEW\n"
	"       cf-purge-hook [options] range OLD NEW\n"
	"       cf-purge-hook [options] dir OLD NEW\n"
	"       cf-purge-hook [options] dir DIR\n"
	"       cf-purge-hook [options] retry\n"
	"       cf-purge-hook [options] check [--online]\n"
	"       cf-purge-hook [options] explain PATH...\n"
	"       cf-purge-hook [options] ci\n"
	"       cf-purge-hook [options] verify OLD..NEW\n"
	"       cf-purge-hook [options] verify --dir DIR\n"
	"       cf-purge-hook [-C REPO] install [--force] [--token-file PATH]\n"
	"                                       [--config-only]\n"
	"\n"
	"Purges from Cloudflare's cache the URLs that changed between two\n"
	"commits. 'hook' reads post-receive lines '<old> <new> <ref>' from\n"
	"standard input; installed as hooks/post-receive, the program runs\n"
	"as 'hook' by itself. Requests that cannot be sent are kept in a\n"
	"spool; every run resends them first, and 'retry' resends them now.\n"
	"'check' validates the configuration; with --online it also checks\n"
	"the credentials and the zone with Cloudflare, without purging.\n"
	"'explain' shows what each path would purge, and why. 'ci' takes the\n"
	"range from a GitHub Actions push event or a GitLab CI pipeline.\n"
	"'dir OLD NEW' purges what differs between two folders of built\n"
	"files; 'dir DIR' what changed in DIR since the last run for it.\n"
	"'install' makes this program the post-receive hook of a bare\n"
	"repository and writes a starting configuration.\n"
	"'verify' asks the site for the URLs a range (or every file of DIR)\n"
	"is served at and checks that they serve what was deployed, purging\n"
	"again what is stale.\n"
	"\n"
	"options:\n"
	"  -c, --config FILE   configuration (default: $CF_PURGE_HOOK_CONFIG,\n"
	"                      else cf-purge-hook.ini in the git directory)\n"
	"  -C, --repo DIR      repository (default: $GIT_DIR, else found from\n"
	"                      the current directory)\n"
	"  -n, --dry-run       show what would be sent; no network access\n"
	"      --json          print one JSON object on standard output\n"
	"  -v, --verbose       list every changed path and purged item\n"
	"  -q, --quiet         print errors only\n"
	"      --online        with 'check': ask Cloudflare too\n"
	"      --force         with 'install': replace another post-receive\n"
	"      --token-file PATH  with 'install': the token file the starting\n"
	"                      config names (default " INSTALL_TOKEN_FILE ")\n"
	"      --config-only   with 'install': the starting config only, for\n"
	"                      servers that install hooks themselves (Gitolite)\n"
	"      --dir           with 'verify': DIR is a folder of built files\n"
	"  -h, --help          show this help\n"
	"      --version       show the version\n"
	"\n"
	"The API token is read from the environment variable named by\n"
	"[cloudflare] api_token_env (default CF_API_TOKEN) when it is set,\n"
	"else from the file named by api_token_file; never from the command\n"
	"line.\n"
	"\n"
	"exit status: 0 when everything was purged (or planned, in a dry run),\n"
	"1 when something that had to be purged was not (it is then refused\n"
	"or spooled, as the messages say), 2 for a bad command line,\n"
	"configuration or input.\n";

static int usage_error(const char *fmt, const char *arg)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, fmt, arg);
	strbuf_addstr(&sb, "; see 'cf-purge-hook --help'");
	report_error(stderr, sb.buf);
	strbuf_release(&sb);
	return RUN_USAGE;
}

/*
 * Every message goes through report.c's sanitiser: a message may quote a
 * pushed tree's config or a server's answer, whose control characters
 * must not reach the terminal or the log.
 */
static void print_error(const char *msg)
{
	report_error(stderr, msg);
}

/* print_error() of a formatted message. */
static void CFPH_PRINTF(1, 2) say(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	print_error(sb.buf);
	strbuf_release(&sb);
}

/*
 * run_open_repo, and when it fails because libgit2 (like git since 2.35.2)
 * refuses a repository that another user owns, a message that says so
 * and what to do, instead of libgit2's own: as root without a global git
 * config that is "config value 'safe.directory' was not found".
 */
static int open_repo(struct run *r, const char *command, struct err *e)
{
	struct passwd *pw;
	struct stat st;
	struct err again;
	const char *where;
	char *path, *owner;
	size_t len;
	int validating = 1;

	if (run_open_repo(r, e) == 0)
		return 0;
	if (git_libgit2_opts(GIT_OPT_GET_OWNER_VALIDATION, &validating) < 0 ||
	    !validating)
		return -1;
	/* Would it open without the check? Then ownership was the cause. */
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	if (run_open_repo(r, &again) < 0) {
		git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 1);
		return -1;
	}
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 1);
	where = git_repository_workdir(r->repo) ?
		git_repository_workdir(r->repo) : git_repository_path(r->repo);
	path = xstrdup(where);
	len = strlen(path);
	if (len > 1 && path[len - 1] == '/')
		path[len - 1] = '\0';
	pw = stat(path, &st) == 0 ? getpwuid(st.st_uid) : NULL;
	owner = pw ? xstrdup(pw->pw_name) :
		stat(path, &st) == 0 ? xasprintf("%u", (unsigned)st.st_uid) :
		xstrdup("another user");
	pw = getpwuid(geteuid());
	err_set(e, "cannot open the repository '%s': it belongs to '%s', not "
		"to '%s', and git's safe.directory check refuses it; run admin "
		"commands as the repository's owner (usually the user the "
		"hook runs as): sudo -u %s cf-purge-hook -C '%s' %s; or trust "
		"it for this "
		"user: git config --global --add safe.directory '%s'", path,
		owner, pw ? pw->pw_name : "this user", owner, path, command,
		path);
	free(owner);
	free(path);
	git_repository_free(r->repo);
	r->repo = NULL;
	return -1;
}

static int read_all(struct strbuf *sb, FILE *f, struct err *e)
{
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (sb->len + n > MAX_HOOK_INPUT)
			return err_set(e, "malformed hook input: more than "
				       "%u bytes on standard input",
				       MAX_HOOK_INPUT);
		strbuf_add(sb, chunk, n);
	}
	if (ferror(f))
		return err_set(e, "cannot read standard input");
	return 0;
}

/* Splits "A..B" into two revisions; "A...B" means from their merge base. */
static int add_range_arg(struct run *r, int argc, char **argv, struct err *e)
{
	const char *dots;
	char *old_rev;
	int rc;

	if (argc == 2)
		return run_add_range(r, argv[0], argv[1], e);
	if (argc != 1)
		return err_set(e, "'range' takes OLD..NEW or OLD NEW");
	dots = strstr(argv[0], "..");
	if (!dots || dots[2] == '.' || dots == argv[0] || !dots[2])
		return err_set(e, "'range' takes OLD..NEW or OLD NEW, not "
			       "'%s'", argv[0]);
	old_rev = xstrndup(argv[0], (size_t)(dots - argv[0]));
	rc = run_add_range(r, old_rev, dots + 2, e);
	free(old_rev);
	return rc;
}

static int print_config_errors(const struct run *r, const struct err *e)
{
	size_t i;

	if (!r->config.errors.n)
		print_error(e->msg);
	for (i = 0; i < r->config.errors.n; i++)
		print_error(r->config.errors.v[i]);
	return RUN_USAGE;
}

static int finish(struct run *r, int status)
{
	if (r->opts.json && report_json(stdout, r) < 0) {
		print_error("cannot write to standard output");
		if (status == RUN_OK)
			status = RUN_FAILED;
	}
	report_summary(stdout, stderr, r);
	verify_report(stderr, r);
	return status;
}

/* The verify command's report: its JSON and lines alone, no purge's. */
static int finish_verify(struct run *r, int status)
{
	if (r->opts.json && report_json(stdout, r) < 0) {
		print_error("cannot write to standard output");
		if (status == RUN_OK)
			status = RUN_FAILED;
	}
	verify_report(stderr, r);
	return status;
}

static int check_command(struct run *r, int online)
{
	struct strvec problems = STRVEC_INIT, warnings = STRVEC_INIT;
	const struct config *c = &r->config;
	size_t i;
	int rc;

	/*
	 * root must be a folder: when the repository is the config's own
	 * (-C, or the config in its git directory), look at HEAD. A
	 * repository without commits yet has nothing to look at.
	 */
	if (r->repo && *c->root && (r->opts.repo_path ||
	    (!r->opts.config_path && !getenv("CF_PURGE_HOOK_CONFIG")))) {
		git_object *tree = NULL;
		git_tree_entry *te = NULL;

		if (git_revparse_single(&tree, r->repo, "HEAD^{tree}") == 0 &&
		    (git_tree_entry_bypath(&te, (git_tree *)tree, c->root) < 0 ||
		     git_tree_entry_type(te) != GIT_OBJECT_TREE))
			strvec_pushf(&problems, "cannot read '%s': [site] root "
				     "'%s' is not a folder at HEAD", c->path,
				     c->root);
		git_tree_entry_free(te);
		git_object_free(tree);
		if (problems.n) {
			print_error(problems.v[0]);
			strvec_clear(&problems);
			return RUN_USAGE;
		}
	}
	if (run_check_token_file(r, &problems, &warnings) < 0) {
		for (i = 0; i < problems.n; i++)
			print_error(problems.v[i]);
		strvec_clear(&problems);
		strvec_clear(&warnings);
		return RUN_USAGE;
	}
	/* Warnings leave the exit status alone; --quiet hides them. */
	for (i = 0; !r->opts.quiet && i < c->warnings.n; i++)
		say("warning: %s",
			c->warnings.v[i]);
	for (i = 0; !r->opts.quiet && i < warnings.n; i++)
		say("warning: %s", warnings.v[i]);
	strvec_clear(&warnings);
	if (online && run_check_online(r, &problems) < 0) {
		for (i = 0; i < problems.n; i++)
			print_error(problems.v[i]);
		strvec_clear(&problems);
		return RUN_FAILED;
	}
	strvec_clear(&problems);
	if (r->opts.quiet)
		return RUN_OK;
	rc = printf("cf-purge-hook: '%s' is valid: zone %s, %s at %s%s, "
		    "%zu [map] %s, %zu [ignore] %s, %zu more %s%s\n", c->path,
		    c->zone_id ? c->zone_id : c->zone_name,
		    *c->root ? c->root : "the top", c->base_urls.v[0],
		    c->base_urls.n > 1 ? " and more" : "", c->n_maps,
		    c->n_maps == 1 ? "section" : "sections", c->ignore.n,
		    c->ignore.n == 1 ? "pattern" : "patterns", c->n_zones,
		    c->n_zones == 1 ? "zone" : "zones",
		    !online ? "" : c->n_zones ? "; the credentials and every "
		    "zone work" : "; the credentials and the zone work");
	return rc < 0 ? RUN_FAILED : RUN_OK;
}

/* After the ranges are known (lv says whence): wait, plan, send, report. */
static int plan_and_send(struct run *r, const struct live *lv)
{
	struct err e;
	size_t i;
	int rc, ready, wait_failed = 0;

	ready = live_prepare(r, lv, &wait_failed, stderr);
	if (ready == LIVE_UNREADABLE)
		return RUN_FAILED;
	if (run_plan(r, &e) < 0) {
		report_ranges(stderr, r);
		print_error(e.msg);
		r->plan_error = xstrdup(e.msg);
		return RUN_FAILED;
	}
	report_ranges(stderr, r);
	for (i = 0; i < r->tree_errors.n; i++)
		print_error(r->tree_errors.v[i]);
	rc = r->tree_errors.n || wait_failed ? RUN_FAILED : RUN_OK;
	if (r->opts.dry_run)
		return finish(r, rc);
	if (ready == LIVE_LATER && live_wait(r, lv, stderr) < 0)
		rc = RUN_FAILED;
	if (run_send(r, &e) < 0)
		rc = RUN_FAILED;
	/* dir DIR, served_dir: the folder's tree is the state once safe. */
	if (r->dir && dir_record(r, &e) < 0) {
		print_error(e.msg);
		rc = RUN_FAILED;
	}
	if (verify_after_send(r) != RUN_OK)
		rc = RUN_FAILED;
	return finish(r, rc);
}

static int explain_command(struct run *r, int argc, char **argv)
{
	struct strvec out = STRVEC_INIT;
	struct strbuf counts = STRBUF_INIT;
	struct err e;
	size_t i;
	int rc = RUN_OK;

	if (run_explain(r, argc, argv, &out, &e) < 0) {
		print_error(e.msg);
		rc = RUN_FAILED;
	}
	for (i = 0; i < out.n; i++)
		printf("%s\n", out.v[i]);
	report_plan_counts(&counts, &r->plan);
	printf("after planning: %s in %zu %s\n",
	       counts.len ? counts.buf : "nothing", r->batches.n,
	       r->batches.n == 1 ? "request" : "requests");
	for (i = 0; i < r->plan.notes.n; i++)
		printf("  %s\n", r->plan.notes.v[i]);
	for (i = 0; i < r->batches.n; i++) {
		const struct batch *b = &r->batches.v[i];
		char *body = batch_body_text(b);

		printf("  zone %s: %s\n", b->zone_id ? b->zone_id :
		       b->zone_name ? b->zone_name : "?", body);
		free(body);
	}
	strvec_clear(&out);
	strbuf_release(&counts);
	if (fflush(stdout) != 0)
		rc = RUN_FAILED;
	return rc;
}

/*
 * What install tells the admin after writing a starting config: how to
 * make the token file it names for the user the hook runs as (the
 * repository's owner), and the check and retry commands as that user.
 */
static void install_say_token(struct run *r, const struct install_result *res)
{
	const char *file = r->opts.token_file ? r->opts.token_file :
			   INSTALL_TOKEN_FILE;
	char *owner = admin_owner(r), *dir = xstrdup(file), *slash;
	char *check = admin_command(r, "check");
	char *online = admin_command(r, "check --online");
	char *retry = admin_command(r, "retry");
	struct passwd *pw = owner ? getpwnam(owner) : NULL;
	struct group *gr = pw ? getgrgid(pw->pw_gid) : NULL;

	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = '\0';
	printf("cf-purge-hook: wrote a starting config to '%s'; fill in "
	       "zone_id and base_url, then run: %s\n", res->config_path,
	       check);
	printf("cf-purge-hook: the hook reads the API token from "
	       "CF_API_TOKEN in its environment when the server sets it, "
	       "else from '%s'; make that file as root, readable by '%s' "
	       "alone: install -d -m 755 '%s' && install -m 600 -o '%s' -g "
	       "'%s' /dev/null '%s', then write the token in it on one line "
	       "(a file for several users: examples/servers.md)\n", file,
	       owner ? owner : "the hook's user", dir,
	       owner ? owner : "USER", gr ? gr->gr_name : "GROUP", file);
	printf("cf-purge-hook: then, as the user the hook runs as: %s; a "
	       "purge that was kept is sent with: %s\n", online, retry);
	free(owner);
	free(dir);
	free(check);
	free(online);
	free(retry);
}

static int install_command(struct run *r)
{
	struct install_result res;
	struct err e;
	char self[4096];
	ssize_t n;

	if (open_repo(r, "install", &e) < 0) {
		print_error(e.msg);
		return RUN_USAGE;
	}
	/* The hook runs this very binary, wherever it is installed. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		print_error("cannot tell where this program is (/proc/self/exe)");
		return RUN_FAILED;
	}
	self[n] = '\0';
	if (install_hook(&res, git_repository_path(r->repo), self,
			 r->opts.token_file ? r->opts.token_file :
			 INSTALL_TOKEN_FILE, r->opts.force, r->opts.config_only,
			 &e) < 0) {
		print_error(e.msg);
		install_result_release(&res);
		return RUN_FAILED;
	}
	if (res.hook_path)
		printf("cf-purge-hook: %s '%s' (%s)\n", res.replaced ?
		       "replaced" : "installed", res.hook_path, res.layout);
	/* Even the first push to each branch is then covered. */
	if (shared_modes_read(&r->modes, r->repo, &e) < 0)
		print_error(e.msg);
	r->modes.dir &= ~(mode_t)S_IWOTH;
	n = hookmark_start(r, &e);
	if (n < 0)
		print_error(e.msg);
	else if (n > 0)
		printf("cf-purge-hook: set the purge marker of %zd %s at %s "
		       "tip (refs/cf-purge-hook/heads/), so that a push that "
		       "no run keeps is purged by the next\n", n,
		       n == 1 ? "branch" : "branches", n == 1 ? "its" : "their");
	if (res.wrote_config)
		install_say_token(r, &res);
	else
		printf("cf-purge-hook: the config is '%s' (left as it is); the "
		       "hook reads the API token as [cloudflare] says there "
		       "(examples/servers.md)\n", res.config_path);
	install_result_release(&res);
	return RUN_OK;
}

/*
 * Adds the pushes that earlier runs kept (hook/kept.h) to this run, and
 * says so.
 */
static void add_kept_pushes(struct run *r, struct keep *k)
{
	struct strvec notes = STRVEC_INIT, problems = STRVEC_INIT;
	size_t i;

	kept_add_to_run(r, k, &notes, &problems);
	for (i = 0; !r->opts.quiet && i < notes.n; i++)
		print_error(notes.v[i]);
	for (i = 0; i < problems.n; i++)
		print_error(problems.v[i]);
	strvec_clear(&notes);
	strvec_clear(&problems);
}

/* Tells the pusher where the push is kept, and how it will be purged. */
static void say_kept(const struct keep *k)
{
	if (k && k->paths.n)
		say("the push is kept in '%s'; once "
			"the cause is fixed, the next push or 'cf-purge-hook "
			"retry' purges it", k->paths.v[0]);
}

/*
 * The hook, once its input is read: push options, then detaching when
 * configured, then the lock that serialises pushes, then the pipeline.
 */
static int hook_command(struct run *r, struct keep *k)
{
	/* The push's own ranges; the kept pushes are added after them. */
	struct live lv = { LIVE_PUSH, r->n_ranges, 0 };
	enum push_purge opt;
	struct err e;
	char *path;
	int fd, rc;

	r->deploy = 1;
	if (deploy_push_option(&opt, &e) > 0)
		say("warning: %s; purging as usual", e.msg);
	/* What the pusher chose not to purge is owed to no later run. */
	if (opt == PUSH_PURGE_SKIP) {
		print_error("push option purge=skip: purging nothing");
		keep_done(k);
		hookmark_advance(r);
		return RUN_OK;
	}
	if (opt == PUSH_PURGE_DRY_RUN) {
		print_error("push option purge=dry-run: showing the plan, "
			    "purging nothing");
		r->opts.dry_run = 1;
		keep_done(k);
		hookmark_advance(r);
	}
	if (opt == PUSH_PURGE_EVERYTHING) {
		int any = 0;
		size_t i;

		for (i = 0; i < r->n_ranges; i++)
			if (r->ranges[i].action == RANGE_PURGE ||
			    r->ranges[i].action == RANGE_SKIP_CREATED) {
				r->ranges[i].action = RANGE_EVERYTHING;
				r->ranges[i].by_push_option = 1;
				any = 1;
			}
		print_error(any ? "push option purge=everything: purging "
			    "everything" : "push option purge=everything: no "
			    "pushed branch purges, so nothing is purged");
	}
	if (r->config.detach && !r->opts.dry_run) {
		path = r->config.log_file ? xstrdup(r->config.log_file) :
		       xasprintf("%scf-purge-hook.log",
				 git_repository_path(r->repo));
		rc = deploy_detach(path, &r->modes, &e);
		if (rc == 1) {
			if (!r->opts.quiet)
				say("purging in the "
					"background; the log is '%s'", path);
			free(path);
			return RUN_OK;
		}
		free(path);
		if (rc < 0) {
			print_error(e.msg);
			print_error("purging now instead, in the foreground");
		} else {
			time_t t = time(NULL);
			char when[64];

			r->detached = 1;
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
				 gmtime(&t));
			say("%s: detached run for "
				"%zu %s", when, r->n_ranges,
				r->n_ranges == 1 ? "ref" : "refs");
		}
	}
	fd = -1;
	if (!r->opts.dry_run) {
		path = xasprintf("%scf-purge-hook.lock",
				 git_repository_path(r->repo));
		fd = lock_take(path, &r->modes, r->config.lock_timeout,
				 r->opts.quiet ? NULL : stderr, &e);
		free(path);
		if (fd == LOCK_TAKE_TIMEOUT) {
			/* The push itself is kept: nothing is lost. */
			print_error(e.msg);
			say_kept(k);
			return RUN_FAILED;
		}
		if (fd < 0)
			print_error(e.msg);
		r->holds_lock = fd >= 0;
		add_kept_pushes(r, k);
		hookmark_add_gaps(r, 0);
	}
	rc = plan_and_send(r, &lv);
	if (fd >= 0)
		close(fd);
	if (rc != RUN_OK && keep_held(k))
		say_kept(k);
	return rc;
}

/*
 * ci: the range from the CI's push event, checked against the clone, then
 * the same pipeline as the hook.
 */
static int ci_command(struct run *r)
{
	struct live lv = { LIVE_PUSH, 0, 0 };
	struct ci_event ci;
	struct ci_state st = CI_STATE_INIT;
	struct strvec early = STRVEC_INIT, late = STRVEC_INIT;
	/*
	 * Under --json, standard output holds the JSON document and nothing
	 * else (ci --dry-run --json > plan.json); the CI's own lines go to
	 * standard error, which both CIs show in the job's log too.
	 */
	FILE *out = r->opts.json ? stderr : stdout;
	const char *gh = getenv("GITHUB_ACTIONS");
	int github = gh && !strcmp(gh, "true");
	struct err e;
	int rc, printed = 0;

	if (ci_detect(&ci, &e) < 0)
		goto refuse;
	if (ci.dry_run_only && !r->opts.dry_run) {
		if (!r->opts.quiet)
			print_error("a merge-request pipeline or pull request: "
				    "showing the plan only (nothing is "
				    "deployed yet)");
		r->opts.dry_run = 1;
	}
	/*
	 * A CI job's checkout often belongs to another user than the job's
	 * (a container running as root over a mounted workspace), which
	 * libgit2 refuses since 1.5. The checkout is the job's own: trust it.
	 */
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	if (run_open_repo(r, &e) < 0)
		goto refuse;
	if (run_load_config(r, &e) < 0) {
		print_config_errors(r, &e);
		printed = 1;
		goto refuse;
	}
	r->ci = ci.kind == CI_GITHUB ? RUN_CI_GITHUB : RUN_CI_GITLAB;
	r->deploy = 1;
	rc = ci_base_prepare(&st, r, &ci, &e);
	/* Said once, at once; in the summary, after the run's own part. */
	if (st.marker_problem)
		strvec_pushf(&early, "cannot use the purge marker: %s; this "
			     "run purges the event's range only, and what it "
			     "cannot purge is lost with the job; to fix it, %s",
			     st.marker_problem, ci_marker_fix(&ci));
	ci_output_warnings(out, github, &early, CI_WARN_LOG);
	if (rc < 0)
		goto refuse;
	if (rc == CI_DONE) {
		ci_output_early(out, github, r->opts.json, st.status, st.reason,
				st.marker.hex, r->opts.quiet);
		ci_output_warnings(out, github, &early, CI_WARN_SUMMARY);
		ci_output_write(st.status, NULL, st.marker_ok ?
				st.marker.hex : "");
		rc = RUN_OK;
		goto out;
	}
	if (run_add_hook_input(r, st.line, strlen(st.line), &e) < 0 ||
	    run_check_base(r, &r->ranges[0], &e) < 0)
		goto refuse;
	lv.n_own = r->n_ranges;
	rc = plan_and_send(r, &lv);
	ci_base_finish(&st, r, &ci, rc, &late);
	if (rc == RUN_FAILED && r->config.ci_fail_job_off) {
		strvec_push(&late, "not everything was purged (see above); "
			    "the job stays green because [ci] fail_job = "
			    "false");
		rc = RUN_OK;
	}
	ci_report(out, r, rc == RUN_OK && st.status == CI_STATUS_FAILED ?
		  RUN_FAILED : rc);
	ci_output_warnings(out, github, &early, CI_WARN_SUMMARY);
	ci_output_warnings(out, github, &late, CI_WARN_LOG | CI_WARN_SUMMARY);
	ci_output_marker_line(github, &st);
	ci_output_write(st.status, r, st.marker_ok ? st.marker.hex : "");
	goto out;

refuse:
	ci_output_early(out, github, r->opts.json, CI_STATUS_REFUSED, e.msg, "",
			printed);
	ci_output_warnings(out, github, &early, CI_WARN_SUMMARY);
	ci_output_write(CI_STATUS_REFUSED, NULL, "");
	rc = RUN_USAGE;
out:
	strvec_clear(&early);
	strvec_clear(&late);
	ci_state_release(&st);
	ci_event_release(&ci);
	return rc;
}

static int run_command(struct run *r, const char *command, int argc,
		       char **argv, int online, int verify_dir)
{
	struct strbuf input = STRBUF_INIT;
	struct keep keep = KEEP_INIT;
	struct live lv = LIVE_INIT;
	struct err e;
	int rc, lock_fd = -1, is_hook = !strcmp(command, "hook");

	int is_dir = !strcmp(command, "dir");
	int is_verify = !strcmp(command, "verify");
	int repo_optional = !strcmp(command, "check") ||
			    !strcmp(command, "explain") || is_dir ||
			    (is_verify && verify_dir);

	int is_ci = !strcmp(command, "ci");

	r->command = online ? "check --online" : command;

	if (!strcmp(command, "install")) {
		if (argc)
			return usage_error("unexpected argument '%s'", argv[0]);
		return install_command(r);
	}
	if (r->opts.force)
		return usage_error("%s", "--force goes with 'install' only");
	if (r->opts.token_file || r->opts.config_only)
		return usage_error("%s", r->opts.token_file ? "--token-file "
				   "goes with 'install' only" : "--config-only "
				   "goes with 'install' only");

	if (strcmp(command, "hook") && strcmp(command, "range") &&
	    strcmp(command, "retry") && strcmp(command, "check") &&
	    strcmp(command, "explain") && !is_ci && !is_dir && !is_verify)
		return usage_error("unknown command '%s'", command);
	if (verify_dir && !is_verify)
		return usage_error("%s", "--dir goes with 'verify' only");
	if (is_verify && verify_dir && argc != 1)
		return usage_error("%s", "'verify --dir' takes one folder");
	if (is_dir && argc != 1 && argc != 2)
		return usage_error("%s", "'dir' takes DIR, or OLD NEW (two "
				   "folders)");
	if (!strcmp(command, "explain") && !argc)
		return usage_error("%s", "'explain' takes one or more paths");
	if (online && strcmp(command, "check"))
		return usage_error("%s", "--online goes with 'check' only");
	if ((is_hook || is_ci || !strcmp(command, "retry") ||
	     !strcmp(command, "check")) && argc)
		return usage_error("unexpected argument '%s'", argv[0]);
	if (is_ci)
		return ci_command(r);
	if (is_hook) {
		if (isatty(STDIN_FILENO)) {
			print_error("'hook' reads '<old> <new> <ref>' lines "
				    "from standard input, as git gives them "
				    "to post-receive; to purge by hand, use "
				    "'cf-purge-hook range OLD..NEW'");
			return RUN_USAGE;
		}
		if (read_all(&input, stdin, &e) < 0) {
			strbuf_release(&input);
			print_error(e.msg);
			return RUN_USAGE;
		}
		/*
		 * Inside a post-receive hook, git has already decided to
		 * trust the repository (safe.directory) and runs the hook
		 * with GIT_DIR set: trust the one it names, or pushes through
		 * git http-backend or git daemon as another user than the
		 * repository's owner go unpurged. The hook needs no
		 * user-level git config either, and under `git daemon
		 * --user` HOME is often the starting user's, which the hook
		 * cannot read: let libgit2 look for none.
		 */
		git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
		git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH,
				 GIT_CONFIG_LEVEL_GLOBAL, "");
		git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH,
				 GIT_CONFIG_LEVEL_XDG, "");
		git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH,
				 GIT_CONFIG_LEVEL_SYSTEM, "");
		git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH,
				 GIT_CONFIG_LEVEL_PROGRAMDATA, "");
	}

	/* check and explain work without a repository, given a config. */
	if (open_repo(r, command, &e) < 0 &&
	    (!repo_optional || (!r->opts.config_path &&
				!getenv("CF_PURGE_HOOK_CONFIG")))) {
		strbuf_release(&input);
		print_error(e.msg);
		return RUN_USAGE;
	}
	/* dir leaves alone a repository that is not the site's. */
	if (is_dir)
		dir_drop_unrelated_repo(r);
	/*
	 * The push is kept before anything else can fail, so that a broken
	 * config or a killed run loses nothing (hook/keep.h).
	 */
	/*
	 * What the lock, the log, the spool and the kept pushes are made
	 * with: in a shared repository, what git's own files are.
	 */
	if (r->repo && shared_modes_read(&r->modes, r->repo, &e) < 0)
		say("warning: %s; making the files of this program private "
		    "to this user", e.msg);
	/*
	 * core.sharedRepository = 0666 or 0777 lets any user write git's
	 * files; the spool and the kept pushes would then be refused as
	 * untrusted. They stay within the group.
	 */
	r->modes.file &= ~(mode_t)S_IWOTH;
	r->modes.dir &= ~(mode_t)S_IWOTH;
	if ((is_hook || !strcmp(command, "retry")) && r->repo &&
	    keep_open(&keep, git_repository_path(r->repo), &r->modes,
		      &e) < 0)
		print_error(e.msg);
	if (is_hook && keep.dir && !r->opts.dry_run &&
	    kept_write_push(&keep, input.buf, input.len, &e) < 0)
		print_error(e.msg);
	if (run_load_config(r, &e) < 0) {
		strbuf_release(&input);
		rc = r->config_loaded ? print_config_errors(r, &e) :
		     (print_error(e.msg), RUN_USAGE);
		if (is_hook)
			say_kept(&keep);
		keep_release(&keep);
		return rc;
	}
	if (!strcmp(command, "check"))
		return check_command(r, online);
	if (!strcmp(command, "explain"))
		return explain_command(r, argc, argv);

	rc = 0;
	if (is_hook)
		rc = run_add_hook_input(r, input.buf, input.len, &e);
	if (is_hook && rc == 0) {
		strbuf_release(&input);
		rc = hook_command(r, &keep);
	} else if (is_hook) {
		/* Not git's input: nothing in it can ever be purged. */
		if (keep.paths.n)
			keep_reject(&keep, 0, e.msg, &r->tree_errors);
		strvec_clear(&r->tree_errors);
	} else if (!strcmp(command, "range") || (is_verify && !verify_dir)) {
		rc = add_range_arg(r, argc, argv, &e);
	} else if (is_verify) {
		rc = verify_add_dir(r, argv[0], &e);
	} else if (is_dir) {
		rc = argc == 2 ? dir_compare(r, argv[0], argv[1], &e) :
		     dir_command(r, argv[0], &e);
	} else if (!strcmp(command, "retry") && !r->opts.dry_run) {
		/*
		 * The hook's lock, so that a retry (from cron, say) does not
		 * resend the batches of a push that is sending them.
		 */
		if (r->repo) {
			char *path = xasprintf("%scf-purge-hook.lock",
					       git_repository_path(r->repo));

			lock_fd = lock_take(path, &r->modes,
					      r->config.lock_timeout,
					      r->opts.quiet ? NULL : stderr, &e);
			free(path);
			if (lock_fd == LOCK_TAKE_TIMEOUT) {
				print_error(e.msg);
				strbuf_release(&input);
				keep_release(&keep);
				return RUN_FAILED;
			}
			if (lock_fd < 0)
				print_error(e.msg);
			r->holds_lock = lock_fd >= 0;
		}
		add_kept_pushes(r, &keep);
		hookmark_add_gaps(r, 1);
		lv.kind = LIVE_KEPT;
		lv.kept_at = keep_newest(&keep);
	}
	strbuf_release(&input);
	if (rc < 0) {
		keep_release(&keep);
		print_error(e.msg);
		return rc == BUILT_BUSY ? RUN_FAILED : RUN_USAGE;
	}
	if (is_verify)
		rc = finish_verify(r, verify_on_demand(r));
	else if (!is_hook)
		rc = plan_and_send(r, &lv);
	if (cfph_interrupted) {
		print_error("interrupted by a signal: what was not confirmed "
			    "stays in the spool for 'cf-purge-hook retry'");
		rc = RUN_FAILED;
	}
	keep_release(&keep);
	if (lock_fd >= 0)
		close(lock_fd);
	return rc;
}

static void on_signal(int sig)
{
	(void)sig;
	cfph_interrupted = 1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "repo", required_argument, NULL, 'C' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'J' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "online", no_argument, NULL, 'O' },
		{ "force", no_argument, NULL, 'F' },
		{ "token-file", required_argument, NULL, 'T' },
		{ "config-only", no_argument, NULL, 'G' },
		{ "dir", no_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 }
	};
	struct run_opts opts = RUN_OPTS_INIT;
	const char *self = strrchr(argv[0], '/');
	const char *command;
	struct run r;
	int ch, status, online = 0, verify_dir = 0;

	self = self ? self + 1 : argv[0];
	while ((ch = getopt_long(argc, argv, "c:C:nvqh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			opts.config_path = optarg;
			break;
		case 'C':
			opts.repo_path = optarg;
			break;
		case 'n':
			opts.dry_run = 1;
			break;
		case 'J':
			opts.json = 1;
			break;
		case 'v':
			opts.verbose = 1;
			break;
		case 'q':
			opts.quiet = 1;
			break;
		case 'O':
			online = 1;
			break;
		case 'F':
			opts.force = 1;
			break;
		case 'T':
			opts.token_file = optarg;
			break;
		case 'G':
			opts.config_only = 1;
			break;
		case 'D':
			verify_dir = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return RUN_OK;
		case 'V':
			/*
			 * The libcurl version is the one built against:
			 * libcurl is only loaded to send (purge/libcurl.h),
			 * and showing the version is no reason to load it.
			 */
			printf("cf-purge-hook %s (libgit2 %s, built with "
			       "libcurl %s)\n", CFPH_VERSION, LIBGIT2_VERSION,
			       LIBCURL_VERSION);
			return RUN_OK;
		default:
			fputs("see 'cf-purge-hook --help'\n", stderr);
			return RUN_USAGE;
		}
	}
	if (opts.verbose && opts.quiet)
		return usage_error("%s", "--verbose and --quiet contradict each other");

	if (!strcmp(self, "post-receive")) {
		command = "hook";
	} else if (optind < argc) {
		command = argv[optind++];
	} else {
		fputs(usage_text, stderr);
		return RUN_USAGE;
	}

	/*
	 * SIGTERM and SIGINT stop the sending, and the run ends with its
	 * journal intact; a pusher who hangs up must not kill the hook
	 * through a write to its standard error.
	 */
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		signal(SIGPIPE, SIG_IGN);
	}
	git_libgit2_init();
	/*
	 * Each tree is read once and freed after its walk; libgit2's object
	 * cache would only keep them all alive (2.5 times git's memory on a
	 * 10,000-file diff).
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
	/*
	 * By default libgit2 hashes every object it reads again to check
	 * its id: a third of the instructions of a 10,000-file diff. git
	 * leaves that to fsck, and so do we: a damaged object still fails
	 * zlib's own checksum, and the repository is the server's own.
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	run_init(&r, &opts);
	status = run_command(&r, command, argc - optind, argv + optind, online,
			     verify_dir);
	run_release(&r);
	libcurl_release();
	git_libgit2_shutdown();
	return status;
}
