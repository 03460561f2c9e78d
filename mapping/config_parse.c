/*
 * The helpers that every file of the INI loader uses (see config_parse.h):
 * the messages that name a file and a line, the check on keys set twice,
 * and the parsers of booleans, numbers, seconds, hex ids, host names and
 * URLs. This file reads no section itself and calls no other config*.c.
 */
#include "config_parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void add_error(struct reader *r, int line, const char *fmt, ...)
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

void add_refused(struct reader *r, int line, const char *fmt, ...)
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

int first_setting(struct reader *r, const char *section,
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

int key_line(const struct reader *r, const char *section,
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

int parse_bool(const char *v, int *out)
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

int parse_long(const char *v, long min, long max, long *out)
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

int parse_seconds(const char *v, double min, double max, double *out)
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

int is_hex32(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return 0;
	return i == 32;
}

int is_host_name(const char *s, size_t len)
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

const char *url_problem(const char *url)
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

char *strip_trailing_slashes(const char *v)
{
	char *s = xstrdup(v);
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

void set_string(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

int is_map_section(const char *s)
{
	return !strncmp(s, "map", 3) &&
	       (s[3] == ' ' || s[3] == '\t' || s[3] == '"');
}

int is_zone_section(const char *s)
{
	return !strncmp(s, "zone", 4) &&
	       (s[4] == ' ' || s[4] == '\t' || s[4] == '"');
}
