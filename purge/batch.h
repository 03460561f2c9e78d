/*
 * A batch: the items of one Cloudflare purge request, one kind per batch,
 * as cJSON values so that a batch can be sent, split in halves, written to
 * the spool and read back without losing anything.
 */
#ifndef CFPH_BATCH_H
#define CFPH_BATCH_H

#include <cjson/cJSON.h>

#include "../mapping/config.h"
#include "../mapping/plan.h"

struct batch {
	enum purge_kind kind;
	cJSON *items;		/* owned array; NULL for PURGE_EVERYTHING */
	char *zone_id;		/* owned; NULL while only zone_name is known */
	char *zone_name;	/* owned, or NULL */
	double first_planned;	/* seconds since the epoch */
	int attempts;		/* HTTP attempts so far, over all runs */
	char *last_error;	/* owned, or NULL */
};

struct batch_list {
	struct batch *v;
	size_t n;
	size_t alloc;
};

#define BATCH_LIST_INIT { NULL, 0, 0 }

/*
 * Appends to out the batches for a finished plan, zone by zone: first the
 * default zone (zone_id or zone_name; one may be NULL), then each [zone]
 * in file order, which gets the files, prefixes and hosts on its host;
 * tags and purge_everything go to every zone. Within a zone:
 * purge_everything alone when set; otherwise files (each URL once plain
 * and once per [site] variant, as {"url", "headers"}; with variants, the
 * plain URL is {"url"} too, since a request's files are all strings or
 * all objects), then prefixes, tags and hosts, at most
 * c->files_per_request files and c->items_per_request of the others in
 * each batch.
 */
void batches_from_plan(struct batch_list *out, const struct plan *p,
		       const struct config *c, const char *zone_id,
		       const char *zone_name, double now);

/* The number of items (1 for purge_everything). */
size_t batch_size(const struct batch *b);

/*
 * Splits b, which must hold at least two items, into two new batches of
 * its first and second half. b is left unchanged; the caller releases all
 * three.
 */
void batch_split(const struct batch *b, struct batch *lo, struct batch *hi);

/* A copy of b that owns its own data. */
void batch_copy(struct batch *dst, const struct batch *src);

/* The request body: a new object the caller frees with cJSON_Delete. */
cJSON *batch_body(const struct batch *b);

/* The body printed without white space; the caller frees it. */
char *batch_body_text(const struct batch *b);

/*
 * Reads a request body such as {"files": [...]} into b (zone fields and
 * bookkeeping left empty). A files array that mixes URL strings and
 * objects (as spooled by older versions) is read as all objects. Returns
 * 0, or -1 with e set when body is not one kind with a non-empty array
 * (or purge_everything: true).
 */
int batch_from_body(struct batch *b, const cJSON *body, struct err *e);

/* A short description such as "30 URLs" or "2 tags" or "everything". */
void batch_describe(struct strbuf *sb, const struct batch *b);

void batch_release(struct batch *b);
/* Appends b, taking its data: b is left empty. */
void batch_list_push(struct batch_list *l, struct batch *b);
void batch_list_clear(struct batch_list *l);

#endif
