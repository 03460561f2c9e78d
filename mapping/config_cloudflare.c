/*
 * The [cloudflare] section: zone_id, zone_name, api_url, api_token_env,
 * api_token_file, email, api_key_env, ca_bundle, spool_dir, mode, plan,
 * files_per_request, items_per_request, urls_per_second,
 * requests_per_second, burst, retries, timeout, deadline and backoff;
 * the table of Cloudflare's limits by plan, and the checks of keys that
 * depend on each other, made once the file is read.
 */
#include "config_cloudflare.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_parse.h"

/*
 * The parts of an http(s) URL that api_url is checked on, pointing into
 * the URL. This is a small hand-written parser rather than libcurl's
 * curl_url(): libcurl is loaded with dlopen only when something is sent
 * (purge/libcurl.h), and reading the configuration is no reason to load it.
 */
struct url_parts {
	int https;
	int userinfo;		/* a '@' in the authority */
	const char *host;	/* without the brackets of an IPv6 literal */
	size_t host_len;
	int ipv6;		/* the host was written [...] */
	long port;		/* -1 when none is given */
};

/*
 * Splits url into scheme, authority and the rest, and the authority into
 * userinfo, host and port. Returns a description of the problem, or NULL
 * with *u filled in.
 */
static const char *url_parse(struct url_parts *u, const char *url)
{
	const char *a, *end, *at, *h, *hend, *p;

	memset(u, 0, sizeof(*u));
	u->port = -1;
	if (!strncmp(url, "https://", 8)) {
		u->https = 1;
		a = url + 8;
	} else if (!strncmp(url, "http://", 7)) {
		a = url + 7;
	} else {
		return "not an absolute http:// or https:// URL";
	}
	end = a + strcspn(a, "/?#");
	/* The last '@' ends the userinfo, as in RFC 3986 and libcurl. */
	for (at = NULL, p = a; p < end; p++)
		if (*p == '@')
			at = p;
	if (at) {
		u->userinfo = 1;
		a = at + 1;
	}
	if (a < end && *a == '[') {
		hend = memchr(a, ']', (size_t)(end - a));
		if (!hend)
			return "an IPv6 address without its closing ']'";
		h = a + 1;
		for (p = h; p < hend; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':' &&
			    *p != '.')
				return "not an IPv6 address between '[' and ']'";
		if (hend == h)
			return "no host name";
		u->ipv6 = 1;
		u->host = h;
		u->host_len = (size_t)(hend - h);
		p = hend + 1;
	} else {
		h = a;
		hend = memchr(a, ':', (size_t)(end - a));
		if (!hend)
			hend = end;
		if (hend == h)
			return "no host name";
		if (!is_host_name(h, (size_t)(hend - h)))
			return "the host is not a host name";
		u->host = h;
		u->host_len = (size_t)(hend - h);
		p = hend;
	}
	if (p < end) {
		long port = 0;

		if (*p != ':' || p + 1 == end)
			return "a ':' without a port number";
		for (p++; p < end; p++) {
			if (!isdigit((unsigned char)*p))
				return "the port is not a number";
			port = port * 10 + (*p - '0');
			if (port > 65535)
				return "the port is above 65535";
		}
		if (!port)
			return "the port is 0";
		u->port = port;
	}
	return NULL;
}

/* 1 when the len bytes at s are a dotted IPv4 address in 127.0.0.0/8. */
static int is_ipv4_loopback(const char *s, size_t len)
{
	size_t i = 0, parts = 0;

	while (i < len) {
		size_t digits = 0;
		unsigned n = 0;

		while (i < len && isdigit((unsigned char)s[i]) && digits < 4) {
			n = n * 10 + (unsigned)(s[i++] - '0');
			digits++;
		}
		if (!digits || digits > 3 || n > 255 ||
		    (parts == 0 && n != 127))
			return 0;
		parts++;
		if (i < len && (s[i++] != '.' || i == len))
			return 0;
	}
	return parts == 4;
}

const char *secure_url_problem(const char *url)
{
	struct url_parts u;
	const char *why = url_parse(&u, url);

	if (why)
		return why;
	if (u.userinfo)
		return "has a user name or password before '@'";
	if (u.https)
		return NULL;
	if (u.ipv6 ? u.host_len == 3 && !memcmp(u.host, "::1", 3) :
	    (u.host_len == 9 && !strncasecmp(u.host, "localhost", 9)) ||
	    is_ipv4_loopback(u.host, u.host_len))
		return NULL;
	return "uses http:// on a host other than loopback (127.0.0.0/8, "
	       "localhost or [::1]); use https://";
}

/* secure_url_problem(), saying where an api_url's credentials go. */
static const char *api_url_problem(const char *url)
{
	const char *why = secure_url_problem(url);

	if (why && strstr(why, "before '@'"))
		return "has a user name or password before '@'; the "
		       "credentials go in api_token_env, api_token_file or "
		       "api_key_env";
	return why;
}

/*
 * Cloudflare's purge limits by plan, from "Purge cache: availability and
 * limits" in Cloudflare's documentation (page updated 2026-07-29), applied
 * per account:
 *
 *                      Free        Pro        Business    Enterprise
 *   URLs per second     800        1500        1500         3000
 *   URLs per request    100         100         100          500
 *   other requests    5/minute    5/second    10/second    50/second
 *   other burst          25          25          50          500
 *   other per request   100         100         100          100
 *
 * ("other" is tags, hosts and prefixes; the URL rate is a moving average.)
 * The API description of 2024 said 30 URLs per request below Enterprise,
 * and the tool's users meet both figures, so URLs per request stay at the
 * conservative 30 below Enterprise and tags, hosts and prefixes at 30 for
 * every plan, each overridable. A request refused for holding too many
 * items is split and resent anyway (purge/send.c).
 *
 * Without a plan, the limits are the lowest of the table: Free's.
 *
 * A files_per_request or items_per_request set above the plan's documented
 * "per request" figure (the last two columns below) is kept, since
 * Cloudflare may allow more than it documents, but check warns about it.
 * Every plan documents 100 tags, hosts or prefixes, which is also the
 * most the loader accepts, so today only files_per_request can draw the
 * warning.
 */
struct plan_limits {
	long files_per_request;
	long items_per_request;
	double urls_per_second;
	double requests_per_second;
	long burst;
	long documented_files;	/* URLs per request, documented */
	long documented_items;	/* tags, hosts or prefixes, documented */
};

static const struct plan_limits plan_table[] = {
	[CF_PLAN_UNSET] = { 30, 30, 800, 5.0 / 60, 25, 100, 100 },
	[CF_PLAN_FREE] = { 30, 30, 800, 5.0 / 60, 25, 100, 100 },
	[CF_PLAN_PRO] = { 30, 30, 1500, 5, 25, 100, 100 },
	[CF_PLAN_BUSINESS] = { 30, 30, 1500, 10, 50, 100, 100 },
	[CF_PLAN_ENTERPRISE] = { 500, 30, 3000, 50, 500, 500, 100 },
};

static const char *const plan_names[] = {
	[CF_PLAN_UNSET] = NULL,
	[CF_PLAN_FREE] = "free",
	[CF_PLAN_PRO] = "pro",
	[CF_PLAN_BUSINESS] = "business",
	[CF_PLAN_ENTERPRISE] = "enterprise",
};

/* Which [cloudflare] limits the file set, so that plan leaves them be. */
enum {
	SET_FILES = 1,
	SET_ITEMS = 2,
	SET_URL_RATE = 4,
	SET_REQ_RATE = 8,
	SET_BURST = 16
};

void config_cloudflare_key(struct reader *r, const char *key, const char *v)
{
	struct config *c = r->c;

	if (!strcmp(key, "zone_id")) {
		if (!is_hex32(v))
			add_error(r, r->line, "'zone_id' in [cloudflare] "
				  "must be 32 lowercase hex digits");
		set_string(&c->zone_id, v);
	} else if (!strcmp(key, "zone_name")) {
		char *p;

		/*
		 * The name goes into GET /zones?name=, and Cloudflare answers
		 * in lower case: anything but a host name could change the
		 * query, and upper case would never match the answer.
		 */
		if (!is_host_name(v, strlen(v)) || !strchr(v, '.'))
			add_error(r, r->line, "'zone_name' in [cloudflare] "
				  "must be a domain name such as example.com "
				  "(letters, digits, '-' and '.'; an "
				  "internationalised name in its xn-- form), "
				  "not '%s'", v);
		set_string(&c->zone_name, v);
		for (p = c->zone_name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	} else if (!strcmp(key, "api_url")) {
		const char *why = url_problem(v);

		if (!why)
			why = api_url_problem(v);
		if (why)
			add_error(r, r->line, "'api_url' in [cloudflare]: %s",
				  why);
		free(c->api_url);
		c->api_url = strip_trailing_slashes(v);
	} else if (!strcmp(key, "api_token_env") ||
		   !strcmp(key, "api_key_env")) {
		if (!*v || strchr(v, '='))
			add_error(r, r->line, "'%s' in [cloudflare] must name "
				  "an environment variable", key);
		set_string(!strcmp(key, "api_key_env") ? &c->api_key_env :
			   &c->api_token_env, v);
		if (!strcmp(key, "api_token_env"))
			r->token_env_set = 1;
	} else if (!strcmp(key, "api_token_file")) {
		if (!*v)
			add_error(r, r->line, "'api_token_file' in [cloudflare] "
				  "is empty");
		set_string(&c->api_token_file, v);
	} else if (!strcmp(key, "email")) {
		if (!strchr(v, '@') || strpbrk(v, " \t\r\n"))
			add_error(r, r->line, "'email' in [cloudflare] must be "
				  "the account's e-mail address");
		set_string(&c->email, v);
	} else if (!strcmp(key, "ca_bundle")) {
		set_string(&c->ca_bundle, v);
	} else if (!strcmp(key, "spool_dir")) {
		if (!*v)
			add_error(r, r->line, "'spool_dir' in [cloudflare] is "
				  "empty");
		set_string(&c->spool_dir, v);
	} else if (!strcmp(key, "mode")) {
		if (!strcmp(v, "purge"))
			c->mode = MODE_PURGE;
		else if (!strcmp(v, "invalidate"))
			c->mode = MODE_INVALIDATE;
		else
			add_error(r, r->line, "'mode' in [cloudflare] must be "
				  "'purge' or 'invalidate', not '%s'", v);
	} else if (!strcmp(key, "plan")) {
		if (!strcmp(v, "free"))
			c->plan = CF_PLAN_FREE;
		else if (!strcmp(v, "pro"))
			c->plan = CF_PLAN_PRO;
		else if (!strcmp(v, "business"))
			c->plan = CF_PLAN_BUSINESS;
		else if (!strcmp(v, "enterprise"))
			c->plan = CF_PLAN_ENTERPRISE;
		else
			add_error(r, r->line, "'plan' in [cloudflare] must be "
				  "free, pro, business or enterprise, not '%s'",
				  v);
	} else if (!strcmp(key, "files_per_request")) {
		r->limits_set |= SET_FILES;
		if (parse_long(v, 1, CONFIG_MAX_FILES_PER_REQUEST,
			       &c->files_per_request) < 0)
			add_error(r, r->line, "'files_per_request' in "
				  "[cloudflare] must be a number from 1 to %d",
				  CONFIG_MAX_FILES_PER_REQUEST);
	} else if (!strcmp(key, "items_per_request")) {
		r->limits_set |= SET_ITEMS;
		if (parse_long(v, 1, CONFIG_MAX_ITEMS_PER_REQUEST,
			       &c->items_per_request) < 0)
			add_error(r, r->line, "'items_per_request' in "
				  "[cloudflare] must be a number from 1 to %d",
				  CONFIG_MAX_ITEMS_PER_REQUEST);
	} else if (!strcmp(key, "urls_per_second")) {
		r->limits_set |= SET_URL_RATE;
		if (parse_seconds(v, 0.01, 1e6, &c->urls_per_second) < 0)
			add_error(r, r->line, "'urls_per_second' in "
				  "[cloudflare] must be a positive number");
	} else if (!strcmp(key, "requests_per_second")) {
		r->limits_set |= SET_REQ_RATE;
		if (parse_seconds(v, 0.001, 1e6, &c->requests_per_second) < 0)
			add_error(r, r->line, "'requests_per_second' in "
				  "[cloudflare] must be a positive number");
	} else if (!strcmp(key, "burst")) {
		r->limits_set |= SET_BURST;
		if (parse_long(v, 1, 100000, &c->burst) < 0)
			add_error(r, r->line, "'burst' in [cloudflare] must be "
				  "a number from 1 to 100000");
	} else if (!strcmp(key, "retries")) {
		if (parse_long(v, 0, 100, &c->retries) < 0)
			add_error(r, r->line, "'retries' in [cloudflare] must "
				  "be a number from 0 to 100");
	} else if (!strcmp(key, "timeout")) {
		if (parse_seconds(v, 0.1, 3600, &c->timeout) < 0)
			add_error(r, r->line, "'timeout' in [cloudflare] must "
				  "be a number of seconds from 0.1 to 3600");
	} else if (!strcmp(key, "deadline")) {
		if (parse_seconds(v, 0, 86400, &c->deadline) < 0)
			add_error(r, r->line, "'deadline' in [cloudflare] must "
				  "be a number of seconds from 0 to 86400");
	} else if (!strcmp(key, "backoff")) {
		if (parse_seconds(v, 0, 600, &c->backoff) < 0)
			add_error(r, r->line, "'backoff' in [cloudflare] must "
				  "be a number of seconds from 0 to 600");
	} else {
		add_error(r, r->line, "unknown key '%s' in [cloudflare]", key);
	}
}

/* Warns that key's value n is above the plan's documented most. */
static void limit_warning(struct reader *r, const char *key, long n,
			  long most, const char *what)
{
	const char *plan = plan_names[r->c->plan];

	strvec_pushf(&r->c->warnings, "'%s': line %d: '%s' in [cloudflare] "
		     "is %ld, above the %ld %s per request that Cloudflare "
		     "documents for %s%s%s; it is kept, and a request refused "
		     "for its size is split and resent", r->name,
		     key_line(r, "cloudflare", key), key, n, most, what,
		     plan ? "the '" : "the free plan (no 'plan' is set)",
		     plan ? plan : "", plan ? "' plan" : "");
}

/* Applies the plan's limits and checks keys that depend on each other. */
void config_cloudflare_finish(struct reader *r)
{
	struct config *c = r->c;
	const struct plan_limits *l = &plan_table[c->plan];

	if (!(r->limits_set & SET_FILES))
		c->files_per_request = l->files_per_request;
	if (!(r->limits_set & SET_ITEMS))
		c->items_per_request = l->items_per_request;
	if (!(r->limits_set & SET_URL_RATE))
		c->urls_per_second = l->urls_per_second;
	if (!(r->limits_set & SET_REQ_RATE))
		c->requests_per_second = l->requests_per_second;
	if (!(r->limits_set & SET_BURST))
		c->burst = l->burst;
	if ((r->limits_set & SET_FILES) &&
	    c->files_per_request > l->documented_files)
		limit_warning(r, "files_per_request", c->files_per_request,
			      l->documented_files, "URLs");
	if ((r->limits_set & SET_ITEMS) &&
	    c->items_per_request > l->documented_items)
		limit_warning(r, "items_per_request", c->items_per_request,
			      l->documented_items, "tags, hosts or prefixes");

	if (!c->zone_id && !c->zone_name)
		add_error(r, 0, "'zone_id' (or 'zone_name') is missing from "
			  "[cloudflare]");
	if (c->zone_id && c->zone_name)
		add_error(r, key_line(r, "cloudflare", "zone_name"),
			  "[cloudflare] sets both 'zone_id' and 'zone_name'; "
			  "keep one");
	if (!c->email != !c->api_key_env)
		add_error(r, key_line(r, "cloudflare", c->email ? "email" :
				      "api_key_env"),
			  "[cloudflare] 'email' and 'api_key_env' go together "
			  "(the legacy X-Auth-Email and X-Auth-Key)");
	if (c->email && (c->api_token_file || r->token_env_set))
		add_error(r, key_line(r, "cloudflare", "email"),
			  "[cloudflare] sets both an API token and the legacy "
			  "'email' with 'api_key_env'; keep one");
	/*
	 * api_token_env and api_token_file together are one route with two
	 * doors: the variable when it is set (a web server's SetEnv), else
	 * the file (an admin's retry under sudo, which drops the
	 * environment). A file alone reads no variable, not even the
	 * default one, so that a stray CF_API_TOKEN cannot win over it.
	 */
	if (c->email || (c->api_token_file && !r->token_env_set)) {
		free(c->api_token_env);
		c->api_token_env = NULL;
	}
}
