/*
 * Pacing to Cloudflare's purge budget: two token buckets, one counting
 * URLs (files) per second and one counting requests of the other kinds,
 * as Cloudflare meters them (see the table in
 * mapping/config_cloudflare.c).
 */
#ifndef CFPH_PACE_H
#define CFPH_PACE_H

#include <stddef.h>

#include "../mapping/plan.h"

struct pace {
	double url_rate, url_tokens, url_cap;
	double req_rate, req_tokens, req_cap;
	double last;		/* when the buckets were last filled */
};

/* Both buckets start full at time now. */
void pace_init(struct pace *p, double urls_per_second,
	       double requests_per_second, long burst, double now);

/*
 * Takes the tokens for a request of n items of kind at time now and
 * returns how many seconds the caller must wait before sending it (0 when
 * it may go at once). A request larger than a bucket waits for a full one.
 */
double pace_take(struct pace *p, enum purge_kind kind, size_t n, double now);

#endif
