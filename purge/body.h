/*
 * The JSON bodies of Cloudflare purge requests, built with cJSON.
 */
#ifndef CFPH_BODY_H
#define CFPH_BODY_H

#include <cjson/cJSON.h>

#include "../mapping/plan.h"

/*
 * Returns a new cJSON object for the request: {"files": [...]},
 * {"prefixes": [...]}, {"tags": [...]}, {"hosts": [...]} or
 * {"purge_everything": true}. The caller frees it with cJSON_Delete.
 */
cJSON *body_json(const struct request *r);

/* The same, printed without white space; the caller frees it with free(). */
char *body_text(const struct request *r);

#endif
