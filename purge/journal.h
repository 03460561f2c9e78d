/*
 * The journal: how the spool (spool.h) keeps every purge until Cloudflare
 * confirms it. A run's own batches are written before their first attempt
 * and settled after it (deleted, rewritten, or replaced by what is left);
 * the batches earlier runs kept are resent a few files at a time, merged
 * into full requests of one zone and kind, after the run's own.
 */
#ifndef CFPH_JOURNAL_H
#define CFPH_JOURNAL_H

#include "send.h"
#include "spool.h"

/* Batches resent from the spool, one per request made from its files. */
struct spool_claim {
	struct spool_entry *v;	/* path: the first file; fd: -1 */
	size_t n;
	size_t alloc;
	struct strvec problems;	/* files moved aside or unreadable, and why */
};

#define SPOOL_CLAIM_INIT { NULL, 0, 0, STRVEC_INIT }

void spool_claim_release(struct spool_claim *c);

/*
 * Settles what the journal holds for one request after sender_send:
 * paths are the n spool files that held it (n may be 0 when it could not
 * be written first). What o->left holds is kept: the one file rewritten,
 * or new files written before the old ones are deleted. Fills in o's
 * n_spooled, n_lost, failures and spool_files.
 */
void journal_settle(struct spool *s, char **paths, size_t n,
		    const struct batch *sent, struct send_outcome *o);

/*
 * Adds to covered the items of b, a batch of this run that Cloudflare
 * has confirmed in full, each as a key of its zone, kind and item. The
 * backlog (journal_resend) does not send such an item again: a kill
 * between writing a push's journal and letting go of its kept copy
 * (hook/keep.h) leaves both, and the next run plans the push again. Never
 * pass a batch that is only kept: its file is backlog to another run,
 * which could cover it in turn, and both files would go unsent. Sort
 * covered (strvec_sort_unique) before journal_resend.
 */
void journal_cover(struct strvec *covered, const struct batch *b);

/*
 * Resends what earlier runs kept in s (skip names the paths this run
 * wrote itself, which are not sent twice): files are checked and read
 * (spool_take), those that must not be used are moved aside, and the rest
 * are merged, oldest first, into requests of one zone and kind, each
 * sent with sender and settled before the next files are claimed, so that
 * at most one request's files are open at a time. fix_zone, when not
 * NULL, is called on each batch read, to fill in its zone id from its
 * zone name; when it returns -1 (with e set) the file is moved aside as
 * one that must not be sent. A request the sender did not attempt at all
 * (sending had stopped: a signal, the deadline, refused credentials, or a
 * stop for its zone or kind) leaves its files exactly as they were, not
 * merged, rewritten or renamed, and reports them kept in its
 * spool_files. Items in covered (sorted, may be NULL; journal_cover())
 * are left out of the requests; files that held nothing else are
 * deleted, and *n_covered counts the items left out. Appends each
 * request and its outcome to out and *outcomes (grown as needed, one
 * outcome per request of out), and each file that cannot be read now to
 * out->problems.
 */
void journal_resend(struct spool *s, const struct spool_rules *rules,
		    const struct strvec *skip, const struct strvec *covered,
		    size_t *n_covered, struct sender *sender,
		    int (*fix_zone)(void *ctx, struct batch *b, struct err *e),
		    void *ctx,
		    struct spool_claim *out, struct send_outcome **outcomes);

#endif
