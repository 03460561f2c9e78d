/*
 * Delivery that loses nothing: sends batches with retries, backoff and
 * pacing, splits a batch that Cloudflare refuses until the refused items
 * stand alone, and spools whatever could not be confirmed by the deadline.
 * Nothing here prints; what happened is in each send_outcome.
 */
#ifndef CFPH_SEND_H
#define CFPH_SEND_H

#include "../mapping/config.h"
#include "batch.h"
#include "client.h"
#include "pace.h"

/* What became of one batch, over all its attempts and halves. */
struct send_outcome {
	int attempts;		/* HTTP requests made for it in this run */
	size_t n_items;
	size_t n_sent;		/* items Cloudflare confirmed */
	size_t n_refused;	/* items Cloudflare refused on their own */
	size_t n_spooled;	/* items written to the spool */
	size_t n_lost;		/* items neither sent nor spooled */
	struct strvec ids;	/* Cloudflare's result ids */
	struct strvec refusals;	/* "error 1234: message: item" */
	struct strvec failures;	/* why items were spooled or lost */
	struct strvec spool_files;
};

#define SEND_OUTCOME_INIT { 0, 0, 0, 0, 0, 0, STRVEC_INIT, STRVEC_INIT, \
			    STRVEC_INIT, STRVEC_INIT }

void send_outcome_release(struct send_outcome *o);

struct sender {
	struct cf_client *client;	/* borrowed; NULL spools everything */
	const struct config *config;	/* borrowed */
	const char *spool_dir;		/* borrowed */
	struct pace pace;
	double deadline;	/* monotonic seconds; later sends are spooled */
	unsigned seed;
	char *stop_reason;	/* owned; once set, every batch is spooled */
};

/*
 * Prepares a sender for one run. deadline is the monotonic time after
 * which nothing more is sent. client may be NULL when no client could be
 * made (no token): then every batch is spooled, with stop_reason saying
 * why.
 */
void sender_init(struct sender *s, struct cf_client *client,
		 const struct config *c, const char *spool_dir,
		 double deadline, const char *stop_reason);
void sender_release(struct sender *s);

/*
 * Sends b, adding to *o. Retries connection failures, timeouts, 5xx, 429
 * (waiting at least Retry-After) and answers that are not Cloudflare's,
 * with exponential backoff and jitter, up to config->retries more times.
 * A batch refused with another 4xx is split in halves and each half sent
 * the same way, so that a lone bad item is refused alone. An
 * authentication failure stops the sender. What is not confirmed goes to
 * the spool.
 */
void sender_send(struct sender *s, const struct batch *b,
		 struct send_outcome *o);

#endif
