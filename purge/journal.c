#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* The most files merged into one request: each is held open while sent. */
#define MAX_MERGED_FILES 64

/*
 * Descriptors left free beside a request's files: libcurl's connection
 * and resolver, loading libcurl itself, and the spool files written while
 * a request is settled (one at a time, with their folder).
 */
#define FD_RESERVE 12

/*
 * How many files one request may hold open: MAX_MERGED_FILES, or, under
 * a low limit of open files, the descriptors not in use less
 * FD_RESERVE (at least 1). The descriptors in use are counted, not
 * guessed: a limit this low is at most a few hundred probes.
 */
static size_t merge_limit(void)
{
	struct rlimit rl;
	size_t unused = 0;
	rlim_t fd;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= 2 * MAX_MERGED_FILES + 64)
		return MAX_MERGED_FILES;
	for (fd = 0; fd < rl.rlim_cur; fd++)
		if (fcntl((int)fd, F_GETFD) < 0 && errno == EBADF)
			unused++;
	if (unused <= FD_RESERVE + 1)
		return 1;
	unused -= FD_RESERVE;
	return unused < MAX_MERGED_FILES ? unused : MAX_MERGED_FILES;
}

void spool_claim_release(struct spool_claim *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		spool_entry_release(&c->v[i]);
	free(c->v);
	strvec_clear(&c->problems);
	memset(c, 0, sizeof(*c));
}

static void claim_push(struct spool_claim *c, struct spool_entry *en)
{
	if (c->n == c->alloc) {
		c->alloc = c->alloc ? c->alloc * 2 : 8;
		c->v = xrealloc(c->v, c->alloc * sizeof(*c->v));
	}
	c->v[c->n++] = *en;
	memset(en, 0, sizeof(*en));
	en->fd = -1;
}

/*
 * The number of items in o->left, each part's reason for not being sent
 * appended to o->failures.
 */
static size_t note_left(struct send_outcome *o)
{
	size_t i, left = 0;

	for (i = 0; i < o->left.n; i++) {
		left += batch_size(&o->left.v[i]);
		strvec_push(&o->failures, o->left.v[i].last_error ?
			    o->left.v[i].last_error : "not sent");
	}
	return left;
}

void journal_settle(struct spool *s, char **paths, size_t n,
		    const struct batch *sent, struct send_outcome *o)
{
	struct strvec written = STRVEC_INIT;
	struct err e;
	size_t i, left, failed = 0;

	left = note_left(o);
	if (!left) {
		for (i = 0; i < n; i++)
			if (spool_remove(paths[i], &e) < 0)
				strvec_push(&o->spool_errors, e.msg);
		return;
	}
	/* Nothing of it was confirmed: one file takes the new attempts. */
	if (n == 1 && o->left.n == 1 && left == batch_size(sent) && s->dir) {
		if (spool_rewrite(s, paths[0], &o->left.v[0], &e) < 0)
			strvec_push(&o->spool_errors, e.msg);
		o->n_spooled += left;
		strvec_push(&o->spool_files, paths[0]);
		return;
	}
	for (i = 0; i < o->left.n && s->dir; i++) {
		char *path = NULL;

		if (spool_write(s, &o->left.v[i], &path, &e) < 0) {
			strvec_push(&o->spool_errors, e.msg);
			failed++;
			break;
		}
		strvec_push_owned(&written, path);
	}
	if (!s->dir || failed) {
		/*
		 * The old files still hold everything that is left (and
		 * what was confirmed, which a later run sends again).
		 */
		for (i = 0; i < written.n; i++)
			spool_remove(written.v[i], &e);
		if (n) {
			o->n_spooled += left;
			for (i = 0; i < n; i++)
				strvec_push(&o->spool_files, paths[i]);
		} else {
			o->n_lost += left;
		}
		strvec_clear(&written);
		return;
	}
	for (i = 0; i < n; i++)
		if (spool_remove(paths[i], &e) < 0)
			strvec_push(&o->spool_errors, e.msg);
	for (i = 0; i < written.n; i++)
		strvec_push(&o->spool_files, written.v[i]);
	o->n_spooled += left;
	strvec_clear(&written);
}

/*
 * What a spooled batch is merged by: its zone, its kind, and for files its
 * form (URLs, or {"url", "headers"} objects), since a request holds one.
 */
static char *group_key(const struct batch *b)
{
	int objects = b->items && cJSON_IsObject(b->items->child);

	return xasprintf("%s %s %d%s", b->zone_id ? b->zone_id : "-",
			 b->zone_name ? b->zone_name : "-", (int)b->kind,
			 objects ? " objects" : "");
}

/* The key journal_cover() gives an item of b. */
static char *cover_key(const struct batch *b, const cJSON *item)
{
	char *text = need(cJSON_PrintUnformatted(item));
	char *key = xasprintf("%s %d %s", b->zone_id, (int)b->kind, text);

	cJSON_free(text);
	return key;
}

void journal_cover(struct strvec *covered, const struct batch *b)
{
	const cJSON *it;

	if (!b->zone_id || b->kind == PURGE_EVERYTHING)
		return;
	cJSON_ArrayForEach(it, b->items) {
		strvec_push_owned(covered, cover_key(b, it));
	}
}

static int is_covered(const struct strvec *covered, const struct batch *b,
		      const cJSON *item)
{
	char *key = cover_key(b, item);
	size_t lo = 0, hi = covered->n;
	int cmp = 1;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		cmp = strcmp(covered->v[mid], key);
		if (!cmp)
			break;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	free(key);
	return !cmp;
}

/* Takes the covered items out of b; returns how many. */
static size_t uncover(struct batch *b, const struct strvec *covered)
{
	cJSON *it, *next;
	size_t n = 0;

	if (!covered || !covered->n || !b->zone_id ||
	    b->kind == PURGE_EVERYTHING || !b->items)
		return 0;
	for (it = b->items->child; it; it = next) {
		next = it->next;
		if (is_covered(covered, b, it)) {
			cJSON_Delete(cJSON_DetachItemViaPointer(b->items, it));
			n++;
		}
	}
	return n;
}

static size_t limit_of(const struct batch *b, const struct config *c)
{
	if (b->kind == PURGE_EVERYTHING)
		return 1;
	return (size_t)(b->kind == PURGE_FILES ? c->files_per_request
					       : c->items_per_request);
}

/* Whether the array items holds an item equal to it. */
static int holds(const cJSON *items, const cJSON *it)
{
	const cJSON *have;

	cJSON_ArrayForEach(have, items)
		if (cJSON_Compare(have, it, 1))
			return 1;
	return 0;
}

/* Adds the items of src that dst does not hold yet. */
static void merge_into(struct batch *dst, const struct batch *src)
{
	const cJSON *it;

	if (src->first_planned && (!dst->first_planned ||
				   src->first_planned < dst->first_planned))
		dst->first_planned = src->first_planned;
	if (src->attempts > dst->attempts)
		dst->attempts = src->attempts;
	if (dst->kind == PURGE_EVERYTHING)
		return;
	cJSON_ArrayForEach(it, src->items)
		if (!holds(dst->items, it))
			cJSON_AddItemToArray(dst->items,
					     need(cJSON_Duplicate(it, 1)));
}

struct pending {
	char *name;
	char *key;
	size_t size;
	int done;
};

/*
 * Settles a request made of the n spool files at paths that the sender
 * did not attempt at all: sending had stopped (a signal, the deadline,
 * refused credentials, or a stop for its zone or kind) or there is no
 * client. Nothing about the files changed, and together they still hold
 * every item, so each stays exactly as it is: not rewritten, not merged,
 * not renamed, and not synced again. They are reported kept, as
 * journal_settle would report them.
 */
static void keep_untried(char **paths, size_t n, struct send_outcome *o)
{
	size_t i;

	o->n_spooled += note_left(o);
	for (i = 0; i < n; i++)
		strvec_push(&o->spool_files, paths[i]);
}

/*
 * Sends the files of one request, held in v, and settles them; first the
 * items covered (journal_cover()) are taken out, and files that held
 * nothing else are deleted unsent.
 */
static void send_group(struct spool *s, struct sender *sender,
		       const struct strvec *covered, size_t *n_covered,
		       struct spool_entry *v, size_t n, struct spool_claim *out,
		       struct send_outcome **outcomes)
{
	struct spool_entry merged;
	struct send_outcome o = SEND_OUTCOME_INIT;
	char **paths = xcalloc(n, sizeof(*paths));
	size_t i, left_out;

	memset(&merged, 0, sizeof(merged));
	merged.fd = -1;
	batch_copy(&merged.batch, &v[0].batch);
	for (i = 1; i < n; i++)
		merge_into(&merged.batch, &v[i].batch);
	merged.path = xstrdup(v[0].path);
	for (i = 0; i < n; i++)
		paths[i] = v[i].path;
	left_out = uncover(&merged.batch, covered);
	if (merged.batch.kind != PURGE_EVERYTHING && !batch_size(&merged.batch)) {
		/* All of it went out (or is kept) with this run's own. */
		journal_settle(s, paths, n, &merged.batch, &o);
		for (i = 0; i < o.spool_errors.n; i++)
			strvec_push(&out->problems, o.spool_errors.v[i]);
		*n_covered += left_out;
		free(paths);
		for (i = 0; i < n; i++)
			spool_entry_release(&v[i]);
		spool_entry_release(&merged);
		send_outcome_release(&o);
		return;
	}
	sender_send(sender, &merged.batch, &o);
	/*
	 * No attempt means nothing was confirmed or refused: all of it is
	 * in o.left, and still in the files.
	 */
	if (!o.attempts && !o.n_sent && !o.n_refused) {
		/* The files stay as they were, covered items and all. */
		keep_untried(paths, n, &o);
	} else {
		journal_settle(s, paths, n, &merged.batch, &o);
		*n_covered += left_out;
	}
	free(paths);
	for (i = 0; i < n; i++)
		spool_entry_release(&v[i]);
	*outcomes = xrealloc(*outcomes, (out->n + 1) * sizeof(**outcomes));
	(*outcomes)[out->n] = o;
	claim_push(out, &merged);
}

/* The name of the file at path, which is in the spool s. */
static const char *spool_name(const struct spool *s, const char *path)
{
	size_t n = strlen(s->dir);

	return !strncmp(path, s->dir, n) && path[n] == '/' ? path + n + 1 :
	       path;
}

/*
 * Makes room for more files in a request whose *nheld files (held, all
 * of one zone and kind) use every descriptor it may hold: their items go
 * into one new spool file, written before the old files are deleted, so
 * that a kill in between leaves them twice, never lost. The new file is
 * then taken as held[0]. Returns 0 with *nheld 1, or 0 with *nheld 0 when
 * another run took the new file first (it sends it); -1 when nothing
 * changed: fewer than two files held, the sender would not try them (files
 * that are not sent stay exactly as they were), or the new file cannot be
 * written. The caller then sends what it holds.
 */
static int fold_held(struct spool *s, const struct spool_rules *rules,
		     const struct sender *sender, struct spool_entry *held,
		     size_t *nheld, struct strvec *problems)
{
	struct batch merged;
	struct spool_entry en;
	struct err e;
	char *path = NULL;
	size_t i;
	int got;

	if (*nheld < 2 || !sender_would_try(sender, &held[0].batch))
		return -1;
	batch_copy(&merged, &held[0].batch);
	for (i = 1; i < *nheld; i++)
		merge_into(&merged, &held[i].batch);
	if (spool_write(s, &merged, &path, &e) < 0) {
		batch_release(&merged);
		return -1;
	}
	batch_release(&merged);
	for (i = 0; i < *nheld; i++) {
		if (spool_remove(held[i].path, &e) < 0)
			strvec_push(problems, e.msg);
		spool_entry_release(&held[i]);
	}
	*nheld = 0;
	got = spool_take(&en, s, spool_name(s, path), rules, &e);
	if (got < 0)
		strvec_push(problems, e.msg);
	if (got == 1)
		held[(*nheld)++] = en;
	free(path);
	return 0;
}

static int skipped(const struct strvec *skip, const struct spool *s,
		   const char *name)
{
	size_t i, n = strlen(s->dir);

	for (i = 0; skip && i < skip->n; i++)
		if (!strncmp(skip->v[i], s->dir, n) && skip->v[i][n] == '/' &&
		    !strcmp(skip->v[i] + n + 1, name))
			return 1;
	return 0;
}

void journal_resend(struct spool *s, const struct spool_rules *rules,
		    const struct strvec *skip, const struct strvec *covered,
		    size_t *n_covered, struct sender *sender,
		    int (*fix_zone)(void *ctx, struct batch *b, struct err *e),
		    void *ctx,
		    struct spool_claim *out, struct send_outcome **outcomes)
{
	struct strvec names = STRVEC_INIT;
	struct pending *p;
	struct err e;
	size_t i, j, n = 0, max_held;

	if (spool_list(&names, s, &e) < 0) {
		strvec_push(&out->problems, e.msg);
		return;
	}
	p = xcalloc(names.n ? names.n : 1, sizeof(*p));
	max_held = merge_limit();
	/* First pass: check each file and note its zone, kind and size. */
	for (i = 0; i < names.n; i++) {
		struct spool_entry en;
		struct err why;
		char *moved;
		int got;

		if (skipped(skip, s, names.v[i]))
			continue;
		got = spool_take(&en, s, names.v[i], rules, &e);
		if (got > 0 && fix_zone && fix_zone(ctx, &en.batch, &why) < 0) {
			spool_entry_release(&en);
			err_set(&e, "'%s/%s' is not sent: %s", s->dir,
				names.v[i], why.msg);
			got = -1;
		}
		if (got == -3) {
			strvec_push(&out->problems, e.msg);
			continue;
		}
		if (got < 0) {
			struct err me;

			if (spool_reject(s, names.v[i], &moved, &me) < 0) {
				strvec_pushf(&out->problems, "%s; and %s",
					     e.msg, me.msg);
			} else {
				strvec_pushf(&out->problems, "%s; moved it to "
					     "'%s'", e.msg, moved);
				free(moved);
			}
			continue;
		}
		if (!got)
			continue;
		p[n].name = xstrdup(names.v[i]);
		p[n].key = group_key(&en.batch);
		p[n].size = batch_size(&en.batch);
		n++;
		spool_entry_release(&en);
	}
	/*
	 * Second pass, oldest first: each request takes the oldest file left
	 * and the next ones of its zone and kind while they fit.
	 */
	for (i = 0; i < n; i++) {
		struct spool_entry held[MAX_MERGED_FILES];
		size_t nheld = 0, items = 0, limit = 0;
		int got;

		if (p[i].done)
			continue;
		for (j = i; j < n && (!nheld || items < limit); j++) {
			struct spool_entry en;

			if (p[j].done || strcmp(p[j].key, p[i].key))
				continue;
			if (nheld && items + p[j].size > limit)
				continue;
			/*
			 * Under a low limit of open files, the files held so
			 * far become one, so that a request still takes as
			 * many items as Cloudflare allows.
			 */
			if (nheld == max_held) {
				if (fold_held(s, rules, sender, held, &nheld,
					      &out->problems) < 0)
					break;
				items = nheld ? batch_size(&held[0].batch) : 0;
			}
			p[j].done = 1;
			/* Another run may have taken it meanwhile. */
			got = spool_take(&en, s, p[j].name, rules, &e);
			if (got < 0)
				strvec_push(&out->problems, e.msg);
			if (got != 1)
				continue;
			if (fix_zone && fix_zone(ctx, &en.batch, &e) < 0) {
				spool_entry_release(&en);
				continue;
			}
			if (!nheld) {
				limit = limit_of(&en.batch, sender->config);
				items = 0;
			}
			items += batch_size(&en.batch);
			held[nheld++] = en;
		}
		if (nheld)
			send_group(s, sender, covered, n_covered, held, nheld,
				   out, outcomes);
	}
	for (i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].key);
	}
	free(p);
	strvec_clear(&names);
}
