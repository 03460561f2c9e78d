#include "pace.h"

void pace_init(struct pace *p, double urls_per_second,
	       double requests_per_second, long burst, double now)
{
	p->url_rate = urls_per_second;
	/* URLs are metered as a moving average: allow one second's worth. */
	p->url_cap = urls_per_second < 1 ? 1 : urls_per_second;
	p->url_tokens = p->url_cap;
	p->req_rate = requests_per_second;
	p->req_cap = burst < 1 ? 1 : (double)burst;
	p->req_tokens = p->req_cap;
	p->last = now;
}

static double take(double *tokens, double cap, double rate, double want)
{
	double wait = 0;

	if (want > cap)
		want = cap;
	if (*tokens < want)
		wait = (want - *tokens) / rate;
	*tokens -= want;
	return wait;
}

double pace_take(struct pace *p, enum purge_kind kind, size_t n, double now)
{
	double dt = now - p->last;

	if (dt > 0) {
		p->url_tokens += dt * p->url_rate;
		if (p->url_tokens > p->url_cap)
			p->url_tokens = p->url_cap;
		p->req_tokens += dt * p->req_rate;
		if (p->req_tokens > p->req_cap)
			p->req_tokens = p->req_cap;
		p->last = now;
	}
	if (kind == PURGE_FILES)
		return take(&p->url_tokens, p->url_cap, p->url_rate, (double)n);
	return take(&p->req_tokens, p->req_cap, p->req_rate, 1);
}
