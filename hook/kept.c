#include "kept.h"
#include "deploy.h"
#include "hookmark.h"

#include <stdlib.h>
#include <string.h>

/* The first line of a kept push whose pusher asked for purge=everything. */
#define KEPT_EVERYTHING "# purge=everything\n"

/*
 * Deletes the kept pushes once run_send has journaled their purge, and
 * moves the branches' purge markers past them: nothing is owed now.
 */
static void kept_journaled(struct run *r)
{
	keep_done(r->kept);
	hookmark_advance(r);
}

/* Whether the commit with id hex (or "" for none) is in the repository. */
static int have_commit(struct run *r, const char *hex)
{
	git_oid oid;
	git_object *obj = NULL;

	if (!*hex)
		return 1;
	if (git_oid_fromstr(&oid, hex) < 0 ||
	    git_object_lookup(&obj, r->repo, &oid, GIT_OBJECT_COMMIT) < 0)
		return 0;
	git_object_free(obj);
	return 1;
}

void kept_add_to_run(struct run *r, struct keep *k, struct strvec *notes,
		     struct strvec *problems)
{
	struct strvec contents = STRVEC_INIT;
	size_t first = k->paths.n, i, j;

	keep_claim(k, &contents, problems);
	for (i = 0; i < contents.n; i++) {
		size_t before = r->n_ranges;
		const char *lines = contents.v[i];
		int everything = 0;
		struct err e;

		/* A kept push carries its purge=everything push option. */
		if (!strncmp(lines, KEPT_EVERYTHING, strlen(KEPT_EVERYTHING))) {
			everything = 1;
			lines += strlen(KEPT_EVERYTHING);
		}
		if (run_add_hook_input(r, lines, strlen(lines), &e) < 0) {
			keep_reject(k, first + i, e.msg, problems);
			continue;
		}
		for (j = before; j < r->n_ranges; j++)
			if (!have_commit(r, r->ranges[j].old_hex) ||
			    !have_commit(r, r->ranges[j].new_hex))
				break;
		if (j < r->n_ranges) {
			while (r->n_ranges > before)
				free(r->ranges[--r->n_ranges].ref);
			keep_reject(k, first + i, "a commit it names is not in "
				    "the repository", problems);
			continue;
		}
		for (j = before; everything && j < r->n_ranges; j++)
			if (r->ranges[j].action == RANGE_PURGE ||
			    r->ranges[j].action == RANGE_SKIP_CREATED) {
				r->ranges[j].action = RANGE_EVERYTHING;
				r->ranges[j].by_push_option = 1;
			}
		strvec_pushf(notes, "purging a push kept by an earlier run "
			     "('%s')%s", k->paths.v[first + i], everything ?
			     ": everything, as its push option asked" : "");
	}
	strvec_clear(&contents);
	r->kept = k;
	r->on_journaled = kept_journaled;
}

void kept_hold(struct run *r, size_t from)
{
	while (r->n_ranges > from)
		free(r->ranges[--r->n_ranges].ref);
	r->on_journaled = NULL;
	r->kept = NULL;
}

int kept_write_push(struct keep *k, const char *lines, size_t len,
		    struct err *e)
{
	enum push_purge opt;
	struct err warning;
	struct strbuf rec = STRBUF_INIT;
	int rc = 0;

	/*
	 * What the push option asks is kept with the push: a push that
	 * skips or only shows its purge keeps nothing.
	 */
	if (deploy_push_option(&opt, &warning) < 0)
		opt = PUSH_PURGE_DEFAULT;
	/* No lines, nothing to purge: the hook says what is wrong. */
	if (opt == PUSH_PURGE_SKIP || opt == PUSH_PURGE_DRY_RUN || !len)
		return 0;
	if (opt == PUSH_PURGE_EVERYTHING)
		strbuf_addstr(&rec, KEPT_EVERYTHING);
	strbuf_add(&rec, lines, len);
	rc = keep_write(k, rec.buf, rec.len, e);
	strbuf_release(&rec);
	return rc;
}
