/*
 * Delivery, the second half of run.h: where the journal lives, the
 * credentials and the zones, and run_send, which writes every batch to the
 * journal before sending it, sends this run's batches and then the
 * backlog, and settles each. run.c plans; this file sends.
 */
#include "run.h"
#include "zone.h"
#include "admin.h"
#include "../built/built.h"
#include "../purge/client.h"
#include "../util/progress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* An API token file larger than this is not a token. */
#define MAX_TOKEN_FILE 4096

/*
 * Where the spool lives: [cloudflare] spool_dir, or the git directory. A
 * relative spool_dir is taken from the git directory, so that the hook and
 * a retry run from anywhere find the same folder; for dir without a
 * repository (hook/dir.h), from the config's folder, and without
 * spool_dir it is the folder spool in the state.
 */
static int spool_dir(struct run *r, struct err *e)
{
	const char *dir = r->config.spool_dir;

	if (r->spool_dir)
		return 0;
	if (dir && dir[0] == '/')
		r->spool_dir = xstrdup(dir);
	else if (!r->repo && !dir && r->dir && built_state_dir(r->dir))
		r->spool_dir = xasprintf("%s/spool", built_state_dir(r->dir));
	else if (!r->repo && dir && r->dir && r->config_home)
		/* dir without a repository: beside the config, as its state. */
		r->spool_dir = xasprintf("%s/%s", r->config_home, dir);
	else if (!r->repo)
		return err_set(e, "no spool: set [cloudflare] spool_dir to an "
			       "absolute path or run inside the repository");
	else if (dir)
		r->spool_dir = xasprintf("%s%s", git_repository_path(r->repo),
					 dir);
	else
		r->spool_dir = xasprintf("%scf-purge-hook-spool",
					 git_repository_path(r->repo));
	/* Printed in messages and read by people: no trailing slash. */
	while (strlen(r->spool_dir) > 1 &&
	       r->spool_dir[strlen(r->spool_dir) - 1] == '/')
		r->spool_dir[strlen(r->spool_dir) - 1] = '\0';
	return 0;
}

/*
 * Reads the API token file, refusing one that others (not the owner, not
 * the group) may read. Returns
 * the token (the caller wipes and frees it), or NULL with e set.
 */
static char *read_token_file(const char *path, struct err *e)
{
	char buf[MAX_TOKEN_FILE + 1];
	struct stat st;
	ssize_t n;
	size_t len = 0;
	char *tok;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		err_set(e, "cannot read the API token file '%s': %s", path,
			strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		err_set(e, "the API token file '%s' is not a regular file",
			path);
		return NULL;
	}
	/*
	 * The group may read it: one file, in a group of their own, serves
	 * the users of a shared repository (git over SSH, www-data over
	 * HTTP).
	 */
	if (st.st_mode & 007) {
		close(fd);
		err_set(e, "the API token file '%s' may be read by others "
			"(mode %03o); run: chmod 600 '%s' (or 640, with a group "
			"that only the hook's users are in)", path,
			(unsigned)(st.st_mode & 0777), path);
		return NULL;
	}
	while (len < MAX_TOKEN_FILE &&
	       (n = read(fd, buf + len, MAX_TOKEN_FILE - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
		       buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		buf[--len] = '\0';
	tok = *buf ? xstrdup(buf) : NULL;
	wipe_string(buf);
	if (!tok)
		err_set(e, "the API token file '%s' is empty", path);
	return tok;
}

/*
 * Adds to e, for an admin command (retry, range, check --online) that
 * found no token, where the hook gets it and how to use the same: an admin
 * who runs as himself, or under sudo (which drops the environment), does
 * not have the server's environment.
 */
static void explain_admin_token(struct run *r, struct err *e)
{
	const struct config *c = &r->config;
	char *cmd, *msg;

	if (r->deploy)
		return;
	/* A command that takes no arguments can be printed again whole. */
	if (r->command && (!strcmp(r->command, "retry") ||
			   !strcmp(r->command, "check --online")))
		cmd = admin_command(r, r->command);
	else
		cmd = xstrdup("the same command");
	msg = xstrdup(e->msg);
	if (c->api_token_file)
		err_set(e, "%s; the hook reads it %s%s%sfrom the file '%s' as "
			"the user it runs as: run this command as that user, "
			"with the same config: %s", msg,
			c->api_token_env ? "from '" : "",
			c->api_token_env ? c->api_token_env : "",
			c->api_token_env ? "' in its environment, else " : "",
			c->api_token_file, cmd);
	else
		err_set(e, "%s; the hook reads it from '%s' in the server's "
			"environment (SetEnv, fastcgi_param, the service's "
			"environment), which this command does not have: name "
			"a file that the hook's user alone can read in '%s' "
			"([cloudflare] api_token_file, beside api_token_env), so "
			"that the hook and this command read the same, then run: "
			"%s", msg, c->api_token_env, c->path, cmd);
	free(msg);
	free(cmd);
}

/*
 * Makes a client with the configured credentials: the legacy key, or the
 * token from the variable api_token_env names when it is set, else from
 * api_token_file. Returns 0, or -1 with e set when a credential is
 * missing or unreadable.
 */
static int make_client(struct run *r, struct cf_client **client,
		       struct err *e)
{
	const struct config *c = &r->config;
	struct cf_auth auth = { NULL, NULL, NULL };
	const char *env = c->api_token_env ? getenv(c->api_token_env) : NULL;
	char *file_token = NULL;
	int rc;

	*client = NULL;
	if (c->email) {
		auth.email = c->email;
		auth.key = getenv(c->api_key_env);
		if (!auth.key || !*auth.key)
			return err_set(e, "no API key: '%s' is not set in the "
				       "environment of this program (see "
				       "[cloudflare] api_key_env in '%s')",
				       c->api_key_env, c->path);
	} else if (env && *env) {
		auth.token = env;
	} else if (c->api_token_file) {
		struct err fe;

		file_token = read_token_file(c->api_token_file, &fe);
		if (!file_token) {
			/* A file that is there but unsafe or empty says so. */
			if (!strstr(fe.msg, "cannot read"))
				return err_set(e, "%s", fe.msg);
			if (c->api_token_env)
				err_set(e, "no API token: '%s' is not set in the "
					"environment of this program, and %s",
					c->api_token_env, fe.msg);
			else
				err_set(e, "no API token: %s", fe.msg);
			explain_admin_token(r, e);
			return -1;
		}
		auth.token = file_token;
	} else {
		err_set(e, "no API token: '%s' is not set in the environment "
			"of this program; set it (see [cloudflare] "
			"api_token_env in '%s')", c->api_token_env, c->path);
		explain_admin_token(r, e);
		return -1;
	}
	rc = cf_client_new(client, c->api_url, &auth, c->ca_bundle, e);
	if (rc < 0 && strstr(e->msg, "control character")) {
		/* Where the credential came from, never the credential. */
		char *msg = xstrdup(e->msg);

		err_set(e, "%s (from %s '%s'); write it again without line "
			"breaks", msg, file_token ? "the file" :
			"the environment variable", c->email ? c->api_key_env :
			file_token ? c->api_token_file : c->api_token_env);
		free(msg);
	}
	wipe_string(file_token);
	free(file_token);
	return rc;
}

/* Resolves [cloudflare] zone_name to a zone id, once a run. */
static int resolve_zone(struct run *r, struct cf_client *client,
			double deadline, struct err *e)
{
	double left = deadline - mono_now();

	if (r->zone_id || !r->config.zone_name)
		return 0;
	if (left <= 0)
		return err_set(e, "cannot look up zone '%s': the run's deadline "
			       "passed", r->config.zone_name);
	return zone_lookup(&r->zone_id, client, r->config.zone_name,
			   left < r->config.timeout ? left : r->config.timeout,
			   e);
}

/* The zone ids a spool file may name: the config's, and the looked-up one. */
static void known_zones(const struct run *r, struct strvec *ids)
{
	size_t i;

	if (r->config.zone_id)
		strvec_push(ids, r->config.zone_id);
	if (r->zone_id)
		strvec_push(ids, r->zone_id);
	for (i = 0; i < r->config.n_zones; i++)
		strvec_push(ids, r->config.zones[i].zone_id);
}

static int zone_known(const struct run *r, const char *id)
{
	struct strvec ids = STRVEC_INIT;
	size_t i;
	int found = 0;

	known_zones(r, &ids);
	for (i = 0; i < ids.n; i++)
		found |= !strcmp(ids.v[i], id);
	strvec_clear(&ids);
	return found;
}

/*
 * Fills in the zone id where a batch has only the name: the config's own
 * zone_name, once looked up. A batch spooled with the name of a zone that
 * the config now names by id (it switched to zone_id) is looked up by its
 * name, once a run and within the run's deadline; the id that comes back
 * must be one the config names, or the batch is refused: a spool file
 * must not steer the token to another zone. With a token that may not
 * list zones the lookup fails, and the batch waits, saying why. Returns
 * 0, or -1 with e set when the batch must not be sent.
 */
static int set_zone(struct run *r, struct batch *b, struct err *e)
{
	struct err le;
	char *id = NULL;
	double left = r->send_deadline - mono_now();
	size_t i, n;

	if (b->zone_id || !b->zone_name)
		return 0;
	if (r->config.zone_name &&
	    !strcasecmp(b->zone_name, r->config.zone_name)) {
		if (r->zone_id)
			b->zone_id = xstrdup(r->zone_id);
		return 0;
	}
	n = strlen(b->zone_name);
	for (i = 0; i < r->zone_cache.n; i++)
		if (!strncasecmp(r->zone_cache.v[i], b->zone_name, n) &&
		    r->zone_cache.v[i][n] == ' ')
			break;
	if (i == r->zone_cache.n) {
		if (!r->client || left <= 0)
			return 0;
		if (zone_lookup(&id, r->client, b->zone_name,
				left < r->config.timeout ? left :
				r->config.timeout, &le) < 0)
			strvec_pushf(&r->spooled.problems, "%s; what the spool "
				     "keeps for zone '%s' waits until its id "
				     "is known", le.msg, b->zone_name);
		strvec_pushf(&r->zone_cache, "%s %s", b->zone_name,
			     id ? id : "");
		free(id);
	}
	id = r->zone_cache.v[i < r->zone_cache.n ? i :
			     r->zone_cache.n - 1] + n + 1;
	if (!*id)
		return 0;
	if (!zone_known(r, id))
		return err_set(e, "zone '%s' is %s, which the configuration "
			       "does not name", b->zone_name, id);
	b->zone_id = xstrdup(id);
	return 0;
}

static int fix_zone(void *ctx, struct batch *b, struct err *e)
{
	return set_zone(ctx, b, e);
}

static void print_notice(void *ctx, const char *msg)
{
	const struct run *r = ctx;

	if (!r->opts.quiet)
		fprintf(stderr, "cf-purge-hook: %s\n", msg);
}

int run_send(struct run *r, struct err *e)
{
	struct cf_client *client = NULL;
	struct sender s;
	struct progress pg;
	struct strvec ids = STRVEC_INIT;
	struct spool_rules rules;
	struct err ce;
	struct run_totals t;
	double start = mono_now(), deadline;
	char **paths;
	size_t i;
	int journaled;

	r->sent = 1;
	r->sent_at = (double)time(NULL);
	r->outcomes = xcalloc(r->batches.n, sizeof(*r->outcomes));
	paths = xcalloc(r->batches.n ? r->batches.n : 1, sizeof(*paths));
	if (spool_dir(r, &ce) < 0 ||
	    spool_open(&r->spool, r->spool_dir, &r->modes, &ce) < 0) {
		/*
		 * Without a journal the purge is still sent: better than
		 * nothing. The summary names the problem to the pusher.
		 */
		strvec_push(&r->spooled.problems, ce.msg);
	}
	/* The journal first: from here on no failure or kill loses a batch. */
	journaled = r->spool.dir != NULL || !r->batches.n;
	for (i = 0; i < r->batches.n && r->spool.dir; i++)
		if (spool_write(&r->spool, &r->batches.v[i], &paths[i],
				&ce) < 0) {
			strvec_push(&r->outcomes[i].spool_errors, ce.msg);
			paths[i] = NULL;
			journaled = 0;
		}
	/* Only now may what kept the push itself go. */
	if (r->on_journaled && journaled)
		r->on_journaled(r);
	else if (r->on_journaled)
		r->push_kept = 1;

	deadline = start + r->config.deadline;
	if (r->deploy && r->ci == RUN_CI_NONE && !r->detached &&
	    r->config.push_deadline < r->config.deadline)
		deadline = start + r->config.push_deadline;
	if (r->batches.n || (r->spool.dir && spool_count(&r->spool))) {
		if (make_client(r, &client, &ce) < 0 ||
		    resolve_zone(r, client, deadline, &ce) < 0)
			r->send_error = xstrdup(ce.msg);
	}
	r->client = client;
	r->send_deadline = deadline;
	sender_init(&s, client, &r->config, deadline, r->send_error);
	s.notice = print_notice;
	s.notice_ctx = r;

	/* This run's own batches first: an old entry must not starve them. */
	progress_start(&pg, run_progress(r), "sending", "requests",
		       r->batches.n);
	for (i = 0; i < r->batches.n; i++) {
		struct batch *b = &r->batches.v[i];

		set_zone(r, b, &ce);
		sender_send(&s, b, &r->outcomes[i]);
		journal_settle(&r->spool, paths[i] ? &paths[i] : NULL,
			       paths[i] ? 1 : 0, b, &r->outcomes[i]);
		free(paths[i]);
		progress_add(&pg, 1);
	}
	progress_end(&pg);
	free(paths);
	/*
	 * Sent without a journal and nothing lost: what kept the push goes
	 * now, or a later run would send it all again.
	 */
	if (r->push_kept) {
		size_t lost = 0;

		for (i = 0; i < r->batches.n; i++)
			lost += r->outcomes[i].n_lost;
		if (!lost) {
			r->on_journaled(r);
			r->push_kept = 0;
		}
	}
	if (r->spool.dir) {
		struct strvec mine = STRVEC_INIT, covered = STRVEC_INIT;
		size_t k;

		for (i = 0; i < r->batches.n; i++)
			for (k = 0; k < r->outcomes[i].spool_files.n; k++)
				strvec_push(&mine,
					    r->outcomes[i].spool_files.v[k]);
		/*
		 * What Cloudflare confirmed for this run's own batches is not
		 * sent again from the backlog (purge/journal.h). Only what it
		 * confirmed: what this run merely keeps is in files another
		 * run may be resending, and might cover in turn.
		 */
		for (i = 0; i < r->batches.n; i++)
			if (r->outcomes[i].n_sent &&
			    r->outcomes[i].n_sent ==
			    batch_size(&r->batches.v[i]))
				journal_cover(&covered, &r->batches.v[i]);
		strvec_sort_unique(&covered);
		known_zones(r, &ids);
		memset(&rules, 0, sizeof(rules));
		rules.zone_ids = &ids;
		rules.max_files = CONFIG_MAX_FILES_PER_REQUEST;
		rules.max_items = CONFIG_MAX_ITEMS_PER_REQUEST;
		rules.zones_incomplete = r->config.zone_name && !r->zone_id;
		journal_resend(&r->spool, &rules, &mine, &covered,
			       &r->spool_covered, &s, fix_zone, r,
			       &r->spooled, &r->spool_outcomes);
		strvec_clear(&ids);
		strvec_clear(&mine);
		strvec_clear(&covered);
	}
	sender_release(&s);
	r->client = NULL;
	cf_client_free(client);
	r->seconds = mono_now() - start;

	run_totals(r, &t);
	if (t.refused || t.spooled || t.lost || r->spooled.problems.n)
		return err_set(e, "not everything was purged");
	return 0;
}

static void add_totals(struct run_totals *t, const struct send_outcome *o,
		       size_t n)
{
	size_t i;

	for (i = 0; o && i < n; i++) {
		t->batches++;
		t->attempts += (size_t)o[i].attempts;
		t->sent += o[i].n_sent;
		t->refused += o[i].n_refused;
		t->spooled += o[i].n_spooled;
		t->lost += o[i].n_lost;
	}
}

void run_totals(const struct run *r, struct run_totals *t)
{
	memset(t, 0, sizeof(*t));
	add_totals(t, r->outcomes, r->batches.n);
	add_totals(t, r->spool_outcomes, r->spooled.n);
}

int run_check_online(struct run *r, struct strvec *problems)
{
	struct cf_client *client = NULL;
	struct err e;
	int rc;

	if (make_client(r, &client, &e) < 0) {
		strvec_push(problems, e.msg);
		return -1;
	}
	rc = zone_check_online(client, &r->config, problems);
	cf_client_free(client);
	return rc;
}

int run_send_more(struct run *r, const struct plan *p, int keep_only,
		  double deadline, struct strvec *problems)
{
	struct batch_list bl = BATCH_LIST_INIT;
	struct cf_client *client = NULL;
	struct sender s;
	struct err ce;
	size_t i, k;
	int rc = 0;

	batches_from_plan(&bl, p, &r->config, r->zone_id ? r->zone_id :
			  r->config.zone_id, r->config.zone_name,
			  (double)time(NULL));
	if (!r->spool.dir && (spool_dir(r, &ce) < 0 ||
			      spool_open(&r->spool, r->spool_dir, &r->modes,
					 &ce) < 0)) {
		strvec_push(problems, ce.msg);
		if (keep_only) {
			batch_list_clear(&bl);
			return -1;
		}
	}
	if (!keep_only && (make_client(r, &client, &ce) < 0 ||
			   resolve_zone(r, client, deadline, &ce) < 0)) {
		strvec_push(problems, ce.msg);
		keep_only = 1;
		rc = -1;
	}
	r->client = client;
	r->send_deadline = deadline;
	sender_init(&s, client, &r->config, deadline, NULL);
	for (i = 0; i < bl.n; i++) {
		struct batch *b = &bl.v[i];
		struct send_outcome o = SEND_OUTCOME_INIT;
		char *path = NULL;

		set_zone(r, b, &ce);
		if (r->spool.dir && spool_write(&r->spool, b, &path, &ce) < 0) {
			strvec_push(problems, ce.msg);
			rc = -1;
		}
		if (keep_only) {
			/* Written, not sent: 'retry' or the next run sends it. */
			free(path);
			continue;
		}
		sender_send(&s, b, &o);
		journal_settle(&r->spool, path ? &path : NULL, path ? 1 : 0, b,
			       &o);
		if (o.n_sent != batch_size(b))
			rc = -1;
		for (k = 0; k < o.refusals.n; k++)
			strvec_push(problems, o.refusals.v[k]);
		for (k = 0; k < o.failures.n; k++)
			strvec_push(problems, o.failures.v[k]);
		send_outcome_release(&o);
		free(path);
	}
	sender_release(&s);
	r->client = NULL;
	cf_client_free(client);
	batch_list_clear(&bl);
	return rc;
}

int run_check_token_file(const struct run *r, struct strvec *problems,
			 struct strvec *warnings)
{
	const struct config *c = &r->config;
	const char *f = c->api_token_file;
	struct stat st;

	if (!f || c->email)
		return 0;
	if (stat(f, &st) < 0) {
		strvec_pushf(warnings, "cannot see the API token file '%s': "
			     "%s; the hook needs it%s%s%s (examples/servers.md "
			     "says how to make it)", f, strerror(errno),
			     c->api_token_env ? " unless '" : "",
			     c->api_token_env ? c->api_token_env : "",
			     c->api_token_env ? "' is set in its environment" :
			     "");
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		strvec_pushf(problems, "the API token file '%s' is not a "
			     "regular file", f);
		return -1;
	}
	if (st.st_mode & 007) {
		strvec_pushf(problems, "the API token file '%s' may be read by "
			     "others (mode %03o), and the hook refuses it; "
			     "run: chmod 600 '%s' (or 640, with a group that "
			     "only the hook's users are in)", f,
			     (unsigned)(st.st_mode & 0777), f);
		return -1;
	}
	return 0;
}
