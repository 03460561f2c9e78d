/*
 * The [hook] section: branches, on_create, on_missing_base, wait_url,
 * wait_timeout, delay, push_deadline, lock_timeout, detach and log_file,
 * with config_branch_wanted(), which matches a branch against branches.
 * Its tree_config, tree_may_purge and tree_max_items belong to the
 * pushed tree's layer: mapping/config_tree.c reads them.
 */
#include "config_hook.h"

#include <fnmatch.h>
#include <string.h>

#include "config_parse.h"

void config_hook_key(struct reader *r, const char *key, const char *v)
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
		c->delay_set = 1;
	} else if (!strcmp(key, "push_deadline")) {
		if (parse_seconds(v, 1, 86400, &c->push_deadline) < 0)
			add_error(r, r->line, "'push_deadline' in [hook] must "
				  "be a number of seconds from 1 to 86400");
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
	} else {
		add_error(r, r->line, "unknown key '%s' in [hook]", key);
	}
}

int config_branch_wanted(const struct config *c, const char *branch)
{
	size_t i;

	for (i = 0; i < c->branches.n; i++)
		if (fnmatch(c->branches.v[i], branch, FNM_PATHNAME) == 0)
			return 1;
	return 0;
}

void config_hook_finish(struct reader *r)
{
	const struct config *c = r->c;
	double held = c->push_deadline + c->delay;
	int line = key_line(r, "hook", "push_deadline");

	if (c->detach || held <= CONFIG_SERVER_TIMEOUT - CONFIG_SERVER_MARGIN)
		return;
	if (line <= 0)
		line = key_line(r, "hook", "delay");
	strvec_pushf(&r->c->warnings, "'%s': line %d: [hook] push_deadline "
		     "(%g s) and delay (%g s) may hold a push %g s, more than "
		     "the %d s a hook has under the web servers of "
		     "examples/servers.md (they wait %d s for git's answer, "
		     "and git needs some of it); a server that gives up first "
		     "answers the push with a 504 and no remote: lines: lower "
		     "them, or set [hook] detach = true", r->name, line,
		     c->push_deadline, c->delay, held,
		     CONFIG_SERVER_TIMEOUT - CONFIG_SERVER_MARGIN,
		     CONFIG_SERVER_TIMEOUT);
}
