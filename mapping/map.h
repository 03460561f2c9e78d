/*
 * The mapping stage: from changed repository paths to purge items, by the
 * rules of a loaded configuration.
 */
#ifndef CFPH_MAP_H
#define CFPH_MAP_H

#include "change.h"
#include "config.h"
#include "plan.h"

/*
 * Adds to plan what one changed path needs purged. is_gitlink says the
 * path is a submodule, which purges the prefix of its folder instead of a
 * file URL. Ignored paths add nothing. A path under [site] root adds its
 * URL on every base_url (and, for the index file, the folder's URL with a
 * trailing slash; with pretty_urls, also the page without ".html" and the
 * folder without the slash); then every [map] section whose pattern
 * matches adds its items, in file order.
 *
 * When explain is not NULL, one line per source of items is appended to
 * it, such as "[map \"*.html\"] (site.ini line 12): tags html".
 * Returns the number of items added.
 */
size_t map_path(struct plan *plan, const struct config *c, const char *path,
		int is_gitlink, struct strvec *explain);

/*
 * Adds what every change in the list needs purged: both paths of a rename,
 * nothing for a change of file mode alone. Returns the number of items
 * added.
 */
size_t map_changes(struct plan *plan, const struct config *c,
		   const struct change_list *changes);

/*
 * Appends to out the URL at which base serves the file at rel, a path
 * relative to [site] root: base, '/', and rel percent-encoded.
 */
void map_file_url(struct strbuf *out, const char *base, const char *rel);

#endif
