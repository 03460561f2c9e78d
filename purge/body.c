#include "body.h"
#include "../mapping/util.h"

#include <stdio.h>
#include <stdlib.h>

/* cJSON reports allocation failure with NULL; here that is fatal. */
static void *need(void *p)
{
	if (!p) {
		fputs("cf-purge-hook: out of memory\n", stderr);
		abort();
	}
	return p;
}

cJSON *body_json(const struct request *r)
{
	cJSON *obj = need(cJSON_CreateObject());
	cJSON *arr;
	size_t i;

	if (r->kind == PURGE_EVERYTHING) {
		need(cJSON_AddTrueToObject(obj, "purge_everything"));
		return obj;
	}
	arr = need(cJSON_AddArrayToObject(obj, purge_kind_key(r->kind)));
	for (i = 0; i < r->n; i++)
		cJSON_AddItemToArray(arr, need(cJSON_CreateString(r->items[i])));
	return obj;
}

char *body_text(const struct request *r)
{
	cJSON *obj = body_json(r);
	char *s = need(cJSON_PrintUnformatted(obj));

	cJSON_Delete(obj);
	return s;
}
