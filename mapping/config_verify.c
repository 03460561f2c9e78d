/*
 * The [verify] keys after_purge, concurrency, rate, connect_to,
 * ca_bundle, retry_after and compare, and the [warm] keys after_purge
 * and urls.
 */
#include "config_verify.h"

#include <stdlib.h>
#include <string.h>

#include "config_parse.h"

void config_verify_init(struct config *c)
{
	c->verify_concurrency = 4;
	c->verify_rate = 20;
	/*
	 * Cloudflare applies a purge within seconds; a second purge sent at
	 * once would race the first one's propagation for nothing.
	 */
	c->verify_retry_after = 3;
}

int config_split_host_port(const char *v, size_t *host_len, long *port)
{
	const char *colon = strrchr(v, ':');
	char *end;
	long p;
	size_t n;

	if (!colon || colon == v || !colon[1])
		return -1;
	n = (size_t)(colon - v);
	if (v[0] == '[') {
		size_t i;

		/* An IPv6 address: hex digits, colons and dots in brackets. */
		if (n < 3 || v[n - 1] != ']')
			return -1;
		for (i = 1; i < n - 1; i++)
			if (!strchr("0123456789abcdefABCDEF:.", v[i]))
				return -1;
	} else if (!is_host_name(v, n)) {
		return -1;
	}
	p = strtol(colon + 1, &end, 10);
	if (*end || p < 1 || p > 65535 || colon[1] == '+' || colon[1] == '-')
		return -1;
	*host_len = n;
	*port = p;
	return 0;
}

void config_verify_key(struct reader *r, const char *key, const char *v)
{
	struct config *c = r->c;
	size_t n;
	long port;

	if (!strcmp(key, "after_purge")) {
		if (parse_bool(v, &c->verify_after_purge) < 0)
			add_error(r, r->line, "'after_purge' in [verify] must "
				  "be true or false, not '%s'", v);
	} else if (!strcmp(key, "concurrency")) {
		if (parse_long(v, 1, 64, &c->verify_concurrency) < 0)
			add_error(r, r->line, "'concurrency' in [verify] must "
				  "be a whole number from 1 to 64, not '%s'",
				  v);
	} else if (!strcmp(key, "rate")) {
		if (parse_seconds(v, 0.1, 1000, &c->verify_rate) < 0)
			add_error(r, r->line, "'rate' in [verify] must be "
				  "requests per second from 0.1 to 1000, not "
				  "'%s'", v);
	} else if (!strcmp(key, "connect_to")) {
		if (config_split_host_port(v, &n, &port) < 0)
			add_error(r, r->line, "'connect_to' in [verify] must "
				  "be HOST:PORT (such as 127.0.0.1:8443 or "
				  "[::1]:443), not '%s'", v);
		else
			set_string(&c->verify_connect_to, v);
	} else if (!strcmp(key, "ca_bundle")) {
		if (!*v)
			add_error(r, r->line, "'ca_bundle' in [verify] is "
				  "empty; give a file of PEM certificates or "
				  "leave the key out");
		else
			set_string(&c->verify_ca_bundle, v);
	} else if (!strcmp(key, "retry_after")) {
		if (parse_seconds(v, 0, 300, &c->verify_retry_after) < 0)
			add_error(r, r->line, "'retry_after' in [verify] must "
				  "be seconds from 0 to 300, not '%s'", v);
	} else if (!strcmp(key, "compare")) {
		if (!strcmp(v, "body") || !strcmp(v, "status"))
			c->verify_compare_status = !strcmp(v, "status");
		else
			add_error(r, r->line, "'compare' in [verify] must be "
				  "body or status, not '%s'", v);
	} else {
		add_error(r, r->line, "unknown key '%s' in [verify]", key);
	}
}

void config_warm_key(struct reader *r, const char *key, const char *v)
{
	struct config *c = r->c;
	struct strvec words = STRVEC_INIT;
	size_t i;

	if (!strcmp(key, "after_purge")) {
		if (parse_bool(v, &c->warm_after_purge) < 0)
			add_error(r, r->line, "'after_purge' in [warm] must be "
				  "true or false, not '%s'", v);
		return;
	}
	if (strcmp(key, "urls")) {
		add_error(r, r->line, "unknown key '%s' in [warm]", key);
		return;
	}
	split_list(&words, v);
	for (i = 0; i < words.n; i++) {
		const char *why = url_problem(words.v[i]);

		if (why)
			add_error(r, r->line, "'urls' in [warm]: '%s': %s",
				  words.v[i], why);
		else
			strvec_push(&c->warm_urls, words.v[i]);
	}
	if (!words.n)
		add_error(r, r->line, "'urls' in [warm] is empty; list the "
			  "pages to warm, separated by spaces");
	strvec_clear(&words);
}
