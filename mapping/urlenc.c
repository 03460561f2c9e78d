#include "urlenc.h"
#include "../util/util.h"

/*
 * 1 for the bytes kept as they are: ALPHA DIGIT - . _ ~ / and
 * ! $ & ' ( ) * + , ; = : @. Bytes from 0x80 up are all encoded. A table
 * rather than a search of the set: every URL of a push goes through here.
 */
static const unsigned char keep[128] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 1, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/*  !"#$%&'()*+,-./ */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0,	/* 0-9 :;<=>? */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* @A-O */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,	/* P-Z [\]^_ */
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* `a-o */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0,	/* p-z {|}~ DEL */
};

static int keep_byte(unsigned char c)
{
	return c < 0x80 && keep[c];
}

void urlenc_path(struct strbuf *out, const char *path, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i = 0;

	strbuf_grow(out, len);
	while (i < len) {
		size_t run = i;

		/* Runs of kept bytes go in one piece. */
		while (i < len && keep_byte((unsigned char)path[i]))
			i++;
		if (i > run)
			strbuf_add(out, path + run, i - run);
		if (i < len) {
			unsigned char c = (unsigned char)path[i++];
			char enc[3] = { '%', hex[c >> 4], hex[c & 15] };

			strbuf_add(out, enc, 3);
		}
	}
}
