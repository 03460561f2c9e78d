#include "send.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The longest single wait between two attempts. */
#define MAX_BACKOFF 60.0

void send_outcome_release(struct send_outcome *o)
{
	strvec_clear(&o->ids);
	strvec_clear(&o->refusals);
	strvec_clear(&o->failures);
	strvec_clear(&o->spool_files);
	strvec_clear(&o->spool_errors);
	batch_list_clear(&o->left);
	memset(o, 0, sizeof(*o));
}

void sender_init(struct sender *s, struct cf_client *client,
		 const struct config *c, double deadline,
		 const char *stop_reason)
{
	memset(s, 0, sizeof(*s));
	s->client = client;
	s->config = c;
	s->deadline = deadline;
	s->seed = (unsigned)time(NULL) ^ ((unsigned)getpid() << 16);
	s->stop_reason = stop_reason ? xstrdup(stop_reason) : NULL;
	pace_init(&s->pace, c->urls_per_second, c->requests_per_second,
		  c->burst, mono_now());
}

void sender_release(struct sender *s)
{
	free(s->stop_reason);
	free(s->stop_files);
	free(s->stop_others);
	strvec_clear(&s->stopped_zones);
	s->stop_reason = s->stop_files = s->stop_others = NULL;
}

static void stop(struct sender *s, const char *why)
{
	if (!s->stop_reason)
		s->stop_reason = xstrdup(why);
}

static void stop_kind(struct sender *s, enum purge_kind kind, const char *why)
{
	char **slot = kind == PURGE_FILES ? &s->stop_files : &s->stop_others;

	if (!*slot)
		*slot = xstrdup(why);
}

static void stop_zone(struct sender *s, const char *zone_id, const char *why)
{
	strvec_pushf(&s->stopped_zones, "%s %s", zone_id, why);
}

/* Why b is not to be sent now, or NULL. */
static const char *blocked(const struct sender *s, const struct batch *b)
{
	size_t i, n;

	if (cfph_interrupted)
		return "interrupted by a signal";
	if (s->stop_reason)
		return s->stop_reason;
	if (!s->client)
		return "not sent";
	if (!b->zone_id)
		return "the zone id is not known yet";
	n = strlen(b->zone_id);
	for (i = 0; i < s->stopped_zones.n; i++)
		if (!strncmp(s->stopped_zones.v[i], b->zone_id, n) &&
		    s->stopped_zones.v[i][n] == ' ')
			return s->stopped_zones.v[i] + n + 1;
	if (b->kind == PURGE_FILES)
		return s->stop_files;
	return s->stop_others;
}

int sender_would_try(const struct sender *s, const struct batch *b)
{
	return blocked(s, b) == NULL;
}

/* Hands what is left of b back to the caller, with why. */
static void leave(const struct batch *b, const char *why,
		  struct send_outcome *o)
{
	struct batch copy;

	batch_copy(&copy, b);
	free(copy.last_error);
	copy.last_error = xstrdup(why);
	batch_list_push(&o->left, &copy);
}

static void notice(struct sender *s, const char *fmt, double secs)
{
	char *msg;

	if (s->noticed || !s->notice)
		return;
	s->noticed = 1;
	msg = xasprintf(fmt, secs);
	s->notice(s->notice_ctx, msg);
	free(msg);
}

/* The item a one-item batch names, for messages. */
static char *item_name(const struct batch *b)
{
	const cJSON *it = cJSON_GetArrayItem(b->items, 0);
	const cJSON *url;

	if (cJSON_IsString(it))
		return xstrdup(it->valuestring);
	url = cJSON_GetObjectItemCaseSensitive(it, "url");
	if (cJSON_IsString(url)) {
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(it, "headers");
		char *hdr = h ? cJSON_PrintUnformatted(h) : NULL;
		char *s = hdr ? xasprintf("%s with %s", url->valuestring, hdr) :
				xstrdup(url->valuestring);

		free(hdr);
		return s;
	}
	return xstrdup("(item)");
}

static void refuse(const struct batch *b, const struct cf_reply *r,
		   struct send_outcome *o)
{
	struct strbuf d = STRBUF_INIT;
	char *name = b->kind == PURGE_EVERYTHING ? xstrdup("purge_everything")
						 : item_name(b);

	cf_reply_describe(&d, r);
	strvec_pushf(&o->refusals, "%s: %s", d.buf, name);
	o->n_refused += batch_size(b);
	free(name);
	strbuf_release(&d);
}

static double backoff(struct sender *s, int tries)
{
	double base = s->config->backoff * pow(2, tries - 1);
	double jitter = 0.5 + (double)rand_r(&s->seed) / RAND_MAX;
	double d = base * jitter;

	return d > MAX_BACKOFF ? MAX_BACKOFF : d;
}

enum verdict { V_SENT, V_RETRY, V_SPLIT, V_AUTH, V_ZONE_AUTH, V_ZONE };

static enum verdict judge(const struct cf_reply *r)
{
	long st = r->http_status;

	if (st == 429 || st >= 500 || !r->is_json)
		return V_RETRY;
	if (r->success)
		return V_SENT;
	/*
	 * 401: the credentials themselves. 403: these credentials in this
	 * zone (a token is often scoped to some zones), so other zones go on.
	 */
	if (st == 401)
		return V_AUTH;
	if (st == 403)
		return V_ZONE_AUTH;
	/*
	 * 400, 413, 422 and a 200 with "success": false say something in the
	 * body is wrong; other 4xx (404, 405) say the request went to the
	 * wrong place, which splitting cannot mend.
	 */
	if (st == 400 || st == 413 || st == 422 || (st >= 200 && st < 300))
		return V_SPLIT;
	return V_ZONE;
}

static const char *endpoint(const struct sender *s)
{
	return s->config->mode == MODE_INVALIDATE ? "invalidate_cache"
						  : "purge_cache";
}

void sender_send(struct sender *s, const struct batch *b,
		 struct send_outcome *o)
{
	struct batch cur;
	char *body, *path;
	const char *why_not;
	int tries = 0, conn_failures = 0;

	o->n_items += batch_size(b);
	why_not = blocked(s, b);
	if (why_not) {
		o->interrupted |= cfph_interrupted != 0;
		leave(b, why_not, o);
		return;
	}
	batch_copy(&cur, b);
	body = batch_body_text(&cur);
	path = xasprintf("zones/%s/%s", cur.zone_id, endpoint(s));
	for (;;) {
		struct cf_reply r;
		struct err e;
		double now = mono_now(), wait, retry_after = 0, limit;
		char *why;

		if (cfph_interrupted) {
			o->interrupted = 1;
			leave(&cur, "interrupted by a signal", o);
			break;
		}
		if (now >= s->deadline) {
			stop(s, "the run's deadline passed");
			leave(&cur, s->stop_reason, o);
			break;
		}
		wait = pace_take(&s->pace, cur.kind, batch_size(&cur), now);
		if (now + wait >= s->deadline) {
			stop_kind(s, cur.kind, "the purge budget allows no more "
				  "requests of this kind before the run's "
				  "deadline");
			leave(&cur, blocked(s, &cur), o);
			break;
		}
		sleep_seconds(wait);
		if (cfph_interrupted)
			continue;
		now = mono_now();
		o->attempts++;
		cur.attempts++;
		limit = fmin(s->config->timeout, s->deadline - now);
		/*
		 * An API that hangs must not take the whole run in one
		 * attempt: while retries remain, one may take half of what is
		 * left, so that the pusher hears of it halfway and another
		 * attempt still fits.
		 */
		if (tries < s->config->retries &&
		    (s->deadline - now) / 2 >= 1 &&
		    limit > (s->deadline - now) / 2)
			limit = (s->deadline - now) / 2;
		if (cf_client_call(s->client, path, body, limit, &r, &e) < 0) {
			why = xstrdup(e.msg);
			conn_failures++;
		} else {
			enum verdict v = judge(&r);
			struct strbuf d = STRBUF_INIT;

			if (v == V_SENT) {
				o->n_sent += batch_size(&cur);
				if (r.id)
					strvec_push(&o->ids, r.id);
				cf_reply_release(&r);
				break;
			}
			cf_reply_describe(&d, &r);
			if (v == V_SPLIT && batch_size(&cur) > 1) {
				struct batch lo, hi;

				batch_split(&cur, &lo, &hi);
				cf_reply_release(&r);
				strbuf_release(&d);
				sender_send(s, &lo, o);
				sender_send(s, &hi, o);
				/* The halves counted their own items. */
				o->n_items -= batch_size(&cur);
				batch_release(&lo);
				batch_release(&hi);
				break;
			}
			if (v == V_SPLIT) {
				refuse(&cur, &r, o);
				cf_reply_release(&r);
				strbuf_release(&d);
				break;
			}
			if (v == V_AUTH || v == V_ZONE_AUTH || v == V_ZONE) {
				why = xasprintf("%s: %s", v != V_ZONE ?
						"Cloudflare refused the "
						"credentials or the zone" :
						"the API refused the request "
						"for this zone (is api_url or "
						"the zone id right?)", d.buf);
				if (v == V_AUTH)
					stop(s, why);
				else
					stop_zone(s, cur.zone_id, why);
				leave(&cur, why, o);
				free(why);
				cf_reply_release(&r);
				strbuf_release(&d);
				break;
			}
			retry_after = r.retry_after;
			why = strbuf_detach(&d);
			cf_reply_release(&r);
		}
		free(cur.last_error);
		cur.last_error = why;
		/*
		 * A request that got no answer may have used up the run's
		 * time (a push's 25 s) on its own: then there is nothing to
		 * retry for, and the notice says how long it waited instead.
		 */
		if (s->config->retries > 0 &&
		    s->deadline - mono_now() < 1)
			notice(s, "Cloudflare did not answer as it should "
			       "within %.0f s, and this run has no time left "
			       "to retry; keeping what is not sent",
			       mono_now() - now);
		else if (s->config->retries > 0)
			notice(s, "Cloudflare is not answering as it should; "
			       "retrying for up to %.0f s, then keeping what "
			       "is not sent", s->deadline - mono_now());
		else
			notice(s, "Cloudflare is not answering as it should; "
			       "keeping what is not sent (retries = %.0f)", 0);
		if (++tries > s->config->retries) {
			/*
			 * Every attempt failed to connect: the next batch
			 * would fare no better, so the rest is kept at once.
			 */
			if (conn_failures == tries) {
				char *u = xasprintf("Cloudflare cannot be "
						    "reached (%s)",
						    cur.last_error);
				stop(s, u);
				free(u);
			}
			leave(&cur, cur.last_error, o);
			break;
		}
		wait = fmax(backoff(s, tries), retry_after);
		if (mono_now() + wait >= s->deadline) {
			leave(&cur, cur.last_error, o);
			break;
		}
		sleep_seconds(wait);
	}
	free(path);
	free(body);
	batch_release(&cur);
}
