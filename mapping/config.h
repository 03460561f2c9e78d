/*
 * The INI configuration: where the site is served, which rules map
 * repository paths to purge items, where to send the purges. Loading is
 * strict: an unknown section or key, or a value that does not parse, is an
 * error naming the file, the line and the key, since a typo must never
 * silently purge less.
 */
#ifndef CFPH_CONFIG_H
#define CFPH_CONFIG_H

#include <stddef.h>

#include "pattern.h"
#include "template.h"
#include "../util/util.h"

#define CONFIG_DEFAULT_API_URL "https://api.cloudflare.com/client/v4"
#define CONFIG_DEFAULT_TOKEN_ENV "CF_API_TOKEN"
/*
 * The seconds that the web server blocks of examples/servers.md wait for
 * git's answer to a push (nginx's fastcgi_read_timeout, Apache's Timeout,
 * lighttpd's cgi.limits read-timeout); a hook in the foreground must end
 * well before, or the push ends in a 504 without its remote: lines.
 */
#define CONFIG_SERVER_TIMEOUT 60
/* Of those, the seconds left to git itself: receiving, checking, writing. */
#define CONFIG_SERVER_MARGIN 10
#define CONFIG_DEFAULT_FILES_PER_REQUEST 30
/* Enterprise zones take 500 files per request; nothing takes more. */
#define CONFIG_MAX_FILES_PER_REQUEST 500
/* Cloudflare documents 100 tags, prefixes or hosts per request at most. */
#define CONFIG_MAX_ITEMS_PER_REQUEST 100

enum purge_mode {
	MODE_PURGE,		/* POST /zones/{id}/purge_cache */
	MODE_INVALIDATE		/* POST /zones/{id}/invalidate_cache */
};

/* Cloudflare's plans, which set the purge limits (see config_cloudflare.c). */
enum cf_plan {
	CF_PLAN_UNSET,
	CF_PLAN_FREE,
	CF_PLAN_PRO,
	CF_PLAN_BUSINESS,
	CF_PLAN_ENTERPRISE
};

enum on_create {
	ON_CREATE_SKIP,
	ON_CREATE_EVERYTHING
};

enum fallback {
	FALLBACK_EVERYTHING,	/* past max_urls, purge everything once */
	FALLBACK_FAIL		/* past max_urls, purge nothing and fail */
};

/* One [map "PATTERN"] section. */
struct map_rule {
	struct pattern *pattern;
	int line;		/* of the section header */
	const char *source;	/* the file it came from; borrowed */
	char *strip;		/* removed from the front of {path}, or NULL */
	struct template **urls;
	size_t n_urls;
	struct template **prefixes;	/* expanded without a scheme */
	size_t n_prefixes;
	struct strvec tags;
	struct strvec hosts;
	int everything;
	/*
	 * The rule came from the pushed tree: its urls and prefixes must stay
	 * within [site] base_url when expanded (mapping/map.c).
	 */
	int from_tree;
};

/* What a pushed tree's [map] rules may purge: [hook] tree_may_purge. */
enum {
	TREE_MAY_URLS = 1,
	TREE_MAY_PREFIXES = 2,
	TREE_MAY_TAGS = 4,
	TREE_MAY_HOSTS = 8,
	TREE_MAY_EVERYTHING = 16
};

/* One [zone "HOSTNAME"] section: that host's purges go to its own zone. */
struct zone_rule {
	char *host;
	char *zone_id;
	int line;
};

struct config {
	char *path;		/* the file name used in messages */

	/* [cloudflare] */
	char *zone_id;		/* NULL when zone_name is used */
	char *zone_name;	/* resolved through GET /zones?name= */
	char *api_url;		/* without a trailing slash */
	/*
	 * Where the token comes from: the variable api_token_env names when
	 * it is set and not empty, else the file api_token_file. api_token_env
	 * is NULL with email, and with api_token_file when the config does
	 * not name a variable too.
	 */
	char *api_token_env;
	char *api_token_file;
	char *email;		/* legacy X-Auth-Email + X-Auth-Key */
	char *api_key_env;
	char *ca_bundle;	/* NULL: the system's CA certificates */
	char *spool_dir;	/* NULL: a folder in the git directory */
	enum purge_mode mode;
	enum cf_plan plan;
	long files_per_request;
	long items_per_request;	/* tags, prefixes or hosts per request */
	double urls_per_second;	/* the budget for files */
	double requests_per_second;	/* the budget for the other kinds */
	long burst;		/* requests of the other kinds sent at once */
	long retries;		/* further attempts after the first */
	double timeout;		/* seconds for one request */
	double deadline;	/* seconds for the whole run's sending */
	double backoff;		/* seconds before the first retry */

	/* [site] */
	struct strvec base_urls;	/* each without a trailing slash */
	int pretty_urls;	/* also purge pages without .html */
	int query_variants;	/* purge each file by its URL as a prefix,
				   which covers "page.html?v=3" too */
	char *root;		/* "" for the top; never a trailing slash */
	char *index;		/* "" turns folder URLs off */
	/*
	 * The folder the web server serves: the hook then purges what
	 * changed in it (dir DIR) rather than what the push changed.
	 */
	char *served_dir;
	/*
	 * Custom cache keys, one per [site] variant line, each normalised to
	 * "Header: value; Header: value" with single spaces.
	 */
	struct strvec variants;

	/* [hook] */
	struct strvec branches;	/* globs on the name below refs/heads/ */
	enum on_create on_create;
	char *tree_config;	/* a config file read from the pushed tree */
	unsigned tree_may_purge;	/* TREE_MAY_* bits; urls, prefixes, tags */
	int missing_base_everything;	/* on_missing_base = everything */
	char *wait_url;		/* poll until it names the pushed commit */
	double wait_timeout;	/* seconds; default 300 */
	double delay;		/* seconds to wait before purging */
	int delay_set;		/* [hook] delay was given, 0 included */
	double push_deadline;	/* seconds a hook holds the push sending */
	double lock_timeout;	/* seconds a hook waits for another run */
	long tree_max_items;	/* prefixes, tags, hosts a pushed tree's
				   rules may add to one push; 0: no limit */
	int detach;		/* hand the work to a detached process */
	char *log_file;		/* where a detached run writes */

	/* [state]: what `dir DIR` compares with (built/state.h) */
	char *state_dir;	/* NULL: <git dir>/cf-purge-hook-state */
	int state_missing_fail;	/* on_missing = fail; default everything */
	char *manifest;		/* written into the folder: built/manifest.h */
	char *manifest_url;	/* the live manifest, the old side in CI */

	/* [ci]: the ci command (hook/marker.h); both on by default */
	int ci_marker_off;	/* marker = false */
	int ci_fail_job_off;	/* fail_job = false: a failed purge exits 0 */

	/* [verify] and [warm]: checking the edge after a purge (verify/) */
	int verify_after_purge;	/* verify after each purge; default off */
	long verify_concurrency;	/* requests in flight at once */
	double verify_rate;	/* requests started per second at most */
	char *verify_connect_to;	/* "HOST:PORT", or NULL: the URL's own */
	char *verify_ca_bundle;	/* NULL: [cloudflare] ca_bundle, else the
				   system's */
	double verify_retry_after;	/* seconds before a stale URL's second
					   purge */
	int verify_compare_status;	/* compare = status: the body is not
					   compared */
	int warm_after_purge;	/* request each purged URL once more */
	struct strvec warm_urls;	/* pages warmed besides the purged ones */

	/* [plan] */
	long collapse_threshold;	/* 0: off; set, it replaces collapse_waste */
	long collapse_waste;	/* percent of a prefix's files that may be
				   unchanged (mapping/fold.h) */
	long max_urls;		/* 0: no cap (the default) */
	enum fallback fallback;

	struct map_rule *maps;
	size_t n_maps;
	struct pattern_list ignore;
	struct zone_rule *zones;
	size_t n_zones;
	struct strvec sources;	/* names of the files read, for map_rule */

	/*
	 * Every problem found while loading, each a complete message such as
	 * "cannot read 'x.ini': line 3: unknown key 'bsae_url' in [site]".
	 */
	struct strvec errors;
	/*
	 * Values that are kept but look wrong, each a complete message such
	 * as "'x.ini': line 5: 'files_per_request' in [cloudflare] is 500,
	 * above ...": check prints them; they do not make loading fail.
	 */
	struct strvec warnings;
	/*
	 * What config_load_tree left out because the pushed tree may not set
	 * it, each a complete message such as "'abc1234:.cf-purge-hook.ini':
	 * line 3: 'hosts' in [map \"a\"] cannot come from the pushed tree:
	 * ...; left out, the rest of the file applies". Unlike errors, these
	 * do not make the layer unusable.
	 */
	struct strvec refused;
};

/* Sets every default; must precede config_load_*. */
void config_init(struct config *c);

/*
 * Reads and validates the file at path. Returns 0 when the configuration is
 * complete and valid, or -1 with every problem in c->errors (a file that
 * cannot be opened is one such problem). Either way the caller calls
 * config_release().
 */
int config_load_file(struct config *c, const char *path);

/* The same for len bytes at buf; name is used in messages. */
int config_load_buffer(struct config *c, const char *name, const char *buf,
		       size_t len);

/*
 * Adds to a loaded configuration the layer read from the pushed tree
 * ([hook] tree_config). Anyone who can push can change that file, so it
 * may hold only [map], [ignore] and [site] pretty_urls, and its [map]
 * rules may purge only what [hook] tree_may_purge lists (by default urls,
 * prefixes and tags, not hosts or everything), with every url and prefix
 * within a [site] base_url of the server's configuration.
 *
 * Two kinds of problem are told apart. A section or key that the server's
 * configuration could hold but the tree may not (such as [cloudflare], or
 * hosts when not allowed), or a url or prefix outside the site, is left
 * out with a message in c->refused, and the rest of the layer applies.
 * Anything else (a syntax error, an unknown section or key, a bad value)
 * makes the layer unusable, since what the changes map to is then
 * unknown: it goes to c->errors. Returns -1 when c->errors grew, else 0
 * (whether or not c->refused did).
 */
int config_load_tree(struct config *c, const char *name, const char *buf,
		     size_t len);

/*
 * 1 when value, a URL or a prefix with or without a scheme, is a [site]
 * base_url of c or lies below one (the host compared without regard to
 * case).
 */
int config_within_site(const struct config *c, const char *value);

/*
 * Which zone purges of the len-byte host go to: i + 1 for c->zones[i],
 * 0 for [cloudflare]'s own.
 */
size_t config_zone_index(const struct config *c, const char *host,
			 size_t len);

void config_release(struct config *c);

/* 1 when the branch (the name below refs/heads/) matches [hook] branches. */
int config_branch_wanted(const struct config *c, const char *branch);

#endif
