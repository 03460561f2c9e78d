/*
 * One run of the program, from ref updates to sent requests: the pipeline
 * that ties the stages together. main() only parses the command line and
 * turns the return values here into an exit status.
 */
#ifndef CFPH_RUN_H
#define CFPH_RUN_H

#include <git2.h>

#include "../mapping/change.h"
#include "../mapping/config.h"
#include "../mapping/plan.h"
#include "../purge/reply.h"

struct run_opts {
	const char *config_path;	/* -c, or NULL */
	const char *repo_path;		/* -C, or NULL */
	int dry_run;
	int json;
	int verbose;
	int quiet;
};

#define RUN_OPTS_INIT { NULL, NULL, 0, 0, 0, 0 }

/* What a run does with one ref update or range. */
enum range_action {
	RANGE_PURGE,		/* diff and purge what changed */
	RANGE_EVERYTHING,	/* a created branch with on_create = everything */
	RANGE_SKIP_CREATED,	/* a created branch with on_create = skip */
	RANGE_SKIP_DELETED,
	RANGE_SKIP_BRANCH,	/* a branch not in [hook] branches */
	RANGE_SKIP_NOT_BRANCH	/* a tag or another ref outside refs/heads/ */
};

struct range {
	char *ref;		/* owned; NULL for the range command */
	char old_hex[GIT_OID_HEXSZ + 1];	/* "" when created */
	char new_hex[GIT_OID_HEXSZ + 1];	/* "" when deleted */
	enum range_action action;
	size_t first_change;	/* this range's slice of run.changes */
	size_t n_changes;
};

/* What became of one request. */
struct outcome {
	int sent;		/* an answer arrived */
	struct cf_reply reply;
	char *transport_error;	/* owned; when no answer arrived */
};

struct run {
	struct run_opts opts;
	git_repository *repo;
	struct config config;
	int config_loaded;
	struct range *ranges;
	size_t n_ranges;
	struct change_list changes;
	struct plan plan;
	struct request_list requests;
	struct outcome *outcomes;	/* one per request once sent */
	size_t n_attempted;	/* requests for which sending was tried */
	size_t n_failed;
	double seconds;		/* time spent sending */
};

/* Exit statuses, as documented in the README. */
enum {
	RUN_OK = 0,
	RUN_FAILED = 1,		/* something that had to be purged was not */
	RUN_USAGE = 2		/* bad command line, config or input */
};

void run_init(struct run *r, const struct run_opts *opts);
void run_release(struct run *r);

/*
 * Each step returns 0, or -1 with e set; the caller decides the exit
 * status (every failure before sending is RUN_USAGE or RUN_FAILED as the
 * step's comment says).
 */

/* Opens the repository named by -C, by GIT_DIR, or found from the current
 * directory. A failure is RUN_USAGE. */
int run_open_repo(struct run *r, struct err *e);

/*
 * Loads the configuration from -c, $CF_PURGE_HOOK_CONFIG or the git
 * directory. A failure is RUN_USAGE; the problems are in r->config.errors
 * (e is set to the first).
 */
int run_load_config(struct run *r, struct err *e);

/* Reads post-receive lines from buf. Any bad line fails the whole input
 * (RUN_USAGE) so that nothing is purged on half a push. */
int run_add_hook_input(struct run *r, const char *buf, size_t len,
		       struct err *e);

/* Adds the range old..new, both revisions libgit2 parses (RUN_USAGE). */
int run_add_range(struct run *r, const char *old_rev, const char *new_rev,
		  struct err *e);

/* Diffs every range that purges, maps and plans (RUN_FAILED). */
int run_plan(struct run *r, struct err *e);

/*
 * Sends every request, going on after a failure so that one refusal never
 * blocks the rest. Returns 0 when all succeeded; -1 with e set otherwise
 * (RUN_FAILED; each failure is in r->outcomes).
 */
int run_send(struct run *r, struct err *e);

#endif
