/*
 * Parsing of the lines git hands a post-receive hook on standard input:
 * "<old-id> SP <new-id> SP <refname> LF", one per updated ref.
 */
#ifndef CFPH_REFLINE_H
#define CFPH_REFLINE_H

#include <stddef.h>

struct err;

/* 40 hex digits (SHA-1); SHA-256 ids have 64 and are refused. */
#define REFLINE_HEXSZ 40

struct ref_update {
	char old_hex[REFLINE_HEXSZ + 1];
	char new_hex[REFLINE_HEXSZ + 1];
	char *ref;		/* owned; "refs/heads/main" */
	int created;		/* old id is all zeros */
	int deleted;		/* new id is all zeros */
};

/*
 * Parses one line of len bytes (without its LF; a trailing CR is not
 * accepted). Returns 0 and fills *out, whose ref the caller frees with
 * ref_update_release(); or -1 with e naming what is wrong. A 64-digit id
 * gets its own message, since this build's libgit2 reads only SHA-1
 * repositories.
 */
int refline_parse(struct ref_update *out, const char *line, size_t len,
		  struct err *e);

void ref_update_release(struct ref_update *u);

/* 1 when hex is REFLINE_HEXSZ zeros. */
int refline_is_zero(const char *hex);

#endif
