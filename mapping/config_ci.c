/*
 * The [ci] section: marker and fail_job.
 */
#include "config_ci.h"

#include <string.h>

#include "config_parse.h"

void config_ci_key(struct reader *r, const char *key, const char *v)
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
