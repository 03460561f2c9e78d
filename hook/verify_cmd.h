/*
 * Verify and warm on the run's side: which URLs to check and what each
 * should serve (from the run's ranges, changes and configuration), the
 * second purge of what is found stale, the purge kept when the origin is
 * not deployed yet, and the lines, JSON and CI table that say what was
 * found. The checking itself is verify/verify.h. Calls go one way:
 * main.c, report_json.c, ci.c -> verify_cmd.c -> deliver.c (the second
 * purge), verify/, mapping/.
 */
#ifndef CFPH_VERIFY_CMD_H
#define CFPH_VERIFY_CMD_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "run.h"
#include "../verify/verify.h"

/*
 * Fills l with the URLs that r's changes are served at, each with what it
 * should serve: the blob of its path in the new and old tree of its range
 * (a commit's, or the built folder's), the URLs of [map] templates
 * checked by status alone. At most max URLs are kept, chosen evenly
 * (a note in notes says so). Returns 0, or -1 with e set when a range's
 * trees cannot be read.
 */
int verify_collect(struct verify_list *l, struct run *r, size_t max,
		   struct strvec *notes, struct err *e);

/*
 * After run_send(): with [verify] after_purge, checks every URL, purges
 * again (after [verify] retry_after) what is stale, and checks those
 * again; a URL whose origin serves the old content is not purged again
 * but kept in the spool for 'retry'. Then, with [warm] after_purge,
 * requests the changed files' URLs and [warm] urls once more. Everything
 * ends by the run's deadline. Returns RUN_OK, or RUN_FAILED when a URL
 * stays stale, is missing, gets no answer, or is not deployed.
 */
int verify_after_send(struct run *r);

/*
 * The verify command, once r's ranges are added (a range, or a built
 * folder compared with an empty one): plans without sending, then checks
 * as verify_after_send() does, with no purge time to compare ages with.
 * Returns an exit status.
 */
int verify_on_demand(struct run *r);

/*
 * The verify command's `--dir DIR`: adds to r the range from the tree
 * that the state recorded for dir to the tree of dir (dir.h's
 * dir_verify), and marks r so that every file of dir is checked (at most
 * VERIFY_MAX_URLS of them), against its own content and, where the
 * state's tree has the path, its old one. Records nothing. Returns 0, or
 * -1 with e set (RUN_USAGE).
 */
int verify_add_dir(struct run *r, const char *dir, struct err *e);

/*
 * The summary lines on err ("verified 12 URLs: 12 fresh", then each URL
 * that is not fresh, with the edge's headers); nothing when verify and
 * warm did not run, or under --quiet for a clean result.
 */
void verify_report(FILE *err, const struct run *r);

/* The "verify" member of --json, or NULL when nothing ran. */
cJSON *verify_json(const struct run *r);

/* The table of the CI job summary (Markdown), when verify ran. */
void verify_markdown(FILE *f, const struct run *r);

#endif
