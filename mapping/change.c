#include "change.h"
#include "../util/util.h"

#include <stdlib.h>

void change_list_add(struct change_list *l, enum change_status status,
		     const char *path, const char *old_path, unsigned old_mode,
		     unsigned new_mode, int mode_only)
{
	struct change *c;

	if (l->n == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 64;
		l->v = xrealloc(l->v, l->alloc * sizeof(*l->v));
	}
	c = &l->v[l->n++];
	c->status = status;
	c->path = xstrdup(path);
	c->old_path = old_path ? xstrdup(old_path) : NULL;
	c->old_mode = old_mode;
	c->new_mode = new_mode;
	c->mode_only = mode_only;
}

void change_list_clear(struct change_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].old_path);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}

void change_list_truncate(struct change_list *l, size_t n)
{
	while (l->n > n) {
		l->n--;
		free(l->v[l->n].path);
		free(l->v[l->n].old_path);
	}
}

const char *change_status_name(enum change_status s)
{
	switch (s) {
	case CHANGE_ADDED:
		return "added";
	case CHANGE_MODIFIED:
		return "modified";
	case CHANGE_DELETED:
		return "deleted";
	case CHANGE_RENAMED:
		return "renamed";
	case CHANGE_TYPECHANGE:
		return "typechange";
	}
	return "unknown";
}
