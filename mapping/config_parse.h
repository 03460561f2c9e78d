/*
 * What the files of the INI loader (mapping/config*.c) share, and only
 * they: the state of the reader while one file is read, the messages that
 * name a file and a line, and the parsers of single values. The public
 * face of the loader is mapping/config.h; nothing else includes this
 * header.
 *
 * Calls go one way: mapping/config.c reads the file and hands each key to
 * the file of its section (config_cloudflare.c, config_site.c,
 * config_hook.c, config_state.c, config_map.c, config_tree.c), and those
 * call what is declared here. config_parse.c calls none of them.
 */
#ifndef CFPH_CONFIG_PARSE_H
#define CFPH_CONFIG_PARSE_H

#include <stddef.h>

#include "config.h"

/*
 * The state of one file's reading (mapping/config.c drives inih through
 * it). Strings are owned by the reader unless said otherwise, and live
 * until the file has been read.
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
	unsigned limits_set;	/* [cloudflare] limits the file set */
	const char *name;	/* the file name for messages */
	/* Line of the first setting of each scalar key, to refuse repeats. */
	struct strvec seen;
};

/*
 * Adds "cannot read 'FILE': line N: " and the message to r->c->errors; a
 * line of 0 or less leaves out "line N: ".
 */
void add_error(struct reader *r, int line, const char *fmt, ...)
	CFPH_PRINTF(3, 4);

/*
 * Notes in r->c->refused a key or section that the pushed tree may not
 * set: it is left out and the rest of the tree's layer applies (see
 * config_load_tree).
 */
void add_refused(struct reader *r, int line, const char *fmt, ...)
	CFPH_PRINTF(3, 4);

/*
 * Refuses, with an error, a second setting of a key that takes one value.
 * Returns 1 when this is the first, and then remembers its line.
 */
int first_setting(struct reader *r, const char *section, const char *key);

/* The line where [section] key was first set, or 0. */
int key_line(const struct reader *r, const char *section, const char *key);

/*
 * The value parsers return 0 with *out set, or -1 with *out untouched
 * when v does not parse or lies outside [min, max].
 */
int parse_bool(const char *v, int *out);
int parse_long(const char *v, long min, long max, long *out);
int parse_seconds(const char *v, double min, double max, double *out);

/* 1 when s is 32 lowercase hex digits. */
int is_hex32(const char *s);

/*
 * 1 when the len bytes at s are a host name by RFC 1123: dot-separated
 * labels of 1 to 63 letters, digits and '-', neither starting nor ending
 * with '-', 253 bytes at most. A trailing dot is refused too, since
 * Cloudflare names zones without one.
 */
int is_host_name(const char *s, size_t len);

/*
 * Checks that url is absolute http(s) with a host and no query or
 * fragment. Returns a description of the problem, a static string, or NULL
 * when it is fine.
 */
const char *url_problem(const char *url);

/*
 * url_problem(), and also: no user name or password, and plain http only
 * when the host itself is loopback (127.0.0.0/8, localhost or [::1]),
 * not merely a name that starts like one. For what the program sends a
 * token to (api_url) or trusts what it fetches from (manifest_url).
 * Defined in config_cloudflare.c, beside its first user.
 */
const char *secure_url_problem(const char *url);

/* A copy of v without its trailing '/'s; the caller frees it. */
char *strip_trailing_slashes(const char *v);

/* Frees *dst and puts a copy of v there. */
void set_string(char **dst, const char *v);

/* 1 when the section header s is [map "..."], or [zone "..."]. */
int is_map_section(const char *s);
int is_zone_section(const char *s);

#endif
