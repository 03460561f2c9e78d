#include "send.h"
#include "spool.h"

#include <errno.h>
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
	memset(o, 0, sizeof(*o));
}

void sender_init(struct sender *s, struct cf_client *client,
		 const struct config *c, const char *spool_dir,
		 double deadline, const char *stop_reason)
{
	memset(s, 0, sizeof(*s));
	s->client = client;
	s->config = c;
	s->spool_dir = spool_dir;
	s->deadline = deadline;
	s->seed = (unsigned)time(NULL) ^ ((unsigned)getpid() << 16);
	s->stop_reason = stop_reason ? xstrdup(stop_reason) : NULL;
	pace_init(&s->pace, c->urls_per_second, c->requests_per_second,
		  c->burst, mono_now());
}

void sender_release(struct sender *s)
{
	free(s->stop_reason);
	s->stop_reason = NULL;
}

static void stop(struct sender *s, const char *why)
{
	if (!s->stop_reason)
		s->stop_reason = xstrdup(why);
}

static void spool(struct sender *s, const struct batch *b, const char *why,
		  struct send_outcome *o)
{
	struct batch copy;
	struct err e;
	char *path = NULL;
	size_t n = batch_size(b);

	batch_copy(&copy, b);
	free(copy.last_error);
	copy.last_error = xstrdup(why);
	if (spool_write(s->spool_dir, &copy, &path, &e) < 0) {
		o->n_lost += n;
		strvec_pushf(&o->failures, "%s; and %s", why, e.msg);
	} else {
		o->n_spooled += n;
		strvec_push(&o->failures, why);
		strvec_push_owned(&o->spool_files, path);
	}
	batch_release(&copy);
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
		char *hdr = cJSON_PrintUnformatted(
			cJSON_GetObjectItemCaseSensitive(it, "headers"));
		char *s = xasprintf("%s with %s", url->valuestring,
				    hdr ? hdr : "headers");
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

enum verdict { V_SENT, V_RETRY, V_SPLIT, V_AUTH, V_STOP };

static enum verdict judge(const struct cf_reply *r)
{
	long st = r->http_status;

	if (st == 429 || st >= 500 || !r->is_json)
		return V_RETRY;
	if (r->success)
		return V_SENT;
	if (st == 401 || st == 403)
		return V_AUTH;
	/*
	 * 400, 413, 422 and a 200 with "success": false say something in the
	 * body is wrong; other 4xx (404, 405) say the request went to the
	 * wrong place, which splitting cannot mend.
	 */
	if (st == 400 || st == 413 || st == 422 || (st >= 200 && st < 300))
		return V_SPLIT;
	return V_STOP;
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
	int tries = 0;

	o->n_items += batch_size(b);
	if (!s->client || s->stop_reason || !b->zone_id) {
		spool(s, b, s->stop_reason ? s->stop_reason :
		      !b->zone_id ? "the zone id is not known yet" :
		      "not sent", o);
		return;
	}
	batch_copy(&cur, b);
	body = batch_body_text(&cur);
	path = xasprintf("zones/%s/%s", cur.zone_id, endpoint(s));
	for (;;) {
		struct cf_reply r;
		struct err e;
		double now = mono_now(), wait, retry_after = 0;
		char *why;

		if (now >= s->deadline) {
			stop(s, "the run's deadline passed");
			spool(s, &cur, s->stop_reason, o);
			break;
		}
		wait = pace_take(&s->pace, cur.kind, batch_size(&cur), now);
		if (now + wait >= s->deadline) {
			stop(s, "the purge budget allows no more requests "
			     "before the run's deadline");
			spool(s, &cur, s->stop_reason, o);
			break;
		}
		sleep_seconds(wait);
		now = mono_now();
		o->attempts++;
		cur.attempts++;
		if (cf_client_call(s->client, path, body,
				   fmin(s->config->timeout, s->deadline - now),
				   &r, &e) < 0) {
			why = xstrdup(e.msg);
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
			if (v == V_AUTH || v == V_STOP) {
				why = xasprintf("%s: %s", v == V_AUTH ?
						"Cloudflare refused the "
						"credentials or the zone" :
						"the API refused the request "
						"(is api_url right?)", d.buf);
				stop(s, why);
				spool(s, &cur, why, o);
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
		if (++tries > s->config->retries) {
			spool(s, &cur, cur.last_error, o);
			break;
		}
		wait = fmax(backoff(s, tries), retry_after);
		if (mono_now() + wait >= s->deadline) {
			spool(s, &cur, cur.last_error, o);
			break;
		}
		sleep_seconds(wait);
	}
	free(path);
	free(body);
	batch_release(&cur);
}
