/*
 * Delivery: sends batches with retries, backoff and pacing, and splits a
 * batch that Cloudflare refuses until the refused items stand alone. What
 * could not be confirmed comes back in send_outcome.left, each part with
 * its last error, for the caller to keep in the spool (journal.h). Nothing
 * here prints; what happened is in each send_outcome, and the sender's
 * notice callback hears of the first failure while it goes on.
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
	struct batch_list left;	/* not confirmed: to keep, with last_error */
	int interrupted;	/* a signal stopped the run */
	/*
	 * Why the spool could not take it (a full disk): not why it was not
	 * sent, since it may well have been.
	 */
	struct strvec spool_errors;
};

#define SEND_OUTCOME_INIT { 0, 0, 0, 0, 0, 0, STRVEC_INIT, STRVEC_INIT, \
			    STRVEC_INIT, STRVEC_INIT, BATCH_LIST_INIT, 0, \
			    STRVEC_INIT }

void send_outcome_release(struct send_outcome *o);

struct sender {
	struct cf_client *client;	/* borrowed; NULL spools everything */
	const struct config *config;	/* borrowed */
	struct pace pace;
	double deadline;	/* monotonic seconds; later sends are spooled */
	unsigned seed;
	char *stop_reason;	/* owned; once set, nothing more is sent */
	char *stop_files;	/* owned; the URL budget is spent */
	char *stop_others;	/* owned; the request budget is spent */
	struct strvec stopped_zones;	/* "ZONE_ID reason": refused there */
	int noticed;		/* notice was called */
	/* Hears, once, that sending is not going well; may be NULL. */
	void (*notice)(void *ctx, const char *msg);
	void *notice_ctx;
};

/*
 * Prepares a sender for one run. deadline is the monotonic time after
 * which nothing more is sent. client may be NULL when no client could be
 * made (no token): then every batch comes back in left, with stop_reason
 * saying why.
 */
void sender_init(struct sender *s, struct cf_client *client,
		 const struct config *c, double deadline,
		 const char *stop_reason);
void sender_release(struct sender *s);

/*
 * Sends b, adding to *o. Retries connection failures, timeouts, 5xx, 429
 * (waiting at least Retry-After) and answers that are not Cloudflare's,
 * with exponential backoff and jitter, up to config->retries more times.
 * A batch refused with another 4xx is split in halves and each half sent
 * the same way, so that a lone bad item is refused alone. A refusal
 * stops only what it concerns: 401 stops the credentials (every request);
 * 403 (a token not allowed there), 404 and other refusals of the place
 * stop that zone; and a spent budget stops its kind (URLs, or the other
 * kinds). Once one batch used up its retries on failed connections alone,
 * the rest is not tried. A signal (util.h, cfph_interrupted) stops
 * sending. What is not confirmed is appended to o->left.
 */
void sender_send(struct sender *s, const struct batch *b,
		 struct send_outcome *o);

/*
 * Whether sender_send would try b now: 0 once a refusal, a signal or a
 * missing client stopped what b is (its zone, its kind, or everything).
 */
int sender_would_try(const struct sender *s, const struct batch *b);

#endif
