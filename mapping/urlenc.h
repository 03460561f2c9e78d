/*
 * Percent-encoding of repository paths into URL paths, the way a browser
 * requests them, so that the purged URL is byte for byte the cache key.
 */
#ifndef CFPH_URLENC_H
#define CFPH_URLENC_H

#include <stddef.h>

struct strbuf;

/*
 * Appends the first len bytes of path to out, keeping the unreserved
 * characters (ALPHA DIGIT - . _ ~), '/' and the sub-delimiters
 * ! $ & ' ( ) * + , ; = : @ as they are and writing every other byte
 * (space, '#', '?', '%', control characters, every byte of UTF-8) as %XX
 * with uppercase hex digits.
 */
void urlenc_path(struct strbuf *out, const char *path, size_t len);

#endif
