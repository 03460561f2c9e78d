/*
 * One run of the program, from ref updates to sent requests: the pipeline
 * that ties the stages together. run.c opens, reads and plans; deliver.c
 * sends (run_send, run_totals, run_check_online). main() only parses the
 * command line and turns the return values here into an exit status.
 */
#ifndef CFPH_RUN_H
#define CFPH_RUN_H

#include <stdio.h>

#include <git2.h>

#include "../mapping/change.h"
#include "../mapping/config.h"
#include "../mapping/fold.h"
#include "../mapping/plan.h"
#include "../purge/batch.h"
#include "../purge/send.h"
#include "../purge/journal.h"
#include "../purge/spool.h"

struct run_opts {
	const char *config_path;	/* -c, or NULL */
	const char *repo_path;		/* -C, or NULL */
	int dry_run;
	int json;
	int verbose;
	int quiet;
	int force;
	const char *token_file;		/* install --token-file, or NULL */
	int config_only;		/* install --config-only */
};

#define RUN_OPTS_INIT { NULL, NULL, 0, 0, 0, 0, 0, NULL, 0 }

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
	int by_push_option;	/* RANGE_EVERYTHING from -o purge=everything */
	int gap;		/* from the purge marker (hook/hookmark.h) */
	size_t first_change;	/* this range's slice of run.changes */
	size_t n_changes;
};

struct built;
struct verify_result;

struct run {
	struct run_opts opts;
	/*
	 * The command as an admin would type it again ("retry", "check
	 * --online"), for advice in messages; borrowed, may be NULL.
	 */
	const char *command;
	git_repository *repo;
	/*
	 * The dir command and [site] served_dir (hook/dir.h): the
	 * built-output engine (built/built.h), whose repository holds the
	 * trees that the ranges' ids name instead of commits; NULL otherwise.
	 */
	struct built *dir;
	/*
	 * The folder of the config file run_load_config() read (owned), or
	 * NULL: the dir command keeps its state beside its config.
	 */
	char *config_home;
	/*
	 * The dir command's folders, for --json: DIR or NEW, and OLD or
	 * NULL; borrowed from argv.
	 */
	const char *dir_new, *dir_old;
	/*
	 * `verify --dir`: verify every file of the new trees, not only
	 * what changed since the old ones.
	 */
	int verify_whole;
	struct config config;
	int config_loaded;
	struct range *ranges;
	size_t n_ranges;
	struct change_list changes;
	struct plan plan;
	struct fold fold;		/* the folder prefixes chosen */
	struct batch_list batches;	/* this run's requests, in order */
	struct send_outcome *outcomes;	/* one per batch once sent */
	struct spool_claim spooled;	/* earlier runs' batches, resent first */
	struct send_outcome *spool_outcomes;	/* one per spooled batch */
	size_t spool_covered;	/* backlog items left out: this run sent or
				   keeps them itself (journal_cover) */
	char *spool_dir;		/* owned; absolute */
	struct spool spool;		/* the journal; dir NULL when unusable */
	struct file_modes modes;	/* for the spool (shared repositories) */
	char *zone_id;			/* owned; resolved from zone_name */
	/*
	 * Zone names of spooled batches that the config no longer names,
	 * looked up while sending: "name id", or "name " when the lookup
	 * failed. The client is borrowed during run_send only.
	 */
	struct strvec zone_cache;
	struct cf_client *client;
	double send_deadline;		/* monotonic; during run_send */
	char *send_error;		/* owned; why nothing could be sent */
	struct strvec tree_errors;	/* problems in pushed tree configs */
	/*
	 * Pairs of a branch ref and the commit its purge marker moves to once
	 * the run's purge is kept (hook/hookmark.h), taken before the served
	 * folder's range may replace the branches' own; empty until then.
	 */
	struct strvec mark_ends;
	int tree_rules;			/* a tree config layer mapped changes */
	char *plan_error;		/* owned; why planning refused */
	int deploy;			/* a hook or ci run: [hook] waits apply */
	enum { RUN_CI_NONE, RUN_CI_GITHUB, RUN_CI_GITLAB } ci;
	/*
	 * ci: the spool goes with the job, so what this run could not send
	 * is not kept there. owed_by says who purges it instead (the next
	 * run, from the purge marker), borrowed for the run's lifetime; when
	 * it is NULL, those items are lost and reported so.
	 */
	int spool_dies;
	const char *owed_by;
	int detached;			/* the hook handed the work to a
					   detached process, which is this */
	int sent;			/* run_send ran */
	/*
	 * Called once run_send has written every batch to the spool, and
	 * only then; may be NULL.
	 */
	void (*on_journaled)(struct run *r);
	void *kept;			/* borrowed; main's kept pushes */
	int holds_lock;			/* the hook's lock is this run's: no
					   other run moves a purge marker */
	int push_kept;			/* the spool failed: the kept push
					   itself stays, to be planned again */
	double seconds;			/* time spent sending */
	double sent_at;			/* wall-clock time run_send began */
	/* What verify and warm found (hook/verify_cmd.h); NULL when they
	   did not run. Owned. */
	struct verify_result *verify;
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

/*
 * Checks that the old commit of rg is in the repository. When it is not
 * (a shallow clone, or gone after a force push): with [hook]
 * on_missing_base = everything, rg then purges everything and 0 is
 * returned; otherwise -1 with e set. Never diffs against an empty tree.
 */
int run_check_base(struct run *r, struct range *rg, struct err *e);

/*
 * Adds a range between two trees of the repository that r->dir holds
 * (hook/dir.h, built/built.h). With old NULL, the range purges
 * everything.
 */
void run_add_tree_range(struct run *r, const git_oid *old,
			const git_oid *new_tree);

/* Adds the range old..new, both revisions libgit2 parses (RUN_USAGE). */
int run_add_range(struct run *r, const char *old_rev, const char *new_rev,
		  struct err *e);

/*
 * Diffs every range that purges, maps and plans: collapse and max_urls
 * included. With [hook] tree_config set, the new side of the changes
 * (added paths, the new side of a modification) maps with the pushed
 * commit's config layer and the old side (deleted paths, the old side of
 * a modification) with the old commit's; a commit without the file maps
 * with the server's config alone. A broken pushed tree config is noted
 * in r->tree_errors and left out: the new side maps with the server's
 * config (never with a purge of everything, which a pusher could
 * otherwise set off in every zone at will); a broken old one is only a
 * note, and the old side maps as the new side does. A key the tree may
 * not set is noted in r->tree_errors too, and only that key is left out.
 * Returns 0, or -1 with e set (RUN_FAILED).
 */
int run_plan(struct run *r, struct err *e);

/*
 * The configuration that the new commit of rg maps with under [hook]
 * tree_config: returns 0 when *tc holds the server's config combined
 * with the pushed layer (the caller releases it with config_release()),
 * 1 when the server's own applies (no tree_config, no such file, or a
 * broken one, whose problems run_plan() reported already).
 */
int run_tree_config(struct run *r, const struct range *rg,
		    struct config *tc);

/*
 * Maps paths as if they had changed, without a repository, appending to
 * out what explains each, then plans them all together. Returns 0, or -1
 * with e set when planning refuses (max_urls with fallback = fail).
 */
int run_explain(struct run *r, int n, char **paths, struct strvec *out,
		struct err *e);

/*
 * Writes this run's batches to the spool (the journal) before anything is
 * sent, sends them, then resends what earlier runs kept (none of this
 * run's batches for the retry command), going on after every failure so
 * that nothing blocks the rest; what is not confirmed stays in the spool.
 * A hook in the foreground sends for at most [hook] push_deadline seconds,
 * other runs for [cloudflare] deadline. Returns 0 when Cloudflare
 * confirmed everything; -1 with e set otherwise (RUN_FAILED; the details
 * are in r->outcomes and r->spool_outcomes).
 */
int run_send(struct run *r, struct err *e);

/*
 * Verify's second purge (hook/verify_cmd.h): turns the finished plan p
 * into requests for r's zones and writes each to the spool; with
 * keep_only set, leaves them there for 'retry' or the next run, and
 * otherwise sends them at once until deadline (monotonic), deleting
 * what Cloudflare confirms. Each problem (a refusal, a failure, a spool
 * that cannot be written) is appended to problems. Returns 0 when every
 * request was sent and confirmed (or, with keep_only, kept); -1
 * otherwise.
 */
int run_send_more(struct run *r, const struct plan *p, int keep_only,
		  double deadline, struct strvec *problems);

/*
 * Where a long step says how far it has come (util/progress.h): standard
 * error when it is a terminal, or in a hook or ci run (whose output a
 * person reads as it comes); NULL under --json or --quiet.
 */
FILE *run_progress(const struct run *r);

/* Totals over every outcome of the run. */
struct run_totals {
	size_t batches, attempts, sent, refused, spooled, lost;
};
void run_totals(const struct run *r, struct run_totals *t);

/*
 * Verifies the credentials (GET /user/tokens/verify for a token) and the
 * access to the zone, without purging. Each problem is appended to
 * problems. Returns 0 when all is well, -1 otherwise.
 */
int run_check_online(struct run *r, struct strvec *problems);

/*
 * Offline, what the hook would find at [cloudflare] api_token_file,
 * without reading the token: a file others may read, or no regular file,
 * is a problem (the hook refuses it); a file that is not there yet, or
 * that this user cannot see, is a warning. Returns 0, or -1 when a
 * problem was appended.
 */
int run_check_token_file(const struct run *r, struct strvec *problems,
			 struct strvec *warnings);

#endif
