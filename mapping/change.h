/*
 * What changed between two commits, as the hook stage hands it to the
 * mapping stage: plain data, free of libgit2 types.
 */
#ifndef CFPH_CHANGE_H
#define CFPH_CHANGE_H

#include <stddef.h>

enum change_status {
	CHANGE_ADDED,
	CHANGE_MODIFIED,
	CHANGE_DELETED,
	CHANGE_RENAMED,
	CHANGE_TYPECHANGE
};

/* Git's file modes, as found in tree entries. */
#define CHANGE_MODE_FILE 0100644
#define CHANGE_MODE_EXEC 0100755
#define CHANGE_MODE_LINK 0120000
#define CHANGE_MODE_GITLINK 0160000

struct change {
	enum change_status status;
	char *path;		/* owned; the new path, or the deleted one */
	char *old_path;		/* owned; set for CHANGE_RENAMED only */
	unsigned old_mode;	/* 0 when added */
	unsigned new_mode;	/* 0 when deleted */
	int mode_only;		/* same content, only the file mode changed */
};

struct change_list {
	struct change *v;
	size_t n;
	size_t alloc;
};

#define CHANGE_LIST_INIT { NULL, 0, 0 }

/* Appends a change; copies path and old_path (which may be NULL). */
void change_list_add(struct change_list *l, enum change_status status,
		     const char *path, const char *old_path, unsigned old_mode,
		     unsigned new_mode, int mode_only);
void change_list_clear(struct change_list *l);
/* Drops the changes from index n on, freeing them. */
void change_list_truncate(struct change_list *l, size_t n);

/* "added", "modified", "deleted", "renamed" or "typechange". */
const char *change_status_name(enum change_status s);

#endif
