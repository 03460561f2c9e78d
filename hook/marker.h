/*
 * The purge marker: a ref in the site's own repository,
 * refs/cf-purge-hook/heads/<branch>, naming the commit through which
 * Cloudflare confirmed every purge of that branch. A CI job keeps nothing
 * of its own (its clone, spool and state go with it), so what one job
 * could not purge is owed to the next only if the repository says so.
 *
 * The marker is read and moved with the `git` executable, so that the
 * job's own credentials apply (actions/checkout's http.extraheader,
 * GitLab's token in the remote URL) and no token is ever handled here.
 * git runs with an argument vector, never through a shell, with
 * GIT_TERMINAL_PROMPT=0 so that a missing credential fails instead of
 * waiting for a person. It moves by compare-and-swap
 * (push --force-with-lease): two jobs at once never move it backwards.
 */
#ifndef CFPH_MARKER_H
#define CFPH_MARKER_H

#include <git2.h>

#include "../util/util.h"

struct marker {
	git_repository *repo;	/* borrowed */
	char *remote;		/* owned; NULL when the clone has none */
	char *ref;		/* owned: refs/cf-purge-hook/heads/<branch> */
	char hex[GIT_OID_HEXSZ + 1];	/* on the remote when read; "" absent */
	int read;		/* marker_read succeeded */
};

#define MARKER_INIT { NULL, NULL, NULL, "", 0 }

/*
 * Sets up m for branch in repo: the remote is the one branch.<b>.remote
 * names, else "origin"; m->remote stays NULL when neither exists. repo
 * must outlive m.
 */
void marker_init(struct marker *m, git_repository *repo, const char *branch);

void marker_release(struct marker *m);

/*
 * Asks the remote where the marker is (git ls-remote) and, when it names
 * a commit this clone lacks, fetches it. The fetch is shallow when
 * known_old is set (the caller knows the commit to be an older one, such
 * as the event's before); otherwise it fetches the marker's history down
 * to what the clone has, so that a marker newer than HEAD is recognised
 * as such. Returns 0 (m->hex is "" when there is no marker), or -1 with e
 * saying why the remote could not be read.
 */
int marker_read(struct marker *m, const char *known_old, struct err *e);

/*
 * Moves the marker on the remote to hex, from where marker_read found it
 * (compare-and-swap), and updates the local ref. When the remote's marker
 * moved meanwhile, reads it again: if it is at or past hex, nothing is
 * done (returns 1, m->hex the new value); if it is an ancestor of hex the
 * swap is tried again, at most twice. Returns 0 when the marker is at
 * hex, 1 when a newer one is left in place, -1 with e set otherwise.
 */
int marker_write(struct marker *m, const char *hex, struct err *e);

/*
 * Fetches the one commit hex from remote into repo, without history
 * (git fetch --no-tags --depth=1). Returns 0, or -1 with e holding git's
 * last line.
 */
int marker_fetch_commit(git_repository *repo, const char *remote,
			const char *hex, struct err *e);

/* 1 when repo holds the commit hex, 0 otherwise. */
int marker_have_commit(git_repository *repo, const char *hex);

/*
 * 1 when the commit hex is a descendant of (or equal to) the commit
 * ancestor, both in repo; 0 when it is not, or when the clone's shallow
 * history stops before the answer. libgit2 answers; when it fails (before
 * 1.7 it cannot walk a shallow clone), `git merge-base --is-ancestor`.
 */
int marker_is_at_or_past(git_repository *repo, const char *hex,
			 const char *ancestor);

#endif
