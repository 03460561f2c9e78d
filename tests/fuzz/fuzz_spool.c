/*
 * libFuzzer target for spool_parse() (purge/spool.c): the check that
 * decides whether the text of a spool file may be sent to Cloudflare with
 * the API token. Anyone who can drop a file into the spool controls this
 * text, so what it accepts must be exactly what spool_write writes.
 *
 * Input: [HEADER] TEXT. When the first byte is not '{', it selects the
 * rules and the rest is the file's text; otherwise the whole input is the
 * text, read with the rules of header 0. Header bits:
 *   0x01  zones_incomplete (the id of the config's zone name is unknown)
 *   0x06  max_files: 500, 30, 2 or 1
 *   0x18  max_items: 100, 30, 2 or 1
 *   0x20  no zone ids at all in the rules
 *   0x40  (unused)
 *
 * Checked against spool.h, without trusting spool.c's own helpers: on 0 the
 * batch names a zone id of the rules (32 lowercase hex) or only a zone name
 * that is a host name, its items are the input's and of the kinds this
 * program sends, within the rules' limits, and its body reads back the
 * same; on -1 the message is set and b left empty; -2 only with
 * zones_incomplete, for a well-formed id the rules do not know, which
 * without it is refused, while nothing else changes with the flag. Each
 * accepted batch is then written with spool_write into a folder made once,
 * and read back with spool_take, which must give an equal batch.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../purge/spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static const char *const known_ids[] = {
	"0123456789abcdef0123456789abcdef",
	"9a7806061c88ada191ed06f989cc3dac",
};

static const char *const file_keys[] = {
	"version", "zone_id", "zone_name", "body", "first_planned",
	"attempts", "last_error",
};

static struct spool spool = SPOOL_INIT;
static char spool_path[64];

static void remove_spool(void)
{
	if (spool.dir) {
		rmdir(spool.dir);
		spool_close(&spool);
	}
}

/* The folder of the round trip: made once, on tmpfs when there is one. */
static struct spool *the_spool(void)
{
	const struct file_modes modes = FILE_MODES_PRIVATE;
	struct err e;

	if (spool.dir)
		return &spool;
	snprintf(spool_path, sizeof(spool_path), "%s/fuzz-spool-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	CHECK(mkdtemp(spool_path) != NULL);
	CHECK(spool_open(&spool, spool_path, &modes, &e) == 0);
	atexit(remove_spool);
	return &spool;
}

static int is_zone_id(const char *s)
{
	size_t i;

	for (i = 0; i < 32; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[32] == '\0';
}

static int is_host(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

/* A non-empty string without spaces, C0 controls or DEL. */
static int is_word(const cJSON *v)
{
	const unsigned char *p;

	if (!cJSON_IsString(v) || !v->valuestring[0])
		return 0;
	for (p = (const unsigned char *)v->valuestring; *p; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static int is_url(const cJSON *v)
{
	return is_word(v) && (!strncmp(v->valuestring, "http://", 7) ||
			      !strncmp(v->valuestring, "https://", 8));
}

static int is_file_item(const cJSON *it)
{
	const cJSON *k, *h;

	if (cJSON_IsString(it))
		return is_url(it);
	if (!cJSON_IsObject(it) ||
	    !is_url(cJSON_GetObjectItemCaseSensitive(it, "url")))
		return 0;
	cJSON_ArrayForEach(k, it) {
		if (!strcmp(k->string, "url")) {
			if (!is_url(k))
				return 0;
			continue;
		}
		if (strcmp(k->string, "headers") || !cJSON_IsObject(k))
			return 0;
		/*
		 * A header must stay one line with one colon. An empty name
		 * passes: spool.h does not refuse it, and it goes to
		 * Cloudflare inside the JSON body, not as a header.
		 */
		cJSON_ArrayForEach(h, k)
			if (!cJSON_IsString(h) ||
			    strpbrk(h->string, "\r\n: ") ||
			    strpbrk(h->valuestring, "\r\n"))
				return 0;
	}
	return 1;
}

/*
 * Whether two values print the same. cJSON_Compare is no use here: it
 * finds an object with a repeated key unequal to its own copy, since it
 * looks each key up by name and finds the first.
 */
static int same_json(const cJSON *a, const cJSON *b)
{
	char *ta = need(cJSON_PrintUnformatted(a));
	char *tb = need(cJSON_PrintUnformatted(b));
	int same = !strcmp(ta, tb);

	free(ta);
	free(tb);
	return same;
}

/*
 * The files array as batch_from_body() keeps it: a request is all strings
 * or all objects, so when any item is an object each plain URL becomes
 * {"url": URL}. Returns a new array the caller deletes.
 */
static cJSON *one_form(const cJSON *items)
{
	cJSON *out = need(cJSON_CreateArray());
	const cJSON *it;
	int objects = 0;

	cJSON_ArrayForEach(it, items)
		objects |= cJSON_IsObject(it);
	cJSON_ArrayForEach(it, items) {
		cJSON *o;

		if (!objects || !cJSON_IsString(it)) {
			cJSON_AddItemToArray(out, need(cJSON_Duplicate(it, 1)));
			continue;
		}
		o = need(cJSON_CreateObject());
		need(cJSON_AddStringToObject(o, "url", it->valuestring));
		cJSON_AddItemToArray(out, o);
	}
	return out;
}

static int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void check_same(const struct batch *a, const struct batch *b)
{
	CHECK(a->kind == b->kind);
	CHECK(!a->items == !b->items);
	CHECK(!a->items || same_json(a->items, b->items));
	CHECK(str_eq(a->zone_id, b->zone_id));
	CHECK(str_eq(a->zone_name, b->zone_name));
	CHECK(str_eq(a->last_error, b->last_error));
	CHECK(a->attempts == b->attempts);
	CHECK(a->first_planned == b->first_planned);
}

static int known(const struct spool_rules *rules, const char *id)
{
	size_t i;

	for (i = 0; rules->zone_ids && i < rules->zone_ids->n; i++)
		if (!strcmp(rules->zone_ids->v[i], id))
			return 1;
	return 0;
}

/* The checks of an accepted text, against the input read on its own. */
static void check_accepted(const struct batch *b, const cJSON *root,
			   const struct spool_rules *rules)
{
	const cJSON *v, *body, *it;
	struct batch back;
	struct err e;
	cJSON *again;
	size_t i;
	long n = 0, max;

	CHECK(cJSON_IsObject(root));
	cJSON_ArrayForEach(v, root) {
		for (i = 0; i < sizeof(file_keys) / sizeof(file_keys[0]); i++)
			if (!strcmp(v->string, file_keys[i]))
				break;
		CHECK(i < sizeof(file_keys) / sizeof(file_keys[0]));
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "version");
	CHECK(cJSON_IsNumber(v) && v->valuedouble == 1);

	/* The zone: a known id, or only a host name. */
	CHECK(b->zone_id || b->zone_name);
	if (b->zone_id) {
		CHECK(is_zone_id(b->zone_id) && known(rules, b->zone_id));
		v = cJSON_GetObjectItemCaseSensitive(root, "zone_id");
		CHECK(cJSON_IsString(v) && !strcmp(v->valuestring, b->zone_id));
	}
	if (b->zone_name) {
		CHECK(is_host(b->zone_name));
		v = cJSON_GetObjectItemCaseSensitive(root, "zone_name");
		CHECK(cJSON_IsString(v) &&
		      !strcmp(v->valuestring, b->zone_name));
	}
	CHECK(b->attempts >= 0 && b->attempts < 1000000);
	CHECK(!b->last_error || strlen(b->last_error) <= 1024);

	/* The items: the input's own, each of its kind, not too many. */
	body = cJSON_GetObjectItemCaseSensitive(root, "body");
	CHECK(cJSON_IsObject(body) && cJSON_GetArraySize(body) == 1);
	if (b->kind == PURGE_EVERYTHING) {
		CHECK(b->items == NULL);
		CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
			body, "purge_everything")));
	} else {
		CHECK(b->kind == PURGE_FILES || b->kind == PURGE_PREFIXES ||
		      b->kind == PURGE_TAGS || b->kind == PURGE_HOSTS);
		CHECK(cJSON_IsArray(b->items));
		v = cJSON_GetObjectItemCaseSensitive(body,
						     purge_kind_key(b->kind));
		CHECK(v != NULL);
		if (b->kind == PURGE_FILES) {
			cJSON *want = one_form(v);

			CHECK(same_json(want, b->items));
			cJSON_Delete(want);
		} else {
			CHECK(same_json(v, b->items));
		}
		cJSON_ArrayForEach(it, b->items) {
			CHECK(b->kind == PURGE_FILES ? is_file_item(it) :
			      is_word(it));
			n++;
		}
		max = b->kind == PURGE_FILES ? rules->max_files :
		      rules->max_items;
		CHECK(n >= 1 && n <= max);
		CHECK((size_t)n == batch_size(b));
	}

	/* What would be sent reads back the same. */
	again = batch_body(b);
	CHECK(batch_from_body(&back, again, &e) == 0);
	CHECK(back.kind == b->kind);
	CHECK(!back.items == !b->items);
	CHECK(!b->items || same_json(back.items, b->items));
	batch_release(&back);
	cJSON_Delete(again);
}

/* What spool_write writes of b, read back by spool_take, is b again. */
static void round_trip(const struct batch *b, const struct spool_rules *rules)
{
	struct spool *s = the_spool();
	struct spool_entry en;
	struct err e;
	char *path = NULL;
	const char *name;

	CHECK(spool_write(s, b, &path, &e) == 0 && path);
	name = strrchr(path, '/') + 1;
	CHECK(spool_take(&en, s, name, rules, &e) == 1);
	CHECK(en.fd >= 0 && !strcmp(en.path, path));
	check_same(&en.batch, b);
	spool_entry_release(&en);
	CHECK(spool_remove(path, &e) == 0);
	CHECK(access(path, F_OK) < 0);
	free(path);
}

/*
 * zones_incomplete changes only what becomes of an unknown zone id: left
 * for later (-2) with it, refused (-1) without. rc is the result with
 * rules as they are.
 */
static void check_incomplete_flag(const char *text, size_t size,
				  const struct spool_rules *rules, int rc)
{
	struct spool_rules flipped = *rules;
	struct batch b;
	struct err e;
	int other;

	flipped.zones_incomplete = !rules->zones_incomplete;
	other = spool_parse(&b, text, size, &flipped, &e);
	if (other == 0)
		batch_release(&b);
	if (rc == 0)
		CHECK(other == 0);
	else if (rc == -2)
		CHECK(other == -1);
	else if (rules->zones_incomplete)
		CHECK(other == -1);
	else
		CHECK(other == -1 || other == -2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long max_files[] = { 500, 30, 2, 1 };
	static const long max_items[] = { 100, 30, 2, 1 };
	struct strvec ids = STRVEC_INIT;
	struct spool_rules rules;
	struct batch b, empty;
	struct err e;
	const char *text = (const char *)data;
	unsigned h = 0;
	cJSON *root;
	size_t i;
	int rc;

	if (size && data[0] != '{') {
		h = data[0];
		text++;
		size--;
	}
	for (i = 0; i < sizeof(known_ids) / sizeof(known_ids[0]); i++)
		strvec_push(&ids, known_ids[i]);
	rules.zone_ids = h & 0x20 ? NULL : &ids;
	rules.max_files = max_files[(h >> 1) & 3];
	rules.max_items = max_items[(h >> 3) & 3];
	rules.zones_incomplete = h & 1;

	memset(&empty, 0, sizeof(empty));
	strcpy(e.msg, "untouched");
	rc = spool_parse(&b, text, size, &rules, &e);
	root = cJSON_ParseWithLength(text, size);
	if (rc == 0) {
		/* util.h: on success the error record is left alone. */
		CHECK(!strcmp(e.msg, "untouched"));
		check_accepted(&b, root, &rules);
		if (size < SPOOL_MAX_FILE / 16)
			round_trip(&b, &rules);
		batch_release(&b);
	} else {
		const cJSON *v;

		CHECK(rc == -1 || rc == -2);
		CHECK(e.msg[0] && strcmp(e.msg, "untouched") &&
		      memchr(e.msg, '\0', sizeof(e.msg)));
		/* b is filled only on 0: nothing in it to free. */
		CHECK(!memcmp(&b, &empty, sizeof(b)));
		if (rc == -2) {
			CHECK(rules.zones_incomplete);
			v = cJSON_GetObjectItemCaseSensitive(root, "zone_id");
			CHECK(cJSON_IsString(v) && is_zone_id(v->valuestring) &&
			      !known(&rules, v->valuestring));
		}
	}
	check_incomplete_flag(text, size, &rules, rc);
	cJSON_Delete(root);
	strvec_clear(&ids);
	return 0;
}
