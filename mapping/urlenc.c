#include "urlenc.h"
#include "util.h"

#include <string.h>

static int keep_byte(unsigned char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c && strchr("-._~/!$&'()*+,;=:@", c) != NULL;
}

void urlenc_path(struct strbuf *out, const char *path, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	strbuf_grow(out, len);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];

		if (keep_byte(c)) {
			strbuf_addch(out, (char)c);
		} else {
			char enc[3] = { '%', hex[c >> 4], hex[c & 15] };
			strbuf_add(out, enc, 3);
		}
	}
}
