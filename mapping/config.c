#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * inih is driven through our own line reader, for three reasons. It counts
 * lines, so that the handler knows the line it is called for (Debian builds
 * inih without INI_HANDLER_LINENO). It keeps the whole text of each section
 * header, because inih truncates section names to 49 bytes and stops at the
 * first ']', while a [map "PATTERN"] header may be long or hold a ']'. And
 * it removes leading white space, which turns off inih's continuation lines:
 * with them, an indented "root = public" under "base_url = ..." would have
 * been read as a second base URL.
 */
struct reader {
	const char *buf;
	size_t len;
	size_t pos;
	int line;
	char *section;		/* the latest section header, owned */
	int section_line;
	struct config *c;
	struct map_rule *map;	/* the [map] section being read, or NULL */
	int known;		/* the current section is one we read */
	int branches_set;	/* [hook] branches replaced the default */
	int token_env_set;	/* api_token_env was written */
	int tree;		/* reading the restricted layer from a push */
	struct zone_rule *zone;	/* the [zone] section being read, or NULL */
	unsigned limits_set;	/* SET_* bits */
	const char *name;	/* the file name for messages */
	/* Line of the first setting of each scalar key, to refuse repeats. */
	struct strvec seen;
};

/* Adds "cannot read 'FILE': line N: " and the message to the errors. */
CFPH_PRINTF(3, 4)
static void add_error(struct reader *r, int line, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	strbuf_addf(&sb, "cannot read '%s': ", r->name);
	if (line > 0)
		strbuf_addf(&sb, "line %d: ", line);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	strvec_push_owned(&r->c->errors, strbuf_detach(&sb));
}

/*
 * Notes a key or section that the pushed tree may not set: it is left out
 * and the rest of the tree's layer applies (see config_load_tree).
 */
CFPH_PRINTF(3, 4)
static void add_refused(struct reader *r, int line, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	strbuf_addf(&sb, "'%s': line %d: ", r->name, line);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	strbuf_addstr(&sb, "; left out, the rest of the file applies");
	strvec_push_owned(&r->c->refused, strbuf_detach(&sb));
}

static void begin_section(struct reader *r);

static char *read_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	const char *start, *nl, *p;
	size_t linelen, keep;

	if (r->pos >= r->len)
		return NULL;
	start = r->buf + r->pos;
	nl = memchr(start, '\n', r->len - r->pos);
	linelen = nl ? (size_t)(nl - start) : r->len - r->pos;
	r->pos += linelen + (nl ? 1 : 0);
	r->line++;

	p = start;
	while (p < start + linelen && (*p == ' ' || *p == '\t'))
		p++;
	keep = linelen - (size_t)(p - start);
	if (keep && p[keep - 1] == '\r')
		keep--;
	if (memchr(p, '\0', keep)) {
		add_error(r, r->line, "NUL byte in line");
		keep = 0;
	}
	if (keep + 2 > (size_t)num) {
		add_error(r, r->line, "line longer than %d characters; "
			  "split a long list over several lines by repeating "
			  "its key", num - 2);
		keep = 0;
	}
	memcpy(str, p, keep);
	str[keep] = '\n';
	str[keep + 1] = '\0';

	if (keep && p[0] == '[') {
		const char *close = NULL, *q;

		for (q = p; q < p + keep; q++)
			if (*q == ']')
				close = q;
		char *s;

		free(r->section);
		s = xstrndup(p + 1, close ? (size_t)(close - p - 1) : keep - 1);
		r->section = xstrdup(trim(s));
		free(s);
		r->section_line = r->line;
		r->map = NULL;
		r->known = 0;
		if (close)
			begin_section(r);
		else
			add_error(r, r->line, "section header [%s has no "
				  "closing ']'", r->section);
	}
	return str;
}

static int parse_bool(const char *v, int *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") ||
	    !strcmp(v, "1"))
		*out = 1;
	else if (!strcmp(v, "false") || !strcmp(v, "no") ||
		 !strcmp(v, "off") || !strcmp(v, "0"))
		*out = 0;
	else
		return -1;
	return 0;
}

static int parse_long(const char *v, long min, long max, long *out)
{
	char *end;
	long n;

	if (!*v || !isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

static int is_hex32(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return 0;
	return i == 32;
}

/*
 * 1 when the len bytes at s are a host name by RFC 1123: dot-separated
 * labels of 1 to 63 letters, digits and '-', neither starting nor ending
 * with '-', 253 bytes at most. A trailing dot is refused too, since
 * Cloudflare names zones without one.
 */
static int is_host_name(const char *s, size_t len)
{
	size_t i, label = 0;

	if (!len || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '.') {
			if (!label || s[i - 1] == '-')
				return 0;
			label = 0;
		} else if ((ch >= 'a' && ch <= 'z') ||
			   (ch >= 'A' && ch <= 'Z') ||
			   (ch >= '0' && ch <= '9') || ch == '-') {
			if (ch == '-' && !label)
				return 0;
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label && s[len - 1] != '-';
}

/*
 * Checks that url is absolute http(s) with a host and no query or fragment.
 * Returns a description of the problem, or NULL when it is fine.
 */
static const char *url_problem(const char *url)
{
	const char *host;

	if (!strncmp(url, "https://", 8))
		host = url + 8;
	else if (!strncmp(url, "http://", 7))
		host = url + 7;
	else
		return "not an absolute http:// or https:// URL";
	if (!*host || *host == '/' || *host == ':')
		return "no host name";
	{
		const char *end = host + strcspn(host, "/"), *colon;

		colon = memchr(host, ':', (size_t)(end - host));
		if (*host != '[' && colon && colon + 1 == end)
			return "a ':' without a port number";
	}
	if (strpbrk(url, "?#"))
		return "has a query string or fragment";
	if (strpbrk(url, " \t\"<>\\^`{|}"))
		return "has a character that is not allowed in a URL";
	return NULL;
}

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

/*
 * Checks an api_url beyond url_problem(): no user name or password, and
 * plain http only when the host itself is loopback (127.0.0.0/8,
 * localhost or [::1]), not merely a name that starts like one.
 */
static const char *api_url_problem(const char *url)
{
	struct url_parts u;
	const char *why = url_parse(&u, url);

	if (why)
		return why;
	if (u.userinfo)
		return "has a user name or password before '@'; the "
		       "credentials go in api_token_env, api_token_file or "
		       "api_key_env";
	if (u.https)
		return NULL;
	if (u.ipv6 ? u.host_len == 3 && !memcmp(u.host, "::1", 3) :
	    (u.host_len == 9 && !strncasecmp(u.host, "localhost", 9)) ||
	    is_ipv4_loopback(u.host, u.host_len))
		return NULL;
	return "uses http:// on a host other than loopback (127.0.0.0/8, "
	       "localhost or [::1]); use https://";
}

static char *strip_trailing_slashes(const char *v)
{
	char *s = xstrdup(v);
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

/*
 * Refuses a second setting of a key that takes one value. Returns 1 when
 * this is the first.
 */
static int first_setting(struct reader *r, const char *section,
			 const char *key)
{
	char *id = xasprintf("%s\n%s", section, key);
	size_t i;

	for (i = 0; i < r->seen.n; i++) {
		char *tab = strrchr(r->seen.v[i], '\t');
		if (tab && (size_t)(tab - r->seen.v[i]) == strlen(id) &&
		    !strncmp(r->seen.v[i], id, strlen(id))) {
			add_error(r, r->line, "'%s' in [%s] is set twice "
				  "(first on line %s)", key, section, tab + 1);
			free(id);
			return 0;
		}
	}
	strvec_pushf(&r->seen, "%s\t%d", id, r->line);
	free(id);
	return 1;
}

static void set_string(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

static int parse_seconds(const char *v, double min, double max, double *out)
{
	char *end;
	double d;

	if (!*v || !(isdigit((unsigned char)*v) || *v == '.'))
		return -1;
	errno = 0;
	d = strtod(v, &end);
	if (errno || *end || !(d >= min && d <= max))
		return -1;
	*out = d;
	return 0;
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

static void cloudflare_key(struct reader *r, const char *key, const char *v)
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

/*
 * Reads "Header: value; Header: value" into its normal form. Returns NULL
 * (and reports) when it does not parse.
 */
static char *parse_variant(struct reader *r, const char *v)
{
	struct strbuf out = STRBUF_INIT;
	char *copy = xstrdup(v), *part, *save = NULL;
	int ok = 1, n = 0;

	for (part = strtok_r(copy, ";", &save); part && ok;
	     part = strtok_r(NULL, ";", &save)) {
		char *colon = strchr(part, ':');
		char *name, *value;
		const char *q;

		if (!*trim(part))
			continue;
		if (!colon) {
			ok = 0;
			break;
		}
		*colon = '\0';
		name = trim(part);
		value = trim(colon + 1);
		for (q = name; *q; q++)
			if (!isalnum((unsigned char)*q) && *q != '-' && *q != '_')
				ok = 0;
		if (!*name || !*value || strpbrk(value, "\r\n"))
			ok = 0;
		if (ok)
			strbuf_addf(&out, "%s%s: %s", n++ ? "; " : "", name, value);
	}
	free(copy);
	if (!ok || !n) {
		add_error(r, r->line, "'variant' in [site] must be written "
			  "'Header: value; Other-Header: value'");
		strbuf_release(&out);
		return NULL;
	}
	return strbuf_detach(&out);
}

static void site_key(struct reader *r, const char *key, const char *v)
{
	struct config *c = r->c;

	if (!strcmp(key, "base_url")) {
		struct strvec items = STRVEC_INIT;
		size_t i;

		if (!split_list(&items, v))
			add_error(r, r->line, "'base_url' in [site] is empty");
		for (i = 0; i < items.n; i++) {
			const char *why = url_problem(items.v[i]);

			if (why)
				add_error(r, r->line, "'base_url' in [site]: "
					  "'%s': %s", items.v[i], why);
			strvec_push_owned(&c->base_urls,
					  strip_trailing_slashes(items.v[i]));
		}
		strvec_clear(&items);
	} else if (!strcmp(key, "pretty_urls")) {
		if (parse_bool(v, &c->pretty_urls) < 0)
			add_error(r, r->line, "'pretty_urls' in [site] must be "
				  "true or false");
	} else if (!strcmp(key, "query_variants")) {
		if (parse_bool(v, &c->query_variants) < 0)
			add_error(r, r->line, "'query_variants' in [site] must "
				  "be true or false");
	} else if (!strcmp(key, "root")) {
		char *root = strip_trailing_slashes(v);
		if (root[0] == '/' || !strcmp(root, "..") ||
		    !strncmp(root, "../", 3) || strstr(root, "/../") ||
		    strstr(root, "//") ||
		    (strlen(root) >= 3 && !strcmp(root + strlen(root) - 3, "/..")))
			add_error(r, r->line, "'root' in [site] must be a "
				  "folder inside the repository, written "
				  "without a leading '/' or '..'");
		free(c->root);
		c->root = root;
	} else if (!strcmp(key, "served_dir")) {
		if (v[0] != '/')
			add_error(r, r->line, "'served_dir' in [site] must be "
				  "an absolute path");
		set_string(&c->served_dir, v);
	} else if (!strcmp(key, "variant")) {
		char *norm = parse_variant(r, v);

		if (norm)
			strvec_push_owned(&c->variants, norm);
	} else if (!strcmp(key, "index")) {
		if (strchr(v, '/'))
			add_error(r, r->line, "'index' in [site] must be a "
				  "file name without '/'");
		set_string(&c->index, v);
	} else {
		add_error(r, r->line, "unknown key '%s' in [site]", key);
	}
}

static void state_key(struct reader *r, const char *key, const char *v)
{
	struct config *c = r->c;

	if (!strcmp(key, "dir")) {
		if (!*v)
			add_error(r, r->line, "'dir' in [state] is empty");
		set_string(&c->state_dir, v);
	} else if (!strcmp(key, "manifest")) {
		if (!*v || v[0] == '/' || !strcmp(v, "..") ||
		    !strncmp(v, "../", 3) || strstr(v, "/../") ||
		    strstr(v, "//") || v[strlen(v) - 1] == '/')
			add_error(r, r->line, "'manifest' in [state] must be a "
				  "file path inside the folder, without a "
				  "leading '/' or '..'");
		set_string(&c->manifest, v);
	} else if (!strcmp(key, "manifest_url")) {
		const char *why = url_problem(v);

		if (why)
			add_error(r, r->line, "'manifest_url' in [state]: %s",
				  why);
		set_string(&c->manifest_url, v);
	} else if (!strcmp(key, "on_missing")) {
		if (!strcmp(v, "fail"))
			c->state_missing_fail = 1;
		else if (!strcmp(v, "everything"))
			c->state_missing_fail = 0;
		else
			add_error(r, r->line, "'on_missing' in [state] must "
				  "be 'everything' or 'fail', not '%s'", v);
	} else {
		add_error(r, r->line, "unknown key '%s' in [state]", key);
	}
}

static void hook_key(struct reader *r, const char *key, const char *v)
{
	struct config *c = r->c;

	if (!strcmp(key, "branches")) {
		/* The first setting replaces the default list. */
		if (!r->branches_set)
			strvec_clear(&c->branches);
		r->branches_set = 1;
		if (!split_list(&c->branches, v))
			add_error(r, r->line, "'branches' in [hook] is empty");
	} else if (!strcmp(key, "on_create")) {
		if (!strcmp(v, "skip"))
			c->on_create = ON_CREATE_SKIP;
		else if (!strcmp(v, "everything"))
			c->on_create = ON_CREATE_EVERYTHING;
		else
			add_error(r, r->line, "'on_create' in [hook] must be "
				  "'skip' or 'everything', not '%s'", v);
	} else if (!strcmp(key, "on_missing_base")) {
		if (!strcmp(v, "fail"))
			c->missing_base_everything = 0;
		else if (!strcmp(v, "everything"))
			c->missing_base_everything = 1;
		else
			add_error(r, r->line, "'on_missing_base' in [hook] must "
				  "be 'fail' or 'everything', not '%s'", v);
	} else if (!strcmp(key, "wait_url")) {
		const char *why = url_problem(v);

		if (why)
			add_error(r, r->line, "'wait_url' in [hook]: %s", why);
		set_string(&c->wait_url, v);
	} else if (!strcmp(key, "wait_timeout")) {
		if (parse_seconds(v, 1, 86400, &c->wait_timeout) < 0)
			add_error(r, r->line, "'wait_timeout' in [hook] must be "
				  "a number of seconds from 1 to 86400");
	} else if (!strcmp(key, "delay")) {
		if (parse_seconds(v, 0, 3600, &c->delay) < 0)
			add_error(r, r->line, "'delay' in [hook] must be a "
				  "number of seconds from 0 to 3600");
	} else if (!strcmp(key, "push_deadline")) {
		if (parse_seconds(v, 1, 86400, &c->push_deadline) < 0)
			add_error(r, r->line, "'push_deadline' in [hook] must "
				  "be a number of seconds from 1 to 86400");
	} else if (!strcmp(key, "tree_max_items")) {
		if (parse_long(v, 0, 1000000, &c->tree_max_items) < 0)
			add_error(r, r->line, "'tree_max_items' in [hook] must "
				  "be a number from 0 to 1000000");
	} else if (!strcmp(key, "lock_timeout")) {
		if (parse_seconds(v, 0, 86400, &c->lock_timeout) < 0)
			add_error(r, r->line, "'lock_timeout' in [hook] must "
				  "be a number of seconds from 0 to 86400");
	} else if (!strcmp(key, "detach")) {
		if (parse_bool(v, &c->detach) < 0)
			add_error(r, r->line, "'detach' in [hook] must be true "
				  "or false");
	} else if (!strcmp(key, "log_file")) {
		if (!*v)
			add_error(r, r->line, "'log_file' in [hook] is empty");
		set_string(&c->log_file, v);
	} else if (!strcmp(key, "tree_may_purge")) {
		struct strvec items = STRVEC_INIT;
		size_t i;

		c->tree_may_purge = 0;
		split_list(&items, v);
		for (i = 0; i < items.n; i++) {
			const char *w = items.v[i];

			if (!strcmp(w, "urls"))
				c->tree_may_purge |= TREE_MAY_URLS;
			else if (!strcmp(w, "prefixes"))
				c->tree_may_purge |= TREE_MAY_PREFIXES;
			else if (!strcmp(w, "tags"))
				c->tree_may_purge |= TREE_MAY_TAGS;
			else if (!strcmp(w, "hosts"))
				c->tree_may_purge |= TREE_MAY_HOSTS;
			else if (!strcmp(w, "everything"))
				c->tree_may_purge |= TREE_MAY_EVERYTHING;
			else if (strcmp(w, "none") || items.n > 1)
				add_error(r, r->line, "'tree_may_purge' in "
					  "[hook] takes urls, prefixes, tags, "
					  "hosts and everything, or none alone, "
					  "not '%s'", w);
		}
		if (!items.n)
			add_error(r, r->line, "'tree_may_purge' in [hook] is "
				  "empty; write none to allow nothing");
		strvec_clear(&items);
	} else if (!strcmp(key, "tree_config")) {
		if (!*v || v[0] == '/' || strstr(v, ".."))
			add_error(r, r->line, "'tree_config' in [hook] must be "
				  "a path inside the repository");
		set_string(&c->tree_config, v);
	} else {
		add_error(r, r->line, "unknown key '%s' in [hook]", key);
	}
}

static void ignore_key(struct reader *r, const char *key, const char *v)
{
	struct strvec items = STRVEC_INIT;
	struct err e;
	size_t i;

	if (strcmp(key, "paths")) {
		add_error(r, r->line, "unknown key '%s' in [ignore]", key);
		return;
	}
	split_list(&items, v);
	for (i = 0; i < items.n; i++)
		if (pattern_list_add(&r->c->ignore, items.v[i], &e) < 0)
			add_error(r, r->line, "pattern '%s' in [ignore]: %s",
				  items.v[i], e.msg);
	strvec_clear(&items);
}

/* What follows "scheme://", or s itself when it has no scheme. */
static const char *skip_scheme(const char *s)
{
	const char *p = strstr(s, "://");

	return p && (size_t)(p - s) + 1 == strcspn(s, "/") ? p + 3 : s;
}

/*
 * Compares the n bytes at s with base + "/" (base without a scheme): 1
 * when they agree, the host part without regard to case. When whole is
 * set, s is a complete value and must be base itself or lie below it.
 */
static int agrees_with_base(const char *s, size_t n, const char *base,
			    int whole)
{
	size_t blen = strlen(base), host = strcspn(base, "/"), i;

	for (i = 0; i < n && i <= blen; i++) {
		char want = i < blen ? base[i] : '/';
		char got = s[i];

		if (i < host) {
			want = (char)tolower((unsigned char)want);
			got = (char)tolower((unsigned char)got);
		}
		if (got != want)
			return 0;
	}
	return !whole || n >= blen;
}

int config_within_site(const struct config *c, const char *value)
{
	const char *s = skip_scheme(value);
	size_t i;

	for (i = 0; i < c->base_urls.n; i++)
		if (agrees_with_base(s, strlen(s),
				     skip_scheme(c->base_urls.v[i]), 1))
			return 1;
	return 0;
}

/*
 * For a url or prefix template from the pushed tree: 0 when the text
 * before its first placeholder already leaves every [site] base_url, so
 * that no expansion can stay within the site. {base} is always within.
 */
static int may_stay_within_site(const struct config *c, const char *text)
{
	const char *s = skip_scheme(text);
	size_t n = strcspn(s, "{"), i;

	if (!strncmp(text, "{base}", 6))
		return 1;
	for (i = 0; i < c->base_urls.n; i++)
		if (agrees_with_base(s, n, skip_scheme(c->base_urls.v[i]),
				     !s[n]))
			return 1;
	return 0;
}

static void add_template(struct reader *r, struct template ***v, size_t *n,
			 const char *text, int is_url)
{
	struct template *t;
	struct err e;

	if (template_compile(&t, text, &e) < 0) {
		add_error(r, r->line, "%s", e.msg);
		return;
	}
	if (is_url && strncmp(text, "{base}", 6) &&
	    strncmp(text, "https://", 8) && strncmp(text, "http://", 7)) {
		add_error(r, r->line, "url '%s' in [%s] must start with "
			  "{base}, https:// or http://", text, r->section);
		template_free(t);
		return;
	}
	if (is_url && strncmp(text, "{base}", 6)) {
		const char *h = strstr(text, "://") + 3;

		/*
		 * "https:///x" names no host, and "https://{dir}/x" none
		 * for a file at the top: nothing Cloudflare could purge.
		 */
		if (!*h || strchr("/:?#{", *h)) {
			add_error(r, r->line, "url '%s' in [%s] must name a "
				  "host after its scheme", text, r->section);
			template_free(t);
			return;
		}
	}
	if (!is_url && strncmp(text, "{base}", 6)) {
		const char *h = strstr(text, "://");

		h = h ? h + 3 : text;
		if (!*h || *h == '/' || *h == '{' || *h == ':') {
			add_error(r, r->line, "prefix '%s' in [%s] must start "
				  "with {base} or a host name", text,
				  r->section);
			template_free(t);
			return;
		}
	}
	if (!is_url && strpbrk(text, "?#")) {
		add_error(r, r->line, "prefix '%s' in [%s] must be a host "
			  "and path without a query string", text, r->section);
		template_free(t);
		return;
	}
	if (r->tree && !may_stay_within_site(r->c, text)) {
		add_refused(r, r->line, "%s '%s' in [%s] is outside the "
			    "server's [site] base_url, and the pushed tree may "
			    "purge only its own site", is_url ? "url" :
			    "prefix", text, r->section);
		template_free(t);
		return;
	}
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = t;
}

/* The tree_may_purge word for each [map] key that purges, or NULL. */
static const char *purge_word(const char *key, unsigned *bit)
{
	static const struct {
		const char *key, *word;
		unsigned bit;
	} words[] = {
		{ "url", "urls", TREE_MAY_URLS },
		{ "prefixes", "prefixes", TREE_MAY_PREFIXES },
		{ "tags", "tags", TREE_MAY_TAGS },
		{ "hosts", "hosts", TREE_MAY_HOSTS },
		{ "everything", "everything", TREE_MAY_EVERYTHING },
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (!strcmp(key, words[i].key)) {
			*bit = words[i].bit;
			return words[i].word;
		}
	return NULL;
}

static void map_key(struct reader *r, const char *key, const char *v)
{
	struct map_rule *m = r->map;
	const char *word;
	unsigned bit = 0;
	size_t i, first;
	int no = 1;

	word = purge_word(key, &bit);
	/* "everything = false" purges nothing, so it needs no permission. */
	if (r->tree && word && !(r->c->tree_may_purge & bit) &&
	    !(bit == TREE_MAY_EVERYTHING && parse_bool(v, &no) == 0 && !no)) {
		add_refused(r, r->line, "'%s' in [%s] cannot come from the "
			    "pushed tree: the server's [hook] tree_may_purge "
			    "does not list %s", key, r->section, word);
		return;
	}
	if (!strcmp(key, "tags")) {
		first = m->tags.n;
		split_list(&m->tags, v);
		for (i = first; i < m->tags.n; i++)
			if (strpbrk(m->tags.v[i], " \t"))
				add_error(r, r->line, "tag '%s' in [%s] "
					  "contains white space", m->tags.v[i],
					  r->section);
	} else if (!strcmp(key, "url")) {
		add_template(r, &m->urls, &m->n_urls, v, 1);
	} else if (!strcmp(key, "prefixes")) {
		struct strvec items = STRVEC_INIT;

		split_list(&items, v);
		for (i = 0; i < items.n; i++)
			add_template(r, &m->prefixes, &m->n_prefixes,
				     items.v[i], 0);
		strvec_clear(&items);
	} else if (!strcmp(key, "strip")) {
		if (m->strip)
			add_error(r, r->line, "'strip' in [%s] is set twice",
				  r->section);
		free(m->strip);
		m->strip = xstrdup(v);
	} else if (!strcmp(key, "hosts")) {
		first = m->hosts.n;
		split_list(&m->hosts, v);
		for (i = first; i < m->hosts.n; i++)
			if (strpbrk(m->hosts.v[i], "/:?# \t"))
				add_error(r, r->line, "host '%s' in [%s] must "
					  "be a bare host name", m->hosts.v[i],
					  r->section);
	} else if (!strcmp(key, "everything")) {
		if (parse_bool(v, &m->everything) < 0)
			add_error(r, r->line, "'everything' in [%s] must be "
				  "true or false", r->section);
	} else {
		add_error(r, r->line, "unknown key '%s' in [%s]", key,
			  r->section);
	}
}

static void zone_key(struct reader *r, const char *key, const char *v)
{
	if (strcmp(key, "zone_id")) {
		add_error(r, r->line, "unknown key '%s' in [%s]", key,
			  r->section);
		return;
	}
	if (!is_hex32(v))
		add_error(r, r->line, "'zone_id' in [%s] must be 32 lowercase "
			  "hex digits", r->section);
	set_string(&r->zone->zone_id, v);
}

static void plan_key(struct reader *r, const char *key, const char *v)
{
	struct config *c = r->c;

	if (!strcmp(key, "collapse_threshold")) {
		if (parse_long(v, 0, 1000000, &c->collapse_threshold) < 0)
			add_error(r, r->line, "'collapse_threshold' in [plan] "
				  "must be a number (0 turns it off)");
	} else if (!strcmp(key, "collapse_waste")) {
		char *num = xstrdup(v);
		size_t len = strlen(num);

		if (len && num[len - 1] == '%')
			num[len - 1] = '\0';
		if (parse_long(trim(num), 0, 100, &c->collapse_waste) < 0)
			add_error(r, r->line, "'collapse_waste' in [plan] must "
				  "be a percentage from 0%% to 100%%");
		free(num);
	} else if (!strcmp(key, "max_urls")) {
		if (parse_long(v, 0, 100000000, &c->max_urls) < 0)
			add_error(r, r->line, "'max_urls' in [plan] must be a "
				  "number (0 turns the cap off)");
	} else if (!strcmp(key, "fallback")) {
		if (!strcmp(v, "everything"))
			c->fallback = FALLBACK_EVERYTHING;
		else if (!strcmp(v, "fail"))
			c->fallback = FALLBACK_FAIL;
		else
			add_error(r, r->line, "'fallback' in [plan] must be "
				  "'everything' or 'fail', not '%s'", v);
	} else {
		add_error(r, r->line, "unknown key '%s' in [plan]", key);
	}
}

/* Parses 'map "PATTERN"' and starts a new rule. */
static void start_map(struct reader *r)
{
	const char *s = r->section + 3;
	const char *open, *close;
	struct map_rule *m;
	struct err e;
	char *text;

	while (*s == ' ' || *s == '\t')
		s++;
	open = s;
	close = strrchr(s, '"');
	if (*open != '"' || close == open || close[1] != '\0') {
		add_error(r, r->section_line, "section [%s] must be written "
			  "[map \"PATTERN\"]", r->section);
		return;
	}
	text = xstrndup(open + 1, (size_t)(close - open - 1));
	if (text[0] == '!') {
		add_error(r, r->section_line, "[%s]: a [map] pattern cannot "
			  "start with '!'; use [ignore] to leave paths out",
			  r->section);
		free(text);
		return;
	}
	r->c->maps = xrealloc(r->c->maps,
			      (r->c->n_maps + 1) * sizeof(*r->c->maps));
	m = &r->c->maps[r->c->n_maps];
	memset(m, 0, sizeof(*m));
	m->line = r->section_line;
	m->source = r->c->sources.v[r->c->sources.n - 1];
	m->from_tree = r->tree;
	if (pattern_compile(&m->pattern, text, &e) < 0) {
		add_error(r, r->section_line, "pattern '%s': %s", text, e.msg);
		free(text);
		return;
	}
	free(text);
	r->c->n_maps++;
	r->map = m;
}

static int is_map_section(const char *s)
{
	return !strncmp(s, "map", 3) &&
	       (s[3] == ' ' || s[3] == '\t' || s[3] == '"');
}

/* Parses 'zone "HOST"' and starts a new zone rule. */
static void start_zone(struct reader *r)
{
	const char *s = r->section + 4;
	const char *close;
	struct zone_rule *z;
	size_t i;
	char *host;

	while (*s == ' ' || *s == '\t')
		s++;
	close = strrchr(s, '"');
	if (*s != '"' || close == s || close[1] != '\0' || close == s + 1) {
		add_error(r, r->line, "section [%s] must be written "
			  "[zone \"HOSTNAME\"]", r->section);
		return;
	}
	host = xstrndup(s + 1, (size_t)(close - s - 1));
	if (strpbrk(host, "/:?# \t")) {
		add_error(r, r->line, "[%s]: '%s' is not a host name",
			  r->section, host);
		free(host);
		return;
	}
	for (i = 0; i < r->c->n_zones; i++)
		if (!strcmp(r->c->zones[i].host, host)) {
			add_error(r, r->line, "[%s] repeats the section of "
				  "line %d", r->section, r->c->zones[i].line);
			free(host);
			return;
		}
	r->c->zones = xrealloc(r->c->zones,
			       (r->c->n_zones + 1) * sizeof(*r->c->zones));
	z = &r->c->zones[r->c->n_zones++];
	z->host = host;
	z->zone_id = NULL;
	z->line = r->line;
	r->zone = z;
}


static int is_zone_section(const char *s)
{
	return !strncmp(s, "zone", 4) &&
	       (s[4] == ' ' || s[4] == '\t' || s[4] == '"');
}

static void ci_key(struct reader *r, const char *key, const char *v)
{
	struct config *c = r->c;
	int on;

	if (strcmp(key, "marker") && strcmp(key, "fail_job")) {
		add_error(r, r->line, "unknown key '%s' in [ci]", key);
		return;
	}
	if (parse_bool(v, &on) < 0) {
		add_error(r, r->line, "'%s' in [ci] must be true or false, "
			  "not '%s'", key, v);
		return;
	}
	if (!strcmp(key, "marker"))
		c->ci_marker_off = !on;
	else
		c->ci_fail_job_off = !on;
}

/* Called by the reader for each section header, keys or not. */
static void begin_section(struct reader *r)
{
	const char *s = r->section;

	r->known = 0;
	r->zone = NULL;
	if (r->tree && (is_map_section(s) || !strcmp(s, "ignore") ||
			!strcmp(s, "site"))) {
		r->known = 1;
		if (is_map_section(s))
			start_map(r);
	} else if (r->tree && (!strcmp(s, "cloudflare") || !strcmp(s, "hook") ||
			       !strcmp(s, "plan") || !strcmp(s, "state") ||
			       !strcmp(s, "ci") || is_zone_section(s))) {
		/* Its keys are skipped: r->known stays 0. */
		add_refused(r, r->line, "[%s] cannot come from the pushed tree "
			    "(only [map], [ignore] and [site] pretty_urls can); "
			    "set it in the server's configuration", s);
	} else if (r->tree) {
		add_error(r, r->line, "unknown section [%s]", s);
	} else if (!strcmp(s, "cloudflare") || !strcmp(s, "site") ||
		   !strcmp(s, "hook") || !strcmp(s, "ignore") ||
		   !strcmp(s, "plan") || !strcmp(s, "state") ||
		   !strcmp(s, "ci")) {
		r->known = 1;
	} else if (is_map_section(s)) {
		r->known = 1;
		start_map(r);
	} else if (is_zone_section(s)) {
		r->known = 1;
		start_zone(r);
	} else {
		add_error(r, r->line, "unknown section [%s]", s);
	}
}

static int handler(void *user, const char *inih_section, const char *key,
		   const char *value)
{
	struct reader *r = user;
	const char *section = r->section ? r->section : "";
	char *v = xstrdup(value ? value : "");
	const char *val = trim(v);

	(void)inih_section;
	if (!r->section) {
		add_error(r, r->line, "key '%s' comes before any [section]",
			  key);
	} else if (!r->known) {
		/* The section header was reported already. */
	} else if (!strcmp(section, "cloudflare")) {
		if (first_setting(r, section, key))
			cloudflare_key(r, key, val);
	} else if (!strcmp(section, "site") && r->tree &&
		   strcmp(key, "pretty_urls")) {
		if (!strcmp(key, "base_url") || !strcmp(key, "root") ||
		    !strcmp(key, "index") || !strcmp(key, "variant"))
			add_refused(r, r->line, "'%s' in [site] cannot come "
				    "from the pushed tree (only pretty_urls "
				    "can)", key);
		else
			add_error(r, r->line, "unknown key '%s' in [site]",
				  key);
	} else if (!strcmp(section, "site")) {
		if (!strcmp(key, "variant") || !strcmp(key, "base_url") ||
		    first_setting(r, section, key))
			site_key(r, key, val);
	} else if (!strcmp(section, "plan")) {
		if (first_setting(r, section, key))
			plan_key(r, key, val);
	} else if (!strcmp(section, "state")) {
		if (first_setting(r, section, key))
			state_key(r, key, val);
	} else if (!strcmp(section, "ci")) {
		if (first_setting(r, section, key))
			ci_key(r, key, val);
	} else if (r->zone) {
		if (first_setting(r, section, key))
			zone_key(r, key, val);
	} else if (!strcmp(section, "hook")) {
		if (!strcmp(key, "branches") || first_setting(r, section, key))
			hook_key(r, key, val);
	} else if (!strcmp(section, "ignore")) {
		ignore_key(r, key, val);
	} else if (r->map) {
		if (strcmp(key, "everything") || first_setting(r, section, key))
			map_key(r, key, val);
	} else if (is_zone_section(section) && !r->zone) {
		/* The section header was reported already. */
	}
	free(v);
	return 1;
}

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->api_url = xstrdup(CONFIG_DEFAULT_API_URL);
	c->api_token_env = xstrdup(CONFIG_DEFAULT_TOKEN_ENV);
	c->files_per_request = CONFIG_DEFAULT_FILES_PER_REQUEST;
	c->items_per_request = 30;
	c->retries = 5;
	c->timeout = 30;
	c->deadline = 120;
	c->backoff = 1;
	c->root = xstrdup("");
	c->index = xstrdup("index.html");
	strvec_push(&c->branches, "main");
	strvec_push(&c->branches, "master");
	c->on_create = ON_CREATE_SKIP;
	/*
	 * No cap on URLs by default: the planner chooses folder prefixes
	 * where they purge little that did not change, and purges everything
	 * only when nothing else fits the deadline (mapping/fold.h).
	 */
	c->max_urls = 0;
	c->collapse_waste = 10;
	c->wait_timeout = 300;
	/*
	 * A hook holds the push while it sends: well under the 60 s after
	 * which proxies (nginx's fastcgi_read_timeout) give up on it.
	 */
	c->push_deadline = 25;
	c->lock_timeout = 20;
	/* Ten requests of 30: within the Free plan's burst of 25. */
	c->tree_max_items = 300;
	c->fallback = FALLBACK_EVERYTHING;
	c->tree_may_purge = TREE_MAY_URLS | TREE_MAY_PREFIXES | TREE_MAY_TAGS;
}

/* The line where [section] key was first set, or 0. */
static int key_line(const struct reader *r, const char *section,
		    const char *key)
{
	char *id = xasprintf("%s\n%s\t", section, key);
	size_t i, n = strlen(id);
	int line = 0;

	for (i = 0; i < r->seen.n && !line; i++)
		if (!strncmp(r->seen.v[i], id, n))
			line = atoi(r->seen.v[i] + n);
	free(id);
	return line;
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
static void finish_cloudflare(struct reader *r)
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
	if (c->api_token_file && r->token_env_set)
		add_error(r, key_line(r, "cloudflare", "api_token_file"),
			  "[cloudflare] sets both 'api_token_env' and "
			  "'api_token_file'; keep one");
	if (c->email || c->api_token_file) {
		free(c->api_token_env);
		c->api_token_env = NULL;
	}
}

static int has_error_on_line(const struct config *c, const char *name,
			     int line)
{
	char *needle = xasprintf("'%s': line %d: ", name, line);
	size_t i;
	int found = 0;

	for (i = 0; i < c->errors.n && !found; i++)
		found = strstr(c->errors.v[i], needle) != NULL;
	free(needle);
	return found;
}

static void load(struct config *c, const char *name, const char *buf,
		 size_t len, int tree)
{
	struct reader r;
	int rc;

	/*
	 * Editors on Windows may start a UTF-8 file with a byte-order mark;
	 * it is not part of the first line.
	 */
	if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) {
		buf += 3;
		len -= 3;
	}
	memset(&r, 0, sizeof(r));
	r.buf = buf;
	r.len = len;
	r.c = c;
	r.name = name;
	r.tree = tree;
	strvec_push(&c->sources, name);

	rc = ini_parse_stream(read_line, &r, handler, &r);
	if (rc > 0 && !has_error_on_line(c, name, rc))
		add_error(&r, rc, "expected '[section]' or 'key = value'");
	if (!tree) {
		size_t i;

		finish_cloudflare(&r);
		if (!c->base_urls.n)
			add_error(&r, 0, "'base_url' is missing from [site]");
		for (i = 0; i < c->n_zones; i++)
			if (!c->zones[i].zone_id)
				add_error(&r, c->zones[i].line, "[zone \"%s\"] "
					  "has no 'zone_id'",
					  c->zones[i].host);
	}
	free(r.section);
	strvec_clear(&r.seen);
}

int config_load_buffer(struct config *c, const char *name, const char *buf,
		       size_t len)
{
	free(c->path);
	c->path = xstrdup(name);
	load(c, name, buf, len, 0);
	return c->errors.n ? -1 : 0;
}

int config_load_tree(struct config *c, const char *name, const char *buf,
		     size_t len)
{
	size_t before = c->errors.n;

	load(c, name, buf, len, 1);
	return c->errors.n > before ? -1 : 0;
}

size_t config_zone_index(const struct config *c, const char *host,
			 size_t len)
{
	size_t i;

	for (i = 0; i < c->n_zones; i++)
		if (strlen(c->zones[i].host) == len &&
		    !strncmp(c->zones[i].host, host, len))
			return i + 1;
	return 0;
}

int config_load_file(struct config *c, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	char chunk[8192];
	FILE *f;
	size_t n;
	int rc;

	f = fopen(path, "rb");
	if (!f) {
		strvec_pushf(&c->errors, "cannot read '%s': %s", path,
			     strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		strbuf_add(&sb, chunk, n);
	if (ferror(f)) {
		strvec_pushf(&c->errors, "cannot read '%s': %s", path,
			     strerror(errno));
		fclose(f);
		strbuf_release(&sb);
		return -1;
	}
	fclose(f);
	rc = config_load_buffer(c, path, strbuf_str(&sb), sb.len);
	strbuf_release(&sb);
	return rc;
}

void config_release(struct config *c)
{
	size_t i;

	free(c->path);
	free(c->zone_id);
	free(c->zone_name);
	free(c->api_url);
	free(c->api_token_env);
	free(c->api_token_file);
	free(c->email);
	free(c->api_key_env);
	free(c->ca_bundle);
	free(c->spool_dir);
	free(c->state_dir);
	free(c->served_dir);
	free(c->manifest);
	free(c->manifest_url);
	strvec_clear(&c->variants);
	strvec_clear(&c->base_urls);
	free(c->root);
	free(c->index);
	strvec_clear(&c->branches);
	free(c->tree_config);
	free(c->wait_url);
	free(c->log_file);
	for (i = 0; i < c->n_maps; i++) {
		struct map_rule *m = &c->maps[i];
		size_t j;

		pattern_free(m->pattern);
		free(m->strip);
		for (j = 0; j < m->n_urls; j++)
			template_free(m->urls[j]);
		free(m->urls);
		for (j = 0; j < m->n_prefixes; j++)
			template_free(m->prefixes[j]);
		free(m->prefixes);
		strvec_clear(&m->tags);
		strvec_clear(&m->hosts);
	}
	free(c->maps);
	for (i = 0; i < c->n_zones; i++) {
		free(c->zones[i].host);
		free(c->zones[i].zone_id);
	}
	free(c->zones);
	strvec_clear(&c->sources);
	pattern_list_clear(&c->ignore);
	strvec_clear(&c->errors);
	strvec_clear(&c->warnings);
	strvec_clear(&c->refused);
	memset(c, 0, sizeof(*c));
}

int config_branch_wanted(const struct config *c, const char *branch)
{
	size_t i;

	for (i = 0; i < c->branches.n; i++)
		if (fnmatch(c->branches.v[i], branch, FNM_PATHNAME) == 0)
			return 1;
	return 0;
}
