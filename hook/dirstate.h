/*
 * What `dir DIR` compares a folder with: the tree recorded by the last
 * successful run for that folder. The state folder ([state] dir) holds a
 * bare git object folder of trees only (objects/, written by
 * dirtree_keep()) and, for each folder, a small file naming its last
 * tree (sites/<id>, where id hashes the folder's absolute path).
 */
#ifndef CFPH_DIRSTATE_H
#define CFPH_DIRSTATE_H

/*
 * NEEDSWORK: trees of earlier runs stay in objects/ after no record names
 * them any more; nothing prunes them yet (deleting the state folder is
 * safe and costs one run that purges everything). Two runs for the same
 * folder at once are not serialised: the last record wins, which can
 * only make a later run purge more, never less.
 */

#include <git2.h>

#include "../mapping/util.h"

struct dirstate {
	char *dir;		/* owned; the state folder */
	char *objects;		/* owned; dir/objects */
	char *record;		/* owned; the file naming the folder's tree */
	char *site;		/* owned; the folder, absolute, links resolved */
};

#define DIRSTATE_INIT { NULL, NULL, NULL, NULL }

/*
 * Creates the state folder when missing and names the record of the
 * folder site (which must exist). Returns 0, or -1 with e set;
 * dirstate_release() is needed either way.
 */
int dirstate_open(struct dirstate *s, const char *state_dir,
		  const char *site, struct err *e);

/*
 * Reads the tree recorded for the folder into *out and checks that store
 * holds it. Returns 1 then; 0 when there is no record yet, or it cannot
 * be used (not this program's format, another folder's, a tree the store
 * lacks), with *why (owned by the caller) saying which.
 */
int dirstate_read(git_oid *out, char **why, const struct dirstate *s,
		  git_odb *store);

/*
 * Replaces the record with tree, atomically and durably (written to a
 * temporary file, synced, renamed). Returns 0, or -1 with e set.
 */
int dirstate_write(const struct dirstate *s, const git_oid *tree,
		   struct err *e);

void dirstate_release(struct dirstate *s);

#endif
