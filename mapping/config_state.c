/*
 * The [state] section: dir, manifest, manifest_url and on_missing.
 */
#include "config_state.h"

#include <string.h>

#include "config_parse.h"

void config_state_key(struct reader *r, const char *key, const char *v)
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
		const char *why = secure_url_problem(v);

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
