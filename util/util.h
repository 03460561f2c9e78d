/*
 * Small helpers shared by every stage: allocation that dies on exhaustion,
 * a growable string buffer, a growable vector of owned strings, and the
 * error record that library-like code fills in before returning -1.
 *
 * Out of memory is fatal here on purpose (as in OpenBSD's signify): a
 * short-lived hook gains nothing from unwinding after a failed malloc.
 */
#ifndef CFPH_UTIL_H
#define CFPH_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <signal.h>
#include <sys/types.h>

#if defined(__GNUC__)
#define CFPH_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CFPH_PRINTF(f, a)
#endif

/* Each returns memory the caller frees with free(); none returns NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) CFPH_PRINTF(1, 2);

/*
 * Returns p, or dies when it is NULL: for libraries such as cJSON that
 * report a failed allocation by returning NULL.
 */
void *need(void *p);

/* Seconds on a monotonic clock, for measuring and deadlines. */
double mono_now(void);

/*
 * Overwrites the string s (which may be NULL) with NUL bytes in a way the
 * compiler may not remove: for credentials once they are no longer needed.
 */
void wipe_string(char *s);

/* Sleeps for the given seconds (nothing for 0 or less), through signals. */
void sleep_seconds(double seconds);

/*
 * An error message for the person who ran the program, without the
 * "cf-purge-hook: " prefix that only main adds. Functions that take a
 * struct err fill it in and return -1; on success they leave it alone.
 */
struct err {
	char msg[1024];
};

/* Formats into e (when e is not NULL) and returns -1, so that callers can
 * write `return err_set(e, "...")`. */
int err_set(struct err *e, const char *fmt, ...) CFPH_PRINTF(2, 3);

/*
 * A growable, always NUL-terminated byte buffer. Invariant: buf is never
 * NULL after strbuf_init (it may point at a static empty string until the
 * first append), and buf[len] == '\0'.
 */
struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};

#define STRBUF_INIT { NULL, 0, 0 }

void strbuf_init(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, char c);
/*
 * Appends s in single quotes for sh, each ' in it as '\'', so that any
 * path survives being pasted into a shell.
 */
void strbuf_add_sh_quoted(struct strbuf *sb, const char *s);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) CFPH_PRINTF(2, 3);
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
	CFPH_PRINTF(2, 0);
void strbuf_setlen(struct strbuf *sb, size_t len);
/* Hands the buffer to the caller, who frees it; sb is left empty. */
char *strbuf_detach(struct strbuf *sb);
/* The contents, valid until the next change to sb; "" when empty. */
const char *strbuf_str(const struct strbuf *sb);

/*
 * A growable array of strings that the vector owns: strvec_push copies,
 * strvec_clear frees every element.
 */
struct strvec {
	char **v;
	size_t n;
	size_t alloc;
};

#define STRVEC_INIT { NULL, 0, 0 }

void strvec_push(struct strvec *sv, const char *s);
void strvec_pushf(struct strvec *sv, const char *fmt, ...) CFPH_PRINTF(2, 3);
/* Takes ownership of s, which must come from malloc. */
void strvec_push_owned(struct strvec *sv, char *s);
void strvec_clear(struct strvec *sv);
/* Sorts bytewise and removes duplicates, freeing them. */
void strvec_sort_unique(struct strvec *sv);

/*
 * Splits a comma-separated list, trims spaces and tabs around each item,
 * and appends the non-empty items to out. Returns the number appended.
 */
size_t split_list(struct strvec *out, const char *s);

/* Removes leading and trailing spaces and tabs in place; returns s. */
char *trim(char *s);

/*
 * Set by the SIGTERM and SIGINT handler that main installs: long waits
 * (sleep_seconds) end early, and the sender stops sending, so that the run
 * ends with its journal intact.
 */
extern volatile sig_atomic_t cfph_interrupted;

/* 1 when this process is in group g (its own or a supplementary one). */
int user_in_group(gid_t g);

/*
 * The permissions of what the program creates beside a repository (the
 * lock, the spool and its files, the log): private to the user by
 * default, or as core.sharedRepository says, as git does for its own
 * files. dir includes the set-group-id bit when the group is shared, so
 * that files made inside keep the repository's group.
 */
struct file_modes {
	mode_t file;
	mode_t dir;
};

#define FILE_MODES_PRIVATE { 0600, 0700 }

/*
 * Gives the descriptor fd (a file or folder this process just opened or
 * created) the mode from modes, when it is this user's own and its mode
 * differs; someone else's file is left alone, as git leaves it. Returns
 * 0, or -1 with e set naming path.
 */
int file_modes_fix(int fd, const char *path, const struct file_modes *modes,
		   struct err *e);

/*
 * The length of the UTF-8 sequence at s (1 to 4 bytes), or 0 when s does
 * not start a valid one: a stray continuation byte, a sequence cut short
 * (a NUL ends it), an overlong form, a surrogate or a code point above
 * U+10FFFF. Reads no further than the sequence's NUL or fourth byte.
 */
size_t utf8_seq_len(const unsigned char *s);

#endif
